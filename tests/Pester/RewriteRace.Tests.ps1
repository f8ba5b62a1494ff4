# Rewriting a file someone else controls (issue 23). Run as root, as CI runs: the suite creates a second, unprivileged
# account (New-TestAccount, TestHelpers.ps1), and her processes (perl one-liners started with runuser, each with a
# deadline and a stop file, killed in AfterEach) attack Update-SsoProtectedData as the issue describes, while root runs
# it: a symlink renamed over the temporary file (chown/chmod through a link), her folder exchanged with a link to another
# folder (renameat2 RENAME_EXCHANGE), a writer saving the file meanwhile (lost update), a FIFO renamed over the temporary
# file of a backup, a recovery key and a value file (read-back by name). Then what must still work: the documented case
# (root rewraps the application's file in a root folder; it stays the application's), links, hard links, POSIX ACLs and
# extended attributes, several purposes in one file, and the bounds. Each test checks the outcome (the files, their
# owner and mode) and the error id. Without Linux, root, useradd/runuser or perl, every test is skipped with the reason.

Describe 'Rewriting a file another user controls (issue 23)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        # Secrets with a 64 KiB KDF: this suite is about files, links and accounts, not the KDF.
        Set-KdfFloorWaiver $true

        # Her: the other user, an account of this run's own; $Hers is what chown gives her (uid:gid).
        $script:Her = New-TestAccount
        $script:Reason = $Her.Reason
        $script:Hers = "$($Her.Uid):$($Her.Gid)"
        if (-not $Reason -and -not (Get-Command perl -CommandType Application -ErrorAction Ignore)) { $script:Reason = 'perl is not installed (her processes are perl one-liners)' }

        # renameat2 (for RENAME_EXCHANGE), which perl reaches only through syscall(2) by number.
        $script:RenameAt2 = switch ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture) {
            'X64' { 316 }
            'Arm64' { 276 }
            default { $null }
        }

        # What every process this suite starts is kept in, for AfterEach to end (none outlives its test).
        $script:Running = [System.Collections.Generic.List[object]]::new()

        function Start-TestProcess {
            # Starts a program as a process of its own, its output read as it comes (a full pipe never blocks it).
            param([Parameter(Mandatory)] [string] $Program, [string[]] $Arguments = @())
            $info = [System.Diagnostics.ProcessStartInfo]::new($Program)
            foreach ($argument in $Arguments) { $info.ArgumentList.Add($argument) }
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($info)
            $started = [pscustomobject]@{ Process = $process; Errors = $process.StandardError.ReadToEndAsync() }
            $Running.Add($started)
            $started
        }

        function Wait-TestProcess {
            # Waits for a process started above at most -Seconds, then kills it and all it started; returns its exit code
            # (null when it had to be killed), the rest of its output and its errors.
            param([Parameter(Mandatory)] $Started, [int] $Seconds = 30)
            $finished = $Started.Process.WaitForExit($Seconds * 1000)
            if (-not $finished) {
                $Started.Process.Kill($true)
                $null = $Started.Process.WaitForExit(10000)
            }
            # (A read left pending, as Start-AsHer's when her process never said it was ready, makes this one throw.)
            $output = try { $Started.Process.StandardOutput.ReadToEndAsync() } catch { [System.Threading.Tasks.Task]::FromResult('') }
            $null = $output.Wait(10000)
            $null = $Started.Errors.Wait(10000)
            [pscustomobject]@{
                Exit   = if ($finished) { $Started.Process.ExitCode } else { $null }
                Output = if ($output.IsCompleted) { $output.Result } else { '' }
                Errors = if ($Started.Errors.IsCompleted) { $Started.Errors.Result } else { '' }
            }
        }

        function Start-AsHer {
            # Runs a perl one-liner as her (runuser), and waits (at most 30 s) until it says it is ready: its first line.
            param([Parameter(Mandatory)] [string] $Perl, [string[]] $Arguments = @())
            $started = Start-TestProcess runuser (@('-u', $Her.Name, '--', 'perl', '-e', $Perl) + $Arguments)
            $line = $started.Process.StandardOutput.ReadLineAsync()
            if (-not $line.Wait(30000) -or $line.Result -ne 'ready') {
                $result = Wait-TestProcess $started -Seconds 1
                throw "Her process did not start (it said '$($line.Result)'): $($result.Errors)"
            }
            $started
        }

        function Stop-AsHer {
            # Tells her process to stop (its stop file), waits for it (at most 30 s) and returns what it counted ("name=N"
            # words of its last line) as a hashtable.
            param([Parameter(Mandatory)] $Started, [Parameter(Mandatory)] [string] $StopFile)
            Set-Content -LiteralPath $StopFile -Value 'stop'
            $result = Wait-TestProcess $Started -Seconds 30
            $result.Exit | Should -Be 0 -Because "her process ends by itself when told (it said: $($result.Errors))"
            $counts = @{}
            foreach ($word in (@($result.Output.Trim() -split "`n")[-1] -split ' ')) {
                $name, $value = $word -split '=', 2
                $counts[$name] = $value
            }
            $counts
        }

        # Her loop: lists her folder over and over and renames a symbolic link to a file of root's (or a FIFO) over every
        # regular file whose name matches a pattern (the temporary files root writes there), until its deadline or stop
        # file. Counts the lists made (scans) and the files replaced (hits).
        # Arguments: folder, pattern, 'link' or 'fifo', the link's target, seconds, stop file.
        $script:LureLoop = @'
