# k-of-n custodians (issue 13) through the built module: Split-SsoMasterSecret writes the share sheets, Test-SsoSecretShare
# is the drill, Restore-SsoMasterSecret -SharePath/-Share restores from them; at a real terminal (tests/Pester/Terminal.cs)
# the shares still missing are typed in turn, with what was given and what is needed shown before each.

BeforeDiscovery {
    $script:HasTerminal = $IsLinux -and [bool](Get-Command setsid -ErrorAction Ignore)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Module = $env:SSOSECRET_TEST_MODULE
    $script:Folder = New-TestFolder 'shares'
    $script:Store = New-TestPath 'store'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath (Join-Path $Folder 'a.bak')
    $script:SheetFolder = Join-Path $Folder 'sheets'
    $null = New-Item -ItemType Directory -Path $SheetFolder
    $script:Sheets = @(Split-SsoMasterSecret -OutFolder $SheetFolder -Threshold 3 -Count 5 -StorePath $Store -Confirm:$false)

    function Get-ShareWords([string] $Path) {
        # The words of a sheet, one string, as a custodian would type them from the paper.
        $lines = Get-Content -LiteralPath $Path
        $begin = [array]::IndexOf($lines, ($lines | Where-Object { $_ -like '-----BEGIN*' } | Select-Object -First 1))
        $end = [array]::IndexOf($lines, ($lines | Where-Object { $_ -like '-----END*' } | Select-Object -First 1))
        (($lines[($begin + 1)..($end - 1)] -join ' ') -replace '\d+', ' ' -replace '\s+', ' ').Trim()
    }

    function Get-ErrorId([scriptblock] $Action) {
        try { & $Action; $null } catch { $_.FullyQualifiedErrorId }
    }
}

Describe 'Split-SsoMasterSecret' {
    It 'writes Count sheets, owner-only, one per share, naming the split, the secret and the threshold' {
        $Sheets.Count | Should -Be 5
        $Sheets.ShareNumber | Should -Be @(1, 2, 3, 4, 5)
        @($Sheets.SplitId | Select-Object -Unique).Count | Should -Be 1
        $Sheets | ForEach-Object {
            $_.SecretId | Should -Be $Secret.SecretId
            $_.Fingerprint | Should -Be $Secret.Fingerprint
            $_.Threshold | Should -Be 3
            $_.Count | Should -Be 5
            Test-Path -LiteralPath $_.Path | Should -BeTrue
            if (-not $IsWindows) { [int](Get-Item -LiteralPath $_.Path).UnixFileMode | Should -Be 0x180 }
        }
        # Each sheet holds its own 20-word share: the words differ from sheet to sheet.
        @($Sheets | ForEach-Object { Get-ShareWords $_.Path } | Select-Object -Unique).Count | Should -Be 5
        (Get-ShareWords $Sheets[0].Path).Split(' ').Count | Should -BeGreaterOrEqual 20
    }

    It 'shows its shares as a table, one row each, headed by their properties' {
        $lines = @(($Sheets | Format-Table | Out-String -Width 250) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^ShareNumber\s+Count\s+Threshold\s+SplitId\s+Fingerprint\s+Path\s*$'
        $lines | Should -HaveCount 7
        $lines[2] | Should -Match ('^\s+1\s+5\s+3\s+{0}\s+{1}\.\.\.\s+{2}\s*$' -f $Sheets[0].SplitId, $Secret.Fingerprint.Substring(0, 8), [regex]::Escape($Sheets[0].Path))
    }

    It 'gives each new split its own identifier and file names, so a second split writes beside the first' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $Folder 'again')
        $first = @(Split-SsoMasterSecret -OutFolder $folder -Threshold 2 -Count 2 -StorePath $Store -Confirm:$false)
        $first.Count | Should -Be 2
        # A new split has a new identifier, so its names differ; the folder simply gains the new ones.
        $second = @(Split-SsoMasterSecret -OutFolder $folder -Threshold 2 -Count 2 -StorePath $Store -Confirm:$false)
        $second[0].SplitId | Should -Not -Be $first[0].SplitId
        @(Get-ChildItem $folder).Count | Should -Be 4
    }

    It 'refuses a threshold above the count (InvalidSharePlan), writing nothing' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $Folder 'bad-plan')
        Get-ErrorId { Split-SsoMasterSecret -OutFolder $folder -Threshold 4 -Count 3 -StorePath $Store -Confirm:$false } |
            Should -Be 'SsoSecret.InvalidSharePlan,SsoSecret.Commands.SplitSsoMasterSecretCommand'
        @(Get-ChildItem $folder).Count | Should -Be 0
    }

    It 'writes nothing with -WhatIf' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $Folder 'whatif')
        Split-SsoMasterSecret -OutFolder $folder -Threshold 2 -Count 3 -StorePath $Store -WhatIf | Should -BeNullOrEmpty
        @(Get-ChildItem $folder).Count | Should -Be 0
    }
}

