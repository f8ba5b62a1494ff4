# A property test of the key ring through the built module (issue 24): seeded random sequences of the lifecycle's
# commands over one store, one backup folder and one folder of application files -- New-SsoMasterSecret -Force (to
# the same path as before or a new one), Backup-SsoMasterSecret (the current or an earlier secret, to an existing file
# with -Force or a new one), Restore-SsoMasterSecret -Force (from any backup on disk), DSC's SsoMasterSecretBackup
# Set(), Protect-SsoData, Update-SsoProtectedData (the rewrap) and Remove-SsoPreviousSecret (with the application's
# files, or without: an explicit retirement) -- and after every step:
#   - the store's ring is the model's (which secrets, which is current): nothing was dropped implicitly;
#   - every value protected under a secret not explicitly retired opens to what was protected, and a value that does
#     not open fails with UnknownSecret naming a retired secret;
#   - for every secret of the ring, a backup on disk opens with the password and holds that secret;
#   - every refusal is the one the model expects (BackupStillNeeded, SecretStillInUse, UnknownSecret), and changes
#     nothing.
# At the end of each sequence, each secret of the ring is restored from the disk into an empty store.
#
# $env:SSOSECRET_RING_SEQUENCES sets how many sequences run (25 by default, as CI runs it; the issue's full run is
# 1,000), $env:SSOSECRET_RING_SEED the first seed (sequence i uses seed + i). A failure names its seed, sequence and
# step, and the steps before it, so that it can be run again alone.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Set-KdfFloorWaiver $true
    $script:OutFolder = Split-Path (Split-Path $env:SSOSECRET_TEST_MODULE)
    $script:SavedModulePath = $env:PSModulePath
    $env:PSModulePath = $OutFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module (Join-Path $OutFolder 'SsoSecretDsc/SsoSecretDsc.psd1') -Force
    $script:Credential = [pscredential]::new('ignored', $Password)
    $script:Sequences = if ($env:SSOSECRET_RING_SEQUENCES) { [int]$env:SSOSECRET_RING_SEQUENCES } else { 25 }
    $script:Seed = if ($env:SSOSECRET_RING_SEED) { [int]$env:SSOSECRET_RING_SEED } else { 240024 }
    $script:Steps = 20
    $core = Get-CoreAssembly
    $script:ReadHeader = $core.GetType('SsoSecret.ProtectedData').GetMethod('ReadHeader', [System.Reflection.BindingFlags]'NonPublic, Static')

    function Get-ValueSecretId([string] $Text) {
        $header = $ReadHeader.Invoke($null, @($Text))
        $header.GetType().GetProperty('SecretId', [System.Reflection.BindingFlags]'NonPublic, Instance').GetValue($header)
    }

    function Get-Backups([string] $Folder) {
        # Every backup file on disk: path -> the secret id its header names.
        $map = @{}
        foreach ($file in Get-ChildItem -LiteralPath $Folder -File -Filter '*.bak') { $map[$file.FullName] = (Get-SsoSecretBackupInfo -LiteralPath $file.FullName).SecretId }
        $map
    }

    function Get-Refused([scriptblock] $Command) {
        try { & $Command; $null } catch { $_ }
    }
}

AfterAll {
    $env:PSModulePath = $SavedModulePath
    Set-KdfFloorWaiver $false
    Restore-TestEnvironment
}

