<#
.SYNOPSIS
    Times Sync-SsoEnvironment of a changed ring at 3 and at 16 replicas, on one fleet (tests/Fleet/SsoSecretFleet.psm1):
    a master and sixteen replicas, all joined, reached over SSH remoting.
.DESCRIPTION
    tools/Bench.ps1 runs it for its environment rows; it also runs alone (as root, after build.ps1 -Task Build):
        dotnet pwsh -c './tools/Measure-EnvironmentSync.ps1 -Rounds 7'
    Each round changes the master's ring three times (a new secret, the earlier one retired: none of it timed) and
    times one sync after each change: of the first 3 replicas, of all 16, and of all 16 one at a time
    (-ThrottleLimit 1: the fan-out as it was before it ran in parallel), in an order that rotates from round to round,
    so that a change in the machine's load meets all three. Every timed sync must install the new ring on every replica
    it names, without an error, or the measurement stops. A warm-up round is not counted. Returns the times in
    milliseconds (Three, Sixteen, OneAtATime: one per round), the fleet's setup time, the load average before and after, and the
    command's own account of its phases (-Verbose) in one more sync of each size, not counted; or,
    where the machine cannot make a fleet, Skipped with the harness's reason.
#>
param(
    # The built module: its folder (out/SsoSecret) or its manifest.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/SsoSecret'),
    [ValidateRange(1, 99)] [int] $Rounds = 7
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if ((Test-Path -LiteralPath $ModulePath -PathType Leaf)) { $ModulePath = Split-Path $ModulePath }
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
Import-Module (Join-Path $ModulePath 'SsoSecret.psd1')
Import-Module (Join-Path $PSScriptRoot '../tests/Fleet/SsoSecretFleet.psm1') -Force

$reason = try { (Get-SsoFleetSupport).Reason } catch { "the check of this machine failed: $_" }
if ($reason) { return [pscustomobject]@{ Skipped = $reason } }

function Get-Load { if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } else { 'unknown' } }

$savedPath = $env:PATH
$savedStore = $env:SSOSECRET_STORE
$adminStore = Join-Path ([System.IO.Path]::GetTempPath()) "ssosecret-bench-admin-$PID"
$env:SSOSECRET_STORE = $adminStore    # never the user's store; stays empty
$fleet = Start-SsoFleet -Count 17 -ModulePath $ModulePath -TimeoutSeconds (1800 + 120 * 17)
try {
    $env:PATH = $fleet.ClientBin + [System.IO.Path]::PathSeparator + $savedPath
    $names = @($fleet.HostNames | Select-Object -Skip 1)
    $master = New-PSSession -HostName $fleet.HostNames[0] -KeyFilePath $fleet.KeyFilePath
    $replicas = @(New-PSSession -HostName $names -KeyFilePath $fleet.KeyFilePath | Sort-Object { [int]($_.ComputerName -replace '^h') })
    $pw = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force
    $environment = Invoke-Command -Session $master -ArgumentList $pw -ScriptBlock {
        param($pw)
        $null = New-SsoMasterSecret -BackupPath ~/first.bak -Password $pw -KdfProfile Interactive
        Initialize-SsoEnvironment
    }
    $null = Join-SsoEnvironment -MasterSession $master -Session $replicas -MasterFingerprint $environment.MasterFingerprint
    $null = Sync-SsoEnvironment -MasterSession $master -Session $replicas

    # A new secret on the master, the earlier one retired (the ring stays one secret long): a changed ring to bring.
    $change = {
        Invoke-Command -Session $master -ArgumentList $pw -ScriptBlock {
            param($pw)
            $null = New-SsoMasterSecret -BackupPath ('~/b{0}.bak' -f [guid]::NewGuid().ToString('N')) -Password $pw -KdfProfile Interactive -Force
            $earlier = @((Get-SsoMasterSecret -WarningAction SilentlyContinue).PreviousSecrets.SecretId)
            Remove-SsoPreviousSecret -SecretId $earlier -Force -WarningAction SilentlyContinue
            (Get-SsoEnvironment).Generation
        }
    }
    $time = {
        param([object[]] $Sessions, [int] $ThrottleLimit = 32)
        $generation = & $change
        $err = $null
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $out = @(Sync-SsoEnvironment -MasterSession $master -Session $Sessions -ThrottleLimit $ThrottleLimit -ErrorVariable err -ErrorAction SilentlyContinue)
        $elapsed = $watch.Elapsed.TotalMilliseconds
        if (@($err).Count -gt 0 -or $out.Count -ne $Sessions.Count -or @($out | Where-Object { -not $_.Installed -or $_.Generation -ne $generation }).Count -gt 0) {
            throw "A timed sync of $($Sessions.Count) replicas did not install generation $generation on each: $(@($err) -join '; ') $(($out | Format-Table -AutoSize | Out-String).Trim())"
        }
        $elapsed
    }

    $three = @($replicas[0..2])
    $contestants = [ordered]@{
        Three      = $three, 32
        Sixteen    = $replicas, 32
        OneAtATime = $replicas, 1
    }
    $names = @($contestants.Keys)
    $times = @{}
    foreach ($name in $names) {
        $arguments = $contestants[$name]; $null = & $time @arguments    # warm-up: not counted
        $times[$name] = [System.Collections.Generic.List[double]]::new()
    }
    $loadBefore = Get-Load
    for ($round = 0; $round -lt $Rounds; $round++) {
        for ($k = 0; $k -lt $names.Count; $k++) {
            $name = $names[($k + $round) % $names.Count]
            $arguments = $contestants[$name]; $times[$name].Add((& $time @arguments))
        }
    }
    # Where the time goes, in one more sync of each size (not counted): the command's own account of its phases.
    $phases = foreach ($sessions in @(, $three) + @(, $replicas)) {
        $null = & $change
        $said = @(Sync-SsoEnvironment -MasterSession $master -Session $sessions -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '^\d+ replica' })
        '{0} replicas: {1}' -f $sessions.Count, ($said.Message -join ' ')
    }
    [pscustomobject]@{
        Skipped    = $null
        Phases     = @($phases)
        Three      = $times.Three.ToArray()
        Sixteen    = $times.Sixteen.ToArray()
        OneAtATime = $times.OneAtATime.ToArray()
        SetupTime  = $fleet.SetupTime
        LoadBefore = $loadBefore
        LoadAfter  = Get-Load
    }
}
finally {
    Get-PSSession | Remove-PSSession -ErrorAction Ignore
    $env:PATH = $savedPath
    $env:SSOSECRET_STORE = $savedStore
    $left = @(Stop-SsoFleet -Fleet $fleet)
    if ($left) { Write-Warning "The bench's fleet left: $($left -join '; ')" }
    Remove-Item -LiteralPath $adminStore -Recurse -Force -ErrorAction Ignore
}