use POSIX ();
my ($dir, $pattern, $kind, $target, $seconds, $stop) = @ARGV;
my $re = qr/$pattern/;
$| = 1; print "ready\n";
my ($scans, $hits, $n) = (0, 0, 0);
my $end = time + $seconds;
while (time < $end && !-e $stop) {
    $scans++;
    opendir(my $d, $dir) or last;
    for my $entry (readdir $d) {
        # Only a regular file (root's temporary file), not a lure of hers renamed there before.
        next unless $entry =~ $re && lstat("$dir/$entry") && -f _;
        my $lure = "$dir/.lure-$$-" . $n++;
        my $made = $kind eq 'fifo' ? POSIX::mkfifo($lure, 0666) : symlink($target, $lure);
        next unless $made;
        if (rename($lure, "$dir/$entry")) { $hits++ } else { unlink $lure }
    }
    closedir $d;
}
print "scans=$scans hits=$hits\n";
'@

        # Her swap: exchanges two names of hers (her folder and her link to another folder) with renameat2(RENAME_EXCHANGE)
        # over and over, until its deadline or stop file. Arguments: the two paths, renameat2's number, seconds, stop file.
        $script:SwapLoop = @'
my ($first, $second, $number, $seconds, $stop) = @ARGV;
$| = 1; print "ready\n";
my ($tries, $swaps) = (0, 0);
my $end = time + $seconds;
while (time < $end && !-e $stop) {
    $tries++;
    $swaps++ if syscall($number, -100, $first, -100, $second, 2) == 0;
}
print "tries=$tries swaps=$swaps\n";
'@

        # The application (her) saving its config file in place (open with O_TRUNC, write, close), its new content read
        # beforehand: at once when it sees the rewrap's temporary file in the folder ('during'), or when root's stop file
        # says the rewrap has returned ('after', also what 'during' does when it never saw one). Arguments: folder, file
        # name, the new content's file, 'during' or 'after', seconds, stop file. Says when it wrote.
        $script:WriterLoop = @'
