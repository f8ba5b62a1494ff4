<#
.SYNOPSIS
    The performance benchmark (issues 7, 17 and 29): every figure beside a baseline measured in the same run, as ratios,
    for each Argon2id implementation present (BouncyCastle and the managed vectorized one always; the native libargon2
    where the system has one).
.DESCRIPTION
    Started by `build.ps1 -Task Bench` after a build. Needs the reference `argon2` program and libsodium
    (Debian: apt-get install argon2 libsodium23); it stops with an error when either is missing rather than print a
    number that means nothing. The native rows need libargon2 (Debian: apt-get install libargon2-1).

    Each implementation runs in its own warm pwsh (a worker, started with $env:SSOSECRET_KDF set to it), which times
    the module's calls itself, so no process start or pipe is counted. The reference program is started directly
    (no PowerShell pipeline) and its time includes its process start. Measurements are made in -Rounds rounds; within
    a round each implementation and its baseline run one after the other, in an order that rotates from round to round,
    so that a change in the machine's load meets both. A ratio is the median of the rounds' ratios; the spread shows
    the lowest and highest round.

    Targets apply to the rows of the implementation the module chooses by default here (Native when present, else
    Managed; $env:SSOSECRET_KDF changes it); the other implementations' rows are for comparison. The managed
    implementation's own rows (issue 29: against the reference C code built for this processor, against the native
    path, and its peak memory) have targets wherever they run: Windows runs that code. The optimized reference build
    needs ../shared/reference/phc-winner-argon2 beside the repository, make and a C compiler; without them its row is
    skipped, saying why. Exits 1 when a target is missed.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkFolder,
    [Alias('Runs')] [ValidateRange(3, 99)] [int] $Rounds = 7,
    # Environment: only the environment's rows (10, a fleet of 17 hosts), without the KDF's workers.
    [ValidateSet('All', 'Environment')] [string] $Only = 'All'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'

$argon2 = Get-Command argon2 -CommandType Application -ErrorAction Ignore | Select-Object -First 1
if (-not $argon2) { throw 'The reference argon2 program is missing: install it (Debian: apt-get install argon2) and run the bench again.' }
$sodiumPath = @('/usr/lib/x86_64-linux-gnu/libsodium.so.23', '/usr/lib/aarch64-linux-gnu/libsodium.so.23', '/usr/lib/libsodium.so.23', '/opt/homebrew/lib/libsodium.dylib') | Where-Object { Test-Path $_ } | Select-Object -First 1
if (-not $sodiumPath) { throw 'libsodium is missing: install it (Debian: apt-get install libsodium23) and run the bench again.' }

$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath -Force
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
if (Test-Path $WorkFolder) { Remove-Item $WorkFolder -Recurse -Force }
New-Item -ItemType Directory -Path $WorkFolder | Out-Null
$WorkFolder = (Resolve-Path $WorkFolder).Path

function Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[[int][math]::Floor($n / 2)] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

function Time([scriptblock] $block) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    & $block | Out-Null
    $watch.Elapsed.TotalMilliseconds
}

function Start-ChildProcess([string[]] $Arguments, [hashtable] $Environment = @{}, [switch] $WithInput) {
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in @($pwshDll) + $Arguments) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardInput = [bool]$WithInput
    $info.UseShellExecute = $false
    foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
    [System.Diagnostics.Process]::Start($info)
}

function Invoke-Pwsh([string] $Command, [hashtable] $Environment = @{}) {
    # A new pwsh running one command; returns its last line of output.
    $process = Start-ChildProcess @('-NoProfile', '-NonInteractive', '-Command', $Command) $Environment
    $output = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "A child pwsh failed ($($process.ExitCode)): $output" }
    @($output -split "`n" | Where-Object { $_.Trim() })[-1].Trim()
}

# ------------------------------------------------------------------------------------------------------------------
# Workers: one warm pwsh per implementation, running the module's calls and timing them itself.
# ------------------------------------------------------------------------------------------------------------------

$workerScript = @'
param($ModulePath, $Folder, $NoHugePages)
$ErrorActionPreference = 'Stop'
if ($NoHugePages -eq 'NoHugePages') {
    # As on Windows (ordinary pages): transparent huge pages off for this process, prctl(PR_SET_THP_DISABLE), before any
    # KDF memory is mapped; madvise(MADV_HUGEPAGE) then has no effect.
    Add-Type -Namespace SsoSecretBench -Name Thp -MemberDefinition '[DllImport("libc", SetLastError = true)] public static extern int prctl(int option, ulong a, ulong b, ulong c, ulong d);'
    if ([SsoSecretBench.Thp]::prctl(41, 1, 0, 0, 0) -ne 0) { throw 'prctl(PR_SET_THP_DISABLE) failed.' }
}
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
Import-Module $ModulePath
$password = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force
$store = Join-Path $Folder 'store'
$first = Join-Path $Folder 'first.bak'
New-SsoMasterSecret -BackupPath $first -Password $password -StorePath $store | Out-Null   # the default profile

function Kdf([int] $m, [int] $t, [int] $p) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $measurement = Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new($m, $t, $p))
    @{ Kdf = $measurement.Duration.TotalMilliseconds; Wall = $watch.Elapsed.TotalMilliseconds; Implementation = $measurement.Implementation; Reason = $measurement.ImplementationReason }
}

