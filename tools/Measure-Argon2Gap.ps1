<#
.SYNOPSIS
    Why the old benchmark said BouncyCastle was 1.17-1.34x the reference argon2 program and issue 17 said 2.8x: each
    way of measuring the same Argon2id (256 MiB, 3 passes, 4 lanes), in interleaved rounds, beside the program
    started directly. See docs/performance.md. Needs the argon2 program (Debian: apt-get install argon2).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh -NoProfile -File tools/Measure-Argon2Gap.ps1 -ModulePath out/SsoSecret/SsoSecret.psd1
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Rounds = 5)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$env:SSOSECRET_KDF = 'BouncyCastle'
Import-Module $ModulePath
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$moderate = [SsoSecret.KdfParameters]::FromProfile('Moderate')
function Time([scriptblock] $b) { $w = [Diagnostics.Stopwatch]::StartNew(); & $b | Out-Null; $w.Elapsed.TotalMilliseconds }
$argon2 = (Get-Command argon2 -CommandType Application).Source
function Direct { $i = [Diagnostics.ProcessStartInfo]::new($argon2); foreach ($a in 'saltsaltsaltsalt','-id','-t','3','-k','262144','-p','4','-l','32','-r') { $i.ArgumentList.Add($a) }; $i.RedirectStandardInput = $true; $i.RedirectStandardOutput = $true
  $w = [Diagnostics.Stopwatch]::StartNew(); $p = [Diagnostics.Process]::Start($i); $p.StandardInput.Write('benchmark password'); $p.StandardInput.Close(); $null = $p.StandardOutput.ReadToEnd(); $p.WaitForExit(); $w.Elapsed.TotalMilliseconds }
function Cold([hashtable] $envs) { $i = [Diagnostics.ProcessStartInfo]::new('dotnet'); foreach ($a in $pwshDll,'-NoProfile','-NonInteractive','-Command',"Import-Module '$ModulePath'; (Measure-SsoKdf -Profile Moderate).Duration.TotalMilliseconds") { $i.ArgumentList.Add($a) }; $i.RedirectStandardOutput = $true
  foreach ($k in $envs.Keys) { $i.Environment[$k] = $envs[$k] }; $p = [Diagnostics.Process]::Start($i); $o = $p.StandardOutput.ReadToEnd(); $p.WaitForExit(); [double]($o.Trim() -split "`n")[-1] }
$m = [ordered]@{
  'ref direct'            = { Direct }
  'ref via pwsh pipeline' = { Time { 'benchmark password' | & $argon2 'saltsaltsaltsalt' -id -t 3 -k 262144 -p 4 -l 32 -r } }
  'BC warm, cmdlet wall'  = { Time { Measure-SsoKdf -KdfParameters $moderate } }
  'BC warm, KDF alone'    = { (Measure-SsoKdf -KdfParameters $moderate).Duration.TotalMilliseconds }
  'BC first run, new pwsh' = { Cold @{ SSOSECRET_KDF = 'BouncyCastle' } }
  'BC first run, new pwsh, TieredCompilation=0' = { Cold @{ SSOSECRET_KDF = 'BouncyCastle'; DOTNET_TieredCompilation = '0' } }
}
$r = @{}; foreach ($k in $m.Keys) { $r[$k] = [Collections.Generic.List[double]]::new(); $null = & $m[$k] }
$names = @($m.Keys)
for ($round = 0; $round -lt $Rounds; $round++) { for ($j = 0; $j -lt $names.Count; $j++) { $k = $names[($j + $round) % $names.Count]; $r[$k].Add((& $m[$k])) } }
function Median($v) { $s = @($v | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
$ref = Median $r['ref direct']
foreach ($k in $names) { '{0,-46} median {1,6:0} ms  ({2})  / ref direct = {3:0.00}' -f $k, (Median $r[$k]), (($r[$k] | ForEach-Object { $_.ToString('0') }) -join ' '), ((Median $r[$k]) / $ref) }
if (Test-Path /proc/loadavg) { "Load average at the end: $(Get-Content /proc/loadavg)" }
