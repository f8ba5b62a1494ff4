BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Folder = New-TestFolder 'restore'

    # Store A holds secret A; BackupA is its backup (binary) and ArmoredA its text form.
    $script:StoreA = New-TestPath 'store-a'
    $script:BackupA = Join-Path $Folder 'a.bak'
    $script:SecretA = New-TestSecret -StorePath $StoreA -BackupPath $BackupA
    $script:ArmoredA = Join-Path $Folder 'a.txt'
    Backup-SsoMasterSecret -Path $ArmoredA -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $StoreA -Armor

    # Secret B exists only in its backup (its store is not used again).
    $script:BackupB = Join-Path $Folder 'b.bak'
    $script:SecretB = New-TestSecret -StorePath (New-TestPath 'store-b') -BackupPath $BackupB

    # Broken copies of BackupB.
    $script:Bad = New-BadBackupSet -Source $BackupB -Folder (New-TestFolder 'bad')
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Restore-SsoMasterSecret' {
    Context 'into an empty store' {
        It 'brings back a secret backed up with Backup-SsoMasterSecret and checked with Test-SsoSecretBackup' {
            $path = Join-Path (New-TestFolder 'round-trip') 'round-trip.bak'
            Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $StoreA
            Test-SsoSecretBackup -Path $path -Password $Password -StorePath $StoreA | Should -BeTrue

            $other = New-TestPath 'other-store'
            Restore-SsoMasterSecret -Path $path -Password $Password -StorePath $other -Force
            $original = Get-SsoMasterSecret -StorePath $StoreA
            $restored = Get-SsoMasterSecret -StorePath $other -WarningAction SilentlyContinue
            $restored.SecretId | Should -Be $original.SecretId
            $restored.Fingerprint | Should -Be $original.Fingerprint
            $restored.StorePath | Should -Be $other
            (Test-SsoSecretBackup -Path $path -Password $Password -StorePath $other -Detailed).MatchesCurrentSecret | Should -BeTrue
        }

        It 'installs the secret of the backup with -Force: same SecretId and Fingerprint' {
            $store = New-TestPath 'empty'
            $output = Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -Force
            $output | Should -BeNullOrEmpty
            $info = Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue
            $info.SecretId | Should -Be $SecretA.SecretId
            $info.Fingerprint | Should -Be $SecretA.Fingerprint
            $info.HasPreviousSecret | Should -BeFalse
            $result = Test-SsoSecretBackup -Path $BackupA -Password $Password -StorePath $store -Detailed
            $result.MatchesCurrentSecret | Should -BeTrue
            if ($OnUnix) {
                [System.IO.File]::GetUnixFileMode($store) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
                [System.IO.File]::GetUnixFileMode((Get-StoreFile $store)) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
            }
        }

        It 'installs it with -Confirm:$false' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -Confirm:$false
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretA.SecretId
        }

        It 'asks no question, since nothing is replaced: restores without -Force even in a session that cannot ask' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretA.SecretId
        }

        It 'asks when -Confirm is given, so fails with ConfirmationRequired here and creates no store' {
            $store = New-TestPath 'empty'
            { Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -Confirm } |
                Should -Throw -ErrorId 'SsoSecret.ConfirmationRequired,*'
            $store | Should -Not -Exist
        }

        It 'asks when $ConfirmPreference is Medium, so fails with ConfirmationRequired here' {
            $store = New-TestPath 'empty'
            $ConfirmPreference = 'Medium'
            { Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store } |
                Should -Throw -ErrorId 'SsoSecret.ConfirmationRequired,*'
            $store | Should -Not -Exist
        }

        It 'restores the armored form' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -Path $ArmoredA -Password $Password -StorePath $store -Force
            $info = Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue
            $info.SecretId | Should -Be $SecretA.SecretId
            $info.Fingerprint | Should -Be $SecretA.Fingerprint
        }

        It 'restores the armored text itself: one string or its lines, given with -ArmoredText or piped, recording no backup file' {
            $text = Get-Content -LiteralPath $ArmoredA -Raw
            $lines = Get-Content -LiteralPath $ArmoredA
            $lines[1] | Should -BeLike 'Created: *'
            $lines | Should -Contain ''
            foreach ($case in @(
                    { param($Store) Restore-SsoMasterSecret -ArmoredText $text -Password $Password -StorePath $Store -PassThru }
                    { param($Store) Restore-SsoMasterSecret -ArmoredText $lines -Credential ([pscredential]::new('ignored', $Password)) -StorePath $Store -PassThru }
                    { param($Store) $text | Restore-SsoMasterSecret -Password $Password -StorePath $Store -PassThru }
                    { param($Store) $lines | Restore-SsoMasterSecret -Password $Password -StorePath $Store -PassThru })) {
                $store = New-TestPath 'store'
                $info = & $case $store
                $info.SecretId | Should -Be $SecretA.SecretId
                $info.Fingerprint | Should -Be $SecretA.Fingerprint
                # A text is no file: nothing is recorded as the last backup.
                $info.LastBackupPath | Should -BeNullOrEmpty
            }
            # A path piped as a string is still a path.
            $store = New-TestPath 'store'
            ($BackupA | Restore-SsoMasterSecret -Password $Password -StorePath $store -PassThru).LastBackupPath | Should -Be $BackupA
        }

        It 'shows the hint the sealed part holds, never a header line''s, and takes no other header line''s word either' {
            $forged = (Get-Content -LiteralPath $ArmoredA -Raw) -replace '(?m)^Hint: .*$', 'Hint: the forged reminder' -replace '(?m)^Secret-Id: .*$', "Secret-Id: $($SecretB.SecretId)"
            $forged | Should -Match 'Hint: the forged reminder'
            $store = New-TestPath 'store'
            $said = Restore-SsoMasterSecret -ArmoredText $forged -Password $Password -StorePath $store -PassThru -Verbose 4>&1
            ($said | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "Password reminder : $Hint"
            "$said" | Should -Not -Match 'forged'
            ($said | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).SecretId | Should -Be $SecretA.SecretId
        }

        It 'refuses a text that is not exactly one backup (DamagedBackup), and creates no store' {
            $lines = Get-Content -LiteralPath $ArmoredA
            $store = New-TestPath 'store'
            $withoutLine = $lines | Where-Object { $_ -ne ($lines | Where-Object { $_.Length -eq 64 } | Select-Object -Skip 1 -First 1) }
            { Restore-SsoMasterSecret -ArmoredText $withoutLine -Password $Password -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.DamagedBackup,*'
            { Restore-SsoMasterSecret -ArmoredText (@($lines) + @($lines)) -Password $Password -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.DamagedBackup,*'
            { $lines | Select-Object -SkipLast 1 | Restore-SsoMasterSecret -Password $Password -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.DamagedBackup,*'
            $store | Should -Not -Exist
        }

        It 'refuses an empty -Path (BackupNotFound)' {
            { Restore-SsoMasterSecret -Path '' -Password $Password -StorePath (New-TestPath 'store') } | Should -Throw -ErrorId 'SsoSecret.BackupNotFound,*'
        }

        It 'outputs the store''s information with -PassThru' {
            $store = New-TestPath 'empty'
            $info = Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -Force -PassThru
            $info | Should -BeOfType ([SsoSecret.SsoMasterSecretInfo])
            $info.SecretId | Should -Be $SecretA.SecretId
            $info.Fingerprint | Should -Be $SecretA.Fingerprint
            $info.StorePath | Should -Be $store
            # The file it came from is a backup of the secret: the store records it, with the backup's own time.
            $info.LastBackupPath | Should -Be $BackupA
            $info.LastBackupTime | Should -Be (Get-SsoSecretBackupInfo $BackupA).Created
        }

        It 'takes the password from -Credential and ignores the user name' {
            $store = New-TestPath 'empty'
            $credential = [pscredential]::new('whoever', $Password)
            Restore-SsoMasterSecret -Path $BackupA -Credential $credential -StorePath $store -Force
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretA.SecretId
        }

        It 'takes the backup from the pipeline as a FileInfo' {
            $store = New-TestPath 'empty'
            Get-Item -LiteralPath $BackupA | Restore-SsoMasterSecret -Password $Password -StorePath $store -Force
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretA.SecretId
        }

        It 'resolves relative paths against the PowerShell location' {
            Push-Location $Folder
            try {
                [System.Environment]::CurrentDirectory | Should -Not -Be $Folder
                $info = Restore-SsoMasterSecret -Path 'a.bak' -Password $Password -StorePath 'relative-store' -Force -PassThru
            }
            finally {
                Pop-Location
            }
            $info.StorePath | Should -Be (Join-Path $Folder 'relative-store')
            $info.SecretId | Should -Be $SecretA.SecretId
        }

        It 'fails at once with PasswordRequired when no password is given in a non-interactive session' {
            $store = New-TestPath 'empty'
            $elapsed = Measure-Command {
                { Restore-SsoMasterSecret -Path $BackupA -StorePath $store -Force } | Should -Throw -ErrorId 'SsoSecret.PasswordRequired,*'
            }
            # A prompt would wait for ever; a loaded machine can take seconds to fail (never a minute).
            $elapsed.TotalSeconds | Should -BeLessThan 60
            $store | Should -Not -Exist
        }

        It 'changes nothing with -WhatIf' {
            $store = New-TestPath 'empty'
            $output = Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -PassThru -WhatIf
            $output | Should -BeNullOrEmpty
            $store | Should -Not -Exist
        }

        It 'asks no password and runs no KDF with -WhatIf: the header says what would happen' {
            $store = New-TestPath 'empty'
            # Without a password, in a session that cannot ask: anything but -WhatIf would fail with PasswordRequired.
            $verbose = Restore-SsoMasterSecret -Path $BackupA -StorePath $store -WhatIf -Verbose 4>&1
            @($verbose | Where-Object { "$_" -like 'Deriving the key*' }) | Should -HaveCount 0
            $store | Should -Not -Exist
        }

        It 'refuses a backup above the KDF limit before asking for a password' {
            $store = New-TestPath 'empty'
            { Restore-SsoMasterSecret -Path $BackupA -StorePath $store -MaximumKdfMemoryMiB 32 } |
                Should -Throw -ErrorId 'SsoSecret.KdfLimitExceeded,*'
        }

        It 'records the times as UTC (DateTime of Kind Utc)' {
            $store = New-TestPath 'empty'
            $info = Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -Force -PassThru
            $info.Created.Kind | Should -Be 'Utc'
            $info.LastBackupTime.Kind | Should -Be 'Utc'
            $info.LastBackupTime | Should -Be (Get-SsoSecretBackupInfo $BackupA).Created
        }
    }

    Context 'into a store that holds the same secret' {
        It 'changes nothing, without asking (store file bytes identical)' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            $info = Restore-SsoMasterSecret -Path $BackupA -Password $Password -StorePath $store -PassThru
            $info.SecretId | Should -Be $SecretA.SecretId
            $info.HasPreviousSecret | Should -BeFalse
            Get-FolderSnapshot $store | Should -Be $before
        }
    }

    Context 'into a store that holds a different secret' {
        It 'refuses without -Force (MasterSecretExists) and leaves the store file bytes identical' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            { Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store -Confirm:$false } |
                Should -Throw -ErrorId 'SsoSecret.MasterSecretExists,*'
            Get-FolderSnapshot $store | Should -Be $before
            (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $SecretA.SecretId
        }

        It 'asks first without -Force or -Confirm:$false, so fails with ConfirmationRequired here, the store unchanged' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            { Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store } |
                Should -Throw -ErrorId 'SsoSecret.ConfirmationRequired,*'
            Get-FolderSnapshot $store | Should -Be $before
        }

        It 'replaces it with -Force and keeps the replaced secret as the previous one' {
            $store = Copy-TestStore $StoreA
            $info = Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store -Force -PassThru
            $info.SecretId | Should -Be $SecretB.SecretId
            $info.Fingerprint | Should -Be $SecretB.Fingerprint
            $info.HasPreviousSecret | Should -BeTrue
            $info.PreviousSecretId | Should -Be $SecretA.SecretId
            $info.PreviousSecretReplaced | Should -Not -BeNullOrEmpty
            $stored = Get-SsoMasterSecret -StorePath $store -WarningVariable warnings -WarningAction SilentlyContinue
            $stored.SecretId | Should -Be $SecretB.SecretId
            $stored.PreviousSecretId | Should -Be $SecretA.SecretId
            # The backup it came from is recorded as the restored secret's last backup, so there is nothing to nag about.
            $stored.LastBackupPath | Should -Be $BackupB
            $warnings | Should -HaveCount 0
        }

        It 'says what it would replace with -WhatIf, without a password, and changes nothing' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            $output = Restore-SsoMasterSecret -Path $BackupB -StorePath $store -WhatIf -PassThru
            $output | Should -BeNullOrEmpty
            Get-FolderSnapshot $store | Should -Be $before
        }

        It 'asks before the password: without -Force, fails with ConfirmationRequired before PasswordRequired' {
            $store = Copy-TestStore $StoreA
            { Restore-SsoMasterSecret -Path $BackupB -StorePath $store } | Should -Throw -ErrorId 'SsoSecret.ConfirmationRequired,*'
        }

        It 'changes nothing with -WhatIf, even with -Force' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            $output = Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store -Force -PassThru -WhatIf
            $output | Should -BeNullOrEmpty
            Get-FolderSnapshot $store | Should -Be $before
        }
    }

    Context 'paths: -Path with wildcards that match one file, -LiteralPath as written' {
        BeforeAll {
            $script:PathFolder = New-TestFolder 'paths'
            Copy-Item -LiteralPath $BackupA -Destination (Join-Path $PathFolder 'only-a.bak')
            Copy-Item -LiteralPath $BackupA -Destination (Join-Path $PathFolder 'twin-1.bak')
            Copy-Item -LiteralPath $BackupB -Destination (Join-Path $PathFolder 'twin-2.bak')
            Copy-Item -LiteralPath $BackupB -Destination (Join-Path $PathFolder 'b[old].bak')
        }

        It 'restores the one file a wildcard matches' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -Path (Join-Path $PathFolder 'only-*.bak') -Password $Password -StorePath $store
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretA.SecretId
        }

        It 'refuses a wildcard that matches several files (AmbiguousPath), names them, and creates no store' {
            $store = New-TestPath 'empty'
            $caught = $null
            try {
                Restore-SsoMasterSecret -Path (Join-Path $PathFolder 'twin-*.bak') -Password $Password -StorePath $store -Force
            }
            catch [SsoSecret.SsoSecretException] {
                $caught = $_
            }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.AmbiguousPath,*'
            $caught.Exception.Failure | Should -Be 'AmbiguousPath'
            $caught.Exception.Message | Should -Match 'twin-1\.bak'
            $caught.Exception.Message | Should -Match 'twin-2\.bak'
            $caught.ErrorDetails.RecommendedAction | Should -Match 'LiteralPath'
            $store | Should -Not -Exist
        }

        It 'takes a name with brackets as written with -LiteralPath (and its alias -PSPath)' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -LiteralPath (Join-Path $PathFolder 'b[old].bak') -Password $Password -StorePath $store
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretB.SecretId
            $other = New-TestPath 'empty'
            Restore-SsoMasterSecret -PSPath (Join-Path $PathFolder 'b[old].bak') -Credential ([pscredential]::new('x', $Password)) -StorePath $other
            (Get-SsoMasterSecret -StorePath $other -WarningAction SilentlyContinue).SecretId | Should -Be $SecretB.SecretId
        }

        It 'takes a piped FileInfo whose name has brackets as that file' {
            $store = New-TestPath 'empty'
            Get-Item -LiteralPath (Join-Path $PathFolder 'b[old].bak') | Restore-SsoMasterSecret -Password $Password -StorePath $store
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretB.SecretId
        }

        It 'reports BackupNotFound for a wildcard that matches nothing' {
            { Restore-SsoMasterSecret -Path (Join-Path $PathFolder 'none-*.bak') -Password $Password -StorePath (New-TestPath 'empty') } |
                Should -Throw -ErrorId 'SsoSecret.BackupNotFound,*'
        }

        It 'has -Path (wildcards), -LiteralPath and -ArmoredText in their own parameter sets, each with -Password or -Credential, and the recovery shares in two more' {
            $command = Get-Command Restore-SsoMasterSecret
            $command.ParameterSets.Name | Sort-Object | Should -Be @('LiteralPath', 'LiteralPathCredential', 'Path', 'PathCredential', 'Share', 'SharePath', 'Text', 'TextCredential')
            $command.Parameters['Path'].Attributes.Where({ $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) | Should -HaveCount 1
            $command.Parameters['LiteralPath'].Aliases | Should -Contain 'PSPath'
        }
    }

    Context 'from a backup that cannot be restored' {
        It 'fails with <Id> for <Case> and leaves the store file bytes identical' -ForEach @(
            @{ Case = 'the wrong password'; File = $null; Id = 'WrongPassword'; UseWrongPassword = $true }
            @{ Case = 'a changed key commitment'; File = 'WrongCommitment'; Id = 'WrongPassword' }
            @{ Case = 'a flipped byte'; File = 'Damaged'; Id = 'DamagedBackup' }
            @{ Case = 'a changed hint, checksum recomputed'; File = 'Tampered'; Id = 'TamperedBackup' }
            @{ Case = 'a changed creation time, checksum recomputed'; File = 'TamperedCreated'; Id = 'TamperedBackup' }
            @{ Case = 'a text file'; File = 'NotABackup'; Id = 'NotABackup' }
            @{ Case = 'format version 3'; File = 'UnsupportedVersion'; Id = 'UnsupportedVersion' }
            @{ Case = 'a missing file'; File = 'Missing'; Id = 'BackupNotFound' }
        ) {
            $path = if ($File) { $Bad[$File] } else { $BackupB }
            $secret = if ($UseWrongPassword) { $WrongPassword } else { $Password }
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            { Restore-SsoMasterSecret -Path $path -Password $secret -StorePath $store -Force } |
                Should -Throw -ErrorId "SsoSecret.$Id,*"
            Get-FolderSnapshot $store | Should -Be $before
        }

        It 'fails with KdfLimitExceeded when the backup asks for more memory than -MaximumKdfMemoryMiB' {
            $store = Copy-TestStore $StoreA
            $before = Get-FolderSnapshot $store
            { Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store -Force -MaximumKdfMemoryMiB 32 } |
                Should -Throw -ErrorId 'SsoSecret.KdfLimitExceeded,*'
            Get-FolderSnapshot $store | Should -Be $before
        }

        It 'restores when -MaximumKdfMemoryMiB is exactly what the backup asks for' {
            $store = New-TestPath 'empty'
            Restore-SsoMasterSecret -Path $BackupB -Password $Password -StorePath $store -Force -MaximumKdfMemoryMiB 64
            (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).SecretId | Should -Be $SecretB.SecretId
        }

        It 'refuses a folder (PathIsFolder)' {
            $store = New-TestPath 'empty'
            { Restore-SsoMasterSecret -Path $Folder -Password $Password -StorePath $store -Force } |
                Should -Throw -ErrorId 'SsoSecret.PathIsFolder,*'
            $store | Should -Not -Exist
        }

        It 'refuses a path that is not on the file system (PathNotFileSystem)' {
            $store = New-TestPath 'empty'
            { Restore-SsoMasterSecret -Path 'function:prompt' -Password $Password -StorePath $store -Force } |
                Should -Throw -ErrorId 'SsoSecret.PathNotFileSystem,*'
            $store | Should -Not -Exist
        }

        It 'creates no store when the restore fails' {
            $store = New-TestPath 'empty'
            { Restore-SsoMasterSecret -Path $BackupB -Password $WrongPassword -StorePath $store -Force } |
                Should -Throw -ErrorId 'SsoSecret.WrongPassword,*'
            $store | Should -Not -Exist
        }
    }
}
