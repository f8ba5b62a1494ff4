# Another local user must never get in (issue 19). Run as root, as CI runs: the suite creates a second, unprivileged
# account (useradd), lets it prepare files as an attacker on the same machine would (runuser), and checks that every
# command of the built module refuses them with its own error id and changes nothing. Then the special files (a FIFO,
# a device, a socket) that would make a read wait, and a store on a full disk (a small tmpfs the suite mounts). Without
# root, or without useradd/runuser/mount, every test is skipped with the reason.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # Backups with a 64 KiB KDF: this suite is about files and accounts, not the KDF.
    Set-KdfFloorWaiver $true

    # The other user: an account of this run's own (TestHelpers.ps1), or the reason there can be none here.
    $account = New-TestAccount
    $script:Reason = $account.Reason
    $script:User = $account.Name
    $script:Uid = $account.Uid

    # Runs a shell command as the other user; returns its exit code (output on the host for the record).
    function Invoke-AsOther([string] $Command) {
        runuser -u $User -- /bin/sh -c $Command 2>&1 | Out-Host
        $LASTEXITCODE
    }

    function Add-VaultEntry {
        # Sets a vault entry as SecretManagement's Set-Secret does: the extension's engine, with this function's PSCmdlet.
        [CmdletBinding()]
        param([string] $Store, [string] $Name, [string] $Value)
        [SsoSecret.VaultExtension]::SetSecret($PSCmdlet, $Name, $Value, @{ StorePath = $Store }, $null)
    }

    function Get-Mode([string] $Path) { [Convert]::ToString((Get-Item -LiteralPath $Path -Force).UnixFileMode.value__ -band 0xFFF, 8) }

    if (-not $Reason) {
        # A folder every user can write, sticky, as /tmp; and a folder of the other user's own.
        $script:Shared = New-TestFolder 'shared'
        chmod 1777 $Shared
        $script:Theirs = New-TestFolder 'theirs'
        chown $User $Theirs
        # A store of root's with a backup, to copy from.
        $script:Seed = New-TestFolder 'seed'
        $script:Secret = New-TestSecret -StorePath "$Seed/store" -BackupPath "$Seed/seed.bak" -KdfParameters $TinyKdf
    }
}

AfterAll {
    Remove-TestAccount $script:User
    Set-KdfFloorWaiver $false
    Restore-TestEnvironment
}

