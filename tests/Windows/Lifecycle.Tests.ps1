# The main job end to end on Windows (under Wine): generate, back up, armor, read, verify, restore, protect, rotate,
# rewrap a config file and retire the old secret, every command taking the module's Windows branches (DPAPI store,
# drive-letter paths, File.Replace commits).

BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsHelpers.ps1')
    $script:Made = New-WorkSecret
}

AfterAll {
    Restore-WindowsTestEnvironment
}

Describe 'On Windows, a master secret' {
    It 'is generated with its backup into a new store, protected with DPAPI' {
        $Made.Info.SecretId | Should -Not -Be ([guid]::Empty)
        $Made.Info.StorePath | Should -Be $Made.Store
        (Get-SsoMasterSecret -StorePath $Made.Store).Fingerprint | Should -Be $Made.Info.Fingerprint
        # docs/store-format.md: magic (8), version (2), then the protection byte: 1 is DPAPI (machine scope).
        $bytes = [System.IO.File]::ReadAllBytes((Get-StoreFile $Made.Store))
        [System.Text.Encoding]::ASCII.GetString($bytes, 0, 8) | Should -Be 'SSOSTORE'
        $bytes[10] | Should -Be 1
    }

    It 'records its first backup, and the backup reads without a password' {
        $state = Get-SsoMasterSecret -StorePath $Made.Store
        $state.LastBackupPath | Should -Be $Made.Backup
        $info = Get-SsoSecretBackupInfo -LiteralPath $Made.Backup
        $info.SecretId | Should -Be $Made.Info.SecretId
        $info.PasswordHint | Should -Be $Hint
        $info.Armored | Should -BeFalse
        $info.Kdf.MemoryKiB | Should -Be 64
    }

    It 'is backed up again as a binary file and as armored text, neither overwritten without -Force' {
        $binary = "$(New-WorkPath 'again').bak"
        $armored = "$(New-WorkPath 'armored').txt"
        Backup-SsoMasterSecret -Path $binary -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf
        Backup-SsoMasterSecret -Path $armored -Armor -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf
        (Get-SsoSecretBackupInfo -LiteralPath $binary).Armored | Should -BeFalse
        (Get-SsoSecretBackupInfo -LiteralPath $armored).Armored | Should -BeTrue
        (Get-Content -LiteralPath $armored -Raw) | Should -Match '^-----BEGIN'
        $before = Get-FileDigest $armored
        $refusal = Get-Refusal { Backup-SsoMasterSecret -Path $armored -Armor -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf -ErrorAction Stop }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupExists,*'
        Get-FileDigest $armored | Should -Be $before
    }

    It 'has backups that verify as Valid with the password and WrongPassword without it' {
        $armored = "$(New-WorkPath 'verify').txt"
        Backup-SsoMasterSecret -Path $armored -Armor -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf
        $valid = Test-SsoSecretBackup -LiteralPath $Made.Backup, $armored -Password $Password -StorePath $Made.Store -Detailed
        $valid.Status | Should -Be @('Valid', 'Valid')
        $valid.MatchesCurrentSecret | Should -Be @($true, $true)
        $wrong = Test-SsoSecretBackup -LiteralPath $Made.Backup -Password $WrongPassword -StorePath $Made.Store -Detailed
        $wrong.Status | Should -Be 'WrongPassword'
        Test-SsoSecretBackup -LiteralPath $Made.Backup -Password $WrongPassword -StorePath $Made.Store | Should -BeFalse
    }

    It 'derives its keys with the managed vectorized Argon2id (no libargon2 on Windows), which opens the golden backup' {
        $measured = Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1))
        $measured.Implementation | Should -Be 'Managed'
        $measured.ImplementationReason | Should -Match ('^' + [regex]::Escape("no native libargon2 can be used (no libargon2 is looked for on this platform unless `$env:SSOSECRET_ARGON2_LIBRARY names one); SsoSecret's managed Argon2id (") + '(AVX2|SSE2|AdvSIMD|scalar), \.NET [\d.]+\) passed its self-test$')
        $golden = 'C:\SsoSecretLane\fixtures\golden\v1-binary.bak'   # copied there by Invoke-WindowsLane.ps1
        $check = Test-SsoSecretBackup -LiteralPath $golden -Password (ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force) -StorePath (New-WorkPath 'empty') -Detailed
        $check.Status | Should -Be 'Valid'
    }

    It 'is restored from its backup into a new store, where values protected in the first store open' {
        $protected = Protect-SsoData -InputObject 'db password' -Purpose 'billing/db' -StorePath $Made.Store
        $restored = New-WorkPath 'restored'
        $result = Restore-SsoMasterSecret -LiteralPath $Made.Backup -Password $Password -StorePath $restored -PassThru
        $result.SecretId | Should -Be $Made.Info.SecretId
        (Get-SsoMasterSecret -StorePath $restored).Fingerprint | Should -Be $Made.Info.Fingerprint
        Unprotect-SsoData -InputObject $protected -Purpose 'billing/db' -AsPlainText -StorePath $restored | Should -Be 'db password'
    }
}

