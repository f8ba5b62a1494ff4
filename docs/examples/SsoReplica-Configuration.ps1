<#
.SYNOPSIS
    A DSC configuration for the Windows PowerShell 5.1 Local Configuration Manager: the SSO servers of a farm kept
    replicas of the master secret server, each pulling the ring the master published for it from a share.

.DESCRIPTION
    The master secret server publishes each replica's sealed ring to the share (run there after every change of its
    ring, for example from the same scheduled task that rotates it):

        Get-Content D:\SsoRings\replicas.txt | Export-SsoSealedRing -Path \\fileserver\SsoRings

    replicas.txt holds one host public key line per replica: the HostPublicKey that each replica's
    Get-DscConfiguration (or Invoke-DscResource -Method Get) shows after its first run, which joins it.

    EnvironmentId and MasterPublicKey are Get-SsoEnvironment's on the master. MasterPublicKey is the pin, taken
    without a question on every node: compare MasterFingerprint on the master's own console before you put the line
    here. No credential travels in this MOF (a sealed ring is sealed to each replica's own host key), but the MOF
    decides whom the replicas trust: keep it where only administrators can change it.

    The LCM runs as SYSTEM, so the share must let the replicas' computer accounts read it (and only the master's
    account write it). With ConfigurationMode ApplyAndAutoCorrect, each replica installs a newly published ring at its
    next consistency check (ConfigurationModeFrequencyMins).

    docs/guide-dsc.md ("Keeping a replica in sync") explains every property and every Reason.

.EXAMPLE
    . .\SsoReplica-Configuration.ps1
    SsoReplicaConfiguration -ConfigurationData $ConfigurationData -OutputPath .\SsoReplicaMof
    Start-DscConfiguration -Path .\SsoReplicaMof -Wait -Verbose
#>

Configuration SsoReplicaConfiguration {
    Import-DscResource -ModuleName SsoSecretDsc -ModuleVersion 1.0.0

    Node $AllNodes.Where({ $_.Role -eq 'SsoReplica' }).NodeName {
        # Joins the store to the environment (pinning the master), then installs every newer ring published for it;
        # refuses (with the module's error id) an older, altered or foreign ring, a store that is a master, and a
        # replica of another master.
        SsoReplica Replica {
            StorePath       = 'C:\ProgramData\SsoSecret'
            EnvironmentId   = $ConfigurationData.NonNodeData.EnvironmentId
            MasterPublicKey = $ConfigurationData.NonNodeData.MasterPublicKey
            SealedRingPath  = '\\fileserver\SsoRings'
        }
    }
}

$ConfigurationData = @{
    AllNodes    = @(
        @{ NodeName = 'sso-app-01'; Role = 'SsoReplica' }
        @{ NodeName = 'sso-app-02'; Role = 'SsoReplica' }
    )
    NonNodeData = @{
        EnvironmentId   = '2a54dedb-c87b-4933-9bd2-6c708435b68d'
        MasterPublicKey = 'ssosecret-master1jfd36t94kcvzkptzp4hfh59h6xu9ke3h88feqtta8e2egv24vk6sxmvn0d'
    }
}