function Command([string] $name) {
    $before = [SsoSecret.Diagnostics.KdfCounters]::Runs
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    switch ($name) {
        'Backup-SsoMasterSecret' { Backup-SsoMasterSecret -Path (Join-Path $Folder "b$([guid]::NewGuid().ToString('N')).bak") -Password $password -StorePath $store | Out-Null }
        'Restore-SsoMasterSecret' { Restore-SsoMasterSecret -Path $first -Password $password -StorePath (Join-Path $Folder "r$([guid]::NewGuid().ToString('N'))") -Force | Out-Null }
        'Test-SsoSecretBackup -Password' { Test-SsoSecretBackup -Path $first -Password $password -StorePath $store | Out-Null }
    }
    $wall = $watch.Elapsed.TotalMilliseconds
    @{ Wall = $wall; Kdf = [SsoSecret.Diagnostics.KdfCounters]::LastDuration.TotalMilliseconds; Runs = [SsoSecret.Diagnostics.KdfCounters]::Runs - $before; Implementation = [SsoSecret.Diagnostics.KdfCounters]::LastImplementation }
}

$out = [Console]::Out
$out.WriteLine('{"Ready":true}'); $out.Flush()
while ($null -ne ($line = [Console]::In.ReadLine())) {
    try { $value = Invoke-Expression $line; $reply = [ordered]@{ Ok = $true; Value = $value } }
    catch { $reply = [ordered]@{ Ok = $false; Error = "$_" } }
    $out.WriteLine((ConvertTo-Json -InputObject $reply -Compress -Depth 4)); $out.Flush()
}
'@
$workerFile = Join-Path $WorkFolder 'worker.ps1'
Set-Content -Path $workerFile -Value $workerScript -Encoding utf8

function Start-Worker([string] $Implementation, [switch] $NoHugePages) {
    $folder = New-Item -ItemType Directory -Path (Join-Path $WorkFolder "worker-$Implementation$(if ($NoHugePages) { '-nohugepages' })")
    $process = Start-ChildProcess @('-NoProfile', '-NonInteractive', '-File', $workerFile, $ModulePath, $folder.FullName, $(if ($NoHugePages) { 'NoHugePages' } else { 'HugePages' })) @{ SSOSECRET_KDF = $Implementation } -WithInput
    $said = [System.Text.StringBuilder]::new()
    while ($null -ne ($line = $process.StandardOutput.ReadLine()) -and $line -ne '{"Ready":true}') { [void]$said.AppendLine($line) }
    if ($null -eq $line) {
        $process.WaitForExit(10000) | Out-Null
        return [pscustomobject]@{ Implementation = $Implementation; Process = $null; Problem = "its worker did not start: $said" }
    }
    [pscustomobject]@{ Implementation = $Implementation; Process = $process; Problem = $null }
}

function Invoke-Worker($Worker, [string] $Line) {
    $Worker.Process.StandardInput.WriteLine($Line)
    # Anything the worker's host writes besides its replies (it should write nothing) is skipped.
    while ($null -ne ($text = $Worker.Process.StandardOutput.ReadLine()) -and -not $text.StartsWith('{"Ok"', [StringComparison]::Ordinal)) { }
    if ($null -eq $text) { throw "The $($Worker.Implementation) worker ended on '$Line'." }
    $reply = $text | ConvertFrom-Json
    if (-not $reply.Ok) { throw "The $($Worker.Implementation) worker failed on '$Line': $($reply.Error)" }
    $reply.Value
}

# The reference program, started directly: its time includes its own process start (about a millisecond; measured
# below with the least memory it accepts).
function Invoke-Reference([int] $m, [int] $t, [int] $p, [string] $Program = $argon2.Source) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($Program)
    foreach ($argument in 'saltsaltsaltsalt', '-id', '-t', $t, '-k', $m, '-p', $p, '-l', '32', '-r') { $info.ArgumentList.Add([string]$argument) }
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($info)
    $process.StandardInput.Write('benchmark password')
    $process.StandardInput.Close()
    $null = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $elapsed = $watch.Elapsed.TotalMilliseconds
    if ($process.ExitCode -ne 0) { throw "argon2 failed with exit code $($process.ExitCode)." }
    $elapsed
}

Add-Type -Namespace SsoSecretBench -Name Sodium -MemberDefinition @"
[DllImport("$sodiumPath")] public static extern int sodium_init();
[DllImport("$sodiumPath")] public static extern int crypto_pwhash(byte[] output, ulong outputLength, byte[] password, ulong passwordLength, byte[] salt, ulong opsLimit, UIntPtr memLimit, int algorithm);
"@
[void][SsoSecretBench.Sodium]::sodium_init()
function Invoke-Sodium([int] $m, [int] $t) {
    $out = [byte[]]::new(32); $pw = [Text.Encoding]::UTF8.GetBytes('benchmark password'); $salt = [byte[]]::new(16)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    if ([SsoSecretBench.Sodium]::crypto_pwhash($out, 32, $pw, $pw.Length, $salt, $t, [UIntPtr]::new([uint64]$m * 1024), 2) -ne 0) { throw 'crypto_pwhash failed' }
    $watch.Elapsed.TotalMilliseconds
}

# ------------------------------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------------------------------

$default = Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1))
Write-Host "By default this module runs $($default.Implementation): $($default.ImplementationReason)."

