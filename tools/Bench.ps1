<#
.SYNOPSIS
    The performance benchmark of issue 7: every figure beside a baseline measured in the same run, as ratios.
.DESCRIPTION
    Started by `build.ps1 -Task Bench` after a build. Needs the reference `argon2` program and libsodium
    (Debian: apt-get install argon2 libsodium23); it stops with an error when either is missing rather than print a
    number that means nothing. Each figure is the median of -Runs runs. Exits 1 when a target is missed.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkFolder,
    [int] $Runs = 5
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$argon2 = Get-Command argon2 -CommandType Application -ErrorAction Ignore | Select-Object -First 1
if (-not $argon2) { throw 'The reference argon2 program is missing: install it (Debian: apt-get install argon2) and run the bench again.' }
$sodiumPath = @('/usr/lib/x86_64-linux-gnu/libsodium.so.23', '/usr/lib/aarch64-linux-gnu/libsodium.so.23', '/usr/lib/libsodium.so.23', '/opt/homebrew/lib/libsodium.dylib') | Where-Object { Test-Path $_ } | Select-Object -First 1
if (-not $sodiumPath) { throw 'libsodium is missing: install it (Debian: apt-get install libsodium23) and run the bench again.' }

Import-Module $ModulePath -Force
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
if (Test-Path $WorkFolder) { Remove-Item $WorkFolder -Recurse -Force }
New-Item -ItemType Directory -Path $WorkFolder | Out-Null

