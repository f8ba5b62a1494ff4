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
}
