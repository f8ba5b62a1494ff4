<#
    The fleet harness: N real hosts on this machine, reached with PowerShell remoting over SSH, each with the built
    SsoSecret module and a store of its own. tests/Fleet/README.md describes what it makes and why.

    Get-SsoFleetSupport     whether this machine can make a fleet, and if not, why (one plain sentence)
    Start-SsoFleet          makes the hosts and returns the fleet (names, addresses, key file, ...)
    Stop-SsoFleet           tears a fleet down, and says what is left (nothing, or the test fails)
    Remove-SsoFleetLeftover tears down fleets whose owner process is gone (Start-SsoFleet calls it first)
    Get-SsoFleetGuideBlock  the powershell blocks of docs/guide-fleet.md, by name, for the tests to run
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot '../ProcessOwner.ps1')    # Get-ProcessStartTime, Get-OwnerTag, Test-OwnerAlive

# Every fleet lives below this folder (tmpfs: a reboot clears it too). Not /tmp: sshd's StrictModes refuses an
# authorized_keys file below a world-writable folder, and StrictModes stays on, as on a real server.
$script:RunRoot = '/run/ssosecret-fleet'
$script:Here = $PSScriptRoot
$script:MaxHosts = 64

function Invoke-FleetNative {
    # Runs a native command; throws with its output when it fails. A plain function: no parameter binding to claim
    # arguments such as -n or -f.
    $command, $rest = $args
    $rest = @($rest)
    $output = & $command @rest 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "'$command $($rest -join ' ')' failed (exit code $LASTEXITCODE): $(($output | Out-String).Trim())"
    }
    $output
}

function Copy-MachineEtc([string] $Destination) {
    # A copy of /etc for one host. The machine's /etc changes while it is copied (useradd, passwd and the like make
    # lock and temporary files such as /etc/passwd.lock and /etc/gshadow+ and remove them a moment later): a file that
    # was listed and is gone when cp reaches it is not part of the machine's configuration, so only that error is let
    # pass. Any other error fails the copy.
    $output = @(& env LC_ALL=C cp -a /etc $Destination 2>&1)
    if ($LASTEXITCODE -eq 0) { return }
    $other = @($output | ForEach-Object { "$_" } | Where-Object { $_ -notmatch "^(\S*/)?cp: cannot (stat|open) '/etc/[^']+'( for reading)?: No such file or directory$" })
    if ($other.Count -gt 0 -or -not (Test-Path -LiteralPath (Join-Path $Destination 'passwd'))) {
        throw "'cp -a /etc $Destination' failed (exit code $LASTEXITCODE): $(($output | Out-String).Trim())"
    }
    Write-Verbose "Copied /etc to $Destination; files that went away while it was copied: $(($output | Out-String).Trim())"
}

function Find-FleetProgram([string[]] $Candidates) {
    foreach ($candidate in $Candidates) {
        if ($candidate.StartsWith('/')) {
            if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
        }
        else {
            $command = Get-Command $candidate -CommandType Application -ErrorAction Ignore | Select-Object -First 1
            if ($command) { return $command.Source }
        }
    }
    $null
}

