# Another module that ships an older BouncyCastle (2.4.0, with the same assembly version 2.0.0.0 as SsoSecret's
# 2.7.0) must not break SsoSecret, nor be broken by it, whichever is imported first. Each case runs in a new pwsh:
# assemblies cannot be unloaded from a session.
BeforeDiscovery {
    $script:Orders = @(@{ Order = 'OtherFirst' }, @{ Order = 'SsoSecretFirst' })
}

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    $script:OtherModule = Join-Path $env:SSOSECRET_TEST_FIXTURES 'OtherCrypto/OtherCrypto.dll'
    $script:Pwsh = Join-Path $PSHOME 'pwsh.dll'

    function Invoke-BothModules([string] $Order, [string] $SsoSecretPath) {
        $work = Join-Path $TestDrive ([guid]::NewGuid())
        $script = @"
`$ErrorActionPreference = 'Stop'
if ('$Order' -eq 'OtherFirst') { Import-Module '$OtherModule'; `$before = Get-OtherCryptoHash abc; Import-Module '$SsoSecretPath' }
else { Import-Module '$SsoSecretPath'; Import-Module '$OtherModule'; `$before = `$null }
`$pw = ConvertTo-SecureString 'a long enough password' -AsPlainText -Force
New-SsoMasterSecret -BackupPath '$work/a.bak' -Password `$pw -StorePath '$work/store' -KdfProfile Interactive | Out-Null
`$restored = Restore-SsoMasterSecret '$work/a.bak' -Password `$pw -StorePath '$work/other' -Force -PassThru
`$after = Get-OtherCryptoHash abc
[pscustomobject]@{
    Valid = Test-SsoSecretBackup '$work/a.bak' -Password `$pw -StorePath '$work/store'
    Same = `$restored.Fingerprint -eq (Get-SsoMasterSecret -StorePath '$work/store').Fingerprint
    OtherHash = `$after.Hash
    OtherVersion = `$after.BouncyCastleVersion
} | ConvertTo-Json -Compress
"@
        New-Item -ItemType Directory -Path $work | Out-Null
        # Argon2id from BouncyCastle, as on a machine without libargon2: the native library would leave out the very
        # code that differs between the two BouncyCastle versions.
        $env:SSOSECRET_KDF = 'BouncyCastle'
        try {
            $output = & dotnet $Pwsh -NoProfile -NonInteractive -Command $script 2>&1
        }
        finally {
            Remove-Item Env:SSOSECRET_KDF
        }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
    }
}

Describe 'Dependency isolation from another BouncyCastle' {
    It 'the fixture module really ships BouncyCastle 2.4.0' {
        Test-Path $OtherModule | Should -BeTrue
        $version = (Get-Item (Join-Path (Split-Path $OtherModule) 'BouncyCastle.Cryptography.dll')).VersionInfo.ProductVersion
        $version | Should -BeLike '2.4.0*'
    }

    It 'both modules work when <Order>' -ForEach $Orders {
        $result = Invoke-BothModules -Order $Order -SsoSecretPath $ModulePath
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $json = $result.Output.Trim().Split("`n")[-1] | ConvertFrom-Json
        $json.Valid | Should -BeTrue
        $json.Same | Should -BeTrue
        $json.OtherHash | Should -Be 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
        $json.OtherVersion | Should -BeLike '2.4.0*' -Because 'the other module keeps its own BouncyCastle'
    }

    It 'would break without the load context (the test can fail)' {
        # Importing the cmdlet assembly directly, as a module without isolation would, after the other module:
        # SsoSecret then runs on BouncyCastle 2.4.0 and fails.
        # The module laid out flat, the engine and its BouncyCastle beside the cmdlets instead of in bin/isolated: what a
        # module without a load context of its own is. Imported after the other module, SsoSecret then runs on
        # BouncyCastle 2.4.0 and fails.
        $flat = Join-Path $TestDrive 'flat/SsoSecret'
        Copy-Item -Path (Split-Path $ModulePath) -Destination $flat -Recurse
        Move-Item -Path (Join-Path $flat 'bin/isolated/*') -Destination (Join-Path $flat 'bin')
        Remove-Item -LiteralPath (Join-Path $flat 'bin/isolated')
        $result = Invoke-BothModules -Order 'OtherFirst' -SsoSecretPath (Join-Path $flat 'SsoSecret.psd1')
        $result.ExitCode | Should -Not -Be 0
    }
}
