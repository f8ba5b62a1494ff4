# Crash safety: a pwsh process that backs up, restores or generates is killed with SIGKILL (Process.Kill) at many
# points of its work, at delays spread over the operation's duration and the moment a temporary file appears.
# Afterwards the store holds the old secret or the new one, whole (never neither, never partial), and every backup path
# holds the old file, nothing, or a complete backup that Test-SsoSecretBackup -Password accepts. Leftover temporary
# files of the module's own naming pattern are allowed (docs/security.md says why): the store's are removed by the
# next command that takes the store's lock, a backup's by the next write to the same path once they are stale.
#
# The children of one operation start together and wait for a GO line, so that their start-ups overlap and a kill is
# timed from the start of the work itself. $env:SSOSECRET_CRASH_KILLS (default 7) sets the kills per operation.

BeforeDiscovery {
    $script:Operations = @(@{ Operation = 'Backup' }, @{ Operation = 'Restore' }, @{ Operation = 'Generate' })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    # Backups with a 64 KiB KDF: this suite is about files and kills, not the KDF. With a 64 MiB one most kills would
    # land in the derivation, far from the renames and writes whose crash windows matter; with this one they spread
    # over the file work.
    Set-KdfFloorWaiver $true
    $script:Pwsh = Join-Path $PSHOME 'pwsh.dll'
    $script:Kills = if ($env:SSOSECRET_CRASH_KILLS) { [int]$env:SSOSECRET_CRASH_KILLS } else { 7 }
    $script:Password = ConvertTo-SecureString 'crash safety password' -AsPlainText -Force
    $script:TempPattern = '^\..+\.[0-9a-f]{12}\.tmp$'

    # Two secrets, A and B, each with a backup; a store holding A to copy into each run's folder.
    $script:Seed = Join-Path $TestDrive 'seed'
    New-Item -ItemType Directory -Path $Seed | Out-Null
    $script:A = (New-SsoMasterSecret -BackupPath "$Seed/a.bak" -Password $Password -StorePath "$Seed/store" -KdfParameters $TinyKdf -PassThru).Fingerprint
    $script:B = (New-SsoMasterSecret -BackupPath "$Seed/b.bak" -Password $Password -StorePath "$Seed/store-b" -KdfParameters $TinyKdf -PassThru).Fingerprint

    $script:Child = Join-Path $TestDrive 'child.ps1'
    Set-Content -Path $Child -Encoding utf8 -Value @'
param([string] $ModulePath, [string] $Operation, [string] $Work)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
# Set-KdfFloorWaiver (TestHelpers.ps1), for this process.
$context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
$context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('SsoSecret.Core')).GetType('SsoSecret.TestSupport', $true).
    GetProperty('WaiveKdfFloor', [System.Reflection.BindingFlags]'NonPublic, Static').SetValue($null, $true)
