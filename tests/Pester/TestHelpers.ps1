<#
.SYNOPSIS
    What the SsoSecret Pester suites share. Dot-sourced from each suite's BeforeAll; not a suite itself.
.DESCRIPTION
    Every store and file lives under $TestDrive: no helper ever touches the default store. Backups are written with
    the Interactive KDF profile (64 MiB) to keep the runs short on small machines.
#>

Import-Module $env:SSOSECRET_TEST_MODULE -Force

# A guard: a call that forgets -StorePath meets an empty store under $TestDrive, never the user's default store.
# Restore-TestEnvironment (AfterAll) puts the variable back.
$script:SavedStoreVariable = $env:SSOSECRET_STORE
$env:SSOSECRET_STORE = Join-Path $TestDrive 'guard-store'

function Restore-TestEnvironment {
    $env:SSOSECRET_STORE = $script:SavedStoreVariable
}

$script:Password = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
$script:WrongPassword = ConvertTo-SecureString 'incorrect mule battery clip' -AsPlainText -Force
$script:Hint = 'the comic about password strength'
$script:OnUnix = -not ($IsWindows -or $env:OS -eq 'Windows_NT')

# Offsets in a binary backup (src/SsoSecret.Core/Envelope/BackupEnvelope.cs).
$script:VersionOffset = 8
$script:CreatedOffset = 42
$script:HintLengthOffset = 84
$script:HintOffset = 86

function New-TestPath {
    # A path under $TestDrive that does not exist yet (stores must be created by the module, owner-only).
    param([string] $Prefix = 'item')
    Join-Path $TestDrive ('{0}-{1}' -f $Prefix, [guid]::NewGuid().ToString('N').Substring(0, 8))
}

function New-TestFolder {
    param([string] $Prefix = 'folder')
    $path = New-TestPath $Prefix
    $null = New-Item -ItemType Directory -Path $path
    $path
}

function New-TestSecret {
    # Generates a master secret in a new store with its backup; returns the New-SsoMasterSecret output.
    param(
        [Parameter(Mandatory)] [string] $StorePath,
        [Parameter(Mandatory)] [string] $BackupPath,
        [string] $PasswordHint = $script:Hint,
        [switch] $Armor,
        [switch] $Force,
        # Other KDF parameters than the Interactive profile's (below it only with Set-KdfFloorWaiver).
        [SsoSecret.KdfParameters] $KdfParameters
    )
    $kdf = if ($KdfParameters) { @{ KdfParameters = $KdfParameters } } else { @{ KdfProfile = 'Interactive' } }
    New-SsoMasterSecret -BackupPath $BackupPath -StorePath $StorePath -Password $script:Password `
        -PasswordHint $PasswordHint @kdf -Armor:$Armor -Force:$Force -PassThru
}

function Copy-TestStore {
    # Copies a store folder to a new path with the owner-only permissions the module demands (no KDF needed).
    param([Parameter(Mandatory)] [string] $StorePath)
    $copy = New-TestPath 'store'
    $null = New-Item -ItemType Directory -Path $copy
    if ($script:OnUnix) {
        [System.IO.File]::SetUnixFileMode($copy, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    }
    foreach ($file in [System.IO.Directory]::GetFiles($StorePath)) {
        $target = Join-Path $copy ([System.IO.Path]::GetFileName($file))
        [System.IO.File]::Copy($file, $target)
        if ($script:OnUnix) {
            [System.IO.File]::SetUnixFileMode($target, [System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }
    $copy
}

function Get-StoreFile {
    param([Parameter(Mandatory)] [string] $StorePath)
    Join-Path $StorePath 'master-secret.dat'
}

function Get-FileDigest {
    # SHA-256 of a file's bytes, or '<missing>'.
    param([Parameter(Mandatory)] [string] $Path)
    if (-not [System.IO.File]::Exists($Path)) { return '<missing>' }
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
}

function Get-FolderSnapshot {
    # Every file below a folder (hidden ones included) with its SHA-256, as one string; '<missing>' for no folder.
    param([Parameter(Mandatory)] [string] $Path)
    if (-not [System.IO.Directory]::Exists($Path)) { return '<missing>' }
    $lines = foreach ($file in [System.IO.Directory]::GetFiles($Path, '*', [System.IO.SearchOption]::AllDirectories)) {
        '{0}={1}' -f $file.Substring($Path.Length), (Get-FileDigest $file)
    }
    ($lines | Sort-Object) -join "`n"
}