$rows = [System.Collections.Generic.List[object]]::new()
function Row {
    param([string] $What, [string] $Implementation, [string] $Figure, [string] $Baseline, [string] $Measure, [double] $Value, [double[]] $Spread,
        [Nullable[double]] $Target, [string] $Comparison = 'le', [string] $Format = '0.##', [switch] $Always)
    $applies = $null -ne $Target -and ($Always -or $Implementation -in @('', $default.Implementation))
    $met = if (-not $applies) { $true } elseif ($Comparison -eq 'le') { $Value -le $Target } else { $Value -eq $Target }
    $result = "{0} = {1}" -f $Measure, $Value.ToString($Format, [cultureinfo]::InvariantCulture)
    if ($Spread -and $Spread.Count -gt 1) {
        $result += ' ({0}-{1})' -f ($Spread | Measure-Object -Minimum).Minimum.ToString($Format, [cultureinfo]::InvariantCulture), ($Spread | Measure-Object -Maximum).Maximum.ToString($Format, [cultureinfo]::InvariantCulture)
    }
    $targetText = if ($null -eq $Target) { '' } elseif (-not $applies) { '(comparison)' } else { '{0} {1}' -f $(if ($Comparison -eq 'le') { '<=' } else { '=' }), $Target }
    $rows.Add([pscustomobject]@{ What = $What; Implementation = $Implementation; Figure = $Figure; Baseline = $Baseline; Result = $result; Target = $targetText; Met = $met })
    Write-Host ('{0} [{1}]: {2} {3}{4}' -f $What, $Implementation, $result, $targetText, $(if ($applies) { $(if ($met) { ' met' } else { ' MISSED' }) } else { '' }))
}

# 10. An environment's sync at scale (issue: the fan-out in parallel): Sync-SsoEnvironment of a changed ring to 3 and to
#     16 replicas, on one fleet of a master and sixteen replicas (tests/Fleet, over SSH remoting, every host on this
#     machine), in interleaved rounds (tools/Measure-EnvironmentSync.ps1). Target: the sync time per replica at 16
#     replicas within 2x the time per replica at 3; the total times' ratio is shown beside it.
#     For comparison, the 16 one at a time (-ThrottleLimit 1), as the fan-out was before it ran in parallel. Where the
#     machine cannot make a fleet (not Linux, not root, no sshd), no row, saying why.
function Add-EnvironmentRows {
    $measured = & (Join-Path $PSScriptRoot 'Measure-EnvironmentSync.ps1') -ModulePath $ModulePath -Rounds $Rounds
    if ($measured.Skipped) {
        Write-Host "No environment rows: $($measured.Skipped)."
        return
    }
    $perHost3 = @($measured.Three | ForEach-Object { $_ / 3 })
    $perHost16 = @($measured.Sixteen | ForEach-Object { $_ / 16 })
    Row 'Sync-SsoEnvironment of a changed ring, per replica, 3 replicas' '' ('{0:0} ms in all' -f (Median $measured.Three)) '' 'ms per replica' (Median $perHost3) $perHost3 $null -Format '0'
    Row 'Sync-SsoEnvironment of a changed ring, per replica, 16 replicas' '' ('{0:0} ms in all' -f (Median $measured.Sixteen)) '' 'ms per replica' (Median $perHost16) $perHost16 $null -Format '0'
    # The issue's target: the sync time per host at 16 replicas within 2x the time per host at 3, round by round.
    $ratios = @(for ($i = 0; $i -lt $measured.Three.Count; $i++) { ($measured.Sixteen[$i] / 16) / ($measured.Three[$i] / 3) })
    Row 'Sync-SsoEnvironment of a changed ring, time per replica, 16 replicas against 3' '' ('{0:0} ms per replica' -f (Median $perHost16)) ('3 replicas: {0:0} ms per replica' -f (Median $perHost3)) 'ratio' (Median $ratios) $ratios 2.0
    # For comparison, the whole sync: here every host shares this machine's processors, so the hosts' own work (each
    # opens and installs its ring) adds up with their number, which separate servers would do side by side.
    $ratios = @(for ($i = 0; $i -lt $measured.Three.Count; $i++) { $measured.Sixteen[$i] / $measured.Three[$i] })
    Row 'Sync-SsoEnvironment of a changed ring, 16 replicas against 3 (total time, every host on this machine)' '' ('{0:0} ms' -f (Median $measured.Sixteen)) ('3 replicas: {0:0} ms' -f (Median $measured.Three)) 'ratio' (Median $ratios) $ratios $null
    $ratios = @(for ($i = 0; $i -lt $measured.Sixteen.Count; $i++) { $measured.Sixteen[$i] / $measured.OneAtATime[$i] })
    Row 'the same 16, at once against one at a time (-ThrottleLimit 1)' '' ('{0:0} ms' -f (Median $measured.Sixteen)) ('one at a time: {0:0} ms' -f (Median $measured.OneAtATime)) 'ratio' (Median $ratios) $ratios $null
    foreach ($line in $measured.Phases) { Write-Host "  $line" }
    Write-Host "  The fleet was ready in $('{0:0.0}' -f $measured.SetupTime.TotalSeconds) s; load average before the rounds $($measured.LoadBefore), after $($measured.LoadAfter)."
}

if ($Only -eq 'Environment') {
    Add-EnvironmentRows
    $rows | Format-Table -AutoSize | Out-String -Width 250 | Out-Host
    if ($rows | Where-Object { -not $_.Met }) { exit 1 }
    exit 0
}

