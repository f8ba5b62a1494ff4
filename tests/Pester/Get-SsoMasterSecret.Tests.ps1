BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Folder = New-TestFolder 'get'
    $script:Store = New-TestPath 'store'
    $script:Backup = Join-Path $Folder 'secret.bak'
    $script:Created = New-TestSecret -StorePath $Store -BackupPath $Backup

    # A store made by restoring an old backup (golden file of 2026-01-01): its last backup is that file, long ago.
    $script:OldBackup = Join-Path $Folder 'old.bak'
    Copy-Item (Join-Path $PSScriptRoot '../SsoSecret.Tests/TestData/golden/v1-binary.bak') $OldBackup
    $script:RestoredStore = New-TestPath 'restored'
    $oldPassword = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
    $null = Restore-SsoMasterSecret -Path $OldBackup -Password $oldPassword -StorePath $RestoredStore -Force
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Get-SsoMasterSecret' {
    It 'fails with NoMasterSecret on a store that does not exist, and does not create it' {
        $empty = New-TestPath 'empty'
        { Get-SsoMasterSecret -StorePath $empty } | Should -Throw -ErrorId 'SsoSecret.NoMasterSecret,*'
        $empty | Should -Not -Exist
    }

    It 'fails with NoMasterSecret on an empty store folder' {
        $empty = New-TestFolder 'empty'
        if ($OnUnix) { chmod 700 $empty }
        { Get-SsoMasterSecret -StorePath $empty } | Should -Throw -ErrorId 'SsoSecret.NoMasterSecret,*'
        Get-FileNames $empty | Should -HaveCount 0
    }

    It 'shows the secret''s id, fingerprint, dates and last backup' {
        $info = Get-SsoMasterSecret -StorePath $Store
        $info | Should -BeOfType ([SsoSecret.SsoMasterSecretInfo])
        $info.SecretId | Should -Be $Created.SecretId
        $info.Fingerprint | Should -Be $Created.Fingerprint
        $info.Fingerprint | Should -MatchExactly '^[0-9a-f]{32}$'
        $info.Created | Should -Be $Created.Created
        $info.Created.Kind | Should -Be 'Utc'
        $info.StorePath | Should -Be $Store
        $info.LastBackupPath | Should -Be $Backup
        $info.LastBackupTime | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-10))
        $info.HasPreviousSecret | Should -BeFalse
        $info.PreviousSecretId | Should -BeNullOrEmpty
        $info.PreviousSecretReplaced | Should -BeNullOrEmpty
    }

    It 'gives its times as UTC (Kind Utc), and its table and list views say so' {
        $info = Get-SsoMasterSecret -StorePath $Store
        $info.Created.Kind | Should -Be 'Utc'
        $info.LastBackupTime.Kind | Should -Be 'Utc'
        $table = $info | Format-Table | Out-String -Width 200
        $table | Should -Match 'LastBackup \(UTC\)'
        $table | Should -Match ([regex]::Escape($info.LastBackupTime.ToString('yyyy-MM-dd HH:mm', [cultureinfo]::InvariantCulture)))
        $list = $info | Format-List | Out-String -Width 200
        $list | Should -Match ('Created\s+: ' + [regex]::Escape($info.Created.ToString('yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture)) + ' UTC')
        $list | Should -Match ('LastBackupTime\s+: ' + [regex]::Escape($info.LastBackupTime.ToString('yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture)) + ' UTC')
        foreach ($name in 'SecretId', 'Fingerprint', 'StorePath', 'LastBackupPath', 'HasPreviousSecret', 'PreviousSecretId', 'PreviousSecretReplaced') {
            $list | Should -Match "(?m)^$name\s+:" -Because "the list view shows every property ($name)"
        }
    }

    It 'writes the times of the backups and test results as UTC in their list views too' {
        $backupInfo = Get-SsoSecretBackupInfo -LiteralPath $Backup
        $backupInfo.Created.Kind | Should -Be 'Utc'
        ($backupInfo | Format-List | Out-String -Width 200) |
            Should -Match ('Created\s+: ' + [regex]::Escape($backupInfo.Created.ToString('yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture)) + ' UTC')
        ($backupInfo | Format-Table | Out-String -Width 200) | Should -Match 'Created \(UTC\)'
        $result = Test-SsoSecretBackup -LiteralPath $Backup -Detailed
        $result.Created.Kind | Should -Be 'Utc'
        ($result | Format-List | Out-String -Width 200) | Should -Match 'Created\s+: .* UTC'
    }

    It 'keeps Kind Utc through serialization (a job, remoting, Export-Clixml)' {
        $path = Join-Path $TestDrive 'info.xml'
        Get-SsoMasterSecret -StorePath $Store | Export-Clixml -LiteralPath $path
        (Import-Clixml -LiteralPath $path).LastBackupTime.Kind | Should -Be 'Utc'
    }

    It 'never shows the secret itself' {
        $info = Get-SsoMasterSecret -StorePath $Store
        $info.PSObject.Properties.Name | Should -Not -Contain 'Secret'
        $info.PSObject.Properties.Name | Should -Not -Contain 'Key'
    }

    It 'does not warn about a secret that was backed up' {
        $null = Get-SsoMasterSecret -StorePath $Store -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 0
    }

    It 'warns when the last backup is older than 30 days (a store restored from an old backup)' {
        $info = Get-SsoMasterSecret -StorePath $RestoredStore -WarningVariable warnings -WarningAction SilentlyContinue
        $info.SecretId | Should -Be '6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f'
        $info.LastBackupTime | Should -Be ([datetime]::new(2026, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
        $info.LastBackupPath | Should -Be $OldBackup
        $warnings | Should -HaveCount 1
    }

    It 'stops warning once the secret is backed up' {
        $store = Copy-TestStore $RestoredStore
        $path = Join-Path $Folder 'after-restore.bak'
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $store
        $info = Get-SsoMasterSecret -StorePath $store -WarningVariable warnings -WarningAction SilentlyContinue
        $info.LastBackupPath | Should -Be $path
        $warnings | Should -HaveCount 0
    }

    It 'reads the store named by $env:SSOSECRET_STORE' {
        $saved = $env:SSOSECRET_STORE
        try {
            $env:SSOSECRET_STORE = $Store
            $info = Get-SsoMasterSecret
            $info.StorePath | Should -Be $Store
            $info.SecretId | Should -Be $Created.SecretId
        }
        finally {
            $env:SSOSECRET_STORE = $saved
        }
    }

    It 'prefers -StorePath over $env:SSOSECRET_STORE' {
        $saved = $env:SSOSECRET_STORE
        try {
            $env:SSOSECRET_STORE = New-TestPath 'elsewhere'
            (Get-SsoMasterSecret -StorePath $Store).StorePath | Should -Be $Store
        }
        finally {
            $env:SSOSECRET_STORE = $saved
        }
    }

    It 'resolves a relative -StorePath against the PowerShell location' {
        Push-Location (Split-Path $Store)
        try {
            [System.Environment]::CurrentDirectory | Should -Not -Be (Split-Path $Store)
            $info = Get-SsoMasterSecret -StorePath (Split-Path $Store -Leaf)
        }
        finally {
            Pop-Location
        }
        $info.StorePath | Should -Be $Store
    }

    It 'refuses a -StorePath that is not on the file system (PathNotFileSystem)' {
        { Get-SsoMasterSecret -StorePath 'env:SSOSECRET_STORE' } | Should -Throw -ErrorId 'SsoSecret.PathNotFileSystem,*'
    }

    It 'fails with StoreDamaged on a store file that was altered' {
        $store = Copy-TestStore $Store
        $file = Get-StoreFile $store
        $data = [System.IO.File]::ReadAllBytes($file)
        $data[20] = $data[20] -bxor 1
        [System.IO.File]::WriteAllBytes($file, $data)
        { Get-SsoMasterSecret -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.StoreDamaged,*'
    }

    Context 'on Unix, a store open to other users' -Skip:([System.IO.Path]::DirectorySeparatorChar -eq '\') {
        It 'is refused (StoreInsecure) when the folder is mode 755' {
            $store = Copy-TestStore $Store
            chmod 755 $store
            { Get-SsoMasterSecret -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.StoreInsecure,*'
            chmod 700 $store
            (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $Created.SecretId
        }

        It 'is refused (StoreInsecure) when the store file is mode 644' {
            $store = Copy-TestStore $Store
            chmod 644 (Get-StoreFile $store)
            { Get-SsoMasterSecret -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.StoreInsecure,*'
            chmod 600 (Get-StoreFile $store)
            (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $Created.SecretId
        }

        It 'keeps the store folder 0700 and its files 0600' {
            [System.IO.File]::GetUnixFileMode($Store) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
            foreach ($file in [System.IO.Directory]::GetFiles($Store)) {
                [System.IO.File]::GetUnixFileMode($file) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') -Because $file
            }
        }
    }
}
