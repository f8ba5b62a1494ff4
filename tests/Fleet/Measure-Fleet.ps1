<#
.SYNOPSIS
    Measures the guide's fleet backup (docs/guide-fleet.md, block "backup") on fleets of several sizes.
.DESCRIPTION
    For each size N: makes a fleet of N hosts (SsoSecretFleet.psm1), creates each host's secret (the guide's
    "generate" block), then times, -Repeat times each:
      connect  Invoke-Command -HostName <all hosts> { $PID }: SSH, the remote pwsh's start, and nothing else
      backup   the guide's "backup" block: Backup-SsoMasterSecret + Test-SsoSecretBackup -Detailed on every host
    and reads what each host spent inside the backup itself (Backup + Test, timed on the host) and the processor time
    of that host's whole session (pwsh's start, the module, both commands: what a real server would spend, whatever
    the load here). Prints one row per size: medians in seconds, the call divided by N, and the load average of this
    machine around the runs (the hosts share its processors, so every wall time is that of N hosts on one machine).

    Run as root, from the repository, after build.ps1 -Task Build:
        dotnet pwsh -c './tests/Fleet/Measure-Fleet.ps1 -Sizes 3,5,8 -Repeat 3'
#>
param(
    [ValidateRange(1, 64)] [int[]] $Sizes = @(3, 5, 8),
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/SsoSecret'),
    [ValidateSet('Interactive', 'Moderate', 'Sensitive')] [string] $KdfProfile = 'Interactive'
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'SsoSecretFleet.psm1') -Force
$guide = Get-SsoFleetGuideBlock -Path (Join-Path $PSScriptRoot '../../docs/guide-fleet.md')
$savedPath = $env:PATH

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[[int][Math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

function Get-Load { ((Get-Content /proc/loadavg -Raw) -split ' ')[0] }

$rows = foreach ($size in $Sizes) {
    $fleet = Start-SsoFleet -Count $size -ModulePath $ModulePath -TimeoutSeconds (900 + 120 * $size)
    try {
        $env:PATH = $fleet.ClientBin + [System.IO.Path]::PathSeparator + $savedPath
        # The guide's variables.
        $servers = $fleet.HostNames
        $keyFile = $fleet.KeyFilePath
        $remoteFolder = '~/ssosecret-backups'
        $kdfProfile = $KdfProfile
        $pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
        $loadBefore = Get-Load

        $null = . ([scriptblock]::Create($guide['generate']))
        $connect = foreach ($i in 1..$Repeat) {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $answers = @(Invoke-Command -HostName $servers -KeyFilePath $keyFile -ScriptBlock { $PID })
            $watch.Stop()
            if ($answers.Count -ne $size) { throw "connect: $($answers.Count) of $size hosts answered." }
            $watch.Elapsed.TotalSeconds
        }
        $backup = foreach ($i in 1..$Repeat) {
            Start-Sleep -Seconds 1    # a new time-stamped file name
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $null = . ([scriptblock]::Create($guide['backup']))
            $watch.Stop()
            if (@($results | Where-Object Verified).Count -ne $size) { throw "backup: not every host verified its backup." }
            $watch.Elapsed.TotalSeconds
        }
        # What the hosts spent inside the commands (the key derivations, the file writes), timed on each host.
        $inside = @(Invoke-Command -HostName $servers -KeyFilePath $keyFile -ScriptBlock {
                $file = Join-Path (Convert-Path $using:remoteFolder) 'measure.ssobak'
                $watch = [System.Diagnostics.Stopwatch]::StartNew()
                Backup-SsoMasterSecret -Path $file -Password $using:pw -KdfProfile $using:kdfProfile -Force
                $null = Test-SsoSecretBackup -LiteralPath $file -Password $using:pw -Detailed
                [pscustomobject]@{
                    Wall = $watch.Elapsed.TotalSeconds
                    # All the processor time of this host's session so far: pwsh's start, the module, both commands.
                    Cpu  = [System.Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
                    # The most memory the session's pwsh held (the key derivation's 64 MiB or more included).
                    Peak = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB
                }
            })

        $connectMedian = Get-Median $connect
        $backupMedian = Get-Median $backup
        $row = [pscustomobject]@{
            Hosts            = $size
            SetupSeconds     = [Math]::Round($fleet.SetupTime.TotalSeconds, 1)
            ConnectSeconds   = [Math]::Round($connectMedian, 1)
            BackupSeconds    = [Math]::Round($backupMedian, 1)
            BackupPerHost    = [Math]::Round($backupMedian / $size, 2)
            InsideHostMedian = [Math]::Round((Get-Median $inside.Wall), 2)
            HostCpuMedian    = [Math]::Round((Get-Median $inside.Cpu), 2)
            HostPeakMiB      = [Math]::Round((Get-Median $inside.Peak))
            Runs             = $Repeat
            Load             = "$loadBefore -> $(Get-Load)"
        }
        Write-Host ($row | Format-List | Out-String).Trim()
        $row
    }
    finally {
        $env:PATH = $savedPath
        $left = @(Stop-SsoFleet -Fleet $fleet)
        if ($left.Count) { Write-Warning "Fleet $($fleet.Id) left: $($left -join '; ')" }
    }
}
$rows | Format-Table -AutoSize | Out-String -Width 250