$workers = @(foreach ($implementation in 'BouncyCastle', 'Managed', 'Native') { Start-Worker $implementation })
foreach ($worker in $workers | Where-Object Problem) { Write-Host "No $($worker.Implementation) rows: $($worker.Problem)" }
$workers = @($workers | Where-Object Process)
foreach ($worker in $workers) {
    $check = Invoke-Worker $worker 'Kdf 1024 1 1'
    Write-Host "$($worker.Implementation) worker: $($check.Implementation) ($($check.Reason))."
    if ($check.Implementation -ne $worker.Implementation) { throw "The $($worker.Implementation) worker runs $($check.Implementation)." }
}

# Interleaved rounds over contestants: name -> @(scriptblock returning milliseconds, its arguments...). The arguments
# are given explicitly (a scriptblock sees variables as they are when it runs, not as they were when it was made).
# Returns name -> values.
function Measure-Rounds([System.Collections.Specialized.OrderedDictionary] $Contestants, [int] $Count = $Rounds) {
    $names = @($Contestants.Keys)
    $results = @{}
    foreach ($name in $names) {
        $results[$name] = [System.Collections.Generic.List[double]]::new()
        $block = $Contestants[$name][0]; $arguments = @($Contestants[$name] | Select-Object -Skip 1)
        $null = & $block @arguments # warm-up, not counted
    }
    for ($round = 0; $round -lt $Count; $round++) {
        for ($k = 0; $k -lt $names.Count; $k++) {
            $name = $names[($k + $round) % $names.Count]
            $block = $Contestants[$name][0]; $arguments = @($Contestants[$name] | Select-Object -Skip 1)
            $results[$name].Add([double](& $block @arguments))
        }
    }
    $results
}

function Ratios($Results, [string] $Name, [string] $Baseline) {
    @(for ($i = 0; $i -lt $Results[$Name].Count; $i++) { $Results[$Name][$i] / $Results[$Baseline][$i] })
}

# 1. Argon2id at the default profile: the module's KDF alone (Measure-SsoKdf's own timing of the derivation) against
#    the reference C program with the same parameters; then one lane against libsodium.
foreach ($case in @(
        @{ Name = 'Argon2id 256 MiB t=3 p=4, the KDF alone'; M = 262144; T = 3; P = 4; Baseline = 'argon2 program'; Target = 1.0 },
        @{ Name = 'Argon2id 64 MiB t=3 p=1, the KDF alone'; M = 65536; T = 3; P = 1; Baseline = 'libsodium'; Target = 2.0 })) {
    $contestants = [ordered]@{}
    foreach ($worker in $workers) {
        $contestants[$worker.Implementation] = @({ param($w, $m, $t, $p) (Invoke-Worker $w "Kdf $m $t $p").Kdf }, $worker, $case.M, $case.T, $case.P)
    }
    $contestants[$case.Baseline] = if ($case.Baseline -eq 'libsodium') { @({ param($m, $t) Invoke-Sodium $m $t }, $case.M, $case.T) } else { @({ param($m, $t, $p) Invoke-Reference $m $t $p }, $case.M, $case.T, $case.P) }
    $results = Measure-Rounds $contestants
    $base = Median $results[$case.Baseline]
    foreach ($worker in $workers) {
        $ratios = Ratios $results $worker.Implementation $case.Baseline
        Row $case.Name $worker.Implementation ('{0:0} ms' -f (Median $results[$worker.Implementation])) ('{0}: {1:0} ms' -f $case.Baseline, $base) 'ratio' (Median $ratios) $ratios $case.Target
    }
}

