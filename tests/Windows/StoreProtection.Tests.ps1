# What protects the Windows store: DPAPI (a damaged blob, a store copied from another machine) and the store's access
# control (the owner and DACL Windows reports, here as Wine builds them from the Unix mode bits; see docs/security.md).

BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsHelpers.ps1')
    # Made before this suite by the lane in the same prefix under another user name (tests/Windows/New-ForeignStore.ps1):
    # Wine derives its DPAPI key from the user name, so to this process that store comes from another machine.
    $script:Foreign = Get-Content -LiteralPath 'C:\SsoSecretLane\fixtures\foreign\foreign.json' -Raw | ConvertFrom-Json

    function Edit-StoreFile {
        # Changes the store file's bytes with a script block and recomputes its trailing SHA-256, as a forger who knows
        # the format would: only DPAPI can tell.
        param([string] $StorePath, [scriptblock] $Change)
        $file = Get-StoreFile $StorePath
        $data = [System.IO.File]::ReadAllBytes($file)
        & $Change $data
        Update-BackupChecksum $data
        [System.IO.File]::WriteAllBytes($file, $data)
    }

    function Grant-Everyone {
        # Adds an entry letting Everyone read a file or folder (Wine turns it into the Unix 'other' read bit).
        param([string] $Path)
        $item = Get-Item -LiteralPath $Path -Force
        $acl = [System.IO.FileSystemAclExtensions]::GetAccessControl($item)
        $inheritance = if ($item.PSIsContainer) { [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit' } else { 'None' }
        $rule = [System.Security.AccessControl.FileSystemAccessRule]::new([System.Security.Principal.SecurityIdentifier]'S-1-1-0', 'ReadAndExecute', $inheritance, 'None', 'Allow')
        $acl.AddAccessRule($rule)
        [System.IO.FileSystemAclExtensions]::SetAccessControl($item, $acl)
    }
}

AfterAll {
    Restore-WindowsTestEnvironment
}

Describe 'On Windows, a store whose DPAPI blob does not open' {
    It 'with a byte of its DPAPI blob changed (checksum recomputed) fails with StoreUnprotectFailed, not a Win32Exception' {
        $made = New-WorkSecret
        Edit-StoreFile $made.Store {
            param($data)
            # docs/store-format.md (version 2): the current secret's entry at 13 is id (16), created (8), L (2,
            # big-endian), the blob (L).
            $length = $data[37] * 256 + $data[38]
            $data[39 + $length - 1] = $data[39 + $length - 1] -bxor 0x01
        }
        $refusal = Get-Refusal { Get-SsoMasterSecret -StorePath $made.Store -ErrorAction Stop }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreUnprotectFailed,*'
        $refusal.Exception | Should -Not -BeOfType [System.ComponentModel.Win32Exception]
        $refusal.ErrorDetails.RecommendedAction | Should -Match 'Restore-SsoMasterSecret'
        (Get-Refusal { Protect-SsoData -InputObject 'x' -Purpose 'p' -StorePath $made.Store -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.StoreUnprotectFailed,*'
    }

    It 'with a changed byte outside the blob is StoreDamaged (the checksum), not a DPAPI failure' {
        $made = New-WorkSecret
        $file = Get-StoreFile $made.Store
        $data = [System.IO.File]::ReadAllBytes($file)
        $data[14] = $data[14] -bxor 0x01
        [System.IO.File]::WriteAllBytes($file, $data)
        (Get-Refusal { Get-SsoMasterSecret -StorePath $made.Store -ErrorAction Stop }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreDamaged,*'
    }

    It 'made on another machine (copied here) fails with StoreUnprotectFailed, and its backup restores it here' {
        $copy = New-WorkPath 'copied'
        $null = New-Item -ItemType Directory -Path $copy
        Copy-Item -LiteralPath (Join-Path $Foreign.Store 'master-secret.dat') -Destination $copy
        $refusal = Get-Refusal { Get-SsoMasterSecret -StorePath $copy -ErrorAction Stop }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreUnprotectFailed,*'
        $refusal.Exception.Message | Should -Match 'another machine'
        # The way out the advice names: restore from the backup into this machine's store.
        $restored = New-WorkPath 'from-foreign'
        $result = Restore-SsoMasterSecret -LiteralPath $Foreign.Backup -Password $Password -StorePath $restored -PassThru
        $result.Fingerprint | Should -Be $Foreign.Fingerprint
        (Get-SsoMasterSecret -StorePath $restored).SecretId | Should -Be ([guid]$Foreign.SecretId)
    }

    It 'made on another machine is never replaced by Restore-SsoMasterSecret without -Force' {
        $copy = New-WorkPath 'copied-kept'
        $null = New-Item -ItemType Directory -Path $copy
        Copy-Item -LiteralPath (Join-Path $Foreign.Store 'master-secret.dat') -Destination $copy
        $before = Get-FolderSnapshot $copy
        (Get-Refusal { Restore-SsoMasterSecret -LiteralPath $Foreign.Backup -Password $Password -StorePath $copy -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.Store*'
        Get-FolderSnapshot $copy | Should -Be $before
    }
}

Describe 'On Windows, the store''s access control' {
    It 'is what the module made: owned by this account, open to this account and SYSTEM only (as Wine reports it)' {
        $made = New-WorkSecret
        $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
        foreach ($path in $made.Store, (Get-StoreFile $made.Store)) {
            $sddl = Get-Sddl $path
            $sddl | Should -Match "^O:$me"
            $sids = @([regex]::Matches($sddl, '\(A;[^;]*;[^;]*;;;([^)]+)\)') | ForEach-Object { $_.Groups[1].Value })
            $sids | Should -Not -BeNullOrEmpty
            foreach ($sid in $sids) { $sid | Should -BeIn @($me, 'SY', 'BA', 'S-1-5-18', 'S-1-5-32-544') -Because "$path must not be open to $sid" }
        }
    }

    It 'is refused with StoreInsecure, naming Everyone and the icacls line, once the store file is open to Everyone' {
        $made = New-WorkSecret
        Grant-Everyone (Get-StoreFile $made.Store)
        Get-Sddl (Get-StoreFile $made.Store) | Should -Match ';;;WD\)'
        $refusal = Get-Refusal { Get-SsoMasterSecret -StorePath $made.Store -ErrorAction Stop }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreInsecure,*'
        $refusal.Exception.Message | Should -Match 'Everyone'
        $refusal.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape('/remove:g *S-1-1-0'))
        $refusal.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("icacls `"$($made.Store)`" /inheritance:r"))
    }

    It 'is refused with StoreInsecure once the store folder is open to Everyone, before the secret is read' {
        $made = New-WorkSecret
        Grant-Everyone $made.Store
        (Get-Refusal { Protect-SsoData -InputObject 'x' -Purpose 'p' -StorePath $made.Store -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.StoreInsecure,*'
        (Get-Refusal { Backup-SsoMasterSecret -Path "$(New-WorkPath 'refused').bak" -StorePath $made.Store -Password $Password -KdfParameters $TinyKdf -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.StoreInsecure,*'
    }

    It 'judges the folder''s DACL as Wine keeps it when the lane''s switch is off: inherited, so StoreInsecure' {
        $made = New-WorkSecret
        Set-TestSupport AssumeProtectedFolderDacl $false
        try {
            $refusal = Get-Refusal { Get-SsoMasterSecret -StorePath $made.Store -ErrorAction Stop }
        }
        finally {
            Set-TestSupport AssumeProtectedFolderDacl $true
        }
        Get-Sddl $made.Store | Should -Not -Match '^[^(]*D:[A-Z]*P'
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreInsecure,*'
        $refusal.Exception.Message | Should -Match 'inheritance is on'
    }

    It 'of a per-user store (under the profile) allows this account alone, so the SYSTEM entry Wine always adds is refused' {
        # The profile as the module finds it (SHGetFolderPath), not $env:USERPROFILE, which Wine may take from another run.
        $store = Join-Path ([System.Environment]::GetFolderPath('UserProfile')) ('ssosecret-lane-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        try {
            $refusal = Get-Refusal { New-SsoMasterSecret -BackupPath "$(New-WorkPath 'per-user').bak" -StorePath $store -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -ErrorAction Stop }
            $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreInsecure,*'
            $refusal.Exception.Message | Should -Match 'SYSTEM'
            Get-Sddl $store | Should -Match '\(A;OICI;FA;;;SY\)'
        }
        finally {
            Remove-Item -LiteralPath $store -Recurse -Force -ErrorAction Ignore
        }
    }
}