Describe 'Test-SsoSecretShare (the drill)' {
    It 'returns $true for three of the five sheets, and names the secret with -Detailed' {
        Test-SsoSecretShare -Path $Sheets[0].Path, $Sheets[2].Path, $Sheets[4].Path -StorePath $Store | Should -BeTrue
        $result = Test-SsoSecretShare -Path $Sheets[1].Path, $Sheets[2].Path, $Sheets[3].Path -StorePath $Store -Detailed
        $result.IsValid | Should -BeTrue
        $result.SecretId | Should -Be $Secret.SecretId
        $result.Fingerprint | Should -Be $Secret.Fingerprint
        $result.MatchesCurrentSecret | Should -BeTrue
        $result.ShareNumbers | Should -Be @(2, 3, 4)
    }

    It 'says which shares were given and how many more are needed when too few' {
        $result = Test-SsoSecretShare -Path $Sheets[0].Path, $Sheets[3].Path -StorePath $Store -Detailed
        $result.IsValid | Should -BeFalse
        $result.Failure | Should -Be 'TooFewShares'
        $result.SharesNeeded | Should -Be 1
        $result.Message | Should -Match '^Split \d+: 2 shares accepted \(share 1, share 4\)\. 1 of 3 still needed\.$'
        Test-SsoSecretShare -Path $Sheets[0].Path -StorePath $Store -WarningVariable warned -WarningAction SilentlyContinue | Should -BeFalse
        "$warned" | Should -Match '2 of 3 still needed'
    }

    It 'counts a share given twice once, and says so' {
        $result = Test-SsoSecretShare -Path $Sheets[0].Path, $Sheets[3].Path, $Sheets[0].Path -StorePath $Store -Detailed
        $result.IsValid | Should -BeFalse
        $result.Failure | Should -Be 'TooFewShares'
        $result.SharesNeeded | Should -Be 1
        $result.Message | Should -Match '^Split \d+: 2 shares accepted \(share 1, share 4; given again and counted once: share 1\)\. 1 of 3 still needed\.$'
    }

    It 'finds a mistyped word (DamagedShare) and names its position, never the word' {
        $words = (Get-ShareWords $Sheets[0].Path).Split(' ')
        $words[5] = if ($words[5] -eq 'academic') { 'acid' } else { 'academic' }
        $result = Test-SsoSecretShare -Share ($words -join ' '), (Get-ShareWords $Sheets[1].Path), (Get-ShareWords $Sheets[2].Path) -StorePath $Store -Detailed
        $result.IsValid | Should -BeFalse
        $result.Failure | Should -Be 'DamagedShare'
        $result.Message | Should -Not -Match ([regex]::Escape($words[5]) + '\b.*' + [regex]::Escape($words[6]))
    }

    It 'refuses shares of two splits given together (MixedShares)' {
        $other = @(Split-SsoMasterSecret -OutFolder (New-Item -ItemType Directory -Path (Join-Path $Folder 'other')) -Threshold 3 -Count 5 -StorePath $Store -Confirm:$false)
        $result = Test-SsoSecretShare -Path $Sheets[0].Path, $Sheets[1].Path, $other[2].Path -StorePath $Store -Detailed
        $result.Failure | Should -Be 'MixedShares'
    }
}