# 1b. The managed vectorized KDF at the default profile (issue 29), in one set of interleaved rounds, against the
#     reference C code built for this processor (make OPTTARGET=native: AVX2 here) and against the native path (the
#     system's libargon2 with huge pages). Targets: at most as slow as the optimized reference, within 1.25x of native.
#     For comparison, on Linux only, the same managed code in a process without transparent huge pages: what Windows
#     runs (ordinary pages unless the account may lock pages in memory), which cannot be measured here.
$managedWorker = $workers | Where-Object Implementation -eq 'Managed'
$plainWorker = if ($managedWorker -and $IsLinux) { Start-Worker 'Managed' -NoHugePages } else { $null }
if ($plainWorker -and -not $plainWorker.Process) { Write-Host "No row without huge pages: $($plainWorker.Problem)"; $plainWorker = $null }
$nativeWorker = $workers | Where-Object Implementation -eq 'Native'
$optimized = $null
$referenceSource = Join-Path $PSScriptRoot '../../shared/reference/phc-winner-argon2'
$make = Get-Command make -CommandType Application -ErrorAction Ignore | Select-Object -First 1
if (-not (Test-Path -LiteralPath (Join-Path $referenceSource 'Makefile'))) {
    Write-Host "No row against the optimized reference build: $referenceSource is absent (it is beside the repository on the development machine, not on a fresh CI machine)."
}
elseif (-not $make) {
    Write-Host 'No row against the optimized reference build: make is not installed (apt-get install make gcc).'
}
else {
    # Built in a temporary folder, never inside the project.
    $optimizedFolder = Join-Path ([IO.Path]::GetTempPath()) ("ssosecret-argon2-" + [guid]::NewGuid().ToString('N'))
    Copy-Item -LiteralPath $referenceSource -Destination $optimizedFolder -Recurse
    $buildLog = & $make.Source -C $optimizedFolder OPTTARGET=native 2>&1
    if ($LASTEXITCODE -eq 0 -and (Test-Path -LiteralPath (Join-Path $optimizedFolder 'argon2'))) { $optimized = Join-Path $optimizedFolder 'argon2' }
    else { Write-Host "No row against the optimized reference build: make OPTTARGET=native failed: $($buildLog | Select-Object -Last 3)" }
}
if ($managedWorker) {
    $contestants = [ordered]@{ Managed = @({ param($w) (Invoke-Worker $w 'Kdf 262144 3 4').Kdf }, $managedWorker) }
    if ($optimized) { $contestants['optimized reference'] = @({ param($program) Invoke-Reference 262144 3 4 $program }, $optimized) }
    if ($nativeWorker) { $contestants['Native'] = @({ param($w) (Invoke-Worker $w 'Kdf 262144 3 4').Kdf }, $nativeWorker) }
    else { Write-Host 'No row against the native path: this machine has no libargon2 (Debian: apt-get install libargon2-1).' }
    if ($plainWorker) { $contestants['Managed, no huge pages'] = @({ param($w) (Invoke-Worker $w 'Kdf 262144 3 4').Kdf }, $plainWorker) }
    if ($contestants.Count -gt 1) {
        $results = Measure-Rounds $contestants
        $managedFigure = '{0:0} ms' -f (Median $results['Managed'])
        if ($optimized) {
            $ratios = Ratios $results 'Managed' 'optimized reference'
            Row 'Argon2id 256 MiB t=3 p=4, managed KDF against the reference C code built with OPTTARGET=native' 'Managed' $managedFigure ('optimized reference: {0:0} ms' -f (Median $results['optimized reference'])) 'ratio' (Median $ratios) $ratios 1.0 -Always
        }
        if ($nativeWorker) {
            $ratios = Ratios $results 'Managed' 'Native'
            Row 'Argon2id 256 MiB t=3 p=4, managed KDF against the native path (libargon2, huge pages)' 'Managed' $managedFigure ('Native: {0:0} ms' -f (Median $results['Native'])) 'ratio' (Median $ratios) $ratios 1.25 -Always
        }
        if ($plainWorker) {
            $plainFigure = '{0:0} ms' -f (Median $results['Managed, no huge pages'])
            $ratios = Ratios $results 'Managed, no huge pages' 'Managed'
            Row 'Argon2id 256 MiB t=3 p=4, managed KDF without huge pages (as on Windows) against with them' 'Managed' $plainFigure "Managed: $managedFigure" 'ratio' (Median $ratios) $ratios $null
            if ($optimized) {
                $ratios = Ratios $results 'Managed, no huge pages' 'optimized reference'
                Row 'Argon2id 256 MiB t=3 p=4, managed KDF without huge pages (as on Windows) against the optimized reference' 'Managed' $plainFigure ('optimized reference: {0:0} ms' -f (Median $results['optimized reference'])) 'ratio' (Median $ratios) $ratios $null
            }
        }
    }
}
if ($optimized) { Remove-Item -LiteralPath (Split-Path $optimized) -Recurse -Force }
if ($plainWorker) { $plainWorker.Process.StandardInput.Close(); if (-not $plainWorker.Process.WaitForExit(30000)) { $plainWorker.Process.Kill() } }

$spawn = Measure-Rounds ([ordered]@{ spawn = @(, { Invoke-Reference 8 1 1 }) })
Write-Host ('(The argon2 program started with 8 KiB, 1 pass, 1 lane takes {0:0.0} ms: its process start, included in its figures.)' -f (Median $spawn.spawn))

# 2. The first derivation of a new pwsh (Measure-SsoKdf in a fresh process, its own timing): what a one-off backup
#    command pays. For comparison only: .NET compiles BouncyCastle's code on first use, and the native library
#    runs its self-test (a 64 MiB derivation, not included in this figure) first.
$cold = [ordered]@{}
foreach ($worker in $workers) {
    $implementation = $worker.Implementation
    $cold[$implementation] = @({ param($i) [double](Invoke-Pwsh "Import-Module '$ModulePath'; (Measure-SsoKdf -Profile Moderate).Duration.TotalMilliseconds" @{ SSOSECRET_KDF = $i }) }, $implementation)
}
$cold['argon2 program'] = @(, { Invoke-Reference 262144 3 4 })
$coldResults = Measure-Rounds $cold 3
foreach ($worker in $workers) {
    $ratios = Ratios $coldResults $worker.Implementation 'argon2 program'
    Row 'Argon2id 256 MiB t=3 p=4, first run in a new pwsh' $worker.Implementation ('{0:0} ms' -f (Median $coldResults[$worker.Implementation])) ('argon2 program: {0:0} ms' -f (Median $coldResults['argon2 program'])) 'ratio' (Median $ratios) $ratios $null
}

