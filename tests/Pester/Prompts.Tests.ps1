# Who is asked for a password or a confirmation, and how often (issue 18). Every kind of session is tried through the
# real thing: a background job of Start-Job (under a hard time limit that fails the test instead of hanging the suite),
# a thread job, pwsh -NonInteractive, a pwsh whose input is redirected, a runspace made without a host, and a real
# terminal (a pseudo-terminal, tests/Pester/Terminal.cs) where the test types as a person would: at a local console, and
# through Enter-PSSession over SSH to this machine (when sshd can be started here). src/SsoSecret/Internal/Prompt.cs
# and about_SsoSecret say the rule.

BeforeDiscovery {
    $script:HasTerminal = $IsLinux -and [bool](Get-Command setsid -ErrorAction Ignore)
    $script:HasSsh = $HasTerminal -and (& id -u) -eq '0' -and (Test-Path /usr/sbin/sshd) -and [bool](Get-Command ssh -ErrorAction Ignore) -and [bool](Get-Command ssh-keygen -ErrorAction Ignore)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:Module = $env:SSOSECRET_TEST_MODULE
    $script:Folder = New-TestFolder 'prompts'
    $script:Store = New-TestPath 'store'
    $script:Backup = Join-Path $Folder 'a.bak'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath $Backup
    $script:PlainPassword = 'correct horse battery staple'

    # A background job may take long to start on a busy machine, but one that waits for an answer never ends: past this
    # limit the test fails (the job is stopped), so the suite itself never hangs.
    $script:JobLimitSeconds = 240

    $dll = Join-Path $PSHOME 'pwsh.dll'
    $script:Pwsh = if (Test-Path $dll) { @('dotnet', $dll) } else { @(Join-Path $PSHOME 'pwsh') }

    function Invoke-TestJob {
        # Runs a script block as a job, waits at most $JobLimitSeconds, and returns what happened to it. A job that is
        # still running or blocked (waiting for an answer) then fails the test.
        param([Parameter(Mandatory)] $Job)
        try {
            # Wait-Job returns at once, with an error, for a job blocked on a question: its state says so below.
            $null = Wait-Job -Job $Job -Timeout $JobLimitSeconds -ErrorAction SilentlyContinue
            $state = "$($Job.State)"
            $output = @()
            $errors = @()
            if ($state -in 'Completed', 'Failed') {
                $output = @(Receive-Job -Job $Job -ErrorVariable received -ErrorAction SilentlyContinue)
                # The error that ended the job: where each kind of job keeps it (a thread job reports JobStateFailed).
                $errors = @($received) + @($Job.JobStateInfo.Reason.ErrorRecord) + @($Job.ChildJobs | ForEach-Object { $_.JobStateInfo.Reason.ErrorRecord })
            }
            [pscustomobject]@{
                State  = $state
                Ids    = @($errors | Where-Object { $_ } | ForEach-Object FullyQualifiedErrorId | Where-Object { $_ -like 'SsoSecret.*' } | Select-Object -Unique)
                Output = $output
            }
        }
        finally {
            if ($Job.State -notin 'Completed', 'Failed', 'Stopped') { Stop-Job -Job $Job }
            Remove-Job -Job $Job -Force
        }
    }

    function Invoke-ChildPwsh {
        # Runs a command in a new pwsh with the given arguments before -Command; returns its output lines.
        param([string[]] $Arguments, [string] $Command)
        $rest = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile') + $Arguments + @('-Command', $Command)
        & $Pwsh[0] @rest 2>&1 | ForEach-Object { "$_" }
    }

    # The script a child session runs: import the module, run one command, print the error id or OK.
    function Get-ChildScript([string] $Command) {
        "`$ErrorActionPreference = 'Stop'; Import-Module '$Module'; try { $Command; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }"
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Where nobody can answer, a command that would ask fails at once' {
    Context 'a background job (Start-Job)' {
        It 'fails with PasswordRequired instead of leaving the job blocked on the password prompt' {
            $job = Start-Job -ScriptBlock {
                param($Module, $Path, $Store)
                $ErrorActionPreference = 'Stop'
                Import-Module $Module
                Backup-SsoMasterSecret -Path $Path -StorePath $Store -KdfProfile Interactive
            } -ArgumentList $Module, (Join-Path $Folder 'job.bak'), $Store
            $result = Invoke-TestJob $job
            $result.State | Should -Be 'Failed' -Because 'a job that waits for an answer nobody gives would be Blocked or Running'
            $result.Ids | Should -HaveCount 1
            $result.Ids[0] | Should -BeLike 'SsoSecret.PasswordRequired,*'
            Join-Path $Folder 'job.bak' | Should -Not -Exist
        }

        It 'fails with ConfirmationRequired instead of blocking on a confirmation (a restore over another secret)' {
            $other = Copy-TestStore $Store
            $otherBackup = Join-Path $Folder 'other.bak'
            $null = New-TestSecret -StorePath (New-TestPath 'store') -BackupPath $otherBackup
            $before = Get-FolderSnapshot $other
            $job = Start-Job -ScriptBlock {
                param($Module, $Path, $Store, $Password)
                $ErrorActionPreference = 'Stop'
                Import-Module $Module
                Restore-SsoMasterSecret -Path $Path -StorePath $Store -Password (ConvertTo-SecureString $Password -AsPlainText -Force)
            } -ArgumentList $Module, $otherBackup, $other, $PlainPassword
            $result = Invoke-TestJob $job
            $result.State | Should -Be 'Failed'
            $result.Ids[0] | Should -BeLike 'SsoSecret.ConfirmationRequired,*'
            Get-FolderSnapshot $other | Should -Be $before
        }

        It 'fails with ConfirmationRequired when -Confirm asks for a question a job cannot put' {
            $job = Start-Job -ScriptBlock {
                param($Module, $Path, $Store, $Password)
                $ErrorActionPreference = 'Stop'
                Import-Module $Module
                New-SsoMasterSecret -BackupPath $Path -StorePath $Store -KdfProfile Interactive -Confirm -Password (ConvertTo-SecureString $Password -AsPlainText -Force)
            } -ArgumentList $Module, (Join-Path $Folder 'job-confirm.bak'), (New-TestPath 'store'), $PlainPassword
            $result = Invoke-TestJob $job
            $result.State | Should -Be 'Failed'
            $result.Ids[0] | Should -BeLike 'SsoSecret.ConfirmationRequired,*'
        }

        It 'still runs what needs no answer: a restore into an empty store with -Password' {
            $target = New-TestPath 'store'
            $job = Start-Job -ScriptBlock {
                param($Module, $Path, $Store, $Password)
                $ErrorActionPreference = 'Stop'
                Import-Module $Module
                (Restore-SsoMasterSecret -Path $Path -StorePath $Store -Password (ConvertTo-SecureString $Password -AsPlainText -Force) -PassThru).SecretId.ToString()
            } -ArgumentList $Module, $Backup, $target, $PlainPassword
            $result = Invoke-TestJob $job
            $result.State | Should -Be 'Completed'
            $result.Output | Should -Be $Secret.SecretId.ToString()
        }
    }

    Context 'a thread job (Start-ThreadJob)' {
        It 'fails with PasswordRequired' {
            $job = Start-ThreadJob -ScriptBlock {
                param($Module, $Path, $Store)
                $ErrorActionPreference = 'Stop'
                Import-Module $Module
                Backup-SsoMasterSecret -Path $Path -StorePath $Store -KdfProfile Interactive
            } -ArgumentList $Module, (Join-Path $Folder 'thread.bak'), $Store
            $result = Invoke-TestJob $job
            $result.State | Should -Be 'Failed'
            $result.Ids[0] | Should -BeLike 'SsoSecret.PasswordRequired,*'
        }
    }

    Context 'a child pwsh' {
        It 'fails with PasswordRequired under pwsh -NonInteractive' {
            $lines = Invoke-ChildPwsh -Arguments '-NonInteractive' -Command (Get-ChildScript "Backup-SsoMasterSecret -Path '$(Join-Path $Folder 'ni.bak')' -StorePath '$Store' -KdfProfile Interactive")
            $lines | Should -Contain 'RESULT:SsoSecret.PasswordRequired,SsoSecret.Commands.BackupSsoMasterSecretCommand'
        }

        It 'fails with PasswordRequired when its input is redirected, as under cron or systemd (stdin /dev/null)' {
            $out = Join-Path $Folder 'redirected.txt'
            $script = Get-ChildScript "Restore-SsoMasterSecret -Path '$Backup' -StorePath '$(New-TestPath 'store')'"
            $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-Command', $script)
            $null = Start-Process -FilePath $Pwsh[0] -ArgumentList $arguments -RedirectStandardInput '/dev/null' -RedirectStandardOutput $out -Wait -PassThru
            Get-Content -LiteralPath $out | Should -Contain 'RESULT:SsoSecret.PasswordRequired,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        }

        It 'fails with PasswordRequired when its input is a pipe (a password is never read from it)' {
            $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-Command', (Get-ChildScript "Restore-SsoMasterSecret -Path '$Backup' -StorePath '$(New-TestPath 'store')'"))
            $lines = $PlainPassword | & $Pwsh[0] @arguments 2>&1 | ForEach-Object { "$_" }
            $lines | Should -Contain 'RESULT:SsoSecret.PasswordRequired,SsoSecret.Commands.RestoreSsoMasterSecretCommand'
        }

        It 'lets a new session catch the failure by type, the type named before any SsoSecret command ran' {
            $script = "Import-Module '$Module'; try { Backup-SsoMasterSecret -Path '$(Join-Path $Folder 'typed.bak')' -StorePath '$Store' -ErrorAction Stop } catch [SsoSecret.SsoSecretException] { 'CAUGHT:' + `$_.Exception.Failure + ':' + `$_.Exception.GetType().FullName }"
            $lines = Invoke-ChildPwsh -Arguments '-NonInteractive' -Command $script
            $lines | Should -Contain 'CAUGHT:PasswordRequired:SsoSecret.SsoSecretException'
        }
    }

    Context 'a runspace made without a host (the PowerShell API)' {
        It 'fails with <Id> for <Case>' -ForEach @(
            @{ Case = 'a password'; Id = 'PasswordRequired'; Script = { param($Module, $Folder, $Store, $Backup) Backup-SsoMasterSecret -Path (Join-Path $Folder 'api.bak') -StorePath $Store } }
            @{ Case = 'a confirmation'; Id = 'ConfirmationRequired'; Script = { param($Module, $Folder, $Store, $Backup) New-SsoMasterSecret -BackupPath (Join-Path $Folder 'api-confirm.bak') -StorePath $Store -Confirm -Password (ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force) } }
        ) {
            $runspace = [runspacefactory]::CreateRunspace()
            $runspace.Open()
            $ps = [powershell]::Create()
            $ps.Runspace = $runspace
            try {
                $null = $ps.AddCommand('Import-Module').AddArgument($Module).AddStatement().AddScript($Script).AddArgument($Module).AddArgument($Folder).AddArgument($Store).AddArgument($Backup)
                $errorId = try { $null = $ps.Invoke(); @($ps.Streams.Error)[0].FullyQualifiedErrorId } catch { $_.Exception.InnerException.ErrorRecord.FullyQualifiedErrorId }
                $errorId | Should -BeLike "SsoSecret.$Id,*"
            }
            finally {
                $ps.Dispose()
                $runspace.Dispose()
            }
        }
    }
}

Describe 'At a real terminal, a person is asked, and gets three tries' -Skip:(-not $HasTerminal) {
    BeforeAll {
        if (-not ('SsoSecretTests.Terminal' -as [type])) {
            Add-Type -LiteralPath (Join-Path $PSScriptRoot 'Terminal.cs')
        }

        function Start-TestTerminal([string] $Command) {
            # A pwsh without -NonInteractive on a terminal of its own: an interactive console.
            $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NoLogo', '-Command', $Command)
            [SsoSecretTests.Terminal]::Start($Pwsh[0], [string[]]$arguments, @{ SSOSECRET_STORE = $env:SSOSECRET_STORE })
        }

        function Assert-Expect($Terminal, [string] $Pattern, [double] $Seconds = 120) {
            if (-not $Terminal.Expect($Pattern, $Seconds)) {
                throw "The terminal did not show /$Pattern/ within $Seconds s. It shows:`n$($Terminal.Text)"
            }
        }

        function Send-NewPassword($Terminal, [string] $Password, [string] $Confirmation = $Password) {
            # Answers a new backup password's two questions, each once it is asked.
            Assert-Expect $Terminal 'New password for the backup'
            $Terminal.SendSecret($Password, 60)
            Assert-Expect $Terminal 'Confirm the password'
            $Terminal.SendSecret($Confirmation, 60)
        }

        function Start-TestShell {
            # An interactive pwsh at its own prompt (PSReadLine and all), where a person types one command after another.
            $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NoLogo')
            $terminal = [SsoSecretTests.Terminal]::Start($Pwsh[0], [string[]]$arguments, @{ SSOSECRET_STORE = $env:SSOSECRET_STORE })
            Assert-Expect $terminal 'PS [^\n]*> '
            $terminal
        }

        $script:Interactive = "`$ErrorActionPreference = 'Stop'; Import-Module '$Module'"
    }

    It 'asks again after a mistyped confirmation, and the backup opens with the password typed' {
        $path = Join-Path $Folder 'typed.bak'
        $terminal = Start-TestTerminal "$Interactive; try { Backup-SsoMasterSecret -Path '$path' -StorePath '$Store' -KdfProfile Interactive; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }"
        try {
            Send-NewPassword $terminal $PlainPassword ($PlainPassword + 'x')
            Assert-Expect $terminal 'The two passwords differ\. Try again \(2 tries left\)\.'
            Send-NewPassword $terminal $PlainPassword
            Assert-Expect $terminal 'Password reminder'
            $terminal.Send('typed at a terminal')
            Assert-Expect $terminal 'RESULT:OK' 300
            $terminal.Text | Should -Not -Match ([regex]::Escape($PlainPassword))
        }
        finally {
            $terminal.Dispose()
        }
        Test-SsoSecretBackup -LiteralPath $path -Password $Password | Should -BeTrue
        (Get-SsoSecretBackupInfo -LiteralPath $path).PasswordHint | Should -Be 'typed at a terminal'
    }

    It 'asks again after a wrong password on restore, and restores with the right one' {
        $target = New-TestPath 'store'
        $terminal = Start-TestTerminal "$Interactive; try { Restore-SsoMasterSecret -Path '$Backup' -StorePath '$target'; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }"
        try {
            Assert-Expect $terminal ([regex]::Escape("Password reminder : $Hint"))
            Assert-Expect $terminal 'Password for'
            $terminal.SendSecret('incorrect mule battery clip', 60)
            Assert-Expect $terminal 'That password does not open the backup\. Try again \(2 tries left\)\.' 300
            Assert-Expect $terminal 'Password for'
            $terminal.SendSecret($PlainPassword, 60)
            Assert-Expect $terminal 'RESULT:OK' 300
        }
        finally {
            $terminal.Dispose()
        }
        (Get-SsoMasterSecret -StorePath $target).SecretId | Should -Be $Secret.SecretId
    }

    It 'gives up after three wrong passwords with WrongPassword, and points at the reminder just shown' {
        $target = New-TestPath 'store'
        $terminal = Start-TestTerminal "$Interactive; try { Restore-SsoMasterSecret -Path '$Backup' -StorePath '$target' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId; 'ADVICE:' + `$_.ErrorDetails.RecommendedAction }"
        try {
            foreach ($try in 1..3) {
                Assert-Expect $terminal 'Password for' 300
                $terminal.SendSecret("wrong password number $try", 60)
            }
            Assert-Expect $terminal 'RESULT:SsoSecret\.WrongPassword,' 300
            Assert-Expect $terminal 'ADVICE:Check the password against the reminder shown above the prompt'
            $terminal.Text | Should -Match 'Try again \(1 try left\)\.'
        }
        finally {
            $terminal.Dispose()
        }
        $target | Should -Not -Exist
    }

    It 'refuses a short or empty password before asking for its confirmation, and a hint of spaces at its prompt' {
        $path = Join-Path $Folder 'short-first.bak'
        $terminal = Start-TestTerminal "$Interactive; try { Backup-SsoMasterSecret -Path '$path' -StorePath '$Store' -KdfProfile Interactive; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId }"
        try {
            Assert-Expect $terminal 'New password for the backup'
            $terminal.SendSecret('short', 60)
            Assert-Expect $terminal 'The password is shorter than 8 characters\. Try again \(2 tries left\)\.'
            Assert-Expect $terminal 'New password for the backup'
            $terminal.SendSecret('', 60)
            Assert-Expect $terminal 'The password is empty\. A backup needs a password\. Try again \(1 try left\)\.'
            Send-NewPassword $terminal $PlainPassword
            Assert-Expect $terminal 'Password reminder'
            $terminal.Send('   ')
            Assert-Expect $terminal 'The password hint is only white space.*Try again \(2 tries left\)\.'
            Assert-Expect $terminal 'Password reminder'
            $terminal.Send('not blank')
            Assert-Expect $terminal 'RESULT:OK' 300
            # The refused passwords were asked once each: the only confirmation asked was the good password's.
            [regex]::Matches($terminal.Text, 'Confirm the password').Count | Should -Be 1
        }
        finally {
            $terminal.Dispose()
        }
        (Get-SsoSecretBackupInfo -LiteralPath $path).PasswordHint | Should -Be 'not blank'
    }

    It 'ends the command at once on Ctrl+C at the <Case>, and the next command typed runs' -ForEach @(
        @{ Case = 'first password prompt'; Answers = @(); Prompt = 'New password for the backup' }
        @{ Case = 'confirmation prompt'; Answers = @('correct horse battery staple'); Prompt = 'Confirm the password' }
        @{ Case = 'reminder prompt'; Answers = @('correct horse battery staple', 'correct horse battery staple'); Prompt = 'Password reminder' }
    ) {
        $path = Join-Path $Folder "interrupted-$($Answers.Count).bak"
        $terminal = Start-TestShell
        try {
            $terminal.Send("Import-Module '$Module'; Backup-SsoMasterSecret -Path '$path' -StorePath '$Store' -KdfProfile Interactive")
            foreach ($answer in $Answers) {
                Assert-Expect $terminal '(New password for the backup|Confirm the password)[^\n]*: $'
                $terminal.SendSecret($answer, 60)
            }
            Assert-Expect $terminal ([regex]::Escape($Prompt))
            $terminal.Interrupt(60)
            # Back at the shell's prompt; what is typed next is a command, not the answer to a question.
            Assert-Expect $terminal 'PS [^\n]*> '
            $terminal.Send("'NEXT' + 'COMMAND' + (Test-Path '$path')")
            Assert-Expect $terminal 'NEXTCOMMANDFalse'
            $terminal.Text | Should -Not -Match 'Try again'
        }
        finally {
            $terminal.Dispose()
        }
        $path | Should -Not -Exist
    }

    It 'does not ask from a thread job that shares the console (Start-ThreadJob -StreamingHost $Host)' {
        $path = Join-Path $Folder 'streaming.bak'
        $command = "$Interactive; `$job = Start-ThreadJob -StreamingHost `$Host -ScriptBlock { Import-Module '$Module'; Backup-SsoMasterSecret -Path '$path' -StorePath '$Store' -KdfProfile Interactive }; " +
            "`$null = Wait-Job `$job -Timeout $JobLimitSeconds -ErrorAction SilentlyContinue; 'STATE:' + `$job.State; `$null = Receive-Job `$job -ErrorVariable received -ErrorAction SilentlyContinue; 'RESULT:' + `$received[0].FullyQualifiedErrorId"
        $terminal = Start-TestTerminal $command
        try {
            Assert-Expect $terminal 'RESULT:SsoSecret\.PasswordRequired,' ($JobLimitSeconds + 60)
            $terminal.Text | Should -Not -Match 'New password for the backup'
        }
        finally {
            $terminal.Dispose()
        }
        $path | Should -Not -Exist
    }

    It 'does not leave a job started from an interactive console blocked (Start-Job)' {
        $command = "$Interactive; `$job = Start-Job { param(`$m, `$p, `$s) Import-Module `$m; Backup-SsoMasterSecret -Path `$p -StorePath `$s } -ArgumentList '$Module', '$(Join-Path $Folder 'console-job.bak')', '$Store'; " +
            "`$null = Wait-Job `$job -Timeout $JobLimitSeconds -ErrorAction SilentlyContinue; 'STATE:' + `$job.State; `$null = Receive-Job `$job -ErrorVariable received -ErrorAction SilentlyContinue; 'RESULT:' + `$received[0].FullyQualifiedErrorId"
        $terminal = Start-TestTerminal $command
        try {
            Assert-Expect $terminal 'STATE:\w+' ($JobLimitSeconds + 60)
            $terminal.Text | Should -Match 'STATE:Failed' -Because 'a job that waits for an answer would be Blocked'
            Assert-Expect $terminal 'RESULT:SsoSecret\.PasswordRequired,' 60
        }
        finally {
            $terminal.Dispose()
        }
    }
}

Describe 'Over SSH remoting, the client decides' -Skip:(-not $HasSsh) {
    BeforeAll {
        if (-not ('SsoSecretTests.Terminal' -as [type])) {
            Add-Type -LiteralPath (Join-Path $PSScriptRoot 'Terminal.cs')
        }

        # An sshd of this test's own on a free port of 127.0.0.1, key login only, with the powershell subsystem run by
        # the PowerShell that runs this suite. StrictModes is off because $TestDrive is under /tmp.
        $script:SshFolder = New-TestFolder 'sshd'
        & ssh-keygen -q -t ed25519 -N '' -f (Join-Path $SshFolder 'host_key') | Out-Null
        & ssh-keygen -q -t ed25519 -N '' -f (Join-Path $SshFolder 'client_key') | Out-Null
        Copy-Item (Join-Path $SshFolder 'client_key.pub') (Join-Path $SshFolder 'authorized_keys')
        $subsystem = (@($Pwsh | ForEach-Object { (Get-Command $_ -ErrorAction Ignore)?.Source ?? $_ }) + '-sshs', '-NoLogo', '-NoProfile') -join ' '
        if (-not (Test-Path /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd }
        # A free port is picked, then handed to sshd: another process may take it in between (on a busy machine any
        # outgoing connection may), so a start that fails is tried again on a new port, and the last failure says what
        # sshd said.
        $script:SshdPid = 0
        for ($try = 1; $try -le 5 -and -not $SshdPid; $try++) {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $script:SshPort = $listener.LocalEndpoint.Port
            $listener.Stop()
            $pidFile = Join-Path $SshFolder 'sshd.pid'
            $log = Join-Path $SshFolder "sshd-$try.log"
            @(
                "Port $SshPort"
                'ListenAddress 127.0.0.1'
                "HostKey $(Join-Path $SshFolder 'host_key')"
                "PidFile $pidFile"
                "AuthorizedKeysFile $(Join-Path $SshFolder 'authorized_keys')"
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'PermitRootLogin prohibit-password'
                'StrictModes no'
                'UsePAM no'
                "Subsystem powershell $subsystem"
            ) | Set-Content -LiteralPath (Join-Path $SshFolder 'sshd_config')
            # sshd detaches before it binds, so its exit code says nothing of the port: the daemon either writes its pid
            # file (it listens) or logs "Cannot bind any address" and ends.
            & /usr/sbin/sshd -f (Join-Path $SshFolder 'sshd_config') -E $log
            $exit = $LASTEXITCODE
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while ($exit -eq 0 -and -not (Test-Path $pidFile) -and [datetime]::UtcNow -lt $deadline -and
                -not (Select-String -LiteralPath $log -Pattern 'Cannot bind' -Quiet -ErrorAction Ignore)) { Start-Sleep -Milliseconds 100 }
            if ($exit -eq 0 -and (Test-Path $pidFile)) {
                $script:SshdPid = [int](Get-Content -LiteralPath $pidFile)
            }
            elseif ($try -eq 5) {
                throw "sshd did not start (5 tries; the last on port $SshPort, exit code $exit): $(Get-Content -LiteralPath $log -Raw -ErrorAction Ignore)"
            }
        }

        $script:Remote = @{
            HostName    = '127.0.0.1'
            Port        = $SshPort
            UserName    = 'root'
            KeyFilePath = Join-Path $SshFolder 'client_key'
            Options     = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; BatchMode = 'yes'; LogLevel = 'ERROR' }
        }
    }

    AfterAll {
        if ($SshdPid) { Stop-Process -Id $SshdPid -ErrorAction Ignore }
    }

    It 'fails at once with PasswordRequired in Invoke-Command from a client that cannot ask (this non-interactive session)' {
        $id = Invoke-Command @Remote -ScriptBlock {
            param($Module, $Path, $Store)
            Import-Module $Module
            try { Backup-SsoMasterSecret -Path $Path -StorePath $Store -KdfProfile Interactive -ErrorAction Stop; 'OK' } catch { $_.FullyQualifiedErrorId }
        } -ArgumentList $Module, (Join-Path $Folder 'remote.bak'), $Store
        $id | Should -BeLike 'SsoSecret.PasswordRequired,*'
        Join-Path $Folder 'remote.bak' | Should -Not -Exist
    }

    It 'fails at once with PasswordRequired in Invoke-Command -AsJob, whose client would hold the question (no Blocked job)' {
        $job = Invoke-Command @Remote -AsJob -ScriptBlock {
            param($Module, $Path, $Store)
            Import-Module $Module
            Backup-SsoMasterSecret -Path $Path -StorePath $Store -KdfProfile Interactive
        } -ArgumentList $Module, (Join-Path $Folder 'remote-job.bak'), $Store
        $result = Invoke-TestJob $job
        $result.State | Should -BeIn 'Completed', 'Failed' -Because 'a job that waits for an answer would be Blocked'
        $result.Ids | Should -HaveCount 1
        $result.Ids[0] | Should -BeLike 'SsoSecret.PasswordRequired,*'
        Join-Path $Folder 'remote-job.bak' | Should -Not -Exist
    }

    It 'fails at once with ConfirmationRequired in Invoke-Command -AsJob for a question (Restore over another secret)' {
        $other = Copy-TestStore $Store
        $otherBackup = Join-Path $Folder 'other-remote.bak'
        $null = New-TestSecret -StorePath (New-TestPath 'store') -BackupPath $otherBackup
        $before = Get-FolderSnapshot $other
        $job = Invoke-Command @Remote -AsJob -ScriptBlock {
            param($Module, $Path, $Store, $Password)
            Import-Module $Module
            Restore-SsoMasterSecret -Path $Path -StorePath $Store -Password (ConvertTo-SecureString $Password -AsPlainText -Force)
        } -ArgumentList $Module, $otherBackup, $other, $PlainPassword
        $result = Invoke-TestJob $job
        $result.State | Should -BeIn 'Completed', 'Failed'
        $result.Ids[0] | Should -BeLike 'SsoSecret.ConfirmationRequired,*'
        Get-FolderSnapshot $other | Should -Be $before
    }

    It 'asks the person at an interactive Enter-PSSession, with three tries there too' {
        $path = Join-Path $Folder 'entered.bak'
        $options = '@{ StrictHostKeyChecking = ''no''; UserKnownHostsFile = ''/dev/null''; BatchMode = ''yes''; LogLevel = ''ERROR'' }'
        $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NoLogo')
        $terminal = [SsoSecretTests.Terminal]::Start($Pwsh[0], [string[]]$arguments, @{})
        try {
            if (-not $terminal.Expect('PS [^\n]*> ', 120)) { throw "No prompt: $($terminal.Text)" }
            $terminal.Send("Enter-PSSession -HostName 127.0.0.1 -Port $SshPort -UserName root -KeyFilePath '$($Remote.KeyFilePath)' -Options $options")
            if (-not $terminal.Expect('\[127\.0\.0\.1\]: PS [^\n]*> ', 180)) { throw "No remote prompt: $($terminal.Text)" }
            $terminal.Send("Import-Module '$Module'; Backup-SsoMasterSecret -Path '$path' -StorePath '$Store' -KdfProfile Interactive; 'REMOTE:' + (Test-Path '$path')")
            if (-not $terminal.Expect('New password for the backup', 180)) { throw "No password prompt: $($terminal.Text)" }
            $terminal.SendSecret($PlainPassword, 60)
            if (-not $terminal.Expect('Confirm the password', 60)) { throw "No confirmation prompt: $($terminal.Text)" }
            $terminal.SendSecret('not the same password', 60)
            if (-not $terminal.Expect('Try again \(2 tries left\)', 60)) { throw "No second try: $($terminal.Text)" }
            if (-not $terminal.Expect('New password for the backup', 60)) { throw "No second password prompt: $($terminal.Text)" }
            $terminal.SendSecret($PlainPassword, 60)
            if (-not $terminal.Expect('Confirm the password', 60)) { throw "No confirmation prompt: $($terminal.Text)" }
            $terminal.SendSecret($PlainPassword, 60)
            if (-not $terminal.Expect('Password reminder', 60)) { throw "No reminder prompt: $($terminal.Text)" }
            $terminal.Send('typed through ssh')
            if (-not $terminal.Expect('REMOTE:True', 300)) { throw "The remote backup did not finish: $($terminal.Text)" }
            $terminal.Send('exit')
        }
        finally {
            $terminal.Dispose()
        }
        Test-SsoSecretBackup -LiteralPath $path -Password $Password | Should -BeTrue
        (Get-SsoSecretBackupInfo -LiteralPath $path).PasswordHint | Should -Be 'typed through ssh'
    }
}
