BeforeAll {
    Import-Module $env:SSOSECRET_TEST_MODULE -Force
    $script:Password = ConvertTo-SecureString 'measure password' -AsPlainText -Force
}

Describe 'Measure-SsoKdf' {
    It 'times a profile and reports its parameters' {
        $result = Measure-SsoKdf -Profile Interactive
        $result.Name | Should -Be 'Interactive'
        $result.Kdf.MemoryKiB | Should -Be 65536
        $result.Kdf.Iterations | Should -Be 3
        $result.Kdf.Parallelism | Should -Be 4
        $result.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
    }

    It 'times explicit parameters' {
        $result = Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1))
        $result.Name | Should -Be 'Custom'
        $result.Kdf.MemoryKiB | Should -Be 1024
    }

    It 'never proposes less than the Interactive floor, however short the target' {
        $proposal = Measure-SsoKdf -TargetTime ([TimeSpan]::FromMilliseconds(1)) -MaximumMemoryMiB 64 -WarningAction SilentlyContinue
        $proposal.Name | Should -Be 'Proposed'
        $proposal.Kdf.MemoryKiB | Should -BeGreaterOrEqual 65536
        $proposal.Kdf.Iterations | Should -BeGreaterOrEqual 3
    }

    It 'proposes parameters the backup commands accept as they are' {
        $proposal = Measure-SsoKdf -TargetTime ([TimeSpan]::FromMilliseconds(1)) -MaximumMemoryMiB 64 -WarningAction SilentlyContinue
        $store = Join-Path $TestDrive 'store'
        $backup = Join-Path $TestDrive 'measured.bak'
        New-SsoMasterSecret -BackupPath $backup -Password $Password -StorePath $store -KdfParameters $proposal | Out-Null
        (Get-SsoSecretBackupInfo $backup).Kdf.Equals($proposal.Kdf) | Should -BeTrue
    }

    It 'refuses explicit backup parameters weaker than the floor' {
        $weak = [SsoSecret.KdfParameters]::new(65536, 2, 4)
        { Backup-SsoMasterSecret -Path (Join-Path $TestDrive 'weak.bak') -Password $Password -StorePath (Join-Path $TestDrive 'store') -KdfParameters $weak } |
            Should -Throw -ErrorId 'SsoSecret.WeakKdf,*'
        Test-Path (Join-Path $TestDrive 'weak.bak') | Should -BeFalse
    }

    It 'has no -StorePath (it uses no store), and a -StorePath default for the store commands does not reach it' {
        (Get-Command Measure-SsoKdf).Parameters.Keys | Should -Not -Contain 'StorePath'
        (Get-Command Get-SsoSecretBackupInfo).Parameters.Keys | Should -Not -Contain 'StorePath'
        foreach ($name in 'New-SsoMasterSecret', 'Get-SsoMasterSecret', 'Backup-SsoMasterSecret', 'Restore-SsoMasterSecret', 'Test-SsoSecretBackup') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'StorePath' -Because "$name uses a store"
        }
        $PSDefaultParameterValues['*-Sso*:StorePath'] = Join-Path $TestDrive 'default-store'
        try {
            (Measure-SsoKdf -Profile Interactive).Name | Should -Be 'Interactive'
        }
        finally {
            $PSDefaultParameterValues.Remove('*-Sso*:StorePath')
        }
    }

    It 'shows the time left of a later KDF in this process, scaled from its measurement' {
        # A runspace of its own, so its progress records can be read; the module (and its estimate) is the process's.
        $measured = [SsoSecret.KdfParameters]::new(64 * 1024, 6, 4)
        $target = [SsoSecret.KdfParameters]::new(64 * 1024, 12, 4)
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($Module, $Measured, $Target)
                    Import-Module $Module
                    Measure-SsoKdf -KdfParameters $Measured
                    Measure-SsoKdf -KdfParameters $Target
                }).AddArgument($env:SSOSECRET_TEST_MODULE).AddArgument($measured).AddArgument($target)
            $results = $ps.Invoke()
            $ps.Streams.Error | Should -HaveCount 0
            $first = $results[0].Duration.TotalSeconds
            # The second run is twice the work: the estimate is twice the first run, whatever this machine's speed.
            $records = @($ps.Streams.Progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.StatusDescription -match 'about ([\d.]+) s' })
            if ($records.Count -eq 0) {
                Set-ItResult -Skipped -Because "the second run took less than the second after which progress is shown (first run: $first s)"
                return
            }
            $estimate = [double]([regex]::Match($records[-1].StatusDescription, 'about ([\d.]+) s').Groups[1].Value)
            $estimate | Should -BeGreaterOrEqual (2 * $first * 0.9 - 0.05)
            $estimate | Should -BeLessOrEqual (2 * $first * 1.1 + 0.05)
            $records | ForEach-Object {
                $_.PercentComplete | Should -BeGreaterOrEqual 0
                $_.PercentComplete | Should -BeLessOrEqual 99
                $_.SecondsRemaining | Should -BeGreaterOrEqual 0
            }
        }
        finally {
            $ps.Dispose()
        }
    }
}
