# One secret for an environment, on real hosts (tests/Fleet/SsoSecretFleet.psm1: network namespaces, each with its
# own address, sshd, module and store), reached over SSH remoting: a master (h1) and three replicas (h2 to h4). It runs
# docs/guide-fleet.md's environment-* blocks as they are, and proves what the guide claims:
#  - a master is made, replicas join after the master's fingerprint is checked (a wrong one pins nothing), and sync;
#  - a value protected on the master opens on every replica, and one protected on each replica opens on the master,
#    before and after a new secret on the master;
#  - a replica refuses to generate or restore a secret (SsoSecret.StoreIsReplica), a replayed (older) sealed ring
#    (SsoSecret.StaleRing), a tampered one (SsoSecret.TamperedSealedRing) and a damaged one (SsoSecret.DamagedSealedRing);
#  - the health table says who agrees with the master, and formats here as the module's view;
#  - the administrator's process never holds a secret: no secret of the master's ring, in hex or base64, is in
#    anything that came back to it or in any file it wrote (the secrets are read on the master afterwards, by a
#    test-only route: the store read through the module's internal types, in the master's session).
# It skips, with the harness's reason, where the machine cannot make a fleet.

BeforeDiscovery {
    # The vault's test runs the real SecretManagement on the hosts (test infrastructure beside the repository, as in
    # Vault.Tests.ps1), and skips, saying why, where it is absent.
    $engines = [System.IO.Path]::GetFullPath($(if ($env:SSOSECRET_ENGINES) { $env:SSOSECRET_ENGINES } else { Join-Path $PSScriptRoot '../../../shared/engines' }))
    $script:NoSecretManagement = -not (Test-Path -LiteralPath (Join-Path $engines 'Microsoft.PowerShell.SecretManagement/Microsoft.PowerShell.SecretManagement.psd1'))
    if ($NoSecretManagement) { Write-Host "FleetEnvironment: the vault's test skipped: the real SecretManagement is not in $engines (test infrastructure beside the repository, absent from a fresh clone)." }
    Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force
    $reason = try { (Get-SsoFleetSupport).Reason } catch { "the check of this machine failed: $_" }
    $script:FleetSkipped = [bool]$reason
    if ($FleetSkipped) { Write-Host "FleetEnvironment suite skipped: $reason." }
}

