# New-SsoRecoveryKey and Get-SsoRecoveryKey through the built module: the key file written and proven, its public key
# line and fingerprint, the forms, the refusals with their ids, and the reading of key files without the password.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Folder = New-TestFolder 'keys'
    $script:Key = New-SsoRecoveryKey -Path (Join-Path $Folder 'a.key') -Password $Password -PasswordHint 'safe A' -KdfProfile Interactive
    $script:PublicKeyPattern = '^ssosecret-recipient1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$'

    function Get-ErrorId([scriptblock] $Script, [object[]] $Arguments = @()) {
        # Runs commands expected to fail and returns the first error id (terminating or not). The block is made anew
        # here, so that it sees this file's variables wherever it was written (a -ForEach table is made at discovery).
        $ErrorActionPreference = 'Stop'
        try { & ([scriptblock]::Create($Script.ToString())) @Arguments | Out-Null } catch { return $_.FullyQualifiedErrorId.Split(',')[0] }
        '<no error>'
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'New-SsoRecoveryKey' {
    It 'writes a key file and outputs its public key line, fingerprint and hint' {
        $Key | Should -BeOfType ([SsoSecret.SsoRecoveryKeyInfo])
        $Key.Path | Should -Be (Join-Path $Folder 'a.key')
        $Key.Path | Should -Exist
        $Key.PublicKey | Should -MatchExactly $PublicKeyPattern
        $Key.Fingerprint | Should -MatchExactly '^[0-9a-f]{32}$'
        $Key.PasswordHint | Should -Be 'safe A'
        $Key.Kdf.MemoryMiB | Should -Be 64
        $Key.Armored | Should -BeFalse
        if ($OnUnix) { [System.IO.File]::GetUnixFileMode($Key.Path) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'makes a new key pair every time' {
        $other = New-SsoRecoveryKey -Path (Join-Path $Folder 'other.key') -Password $Password -KdfProfile Interactive
        $other.PublicKey | Should -Not -Be $Key.PublicKey
        $other.Fingerprint | Should -Not -Be $Key.Fingerprint
    }

    It 'writes the armored form with -Armor, and takes -Credential' {
        $path = Join-Path $Folder 'armored.key'
        $info = New-SsoRecoveryKey -Path $path -Credential ([pscredential]::new('ignored', $Password)) -KdfProfile Interactive -Armor
        $info.Armored | Should -BeTrue
        $lines = Get-Content -LiteralPath $path
        $lines[0] | Should -BeExactly '-----BEGIN SSOSECRET RECOVERY KEY-----'
        $lines[-1] | Should -BeExactly '-----END SSOSECRET RECOVERY KEY-----'
        (Get-SsoRecoveryKey -LiteralPath $path).PublicKey | Should -Be $info.PublicKey
    }

    It 'writes nothing and asks for nothing with -WhatIf' {
        $path = Join-Path $Folder 'whatif.key'
        New-SsoRecoveryKey -Path $path -KdfProfile Interactive -WhatIf | Should -BeNullOrEmpty
        $path | Should -Not -Exist
    }

    It 'refuses to overwrite without -Force (FileExists), and replaces with -Force once the new key is proven' {
        $before = Get-FileDigest $Key.Path
        Get-ErrorId { New-SsoRecoveryKey -Path $Key.Path -Password $Password -KdfProfile Interactive } | Should -Be 'SsoSecret.FileExists'
        Get-FileDigest $Key.Path | Should -Be $before

        $path = Join-Path $Folder 'replaced.key'
        $first = New-SsoRecoveryKey -Path $path -Password $Password -KdfProfile Interactive
        $second = New-SsoRecoveryKey -Path $path -Password $Password -KdfProfile Interactive -Force
        (Get-SsoRecoveryKey $path).Fingerprint | Should -Be $second.Fingerprint
        $second.Fingerprint | Should -Not -Be $first.Fingerprint
        Get-FileNames $Folder | Where-Object { $_ -like '.*' } | Should -BeNullOrEmpty -Because 'no temporary file is left'
    }

    It 'refuses <Case> with <Id> and writes nothing' -ForEach @(
        @{ Case = 'a weak password'; Id = 'SsoSecret.WeakPassword'; Run = { param($p) New-SsoRecoveryKey -Path $p -Password (ConvertTo-SecureString 'short' -AsPlainText -Force) -KdfProfile Interactive } }
        @{ Case = 'a hint that holds the password'; Id = 'SsoSecret.HintRevealsPassword'; Run = { param($p) New-SsoRecoveryKey -Path $p -Password $Password -PasswordHint 'it is correct horse battery staple' -KdfProfile Interactive } }
        @{ Case = 'a hint with a line break'; Id = 'SsoSecret.InvalidHint'; Run = { param($p) New-SsoRecoveryKey -Path $p -Password $Password -PasswordHint "two`nlines" -KdfProfile Interactive } }
        @{ Case = 'weak KDF parameters'; Id = 'SsoSecret.WeakKdf'; Run = { param($p) New-SsoRecoveryKey -Path $p -Password $Password -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1)) } }
        @{ Case = 'a profile and parameters'; Id = 'SsoSecret.ConflictingParameters'; Run = { param($p) New-SsoRecoveryKey -Path $p -Password $Password -KdfProfile Interactive -KdfParameters ([SsoSecret.KdfParameters]::new(65536, 3, 4)) } }
        @{ Case = 'no password in a session that cannot ask'; Id = 'SsoSecret.PasswordRequired'; Run = { param($p) New-SsoRecoveryKey -Path $p -KdfProfile Interactive } }
        @{ Case = 'a missing folder'; Id = 'SsoSecret.FolderNotFound'; Run = { param($p) New-SsoRecoveryKey -Path (Join-Path $p 'no/such.key') -Password $Password -KdfProfile Interactive } }
        @{ Case = 'a folder as the path'; Id = 'SsoSecret.PathIsFolder'; Run = { param($p) New-SsoRecoveryKey -Path $Folder -Password $Password -KdfProfile Interactive } }
        @{ Case = 'a path on another provider'; Id = 'SsoSecret.PathNotFileSystem'; Run = { param($p) New-SsoRecoveryKey -Path 'Env:/key' -Password $Password -KdfProfile Interactive } }
    ) {
        $path = Join-Path (New-TestFolder 'refused') 'k.key'
        Get-ErrorId $Run $path | Should -Be $Id
        $path | Should -Not -Exist
    }
}

Describe 'Get-SsoRecoveryKey' {
    It 'reads the public key, fingerprint, hint and KDF of a key file without its password' {
        $info = Get-SsoRecoveryKey -Path $Key.Path
        $info.PublicKey | Should -Be $Key.PublicKey
        $info.Fingerprint | Should -Be $Key.Fingerprint
        $info.PasswordHint | Should -Be 'safe A'
        $info.Created | Should -Be $Key.Created
        $info.Kdf.Iterations | Should -Be 3
    }

    It 'expands wildcards and takes FileInfo objects from the pipeline' {
        $second = New-SsoRecoveryKey -Path (Join-Path $Folder 'second.key') -Password $Password -KdfProfile Interactive -Armor
        $all = @(Get-SsoRecoveryKey -Path (Join-Path $Folder '*.key'))
        $all.Count | Should -Be 2
        $all.Fingerprint | Should -Contain $Key.Fingerprint
        $all.Fingerprint | Should -Contain $second.Fingerprint
        @(Get-ChildItem -LiteralPath $Folder -Filter 'a.key' | Get-SsoRecoveryKey).Fingerprint | Should -Be $Key.Fingerprint
    }

    It 'reports <Case> with <Id>, each file on its own' -ForEach @(
        @{ Case = 'a missing file'; Id = 'SsoSecret.FileNotFound'; Make = { param($f) Join-Path $f 'missing.key' } }
        @{ Case = 'a text file'; Id = 'SsoSecret.NotARecoveryKey'; Make = { param($f) $p = Join-Path $f 'notes.key'; Set-Content -LiteralPath $p 'hello'; $p } }
        @{ Case = 'a backup'; Id = 'SsoSecret.NotARecoveryKey'; Make = { param($f) $p = Join-Path $f 'backup.key'; New-TestSecret -StorePath (New-TestPath 'store') -BackupPath $p | Out-Null; $p } }
        @{ Case = 'a damaged key file'; Id = 'SsoSecret.DamagedRecoveryKey'; Make = { param($f) New-AlteredBackup -Source $Key.Path -Destination (Join-Path $f 'damaged.key') -Offset 60 -Flip } }
        @{ Case = 'a key file of format version 2'; Id = 'SsoSecret.UnsupportedVersion'; Make = { param($f) New-AlteredBackup -Source $Key.Path -Destination (Join-Path $f 'v2.key') -Offset 8 -Bytes @(0, 2) } }
    ) {
        $folder = New-TestFolder 'bad-key'
        $bad = & ([scriptblock]::Create($Make.ToString())) $folder
        $output = Get-SsoRecoveryKey -LiteralPath $bad, $Key.Path -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        @($output).Fingerprint | Should -Be $Key.Fingerprint -Because 'the good file after the bad one is still read'
    }

    It 'checks public key lines with -PublicKey: the fingerprint of each, InvalidRecipient for a mistyped one, the others still read' {
        $mistyped = $Key.PublicKey.Remove(30, 1)
        $output = Get-SsoRecoveryKey -PublicKey $Key.PublicKey.ToUpperInvariant(), $mistyped, "  $($Key.PublicKey)`n" -ErrorVariable errors -ErrorAction SilentlyContinue
        @($output).Count | Should -Be 2
        $output.Fingerprint | Should -Be @($Key.Fingerprint, $Key.Fingerprint)
        $output.PublicKey | Should -Be @($Key.PublicKey, $Key.PublicKey)
        $output[0].Path | Should -BeExactly ''
        $output[0].Created | Should -BeNullOrEmpty
        $output[0].Kdf | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.InvalidRecipient,*'
    }

    It 'refuses with -PublicKey a line that is not a canonical X25519 key (<Case>): InvalidRecipient saying so, the other lines still read' -ForEach @(
        @{ Case = 'the page''s negative vector 1, a real key with the top bit set'; Vector = 'Negative vector 1:' }
        @{ Case = 'the page''s negative vector 2, u = 2^255 - 19'; Vector = 'Negative vector 2:' }
        @{ Case = 'the page''s negative vector 3, u = 2^255 - 1'; Vector = 'Negative vector 3:' }
    ) {
        $line = (Get-PageVector $Vector).Fields['public key line']
        $output = Get-SsoRecoveryKey -PublicKey $Key.PublicKey, $line, $Key.PublicKey -ErrorVariable errors -ErrorAction SilentlyContinue
        $output.Fingerprint | Should -Be @($Key.Fingerprint, $Key.Fingerprint)
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.InvalidRecipient,*'
        $errors[0].Exception.Message | Should -BeLike "'$line' is not a recovery public key:*not a canonical X25519 public key*no recovery key would open a backup sealed to it*"
        $errors[0].TargetObject | Should -Be $line
    }

    It 'makes keys whose public key is canonical: the top bit of byte 31 clear, the value below 2^255 - 19' {
        $others = 1..2 | ForEach-Object { New-SsoRecoveryKey -Path (Join-Path $Folder "canonical-$_.key") -Password $Password -KdfProfile Interactive }
        $p = [System.Numerics.BigInteger]::Pow(2, 255) - 19
        foreach ($made in @($Key) + $others) {
            $bytes = ConvertFrom-PublicKeyLine $made.PublicKey
            ($bytes[31] -band 0x80) | Should -Be 0
            [System.Numerics.BigInteger]::new([byte[]]($bytes + 0)) | Should -BeLessThan $p
            (Get-SsoRecoveryKey -LiteralPath $made.Path).PublicKey | Should -Be $made.PublicKey
        }
    }

    It 'reads a key file whose header holds a key that is not canonical as DamagedRecoveryKey, before any password (the page''s negative vector 8)' {
        $folder = New-TestFolder 'negative-8'
        $path = Join-Path $folder 'forged.key'
        [System.IO.File]::WriteAllBytes($path, (Get-PageVector 'Negative vector 8:').File)
        $errors = $null
        Get-SsoRecoveryKey -LiteralPath $path -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.DamagedRecoveryKey,*'
        $errors[0].Exception.Message | Should -BeLike '*public key in its header*not a canonical X25519 public key*'

        # Given to a restore, it is refused before its password is asked for (the session cannot prompt).
        $backup = Join-Path $folder 'sealed.bak'
        New-SsoMasterSecret -BackupPath $backup -Recipient $Key.PublicKey -StorePath (New-TestPath 'negative-8-source') | Out-Null
        $store = New-TestPath 'negative-8-store'
        Get-ErrorId { param($b, $k, $s) Restore-SsoMasterSecret $b -RecoveryKeyPath $k -StorePath $s -Force } $backup, $path, $store | Should -Be 'SsoSecret.DamagedRecoveryKey'
        $store | Should -Not -Exist
    }

    It 'never repeats a value given as a public key that is not one' {
        $errors = $null
        $notAKey = 'Probe-' + 'Passw0rd-not-a-key'   # built, so that the command line shown in the record does not hold it
        Get-SsoRecoveryKey -PublicKey $notAKey -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.InvalidRecipient,*'
        ($errors[0] | Out-String) + $errors[0].Exception.Message + ($errors[0].InvocationInfo.BoundParameters | ConvertTo-Json) | Should -Not -BeLike '*Probe-Passw0rd*'
    }

    It 'shows the key file backup given by mistake as a backup' {
        $path = Join-Path (New-TestFolder 'mistake') 'm.bak'
        New-TestSecret -StorePath (New-TestPath 'store') -BackupPath $path | Out-Null
        $errors = $null
        Get-SsoRecoveryKey -LiteralPath $path -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -BeLike '*is an SsoSecret backup, not a recovery key file*'
    }
}