$tiny = [SsoSecret.KdfParameters]::new(64, 1, 1)
$pw = ConvertTo-SecureString 'crash safety password' -AsPlainText -Force
$store = Join-Path $Work 'store'
[Console]::Out.WriteLine('READY')
[Console]::Out.Flush()
if ([Console]::In.ReadLine() -ne 'GO') { exit 3 }
$watch = [System.Diagnostics.Stopwatch]::StartNew()
for ($i = 1; ; $i++) {
    switch ($Operation) {
        'Backup' { Backup-SsoMasterSecret -Path (Join-Path $Work 'backup.bak') -Password $pw -StorePath $store -KdfParameters $tiny -Force -Armor:($i % 2 -eq 0) }
        'Restore' { Restore-SsoMasterSecret -Path (Join-Path $Work ('{0}.bak' -f ('a', 'b')[$i % 2])) -Password $pw -StorePath $store -Force }
        'Generate' {
            New-SsoMasterSecret -BackupPath (Join-Path $Work "gen-$i.bak") -Password $pw -StorePath $store -KdfParameters $tiny -Force | Out-Null
            # The key ring keeps every replaced secret, up to 32: every 25 generations the earlier ones are retired
            # (a kill may land in that write too, which is as atomic as the others).
            if ($i % 25 -eq 0) { (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).PreviousSecrets | Remove-SsoPreviousSecret -StorePath $store -Force }
        }
    }
    [Console]::Out.WriteLine("DONE $i $($watch.ElapsedMilliseconds)")
    [Console]::Out.Flush()
}
'@

    function New-Work([string] $Operation, [int] $Index) {
        $work = Join-Path $TestDrive "$Operation-$Index"
        New-Item -ItemType Directory -Path $work | Out-Null
        Copy-Item "$Seed/a.bak", "$Seed/b.bak" $work
        if ($Operation -ne 'Generate') {
            New-Item -ItemType Directory -Path "$work/store" | Out-Null
            Copy-Item "$Seed/store/master-secret.dat" "$work/store/"
            if (-not $IsWindows) {
                chmod 700 "$work/store"
                chmod 600 "$work/store/master-secret.dat"
            }
        }
        if ($Operation -eq 'Backup') {
            # An existing backup, readable by others, that -Force replaces.
            Copy-Item "$Seed/a.bak" "$work/backup.bak"
            if (-not $IsWindows) { chmod 644 "$work/backup.bak" }
        }
        $work
    }

    # Starts a child that loads the module and waits for GO.
    function Start-Child([string] $Operation, [string] $Work) {
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($argument in $Pwsh, '-NoProfile', '-NonInteractive', '-File', $Child, '-ModulePath', $ModulePath, '-Operation', $Operation, '-Work', $Work) {
            $info.ArgumentList.Add($argument)
        }
        $info.RedirectStandardInput = $true
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($info)
        [pscustomobject]@{
            Process = $process
            Work    = $Work
            Stderr  = $process.StandardError.ReadToEndAsync()
            Ready   = $process.StandardOutput.ReadLineAsync()
        }
    }

    # Tells a ready child to start, then kills it (SIGKILL) after $DelayMs, as soon as a file matching $WatchFilter
    # appears in $WatchFolder, or (-AfterFirst) as soon as its first operation has finished.
    function Stop-ChildAt($Child, [int] $DelayMs, [string] $WatchFolder, [string] $WatchFilter, [switch] $AfterFirst) {
        $process = $Child.Process
        try {
            if (-not $Child.Ready.Wait(900000) -or $Child.Ready.Result -ne 'READY') {
                throw "The child did not get ready: $($Child.Ready.Result) $(if ($process.HasExited) { $Child.Stderr.Result })"
            }
            $watcher = $null
            if ($WatchFolder) {
                $watcher = [System.IO.FileSystemWatcher]::new($WatchFolder, $WatchFilter)
            }
            $process.StandardInput.WriteLine('GO')
            $process.StandardInput.Flush()
            $firstMs = $null
            if ($watcher) {
                $change = $watcher.WaitForChanged([System.IO.WatcherChangeTypes]::Created, 60000)
                $how = if ($change.TimedOut) { 'watch timed out' } else { "at the creation of $($change.Name)" }
            }
            elseif ($AfterFirst) {
                $line = $process.StandardOutput.ReadLineAsync()
                if (-not $line.Wait(900000) -or $line.Result -notlike 'DONE 1 *') { throw "No first operation: $($line.Result)" }
                $firstMs = [int]$line.Result.Split(' ')[2]
                $how = "after the first operation ($firstMs ms)"
            }
            else {
                Start-Sleep -Milliseconds $DelayMs
                $how = "after $DelayMs ms"
            }
            $exitedEarly = $process.HasExited
            $process.Kill()
            $process.WaitForExit()
            if ($watcher) { $watcher.Dispose() }
        }
        finally {
            if (-not $process.HasExited) { $process.Kill(); $process.WaitForExit() }
        }
        if ($exitedEarly) { throw "The child ended before it was killed: $($Child.Stderr.Result)" }
        $done = @($process.StandardOutput.ReadToEnd() -split "`n" | Where-Object { $_ -like 'DONE *' }).Count
        [pscustomobject]@{ How = $how; Done = $done + [int]($null -ne $firstMs); FirstMs = $firstMs }
    }

    # The invariants after a kill.
    function Assert-Consistent([string] $Operation, [string] $Work, [string] $Because) {
        $store = Join-Path $Work 'store'
        $info = $null
        try {
            $info = Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue
        }
        catch {
            # A first generation that was killed leaves the store empty: legitimately, never damaged.
            $Operation | Should -Be 'Generate' -Because "the store must hold a secret ($Because): $_"
            $_.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.NoMasterSecret*' -Because $Because
        }

        switch ($Operation) {
            'Backup' {
                $info.Fingerprint | Should -Be $A -Because $Because
                $result = Test-SsoSecretBackup "$Work/backup.bak" -Password $Password -StorePath $store -Detailed
                $result.Status | Should -Be 'Valid' -Because "the backup path holds the old or a complete new backup ($Because)"
                $result.Fingerprint | Should -Be $A
                $result.MatchesCurrentSecret | Should -BeTrue
            }
            'Restore' {
                $info.Fingerprint | Should -BeIn @($A, $B) -Because $Because
                $backup = if ($info.Fingerprint -eq $A) { "$Work/a.bak" } else { "$Work/b.bak" }
                $result = Test-SsoSecretBackup $backup -Password $Password -StorePath $store -Detailed
                $result.MatchesCurrentSecret | Should -BeTrue -Because "the store's secret is whole ($Because)"
            }
            'Generate' {
                $results = @()
                $backups = @(Get-ChildItem $Work -Filter 'gen-*.bak')
                if ($backups.Count -gt 0) {
                    $results = @(Test-SsoSecretBackup $backups.FullName -Password $Password -StorePath $store -Detailed)
                    $results | ForEach-Object { $_.Status | Should -Be 'Valid' -Because "every backup written is complete ($Because)" }
                }
                if ($info) {
                    # The store's secret has its verified backup on disk, and the store holds it whole.
                    ($results | Where-Object Fingerprint -eq $info.Fingerprint).MatchesCurrentSecret | Should -Contain $true -Because $Because
                }
            }
        }

        # Nothing but the known files and temporary files of the module's own pattern; a temporary file is owner-only
        # (it is born so, even empty).
        $known = 'a.bak', 'b.bak', 'backup.bak', 'check.bak', 'store'
        foreach ($item in Get-ChildItem $Work -Force) {
            if ($item.Name -in $known -or $item.Name -like 'gen-*.bak') { continue }
            $item.Name | Should -Match $TempPattern -Because "no other file may appear ($Because)"
            if (-not $IsWindows) {
                ($item.UnixFileMode.value__ -band 0x3F) | Should -Be 0 -Because "$($item.Name) holds a backup"
            }
        }
        if (Test-Path $store) {
            foreach ($item in Get-ChildItem $store -Force) {
                if ($item.Name -in 'master-secret.dat', 'store.lock') { continue }
                $item.Name | Should -Match $TempPattern -Because $Because
            }
            if ($info -and (Get-ChildItem $store -Force | Where-Object Name -Match $TempPattern)) {
                # The next command that takes the lock removes the store's stale temporary files.
                Backup-SsoMasterSecret -Path "$Work/check.bak" -Password $Password -StorePath $store -KdfParameters $TinyKdf -Force
                @(Get-ChildItem $store -Force | Where-Object Name -Match $TempPattern) | Should -BeNullOrEmpty
            }
        }
    }
}

