# No secret or password leaves the module: every cmdlet runs with a known password and a known secret, on success and
# on every failure path, with a transcript, -Verbose, -Debug and every preference at Continue, and every stream, error
# and output object is rendered every way a person or a log would see it (host display, Format-List, JSON, CLIXML as
# over remoting, Get-Error, Exception.ToString with stack traces). Neither the password (nor the weak, wrong and
# invalid ones tried) nor any master secret appears anywhere: as text, as hex (lower or upper, plain or separated), as
# base64 (at every alignment), as decimal bytes, or as UTF-8 or UTF-16 bytes. The secret's bytes are read through the
# module's internal API from its own backups, so that the test knows what to look for.

BeforeDiscovery {
    # Each probe runs its commands as a user would; $Store, $Password and the other variables come from BeforeAll.
    $script:Probes = @(
        @{ Name = 'New (success)'; Run = { New-SsoMasterSecret -BackupPath "$Work/new.bak" -Password $Password -PasswordHint 'the blue door' -StorePath $Store -KdfProfile Interactive -PassThru } }
        @{ Name = 'Get (success)'; Run = { Get-SsoMasterSecret -StorePath $Store } }
        @{ Name = 'Backup (success, binary and armored, -Credential)'; Run = {
                Backup-SsoMasterSecret "$Work/b.bak" -Password $Password -PasswordHint 'the blue door' -StorePath $Store -KdfProfile Interactive -PassThru
                Backup-SsoMasterSecret "$Work/c.bak" -Credential $Credential -StorePath $Store -KdfProfile Interactive -Armor -PassThru
            } }
        @{ Name = 'Get-SsoSecretBackupInfo (success)'; Run = { Get-SsoSecretBackupInfo "$Work/b.bak", "$Work/c.bak" } }
        @{ Name = 'Test (success, with and without password)'; Run = {
                Test-SsoSecretBackup "$Work/b.bak", "$Work/c.bak" -Password $Password -StorePath $Store -Detailed
                Test-SsoSecretBackup "$Work/b.bak" -StorePath $Store
            } }
        @{ Name = 'Restore (success, same and other store)'; Run = {
                Restore-SsoMasterSecret "$Work/b.bak" -Password $Password -StorePath $Store -PassThru
                Restore-SsoMasterSecret "$Work/c.bak" -Credential $Credential -StorePath "$Work/store2" -Force -PassThru
            } }
        @{ Name = 'recovery keys (success): make, read, seal, test, restore'; Run = {
                New-SsoRecoveryKey -Path "$Work/k.key" -Password $Password -PasswordHint 'the key door' -KdfProfile Interactive
                New-SsoRecoveryKey -Path "$Work/k2.key" -Credential $Credential -KdfProfile Interactive -Armor
                Get-SsoRecoveryKey "$Work/k.key", "$Work/k2.key"
                Backup-SsoMasterSecret "$Work/r.bak" -Recipient (Get-SsoRecoveryKey "$Work/k.key").PublicKey -StorePath $Store -PassThru
                Get-SsoSecretBackupInfo "$Work/r.bak"
                Test-SsoSecretBackup "$Work/r.bak" -RecoveryKeyPath "$Work/k.key" -RecoveryKeyPassword $Password -StorePath $Store -Detailed
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/k.key" -RecoveryKeyPassword $Password -StorePath "$Work/store-r" -Force -PassThru
            } }
        @{ Name = 'recovery shares: split (with the password as passphrase), drill, restore; too few, damaged, mixed, wrong passphrase'; Run = {
                $null = New-Item -ItemType Directory -Path "$Work/shares", "$Work/shares2" -Force
                $sheets = Split-SsoMasterSecret -OutFolder "$Work/shares" -Threshold 2 -Count 3 -Passphrase $Password -StorePath $Store -Confirm:$false
                $sheets
                $other = Split-SsoMasterSecret -OutFolder "$Work/shares2" -Threshold 2 -Count 3 -StorePath $Store -Confirm:$false
                Test-SsoSecretShare $sheets[0].Path, $sheets[2].Path -Passphrase $Password -StorePath $Store -Detailed
                Restore-SsoMasterSecret -SharePath $sheets[0].Path, $sheets[1].Path -Passphrase $Password -StorePath "$Work/store-shares" -Force -PassThru -Verbose
                Restore-SsoMasterSecret -SharePath $sheets[0].Path -Passphrase $Password -StorePath "$Work/store-shares2" -Force
                Restore-SsoMasterSecret -SharePath $sheets[0].Path, $sheets[1].Path -Passphrase $WrongPassword -StorePath "$Work/store-shares2" -Force
                Restore-SsoMasterSecret -SharePath $sheets[0].Path, $other[1].Path -StorePath "$Work/store-shares2" -Force
                $words = (Get-Content $sheets[1].Path -Raw) -replace 'zero', 'zebra' -replace 'academic', 'acid'
                Restore-SsoMasterSecret -Share $words, (Get-Content $sheets[2].Path -Raw) -Passphrase $Password -StorePath "$Work/store-shares2" -Force
                Test-SsoSecretShare -Share $words -Detailed
            } }
        @{ Name = 'Set-SsoSecretBackupPassword (success)'; Run = {
                Copy-Item "$Work/b.bak" "$Work/changed.bak"
                Set-SsoSecretBackupPassword "$Work/changed.bak" -Password $Password -NewPassword $NewPassword -PasswordHint 'the green door' -Force -PassThru
                Test-SsoSecretBackup "$Work/changed.bak" -Password $NewPassword -StorePath $Store -Detailed
            } }
        @{ Name = 'wrong password'; Run = {
                Test-SsoSecretBackup "$Work/b.bak" -Password $WrongPassword -StorePath $Store -Detailed
                Restore-SsoMasterSecret "$Work/b.bak" -Password $WrongPassword -StorePath $Store -Force
            } }
        @{ Name = 'damaged backup'; Run = {
                Get-SsoSecretBackupInfo "$Work/damaged.bak"
                Test-SsoSecretBackup "$Work/damaged.bak" -Password $Password -Detailed
                Restore-SsoMasterSecret "$Work/damaged.bak" -Password $Password -StorePath $Store -Force
            } }
        @{ Name = 'tampered backup'; Run = {
                Test-SsoSecretBackup "$Work/tampered.bak" -Password $Password -Detailed
                Restore-SsoMasterSecret "$Work/tampered.bak" -Password $Password -StorePath $Store -Force
            } }
        @{ Name = 'not a backup, unsupported version, KDF limit'; Run = {
                Get-SsoSecretBackupInfo "$Work/text.txt", "$Work/version3.bak"
                Test-SsoSecretBackup "$Work/text.txt", "$Work/version3.bak" -Password $Password -Detailed
                Test-SsoSecretBackup "$Work/b.bak" -Password $Password -MaximumKdfMemoryMiB 1 -Detailed
                Restore-SsoMasterSecret "$Work/b.bak" -Password $Password -StorePath $Store -MaximumKdfMemoryMiB 1 -Force
            } }
        @{ Name = 'weak password'; Run = { Backup-SsoMasterSecret "$Work/weak.bak" -Password $WeakPassword -StorePath $Store -KdfProfile Interactive } }
        @{ Name = 'weak password (New)'; Run = { New-SsoMasterSecret -BackupPath "$Work/weak.bak" -Password $WeakPassword -StorePath "$Work/store-weak" -KdfProfile Interactive } }
        @{ Name = 'hint reveals the password'; Run = { Backup-SsoMasterSecret "$Work/reveal.bak" -Password $Password -PasswordHint $RevealingHint -StorePath $Store -KdfProfile Interactive } }
        @{ Name = 'invalid password (unpaired surrogate)'; Run = { Backup-SsoMasterSecret "$Work/invalid.bak" -Password $InvalidPassword -StorePath $Store -KdfProfile Interactive } }
        @{ Name = 'invalid and too long hints'; Run = {
                Backup-SsoMasterSecret "$Work/hint.bak" -Password $Password -PasswordHint "bell`a" -StorePath $Store -KdfProfile Interactive
                Backup-SsoMasterSecret "$Work/hint.bak" -Password $Password -PasswordHint ('x' * 513) -StorePath $Store -KdfProfile Interactive
            } }
        @{ Name = 'weak KDF parameters'; Run = { Backup-SsoMasterSecret "$Work/kdf.bak" -Password $Password -KdfParameters $WeakKdf -StorePath $Store } }
        @{ Name = 'backup exists, secret exists'; Run = {
                Backup-SsoMasterSecret "$Work/b.bak" -Password $Password -StorePath $Store -KdfProfile Interactive
                New-SsoMasterSecret -BackupPath "$Work/exists.bak" -Password $Password -StorePath $Store -KdfProfile Interactive
                Restore-SsoMasterSecret "$Work/other.bak" -Password $Password -StorePath $Store
            } }
        @{ Name = 'confirmation required'; Run = { Restore-SsoMasterSecret "$Work/other.bak" -Password $Password -StorePath "$Work/store-empty" } }
        @{ Name = 'password required (no prompt possible)'; Run = { Restore-SsoMasterSecret "$Work/b.bak" -StorePath $Store -Force } }
        @{ Name = 'no master secret'; Run = {
                Get-SsoMasterSecret -StorePath "$Work/store-none"
                Backup-SsoMasterSecret "$Work/none.bak" -Password $Password -StorePath "$Work/store-none" -KdfProfile Interactive
            } }
        @{ Name = 'paths: missing, folder, other provider, missing folder'; Run = {
                Restore-SsoMasterSecret "$Work/missing.bak" -Password $Password -StorePath $Store -Force
                Get-SsoSecretBackupInfo $Work
                Get-SsoSecretBackupInfo -LiteralPath 'Env:/HOME'
                Backup-SsoMasterSecret 'Variable:/x' -Password $Password -StorePath $Store -KdfProfile Interactive
                Backup-SsoMasterSecret "$Work/no/such/folder.bak" -Password $Password -StorePath $Store -KdfProfile Interactive
            } }
        @{ Name = 'damaged store'; Run = { Get-SsoMasterSecret -StorePath "$Work/store-damaged"; Backup-SsoMasterSecret "$Work/sd.bak" -Password $Password -StorePath "$Work/store-damaged" } }
        @{ Name = 'insecure store'; Run = { Get-SsoMasterSecret -StorePath "$Work/store-open"; Restore-SsoMasterSecret "$Work/b.bak" -Password $Password -StorePath "$Work/store-open" -Force } }
        @{ Name = 'busy store'; Run = { Restore-SsoMasterSecret "$Work/other.bak" -Password $Password -StorePath "$Work/store-busy" -Force } }
        @{ Name = 'recovery key failures'; Run = {
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/k2.key" -RecoveryKeyPassword $Password -StorePath "$Work/store-r" -Force
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/k.key" -RecoveryKeyPassword $WrongPassword -StorePath "$Work/store-r" -Force
                Test-SsoSecretBackup "$Work/r.bak" -RecoveryKeyPath "$Work/k.key" -RecoveryKeyPassword $WrongPassword -Detailed
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/k-damaged.key" -RecoveryKeyPassword $Password -StorePath "$Work/store-r" -Force
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/b.bak" -RecoveryKeyPassword $Password -StorePath "$Work/store-r" -Force
                Restore-SsoMasterSecret "$Work/r.bak" -RecoveryKeyPath "$Work/none.key" -RecoveryKeyPassword $Password -StorePath "$Work/store-r" -Force
                New-SsoRecoveryKey -Path "$Work/k.key" -Password $Password -KdfProfile Interactive
                Get-SsoRecoveryKey "$Work/k-damaged.key", "$Work/text.txt"
            } }
        @{ Name = 'recipient and kind failures'; Run = {
                Backup-SsoMasterSecret "$Work/x.bak" -Recipient 'ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gn9' -StorePath $Store
                Backup-SsoMasterSecret "$Work/x.bak" -Recipient (Get-SsoRecoveryKey "$Work/k.key").PublicKey -Password $Password -StorePath $Store
                Backup-SsoMasterSecret "$Work/x.bak" -Recipient $Plain.Password -StorePath $Store
                Restore-SsoMasterSecret "$Work/r.bak" -Password $Password -StorePath "$Work/store-r" -Force
                Test-SsoSecretBackup "$Work/r.bak", "$Work/b.bak" -Password $Password -RecoveryKeyPath "$Work/k2.key" -RecoveryKeyPassword $Password -Detailed
                Set-SsoSecretBackupPassword "$Work/r.bak" -Password $Password -NewPassword $NewPassword -Force
                Set-SsoSecretBackupPassword "$Work/b.bak" -Password $WrongPassword -NewPassword $NewPassword -Force
                Set-SsoSecretBackupPassword "$Work/b.bak" -Password $Password -NewPassword $NewPassword -PasswordHint "door $($Plain.New)" -Force
            } }
        @{ Name = 'Protect and Unprotect (success: SecureString, PSCredential, file in; SecureString out)'; Run = {
                $text = $Value | Protect-SsoData -Purpose 'probe/value' -StorePath $Store -Verbose
                $text
                $text | Unprotect-SsoData -Purpose 'probe/value' -StorePath $Store -Verbose
                [pscredential]::new('u', $Value) | Protect-SsoData -Purpose 'probe/value' -StorePath $Store -OutFile "$Work/value.prot"
                Unprotect-SsoData -LiteralPath "$Work/value.prot" -Purpose 'probe/value' -StorePath $Store
            } }
        @{ Name = 'protected data failures: wrong purpose, damaged, not protected, unknown secret, too large, unsupported input'; Run = {
                $text = $Value | Protect-SsoData -Purpose 'probe/value' -StorePath $Store
                $text | Unprotect-SsoData -Purpose 'probe/other' -StorePath $Store
                $changed = if ($text[40] -eq 'A') { 'B' } else { 'A' }
                ($text.Substring(0, 40) + $changed + $text.Substring(41)) | Unprotect-SsoData -Purpose 'probe/value' -StorePath $Store
                'not protected data' | Unprotect-SsoData -Purpose 'probe/value' -StorePath $Store
                $text | Unprotect-SsoData -Purpose 'probe/value' -StorePath "$ProbeFolder/store"
                $text | Update-SsoProtectedData -Purpose 'probe/other' -StorePath $Store
                ,[byte[]]::new(20000) | Protect-SsoData -Purpose 'probe/value' -StorePath $Store
                [datetime]::Now | Protect-SsoData -Purpose 'probe/value' -StorePath $Store
                $text | Unprotect-SsoData -Purpose ' probe' -StorePath $Store
            } }
        @{ Name = 'New -Force replaces (success)'; Run = { New-SsoMasterSecret -BackupPath "$Work/new2.bak" -Password $Password -StorePath $Store -KdfProfile Interactive -Force -PassThru } }
        @{ Name = 'rewrap after the rotation, then retire (success)'; Run = {
                Update-SsoProtectedData -LiteralPath "$Work/value.prot" -Purpose 'probe/value' -StorePath $Store -PassThru -Verbose
                Get-Content "$Work/value.prot" | Update-SsoProtectedData -Purpose 'probe/value' -StorePath $Store -Verbose
                (Get-SsoMasterSecret -StorePath $Store).PreviousSecrets | Remove-SsoPreviousSecret -StorePath $Store -Force -PassThru -Verbose
            } }
    )
}

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    Import-Module $ModulePath -Force
    $script:Work = Join-Path $TestDrive 'work'
    $script:Store = Join-Path $Work 'store'
    New-Item -ItemType Directory -Path $Work | Out-Null

    # The passwords: distinctive, so that a hit is never a coincidence.
    $script:Plain = @{
        Password = 'Probe-Passw0rd-6c1e93f7'
        Wrong    = 'Wrong-Passw0rd-0b7d25aa'
        Weak     = 'Wk7-q9z'
        Invalid  = "Surrogate-Probe-`u{D800}-4f2a"
        New      = 'New-Passw0rd-9d3c51e8'
        Value    = 'Protected-Value-5e8d21c4'
    }
    # A value protected under the master secret: its plaintext must not appear either (the probes never ask for it
    # with -AsPlainText or -AsByteArray).
    $script:Value = ConvertTo-SecureString $Plain.Value -AsPlainText -Force
    $script:Password = ConvertTo-SecureString $Plain.Password -AsPlainText -Force
    $script:WrongPassword = ConvertTo-SecureString $Plain.Wrong -AsPlainText -Force
    $script:WeakPassword = ConvertTo-SecureString $Plain.Weak -AsPlainText -Force
    $script:NewPassword = ConvertTo-SecureString $Plain.New -AsPlainText -Force
    $script:InvalidPassword = [securestring]::new()
    foreach ($c in $Plain.Invalid.ToCharArray()) { $InvalidPassword.AppendChar($c) }
    $script:Credential = [pscredential]::new('ignored', $Password)
    $script:RevealingHint = "behind the door: $($Plain.Password)"

    # The module's internal API (its own load context on PowerShell 7), reached through a type it returns.
    $script:ProbeFolder = Join-Path $TestDrive 'probe'
    function Get-CoreAssembly {
        $probe = $ProbeFolder
        if (-not (Test-Path "$probe/p.bak")) {
            New-SsoMasterSecret -BackupPath "$probe/p.bak" -Password $Password -StorePath "$probe/store" -KdfProfile Interactive -ErrorAction Stop | Out-Null
        }
        # The engine's load context holds SsoSecret.Core; the types scripts name live in SsoSecret.Types.
        $context = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'SsoSecret')[0]
        $context.Assemblies | Where-Object { $_.GetName().Name -eq 'SsoSecret.Core' } | Select-Object -First 1
    }
    New-Item -ItemType Directory -Path (Join-Path $TestDrive 'probe') | Out-Null
    $script:Core = Get-CoreAssembly
    $script:WeakKdf = [SsoSecret.KdfParameters]::new(1024, 1, 1)

    # The secret inside a backup, through BackupEnvelope.Open.
    function Get-SecretBytes([string] $Path) {
        $open = $Core.GetType('SsoSecret.BackupEnvelope').GetMethod('Open', [System.Reflection.BindingFlags]'NonPublic, Static')
        $limits = [SsoSecret.KdfLimits]::Default
        $arguments = [object[]]@([System.IO.File]::ReadAllBytes($Path), [System.Text.Encoding]::UTF8.GetBytes($Plain.Password), $limits, $null)
        , $open.Invoke($null, $arguments)
    }
    $script:Secrets = [System.Collections.Generic.List[byte[]]]::new()
    function Add-Secret([string] $Path) {
        $bytes = Get-SecretBytes $Path
        if (-not ($Secrets | Where-Object { [System.Linq.Enumerable]::SequenceEqual($_, $bytes) })) { $Secrets.Add($bytes) }
    }
    Add-Secret "$ProbeFolder/p.bak"

    # A recovery key's private key is as secret as a master secret: read through RecoveryKeyFile.Open, and searched for
    # in every rendering the same ways.
    function Add-PrivateKey([string] $Path) {
        $open = $Core.GetType('SsoSecret.RecoveryKeyFile').GetMethod('Open', [System.Reflection.BindingFlags]'NonPublic, Static')
        $arguments = [object[]]@([System.IO.File]::ReadAllBytes($Path), [System.Text.Encoding]::UTF8.GetBytes($Plain.Password), [SsoSecret.KdfLimits]::Default, $null)
        $bytes = [byte[]]$open.Invoke($null, $arguments)
        if (-not ($Secrets | Where-Object { [System.Linq.Enumerable]::SequenceEqual($_, $bytes) })) { $Secrets.Add($bytes) }
    }

    # What must never appear: text needles (searched ignoring case, except base64) and byte needles.
    function Get-Needles {
        $text = [System.Collections.Generic.List[object]]::new()
        $utf8 = [System.Text.Encoding]::UTF8
        $utf16 = [System.Text.Encoding]::Unicode
        foreach ($name in $Plain.Keys) {
            $value = $Plain[$name]
            $visible = if ($name -eq 'Invalid') { 'Surrogate-Probe-' } else { $value }
            $text.Add(@{ What = "$name password"; Needle = $visible; Case = $false })
            if ($name -ne 'Invalid') {
                foreach ($encoding in $utf8, $utf16) {
                    $bytes = $encoding.GetBytes($value)
                    $text.Add(@{ What = "$name password, hex of $($encoding.WebName)"; Needle = [Convert]::ToHexString($bytes); Case = $false })
                    $text.Add(@{ What = "$name password, base64 of $($encoding.WebName)"; Needle = [Convert]::ToBase64String($bytes).TrimEnd('='); Case = $true })
                }
            }
        }
        $binary = [System.Collections.Generic.List[object]]::new()
        foreach ($name in 'Password', 'Wrong', 'Weak', 'New', 'Value') {
            $binary.Add(@{ What = "$name password, UTF-8 bytes"; Needle = $utf8.GetBytes($Plain[$name]) })
            $binary.Add(@{ What = "$name password, UTF-16 bytes"; Needle = $utf16.GetBytes($Plain[$name]) })
        }
        $i = 0
        foreach ($secret in $Secrets) {
            $i++
            $head = $secret[0..11]
            $text.Add(@{ What = "secret $i, hex"; Needle = [Convert]::ToHexString($head); Case = $false })
            $text.Add(@{ What = "secret $i, hex with dashes"; Needle = [BitConverter]::ToString($head); Case = $false })
            $text.Add(@{ What = "secret $i, hex with spaces"; Needle = (($head | ForEach-Object { $_.ToString('x2') }) -join ' '); Case = $false })
            $text.Add(@{ What = "secret $i, hex with 0x"; Needle = (($head[0..5] | ForEach-Object { '0x' + $_.ToString('x2') }) -join ', '); Case = $false })
            foreach ($k in 0..2) {
                $text.Add(@{ What = "secret $i, base64 at offset $k"; Needle = [Convert]::ToBase64String($secret, $k, $secret.Length - $k).Substring(0, 20); Case = $true })
            }
            foreach ($separator in "`n", ' ', ', ', "`r`n") {
                $text.Add(@{ What = "secret $i, decimal bytes"; Needle = ($head[0..7] -join $separator); Case = $true })
            }
            $binary.Add(@{ What = "secret $i, raw bytes"; Needle = [byte[]]$secret[0..15] })
            $binary.Add(@{ What = "secret $i, hex as UTF-16"; Needle = $utf16.GetBytes([Convert]::ToHexString($head)) })
        }
        [pscustomobject]@{ Text = $text; Binary = $binary }
    }

    # Renders one object every way it may be seen or stored.
    function Get-Renderings($Item) {
        if ($null -eq $Item) { return }
        "$Item"
        $Item | Out-String -Width 4096
        $Item | Format-List * -Force | Out-String -Width 4096
        try { $Item | ConvertTo-Json -Depth 3 -WarningAction Ignore } catch { }
        # CLIXML of a SecureString is DPAPI-encrypted on Windows, but PowerShell on Linux and macOS writes its UTF-16
        # characters as hex (the platform has no DPAPI): Unprotect-SsoData's default output is a SecureString by design,
        # and what PowerShell does with one is not the module's output. docs/security.md warns about Export-Clixml.
        if (-not ($Item -is [securestring] -and -not $IsWindows)) {
            try { [System.Management.Automation.PSSerializer]::Serialize($Item, 3) } catch { }
        }
        $record = if ($Item -is [System.Management.Automation.ErrorRecord]) { $Item } elseif ($Item.ErrorRecord) { $Item.ErrorRecord }
        if ($record) {
            $record.ToString()
            $record.Exception.ToString()
            "$($record.ErrorDetails.Message) $($record.ErrorDetails.RecommendedAction)"
            "$($record.TargetObject) $($record.CategoryInfo) $($record.FullyQualifiedErrorId) $($record.ScriptStackTrace)"
            $record.InvocationInfo.PositionMessage
            # What the caller passed, as the record carries it along ($Error, remoting, Export-Clixml).
            $record.InvocationInfo | Format-List * | Out-String -Width 4096
            ($record.InvocationInfo.BoundParameters.Values | ForEach-Object { "$_" }) -join "`n"
            try { $record.InvocationInfo.BoundParameters | ConvertTo-Json -Depth 2 -WarningAction Ignore } catch { }
            Get-Error -InputObject $record | Out-String -Width 4096
        }
        if ($Item -is [System.Management.Automation.InformationRecord]) { "$($Item.MessageData)" }
    }

    function Assert-NothingSecret([string[]] $Texts, [byte[][]] $Blobs, [string] $Probe) {
        # Plain loops that collect what they find, and one assertion: a Should per comparison would take minutes.
        $needles = Get-Needles
        $latin1 = [System.Text.Encoding]::Latin1
        $findings = [System.Collections.Generic.List[string]]::new()
        $textHaystacks = @($Texts) + @($Blobs | ForEach-Object { $latin1.GetString($_) })
        foreach ($haystack in $textHaystacks) {
            if (-not $haystack) { continue }
            foreach ($needle in $needles.Text) {
                $comparison = if ($needle.Case) { [StringComparison]::Ordinal } else { [StringComparison]::OrdinalIgnoreCase }
                $at = $haystack.IndexOf($needle.Needle, $comparison)
                if ($at -ge 0) {
                    $from = [Math]::Max(0, $at - 60)
                    $findings.Add("the $($needle.What) in '...$($haystack.Substring($from, [Math]::Min(160, $haystack.Length - $from)))...'")
                }
            }
        }
        $byteHaystacks = @($Blobs | ForEach-Object { $latin1.GetString($_) }) +
            @($Texts | ForEach-Object { $latin1.GetString([System.Text.Encoding]::UTF8.GetBytes($_)) }) +
            @($Texts | ForEach-Object { $latin1.GetString([System.Text.Encoding]::Unicode.GetBytes($_)) })
        $binaryNeedles = @($needles.Binary | ForEach-Object { @{ What = $_.What; Needle = $latin1.GetString($_.Needle) } })
        foreach ($haystack in $byteHaystacks) {
            if (-not $haystack) { continue }
            foreach ($needle in $binaryNeedles) {
                if ($haystack.IndexOf($needle.Needle, [StringComparison]::Ordinal) -ge 0) { $findings.Add("the $($needle.What)") }
            }
        }
        $findings | Should -BeNullOrEmpty -Because "$Probe must show nothing secret ($($textHaystacks.Count) renderings and a transcript searched for $($needles.Text.Count + $needles.Binary.Count) needles)"
    }

    # Runs a probe with a transcript, every stream visible and captured, and returns every rendering and the
    # transcript's bytes.
    function Invoke-Probe([string] $Name, [scriptblock] $Run) {
        $transcript = Join-Path $TestDrive ("transcript-{0}.txt" -f [guid]::NewGuid())
        $PSDefaultParameterValues['*-Sso*:Verbose'] = $true
        $PSDefaultParameterValues['*-Sso*:Debug'] = $true
        $PSDefaultParameterValues['*-Sso*:ErrorVariable'] = '+probeErrors'
        $PSDefaultParameterValues['*-Sso*:WarningVariable'] = '+probeWarnings'
        $PSDefaultParameterValues['*-Sso*:InformationVariable'] = '+probeInformation'
        $PSDefaultParameterValues['*-Sso*:OutVariable'] = '+probeOutput'
        # As in a default session (the suite runner's Stop would end a probe at its first non-terminating error).
        $ErrorActionPreference = 'Continue'
        $VerbosePreference = $DebugPreference = $InformationPreference = $WarningPreference = 'Continue'
        $ProgressPreference = 'Continue'
        $probeErrors = [System.Collections.ArrayList]::new()
        $probeWarnings = [System.Collections.ArrayList]::new()
        $probeInformation = [System.Collections.ArrayList]::new()
        $probeOutput = [System.Collections.ArrayList]::new()
        $Error.Clear()
        $captured = [System.Collections.Generic.List[object]]::new()
        Start-Transcript -Path $transcript -IncludeInvocationHeader | Out-Null
        try {
            foreach ($statement in $Run.Ast.EndBlock.Statements) {
                # Each command on its own, so that a terminating error does not hide the next one.
                try {
                    . ([scriptblock]::Create($statement.Extent.Text)) *>&1 | ForEach-Object { $captured.Add($_); $_ } | Out-Host
                }
                catch {
                    $captured.Add($_)
                    $_ | Out-Host
                }
            }
        }
        finally {
            Stop-Transcript | Out-Null
            $PSDefaultParameterValues.Clear()
        }
        # Every object once, whichever way it was collected ($Error, the variables and the streams hold the same ones).
        $texts = [System.Collections.Generic.List[string]]::new()
        $seen = [System.Collections.Generic.HashSet[object]]::new([System.Collections.Generic.ReferenceEqualityComparer]::Instance)
        foreach ($item in @($captured) + @($probeErrors) + @($probeWarnings) + @($probeInformation) + @($probeOutput) + @($Error)) {
            $object = if ($item -is [psobject]) { $item.psobject.BaseObject } else { $item }
            if ($null -eq $object -or -not $seen.Add($object)) { continue }
            foreach ($rendering in Get-Renderings $item) { if ($rendering) { $texts.Add([string]$rendering) } }
        }
        [pscustomobject]@{
            Texts      = $texts
            Transcript = [System.IO.File]::ReadAllBytes($transcript)
            Captured   = $captured
        }
    }

    # The inputs the failure probes need.
    function Set-Up {
        $b = [System.IO.File]::ReadAllBytes("$Work/b.bak")
        $damaged = [byte[]]$b.Clone(); $damaged[100] = $damaged[100] -bxor 0x01
        [System.IO.File]::WriteAllBytes("$Work/damaged.bak", $damaged)
        $tampered = [byte[]]$b.Clone(); $tampered[$tampered.Length - 40] = $tampered[$tampered.Length - 40] -bxor 0x01
        $sha = [System.Security.Cryptography.SHA256]::HashData([byte[]]$tampered[0..($tampered.Length - 33)])
        [Array]::Copy($sha, 0, $tampered, $tampered.Length - 32, 32)
        [System.IO.File]::WriteAllBytes("$Work/tampered.bak", $tampered)
        $version3 = [byte[]]$b.Clone(); $version3[9] = 3
        [System.IO.File]::WriteAllBytes("$Work/version3.bak", $version3)
        Set-Content "$Work/text.txt" 'not a backup'
        New-SsoMasterSecret -BackupPath "$Work/other.bak" -Password $Password -StorePath "$Work/store-other" -KdfProfile Interactive | Out-Null
        Add-Secret "$Work/other.bak"
        foreach ($name in 'store-damaged', 'store-open', 'store-busy') {
            New-Item -ItemType Directory -Path "$Work/$name" | Out-Null
            Copy-Item "$Store/master-secret.dat" "$Work/$name/"
            if (-not $IsWindows) { chmod 700 "$Work/$name"; chmod 600 "$Work/$name/master-secret.dat" }
        }
        $data = [System.IO.File]::ReadAllBytes("$Work/store-damaged/master-secret.dat")
        $data[40] = $data[40] -bxor 0x10
        [System.IO.File]::WriteAllBytes("$Work/store-damaged/master-secret.dat", $data)
        if (-not $IsWindows) { chmod 755 "$Work/store-open" }
        $script:Held = [System.IO.FileStream]::new("$Work/store-busy/store.lock", 'OpenOrCreate', 'ReadWrite', 'None')
        if (-not $IsWindows) { chmod 600 "$Work/store-busy/store.lock" }
        $env:SSOSECRET_LOCK_TIMEOUT_SECONDS = '1'
        if (Test-Path "$Work/k.key") {
            $key = [System.IO.File]::ReadAllBytes("$Work/k.key"); $key[60] = $key[60] -bxor 0x01
            [System.IO.File]::WriteAllBytes("$Work/k-damaged.key", $key)
        }
    }
    $script:Ready = $false
    $script:SeenIds = [System.Collections.Generic.List[string]]::new()
}