# 3. The commands end to end at the default profile, in the warm workers: each call's time less the KDF run inside
#    that same call (the KDF's own time varies from run to run more than the overhead being measured); and the
#    backup's whole time against the reference program's.
foreach ($name in 'Backup-SsoMasterSecret', 'Restore-SsoMasterSecret', 'Test-SsoSecretBackup -Password') {
    $contestants = [ordered]@{}
    $calls = @{}
    foreach ($worker in $workers) {
        $w = $worker
        $list = [System.Collections.Generic.List[object]]::new()
        $calls[$w.Implementation] = $list
        $contestants[$w.Implementation] = @({ param($w, $n, $l) $call = Invoke-Worker $w "Command '$n'"; $l.Add($call); $call.Wall }, $w, $name, $list)
    }
    if ($name -eq 'Backup-SsoMasterSecret') { $contestants['argon2 program'] = @(, { Invoke-Reference 262144 3 4 }) }
    $results = Measure-Rounds $contestants
    foreach ($worker in $workers) {
        $measured = @($calls[$worker.Implementation] | Select-Object -Skip 1) # the warm-up call is not counted
        $runs = @($measured.Runs | Sort-Object -Unique)
        Row "${name}: KDF runs per call" $worker.Implementation ('{0} calls' -f $measured.Count) '' 'runs' ($(if ($runs.Count -eq 1) { $runs[0] } else { -1 })) @() 1 'eq'
        $overheads = @($measured | ForEach-Object { $_.Wall - $_.Kdf })
        Row "${name}: overhead over its KDF run" $worker.Implementation ('{0:0} ms' -f (Median $results[$worker.Implementation])) ('its KDF run: {0:0} ms' -f (Median @($measured.Kdf))) 'ms over' (Median $overheads) $overheads 50 -Format '0.0'
        if ($name -eq 'Backup-SsoMasterSecret') {
            $ratios = Ratios $results $worker.Implementation 'argon2 program'
            Row "${name}, end to end" $worker.Implementation ('{0:0} ms' -f (Median $results[$worker.Implementation])) ('argon2 program: {0:0} ms' -f (Median $results['argon2 program'])) 'ratio' (Median $ratios) $ratios $null
        }
    }
}

foreach ($worker in $workers) {
    $worker.Process.StandardInput.Close()
    if (-not $worker.Process.WaitForExit(30000)) { $worker.Process.Kill() }
}

# 4. Import-Module in a new pwsh, against pwsh starting without it.
$import = Measure-Rounds ([ordered]@{
        import = @(, { Time { Invoke-Pwsh "Import-Module '$ModulePath'; 1" } })
        bare   = @(, { Time { Invoke-Pwsh '1' } })
    })
$differences = @(for ($i = 0; $i -lt $Rounds; $i++) { $import.import[$i] - $import.bare[$i] })
Row 'Import-Module SsoSecret in a new pwsh' '' ('{0:0} ms' -f (Median $import.import)) ('pwsh alone: {0:0} ms' -f (Median $import.bare)) 'ms more' (Median $differences) $differences 150 -Format '0'

# 5. 1,000 backups checked without a password (no KDF), against Get-FileHash over the same files.
$folder = New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'thousand')
$template = [IO.File]::ReadAllBytes((Join-Path $WorkFolder 'worker-BouncyCastle/first.bak'))
1..1000 | ForEach-Object { [IO.File]::WriteAllBytes((Join-Path $folder "backup$_.bak"), $template) }
$thousand = Measure-Rounds ([ordered]@{
        test = @(, { Time { Get-ChildItem (Join-Path $folder '*.bak') | Test-SsoSecretBackup -WarningAction SilentlyContinue } })
        hash = @(, { Time { Get-ChildItem (Join-Path $folder '*.bak') | Get-FileHash } })
    })
$ratios = Ratios $thousand 'test' 'hash'
Row 'Test-SsoSecretBackup over 1,000 backups' '' ('{0:0} ms' -f (Median $thousand.test)) ('Get-FileHash: {0:0} ms' -f (Median $thousand.hash)) 'ratio' (Median $ratios) $ratios 2.0

# 6. 10,000 protected values opened from a file (Get-Content | Unprotect-SsoData), against ConvertFrom-SecureString
#    over the same count in the same process (issue 11's target: within 3x). No KDF: the cmdlet's own cost per value.
$dataStore = Join-Path $WorkFolder 'worker-BouncyCastle/store'
$valuesFile = Join-Path $WorkFolder 'values.txt'
1..10000 | ForEach-Object { "value-$_" } | Protect-SsoData -Purpose 'bench/values' -StorePath $dataStore | Set-Content $valuesFile
$secureValues = @(1..10000 | ForEach-Object { ConvertTo-SecureString "value-$_" -AsPlainText -Force })
$unprotect = Measure-Rounds ([ordered]@{
        unprotect = @({ param($f, $s) Time { Get-Content $f | Unprotect-SsoData -Purpose 'bench/values' -StorePath $s } }, $valuesFile, $dataStore)
        convert   = @({ param($v) Time { $v | ConvertFrom-SecureString } }, $secureValues)
        read      = @({ param($f) Time { Get-Content $f | Out-Null } }, $valuesFile)
    })
$ratios = Ratios $unprotect 'unprotect' 'convert'
Row 'Unprotect-SsoData over 10,000 values from a file' '' ('{0:0} ms' -f (Median $unprotect.unprotect)) ('ConvertFrom-SecureString: {0:0} ms' -f (Median $unprotect.convert)) 'ratio' (Median $ratios) $ratios 3.0
# What reading the file alone costs against the same baseline: the part of the row above that is not the module's.
$ratios = Ratios $unprotect 'read' 'convert'
Row 'Get-Content of that file alone (no Unprotect)' '' ('{0:0} ms' -f (Median $unprotect.read)) ('ConvertFrom-SecureString: {0:0} ms' -f (Median $unprotect.convert)) 'ratio' (Median $ratios) $ratios