Describe 'Restore-SsoMasterSecret from recovery shares' {
    It 'restores the secret from three sheets into an empty store, with no backup file' {
        $target = New-TestPath 'store'
        $info = Restore-SsoMasterSecret -SharePath $Sheets[4].Path, $Sheets[1].Path, $Sheets[0].Path -StorePath $target -PassThru -Confirm:$false
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        # Shares are no file: nothing is recorded as the last backup.
        $info.LastBackupPath | Should -BeNullOrEmpty
    }

    It 'restores from words given with -Share, and from a wildcard of sheets' {
        $target = New-TestPath 'store'
        $words = $Sheets[2..4] | ForEach-Object { Get-ShareWords $_.Path }
        Restore-SsoMasterSecret -Share $words -StorePath $target -Confirm:$false
        (Get-SsoMasterSecret -StorePath $target).SecretId | Should -Be $Secret.SecretId

        $target = New-TestPath 'store'
        Restore-SsoMasterSecret -SharePath (Join-Path $SheetFolder '*.txt') -StorePath $target -Confirm:$false
        (Get-SsoMasterSecret -StorePath $target).Fingerprint | Should -Be $Secret.Fingerprint
    }

    It 'fails with TooFewShares, saying what is missing, and creates no store, when no prompt can ask for more' {
        $target = New-TestPath 'store'
        $failure = $null
        try { Restore-SsoMasterSecret -SharePath $Sheets[0].Path, $Sheets[1].Path -StorePath $target -Confirm:$false } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -Be 'SsoSecret.TooFewShares,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        $failure.Exception.Message | Should -Match 'Split \d+: 2 shares accepted \(share 1, share 2\)\. 1 of 3 still needed\.'
        Test-Path (Join-Path $target 'master-secret.dat') | Should -BeFalse
    }

    It 'fails with TooFewShares for -Share @() in a session that cannot prompt' {
        Get-ErrorId { Restore-SsoMasterSecret -Share @() -StorePath (New-TestPath 'store') -Confirm:$false } |
            Should -Be 'SsoSecret.TooFewShares,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
    }

    It 'names the sheet at fault for a damaged share (DamagedShare), and leaves the store as it was' {
        $target = New-TestPath 'store'
        $bad = Join-Path $Folder 'bad-share.txt'
        $words = (Get-ShareWords $Sheets[3].Path).Split(' ')
        $words[-1] = if ($words[-1] -eq 'zero') { 'zebra' } else { 'zero' }
        Set-Content -LiteralPath $bad -Value ($words -join ' ')
        $failure = $null
        try { Restore-SsoMasterSecret -SharePath $Sheets[0].Path, $bad, $Sheets[1].Path -StorePath $target -Confirm:$false } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -Be 'SsoSecret.DamagedShare,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        $failure.Exception.Message | Should -BeLike "*bad-share.txt*"
        Test-Path (Join-Path $target 'master-secret.dat') | Should -BeFalse
    }

    It 'needs the passphrase of a split made with one (WrongPassphrase without it), and restores with it' {
        $passphrase = ConvertTo-SecureString 'custodians of the vault' -AsPlainText -Force
        $split = @(Split-SsoMasterSecret -OutFolder (New-Item -ItemType Directory -Path (Join-Path $Folder 'with-passphrase')) -Threshold 2 -Count 3 -Passphrase $passphrase -StorePath $Store -Confirm:$false)
        $target = New-TestPath 'store'
        Get-ErrorId { Restore-SsoMasterSecret -SharePath $split[0].Path, $split[2].Path -StorePath $target -Confirm:$false } |
            Should -Be 'SsoSecret.WrongPassphrase,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        Restore-SsoMasterSecret -SharePath $split[0].Path, $split[2].Path -Passphrase $passphrase -StorePath $target -Confirm:$false
        (Get-SsoMasterSecret -StorePath $target).SecretId | Should -Be $Secret.SecretId
    }

    It 'asks before replacing a different secret, and keeps the replaced one as the previous secret with -Force' {
        $target = New-TestPath 'store'
        $other = New-TestSecret -StorePath $target -BackupPath (Join-Path $Folder 'other.bak')
        Get-ErrorId { Restore-SsoMasterSecret -SharePath $Sheets[0..2].Path -StorePath $target -Confirm:$false } |
            Should -Be 'SsoSecret.MasterSecretExists,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        (Get-SsoMasterSecret -StorePath $target).SecretId | Should -Be $other.SecretId

        Restore-SsoMasterSecret -SharePath $Sheets[0..2].Path -StorePath $target -Force
        $after = Get-SsoMasterSecret -StorePath $target
        $after.SecretId | Should -Be $Secret.SecretId
        $after.PreviousSecretId | Should -Be $other.SecretId
    }

    It 'changes nothing with -WhatIf' {
        $target = New-TestPath 'store'
        Restore-SsoMasterSecret -SharePath $Sheets[0..2].Path -StorePath $target -WhatIf
        Test-Path (Join-Path $target 'master-secret.dat') | Should -BeFalse
    }

    It 'keeps the last backup recorded when the store already held that secret' {
        $before = Get-SsoMasterSecret -StorePath $Store
        Restore-SsoMasterSecret -SharePath $Sheets[0..2].Path -StorePath $Store -Confirm:$false -InformationVariable said
        "$said" | Should -Match 'already holds master secret'
        (Get-SsoMasterSecret -StorePath $Store).LastBackupPath | Should -Be $before.LastBackupPath
    }
}