Describe 'A store another user could have written is refused' {
    It 'her empty 0700 folder in a shared folder: New-SsoMasterSecret refuses it (StoreNotOwned), names her, writes nothing' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        (Invoke-AsOther "mkdir -m 700 '$Shared/trap'") | Should -Be 0
        $backup = Join-Path (New-TestFolder 'out') 'new.bak'
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath $backup -StorePath "$Shared/trap" -Password $Password -KdfParameters $TinyKdf -Force }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreNotOwned,*'
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.TargetObject | Should -Be "$Shared/trap"
        $caught.Exception.Message | Should -BeLike "*'$Shared/trap' belongs to $User (uid $Uid), not to this account*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike '*Do not use this store*'
        Test-Path $backup | Should -BeFalse -Because 'nothing is written for a store that is refused'
        @(Get-ChildItem "$Shared/trap" -Force) | Should -BeNullOrEmpty
    }

    It 'her folder holding a well-formed store file: no command reads her secret' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        (Invoke-AsOther "mkdir -m 700 '$Shared/forged'") | Should -Be 0
        # A valid store file (the format is documented), hers: here a copy of root's seed store, given to her.
        Copy-Item "$Seed/store/master-secret.dat" "$Shared/forged/"
        chown $User "$Shared/forged/master-secret.dat"
        chmod 600 "$Shared/forged/master-secret.dat"
        $out = New-TestFolder 'out'
        foreach ($command in @(
                { Get-SsoMasterSecret -StorePath "$Shared/forged" }
                { Backup-SsoMasterSecret "$out/b.bak" -StorePath "$Shared/forged" -Password $Password -KdfParameters $TinyKdf }
                { Restore-SsoMasterSecret "$Seed/seed.bak" -StorePath "$Shared/forged" -Password $Password -Force })) {
            (Get-Refusal $command).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreNotOwned,*'
        }
        Test-Path "$out/b.bak" | Should -BeFalse
        $result = Test-SsoSecretBackup "$Seed/seed.bak" -Password $Password -StorePath "$Shared/forged" -Detailed -WarningVariable warnings -WarningAction SilentlyContinue
        $result.MatchesCurrentSecret | Should -BeNullOrEmpty -Because 'her store is not compared with'
        "$warnings" | Should -BeLike '*belongs to*'
    }

    It 'root''s own store inside her folder: refused before she renames it (the folder on the path is hers)' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = "$Theirs/store"
        (Get-Refusal { New-SsoMasterSecret -BackupPath "$Seed/in-theirs.bak" -StorePath $store -Password $Password -KdfParameters $TinyKdf }).Exception.Message |
            Should -BeLike "*The folder '$Theirs' on the path of the secret store '$store' belongs to $User*"
        Test-Path $store | Should -BeFalse -Because 'nothing is created below her folder'
        # Why: she can rename anything in her folder, a store of root's included.
        New-Item -ItemType Directory $store | Out-Null
        chmod 700 $store
        (Invoke-AsOther "mv '$store' '$Theirs/moved' && mkdir -m 700 '$store'") | Should -Be 0
        (Get-Refusal { Get-SsoMasterSecret -StorePath $store }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreNotOwned,*'
    }

    It 'root''s store in the sticky shared folder is used, and she cannot rename it' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = "$Shared/rootstore"
        $info = New-TestSecret -StorePath $store -BackupPath (Join-Path (New-TestFolder 'out') 'sticky.bak') -KdfParameters $TinyKdf
        (Invoke-AsOther "mv '$store' '$Shared/stolen'") | Should -Not -Be 0
        (Invoke-AsOther "rm -rf '$store'") | Should -Not -Be 0
        (Get-SsoMasterSecret -StorePath $store).SecretId | Should -Be $info.SecretId
    }

    It 'a folder on the path that others can write and is not sticky: StorePathInsecure, naming it and the fix' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $open = New-TestFolder 'open'
        chmod 777 $open
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath "$Seed/open.bak" -StorePath "$open/store" -Password $Password -KdfParameters $TinyKdf }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StorePathInsecure,*'
        $caught.TargetObject | Should -Be $open
        $caught.Exception.Message | Should -BeLike "*'$open'*(mode 777) and is not sticky*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike "*chmod go-w '$open'*"
        Test-Path "$open/store" | Should -BeFalse
        Test-Path "$Seed/open.bak" | Should -BeFalse
        # Why: she could rename a store of root's there.
        New-Item -ItemType Directory "$open/store" | Out-Null
        (Invoke-AsOther "mv '$open/store' '$open/taken'") | Should -Be 0
    }

    It 'her link in the shared folder, pointing at root''s good store, is not followed' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        (Invoke-AsOther "ln -s '$Seed/store' '$Shared/mylink'") | Should -Be 0
        $caught = Get-Refusal { Get-SsoMasterSecret -StorePath "$Shared/mylink" }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreNotOwned,*'
        $caught.Exception.Message | Should -BeLike "*The symbolic link '$Shared/mylink' on the path*belongs to $User*"
    }

    It '<Name> of hers in root''s store: StoreNotOwned from every store command' -ForEach @(
        @{ Name = 'the store file'; File = 'master-secret.dat' }
        @{ Name = 'the lock file'; File = 'store.lock' }
        @{ Name = 'the vault file'; File = 'vault.dat' }
        @{ Name = 'the store folder'; File = '' }
    ) {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = Copy-TestStore "$Seed/store"
        Add-VaultEntry $store 'billing/db' 'root-only value'
        $target = if ($File) { "$store/$File" } else { $store }
        chown $User $target
        $before = Get-FolderSnapshot $store
        foreach ($command in @(
                { Get-SsoMasterSecret -StorePath $store }
                { Backup-SsoMasterSecret "$store-x.bak" -StorePath $store -Password $Password -KdfParameters $TinyKdf }
                { Restore-SsoMasterSecret "$Seed/seed.bak" -StorePath $store -Password $Password -Force }
                { New-SsoMasterSecret -BackupPath "$store-x.bak" -StorePath $store -Password $Password -KdfParameters $TinyKdf -Force }
                { Export-SsoVault -Path "$store-x.ssovault" -StorePath $store }
                { Add-VaultEntry $store 'billing/other' 'x' -ErrorAction Stop })) {
            $caught = Get-Refusal $command
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreNotOwned,*'
            $caught.TargetObject | Should -Be $target
            $caught.Exception.Message | Should -Not -BeLike '*chmod*'
        }
        Get-FolderSnapshot $store | Should -Be $before
        Test-Path "$store-x.bak" | Should -BeFalse
        Test-Path "$store-x.ssovault" | Should -BeFalse
    }

    It 'a vault file that is a link to a root-only file: refused, never read, never written through' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = Copy-TestStore "$Seed/store"
        $shadow = Join-Path (New-TestFolder 'etc-vault') 'shadow'
        Set-Content -LiteralPath $shadow -Value 'root:*:19000:0:99999:7:::'
        chmod 640 $shadow
        ln -s $shadow "$store/vault.dat"
        foreach ($command in @(
                { Get-SsoMasterSecret -StorePath $store }
                { Add-VaultEntry $store 'billing/db' 'x' -ErrorAction Stop }
                { Export-SsoVault -Path "$store-v.ssovault" -StorePath $store })) {
            $caught = Get-Refusal $command
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreFileNotRegular,*'
            $caught.Exception.Message | Should -BeLike "*'$store/vault.dat' is a symbolic link (to '$shadow')*"
        }
        Get-Content -LiteralPath $shadow | Should -Be 'root:*:19000:0:99999:7:::'
        Get-Mode $shadow | Should -Be '640'
    }

    It 'a store file that is a link to a root-only file (as /etc/shadow): refused, never read, no chmod advised' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = Copy-TestStore "$Seed/store"
        $shadow = Join-Path (New-TestFolder 'etc') 'shadow'
        Set-Content -LiteralPath $shadow -Value 'root:*:19000:0:99999:7:::'
        chmod 640 $shadow
        Remove-Item "$store/master-secret.dat"
        ln -s $shadow "$store/master-secret.dat"
        $caught = Get-Refusal { Get-SsoMasterSecret -StorePath $store }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreFileNotRegular,*'
        $caught.Exception.Message | Should -BeLike "*'$store/master-secret.dat' is a symbolic link (to '$shadow')*"
        $caught.Exception.Message | Should -Not -BeLike '*chmod*'
        $caught.ErrorDetails.RecommendedAction | Should -Not -BeLike '*chmod*'
        Get-Mode $shadow | Should -Be '640'
    }

    It 'a lock file that is a dangling link: a clear refusal, not "could not find file"' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $store = Copy-TestStore "$Seed/store"
        Remove-Item "$store/store.lock"
        ln -s "$store/nowhere" "$store/store.lock"
        $caught = Get-Refusal { Backup-SsoMasterSecret "$store-lock.bak" -StorePath $store -Password $Password -KdfParameters $TinyKdf }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreFileNotRegular,*'
        $caught.Exception.Message | Should -BeLike "*'$store/store.lock' is a symbolic link*"
        Test-Path "$store/nowhere" | Should -BeFalse -Because 'a link is never followed, not even to create its target'
        Test-Path "$store-lock.bak" | Should -BeFalse
    }
}

