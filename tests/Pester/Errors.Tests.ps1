# How failures reach scripts: every error record's Exception is the module's own typed exception, in the default load
# context, so `catch [SsoSecret.WrongPasswordException]` parses and works; each failure has one id of its own.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Store = New-TestPath 'store'
    $script:Backup = New-TestPath 'backup'
    New-TestSecret -StorePath $Store -BackupPath $Backup | Out-Null
}

AfterAll { Restore-TestEnvironment }

Describe 'Catching SsoSecret failures by type' {
    It 'catches a wrong password as [SsoSecret.WrongPasswordException], a BackupException with Failure WrongPassword' {
        $caught = $null
        try {
            Restore-SsoMasterSecret $Backup -Password $WrongPassword -StorePath (New-TestPath 'other') -Force -ErrorAction Stop
        }
        catch [SsoSecret.WrongPasswordException] {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.Exception | Should -BeOfType ([SsoSecret.BackupException])
        $caught.Exception.Failure | Should -Be ([SsoSecret.SsoSecretFailure]::WrongPassword)
        $caught.Exception.ErrorId | Should -Be 'SsoSecret.WrongPassword'
        $caught.Exception.Path | Should -Be $Backup
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPassword,*'
        $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'catches a damaged backup as [SsoSecret.BackupException] but not as a wrong password' {
        $damaged = New-TestPath 'damaged'
        $bytes = [System.IO.File]::ReadAllBytes($Backup)
        $bytes[100] = $bytes[100] -bxor 0xFF
        [System.IO.File]::WriteAllBytes($damaged, $bytes)
        $which = try {
            Get-SsoSecretBackupInfo -LiteralPath $damaged -ErrorAction Stop
        }
        catch [SsoSecret.WrongPasswordException] { 'wrong password' }
        catch [SsoSecret.BackupException] { $_.Exception.Failure.ToString() }
        $which | Should -Be 'DamagedBackup'
    }

    It 'catches a store failure as [SsoSecret.StoreException], and every failure as [SsoSecret.SsoSecretException]' {
        $which = try { Get-SsoMasterSecret -StorePath (New-TestPath 'empty') } catch [SsoSecret.StoreException] { $_.Exception.Failure.ToString() }
        $which | Should -Be 'NoMasterSecret'
        $which = try { Measure-SsoKdf -TargetTime ([timespan]::Zero) } catch [SsoSecret.SsoSecretException] { $_.Exception.ErrorId }
        $which | Should -Be 'SsoSecret.InvalidTargetTime'
    }

    It 'resolves the exception types by name in a new session before any command ran (they live in the default load context)' {
        $module = $env:SSOSECRET_TEST_MODULE
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $script = "Import-Module '$module'; [SsoSecret.WrongPasswordException].Assembly.GetName().Name; [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([SsoSecret.SsoSecretException].Assembly).Name"
        $output = & dotnet $pwsh -NoProfile -NonInteractive -Command $script
        $output | Should -Be @('SsoSecret.Types', 'Default')
    }
}

Describe 'One id per meaning' {
    It 'refuses -KdfProfile with -KdfParameters as ConflictingParameters (not WeakKdf)' {
        $kdf = [SsoSecret.KdfParameters]::FromProfile('Interactive')
        { Backup-SsoMasterSecret (New-TestPath 'x') -Password $Password -StorePath $Store -KdfProfile Interactive -KdfParameters $kdf } |
            Should -Throw -ErrorId 'SsoSecret.ConflictingParameters,*'
        { New-SsoMasterSecret (New-TestPath 'x') -Password $Password -StorePath (New-TestPath 'store') -KdfProfile Sensitive -KdfParameters $kdf } |
            Should -Throw -ErrorId 'SsoSecret.ConflictingParameters,*'
    }

    It 'refuses a backup in a missing folder as FolderNotFound (not WriteFailed), for New too' {
        $path = Join-Path (New-TestPath 'missing') 'x.bak'
        { New-SsoMasterSecret $path -Password $Password -StorePath (New-TestPath 'store') -KdfProfile Interactive } |
            Should -Throw -ErrorId 'SsoSecret.FolderNotFound,*'
    }

    It 'refuses a target time that is not positive as InvalidTargetTime' {
        { Measure-SsoKdf -TargetTime ([timespan]::FromSeconds(-1)) } | Should -Throw -ErrorId 'SsoSecret.InvalidTargetTime,*'
    }

    It 'gives every failure its own member of [SsoSecret.SsoSecretFailure], and the id is its name' {
        $names = [enum]::GetNames([SsoSecret.SsoSecretFailure])
        $names | Should -Be ($names | Select-Object -Unique)
        $e = [SsoSecret.SsoSecretException]::new('StoreBusy', 'message')
        $e.ErrorId | Should -Be 'SsoSecret.StoreBusy'
    }
}
