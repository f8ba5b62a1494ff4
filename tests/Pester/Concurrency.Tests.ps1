# Concurrent callers, property style: every scenario runs for many rounds ($env:SSOSECRET_CONCURRENCY_ROUNDS, default
# 50), each round in fresh folders, with the outcome asserted in every round. The callers are long-lived worker
# processes (pwsh, the built module imported once): each round sends every worker its job at the same moment, and
# the workers run their commands against one store at once. An assertion holds for every interleaving the scheduler may
# choose; none depends on which process comes first or how fast the machine is (the lock wait is 300 s, where a
# round's commands hold the lock for milliseconds). The suites that test the KDF run elsewhere: here backups are
# sealed with a 64 KiB KDF (Set-KdfFloorWaiver), so that hundreds of rounds stay affordable on a loaded machine.
#
# Properties: no corruption (the store stays readable, its secret whole and one of the known ones); no lost secret (a
# replaced secret is kept as the previous one; two first generations never both install); every backup written is
# complete and opens; a loser writes nothing; never StoreInsecure or StoreBusy from a store created or rewritten under
# a race; a held lock gives StoreBusy after $env:SSOSECRET_LOCK_TIMEOUT_SECONDS and changes nothing.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Rounds = if ($env:SSOSECRET_CONCURRENCY_ROUNDS) { [int]$env:SSOSECRET_CONCURRENCY_ROUNDS } else { 50 }
    $script:Pwsh = Join-Path $PSHOME 'pwsh.dll'
    Set-KdfFloorWaiver $true

    # Two secrets, A and B, each with a backup, and a store holding A to copy into each round's folder.
    $script:Seed = New-TestFolder 'seed'
    $script:A = New-SsoMasterSecret -BackupPath "$Seed/a.bak" -Password $Password -StorePath "$Seed/store" -KdfParameters $TinyKdf -PassThru
    $script:B = New-SsoMasterSecret -BackupPath "$Seed/b.bak" -Password $Password -StorePath "$Seed/store-b" -KdfParameters $TinyKdf -PassThru

    # A worker: imports the module once, then runs one job per line it reads ({"Round":..,"Role":..,"Work":..}) and
    # prints one JSON line per step (its error id when it fails; nothing secret), then "END <round>".
    $script:WorkerScript = Join-Path $TestDrive 'worker.ps1'
    Set-Content -Path $WorkerScript -Encoding utf8 -Value @'
