# The fleet suite: SsoSecret through PowerShell remoting over SSH, on real hosts made on this machine by
# tests/Fleet/SsoSecretFleet.psm1 (network namespaces, each with its own address, host name, sshd, module and store;
# tests/Fleet/README.md). It runs where the machine allows it (Linux, root, ip netns, OpenSSH's sshd) and says plainly
# why it skips where it does not.
#
# What it proves, through Invoke-Command -HostName h1,h2,... -KeyFilePath (the password a SecureString, passed with
# -ArgumentList and with $using:):
#  - the commands of docs/guide-fleet.md, read from the guide itself and run as they are (so the guide cannot drift):
#    generate, back up and verify, test every host's backups, collect the backups here and verify them, check
#    freshness, rotate, roll back with failing hosts, and apply the DSC resource to every node;
#  - the objects that come back (Deserialized.SsoSecret.*) format with the module's table views;
#  - a failing host does not stop the others, and its error keeps the module's id (SsoSecret.WrongPassword,
#    SsoSecret.StoreBusy) and says which host;
#  - a host given no password fails at once with SsoSecret.PasswordRequired (under a hard time-out, so a hang fails
#    the test instead of blocking the suite), from a -NonInteractive client and from a job;
#  - the fleet is torn down completely.
#
# $env:SSOSECRET_FLEET_HOSTS sets the number of hosts (default 3). The suite prints the wall time of the fan-out calls.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force
    $reason = try { (Get-SsoFleetSupport).Reason } catch { "the check of this machine failed: $_" }
    $script:FleetSkipped = [bool]$reason
    # useradd and userdel replace /etc/passwd (a new file renamed over it), as the OtherUser suite does beside this one.
    $script:NoUserTools = @(Get-Command useradd, userdel -CommandType Application -ErrorAction Ignore).Count -lt 2
    if ($FleetSkipped) {
        Write-Host "Fleet suite skipped: $reason."
    }
}

