# Which Argon2id implementation a process runs (a native libargon2 that passes its self-test, else the managed
# vectorized one, which PowerShell 7 always has, else BouncyCastle), how $env:SSOSECRET_KDF and
# $env:SSOSECRET_ARGON2_LIBRARY change it, and what the commands say about it. The choice is
# made once per process, so each case runs in a new pwsh with its own environment. Cases that need the system's
# libargon2 or a C compiler skip, saying why, on a machine without them.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME 'pwsh.dll'
    $script:Missing = Join-Path $TestDrive 'no-such-folder/libargon2.so.1'

    function Invoke-Child {
        # Runs a script in a new pwsh that imports the module, with the given environment variables (and the others
        # cleared); returns its output, which the script writes as JSON.
        param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($argument in $script:Pwsh, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$env:SSOSECRET_TEST_MODULE'; `$ErrorActionPreference = 'Stop'; $Script") {
            $info.ArgumentList.Add($argument)
        }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        foreach ($name in 'SSOSECRET_KDF', 'SSOSECRET_ARGON2_LIBRARY') { [void]$info.Environment.Remove($name) }
        foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
        $process = [System.Diagnostics.Process]::Start($info)
        $errors = $process.StandardError.ReadToEndAsync()
        $output = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { throw "The child pwsh failed ($($process.ExitCode)): $output $($errors.Result)" }
        $output | ConvertFrom-Json
    }

    $measure = "Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1)) | Select-Object Implementation, ImplementationReason | ConvertTo-Json"
    $script:Measure = $measure
    # The error a command ends with, as JSON, or the measurement when there is none.
    $script:MeasureOrError = "try { $measure } catch { @{ ErrorId = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message } | ConvertTo-Json }"

    # The machine's own choice, as a process without settings makes it.
    $script:Default = Invoke-Child $Measure
    $script:HasNative = $Default.Implementation -eq 'Native'

    # A library that exports argon2_ctx and gives wrong answers, built with the C compiler when there is one.
    $script:BadLibrary = $null
    $cc = Get-Command cc -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($cc -and -not $IsWindows) {
        $script:BadLibrary = Join-Path $TestDrive ($IsMacOS ? 'libbadargon2.dylib' : 'libbadargon2.so')
        & $cc.Source -shared -fPIC -o $BadLibrary (Join-Path $PSScriptRoot '../Fixtures/BadArgon2/bad-argon2.c')
        if ($LASTEXITCODE -ne 0) { $script:BadLibrary = $null }
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'The Argon2id implementation of a process' {
    It 'is named by Measure-SsoKdf, with the reason' {
        $Default.Implementation | Should -BeIn @('Native', 'Managed')
        if ($HasNative) {
            $Default.ImplementationReason | Should -Match '^libargon2 \(native\) at .*libargon2.* passed its self-test$'
        }
        else {
            $Default.ImplementationReason | Should -Match "^no native libargon2 can be used \(.+\); SsoSecret's managed Argon2id \((AVX2|SSE2|AdvSIMD|scalar), \.NET [\d.]+\) passed its self-test$"
        }
    }

    It 'is the native library by default where the system has one' {
        if (-not $HasNative) { Set-ItResult -Skipped -Because "this machine has no libargon2 ($($Default.ImplementationReason)); apt-get install libargon2-1" }
        $Default.Implementation | Should -Be 'Native'
    }

    It 'is BouncyCastle when $env:SSOSECRET_KDF says so, whatever the system has' {
        $result = Invoke-Child $Measure @{ SSOSECRET_KDF = 'BouncyCastle' }
        $result.Implementation | Should -Be 'BouncyCastle'
        $result.ImplementationReason | Should -Be "`$env:SSOSECRET_KDF is 'BouncyCastle'"
    }

    It 'is the managed vectorized code, saying why, when the library is absent' {
        $result = Invoke-Child $Measure @{ SSOSECRET_ARGON2_LIBRARY = $Missing }
        $result.Implementation | Should -Be 'Managed'
        $result.ImplementationReason | Should -Match ("^" + [regex]::Escape("no native libargon2 can be used ('$Missing' does not exist); SsoSecret's managed Argon2id (") + '(AVX2|SSE2|AdvSIMD|scalar), \.NET [\d.]+\) passed its self-test$')
    }

    It 'is the managed code when the library gives wrong answers: the self-test keeps the library out' {
        if (-not $BadLibrary) { Set-ItResult -Skipped -Because 'there is no C compiler (cc) to build tests/Fixtures/BadArgon2' }
        $result = Invoke-Child $Measure @{ SSOSECRET_ARGON2_LIBRARY = $BadLibrary }
        $result.Implementation | Should -Be 'Managed'
        $result.ImplementationReason | Should -BeLike "*$BadLibrary failed its self-test (RFC 9106 section 5.3: gave 4242424242424242..., expected 0d640df58d78766c...)); SsoSecret's managed Argon2id (*) passed its self-test"
    }

    It 'is the managed code when $env:SSOSECRET_KDF says so, whatever the system has' {
        $result = Invoke-Child $Measure @{ SSOSECRET_KDF = 'Managed' }
        $result.Implementation | Should -Be 'Managed'
        $result.ImplementationReason | Should -Match "^\`$env:SSOSECRET_KDF is 'Managed'; SsoSecret's managed Argon2id \((AVX2|SSE2|AdvSIMD|scalar), \.NET [\d.]+\) passed its self-test$"
    }

    It 'runs the engine built for .NET 8, from bin/isolated/net8.0, on PowerShell 7' {
        # The managed Argon2id, which hashes with BouncyCastle's BLAKE2b: both assemblies are loaded.
        $result = Invoke-Child "`$null = Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1)); [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'SsoSecret.Core', 'BouncyCastle.Cryptography' } | ForEach-Object { @{ Name = `$_.GetName().Name; Location = `$_.Location } } | ConvertTo-Json" @{ SSOSECRET_KDF = 'Managed' }
        $folder = Join-Path (Split-Path $env:SSOSECRET_TEST_MODULE) 'bin/isolated/net8.0'
        @($result).Count | Should -Be 2
        foreach ($assembly in $result) { $assembly.Location | Should -Be (Join-Path $folder "$($assembly.Name).dll") }
    }

    It 'is the native library when $env:SSOSECRET_KDF requires it and it works' {
        if (-not $HasNative) { Set-ItResult -Skipped -Because "this machine has no libargon2 ($($Default.ImplementationReason))" }
        $result = Invoke-Child $Measure @{ SSOSECRET_KDF = 'Native' }
        $result.Implementation | Should -Be 'Native'
        $result.ImplementationReason | Should -Match "^\`$env:SSOSECRET_KDF is 'Native'; libargon2 \(native\) at .* passed its self-test$"
    }
}

Describe 'A required native library that cannot be used' {
    It 'stops Measure-SsoKdf with SsoSecret.KdfUnavailable, saying what to do' {
        $result = Invoke-Child $MeasureOrError @{ SSOSECRET_KDF = 'Native'; SSOSECRET_ARGON2_LIBRARY = $Missing }
        $result.ErrorId | Should -Be 'SsoSecret.KdfUnavailable,SsoSecret.Commands.MeasureSsoKdfCommand'
        $result.Message | Should -BeLike "*'Native', but no native Argon2id can be used: '$Missing' does not exist. Install libargon2*"
    }

    It 'stops Measure-SsoKdf when the library fails its self-test' {
        if (-not $BadLibrary) { Set-ItResult -Skipped -Because 'there is no C compiler (cc) to build tests/Fixtures/BadArgon2' }
        $result = Invoke-Child $MeasureOrError @{ SSOSECRET_KDF = 'Native'; SSOSECRET_ARGON2_LIBRARY = $BadLibrary }
        $result.ErrorId | Should -Be 'SsoSecret.KdfUnavailable,SsoSecret.Commands.MeasureSsoKdfCommand'
        $result.Message | Should -BeLike '*failed its self-test*'
    }

    It 'stops New-SsoMasterSecret before anything is written' {
        $store = New-TestPath 'store'
        $backup = New-TestPath 'backup'
        $script = "try { New-SsoMasterSecret -BackupPath '$backup' -StorePath '$store' -Password (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force) -KdfProfile Interactive | Out-Null; @{ ErrorId = 'none' } | ConvertTo-Json } catch { @{ ErrorId = `$_.FullyQualifiedErrorId } | ConvertTo-Json }"
        $result = Invoke-Child $script @{ SSOSECRET_KDF = 'Native'; SSOSECRET_ARGON2_LIBRARY = $Missing }
        $result.ErrorId | Should -Be 'SsoSecret.KdfUnavailable,SsoSecret.Commands.NewSsoMasterSecretCommand'
        Test-Path $backup | Should -BeFalse
        Test-Path (Get-StoreFile $store) | Should -BeFalse
    }

    It 'refuses an unknown $env:SSOSECRET_KDF' {
        $result = Invoke-Child $MeasureOrError @{ SSOSECRET_KDF = 'Fastest' }
        $result.ErrorId | Should -Be 'SsoSecret.KdfUnavailable,SsoSecret.Commands.MeasureSsoKdfCommand'
        $result.Message | Should -BeLike "*'Fastest', which is not a KDF implementation: use Auto (or nothing), Native, Managed or BouncyCastle.*"
    }
}

Describe 'Backups across implementations' {
    BeforeAll {
        # Writes a backup with the first implementation of each pair, in a process of its own, and checks it with the
        # second, in another.
        function Assert-OpensAcross([string[][]] $Pairs) {
            foreach ($pair in $Pairs) {
                $path = New-TestPath "by-$($pair[0])"
                $write = "New-SsoMasterSecret -BackupPath '$path' -StorePath '$(New-TestPath 'store')' -Password (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force) -KdfProfile Interactive | Out-Null; [SsoSecret.Diagnostics.KdfCounters]::LastImplementation | ConvertTo-Json"
                Invoke-Child $write @{ SSOSECRET_KDF = $pair[0] } | Should -Be $pair[0]
                $check = "@{ Valid = (Test-SsoSecretBackup -Path '$path' -Password (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force) -StorePath '$(New-TestPath 'empty')'); Implementation = [SsoSecret.Diagnostics.KdfCounters]::LastImplementation } | ConvertTo-Json"
                $result = Invoke-Child $check @{ SSOSECRET_KDF = $pair[1] }
                $result.Implementation | Should -Be $pair[1]
                $result.Valid | Should -BeTrue
            }
        }
    }

    It 'opens, with BouncyCastle, a backup written with the native library, and the other way round' {
        if (-not $HasNative) { Set-ItResult -Skipped -Because "this machine has no libargon2 ($($Default.ImplementationReason))" }
        Assert-OpensAcross @(@('Native', 'BouncyCastle'), @('BouncyCastle', 'Native'))
    }

    It 'opens, with BouncyCastle, a backup written with the managed code, and the other way round' {
        Assert-OpensAcross @(@('Managed', 'BouncyCastle'), @('BouncyCastle', 'Managed'))
    }

    It 'names the implementation in the verbose output of the backup commands' {
        $store = New-TestPath 'store'
        $path = New-TestPath 'verbose'
        New-TestSecret -StorePath $store -BackupPath $path | Out-Null
        $verbose = Test-SsoSecretBackup -Path $path -Password $Password -StorePath $store -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $line = @($verbose.Message | Where-Object { $_ -like 'Deriving the key with *' })
        $line.Count | Should -Be 1
        $line[0] | Should -Match '^Deriving the key with Argon2id m=64 MiB t=3 p=4, implementation (Native|Managed): .+\.$'
    }
}
