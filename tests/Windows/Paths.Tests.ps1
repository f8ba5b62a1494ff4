# Windows paths as users give them (the default store, relative, drive-letter, forward-slash and \\?\ paths), and runs
# with no one to answer a prompt, which must fail at once with the module's own error rather than wait.

BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsHelpers.ps1')
}

AfterAll {
    Restore-WindowsTestEnvironment
}

Describe 'On Windows, the default store' {
    BeforeAll {
        $script:DefaultStore = Join-Path $env:ProgramData 'SsoSecret'
        # This prefix is the lane's own: no store of anyone's lives here (the lane removes it before each run too).
        Remove-Item -LiteralPath $DefaultStore -Recurse -Force -ErrorAction Ignore
        $script:SavedStore = $env:SSOSECRET_STORE
        Remove-Item Env:SSOSECRET_STORE
    }

    AfterAll {
        $env:SSOSECRET_STORE = $SavedStore
        Remove-Item -LiteralPath $DefaultStore -Recurse -Force -ErrorAction Ignore
    }

    It 'is %ProgramData%\SsoSecret (C:\ProgramData\SsoSecret) when neither -StorePath nor $env:SSOSECRET_STORE is given' {
        $DefaultStore | Should -Be 'C:\ProgramData\SsoSecret'
        $made = New-SsoMasterSecret -BackupPath "$(New-WorkPath 'default').bak" -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -PassThru
        $made.StorePath | Should -Be $DefaultStore
        Test-Path -LiteralPath (Join-Path $DefaultStore 'master-secret.dat') -PathType Leaf | Should -BeTrue
        (Get-SsoMasterSecret).SecretId | Should -Be $made.SecretId
    }

    It 'is the one $env:SSOSECRET_STORE names when it is set' {
        $named = New-WorkPath 'variable-store'
        $env:SSOSECRET_STORE = $named
        try {
            $made = New-SsoMasterSecret -BackupPath "$(New-WorkPath 'variable').bak" -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -PassThru
            $made.StorePath | Should -Be $named
            (Get-SsoMasterSecret).SecretId | Should -Be $made.SecretId
        }
        finally {
            Remove-Item Env:SSOSECRET_STORE
        }
        (Get-SsoMasterSecret).SecretId | Should -Not -Be $made.SecretId
    }
}

Describe 'On Windows, paths' {
    It 'that are relative are relative to PowerShell''s location, not the process''s working folder' {
        $folder = New-WorkPath 'relative'
        $null = New-Item -ItemType Directory -Path $folder
        Push-Location -LiteralPath $folder
        try {
            [System.Environment]::CurrentDirectory | Should -Not -Be $folder
            $made = New-SsoMasterSecret -BackupPath 'relative.bak' -StorePath 'relative-store' -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -PassThru
            $made.StorePath | Should -Be (Join-Path $folder 'relative-store')
            (Get-SsoSecretBackupInfo -Path '.\relative.bak').SecretId | Should -Be $made.SecretId
            Test-SsoSecretBackup -Path 'relative.bak' -Password $Password -StorePath '.\relative-store' | Should -BeTrue
        }
        finally {
            Pop-Location
        }
        Test-Path -LiteralPath (Join-Path $folder 'relative-store\master-secret.dat') | Should -BeTrue
    }

    It 'with forward slashes name the same store and backup as with backslashes' {
        $store = New-WorkPath 'slash-store'
        $backup = "$(New-WorkPath 'slash').bak"
        $made = New-SsoMasterSecret -BackupPath ($backup -replace '\\', '/') -StorePath ($store -replace '\\', '/') -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -PassThru
        $made.StorePath | Should -Be $store
        (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $made.SecretId
        (Get-SsoMasterSecret -StorePath $store).LastBackupPath | Should -Be $backup
        (Get-SsoSecretBackupInfo -LiteralPath ($backup -replace '\\', '/')).SecretId | Should -Be $made.SecretId
    }

    It 'in the \\?\C:\ form name the same store as the drive-letter form' {
        $store = New-WorkPath 'long-store'
        $backup = "$(New-WorkPath 'long').bak"
        $made = New-SsoMasterSecret -BackupPath "\\?\$backup" -StorePath "\\?\$store" -Password $Password -PasswordHint $Hint -KdfParameters $TinyKdf -PassThru
        (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $made.SecretId
        (Get-SsoMasterSecret -StorePath "\\?\$store").Fingerprint | Should -Be $made.Fingerprint
        Test-SsoSecretBackup -LiteralPath "\\?\$backup" -Password $Password -StorePath $store | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $store 'master-secret.dat') | Should -BeTrue
    }

    It 'that name a folder where a backup file is expected are refused with PathIsFolder' {
        $made = New-WorkSecret
        (Get-Refusal { Backup-SsoMasterSecret -Path $Work -StorePath $made.Store -Password $Password -KdfParameters $TinyKdf -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.PathIsFolder,*'
    }
}

Describe 'On Windows, an unattended run (no one to answer)' {
    It 'without a password fails at once with PasswordRequired, and creates nothing' {
        $store = New-WorkPath 'unattended'
        $backup = "$(New-WorkPath 'unattended').bak"
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $refusal = Get-Refusal { New-SsoMasterSecret -BackupPath $backup -StorePath $store -KdfParameters $TinyKdf -ErrorAction Stop }
        $watch.Stop()
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PasswordRequired,*'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'it must not wait for an answer'
        Test-Path -LiteralPath $backup | Should -BeFalse
        Get-FolderSnapshot $store | Should -BeIn @('<missing>', '')
    }

    It 'restoring without a password fails at once with PasswordRequired, the store unchanged' {
        $made = New-WorkSecret
        $target = New-WorkPath 'restore-target'
        (Get-Refusal { Restore-SsoMasterSecret -LiteralPath $made.Backup -StorePath $target -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.PasswordRequired,*'
        (Get-Refusal { Get-SsoMasterSecret -StorePath $target -ErrorAction Stop }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.NoMasterSecret,*'
    }

    It 'retiring the previous secret without -Force fails with ConfirmationRequired, and removes nothing' {
        $made = New-WorkSecret
        $null = New-SsoMasterSecret -BackupPath "$(New-WorkPath 'next').bak" -StorePath $made.Store -Password $Password -KdfParameters $TinyKdf -Force
        (Get-Refusal { Remove-SsoPreviousSecret -SecretId $made.Info.SecretId -StorePath $made.Store -ErrorAction Stop }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.ConfirmationRequired,*'
        (Get-SsoMasterSecret -StorePath $made.Store).PreviousSecretId | Should -Be $made.Info.SecretId
    }
}
