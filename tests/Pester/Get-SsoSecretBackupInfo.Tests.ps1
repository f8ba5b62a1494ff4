BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Folder = New-TestFolder 'info'
    $script:Store = New-TestPath 'store'
    $script:Backup = Join-Path $Folder 'one.bak'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath $Backup
    $script:Armored = Join-Path $Folder 'two.bak'
    Backup-SsoMasterSecret -Path $Armored -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Armor
    $script:Bad = New-BadBackupSet -Source $Backup -Folder (New-TestFolder 'bad')
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Get-SsoSecretBackupInfo' {
    It 'reads what a binary backup tells without its password' {
        $info = Get-SsoSecretBackupInfo -Path $Backup
        $info | Should -HaveCount 1
        $info | Should -BeOfType ([SsoSecret.SsoSecretBackupInfo])
        $info.Path | Should -Be $Backup
        $info.FormatVersion | Should -Be 1
        $info.PasswordHint | Should -BeExactly $Hint
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        $info.SecretLength | Should -Be 32
        $info.Kdf | Should -BeOfType ([SsoSecret.KdfParameters])
        $info.Kdf.MemoryKiB | Should -Be 65536
        $info.Kdf.Iterations | Should -Be 3
        $info.Kdf.Parallelism | Should -Be 4
        $info.Armored | Should -BeFalse
        $info.Length | Should -Be (Get-Item -LiteralPath $Backup).Length
        $info.Created.Kind | Should -Be 'Utc'
        $info.Created | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-10))
        $info.Created.Millisecond | Should -Be 0
    }

    It 'reads the armored form and says so' {
        $info = Get-SsoSecretBackupInfo -Path $Armored
        $info.Armored | Should -BeTrue
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        $info.PasswordHint | Should -BeExactly $Hint
        $info.Length | Should -Be (Get-Item -LiteralPath $Armored).Length
    }

    It 'keeps a hint that is <Name> exactly' -ForEach @(
        @{ Name = 'empty'; Text = '' }
        @{ Name = 'beyond ASCII'; Text = "Gr$([char]0xFC)n, $([char]0x65E5)$([char]0x672C) $([char]::ConvertFromUtf32(0x1F511))" }
    ) {
        $path = Join-Path (New-TestFolder 'hint') "$Name.bak"
        Backup-SsoMasterSecret -Path $path -Password $Password -PasswordHint $Text -KdfProfile Interactive -StorePath $Store
        (Get-SsoSecretBackupInfo -Path $path).PasswordHint | Should -BeExactly $Text
    }

    It 'reads the armored form with CRLF line endings' {
        $path = Join-Path (New-TestFolder 'crlf') 'crlf.txt'
        $text = [System.IO.File]::ReadAllText($Armored) -replace "`n", "`r`n"
        [System.IO.File]::WriteAllText($path, $text)
        $info = Get-SsoSecretBackupInfo -Path $path
        $info.Armored | Should -BeTrue
        $info.SecretId | Should -Be $Secret.SecretId
    }

    It 'needs no password and writes nothing' {
        $before = Get-FolderSnapshot $Folder
        $storeBefore = Get-FolderSnapshot $Store
        $null = Get-SsoSecretBackupInfo -Path (Join-Path $Folder '*')
        Get-FolderSnapshot $Folder | Should -Be $before
        Get-FolderSnapshot $Store | Should -Be $storeBefore
    }

    Context 'a pipeline with one bad file' {
        It 'writes one non-terminating <Id> for <Case> and still outputs the other files' -ForEach @(
            @{ Case = 'a flipped byte'; File = 'Damaged'; Id = 'DamagedBackup' }
            @{ Case = 'a text file'; File = 'NotABackup'; Id = 'NotABackup' }
            @{ Case = 'format version 3'; File = 'UnsupportedVersion'; Id = 'UnsupportedVersion' }
            @{ Case = 'a missing file'; File = 'Missing'; Id = 'BackupNotFound' }
            @{ Case = 'a folder'; File = 'Folder'; Id = 'PathIsFolder' }
        ) {
            $badPath = if ($File -eq 'Folder') { New-TestFolder 'a-folder' } else { $Bad[$File] }
            $infos = $Backup, $badPath, $Armored | Get-SsoSecretBackupInfo -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike "SsoSecret.$Id,*"
            $err[0].TargetObject | Should -Be $badPath
            $infos | Should -HaveCount 2
            $infos.Path | Should -Be @($Backup, $Armored)
        }

        It 'takes FileInfo objects from Get-ChildItem, with one bad file among them' {
            $many = New-TestFolder 'many'
            foreach ($i in 1..5) { Copy-Item -LiteralPath $Backup -Destination (Join-Path $many "copy$i.bak") }
            Copy-Item -LiteralPath $Bad.NotABackup -Destination (Join-Path $many 'copy6.bak')
            $infos = Get-ChildItem -LiteralPath $many | Get-SsoSecretBackupInfo -ErrorVariable err -ErrorAction SilentlyContinue
            $infos | Should -HaveCount 5
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.NotABackup,*'
            $err[0].TargetObject | Should -Be (Join-Path $many 'copy6.bak')
        }

        It 'reads a forged header without complaint: only the password can tell (Test-SsoSecretBackup)' {
            $info = Get-SsoSecretBackupInfo -Path $Bad.Tampered
            $info.PasswordHint | Should -Not -BeExactly $Hint
            $info.SecretId | Should -Be $Secret.SecretId
        }
    }

    Context 'paths' {
        BeforeAll {
            $script:Many = New-TestFolder 'wild'
            foreach ($name in 'a1.bak', 'a2.bak', 'b1.bak', 'c[1].bak', 'note.txt') {
                Copy-Item -LiteralPath $Backup -Destination (Join-Path $Many $name)
            }
            $null = New-Item -ItemType Directory -Path (Join-Path $Many 'sub.bak')
        }

        It 'expands <Pattern> to <Count> files' -ForEach @(
            @{ Pattern = '*.bak'; Count = 4 }
            @{ Pattern = 'a?.bak'; Count = 2 }
            @{ Pattern = '[ab]1.bak'; Count = 2 }
            @{ Pattern = '*'; Count = 5 }
        ) {
            $infos = Get-SsoSecretBackupInfo -Path (Join-Path $Many $Pattern)
            $infos | Should -HaveCount $Count
            $infos.SecretId | Select-Object -Unique | Should -Be $Secret.SecretId
        }

        It 'reports BackupNotFound for a wildcard that matches nothing' {
            $infos = Get-SsoSecretBackupInfo -Path (Join-Path $Many 'zzz*.bak') -ErrorVariable err -ErrorAction SilentlyContinue
            $infos | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupNotFound,*'
        }

        It 'takes a name containing [ as it is with -LiteralPath' {
            (Get-SsoSecretBackupInfo -LiteralPath (Join-Path $Many 'c[1].bak')).Path | Should -Be (Join-Path $Many 'c[1].bak')
        }

        It 'resolves relative paths against the PowerShell location' {
            Push-Location $Many
            try {
                [System.Environment]::CurrentDirectory | Should -Not -Be $Many
                $infos = Get-SsoSecretBackupInfo -Path 'a*.bak'
                $literal = Get-SsoSecretBackupInfo -LiteralPath 'b1.bak'
            }
            finally {
                Pop-Location
            }
            $infos.Path | Sort-Object | Should -Be @((Join-Path $Many 'a1.bak'), (Join-Path $Many 'a2.bak'))
            $literal.Path | Should -Be (Join-Path $Many 'b1.bak')
        }

        It 'writes a non-terminating PathNotFileSystem for a path on another provider, and goes on' {
            $infos = Get-SsoSecretBackupInfo -Path 'env:PATH', $Backup -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathNotFileSystem,*'
            $infos.Path | Should -Be $Backup
        }
    }
}