Describe 'Special files are refused before they are opened' {
    BeforeAll {
        if (-not $Reason) {
            # Her folder of backups: two good ones, her FIFO, a link to a device, a socket.
            $script:Drop = "$Shared/drop"
            Invoke-AsOther "mkdir -m 755 '$Drop' && mkfifo -m 666 '$Drop/b-fifo.bak' && ln -s /dev/zero '$Drop/c-zero.bak'" | Should -Be 0
            Copy-Item "$Seed/seed.bak" "$Drop/a-good.bak"
            Copy-Item "$Seed/seed.bak" "$Drop/d-good.bak"
            $script:Socket = [System.Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
            $Socket.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new("$Drop/e-socket.bak"))

            # Every probe runs in one other process with a deadline: a read that waited on the FIFO would fail the
            # tests, not stall the suite. One process for all of them: a pwsh start-up costs seconds on a loaded machine.
            $probe = Join-Path $TestDrive 'probe.ps1'
            Set-Content -LiteralPath $probe -Encoding utf8 -Value @'
param([string] $ModulePath, [string] $Drop, [string] $Store)
$ErrorActionPreference = 'Continue'
Import-Module $ModulePath
$pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
foreach ($which in 'info-literal', 'info-wildcard', 'test-literal', 'test-wildcard', 'restore') {
    $out = switch ($which) {
        'info-literal' { Get-SsoSecretBackupInfo -LiteralPath "$Drop/b-fifo.bak" -ErrorVariable e -ErrorAction SilentlyContinue; $e }
        'info-wildcard' { Get-SsoSecretBackupInfo -Path "$Drop/*.bak" -ErrorVariable e -ErrorAction SilentlyContinue; $e }
        'test-literal' { Test-SsoSecretBackup -LiteralPath "$Drop/b-fifo.bak" -Detailed }
        'test-wildcard' { Test-SsoSecretBackup -Path "$Drop/*.bak" -Password $pw -StorePath $Store -Detailed }
        'restore' { try { Restore-SsoMasterSecret "$Drop/b-fifo.bak" -Password $pw -StorePath $Store -Force } catch { $_ } }
    }
    $out | ForEach-Object {
        if ($_ -is [System.Management.Automation.ErrorRecord]) { @{ Which = $which; Error = $_.FullyQualifiedErrorId; Target = "$($_.TargetObject)"; Message = $_.Exception.Message } }
        elseif ($_ -is [SsoSecret.SsoSecretBackupTestResult]) { @{ Which = $which; Path = $_.Path; Status = "$($_.Status)"; Message = $_.Message; Matches = $_.MatchesCurrentSecret } }
        else { @{ Which = $which; Path = $_.Path; SecretId = "$($_.SecretId)" } }
    } | ForEach-Object { [Console]::Out.WriteLine(($_ | ConvertTo-Json -Compress)) }
}
'@
            $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($argument in (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $probe, '-ModulePath', $env:SSOSECRET_TEST_MODULE, '-Drop', $Drop, '-Store', "$Seed/store") {
                $info.ArgumentList.Add($argument)
            }
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $process = [System.Diagnostics.Process]::Start($info)
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            # Generous for a loaded machine (a pwsh start-up, two KDFs); a read that waits on the FIFO never ends.
            $script:ProbeFinished = $process.WaitForExit(300000)
            if (-not $ProbeFinished) { $process.Kill($true); $process.WaitForExit() }
            Write-Host "    the probes took $([int]$watch.Elapsed.TotalSeconds) s"
            $script:ProbeExit = $process.ExitCode
            $script:ProbeErrors = $stderr.Result
            $script:Probes = @($stdout.Result -split "`n" | Where-Object { $_.StartsWith('{') } | ConvertFrom-Json)
            function Invoke-Probe([string] $Which) {
                $ProbeFinished | Should -BeTrue -Because 'no command may wait on the FIFO'
                $ProbeExit | Should -Be 0 -Because $ProbeErrors
                @($Probes | Where-Object Which -eq $Which)
            }
        }
    }

    AfterAll {
        if ($script:Socket) { $Socket.Dispose() }
    }

    It 'Get-SsoSecretBackupInfo -LiteralPath on her FIFO: NotARegularFile at once' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $results = Invoke-Probe 'info-literal'
        $results.Count | Should -Be 1
        $results[0].Error | Should -BeLike 'SsoSecret.NotARegularFile,*'
        $results[0].Target | Should -Be "$Drop/b-fifo.bak"
        $results[0].Message | Should -BeLike "*is a FIFO (named pipe), not a backup file*"
    }

    It 'Get-SsoSecretBackupInfo -Path *.bak: the good ones read, each special file reported, in order' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $results = Invoke-Probe 'info-wildcard'
        @($results | Where-Object SecretId | ForEach-Object Path | Sort-Object) | Should -Be @("$Drop/a-good.bak", "$Drop/d-good.bak")
        $errors = @($results | Where-Object Error)
        $errors.Count | Should -Be 3
        $errors | ForEach-Object { $_.Error | Should -BeLike 'SsoSecret.NotARegularFile,*' }
        ($errors.Message | Sort-Object) -join "`n" | Should -BeLike '*b-fifo.bak*a FIFO (named pipe)*c-zero.bak*a character device*e-socket.bak*a socket*'
    }

    It 'Test-SsoSecretBackup -LiteralPath on her FIFO: not valid, with the reason' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $results = Invoke-Probe 'test-literal'
        $results.Count | Should -Be 1
        $results[0].Status | Should -Be 'NotABackup'
        $results[0].Message | Should -BeLike '*is a FIFO (named pipe)*'
    }

    It 'Test-SsoSecretBackup -Path *.bak -Password: every file gets its answer, the good ones are proven' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $results = Invoke-Probe 'test-wildcard'
        $results.Count | Should -Be 5
        ($results | ForEach-Object { "$([System.IO.Path]::GetFileName($_.Path))=$($_.Status)" } | Sort-Object) -join ' ' |
            Should -Be 'a-good.bak=Valid b-fifo.bak=NotABackup c-zero.bak=NotABackup d-good.bak=Valid e-socket.bak=NotABackup'
        @($results | Where-Object Status -eq 'Valid').Matches | Should -Be @($true, $true)
    }

    It 'Restore-SsoMasterSecret from her FIFO: NotARegularFile, the store unchanged' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $before = Get-FileDigest "$Seed/store/master-secret.dat"
        $results = Invoke-Probe 'restore'
        $results[0].Error | Should -BeLike 'SsoSecret.NotARegularFile,*'
        Get-FileDigest "$Seed/store/master-secret.dat" | Should -Be $before
    }
}