function Median([double[]] $values) {
    $sorted = $values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { $sorted[[int][math]::Floor($n / 2)] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

function Time([scriptblock] $block) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    & $block | Out-Null
    $watch.Elapsed.TotalMilliseconds
}

function MedianOf([scriptblock] $block, [int] $count = $Runs) {
    & $block | Out-Null # warm-up, not counted
    Median @(1..$count | ForEach-Object { Time $block })
}

$rows = [System.Collections.Generic.List[object]]::new()
function Row([string] $What, [double] $Figure, [string] $Unit, [string] $Baseline, [double] $BaselineFigure, [string] $Measure, [double] $Value, [double] $Target, [string] $Comparison = 'le') {
    $met = if ($Comparison -eq 'le') { $Value -le $Target } else { $Value -eq $Target }
    $row = [pscustomobject]@{
        What     = $What
        Figure   = ('{0:0.#} {1}' -f $Figure, $Unit)
        Baseline = $(if ($Baseline) { '{0}: {1:0.#} {2}' -f $Baseline, $BaselineFigure, $Unit } else { '' })
        Result   = ('{0} = {1:0.##}' -f $Measure, $Value)
        Target   = ('{0} {1}' -f $(if ($Comparison -eq 'le') { '<=' } else { '=' }), $Target)
        Met      = $met
    }
    $rows.Add($row)
    Write-Host ('{0}: {1:0.##} (target {2} {3}) {4}' -f $What, $Value, $(if ($Comparison -eq 'le') { '<=' } else { '=' }), $Target, $(if ($met) { 'met' } else { 'MISSED' }))
}

$password = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force
$moderate = [SsoSecret.KdfParameters]::FromProfile('Moderate')

# 1. Argon2id at the default profile, in the module, against the reference C program.
$module = MedianOf { Measure-SsoKdf -KdfParameters $moderate }
$reference = MedianOf { 'benchmark password' | & $argon2.Source 'saltsaltsaltsalt' -id -t 3 -k 262144 -p 4 -l 32 -r }
Row 'Argon2id 256 MiB t=3 p=4 (module vs argon2)' $module 'ms' 'argon2' $reference 'ratio' ($module / $reference) 1.0

# 2. One lane, against libsodium's crypto_pwhash (always one lane).
Add-Type -Namespace SsoSecretBench -Name Sodium -MemberDefinition @"
[DllImport("$sodiumPath")] public static extern int sodium_init();
[DllImport("$sodiumPath")] public static extern int crypto_pwhash(byte[] output, ulong outputLength, byte[] password, ulong passwordLength, byte[] salt, ulong opsLimit, UIntPtr memLimit, int algorithm);
"@
[void][SsoSecretBench.Sodium]::sodium_init()
$oneLane = [SsoSecret.KdfParameters]::new(65536, 3, 1)
$module1 = MedianOf { Measure-SsoKdf -KdfParameters $oneLane }
$sodium = MedianOf {
    $out = [byte[]]::new(32); $pw = [Text.Encoding]::UTF8.GetBytes('benchmark password')
    if ([SsoSecretBench.Sodium]::crypto_pwhash($out, 32, $pw, $pw.Length, [byte[]]::new(16), 3, [UIntPtr]::new(64MB), 2) -ne 0) { throw 'crypto_pwhash failed' }
}
Row 'Argon2id 64 MiB t=3 p=1 (module vs libsodium)' $module1 'ms' 'libsodium' $sodium 'ratio' ($module1 / $sodium) 2.0

# 3. The commands end to end at the default profile: each call's time less the KDF run inside that same call (the
#    KDF's own time varies by hundreds of milliseconds from run to run, more than the overhead being measured).
$context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext((Get-Command Backup-SsoMasterSecret).ImplementingType.Assembly)
$primitives = ($context.Assemblies | Where-Object { $_.GetName().Name -eq 'SsoSecret.Core' }).GetType('SsoSecret.Crypto.Primitives')
$nonPublic = [System.Reflection.BindingFlags]'NonPublic, Static'
$counter = $primitives.GetProperty('Argon2Runs', $nonPublic)
$lastKdf = $primitives.GetProperty('LastArgon2Duration', $nonPublic)
$store = Join-Path $WorkFolder 'store'
New-SsoMasterSecret -BackupPath (Join-Path $WorkFolder 'first.bak') -Password $password -StorePath $store | Out-Null
$commands = [ordered]@{
    'Backup-SsoMasterSecret'         = { Backup-SsoMasterSecret -Path (Join-Path $WorkFolder "b$([guid]::NewGuid().ToString('N')).bak") -Password $password -StorePath $store }
    'Restore-SsoMasterSecret'        = { Restore-SsoMasterSecret -Path (Join-Path $WorkFolder 'first.bak') -Password $password -StorePath (Join-Path $WorkFolder "r$([guid]::NewGuid().ToString('N'))") -Force }
    'Test-SsoSecretBackup -Password' = { Test-SsoSecretBackup -Path (Join-Path $WorkFolder 'first.bak') -Password $password -StorePath $store }
}
foreach ($name in $commands.Keys) {
    $before = $counter.GetValue($null)
    & $commands[$name] | Out-Null
    $kdfRuns = $counter.GetValue($null) - $before
    Row "${name}: KDF runs per call" $kdfRuns 'runs' '' 0 'runs' $kdfRuns 1 'eq'
    $totals = @(); $overheads = @()
    foreach ($run in 1..$Runs) {
        $elapsed = Time $commands[$name]
        $totals += $elapsed
        $overheads += $elapsed - $lastKdf.GetValue($null).TotalMilliseconds
    }
    Row "${name}: overhead over its KDF run" (Median $totals) 'ms' 'its KDF run' ((Median $totals) - (Median $overheads)) 'ms over' (Median $overheads) 50
}

# 4. Import-Module in a new pwsh, against pwsh starting without it: the two alternate run by run, so that a load that
#    comes and goes on a shared machine weighs on both alike.
$startBare = { & dotnet $pwshDll -NoProfile -NonInteractive -Command '$null' }
$startImport = { & dotnet $pwshDll -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'" }
& $startImport | Out-Null # warm-up, not counted
$bareRuns = @(); $importRuns = @()
foreach ($run in 1..$Runs) { $bareRuns += Time $startBare; $importRuns += Time $startImport }
$bare = Median $bareRuns
$import = Median $importRuns
Row 'Import-Module SsoSecret in a new pwsh' $import 'ms' 'pwsh alone' $bare 'ms more' ($import - $bare) 150

# 5. 1,000 backups checked without a password, against Get-FileHash over the same files.
$folder = New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'thousand')
$template = [IO.File]::ReadAllBytes((Join-Path $WorkFolder 'first.bak'))
1..1000 | ForEach-Object { [IO.File]::WriteAllBytes((Join-Path $folder "backup$_.bak"), $template) }
$testAll = MedianOf { Get-ChildItem (Join-Path $folder '*.bak') | Test-SsoSecretBackup } 3
$hashAll = MedianOf { Get-ChildItem (Join-Path $folder '*.bak') | Get-FileHash } 3
Row 'Test-SsoSecretBackup over 1,000 backups' $testAll 'ms' 'Get-FileHash' $hashAll 'ratio' ($testAll / $hashAll) 2.0

# 6. Peak memory of Backup-SsoMasterSecret at the default profile (a new pwsh; peak resident set from /proc).
if (Test-Path /proc/self/status) {
    $peak = {
        param($extra)
        $script = "Import-Module '$ModulePath'; `$pw = ConvertTo-SecureString 'benchmark password' -AsPlainText -Force; $extra; (Select-String -Path /proc/self/status -Pattern '^VmHWM:\s+(\d+)').Matches[0].Groups[1].Value"
        [double](& dotnet $pwshDll -NoProfile -NonInteractive -Command $script | Select-Object -Last 1) / 1024
    }
    $baseline = & $peak ''
    $backup = & $peak "Backup-SsoMasterSecret -Path '$(Join-Path $WorkFolder 'peak.bak')' -Password `$pw -StorePath '$store' -Force"
    Row 'Peak memory of Backup-SsoMasterSecret (256 MiB KDF)' $backup 'MiB' 'pwsh with the module' $baseline 'MiB over the KDF memory' ($backup - 256) 150
}

Write-Host ''
$rows | Format-Table -AutoSize -Wrap | Out-Host
Write-Host ("Machine: {0} cores, {1}; {2} {3}; median of {4} runs." -f [Environment]::ProcessorCount, (Get-Content /proc/cpuinfo -ErrorAction Ignore | Select-String 'model name' | Select-Object -First 1 | ForEach-Object { ($_ -split ':', 2)[1].Trim() }), [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription, [System.Runtime.InteropServices.RuntimeInformation]::OSDescription, $Runs)
if ($rows | Where-Object { -not $_.Met }) { exit 1 }