function Get-FileNames {
    # The names of the files in a folder, hidden ones (such as a leftover '.x.tmp') included, sorted.
    param([Parameter(Mandatory)] [string] $Path)
    @([System.IO.Directory]::GetFiles($Path) | ForEach-Object { [System.IO.Path]::GetFileName($_) } | Sort-Object)
}

function Update-BackupChecksum {
    # Recomputes the trailing SHA-256 of a binary backup, as a forger who knows the format would.
    param([Parameter(Mandatory)] [byte[]] $Data)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $sum = $sha.ComputeHash($Data, 0, $Data.Length - 32)
    }
    finally {
        $sha.Dispose()
    }
    [System.Array]::Copy($sum, 0, $Data, $Data.Length - 32, 32)
}

function New-AlteredBackup {
    <#
    Writes a copy of a binary backup with some bytes changed. -Flip inverts the byte at -Offset; -Bytes writes
    bytes from -Offset on; -FixChecksum then recomputes the trailing SHA-256 so only the password can tell.
    #>
    param(
        [Parameter(Mandatory)] [string] $Source,
        [Parameter(Mandatory)] [string] $Destination,
        [Parameter(Mandatory)] [int] $Offset,
        [byte[]] $Bytes,
        [switch] $Flip,
        [switch] $FixChecksum
    )
    $data = [System.IO.File]::ReadAllBytes($Source)
    if ($Flip) {
        $data[$Offset] = $data[$Offset] -bxor 0xFF
    }
    else {
        [System.Array]::Copy($Bytes, 0, $data, $Offset, $Bytes.Length)
    }
    if ($FixChecksum) {
        Update-BackupChecksum $data
    }
    [System.IO.File]::WriteAllBytes($Destination, $data)
    $Destination
}

function Get-CommitmentOffset {
    # Where the key commitment starts: after the hint, whose length is the u16 (big-endian) at offset 84.
    param([Parameter(Mandatory)] [string] $Path)
    $data = [System.IO.File]::ReadAllBytes($Path)
    $script:HintOffset + ($data[$script:HintLengthOffset] * 256 + $data[$script:HintLengthOffset + 1])
}

function New-BadBackupSet {
    <#
    From one good binary backup (written with $Password and $Hint), writes one file per way a backup can fail into
    -Folder and returns a hashtable: name -> path. Names: Damaged, Tampered, TamperedCreated, WrongCommitment,
    UnsupportedVersion, NotABackup, Missing.
    #>
    param(
        [Parameter(Mandatory)] [string] $Source,
        [Parameter(Mandatory)] [string] $Folder
    )
    $length = (Get-Item -LiteralPath $Source).Length
    $hintFirst = [System.IO.File]::ReadAllBytes($Source)[$script:HintOffset]
    $files = @{
        # A byte of the ciphertext changed, the checksum left as it was: found without the password.
        Damaged            = New-AlteredBackup -Source $Source -Destination (Join-Path $Folder 'damaged.bak') -Offset ($length - 40) -Flip
        # The hint's first letter changed in case, checksum recomputed: only the AEAD (right password) sees it.
        Tampered           = New-AlteredBackup -Source $Source -Destination (Join-Path $Folder 'tampered.bak') -Offset $script:HintOffset -Bytes @($hintFirst -bxor 0x20) -FixChecksum
        # The creation time moved by one second, checksum recomputed.
        TamperedCreated    = New-AlteredBackup -Source $Source -Destination (Join-Path $Folder 'tampered-created.bak') -Offset ($script:CreatedOffset + 7) -Flip -FixChecksum
        # A byte of the key commitment changed, checksum recomputed: no password can open it.
        WrongCommitment    = New-AlteredBackup -Source $Source -Destination (Join-Path $Folder 'commitment.bak') -Offset (Get-CommitmentOffset $Source) -Flip -FixChecksum
        # Format version 3 (2 exists: backups sealed to recovery keys).
        UnsupportedVersion = New-AlteredBackup -Source $Source -Destination (Join-Path $Folder 'version3.bak') -Offset $script:VersionOffset -Bytes @(0, 3)
        Missing            = Join-Path $Folder 'missing.bak'
    }
    $notABackup = Join-Path $Folder 'notes.bak'
    Set-Content -LiteralPath $notABackup -Value 'These are not the bytes you are looking for.' -Encoding utf8
    $files.NotABackup = $notABackup
    $files
}

