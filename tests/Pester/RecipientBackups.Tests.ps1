# Backups sealed to recovery keys through the built module: New- and Backup-SsoMasterSecret -Recipient (no password
# anywhere), Get-SsoSecretBackupInfo's Kind and Recipients, Test-SsoSecretBackup and Restore-SsoMasterSecret with
# -RecoveryKeyPath, and every bad input with its own id. The session cannot prompt: a command that would ask fails.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Folder = New-TestFolder 'recipients'
    $script:KeyA = New-SsoRecoveryKey -Path (Join-Path $Folder 'a.key') -Password $Password -PasswordHint 'safe A' -KdfProfile Interactive
    $script:KeyB = New-SsoRecoveryKey -Path (Join-Path $Folder 'b.key') -Password $Password -KdfProfile Interactive -Armor
    $script:KeyC = New-SsoRecoveryKey -Path (Join-Path $Folder 'c.key') -Password $Password -KdfProfile Interactive

    # The store's secret is generated with its first backup sealed to A and B; a second backup to A alone, armored;
    # and a password backup of the same secret.
    $script:Store = New-TestPath 'store'
    $script:SealedAB = Join-Path $Folder 'ab.bak'
    $script:Secret = New-SsoMasterSecret -BackupPath $SealedAB -Recipient $KeyA.PublicKey, $KeyB.PublicKey -StorePath $Store -PassThru
    $script:SealedA = Join-Path $Folder 'a.txt'
    $script:SealedAInfo = Backup-SsoMasterSecret -Path $SealedA -Recipient "# recovery keys", '', "  $($KeyA.PublicKey)  ", $KeyA.PublicKey -Armor -StorePath $Store -PassThru
    $script:PasswordBackup = Join-Path $Folder 'p.bak'
    Backup-SsoMasterSecret -Path $PasswordBackup -Password $Password -PasswordHint $Hint -KdfProfile Interactive -StorePath $Store

    function New-PublicKeyLine {
        # A fresh public key line from random bytes (the top bit clear), through the module's own encoder (no key file,
        # no KDF): for the tests that need many different keys.
        $bytes = [byte[]]::new(32)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        $bytes[31] = $bytes[31] -band 0x7f
        ConvertTo-PublicKeyLine $bytes
    }

    function Get-ErrorId([scriptblock] $Script, [object[]] $Arguments = @()) {
        # The first error of the commands, terminating or not; the block is made anew to see this file's variables.
        $ErrorActionPreference = 'Stop'
        try { & ([scriptblock]::Create($Script.ToString())) @Arguments | Out-Null } catch { return $_.FullyQualifiedErrorId.Split(',')[0] }
        '<no error>'
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Writing backups sealed to recovery keys' {
    It 'New-SsoMasterSecret -Recipient generates the secret and its backup with no password at all' {
        $Secret.SecretId | Should -Not -Be ([guid]::Empty)
        $Secret.LastBackupPath | Should -Be $SealedAB
        $info = Get-SsoSecretBackupInfo $SealedAB
        $info.FormatVersion | Should -Be 2
        $info.Kind | Should -Be ([SsoSecret.SsoSecretBackupKind]::Recipients)
        $info.Recipients | Should -Be @($KeyA.Fingerprint, $KeyB.Fingerprint)
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        $info.PasswordHint | Should -BeExactly ''
        $info.Kdf | Should -BeNullOrEmpty
        $info.Armored | Should -BeFalse
        if ($OnUnix) { [System.IO.File]::GetUnixFileMode($SealedAB) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'Backup-SsoMasterSecret -Recipient skips comments and blank lines, seals to a repeated key once, and records the backup' {
        $SealedAInfo.Kind | Should -Be 'Recipients'
        $SealedAInfo.Recipients | Should -Be @($KeyA.Fingerprint)
        $SealedAInfo.Armored | Should -BeTrue
        (Get-Content -LiteralPath $SealedA)[0] | Should -BeExactly '-----BEGIN SSOSECRET BACKUP-----'
        $recorded = Get-SsoMasterSecret -StorePath $Store
        $recorded.LastBackupPath | Should -Be $PasswordBackup -Because 'the password backup was written after it'
    }

    It 'shows sealed and password backups in one table, each column under its own property' {
        $lines = (Get-SsoSecretBackupInfo -LiteralPath $SealedAB, $PasswordBackup | Format-Table | Out-String -Width 250) -split '\r?\n'
        $lines | Where-Object { $_ -match '^Name\s' } | Should -Match '^Name\s+Created \(UTC\)\s+Fingerprint\s+Kdf \(Argon2id\)\s+Recipients\s+PasswordHint\s*$'
        $sealed = $lines | Where-Object { $_ -like 'ab.bak *' }
        $sealed | Should -Match ('\s{0}\.\.\.\s+{1}, {2}\s*$' -f $Secret.Fingerprint.Substring(0, 8), $KeyA.Fingerprint.Substring(0, 8), $KeyB.Fingerprint.Substring(0, 8))
        $sealed | Should -Not -Match 'recovery keys|keys:'
        $lines | Where-Object { $_ -like 'p.bak *' } | Should -Match ('\s64 MiB t=3 p=\d+\s+' + [regex]::Escape($Hint) + '\s*$')
    }

    It 'writes a backup sealed to recovery keys as armored text to the output, with a Recipients line, and restores it with a key' {
        $text = Backup-SsoMasterSecret -Armor -Recipient $KeyA.PublicKey, $KeyB.PublicKey -StorePath $Store
        $lines = $text -split "`n"
        $lines[1..4] | Should -Be @(
            ($lines[1] -replace '^(Created: \S+)$', '$1'), "Secret-Id: $($Secret.SecretId)", "Fingerprint: $($Secret.Fingerprint)", "Recipients: $($KeyA.Fingerprint), $($KeyB.Fingerprint)")
        $lines[1] | Should -Match '^Created: \S+Z$'
        $lines[5] | Should -Be ''
        $text | Should -Not -Match 'Hint:'
        $store = New-TestPath 'store'
        (Restore-SsoMasterSecret -ArmoredText $text -RecoveryKeyPath (Join-Path $Folder 'b.key') -RecoveryKeyPassword $Password -StorePath $store -PassThru).Fingerprint | Should -Be $Secret.Fingerprint
    }

    It 'seals to sixteen keys, the most a backup takes' {
        $keys = @(1..15 | ForEach-Object { New-PublicKeyLine }) + $KeyA.PublicKey
        $info = Backup-SsoMasterSecret -Path (Join-Path $Folder 'sixteen.bak') -Recipient $keys -StorePath $Store -PassThru
        $info.Recipients.Count | Should -Be 16
        $info.Recipients[15] | Should -Be $KeyA.Fingerprint
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $Folder 'whatif.bak'
        Backup-SsoMasterSecret -Path $path -Recipient $KeyA.PublicKey -StorePath $Store -WhatIf
        $path | Should -Not -Exist
        $store = New-TestPath 'whatif-store'
        New-SsoMasterSecret -BackupPath $path -Recipient $KeyA.PublicKey -StorePath $store -WhatIf
        $path | Should -Not -Exist
        $store | Should -Not -Exist
    }

    It 'refuses -Recipient with <Parameter>: RecipientsWithPassword, nothing written, nothing generated' -ForEach @(
        @{ Parameter = '-Password'; Extra = @{ Password = $null } }
        @{ Parameter = '-Credential'; Extra = @{ Credential = $null } }
        @{ Parameter = '-PasswordHint'; Extra = @{ PasswordHint = 'a hint' } }
    ) {
        $extra = @{} + $Extra
        if ($extra.ContainsKey('Password')) { $extra.Password = $Password }
        if ($extra.ContainsKey('Credential')) { $extra.Credential = [pscredential]::new('x', $Password) }
        $path = Join-Path $Folder 'mixed.bak'
        $before = Get-FolderSnapshot $Store
        Get-ErrorId { param($p, $x) Backup-SsoMasterSecret -Path $p -Recipient $KeyA.PublicKey -StorePath $Store @x } $path, $extra | Should -Be 'SsoSecret.RecipientsWithPassword'
        $newStore = New-TestPath 'mixed-store'
        Get-ErrorId { param($p, $s, $x) New-SsoMasterSecret -BackupPath $p -Recipient $KeyA.PublicKey -StorePath $s @x } $path, $newStore, $extra | Should -Be 'SsoSecret.RecipientsWithPassword'
        $path | Should -Not -Exist
        $newStore | Should -Not -Exist
        Get-FolderSnapshot $Store | Should -Be $before
    }

    It 'lets -KdfProfile and -KdfParameters pass (from $PSDefaultParameterValues, say) and says they are not used' {
        $PSDefaultParameterValues['Backup-SsoMasterSecret:KdfProfile'] = 'Sensitive'
        try {
            $path = Join-Path $Folder 'default-kdf.bak'
            $verbose = Backup-SsoMasterSecret -Path $path -Recipient $KeyA.PublicKey -StorePath $Store -Verbose 4>&1
            (Get-SsoSecretBackupInfo $path).Kind | Should -Be 'Recipients'
            @($verbose | Where-Object { "$_" -like '*-KdfProfile does not apply*' }).Count | Should -Be 1
        }
        finally {
            $PSDefaultParameterValues.Remove('Backup-SsoMasterSecret:KdfProfile')
        }
        $other = Join-Path $Folder 'explicit-kdf.bak'
        Backup-SsoMasterSecret -Path $other -Recipient $KeyA.PublicKey -KdfParameters ([SsoSecret.KdfParameters]::new(65536, 3, 4)) -StorePath $Store
        (Get-SsoSecretBackupInfo $other).Kdf | Should -BeNullOrEmpty
    }

    It 'refuses <Case> with InvalidRecipient before anything is generated' -ForEach @(
        @{ Case = 'a mistyped key'; Keys = { $k = $KeyA.PublicKey; , ($k.Substring(0, 40) + ($k[40] -eq 'q' ? 'p' : 'q') + $k.Substring(41)) } }
        @{ Case = 'a key with a character left out'; Keys = { , $KeyA.PublicKey.Remove(50, 1) } }
        @{ Case = "an age key"; Keys = { , 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj' } }
        @{ Case = 'a password given as a key'; Keys = { , 'correct horse battery staple' } }
        @{ Case = 'only comments'; Keys = { , @('# nobody', '') } }
        @{ Case = 'seventeen keys'; Keys = { , @(1..17 | ForEach-Object { New-PublicKeyLine }) } }
    ) {
        $keys = & ([scriptblock]::Create($Keys.ToString()))
        $newStore = New-TestPath 'invalid-store'
        $path = Join-Path $Folder 'invalid.bak'
        Get-ErrorId { param($p, $s, $k) New-SsoMasterSecret -BackupPath $p -Recipient $k -StorePath $s } $path, $newStore, $keys | Should -Be 'SsoSecret.InvalidRecipient'
        $newStore | Should -Not -Exist
        $path | Should -Not -Exist
    }
}

Describe 'Key lines that are not a canonical X25519 key' {
    BeforeAll {
        # The three forms of the page's negative vectors 1 to 3, of key A here: a real key with the top bit of byte 31
        # set (the same point: X25519 gave it the same shared secret, so sealing "worked"), p = 2^255 - 19 itself
        # (which the small-order test alone would also have refused), and 2^255 - 1.
        $topBit = ConvertFrom-PublicKeyLine $KeyA.PublicKey
        $topBit[31] = $topBit[31] -bor 0x80
        $script:NotCanonical = @{
            'top bit' = ConvertTo-PublicKeyLine $topBit
            'p' = ConvertTo-PublicKeyLine ([byte[]](@(0xed) + @(, 0xff * 30) + @(0x7f)))
            'max' = ConvertTo-PublicKeyLine ([byte[]](@(, 0xff * 31) + @(0x7f)))
        }
        $script:Says = @{
            'top bit' = '*the top bit of its last byte is set, so it is not a canonical X25519 public key*no recovery key would open a backup sealed to it*'
            'p' = '*its value is 2^255 - 19 or more, so it is not a canonical X25519 public key*'
            'max' = '*its value is 2^255 - 19 or more, so it is not a canonical X25519 public key*'
        }
    }

    It 'Backup-SsoMasterSecret -Recipient refuses <Case> with InvalidRecipient saying what is wrong: nothing sealed, the store untouched' -ForEach @(
        @{ Case = 'a key line with the top bit set'; Form = 'top bit' }
        @{ Case = 'the key line of u = 2^255 - 19'; Form = 'p' }
        @{ Case = 'the key line of u = 2^255 - 1'; Form = 'max' }
    ) {
        $line = $NotCanonical[$Form]
        $path = Join-Path $Folder "not-canonical-$($Form -replace ' ').bak"
        $before = Get-FolderSnapshot $Store
        $caught = $null
        try { Backup-SsoMasterSecret -Path $path -Recipient $KeyA.PublicKey, $line -StorePath $Store } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.InvalidRecipient,*'
        $caught.Exception.Message | Should -BeLike $Says[$Form]
        $caught.Exception.Message | Should -BeLike "*'$line'*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike '*Get-SsoRecoveryKey*'
        $path | Should -Not -Exist
        @(Get-ChildItem -LiteralPath $Folder -Force -Filter '*not-canonical*').Count | Should -Be 0 -Because 'not even a temporary file is left'
        Get-FolderSnapshot $Store | Should -Be $before
    }

    It 'New-SsoMasterSecret -Recipient refuses <Case> with InvalidRecipient before anything is generated' -ForEach @(
        @{ Case = 'a key line with the top bit set'; Form = 'top bit' }
        @{ Case = 'the key line of u = 2^255 - 19'; Form = 'p' }
        @{ Case = 'the key line of u = 2^255 - 1'; Form = 'max' }
    ) {
        $newStore = New-TestPath 'not-canonical-store'
        $path = Join-Path $Folder 'not-canonical-new.bak'
        $caught = $null
        try { New-SsoMasterSecret -BackupPath $path -Recipient $NotCanonical[$Form] -StorePath $newStore } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.InvalidRecipient,*'
        $caught.Exception.Message | Should -BeLike $Says[$Form]
        $newStore | Should -Not -Exist
        $path | Should -Not -Exist
    }

    It 'a backup that SsoSecret once sealed to such a line opens with no key, the right one included: WrongRecoveryKey (the page''s negative vector 7)' {
        # Vector 1's recipient (the page's key file, RFC 7748's Bob) and vector 1 sealed to his line with the top bit
        # set: found before the key file's password is asked for.
        $keyFile = Join-Path $Folder 'page-bob.key'
        Set-Content -LiteralPath $keyFile -Value (Get-PageVector 'Key file vector').Armored -NoNewline
        $backup = Join-Path $Folder 'page-negative-7.bak'
        [System.IO.File]::WriteAllBytes($backup, (Get-PageVector 'Negative vector 7:').File)
        (Get-SsoSecretBackupInfo $backup).Recipients | Should -Not -Contain (Get-SsoRecoveryKey -LiteralPath $keyFile).Fingerprint
        $store = New-TestPath 'page-negative-7-store'
        Get-ErrorId { param($b, $k, $s) Restore-SsoMasterSecret $b -RecoveryKeyPath $k -StorePath $s -Force } $backup, $keyFile, $store | Should -Be 'SsoSecret.WrongRecoveryKey'
        $store | Should -Not -Exist
    }
}

Describe 'Reading and checking backups sealed to recovery keys' {
    It 'Test-SsoSecretBackup without a key checks the structure, and with a key proves it opens and holds the current secret' {
        Test-SsoSecretBackup $SealedAB, $SealedA | Should -Be @($true, $true)
        $result = Test-SsoSecretBackup $SealedAB -RecoveryKeyPath $KeyB.Path -RecoveryKeyPassword $Password -StorePath $Store -Detailed
        $result.Status | Should -Be 'Valid'
        $result.Kind | Should -Be 'Recipients'
        $result.RecoveryKeyVerified | Should -BeTrue
        $result.PasswordVerified | Should -BeFalse
        $result.MatchesCurrentSecret | Should -BeTrue
    }

    It 'Test-SsoSecretBackup opens each file with what fits its kind, and reports the others by status' {
        $results = Test-SsoSecretBackup $SealedAB, $SealedA, $PasswordBackup -Password $Password -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $Store -Detailed
        $results.Status | Should -Be @('Valid', 'Valid', 'Valid')
        $results.RecoveryKeyVerified | Should -Be @($true, $true, $false)
        $results.PasswordVerified | Should -Be @($false, $false, $true)

        $other = Test-SsoSecretBackup $SealedA, $PasswordBackup -RecoveryKeyPath $KeyB.Path -RecoveryKeyPassword $Password -Detailed
        $other.Status | Should -Be @('WrongRecoveryKey', 'KindMismatch')
        Test-SsoSecretBackup $SealedAB -Password $Password -Detailed | ForEach-Object Status | Should -Be 'KindMismatch'
        Test-SsoSecretBackup $SealedA -RecoveryKeyPath $KeyC.Path | Should -BeFalse
    }

    It 'Test-SsoSecretBackup stops the call for a key file it cannot use: <Case>' -ForEach @(
        @{ Case = 'missing'; Id = 'SsoSecret.FileNotFound'; Call = { @{ RecoveryKeyPath = (Join-Path $Folder 'missing.key'); RecoveryKeyPassword = $Password } } }
        @{ Case = 'a wrong password'; Id = 'SsoSecret.WrongPassword'; Call = { @{ RecoveryKeyPath = $KeyA.Path; RecoveryKeyPassword = $WrongPassword } } }
        @{ Case = 'no password and no prompt'; Id = 'SsoSecret.PasswordRequired'; Call = { @{ RecoveryKeyPath = $KeyA.Path } } }
        @{ Case = 'a password without a key'; Id = 'SsoSecret.ConflictingParameters'; Call = { @{ RecoveryKeyPassword = $Password } } }
    ) {
        $arguments = & ([scriptblock]::Create($Call.ToString()))
        Get-ErrorId { param($f, $a) Test-SsoSecretBackup $f @a } $SealedAB, $arguments | Should -Be $Id
    }

    It 'damage and forgery are told apart: <Case>' -ForEach @(
        @{ Case = 'a flipped byte'; Offset = 100; Fix = $false; InfoId = 'SsoSecret.DamagedBackup'; Status = 'Damaged'; Restore = 'SsoSecret.DamagedBackup' }
        @{ Case = 'the creation time forged'; Offset = 21; Fix = $true; InfoId = $null; Status = 'Tampered'; Restore = 'SsoSecret.TamperedBackup' }
        @{ Case = 'the stanza of key A forged'; Offset = 56 + 60; Fix = $true; InfoId = $null; Status = 'Tampered'; Restore = 'SsoSecret.TamperedBackup' }
    ) {
        $path = New-AlteredBackup -Source $SealedAB -Destination (Join-Path (New-TestFolder 'altered') 'x.bak') -Offset $Offset -Flip -FixChecksum:$Fix
        $errors = $null
        $header = Get-SsoSecretBackupInfo $path -ErrorVariable errors -ErrorAction SilentlyContinue
        if ($InfoId) { $errors[0].FullyQualifiedErrorId | Should -BeLike "$InfoId,*" } else { $header.Kind | Should -Be 'Recipients' }
        (Test-SsoSecretBackup $path -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -Detailed).Status | Should -Be $Status
        $store = New-TestPath 'altered-store'
        Get-ErrorId { param($p, $s) Restore-SsoMasterSecret $p -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $s -Force } $path, $store | Should -Be $Restore
        $store | Should -Not -Exist
    }
}

Describe 'Restoring from a backup sealed to recovery keys' {
    It 'restores with either key into a new store: the same secret id and fingerprint' {
        foreach ($key in $KeyA, $KeyB) {
            $store = New-TestPath 'restored'
            $output = Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath $key.Path -RecoveryKeyPassword $Password -StorePath $store -Force -PassThru
            $output.SecretId | Should -Be $Secret.SecretId
            $output.Fingerprint | Should -Be $Secret.Fingerprint
            $output.LastBackupPath | Should -Be $SealedAB
        }
    }

    It 'restores from the armored form' {
        $store = New-TestPath 'restored-armored'
        Restore-SsoMasterSecret $SealedA -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $store -Force
        (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).Fingerprint | Should -Be $Secret.Fingerprint
    }

    It 'refuses <Case> with <Id>, the store untouched' -ForEach @(
        @{ Case = 'a key the backup is not sealed to (found before its password is needed)'; Id = 'SsoSecret.WrongRecoveryKey'; Run = { param($s) Restore-SsoMasterSecret $SealedA -RecoveryKeyPath $KeyB.Path -StorePath $s -Force } }
        @{ Case = 'no key for a backup sealed to keys'; Id = 'SsoSecret.BackupKindMismatch'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -StorePath $s -Force } }
        @{ Case = 'a password for a backup sealed to keys'; Id = 'SsoSecret.BackupKindMismatch'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -Password $Password -StorePath $s -Force } }
        @{ Case = 'a key for a password backup'; Id = 'SsoSecret.BackupKindMismatch'; Run = { param($s) Restore-SsoMasterSecret $PasswordBackup -RecoveryKeyPath $KeyA.Path -StorePath $s -Force } }
        @{ Case = 'a password and a key'; Id = 'SsoSecret.ConflictingParameters'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -Password $Password -RecoveryKeyPath $KeyA.Path -StorePath $s -Force } }
        @{ Case = 'a key password without a key'; Id = 'SsoSecret.ConflictingParameters'; Run = { param($s) Restore-SsoMasterSecret $PasswordBackup -Password $Password -RecoveryKeyPassword $Password -StorePath $s -Force } }
        @{ Case = "a wrong key file password"; Id = 'SsoSecret.WrongPassword'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $WrongPassword -StorePath $s -Force } }
        @{ Case = 'no key file password and no prompt'; Id = 'SsoSecret.PasswordRequired'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath $KeyA.Path -StorePath $s -Force } }
        @{ Case = 'a missing key file'; Id = 'SsoSecret.FileNotFound'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath (Join-Path $Folder 'none.key') -StorePath $s -Force } }
        @{ Case = 'a backup given as the key'; Id = 'SsoSecret.NotARecoveryKey'; Run = { param($s) Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath $PasswordBackup -StorePath $s -Force } }
        @{ Case = 'a damaged key file'; Id = 'SsoSecret.DamagedRecoveryKey'; Run = { param($s) $k = New-AlteredBackup -Source $KeyA.Path -Destination (Join-Path $Folder 'damaged.key') -Offset 70 -Flip; Restore-SsoMasterSecret $SealedAB -RecoveryKeyPath $k -RecoveryKeyPassword $Password -StorePath $s -Force } }
    ) {
        $store = Copy-TestStore $Store
        $before = Get-FolderSnapshot $store
        Get-ErrorId $Run $store | Should -Be $Id
        Get-FolderSnapshot $store | Should -Be $before
    }

    It 'names the key files that would open the backup when the key is wrong' {
        $caught = $null
        try { Restore-SsoMasterSecret $SealedA -RecoveryKeyPath $KeyC.Path -StorePath (New-TestPath 's') -Force } catch { $caught = $_ }
        $caught.Exception | Should -BeOfType ([SsoSecret.BackupException])
        $caught.Exception.Failure | Should -Be 'WrongRecoveryKey'
        $caught.Exception.Message | Should -BeLike "*$($KeyC.Fingerprint)*$($KeyA.Fingerprint)*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike '*Get-SsoRecoveryKey*'
    }
}

