<#
.SYNOPSIS
    Runs every Pester suite under tests/Pester (or -SuiteFolder) against the built module, and writes the counts as JSON.
.DESCRIPTION
    build.ps1 -Task Test starts this in a separate pwsh -NoProfile -NonInteractive, so the suites meet the module
    as a user does: imported from out/SsoSecret, in a session that cannot prompt. The Windows lane
    (tests/Windows/Invoke-WindowsLane.ps1) starts it in the Windows-built host under Wine, one tests/Windows suite a
    process: the JSON is written only when Pester has finished, so a run that leaves none crashed or hung.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $FixturePath,
    # Suite names (the file name without .Tests.ps1), comma-separated: only these, or all but these.
    [string] $Include,
    [string] $Exclude,
    # Where the suites are (default: tests/Pester beside this script).
    [string] $SuiteFolder = (Join-Path $PSScriptRoot 'Pester'),
    # No NUnit XML beside the JSON: the Windows lane's, since writing it under Wine stops .NET with an access violation
    # (0xC0000005 in DynamicMethod.CreateDelegate, in each of the 3 suites that wrote it: Wine 8, .NET 10).
    [switch] $NoTestResult
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:SSOSECRET_TEST_MODULE = (Resolve-Path -LiteralPath $ModulePath).Path
if ($FixturePath) { $env:SSOSECRET_TEST_FIXTURES = (Resolve-Path -LiteralPath $FixturePath).Path }

$configuration = New-PesterConfiguration
$suites = @(Get-ChildItem -LiteralPath $SuiteFolder -Filter '*.Tests.ps1' | Sort-Object Name)
$names = { param($list) @($list -split ',' | ForEach-Object Trim | Where-Object { $_ }) }
if ($Include) { $suites = @($suites | Where-Object { ($_.Name -replace '\.Tests\.ps1$') -in (& $names $Include) }) }
if ($Exclude) { $suites = @($suites | Where-Object { ($_.Name -replace '\.Tests\.ps1$') -notin (& $names $Exclude) }) }
$configuration.Run.Path = [string[]]$suites.FullName
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
# The NUnit XML is written below, after the counts, and its failure loses nothing: Pester's own writer, run inside
# Invoke-Pester, once failed on a control character (an ANSI escape) in a test's message and took the run's result
# with it, so that the counts came out 0 passed, 0 failed.
$configuration.TestResult.Enabled = $false

$result = $null
$ended = $null
try {
    $result = Invoke-Pester -Configuration $configuration
}
catch {
    $ended = $_
}

if ($null -eq $result) {
    # No result is a failed run, never an empty one that passed.
    $why = if ($ended) { "$ended" } else { 'Invoke-Pester returned no result' }
    [ordered]@{ Passed = 0; Failed = 1; Skipped = 0; Tests = @(); Failures = @([ordered]@{ Name = 'the Pester run itself'; Message = $why }) } |
        ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath -Encoding utf8
    Write-Error "The Pester run ended without a result: $why" -ErrorAction Continue
    exit 1
}

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
        foreach ($item in @(@($result.Failed) + @($result.FailedBlocks) + @($result.FailedContainers) | Where-Object { $null -ne $_ })) {
            $name = if ($item.ExpandedPath) { $item.ExpandedPath } elseif ($item.Item) { "$($item.Item)" } else { "$item" }
            $message = @($item.ErrorRecord | ForEach-Object { "$_" }) -join ' '
            [ordered]@{ Name = $name; Message = $message }
        }
    )
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath -Encoding utf8

if (-not $NoTestResult) {
    try {
        $result | Export-NUnitReport -Path ([System.IO.Path]::ChangeExtension($ResultPath, '.xml'))
    }
    catch {
        Write-Warning "The NUnit XML report could not be written ($_); the counts in $ResultPath stand."
    }
}

exit ([int]($failed -gt 0))