Describe 'A fleet of master secret servers, over SSH remoting' -Skip:$FleetSkipped {
    BeforeAll {
        Import-Module $env:SSOSECRET_TEST_MODULE -Force    # here too: its views format what comes back
        Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force

        $script:Saved = @{ PATH = $env:PATH; SSOSECRET_STORE = $env:SSOSECRET_STORE }
        # The administrator's machine has a store of its own (empty): never the user's default store.
        $env:SSOSECRET_STORE = Join-Path $TestDrive 'admin-store'

        $count = if ($env:SSOSECRET_FLEET_HOSTS) { [int]$env:SSOSECRET_FLEET_HOSTS } else { 3 }
        $script:Fleet = Start-SsoFleet -Count $count -ModulePath (Split-Path $env:SSOSECRET_TEST_MODULE) -TimeoutSeconds (1800 + 60 * $count)
        # PowerShell starts 'ssh' from PATH: the fleet's ssh reads the fleet's client configuration (names, known_hosts).
        $env:PATH = $Fleet.ClientBin + [System.IO.Path]::PathSeparator + $env:PATH
        Write-Host ("Fleet {0}: {1} hosts on {2}, ready in {3:0.0} s" -f $Fleet.Id, $count, $Fleet.Subnet, $Fleet.SetupTime.TotalSeconds)

        # The guide's commands, by name; and its six variables, with this fleet's values.
        $script:GuidePath = Join-Path $PSScriptRoot '../../docs/guide-fleet.md'
        $script:Guide = Get-SsoFleetGuideBlock -Path $GuidePath
        $script:servers = $Fleet.HostNames
        $script:keyFile = $Fleet.KeyFilePath
        $script:remoteFolder = '~/ssosecret-backups'    # on each host, in its own home
        # The administrator's machine's copies: in the fleet's run folder, so that the teardown removes them too (not in
        # $TestDrive, whose files Pester removes at the end of each Context).
        $script:central = Join-Path $Fleet.RunFolder 'admin/central'
        $script:kdfProfile = 'Interactive'
        $script:pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
        $script:OtherPassword = ConvertTo-SecureString 'incorrect mule battery clip' -AsPlainText -Force

        # The test's own look at the hosts goes through one session per host, made once (the guide's commands make
        # their own, as a script would). Not named $sessions: the guide's collect block uses that name, and
        # PowerShell's names do not care for case.
        $script:TestSessions = @(New-PSSession -HostName $servers -KeyFilePath $keyFile)
        $script:SessionOf = @{}
        foreach ($session in $TestSessions) { $SessionOf[$session.ComputerName] = $session }
        $script:First = $servers[0]
        $script:Second = $servers[1]
        $script:Others = @($servers | Select-Object -Skip 2)
        $script:Timings = [System.Collections.Generic.List[string]]::new()

        # Two more fleets, for the watchdog's test at the end (made now, so that their waits overlap the suite's):
        # one made by another process, killed there with SIGKILL; one of this process, with a deadline 20 s after it is
        # ready (its making has a deadline of its own: on a loaded machine it takes longer than 20 s).
        $owner = Join-Path $TestDrive 'fleet-owner.ps1'
        Set-Content -Path $owner -Value @(
            "Import-Module '$(Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1')'"
            # Its one line: the fleet's id, or why it has none (the test below quotes it).
            "try { `$fleet = Start-SsoFleet -Count 1 -ModulePath '$(Split-Path $env:SSOSECRET_TEST_MODULE)' -TimeoutSeconds 1200 }"
            'catch { [Console]::Out.WriteLine("failed: $(("$_" -split "\r?\n") -join '' | '')"); exit 1 }'
            '[Console]::Out.WriteLine($fleet.Id)'
            'Start-Sleep -Seconds 1200'
        )
        $start = [System.Diagnostics.ProcessStartInfo]::new($Fleet.PowerShell[0])
        foreach ($argument in @($Fleet.PowerShell | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $owner)) { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $script:OwnerProcess = [System.Diagnostics.Process]::Start($start)
        $script:OwnerFleetId = $OwnerProcess.StandardOutput.ReadLineAsync()
        $script:Expiring = Start-SsoFleet -Count 1 -ModulePath (Split-Path $env:SSOSECRET_TEST_MODULE) -TimeoutSeconds 20

        $script:BlocksRun = [System.Collections.Generic.HashSet[string]]::new()
        function Get-GuideCode([string] $Name) {
            if (-not $Guide.Contains($Name)) { throw "docs/guide-fleet.md has no block marked <!-- fleet: $Name -->." }
            $null = $BlocksRun.Add($Name)
            [scriptblock]::Create($Guide[$Name])
        }

        function Measure-Call([string] $Name, [System.Diagnostics.Stopwatch] $Watch) {
            $line = '{0}: {1:0.0} s for {2} hosts ({3:0.00} s a host)' -f $Name, $Watch.Elapsed.TotalSeconds, $servers.Count, ($Watch.Elapsed.TotalSeconds / $servers.Count)
            $Timings.Add($line)
            Write-Host "  $line"
        }

        function Get-CurrentSecret {
            # Each host's current and previous secret id, as a hashtable by host name.
            $map = @{}
            Invoke-Command -Session $TestSessions -ScriptBlock { Get-SsoMasterSecret -WarningAction SilentlyContinue } |
                ForEach-Object { $map[$_.PSComputerName] = $_ }
            $map
        }
    }

    AfterAll {
        if ($TestSessions) { $TestSessions | Remove-PSSession -ErrorAction Ignore }
        $env:PATH = $Saved.PATH
        $env:SSOSECRET_STORE = $Saved.SSOSECRET_STORE
        if ($Fleet) { Stop-SsoFleet -Fleet $Fleet | Out-Null }
        if ($OwnerProcess -and -not $OwnerProcess.HasExited) { $OwnerProcess.Kill($true) }
        if ($Expiring) { Stop-SsoFleet -Fleet $Expiring -WarningAction SilentlyContinue | Out-Null }
        if ($Timings -and $Timings.Count) { Write-Host "Fleet wall times:`n  $($Timings -join "`n  ")" }
    }

    Context 'The hosts' {
        It 'are separate machines: each answers with its own name, address, home, module and store' {
            $seen = @(Invoke-Command -Session $TestSessions -ScriptBlock {
                    $eth0 = [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() | Where-Object Name -eq 'eth0'
                    [pscustomobject]@{
                        MachineName = [Environment]::MachineName
                        Addresses   = @($eth0.GetIPProperties().UnicastAddresses | Where-Object { $_.Address.AddressFamily -eq 'InterNetwork' } | ForEach-Object { $_.Address.ToString() })
                        Home        = $HOME
                        Store       = $env:SSOSECRET_STORE
                        ModuleBase  = @(Get-Module -ListAvailable -Name SsoSecret | ForEach-Object ModuleBase)
                        HostName    = $Host.Name
                        HostUI      = $Host.UI.GetType().FullName
                        Sender      = '{0} ConnectedUser={1} ConfigurationName={2}' -f $PSSenderInfo.ConnectionString, $PSSenderInfo.ConnectedUser, $PSSenderInfo.ConfigurationName
                    }
                })
            $seen.Count | Should -Be $servers.Count
            foreach ($h in $Fleet.Hosts) {
                $answer = @($seen | Where-Object PSComputerName -eq $h.Name)
                $answer.Count | Should -Be 1 -Because "$($h.Name) answers once"
                $answer[0].MachineName | Should -Be $h.Name
                $answer[0].Addresses | Should -Be @($h.Address)
                $answer[0].Home | Should -Be $h.Home
                $answer[0].Store | Should -Be $h.StorePath
                $answer[0].ModuleBase | Should -Be @($h.ModuleBase) -Because 'the module comes from the host''s own module path, and only from there'
            }
            @($seen.Store | Select-Object -Unique).Count | Should -Be $servers.Count
            # (The 20-second fleet of the watchdog test is still there before its deadline.)
            $stillThere = @(Get-SsoFleetLeftover -Id $Expiring.Id)
            if ([DateTimeOffset]::UtcNow -lt $Expiring.Deadline.AddSeconds(-2)) { $stillThere | Should -Not -BeNullOrEmpty -Because 'a fleet lives until its deadline' }
            Write-Host "  A remote session here: `$Host.Name $($seen[0].HostName), `$Host.UI $($seen[0].HostUI), `$PSSenderInfo $($seen[0].Sender)"
        }

        It 'are known by their generated host keys: a host whose key does not match known_hosts is refused' {
            # The ssh that PowerShell starts (the fleet's, first on PATH), with the fleet's known_hosts: it connects.
            $output = & ssh -i $keyFile $First 'echo connected' 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "ssh connects to $First with the collected host key: $output"
            "$output" | Should -Be 'connected'
            # With a known_hosts where the first host's entry holds the second host's key, ssh refuses to talk to it.
            $lines = @(Get-Content $Fleet.KnownHostsPath)
            $forged = Join-Path $TestDrive 'forged_known_hosts'
            Set-Content -Path $forged -Value (@("$(($lines[0] -split ' ')[0]) $(($lines[1] -split ' ', 2)[1])") + @($lines | Select-Object -Skip 1))
            $output = & ssh -i $keyFile -o "UserKnownHostsFile=$forged" $First 'echo connected' 2>&1
            $LASTEXITCODE | Should -Be 255
            "$output" | Should -Match 'Host key verification failed' -Because 'strict host key checking is on'
            "$output" | Should -Not -Match 'connected$'
        }

        It 'keep their own root account (home, shell, module) when this machine''s /etc/passwd is replaced, as useradd and userdel do' -Skip:$NoUserTools {
            # The suites run side by side, and the OtherUser suite adds and removes a user while this one runs: the hosts'
            # sessions opened after that must still be the hosts' own (a private passwd bound as a single file over
            # /etc/passwd was detached by the kernel at the first rename over it, and new sessions got this machine's
            # root, with its home, no module and no backup folder).
            $inode = & stat -c %i /etc/passwd
            $user = "ssofleet$($Fleet.Id)"
            $output = & useradd --no-create-home --shell /usr/sbin/nologin $user 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "useradd $user`: $output"
            $output = & userdel $user 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "userdel $user`: $output"
            (& stat -c %i /etc/passwd) | Should -Not -Be $inode -Because 'useradd and userdel put a new /etc/passwd in place'

            $seen = @(Invoke-Command -HostName $servers -KeyFilePath $keyFile -ScriptBlock {
                    [pscustomobject]@{
                        Home       = $HOME
                        Account    = @(Get-Content /etc/passwd | Where-Object { $_ -like 'root:*' })
                        ModuleBase = @(Get-Module -ListAvailable -Name SsoSecret | ForEach-Object ModuleBase)
                    }
                })
            $seen.Count | Should -Be $servers.Count
            foreach ($h in $Fleet.Hosts) {
                $answer = @($seen | Where-Object PSComputerName -eq $h.Name)
                $answer.Count | Should -Be 1
                $answer[0].Home | Should -Be $h.Home
                $account = @(Get-Content (Join-Path $h.Etc 'passwd') | Where-Object { $_ -like 'root:*' })
                $account | Should -BeLike "root:*:$($h.Home):/bin/sh"
                $answer[0].Account | Should -Be $account
                $answer[0].ModuleBase | Should -Be @($h.ModuleBase)
            }
        }

        It 'the guide''s setup block sets exactly the variables the test sets for its fleet' {
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($Guide['setup'], [ref]$null, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            $assigned = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.AssignmentStatementAst] }, $false) |
                    ForEach-Object { $_.Left.VariablePath.UserPath })
            ($assigned | Sort-Object) | Should -Be ('central', 'kdfProfile', 'keyFile', 'pw', 'remoteFolder', 'servers' | Sort-Object)
            $null = $BlocksRun.Add('setup')
        }
    }

    Context 'Backing up and verifying the fleet (docs/guide-fleet.md)' {
        It 'generates each host''s own secret with its first backup, verified (guide: generate)' {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $out = @(. (Get-GuideCode 'generate') | Out-String -Stream -Width 250)
            $watch.Stop()
            Measure-Call 'generate (New-SsoMasterSecret + Test-SsoSecretBackup)' $watch

            $script:Initial = Get-CurrentSecret
            $Initial.Keys.Count | Should -Be $servers.Count
            @($Initial.Values.SecretId | Select-Object -Unique).Count | Should -Be $servers.Count -Because 'every host has its own secret'
            foreach ($name in $servers) {
                $row = @($out | Where-Object { $_ -match "^$name\s" })
                $row.Count | Should -Be 1 -Because "the table has one row for $name"
                $row[0] | Should -Match "^$name\s+True\s+$($Initial[$name].SecretId)\s"
                $Initial[$name].LastBackupPath | Should -BeLike "$(($Fleet.Hosts | Where-Object Name -eq $name).Home)/ssosecret-backups/master-secret-*-initial.bak"
            }
        }

        It 'refuses, on every host, to replace its secret when the generate block runs again: SsoSecret.MasterSecretExists (guide: generate)' {
            Start-Sleep -Seconds 1    # a new time-stamped name, so that the backup file is not what stops it
            $ErrorActionPreference = 'Continue'    # as at a prompt: each host's error is written, none stops the call
            $all = @(. (Get-GuideCode 'generate') 2>&1)
            $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

            # First what matters most: every host keeps its secret.
            $now = Get-CurrentSecret
            foreach ($name in $servers) { $now[$name].SecretId | Should -Be $Initial[$name].SecretId -Because "$name's secret was not replaced" }
            $errors.Count | Should -Be $servers.Count -Because 'every host refuses'
            Write-Host "  generate again: $(($errors | ForEach-Object { "$($_.OriginInfo.PSComputerName): $($_.FullyQualifiedErrorId) ($($_.Exception.GetType().Name): $($_.Exception.Message))" }) -join '; ')"
            foreach ($failure in $errors) {
                $failure.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.MasterSecretExists,*' -Because "$($failure.OriginInfo.PSComputerName) should say that it already holds a secret; it said $($failure.FullyQualifiedErrorId): $($failure.Exception.Message)"
            }
        }

        It 'backs up and verifies every host in one call, the password passed with -ArgumentList (guide: backup)' {
            Start-Sleep -Seconds 1    # a new time-stamped name, a second after the first backup's
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $null = . (Get-GuideCode 'backup')
            $watch.Stop()
            Measure-Call 'backup (Backup-SsoMasterSecret + Test-SsoSecretBackup -Detailed)' $watch

            $results = @($results)
            $results.Count | Should -Be $servers.Count
            ($results.PSComputerName | Sort-Object) | Should -Be ($servers | Sort-Object)
            foreach ($result in $results) {
                $result.Verified | Should -BeTrue -Because "$($result.PSComputerName)'s backup was verified"
                $result.Status.ToString() | Should -Be 'Valid'
                $result.SecretId | Should -Be $Initial[$result.PSComputerName].SecretId -Because 'each host backs up its own secret'
            }
            $now = Get-CurrentSecret
            foreach ($name in $servers) { $now[$name].LastBackupPath | Should -Be ($results | Where-Object PSComputerName -eq $name).Backup }
        }

        It 'tests every host''s backups in one call, with per-host results that format well here (guide: verify)' {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $shown = . (Get-GuideCode 'verify')
            $watch.Stop()
            Measure-Call 'verify (Test-SsoSecretBackup -Detailed of every backup)' $watch

            $report = @($report)
            $report.Count | Should -Be (2 * $servers.Count) -Because 'every host has its initial and its nightly backup'
            foreach ($result in $report) {
                $result.PSObject.TypeNames[0] | Should -Be 'Deserialized.SsoSecret.SsoSecretBackupTestResult'
                $result.Status.ToString() | Should -Be 'Valid'
                $result.PasswordVerified | Should -BeTrue
                $result.MatchesCurrentSecret | Should -BeTrue
                $result.Kdf.MemoryMiB | Should -Be 64 -Because 'the Kdf parameters travel as values, not as text'
            }
            foreach ($name in $servers) { @($report | Where-Object PSComputerName -eq $name).Count | Should -Be 2 }

            # Rendered here as a person sees it: the module's table view, with the host added by PowerShell.
            $lines = @($shown | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })
            $lines[0] | Should -Match '^Name\s+Status\s+PasswordVerified\s+RecoveryKeyVerified\s+MatchesCurrentSecret\s+PSComputerName\s*$'
            $lines | Should -Not -Match 'RunspaceId'
            foreach ($result in $report) {
                $name = [System.IO.Path]::GetFileName($result.Path)
                @($lines | Where-Object { $_ -match "^$([regex]::Escape($name))\s+Valid\s+True\s+-\s+True\s+$($result.PSComputerName)\s*$" }).Count |
                    Should -BeGreaterOrEqual 1 -Because "the row of $name from $($result.PSComputerName) shows in the table"
            }
        }

        It 'formats every output type that comes back from a host as it does here, plus the host''s name' {
            $remote = @(Invoke-Command -Session $SessionOf[$First] -ScriptBlock {
                    Get-SsoMasterSecret -WarningAction SilentlyContinue
                    Get-ChildItem -Path $using:remoteFolder -Filter '*-initial.bak' | Get-SsoSecretBackupInfo
                    Test-SsoSecretBackup -Path (Join-Path $using:remoteFolder '*-initial.bak') -Detailed
                    Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1))
                })
            # The same types made here, from a copy of the same backup in a store of the test's own.
            $here = Join-Path $TestDrive 'format'
            $null = New-Item -ItemType Directory -Path $here
            $file = Join-Path $here 'format.bak'
            $null = New-SsoMasterSecret -BackupPath $file -StorePath (Join-Path $here 'store') -Password $pw -KdfProfile Interactive
            $local = @(
                Get-SsoMasterSecret -StorePath (Join-Path $here 'store') -WarningAction SilentlyContinue
                Get-SsoSecretBackupInfo -LiteralPath $file
                Test-SsoSecretBackup -LiteralPath $file -StorePath (Join-Path $here 'store') -Detailed
                Measure-SsoKdf -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1))
            )
            $remote.Count | Should -Be 4
            for ($i = 0; $i -lt 4; $i++) {
                $remote[$i].PSObject.TypeNames[0] | Should -Be ('Deserialized.' + $local[$i].PSObject.TypeNames[0])
                # The column names (the widths follow the data: a remote file name is longer than the local one).
                $remoteHeader = (@($remote[$i] | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })[0] -replace '\s+', ' ').Trim()
                $localHeader = (@($local[$i] | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })[0] -replace '\s+', ' ').Trim()
                $remoteHeader | Should -Be "$localHeader PSComputerName" -Because "$($local[$i].GetType().Name) has the same view either way"
            }
            # The Argon2id column reads the nested parameters, on both sides.
            @($remote[1] | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })[2] | Should -Match '\s64 MiB t=3 p=4\s'
        }

        It 'collects every host''s backups here over SSH sessions, and verifies them here (guide: collect)' {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $checked = @(. (Get-GuideCode 'collect'))
            $watch.Stop()
            Measure-Call 'collect (New-PSSession + Copy-Item -FromSession, then local Test-SsoSecretBackup)' $watch

            $checked.Count | Should -Be (2 * $servers.Count)
            foreach ($result in $checked) {
                $result.PSObject.TypeNames[0] | Should -Be 'SsoSecret.SsoSecretBackupTestResult' -Because 'verified here, not on the host'
                $result.Status.ToString() | Should -Be 'Valid'
                $result.PasswordVerified | Should -BeTrue
                $result.MatchesCurrentSecret | Should -BeNullOrEmpty -Because 'this machine''s store holds no secret to compare with'
            }
            # Byte for byte what each host holds, in a folder per host.
            $remote = Invoke-Command -Session $TestSessions -ScriptBlock {
                Get-ChildItem -Path $using:remoteFolder -Filter '*.bak' | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Hash = (Get-FileHash -LiteralPath $_.FullName).Hash } }
            }
            foreach ($name in $servers) {
                $want = @($remote | Where-Object PSComputerName -eq $name | ForEach-Object { "$($_.Name)=$($_.Hash)" } | Sort-Object)
                $have = @(Get-ChildItem -Path (Join-Path $central $name) -File | ForEach-Object { "$($_.Name)=$((Get-FileHash -LiteralPath $_.FullName).Hash)" } | Sort-Object)
                $have | Should -Be $want -Because "$name's backups were copied whole"
            }
            if (-not $IsWindows) { (Get-Item $central).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
        }
    }

    Context 'Rotation, and a rollback where one host''s backup is under another password and one host''s store is busy' {
        BeforeAll {
            # The first host's newest backup of its current secret is written under another password (a wrong vault
            # entry), so the rollback of the rotation below finds it, and the password does not open it.
            Start-Sleep -Seconds 1
            Invoke-Command -Session $SessionOf[$First] -ArgumentList $OtherPassword -ScriptBlock {
                param($Other)
                $file = Join-Path (Convert-Path $using:remoteFolder) ('master-secret-{0:yyyyMMdd-HHmmss}-other-password.bak' -f [datetime]::UtcNow)
                Backup-SsoMasterSecret -Path $file -Password $Other -KdfProfile Interactive
            }
            Start-Sleep -Seconds 1
        }

        It 'rotates every host''s secret, each with a new verified backup (guide: rotate)' {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $out = @(. (Get-GuideCode 'rotate') | Out-String -Stream -Width 250)
            $watch.Stop()
            Measure-Call 'rotate (New-SsoMasterSecret -Force + Test-SsoSecretBackup)' $watch

            $script:Rotated = Get-CurrentSecret
            foreach ($name in $servers) {
                $Rotated[$name].SecretId | Should -Not -Be $Initial[$name].SecretId
                $Rotated[$name].PreviousSecretId | Should -Be $Initial[$name].SecretId
                @($out | Where-Object { $_ -match "^$name\s+True\s+$($Rotated[$name].SecretId)\s+$($Initial[$name].SecretId)\s*$" }).Count | Should -Be 1
            }
        }

        It 'rolls back every host in one call: one fails with SsoSecret.WrongPassword, one with SsoSecret.StoreBusy, the others are restored (guide: rollback)' {
            # Another process on the second host holds its store's lock (as a running SsoSecret command would): the
            # test's session there, which is not one of the processes the guide's call starts.
            Invoke-Command -Session $SessionOf[$Second] -ScriptBlock {
                $global:HeldLock = [System.IO.FileStream]::new((Join-Path $env:SSOSECRET_STORE 'store.lock'), 'Open', 'ReadWrite', 'None')
            }
            try {
                $watch = [System.Diagnostics.Stopwatch]::StartNew()
                $out = @(. (Get-GuideCode 'rollback'))
                $watch.Stop()
                Measure-Call 'rollback (Restore-SsoMasterSecret, two hosts failing)' $watch
            }
            finally {
                Invoke-Command -Session $SessionOf[$Second] -ScriptBlock { $global:HeldLock.Dispose() }
            }

            # The errors: one a failing host, with the module's id and the host's name.
            $failed = @($failed)
            $failed.Count | Should -Be 2 -Because "two hosts fail: $(($failed | ForEach-Object { "$($_.OriginInfo.PSComputerName): $($_.FullyQualifiedErrorId)" }) -join '; ')"
            $wrong = @($failed | Where-Object { $_.OriginInfo.PSComputerName -eq $First })
            $wrong.Count | Should -Be 1
            $wrong[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPassword,*'
            "$($wrong[0].CategoryInfo.Category)" | Should -Be 'AuthenticationError'
            $busy = @($failed | Where-Object { $_.OriginInfo.PSComputerName -eq $Second })
            $busy.Count | Should -Be 1
            $busy[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreBusy,*'

            # The guide's report of them.
            $report = @($out | Where-Object { $_.PSObject.Properties['ErrorId'] })
            ($report | ForEach-Object { "$($_.Server)=$($_.ErrorId)" }) | Should -Be @("$First=SsoSecret.WrongPassword", "$Second=SsoSecret.StoreBusy")

            # The others are restored; the failing hosts' stores are as they were.
            $restored = @($restored)
            ($restored.PSComputerName | Sort-Object) | Should -Be ($Others | Sort-Object)
            $now = Get-CurrentSecret
            foreach ($name in $Others) {
                $now[$name].SecretId | Should -Be $Initial[$name].SecretId -Because "$name went back to its previous secret"
                ($restored | Where-Object PSComputerName -eq $name).SecretId | Should -Be $Initial[$name].SecretId
            }
            foreach ($name in $First, $Second) {
                $now[$name].SecretId | Should -Be $Rotated[$name].SecretId -Because "$name's store was left as it was"
                $now[$name].PreviousSecretId | Should -Be $Initial[$name].SecretId
            }
        }

        It 'checks the freshness of every host''s backup with one command (guide: freshness)' {
            # The last host is restored from an old backup (the golden test vector, written on 2026-01-01, under the
            # fleet's password): its store counts its last backup from that backup's creation time.
            $stale = $servers[-1]
            $golden = Join-Path $PSScriptRoot '../SsoSecret.Tests/TestData/golden/v1-binary.bak'
            $target = Invoke-Command -Session $SessionOf[$stale] -ScriptBlock { Join-Path (Convert-Path $using:remoteFolder) 'restored-from-january.bak' }
            Copy-Item -ToSession $SessionOf[$stale] -Path $golden -Destination $target
            Invoke-Command -Session $SessionOf[$stale] -ScriptBlock { Restore-SsoMasterSecret -Path $using:target -Password $using:pw -Force }

            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $fresh = @(. (Get-GuideCode 'freshness'))
            $watch.Stop()
            Measure-Call 'freshness (Get-SsoMasterSecret)' $watch

            $fresh.PSComputerName | Should -Be ($servers | Sort-Object)
            foreach ($row in $fresh) {
                if ($row.PSComputerName -eq $stale) {
                    $row.Fresh | Should -BeFalse -Because "$stale holds a secret whose last backup is from January"
                    $row.LastBackupTime | Should -Be ([datetime]::new(2026, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc))
                    $row.SecretId | Should -Be '6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f'
                }
                else {
                    $row.Fresh | Should -BeTrue -Because "$($row.PSComputerName)'s secret was backed up minutes ago"
                    $row.LastBackupTime | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-30))
                }
            }
        }

        It 'checks the freshness of the copies collected here, without a host or a password (guide: freshness-central)' {
            $newest = @(. (Get-GuideCode 'freshness-central'))
            ($newest.Server | Sort-Object) | Should -Be ($servers | Sort-Object)
            foreach ($row in $newest) {
                $row.Fresh | Should -BeTrue
                $row.SecretId | Should -Be $Initial[$row.Server].SecretId -Because 'the copies were collected before the rotation'
            }
        }

        It 'applies the DSC backup resource to every node in one call: Test(), Set(), Get() (guide: dsc)' {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $out = @(. (Get-GuideCode 'dsc') | Out-String -Stream -Width 250)
            $watch.Stop()
            Measure-Call 'dsc (SsoMasterSecretBackup Test/Set/Get)' $watch

            $now = Get-CurrentSecret
            foreach ($name in $servers) {
                @($out | Where-Object { $_ -match "^$name\s+False\s+Compliant\s+$($now[$name].SecretId)\s" }).Count |
                    Should -Be 1 -Because "$name's backup was missing, was written, and is compliant now"
                $now[$name].LastBackupPath | Should -BeLike '*/ssosecret-backups/master-secret-monthly.bak'
            }
        }
    }

    Context 'A host given no password' {
        It 'fails at once with SsoSecret.PasswordRequired, from a -NonInteractive client (a scheduled job)' {
            # In a child pwsh -NonInteractive, killed after 90 s: a hang fails this test instead of blocking the suite.
            $script = Join-Path $TestDrive 'no-password.ps1'
            Set-Content -Path $script -Value @'
param([string] $Servers, [string] $KeyFile, [string] $Folder)
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$out = Invoke-Command -HostName ($Servers -split ',') -KeyFilePath $KeyFile -ScriptBlock {
    Backup-SsoMasterSecret -Path (Join-Path (Convert-Path $using:Folder) 'no-password.bak')
} -ErrorAction SilentlyContinue -ErrorVariable failures
[pscustomobject]@{
    Seconds = $watch.Elapsed.TotalSeconds
    Output  = @($out).Count
    Errors  = @($failures | ForEach-Object {
            [pscustomobject]@{ Host = $_.OriginInfo.PSComputerName; Id = $_.FullyQualifiedErrorId; Exception = $_.Exception.GetType().FullName; Message = $_.Exception.Message }
        })
} | ConvertTo-Json -Depth 4 -Compress
'@
            $start = [System.Diagnostics.ProcessStartInfo]::new($Fleet.PowerShell[0])
            foreach ($argument in @($Fleet.PowerShell | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script, '-Servers', ($servers -join ','), '-KeyFile', $keyFile, '-Folder', $remoteFolder)) {
                $start.ArgumentList.Add($argument)
            }
            $start.RedirectStandardOutput = $true
            $start.RedirectStandardError = $true
            $start.RedirectStandardInput = $true
            $process = [System.Diagnostics.Process]::Start($start)
            $process.StandardInput.Close()
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            $finished = $process.WaitForExit(90000)
            if (-not $finished) { $process.Kill($true) }
            $finished | Should -BeTrue -Because 'a remote command without a password must fail, not wait for an answer'
            $process.WaitForExit()
            # The last line is the JSON; what the host printed before it (a forwarded prompt, say) is in the lines above.
            $lines = @($stdout.Result -split '\r?\n' | Where-Object { $_.Trim() })
            $result = $lines[-1] | ConvertFrom-Json
            if ($lines.Count -gt 1) { Write-Host "  The client's host printed: $(($lines | Select-Object -SkipLast 1) -join ' | ')" }
            Write-Host ("  No password, -NonInteractive client: {0:0.0} s; {1}" -f $result.Seconds, (($result.Errors | ForEach-Object { "$($_.Host): $($_.Id) ($($_.Exception): $($_.Message))" }) -join '; '))

            $result.Output | Should -Be 0
            @($result.Errors).Count | Should -Be $servers.Count -Because "every host fails (stderr: $($stderr.Result))"
            foreach ($failure in $result.Errors) {
                $failure.Id | Should -BeLike 'SsoSecret.PasswordRequired,*' -Because "$($failure.Host) should say that a password is required; it said $($failure.Id): $($failure.Exception): $($failure.Message)"
            }
            $written = Invoke-Command -Session $TestSessions -ScriptBlock { Test-Path (Join-Path $using:remoteFolder 'no-password.bak') }
            $written | Should -Not -Contain $true
        }

        It 'fails at once with SsoSecret.PasswordRequired, from Invoke-Command -AsJob' {
            $job = Invoke-Command -HostName $servers -KeyFilePath $keyFile -AsJob -ScriptBlock {
                Backup-SsoMasterSecret -Path (Join-Path (Convert-Path $using:remoteFolder) 'no-password-job.bak')
            }
            try {
                $until = [DateTime]::UtcNow.AddSeconds(60)
                while ($job.State -notin 'Completed', 'Failed', 'Stopped', 'Blocked' -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 200 }
                $states = ($job.ChildJobs | ForEach-Object { "$($_.Location): $($_.State)" }) -join '; '
                $errors = @($job.ChildJobs | ForEach-Object { $_.Error.ReadAll() })
                Write-Host "  No password, -AsJob: job $($job.State) ($states); $(($errors | ForEach-Object { "$($_.OriginInfo.PSComputerName): $($_.FullyQualifiedErrorId)" }) -join '; ')"

                "$($job.State)" | Should -Not -Be 'Blocked' -Because "a job must not wait for a password no one can type (child jobs: $states)"
                "$($job.State)" | Should -BeIn 'Completed', 'Failed' -Because 'the job ends within 60 s'
                $errors.Count | Should -Be $servers.Count
                foreach ($failure in $errors) { $failure.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PasswordRequired,*' }
            }
            finally {
                $job | Stop-Job -PassThru | Remove-Job -Force
            }
            $written = Invoke-Command -Session $TestSessions -ScriptBlock { Test-Path (Join-Path $using:remoteFolder 'no-password-job.bak') }
            $written | Should -Not -Contain $true
        }
    }

    Context 'The guide' {
        It 'has no block the suite did not run: every powershell block is run here or marked as skipped, with its reason' {
            # Get-SsoFleetGuideBlock already refused a block with neither marker; here: every named block was run.
            # The environment-* blocks (a master and its replicas) are run by FleetEnvironment.Tests.ps1, on a fleet of its own.
            @($Guide.Keys | Where-Object { $_ -notlike 'environment-*' -and -not $BlocksRun.Contains($_) }) | Should -BeNullOrEmpty
        }
    }

    Context 'Teardown' {
        It 'removes everything the fleet made: namespaces, interfaces, sshd processes and folders' {
            $TestSessions | Remove-PSSession
            $script:TestSessions = $null
            $left = @(Stop-SsoFleet -Fleet $Fleet)
            $left | Should -BeNullOrEmpty
            # The watchdog goes too: it sees the run folder gone.
            $until = [DateTime]::UtcNow.AddSeconds(5)
            do {
                $watchdogs = @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$' | Where-Object {
                        $line = try { [System.IO.File]::ReadAllText("$($_.FullName)/cmdline") } catch { '' }
                        $line.Contains('fleet-watchdog') -and $line.Contains("/$($Fleet.Id)")
                    })
                if ($watchdogs.Count) { Start-Sleep -Milliseconds 200 }
            } while ($watchdogs.Count -and [DateTime]::UtcNow -lt $until)
            $watchdogs | Should -BeNullOrEmpty
        }

        It 'tears down a fleet whose owner was killed, and a fleet whose deadline passed, by their watchdogs' {
            $OwnerFleetId.Wait(120000) | Should -BeTrue -Because 'the other process made its fleet'
            "$($OwnerFleetId.Result)" | Should -Match '^[0-9a-f]{6}$' -Because 'the other process prints its fleet''s id (or why it has none)'
            $killedId = $OwnerFleetId.Result.Trim()
            @(Get-SsoFleetLeftover -Id $killedId) | Should -Not -BeNullOrEmpty -Because 'its fleet is up while its owner lives'
            $OwnerProcess.Kill()    # SIGKILL: no finally, no AfterAll runs in it

            $until = [DateTime]::UtcNow.AddSeconds(60)
            do {
                $left = @(Get-SsoFleetLeftover -Id $killedId) + @(Get-SsoFleetLeftover -Id $Expiring.Id)
                if ($left.Count) { Start-Sleep -Milliseconds 500 }
            } while ($left.Count -and [DateTime]::UtcNow -lt $until)
            $left | Should -BeNullOrEmpty -Because 'both watchdogs tore their fleets down'
            [DateTimeOffset]::UtcNow | Should -BeGreaterThan $Expiring.Deadline
            $null = Stop-SsoFleet -Fleet $Expiring -WarningVariable warned -WarningAction SilentlyContinue
            "$warned" | Should -BeLike '*torn down by its watchdog*deadline*'
        }
    }
}
