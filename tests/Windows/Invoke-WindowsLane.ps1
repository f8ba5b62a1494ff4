<#
.SYNOPSIS
    The Windows lane: runs the module's Windows code paths under Wine (build.ps1 -Task Windows).
.DESCRIPTION
    Sets up what the lane needs and keeps it in -WindowsFolder (out/windows) for the next run:
      - Wine 8 from Debian's packages, installed with apt-get when it is missing and this is root on Debian or Ubuntu;
        anywhere else the lane skips, saying why, and exits 0;
      - a 64-bit Wine prefix, .prefix (made once with wineboot, then cut off from the Linux file system: no Z: drive, the
        profile's folders real folders rather than links to $HOME);
      - in it, C:\SsoSecretLane\host: a PowerShell 7.6 host built for Windows (tools/WindowsHost, published by
        -PublishHost when its sources change), with the SDK's Modules folder beside it.
    The dot in .prefix hides it from PowerShell's module discovery, which walks every folder of $env:PSModulePath that
    is not hidden (the build and the Guides and DSC suites put out/ on it) and would otherwise find the Windows
    PowerShell modules of the host, or walk the whole prefix.

    Each run copies the built module, Pester and tests/Windows into C:\SsoSecretLane, makes the "store from another
    machine" (New-ForeignStore.ps1, under another user name), and runs each tests/Windows/*.Tests.ps1 in its own host
    process, one after the other (the machine has 2 cores). Every Wine process runs under `timeout`, with
    DOTNET_EnableWriteXorExecute=0 (without it .NET dies in about 4 runs of 10 under Wine) and WINEDEBUG=-all,err+virtual
    (all of Wine's messages off but the one that names its own crash). The wineserver is started with umask 077:
    Wine gives a new file the mode the wineserver's umask leaves and reports an entry for Everyone when others may
    read, so under 022 every store file would be StoreInsecure (docs/security.md).

    A test file whose process ends without its results is a crash, not a failing assertion, and the log says which:
    Wine's known exception-dispatch bug (its "virtual_setup_exception stack overflow" message, or a process that hung
    until `timeout` killed it) is run again once, and counted as one failed test if it crashes again; any other crash
    (the host failing on its own) counts as one failed test at once. A failing assertion is never run again.
    Ends with "Windows (Wine): N passed, N failed, N skipped"; exits 1 on any failure or when nothing passed.
#>
param(
    # out/windows: the lane's cache (prefix, host) and its logs.
    [Parameter(Mandatory)] [string] $WindowsFolder,
    # The built module folder (out/SsoSecret) and Pester's (the folder of Pester.psd1).
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $PesterFolder,
    # The PowerShell SDK's Windows Modules folder, copied beside the host.
    [Parameter(Mandatory)] [string] $SdkModules,
    # Publishes tools/WindowsHost to the folder it is given.
    [Parameter(Mandatory)] [scriptblock] $PublishHost,
    # What the host is built from: when their content changes, the host is published again.
    [Parameter(Mandatory)] [string[]] $HostSources,
    # How long one Wine process may run before `timeout` ends it.
    [ValidateRange(30, 3600)] [int] $TimeoutSeconds = 300
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# Wine runs in a folder of its own: every path given is made absolute first.
$WindowsFolder, $ModuleFolder, $PesterFolder, $SdkModules = $WindowsFolder, $ModuleFolder, $PesterFolder, $SdkModules |
    ForEach-Object { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($_) }
$watch = [System.Diagnostics.Stopwatch]::StartNew()

function Get-WineSupport {
    # $null when Wine is there (installed now if it can be), else why the lane cannot run.
    if (-not $IsLinux) { return 'not Linux (the lane runs Wine, from Debian''s packages)' }
    if (Get-Command wine -CommandType Application -ErrorAction Ignore) { return $null }
    $osRelease = if (Test-Path -LiteralPath /etc/os-release) { Get-Content -LiteralPath /etc/os-release -Raw } else { '' }
    if ($osRelease -notmatch '(?m)^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b') { return 'Wine is not installed, and this is not Debian or Ubuntu, where the lane installs it' }
    if ((id -u) -ne '0') { return 'Wine is not installed, and installing it needs root (apt-get install wine64 wine)' }
    if (-not (Get-Command apt-get -CommandType Application -ErrorAction Ignore)) { return 'Wine is not installed, and there is no apt-get' }
    Write-Host 'Installing Wine (apt-get install wine64 wine) ...'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & timeout 900 apt-get update -qq | Out-Host
    & timeout 900 apt-get install -y -qq --no-install-recommends wine64 wine | Out-Host
    if ($LASTEXITCODE -ne 0 -or -not (Get-Command wine -CommandType Application -ErrorAction Ignore)) { return "apt-get could not install Wine (exit code $LASTEXITCODE)" }
    $null
}

$reason = Get-WineSupport
if ($reason) {
    Write-Host "The Windows lane cannot run here: $reason. Skipped."
    exit 0
}

$prefix = Join-Path $WindowsFolder '.prefix'
$laneRoot = Join-Path $prefix 'drive_c/SsoSecretLane'
$logs = Join-Path $WindowsFolder 'logs'
$env:WINEPREFIX = $prefix
$env:WINEARCH = 'win64'
$env:WINEDEBUG = '-all,err+virtual'
$env:DOTNET_EnableWriteXorExecute = '0'
$wineCrash = 'virtual_setup_exception stack overflow'

function Invoke-Wine {
    # Runs a command line under `timeout` with umask 077, in the lane's folder inside the prefix (a working folder on
    # no drive would send Pester's search for the repository's root round forever); output to a log. Returns the exit
    # code (124 or 137: stopped by timeout).
    param([string[]] $Command, [string] $Log, [int] $Seconds = $TimeoutSeconds, [hashtable] $Environment = @{})
    $quoted = ($Command | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
    $assignments = ($Environment.GetEnumerator() | ForEach-Object { "$($_.Key)='$($_.Value)'" }) -join ' '
    # The output goes to the log from bash, not through PowerShell: the first Wine process of a prefix starts Wine's
    # services (services.exe, winedevice.exe), which keep its output open as long as the wineserver runs.
    $line = "umask 077; cd '$laneRoot' 2>/dev/null || cd '$prefix'; exec env $assignments timeout -k 10 $Seconds $quoted >'$Log' 2>&1 </dev/null"
    & bash -c $line
    $LASTEXITCODE
}

function Start-WineServer {
    # The prefix's wineserver, started here with umask 077 (not by whichever Wine process comes first), and persistent
    # until Stop-WineServer, so that each test file's process does not start one again.
    & wineserver -k 2>$null
    & wineserver -w 2>$null
    & bash -c 'umask 077; exec wineserver -p >/dev/null 2>&1 </dev/null'
}

function Stop-WineServer {
    & wineserver -k 2>$null
    & wineserver -w 2>$null
}

# 1. The prefix, made once. The marker is written last, so a prefix whose making was cut short is made again.
$ready = Join-Path $prefix '.ssosecret-lane-ready'
if (-not (Test-Path -LiteralPath $ready)) {
    Write-Host "Making the Wine prefix $prefix (wineboot: up to 2 minutes) ..."
    Stop-WineServer
    Remove-Item -LiteralPath $prefix -Recurse -Force -ErrorAction Ignore
    New-Item -ItemType Directory -Path $WindowsFolder -Force | Out-Null
    & bash -c "exec timeout -k 10 600 wine wineboot -u >'$(Join-Path $WindowsFolder 'wineboot.log')' 2>&1 </dev/null"
    $code = $LASTEXITCODE
    & timeout 120 wineserver -w
    if ($code -ne 0 -or -not (Test-Path -LiteralPath (Join-Path $prefix 'drive_c/windows/system32'))) {
        Get-Content -LiteralPath (Join-Path $WindowsFolder 'wineboot.log') -ErrorAction Ignore | Select-Object -Last 20 | Out-Host
        throw "wineboot could not make the prefix (exit code $code)."
    }
    # Cut off from the Linux file system: Z: maps / (and a walk through it never ends), and the profile's Desktop,
    # Documents and the like are links to $HOME. Tests see C: only.
    Remove-Item -LiteralPath (Join-Path $prefix 'dosdevices/z:') -Force -ErrorAction Ignore
    foreach ($link in Get-ChildItem -LiteralPath (Join-Path $prefix 'drive_c/users') -Recurse -Force -Attributes ReparsePoint) {
        Remove-Item -LiteralPath $link.FullName -Force
        New-Item -ItemType Directory -Path $link.FullName | Out-Null
    }
    Set-Content -LiteralPath $ready -Value (Get-Date -Format o)
}

# 2. The host, published again when its sources change.
$hostFolder = Join-Path $laneRoot 'host'
$hostStamp = Join-Path $hostFolder '.sources.sha256'
$sources = (Get-FileHash -LiteralPath $HostSources -Algorithm SHA256).Hash -join ''
if (-not (Test-Path -LiteralPath $hostStamp) -or (Get-Content -LiteralPath $hostStamp -Raw).Trim() -ne $sources) {
    Write-Host "Publishing the Windows PowerShell host to $hostFolder ..."
    Remove-Item -LiteralPath $hostFolder -Recurse -Force -ErrorAction Ignore
    & $PublishHost $hostFolder
    Copy-Item -LiteralPath $SdkModules -Destination (Join-Path $hostFolder 'Modules') -Recurse
    Set-Content -LiteralPath $hostStamp -Value $sources
}
$hostExe = Join-Path $hostFolder 'WindowsHost.exe'

# 3. This run's files: the module and Pester as built, the suites, and nothing left from the last run.
foreach ($folder in 'Modules', 'tests', 'work', 'results', 'fixtures') {
    Remove-Item -LiteralPath (Join-Path $laneRoot $folder) -Recurse -Force -ErrorAction Ignore
}
Remove-Item -LiteralPath (Join-Path $prefix 'drive_c/ProgramData/SsoSecret') -Recurse -Force -ErrorAction Ignore
Remove-Item -LiteralPath $logs -Recurse -Force -ErrorAction Ignore
foreach ($folder in 'Modules', 'tests/Pester', 'tests/Windows', 'work', 'results', 'fixtures') {
    New-Item -ItemType Directory -Path (Join-Path $laneRoot $folder) -Force | Out-Null
}
New-Item -ItemType Directory -Path $logs -Force | Out-Null
Copy-Item -LiteralPath $ModuleFolder -Destination (Join-Path $laneRoot 'Modules/SsoSecret') -Recurse
Copy-Item -LiteralPath $PesterFolder -Destination (Join-Path $laneRoot 'Modules/Pester') -Recurse
$testsRoot = Split-Path $PSScriptRoot
Copy-Item -LiteralPath (Join-Path $testsRoot 'Pester/TestHelpers.ps1') -Destination (Join-Path $laneRoot 'tests/Pester')
Copy-Item -LiteralPath (Join-Path $testsRoot 'ProcessOwner.ps1'), (Join-Path $testsRoot 'Invoke-PesterSuites.ps1') -Destination (Join-Path $laneRoot 'tests')
Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.ps1' | Where-Object Name -ne 'Invoke-WindowsLane.ps1' |
    Copy-Item -Destination (Join-Path $laneRoot 'tests/Windows')
# The golden backup (tests/SsoSecret.Tests/TestData/golden), which the lifecycle suite opens with the managed Argon2id.
New-Item -ItemType Directory -Path (Join-Path $laneRoot 'fixtures/golden') | Out-Null
Copy-Item -LiteralPath (Join-Path $testsRoot 'SsoSecret.Tests/TestData/golden/v1-binary.bak') -Destination (Join-Path $laneRoot 'fixtures/golden')
$windowsModule = 'C:\SsoSecretLane\Modules\SsoSecret\SsoSecret.psd1'
$windowsPester = 'C:\SsoSecretLane\Modules\Pester\Pester.psd1'
Write-Host ('Set up in {0:0} s.' -f $watch.Elapsed.TotalSeconds)

function Get-CrashKind {
    # Why a Wine process ended without its results: Wine's known crash (retried once), or another failure.
    param([int] $ExitCode, [string] $Log)
    $text = Get-Content -LiteralPath $Log -Raw -ErrorAction Ignore
    if ($text -and $text.Contains($wineCrash)) {
        return [pscustomobject]@{ Wine = $true; Text = "Wine's known exception-dispatch crash ('$wineCrash' in the log, exit code $ExitCode)" }
    }
    if ($ExitCode -in 124, 137) {
        return [pscustomobject]@{ Wine = $true; Text = "a hung process, stopped by timeout after $TimeoutSeconds s (Wine's known crash hangs so, with its message or without)" }
    }
    $fatal = if ($text -and $text -match '(?m)^Fatal error\.\s*\r?\n(.*)$') { " after .NET's 'Fatal error. $($Matches[1].Trim())'" } else { '' }
    [pscustomobject]@{ Wine = $false; Text = "the host ended with exit code $ExitCode$fatal and wrote no results (not Wine's known crash)" }
}

function Invoke-LaneStep {
    # Runs one Wine process that must leave -Result behind; when Wine's own crash stops it, once more. Returns the exit
    # code, whether the result is there, the crash each try met, and the log of the last try.
    param([string] $Name, [string[]] $Arguments, [string] $Result, [hashtable] $Environment = @{})
    $crashes = @()
    for ($try = 1; $try -le 2; $try++) {
        $log = Join-Path $logs ("{0}{1}.log" -f $Name, $(if ($try -gt 1) { ".try$try" } else { '' }))
        Remove-Item -LiteralPath $Result -ErrorAction Ignore
        $step = [System.Diagnostics.Stopwatch]::StartNew()
        $code = Invoke-Wine -Command (@('wine', $hostExe) + $Arguments) -Log $log -Environment $Environment
        Write-Host ('===== {0}{1}: exit code {2}, {3:0} s =====' -f $Name, $(if ($try -gt 1) { ' (run again)' } else { '' }), $code, $step.Elapsed.TotalSeconds)
        Get-Content -LiteralPath $log | Out-Host
        if (Test-Path -LiteralPath $Result) {
            return [pscustomobject]@{ ExitCode = $code; HasResult = $true; Crashes = $crashes; Log = $log }
        }
        $kind = Get-CrashKind -ExitCode $code -Log $log
        $crashes += $kind.Text
        # Whatever Wine left running (a hung thread's process) goes, and the wineserver starts again, still with 077.
        Start-WineServer
        if (-not $kind.Wine) { break }
        if ($try -eq 1) { Write-Host "${Name}: $($kind.Text). Running it once more." }
    }
    [pscustomobject]@{ ExitCode = $code; HasResult = $false; Crashes = $crashes; Log = $log }
}

$results = [System.Collections.Generic.List[object]]::new()
try {
    Start-WineServer

    # 4. The store from another machine: the same prefix under another user name, so another DPAPI key.
    $foreign = Join-Path $laneRoot 'fixtures/foreign/foreign.json'
    $made = Invoke-LaneStep -Name 'New-ForeignStore' -Result $foreign -Environment @{ USER = 'ssosecret-other'; LOGNAME = 'ssosecret-other' } -Arguments @(
        'C:\SsoSecretLane\tests\Windows\New-ForeignStore.ps1', '-ModulePath', $windowsModule, '-Folder', 'C:\SsoSecretLane\fixtures\foreign')
    if (-not $made.HasResult) {
        Write-Host "The foreign store could not be made ($($made.Crashes -join '; ')): the StoreProtection suite will fail in its BeforeAll."
    }
    # The wineserver keeps the other user's environment (USERPROFILE names its profile) for the processes after it:
    # a new one starts from this user's.
    Start-WineServer

    # 5. Each suite in its own process.
    foreach ($suite in Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' | Sort-Object Name) {
        $name = $suite.Name -replace '\.Tests\.ps1$'
        $json = Join-Path $laneRoot "results/$name.json"
        $run = Invoke-LaneStep -Name $name -Result $json -Arguments @('C:\SsoSecretLane\tests\Invoke-PesterSuites.ps1',
            '-PesterPath', $windowsPester, '-ModulePath', $windowsModule, '-SuiteFolder', 'C:\SsoSecretLane\tests\Windows',
            '-Include', $name, '-NoTestResult', '-ResultPath', "C:\SsoSecretLane\results\$name.json")
        $entry = [pscustomobject]@{ Suite = $name; Passed = 0; Failed = 0; Skipped = 0; Note = ''; Failures = @() }
        if ($run.HasResult) {
            $counts = Get-Content -LiteralPath $json -Raw | ConvertFrom-Json
            $entry.Passed = [int]$counts.Passed
            $entry.Failed = [int]$counts.Failed
            $entry.Skipped = [int]$counts.Skipped
            $entry.Failures = @($counts.Failures | ForEach-Object { "$($_.Name): $($_.Message)" })
            if ($run.Crashes.Count -gt 0) { $entry.Note = "passed on its second run after $($run.Crashes[0])" }
            if ($run.ExitCode -ne 0 -and $entry.Failed -eq 0) {
                $entry.Failed = 1
                $entry.Failures += "the host exited $($run.ExitCode) after writing results that say nothing failed"
            }
        }
        else {
            $entry.Failed = 1
            $entry.Note = 'CRASHED: ' + ($run.Crashes -join '; then ')
            $entry.Failures = @("$name crashed: $($run.Crashes -join '; then '); log: $($run.Log)")
        }
        $results.Add($entry)
    }
}
finally {
    Stop-WineServer
}

$results | Format-Table Suite, Passed, Failed, Skipped, Note -AutoSize -Wrap | Out-String -Width 200 | Write-Host
$failures = @($results | ForEach-Object Failures)
if ($failures.Count -gt 0) {
    Write-Host 'Failed:'
    foreach ($failure in $failures) {
        $text = ($failure -replace '\s+', ' ').Trim()
        if ($text.Length -gt 400) { $text = $text.Substring(0, 400) + '...' }
        Write-Host "  $text"
    }
    Write-Host ''
}
$passed = ($results | Measure-Object Passed -Sum).Sum
$failed = ($results | Measure-Object Failed -Sum).Sum
$skipped = ($results | Measure-Object Skipped -Sum).Sum
Write-Host ('The Windows lane took {0:0} s (logs in {1}).' -f $watch.Elapsed.TotalSeconds, $logs)
Write-Host "Windows (Wine): $passed passed, $failed failed, $skipped skipped"
if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
exit 0
