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
    [string] $FixturePath,
    # Suite names (the file name without .Tests.ps1), comma-separated: only these, or all but these.
    [string] $Include,
    [string] $Exclude
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:SSOSECRET_TEST_MODULE = (Resolve-Path -LiteralPath $ModulePath).Path
if ($FixturePath) { $env:SSOSECRET_TEST_FIXTURES = (Resolve-Path -LiteralPath $FixturePath).Path }

$configuration = New-PesterConfiguration
$suites = @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'Pester') -Filter '*.Tests.ps1' | Sort-Object Name)
$names = { param($list) @($list -split ',' | ForEach-Object Trim | Where-Object { $_ }) }
if ($Include) { $suites = @($suites | Where-Object { ($_.Name -replace '\.Tests\.ps1$') -in (& $names $Include) }) }
if ($Exclude) { $suites = @($suites | Where-Object { ($_.Name -replace '\.Tests\.ps1$') -notin (& $names $Exclude) }) }
$configuration.Run.Path = [string[]]$suites.FullName
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
    # Every test with its time, for build.ps1's list of slow tests (a slow test is never a failure).
    Tests   = @($result.Tests | ForEach-Object { [ordered]@{ Name = $_.ExpandedPath; Seconds = [math]::Round($_.Duration.TotalSeconds, 1) } })
    # Every failed test, block and file with the first lines of its error, so the end of the run says what failed
    # (a CI log is often read from its end).
    Failures = @(
        foreach ($item in @($result.Failed) + @($result.FailedBlocks) + @($result.FailedContainers)) {
            $name = if ($item.ExpandedPath) { $item.ExpandedPath } elseif ($item.Item) { "$($item.Item)" } else { "$item" }
            $message = @($item.ErrorRecord | ForEach-Object { "$_" }) -join ' '
            [ordered]@{ Name = $name; Message = $message }
        }
    )
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath -Encoding utf8

exit ([int]($failed -gt 0))
