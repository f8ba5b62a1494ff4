# Concurrent callers: several pwsh processes back up, restore, test and generate against one store at the same time.
# No corruption (the store stays readable, its secret whole and one of the known ones), no lost secret (a secret that
# is replaced is kept as the previous one, and two first generations cannot both install), every backup complete.
# A caller that cannot get the store's lock in time gets SsoSecret.StoreBusy after $env:SSOSECRET_LOCK_TIMEOUT_SECONDS.

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    Import-Module $ModulePath -Force
    $script:Pwsh = Join-Path $PSHOME 'pwsh.dll'
    $script:Password = ConvertTo-SecureString 'concurrency password' -AsPlainText -Force

    $script:Seed = Join-Path $TestDrive 'seed'
    New-Item -ItemType Directory -Path $Seed | Out-Null
    $script:A = New-SsoMasterSecret -BackupPath "$Seed/a.bak" -Password $Password -StorePath "$Seed/store" -KdfProfile Interactive -PassThru
    $script:B = New-SsoMasterSecret -BackupPath "$Seed/b.bak" -Password $Password -StorePath "$Seed/store-b" -KdfProfile Interactive -PassThru

    # A child runs one role's script after every child has loaded the module and been told GO, and prints one JSON
    # line per step: its error id when it fails, nothing secret.
    $script:Child = Join-Path $TestDrive 'child.ps1'
    Set-Content -Path $Child -Encoding utf8 -Value @'
param([string] $ModulePath, [string] $Work, [string] $Role)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$pw = ConvertTo-SecureString 'concurrency password' -AsPlainText -Force
$store = Join-Path $Work 'store'
function Step([string] $Name, [scriptblock] $Action) {
    try {
        $result = & $Action
        [Console]::Out.WriteLine((@{ Role = $Role; Step = $Name; Ok = $true; Result = "$result" } | ConvertTo-Json -Compress))
    }
    catch {
        [Console]::Out.WriteLine((@{ Role = $Role; Step = $Name; Ok = $false; Error = $_.FullyQualifiedErrorId; Message = "$_" } | ConvertTo-Json -Compress))
    }
}
[Console]::Out.WriteLine('READY')
if ([Console]::In.ReadLine() -ne 'GO') { exit 3 }
switch -Wildcard ($Role) {
    'backup-*' {
        Step 'own' { Backup-SsoMasterSecret -Path (Join-Path $Work "$Role.bak") -Password $pw -StorePath $store -KdfProfile Interactive }
        for ($i = 1; $i -le 2; $i++) {
            Step "shared $i" { Backup-SsoMasterSecret -Path (Join-Path $Work 'shared.bak') -Password $pw -StorePath $store -KdfProfile Interactive -Force -Armor:($i % 2 -eq 0) }
        }
    }
    'restore' {
        for ($i = 1; $i -le 3; $i++) {
            Step "restore $i" { Restore-SsoMasterSecret -Path (Join-Path $Work ('{0}.bak' -f ('a', 'b')[$i % 2])) -Password $pw -StorePath $store -Force -PassThru | ForEach-Object Fingerprint }
        }
    }
    'test' {
        for ($i = 1; $i -le 2; $i++) {
            Step "test $i" {
                $results = Test-SsoSecretBackup (Join-Path $Work 'a.bak'), (Join-Path $Work 'b.bak') -Password $pw -StorePath $store -Detailed
                if (@($results | Where-Object Status -ne 'Valid').Count -gt 0) { throw "not valid: $($results.Status)" }
                if (@($results | Where-Object MatchesCurrentSecret).Count -ne 1) { throw 'the store''s secret is neither A nor B, or not whole' }
                (Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue).Fingerprint
            }
            Step "info $i" { Get-SsoSecretBackupInfo (Join-Path $Work 'a.bak') | ForEach-Object Fingerprint }
        }
    }
    'new-*' {
        $force = $Role -like '*-force-*'
        Step 'new' { New-SsoMasterSecret -BackupPath (Join-Path $Work "$Role.bak") -Password $pw -StorePath $store -KdfProfile Interactive -Force:$force -PassThru | ForEach-Object SecretId }
    }
}
'@

    # Runs the roles at once; -Roles takes names, or "name@folder" for a role that works in another folder.
    function Invoke-Together([string] $Work, [string[]] $Roles, [hashtable] $Environment = @{}) {
        $children = foreach ($entry in $Roles) {
            $role, $folder = $entry.Split('@')
            $folder = if ($folder) { $folder } else { $Work }
            $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($argument in $Pwsh, '-NoProfile', '-NonInteractive', '-File', $Child, '-ModulePath', $ModulePath, '-Work', $folder, '-Role', $role) {
                $info.ArgumentList.Add($argument)
            }
            foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
            $info.RedirectStandardInput = $true
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($info)
            [pscustomobject]@{ Role = $role; Process = $process; Ready = $process.StandardOutput.ReadLineAsync(); Stderr = $process.StandardError.ReadToEndAsync() }
        }
        try {
            foreach ($child in $children) {
                if (-not $child.Ready.Wait(180000) -or $child.Ready.Result -ne 'READY') { throw "$($child.Role) did not get ready: $($child.Stderr.Result)" }
            }
            foreach ($child in $children) { $child.Process.StandardInput.WriteLine('GO'); $child.Process.StandardInput.Flush() }
            foreach ($child in $children) {
                $output = $child.Process.StandardOutput.ReadToEndAsync()
                if (-not $child.Process.WaitForExit(300000)) { throw "$($child.Role) did not finish" }
                $child.Process.ExitCode | Should -Be 0 -Because "$($child.Role): $($child.Stderr.Result)"
                $output.Result -split "`n" | Where-Object { $_.StartsWith('{') } | ConvertFrom-Json
            }
        }
        finally {
            foreach ($child in $children) { if (-not $child.Process.HasExited) { $child.Process.Kill(); $child.Process.WaitForExit() } }
        }
    }

    function New-Work([string] $Name, [switch] $Empty) {
        $work = Join-Path $TestDrive $Name
        New-Item -ItemType Directory -Path $work | Out-Null
        Copy-Item "$Seed/a.bak", "$Seed/b.bak" $work
        if (-not $Empty) {
            New-Item -ItemType Directory -Path "$work/store" | Out-Null
            Copy-Item "$Seed/store/master-secret.dat" "$work/store/"
            if (-not $IsWindows) {
                chmod 700 "$work/store"
                chmod 600 "$work/store/master-secret.dat"
            }
        }
        $work
    }
}