AfterAll {
    Set-KdfFloorWaiver $false
    Restore-TestEnvironment
}

Describe 'Killing a command at any point loses nothing' {
    It '<Operation> killed with SIGKILL at delays spread over its work and when its temporary files appear' -ForEach $Operations {
        # Plan: the first run is killed right after its first operation and tells how long one takes; the delayed
        # runs spread over that time; the event runs are killed when the backup's (not for Restore, which writes
        # none) or the store's temporary file appears.
        $events = @()
        if ($Operation -ne 'Restore') { $events += , @('', '.*.bak.*.tmp') }
        $events += , @('store', '.master-secret.dat.*.tmp')
        $delayed = [Math]::Max(1, $Kills - 1 - $events.Count)
        $children = for ($i = 0; $i -le $delayed + $events.Count; $i++) {
            $work = New-Work $Operation $i
            if (-not (Test-Path "$work/store")) {
                New-Item -ItemType Directory -Path "$work/store" | Out-Null
                if (-not $IsWindows) { chmod 700 "$work/store" }
            }
            Start-Child $Operation $work
        }

        try {
            # Every child loaded and waiting before the first starts: no start-up competes with the timed work.
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            foreach ($child in $children) { $null = $child.Ready.Wait(900000) }
            $startup = $watch.ElapsedMilliseconds
            $runs = [System.Collections.Generic.List[object]]::new()
            $first = Stop-ChildAt $children[0] -AfterFirst
            $runs.Add($first)
            Assert-Consistent $Operation $children[0].Work "run 0 ($($first.How))"
            $span = [int]($first.FirstMs * 1.2)
            for ($i = 1; $i -le $delayed; $i++) {
                $run = Stop-ChildAt $children[$i] -DelayMs ([int]($span * ($i - 0.5) / $delayed))
                $runs.Add($run)
                Assert-Consistent $Operation $children[$i].Work "run $i ($($run.How))"
            }
            foreach ($watch in $events) {
                $child = $children[$i]
                $run = Stop-ChildAt $child -WatchFolder (Join-Path $child.Work $watch[0]) -WatchFilter $watch[1]
                $runs.Add($run)
                Assert-Consistent $Operation $child.Work "run $i ($($run.How))"
                $i++
            }
            Write-Host ("    {0}: {1} children ready in {2} ms; kills: {3}" -f $Operation, $children.Count, $startup, (($runs | ForEach-Object { "$($_.How) ($($_.Done) done)" }) -join '; '))
        }
        finally {
            foreach ($child in $children) {
                if (-not $child.Process.HasExited) { $child.Process.Kill(); $child.Process.WaitForExit() }
            }
        }
    }
}

