#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, benchmarks and demonstrates SsoSecret.

.DESCRIPTION
    -Task Build  assembles the importable module at out/SsoSecret (the product: everything a user copies into a
                 PSModulePath folder, nothing else needed at run time).
    -Task Test   builds, runs every xunit suite and every Pester suite (the Pester ones in a separate
                 pwsh -NoProfile -NonInteractive that imports out/SsoSecret), and ends with one line
                 "Tests: N passed, N failed" summing them all. Exits non-zero on any failure.
    -Task Demo   builds, then runs the main job against a local store in out/demo: generate a master secret,
                 back it up, verify the backup, restore it. Prompts when a person runs it; runs unattended
                 otherwise.
    -Task Bench  builds, then runs the performance benchmark (tools/Bench.ps1): every figure beside its baseline
                 measured in the same run (the reference argon2 program, libsodium, pwsh, Get-FileHash), as ratios.
                 Needs: apt-get install argon2 libsodium23.
    -Task Clean  removes out/ and the projects' bin/ and obj/ folders.

    A fresh machine needs only the .NET SDK: run "dotnet tool restore" first (it brings PowerShell 7.6.9 as a
    local tool); this script restores everything else (NuGet packages, Pester) itself.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Every tool version the build uses, in one place.
$script:Versions = @{
    Pester     = '6.2.0'   # tools/TestTools/TestTools.csproj downloads it
    PowerShell = '7.6.9'   # .config/dotnet-tools.json
}

$script:Root = $PSScriptRoot
$script:Out = Join-Path $Root 'out'
$script:ModuleOut = Join-Path $Out 'SsoSecret'
$script:ResultsDir = Join-Path $Out 'TestResults'

function Invoke-Native {
    # Runs a native command (first argument) with the rest as its arguments, and stops the build when it fails.
    # A plain function on purpose: advanced parameter binding would claim arguments such as -o or -c.
    $command, $rest = $args
    & $command @rest
    if ($LASTEXITCODE -ne 0) {
        throw "'$command $($rest -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Build-Module {
    $publish = Join-Path $Out 'publish'
    if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
    Invoke-Native dotnet publish (Join-Path $Root 'src/SsoSecret/SsoSecret.csproj') -c $Configuration -o $publish --nologo -v quiet '-p:TreatWarningsAsErrors=true'

    Invoke-Native dotnet publish (Join-Path $Root 'src/SsoSecret.Loader/SsoSecret.Loader.csproj') -c $Configuration -o $publish --nologo -v quiet '-p:TreatWarningsAsErrors=true'

    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    # The module's assemblies go to bin/: the loader (SsoSecret.psm1) serves them from there to their own load context.
    $bin = New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'bin')
    foreach ($assembly in 'SsoSecret.dll', 'SsoSecret.Core.dll', 'SsoSecret.Types.dll', 'BouncyCastle.Cryptography.dll', 'SsoSecret.Loader.dll') {
        Copy-Item (Join-Path $publish $assembly) $bin
    }
    Copy-Item (Join-Path $Root 'SsoSecret.psd1') $ModuleOut
    Copy-Item (Join-Path $Root 'module/*') $ModuleOut -Recurse

    # Help: docs/en-US/*.md into en-US/SsoSecret.dll-Help.xml and about_SsoSecret.help.txt, checked against the cmdlets
    # (in a child pwsh, so this session never loads the module it has just assembled).
    $pwsh = @(Get-ChildPwsh)
    Invoke-Native @pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/New-SsoSecretHelp.ps1') -ModulePath (Join-Path $ModuleOut 'SsoSecret.psd1') -DocsPath (Join-Path $Root 'docs/en-US') -OutputPath (Join-Path $ModuleOut 'en-US')

    # The manifest must load and list exactly the cmdlets the assembly exports.
    $manifest = Test-ModuleManifest (Join-Path $ModuleOut 'SsoSecret.psd1')
    Write-Host "Built $($manifest.Name) $($manifest.Version) at $ModuleOut"
}