function Get-CoreAssembly {
    # SsoSecret.Core in the module's load context (src/SsoSecret.Loader); asking the context for it loads it if need be.
    $context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
    $context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('SsoSecret.Core'))
}

function ConvertTo-PublicKeyLine([byte[]] $Bytes) {
    # Any 32 bytes as a public key line (the module's own encoder, no check): for lines that no key pair made.
    $core = Get-CoreAssembly
    $bech32m = $core.GetType('SsoSecret.Codec.Bech32m')
    $flags = [System.Reflection.BindingFlags]'NonPublic, Static'
    $groups = $bech32m.GetMethod('ToGroups', $flags).Invoke($null, @(, $Bytes))
    $bech32m.GetMethod('Encode', $flags).Invoke($null, @('ssosecret-recipient', $groups))
}

function ConvertFrom-PublicKeyLine([string] $Line) {
    # The 32 bytes of a valid line, through the module's own reader.
    $core = Get-CoreAssembly
    $type = $core.GetType('SsoSecret.RecoveryPublicKey')
    $key = $type.GetMethod('Parse', [System.Reflection.BindingFlags]'NonPublic, Static').Invoke($null, @($Line))
    , [byte[]]$type.GetProperty('Bytes', [System.Reflection.BindingFlags]'NonPublic, Instance').GetValue($key).Clone()
}

function Get-PageVector([string] $Title, [string] $Page = 'envelope-format-v2.md') {
    # A vector of a page of docs/ (docs/envelope-format-v2.md by default): its "name: value" fields and its file, read
    # from the page itself: the first text block after the heading.
    $page = (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot "../../docs/$Page")) -replace "`r`n", "`n"
    $match = [regex]::Match($page, '(?ms)^### ' + [regex]::Escape($Title) + '[^\n]*\n.*?```text\n(.*?)\n```')
    if (-not $match.Success) { throw "No vector '$Title' on the page." }
    $body = $match.Groups[1].Value
    $fields = @{}
    foreach ($line in [regex]::Matches($body, '(?m)^([A-Za-z0-9 ()\-]+):[ ]+(.+)$')) { $fields[$line.Groups[1].Value.Trim()] = $line.Groups[2].Value.Trim() }
    $file = [regex]::Match($body, '(?m)^file:\n((?:[0-9a-f]+\n?)+)').Groups[1].Value -replace '\n'
    $armored = [regex]::Match($body, '(?ms)^armored file:\n(-----BEGIN.*?-----END [A-Z ]+-----)').Groups[1].Value
    @{ Fields = $fields; File = [Convert]::FromHexString($file); Armored = $armored }
}

