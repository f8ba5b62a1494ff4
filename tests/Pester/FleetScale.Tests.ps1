# An environment at scale, on real hosts (tests/Fleet/SsoSecretFleet.psm1): a master (h1) and sixteen replicas (h2 to
# h17), reached over SSH remoting. It proves that the environment's commands work on all sixteen at once:
#  - sixteen replicas join and sync; a value protected on the master opens on every one;
#  - the fan-out is parallel, shown without any timing: every replica's Import-SsoSealedRing waits at a barrier (a
#    folder every host sees) that opens only once all sixteen have started theirs; a sequential fan-out would never
#    open it (the first host gives up after a bound, and the test fails);
#  - Ctrl+C (the pipeline stopped) ends the waiting and stops the remote pipelines: with a barrier that never opens,
#    every host's Import is stopped where it waits, and its session serves again;
#  - a staged rotation with two replicas' sessions broken (one removed, one whose host process ended): the sync names
#    both (SsoSecret.HostUnreachable) and brings the other fourteen the staged secret; Enable-SsoStagedSecret
#    activates nothing and names both (SsoSecret.ReplicaNotReady); -Force activates past them with a warning naming
#    each; the health table shows them Unreachable, then, with new sessions, Stale; a sync heals them.
# It skips, with the harness's reason, where the machine cannot make a fleet. One fleet of 17 hosts, kept lean: it
# runs with the other suites.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force
    $reason = try { (Get-SsoFleetSupport).Reason } catch { "the check of this machine failed: $_" }
    $script:FleetSkipped = [bool]$reason
    if ($FleetSkipped) { Write-Host "FleetScale suite skipped: $reason." }
}