Describe 'A forged backup under the real secret id (anyone with the public key line can write one)' {
    BeforeAll {
        # Her backup: her own secret, sealed to the administrator's public key A under the id she read from the real
        # backup's header (Get-SsoSecretBackupInfo needs no password). Written through the module's own sealing code,
        # reached by reflection, as a writer from the page would write it.
        $context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
        $core = $context.Assemblies | Where-Object { $_.GetName().Name -eq 'SsoSecret.Core' } | Select-Object -First 1
        $keyType = $core.GetType('SsoSecret.RecoveryPublicKey')
        $keys = [Activator]::CreateInstance([System.Collections.Generic.List`1].MakeGenericType($keyType))
        $keys.Add($keyType.GetMethod('Parse', [System.Reflection.BindingFlags]'NonPublic, Static').Invoke($null, @([string]$KeyA.PublicKey)))
        $realId = (Get-SsoSecretBackupInfo $SealedAB).SecretId
        $hers = [byte[]]::new(32)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($hers)
        $script:Forged = Join-Path $Folder 'forged.bak'
        $prepare = $core.GetType('SsoSecret.IO.PreparedBackup').GetMethod('PrepareForRecipients', [System.Reflection.BindingFlags]'NonPublic, Static')
        $prepared = $prepare.Invoke($null, @([string]$Forged, $hers, [guid]$realId, $keys, $false, $false))
        try { $prepared.GetType().GetMethod('Commit', [System.Reflection.BindingFlags]'NonPublic, Instance').Invoke($prepared, @($false)) | ForEach-Object { $_.GetType().GetMethod('Keep', [System.Reflection.BindingFlags]'NonPublic, Instance').Invoke($_, @()) } }
        finally { $prepared.Dispose() }
        (Get-SsoSecretBackupInfo $Forged).SecretId | Should -Be $realId
    }

    It 'Test-SsoSecretBackup finds it intact but says it is not this store''s secret, under its id' {
        $result = Test-SsoSecretBackup -LiteralPath $Forged -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $Store -Detailed
        $result.MatchesCurrentSecret | Should -BeFalse
        $result.Message | Should -BeLike '*a different secret under the id of the store''s current secret*Do not restore it.'
    }

    It 'Restore-SsoMasterSecret -Force refuses it with SecretIdConflict, before any question, and changes nothing' {
        $before = Get-SsoMasterSecret -StorePath $Store
        $caught = $null
        try { Restore-SsoMasterSecret -LiteralPath $Forged -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $Store -Force } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.SecretIdConflict,*'
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.Exception.Message | Should -BeLike "*holds master secret $($before.SecretId) as its current secret (fingerprint $($before.Fingerprint))*a different secret under the same id*"
        $after = Get-SsoMasterSecret -StorePath $Store
        $after.Fingerprint | Should -Be $before.Fingerprint
        $after.PreviousSecretId | Should -Be $before.PreviousSecretId
    }

    It 'restored into an empty store, it is said that a backup sealed to keys proves nothing about who wrote it, with its fingerprint' {
        $empty = New-TestPath 'empty-store'
        $verbose = Restore-SsoMasterSecret -LiteralPath $Forged -RecoveryKeyPath $KeyA.Path -RecoveryKeyPassword $Password -StorePath $empty -Force -Verbose 4>&1
        $said = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $said | Should -BeLike "*anyone who has a recovery public key line can write such a backup, so it proves nothing about who wrote it. Its secret's fingerprint is $((Get-SsoSecretBackupInfo $Forged).Fingerprint); the store holds no secret*"
        # -WhatIf says it too, before anything is opened.
        $whatIf = Restore-SsoMasterSecret -LiteralPath $Forged -RecoveryKeyPath $KeyA.Path -StorePath (New-TestPath 'other-empty') -WhatIf -Verbose 4>&1 | Out-String
        $whatIf | Should -BeLike '*proves nothing about who wrote it*'
    }
}
