BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Folder = New-TestFolder 'test'
    $script:Store = New-TestPath 'store'
    $script:Backup = Join-Path $Folder 'good.bak'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath $Backup
    $script:Armored = Join-Path $Folder 'good.txt'
    Backup-SsoMasterSecret -Path $Armored -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store -Armor
    $script:Bad = New-BadBackupSet -Source $Backup -Folder (New-TestFolder 'bad')
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Test-SsoSecretBackup' {
    Context 'output' {
        It 'returns $true for an intact backup, without a password' {
            $result = Test-SsoSecretBackup -Path $Backup
            $result | Should -HaveCount 1
            $result | Should -BeOfType ([bool])
            $result | Should -BeTrue
        }

        It 'returns $true when the password opens the backup' {
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store
            $result | Should -BeOfType ([bool])
            $result | Should -BeTrue
        }

        It 'returns $false, without an error, when the password does not open it' {
            $result = Test-SsoSecretBackup -Path $Backup -Password $WrongPassword -StorePath $Store -ErrorVariable err
            $result | Should -BeOfType ([bool])
            $result | Should -BeFalse
            $err | Should -HaveCount 0
        }

        It 'warns once per call, before its results, that without a password only the structure was checked' {
            $files = @($Backup, $Armored, $Bad.Damaged)
            $output = $files | Test-SsoSecretBackup -WarningVariable warnings -WarningAction SilentlyContinue
            $output | Should -Be @($true, $true, $false)
            $output | ForEach-Object { $_ | Should -BeOfType ([bool]) }
            $warnings | Should -HaveCount 1
            "$($warnings[0])" | Should -Match 'only that each file is an intact backup'
            "$($warnings[0])" | Should -Match '-Detailed'
            "$($warnings[0])" | Should -Match '-Password'
            # In the output stream's order: the warning comes before the first Boolean.
            $merged = @($files | Test-SsoSecretBackup 3>&1)
            $merged[0] | Should -BeOfType ([System.Management.Automation.WarningRecord])
            $merged | Select-Object -Skip 1 | Should -Be @($true, $true, $false)
        }

        It 'warns once for a wildcard that matches several files too' {
            $null = Test-SsoSecretBackup -Path (Join-Path $Folder 'good.*') -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings | Should -HaveCount 1
        }

        It 'does not warn with a password, or with -Detailed (whose results say PasswordVerified)' {
            $null = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store -WarningVariable withPassword -WarningAction SilentlyContinue
            $withPassword | Should -HaveCount 0
            $detailed = Test-SsoSecretBackup -Path $Backup, $Armored -Detailed -WarningVariable withDetailed -WarningAction SilentlyContinue
            $withDetailed | Should -HaveCount 0
            $detailed.PasswordVerified | Should -Be @($false, $false)
            $detailed.Path | Should -Be @($Backup, $Armored)
        }

        It 'declares [bool] as its output type' {
            (Get-Command Test-SsoSecretBackup).OutputType.Type | Should -Contain ([bool])
        }

        It 'reports the details of a valid backup with -Detailed' {
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store -Detailed
            $result | Should -BeOfType ([SsoSecret.SsoSecretBackupTestResult])
            $result.Path | Should -Be $Backup
            $result.Status | Should -Be 'Valid'
            $result.IsValid | Should -BeTrue
            $result.PasswordVerified | Should -BeTrue
            $result.MatchesCurrentSecret | Should -BeTrue
            $result.SecretId | Should -Be $Secret.SecretId
            $result.Fingerprint | Should -Be $Secret.Fingerprint
            $result.PasswordHint | Should -Be $Hint
            $result.FormatVersion | Should -Be 1
            $result.Kdf.MemoryKiB | Should -Be 65536
        }

        It 'checks the armored form too' {
            $result = Test-SsoSecretBackup -Path $Armored -Password $Password -StorePath $Store -Detailed
            $result.Status | Should -Be 'Valid'
            $result.MatchesCurrentSecret | Should -BeTrue
        }

        It 'takes the password from -Credential' {
            $credential = [pscredential]::new('ignored', $Password)
            $result = Test-SsoSecretBackup -Path $Backup -Credential $credential -StorePath $Store -Detailed
            $result.Status | Should -Be 'Valid'
            $result.PasswordVerified | Should -BeTrue
        }

        It 'refuses -Password and -Credential together (ConflictingParameters)' {
            $credential = [pscredential]::new('ignored', $Password)
            { Test-SsoSecretBackup -Path $Backup -Password $Password -Credential $credential -StorePath $Store } |
                Should -Throw -ErrorId 'SsoSecret.ConflictingParameters,*'
        }
    }

    Context 'statuses' {
        It 'reports <Status> for <Case>' -ForEach @(
            @{ Case = 'the wrong password'; File = $null; Secret = 'Wrong'; Status = 'WrongPassword' }
            @{ Case = 'a changed key commitment'; File = 'WrongCommitment'; Secret = 'Right'; Status = 'WrongPassword' }
            @{ Case = 'a flipped byte, with the password'; File = 'Damaged'; Secret = 'Right'; Status = 'Damaged' }
            @{ Case = 'a flipped byte, without a password'; File = 'Damaged'; Secret = $null; Status = 'Damaged' }
            @{ Case = 'a changed hint, checksum recomputed'; File = 'Tampered'; Secret = 'Right'; Status = 'Tampered' }
            @{ Case = 'a changed creation time, checksum recomputed'; File = 'TamperedCreated'; Secret = 'Right'; Status = 'Tampered' }
            @{ Case = 'a text file'; File = 'NotABackup'; Secret = $null; Status = 'NotABackup' }
            @{ Case = 'format version 3'; File = 'UnsupportedVersion'; Secret = $null; Status = 'UnsupportedVersion' }
            @{ Case = 'a missing file'; File = 'Missing'; Secret = $null; Status = 'NotFound' }
        ) {
            $path = if ($File) { $Bad[$File] } else { $Backup }
            $parameters = @{ Path = $path; StorePath = $Store }
            if ($Secret -eq 'Right') { $parameters.Password = $Password }
            if ($Secret -eq 'Wrong') { $parameters.Password = $WrongPassword }
            $result = Test-SsoSecretBackup @parameters -Detailed -ErrorVariable err
            $err | Should -HaveCount 0
            $result.Path | Should -Be $path
            $result.Status | Should -Be $Status
            $result.IsValid | Should -BeFalse
            $result.PasswordVerified | Should -BeFalse
            Test-SsoSecretBackup @parameters -ErrorAction SilentlyContinue | Should -BeFalse
        }

        It 'writes BackupNotFound beside a False for a mistyped path (not the password warning), and only the status with -Detailed' {
            $missing = Join-Path $Folder 'master-secrte.bak'
            $result = Test-SsoSecretBackup $missing -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warned
            $result | Should -BeExactly $false
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -Be 'SsoSecret.BackupNotFound,SsoSecret.Commands.TestSsoSecretBackupCommand'
            $err[0].TargetObject | Should -Be $missing
            $warned | Should -HaveCount 0
            # The next file of the same call is tested as usual, and the warning about the password comes with it.
            $results = Test-SsoSecretBackup $missing, $Backup -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
            $results | Should -Be @($false, $true)
            $err | Should -HaveCount 1
            $warned | Should -HaveCount 1
            (Test-SsoSecretBackup $missing -Detailed -ErrorVariable err).Status | Should -Be 'NotFound'
            $err | Should -HaveCount 0
        }

        It 'shows a check not made as -, never False, in its table: <Case>' -ForEach @(
            @{ Case = 'no password'; Secret = $null; Row = '^good\.bak\s+Valid\s+-\s+-\s+-\s*$' }
            @{ Case = 'the password'; Secret = 'Right'; Row = '^good\.bak\s+Valid\s+True\s+-\s+True\s*$' }
            @{ Case = 'a wrong password'; Secret = 'Wrong'; Row = '^good\.bak\s+WrongPassword\s+False\s+-\s+-\s*$' }
        ) {
            $parameters = @{ Path = $Backup; StorePath = $Store; Detailed = $true }
            if ($Secret -eq 'Right') { $parameters.Password = $Password }
            if ($Secret -eq 'Wrong') { $parameters.Password = $WrongPassword }
            $lines = (Test-SsoSecretBackup @parameters | Format-Table | Out-String -Width 200) -split '\r?\n'
            $lines | Where-Object { $_ -match '^Name\s' } | Should -Match '^Name\s+Status\s+PasswordVerified\s+RecoveryKeyVerified\s+MatchesCurrentSecret\s*$'
            @($lines | Where-Object { $_ -match '^good\.bak' }) | Should -HaveCount 1
            $lines | Where-Object { $_ -match '^good\.bak' } | Should -Match $Row
        }

        It 'tests a backup given as armored text (-ArmoredText), whole or line by line' {
            $text = Get-Content -LiteralPath $Armored -Raw
            Test-SsoSecretBackup -ArmoredText $text -Password $Password -StorePath $Store | Should -BeTrue
            $result = Test-SsoSecretBackup -ArmoredText (Get-Content -LiteralPath $Armored) -Password $Password -StorePath $Store -Detailed
            $result.Path | Should -Be 'the armored text'
            $result.Status | Should -Be 'Valid'
            $result.MatchesCurrentSecret | Should -BeTrue
            (Test-SsoSecretBackup -ArmoredText ($text -replace '(?m)^Hint: ', 'Hint ') -Detailed).Status | Should -Be 'Damaged'
            (Test-SsoSecretBackup -ArmoredText $text -Password $WrongPassword -Detailed).Status | Should -Be 'WrongPassword'
        }

        It 'cannot see a forged hint without the password (Valid), but sees it with the password (Tampered)' {
            (Test-SsoSecretBackup -Path $Bad.Tampered -Detailed).Status | Should -Be 'Valid'
            (Test-SsoSecretBackup -Path $Bad.Tampered -Password $Password -StorePath $Store -Detailed).Status | Should -Be 'Tampered'
        }

        It 'reports KdfLimitExceeded when the backup asks for more memory than -MaximumKdfMemoryMiB' {
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $Store -MaximumKdfMemoryMiB 32 -Detailed
            $result.Status | Should -Be 'KdfLimitExceeded'
        }

        It 'reports NotABackup for a folder' {
            (Test-SsoSecretBackup -LiteralPath $Folder -Detailed).Status | Should -Be 'NotABackup'
        }

        It 'reports NotFound for a wildcard that matches nothing' {
            $result = Test-SsoSecretBackup -Path (Join-Path $Folder 'nothing-*.bak') -Detailed
            $result | Should -HaveCount 1
            $result.Status | Should -Be 'NotFound'
        }

        It 'writes a non-terminating PathNotFileSystem for a path that is not on the file system, and goes on' {
            $results = Test-SsoSecretBackup -Path 'function:prompt', $Backup -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathNotFileSystem,*'
            $results | Should -Be @($true)
        }
    }

    Context 'many files' {
        BeforeAll {
            $script:Many = New-TestFolder 'many'
            foreach ($i in 1..20) {
                Copy-Item -LiteralPath $Backup -Destination (Join-Path $Many ('copy{0:00}.bak' -f $i))
            }
            Copy-Item -LiteralPath $Bad.Damaged -Destination (Join-Path $Many 'copy21.bak')
            Copy-Item -LiteralPath $Backup -Destination (Join-Path $Many 'other.txt')
            $null = New-Item -ItemType Directory -Path (Join-Path $Many 'folder.bak')
        }

        It 'checks every file piped from Get-ChildItem: exactly one $false among 21 results' {
            Push-Location $Many
            try {
                $results = @(Get-ChildItem -File *.bak | Test-SsoSecretBackup)
            }
            finally {
                Pop-Location
            }
            $results | Should -HaveCount 21
            @($results | Where-Object { $_ -eq $false }) | Should -HaveCount 1
            @($results | Where-Object { $_ -eq $true }) | Should -HaveCount 20
        }

        It 'names the bad one with -Detailed' {
            $results = Get-ChildItem -LiteralPath $Many -Filter *.bak -File | Test-SsoSecretBackup -Detailed
            $bad = @($results | Where-Object { -not $_.IsValid })
            $bad | Should -HaveCount 1
            $bad[0].Path | Should -Be (Join-Path $Many 'copy21.bak')
            $bad[0].Status | Should -Be 'Damaged'
        }

        It 'expands a wildcard -Path, leaving out folders' {
            $results = Test-SsoSecretBackup -Path (Join-Path $Many '*.bak') -Detailed
            $results | Should -HaveCount 21
            $results.Path | Should -Not -Contain (Join-Path $Many 'folder.bak')
            $results.Path | Should -Not -Contain (Join-Path $Many 'other.txt')
        }

        It 'expands ? and [] wildcards' {
            @(Test-SsoSecretBackup -Path (Join-Path $Many 'copy0?.bak')) | Should -HaveCount 9
            @(Test-SsoSecretBackup -Path (Join-Path $Many 'copy[12]?.bak')) | Should -HaveCount 12
        }

        It 'resolves a relative wildcard against the PowerShell location' {
            Push-Location $Many
            try {
                [System.Environment]::CurrentDirectory | Should -Not -Be $Many
                $results = Test-SsoSecretBackup -Path 'copy1*.bak' -Detailed
            }
            finally {
                Pop-Location
            }
            $results | Should -HaveCount 10
            $results.Path | Should -Contain (Join-Path $Many 'copy10.bak')
        }
    }

    Context 'file names with wildcard characters' {
        BeforeAll {
            $script:Brackets = New-TestFolder 'brackets'
            $script:BracketFile = Join-Path $Brackets 'backup[1].bak'
            Copy-Item -LiteralPath $Backup -Destination $BracketFile
            # The file the name would match as a pattern: it must never be checked in its place.
            $script:PatternMatch = Join-Path $Brackets 'backup1.bak'
            Set-Content -LiteralPath $PatternMatch -Value 'not a backup' -Encoding utf8
        }

        It 'takes a name containing [ as it is with -LiteralPath' {
            $result = Test-SsoSecretBackup -LiteralPath $BracketFile -Detailed
            $result.Path | Should -Be $BracketFile
            $result.Status | Should -Be 'Valid'
            Test-SsoSecretBackup -LiteralPath $BracketFile | Should -BeTrue
        }

        It 'takes each file from Get-ChildItem through the pipeline as itself, not as a pattern' {
            $results = Get-ChildItem -LiteralPath $Brackets | Test-SsoSecretBackup -Detailed
            $results | Should -HaveCount 2
            ($results | Where-Object Path -EQ $BracketFile).Status | Should -Be 'Valid'
            ($results | Where-Object Path -EQ $PatternMatch).Status | Should -Be 'NotABackup'
        }

        It 'takes a FileInfo given to -Path as itself' {
            (Test-SsoSecretBackup -Path (Get-Item -LiteralPath $BracketFile) -Detailed).Path | Should -Be $BracketFile
        }

        It 'takes escaped wildcard characters in -Path literally' {
            $escaped = Join-Path $Brackets 'backup`[1`].bak'
            $result = Test-SsoSecretBackup -Path $escaped -Detailed
            $result.Path | Should -Be $BracketFile
            $result.Status | Should -Be 'Valid'
        }

        It 'expands [1] in -Path as a pattern, as PowerShell does' {
            (Test-SsoSecretBackup -Path (Join-Path $Brackets 'backup[1].bak') -Detailed).Path | Should -Be $PatternMatch
        }

        It 'reports NotFound for a literal name that does not exist' {
            (Test-SsoSecretBackup -LiteralPath (Join-Path $Brackets 'backup[2].bak') -Detailed).Status | Should -Be 'NotFound'
        }
    }

    Context 'what it touches' {
        It 'writes nothing anywhere without a password (the folder and the store are unchanged)' {
            $folderBefore = Get-FolderSnapshot $Folder
            $storeBefore = Get-FolderSnapshot $Store
            $elsewhere = New-TestPath 'no-store'
            $null = Test-SsoSecretBackup -Path (Join-Path $Folder '*') -StorePath $Store -Detailed
            $null = Test-SsoSecretBackup -Path $Backup -StorePath $elsewhere
            Get-FolderSnapshot $Folder | Should -Be $folderBefore
            Get-FolderSnapshot $Store | Should -Be $storeBefore
            $elsewhere | Should -Not -Exist
        }

        It 'leaves MatchesCurrentSecret empty, and creates no store, when the store holds no secret' {
            $empty = New-TestPath 'no-store'
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $empty -Detailed
            $result.Status | Should -Be 'Valid'
            $result.PasswordVerified | Should -BeTrue
            $result.MatchesCurrentSecret | Should -BeNullOrEmpty
            $empty | Should -Not -Exist
        }

        It 'reports MatchesCurrentSecret $false once the store''s secret was replaced with New-SsoMasterSecret -Force' {
            $store = Copy-TestStore $Store
            $null = New-TestSecret -StorePath $store -BackupPath (Join-Path (New-TestFolder 'replaced') 'new.bak') -Force
            $result = Test-SsoSecretBackup -Path $Backup -Password $Password -StorePath $store -Detailed
            $result.Status | Should -Be 'Valid'
            $result.PasswordVerified | Should -BeTrue
            $result.MatchesCurrentSecret | Should -BeFalse
        }
    }
}
