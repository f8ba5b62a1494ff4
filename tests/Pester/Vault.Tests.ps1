# The store's vault (docs/vault-format.md) through the REAL Microsoft.PowerShell.SecretManagement 1.1.2, built from its
# public source and kept at ../shared/engines from the project's root (two levels above this folder), or at
# $env:SSOSECRET_ENGINES. It is test infrastructure, never part of the project: where it is absent (a user's fresh
# clone), the tests that need it are skipped, saying so.
#
# SecretManagement fixes the folder of its vault registry ($HOME/.secretmanagement) when it is first loaded in a
# process, and the suites share one process: so every use of it here is a pwsh of its own, with HOME in this suite's
# $TestDrive (the user's registry is never touched), the engine's folder first on its module path, and the built module
# after it (Register-SecretVault -ModuleName SsoSecret finds it by name, as an installed module). That pwsh is
# -NonInteractive: no vault operation may prompt. docs/guide-vault.md's blocks run the same way, in one pwsh (the last
# Describe).
#
# Stores and backups are real, under $TestDrive; the Interactive KDF profile keeps their backups short.

BeforeDiscovery {
    # Whether the real SecretManagement is there, known at discovery: -Skip is decided then, before any BeforeAll runs
    # (a fresh clone without ../shared/engines ran every test, which then failed, when this was known in BeforeAll only).
    $engines = [System.IO.Path]::GetFullPath($(if ($env:SSOSECRET_ENGINES) { $env:SSOSECRET_ENGINES } else { Join-Path $PSScriptRoot '../../../shared/engines' }))
    $script:NoEngine = if (-not (Test-Path -LiteralPath (Join-Path $engines 'Microsoft.PowerShell.SecretManagement/Microsoft.PowerShell.SecretManagement.psd1'))) {
        "the real SecretManagement (Microsoft.PowerShell.SecretManagement 1.1.2) is not in $engines (../shared/engines from the project's root, or `$env:SSOSECRET_ENGINES): it is test infrastructure kept beside the repository, absent from a fresh clone"
    }
    if ($NoEngine) { Write-Host "Vault suite: the tests through SecretManagement are skipped: $NoEngine." }

    # docs/guide-vault.md's powershell blocks, in order. <!-- skip: reason --> before a block skips it.
    . (Join-Path $PSScriptRoot 'GuideBlocks.ps1')
    $script:GuideBlocks = foreach ($block in (Get-GuideBlocks (Join-Path $PSScriptRoot '../../docs/guide-vault.md'))) {
        if ($block.Marker -and $block.Marker -ne 'skip') { throw "guide-vault.md, line $($block.Line): an unknown marker '$($block.Marker)'." }
        $block.Skip = $block.MarkerValue
        $block
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    $root = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $script:Engines = [System.IO.Path]::GetFullPath($(if ($env:SSOSECRET_ENGINES) { $env:SSOSECRET_ENGINES } else { Join-Path $root '../shared/engines' }))
    $script:RealSm = Join-Path $Engines 'Microsoft.PowerShell.SecretManagement'
    $script:NoEngine = if (-not (Test-Path -LiteralPath (Join-Path $RealSm 'Microsoft.PowerShell.SecretManagement.psd1'))) {
        "the real SecretManagement (Microsoft.PowerShell.SecretManagement 1.1.2) is not in $Engines (../shared/engines from the project's root, or `$env:SSOSECRET_ENGINES): it is test infrastructure kept beside the repository, absent from a fresh clone"
    }
    # The module's folder's parent: Register-SecretVault -ModuleName SsoSecret finds SsoSecret there by name.
    $script:ModuleFolder = Split-Path (Split-Path $ModulePath)
    $script:VaultHome = New-TestFolder 'home'
    $script:Pw = 'Vault-Suite-Passw0rd-7c1e'
    $script:Credential = [pscredential]::new('backup', (ConvertTo-SecureString $Pw -AsPlainText -Force))

    # Distinctive plaintexts: finding one in a file or an output cannot be a coincidence.
    $script:Text = 'Grüße, 世界 🎉 vault-text-5b2d'
    $script:SecureText = 'vault-secure-8e41-ñ'
    $script:CredentialPassword = 'vault-cred-pw-3f9a-€'
    $script:TablePassword = 'vault-table-pw-61c0'
    $script:Bytes = [byte[]](0, 1, 127, 128, 254, 255, 10, 13)

    # What every vault pwsh runs first. Get-Outcome { ... } runs a command and tells its value, or the module's error id,
    # message and exception type, found along the exception's inner exceptions (a Get-Secret failure is
    # SecretManagement's own exception around the vault's). ConvertTo-Plain makes a value comparable text.
    $script:Prologue = @"
`$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.SecretManagement
`$sm = Get-Module Microsoft.PowerShell.SecretManagement
if (`$sm.ModuleBase -ne '$RealSm' -or "`$(`$sm.Version)" -ne '1.1.2') { throw "Imported SecretManagement `$(`$sm.Version) from `$(`$sm.ModuleBase), not the real one at $RealSm." }
Import-Module '$ModulePath'
function Get-Outcome([scriptblock] `$Command) {
    try { `$value = & `$Command; [ordered]@{ Ok = `$true; Value = `$value } }
    catch {
        `$e = `$_.Exception
        while (`$e -and -not (`$e -is [SsoSecret.SsoSecretException])) { `$e = `$e.InnerException }
        [ordered]@{ Ok = `$false; Id = if (`$e) { `$e.ErrorId } else { `$_.FullyQualifiedErrorId }; Message = if (`$e) { `$e.Message } else { "`$_" }; Type = if (`$e) { `$e.GetType().FullName } else { `$_.Exception.GetType().FullName } }
    }
}
function ConvertTo-Plain(`$Value) {
    if (`$Value -is [securestring]) { return 'secure:' + (ConvertFrom-SecureString -SecureString `$Value -AsPlainText) }
    if (`$Value -is [pscredential]) { return 'credential:' + `$Value.UserName + '|' + `$Value.GetNetworkCredential().Password }
    if (`$Value -is [byte[]]) { return 'bytes:' + [Convert]::ToHexString(`$Value) }
    if (`$Value -is [hashtable]) { return 'table:' + ((`$Value.Keys | Sort-Object | ForEach-Object { "`$_=`$(ConvertTo-Plain `$Value[`$_])" }) -join ';') }
    return 'text:' + `$Value
}

"@

    function Start-VaultPwsh {
        # Starts a pwsh -NonInteractive that runs $Script, with HOME in $TestDrive and the engine's folder, then the
        # built module's, first on its module path; its input is closed, so nothing can be answered.
        param([string] $Script, [string] $HomeFolder, [hashtable] $Environment = @{})
        $pwshDll = Join-Path $PSHOME 'pwsh.dll'
        $info = if (Test-Path $pwshDll) { [System.Diagnostics.ProcessStartInfo]::new('dotnet') } else { [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME 'pwsh')) }
        if (Test-Path $pwshDll) { $info.ArgumentList.Add($pwshDll) }
        $file = Join-Path $TestDrive ('vault-' + [guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $file -Value $Script -Encoding utf8
        foreach ($argument in '-NoProfile', '-NonInteractive', '-File', $file) { $info.ArgumentList.Add($argument) }
        $info.Environment['HOME'] = $HomeFolder
        $info.Environment['PSModulePath'] = $Engines + [System.IO.Path]::PathSeparator + $ModuleFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
        foreach ($key in $Environment.Keys) { $info.Environment[$key] = $Environment[$key] }
        $info.RedirectStandardInput = $true
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($info)
        $process.StandardInput.Close()
        $process
    }

    function Receive-VaultPwsh($Process) {
        # Waits for it, checks its exit code, and returns its output and the JSON of its last output line.
        $stdout = $Process.StandardOutput.ReadToEndAsync()
        $stderr = $Process.StandardError.ReadToEndAsync()
        $Process.WaitForExit()
        $text = $stdout.Result + $stderr.Result
        $Process.ExitCode | Should -Be 0 -Because $text
        $last = @($stdout.Result -split "`r?`n" | Where-Object { $_ -ne '' }) | Select-Object -Last 1
        [pscustomobject]@{ Text = $text; Result = ($last | ConvertFrom-Json -AsHashtable) }
    }

    function Invoke-VaultPwsh {
        # Runs $Body after the prologue in a vault pwsh (Start-VaultPwsh) and returns Receive-VaultPwsh's answer.
        param([Parameter(Mandatory)] [string] $Body, [string] $HomeFolder = $script:VaultHome, [hashtable] $Environment = @{})
        Receive-VaultPwsh (Start-VaultPwsh ($script:Prologue + $Body) $HomeFolder $Environment)
    }

    function New-VaultStore([string] $Name) {
        # A store holding a fresh secret, its backup beside it.
        $store = Join-Path $TestDrive $Name
        New-SsoMasterSecret -StorePath $store -BackupPath (Join-Path $TestDrive "$Name-1.bak") -Credential $Credential -KdfProfile Interactive | Out-Null
        $store
    }

    # The vault file's framing (docs/vault-format.md, "Byte layout"): each entry's fields, and a file made of fields
    # again with every length and checksum computed, as a writer would.
    function Read-UInt32([byte[]] $Data, [int] $At) {
        ([long]$Data[$At] -shl 24) + ($Data[$At + 1] -shl 16) + ($Data[$At + 2] -shl 8) + $Data[$At + 3]
    }

    function ConvertTo-UInt32Bytes([long] $Value) {
        [byte[]]@((($Value -shr 24) -band 255), (($Value -shr 16) -band 255), (($Value -shr 8) -band 255), ($Value -band 255))
    }

    function Read-VaultEntryFields([byte[]] $Data) {
        $count = Read-UInt32 $Data 9
        $offset = 13
        for ($i = 0; $i -lt $count; $i++) {
            $length = [int](Read-UInt32 $Data $offset)
            , [byte[]]$Data[($offset + 4)..($offset + 3 + $length)]
            $offset += 4 + $length + 32
        }
    }

    function New-VaultFileBytes([object[]] $FieldsList) {
        $body = [System.Collections.Generic.List[byte]]::new()
        $body.AddRange([System.Text.Encoding]::ASCII.GetBytes('SSOVAULT'))
        $body.Add(1)
        $body.AddRange([byte[]](ConvertTo-UInt32Bytes $FieldsList.Count))
        foreach ($fields in $FieldsList) {
            $framed = [byte[]]([byte[]](ConvertTo-UInt32Bytes $fields.Length) + [byte[]]$fields)
            $body.AddRange($framed)
            $body.AddRange([System.Security.Cryptography.SHA256]::HashData($framed))
        }
        $all = $body.ToArray()
        [byte[]]($all + [System.Security.Cryptography.SHA256]::HashData($all))
    }

    function Get-ValueSpan([byte[]] $Fields) {
        # The value's offset and length in an entry's fields with no metadata.
        $nameLength = ($Fields[1] -shl 8) + $Fields[2]
        $metadataCount = $Fields[3 + $nameLength + 16]
        if ($metadataCount -ne 0) { throw 'Get-ValueSpan reads entries without metadata only.' }
        $at = 3 + $nameLength + 16 + 1
        [pscustomobject]@{ Offset = $at + 2; Length = ($Fields[$at] -shl 8) + $Fields[$at + 1] }
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'The vault through the real SecretManagement' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:Store = New-VaultStore 'main'
        $script:Registered = Invoke-VaultPwsh @"
Register-SecretVault -Name Sso -ModuleName SsoSecret -VaultParameters @{ StorePath = '$Store' }
Set-Secret -Vault Sso -Name 'app/text' -Secret '$Text'
Set-Secret -Vault Sso -Name 'app/secure' -SecureStringSecret (ConvertTo-SecureString '$SecureText' -AsPlainText -Force)
Set-Secret -Vault Sso -Name 'app/credential' -Secret ([pscredential]::new('CONTOSO\svc-äpp', (ConvertTo-SecureString '$CredentialPassword' -AsPlainText -Force))) -Metadata @{ owner = 'billing'; tier = 2; rotated = [datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc) }
Set-Secret -Vault Sso -Name 'app/bytes' -Secret ([byte[]]@($($Bytes -join ',')))
Set-Secret -Vault Sso -Name 'app/table' -Secret @{ user = 'svc'; password = (ConvertTo-SecureString '$TablePassword' -AsPlainText -Force); key = [byte[]](1, 2, 3); login = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force)) }
`$gets = [ordered]@{}
foreach (`$name in 'app/text', 'app/secure', 'app/credential', 'app/bytes', 'app/table') {
    `$gets[`$name] = ConvertTo-Plain (Get-Secret -Vault Sso -Name `$name)
    `$gets[`$name + ' -AsPlainText'] = ConvertTo-Plain (Get-Secret -Vault Sso -Name `$name -AsPlainText)
}
`$info = @(Get-SecretInfo -Vault Sso | ForEach-Object { [ordered]@{ Name = `$_.Name; Type = "`$(`$_.Type)"; VaultName = `$_.VaultName; Metadata = `$_.Metadata } })
[ordered]@{ Gets = `$gets; Info = `$info; Test = (Test-SecretVault -Name Sso); Vaults = @(Get-SecretVault | ForEach-Object { "`$(`$_.Name) `$(`$_.ModuleName)" }) } | ConvertTo-Json -Depth 6 -Compress
"@
    }

    It 'registers by module name, and every type round-trips: text, SecureString, a PSCredential whole, bytes, a hashtable' -Skip:([bool]$NoEngine) {
        $gets = $Registered.Result.Gets
        $Registered.Result.Vaults | Should -Be @('Sso SsoSecret')
        # A String comes back as SecretManagement gives it: a SecureString by default, the text with -AsPlainText.
        $gets['app/text'] | Should -BeExactly "secure:$Text"
        $gets['app/text -AsPlainText'] | Should -BeExactly "text:$Text"
        $gets['app/secure'] | Should -BeExactly "secure:$SecureText"
        $gets['app/credential'] | Should -BeExactly "credential:CONTOSO\svc-äpp|$CredentialPassword"
        $gets['app/bytes'] | Should -BeExactly ('bytes:' + [Convert]::ToHexString($Bytes))
        $gets['app/table'] | Should -BeExactly "table:key=bytes:010203;login=credential:u|p;password=secure:$TablePassword;user=secure:svc"
        $gets['app/table -AsPlainText'] | Should -BeExactly "table:key=bytes:010203;login=credential:u|p;password=text:$TablePassword;user=text:svc"
        $Registered.Result.Test | Should -BeTrue
    }

    It 'keeps an entry''s metadata when its value is set again without any, and Set-SecretInfo replaces it' -Skip:([bool]$NoEngine) {
        $run = Invoke-VaultPwsh @"
Set-Secret -Vault Sso -Name 'app/meta' -Secret 'first' -Metadata @{ owner = 'ops' }
Set-Secret -Vault Sso -Name 'app/meta' -Secret 'second'
`$kept = (Get-SecretInfo -Vault Sso -Name 'app/meta').Metadata
Set-SecretInfo -Vault Sso -Name 'app/meta' -Metadata @{ owner = 'billing'; tier = 1 }
`$replaced = (Get-SecretInfo -Vault Sso -Name 'app/meta').Metadata
Set-SecretInfo -Vault Sso -Name 'app/meta' -Metadata @{}
`$cleared = (Get-SecretInfo -Vault Sso -Name 'app/meta').Metadata
[ordered]@{ Kept = `$kept; Replaced = `$replaced; Cleared = `$cleared.Count; Value = Get-Secret -Vault Sso -Name 'app/meta' -AsPlainText } | ConvertTo-Json -Compress
"@
        $run.Result.Kept.owner | Should -Be 'ops'
        $run.Result.Replaced.owner | Should -Be 'billing'
        $run.Result.Replaced.tier | Should -Be 1
        $run.Result.Cleared | Should -Be 0
        $run.Result.Value | Should -Be 'second'
    }

    It 'lists names, types and metadata (Get-SecretInfo), with the metadata''s own types' -Skip:([bool]$NoEngine) {
        $info = @($Registered.Result.Info)
        ($info | ForEach-Object { "$($_.Name) $($_.Type) $($_.VaultName)" }) | Should -Be @(
            'app/bytes ByteArray Sso', 'app/credential PSCredential Sso', 'app/secure SecureString Sso', 'app/table Hashtable Sso', 'app/text String Sso')
        $metadata = ($info | Where-Object Name -EQ 'app/credential').Metadata
        $metadata.owner | Should -Be 'billing'
        $metadata.tier | Should -Be 2
        ([datetime]$metadata.rotated).ToUniversalTime() | Should -Be ([datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc))
    }

    It 'keeps no secret''s text in any file at rest: the store, the vault, SecretManagement''s registry' -Skip:([bool]$NoEngine) {
        $files = @(Get-ChildItem -LiteralPath $Store, $VaultHome -Recurse -File -Force)
        $files.Name | Should -Contain 'vault.dat'
        foreach ($file in $files) {
            $content = [System.IO.File]::ReadAllBytes($file.FullName)
            $hex = [Convert]::ToHexString($content)
            foreach ($secret in $Text, $SecureText, $CredentialPassword, $TablePassword) {
                foreach ($encoding in [System.Text.Encoding]::UTF8, [System.Text.Encoding]::Unicode) {
                    $hex.Contains([Convert]::ToHexString($encoding.GetBytes($secret))) | Should -BeFalse -Because "$($file.FullName) must not hold '$secret' ($($encoding.WebName))"
                }
            }
        }
        # Owner-only, as the store file.
        if ($OnUnix) {
            (Get-Item -LiteralPath (Join-Path $Store 'vault.dat')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }

    It 'writes no secret''s text to any stream: verbose, debug, warning, information' -Skip:([bool]$NoEngine) {
        $run = Invoke-VaultPwsh @"
`$log = & {
    Set-Secret -Vault Sso -Name 'app/streams' -Secret 'stream-secret-9d2f' -Verbose -Debug
    `$null = Get-Secret -Vault Sso -Name 'app/streams' -AsPlainText -Verbose -Debug
    `$null = Test-SecretVault -Name Sso -Verbose -Debug
    Remove-Secret -Vault Sso -Name 'app/streams' -Verbose -Debug
} *>&1 | Out-String
[ordered]@{ Log = `$log } | ConvertTo-Json -Compress
"@
        $run.Result.Log | Should -Match 'Vault entry .app/streams. \(String\) set in'
        $run.Text | Should -Not -Match 'stream-secret-9d2f'
    }

    It 'is read by a second process, as a scheduled job would: no prompt, no unlock' -Skip:([bool]$NoEngine) {
        $second = Invoke-VaultPwsh @"
`$c = Get-Secret -Name 'app/credential'
[ordered]@{ Credential = ConvertTo-Plain `$c; Interactive = [Environment]::UserInteractive; Pid = `$PID } | ConvertTo-Json -Compress
"@
        $second.Result.Credential | Should -BeExactly "credential:CONTOSO\svc-äpp|$CredentialPassword"
        $second.Result.Pid | Should -Not -Be $PID
    }

    It 'fails with the module''s ids through SecretManagement: a bad name, a type it cannot hold, bad metadata, a missing entry' -Skip:([bool]$NoEngine) {
        $errors = Invoke-VaultPwsh @"
[ordered]@{
    Name     = Get-Outcome { Set-Secret -Vault Sso -Name ' padded' -Secret 'x' }
    Type     = Get-Outcome { Set-Secret -Vault Sso -Name 'app/number' -Secret ([System.Collections.ArrayList]::new()) }
    Nested   = Get-Outcome { Set-Secret -Vault Sso -Name 'app/nested' -Secret @{ inner = @{ a = 'b' } } }
    Metadata = Get-Outcome { Set-SecretInfo -Vault Sso -Name 'app/text' -Metadata @{ big = [long]::MaxValue } }
    Remove   = Get-Outcome { Remove-Secret -Vault Sso -Name 'app/missing' }
    Info     = Get-Outcome { Set-SecretInfo -Vault Sso -Name 'app/missing' -Metadata @{ a = 1 } }
    Missing  = Get-Outcome { Get-Secret -Vault Sso -Name 'app/missing' }
} | ConvertTo-Json -Compress
"@
        $r = $errors.Result
        $r.Name.Id | Should -Be 'SsoSecret.InvalidSecretName'
        $r.Name.Type | Should -Be 'SsoSecret.VaultException'
        $r.Type.Id | Should -Be 'SsoSecret.UnsupportedSecretType'
        $r.Nested.Id | Should -Be 'SsoSecret.UnsupportedSecretType'
        $r.Metadata.Id | Should -Be 'SsoSecret.InvalidMetadata'
        $r.Metadata.Message | Should -Match 'Int64'
        $r.Remove.Id | Should -Be 'SsoSecret.VaultEntryNotFound'
        $r.Info.Id | Should -Be 'SsoSecret.VaultEntryNotFound'
        # Not found is SecretManagement's own answer (the vault returns nothing).
        $r.Missing.Id | Should -Match '^GetSecretNotFound'
    }
}

Describe 'Rotation, retirement and restore with the vault' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:RotStore = New-VaultStore 'rotation'
        $script:RotHome = New-TestFolder 'home-rotation'
        $script:Names = 1..6 | ForEach-Object { "rot/entry-$_" }
        Invoke-VaultPwsh -HomeFolder $RotHome @"
Register-SecretVault -Name Rot -ModuleName SsoSecret -VaultParameters @{ StorePath = '$RotStore' }
foreach (`$n in '$($Names -join "','")') { Set-Secret -Vault Rot -Name `$n -Secret "value of `$n" }
'{}'
"@ | Out-Null

        function Get-AllRot([string] $Vault = 'Rot', [string] $HomeFolder = $RotHome) {
            (Invoke-VaultPwsh -HomeFolder $HomeFolder @"
`$all = [ordered]@{}
foreach (`$n in '$($Names -join "','")') { `$all[`$n] = Get-Outcome { Get-Secret -Vault $Vault -Name `$n -AsPlainText } }
`$all | ConvertTo-Json -Depth 4 -Compress
"@).Result
        }

        function Assert-AllOpen([hashtable] $All) {
            foreach ($n in $Names) {
                $All[$n].Ok | Should -BeTrue -Because "$n must open ($($All[$n].Id) $($All[$n].Message))"
                $All[$n].Value | Should -BeExactly "value of $n"
            }
        }
    }

    It 'a new secret moves every entry to it; each still opens; Get-SsoMasterSecret counts them per secret' -Skip:([bool]$NoEngine) {
        $first = (Get-SsoMasterSecret -StorePath $RotStore).SecretId
        (Get-SsoMasterSecret -StorePath $RotStore).VaultEntries | Should -Be 6
        $verbose = New-SsoMasterSecret -StorePath $RotStore -BackupPath (Join-Path $TestDrive 'rotation-2.bak') -Credential $Credential -KdfProfile Interactive -Force -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'Moved 6 vault entries to master secret'
        $info = Get-SsoMasterSecret -StorePath $RotStore
        $info.VaultEntries | Should -Be 6
        $info.PreviousSecrets[0].SecretId | Should -Be $first
        $info.PreviousSecrets[0].VaultEntries | Should -Be 0
        Assert-AllOpen (Get-AllRot)
    }

    It 'a retirement moves entries still under the secret it retires first, and every entry still opens after it' -Skip:([bool]$NoEngine) {
        # The vault file as it was before another rotation: its entries under the secret about to be replaced.
        $vaultFile = Join-Path $RotStore 'vault.dat'
        $before = [System.IO.File]::ReadAllBytes($vaultFile)
        New-SsoMasterSecret -StorePath $RotStore -BackupPath (Join-Path $TestDrive 'rotation-3.bak') -Credential $Credential -KdfProfile Interactive -Force
        [System.IO.File]::WriteAllBytes($vaultFile, $before)
        $info = Get-SsoMasterSecret -StorePath $RotStore
        $info.VaultEntries | Should -Be 0
        $held = $info.PreviousSecrets | Where-Object VaultEntries -EQ 6
        $held | Should -Not -BeNullOrEmpty
        Assert-AllOpen (Get-AllRot)

        $verbose = $info.PreviousSecrets | Remove-SsoPreviousSecret -StorePath $RotStore -Force -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'Moved 6 vault entries to the current master secret'
        $after = Get-SsoMasterSecret -StorePath $RotStore
        $after.PreviousSecrets | Should -BeNullOrEmpty
        $after.VaultEntries | Should -Be 6
        Assert-AllOpen (Get-AllRot)
    }

    It 'a retirement that would strand a damaged entry is refused, and changes nothing' -Skip:([bool]$NoEngine) {
        $vaultFile = Join-Path $RotStore 'vault.dat'
        $good = [System.IO.File]::ReadAllBytes($vaultFile)
        New-SsoMasterSecret -StorePath $RotStore -BackupPath (Join-Path $TestDrive 'rotation-4.bak') -Credential $Credential -KdfProfile Interactive -Force
        $data = [byte[]]$good.Clone()
        $data[40] = $data[40] -bxor 1
        [System.IO.File]::WriteAllBytes($vaultFile, $data)
        $old = (Get-SsoMasterSecret -StorePath $RotStore).PreviousSecrets[0].SecretId
        $refusal = Get-Refusal { Remove-SsoPreviousSecret -StorePath $RotStore -SecretId $old -Force }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.VaultEntryStranded,*'
        $refusal.Exception | Should -BeOfType ([SsoSecret.VaultException])
        (Get-SsoMasterSecret -StorePath $RotStore).PreviousSecrets.SecretId | Should -Contain $old
        [System.IO.File]::ReadAllBytes($vaultFile) | Should -Be $data
        [System.IO.File]::WriteAllBytes($vaultFile, $good)
        Assert-AllOpen (Get-AllRot)
        # Retired now, the secret's entries are moved first: the vault is under the current secret again.
        Remove-SsoPreviousSecret -StorePath $RotStore -SecretId $old -Force
        (Get-SsoMasterSecret -StorePath $RotStore).VaultEntries | Should -Be 6
    }

    It 'backups carry it: the ring''s backups and an export restore every entry into an empty store on a new server' -Skip:([bool]$NoEngine) {
        $export = Join-Path $TestDrive 'rotation.ssovault'
        Export-SsoVault -StorePath $RotStore -Path $export
        $fresh = Join-Path $TestDrive 'fresh-server-store'
        # The secret the entries are under, from its backup (the newest file), into an empty store.
        $current = (Get-SsoMasterSecret -StorePath $RotStore).SecretId
        $backup = Get-ChildItem -LiteralPath $TestDrive -Filter 'rotation-*.bak' | Where-Object { (Get-SsoSecretBackupInfo $_.FullName).SecretId -eq $current }
        Restore-SsoMasterSecret -Path $backup.FullName -Credential $Credential -StorePath $fresh
        $import = Import-SsoVault -Path $export -StorePath $fresh
        $import.Added | Should -Be $Names
        $again = Import-SsoVault -Path $export -StorePath $fresh
        $again.Added | Should -BeNullOrEmpty
        $again.Unchanged | Should -Be $Names
        $otherHome = New-TestFolder 'home-fresh'
        Invoke-VaultPwsh -HomeFolder $otherHome "Register-SecretVault -Name Fresh -ModuleName SsoSecret -VaultParameters @{ StorePath = '$fresh' }; '{}'" | Out-Null
        Assert-AllOpen (Get-AllRot -Vault Fresh -HomeFolder $otherHome)
    }

    It 'an import never replaces a value: a conflict refuses it whole, and a store without the secret refuses it naming the secret' -Skip:([bool]$NoEngine) {
        $export = Join-Path $TestDrive 'rotation-conflict.ssovault'
        Export-SsoVault -StorePath $RotStore -Path $export
        Invoke-VaultPwsh -HomeFolder $RotHome "Set-Secret -Vault Rot -Name 'rot/entry-1' -Secret 'changed'; '{}'" | Out-Null
        $other = New-VaultStore 'unrelated'
        $missing = Get-Refusal { Import-SsoVault -Path $export -StorePath $other }
        $missing.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.UnknownSecret,*'
        $missing.Exception.Message | Should -Match ([regex]::Escape((Get-SsoMasterSecret -StorePath $RotStore).SecretId.ToString()))
        $conflict = Get-Refusal { Import-SsoVault -Path $export -StorePath $RotStore }
        $conflict.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.VaultEntryConflict,*'
        $conflict.Exception.Message | Should -Match 'rot/entry-1'
        (Get-AllRot)['rot/entry-1'].Value | Should -BeExactly 'changed'
        Invoke-VaultPwsh -HomeFolder $RotHome "Set-Secret -Vault Rot -Name 'rot/entry-1' -Secret 'value of rot/entry-1'; '{}'" | Out-Null
    }

    It 'a reader never fails while the secret is rotated and the old one retired under it' -Skip:([bool]$NoEngine) {
        # A second process reads every entry in a loop (no lock: readers never take one) until this one has rotated
        # three times, retiring each replaced secret; every read must give the value.
        $stop = Join-Path $TestDrive 'rotation-reader.stop'
        $started = Join-Path $TestDrive 'rotation-reader.started'
        $reader = Start-VaultPwsh ($Prologue + @"
`$reads = 0; `$failures = [System.Collections.Generic.List[string]]::new()
do {
    foreach (`$n in '$($Names -join "','")') {
        `$o = Get-Outcome { Get-Secret -Vault Rot -Name `$n -AsPlainText }
        if (-not `$o.Ok -or `$o.Value -cne "value of `$n") { `$failures.Add("`$(`$n): `$(`$o.Id) `$(`$o.Message)") }
        `$reads++
    }
    if (`$reads -eq $($Names.Count)) { New-Item -ItemType File -Path '$started' | Out-Null }
} until (Test-Path -LiteralPath '$stop')
[ordered]@{ Reads = `$reads; Failures = @(`$failures | Select-Object -First 5); FailureCount = `$failures.Count } | ConvertTo-Json -Compress
"@) $RotHome
        try {
            $deadline = [DateTime]::UtcNow.AddMinutes(10)
            while (-not (Test-Path -LiteralPath $started) -and [DateTime]::UtcNow -lt $deadline -and -not $reader.HasExited) { Start-Sleep -Milliseconds 200 }
            if (-not (Test-Path -LiteralPath $started)) {
                $reader.HasExited | Should -BeFalse -Because "the reader must be reading: $($reader.StandardOutput.ReadToEnd()) $($reader.StandardError.ReadToEnd())"
            }
            Test-Path -LiteralPath $started | Should -BeTrue -Because 'the reader must have read once before the rotations'
            foreach ($round in 1..3) {
                New-SsoMasterSecret -StorePath $RotStore -BackupPath (Join-Path $TestDrive "rotation-race-$round.bak") -Credential $Credential -KdfProfile Interactive -Force
                (Get-SsoMasterSecret -StorePath $RotStore).PreviousSecrets | Remove-SsoPreviousSecret -StorePath $RotStore -Force
            }
        }
        finally {
            New-Item -ItemType File -Path $stop -Force | Out-Null
        }
        $result = (Receive-VaultPwsh $reader).Result
        $result.FailureCount | Should -Be 0 -Because ($result.Failures -join "`n")
        $result.Reads | Should -BeGreaterThan $Names.Count
    }

    It 'two processes setting entries at once lose none' -Skip:([bool]$NoEngine) {
        $both = foreach ($side in 'a', 'b') {
            Start-VaultPwsh ($Prologue + "foreach (`$i in 1..12) { Set-Secret -Vault Rot -Name ""race/$side-`$i"" -Secret ""$side `$i"" }`n'{}'") $RotHome
        }
        $both | ForEach-Object { Receive-VaultPwsh $_ } | Out-Null
        $listed = (Invoke-VaultPwsh -HomeFolder $RotHome "@(Get-SecretInfo -Vault Rot -Name 'race/*' | ForEach-Object Name) | ConvertTo-Json -Compress").Result
        @($listed).Count | Should -Be 24
    }
}

Describe 'Damage: a flipped byte never yields a wrong value' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:DamageStore = New-VaultStore 'damage'
        $script:DamageHome = New-TestFolder 'home-damage'
        Invoke-VaultPwsh -HomeFolder $DamageHome @"
Register-SecretVault -Name Dmg -ModuleName SsoSecret -VaultParameters @{ StorePath = '$DamageStore' }
Set-Secret -Vault Dmg -Name 'one' -Secret 'first value 1e6b'
Set-Secret -Vault Dmg -Name 'two' -Secret ([pscredential]::new('user-two', (ConvertTo-SecureString 'second value 7a0c' -AsPlainText -Force)))
'{}'
"@ | Out-Null
        $script:DamageFile = Join-Path $DamageStore 'vault.dat'
        $script:Intact = [System.IO.File]::ReadAllBytes($DamageFile)
    }

    AfterEach {
        if (-not $NoEngine) { [System.IO.File]::WriteAllBytes($DamageFile, $Intact) }
    }

    It 'every byte of the file flipped in turn: each Get-Secret gives the right value or an error naming the damage' -Skip:([bool]$NoEngine) {
        $run = Invoke-VaultPwsh -HomeFolder $DamageHome @"
`$file = '$DamageFile'
`$intact = [System.IO.File]::ReadAllBytes(`$file)
`$expected = @{ one = 'text:first value 1e6b'; two = 'credential:user-two|second value 7a0c' }
`$wrong = [System.Collections.Generic.List[string]]::new()
`$badError = [System.Collections.Generic.List[string]]::new()
`$outcomes = @{}
try {
    for (`$at = 0; `$at -lt `$intact.Length; `$at++) {
        `$data = [byte[]]`$intact.Clone()
        `$data[`$at] = `$data[`$at] -bxor 0x20
        [System.IO.File]::WriteAllBytes(`$file, `$data)
        foreach (`$name in 'one', 'two') {
            `$o = Get-Outcome { ConvertTo-Plain (Get-Secret -Vault Dmg -Name `$name -AsPlainText) }
            if (`$o.Ok) {
                if (`$o.Value -cne `$expected[`$name]) { `$wrong.Add("byte `$at, `$name") }
                `$key = 'value'
            }
            else {
                `$key = `$o.Id
                if (`$o.Id -notin 'SsoSecret.VaultEntryDamaged', 'SsoSecret.VaultDamaged' -or `$o.Message -notmatch 'damaged') { `$badError.Add("byte `$at, `$(`$name): `$(`$o.Id) `$(`$o.Message)") }
                if (`$o.Id -eq 'SsoSecret.VaultEntryDamaged' -and `$o.Message -notmatch "'`$name'") { `$badError.Add("byte `$at, `$(`$name): does not name the entry: `$(`$o.Message)") }
            }
            `$outcomes[`$key] = 1 + [int]`$outcomes[`$key]
        }
    }
}
finally { [System.IO.File]::WriteAllBytes(`$file, `$intact) }
[ordered]@{ Length = `$intact.Length; Wrong = `$wrong; BadError = @(`$badError | Select-Object -First 5); BadErrors = `$badError.Count; Outcomes = `$outcomes } | ConvertTo-Json -Depth 4 -Compress
"@
        $r = $run.Result
        $r.Length | Should -BeGreaterThan 300
        $r.Wrong | Should -BeNullOrEmpty -Because 'a damaged file never yields a wrong value'
        $r.BadErrors | Should -Be 0 -Because ($r.BadError -join "`n")
        # Damage in one entry costs that entry only: some flips leave the other entry readable; some cost the whole file.
        $r.Outcomes['value'] | Should -BeGreaterThan ($r.Length / 2)
        $r.Outcomes['SsoSecret.VaultEntryDamaged'] | Should -BeGreaterThan 0
        $r.Outcomes['SsoSecret.VaultDamaged'] | Should -BeGreaterThan 0
    }

    It 'a value moved to another entry (every length and checksum made again) never opens under that name' -Skip:([bool]$NoEngine) {
        $fields = @(Read-VaultEntryFields $Intact)
        $fields.Count | Should -Be 2
        # Entry 'one' given the value of entry 'two', whole: the file is intact to its reader, the value is not one's.
        $one = $fields[0]; $two = $fields[1]
        $oneValue = Get-ValueSpan $one; $twoValue = Get-ValueSpan $two
        $moved = [byte[]]($one[0..($oneValue.Offset - 3)] + [byte[]](($twoValue.Length -shr 8), ($twoValue.Length -band 255)) + $two[$twoValue.Offset..($twoValue.Offset + $twoValue.Length - 1)])
        # The type byte too, so only the name differs.
        $moved[0] = $two[0]
        [System.IO.File]::WriteAllBytes($DamageFile, (New-VaultFileBytes @($moved, $two)))
        $run = Invoke-VaultPwsh -HomeFolder $DamageHome @"
[ordered]@{ One = Get-Outcome { ConvertTo-Plain (Get-Secret -Vault Dmg -Name 'one') }; Two = Get-Outcome { ConvertTo-Plain (Get-Secret -Vault Dmg -Name 'two') }; Test = Get-Outcome { Test-SecretVault -Name Dmg -ErrorAction SilentlyContinue } } | ConvertTo-Json -Compress
"@
        $run.Result.One.Ok | Should -BeFalse
        $run.Result.One.Id | Should -Be 'SsoSecret.VaultEntryDamaged'
        $run.Result.One.Message | Should -Match "does not open as a PSCredential named 'one'"
        $run.Result.Two.Value | Should -BeExactly 'credential:user-two|second value 7a0c'
        $run.Result.Test.Value | Should -BeFalse
        $run.Text | Should -Not -Match 'second value 7a0c.*second value 7a0c'
    }

    It 'a damaged vault refuses every change, so nothing is written over it; Test-SecretVault says why' -Skip:([bool]$NoEngine) {
        $data = [byte[]]$Intact.Clone()
        $data[$data.Length - 1] = $data[$data.Length - 1] -bxor 1
        [System.IO.File]::WriteAllBytes($DamageFile, $data)
        $run = Invoke-VaultPwsh -HomeFolder $DamageHome @"
`$test = Test-SecretVault -Name Dmg -ErrorAction SilentlyContinue -ErrorVariable problems
[ordered]@{
    One = Get-Outcome { Get-Secret -Vault Dmg -Name 'one' -AsPlainText }
    Set = Get-Outcome { Set-Secret -Vault Dmg -Name 'three' -Secret 'x' }
    Test = `$test
    Problems = @(`$problems | ForEach-Object { "`$_" })
} | ConvertTo-Json -Compress
"@
        $run.Result.One.Value | Should -BeExactly 'first value 1e6b'
        $run.Result.Set.Id | Should -Be 'SsoSecret.VaultDamaged'
        $run.Result.Test | Should -BeFalse
        ($run.Result.Problems -join ' ') | Should -Match "checksum does not match"
        [System.IO.File]::ReadAllBytes($DamageFile) | Should -Be $data
    }
}