Describe 'Stale temporary files' {
    It 'a backup''s stale temporary files are removed by the next write to the same path, fresh ones are left alone' {
        $work = New-Work 'Backup' 99
        $stale = Join-Path $work '.backup.bak.0123456789ab.tmp'
        $fresh = Join-Path $work '.backup.bak.ba9876543210.tmp'
        $other = Join-Path $work '.other.bak.0123456789ab.tmp'
        $foreign = Join-Path $work '.backup.bak.not-ours.tmp'
        foreach ($file in $stale, $fresh, $other, $foreign) { Set-Content -Path $file -Value 'partial' }
        foreach ($file in $stale, $other, $foreign) { (Get-Item $file -Force).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-1) }

        Backup-SsoMasterSecret -Path "$work/backup.bak" -Password $Password -StorePath "$work/store" -KdfParameters $TinyKdf -Force

        Test-Path $stale | Should -BeFalse -Because 'a stale temporary file of this target is removed'
        Test-Path $fresh | Should -BeTrue -Because 'a recent one may belong to another process writing the same path'
        Test-Path $other | Should -BeTrue -Because 'only the target''s own temporary files are touched'
        Test-Path $foreign | Should -BeTrue -Because 'only names of the module''s exact pattern are touched'
    }

    It 'the store''s temporary files are removed under its lock, whatever their age' {
        $work = New-Work 'Restore' 99
        $leftover = Join-Path $work 'store/.master-secret.dat.0123456789ab.tmp'
        Set-Content -Path $leftover -Value 'partial'
        Restore-SsoMasterSecret -Path "$work/b.bak" -Password $Password -StorePath "$work/store" -Force
        Test-Path $leftover | Should -BeFalse
        (Get-SsoMasterSecret -StorePath "$work/store").Fingerprint | Should -Be $B
    }
}