# 7. Rewrapping a config file in place after a rotation (Update-SsoProtectedData -LiteralPath): 10,000 protected values,
#    made under the old secret, in a file padded with comment lines to just under the 16 MiB the command accepts, so
#    that every value is rewrapped under the new current secret; against Get-Content -Raw + Set-Content of the same
#    file in the same process (target: within 5x). Each run gets a fresh copy of the file under the old secret (the
#    copy is not timed; the baseline's runs get one too).
$rotation = New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'rotation')
$rotationStore = Join-Path $rotation 'store'
$rotationPassword = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force
$oldSecret = New-SsoMasterSecret -BackupPath (Join-Path $rotation 'old.bak') -Password $rotationPassword -KdfProfile Interactive -StorePath $rotationStore -PassThru
$texts = @(1..10000 | ForEach-Object { "value-$_" } | Protect-SsoData -Purpose 'bench/rewrap' -StorePath $rotationStore)
$newSecret = New-SsoMasterSecret -BackupPath (Join-Path $rotation 'new.bak') -Password $rotationPassword -KdfProfile Interactive -StorePath $rotationStore -Force -PassThru
# The values spread evenly through the file, each after a block of comment lines of the same size; a last comment
# block brings the file to 16 MiB less 1 KiB (ASCII: characters are bytes).
$fileSize = 16MB - 1KB
$valueLines = @(for ($i = 0; $i -lt $texts.Count; $i++) { 'key_{0} = {1}' -f ($i + 1), $texts[$i] })
$blockSize = [int][math]::Floor(($fileSize - ($valueLines | Measure-Object -Property Length -Sum).Sum - $valueLines.Count) / ($valueLines.Count + 1))
function Add-CommentBlock([System.Text.StringBuilder] $Text, [string] $Key, [int] $Bytes) {
    # Comment lines of about 100 bytes, the last one cut to make exactly $Bytes (with their line ends).
    $end = $Text.Length + $Bytes
    for ($note = 1; $Text.Length -lt $end; $note++) {
        $line = "# $Key, note ${note}: read by the service when it starts; changed only by the rotation job, never by hand."
        [void]$Text.Append($line, 0, [math]::Min($line.Length, $end - $Text.Length - 1)).Append("`n")
    }
}
$config = [System.Text.StringBuilder]::new($fileSize)
for ($i = 0; $i -lt $valueLines.Count; $i++) {
    Add-CommentBlock $config "key_$($i + 1)" $blockSize
    [void]$config.Append($valueLines[$i]).Append("`n")
}
Add-CommentBlock $config 'end of file' ($fileSize - $config.Length)
$preparedFile = Join-Path $rotation 'config.prepared'
[IO.File]::WriteAllText($preparedFile, $config.ToString())
if ((Get-Item -LiteralPath $preparedFile).Length -ne $fileSize) { throw "The prepared config file is not $fileSize bytes long." }
$rewrapFile = Join-Path $rotation 'config.conf'
$updates = [System.Collections.Generic.List[object]]::new()
$rewrap = Measure-Rounds ([ordered]@{
        update  = @({ param($p, $f, $s, $u) Copy-Item -LiteralPath $p -Destination $f -Force; Time { $u.Add((Update-SsoProtectedData -LiteralPath $f -Purpose 'bench/rewrap' -StorePath $s -PassThru)) } }, $preparedFile, $rewrapFile, $rotationStore, $updates)
        rewrite = @({ param($p, $f) Copy-Item -LiteralPath $p -Destination $f -Force; Time { Set-Content -LiteralPath $f -Value (Get-Content -LiteralPath $f -Raw) -NoNewline } }, $preparedFile, $rewrapFile)
    })
# Every timed run (and the warm-up) rewrapped all 10,000 values, from the old secret to the new one.
foreach ($update in $updates) {
    if ($update.Values -ne 10000 -or $update.Rewrapped -ne 10000 -or "$($update.FromSecretIds)" -ne "$($oldSecret.SecretId)" -or $update.SecretId -ne $newSecret.SecretId) {
        throw "A run of Update-SsoProtectedData did not rewrap the 10,000 values from the old secret to the new one ($($update.Rewrapped) of $($update.Values))."
    }
}
$ratios = Ratios $rewrap 'update' 'rewrite'
Row 'Update-SsoProtectedData rewrapping a 16 MiB file with 10,000 protected values' '' ('{0:0} ms' -f (Median $rewrap.update)) ('Get-Content -Raw + Set-Content: {0:0} ms' -f (Median $rewrap.rewrite)) 'ratio' (Median $ratios) $ratios 5.0

# 8. Peak memory of Backup-SsoMasterSecret at the default profile (256 MiB of KDF memory): a new pwsh's peak resident
#    set (/proc) less that of a pwsh that did the same but the backup, less the KDF's own memory.
if (Test-Path /proc/self/status) {
    $store = Join-Path $WorkFolder 'worker-BouncyCastle/store'
    $peakOf = {
        param([string] $Implementation, [string] $Extra)
        $script = "Import-Module '$ModulePath'; `$pw = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force; $Extra; (Select-String -Path /proc/self/status -Pattern '^VmHWM:\s+(\d+)').Matches[0].Groups[1].Value"
        [double](Invoke-Pwsh $script @{ SSOSECRET_KDF = $Implementation }) / 1024
    }
    foreach ($worker in $workers) {
        $implementation = $worker.Implementation
        $memory = Measure-Rounds ([ordered]@{
                backup   = @($peakOf, $implementation, "Backup-SsoMasterSecret -Path '$(Join-Path $WorkFolder "peak-$implementation.bak")' -Password `$pw -StorePath '$store' -Force")
                baseline = @($peakOf, $implementation, '')
            }) 3
        $over = @(for ($i = 0; $i -lt 3; $i++) { $memory.backup[$i] - $memory.baseline[$i] - 256 })
        # The managed KDF's own target (issue 29): its memory is one allocation of the KDF's size, nothing more than
        # 16 MiB beside it; the other implementations keep the module's 64 MiB.
        $managed = $implementation -eq 'Managed'
        Row 'Peak memory of Backup-SsoMasterSecret (256 MiB KDF)' $implementation ('{0:0} MiB' -f (Median $memory.backup)) ('pwsh with the module: {0:0} MiB' -f (Median $memory.baseline)) 'MiB over it and the KDF memory' (Median $over) $over ($managed ? 16 : 64) -Format '0' -Always:$managed
    }
}