function Get-SsoFleetSupport {
    <#
    .SYNOPSIS
        Says whether this machine can make a fleet: Supported, and when not, Reason (one plain sentence).
    .DESCRIPTION
        A fleet needs Linux, root, working network namespaces (probed by making and deleting one), OpenSSH's sshd,
        ssh and ssh-keygen, and util-linux's unshare and setsid.
    #>
    [CmdletBinding()]
    param()

    $support = [ordered]@{ Supported = $false; Reason = ''; Sshd = $null; Ssh = $null; SshKeygen = $null; Subsystem = $null }
    $fail = {
        param([string] $Reason)
        $support.Reason = $Reason
        [pscustomobject]$support
    }

    if (-not $IsLinux) { return & $fail 'the fleet needs Linux network namespaces, and this is not Linux' }
    $uid = (& id -u 2>$null)
    if ($uid -ne '0') { return & $fail "the fleet needs root (to make network namespaces and start sshd), and this runs as uid $uid" }

    foreach ($tool in 'ip', 'unshare', 'setsid', 'hostname', 'mount', 'cp') {
        if (-not (Find-FleetProgram $tool)) { return & $fail "the fleet needs the '$tool' command, which is not installed" }
    }

    $probe = "ssofleet-probe-$PID"
    $output = & ip netns add $probe 2>&1
    if ($LASTEXITCODE -ne 0) {
        return & $fail "'ip netns add' does not work here ($(($output | Out-String).Trim())): the fleet needs network namespaces"
    }
    # A host's own /etc is mounted in a mount namespace of its own, inside its network namespace: probe that too.
    $output = & ip netns exec $probe unshare --mount --propagation private -- mount --bind /etc /etc 2>&1
    $mounts = $LASTEXITCODE
    & ip netns delete $probe 2>&1 | Out-Null
    if ($mounts -ne 0) {
        return & $fail "a bind mount in a private mount namespace does not work here ($(($output | Out-String).Trim())): each host needs its own /etc"
    }

    $support.Sshd = Find-FleetProgram '/usr/sbin/sshd', '/usr/local/sbin/sshd', 'sshd'
    if (-not $support.Sshd) {
        return & $fail 'the fleet needs OpenSSH''s sshd, which is not installed (Debian/Ubuntu: apt-get install openssh-server)'
    }
    $support.Ssh = Find-FleetProgram '/usr/bin/ssh', 'ssh'
    $support.SshKeygen = Find-FleetProgram '/usr/bin/ssh-keygen', 'ssh-keygen'
    if (-not $support.Ssh -or -not $support.SshKeygen) {
        return & $fail 'the fleet needs the OpenSSH client (ssh and ssh-keygen), which is not installed (apt-get install openssh-client)'
    }

    # The hosts run the PowerShell that runs this: as a .NET tool that is "dotnet pwsh.dll", else the pwsh executable.
    $process = (Get-Process -Id $PID).Path
    $dll = Join-Path $PSHOME 'pwsh.dll'
    $subsystem = if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet' -and (Test-Path $dll)) { @($process, $dll) } else { @($process) }
    if (@($subsystem | Where-Object { $_ -match '\s' })) {
        return & $fail "the path of PowerShell ($($subsystem -join ' ')) has a space, which sshd's Subsystem line cannot hold"
    }
    $support.Subsystem = $subsystem

    $support.Supported = $true
    [pscustomobject]$support
}

function Get-FreeSubnet {
    # A /24 of 10.0.0.0/8 that no route of this machine touches (other than the default route), picked at random so
    # that fleets started at the same time by other users of the machine do not meet.
    for ($try = 0; $try -lt 50; $try++) {
        $prefix = '10.{0}.{1}' -f (Get-Random -Minimum 100 -Maximum 255), (Get-Random -Minimum 0 -Maximum 256)
        $inside = & ip -4 route show root "$prefix.0/24" 2>$null
        $around = @(& ip -4 route show match "$prefix.0/24" 2>$null | Where-Object { $_ -notmatch '^default' })
        $addresses = @(& ip -4 -o addr show 2>$null | Where-Object { $_ -match [regex]::Escape("inet $prefix.") })
        if (-not $inside -and $around.Count -eq 0 -and $addresses.Count -eq 0) { return $prefix }
    }
    throw 'Found no free 10.x.y.0/24 for the fleet in 50 tries.'
}

