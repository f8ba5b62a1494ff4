<#
.SYNOPSIS
    Runs every Pester suite under tests/Pester against the built module, and writes the counts as JSON.
.DESCRIPTION
    build.ps1 -Task Test starts this in a separate pwsh -NoProfile -NonInteractive, so the suites meet the module
    as a user does: imported from out/SsoSecret, in a session that cannot prompt.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $FixturePath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:SSOSECRET_TEST_MODULE = (Resolve-Path $ModulePath).Path
if ($FixturePath) { $env:SSOSECRET_TEST_FIXTURES = (Resolve-Path $FixturePath).Path }

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot 'Pester'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [System.IO.Path]::ChangeExtension($ResultPath, '.xml')

$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $ResultPath -Encoding utf8

exit ([int]($failed -gt 0))
