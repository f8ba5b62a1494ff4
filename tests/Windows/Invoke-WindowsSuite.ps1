<#
.SYNOPSIS
    Runs one Windows test file with Pester inside the Windows-built PowerShell host under Wine, and writes its counts as
    JSON: the Windows half of build.ps1 -Task Windows (tests/Windows/Invoke-WindowsLane.ps1 is the Linux half).
.DESCRIPTION
    One file a process: Wine 8's exception dispatch breaks after many .NET exceptions in one process, so the lane keeps
    each process short. The JSON is written only when Pester has finished: a run that leaves none crashed or hung,
    which the lane tells apart from a failing test.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestFile,
    [Parameter(Mandatory)] [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:SSOSECRET_TEST_MODULE = $ModulePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestFile
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.CIFormat = 'None'
$result = Invoke-Pester -Configuration $configuration

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[ordered]@{
    Passed   = $result.PassedCount
    Failed   = $failed
    Skipped  = $result.SkippedCount + $result.NotRunCount
    Failures = @(
        foreach ($item in @($result.Failed) + @($result.FailedBlocks) + @($result.FailedContainers)) {
            $name = if ($item.ExpandedPath) { $item.ExpandedPath } elseif ($item.Item) { "$($item.Item)" } else { "$item" }
            [ordered]@{ Name = $name; Message = (@($item.ErrorRecord | ForEach-Object { "$_" }) -join ' ') }
        }
    )
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath -Encoding utf8
exit ([int]($failed -gt 0))