Describe 'An environment: a master and its replicas, over SSH remoting' -Skip:$FleetSkipped {
    BeforeAll {
        Import-Module $env:SSOSECRET_TEST_MODULE -Force    # the administrator's machine: its views format what comes back
        Import-Module (Join-Path $PSScriptRoot '../Fleet/SsoSecretFleet.psm1') -Force

        $script:Saved = @{ PATH = $env:PATH; SSOSECRET_STORE = $env:SSOSECRET_STORE }
        $env:SSOSECRET_STORE = Join-Path $TestDrive 'admin-store'    # never the user's store; stays empty

        $script:Fleet = Start-SsoFleet -Count 4 -ModulePath (Split-Path $env:SSOSECRET_TEST_MODULE) -TimeoutSeconds 2100
        $env:PATH = $Fleet.ClientBin + [System.IO.Path]::PathSeparator + $env:PATH
        Write-Host ("Fleet {0}: 4 hosts on {1}, ready in {2:0.0} s" -f $Fleet.Id, $Fleet.Subnet, $Fleet.SetupTime.TotalSeconds)

        $script:Guide = Get-SsoFleetGuideBlock -Path (Join-Path $PSScriptRoot '../../docs/guide-fleet.md')
        $script:BlocksRun = [System.Collections.Generic.HashSet[string]]::new()
        function Get-GuideCode([string] $Name) {
            if (-not $Guide.Contains($Name)) { throw "docs/guide-fleet.md has no block marked <!-- fleet: $Name -->." }
            $null = $BlocksRun.Add($Name)
            [scriptblock]::Create($Guide[$Name])
        }

        # The guide's variables, with this fleet's values.
        $script:masterName = $Fleet.HostNames[0]
        $script:replicaNames = @($Fleet.HostNames | Select-Object -Skip 1)
        $script:keyFile = $Fleet.KeyFilePath
        $script:remoteFolder = '~/ssosecret-backups'
        $script:kdfProfile = 'Interactive'
        $script:pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force

        # Everything that comes back to this process, for the check that no secret is among it.
        $script:Captured = [System.Collections.Generic.List[object]]::new()
        # A guide block is dot-sourced in its test (as the fleet suite does), so that its variables are the test's;
        # what it output goes here.
        function Add-Captured([object[]] $Out) {
            foreach ($item in $Out) { $Captured.Add($item) }
            $Captured.Add(($Out | Out-String -Width 300))
        }
        function Get-Remote([object] $Session, [scriptblock] $Script, [object[]] $Arguments = @()) {
            $out = @(Invoke-Command -Session $Session -ScriptBlock $Script -ArgumentList $Arguments)
            foreach ($item in $out) { $Captured.Add($item) }
            $out
        }
        # The test-only route to the master's secrets: its store read on the master, through the module's internal
        # types, in the master's session. Used only by the last check, to know what to look for.
        function Get-MasterSecretHex {
            Invoke-Command -Session $master -ScriptBlock {
                $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'SsoSecret.Core' } | Select-Object -First 1
                $flags = [System.Reflection.BindingFlags]'NonPublic, Public, Instance'
                $type = $core.GetType('SsoSecret.MasterSecretStore')
                $store = $type.GetConstructors($flags)[0].Invoke(@($env:SSOSECRET_STORE, $null))
                $state = $type.GetMethod('Read', $flags).Invoke($store, @())
                foreach ($secret in $state.GetType().GetProperty('Ring', $flags).GetValue($state)) {
                    [Convert]::ToHexString($secret.GetType().GetProperty('Secret', $flags).GetValue($secret))
                }
            }
        }
        function Get-ErrorId([System.Management.Automation.ErrorRecord] $Record) { ($Record.FullyQualifiedErrorId -split ',')[0] }

        # The real SecretManagement, loaded in a host's session (the hosts share this machine's files), with the store's
        # vault registered under the host's own home; what comes back says whether the entry holds the value, never the value.
        $script:RealSm = [System.IO.Path]::GetFullPath((Join-Path $(if ($env:SSOSECRET_ENGINES) { $env:SSOSECRET_ENGINES } else { Join-Path $PSScriptRoot '../../../shared/engines' }) 'Microsoft.PowerShell.SecretManagement'))
        $script:UseVault = {
            param($sm)
            Import-Module $sm
            if (-not (Get-SecretVault -Name Sso -ErrorAction SilentlyContinue)) { Register-SecretVault -Name Sso -ModuleName SsoSecret }
        }
        function Test-VaultEntry([object[]] $Sessions, [string] $Expected) {
            Get-Remote $Sessions {
                param($sm, $use, $expected)
                & ([scriptblock]::Create($use)) $sm
                $credential = Get-Secret -Vault Sso -Name 'Billing/DB' -ErrorAction Stop
                $credential.UserName -eq 'DOMAIN\svc-billing' -and $credential.GetNetworkCredential().Password -eq $expected
            } @($RealSm, $UseVault.ToString(), $Expected)
        }
    }

    AfterAll {
        Get-PSSession | Remove-PSSession -ErrorAction Ignore
        $env:PATH = $Saved.PATH
        $env:SSOSECRET_STORE = $Saved.SSOSECRET_STORE
        if ($Fleet) { Stop-SsoFleet -Fleet $Fleet | Out-Null }
    }

    It 'the guide''s names block sets exactly the variables the test sets for its fleet' {
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Guide['environment-names'], [ref]$null, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $assigned = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.AssignmentStatementAst] }, $false) |
                ForEach-Object { $_.Left.VariablePath.UserPath })
        ($assigned | Sort-Object) | Should -Be ('keyFile', 'masterName', 'replicaNames')
        $null = $BlocksRun.Add('environment-names')
    }

    It 'makes the master: an environment of generation 1, its fingerprint shown (guide: environment-sessions, environment-master)' {
        Add-Captured @(. (Get-GuideCode 'environment-sessions'))
        @($replicas).Count | Should -Be 3
        Add-Captured @(. (Get-GuideCode 'environment-master'))
        $script:master = $master
        $script:replicas = $replicas
        $script:environment = $environment
        $environment.PSObject.TypeNames[0] | Should -Be 'Deserialized.SsoSecret.SsoEnvironmentInfo'
        $environment.Role | Should -Be 'Master'
        $environment.Generation | Should -Be 1
        $environment.MasterFingerprint | Should -Match '^[0-9a-f]{4}(-[0-9a-f]{4}){7}$'
        $environment.MasterPublicKey | Should -BeLike 'ssosecret-master1*'
        $environment.ComputerName | Should -Be $masterName
    }

    It 'pins nothing when the fingerprint given is not the master''s: SsoSecret.FingerprintMismatch' {
        $wrong = ($environment.MasterFingerprint -replace '^.', { if ($_.Value -eq '0') { '1' } else { '0' } })
        $id = try { Join-SsoEnvironment -MasterSession $master -Session $replicas -MasterFingerprint $wrong; 'no error' } catch { Get-ErrorId $_ }
        $id | Should -Be 'SsoSecret.FingerprintMismatch'
        # And on a replica itself (what a relay that altered the key would meet): the replica computes the fingerprint.
        $environmentId = $environment.EnvironmentId
        $line = $environment.MasterPublicKey
        $other = @(Invoke-Command -Session $replicas[0] -ErrorAction SilentlyContinue -ErrorVariable remoteErr -ScriptBlock {
                Join-SsoEnvironment -EnvironmentId $using:environmentId -MasterPublicKey $using:line -MasterFingerprint $using:wrong
            })
        $other | Should -BeNullOrEmpty
        Get-ErrorId $remoteErr[0] | Should -Be 'SsoSecret.FingerprintMismatch'
        (Get-Remote $replicas { Get-SsoEnvironment }).Role | Should -Be @('None', 'None', 'None')
    }

    It 'joins three replicas, each with its own host key, pinned to the master (guide: environment-join)' {
        $shown = @(. (Get-GuideCode 'environment-join'))
        Add-Captured $shown
        $lines = @($shown | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^PSComputerName\s+Role\s+MasterFingerprint\s+HostFingerprint'
        $joined = @(Get-Remote $replicas { Get-SsoEnvironment })
        $joined.Count | Should -Be 3
        foreach ($r in $joined) {
            $r.Role | Should -Be 'Replica'
            $r.MasterFingerprint | Should -Be $environment.MasterFingerprint
            $r.Generation | Should -Be 0
            $r.HostPublicKey | Should -BeLike 'ssosecret-replica1*'
        }
        @($joined.HostFingerprint | Select-Object -Unique).Count | Should -Be 3
    }

    It 'a replica refuses to generate or restore a secret of its own: SsoSecret.StoreIsReplica' {
        # A backup of the master's secret, as armored text (sealed under the password), to restore on the replicas.
        $armored = (Invoke-Command -Session $master -ScriptBlock { Backup-SsoMasterSecret -Armor -Password $using:pw -KdfProfile Interactive }) -join "`n"
        $answers = @(Invoke-Command -Session $replicas -ArgumentList $pw, $armored -ScriptBlock {
                param($pw, $armored)
                $generate = try { New-SsoMasterSecret -BackupPath ~/replica.bak -Password $pw -KdfProfile Interactive -Force; 'none' } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
                $restore = try { Restore-SsoMasterSecret -ArmoredText $armored -Password $pw -Force; 'none' } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
                [pscustomobject]@{ Generate = $generate; Restore = $restore; BackupWritten = (Test-Path ~/replica.bak); Count = @((Get-SsoEnvironment).Secrets).Count }
            })
        $answers.Count | Should -Be 3
        foreach ($answer in $answers) {
            "$($answer.PSComputerName): $($answer.Generate) $($answer.Restore) $($answer.BackupWritten) $($answer.Count)" |
                Should -Be "$($answer.PSComputerName): SsoSecret.StoreIsReplica SsoSecret.StoreIsReplica False 0"
        }
    }

    It 'syncs: every replica installs the master''s ring, generation 1 (guide: environment-sync)' {
        Add-Captured @(. (Get-GuideCode 'environment-sync'))
        @($failed) | Should -BeNullOrEmpty
        $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
        foreach ($r in @(Get-Remote $replicas { Get-SsoEnvironment })) {
            $r.Generation | Should -Be 1
            $r.RingDigest | Should -Be $masterNow.RingDigest
            $r.ActiveSecretId | Should -Be $masterNow.ActiveSecretId
            $r.Secrets | Should -Be $masterNow.Secrets
            $r.LastSync | Should -Not -BeNullOrEmpty
        }
        # Again: nothing to install.
        $again = @(Sync-SsoEnvironment -MasterSession $master -Session $replicas)
        $again.Count | Should -Be 3
        $again.Installed | Should -Be @($false, $false, $false)
        # They come back from the replicas deserialized, and read with the module's view here, plus the host's name.
        $again[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.SsoSecret.SsoRingSyncResult'
        (@($again | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })[0] -replace '\s+', ' ').Trim() | Should -Be 'ComputerName Installed Generation RingDigest ActiveSecretId StagedSecretId PSComputerName'
    }

    It 'opens on every replica a value protected on the master, and on the master a value protected on each replica (guide: environment-values)' {
        $shown = @(. (Get-GuideCode 'environment-values'))
        Add-Captured $shown
        @($shown | Out-String -Stream -Width 250 | Where-Object { $_ -match '\sTrue\s*$' }).Count | Should -Be 3
        $script:FromReplicas = @(foreach ($r in $replicas) { Get-Remote $r { param($name) Protect-SsoData -InputObject "from $name" -Purpose 'app/db' } @($r.ComputerName) })
        $opened = @(Get-Remote $master { param($tokens) foreach ($t in $tokens) { Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } } @(, $FromReplicas))
        ($opened | Sort-Object) | Should -Be @($replicaNames | ForEach-Object { "from $_" } | Sort-Object)
        $script:FromMaster = $token
    }

    It 'a vault entry set on the master through the real SecretManagement reads on every replica after a sync; a replica refuses to change its vault: SsoSecret.StoreIsReplica' -Skip:$NoSecretManagement {
        $before = @(Get-Remote $master { Get-SsoEnvironment })[0].Generation
        Get-Remote $master {
            param($sm, $use)
            & ([scriptblock]::Create($use)) $sm
            $password = ConvertTo-SecureString 'vault-value-on-the-master' -AsPlainText -Force
            Set-Secret -Vault Sso -Name 'Billing/DB' -Secret ([pscredential]::new('DOMAIN\svc-billing', $password)) -Metadata @{ app = 'billing' }
        } @($RealSm, $UseVault.ToString())
        $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
        $masterNow.Generation | Should -Be ($before + 1) -Because 'a vault change raises the generation'
        $masterNow.VaultEntries | Should -Be 1

        $synced = @(Sync-SsoEnvironment -MasterSession $master -Session $replicas)
        Add-Captured $synced
        $synced.Installed | Should -Be @($true, $true, $true)
        $synced.VaultInstalled | Should -Be @($true, $true, $true)
        $synced.VaultDigest | Should -Be (@($masterNow.VaultDigest) * 3)
        Test-VaultEntry $replicas 'vault-value-on-the-master' | Should -Be @($true, $true, $true)
        (Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas | Select-Object -Skip 1).Status | Should -Be @('InSync', 'InSync', 'InSync')

        $refusals = @(Get-Remote $replicas {
            param($sm, $use)
            & ([scriptblock]::Create($use)) $sm
            try { Set-Secret -Vault Sso -Name 'Billing/DB' -Secret 'changed on a replica' -ErrorAction Stop; 'changed' }
            catch { $e = $_.Exception; while ($e -and -not ($e -is [SsoSecret.SsoSecretException])) { $e = $e.InnerException }; if ($e) { $e.ErrorId } else { "$_" } }
        } @($RealSm, $UseVault.ToString()))
        $refusals | Should -Be (@('SsoSecret.StoreIsReplica') * 3)
        Test-VaultEntry $replicas 'vault-value-on-the-master' | Should -Be @($true, $true, $true)
    }

    It 'the health table: the master and three replicas in sync, formatted here with the module''s view (guide: environment-health)' {
        $shown = @(. (Get-GuideCode 'environment-health'))
        Add-Captured $shown
        $rows = @($health)
        $rows.Count | Should -Be 4
        $rows[0].PSObject.TypeNames[0] | Should -Be 'SsoSecret.SsoEnvironmentHealth'
        ($rows | ForEach-Object { "$($_.ComputerName)=$($_.Status)" }) | Should -Be (@("$masterName=Master") + @($replicas | ForEach-Object { "$($_.ComputerName)=InSync" }))
        $rows.AgreesWithMaster | Should -Be @($true, $true, $true, $true)
        $rows[1].Secrets.Count | Should -Be 1
        $lines = @($shown | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^ComputerName\s+Role\s+Status\s+Generation\s+RingDigest\s+ActiveSecretId\s+StagedSecretId\s+Secrets\s+LastSync \(UTC\)'
        # A replica's own description, deserialized here, reads with its view too.
        $remote = @(Get-Remote $replicas[0] { Get-SsoEnvironment })[0]
        (@($remote | Out-String -Stream -Width 250 | Where-Object { $_.Trim() })[0] -replace '\s+', ' ').Trim() | Should -Be 'ComputerName Role Generation MasterFingerprint ActiveSecretId LastSync (UTC) PSComputerName'
    }

    It 'a new secret made at once on the master reaches every replica at the next sync; the replicas are Stale until then; old and new values open everywhere (guide: environment-rotate)' {
        # The generation now: 1, or 2 after the vault's test (a vault change raises it).
        $before = @(Get-Remote $master { Get-SsoEnvironment })[0].Generation
        # A sealed ring of that generation for the first replica, kept to replay later.
        $script:OldRing = (Get-Remote $master { param($line) Export-SsoSealedRing $line } (@(Get-Remote $replicas[0] { Get-SsoEnvironment })[0].HostPublicKey))[0].Data
        $out = @(. (Get-GuideCode 'environment-rotate'))
        Add-Captured $out
        $shown = @($out | Out-String -Stream -Width 250)
        @($shown | Where-Object { $_ -match "\sStale\s+$before\s*$" }).Count | Should -Be 3 -Because "before the sync the replicas lack the master's new secret: $($shown -join "`n")"
        $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
        # One more for the ring, and one more when the vault's entries moved to the new secret.
        $masterNow.Generation | Should -Be ($before + $(if ($masterNow.VaultEntries) { 2 } else { 1 }))
        foreach ($r in @(Get-Remote $replicas { Get-SsoEnvironment })) {
            $r.Generation | Should -Be $masterNow.Generation
            $r.VaultDigest | Should -Be $masterNow.VaultDigest
            $r.RingDigest | Should -Be $masterNow.RingDigest
            $r.ActiveSecretId | Should -Be $masterNow.ActiveSecretId
        }
        # Values protected before the new secret open everywhere; one protected on a replica now opens on the master.
        @(Get-Remote $replicas { param($t) (Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText) -eq 'the database password' } @($FromMaster)) | Should -Be @($true, $true, $true)
        $opened = @(Get-Remote $master { param($tokens) foreach ($t in $tokens) { Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } } @(, $FromReplicas))
        $opened.Count | Should -Be 3
        $fresh = @(Get-Remote $replicas[2] { Protect-SsoData -InputObject 'after the new secret' -Purpose 'app/db' })[0]
        @(Get-Remote $master { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($fresh)) | Should -Be 'after the new secret'
        (Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas).Status | Should -Be @('Master', 'InSync', 'InSync', 'InSync')
    }

    It 'a replica refuses a replayed older ring (SsoSecret.StaleRing), a tampered one (SsoSecret.TamperedSealedRing) and a damaged one (SsoSecret.DamagedSealedRing)' {
        $current = (Get-Remote $master { param($line) Export-SsoSealedRing $line } (@(Get-Remote $replicas[0] { Get-SsoEnvironment })[0].HostPublicKey))[0].Data
        # The generation (offset 28, 8 bytes) raised by one in the last byte, the checksum recomputed: only the signature tells.
        $tampered = [byte[]]$current.Clone()
        $tampered[35] = $tampered[35] + 1
        [System.Security.Cryptography.SHA256]::HashData([byte[]]$tampered[0..($tampered.Length - 33)]).CopyTo($tampered, $tampered.Length - 32)
        $damaged = [byte[]]$current.Clone()
        $damaged[300] = $damaged[300] -bxor 1
        $ids = @(Get-Remote $replicas[0] {
                param($old, $tampered, $damaged)
                foreach ($ring in $old, $tampered, $damaged) {
                    try { $null = Import-SsoSealedRing -SealedRing $ring -ErrorAction Stop; 'installed' } catch { ($_.FullyQualifiedErrorId -split ',')[0] }
                }
                (Get-SsoEnvironment).Generation
            } @($OldRing, $tampered, $damaged))
        $ids | Should -Be @('SsoSecret.StaleRing', 'SsoSecret.TamperedSealedRing', 'SsoSecret.DamagedSealedRing', @(Get-Remote $master { Get-SsoEnvironment })[0].Generation)
        # Sync still works and finds nothing to install.
        @(Sync-SsoEnvironment -MasterSession $master -Session $replicas[0]).Installed | Should -Be @($false)
    }

    It 'a replica that cannot be reached is named by its id in a sync, and is Unreachable in the health table' {
        $gone = New-PSSession -HostName $replicaNames[1] -KeyFilePath $keyFile
        Remove-PSSession $gone
        $err = $null
        $out = @(Sync-SsoEnvironment -MasterSession $master -Session @($replicas[0], $gone) -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 1
        @($err).Count | Should -Be 1
        Get-ErrorId $err[0] | Should -Be 'SsoSecret.HostUnreachable'
        "$($err[0].TargetObject)" | Should -Be $replicaNames[1]
        $health = @(Get-SsoEnvironmentHealth -MasterSession $master -Session @($replicas[0], $gone))
        $health.Status | Should -Be @('Master', 'InSync', 'Unreachable', 'NotChecked', 'NotChecked')
        # The master knows three replicas: the two no session reached are rows of their own, by fingerprint.
        $fingerprints = @(Get-Remote $replicas { Get-SsoEnvironment }).HostFingerprint
        @($health | Where-Object Status -eq 'NotChecked').ComputerName | Sort-Object | Should -Be ($fingerprints | Where-Object { $_ -ne @(Get-Remote $replicas[0] { Get-SsoEnvironment })[0].HostFingerprint } | Sort-Object)
    }

    Context 'A staged rotation with one replica down' {
        BeforeAll {
            # The third replica goes down: its session's process on the host ends, and the session breaks.
            $script:Down = $replicas[2]
            $script:DownName = $Down.ComputerName
            $script:Up = @($replicas[0], $replicas[1])
            try { Invoke-Command -Session $Down -ScriptBlock { Stop-Process -Id $PID -Force } -ErrorAction Stop } catch { }
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ($Down.State -eq 'Opened' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
            $script:OldActive = @(Get-Remote $master { Get-SsoEnvironment })[0].ActiveSecretId
            $script:During = @{}
        }

        It 'the session to the replica that is down is broken' {
            "$($Down.State)" | Should -Not -Be 'Opened'
        }

        It 'stages a secret on the master and brings it to every replica that is up; the one that is down is named (guide: environment-stage)' {
            $out = @(. (Get-GuideCode 'environment-stage'))
            Add-Captured $out
            @($failed).Count | Should -Be 1
            Get-ErrorId $failed[0] | Should -Be 'SsoSecret.HostUnreachable'
            "$($failed[0].TargetObject)" | Should -Be $DownName
            $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $masterNow.StagedSecretId | Should -Not -BeNullOrEmpty
            $masterNow.ActiveSecretId | Should -Be $OldActive
            $script:Staged = $masterNow.StagedSecretId
            foreach ($r in @(Get-Remote $Up { Get-SsoEnvironment })) {
                $r.StagedSecretId | Should -Be $Staged
                $r.ActiveSecretId | Should -Be $OldActive
                $r.RingDigest | Should -Be $masterNow.RingDigest
            }
        }

        It 'while the secret is staged, every server protects under the old one, and each value opens on every server in sync' {
            $hosts = @($master) + $Up
            foreach ($h in $hosts) { $During[$h.ComputerName] = @(Get-Remote $h { param($n) Protect-SsoData -InputObject "during from $n" -Purpose 'app/db' } @($h.ComputerName))[0] }
            foreach ($h in $hosts) {
                foreach ($from in $During.Keys) {
                    @(Get-Remote $h { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($During[$from])) | Should -Be "during from $from" -Because "$from's value opens on $($h.ComputerName)"
                }
            }
        }

        It 'does not activate while a replica is down: SsoSecret.ReplicaNotReady names it, and nothing changes (guide: environment-activate)' {
            $out = @(. (Get-GuideCode 'environment-activate'))
            Add-Captured $out
            "$out" | Should -Match ([regex]::Escape($DownName))
            "$out" | Should -Match 'was not activated'
            $id = try { Enable-SsoStagedSecret -MasterSession $master -Session $replicas; 'activated' } catch { Get-ErrorId $_ }
            $id | Should -Be 'SsoSecret.ReplicaNotReady'
            $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $masterNow.ActiveSecretId | Should -Be $OldActive
            $masterNow.StagedSecretId | Should -Be $Staged
        }

        It 'does not activate when the replica that is down is left out of -Session either: the master wants a confirmation from every replica it has sealed its ring to, and names its fingerprint' {
            $known = @(Get-Remote $master { Get-SsoEnvironment })[0].Replicas
            $known.Count | Should -Be 3
            $upFingerprints = @(Get-Remote $Up { Get-SsoEnvironment }).HostFingerprint
            $missing = @($known | Where-Object { $_ -notin $upFingerprints })
            $missing.Count | Should -Be 1
            $refusal = try { Enable-SsoStagedSecret -MasterSession $master -Session $Up -ErrorAction Stop; $null } catch { $_ }
            Get-ErrorId $refusal | Should -Be 'SsoSecret.ReplicaNotReady'
            "$($refusal.Exception.Message)" | Should -Match ([regex]::Escape($missing[0]))
            # A confirmation the administrator's machine makes up is no confirmation: the master refuses it too.
            $forged = @{}
            foreach ($fingerprint in $known) { $forged[$fingerprint] = 'ab' * 32 }
            $id = Get-Remote $master { param($id, $table) try { $null = Enable-SsoStagedSecret -SecretId $id -Confirmation $table -ErrorAction Stop; 'activated' } catch { ($_.FullyQualifiedErrorId -split ',')[0] } } @($Staged, $forged)
            $id | Should -Be 'SsoSecret.ReplicaNotReady'
            $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $masterNow.ActiveSecretId | Should -Be $OldActive
            $masterNow.StagedSecretId | Should -Be $Staged
        }

        It 'activates past it with -Force: the others get the new ring, the warning names it, the health table says Unreachable (guide: environment-activate-force)' {
            $out = @(. (Get-GuideCode 'environment-activate-force'))
            Add-Captured $out
            @($stale).Count | Should -Be 1
            "$($stale[0])" | Should -Match ([regex]::Escape($DownName))
            $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $masterNow.ActiveSecretId | Should -Be $Staged
            $masterNow.StagedSecretId | Should -BeNullOrEmpty
            foreach ($r in @(Get-Remote $Up { Get-SsoEnvironment })) {
                $r.ActiveSecretId | Should -Be $Staged
                $r.RingDigest | Should -Be $masterNow.RingDigest
            }
            $rows = @(Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas)
            ($rows | Where-Object ComputerName -eq $DownName).Status | Should -Be 'Unreachable'
            @($rows | Where-Object Status -eq 'InSync').Count | Should -Be 2
        }

        It 'after the activation, every value opens on every server in sync: the ones protected during the rotation and new ones under the new secret' {
            $hosts = @($master) + $Up
            $after = @{}
            foreach ($h in $hosts) { $after[$h.ComputerName] = @(Get-Remote $h { param($n) Protect-SsoData -InputObject "after from $n" -Purpose 'app/db' } @($h.ComputerName))[0] }
            foreach ($h in $hosts) {
                foreach ($from in $During.Keys) { @(Get-Remote $h { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($During[$from])) | Should -Be "during from $from" }
                foreach ($from in $after.Keys) { @(Get-Remote $h { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($after[$from])) | Should -Be "after from $from" }
            }
            $script:After = $after
        }

        It 'heals when it returns: Stale in the health table until a sync brings it the ring, then InSync, and every value opens there (guide: environment-heal)' {
            $broken = $replicas
            $out = @(. (Get-GuideCode 'environment-heal'))
            Add-Captured $out
            foreach ($s in $broken) { Remove-PSSession $s -ErrorAction Ignore }
            $script:replicas = $replicas
            $text = @($out | Out-String -Stream -Width 250)
            @($text | Where-Object { $_ -match "^$([regex]::Escape($DownName))\s+Stale\s" }).Count | Should -Be 1 -Because "before its sync it lacks the active secret: $($text -join "`n")"
            (Get-SsoEnvironmentHealth -MasterSession $master -Session $replicas).Status | Should -Be @('Master', 'InSync', 'InSync', 'InSync')
            $back = @($replicas | Where-Object ComputerName -eq $DownName)[0]
            foreach ($values in $During, $After) {
                foreach ($from in $values.Keys) {
                    $expected = if ($values -eq $During) { "during from $from" } else { "after from $from" }
                    @(Get-Remote $back { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($values[$from])) | Should -Be $expected
                }
            }
        }
    }

    Context 'Retiring the replaced secrets' {
        BeforeAll {
            # For the last check only: the secrets before they are retired (test-only route, see Get-MasterSecretHex).
            $script:RingSecrets = @(Get-MasterSecretHex)
        }

        It 'retires nothing while a replica cannot be reached: SsoSecret.ReplicaNotReady names it' {
            $victim = $replicas[1]
            $script:VictimName = $victim.ComputerName
            try { Invoke-Command -Session $victim -ScriptBlock { Stop-Process -Id $PID -Force } -ErrorAction Stop } catch { }
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ($victim.State -eq 'Opened' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
            $before = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $old = @(Invoke-Command -Session $master { (Get-SsoMasterSecret -WarningAction SilentlyContinue).PreviousSecrets.SecretId })
            $old.Count | Should -Be 2
            $err = try { Remove-SsoPreviousSecret -SecretId $old -MasterSession $master -Session $replicas -Force; $null } catch { $_ }
            Get-ErrorId $err | Should -Be 'SsoSecret.ReplicaNotReady'
            $err.Exception.Message | Should -Match ([regex]::Escape($VictimName))
            $err.Exception.Message | Should -Match 'Nothing was retired'
            $after = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $after.Secrets | Should -Be $before.Secrets
            $after.Generation | Should -Be $before.Generation
            Remove-PSSession $victim
            $script:replicas = @($replicas | Where-Object ComputerName -ne $VictimName) + @(New-PSSession -HostName $VictimName -KeyFilePath $keyFile)
        }

        It 'retires them on the master and on every replica once all hold the master''s ring; their values then open nowhere (guide: environment-retire)' {
            $out = @(. (Get-GuideCode 'environment-retire'))
            Add-Captured $out
            @($out | Out-String -Stream -Width 250 | Where-Object { $_ -match '\sTrue\s' }).Count | Should -Be 3 -Because 'every replica installs the ring without them'
            $masterNow = @(Get-Remote $master { Get-SsoEnvironment })[0]
            $masterNow.Secrets.Count | Should -Be 1
            foreach ($r in @(Get-Remote $replicas { Get-SsoEnvironment })) {
                $r.RingDigest | Should -Be $masterNow.RingDigest
                $r.Secrets | Should -Be $masterNow.Secrets
            }
            # A value protected under the first secret (before any rotation) opens nowhere now; one under the active does.
            $ids = @(Get-Remote (@($master) + @($replicas)) { param($t) try { $null = Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText -ErrorAction Stop; 'opened' } catch { ($_.FullyQualifiedErrorId -split ',')[0] } } @($FromMaster))
            $ids | Should -Be (@('SsoSecret.UnknownSecret') * 4)
            $fromMasterNow = @($After.Values)[0]
            @(Get-Remote $replicas { param($t) Unprotect-SsoData $t -Purpose 'app/db' -AsPlainText } @($fromMasterNow)).Count | Should -Be 3
            # The vault's entry moved to the new secret on the master (activation, then retirement), and every replica
            # holds the moved vault: it reads everywhere still.
            if (-not $NoSecretManagement) {
                Test-VaultEntry (@($master) + @($replicas)) 'vault-value-on-the-master' | Should -Be @($true, $true, $true, $true)
            }
        }
    }

    It 'the administrator''s process never held a secret: none of the ring''s secrets, in hex or base64, came back to it or is in a file it wrote' {
        $captures = Join-Path $TestDrive 'captured.clixml'
        $Captured | Export-Clixml -LiteralPath $captures -Depth 5
        $text = (Get-Content -LiteralPath $captures -Raw) + ($Captured | Out-String -Width 400)
        $written = @(Get-ChildItem -LiteralPath $TestDrive -Recurse -File | Where-Object FullName -ne $captures | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw })

        # Every secret the master's ring held: read before the retirement (RingSecrets) and now, on the master.
        $secrets = @(@($RingSecrets) + @(Get-MasterSecretHex) | Select-Object -Unique)
        $secrets.Count | Should -Be 3 -Because 'the master held the first secret, the one made at once and the staged one, now active'
        foreach ($hex in $secrets) {
            $bytes = [Convert]::FromHexString($hex)
            $forms = @($hex.ToLowerInvariant(), $hex.ToUpperInvariant(), [Convert]::ToBase64String($bytes), [Convert]::ToBase64String($bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'))
            foreach ($form in $forms) {
                $text.Contains($form) | Should -BeFalse -Because 'nothing that came back to this process holds a secret'
                foreach ($file in $written) { "$file".Contains($form) | Should -BeFalse -Because 'no file this process wrote holds a secret' }
            }
        }
        $Captured.Count | Should -BeGreaterThan 20
    }

    It 'ran every environment-* block of the guide' {
        @($Guide.Keys | Where-Object { $_ -like 'environment-*' -and -not $BlocksRun.Contains($_) }) | Should -BeNullOrEmpty
    }

    It 'leaves nothing of its fleet behind' {
        Get-PSSession | Remove-PSSession -ErrorAction Ignore
        $left = @(Stop-SsoFleet -Fleet $Fleet)
        $script:Fleet = $null
        $left | Should -BeNullOrEmpty
    }
}