Describe 'An environment of sixteen replicas, worked on at once' -Skip:$FleetSkipped {
    BeforeAll {
        Import-Module $env:SSOSECRET_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force

        $script:Saved = @{ PATH = $env:PATH; SSOSECRET_STORE = $env:SSOSECRET_STORE }
        $env:SSOSECRET_STORE = Join-Path $TestDrive 'admin-store'    # never the user's store; stays empty

        $script:Count = 16
        $script:Fleet = Start-SsoFleet -Count ($Count + 1) -ModulePath (Split-Path $env:SSOSECRET_TEST_MODULE) -TimeoutSeconds (1800 + 60 * ($Count + 1))
        $env:PATH = $Fleet.ClientBin + [System.IO.Path]::PathSeparator + $env:PATH
        Write-Host ("Fleet {0}: {1} hosts on {2}, ready in {3:0.0} s" -f $Fleet.Id, ($Count + 1), $Fleet.Subnet, $Fleet.SetupTime.TotalSeconds)

        $script:keyFile = $Fleet.KeyFilePath
        $script:masterName = $Fleet.HostNames[0]
        $script:replicaNames = @($Fleet.HostNames | Select-Object -Skip 1)
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $script:master = New-PSSession -HostName $masterName -KeyFilePath $keyFile
        # In the names' order (New-PSSession returns them as they connect), so that "the sessions' order" is h2 to h17.
        $script:replicas = @(New-PSSession -HostName $replicaNames -KeyFilePath $keyFile | Sort-Object { [int]($_.ComputerName -replace '^h') })
        Write-Host ("{0} sessions opened in {1:0.0} s" -f ($replicas.Count + 1), $watch.Elapsed.TotalSeconds)
        $script:pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force

        function Get-ErrorId([System.Management.Automation.ErrorRecord] $Record) { ($Record.FullyQualifiedErrorId -split ',')[0] }
        function Get-Described([object[]] $Sessions) { @(Invoke-Command -Session $Sessions -ScriptBlock { Get-SsoEnvironment } | Sort-Object { [int]($_.PSComputerName -replace '^h') }) }

        # The barrier: on each replica given, the next Import-SsoSealedRing (looked up by its module-qualified name, as
        # the administrator's commands call it) first marks that it started, then waits until $Needed imports have
        # started (or $Seconds pass: then it marks the barrier broken, and the others stop waiting), and marks how it
        # ended: met, gave-up, or stopped (its pipeline stopped while it waited). The hook removes itself when it fires.
        $script:BarrierRoot = Join-Path $Fleet.RunFolder 'barriers'
        function Set-ImportBarrier([object[]] $Sessions, [string] $Name, [int] $Needed, [int] $Seconds) {
            $folder = New-Item -ItemType Directory -Path (Join-Path $BarrierRoot $Name) -Force
            Invoke-Command -Session $Sessions -ArgumentList $folder.FullName, $Needed, $Seconds -ScriptBlock {
                param($Folder, $Needed, $Seconds)
                $ExecutionContext.InvokeCommand.PreCommandLookupAction = {
                    param($command, $lookup)
                    if ($command -notlike '*Import-SsoSealedRing') { return }
                    $ExecutionContext.InvokeCommand.PreCommandLookupAction = $null
                    $me = [Environment]::MachineName
                    [System.IO.File]::WriteAllText((Join-Path $Folder "started-$me"), [DateTime]::UtcNow.ToString('o'))
                    $until = [DateTime]::UtcNow.AddSeconds($Seconds)
                    $how = 'stopped'
                    try {
                        while ($true) {
                            $started = @([System.IO.Directory]::GetFiles($Folder, 'started-*')).Count
                            if ($started -ge $Needed) { $how = "met $started"; break }
                            if ([System.IO.File]::Exists((Join-Path $Folder 'broken'))) { $how = "gave-up $started"; break }
                            if ([DateTime]::UtcNow -gt $until) {
                                [System.IO.File]::WriteAllText((Join-Path $Folder 'broken'), $me)
                                $how = "gave-up $started"
                                break
                            }
                            Start-Sleep -Milliseconds 100
                        }
                    }
                    finally {
                        [System.IO.File]::WriteAllText((Join-Path $Folder "ended-$me"), $how)
                    }
                }.GetNewClosure()
            }
            $folder.FullName
        }
        function Get-BarrierEnd([string] $Folder) {
            $ends = [ordered]@{}
            foreach ($file in @(Get-ChildItem -LiteralPath $Folder -Filter 'ended-*' | Sort-Object { [int]($_.Name -replace '^ended-h') })) {
                $ends[$file.Name.Substring(6)] = (Get-Content -LiteralPath $file.FullName -Raw).Trim()
            }
            $ends
        }
    }

    AfterAll {
        Get-PSSession | Remove-PSSession -ErrorAction Ignore
        $env:PATH = $Saved.PATH
        $env:SSOSECRET_STORE = $Saved.SSOSECRET_STORE
        if ($Fleet) { Stop-SsoFleet -Fleet $Fleet | Out-Null }
    }

    It 'makes the master and joins sixteen replicas at once, each with its own host key, the results in the sessions'' order' {
        $script:environment = Invoke-Command -Session $master -ArgumentList $pw -ScriptBlock {
            param($pw)
            $null = New-SsoMasterSecret -BackupPath ~/master.bak -Password $pw -KdfProfile Interactive
            Initialize-SsoEnvironment
        }
        $environment.Role | Should -Be 'Master'
        $joined = @(Join-SsoEnvironment -MasterSession $master -Session $replicas -MasterFingerprint $environment.MasterFingerprint)
        $joined.Count | Should -Be $Count
        $joined.PSComputerName | Should -Be $replicaNames
        $joined.Role | Should -Be (@('Replica') * $Count)
        @($joined.MasterFingerprint | Select-Object -Unique) | Should -Be $environment.MasterFingerprint
        @($joined.HostFingerprint | Select-Object -Unique).Count | Should -Be $Count
    }

    It 'syncs all sixteen at once: every replica''s Import waits at a barrier that opens only once all sixteen have started theirs' {
        $barrier = Set-ImportBarrier $replicas 'first-sync' $Count 240
        $err = $null
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $synced = @(Sync-SsoEnvironment -MasterSession $master -Session $replicas -ErrorVariable err -ErrorAction SilentlyContinue)
        Write-Host ("Sync of {0} replicas through the barrier: {1:0.0} s" -f $Count, $watch.Elapsed.TotalSeconds)
        @($err) | Should -BeNullOrEmpty
        $ends = Get-BarrierEnd $barrier
        @($ends.Keys) | Should -Be $replicaNames -Because 'every replica ran its Import once'
        @($ends.Values) | Should -Be (@("met $Count") * $Count) -Because 'no Import went on before all sixteen had started: they ran at once'
        Test-Path (Join-Path $barrier 'broken') | Should -BeFalse
        # The results, in the sessions' order, each from its own replica.
        $synced.Count | Should -Be $Count
        $synced.PSComputerName | Should -Be $replicaNames
        $synced.Installed | Should -Be (@($true) * $Count)
        $masterNow = @(Get-Described $master)[0]
        foreach ($r in @(Get-Described $replicas)) {
            "$($r.PSComputerName) $($r.Generation) $($r.RingDigest)" | Should -Be "$($r.PSComputerName) 1 $($masterNow.RingDigest)"
        }
    }

    It 'opens on every replica a value protected on the master' {
        $script:token = Invoke-Command -Session $master { Protect-SsoData -InputObject 'the database password' -Purpose 'app/db' }
        $opened = @(Invoke-Command -Session $replicas -ArgumentList $token -ScriptBlock { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText })
        $opened | Should -Be (@('the database password') * $Count)
    }

    It 'stops at Ctrl+C: the waiting ends, and every replica''s remote pipeline is stopped where it waits (a barrier that never opens)' {
        $barrier = Set-ImportBarrier $replicas 'stopped-sync' ($Count + 1) 300
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
                param($Module, $Master, $Replicas)
                Import-Module $Module
                Sync-SsoEnvironment -MasterSession $Master -Session $Replicas
            }).AddArgument($env:SSOSECRET_TEST_MODULE).AddArgument($master).AddArgument($replicas)
        $async = $shell.BeginInvoke()
        try {
            # Every replica's Import has started and waits (the barrier needs one more than there are).
            $until = [DateTime]::UtcNow.AddSeconds(240)
            while (@(Get-ChildItem -LiteralPath $barrier -Filter 'started-*').Count -lt $Count -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 200 }
            @(Get-ChildItem -LiteralPath $barrier -Filter 'started-*').Count | Should -Be $Count
            $shell.Stop()
            "$($shell.InvocationStateInfo.State)" | Should -Be 'Stopped'
        }
        finally {
            $shell.Dispose()
        }
        # The sessions serve again once their stopped pipelines have ended (the command waits for the hosts to confirm;
        # here a bound well under the barrier's 300 s, after which it would give up, and mark it).
        $until = [DateTime]::UtcNow.AddSeconds(120)
        while (@($replicas | Where-Object Availability -ne 'Available').Count -gt 0 -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 200 }
        @($replicas | ForEach-Object { "$($_.ComputerName)=$($_.Availability)" }) | Should -Be @($replicaNames | ForEach-Object { "$_=Available" })
        @(Invoke-Command -Session $replicas { 'serving' }) | Should -Be (@('serving') * $Count)
        $ends = Get-BarrierEnd $barrier
        @($ends.Keys) | Should -Be $replicaNames
        @($ends.Values) | Should -Be (@('stopped') * $Count)
        Test-Path (Join-Path $barrier 'broken') | Should -BeFalse
    }

    Context 'A staged rotation with two replicas'' sessions broken' {
        BeforeAll {
            # One session removed here; the other's process on its host ended, so the session broke.
            $script:Removed = $replicas[4]
            $script:Killed = $replicas[11]
            $script:DownNames = @($Removed.ComputerName, $Killed.ComputerName)
            Remove-PSSession $Removed
            try { Invoke-Command -Session $Killed -ScriptBlock { Stop-Process -Id $PID -Force } -ErrorAction Stop } catch { }
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ($Killed.State -eq 'Opened' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
            $script:UpSessions = @($replicas | Where-Object ComputerName -notin $DownNames)
            $script:UpNames = @($UpSessions.ComputerName)
            $script:OldActive = @(Get-Described $master)[0].ActiveSecretId
        }

        It 'both sessions are broken' {
            "$($Removed.State)", "$($Killed.State)" | Should -Not -Contain 'Opened'
        }

        It 'stages a secret on the master and syncs: the fourteen get it; both broken replicas are named with SsoSecret.HostUnreachable' {
            Invoke-Command -Session $master -ArgumentList $pw -ScriptBlock {
                param($pw)
                $null = New-SsoMasterSecret -Stage -BackupPath ~/staged.bak -Password $pw -KdfProfile Interactive
            }
            $err = $null
            $out = @(Sync-SsoEnvironment -MasterSession $master -Session $replicas -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.PSComputerName | Should -Be $UpNames
            $out.Installed | Should -Be (@($true) * ($Count - 2))
            @($err | ForEach-Object { "$($_.TargetObject)=$(Get-ErrorId $_)" }) | Should -Be @($DownNames | ForEach-Object { "$_=SsoSecret.HostUnreachable" })
            $masterNow = @(Get-Described $master)[0]
            $script:Staged = $masterNow.StagedSecretId
            $Staged | Should -Not -BeNullOrEmpty
            foreach ($r in @(Get-Described $UpSessions)) {
                "$($r.PSComputerName) $($r.StagedSecretId) $($r.RingDigest)" | Should -Be "$($r.PSComputerName) $Staged $($masterNow.RingDigest)"
            }
        }

        It 'does not activate: SsoSecret.ReplicaNotReady names both broken replicas, and nothing changes' {
            $err = try { Enable-SsoStagedSecret -MasterSession $master -Session $replicas; $null } catch { $_ }
            $err | Should -Not -BeNullOrEmpty
            Get-ErrorId $err | Should -Be 'SsoSecret.ReplicaNotReady'
            $err.Exception.Message | Should -Match 'was not activated: 2 replica\(s\)'
            foreach ($name in $DownNames) { $err.Exception.Message | Should -Match "\b$name\b" }
            "$($err.TargetObject)" | Should -Be ($DownNames -join ', ')
            $masterNow = @(Get-Described $master)[0]
            $masterNow.ActiveSecretId | Should -Be $OldActive
            $masterNow.StagedSecretId | Should -Be $Staged
        }

        It 'activates past both with -Force: a warning names each, the fourteen get the new ring, the health table says Unreachable' {
            $warned = $null
            $out = @(Enable-SsoStagedSecret -MasterSession $master -Session $replicas -Force -WarningVariable warned -WarningAction SilentlyContinue)
            @($warned).Count | Should -Be 2
            for ($i = 0; $i -lt 2; $i++) { "$($warned[$i])" | Should -Match "^Activating past $($DownNames[$i]) \(-Force\)" }
            $out.PSComputerName | Should -Be $UpNames
            $out.Installed | Should -Be (@($true) * ($Count - 2))
            $masterNow = @(Get-Described $master)[0]
            $masterNow.ActiveSecretId | Should -Be $Staged
            foreach ($r in @(Get-Described $UpSessions)) { "$($r.PSComputerName) $($r.ActiveSecretId)" | Should -Be "$($r.PSComputerName) $Staged" }
            $rows = @(Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas)
            # The two the master knows but no session reached come last, one row each, by fingerprint.
            ($rows | Select-Object -First (1 + $Count) | ForEach-Object { "$($_.ComputerName)=$($_.Status)" }) | Should -Be (@("$masterName=Master") + @($replicaNames | ForEach-Object { if ($_ -in $DownNames) { "$_=Unreachable" } else { "$_=InSync" } }))
            @($rows | Select-Object -Skip (1 + $Count)).Status | Should -Be @('NotChecked', 'NotChecked')
        }

        It 'with new sessions both are Stale in the health table, and a sync heals them; the value opens on all sixteen' {
            $script:replicas = @($replicas | ForEach-Object { if ($_.ComputerName -in $DownNames) { New-PSSession -HostName $_.ComputerName -KeyFilePath $keyFile } else { $_ } })
            $rows = @(Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas)
            ($rows | ForEach-Object { "$($_.ComputerName)=$($_.Status)" }) | Should -Be (@("$masterName=Master") + @($replicaNames | ForEach-Object { if ($_ -in $DownNames) { "$_=Stale" } else { "$_=InSync" } }))
            $healed = @(Sync-SsoEnvironment -MasterSession $master -Session $replicas -ThrottleLimit 4)
            $healed.PSComputerName | Should -Be $replicaNames
            ($healed | ForEach-Object { "$($_.PSComputerName)=$($_.Installed)" }) | Should -Be @($replicaNames | ForEach-Object { "$_=$($_ -in $DownNames)" })
            (Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas).Status | Should -Be (@('Master') + @('InSync') * $Count)
            @(Invoke-Command -Session $replicas -ArgumentList $token -ScriptBlock { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText }) | Should -Be (@('the database password') * $Count)
        }
    }

    It 'leaves nothing of its fleet behind' {
        Get-PSSession | Remove-PSSession -ErrorAction Ignore
        $left = @(Stop-SsoFleet -Fleet $Fleet)
        $script:Fleet = $null
        $left | Should -BeNullOrEmpty
    }
}