function Get-NuGetPackagesFolder {
    $line = (& dotnet nuget locals global-packages --list) | Select-Object -First 1
    if ($LASTEXITCODE -ne 0 -or $line -notmatch '^global-packages:\s*(.+)$') {
        throw "Cannot find the NuGet global packages folder ('dotnet nuget locals global-packages --list' said: $line)."
    }
    $Matches[1].Trim()
}

function Restore-TestTools {
    Invoke-Native dotnet restore (Join-Path $Root 'tools/TestTools/TestTools.csproj') --nologo -v quiet
    $pester = Join-Path (Get-NuGetPackagesFolder) "pester/$($Versions.Pester)/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        throw "Pester $($Versions.Pester) was not found at $pester after the restore."
    }
    $pester
}

function Get-ChildPwsh {
    # The pwsh that runs this script, started again as a new process (as a .NET tool it is pwsh.dll under dotnet).
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    @((Join-Path $PSHOME 'pwsh'))
}

function Invoke-XunitSuites {
    $trx = Join-Path $ResultsDir 'xunit.trx'
    Remove-Item $trx -ErrorAction Ignore
    & dotnet test (Join-Path $Root 'tests/SsoSecret.Tests/SsoSecret.Tests.csproj') -c $Configuration --nologo `
        --logger 'console;verbosity=normal' --logger "trx;LogFileName=$trx" --results-directory $ResultsDir | Out-Host
    $exit = $LASTEXITCODE
    if (-not (Test-Path $trx)) {
        throw "The xunit run wrote no results (dotnet test exit code $exit)."
    }
    $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
    $result = [pscustomobject]@{
        Suite   = 'xunit'
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.total - [int]$counters.passed - [int]$counters.failed - [int]$counters.error - [int]$counters.timeout - [int]$counters.aborted
    }
    if ($exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    $result
}

function Invoke-PesterSuites([string] $PesterPath) {
    $json = Join-Path $ResultsDir 'pester.json'
    Remove-Item $json -ErrorAction Ignore
    $pwsh = @(Get-ChildPwsh)
    $runner = Join-Path $Root 'tests/Invoke-PesterSuites.ps1'
    $command = $pwsh[0]
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $runner,
        '-PesterPath', $PesterPath, '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-ResultPath', $json,
        '-FixturePath', (Join-Path $Out 'fixtures'))
    & $command @arguments | Out-Host
    $exit = $LASTEXITCODE
    if (-not (Test-Path $json)) {
        throw "The Pester run wrote no results (exit code $exit)."
    }
    $counts = Get-Content $json -Raw | ConvertFrom-Json
    $result = [pscustomobject]@{ Suite = 'Pester'; Passed = [int]$counts.Passed; Failed = [int]$counts.Failed; Skipped = [int]$counts.Skipped }
    if ($exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    $result
}

function Build-TestFixtures {
    # "Another module" with an older BouncyCastle, for the dependency isolation tests.
    Invoke-Native dotnet publish (Join-Path $Root 'tests/Fixtures/OtherCrypto/OtherCrypto.csproj') -c $Configuration -o (Join-Path $Out 'fixtures/OtherCrypto') --nologo -v quiet
}

function Invoke-Tests {
    Build-Module
    Build-TestFixtures
    $pester = Restore-TestTools
    New-Item -ItemType Directory -Path $ResultsDir -Force | Out-Null
    $results = @(
        Invoke-XunitSuites
        Invoke-PesterSuites $pester
    )
    $results | Format-Table -AutoSize | Out-String | Write-Host
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    $line = "Tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Build-Module
    $pwsh = @(Get-ChildPwsh)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-File', (Join-Path $Root 'tools/Demo.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-WorkFolder', (Join-Path $Out 'demo'))
    & $pwsh[0] @arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Bench {
    Build-Module
    $pwsh = @(Get-ChildPwsh)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tools/Bench.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-WorkFolder', (Join-Path $Out 'bench'))
    & $pwsh[0] @arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Task) {
    'Build' { Build-Module }
    'Test' { Invoke-Tests }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Clean' {
        Remove-Item $Out -Recurse -Force -ErrorAction Ignore
        Get-ChildItem $Root -Directory -Recurse -Include bin, obj | Remove-Item -Recurse -Force
    }
}
