<#
.SYNOPSIS
    Runs the fleet suite (tests/Pester/Fleet.Tests.ps1) alone, under a hard time limit: build.ps1 -Task Fleet.
.DESCRIPTION
    Says plainly, and exits 1, when this machine cannot make a fleet (not Linux, not root, no network namespaces, no
    sshd). Otherwise runs Pester on the fleet suite in a child pwsh -NonInteractive (so the suite meets the module as
    an unattended job does) and kills it, with everything it started, after -TimeoutSeconds. The fleet itself has its
    own watchdog, which tears it down when the child ends, however it ends. Exits 0 when every test passed.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    # The built module's manifest (out/SsoSecret/SsoSecret.psd1).
    [Parameter(Mandatory)] [string] $ModulePath,
    # How many hosts: $env:SSOSECRET_FLEET_HOSTS when it is set, else 3.
    [ValidateRange(1, 64)] [int] $Hosts = $(if ($env:SSOSECRET_FLEET_HOSTS) { [int]$env:SSOSECRET_FLEET_HOSTS } else { 3 }),
    [ValidateRange(30, 86400)] [int] $TimeoutSeconds = 2400,
    # Where Pester writes its NUnit results (optional).
    [string] $ResultPath,
    # Internal: run Pester here (the child), rather than start the child.
    [switch] $Inner
)

$ErrorActionPreference = 'Stop'
$suite = Join-Path $PSScriptRoot '../Pester/Fleet.Tests.ps1'

if ($Inner) {
    Import-Module $PesterPath -Force
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $suite
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    if ($ResultPath) {
        $configuration.TestResult.Enabled = $true
        $configuration.TestResult.OutputPath = $ResultPath
    }
    $result = Invoke-Pester -Configuration $configuration
    $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Write-Host ("Fleet suite ({0} hosts): {1} passed, {2} failed, {3} skipped in {4:0.0} s" -f $Hosts, $result.PassedCount, $failed, ($result.SkippedCount + $result.NotRunCount), $result.Duration.TotalSeconds)
    exit ([int]($failed -gt 0 -or $result.PassedCount -eq 0))
}

Import-Module (Join-Path $PSScriptRoot 'SsoSecretFleet.psm1') -Force
$support = Get-SsoFleetSupport
if (-not $support.Supported) {
    Write-Host "The fleet suite cannot run on this machine: $($support.Reason)."
    exit 1
}

$env:SSOSECRET_TEST_MODULE = (Resolve-Path $ModulePath).Path
$env:SSOSECRET_FLEET_HOSTS = "$Hosts"
$start = [System.Diagnostics.ProcessStartInfo]::new($support.Subsystem[0])
$arguments = @($support.Subsystem | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath,
    '-Inner', '-PesterPath', $PesterPath, '-ModulePath', $ModulePath, '-Hosts', $Hosts)
if ($ResultPath) { $arguments += @('-ResultPath', $ResultPath) }
foreach ($argument in $arguments) { $start.ArgumentList.Add([string]$argument) }
$start.UseShellExecute = $false

$watch = [System.Diagnostics.Stopwatch]::StartNew()
$process = [System.Diagnostics.Process]::Start($start)
if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
    $process.Kill($true)
    $process.WaitForExit()
    Write-Host "The fleet suite did not finish within $TimeoutSeconds s and was stopped (its fleet's watchdog tears the hosts down)."
    exit 1
}
$process.WaitForExit()
Write-Host ("Fleet suite finished in {0:0.0} s (exit code {1})." -f $watch.Elapsed.TotalSeconds, $process.ExitCode)
exit $process.ExitCode
