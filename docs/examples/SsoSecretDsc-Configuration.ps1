<#
.SYNOPSIS
    A DSC configuration for the Windows PowerShell 5.1 Local Configuration Manager: a master secret on this node,
    generated with its backup if missing, and a backup of it that is kept valid and younger than 30 days.

.DESCRIPTION
    Compile it on Windows PowerShell 5.1 with SsoSecretDsc and SsoSecret installed side by side in a PSModulePath
    folder, on the node and where you compile (the resources are SsoSecretDsc's; it requires SsoSecret). The backup
    password travels in the MOF as a credential, so the MOF must be encrypted with the node's DSC certificate
    (CertificateFile and Thumbprint below; see "Securing the MOF file" in the DSC docs).
    Never set PSDscAllowPlainTextPassword for it: the MOF would then hold the password in clear text.

    docs/guide-dsc.md explains every property. For PowerShell 7 (Invoke-DscResource -ModuleName SsoSecretDsc, or DSC
    v3's SsoSecretDsc/SsoMasterSecret types), or without an engine, see the guide and SsoSecretDsc-Direct.ps1.

.EXAMPLE
    . .\SsoSecretDsc-Configuration.ps1
    $credential = Get-Credential -UserName 'backup' -Message 'Master secret backup password'
    SsoMasterSecretConfiguration -ConfigurationData $ConfigurationData -BackupCredential $credential -OutputPath .\SsoMof
    Start-DscConfiguration -Path .\SsoMof -Wait -Verbose
#>

Configuration SsoMasterSecretConfiguration {
    param(
        # The backup password; the user name is ignored.
        [Parameter(Mandatory = $true)]
        [pscredential] $BackupCredential
    )

    Import-DscResource -ModuleName PSDesiredStateConfiguration
    Import-DscResource -ModuleName SsoSecretDsc -ModuleVersion 1.0.0

    Node $AllNodes.NodeName {
        # Keep backups on another disk than the store, as the ENTSSO documentation advises.
        File SsoBackupFolder {
            DestinationPath = 'D:\SsoBackups'
            Type            = 'Directory'
            Ensure          = 'Present'
        }

        # Generates a secret (and its first backup) only if the store holds none; never replaces one.
        SsoMasterSecret MasterSecret {
            StorePath    = 'C:\ProgramData\SsoSecret'
            BackupPath   = 'D:\SsoBackups\master-secret-generated.bak'
            Credential   = $BackupCredential
            PasswordHint = 'The vault entry "SSO master secret", 2026'
            KdfProfile   = 'Moderate'
            DependsOn    = '[File]SsoBackupFolder'
        }

        # A backup of the current secret that opens with the password and is younger than 30 days; rewritten
        # (verified before the old file is replaced) when it is missing, damaged, stale, or of another secret.
        SsoMasterSecretBackup MonthlyBackup {
            Path         = 'D:\SsoBackups\master-secret.bak'
            StorePath    = 'C:\ProgramData\SsoSecret'
            Credential   = $BackupCredential
            PasswordHint = 'The vault entry "SSO master secret", 2026'
            MaximumAge   = 30
            DependsOn    = '[SsoMasterSecret]MasterSecret'
        }
    }
}

# The node's DSC encryption certificate protects the password inside the MOF.
$ConfigurationData = @{
    AllNodes = @(
        @{
            NodeName        = 'localhost'
            CertificateFile = 'C:\DscCertificates\localhost.cer'
            Thumbprint      = '0000000000000000000000000000000000000000'
        }
    )
}