param([string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
# Set-KdfFloorWaiver (TestHelpers.ps1), for this process.
$context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
$context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('SsoSecret.Core')).GetType('SsoSecret.TestSupport', $true).
    GetProperty('WaiveKdfFloor', [System.Reflection.BindingFlags]'NonPublic, Static').SetValue($null, $true)
$pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
$tiny = [SsoSecret.KdfParameters]::new(64, 1, 1)
[Console]::Out.WriteLine('READY')
while ($null -ne ($line = [Console]::In.ReadLine())) {
    if ($line -eq 'EXIT') { break }
    $job = $line | ConvertFrom-Json
    $work = $job.Work
    $store = Join-Path $work 'store'
    function Step([string] $Name, [scriptblock] $Action) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        try {
            $result = & $Action
            $report = @{ Role = $job.Role; Step = $Name; Ok = $true; Result = "$result" }
        }
        catch {
            $report = @{ Role = $job.Role; Step = $Name; Ok = $false; Error = $_.FullyQualifiedErrorId; Message = "$_" }
        }
        $report.Ms = $watch.ElapsedMilliseconds
        [Console]::Out.WriteLine(($report | ConvertTo-Json -Compress))
    }
    switch -Wildcard ($job.Role) {
        'backup-*' {
            Step 'own' { Backup-SsoMasterSecret -Path (Join-Path $work "$($job.Role).bak") -Password $pw -StorePath $store -KdfParameters $tiny }
            Step 'shared' { Backup-SsoMasterSecret -Path (Join-Path $work 'shared.bak') -Password $pw -StorePath $store -KdfParameters $tiny -Force -Armor:($job.Round % 2 -eq 0) }
        }
        'restore' {
            for ($i = 1; $i -le 3; $i++) {
                Step "restore $i" { Restore-SsoMasterSecret -Path (Join-Path $work ('{0}.bak' -f ('a', 'b')[$i % 2])) -Password $pw -StorePath $store -Force -PassThru | ForEach-Object Fingerprint }
            }
        }
        'test' {
            Step 'test' {
                $results = Test-SsoSecretBackup (Join-Path $work 'a.bak'), (Join-Path $work 'b.bak') -Password $pw -StorePath $store -Detailed
                if (@($results | Where-Object Status -ne 'Valid').Count -gt 0) { throw "not valid: $($results.Status)" }
                if (@($results | Where-Object MatchesCurrentSecret).Count -ne 1) { throw 'the store''s secret is neither A nor B, or not whole' }
                (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).Fingerprint
            }
            Step 'info' { Get-SsoSecretBackupInfo (Join-Path $work 'a.bak') | ForEach-Object Fingerprint }
        }
        'new-*' {
            $force = $job.Role -like '*-force-*'
            Step 'new' { New-SsoMasterSecret -BackupPath (Join-Path $work "$($job.Role).bak") -Password $pw -StorePath $store -KdfParameters $tiny -Force:$force -PassThru | ForEach-Object SecretId }
        }
        'busy-new' { Step 'New-SsoMasterSecret' { New-SsoMasterSecret -BackupPath (Join-Path $work 'new.bak') -Password $pw -StorePath $store -KdfParameters $tiny -Force } }
        'busy-restore' { Step 'Restore-SsoMasterSecret' { Restore-SsoMasterSecret (Join-Path $work 'b.bak') -Password $pw -StorePath $store -Force } }
        'busy-backup' { Step 'Backup-SsoMasterSecret' { Backup-SsoMasterSecret (Join-Path $work 'backup.bak') -Password $pw -StorePath $store -KdfParameters $tiny -Force } }
    }
    [Console]::Out.WriteLine("END $($job.Round)")
}
'@

    # Starts the workers (all at once: their start-ups overlap) and waits until each has imported the module.
    function Start-Worker([string[]] $Names, [hashtable] $Environment = @{}) {
        $workers = foreach ($name in $Names) {
            $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($argument in $Pwsh, '-NoProfile', '-NonInteractive', '-File', $WorkerScript, '-ModulePath', $env:SSOSECRET_TEST_MODULE) {
                $info.ArgumentList.Add($argument)
            }
            foreach ($key in $Environment.Keys) { $info.Environment[$key] = $Environment[$key] }
            $info.RedirectStandardInput = $true
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($info)
            [pscustomobject]@{ Name = $name; Process = $process; Stderr = $process.StandardError.ReadToEndAsync() }
        }
        foreach ($worker in $workers) {
            $ready = $worker.Process.StandardOutput.ReadLineAsync()
            if (-not $ready.Wait(600000) -or $ready.Result -ne 'READY') { throw "$($worker.Name) did not start: $($ready.Result) $($worker.Stderr.Result)" }
        }
        $workers
    }

    function Stop-Worker($Workers) {
        foreach ($worker in $Workers) {
            if (-not $worker.Process.HasExited) {
                $worker.Process.StandardInput.WriteLine('EXIT')
                if (-not $worker.Process.WaitForExit(60000)) { $worker.Process.Kill(); $worker.Process.WaitForExit() }
            }
        }
    }

    # One round: every job (worker -> role and folder) is sent at once; returns every step's report.
    function Invoke-Round([int] $Round, [object[]] $Jobs) {
        foreach ($job in $Jobs) {
            $line = @{ Round = $Round; Role = $job.Role; Work = $job.Work } | ConvertTo-Json -Compress
            $job.Worker.Process.StandardInput.WriteLine($line)
        }
        foreach ($job in $Jobs) { $job.Worker.Process.StandardInput.Flush() }
        foreach ($job in $Jobs) {
            $output = $job.Worker.Process.StandardOutput
            while ($true) {
                $read = $output.ReadLineAsync()
                # A round takes seconds; ten minutes means a worker hangs (its stderr says why).
                if (-not $read.Wait(600000)) { throw "round ${Round}: $($job.Role) did not finish: $($job.Worker.Stderr.Result)" }
                if ($null -eq $read.Result) { throw "round ${Round}: $($job.Role) exited: $($job.Worker.Stderr.Result)" }
                if ($read.Result -eq "END $Round") { break }
                if ($read.Result.StartsWith('{')) {
                    $step = $read.Result | ConvertFrom-Json
                    $StepMs.Add([long]$step.Ms)
                    $step
                }
            }
        }
    }

    function New-Work([string] $Name, [switch] $Empty, [switch] $NoStoreFolder) {
        $work = Join-Path $TestDrive $Name
        New-Item -ItemType Directory -Path $work | Out-Null
        Copy-Item "$Seed/a.bak", "$Seed/b.bak" $work
        # Modes set through .NET: a chmod process per file costs seconds on a loaded machine.
        if (-not $NoStoreFolder) {
            New-Item -ItemType Directory -Path "$work/store" | Out-Null
            if ($OnUnix) { [System.IO.File]::SetUnixFileMode("$work/store", [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
        }
        if (-not $Empty) {
            Copy-Item "$Seed/store/master-secret.dat" "$work/store/"
            if ($OnUnix) { [System.IO.File]::SetUnixFileMode("$work/store/master-secret.dat", [System.IO.UnixFileMode]'UserRead, UserWrite') }
        }
        $work
    }

    function Get-Temporaries([string] $Work) {
        @(Get-ChildItem $Work, "$Work/store" -Force -ErrorAction Ignore | Where-Object { $_.Name -like '*.tmp' -or $_.Name -like '*.replaced' })
    }

    function Format-Failures($Steps) {
        ($Steps | Where-Object { -not $_.Ok } | ForEach-Object { "$($_.Role) $($_.Step): $($_.Error) $($_.Message)" }) -join '; '
    }

    # How long each scenario took, for the record (a slow round is never a failure).
    $script:StepMs = [System.Collections.Generic.List[long]]::new()
    function Write-Timing([string] $Scenario, [System.Diagnostics.Stopwatch] $Watch, [string] $Extra = '') {
        $sorted = @($StepMs | Sort-Object)
        $median = if ($sorted.Count) { $sorted[[int]($sorted.Count / 2)] } else { 0 }
        $max = if ($sorted.Count) { $sorted[-1] } else { 0 }
        Write-Host ("    {0}: {1} rounds in {2:0.0} s; a command took {3} ms (median), {4} ms at most{5}" -f $Scenario, $Rounds, $Watch.Elapsed.TotalSeconds, $median, $max, $Extra)
        $StepMs.Clear()
    }
}

AfterAll {
    Set-KdfFloorWaiver $false
    Restore-TestEnvironment
}

Describe 'Concurrent callers, round after round' {
    BeforeAll {
        $script:Workers = @(Start-Worker 'w1', 'w2', 'w3', 'w4' -Environment @{ SSOSECRET_LOCK_TIMEOUT_SECONDS = '300' })
    }

    AfterAll {
        Stop-Worker $Workers
    }

    It 'two backups, a restore and a test at once leave a whole store and complete backups, every round' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        for ($round = 1; $round -le $Rounds; $round++) {
            $work = New-Work "mixed-$round"
            $roles = 'backup-1', 'backup-2', 'restore', 'test'
            $jobs = for ($i = 0; $i -lt 4; $i++) { @{ Worker = $Workers[$i]; Role = $roles[$i]; Work = $work } }
            $steps = @(Invoke-Round $round $jobs)
            $because = "round $round"

            # The shared backup may be refused (BackupStillNeeded) when it holds the secret the restores just made the
            # previous one: a backup of a secret the store holds is never overwritten. Nothing else may fail.
            $steps | Where-Object { -not $_.Ok -and -not ($_.Step -eq 'shared' -and $_.Error -like 'SsoSecret.BackupStillNeeded,*') } |
                Should -BeNullOrEmpty -Because "$because`: $(Format-Failures $steps)"
            $steps.Count | Should -Be (2 + 2 + 3 + 2) -Because $because
            ($steps | Where-Object Role -eq 'restore').Result | Should -Be @($B.Fingerprint, $A.Fingerprint, $B.Fingerprint) -Because $because
            ($steps | Where-Object Step -eq 'test').Result | Should -BeIn @($A.Fingerprint, $B.Fingerprint) -Because $because

            # The store: readable, its secret the last one restored and whole (it matches its backup), the replaced one kept.
            $info = Get-SsoMasterSecret -StorePath "$work/store" -WarningAction SilentlyContinue
            $info.Fingerprint | Should -Be $B.Fingerprint -Because "$because`: the last restore installed B"
            $info.PreviousSecretId | Should -Be $A.SecretId -Because $because

            # Every backup written is complete and opens, and holds A or B (whichever was current when it was sealed).
            $backups = @(Get-ChildItem $work -Filter '*.bak' | Where-Object Name -notin 'a.bak', 'b.bak')
            $backups.Name | Sort-Object | Should -Be @('backup-1.bak', 'backup-2.bak', 'shared.bak') -Because $because
            $results = @(Test-SsoSecretBackup ($backups.FullName + "$work/b.bak") -Password $Password -StorePath "$work/store" -Detailed)
            $results | ForEach-Object {
                $_.Status | Should -Be 'Valid' -Because "$because`: $($_.Path)"
                $_.Fingerprint | Should -BeIn @($A.Fingerprint, $B.Fingerprint) -Because "$because`: $($_.Path)"
            }
            $results[-1].MatchesCurrentSecret | Should -BeTrue -Because "$because`: the store's secret is whole"
            Get-Temporaries $work | Should -BeNullOrEmpty -Because $because
        }
        Write-Timing 'backup, restore and test at once' $watch
    }

    It 'two first generations (one store) and two replacements with -Force (another store) at once, every round' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $overlapped = 0
        for ($round = 1; $round -le $Rounds; $round++) {
            # Odd rounds: the store folder does not exist yet, and both create it (and its lock) at once.
            $first = New-Work "first-$round" -Empty -NoStoreFolder:($round % 2 -eq 1)
            $replace = New-Work "replace-$round"
            $jobs = @(
                @{ Worker = $Workers[0]; Role = 'new-1'; Work = $first }
                @{ Worker = $Workers[1]; Role = 'new-2'; Work = $first }
                @{ Worker = $Workers[2]; Role = 'new-force-1'; Work = $replace }
                @{ Worker = $Workers[3]; Role = 'new-force-2'; Work = $replace }
            )
            $steps = @(Invoke-Round $round $jobs)
            $because = "round $round"
            $steps.Count | Should -Be 4 -Because $because
            # The only refusal either pair may get is MasterSecretExists: never StoreInsecure, StoreBusy or anything else.
            $steps | Where-Object { -not $_.Ok -and $_.Error -notlike 'SsoSecret.MasterSecretExists,*' } | Should -BeNullOrEmpty -Because "$because`: $(Format-Failures $steps)"

            # Two first generations: exactly one installs (whichever order they ran in), the other writes nothing.
            $pair = @($steps | Where-Object Role -in 'new-1', 'new-2')
            $won = @($pair | Where-Object Ok)
            $lost = @($pair | Where-Object { -not $_.Ok })
            $won.Count | Should -Be 1 -Because $because
            $lost.Count | Should -Be 1 -Because $because
            $info = Get-SsoMasterSecret -StorePath "$first/store" -WarningAction SilentlyContinue
            $info.SecretId | Should -Be $won[0].Result -Because $because
            $info.HasPreviousSecret | Should -BeFalse -Because $because
            (Test-SsoSecretBackup "$first/$($won[0].Role).bak" -Password $Password -StorePath "$first/store" -Detailed).MatchesCurrentSecret | Should -BeTrue -Because $because
            Test-Path "$first/$($lost[0].Role).bak" | Should -BeFalse -Because "$because`: no backup is left for a secret that is not installed"
            Get-Temporaries $first | Should -BeNullOrEmpty -Because $because
            if ($OnUnix) {
                [Convert]::ToString((Get-Item "$first/store").UnixFileMode.value__, 8) | Should -Be '700' -Because $because
                [Convert]::ToString((Get-Item "$first/store/store.lock").UnixFileMode.value__, 8) | Should -Be '600' -Because $because
            }

            # Two replacements of A with -Force. Overlapping (both saw A): the first installs, the second finds A gone
            # and replaces nothing; A is the previous secret. One after the other: the second replaces the first's
            # secret, which it saw. Either way nothing is lost: every installed secret is current or previous, or A,
            # whose backup is a.bak, and every winner's backup holds its secret.
            $pair = @($steps | Where-Object Role -like 'new-force-*')
            $won = @($pair | Where-Object Ok)
            $lost = @($pair | Where-Object { -not $_.Ok })
            $info = Get-SsoMasterSecret -StorePath "$replace/store" -WarningAction SilentlyContinue
            if ($won.Count -eq 1) {
                $overlapped++
                $lost[0].Message | Should -BeLike '*Another process replaced master secret*nothing was changed*' -Because $because
                $info.SecretId | Should -Be $won[0].Result -Because $because
                $info.PreviousSecretId | Should -Be $A.SecretId -Because "$because`: the replaced secret is kept"
                Test-Path "$replace/$($lost[0].Role).bak" | Should -BeFalse -Because $because
            }
            else {
                $won.Count | Should -Be 2 -Because $because
                $info.SecretId | Should -BeIn $won.Result -Because $because
                $info.PreviousSecretId | Should -BeIn $won.Result -Because "$because`: the first winner's secret is kept"
                $info.PreviousSecretId | Should -Not -Be $info.SecretId -Because $because
            }
            foreach ($winner in $won) {
                $result = Test-SsoSecretBackup "$replace/$($winner.Role).bak" -Password $Password -Detailed
                $result.Status | Should -Be 'Valid' -Because $because
                $result.SecretId | Should -Be $winner.Result -Because $because
            }
            Get-Temporaries $replace | Should -BeNullOrEmpty -Because $because
        }
        Write-Timing 'generations at once' $watch ", the replacements overlapped in $overlapped"
    }
}

