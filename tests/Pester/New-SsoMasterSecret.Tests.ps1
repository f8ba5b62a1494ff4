BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # One store with a secret and its backup, for the tests that must find it unchanged.
    $script:Folder = New-TestFolder 'new'
    $script:Store = New-TestPath 'store'
    $script:Backup = Join-Path $Folder 'first.bak'
    $script:First = New-TestSecret -StorePath $Store -BackupPath $Backup
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'New-SsoMasterSecret' {
    Context 'in an empty store' {
        It 'installs a new secret and outputs its information' {
            $First | Should -BeOfType ([SsoSecret.SsoMasterSecretInfo])
            $First.SecretId | Should -Not -Be ([guid]::Empty)
            $First.Fingerprint | Should -MatchExactly '^[0-9a-f]{32}$'
            $First.StorePath | Should -Be $Store
            $First.LastBackupPath | Should -Be $Backup
            $First.LastBackupTime | Should -Not -BeNullOrEmpty
            $First.Created | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-10))
            $First.HasPreviousSecret | Should -BeFalse
            $First.PreviousSecretId | Should -BeNullOrEmpty

            $stored = Get-SsoMasterSecret -StorePath $Store -WarningVariable warnings -WarningAction SilentlyContinue
            $stored.SecretId | Should -Be $First.SecretId
            $stored.Fingerprint | Should -Be $First.Fingerprint
            $warnings | Should -HaveCount 0
        }

        It 'writes a backup that opens with the password and holds the current secret' {
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store -Detailed
            $result.Status | Should -Be 'Valid'
            $result.PasswordVerified | Should -BeTrue
            $result.MatchesCurrentSecret | Should -BeTrue
            $result.SecretId | Should -Be $First.SecretId
            $result.PasswordHint | Should -Be $Hint
            Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store | Should -BeTrue
        }

        It 'uses the Moderate KDF profile by default (256 MiB, 3 passes, 4 lanes)' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'moderate.bak'
            $null = New-SsoMasterSecret -BackupPath $path -StorePath $store -Password $Password
            $kdf = (Get-SsoSecretBackupInfo -Path $path).Kdf
            $kdf.MemoryKiB | Should -Be 262144
            $kdf.Iterations | Should -Be 3
            $kdf.Parallelism | Should -Be 4
        }

        It 'takes the password from -Credential and ignores the user name' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'credential.bak'
            $credential = [pscredential]::new('somebody-irrelevant', $Password)
            $info = New-SsoMasterSecret -BackupPath $path -StorePath $store -Credential $credential -KdfProfile Interactive -PasswordHint $Hint -PassThru
            $result = Test-SsoSecretBackup -Path $path -Password $Password -StorePath $store -Detailed
            $result.Status | Should -Be 'Valid'
            $result.MatchesCurrentSecret | Should -BeTrue
            $result.SecretId | Should -Be $info.SecretId
        }

        It 'writes the armored form with -Armor' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'armored.bak'
            $null = New-TestSecret -StorePath $store -BackupPath $path -Armor
            (Get-Content -LiteralPath $path -TotalCount 1) | Should -BeExactly '-----BEGIN SSOSECRET BACKUP-----'
            (Get-SsoSecretBackupInfo -Path $path).Armored | Should -BeTrue
        }

        It 'resolves a relative -BackupPath and -StorePath against the PowerShell location' {
            $folder = New-TestFolder 'relative'
            Push-Location $folder
            try {
                [System.Environment]::CurrentDirectory | Should -Not -Be $folder
                $info = New-SsoMasterSecret -BackupPath 'rel.bak' -StorePath 'rel-store' -Password $Password -PasswordHint $Hint -KdfProfile Interactive -PassThru
            }
            finally {
                Pop-Location
            }
            $info.StorePath | Should -Be (Join-Path $folder 'rel-store')
            $info.LastBackupPath | Should -Be (Join-Path $folder 'rel.bak')
            Join-Path $folder 'rel.bak' | Should -Exist
        }
    }

    Context 'when the store already holds a secret' {
        It 'refuses without -Force (MasterSecretExists), leaves the store as it was and writes no backup' {
            $storeBefore = Get-FolderSnapshot $Store
            $path = Join-Path $Folder 'refused.bak'
            { New-SsoMasterSecret -BackupPath $path -StorePath $Store -Password $Password -PasswordHint $Hint -KdfProfile Interactive } |
                Should -Throw -ErrorId 'SsoSecret.MasterSecretExists,*'
            Get-FolderSnapshot $Store | Should -Be $storeBefore
            $path | Should -Not -Exist
            (Get-SsoMasterSecret -StorePath $Store).SecretId | Should -Be $First.SecretId
        }

        It 'replaces it with -Force and keeps the old one as the previous secret' {
            $store = Copy-TestStore $Store
            $path = Join-Path $Folder 'forced.bak'
            $info = New-TestSecret -StorePath $store -BackupPath $path -Force
            $info.SecretId | Should -Not -Be $First.SecretId
            $info.Fingerprint | Should -Not -Be $First.Fingerprint
            $info.HasPreviousSecret | Should -BeTrue
            $info.PreviousSecretId | Should -Be $First.SecretId
            $info.PreviousSecretReplaced | Should -Not -BeNullOrEmpty
            $info.LastBackupPath | Should -Be $path

            $stored = Get-SsoMasterSecret -StorePath $store
            $stored.SecretId | Should -Be $info.SecretId
            $stored.PreviousSecretId | Should -Be $First.SecretId
            (Get-SsoSecretBackupInfo -Path $path).SecretId | Should -Be $info.SecretId
        }
    }

    Context 'when the backup path holds a backup of a secret the store still holds (the monthly cron line run twice)' {
        It 'New-SsoMasterSecret -Force over the current secret''s backup: BackupStillNeeded, nothing generated, the backup kept' {
            $store = New-TestPath 'cron-store'
            $path = Join-Path $Folder 'master.bak'
            $first = New-TestSecret -StorePath $store -BackupPath $path
            $digest = Get-FileDigest $path
            $storeBefore = Get-FolderSnapshot $store
            $caught = $null
            try { New-TestSecret -StorePath $store -BackupPath $path -Force } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupStillNeeded,*'
            $caught.Exception.Message | Should -BeLike "*'$path' is a backup of master secret $($first.SecretId)*which the store's key ring still holds as its current secret (this command makes it an earlier one)*"
            $caught.ErrorDetails.RecommendedAction | Should -BeLike '*another path*'
            Get-FileDigest $path | Should -Be $digest
            Get-FolderSnapshot $store | Should -Be $storeBefore
        }

        It 'Backup-SsoMasterSecret -Force over the previous secret''s backup: BackupStillNeeded; over the current one''s: replaced' {
            $store = New-TestPath 'cron-store2'
            $old = Join-Path $Folder 'old.bak'
            $first = New-TestSecret -StorePath $store -BackupPath $old
            $second = New-TestSecret -StorePath $store -BackupPath (Join-Path $Folder 'new.bak') -Force
            $digest = Get-FileDigest $old
            { Backup-SsoMasterSecret -Path $old -StorePath $store -Password $Password -KdfProfile Interactive -Force } |
                Should -Throw -ErrorId 'SsoSecret.BackupStillNeeded,*'
            Get-FileDigest $old | Should -Be $digest
            (Get-SsoSecretBackupInfo $old).SecretId | Should -Be $first.SecretId

            # A backup of the secret being written is replaced as -Force says (a new password, a fresh copy).
            Backup-SsoMasterSecret -Path (Join-Path $Folder 'new.bak') -StorePath $store -Password $Password -KdfProfile Interactive -Force
            (Get-SsoSecretBackupInfo (Join-Path $Folder 'new.bak')).SecretId | Should -Be $second.SecretId

            # Once the previous secret is retired, its old backup's path may be reused.
            Remove-SsoPreviousSecret -SecretId $first.SecretId -StorePath $store -Force
            Backup-SsoMasterSecret -Path $old -StorePath $store -Password $Password -KdfProfile Interactive -Force
            (Get-SsoSecretBackupInfo $old).SecretId | Should -Be $second.SecretId
        }
    }

    Context 'when another process holds the store' {
        It 'fails with StoreBusy once the lock wait is over, and writes no backup' {
            $store = Copy-TestStore $Store
            $before = Get-FolderSnapshot $store
            $path = Join-Path $Folder 'busy.bak'
            $savedTimeout = $env:SSOSECRET_LOCK_TIMEOUT_SECONDS
            $lock = [System.IO.FileStream]::new((Join-Path $store 'store.lock'), 'OpenOrCreate', 'ReadWrite', 'None')
            try {
                $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = '0.2'
                { New-TestSecret -StorePath $store -BackupPath $path -Force } | Should -Throw -ErrorId 'SsoSecret.StoreBusy,*'
            }
            finally {
                $lock.Dispose()
                $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = $savedTimeout
            }
            $path | Should -Not -Exist
            Get-FolderSnapshot $store | Should -Be $before
        }
    }

    Context 'when the backup file already exists' {
        It 'refuses without -Force (BackupExists) and changes nothing' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'taken.bak'
            Set-Content -LiteralPath $path -Value 'precious' -Encoding utf8
            $before = Get-FileDigest $path
            { New-TestSecret -StorePath $store -BackupPath $path } | Should -Throw -ErrorId 'SsoSecret.BackupExists,*'
            Get-FileDigest $path | Should -Be $before
            $store | Should -Not -Exist
        }

        It 'refuses a folder as the backup path (PathIsFolder)' {
            $store = New-TestPath 'store'
            { New-TestSecret -StorePath $store -BackupPath $Folder } | Should -Throw -ErrorId 'SsoSecret.PathIsFolder,*'
            $store | Should -Not -Exist
        }
    }

    Context 'with a bad password or hint' {
        It 'refuses a password of <Name> (WeakPassword)' -ForEach @(
            @{ Name = 'seven characters'; Text = 'abcdefg' }
            @{ Name = 'no characters'; Text = '' }
        ) {
            $secure = [securestring]::new()
            foreach ($c in $Text.ToCharArray()) { $secure.AppendChar($c) }
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'weak.bak'
            { New-SsoMasterSecret -BackupPath $path -StorePath $store -Password $secure -PasswordHint 'x' -KdfProfile Interactive } |
                Should -Throw -ErrorId 'SsoSecret.WeakPassword,*'
            $store | Should -Not -Exist
            $path | Should -Not -Exist
        }

        It 'refuses a hint of 513 characters (HintTooLong)' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'long-hint.bak'
            { New-TestSecret -StorePath $store -BackupPath $path -PasswordHint ('h' * 513) } |
                Should -Throw -ErrorId 'SsoSecret.HintTooLong,*'
            $store | Should -Not -Exist
            $path | Should -Not -Exist
        }

        It 'refuses a hint with a control character (InvalidHint)' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'control-hint.bak'
            { New-TestSecret -StorePath $store -BackupPath $path -PasswordHint "line one`nline two" } |
                Should -Throw -ErrorId 'SsoSecret.InvalidHint,*'
            $path | Should -Not -Exist
        }

        It 'refuses a hint that contains the password in any case (HintRevealsPassword)' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'revealing.bak'
            { New-TestSecret -StorePath $store -BackupPath $path -PasswordHint 'it is CORRECT Horse BATTERY staple, of course' } |
                Should -Throw -ErrorId 'SsoSecret.HintRevealsPassword,*'
            $store | Should -Not -Exist
            $path | Should -Not -Exist
        }

        It 'fails at once with PasswordRequired when no password is given in a non-interactive session' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'no-password.bak'
            $elapsed = Measure-Command {
                { New-SsoMasterSecret -BackupPath $path -StorePath $store -PasswordHint 'x' -KdfProfile Interactive } |
                    Should -Throw -ErrorId 'SsoSecret.PasswordRequired,*'
            }
            # A prompt would wait for ever; a loaded machine can take seconds to fail (never a minute).
            $elapsed.TotalSeconds | Should -BeLessThan 60
            $store | Should -Not -Exist
            $path | Should -Not -Exist
        }
    }

    Context 'with -WhatIf' {
        It 'creates no store and writes no file' {
            $store = New-TestPath 'store'
            $path = Join-Path $Folder 'whatif.bak'
            $output = New-SsoMasterSecret -BackupPath $path -StorePath $store -Password $Password -PasswordHint $Hint -KdfProfile Interactive -WhatIf
            $output | Should -BeNullOrEmpty
            $store | Should -Not -Exist
            $path | Should -Not -Exist
        }

        It 'leaves an existing store untouched, even with -Force' {
            $before = Get-FolderSnapshot $Store
            $path = Join-Path $Folder 'whatif-force.bak'
            $output = New-SsoMasterSecret -BackupPath $path -StorePath $Store -Password $Password -PasswordHint $Hint -KdfProfile Interactive -Force -WhatIf
            $output | Should -BeNullOrEmpty
            Get-FolderSnapshot $Store | Should -Be $before
            $path | Should -Not -Exist
        }
    }

    Context 'with a path that is not on the file system' {
        It 'refuses <Path> (PathNotFileSystem)' -ForEach @(
            @{ Path = 'env:SSOSECRET_TEST_NOT_A_FILE' }
            @{ Path = 'function:ssosecret-test-x' }
        ) {
            $store = New-TestPath 'store'
            { New-TestSecret -StorePath $store -BackupPath $Path } | Should -Throw -ErrorId 'SsoSecret.PathNotFileSystem,*'
            $store | Should -Not -Exist
            Test-Path $Path | Should -BeFalse
        }
    }
}

Describe 'New-SsoMasterSecret with a store path that is a file' {
    BeforeAll {
        Import-Module $env:SSOSECRET_TEST_MODULE -Force
    }

    It 'fails with SsoSecret.StoreUnavailable and writes nothing' {
        $file = Join-Path $TestDrive 'store-is-a-file'
        Set-Content -Path $file -Value 'x'
        $backup = Join-Path $TestDrive 'never.bak'
        $pw = ConvertTo-SecureString 'a long enough password' -AsPlainText -Force
        { New-SsoMasterSecret -BackupPath $backup -Password $pw -StorePath $file -KdfProfile Interactive } |
            Should -Throw -ErrorId 'SsoSecret.StoreUnavailable,*'
        Test-Path $backup | Should -BeFalse
        Get-Content $file | Should -Be 'x'
    }
}