function Set-TestSupport {
    <#
    Turns one of the module's test switches (TestSupport in SsoSecret.Core: WaiveKdfFloor, AssumeProtectedFolderDacl)
    on or off in this process, by reflection in the module's load context. A suite that turns one on turns it off in its
    AfterAll: the suites share one process.
    #>
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [bool] $Enabled)
    $property = (Get-CoreAssembly).GetType('SsoSecret.TestSupport', $true).GetProperty($Name, [System.Reflection.BindingFlags]'NonPublic, Static')
    if (-not $property) { throw "SsoSecret.Core has no test switch '$Name'." }
    $property.SetValue($null, $Enabled)
}

function Set-KdfFloorWaiver {
    # Lets this process's New- and Backup-SsoMasterSecret write backups below the Interactive KDF floor, for suites that
    # test the store, not the KDF.
    param([Parameter(Mandatory)] [bool] $Enabled)
    Set-TestSupport WaiveKdfFloor $Enabled
}

# KDF parameters far below the floor (64 KiB, 1 pass, 1 lane), with Set-KdfFloorWaiver, for tests that do not test the KDF.
$script:TinyKdf = [SsoSecret.KdfParameters]::new(64, 1, 1)

# Who made what a run leaves on the machine (an account): Get-OwnerTag, Test-OwnerAlive.
. (Join-Path $PSScriptRoot '../ProcessOwner.ps1')

function New-TestAccount {
    <#
    A second, unprivileged local account (useradd, no home, a group of its own), for the suites that act as another
    user of this machine would (OtherUser, RewriteRace). Returns its Name, Uid and Gid; or, where there can be none, only
    the Reason (not Linux, not root, no useradd/runuser/userdel, useradd failed), for the suite to skip with.
    The account's comment names the process that made it (tests/ProcessOwner.ps1), so that the accounts of a run killed
    before its AfterAll (a soak stops the suites beside it where they are) are removed by the next run of any suite that
    makes one, and never those of a run still going. Remove-TestAccount removes it.
    #>
    $none = { param($Reason) [pscustomobject]@{ Name = $null; Uid = $null; Gid = $null; Reason = $Reason } }
    if (-not $IsLinux) { return & $none 'Linux only (useradd, runuser and /proc)' }
    if ((id -u) -ne '0') { return & $none 'needs root (useradd, runuser, chown), as CI runs' }
    if (@(Get-Command useradd, userdel, runuser -CommandType Application -ErrorAction Ignore).Count -lt 3) {
        return & $none 'useradd, userdel and runuser are not all installed'
    }

    foreach ($line in @(Get-Content /etc/passwd)) {
        $fields = $line -split ':'
        if ($fields.Count -ge 5 -and $fields[0] -like 'ssot*' -and $fields[4] -match '^ssosecret-test (\d+ \d+)$') {
            if (-not (Test-OwnerAlive $Matches[1])) { userdel $fields[0] 2>&1 | Out-Null }
        }
    }
    $name = 'ssot' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    # Another suite's process may hold the lock on /etc/passwd for a moment (useradd: cannot lock): a few tries.
    for ($try = 1; $try -le 5; $try++) {
        useradd --no-create-home --shell /bin/sh --comment "ssosecret-test $(Get-OwnerTag)" $name 2>&1 | Out-Null
        if ($LASTEXITCODE -eq 0) { break }
        Start-Sleep -Milliseconds 500
    }
    if ($LASTEXITCODE -ne 0) { return & $none "useradd $name failed (exit code $LASTEXITCODE)" }
    [pscustomobject]@{ Name = $name; Uid = [int](id -u $name); Gid = [int](id -g $name); Reason = $null }
}

function Remove-TestAccount {
    # Removes an account New-TestAccount made (and its group); nothing for none.
    param([string] $Name)
    if ($Name) { userdel $Name 2>&1 | Out-Null }
}

function Get-Refusal {
    # The error a command throws (it must throw one; a non-terminating error counts with -ErrorAction Stop).
    param([Parameter(Mandatory)] [scriptblock] $Command)
    $caught = $null
    try { & $Command } catch { $caught = $_ }
    $caught | Should -Not -BeNullOrEmpty -Because 'the command must refuse'
    $caught
}