AfterAll {
    if ($script:Held) { $Held.Dispose() }
    Remove-Item Env:/SSOSECRET_LOCK_TIMEOUT_SECONDS -ErrorAction Ignore
}

Describe 'No password and no secret in any output' {
    It '<Name>' -ForEach $Probes {
        if ($Name -notlike '*(success*' -and -not $script:Ready) { Set-Up; $script:Ready = $true }
        $result = Invoke-Probe $Name $Run
        foreach ($path in "$Work/new.bak", "$Work/new2.bak") {
            if (Test-Path $path) { Add-Secret $path }
        }
        foreach ($path in "$Work/k.key", "$Work/k2.key") {
            if (Test-Path $path) { Add-PrivateKey $path }
        }
        foreach ($record in $result.Captured | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) {
            $SeenIds.Add($record.FullyQualifiedErrorId.Split(',')[0])
        }
        $result.Captured.Count | Should -BeGreaterThan 0 -Because 'the probe must have produced something to look at'
        Assert-NothingSecret -Texts $result.Texts -Blobs @(, $result.Transcript) -Probe $Name
    }

    It 'the probes met every error id they were meant to' {
        # Every failure path above was really taken: its error id was seen.
        $expected = 'WrongPassword', 'DamagedBackup', 'TamperedBackup', 'NotABackup', 'UnsupportedVersion', 'KdfLimitExceeded',
            'WeakPassword', 'HintRevealsPassword', 'InvalidPassword', 'InvalidHint', 'HintTooLong', 'WeakKdf', 'BackupExists',
            'MasterSecretExists', 'ConfirmationRequired', 'PasswordRequired', 'NoMasterSecret', 'BackupNotFound', 'PathIsFolder',
            'PathNotFileSystem', 'FolderNotFound', 'StoreDamaged', 'StoreInsecure', 'StoreBusy', 'WrongPurpose',
            'DamagedProtectedData', 'NotProtectedData', 'UnknownSecret', 'ValueTooLarge', 'UnsupportedInput', 'InvalidPurpose',
            'WrongRecoveryKey', 'NotARecoveryKey', 'DamagedRecoveryKey', 'FileNotFound', 'FileExists',
            'InvalidRecipient', 'RecipientsWithPassword', 'BackupKindMismatch'
        $seen = $script:SeenIds
        foreach ($id in $expected) { $seen | Should -Contain "SsoSecret.$id" }
    }
}
