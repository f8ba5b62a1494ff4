# Every file and folder SsoSecret creates (store folder, store file, lock file, temporary files, backups) exists from
# its first instant with its final owner-only mode (issue 15): a watcher in this process scans the work folder in a
# tight loop while another process, with umask 000, creates stores, backups and replacements over and over. It must
# never see an entry open to group or others. A control proves the watcher can see such a window: the same process
# also creates files and folders the way SsoSecret used to (created with the umask's mode, narrowed a few milliseconds
# later), and the watcher must catch some of those. $env:SSOSECRET_MODE_ROUNDS (default 25) sets the rounds.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:ModeRounds = if ($env:SSOSECRET_MODE_ROUNDS) { [int]$env:SSOSECRET_MODE_ROUNDS } else { 25 }
    if ($OnUnix -and -not ('SsoSecretTests.ModeWatcher' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace SsoSecretTests
{
    /// <summary>Scans a folder tree in a tight loop and records every entry whose mode is open to group or others.</summary>
    public sealed class ModeWatcher
    {
        private readonly string _root;
        private readonly Thread _thread;
        private volatile bool _stop;

        public ModeWatcher(string root)
        {
            _root = root;
            _thread = new Thread(Run) { IsBackground = true, Name = "mode watcher" };
        }

        /// <summary>Each entry seen open to others, once, with the mode seen.</summary>
        public Dictionary<string, string> Wide { get; } = new Dictionary<string, string>();

        /// <summary>Entries looked at in all.</summary>
        public long Looks { get; private set; }

        public long Passes { get; private set; }

        public void Start() => _thread.Start();

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        private void Run()
        {
            var folders = new Stack<string>();
            while (!_stop)
            {
                folders.Push(_root);
                while (folders.Count > 0)
                {
                    string folder = folders.Pop();
                    string[] entries;
                    try
                    {
                        entries = Directory.GetFileSystemEntries(folder);
                    }
                    catch (IOException)
                    {
                        continue;
                    }
                    catch (UnauthorizedAccessException)
                    {
                        continue;
                    }

                    foreach (string entry in entries)
                    {
                        UnixFileMode mode;
                        FileAttributes attributes;
                        try
                        {
                            mode = File.GetUnixFileMode(entry);
                            attributes = File.GetAttributes(entry);
                        }
                        catch (IOException)
                        {
                            continue; // gone already (renamed or removed)
                        }
                        catch (UnauthorizedAccessException)
                        {
                            continue;
                        }

                        Looks++;
                        if (((int)mode & 0x3F) != 0)
                        {
                            lock (Wide)
                            {
                                if (!Wide.ContainsKey(entry))
                                {
                                    Wide[entry] = Convert.ToString((int)mode, 8);
                                }
                            }
                        }

                        if ((attributes & FileAttributes.Directory) != 0)
                        {
                            folders.Push(entry);
                        }
                    }
                }

                Passes++;
            }
        }
    }
}
'@
    }

    $script:CreatorScript = Join-Path $TestDrive 'creator.ps1'
    Set-Content -LiteralPath $CreatorScript -Encoding utf8 -Value @'
param([string] $ModulePath, [string] $Work, [int] $Rounds)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
$context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('SsoSecret.Core')).GetType('SsoSecret.TestSupport', $true).
    GetProperty('WaiveKdfFloor', [System.Reflection.BindingFlags]'NonPublic, Static').SetValue($null, $true)
$pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
$tiny = [SsoSecret.KdfParameters]::new(64, 1, 1)
$ownerFile = [System.IO.UnixFileMode]'UserRead, UserWrite'
$ownerFolder = [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
for ($i = 1; $i -le $Rounds; $i++) {
    $round = Join-Path $Work "r$i"
    [System.IO.Directory]::CreateDirectory($round, $ownerFolder) | Out-Null
    # SsoSecret's own creations: a store folder, its lock and store file (and their temporary files), backups (and
    # theirs), a backup replaced with -Force, a store rewritten by a restore.
    New-SsoMasterSecret -BackupPath "$round/new.bak" -StorePath "$round/store" -Password $pw -KdfParameters $tiny -Armor:($i % 2 -eq 0) | Out-Null
    Backup-SsoMasterSecret "$round/copy.bak" -StorePath "$round/store" -Password $pw -KdfParameters $tiny
    Backup-SsoMasterSecret "$round/new.bak" -StorePath "$round/store" -Password $pw -KdfParameters $tiny -Force
    Restore-SsoMasterSecret "$round/copy.bak" -StorePath "$round/store" -Password $pw -Force
    # The control: the old way, created wide (the umask is 000 here) and narrowed 20 ms later.
    $file = "$round/control-file"
    [System.IO.File]::WriteAllBytes($file, [byte[]]@(1))
    Start-Sleep -Milliseconds 20
    [System.IO.File]::SetUnixFileMode($file, $ownerFile)
    $folder = "$round/control-folder"
    [System.IO.Directory]::CreateDirectory($folder) | Out-Null
    Start-Sleep -Milliseconds 20
    [System.IO.File]::SetUnixFileMode($folder, $ownerFolder)
    # Keep the tree small, so the watcher's passes stay fast.
    if ($i -gt 1) { Remove-Item (Join-Path $Work "r$($i - 1)") -Recurse -Force }
}
'DONE'
'@
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Files and folders are born owner-only' -Skip:$IsWindows {
    It 'a watcher never sees a store folder, store file, lock file, temporary file or backup open to others (umask 000)' {
        $work = New-TestFolder 'watched'
        $watcher = [SsoSecretTests.ModeWatcher]::new($work)
        $watcher.Start()
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        try {
            $pwsh = Join-Path $PSHOME 'pwsh.dll'
            $output = bash -c "umask 000 && exec dotnet '$pwsh' -NoProfile -NonInteractive -File '$CreatorScript' -ModulePath '$env:SSOSECRET_TEST_MODULE' -Work '$work' -Rounds $ModeRounds" 2>&1
        }
        finally {
            $watcher.Stop()
        }
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $output | Select-Object -Last 1 | Should -Be 'DONE'

        $control = @($watcher.Wide.Keys | Where-Object { $_ -match '/control-(file|folder)$' })
        $ours = @($watcher.Wide.GetEnumerator() | Where-Object { $_.Key -notmatch '/control-(file|folder)$' } | ForEach-Object { "$($_.Key) ($($_.Value))" })
        Write-Host ("    {0} rounds in {1:0.0} s; the watcher made {2} passes, looked {3} times, caught {4} of {5} control windows" -f
            $ModeRounds, $watch.Elapsed.TotalSeconds, $watcher.Passes, $watcher.Looks, $control.Count, (2 * $ModeRounds))
        $control.Count | Should -BeGreaterThan 0 -Because 'the watcher must be able to see a window of a wider mode (else this test proves nothing)'
        $ours | Should -BeNullOrEmpty -Because 'SsoSecret creates every file and folder with its final mode'
    }
}