Describe 'Concurrent callers' {
    It 'four processes backing up, restoring and testing at once leave a whole store and complete backups' {
        $work = New-Work 'mixed'
        $steps = @(Invoke-Together $work 'backup-1', 'backup-2', 'restore', 'test')

        $failed = @($steps | Where-Object { -not $_.Ok })
        $failed | Should -BeNullOrEmpty -Because (($failed | ForEach-Object { "$($_.Role) $($_.Step): $($_.Error) $($_.Message)" }) -join '; ')
        $steps.Count | Should -Be (3 + 3 + 3 + 4)
        ($steps | Where-Object Role -eq 'restore').Result | Should -Be @($B.Fingerprint, $A.Fingerprint, $B.Fingerprint)

        # The store: readable, its secret one of the two and whole (it matches its backup), the replaced one kept.
        $info = Get-SsoMasterSecret -StorePath "$work/store" -WarningAction SilentlyContinue
        $info.Fingerprint | Should -Be $B.Fingerprint -Because 'the last restore installed B'
        $info.HasPreviousSecret | Should -BeTrue
        $info.PreviousSecretId | Should -Be $A.SecretId
        (Test-SsoSecretBackup "$work/b.bak" -Password $Password -StorePath "$work/store" -Detailed).MatchesCurrentSecret | Should -BeTrue

        # Every backup that was written is complete, and holds A or B (whichever was current when it was written).
        $backups = @(Get-ChildItem $work -Filter '*.bak' | Where-Object Name -notin 'a.bak', 'b.bak')
        $backups.Count | Should -Be 3
        $results = Test-SsoSecretBackup $backups.FullName -Password $Password -StorePath "$work/store" -Detailed
        $results | ForEach-Object {
            $_.Status | Should -Be 'Valid' -Because $_.Path
            $_.Fingerprint | Should -BeIn @($A.Fingerprint, $B.Fingerprint)
        }
        @(Get-ChildItem $work, "$work/store" -Force | Where-Object Name -like '*.tmp') | Should -BeNullOrEmpty
    }

    Context 'two generations at once' {
        BeforeAll {
            # Two first generations into one empty store, and two replacements (-Force) of A in another, all at once.
            $script:First = New-Work 'first' -Empty
            New-Item -ItemType Directory -Path "$First/store" | Out-Null
            if (-not $IsWindows) { chmod 700 "$First/store" }
            $script:Replace = New-Work 'replace'
            $script:Generations = @(Invoke-Together $First 'new-1', 'new-2', "new-force-1@$Replace", "new-force-2@$Replace")
        }

        It 'two first generations: one installs, the other is refused before it writes anything' {
            $steps = @($Generations | Where-Object Role -in 'new-1', 'new-2')
            $won = @($steps | Where-Object Ok)
            $lost = @($steps | Where-Object { -not $_.Ok })
            $won.Count | Should -Be 1
            $lost.Count | Should -Be 1
            $lost[0].Error | Should -BeLike 'SsoSecret.MasterSecretExists*'
            (Get-SsoMasterSecret -StorePath "$First/store" -WarningAction SilentlyContinue).SecretId | Should -Be $won[0].Result
            Test-SsoSecretBackup "$First/$($won[0].Role).bak" -Password $Password | Should -BeTrue
            Test-Path "$First/$($lost[0].Role).bak" | Should -BeFalse -Because 'no backup is written for a secret that is not installed'
        }

        It 'two replacements (-Force): the first installs, the second is refused, nothing is lost' {
            # The second agreed (with -Force) to replace A; once it holds the lock, A is no longer there, so it
            # replaces nothing and writes no backup. A is kept as the previous secret, and has its backup.
            $steps = @($Generations | Where-Object Role -like 'new-force-*')
            $won = @($steps | Where-Object Ok)
            $lost = @($steps | Where-Object { -not $_.Ok })
            $won.Count | Should -Be 1
            $lost[0].Error | Should -BeLike 'SsoSecret.MasterSecretExists*'
            $lost[0].Message | Should -BeLike '*Another process replaced master secret*nothing was changed*'
            $info = Get-SsoMasterSecret -StorePath "$Replace/store" -WarningAction SilentlyContinue
            $info.SecretId | Should -Be $won[0].Result
            $info.PreviousSecretId | Should -Be $A.SecretId -Because 'the replaced secret is kept'
            Test-SsoSecretBackup "$Replace/$($won[0].Role).bak" -Password $Password | Should -BeTrue
            Test-Path "$Replace/$($lost[0].Role).bak" | Should -BeFalse
        }
    }
}