Describe 'Random sequences of the lifecycle never lose a secret that is not explicitly retired' {
    It 'holds for seeded sequences of 20 steps ($env:SSOSECRET_RING_SEQUENCES of them, 25 by default)' {
        $Count = $Sequences
        $verified = @{} # backup file digest -> the fingerprint it opened to (a file not changed since is not opened again)
        $stepsRun = 0
        $refusals = @{}
        for ($sequence = 0; $sequence -lt $Count; $sequence++) {
            $random = [System.Random]::new($Seed + $sequence)
            $root = New-TestFolder "seq$sequence"
            $store = Join-Path $root 'store'
            $backups = Join-Path $root 'backups'
            $apps = Join-Path $root 'apps'
            $null = New-Item -ItemType Directory -Path $backups, $apps
            $ring = [System.Collections.Generic.List[guid]]::new() # the model: the current secret first
            $retired = [System.Collections.Generic.HashSet[guid]]::new()
            $values = [System.Collections.Generic.List[object]]::new()
            $fingerprints = @{}
            $log = [System.Collections.Generic.List[string]]::new()
            $counter = 0
            $first = New-SsoMasterSecret -BackupPath (Join-Path $backups 'master.bak') -StorePath $store -Password $Password -KdfParameters $TinyKdf -PassThru
            $ring.Add($first.SecretId)
            $fingerprints[$first.SecretId] = $first.Fingerprint

            for ($step = 1; $step -le $Steps; $step++) {
                $counter++
                $onDisk = Get-Backups $backups
                $files = @($onDisk.Keys | Sort-Object)
                $kind = $random.Next(8)
                $what = ''
                $expected = $null
                $refusal = $null
                switch ($kind) {
                    0 {
                        # New -Force: the same path as the first backup (the cron line) or a new dated one.
                        $path = if ($random.Next(2) -eq 0) { Join-Path $backups 'master.bak' } else { Join-Path $backups "new-$counter.bak" }
                        $what = "New -Force '$(Split-Path -Leaf $path)'"
                        if ($onDisk.ContainsKey($path) -and $ring.Contains($onDisk[$path])) { $expected = 'BackupStillNeeded' }
                        $refusal = Get-Refused { $script:made = New-SsoMasterSecret -BackupPath $path -StorePath $store -Password $Password -KdfParameters $TinyKdf -Force -PassThru -ErrorAction Stop }
                        if (-not $refusal) { $ring.Insert(0, $made.SecretId); $fingerprints[$made.SecretId] = $made.Fingerprint }
                    }
                    1 {
                        # Backup: the current secret or an earlier one, over an existing file (-Force) or to a new one.
                        $secret = $ring[$random.Next($ring.Count)]
                        $path = if ($files.Count -gt 0 -and $random.Next(2) -eq 0) { $files[$random.Next($files.Count)] } else { Join-Path $backups "copy-$counter.bak" }
                        $what = "Backup -SecretId $secret -Force '$(Split-Path -Leaf $path)'"
                        if ($onDisk.ContainsKey($path) -and $onDisk[$path] -ne $secret -and $ring.Contains($onDisk[$path])) { $expected = 'BackupStillNeeded' }
                        $refusal = Get-Refused { Backup-SsoMasterSecret -Path $path -SecretId $secret -StorePath $store -Password $Password -KdfParameters $TinyKdf -Force -ErrorAction Stop }
                    }
                    2 {
                        # Restore -Force from any backup on disk: its secret becomes current (back into the ring if retired).
                        $path = $files[$random.Next($files.Count)]
                        $what = "Restore -Force '$(Split-Path -Leaf $path)'"
                        $refusal = Get-Refused { Restore-SsoMasterSecret -LiteralPath $path -Password $Password -StorePath $store -Force -ErrorAction Stop 6>$null }
                        if (-not $refusal) {
                            $id = $onDisk[$path]
                            [void]$ring.Remove($id)
                            $ring.Insert(0, $id)
                            [void]$retired.Remove($id)
                        }
                    }
                    3 {
                        # DSC: SsoMasterSecretBackup watching an existing file or a new one.
                        $path = if ($files.Count -gt 0 -and $random.Next(3) -ne 0) { $files[$random.Next($files.Count)] } else { Join-Path $backups "dsc-$counter.bak" }
                        $what = "DSC Set '$(Split-Path -Leaf $path)'"
                        if ($onDisk.ContainsKey($path) -and $onDisk[$path] -ne $ring[0] -and $ring.Contains($onDisk[$path])) { $expected = 'BackupStillNeeded' }
                        $resource = & (Get-Module SsoSecretDsc) ([scriptblock]::Create('[SsoMasterSecretBackup]::new()'))
                        $resource.Path = $path
                        $resource.StorePath = $store
                        $resource.Credential = $Credential
                        $resource.KdfProfile = 'Interactive'
                        $refusal = Get-Refused { $resource.Set() }
                    }
                    { $_ -in 4, 5 } {
                        # Protect a value into an application file (a new file, or one more line of an existing one).
                        $file = Join-Path $apps ("app{0}.conf" -f $random.Next(3))
                        $plain = "secret-$sequence-$counter"
                        $what = "Protect into '$(Split-Path -Leaf $file)'"
                        $text = $plain | Protect-SsoData -Purpose 'app/db' -StorePath $store
                        Add-Content -LiteralPath $file -Value "key$counter = $text"
                        $values.Add([pscustomobject]@{ File = $file; Key = "key$counter"; Plain = $plain })
                    }
                    6 {
                        # Rewrap an application file: refused (UnknownSecret, the file unchanged) when one of its values is under a retired secret.
                        $file = Join-Path $apps ("app{0}.conf" -f $random.Next(3))
                        $what = "Rewrap '$(Split-Path -Leaf $file)'"
                        if (-not (Test-Path $file)) { $what += ' (no such file: skipped)'; break }
                        foreach ($line in Get-Content -LiteralPath $file) {
                            if (-not $ring.Contains((Get-ValueSecretId ($line -split ' = ')[1]))) { $expected = 'UnknownSecret' }
                        }
                        $refusal = Get-Refused { Update-SsoProtectedData -LiteralPath $file -Purpose 'app/db' -StorePath $store -ErrorAction Stop }
                    }
                    7 {
                        # Retire an earlier secret: mostly checked against the application's files, sometimes not (explicit).
                        if ($ring.Count -lt 2) { $what = 'Retire (no earlier secret: skipped)'; break }
                        $secret = $ring[1 + $random.Next($ring.Count - 1)]
                        $checked = $random.Next(5) -ne 0
                        $what = "Retire $secret$(if ($checked) { ' -ProtectedDataPath apps' })"
                        if ($checked) {
                            # A wildcard that matches no file is an error (a mistyped path checks nothing), and retires nothing.
                            if (-not (Get-ChildItem -LiteralPath $apps -File)) { $expected = 'FileNotFound' }
                            foreach ($file in Get-ChildItem -LiteralPath $apps -File) {
                                foreach ($line in Get-Content -LiteralPath $file.FullName) {
                                    if ((Get-ValueSecretId ($line -split ' = ')[1]) -eq $secret) { $expected = 'SecretStillInUse' }
                                }
                            }
                            $refusal = Get-Refused { Remove-SsoPreviousSecret -SecretId $secret -ProtectedDataPath (Join-Path $apps '*') -StorePath $store -Force -ErrorAction Stop }
                        }
                        else {
                            $refusal = Get-Refused { Remove-SsoPreviousSecret -SecretId $secret -StorePath $store -Force -ErrorAction Stop }
                        }

                        if (-not $refusal) { [void]$ring.Remove($secret); [void]$retired.Add($secret) }
                    }
                }

                $log.Add("$step. $what$(if ($refusal) { " -> $($refusal.FullyQualifiedErrorId.Split(',')[0])" })")
                $where = "seed $($Seed + $sequence) (sequence $sequence), after:`n$($log -join "`n")"
                $got = if ($refusal) { $refusal.FullyQualifiedErrorId.Split(',')[0] -replace '^SsoSecret\.' } else { $null }
                $got | Should -Be $expected -Because "the step's outcome is the model's ($where)"
                if ($got) { $refusals[$got] = 1 + [int]$refusals[$got] }

                # The ring is the model's: nothing dropped implicitly, the current secret the one expected.
                $info = Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue
                @(@($info.SecretId) + @($info.PreviousSecrets | ForEach-Object SecretId)) | Should -Be @($ring) -Because "the store's ring ($where)"

                # Every value under a secret not explicitly retired opens; one that does not names a retired secret.
                foreach ($value in $values) {
                    $text = (@(Get-Content -LiteralPath $value.File) -match "^$($value.Key) = ")[0] -split ' = ' | Select-Object -Last 1
                    $opened = $text | Unprotect-SsoData -Purpose 'app/db' -StorePath $store -AsPlainText -ErrorVariable failed -ErrorAction SilentlyContinue
                    if ($failed) {
                        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.UnknownSecret,*' -Because "$($value.Key) ($where)"
                        $retired.Contains($failed[0].Exception.SecretId) | Should -BeTrue -Because "$($value.Key) is under $($failed[0].Exception.SecretId), which was not retired ($where)"
                    }
                    else {
                        $opened | Should -BeExactly $value.Plain -Because "$($value.Key) ($where)"
                    }
                }

                # Every secret of the ring has a backup on disk that opens with the password and holds it.
                $openedTo = @{}
                foreach ($file in Get-ChildItem -LiteralPath $backups -File -Filter '*.bak') {
                    $digest = (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash
                    if (-not $verified.ContainsKey($digest)) {
                        $result = Test-SsoSecretBackup -LiteralPath $file.FullName -Password $Password -Detailed -StorePath $store
                        $result.Status | Should -Be 'Valid' -Because "'$($file.Name)' ($where)"
                        $verified[$digest] = "$($result.SecretId) $($result.Fingerprint)"
                    }

                    $openedTo[$verified[$digest]] = $file.FullName
                }

                foreach ($id in $ring) {
                    $openedTo.ContainsKey("$id $($fingerprints[$id])") | Should -BeTrue -Because "secret $id of the ring needs a backup on disk ($where)"
                }

                $stepsRun++
            }

            # Each secret of the ring restores from the disk into an empty store.
            foreach ($id in $ring) {
                $empty = Join-Path $root "empty-$id"
                $path = $openedTo["$id $($fingerprints[$id])"]
                $restored = Restore-SsoMasterSecret -LiteralPath $path -Password $Password -StorePath $empty -PassThru -Confirm:$false
                $restored.Fingerprint | Should -Be $fingerprints[$id] -Because "restored from '$path' (seed $($Seed + $sequence))"
            }

            Remove-Item -LiteralPath $root -Recurse -Force
        }

        $stepsRun | Should -Be ($Count * $Steps)
        Write-Host ("{0} sequences, {1} steps from seed {2}; refusals met: {3}" -f $Count, $stepsRun, $Seed, (($refusals.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Value)" }) -join ', '))
    }
}
