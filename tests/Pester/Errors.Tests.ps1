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

Describe 'Advice that points at real parameters' {
    BeforeAll {
        $script:Folder = New-TestFolder 'advice'
        $script:KeyPath = Join-Path $Folder 'a.key'
        $script:Key = New-SsoRecoveryKey -Path $KeyPath -Password $Password -KdfProfile Interactive
        $script:Sealed = Join-Path $Folder 'sealed.bak'
        Backup-SsoMasterSecret -Path $Sealed -Recipient $Key.PublicKey -StorePath $Store
        $script:Existing = Join-Path $Folder 'existing.txt'
        Set-Content -LiteralPath $Existing -Value 'kept'
        $script:Binary = Protect-SsoData -InputObject ([byte[]](0xff, 0xfe, 0x00)) -Purpose 'a/b' -StorePath $Store

        function Get-AdviceParameters([string] $Advice) {
            # Each -Name the advice gives, with the cmdlet named before it in the same clause (none: the failing one's).
            $command = $null
            foreach ($token in $Advice -split '\s+') {
                if ($token -match '^\(?([A-Z][a-z]+-Sso[A-Za-z]+)') { $command = $Matches[1] }
                elseif ($token -cmatch '^\(?-([A-Z][A-Za-z]+)') { [pscustomobject]@{ Command = $command; Parameter = $Matches[1] } }
                if ($token -match '[.;,:]\)?$') { $command = $null }
            }
        }

        $script:Common = [System.Management.Automation.Internal.CommonParameters].GetProperties().Name +
            [System.Management.Automation.Internal.ShouldProcessParameters].GetProperties().Name
    }

    It 'parses the parameters out of a piece of advice' {
        $found = Get-AdviceParameters 'Create one with New-SsoMasterSecret -BackupPath <file>, or pass -Force (or -Confirm:$false); Test-SsoSecretBackup -RecoveryKeyPath.'
        $found.Command | Should -Be @('New-SsoMasterSecret', $null, $null, 'Test-SsoSecretBackup')
        $found.Parameter | Should -Be @('BackupPath', 'Force', 'Confirm', 'RecoveryKeyPath')
    }

    It 'names in every failure''s usual advice only parameters that exist: of the cmdlet it names, else of some cmdlet of the module' {
        $catalog = [SsoSecret.Commands.SsoSecretCommandBase].Assembly.GetType('SsoSecret.Internal.ErrorCatalog')
        $action = $catalog.GetMethod('Action', [System.Reflection.BindingFlags]'NonPublic, Static')
        $commands = Get-Command -Module SsoSecret
        $named = 0
        foreach ($failure in [enum]::GetValues([SsoSecret.SsoSecretFailure])) {
            $advice = $action.Invoke($null, @($failure))
            foreach ($found in Get-AdviceParameters $advice) {
                $named++
                if ($found.Command) {
                    (Get-Command $found.Command).Parameters.Keys | Should -Contain $found.Parameter -Because "the advice for $failure says: $advice"
                }
                else {
                    @($commands | Where-Object { $_.Parameters.ContainsKey($found.Parameter) }) + @($Common -eq $found.Parameter) |
                        Should -Not -BeNullOrEmpty -Because "the advice for $failure says: $advice"
                }
            }
        }
        $named | Should -BeGreaterThan 10
    }

    It 'names only parameters of the command that failed: <Case>' -ForEach @(
        @{ Case = 'Get-SsoRecoveryKey given a backup'; Id = 'NotARecoveryKey'; Names = @(); Script = { Get-SsoRecoveryKey -Path $Backup } }
        @{ Case = 'Restore-SsoMasterSecret, a recovery key''s password nobody can type'; Id = 'PasswordRequired'; Names = 'RecoveryKeyPassword'; Script = { Restore-SsoMasterSecret -Path $Sealed -RecoveryKeyPath $KeyPath -StorePath (New-TestPath 'store') } }
        @{ Case = 'Test-SsoSecretBackup, a recovery key''s password nobody can type'; Id = 'PasswordRequired'; Names = 'RecoveryKeyPassword'; Script = { Test-SsoSecretBackup -Path $Sealed -RecoveryKeyPath $KeyPath } }
        @{ Case = 'Set-SsoSecretBackupPassword, the current password nobody can type'; Id = 'PasswordRequired'; Names = 'Password'; Script = { Set-SsoSecretBackupPassword -Path $Backup -NewPassword $Password -Force } }
        @{ Case = 'Set-SsoSecretBackupPassword, the new password nobody can type'; Id = 'PasswordRequired'; Names = 'NewPassword'; Script = { Set-SsoSecretBackupPassword -Path $Backup -Password $Password -Force } }
        @{ Case = 'Backup-SsoMasterSecret, a password nobody can type'; Id = 'PasswordRequired'; Names = 'Password'; Script = { Backup-SsoMasterSecret -Path (New-TestPath 'b') -StorePath $Store } }
        @{ Case = 'Split-SsoMasterSecret -Confirm, a confirmation nobody can give (it has no -Force)'; Id = 'ConfirmationRequired'; Names = 'Confirm'; Script = { Split-SsoMasterSecret -OutFolder $Folder -Threshold 2 -Count 2 -StorePath $Store -Confirm } }
        @{ Case = 'New-SsoMasterSecret over a secret'; Id = 'MasterSecretExists'; Names = 'Force'; Script = { New-SsoMasterSecret -BackupPath (New-TestPath 'n') -Password $Password -KdfProfile Interactive -StorePath $Store } }
        @{ Case = 'Restore-SsoMasterSecret, a recovery key for a password backup'; Id = 'BackupKindMismatch'; Names = @(); Script = { Restore-SsoMasterSecret -Path $Backup -RecoveryKeyPath $KeyPath -StorePath (New-TestPath 'store') } }
        @{ Case = 'Protect-SsoData, an existing -OutFile'; Id = 'FileExists'; Names = 'Force'; Script = { 'v' | Protect-SsoData -Purpose 'a/b' -OutFile $Existing -StorePath $Store } }
        @{ Case = 'Restore-SsoMasterSecret, a KDF above the limit'; Id = 'KdfLimitExceeded'; Names = 'MaximumKdfMemoryMiB'; Script = { Restore-SsoMasterSecret -Path $Backup -Password $Password -MaximumKdfMemoryMiB 32 -StorePath (New-TestPath 'store') } }
        @{ Case = 'Unprotect-SsoData, bytes that are not text'; Id = 'ValueNotText'; Names = 'AsByteArray'; Script = { Unprotect-SsoData $Binary -Purpose 'a/b' -StorePath $Store } }
    ) {
        $record = $null
        try {
            & ([scriptblock]::Create("`$ErrorActionPreference = 'Stop'; $Script")) | Out-Null
        }
        catch {
            $record = $_
        }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -BeLike "SsoSecret.$Id,*"
        $advice = $record.ErrorDetails.RecommendedAction
        $advice | Should -Not -BeNullOrEmpty
        # The advice is on the exception as well, where a catch block or $Error[0].Exception looks.
        $record.Exception.RecommendedAction | Should -BeExactly $advice
        $found = @(Get-AdviceParameters $advice)
        foreach ($name in $Names) { $found.Parameter | Should -Contain $name -Because "the advice says: $advice" }
        $failing = $record.InvocationInfo.MyCommand
        foreach ($one in $found) {
            $parameters = if ($one.Command) { (Get-Command $one.Command).Parameters.Keys } else { $failing.Parameters.Keys }
            $parameters | Should -Contain $one.Parameter -Because "$($failing.Name) failed with the advice: $advice"
        }
    }
}
