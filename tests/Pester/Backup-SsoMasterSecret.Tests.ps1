BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Store = New-TestPath 'store'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath (Join-Path (New-TestFolder 'first') 'first.bak')

}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Backup-SsoMasterSecret' {
    BeforeEach {
        $folder = New-TestFolder 'backup'
    }

    It 'writes a backup that opens with the password and holds the current secret' {
        $path = Join-Path $folder 'good.bak'
        $output = Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store
        $output | Should -BeNullOrEmpty
        $result = Test-SsoSecretBackup -Path $path -Password $Password -StorePath $Store -Detailed
        $result.Status | Should -Be 'Valid'
        $result.MatchesCurrentSecret | Should -BeTrue
        $result.SecretId | Should -Be $Secret.SecretId
        $result.Fingerprint | Should -Be $Secret.Fingerprint
        $result.PasswordHint | Should -Be $Hint
    }

    It 'records the backup in the store' {
        $store = Copy-TestStore $Store
        $path = Join-Path $folder 'recorded.bak'
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $store
        (Get-SsoMasterSecret -StorePath $store).LastBackupPath | Should -Be $path
    }

    It 'writes the file owner-only (0600) on Unix' -Skip:([System.IO.Path]::DirectorySeparatorChar -eq '\') {
        $path = Join-Path $folder 'mode.bak'
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store
        [System.IO.File]::GetUnixFileMode($path) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
    }

    It 'refuses an existing file without -Force (BackupExists) and leaves its bytes as they were' {
        $path = Join-Path $folder 'taken.bak'
        Set-Content -LiteralPath $path -Value 'precious, not a backup' -Encoding utf8
        $before = Get-FileDigest $path
        $storeBefore = Get-FolderSnapshot $Store
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupExists,*'
        $err[0].TargetObject | Should -Be $path
        Get-FileDigest $path | Should -Be $before
        Get-FolderSnapshot $Store | Should -Be $storeBefore
        Get-FileNames $folder | Should -Be @('taken.bak')
    }

    It 'replaces an existing file with -Force' {
        $path = Join-Path $folder 'replaced.bak'
        Set-Content -LiteralPath $path -Value 'old content' -Encoding utf8
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Force
        (Get-SsoSecretBackupInfo -Path $path).SecretId | Should -Be $Secret.SecretId
        Test-SsoSecretBackup -Path $path -Password $Password -StorePath $Store | Should -BeTrue
        Get-FileNames $folder | Should -Be @('replaced.bak')
        if ($OnUnix) {
            [System.IO.File]::GetUnixFileMode($path) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }

    It 'writes the armored text form with -Armor, and it opens' {
        $path = Join-Path $folder 'armored.txt'
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Armor
        $lines = Get-Content -LiteralPath $path
        $lines[0] | Should -BeExactly '-----BEGIN SSOSECRET BACKUP-----'
        $lines[-1] | Should -BeExactly '-----END SSOSECRET BACKUP-----'
        (Get-SsoSecretBackupInfo -Path $path).Armored | Should -BeTrue
        $result = Test-SsoSecretBackup -Path $path -Password $Password -StorePath $Store -Detailed
        $result.Status | Should -Be 'Valid'
        $result.MatchesCurrentSecret | Should -BeTrue
    }

    It 'outputs the backup''s information with -PassThru' {
        $path = Join-Path $folder 'passthru.bak'
        $info = Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru
        $info | Should -BeOfType ([SsoSecret.SsoSecretBackupInfo])
        $info.Path | Should -Be $path
        $info.FormatVersion | Should -Be 1
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        $info.PasswordHint | Should -Be $Hint
        $info.Kdf.MemoryKiB | Should -Be 65536
        $info.Armored | Should -BeFalse
        $info.Length | Should -Be (Get-Item -LiteralPath $path).Length
    }

    It 'keeps a hint of exactly 512 characters' {
        $path = Join-Path $folder 'long-hint.bak'
        $hint512 = 'h' * 512
        $info = Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $hint512 -KdfProfile Interactive -StorePath $Store -PassThru
        $info.PasswordHint | Should -BeExactly $hint512
    }

    It 'writes the armored text to the output without -Path: one string, header lines first, proven, no file, no record in the store' {
        $before = Get-SsoMasterSecret -StorePath $Store
        Push-Location $folder
        try {
            $text = Backup-SsoMasterSecret -Armor -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store
        }
        finally {
            Pop-Location
        }
        $text | Should -HaveCount 1
        $text | Should -BeOfType ([string])
        $lines = $text -split "`n"
        $lines[0] | Should -Be '-----BEGIN SSOSECRET BACKUP-----'
        $lines[1] | Should -Match '^Created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $lines[2] | Should -Be "Secret-Id: $($before.SecretId)"
        $lines[3] | Should -Be "Fingerprint: $($before.Fingerprint)"
        $lines[4] | Should -Be "Hint: $Hint"
        $lines[5] | Should -Be ''
        $lines[-1] | Should -Be '-----END SSOSECRET BACKUP-----'
        Test-SsoSecretBackup -ArmoredText $text -Password $Password -StorePath $Store | Should -BeTrue
        Get-FileNames $folder | Should -HaveCount 0
        (Get-SsoMasterSecret -StorePath $Store).LastBackupTime | Should -Be $before.LastBackupTime
    }

    It 'refuses no -Path without -Armor (PathRequired), -PassThru without -Path (ConflictingParameters), and writes nothing with -WhatIf' {
        { Backup-SsoMasterSecret -Password $Password -KdfProfile Interactive -StorePath $Store } | Should -Throw -ErrorId 'SsoSecret.PathRequired,*'
        { Backup-SsoMasterSecret -Armor -PassThru -Password $Password -KdfProfile Interactive -StorePath $Store } | Should -Throw -ErrorId 'SsoSecret.ConflictingParameters,*'
        Backup-SsoMasterSecret -Armor -Password $Password -KdfProfile Interactive -StorePath $Store -WhatIf | Should -BeNullOrEmpty
    }

    It 'refuses a hint of 513 characters (HintTooLong) and writes nothing' {
        $path = Join-Path $folder 'too-long-hint.bak'
        { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint ('h' * 513) -KdfProfile Interactive -StorePath $Store } |
            Should -Throw -ErrorId 'SsoSecret.HintTooLong,*'
        Get-FileNames $folder | Should -HaveCount 0
    }

    It 'refuses a hint of white space only (InvalidHint), which would show a blank reminder, and writes nothing; an empty hint is none' {
        foreach ($blank in ' ', "   ", "`u{3000}") {
            $path = Join-Path $folder 'blank-hint.bak'
            { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $blank -KdfProfile Interactive -StorePath $Store } |
                Should -Throw -ErrorId 'SsoSecret.InvalidHint,*'
            Get-FileNames $folder | Should -HaveCount 0
        }
        $path = Join-Path $folder 'no-hint.bak'
        (Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint '' -KdfProfile Interactive -StorePath $Store -PassThru).PasswordHint | Should -BeExactly ''
        Remove-Item -LiteralPath $path
    }

    It 'refuses a weak password (WeakPassword) and writes nothing' {
        $path = Join-Path $folder 'weak.bak'
        $weak = ConvertTo-SecureString 'short' -AsPlainText -Force
        { Backup-SsoMasterSecret -Path $path -Password $weak -PasswordHint 'x' -KdfProfile Interactive -StorePath $Store } |
            Should -Throw -ErrorId 'SsoSecret.WeakPassword,*'
        Get-FileNames $folder | Should -HaveCount 0
    }

    It 'refuses a hint that contains the password (HintRevealsPassword)' {
        $path = Join-Path $folder 'revealing.bak'
        { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint 'Correct Horse Battery Staple' -KdfProfile Interactive -StorePath $Store } |
            Should -Throw -ErrorId 'SsoSecret.HintRevealsPassword,*'
        Get-FileNames $folder | Should -HaveCount 0
    }

    It 'fails at once with PasswordRequired when no password is given in a non-interactive session' {
        $path = Join-Path $folder 'no-password.bak'
        $elapsed = Measure-Command {
            { Backup-SsoMasterSecret -Path $path -PasswordHint 'x' -KdfProfile Interactive -StorePath $Store } |
                Should -Throw -ErrorId 'SsoSecret.PasswordRequired,*'
        }
        # A prompt would wait for ever; a loaded machine can take seconds to fail (never a minute).
        $elapsed.TotalSeconds | Should -BeLessThan 60
        Get-FileNames $folder | Should -HaveCount 0
    }

    It 'takes the password from -Credential and ignores the user name' {
        $path = Join-Path $folder 'credential.bak'
        $credential = [pscredential]::new('anyone', $Password)
        Backup-SsoMasterSecret -Path $path -Credential $credential -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store
        Test-SsoSecretBackup -Path $path -Password $Password -StorePath $Store | Should -BeTrue
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $folder 'whatif.bak'
        $storeBefore = Get-FolderSnapshot $Store
        $output = Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru -WhatIf
        $output | Should -BeNullOrEmpty
        Get-FileNames $folder | Should -HaveCount 0
        Get-FolderSnapshot $Store | Should -Be $storeBefore
    }

    It 'writes every path of a pipeline (strings and FileInfo) but the one that exists, with one non-terminating BackupExists' {
        $taken = Join-Path $folder 'b-taken.bak'
        Set-Content -LiteralPath $taken -Value 'keep me' -Encoding utf8
        $before = Get-FileDigest $taken
        $inputs = @(
            (Join-Path $folder 'a-string.bak')
            (Get-Item -LiteralPath $taken)
            [System.IO.FileInfo]::new((Join-Path $folder 'c-fileinfo.bak'))
            (Join-Path $folder 'd-string.bak')
        )
        $output = $inputs | Backup-SsoMasterSecret -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupExists,*'
        $err[0].TargetObject | Should -Be $taken
        Get-FileDigest $taken | Should -Be $before
        $output | Should -HaveCount 3
        $output.Path | Should -Be @((Join-Path $folder 'a-string.bak'), (Join-Path $folder 'c-fileinfo.bak'), (Join-Path $folder 'd-string.bak'))
        Get-FileNames $folder | Should -Be @('a-string.bak', 'b-taken.bak', 'c-fileinfo.bak', 'd-string.bak')
        foreach ($name in 'a-string.bak', 'c-fileinfo.bak', 'd-string.bak') {
            (Get-SsoSecretBackupInfo -Path (Join-Path $folder $name)).SecretId | Should -Be $Secret.SecretId
        }
    }

    It 'resolves a relative path against the PowerShell location, not the process''s folder' {
        Push-Location $folder
        try {
            [System.Environment]::CurrentDirectory | Should -Not -Be $folder
            $info = Backup-SsoMasterSecret -Path 'relative.bak' -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru
        }
        finally {
            Pop-Location
        }
        $info.Path | Should -Be (Join-Path $folder 'relative.bak')
        Join-Path $folder 'relative.bak' | Should -Exist
        Join-Path ([System.Environment]::CurrentDirectory) 'relative.bak' | Should -Not -Exist
    }

    It 'resolves a path on a PowerShell drive to the file system path under its root' {
        $null = New-PSDrive -Name SsoSecretTest -PSProvider FileSystem -Root $folder -Scope Script
        try {
            $info = Backup-SsoMasterSecret -Path 'SsoSecretTest:/on-drive.bak' -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru
        }
        finally {
            Remove-PSDrive -Name SsoSecretTest -Scope Script
        }
        $info.Path | Should -Be (Join-Path $folder 'on-drive.bak')
        Get-FileNames $folder | Should -Be @('on-drive.bak')
    }

    It 'refuses <Path>, a path that is not on the file system (PathNotFileSystem)' -ForEach @(
        @{ Path = 'env:SSOSECRET_TEST_FOO' }
        @{ Path = 'function:ssosecret-test-x' }
    ) {
        Backup-SsoMasterSecret -Path $Path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathNotFileSystem,*'
        Test-Path $Path | Should -BeFalse
    }

    It 'refuses a folder as the target (PathIsFolder)' {
        Backup-SsoMasterSecret -Path $folder -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathIsFolder,*'
        Get-FileNames $folder | Should -HaveCount 0
    }

    It 'refuses a target in a folder that does not exist (FolderNotFound)' {
        $path = Join-Path $folder 'missing/sub.bak'
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.FolderNotFound,*'
        Join-Path $folder 'missing' | Should -Not -Exist
    }

    It 'leaves no temporary file in the folder, after success or failure' {
        $good = Join-Path $folder 'good.bak'
        Backup-SsoMasterSecret -Path $good -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store
        Backup-SsoMasterSecret -Path $good -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Force -Armor
        Backup-SsoMasterSecret -Path $good -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -ErrorAction SilentlyContinue
        { Backup-SsoMasterSecret -Path (Join-Path $folder 'weak.bak') -Password (ConvertTo-SecureString 'short' -AsPlainText -Force) -PasswordHint 'x' -KdfProfile Interactive -StorePath $Store } |
            Should -Throw -ErrorId 'SsoSecret.WeakPassword,*'
        Get-FileNames $folder | Should -Be @('good.bak')
        (Get-SsoSecretBackupInfo -Path $good).Armored | Should -BeTrue
    }

    It 'writes a file whose name is as long as the file system allows (250 characters)' {
        $name = ('n' * 246) + '.bak'
        $path = Join-Path $folder $name
        $info = Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -PassThru
        $info.Path | Should -Be $path
        Get-FileNames $folder | Should -Be @($name)
    }

    It 'fails with StoreBusy, and writes nothing, when another process holds the store' {
        $store = Copy-TestStore $Store
        $before = Get-FolderSnapshot $store
        $path = Join-Path $folder 'busy.bak'
        $savedTimeout = $env:SSOSECRET_LOCK_TIMEOUT_SECONDS
        $lock = [System.IO.FileStream]::new((Join-Path $store 'store.lock'), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = '0.2'
            { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $store } |
                Should -Throw -ErrorId 'SsoSecret.StoreBusy,*'
        }
        finally {
            $lock.Dispose()
            $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = $savedTimeout
        }
        Get-FileNames $folder | Should -HaveCount 0
        Get-FolderSnapshot $store | Should -Be $before
    }

    It 'fails with NoMasterSecret on an empty store and writes nothing' {
        $empty = New-TestPath 'empty'
        $path = Join-Path $folder 'nothing.bak'
        { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $empty } |
            Should -Throw -ErrorId 'SsoSecret.NoMasterSecret,*'
        Get-FileNames $folder | Should -HaveCount 0
        $empty | Should -Not -Exist
    }

    It 'refuses KDF parameters weaker than the Interactive profile (WeakKdf)' {
        $path = Join-Path $folder 'weak-kdf.bak'
        $weak = [SsoSecret.KdfParameters]::new(32768, 3, 4)
        { Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Hint -KdfParameters $weak -StorePath $Store } |
            Should -Throw -ErrorId 'SsoSecret.WeakKdf,*'
        Get-FileNames $folder | Should -HaveCount 0
    }
}