Describe 'On Windows, protected values' {
    It 'round-trip, and fail with their own ids for another purpose or a changed character' {
        $protected = Protect-SsoData -InputObject 'token-123' -Purpose 'app/token' -StorePath $Made.Store
        Unprotect-SsoData -InputObject $protected -Purpose 'app/token' -AsPlainText -StorePath $Made.Store | Should -Be 'token-123'
        $secure = Unprotect-SsoData -InputObject $protected -Purpose 'app/token' -StorePath $Made.Store
        $secure | Should -BeOfType [securestring]
        (Get-Refusal { Unprotect-SsoData -InputObject $protected -Purpose 'app/other' -StorePath $Made.Store -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.WrongPurpose,*'
        $index = $protected.Length - 5
        $changed = $protected.Substring(0, $index) + ($(if ($protected[$index] -eq 'A') { 'B' } else { 'A' })) + $protected.Substring($index + 1)
        (Get-Refusal { Unprotect-SsoData -InputObject $changed -Purpose 'app/token' -StorePath $Made.Store -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.*ProtectedData,*'
    }
}

Describe 'On Windows, a rotation' {
    BeforeAll {
        $script:Rotated = New-WorkSecret
        $script:Config = Join-Path $Work 'billing.json'
        $old = Protect-SsoData -InputObject 's3cret' -Purpose 'billing/db' -StorePath $Rotated.Store
        Set-Content -LiteralPath $Config -Value "{ `"db`": `"$old`", `"name`": `"billing`" }" -Encoding utf8
        $script:OldValue = $old
    }

    It 'keeps the replaced secret as the previous one (New-SsoMasterSecret -Force)' {
        $next = New-SsoMasterSecret -BackupPath "$(New-WorkPath 'rotated').bak" -StorePath $Rotated.Store -Password $Password -KdfParameters $TinyKdf -Force -PassThru
        $next.SecretId | Should -Not -Be $Rotated.Info.SecretId
        $state = Get-SsoMasterSecret -StorePath $Rotated.Store
        $state.SecretId | Should -Be $next.SecretId
        $state.HasPreviousSecret | Should -BeTrue
        $state.PreviousSecretId | Should -Be $Rotated.Info.SecretId
        Unprotect-SsoData -InputObject $OldValue -Purpose 'billing/db' -AsPlainText -StorePath $Rotated.Store | Should -Be 's3cret'
        $script:NextId = $next.SecretId
    }

    It 'rewraps the values of a config file in place (Update-SsoProtectedData -LiteralPath, File.Replace)' {
        $update = Update-SsoProtectedData -LiteralPath $Config -Purpose 'billing/db' -StorePath $Rotated.Store -PassThru
        $update.Values | Should -Be 1
        $update.Rewrapped | Should -Be 1
        $update.SecretId | Should -Be $NextId
        $update.FromSecretIds | Should -Be @($Rotated.Info.SecretId)
        $text = Get-Content -LiteralPath $Config -Raw
        $text | Should -Not -Match ([regex]::Escape($OldValue))
        $text | Should -Match '"name": "billing"'
        $value = ($text | ConvertFrom-Json).db
        Unprotect-SsoData -InputObject $value -Purpose 'billing/db' -AsPlainText -StorePath $Rotated.Store | Should -Be 's3cret'
        # Nothing left beside it: the temporary file of the rewrite was committed or removed.
        @(Get-ChildItem -LiteralPath $Work -Force -Filter '*billing*').Name | Should -Be @('billing.json')
    }

    It 'retires the previous secret (Remove-SsoPreviousSecret), after which the old value no longer opens' {
        Remove-SsoPreviousSecret -SecretId $Rotated.Info.SecretId -StorePath $Rotated.Store -Force
        (Get-SsoMasterSecret -StorePath $Rotated.Store).HasPreviousSecret | Should -BeFalse
        (Get-Refusal { Unprotect-SsoData -InputObject $OldValue -Purpose 'billing/db' -StorePath $Rotated.Store -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.UnknownSecret,*'
        $value = (Get-Content -LiteralPath $Config -Raw | ConvertFrom-Json).db
        Unprotect-SsoData -InputObject $value -Purpose 'billing/db' -AsPlainText -StorePath $Rotated.Store | Should -Be 's3cret'
    }
}