Describe 'A held lock' {
    BeforeAll {
        $script:Busy = New-Work 'busy'
        # Another process holding the lock: this test process, as an SsoSecret command in another process would.
        $script:Held = [System.IO.FileStream]::new("$Busy/store/store.lock", 'OpenOrCreate', 'ReadWrite', 'None')
        if (-not $IsWindows) { chmod 600 "$Busy/store/store.lock" }
        $script:SavedTimeout = $env:SSOSECRET_LOCK_TIMEOUT_SECONDS
        $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = '1'
    }

    AfterAll {
        $Held.Dispose()
        $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = $SavedTimeout
    }

    It '<Name> gets SsoSecret.StoreBusy within a few seconds and changes nothing' -ForEach @(
        @{ Name = 'New-SsoMasterSecret'; Command = { New-SsoMasterSecret -BackupPath "$Busy/new.bak" -Password $Password -StorePath "$Busy/store" -KdfProfile Interactive -Force } }
        @{ Name = 'Restore-SsoMasterSecret'; Command = { Restore-SsoMasterSecret "$Busy/b.bak" -Password $Password -StorePath "$Busy/store" -Force } }
        @{ Name = 'Backup-SsoMasterSecret'; Command = { Backup-SsoMasterSecret "$Busy/backup.bak" -Password $Password -StorePath "$Busy/store" -KdfProfile Interactive -Force } }
    ) {
        $before = Get-FileHash "$Busy/store/master-secret.dat"
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $caught = $null
        try { & $Command } catch { $caught = $_ }
        $watch.Stop()
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreBusy*'
        $caught.Exception.Message | Should -BeLike '*SSOSECRET_LOCK_TIMEOUT_SECONDS*'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1 -Because 'it waited for the lock'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 8 -Because 'it waited one second (and derived one key), not the default 30'
        (Get-FileHash "$Busy/store/master-secret.dat").Hash | Should -Be $before.Hash
        Test-Path "$Busy/new.bak" | Should -BeFalse -Because 'a generation checks the lock before it writes a backup'
    }

    It 'a command in another process gets SsoSecret.StoreBusy too' {
        $steps = @(Invoke-Together $Busy 'new-force-busy' -Environment @{ SSOSECRET_LOCK_TIMEOUT_SECONDS = '1' })
        $steps.Count | Should -Be 1
        $steps[0].Ok | Should -BeFalse
        $steps[0].Error | Should -BeLike 'SsoSecret.StoreBusy*'
    }

    It 'works again once the lock is released' {
        $Held.Dispose()
        (Restore-SsoMasterSecret "$Busy/b.bak" -Password $Password -StorePath "$Busy/store" -Force -PassThru).Fingerprint | Should -Be $B.Fingerprint
    }
}
