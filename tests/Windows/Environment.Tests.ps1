# An environment on Windows (under Wine): a master and a replica, two stores on this machine, each with its key file
# protected with DPAPI (docs/environment-format.md, protection 1) under the store folder's own ACL; the master's ring
# and vault sealed to the replica and installed there; values and vault entries opening on both sides; a key file
# whose DPAPI blob was altered refused. What the lane cannot show (WinRM, two real Windows machines, a key file carried
# to another machine) docs/security.md says.

BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsHelpers.ps1')

    function Get-Refusal([scriptblock] $Script) {
        try { & $Script; $null } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
    }

    $script:Master = New-WorkSecret
    $script:Replica = New-WorkPath 'replica'
    $script:MasterKey = Join-Path $Master.Store 'environment.key'
    $script:HostKey = Join-Path $Replica 'replica-host.key'
}

AfterAll {
    Restore-WindowsTestEnvironment
}

Describe 'On Windows, an environment' {
    It 'makes the master''s environment key a DPAPI-protected file open to this account and SYSTEM only' {
        $environment = Initialize-SsoEnvironment -StorePath $Master.Store
        $environment.Role | Should -Be 'Master'
        $script:Identity = $environment
        $bytes = [System.IO.File]::ReadAllBytes($MasterKey)
        $bytes[10] | Should -Be 2 -Because 'kind 2: a master''s environment key'
        $bytes[11] | Should -Be 1 -Because 'protection 1: the private key is a DPAPI blob on Windows'
        $bytes.Length | Should -BeGreaterThan 134 -Because 'a DPAPI blob is longer than the 32-byte key'
        $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
        $sddl = Get-Sddl $MasterKey
        $sids = @([regex]::Matches($sddl, '\(A;[^;]*;[^;]*;;;([^)]+)\)') | ForEach-Object { $_.Groups[1].Value })
        $sids | Should -Not -BeNullOrEmpty
        foreach ($sid in $sids) { $sid | Should -BeIn @($me, 'SY', 'BA', 'S-1-5-18', 'S-1-5-32-544') -Because "the key file must not be open to $sid" }
        # Read back through DPAPI: the same identity again.
        (Get-SsoEnvironment -StorePath $Master.Store).MasterFingerprint | Should -Be $environment.MasterFingerprint
    }

    It 'joins a replica whose host key is DPAPI-protected, pinned to the master by its fingerprint' {
        $joined = Join-SsoEnvironment -StorePath $Replica -EnvironmentId $Identity.EnvironmentId -MasterPublicKey $Identity.MasterPublicKey -MasterFingerprint $Identity.MasterFingerprint
        $joined.Role | Should -Be 'Replica'
        $bytes = [System.IO.File]::ReadAllBytes($HostKey)
        $bytes[10] | Should -Be 1 -Because 'kind 1: a replica''s host key'
        $bytes[11] | Should -Be 1 -Because 'protection 1: DPAPI'
        $script:HostLine = $joined.HostPublicKey
        $HostLine | Should -Match '^ssosecret-replica1'
    }

    It 'installs the master''s ring and vault on the replica: values and vault entries open on both sides' {
        Invoke-Vault Set $Master.Store 'billing/db' ([pscredential]::new('CONTOSO\svc-billing', (ConvertTo-SecureString 'Wine-environment-1' -AsPlainText -Force)))
        $sealed = Export-SsoSealedRing -StorePath $Master.Store -ReplicaPublicKey $HostLine
        $result = Import-SsoSealedRing -StorePath $Replica -SealedRing $sealed.Data
        $result.Installed | Should -BeTrue
        $result.VaultInstalled | Should -BeTrue
        (Invoke-Vault Get $Replica 'billing/db').GetNetworkCredential().Password | Should -Be 'Wine-environment-1'
        $token = Protect-SsoData -StorePath $Master.Store -InputObject 'on the master' -Purpose 'app/db'
        Unprotect-SsoData -StorePath $Replica -InputObject $token -Purpose 'app/db' -AsPlainText | Should -Be 'on the master'
        # The replica's vault is the master's: it refuses to change it.
        Get-Refusal { Invoke-Vault Set $Replica 'billing/db' 'changed' } | Should -Be 'SsoSecret.StoreIsReplica'
        # Again: nothing to install.
        (Import-SsoSealedRing -StorePath $Replica -SealedRing $sealed.Data).Installed | Should -BeFalse
    }

    It 'refuses a host key file whose DPAPI blob was altered (checksum made again): SsoSecret.DamagedEnvironmentKey' {
        $saved = [System.IO.File]::ReadAllBytes($HostKey)
        try {
            $bytes = [byte[]]$saved.Clone()
            $bytes[80] = $bytes[80] -bxor 1    # inside the DPAPI blob (the private part starts at byte 70)
            [System.Security.Cryptography.SHA256]::HashData([byte[]]$bytes[0..($bytes.Length - 33)]).CopyTo($bytes, $bytes.Length - 32)
            [System.IO.File]::WriteAllBytes($HostKey, $bytes)
            $sealed = Export-SsoSealedRing -StorePath $Master.Store -ReplicaPublicKey $HostLine
            Get-Refusal { Import-SsoSealedRing -StorePath $Replica -SealedRing $sealed.Data -ErrorAction Stop } | Should -Be 'SsoSecret.DamagedEnvironmentKey'
        }
        finally {
            [System.IO.File]::WriteAllBytes($HostKey, $saved)
        }

        (Get-SsoEnvironment -StorePath $Replica).HostPublicKey | Should -Be $HostLine
    }
}