Describe 'A held lock' {
    BeforeAll {
        # Three workers that wait a fifth of a second for the lock. The wait's length is not what is tested (nothing here
        # measures time): that a busy store is refused with StoreBusy, names the variable, and changes nothing.
        $script:Impatient = @(Start-Worker 'impatient-1', 'impatient-2', 'impatient-3' -Environment @{ SSOSECRET_LOCK_TIMEOUT_SECONDS = '0.2' })
    }

    AfterAll {
        Stop-Worker $Impatient
    }

    It 'New-, Restore- and Backup-SsoMasterSecret in other processes, at once, get StoreBusy and change nothing, every round' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        for ($round = 1; $round -le $Rounds; $round++) {
            $work = New-Work "busy-$round"
            # Another process holding the lock: this one, as an SsoSecret command in another process would.
            $held = [System.IO.FileStream]::new("$work/store/store.lock", 'CreateNew', 'ReadWrite', 'None')
            try {
                if ($OnUnix) { [System.IO.File]::SetUnixFileMode("$work/store/store.lock", [System.IO.UnixFileMode]'UserRead, UserWrite') }
                $before = (Get-FileDigest "$work/store/master-secret.dat") + ' ' + ((Get-FileNames "$work/store") -join ',')
                $steps = @(Invoke-Round $round @(
                        @{ Worker = $Impatient[0]; Role = 'busy-new'; Work = $work }
                        @{ Worker = $Impatient[1]; Role = 'busy-restore'; Work = $work }
                        @{ Worker = $Impatient[2]; Role = 'busy-backup'; Work = $work }))
            }
            finally {
                $held.Dispose()
            }
            $because = "round $round"
            $steps.Step | Should -Be @('New-SsoMasterSecret', 'Restore-SsoMasterSecret', 'Backup-SsoMasterSecret') -Because $because
            foreach ($step in $steps) {
                $step.Ok | Should -BeFalse -Because "$because`: $($step.Step)"
                $step.Error | Should -BeLike 'SsoSecret.StoreBusy,*' -Because "$because`: $($step.Step): $($step.Message)"
                $step.Message | Should -BeLike '*held its lock for more than 0.2 seconds*SSOSECRET_LOCK_TIMEOUT_SECONDS*' -Because $because
            }
            (Get-FileDigest "$work/store/master-secret.dat") + ' ' + ((Get-FileNames "$work/store") -join ',') | Should -Be $before -Because $because
            Test-Path "$work/new.bak", "$work/backup.bak" | Should -Be @($false, $false) -Because "$because`: a backup is put in place only under the lock"
            Get-Temporaries $work | Should -BeNullOrEmpty -Because $because
        }
        Write-Timing 'a held lock' $watch
    }

    It 'in this process too, and the store works again once the lock is released' {
        $work = New-Work 'busy-here'
        $held = [System.IO.FileStream]::new("$work/store/store.lock", 'CreateNew', 'ReadWrite', 'None')
        $saved = $env:SSOSECRET_LOCK_TIMEOUT_SECONDS
        $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = '0.2'
        try {
            if ($OnUnix) { [System.IO.File]::SetUnixFileMode("$work/store/store.lock", [System.IO.UnixFileMode]'UserRead, UserWrite') }
            $caught = $null
            try { Restore-SsoMasterSecret "$work/b.bak" -Password $Password -StorePath "$work/store" -Force } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreBusy,*'
        }
        finally {
            $held.Dispose()
            $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = $saved
        }
        (Restore-SsoMasterSecret "$work/b.bak" -Password $Password -StorePath "$work/store" -Force -PassThru).Fingerprint | Should -Be $B.Fingerprint
    }
}
