# Protect-SsoData, Unprotect-SsoData, Update-SsoProtectedData and Remove-SsoPreviousSecret through the built module:
# round trips of every input type, purpose isolation, every error id, files, and a rotation end to end.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Store = New-TestPath 'store'
    New-TestSecret -StorePath $Store -BackupPath (New-TestPath 'first') | Out-Null
    $script:Purpose = 'billing/db-password'
    $script:Plain = 'S3cret-value-for-the-db!'
    $script:Secure = ConvertTo-SecureString $Plain -AsPlainText -Force

    function ConvertFrom-Secure([securestring] $Value) {
        [System.Net.NetworkCredential]::new('', $Value).Password
    }
}

AfterAll { Restore-TestEnvironment }

Describe 'Protect-SsoData and Unprotect-SsoData' {
    It 'round-trips a SecureString: one line of ASCII text that names its format and secret' {
        $text = $Secure | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $text | Should -BeOfType [string]
        $text | Should -Match '^ssodata1\.[A-Za-z0-9_-]+$'
        $text | Should -Not -Match [regex]::Escape($Plain)
        $opened = $text | Unprotect-SsoData -Purpose $Purpose -StorePath $Store
        $opened | Should -BeOfType [securestring]
        ConvertFrom-Secure $opened | Should -BeExactly $Plain
    }

    It 'round-trips a string, a PSCredential and bytes, with each output form' {
        $fromString = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $fromCredential = [pscredential]::new('ignored', $Secure) | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $bytes = [byte[]](0, 1, 2, 250, 255, 0)
        $fromBytes = Protect-SsoData -InputObject $bytes -Purpose $Purpose -StorePath $Store
        $fromPipedBytes = , $bytes | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $fromString | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText | Should -BeExactly $Plain
        $fromCredential | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText | Should -BeExactly $Plain
        foreach ($text in $fromBytes, $fromPipedBytes) {
            $out = Unprotect-SsoData $text -Purpose $Purpose -StorePath $Store -AsByteArray
            , $out | Should -BeOfType [byte[]]
            [Convert]::ToHexString($out) | Should -Be '000102FAFF00'
        }
    }

    It 'round-trips an empty value, non-ASCII text and the largest value (16 KiB)' {
        '' | Protect-SsoData -Purpose $Purpose -StorePath $Store | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText | Should -BeExactly ''
        $text = "Grüße 🐴 ‰"
        $text | Protect-SsoData -Purpose 'ü/🐴' -StorePath $Store | Unprotect-SsoData -Purpose 'ü/🐴' -StorePath $Store -AsPlainText | Should -BeExactly $text
        $large = [byte[]]::new(16384); (New-Object System.Random 7).NextBytes($large)
        $out = Protect-SsoData $large -Purpose $Purpose -StorePath $Store | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsByteArray
        [Convert]::ToBase64String($out) | Should -Be ([Convert]::ToBase64String($large))
    }

    It 'gives a different text every time for the same value (a fresh salt)' {
        $a = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $b = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $a | Should -Not -Be $b
    }

    It 'opens many piped values in order, with one store read' {
        $values = 1..200 | ForEach-Object { "value-$_" }
        $texts = $values | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $texts | Should -HaveCount 200
        $texts | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText | Should -Be $values
    }

    It 'never opens a value for another purpose (WrongPurpose), compared exactly' {
        $text = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $Store
        foreach ($other in 'billing/db-passwort', 'Billing/db-password', 'billing/db-password/') {
            $text | Unprotect-SsoData -Purpose $other -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
            $err[0].Exception | Should -BeOfType ([SsoSecret.ProtectedDataException])
            $err[0].Exception.Outcome | Should -Be 'WrongPurpose'
        }
        # No Unicode normalization: 'café' in one code point and in two are two purposes.
        $composed = "caf`u{00E9}"
        $decomposed = "cafe`u{0301}"
        $text = $Plain | Protect-SsoData -Purpose $composed -StorePath $Store
        $text | Unprotect-SsoData -Purpose $decomposed -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
        $text | Unprotect-SsoData -Purpose $composed -StorePath $Store -AsPlainText | Should -BeExactly $Plain
    }

    It 'reports a damaged text (DamagedProtectedData), something else (NotProtectedData) and a future version (UnsupportedVersion), and goes on' {
        $text = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $Store
        $changed = $text.Substring(0, 50) + $(if ($text[50] -eq 'x') { 'y' } else { 'x' }) + $text.Substring(51)
        $results = $changed, 'hello', ('ssodata2.' + $text.Substring(9)), $text, $text.Substring(0, 60) |
            Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText -ErrorVariable err -ErrorAction SilentlyContinue
        $results | Should -Be @($Plain)
        $err.FullyQualifiedErrorId | ForEach-Object { $_.Split(',')[0] } |
            Should -Be @('SsoSecret.DamagedProtectedData', 'SsoSecret.NotProtectedData', 'SsoSecret.UnsupportedVersion', 'SsoSecret.DamagedProtectedData')
        $err[0].Exception.Message | Should -BeLike 'Value 1:*'
    }

    It 'reports a value of another store as UnknownSecret, naming the secret and the backup to look for' {
        $other = New-TestPath 'other-store'
        $otherInfo = New-TestSecret -StorePath $other -BackupPath (New-TestPath 'other')
        $text = $Plain | Protect-SsoData -Purpose $Purpose -StorePath $other
        $caught = $null
        try { $text | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -ErrorAction Stop } catch [SsoSecret.ProtectedDataException] { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.UnknownSecret,*'
        $caught.Exception.SecretId | Should -Be $otherInfo.SecretId
        $caught.Exception.Message | Should -BeLike "*$($otherInfo.SecretId)*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike '*backup*Get-SsoSecretBackupInfo*'
    }

    It 'refuses a bad purpose before anything else (InvalidPurpose)' {
        foreach ($purpose in '', ' leading', 'trailing ', "line`nbreak", ('x' * 257)) {
            { 'v' | Protect-SsoData -Purpose $purpose -StorePath $Store } | Should -Throw -ErrorId 'SsoSecret.InvalidPurpose,*'
            { 'ssodata1.x' | Unprotect-SsoData -Purpose $purpose -StorePath $Store } | Should -Throw -ErrorId 'SsoSecret.InvalidPurpose,*'
        }
    }

    It 'refuses an unrolled byte array, other types and values over 16 KiB, and goes on with the others' {
        # A byte array piped as it is arrives as single bytes.
        [byte[]](1, 2) | Protect-SsoData -Purpose $Purpose -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.FullyQualifiedErrorId | ForEach-Object { $_.Split(',')[0] } | Should -Be @('SsoSecret.UnsupportedInput', 'SsoSecret.UnsupportedInput')
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike '*,$bytes*'
        $inputs = [System.Collections.Generic.List[object]]::new()
        $inputs.Add('ok'); $inputs.Add([datetime]::Now); $inputs.Add([byte[]]::new(16385)); $inputs.Add('ok too')
        $out = $inputs | Protect-SsoData -Purpose $Purpose -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue
        @($out) | Should -HaveCount 2
        $err.FullyQualifiedErrorId | ForEach-Object { $_.Split(',')[0] } | Should -Be @('SsoSecret.UnsupportedInput', 'SsoSecret.ValueTooLarge')
    }

    It 'fails on a store without a secret (NoMasterSecret) and on -AsPlainText with -AsByteArray (ConflictingParameters)' {
        { 'v' | Protect-SsoData -Purpose $Purpose -StorePath (New-TestPath 'empty') } | Should -Throw -ErrorId 'SsoSecret.NoMasterSecret,*'
        { 'x' | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText -AsByteArray } | Should -Throw -ErrorId 'SsoSecret.ConflictingParameters,*'
    }

    It 'refuses to return bytes that are not UTF-8 as text (ValueNotText)' {
        $text = Protect-SsoData ([byte[]](0xFF, 0xFE)) -Purpose $Purpose -StorePath $Store
        $text | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.ValueNotText,*'
    }
}

Describe 'Many values: opened beside the pipeline, written in their order' {
    # Unprotect-SsoData decrypts values on other threads while the pipeline reads the next ones, and writes each value
    # and each error on the pipeline's thread, in the order the values came.
    BeforeAll {
        $script:Many = 3000
        $script:ManyTexts = @(1..$Many | ForEach-Object { "value-$_" } | Protect-SsoData -Purpose $Purpose -StorePath $Store)
        $script:BadAt = @(7, 500, 501, 1999, 3000)
        $script:Mixed = @(for ($i = 1; $i -le $Many; $i++) {
                if ($i -in $BadAt) { 'not protected data' } else { $ManyTexts[$i - 1] }
            })
    }

    It 'writes values and errors interleaved exactly as the values came' {
        $all = @($Mixed | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText -ErrorAction Continue 2>&1)
        $seen = @($all | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { 'error {0} {1}' -f $_.FullyQualifiedErrorId.Split(',')[0], $_.Exception.Message.Split(':')[0] } else { $_ }
            })
        $expected = @(for ($i = 1; $i -le $Many; $i++) {
                if ($i -in $BadAt) { "error SsoSecret.NotProtectedData Value $i" } else { "value-$i" }
            })
        $seen | Should -Be $expected
    }

    It 'opens a file''s values in their order, a file that cannot be read reported between the files around it' {
        $first = New-TestPath 'many-1'
        $last = New-TestPath 'many-2'
        Set-Content -Path $first -Value $ManyTexts[0..1499]
        Set-Content -Path $last -Value $ManyTexts[1500..2999]
        $all = @(Unprotect-SsoData -LiteralPath $first, (New-TestPath 'many-missing'), $last -Purpose $Purpose -StorePath $Store -AsPlainText -ErrorAction Continue 2>&1)
        $all | Should -HaveCount ($Many + 1)
        $all[1500] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $all[1500].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.FileNotFound,*'
        @($all[0..1499]) + @($all[1501..3000]) | Should -Be @(1..$Many | ForEach-Object { "value-$_" })
    }

    It 'stops at the first error with -ErrorAction Stop, after writing every value before it' {
        $written = [System.Collections.Generic.List[string]]::new()
        $caught = $null
        try {
            $Mixed | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText -ErrorAction Stop | ForEach-Object { $written.Add($_) }
        }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.NotProtectedData,*'
        $caught.Exception.Message | Should -BeLike 'Value 7:*'
        $written | Should -Be @(1..6 | ForEach-Object { "value-$_" })
    }

    It 'ends at once when a command after it has what it needs (Select-Object -First)' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $first = @(1..20 | ForEach-Object { $ManyTexts } | Unprotect-SsoData -Purpose $Purpose -StorePath $Store -AsPlainText | Select-Object -First 3)
        $watch.Stop()
        $first | Should -Be 'value-1', 'value-2', 'value-3'
        # 60,000 values were on their way; it stopped long before opening them all (which takes seconds).
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'stops when the pipeline is stopped (Ctrl+C), leaving the session usable' {
        $ps = [powershell]::Create()
        try {
            $opening = [System.Threading.ManualResetEventSlim]::new($false)
            $null = $ps.AddScript({
                    param($Module, $Texts, $Purpose, $Store, $Opening)
                    Import-Module $Module
                    & { while ($true) { $Texts } } | Unprotect-SsoData -Purpose $Purpose -StorePath $Store | ForEach-Object { $Opening.Set() }
                }).AddArgument($env:SSOSECRET_TEST_MODULE).AddArgument($ManyTexts).AddArgument($Purpose).AddArgument($Store).AddArgument($opening)
            $null = $ps.BeginInvoke()
            $opening.Wait(60000) | Should -BeTrue -Because 'the endless pipeline opens values'
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'the pipeline stops'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Commands.Clear()
            $value = $ps.AddScript({ param($Text, $Purpose, $Store) Unprotect-SsoData $Text -Purpose $Purpose -StorePath $Store -AsPlainText }).AddArgument($ManyTexts[41]).AddArgument($Purpose).AddArgument($Store).Invoke()
            @($value) | Should -Be 'value-42'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Files of protected values' {
    It 'writes -OutFile whole, owner-only, one value per line, and never over a file without -Force' {
        $file = New-TestPath 'values'
        'one', 'two' | Protect-SsoData -Purpose $Purpose -StorePath $Store -OutFile $file
        Get-Content $file | Should -HaveCount 2
        if ($OnUnix) { ([System.IO.File]::GetUnixFileMode($file) -band 0x3F) | Should -Be 0 }
        Unprotect-SsoData -LiteralPath $file -Purpose $Purpose -StorePath $Store -AsPlainText | Should -Be @('one', 'two')
        $before = Get-FileDigest $file
        { 'three' | Protect-SsoData -Purpose $Purpose -StorePath $Store -OutFile $file } | Should -Throw -ErrorId 'SsoSecret.FileExists,*'
        Get-FileDigest $file | Should -Be $before
        'three' | Protect-SsoData -Purpose $Purpose -StorePath $Store -OutFile $file -Force
        Unprotect-SsoData -LiteralPath $file -Purpose $Purpose -StorePath $Store -AsPlainText | Should -Be @('three')
    }

    It 'protects a file''s bytes with -LiteralPath, and reports a missing file (FileNotFound)' {
        $source = New-TestPath 'key'
        [System.IO.File]::WriteAllBytes($source, [byte[]](1..100))
        $text = Protect-SsoData -LiteralPath $source -Purpose 'release/key' -StorePath $Store
        (Unprotect-SsoData $text -Purpose 'release/key' -StorePath $Store -AsByteArray) -join ',' | Should -Be ((1..100) -join ',')
        Protect-SsoData -LiteralPath (New-TestPath 'missing') -Purpose 'release/key' -StorePath $Store -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.FileNotFound,*'
    }

    It 'writes nothing with -WhatIf' {
        $file = New-TestPath 'whatif'
        'v' | Protect-SsoData -Purpose $Purpose -StorePath $Store -OutFile $file -WhatIf
        $file | Should -Not -Exist
    }

    It 'says what it would do with -WhatIf and no -OutFile, and writes no protected text to the output' {
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $script = "Import-Module '$env:SSOSECRET_TEST_MODULE'; 'v', 'w' | Protect-SsoData -Purpose 'a/b' -StorePath '$Store' -WhatIf; 'DONE'"
        $lines = & dotnet $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" }
        $lines | Where-Object { $_ -like 'What if:*' } | Should -Be @(
            'What if: Performing the operation "Protect the value for the purpose ''a/b'' and write the protected text to the output" on target "Value 1".'
            'What if: Performing the operation "Protect the value for the purpose ''a/b'' and write the protected text to the output" on target "Value 2".')
        $lines | Should -Contain 'DONE'
        $lines | Where-Object { $_ -like '*ssodata1.*' } | Should -BeNullOrEmpty
        # In this session too: nothing reaches the output.
        'v' | Protect-SsoData -Purpose $Purpose -StorePath $Store -WhatIf | Should -BeNullOrEmpty
    }
}

Describe 'A rotation end to end: protect, replace the secret, rewrap, retire' {
    BeforeAll {
        $script:RotStore = New-TestPath 'rotation'
        $script:Old = New-TestSecret -StorePath $RotStore -BackupPath (New-TestPath 'old')
        $script:OldText = $Secure | Protect-SsoData -Purpose $Purpose -StorePath $RotStore
        $script:Config = New-TestPath 'config'
        $script:DbText = 'db-password' | Protect-SsoData -Purpose $Purpose -StorePath $RotStore
        Set-Content -LiteralPath $Config -Value (@{ Server = 'db01'; Password = $DbText; Token = $DbText } | ConvertTo-Json) -Encoding utf8NoBOM
        if ($OnUnix) { [System.IO.File]::SetUnixFileMode($Config, [System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead') }
        # As root, the file belongs to the application's account (nobody here), as a config file an application reads does:
        # a rewrite by root must leave it that account's, or the application could no longer read its own file.
        $script:AsRoot = $OnUnix -and (& id -u) -eq '0'
        if ($AsRoot) { & chown 65534:65534 $Config; if ($LASTEXITCODE) { throw 'chown failed' } }
        $script:New = New-TestSecret -StorePath $RotStore -BackupPath (New-TestPath 'new') -Force
    }

    It 'still opens a value of the previous secret after the replacement' {
        $New.PreviousSecretId | Should -Be $Old.SecretId
        ConvertFrom-Secure ($OldText | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore) | Should -BeExactly $Plain
    }

    It 'protects new values under the new secret' {
        $text = 'new' | Protect-SsoData -Purpose $Purpose -StorePath $RotStore
        $text | Unprotect-SsoData -Purpose $Purpose -StorePath (Copy-TestStore $RotStore) -AsPlainText | Should -Be 'new'
    }

    It 'rewraps text under the current secret without returning the plaintext, and leaves a current value as it was' {
        $rewrapped = $OldText | Update-SsoProtectedData -Purpose $Purpose -StorePath $RotStore
        $rewrapped | Should -Match '^ssodata1\.'
        $rewrapped | Should -Not -Be $OldText
        $rewrapped | Should -Not -Match [regex]::Escape($Plain)
        ($rewrapped | Update-SsoProtectedData -Purpose $Purpose -StorePath $RotStore) | Should -BeExactly $rewrapped
        $script:Rewrapped = $rewrapped
    }

    It 'refuses to rewrap a file whose value is for another purpose, and leaves the file as it was' {
        $before = Get-FileDigest $Config
        Update-SsoProtectedData -LiteralPath $Config -Purpose 'other/purpose' -StorePath $RotStore -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
        $err[0].Exception.Message | Should -BeLike "*line*"
        Get-FileDigest $Config | Should -Be $before
    }

    It 'rewraps every value of a config file in place, keeping the file''s mode, owner and group and the rest of its text' {
        $before = Get-Content $Config -Raw | ConvertFrom-Json
        Update-SsoProtectedData -LiteralPath $Config -Purpose $Purpose -StorePath $RotStore -WhatIf
        (Get-Content $Config -Raw | ConvertFrom-Json).Password | Should -Be $DbText
        $result = Update-SsoProtectedData -LiteralPath $Config -Purpose $Purpose -StorePath $RotStore -PassThru
        $result.Values | Should -Be 2
        $result.Rewrapped | Should -Be 2
        $result.SecretId | Should -Be $New.SecretId
        $result.FromSecretIds | Should -Be @($Old.SecretId)
        $after = Get-Content $Config -Raw | ConvertFrom-Json
        $after.Server | Should -Be 'db01'
        $after.Password | Should -Not -Be $before.Password
        $after.Password | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore -AsPlainText | Should -Be 'db-password'
        if ($OnUnix) { [int][System.IO.File]::GetUnixFileMode($Config) | Should -Be 0x1A0 }
        if ($AsRoot) { & stat -c '%u:%g' $Config | Should -Be '65534:65534' }
        Get-FileNames (Split-Path $Config) | Where-Object { $_ -like '*.tmp' } | Should -BeNullOrEmpty
        (Update-SsoProtectedData -LiteralPath $Config -Purpose $Purpose -StorePath $RotStore -PassThru).Rewrapped | Should -Be 0
    }

    It 'asks before retiring the previous secret, and refuses where no one can answer (ConfirmationRequired)' {
        { Remove-SsoPreviousSecret -SecretId $Old.SecretId -StorePath $RotStore } | Should -Throw -ErrorId 'SsoSecret.ConfirmationRequired,*'
        Remove-SsoPreviousSecret -SecretId $Old.SecretId -StorePath $RotStore -WhatIf
        (Get-SsoMasterSecret -StorePath $RotStore).PreviousSecretId | Should -Be $Old.SecretId
    }

    It 'retires the previous secret: the old text then fails with UnknownSecret naming it, the rewrapped texts open' {
        $info = Remove-SsoPreviousSecret -SecretId $Old.SecretId -StorePath $RotStore -Force -PassThru
        $info.HasPreviousSecret | Should -BeFalse
        $info.SecretId | Should -Be $New.SecretId
        $OldText | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.UnknownSecret,*'
        $err[0].Exception.SecretId | Should -Be $Old.SecretId
        ConvertFrom-Secure ($Rewrapped | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore) | Should -BeExactly $Plain
        (Get-Content $Config -Raw | ConvertFrom-Json).Token | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore -AsPlainText | Should -Be 'db-password'
    }

    It 'warns and changes nothing when the secret named is retired already (run twice)' {
        $before = Get-FileDigest (Join-Path $RotStore 'master-secret.dat')
        Remove-SsoPreviousSecret -SecretId $Old.SecretId -StorePath $RotStore -Force -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -HaveCount 1
        $warn[0] | Should -BeLike "*holds no master secret $($Old.SecretId) (retired already*"
        Get-FileDigest (Join-Path $RotStore 'master-secret.dat') | Should -Be $before
    }

    It 'brings the old value back with a restore of the old secret''s backup' {
        $backup = (Get-ChildItem (Split-Path $RotStore) -Filter 'old-*').FullName
        Restore-SsoMasterSecret $backup -Password $Password -StorePath $RotStore -Force
        $OldText | Unprotect-SsoData -Purpose $Purpose -StorePath $RotStore -AsPlainText | Should -BeExactly $Plain
    }
}