# 9. The vault through the real SecretManagement (issue 26): Get-Secret of 1,000 entries against Get-Content of 1,000
#    small files holding the same values, and Set-Secret of the 1,000 entries against Set-Content of those files, in
#    the same process (targets: within 6x and 15x; a Set-Secret writes the whole vault file again, atomically). The
#    real SecretManagement is at ../shared/engines beside the repository; without it, no row. Its registry goes to a
#    HOME in the work folder, fixed when it is first imported.
$engines = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../shared/engines'))
if (-not (Test-Path -LiteralPath (Join-Path $engines 'Microsoft.PowerShell.SecretManagement'))) {
    Write-Host "No vault rows: the real SecretManagement is not in $engines (it is beside the repository on the development machine, not on a fresh CI machine)."
}
else {
    $savedHome = $env:HOME
    $env:HOME = (New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'vault-home')).FullName
    $env:PSModulePath = $engines + [IO.Path]::PathSeparator + (Split-Path (Split-Path $ModulePath)) + [IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module (Join-Path $engines 'Microsoft.PowerShell.SecretManagement')
    $env:HOME = $savedHome
    $vaultStore = Join-Path $WorkFolder 'vault-store'
    New-SsoMasterSecret -BackupPath (Join-Path $WorkFolder 'vault.bak') -Password (ConvertTo-SecureString 'benchmark password' -AsPlainText -Force) -KdfProfile Interactive -StorePath $vaultStore | Out-Null
    Register-SecretVault -Name SsoBench -ModuleName SsoSecret -VaultParameters @{ StorePath = $vaultStore }
    $smallFiles = New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'small-files')
    $values = @(1..1000 | ForEach-Object { "value-$_-0123456789abcdef" })
    $vault = Measure-Rounds ([ordered]@{
            setSecret  = @({ param($v) Time { for ($i = 0; $i -lt 1000; $i++) { Set-Secret -Vault SsoBench -Name "bench/entry-$i" -Secret $v[$i] } } }, $values)
            setContent = @({ param($f, $v) Time { for ($i = 0; $i -lt 1000; $i++) { Set-Content -LiteralPath (Join-Path $f "entry-$i.txt") -Value $v[$i] } } }, $smallFiles.FullName, $values)
            getSecret  = @({ Time { for ($i = 0; $i -lt 1000; $i++) { $null = Get-Secret -Vault SsoBench -Name "bench/entry-$i" -AsPlainText } } })
            getContent = @({ param($f) Time { for ($i = 0; $i -lt 1000; $i++) { $null = Get-Content -LiteralPath (Join-Path $f "entry-$i.txt") } } }, $smallFiles.FullName)
        })
    # Every entry read back is the value written.
    for ($i = 0; $i -lt 1000; $i += 97) {
        if ((Get-Secret -Vault SsoBench -Name "bench/entry-$i" -AsPlainText) -cne $values[$i]) { throw "Vault entry bench/entry-$i does not hold its value." }
    }
    $ratios = Ratios $vault 'getSecret' 'getContent'
    Row 'Get-Secret of 1,000 vault entries through SecretManagement' '' ('{0:0} ms' -f (Median $vault.getSecret)) ('Get-Content of 1,000 small files: {0:0} ms' -f (Median $vault.getContent)) 'ratio' (Median $ratios) $ratios 6.0
    $ratios = Ratios $vault 'setSecret' 'setContent'
    Row 'Set-Secret of 1,000 vault entries through SecretManagement' '' ('{0:0} ms' -f (Median $vault.setSecret)) ('Set-Content of 1,000 small files: {0:0} ms' -f (Median $vault.setContent)) 'ratio' (Median $ratios) $ratios 15.0
    Unregister-SecretVault -Name SsoBench
}

Add-EnvironmentRows

Write-Host ''
$rows | Format-Table -AutoSize | Out-String -Width 250 | Out-Host
$cpu = Get-Content /proc/cpuinfo -ErrorAction Ignore | Select-String 'model name' | Select-Object -First 1 | ForEach-Object { ($_ -split ':', 2)[1].Trim() }
$load = if (Test-Path /proc/loadavg) { ' Load average at the end: ' + ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ' + '.' } else { '' }
Write-Host ("Machine: {0} cores, {1}; {2} {3}. {4} interleaved rounds (first-run and memory rows: 3); medians, with the lowest and highest round.{5}" -f [Environment]::ProcessorCount, $cpu, [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription, [System.Runtime.InteropServices.RuntimeInformation]::OSDescription, $Rounds, $load)
if ($rows | Where-Object { -not $_.Met }) { exit 1 }