Describe 'A store on a full disk: partial success told truthfully' {
    BeforeAll {
        if (-not $Reason) {
            $script:Small = New-TestFolder 'small'
            mount -t tmpfs -o size=1m,mode=0700 ssosecret-test $Small 2>&1 | Out-Host
            if ($LASTEXITCODE -ne 0) { $script:Reason = 'mount -t tmpfs failed (no privilege to mount here)' }
            else { $script:Mounted = $true }
        }
        if (-not $Reason) {
            $script:Out = New-TestFolder 'out'
            $script:Store = "$Small/store"
            $script:Info = New-TestSecret -StorePath $Store -BackupPath "$Out/first.bak" -KdfParameters $TinyKdf
            $script:FirstDigest = Get-FileDigest "$Out/first.bak"
            $script:StoreDigest = Get-FileDigest "$Store/master-secret.dat"
            # Fill the disk: the store holds its file and lock; nothing more fits.
            dd if=/dev/zero of="$Small/filler" bs=4096 2>&1 | Out-Null
        }
    }

    AfterAll {
        if ($script:Mounted) { umount -l $Small }
    }

    It 'Backup-SsoMasterSecret: BackupNotRecorded, naming the good file, which is complete and opens; the output has it too' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $caught = $null
        $output = @(try { Backup-SsoMasterSecret "$Out/second.bak" -StorePath $Store -Password $Password -KdfParameters $TinyKdf -PassThru } catch { $caught = $_ })
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupNotRecorded,*'
        $caught.CategoryInfo.Category | Should -Be 'WriteError'
        $caught.TargetObject | Should -Be "$Out/second.bak"
        $caught.Exception.Message | Should -BeLike "The backup '$Out/second.bak' of master secret $($Info.SecretId) was written, read back and verified, and is good to keep; but the store could not record it*No space left on device*"
        $output.Count | Should -Be 1
        $output[0].Path | Should -Be "$Out/second.bak"
        Test-SsoSecretBackup "$Out/second.bak" -Password $Password -StorePath $Store | Should -BeTrue
        Get-FileDigest "$Store/master-secret.dat" | Should -Be $StoreDigest
        (Get-SsoMasterSecret -StorePath $Store).LastBackupPath | Should -Be "$Out/first.bak"
        @(Get-ChildItem $Store -Force | Where-Object Name -like '*.tmp') | Should -BeNullOrEmpty
    }

    It 'the same command again: BackupExists, which says the file is a backup of the current secret' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $caught = Get-Refusal { Backup-SsoMasterSecret "$Out/second.bak" -StorePath $Store -Password $Password -KdfParameters $TinyKdf -ErrorAction Stop }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupExists,*'
        $caught.Exception.Message | Should -BeLike "*It is an SsoSecret backup of master secret $($Info.SecretId)*could not record it in the store, it is a good backup*"
    }

    It 'New-SsoMasterSecret -Force over the old secret''s own backup: refused (BackupStillNeeded) before anything is written, the old backup kept, nothing left behind' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath "$Out/first.bak" -StorePath $Store -Password $Password -KdfParameters $TinyKdf -Force }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupStillNeeded,*'
        $caught.Exception.Message | Should -BeLike "*'$Out/first.bak' is a backup of master secret $($Info.SecretId)*which the store's key ring still holds as its current secret*"
        Get-FileDigest "$Out/first.bak" | Should -Be $FirstDigest
        Get-FileDigest "$Store/master-secret.dat" | Should -Be $StoreDigest
        (Get-FileNames $Out) | Should -Be @('first.bak', 'second.bak')
    }

    It 'New-SsoMasterSecret -Force to a new path: no backup of a secret that was never installed' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath "$Out/orphan.bak" -StorePath $Store -Password $Password -KdfParameters $TinyKdf -Force }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreUnavailable,*'
        Test-Path "$Out/orphan.bak" | Should -BeFalse
        (Get-SsoMasterSecret -StorePath $Store).SecretId | Should -Be $Info.SecretId
    }

    It 'with room again, a backup is written and recorded' {
        if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
        Remove-Item "$Small/filler"
        Backup-SsoMasterSecret "$Out/second.bak" -StorePath $Store -Password $Password -KdfParameters $TinyKdf -Force
        (Get-SsoMasterSecret -StorePath $Store).LastBackupPath | Should -Be "$Out/second.bak"
    }
}