Describe 'Restore-SsoMasterSecret from shares typed at a real terminal' -Skip:(-not $HasTerminal) {
    BeforeAll {
        if (-not ('SsoSecretTests.Terminal' -as [type])) {
            Add-Type -LiteralPath (Join-Path $PSScriptRoot 'Terminal.cs')
        }

        $dll = Join-Path $PSHOME 'pwsh.dll'
        $script:Pwsh = if (Test-Path $dll) { @('dotnet', $dll) } else { @(Join-Path $PSHOME 'pwsh') }

        function Start-TestTerminal([string] $Command) {
            $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NoLogo', '-Command', $Command)
            [SsoSecretTests.Terminal]::Start($Pwsh[0], [string[]]$arguments, @{})
        }

        function Start-RestoreTerminal([string] $Shares, [string] $Target) {
            # A restore from the shares given (Restore-SsoMasterSecret's share parameters), at a terminal of its own.
            Start-TestTerminal "`$ErrorActionPreference = 'Stop'; Import-Module '$Module'; try { Restore-SsoMasterSecret $Shares -StorePath '$Target' -Confirm:`$false; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }"
        }

        function Assert-Expect($Terminal, [string] $Pattern, [double] $Seconds = 120) {
            if (-not $Terminal.Expect($Pattern, $Seconds)) {
                throw "The terminal did not show /$Pattern/ within $Seconds s. It shows:`n$($Terminal.Text)"
            }
        }
    }

    It 'shows the distinct shares accepted and what is still needed, refuses a mistyped or repeated share, and restores' {
        $target = New-TestPath 'store'
        $second = Get-ShareWords $Sheets[1].Path
        $third = Get-ShareWords $Sheets[3].Path
        $words = $third.Split(' ')
        $words[3] = if ($words[3] -eq 'academic') { 'acid' } else { 'academic' }
        $transcript = Join-Path $Folder 'typed-shares.txt'
        $command = "`$ErrorActionPreference = 'Stop'; Import-Module '$Module'; `$null = Start-Transcript -LiteralPath '$transcript'; " +
            "try { Restore-SsoMasterSecret -SharePath '$($Sheets[0].Path)' -StorePath '$target' -Confirm:`$false; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }; `$null = Stop-Transcript; 'TRANSCRIBED'"
        $terminal = Start-TestTerminal $command
        try {
            Assert-Expect $terminal 'Split \d+: 1 share accepted \(share 1\)\. 2 of 3 still needed\.'
            Assert-Expect $terminal 'Words of the next share \(20 or 33 words; an empty line to stop\)'
            $terminal.SendSecret($second, 60)
            Assert-Expect $terminal 'Split \d+: 2 shares accepted \(share 1, share 2\)\. 1 of 3 still needed\.'
            Assert-Expect $terminal 'Words of the next share'
            $terminal.SendSecret($second, 60)
            Assert-Expect $terminal 'That share \(share 2\) was accepted already; it does not count twice\. Type another share\.'
            Assert-Expect $terminal 'Split \d+: 2 shares accepted \(share 1, share 2\)\. 1 of 3 still needed\.'
            Assert-Expect $terminal 'Words of the next share'
            $terminal.SendSecret(($words -join ' '), 60)
            Assert-Expect $terminal 'The share typed does not pass its checksum.*That share was not taken; type it again\.'
            Assert-Expect $terminal 'Words of the next share'
            $terminal.SendSecret($third, 60)
            Assert-Expect $terminal 'RESULT:OK' 180
            Assert-Expect $terminal 'TRANSCRIBED'
            # A share is not a password: its words are shown as typed, to be checked against the sheet...
            $terminal.Text | Should -Match ([regex]::Escape($second))
            $terminal.Text | Should -Match ([regex]::Escape($third))
        }
        finally {
            $terminal.Dispose()
        }
        # ...but they never reach the transcript, which does record what was said.
        $recorded = Get-Content -LiteralPath $transcript -Raw
        $recorded | Should -Match '1 of 3 still needed'
        foreach ($typed in $second, $third) {
            $recorded | Should -Not -Match ([regex]::Escape(($typed.Split(' ')[0..2] -join ' ')))
        }
        (Get-SsoMasterSecret -StorePath $target).SecretId | Should -Be $Secret.SecretId
    }

    It 'ends the command at once on Ctrl+C at the share prompt, restoring nothing' {
        $target = New-TestPath 'store'
        $terminal = Start-RestoreTerminal "-SharePath '$($Sheets[0].Path)'" $target
        try {
            Assert-Expect $terminal 'Words of the next share'
            $terminal.Interrupt(60)
            $terminal.WaitForExit(120) | Should -BeTrue -Because "a stopped command ends the pwsh that ran it. The terminal shows:`n$($terminal.Text)"
            $terminal.Text | Should -Not -Match 'RESULT:'
        }
        finally {
            $terminal.Dispose()
        }
        Test-Path (Join-Path $target 'master-secret.dat') | Should -BeFalse
    }

    It 'stops with TooFewShares when an empty line is typed, restoring nothing' {
        $target = New-TestPath 'store'
        $terminal = Start-RestoreTerminal '-Share @()' $target
        try {
            Assert-Expect $terminal 'No recovery share was given\.'
            Assert-Expect $terminal 'Words of the next share'
            $terminal.SendSecret('', 60)
            Assert-Expect $terminal 'RESULT:SsoSecret\.TooFewShares' 120
        }
        finally {
            $terminal.Dispose()
        }
        Test-Path (Join-Path $target 'master-secret.dat') | Should -BeFalse
    }
}