my ($dir, $name, $next, $mode, $seconds, $stop) = @ARGV;
open(my $in, '<', $next) or die "read $next: $!";
binmode $in;
my $data = do { local $/; <$in> };
close $in;
my $re = qr/^\.\Q$name\E\.[0-9a-f]{12}\.tmp$/;
$| = 1; print "ready\n";
my $when = 'never';
my $end = time + $seconds;
while (time < $end) {
    if ($mode eq 'during') {
        opendir(my $d, $dir) or die "list $dir: $!";
        my @temporary = grep { $_ =~ $re } readdir $d;
        closedir $d;
        if (@temporary) { $when = 'during'; last }
    }
    if (-e $stop) { $when = 'after'; last }
}
open(my $out, '>', "$dir/$name") or die "write $dir/$name: $!";
binmode $out;
print $out $data;
close($out) or die "close: $!";
print "wrote=$when\n";
'@

        function New-StopFile {
            # A path for a stop file that her processes can see (the test drive is 0755).
            Join-Path $TestDrive ('stop-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        }

        function Get-Stat([string] $Path) {
            # Owner, group, mode and type of the entry itself (a link not followed), as "uid:gid:mode:type".
            $line = stat -c '%u:%g:%a:%F' -- $Path 2>$null
            if ($LASTEXITCODE -ne 0) { return '<missing>' }
            $line
        }

        function New-RotatedStore {
            <#
            A store of root's whose first secret protected the values given (purpose -> values) and was then replaced by a
            second one (New-SsoMasterSecret -Force keeps it as the previous secret, so the values are to be rewrapped).
            Returns the store, both secret ids, and the protected texts (purpose -> texts, in order).
            #>
            param([Parameter(Mandatory)] [System.Collections.IDictionary] $Protect)
            $store = New-TestPath 'store'
            $old = New-TestSecret -StorePath $store -BackupPath (New-TestPath 'old') -KdfParameters $TinyKdf
            $texts = @{}
            foreach ($purpose in $Protect.Keys) {
                $texts[$purpose] = @($Protect[$purpose] | Protect-SsoData -Purpose $purpose -StorePath $store)
            }
            $new = New-TestSecret -StorePath $store -BackupPath (New-TestPath 'new') -KdfParameters $TinyKdf -Force
            [pscustomobject]@{ Store = $store; Old = $old.SecretId; New = $new.SecretId; Texts = $texts }
        }

        function New-Config {
            # Writes a config file, '{', one '  "name": "text",' line per value (the first on line 2), '}', with the owner
            # (uid:gid) and mode given.
            param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [System.Collections.IDictionary] $Values, [string] $Owner = '0:0', [string] $Mode = '640')
            $lines = @('{') + @($Values.Keys | ForEach-Object { '  "{0}": "{1}",' -f $_, $Values[$_] }) + @('  "server": "db01"', '}')
            [System.IO.File]::WriteAllText($Path, ($lines -join "`n") + "`n")
            chown $Owner $Path
            chmod $Mode $Path
            $Path
        }

        function Get-ConfigValue([string] $Path, [string] $Name) {
            (Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json).$Name
        }

        # The temporary files of a rewrite or a write in a folder: ".<name>.<12 hex>.tmp".
        function Get-TemporaryNames([string] $Folder) {
            @(Get-ChildItem -LiteralPath $Folder -Force | Where-Object Name -Match '^\..+\.[0-9a-f]{12}\.tmp$' | ForEach-Object Name)
        }
    }

    AfterEach {
        foreach ($started in $script:Running) {
            if (-not $started.Process.HasExited) {
                $started.Process.Kill($true)
                $null = $started.Process.WaitForExit(10000)
            }
        }
        $script:Running.Clear()
    }

    AfterAll {
        foreach ($started in @($script:Running)) {
            if (-not $started.Process.HasExited) { $started.Process.Kill($true) }
        }
        Remove-TestAccount $script:Her.Name
        Set-KdfFloorWaiver $false
        Restore-TestEnvironment
    }

    Describe 'Her folder: no chown or chmod of root''s reaches a file through her link' {
        It 'a <Case> in her folder, her link renamed over every temporary name: PathNotOwned naming her folder and her; the victim, the config and the folder unchanged' -ForEach @(
            @{ Case = 'config of hers (0640)'; Mine = $true; Mode = '640' }
            @{ Case = 'root-owned 0644 config'; Mine = $false; Mode = '644' }
        ) {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('db-password', 'db-replica') }
            # Her folder, as /srv/app is the application's.
            $app = New-TestFolder 'srv-app'
            chown $Hers $app
            chmod 755 $app
            $owner = if ($Mine) { $Hers } else { '0:0' }
            $config = New-Config "$app/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0]; replica = $rotation.Texts['app/db'][1] }) -Owner $owner -Mode $Mode
            $configBefore = Get-FileDigest $config
            $configStat = Get-Stat $config
            # A root-only file elsewhere, as /etc/shadow.
            $victim = Join-Path (New-TestFolder 'etc') 'shadow'
            [System.IO.File]::WriteAllText($victim, "root:*:19000:0:99999:7:::`n")
            chmod 600 $victim
            $victimBefore = Get-FileDigest $victim
            $victimStat = Get-Stat $victim

            $stop = New-StopFile
            $loop = Start-AsHer $LureLoop @($app, '^\.config\.json\.[0-9a-f]{12}\.tmp$', 'link', $victim, '60', $stop)
            for ($round = 1; $round -le 5; $round++) {
                $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -ErrorAction Stop }
                $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathNotOwned,*'
                $caught.CategoryInfo.Category | Should -Be 'SecurityError'
                $caught.TargetObject | Should -Be $config
                $caught.Exception.Message | Should -BeLike "The folder '$app' on the path of '$config' belongs to $($Her.Name) (uid $($Her.Uid)), not to this account*"
            }
            $counts = Stop-AsHer $loop $stop
            [int]$counts.scans | Should -BeGreaterThan 0 -Because 'her loop was watching the folder all along'

            Get-FileDigest $victim | Should -Be $victimBefore
            Get-Stat $victim | Should -Be $victimStat -Because 'no chown or chmod reached the victim'
            Get-FileDigest $config | Should -Be $configBefore
            Get-Stat $config | Should -Be $configStat
            Get-TemporaryNames $app | Should -BeNullOrEmpty -Because 'root made no temporary file in her folder'
            (@(find $app -mindepth 1 -user root -printf '%f\n') -join ',') | Should -Be $(if ($Mine) { '' } else { 'config.json' }) -Because 'root left nothing of its own there'
        }
    }

    Describe 'Her folder exchanged with a link to another folder: root''s other file is never written' {
        It 'over 10 rounds of renameat2(RENAME_EXCHANGE) in a loop: PathNotOwned every time; the other folder''s config (root:root 0640) unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            if (-not $RenameAt2) { Set-ItResult -Skipped -Because "renameat2's syscall number is known here for x86_64 and aarch64 only, not $([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture)"; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('her-value', 'root-value') }
            # A shared sticky folder (as /srv with a sticky bit, or /tmp): she can rename only her own entries in it, both of
            # the exchanged ones are hers.
            $shared = New-TestFolder 'shared'
            chmod 1777 $shared
            $other = New-TestFolder 'other'
            $rootConfig = "$other/config.json"
            [System.IO.File]::WriteAllText($rootConfig, "{`n  `"value`": `"$($rotation.Texts['app/db'][1])`"`n}`n")
            chmod 640 $rootConfig
            $rootBefore = Get-FileDigest $rootConfig
            $rootStat = Get-Stat $rootConfig
            runuser -u $Her.Name -- /bin/sh -c "mkdir -m 755 '$shared/app' && ln -s '$other' '$shared/swap'" | Out-Host
            $LASTEXITCODE | Should -Be 0
            $config = New-Config "$shared/app/config.json" ([ordered]@{ value = $rotation.Texts['app/db'][0] }) -Owner $Hers

            $stop = New-StopFile
            $loop = Start-AsHer $SwapLoop @("$shared/app", "$shared/swap", "$RenameAt2", '60', $stop)
            $kinds = @{}
            for ($round = 1; $round -le 10; $round++) {
                $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -ErrorAction Stop }
                $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathNotOwned,*'
                $caught.CategoryInfo.Category | Should -Be 'SecurityError'
                $caught.Exception.Message | Should -Match "^The (folder|symbolic link) '$([regex]::Escape("$shared/app"))' on the path of '$([regex]::Escape($config))' belongs to $($Her.Name) \(uid $($Her.Uid)\)"
                $kind = if ($caught.Exception.Message -like 'The folder *') { 'her folder' } else { 'her link' }
                $kinds[$kind] = 1 + $kinds[$kind]
                Get-FileDigest $rootConfig | Should -Be $rootBefore -Because "round $round must not have written root's other file"
                Start-Sleep -Milliseconds 20
            }
            $counts = Stop-AsHer $loop $stop
            [int]$counts.swaps | Should -BeGreaterThan 0 -Because 'her loop exchanged the folder and the link'
            Write-Host "    her loop: $($counts.swaps) exchanges; the rewrap met $(($kinds.Keys | ForEach-Object { "$_ x$($kinds[$_])" }) -join ', ')"

            Get-FileDigest $rootConfig | Should -Be $rootBefore
            Get-Stat $rootConfig | Should -Be $rootStat
            Get-TemporaryNames $other | Should -BeNullOrEmpty
            (Get-SsoMasterSecret -StorePath $rotation.Store).PreviousSecretId | Should -Be $rotation.Old
        }
    }

    Describe 'The documented case: root rewraps the application''s file in a folder of root''s' {
        BeforeAll {
            if (-not $Reason) {
                $script:Plain = [ordered]@{ db = 'db-password'; api = 'api-token'; replica = 'replica-password' }
                $script:Documented = New-RotatedStore @{ 'app/db' = @($Plain.Values) }
            }
        }

        It 'her config (hers, her group, 0640) in a root 0755 folder: rewrapped (-PassThru counts), still hers with the same group and mode, its values open after Remove-SsoPreviousSecret' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $folder = New-TestFolder 'etc-app'
            chmod 755 $folder
            $values = [ordered]@{}
            $i = 0
            foreach ($name in $Plain.Keys) { $values[$name] = $Documented.Texts['app/db'][$i++] }
            $config = New-Config "$folder/config.json" $values -Owner $Hers -Mode '640'
            Get-Stat $config | Should -Be "$($Hers):640:regular file"

            $result = Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $Documented.Store -PassThru -ErrorAction Stop
            $result.Path | Should -Be $config
            $result.Values | Should -Be 3
            $result.Rewrapped | Should -Be 3
            $result.SecretId | Should -Be $Documented.New
            $result.FromSecretIds | Should -Be @($Documented.Old)
            Get-Stat $config | Should -Be "$($Hers):640:regular file" -Because 'the file stays the application''s'
            Get-TemporaryNames $folder | Should -BeNullOrEmpty
            runuser -u $Her.Name -- cat $config | Out-Null
            $LASTEXITCODE | Should -Be 0 -Because 'she can still read her config'

            Remove-SsoPreviousSecret -SecretId $Documented.Old -StorePath $Documented.Store -Force
            foreach ($name in $Plain.Keys) {
                $text = Get-ConfigValue $config $name
                $text | Should -Not -Be $values[$name]
                $text | Unprotect-SsoData -Purpose 'app/db' -StorePath $Documented.Store -AsPlainText | Should -BeExactly $Plain[$name]
            }
        }

        It 'a folder on the path that its group can write and is not sticky: PathInsecure naming it, the file unchanged; sticky, it is rewrapped' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('db-password') }
            $open = New-TestFolder 'srv'
            chmod 775 $open
            New-Item -ItemType Directory "$open/app" | Out-Null
            $config = New-Config "$open/app/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0] }) -Owner $Hers
            $before = Get-FileDigest $config

            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.PathInsecure,*'
            $caught.CategoryInfo.Category | Should -Be 'SecurityError'
            $caught.TargetObject | Should -Be $config
            $caught.Exception.Message | Should -BeLike "The folder '$open' on the path of '$config' can be written by other users (mode 775) and is not sticky*"
            $caught.ErrorDetails.RecommendedAction | Should -BeLike "*chmod go-w '$open'*"
            Get-FileDigest $config | Should -Be $before
            Get-TemporaryNames "$open/app" | Should -BeNullOrEmpty

            # Sticky, only an entry's owner (root, for app/) can rename it there.
            chmod 1775 $open
            (Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -PassThru -ErrorAction Stop).Rewrapped | Should -Be 1
            Get-Stat $config | Should -Be "$($Hers):640:regular file"
        }
    }

    Describe 'Links: the file a link leads to is rewritten; a file of several names is refused' {
        It 'a symlink in one root folder to a config in another: the target is rewritten, the link is still a link to it, and the value read through it opens after Remove-SsoPreviousSecret' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('through-the-link') }
            $etc = New-TestFolder 'etc-app'
            $opt = New-TestFolder 'opt-app'
            $target = New-Config "$opt/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0] }) -Owner $Hers
            $link = "$etc/config.json"
            New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
            $linkStat = Get-Stat $link

            $result = Update-SsoProtectedData -LiteralPath $link -Purpose 'app/db' -StorePath $rotation.Store -PassThru -ErrorAction Stop
            $result.Rewrapped | Should -Be 1
            Get-Stat $link | Should -Be $linkStat -Because 'the link stays a link'
            (Get-Item -LiteralPath $link -Force).LinkTarget | Should -Be $target
            Get-Stat $target | Should -Be "$($Hers):640:regular file"
            Get-ConfigValue $target 'db' | Should -Not -Be $rotation.Texts['app/db'][0]
            Get-TemporaryNames $etc | Should -BeNullOrEmpty
            Get-TemporaryNames $opt | Should -BeNullOrEmpty

            Remove-SsoPreviousSecret -SecretId $rotation.Old -StorePath $rotation.Store -Force
            Get-ConfigValue $link 'db' | Unprotect-SsoData -Purpose 'app/db' -StorePath $rotation.Store -AsPlainText | Should -BeExactly 'through-the-link'
        }

        It 'a config with a second hard link: FileHasLinks, both names unchanged and still one file' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('two-names') }
            $folder = New-TestFolder 'etc-app'
            $config = New-Config "$folder/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0] })
            $second = "$folder/config.alt.json"
            New-Item -ItemType HardLink -Path $second -Target $config | Out-Null
            $before = Get-FileDigest $config
            $inode = stat -c '%i' $config

            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.FileHasLinks,*'
            $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $caught.Exception.Message | Should -BeLike "The file '$config' has 2 names (hard links)*"
            Get-FileDigest $config | Should -Be $before
            Get-FileDigest $second | Should -Be $before
            stat -c '%i %h' $config | Should -Be "$inode 2"
            stat -c '%i %h' $second | Should -Be "$inode 2"
            Get-TemporaryNames $folder | Should -BeNullOrEmpty
        }
    }

    Describe 'Lost update: a value saved while the rewrap runs is never overwritten' {
        BeforeAll {
            if (-not $Reason) {
                # A big config (about 4 MiB of comment lines and 300 values) so that the rewrap takes a while.
                $script:Lost = New-RotatedStore @{ 'app/db' = @(1..300 | ForEach-Object { "value-$_" }) }
                $script:Work = New-TestFolder 'etc-app'
                $builder = [System.Text.StringBuilder]::new()
                $null = $builder.Append("{`n")
                for ($line = 1; $line -le 60000; $line++) { $null = $builder.Append("  `"comment-$line`": `"a line of the application's settings to make the file long`",`n") }
                for ($i = 0; $i -lt 300; $i++) { $null = $builder.Append("  `"value-$i`": `"$($Lost.Texts['app/db'][$i])`",`n") }
                $script:Base = $builder.ToString()
            }
        }

        It 'her writer saves the file <Mode> the rewrap, 4 rounds: her content is the file''s in the end, the rewrap ended in FileChanged or success' -ForEach @(
            @{ Mode = 'during' }
            @{ Mode = 'after' }
        ) {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $config = "$Work/config.json"
            $outcomes = [System.Collections.Generic.List[string]]::new()
            for ($round = 1; $round -le 4; $round++) {
                [System.IO.File]::WriteAllText($config, $Base + "  `"end`": 1`n}`n")
                chown $Hers $config
                chmod 640 $config
                # What she saves: the file with a new password, protected under the current secret.
                $password = "new-password-$Mode-$round" | Protect-SsoData -Purpose 'app/db' -StorePath $Lost.Store
                $next = Join-Path $TestDrive "next-$Mode-$round.json"
                [System.IO.File]::WriteAllText($next, $Base + "  `"password`": `"$password`"`n}`n")
                $expected = Get-FileDigest $next

                $stop = New-StopFile
                $writer = Start-AsHer $WriterLoop @($Work, 'config.json', $next, $Mode, '60', $stop)
                $errors = $null
                $result = Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $Lost.Store -PassThru -ErrorVariable errors -ErrorAction SilentlyContinue
                $counts = Stop-AsHer $writer $stop

                if ($errors) {
                    @($errors).Count | Should -Be 1
                    $errors[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.FileChanged,*' -Because "round $round (she wrote $($counts.wrote)): the only failure allowed is FileChanged, not $($errors[0])"
                    $errors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
                    $errors[0].TargetObject | Should -Be $config
                    $errors[0].Exception.Message | Should -BeLike "*'$config' changed while it was being rewritten*nothing was replaced*"
                    $outcomes.Add("FileChanged (she wrote $($counts.wrote))")
                }
                else {
                    $result.Rewrapped | Should -Be 300
                    $outcomes.Add("rewrapped (she wrote $($counts.wrote))")
                }
                $counts.wrote | Should -BeIn @('during', 'after')
                Get-FileDigest $config | Should -Be $expected -Because "her change is never lost (round $round, $($outcomes[-1]))"
                Get-Stat $config | Should -Be "$($Hers):640:regular file"
                Get-TemporaryNames $Work | Should -BeNullOrEmpty
            }
            Write-Host "    $($outcomes -join '; ')"
        }
    }

    Describe 'A POSIX ACL and extended attributes are kept' {
        BeforeAll {
            # setfacl/getfacl (Debian's acl, which .ci/run installs) and setfattr/getfattr (attr); as root, installed
            # here when they are missing, with a deadline.
            # (A program may be found twice on the PATH, as /bin/x and /usr/bin/x.)
            $tools = { param([string[]] $Names) @(Get-Command $Names -CommandType Application -ErrorAction Ignore | ForEach-Object Name | Sort-Object -Unique).Count -eq $Names.Count }
            if (-not $Reason -and -not (& $tools setfacl, getfacl, setfattr, getfattr)) {
                $install = Start-TestProcess /bin/sh @('-c', 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq acl attr || { apt-get update -qq && apt-get install -y -qq acl attr; }')
                Write-Host "    apt-get install acl attr: exit code $((Wait-TestProcess $install -Seconds 300).Exit)"
            }
            $script:AclReason = if ($Reason) { $Reason } elseif (-not (& $tools setfacl, getfacl)) { 'setfacl and getfacl are missing (Debian package acl), and apt-get install acl failed' }
            $script:XattrReason = if ($Reason) { $Reason } elseif (-not (& $tools setfattr, getfattr)) { 'setfattr and getfattr are missing (Debian package attr), and apt-get install attr failed' }
        }

        It 'her read access through an ACL (user:her:r, group::---): getfacl the same after the rewrap, she can still read, the owning group still cannot' {
            if ($AclReason) { Set-ItResult -Skipped -Because $AclReason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('acl-value') }
            $folder = New-TestFolder 'etc-app'
            $config = New-Config "$folder/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0] }) -Mode '600'
            setfacl -m "u:$($Her.Name):r" $config
            if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because "setfacl failed here (no ACLs on this file system?)"; return }
            $acl = (getfacl -n --absolute-names $config) -join "`n"
            $acl | Should -BeLike "*user:$($Her.Uid):r--*group::---*mask::r--*"
            runuser -u nobody -g root -- cat $config 2>&1 | Out-Null
            $LASTEXITCODE | Should -Not -Be 0 -Because 'a process of the owning group (root) but not root cannot read it before'

            (Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -PassThru -ErrorAction Stop).Rewrapped | Should -Be 1
            (getfacl -n --absolute-names $config) -join "`n" | Should -BeExactly $acl
            Get-ConfigValue $config 'db' | Should -Not -Be $rotation.Texts['app/db'][0]
            $read = runuser -u $Her.Name -- cat $config
            $LASTEXITCODE | Should -Be 0 -Because 'she reads her config through the ACL'
            ($read -join "`n") + "`n" | Should -BeExactly (Get-Content -LiteralPath $config -Raw)
            runuser -u nobody -g root -- cat $config 2>&1 | Out-Null
            $LASTEXITCODE | Should -Not -Be 0 -Because 'the owning group did not gain access (the mask did not become its bits)'
        }

        It 'a user.* extended attribute is kept' {
            if ($XattrReason) { Set-ItResult -Skipped -Because $XattrReason; return }
            $rotation = New-RotatedStore @{ 'app/db' = @('xattr-value') }
            $folder = New-TestFolder 'etc-app'
            $config = New-Config "$folder/config.json" ([ordered]@{ db = $rotation.Texts['app/db'][0] })
            setfattr -n user.ssosecret.origin -v 'deployed by the app' $config
            if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'setfattr failed here (no user.* attributes on this file system?)'; return }

            (Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $rotation.Store -PassThru -ErrorAction Stop).Rewrapped | Should -Be 1
            getfattr -n user.ssosecret.origin --only-values --absolute-names $config | Should -BeExactly 'deployed by the app'
            Get-Stat $config | Should -Be '0:0:640:regular file'
        }
    }

    Describe 'Read-back through the descriptor: her FIFO renamed over the temporary names' {
        BeforeAll {
            if (-not $Reason) {
                $store = New-TestPath 'store'
                $null = New-TestSecret -StorePath $store -BackupPath (New-TestPath 'first') -KdfParameters $TinyKdf
                $script:Drop = New-TestFolder 'her-drop'
                chown $Hers $Drop
                chmod 755 $Drop

                # Every command runs in one other process with a deadline: a read that waited on her FIFO would fail the
                # tests, not stall the suite. It reads TestHelpers.ps1 for the password, the small KDF and its waiver (a
                # key file has a floor of its own: the Interactive profile). After each run it says what the name holds
                # (stat, the entry itself) and, after a success, whether the file reads as what was written.
                $probeScript = Join-Path $TestDrive 'fifo-probe.ps1'
                Set-Content -LiteralPath $probeScript -Encoding utf8 -Value @'
param([string] $Helpers, [string] $Work, [string] $Drop, [string] $Store, [int] $Rounds)
$ErrorActionPreference = 'Stop'
$TestDrive = $Work
. $Helpers
Set-KdfFloorWaiver $true
$targets = [ordered]@{ Backup = "$Drop/master.bak"; Key = "$Drop/recovery.key"; Values = "$Drop/values.txt" }
for ($round = 1; $round -le $Rounds; $round++) {
    foreach ($which in $targets.Keys) {
        $path = $targets[$which]
        $outcome = 'ok'
        $message = ''
        try {
            switch ($which) {
                'Backup' { $null = Backup-SsoMasterSecret $path -StorePath $Store -Password $Password -KdfParameters $TinyKdf -Force }
                'Key' { $null = New-SsoRecoveryKey -Path $path -Password $Password -KdfProfile Interactive -Force }
                'Values' { 'v1', 'v2' | Protect-SsoData -Purpose 'app/db' -StorePath $Store -OutFile $path -Force }
            }
        }
        catch { $outcome = $_.FullyQualifiedErrorId; $message = $_.Exception.Message }
        $type = stat -c '%F' -- $path 2>$null
        if ($LASTEXITCODE -ne 0) { $type = 'missing' }
        $reads = ''
        if ($outcome -eq 'ok') {
            $reads = try {
                switch ($which) {
                    'Backup' { "$((Test-SsoSecretBackup -LiteralPath $path -Password $Password -StorePath $Store -Detailed).Status)" }
                    'Key' { "$("$((Get-SsoRecoveryKey -LiteralPath $path).Fingerprint)".Length -gt 0)" }
                    'Values' { @(Unprotect-SsoData -LiteralPath $path -Purpose 'app/db' -StorePath $Store -AsPlainText) -join ',' }
                }
            }
            catch { "read failed: $($_.FullyQualifiedErrorId)" }
        }
        [Console]::Out.WriteLine((@{ Round = $round; Which = $which; Outcome = $outcome; Type = "$type"; Reads = "$reads"; Message = $message } | ConvertTo-Json -Compress))
    }
}
'@
                $stop = New-StopFile
                $loop = Start-AsHer $LureLoop @($Drop, '^\.(master\.bak|recovery\.key|values\.txt)\.[0-9a-f]{12}\.tmp$', 'fifo', '', '300', $stop)
                $dll = Join-Path $PSHOME 'pwsh.dll'
                $pwsh = if (Test-Path -LiteralPath $dll) { @('dotnet', $dll) } else { @((Join-Path $PSHOME 'pwsh')) }
                $run = Start-TestProcess $pwsh[0] (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $probeScript,
                        '-Helpers', (Join-Path $PSScriptRoot 'TestHelpers.ps1'), '-Work', (New-TestFolder 'probe'), '-Drop', $Drop, '-Store', $store, '-Rounds', '4'))
                # Generous for a loaded machine (a pwsh start-up, four Interactive KDFs and eight small ones); a read that
                # waits on a FIFO never ends.
                $script:Probe = Wait-TestProcess $run -Seconds 240
                $script:Lures = Stop-AsHer $loop $stop
                $script:Runs = @($Probe.Output -split "`n" | Where-Object { $_.StartsWith('{') } | ConvertFrom-Json)
                Write-Host "    her FIFOs: $($Lures.hits) renamed over a temporary file; $(($Runs | Group-Object Which | ForEach-Object { "$($_.Name): $(@($_.Group | ForEach-Object { if ($_.Outcome -eq 'ok') { 'ok' } else { $_.Outcome.Split(',')[0] } }) -join ' ')" }) -join '; ')"
            }
        }

        It 'the commands end within the deadline (none waits on her FIFO), and her FIFO was renamed over their temporary files' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $Probe.Exit | Should -Not -BeNullOrEmpty -Because 'no command may wait on her FIFO (the probe was killed at its deadline)'
            $Probe.Exit | Should -Be 0 -Because $Probe.Errors
            $Runs.Count | Should -Be 12
            [int]$Lures.hits | Should -BeGreaterThan 0 -Because 'her FIFO was renamed over a temporary file at least once'
        }

        It '<Command> into her folder, 4 times: each run succeeds with a real file at the name that reads, or fails with WriteFailed' -ForEach @(
            @{ Command = 'Backup-SsoMasterSecret -Force'; Which = 'Backup'; Reads = 'Valid' }
            @{ Command = 'New-SsoRecoveryKey -Force'; Which = 'Key'; Reads = 'True' }
            @{ Command = 'Protect-SsoData -OutFile -Force'; Which = 'Values'; Reads = 'v1,v2' }
        ) {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $mine = @($Runs | Where-Object Which -EQ $Which)
            $mine.Count | Should -Be 4
            foreach ($one in $mine) {
                if ($one.Outcome -eq 'ok') {
                    $one.Type | Should -Be 'regular file' -Because "run $($one.Round) succeeded, so its name holds the file written"
                    $one.Reads | Should -Be $Reads -Because "run $($one.Round) succeeded, so its file reads as written"
                }
                else {
                    $one.Outcome | Should -BeLike 'SsoSecret.WriteFailed,*' -Because "run $($one.Round) may fail only with WriteFailed ($($one.Message))"
                }
            }
        }
    }

    Describe 'Several purposes in one file' {
        BeforeAll {
            if (-not $Reason) {
                $script:Mixed = New-RotatedStore ([ordered]@{ 'app/db' = @('db-1', 'db-2'); 'app/api' = @('api-1'); 'app/other' = @('other-1') })
                $script:Etc = New-TestFolder 'etc-app'
            }
        }

        It '-Purpose app/db,app/api rewraps values of both in one call, each still for its own purpose' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $config = New-Config "$Etc/both.json" ([ordered]@{ db = $Mixed.Texts['app/db'][0]; api = $Mixed.Texts['app/api'][0]; replica = $Mixed.Texts['app/db'][1] })
            $result = Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db', 'app/api' -StorePath $Mixed.Store -PassThru -ErrorAction Stop
            $result.Values | Should -Be 3
            $result.Rewrapped | Should -Be 3
            $copy = Copy-TestStore $Mixed.Store
            Get-ConfigValue $config 'db' | Unprotect-SsoData -Purpose 'app/db' -StorePath $copy -AsPlainText | Should -BeExactly 'db-1'
            Get-ConfigValue $config 'replica' | Unprotect-SsoData -Purpose 'app/db' -StorePath $copy -AsPlainText | Should -BeExactly 'db-2'
            Get-ConfigValue $config 'api' | Unprotect-SsoData -Purpose 'app/api' -StorePath $copy -AsPlainText | Should -BeExactly 'api-1'
            Get-ConfigValue $config 'api' | Unprotect-SsoData -Purpose 'app/db' -StorePath $copy -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
        }

        It '-Purpose app/db alone: WrongPurpose at the api value''s line, the file unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $config = New-Config "$Etc/db-only.json" ([ordered]@{ db = $Mixed.Texts['app/db'][0]; replica = $Mixed.Texts['app/db'][1]; api = $Mixed.Texts['app/api'][0] })
            $before = Get-FileDigest $config
            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $Mixed.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
            $caught.Exception.Message | Should -BeLike "'$config', line 4:*"
            Get-FileDigest $config | Should -Be $before
            Get-TemporaryNames $Etc | Should -BeNullOrEmpty
        }

        It 'a value of app/other with app/db,app/api named: WrongPurpose at its line, the file unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $config = New-Config "$Etc/other.json" ([ordered]@{ db = $Mixed.Texts['app/db'][0]; api = $Mixed.Texts['app/api'][0]; other = $Mixed.Texts['app/other'][0] })
            $before = Get-FileDigest $config
            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db', 'app/api' -StorePath $Mixed.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.WrongPurpose,*'
            $caught.Exception.Message | Should -BeLike "'$config', line 4:*"
            Get-FileDigest $config | Should -Be $before
        }
    }

    Describe 'Bounds of a file rewritten in place' {
        BeforeAll {
            if (-not $Reason) {
                $script:Bounds = New-RotatedStore @{ 'app/db' = @('bound-1', 'bound-2') }
                $script:Big = New-TestFolder 'big'
            }
        }

        It 'more than 100,000 values: TooManyValues, the file unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $path = "$Big/many.txt"
            [System.IO.File]::WriteAllText($path, [string]::Join("`n", [System.Linq.Enumerable]::Repeat([string]$Bounds.Texts['app/db'][0], 100001)) + "`n")
            $before = Get-FileDigest $path
            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $path -Purpose 'app/db' -StorePath $Bounds.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.TooManyValues,*'
            $caught.CategoryInfo.Category | Should -Be 'LimitsExceeded'
            $caught.Exception.Message | Should -BeLike "*'$path' holds 100001 protected values; at most 100000*"
            Get-FileDigest $path | Should -Be $before
            Get-TemporaryNames $Big | Should -BeNullOrEmpty
        }

        It 'a file over 16 MiB: ValueTooLarge, the file unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $path = "$Big/large.txt"
            $value = "value: $($Bounds.Texts['app/db'][0])`n"
            [System.IO.File]::WriteAllText($path, $value + ('#' * (16MB + 1 - $value.Length - 1)) + "`n")
            (Get-Item -LiteralPath $path).Length | Should -Be (16MB + 1)
            $before = Get-FileDigest $path
            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $path -Purpose 'app/db' -StorePath $Bounds.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.ValueTooLarge,*'
            Get-FileDigest $path | Should -Be $before
        }

        It 'a damaged value deep in a large file (line 250,003 of 300,004): the error names its line, the file unchanged' {
            if ($Reason) { Set-ItResult -Skipped -Because $Reason; return }
            $good = $Bounds.Texts['app/db'][0]
            $i = $good.Length - 10
            $damaged = $good.Substring(0, $i) + $(if ($good[$i] -eq 'A') { 'B' } else { 'A' }) + $good.Substring($i + 1)
            $builder = [System.Text.StringBuilder]::new()
            $null = $builder.Append("first: $good`n")                                            # line 1
            for ($line = 2; $line -le 250001; $line++) { $null = $builder.Append("# setting $line`n") }
            $null = $builder.Append("second: $($Bounds.Texts['app/db'][1])`n")                    # line 250002
            $null = $builder.Append("third: $damaged`n")                                          # line 250003
            for ($line = 250004; $line -le 300003; $line++) { $null = $builder.Append("# setting $line`n") }
            $null = $builder.Append("last: $good`n")                                              # line 300004
            $path = "$Big/deep.txt"
            [System.IO.File]::WriteAllText($path, $builder.ToString())
            $before = Get-FileDigest $path
            $caught = Get-Refusal { Update-SsoProtectedData -LiteralPath $path -Purpose 'app/db' -StorePath $Bounds.Store -ErrorAction Stop }
            $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.DamagedProtectedData,*'
            $caught.Exception.Message | Should -BeLike "'$path', line 250003:*"
            Get-FileDigest $path | Should -Be $before
        }
    }
}