function Start-SsoFleet {
    <#
    .SYNOPSIS
        Makes a fleet of -Count hosts and returns it. Tears down what it made if any step fails.
    .DESCRIPTION
        Each host hN is a network namespace with its own address on a private bridge, its own host name (a UTS
        namespace), its own sshd (own configuration, host key and pid file; key login only; the powershell
        subsystem), its own root home (a private copy of /etc, mounted over /etc in its own mount namespace, whose
        passwd gives root that HOME and a plain /bin/sh login shell, so no profile of this machine's root runs there),
        the module installed in that home's PowerShell module path, and its own store (sshd's SetEnv SSOSECRET_STORE).

        The client side: a key pair made for this run, a known_hosts file holding the hosts' generated keys, an ssh
        configuration that names the hosts (h1, h2, ...) with strict host key checking, and a folder with an 'ssh'
        that reads that configuration (put it first on PATH: PowerShell starts 'ssh' from PATH).

        A watchdog (fleet-watchdog.sh) started before anything else tears the fleet down when this process ends or
        its deadline passes, whichever comes first. The deadline is -TimeoutSeconds after the fleet is ready: the
        making itself (tens of seconds on a loaded machine) has a deadline of its own, MakingSeconds, so that a
        short-lived fleet is never torn down while it is being made.
    #>
    [CmdletBinding()]
    param(
        [ValidateRange(1, 64)] [int] $Count = 3,
        # The built module folder (out/SsoSecret).
        [Parameter(Mandatory)] [string] $ModulePath,
        [ValidateRange(10, 86400)] [int] $TimeoutSeconds = 600,
        # How long the making may take (plus a minute a host) before the watchdog gives up on it.
        [ValidateRange(10, 86400)] [int] $MakingSeconds = 600
    )

    $support = Get-SsoFleetSupport
    if (-not $support.Supported) { throw "Cannot make a fleet: $($support.Reason)." }
    $ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
    if (-not (Test-Path (Join-Path $ModulePath 'SsoSecret.psd1'))) { throw "No SsoSecret.psd1 in $ModulePath." }

    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    Remove-SsoFleetLeftover

    $id = -join ((1..6) | ForEach-Object { '{0:x}' -f (Get-Random -Maximum 16) })
    $run = Join-Path $RunRoot $id
    foreach ($attempt in 1, 2) {
        # Twice: another fleet's teardown may remove the empty root between the two mkdir.
        New-Item -ItemType Directory -Path $RunRoot -Force | Out-Null
        [System.IO.File]::SetUnixFileMode($RunRoot, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        if ((New-Item -ItemType Directory -Path $run -ErrorAction Ignore)) { break }
        if ($attempt -eq 2) { throw "Cannot create the fleet's run folder $run." }
    }
    [System.IO.File]::SetUnixFileMode($run, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    # While the fleet is made, the watchdog's deadline is the making's; once it is ready, Start-SsoFleet writes the
    # fleet's own deadline to the run folder's 'deadline' file, which the watchdog reads at every turn.
    $deadline = [DateTimeOffset]::UtcNow.AddSeconds($MakingSeconds + 60 * $Count)
    Set-Content -Path (Join-Path $run 'owner') -Value (Get-OwnerTag)

    # The watchdog first: from here on, whatever happens to this process, the fleet goes.
    $watchdog = Join-Path $Here 'fleet-watchdog.sh'
    Invoke-FleetNative setsid -f /bin/sh -c 'exec /bin/sh "$0" "$@" </dev/null >/dev/null 2>&1' $watchdog $run $PID (Get-ProcessStartTime $PID) $deadline.ToUnixTimeSeconds() | Out-Null

    $fleet = $null
    try {
        $prefix = Get-FreeSubnet
        $bridge = "sf${id}br"
        $record = { param([string] $List, [string] $Name) Add-Content -Path (Join-Path $run $List) -Value $Name }

        & $record links $bridge
        Invoke-FleetNative ip link add name $bridge type bridge | Out-Null
        Invoke-FleetNative ip addr add "$prefix.1/24" dev $bridge | Out-Null
        Invoke-FleetNative ip link set $bridge up | Out-Null

        # sshd's privilege separation folder (compiled in; sshd will not start without it). Shared with the machine's
        # own sshd and other fleets, so it is made when missing and never removed.
        if (-not (Test-Path /run/sshd)) { Invoke-FleetNative mkdir -m 0755 -p /run/sshd | Out-Null }

        $client = New-Item -ItemType Directory -Path (Join-Path $run 'client')
        $keyFile = Join-Path $client 'id_ed25519'
        Invoke-FleetNative $support.SshKeygen -q -t ed25519 -N '' -C "ssosecret-fleet-$id-admin" -f $keyFile | Out-Null
        $publicKey = Get-Content "$keyFile.pub" -Raw

        $passwd = @(Get-Content /etc/passwd)
        $hosts = foreach ($i in 1..$Count) {
            $name = "h$i"
            $namespace = "ssofleet-$id-$name"
            $address = "$prefix.$(10 + $i)"
            $folder = New-Item -ItemType Directory -Path (Join-Path $run $name)
            $homeFolder = New-Item -ItemType Directory -Path (Join-Path $folder 'home')
            [System.IO.File]::SetUnixFileMode($homeFolder, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
            $store = Join-Path $folder 'store'

            # The network: a namespace, a veth pair from it to the bridge, an address.
            & $record namespaces $namespace
            Invoke-FleetNative ip netns add $namespace | Out-Null
            $outer = "sf${id}$name"
            & $record links $outer
            Invoke-FleetNative ip link add $outer type veth peer name eth0 netns $namespace | Out-Null
            Invoke-FleetNative ip link set $outer master $bridge up | Out-Null
            Invoke-FleetNative ip -n $namespace addr add "$address/24" dev eth0 | Out-Null
            Invoke-FleetNative ip -n $namespace link set eth0 up | Out-Null
            Invoke-FleetNative ip -n $namespace link set lo up | Out-Null

            # Root's account on this host: its own home, and /bin/sh as its shell (sshd runs the subsystem through
            # the login shell; this machine's root may have a bash profile that is slow or prints). The host gets its own
            # /etc: a copy of this machine's, with that passwd, bind-mounted over /etc in the host's own mount namespace
            # when its sshd starts (below). Not 'ip netns exec' and /etc/netns/<namespace>/passwd: that binds a single
            # file, and the kernel detaches a mount whose file is renamed over, so the first useradd or userdel on this
            # machine (which replace /etc/passwd) would hand the host back the machine's root account, home and shell.
            $etc = Join-Path $folder 'etc'
            Copy-MachineEtc $etc
            $hostPasswd = foreach ($line in $passwd) {
                $fields = $line -split ':'
                if ($fields.Count -ge 7 -and $fields[0] -eq 'root') { $fields[5] = $homeFolder.FullName; $fields[6] = '/bin/sh'; $fields -join ':' } else { $line }
            }
            Set-Content -Path (Join-Path $etc 'passwd') -Value $hostPasswd

            # The module, installed where a user installs modules: the home's PowerShell module path.
            $modules = New-Item -ItemType Directory -Path (Join-Path $homeFolder '.local/share/powershell/Modules') -Force
            Copy-Item -LiteralPath $ModulePath -Destination (Join-Path $modules 'SsoSecret') -Recurse
            # The DSC resources' module, built beside it (out/SsoSecretDsc), installed beside it as a user does.
            $dscModule = Join-Path (Split-Path $ModulePath) 'SsoSecretDsc'
            if (Test-Path -LiteralPath (Join-Path $dscModule 'SsoSecretDsc.psd1')) {
                Copy-Item -LiteralPath $dscModule -Destination (Join-Path $modules 'SsoSecretDsc') -Recurse
            }

            # sshd: own host key, configuration, pid file, log; the administrator's key only.
            $hostKey = Join-Path $folder 'ssh_host_ed25519_key'
            Invoke-FleetNative $support.SshKeygen -q -t ed25519 -N '' -C "$name" -f $hostKey | Out-Null
            $authorized = Join-Path $folder 'authorized_keys'
            Set-Content -Path $authorized -Value $publicKey.Trim() -NoNewline
            [System.IO.File]::SetUnixFileMode($authorized, [System.IO.UnixFileMode]'UserRead, UserWrite')
            $config = Join-Path $folder 'sshd_config'
            Set-Content -Path $config -Value @(
                "# sshd of fleet host $name ($address), made by tests/Fleet/SsoSecretFleet.psm1"
                "ListenAddress ${address}:22"
                "HostKey $hostKey"
                "PidFile $(Join-Path $folder 'sshd.pid')"
                "AuthorizedKeysFile $authorized"
                'PubkeyAuthentication yes'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'PermitRootLogin prohibit-password'
                'UsePAM no'
                'StrictModes yes'
                'X11Forwarding no'
                'AllowTcpForwarding no'
                'PrintMotd no'
                # The host's store; the real servers would use the module's default store.
                "SetEnv SSOSECRET_STORE=$store"
                "Subsystem powershell $($support.Subsystem -join ' ') -sshs -NoLogo -NoProfile"
            )

            [pscustomobject]@{
                Name       = $name
                Address    = $address
                Namespace  = $namespace
                Folder     = $folder.FullName
                Etc        = $etc
                Home       = $homeFolder.FullName
                StorePath  = $store
                ModuleBase = Join-Path $modules 'SsoSecret'
                SshdConfig = $config
                SshdLog    = Join-Path $folder 'sshd.log'
                PidFile    = Join-Path $folder 'sshd.pid'
                HostKey    = "$hostKey.pub"
            }
        }

        foreach ($h in $hosts) {
            # Its own host name too (a UTS namespace), so [Environment]::MachineName says which host answers.
            # And its own mount namespace (private: nothing propagates back), where its /etc is mounted over the machine's.
            Invoke-FleetNative ip netns exec $h.Namespace unshare --uts --mount --propagation private -- /bin/sh -c 'mount --bind "$1" /etc && hostname "$2" && exec "$3" -f "$4" -E "$5"' fleet-host $h.Etc $h.Name $support.Sshd $h.SshdConfig $h.SshdLog | Out-Null
        }

        # The client side, as an administrator's ~/.ssh would hold it: the hosts' keys in known_hosts (collected from
        # the keys generated above, under the name and the address), and a configuration naming the hosts.
        $knownHosts = Join-Path $client 'known_hosts'
        Set-Content -Path $knownHosts -Value @(foreach ($h in $hosts) {
                $key = (Get-Content $h.HostKey -Raw).Trim() -split ' '
                "$($h.Name),$($h.Address) $($key[0]) $($key[1])"
            })
        $sshConfig = Join-Path $client 'ssh_config'
        Set-Content -Path $sshConfig -Value @(
            "# The ssh client configuration for fleet $id (what ~/.ssh/config would hold for a real fleet)."
            foreach ($h in $hosts) { "Host $($h.Name)"; "    HostName $($h.Address)" }
            'Host *'
            '    User root'
            "    UserKnownHostsFile $knownHosts"
            '    GlobalKnownHostsFile /dev/null'
            '    StrictHostKeyChecking yes'
            '    CheckHostIP no'
            '    BatchMode yes'
            '    IdentitiesOnly yes'
            '    PasswordAuthentication no'
            '    KbdInteractiveAuthentication no'
            '    ConnectTimeout 10'
            '    ServerAliveInterval 10'
            '    ServerAliveCountMax 6'
            '    LogLevel ERROR'
        )
        $bin = New-Item -ItemType Directory -Path (Join-Path $client 'bin')
        $wrapper = Join-Path $bin 'ssh'
        Set-Content -Path $wrapper -Value @(
            '#!/bin/sh'
            '# PowerShell starts "ssh" from PATH for -HostName. This is the real ssh, reading the fleet''s client'
            '# configuration in place of ~/.ssh/config.'
            "exec '$($support.Ssh)' -F '$sshConfig' `"`$@`""
        )
        [System.IO.File]::SetUnixFileMode($wrapper, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')

        # Ready when every sshd has written its pid file and accepts connections on its address.
        foreach ($h in $hosts) {
            $until = [DateTime]::UtcNow.AddSeconds(15)
            $ready = $false
            while (-not $ready -and [DateTime]::UtcNow -lt $until) {
                if (Test-Path $h.PidFile) {
                    $tcp = [System.Net.Sockets.TcpClient]::new()
                    try { $ready = $tcp.ConnectAsync($h.Address, 22).Wait(1000) -and $tcp.Connected } catch { $ready = $false } finally { $tcp.Dispose() }
                }
                if (-not $ready) { Start-Sleep -Milliseconds 100 }
            }
            if (-not $ready) {
                $log = if (Test-Path $h.SshdLog) { (Get-Content $h.SshdLog -Raw) } else { '(no log)' }
                throw "The sshd of $($h.Name) ($($h.Address)) did not start within 15 s. Its log: $log"
            }
            $h | Add-Member -NotePropertyName SshdPid -NotePropertyValue ([int](Get-Content $h.PidFile -Raw).Trim())
        }

        $fleet = [pscustomobject]@{
            PSTypeName     = 'SsoSecretFleet'
            Id             = $id
            RunFolder      = $run
            Subnet         = "$prefix.0/24"
            Bridge         = $bridge
            Hosts          = @($hosts)
            HostNames      = [string[]]@($hosts.Name)
            KeyFilePath    = $keyFile
            KnownHostsPath = $knownHosts
            SshConfigPath  = $sshConfig
            ClientBin      = $bin.FullName
            PowerShell     = [string[]]$support.Subsystem
            Deadline       = [DateTimeOffset]::UtcNow.AddSeconds($TimeoutSeconds)
            SetupTime      = $watch.Elapsed
        }
        # Renamed into place whole: the watchdog never reads half a number.
        Set-Content -LiteralPath (Join-Path $run 'deadline.tmp') -Value $fleet.Deadline.ToUnixTimeSeconds()
        Move-Item -LiteralPath (Join-Path $run 'deadline.tmp') -Destination (Join-Path $run 'deadline') -Force
        $fleet
    }
    finally {
        if (-not $fleet) {
            & /bin/sh (Join-Path $Here 'fleet-down.sh') $run | Out-Null
        }
    }
}

function Get-SsoFleetLeftover {
    <#
    .SYNOPSIS
        What a fleet left on this machine, as text lines: its run folder, namespaces, interfaces and processes.
        Nothing means nothing is left.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Id)

    if (Test-Path (Join-Path $RunRoot $Id)) { "run folder $(Join-Path $RunRoot $Id)" }
    foreach ($namespace in @(& ip netns list 2>$null | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "ssofleet-$Id-*" })) { "namespace $namespace" }
    foreach ($link in @(& ip -o link show 2>$null | ForEach-Object { ($_ -split ': ')[1] -replace '@.*$' } | Where-Object { $_ -like "sf$Id*" })) { "interface $link" }
    foreach ($process in @(Get-ChildItem /proc -Directory -ErrorAction Ignore | Where-Object Name -match '^\d+$')) {
        $commandLine = try { [System.IO.File]::ReadAllText("$($process.FullName)/cmdline") } catch { '' }
        if ($commandLine.Contains("$RunRoot/$Id/") -and $commandLine -notmatch 'fleet-(watchdog|down)') { "process $($process.Name): $($commandLine -replace "`0", ' ')" }
    }
}

function Stop-SsoFleet {
    <#
    .SYNOPSIS
        Tears a fleet down (fleet-down.sh) and returns what is left of it (nothing, when all went).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] [AllowNull()] [object] $Fleet)

    process {
        if ($null -eq $Fleet) { return }
        if (-not (Test-Path $Fleet.RunFolder) -and [DateTimeOffset]::UtcNow -ge $Fleet.Deadline) {
            Write-Warning "Fleet $($Fleet.Id) was already torn down by its watchdog: its deadline ($($Fleet.Deadline.ToString('u'))) had passed."
        }
        & /bin/sh (Join-Path $Here 'fleet-down.sh') $Fleet.RunFolder
        Get-SsoFleetLeftover -Id $Fleet.Id
    }
}

function Remove-SsoFleetLeftover {
    <#
    .SYNOPSIS
        Tears down the fleets whose owner process is gone (their watchdog was killed too): leftovers of a machine
        that was not rebooted since. Fleets of live processes, other users' included, are not touched.
    #>
    [CmdletBinding()]
    param()

    foreach ($run in @(Get-ChildItem $RunRoot -Directory -ErrorAction Ignore)) {
        $owner = "$(Get-Content (Join-Path $run.FullName 'owner') -ErrorAction Ignore)"
        $alive = $false
        if ($owner -match '^\d+ \d+$') {
            $alive = Test-OwnerAlive $owner
        }
        elseif ($run.CreationTimeUtc -gt [DateTime]::UtcNow.AddMinutes(-1)) {
            $alive = $true   # being made right now: its owner file is not written yet
        }
        if (-not $alive) {
            Write-Verbose "Removing the leftovers of fleet $($run.Name) (its owner is gone)."
            & /bin/sh (Join-Path $Here 'fleet-down.sh') $run.FullName
        }
    }
}

function Get-SsoFleetGuideBlock {
    <#
    .SYNOPSIS
        The powershell blocks of a guide, for the fleet tests to run as they are: a hashtable from name to code.
    .DESCRIPTION
        Every powershell block of the guide must carry one marker as the last non-blank line before its fence:
          <!-- fleet: name -->    the fleet test runs it, by that name
          <!-- skip: reason -->   it cannot run here (the reason says why)
        A block with neither is an error, so the guide cannot show a command that no test runs.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)

    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $blocks = [ordered]@{}
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -notmatch '^```(\S*)\s*$') { continue }
        $language = $Matches[1]
        $start = $i
        $code = [System.Collections.Generic.List[string]]::new()
        for ($i++; $i -lt $lines.Count -and $lines[$i] -notmatch '^```\s*$'; $i++) { $code.Add($lines[$i]) }
        if ($i -ge $lines.Count) { throw "${Path}: the code block at line $($start + 1) is not closed." }
        if ($language -ne 'powershell') { continue }

        $marker = $null
        for ($j = $start - 1; $j -ge 0; $j--) {
            if ($lines[$j] -match '^\s*$') { continue }
            if ($lines[$j] -match '^<!--\s*(fleet|skip):\s*(.+?)\s*-->$') { $marker = @($Matches[1], $Matches[2]) }
            break
        }
        if (-not $marker) { throw "${Path}: the powershell block at line $($start + 1) has no <!-- fleet: name --> or <!-- skip: reason --> marker." }
        if ($marker[0] -eq 'skip') { continue }
        if ($blocks.Contains($marker[1])) { throw "${Path}: two blocks are named '$($marker[1])'." }
        $blocks[$marker[1]] = $code -join "`n"
    }
    $blocks
}

Export-ModuleMember -Function Get-SsoFleetSupport, Start-SsoFleet, Stop-SsoFleet, Get-SsoFleetLeftover, Remove-SsoFleetLeftover, Get-SsoFleetGuideBlock