Describe 'Repair-SsoVault: a damaged vault usable again, nothing lost' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:RepairStore = New-VaultStore 'repair'
        $script:RepairHome = New-TestFolder 'home-repair'
        Invoke-VaultPwsh -HomeFolder $RepairHome @"
Register-SecretVault -Name Rep -ModuleName SsoSecret -VaultParameters @{ StorePath = '$RepairStore' }
Set-Secret -Vault Rep -Name 'first' -Secret 'repair value one'
Set-Secret -Vault Rep -Name 'second' -Secret 'repair value two'
'{}'
"@ | Out-Null
        $script:RepairFile = Join-Path $RepairStore 'vault.dat'
        $script:RepairExport = Join-Path $TestDrive 'repair.ssovault'
        Export-SsoVault -StorePath $RepairStore -Path $RepairExport
    }

    It 'leaves an intact vault as it is, and says so' -Skip:([bool]$NoEngine) {
        $before = [System.IO.File]::ReadAllBytes($RepairFile)
        $out = Repair-SsoVault -StorePath $RepairStore -Force -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'intact'
        @($out | Where-Object { $_ -is [SsoSecret.SsoVaultRepairResult] }) | Should -BeNullOrEmpty
        [System.IO.File]::ReadAllBytes($RepairFile) | Should -Be $before
    }

    It 'keeps the damaged file byte for byte, writes the intact entries again; then sets and imports work' -Skip:([bool]$NoEngine) {
        $fields = @(Read-VaultEntryFields ([System.IO.File]::ReadAllBytes($RepairFile)))
        $damaged = [System.IO.File]::ReadAllBytes($RepairFile)
        # A byte of the second entry's value ('second'): its checksum no longer matches.
        $damaged[13 + 4 + $fields[0].Length + 32 + 4 + $fields[1].Length - 1] = $damaged[13 + 4 + $fields[0].Length + 32 + 4 + $fields[1].Length - 1] -bxor 1
        [System.IO.File]::WriteAllBytes($RepairFile, $damaged)

        Repair-SsoVault -StorePath $RepairStore -WhatIf
        [System.IO.File]::ReadAllBytes($RepairFile) | Should -Be $damaged -Because '-WhatIf changes nothing'
        (Get-Refusal { Repair-SsoVault -StorePath $RepairStore }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.ConfirmationRequired,*'

        $repair = Repair-SsoVault -StorePath $RepairStore -Force -WarningVariable warned 3>$null
        $repair.Kept | Should -Be @('first')
        ($repair.Damage -join ' ') | Should -Match "'second'"
        $warned | Should -Not -BeNullOrEmpty
        [System.IO.File]::ReadAllBytes($repair.DamagedCopy) | Should -Be $damaged
        if ($OnUnix) { (Get-Item -LiteralPath $repair.DamagedCopy).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }

        $import = Import-SsoVault -Path $RepairExport -StorePath $RepairStore
        $import.Added | Should -Be @('second')
        $import.Unchanged | Should -Be @('first')
        $after = (Invoke-VaultPwsh -HomeFolder $RepairHome @"
Set-Secret -Vault Rep -Name 'third' -Secret 'repair value three'
[ordered]@{ First = Get-Secret -Vault Rep -Name 'first' -AsPlainText; Second = Get-Secret -Vault Rep -Name 'second' -AsPlainText; Third = Get-Secret -Vault Rep -Name 'third' -AsPlainText; Test = Test-SecretVault -Name Rep } | ConvertTo-Json -Compress
"@).Result
        $after.First | Should -Be 'repair value one'
        $after.Second | Should -Be 'repair value two'
        $after.Third | Should -Be 'repair value three'
        $after.Test | Should -BeTrue
    }
}

Describe 'docs/guide-vault.md, run in one pwsh with the real SecretManagement' {
    BeforeAll {
        if ($NoEngine) { return }
        $work = New-TestFolder 'guide-vault'
        $guideHome = New-TestFolder 'home-guide'
        $runnable = @($GuideBlocks | Where-Object { -not $_.Skip })
        $markers = foreach ($block in $runnable) {
            "Write-Output '@@block $($block.Number)'`n$($block.Code)`nWrite-Output '@@end $($block.Number)'"
        }
        $script:GuideRun = Invoke-VaultPwsh -HomeFolder $guideHome -Environment @{ SSOSECRET_STORE = (Join-Path $work 'store'); BACKUP_PASSWORD = $Pw } @"
Set-Location '$work'
`$PSDefaultParameterValues['New-SsoMasterSecret:KdfProfile'] = 'Interactive'
`$PSDefaultParameterValues['Backup-SsoMasterSecret:KdfProfile'] = 'Interactive'
$($markers -join "`n")
'{}'
"@
    }

    It 'block <Number> (line <Line>)' -ForEach $GuideBlocks {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $GuideRun.Text | Should -Match "@@end $Number\b" -Because "the block at line $Line must run to its end:`n$($GuideRun.Text)"
    }
}
