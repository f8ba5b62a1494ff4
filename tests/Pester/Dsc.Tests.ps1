# The class-based DSC resources SsoMasterSecret, SsoMasterSecretBackup and SsoReplica (module/SsoSecretDsc, the SsoSecretDsc
# module built beside SsoSecret), called directly: create the class in the module's scope, set its properties, call
# Get(), Test(), Set(). DscEngine.Tests.ps1 runs them through the engines' own discovery. Real stores and backup files
# under $TestDrive; the Interactive KDF profile (64 MiB) keeps each password check short.

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    # out/SsoSecretDsc beside out/SsoSecret; out/ on the module path, so that its RequiredModules finds SsoSecret as
    # an installed module would.
    $script:OutFolder = Split-Path (Split-Path $ModulePath)
    $script:DscModulePath = Join-Path $OutFolder 'SsoSecretDsc/SsoSecretDsc.psd1'
    $script:SavedModulePath = $env:PSModulePath
    $env:PSModulePath = $OutFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module $ModulePath -Force
    Import-Module $DscModulePath -Force

    # Distinctive passwords, so that finding one in serialized output cannot be a coincidence.
    $script:Password = 'Dsc-Right-Passw0rd-4f81c2'
    $script:OtherPassword = 'Dsc-Other-Passw0rd-9a03d7'
    $script:Credential = New-Object System.Management.Automation.PSCredential -ArgumentList 'ignored', (ConvertTo-SecureString $Password -AsPlainText -Force)
    $script:OtherCredential = New-Object System.Management.Automation.PSCredential -ArgumentList 'ignored', (ConvertTo-SecureString $OtherPassword -AsPlainText -Force)

    function New-DscResource {
        # An instance of a resource class from the imported module, with its properties set, as the DSC engine makes it.
        param([string] $Name, [hashtable] $Property = @{})
        $resource = & (Get-Module SsoSecretDsc) ([scriptblock]::Create("[$Name]::new()"))
        foreach ($key in $Property.Keys) {
            $resource.$key = $Property[$key]
        }
        $resource
    }

    function New-TestStore {
        # A store holding a fresh secret (and its first backup beside it); returns the store path.
        param([string] $Name)
        $store = Join-Path $TestDrive $Name
        New-SsoMasterSecret -StorePath $store -BackupPath (Join-Path $TestDrive "$Name-initial.bak") -Credential $Credential -KdfProfile Interactive | Out-Null
        $store
    }

    function New-BackupResource {
        param([string] $Store, [string] $File, [hashtable] $Property = @{})
        $all = @{
            Path       = Join-Path $TestDrive $File
            StorePath  = $Store
            Credential = $Credential
            KdfProfile = 'Interactive'
        }
        foreach ($key in $Property.Keys) { $all[$key] = $Property[$key] }
        New-DscResource -Name SsoMasterSecretBackup -Property $all
    }

    function Assert-NoNewError {
        # An ordinary "not in the desired state" is an answer, not a failure: it leaves nothing in $Error, where an
        # engine may look for failures.
        param([int] $Before, [string] $Because)
        $new = @($global:Error | Select-Object -First ([math]::Max(0, $global:Error.Count - $Before)))
        $global:Error.Count | Should -Be $Before -Because "$Because should leave nothing in `$Error (it left: $(($new | ForEach-Object { "$_" }) -join ' | '))"
    }

    function Get-FileHashHex([string] $Path) {
        (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
    }

    function Assert-NoPassword {
        # Serializes what Get() returned in the ways DSC and people do, and looks for either password.
        param($State)
        $texts = @(
            ($State | ConvertTo-Json -Depth 5)
            ($State | Format-List * | Out-String)
            [System.Management.Automation.PSSerializer]::Serialize($State, 5)
        )
        foreach ($text in $texts) {
            $text | Should -Not -BeLike "*$Password*"
            $text | Should -Not -BeLike "*$OtherPassword*"
        }
        foreach ($one in @($State)) {
            $one.Credential | Should -BeNullOrEmpty
        }
    }
}

AfterAll {
    $env:PSModulePath = $SavedModulePath
}

Describe 'The module manifests and the DSC resources' {
    It 'SsoSecretDsc declares the three resources, requires this very SsoSecret, exports them once imported, and no functions' {
        $manifest = Import-PowerShellDataFile $DscModulePath
        $main = Import-PowerShellDataFile $ModulePath
        $manifest.RootModule | Should -Be 'SsoSecretDsc.psm1'
        $manifest.DscResourcesToExport | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
        $manifest.FunctionsToExport | Should -BeNullOrEmpty
        $manifest.ModuleVersion | Should -Be $main.ModuleVersion
        $manifest.GUID | Should -Not -Be $main.GUID
        $manifest.RequiredModules.ModuleName | Should -Be 'SsoSecret'
        $manifest.RequiredModules.RequiredVersion | Should -Be $main.ModuleVersion
        $manifest.RequiredModules.GUID | Should -Be $main.GUID
        (Get-Module SsoSecretDsc).ExportedDscResources | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
        Get-Command -Module SsoSecretDsc -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'SsoSecret itself no longer carries the resources: no DSC nested module, no DSC exports' {
        $main = Import-PowerShellDataFile $ModulePath
        # Its one nested module is SecretManagement's extension vault, which holds no class.
        @($main.NestedModules) | Should -Be @('SsoSecret.Extension')
        Get-ChildItem -LiteralPath (Join-Path (Split-Path $ModulePath) 'SsoSecret.Extension') -File | Select-String -Pattern '^\s*(class|enum)\s' | Should -BeNullOrEmpty
        $main.Keys | Should -Not -Contain 'DscResourcesToExport'
        Join-Path (Split-Path $ModulePath) 'SsoSecretDsc.psm1' | Should -Not -Exist
    }

    It 'gives the classes in the module''s scope' {
        $type = & (Get-Module SsoSecretDsc) { [SsoMasterSecretBackup] }
        $type.Name | Should -Be 'SsoMasterSecretBackup'
        $type.GetCustomAttributes($true).TypeId.Name | Should -Contain 'DscResourceAttribute'
    }

    It 'works where the cmdlets are not global: `using module` on the .psm1 alone, and the module imported inside another module' {
        # A new process, where SsoSecret is not yet imported; out/ is on its module path (inherited), where the script
        # alone finds SsoSecret by name.
        $store = Join-Path $TestDrive 'engine-store'
        $backup = Join-Path $TestDrive 'engine.bak'
        $psm1 = Join-Path (Split-Path $DscModulePath) 'SsoSecretDsc.psm1'
        $script = @"
using module '$psm1'
`$ErrorActionPreference = 'Stop'
`$credential = New-Object System.Management.Automation.PSCredential -ArgumentList 'x', (ConvertTo-SecureString '$Password' -AsPlainText -Force)
`$alone = [SsoMasterSecret]::new()
`$alone.StorePath = '$store'
`$aloneTest = `$alone.Test()
`$aloneGlobal = [bool](Get-Module -Name SsoSecret)
`$engine = New-Module -Name FakeEngine -ScriptBlock {
    function New-Resource([string] `$Name) { `$module = Import-Module '$DscModulePath' -PassThru; & `$module ([scriptblock]::Create("[`$Name]::new()")) }
}
`$secret = & `$engine { New-Resource SsoMasterSecret }
`$secret.StorePath = '$store'; `$secret.BackupPath = '$backup'; `$secret.Credential = `$credential; `$secret.KdfProfile = 'Interactive'
`$secret.Set()
`$copy = & `$engine { New-Resource SsoMasterSecretBackup }
`$copy.Path = '$backup'; `$copy.StorePath = '$store'; `$copy.Credential = `$credential
"`$aloneTest `$(`$secret.Test()) `$(`$copy.Test()) `$aloneGlobal"
"@
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $output = if (Test-Path $pwsh) {
            & dotnet $pwsh -NoProfile -NonInteractive -Command $script 2>&1
        }
        else {
            & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1
        }
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        # False: the empty store, seen through the .psm1 alone; True True: after Set(); False: the .psm1 alone imported
        # SsoSecret into its own scope, not globally.
        $output | Select-Object -Last 1 | Should -Be 'False True True False'
    }
}

Describe 'SsoMasterSecret' {
    BeforeEach {
        $script:Store = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $script:Resource = New-DscResource -Name SsoMasterSecret -Property @{
            StorePath    = $Store
            BackupPath   = "$Store-generated.bak"
            Credential   = $Credential
            PasswordHint = 'the usual, with the year'
            KdfProfile   = 'Interactive'
        }
    }

    It 'is not in the desired state on an empty store, and Get() says so without the password and without an error record' {
        $before = $global:Error.Count
        $Resource.Test() | Should -BeFalse
        $state = $Resource.Get()
        Assert-NoNewError -Before $before -Because 'Test() and Get() on an empty store'
        $state.Ensure | Should -Be 'Absent'
        $state.Reason | Should -Be 'NoMasterSecret'
        $state.SecretId | Should -BeNullOrEmpty
        $state.StorePath | Should -Be $Store
        Assert-NoPassword $state
    }

    It 'Set() with a password too short for a backup throws SsoSecret.WeakPassword, the module''s typed exception, and generates nothing' {
        $Resource.Credential = New-Object System.Management.Automation.PSCredential -ArgumentList 'ignored', (ConvertTo-SecureString 'short' -AsPlainText -Force)

        $thrown = { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.WeakPassword,*' -PassThru
        $thrown.Exception | Should -BeOfType ([SsoSecret.SsoSecretException])
        $thrown.Exception.ErrorId | Should -Be 'SsoSecret.WeakPassword'
        "$Store-generated.bak" | Should -Not -Exist
        $Resource.Test() | Should -BeFalse
    }

    It 'Set() generates a secret together with its verified backup; then Test() is true' {
        $Resource.Set()

        $Resource.Test() | Should -BeTrue
        $info = Get-SsoMasterSecret -StorePath $Store
        $state = $Resource.Get()
        $state.Ensure | Should -Be 'Present'
        $state.Reason | Should -Be 'Compliant'
        $state.SecretId | Should -Be $info.SecretId.ToString()
        $state.Fingerprint | Should -Be $info.Fingerprint
        $state.LastBackupPath | Should -Be "$Store-generated.bak"
        $state.LastBackupTime | Should -Not -BeNullOrEmpty
        $state.HasPreviousSecret | Should -BeFalse
        Assert-NoPassword $state

        $check = Test-SsoSecretBackup -LiteralPath "$Store-generated.bak" -Credential $Credential -StorePath $Store -Detailed
        $check.Status | Should -Be 'Valid'
        $check.MatchesCurrentSecret | Should -BeTrue
        $check.PasswordHint | Should -Be 'the usual, with the year'
    }

    It 'Set() never replaces a secret the store already holds' {
        $Resource.Set()
        $before = (Get-SsoMasterSecret -StorePath $Store).SecretId

        $Resource.BackupPath = "$Store-second.bak"
        $Resource.Set()

        (Get-SsoMasterSecret -StorePath $Store).SecretId | Should -Be $before
        "$Store-second.bak" | Should -Not -Exist
    }

    It 'Set() refuses to overwrite an existing file at BackupPath (it may be the only backup of a lost secret) and generates nothing' {
        Set-Content -LiteralPath "$Store-generated.bak" -Value 'keep me' -NoNewline
        $hash = Get-FileHashHex "$Store-generated.bak"

        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.BackupExists*'

        Get-FileHashHex "$Store-generated.bak" | Should -Be $hash
        $Resource.Test() | Should -BeFalse
    }

    It 'refuses Ensure = Absent in Test() and Set(), and keeps the secret' {
        $Resource.Set()
        $Resource.Ensure = 'Absent'

        { $Resource.Test() } | Should -Throw -ErrorId 'SsoSecret.DscAbsentNotSupported'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.DscAbsentNotSupported'
        Get-SsoMasterSecret -StorePath $Store | Should -Not -BeNullOrEmpty
    }

    It 'refuses a relative StorePath (a DSC run''s current location is not chosen by anyone)' {
        $Resource.StorePath = 'relative-store'
        { $Resource.Test() } | Should -Throw -ErrorId 'SsoSecret.DscRelativePath'
    }
}

Describe 'SsoMasterSecretBackup' {
    BeforeAll {
        $script:Store = New-TestStore -Name 'backup-store'
    }

    It 'is not in the desired state while the file is missing; Get() reports Missing and Ensure Absent' {
        $resource = New-BackupResource -Store $Store -File 'missing.bak'
        $before = $global:Error.Count
        $resource.Test() | Should -BeFalse
        $state = $resource.Get()
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a missing backup'
        $state.Reason | Should -Be 'Missing'
        $state.Ensure | Should -Be 'Absent'
        Assert-NoPassword $state
    }

    It 'Set() writes a verified backup of the current secret; then Test() is true and Get() reports it' {
        $resource = New-BackupResource -Store $Store -File 'fresh.bak' -Property @{ PasswordHint = 'blue notebook' }
        $resource.Set()

        $resource.Test() | Should -BeTrue
        $state = $resource.Get()
        $state.Reason | Should -Be 'Compliant'
        $state.Ensure | Should -Be 'Present'
        $state.SecretId | Should -Be (Get-SsoMasterSecret -StorePath $Store).SecretId.ToString()
        $state.MatchesCurrentSecret | Should -BeTrue
        $state.PasswordHint | Should -Be 'blue notebook'
        $state.Created | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-5))
        Assert-NoPassword $state
    }

    It 'Set() twice in a row changes nothing the second time (same bytes, same time stamp)' {
        $resource = New-BackupResource -Store $Store -File 'twice.bak'
        $resource.Set()
        $path = $resource.Path
        $hash = Get-FileHashHex $path
        $written = (Get-Item -LiteralPath $path).LastWriteTimeUtc

        $resource.Set()

        Get-FileHashHex $path | Should -Be $hash
        (Get-Item -LiteralPath $path).LastWriteTimeUtc | Should -Be $written
    }

    It 'is not in the desired state once the file is damaged, and Set() replaces it with a good backup' {
        $resource = New-BackupResource -Store $Store -File 'damaged.bak'
        $resource.Set()
        $bytes = [System.IO.File]::ReadAllBytes($resource.Path)
        $bytes[$bytes.Length - 40] = $bytes[$bytes.Length - 40] -bxor 0x01
        [System.IO.File]::WriteAllBytes($resource.Path, $bytes)

        $before = $global:Error.Count
        $resource.Test() | Should -BeFalse
        $resource.Get().Reason | Should -Be 'Damaged'
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a damaged backup'

        $resource.Set()
        $resource.Test() | Should -BeTrue
    }

    It 'is not in the desired state with the wrong credential, and Get() shows neither password' {
        $resource = New-BackupResource -Store $Store -File 'password.bak'
        $resource.Set()

        $resource.Credential = $OtherCredential
        $before = $global:Error.Count
        $resource.Test() | Should -BeFalse
        $state = $resource.Get()
        Assert-NoNewError -Before $before -Because 'Test() and Get() with another password'
        $state.Reason | Should -Be 'WrongPassword'
        $state.Ensure | Should -Be 'Present'
        Assert-NoPassword $state
    }

    It 'Set() with a new credential rewrites the backup under it (the configured password is the desired state)' {
        $resource = New-BackupResource -Store $Store -File 'repassword.bak'
        $resource.Set()
        $resource.Credential = $OtherCredential

        $resource.Set()

        $resource.Test() | Should -BeTrue
        Test-SsoSecretBackup -LiteralPath $resource.Path -Credential $OtherCredential | Should -BeTrue
        Test-SsoSecretBackup -LiteralPath $resource.Path -Credential $Credential | Should -BeFalse
    }

    It 'is not in the desired state once the store''s secret is replaced (AnotherSecret); Set() keeps the previous secret''s backup, and backs up the new one once it is retired' {
        $store = New-TestStore -Name 'replaced-store'
        $resource = New-BackupResource -Store $store -File 'replaced.bak'
        $resource.Set()
        $old = $resource.Get().SecretId

        New-SsoMasterSecret -StorePath $store -BackupPath (Join-Path $TestDrive 'replaced-new-initial.bak') -Credential $Credential -KdfProfile Interactive -Force | Out-Null

        $resource.Test() | Should -BeFalse
        $state = $resource.Get()
        $state.Reason | Should -Be 'AnotherSecret'
        $state.SecretId | Should -Be $old
        $state.MatchesCurrentSecret | Should -BeFalse

        # The file is the only backup of the store's previous secret: never overwritten while the store holds it.
        $digest = Get-FileHashHex $resource.Path
        $caught = $null
        try { $resource.Set() } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupStillNeeded*'
        $caught.Exception.Message | Should -BeLike "*is a backup of master secret $old*which the store's key ring still holds as its earlier secret*"
        Get-FileHashHex $resource.Path | Should -Be $digest

        Remove-SsoPreviousSecret -SecretId $old -StorePath $store -Force
        $resource.Set()
        $resource.Test() | Should -BeTrue
        $resource.Get().SecretId | Should -Be (Get-SsoMasterSecret -StorePath $store).SecretId.ToString()
    }

    It 'is not in the desired state when the configured hint differs from the backup''s, and Set() rewrites it' {
        $resource = New-BackupResource -Store $Store -File 'hint.bak' -Property @{ PasswordHint = 'old hint' }
        $resource.Set()
        $resource.PasswordHint = 'new hint'

        $resource.Get().Reason | Should -Be 'HintChanged'
        $resource.Set()
        $resource.Test() | Should -BeTrue
        (Get-SsoSecretBackupInfo -LiteralPath $resource.Path).PasswordHint | Should -Be 'new hint'
    }

    It 'refuses Ensure = Absent and leaves the file as it is' {
        $resource = New-BackupResource -Store $Store -File 'absent.bak'
        $resource.Set()
        $hash = Get-FileHashHex $resource.Path
        $resource.Ensure = 'Absent'

        { $resource.Test() } | Should -Throw -ErrorId 'SsoSecret.DscAbsentNotSupported'
        { $resource.Set() } | Should -Throw -ErrorId 'SsoSecret.DscAbsentNotSupported'
        Get-FileHashHex $resource.Path | Should -Be $hash
    }

    It 'refuses to overwrite a file that is not a backup' {
        $resource = New-BackupResource -Store $Store -File 'notes.txt'
        Set-Content -LiteralPath $resource.Path -Value 'Somebody''s notes, not a backup.'
        $hash = Get-FileHashHex $resource.Path

        $before = $global:Error.Count
        $resource.Test() | Should -BeFalse
        $resource.Get().Reason | Should -Be 'NotABackup'
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a file that is not a backup'
        { $resource.Set() } | Should -Throw -ErrorId 'SsoSecret.DscBackupNotReplaced'
        Get-FileHashHex $resource.Path | Should -Be $hash
    }

    It 'replaces an empty file, which is what a failed write leaves' {
        $resource = New-BackupResource -Store $Store -File 'empty.bak'
        New-Item -ItemType File -Path $resource.Path | Out-Null

        $resource.Get().Reason | Should -Be 'Empty'
        $resource.Set()
        $resource.Test() | Should -BeTrue
    }

    It 'reports NoMasterSecret for a store without a secret, and Set() fails with SsoSecret.NoMasterSecret' {
        $resource = New-BackupResource -Store $Store -File 'orphan.bak'
        $resource.Set()
        $resource.StorePath = Join-Path $TestDrive 'empty-store'

        $before = $global:Error.Count
        $resource.Test() | Should -BeFalse
        $resource.Get().Reason | Should -Be 'NoMasterSecret'
        Assert-NoNewError -Before $before -Because 'Test() and Get() against a store without a secret'
        $resource.Path = Join-Path $TestDrive 'orphan-new.bak'
        { $resource.Set() } | Should -Throw -ErrorId 'SsoSecret.NoMasterSecret*'
        $resource.Path | Should -Not -Exist
    }

    Context 'age, measured from the Created time inside the backup' {
        BeforeAll {
            $script:AgeResource = New-BackupResource -Store $Store -File 'age.bak'
            $AgeResource.Set()
            $script:Created = (Get-SsoSecretBackupInfo -LiteralPath $AgeResource.Path).Created
        }

        It 'is too old at once with MaximumAge = 0, and Set() then writes a new backup' {
            $resource = New-BackupResource -Store $Store -File 'age-zero.bak'
            $resource.Set()
            $hash = Get-FileHashHex $resource.Path
            $resource.MaximumAge = 0

            $resource.Test() | Should -BeFalse
            $state = $resource.Get()
            $state.Reason | Should -Be 'TooOld'
            $state.Message | Should -BeLike '*MaximumAge is 0 days*'

            $resource.Set()
            Get-FileHashHex $resource.Path | Should -Not -Be $hash
        }

        It 'ignores the file''s time stamp, which a copy or a touch can change' {
            (Get-Item -LiteralPath $AgeResource.Path).LastWriteTimeUtc = [datetime]::UtcNow.AddYears(-2)
            $AgeResource.Test() | Should -BeTrue
        }

        It 'is compliant at 29 days and too old at 31 days with the default MaximumAge of 30 days' {
            $AgeResource.MaximumAge | Should -Be 30

            Mock -ModuleName SsoSecretDsc Get-SsoDscUtcNow { $Created.AddDays(29) }
            $AgeResource.Test() | Should -BeTrue

            Mock -ModuleName SsoSecretDsc Get-SsoDscUtcNow { $Created.AddDays(31) }
            $AgeResource.Test() | Should -BeFalse
            $AgeResource.Get().Reason | Should -Be 'TooOld'
        }
    }
}

Describe 'SsoReplica' {
    BeforeAll {
        function New-Master([string] $Name) {
            $store = New-TestStore $Name
            Initialize-SsoEnvironment -StorePath $store
        }

        function Publish([string] $Line, [string] $Folder = $Rings, $From = $Master) {
            Export-SsoSealedRing -StorePath $From.StorePath -ReplicaPublicKey $Line -Path $Folder -PassThru
        }

        function Get-StoreHash([string] $Store) {
            (Get-FileHash -LiteralPath (Join-Path $Store 'master-secret.dat') -Algorithm SHA256).Hash
        }

        function Set-Tampered([string] $Path) {
            # A byte of the signed part changed (the body's tag) and the checksum computed again: only the signature finds it.
            $bytes = [System.IO.File]::ReadAllBytes($Path)
            $at = $bytes.Length - 32 - 64 - 1
            $bytes[$at] = $bytes[$at] -bxor 1
            $sum = [System.Security.Cryptography.SHA256]::HashData([byte[]]$bytes[0..($bytes.Length - 33)])
            [System.Array]::Copy($sum, 0, $bytes, $bytes.Length - 32, 32)
            [System.IO.File]::WriteAllBytes($Path, $bytes)
        }

        function Update-Master {
            # A new current secret on the master (the ring's generation goes up), and its backup.
            New-SsoMasterSecret -StorePath $Master.StorePath -BackupPath (Join-Path $TestDrive "$([guid]::NewGuid().ToString('n')).bak") -Credential $Credential -KdfProfile Interactive -Force -Confirm:$false | Out-Null
        }

        $script:Master = New-Master 'replica-master'
        $script:Rings = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'published-rings')).FullName
    }

    BeforeEach {
        $script:Store = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $script:Resource = New-DscResource -Name SsoReplica -Property @{
            StorePath       = $Store
            EnvironmentId   = $Master.EnvironmentId.ToString()
            MasterPublicKey = $Master.MasterPublicKey
            SealedRingPath  = $Rings
        }
    }

    It 'is not in the desired state on a new store (NotJoined), and Get() and Test() leave no error record and change nothing' {
        $before = $global:Error.Count
        $Resource.Test() | Should -BeFalse
        $state = $Resource.Get()
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a store that has not joined'
        $state.Reason | Should -Be 'NotJoined'
        $state.Role | Should -Be 'None'
        $state.HostPublicKey | Should -BeNullOrEmpty
        $state.StorePath | Should -Be $Store
        $state.MasterPublicKey | Should -Be $Master.MasterPublicKey
        (Get-SsoEnvironment -StorePath $Store).Role | Should -Be 'None'
    }

    It 'Set() joins, pinning the configured master without a question; with nothing published it warns and Test() stays false (NoRingPublished), Get() giving the host key for the master' {
        $before = $global:Error.Count
        $warnings = @(& { $Resource.Set() } 3>&1)
        "$warnings" | Should -BeLike "*No ring is published for this replica*$((Get-SsoEnvironment -StorePath $Store).HostPublicKey)*"
        $state = $Resource.Get()
        $Resource.Test() | Should -BeFalse
        Assert-NoNewError -Before $before -Because 'a replica waiting for its first ring'
        $state.Reason | Should -Be 'NoRingPublished'
        $state.Role | Should -Be 'Replica'
        $state.Generation | Should -Be 0
        $environment = Get-SsoEnvironment -StorePath $Store
        $environment.MasterFingerprint | Should -Be $Master.MasterFingerprint
        $state.HostPublicKey | Should -Be $environment.HostPublicKey
        $state.ReplicaFingerprint | Should -Be $environment.HostFingerprint
        $state.Message | Should -BeLike "*$($environment.HostFingerprint).ssring*"
    }

    It 'once the master publishes: Behind, Set() installs it, then Compliant; a value protected on the master opens on the replica; a second Set() installs nothing' {
        $null = & { $Resource.Set() } 3>&1
        $file = Publish $Resource.Get().HostPublicKey
        $Resource.Test() | Should -BeFalse
        $behind = $Resource.Get()
        $behind.Reason | Should -Be 'Behind'
        $behind.PublishedGeneration | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).Generation
        $file.Name | Should -Be "$($behind.ReplicaFingerprint).ssring"

        $Resource.Set()
        $Resource.Test() | Should -BeTrue
        $state = $Resource.Get()
        $state.Reason | Should -Be 'Compliant'
        $state.Generation | Should -Be $behind.PublishedGeneration
        $state.Synced | Should -Not -BeNullOrEmpty
        (Get-SsoEnvironment -StorePath $Store).RingDigest | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).RingDigest
        $protected = Protect-SsoData -InputObject 'dsc-pulled-4e2a' -Purpose 'tests/dsc' -StorePath $Master.StorePath
        Unprotect-SsoData -InputObject $protected -Purpose 'tests/dsc' -StorePath $Store -AsPlainText | Should -Be 'dsc-pulled-4e2a'

        $Resource.Set()
        $Resource.Get().Generation | Should -Be $state.Generation
    }

    It 'after a new secret on the master and a re-publish: Behind, Set(), Compliant, and a value protected under the new secret opens' {
        $null = & { $Resource.Set() } 3>&1
        $line = $Resource.Get().HostPublicKey
        $null = Publish $line
        $Resource.Set()
        $held = $Resource.Get().Generation

        Update-Master
        $Resource.Test() | Should -BeTrue -Because 'the published ring is still the one the replica holds'
        $null = Publish $line
        $Resource.Test() | Should -BeFalse
        $Resource.Get().Reason | Should -Be 'Behind'
        $Resource.Set()
        $Resource.Test() | Should -BeTrue
        $Resource.Get().Generation | Should -BeGreaterThan $held
        $protected = Protect-SsoData -InputObject 'after-rotation-91c3' -Purpose 'tests/dsc' -StorePath $Master.StorePath
        Unprotect-SsoData -InputObject $protected -Purpose 'tests/dsc' -StorePath $Store -AsPlainText | Should -Be 'after-rotation-91c3'
    }

    It 'a replayed older file: Test() false (StaleRing), Set() fails with SsoSecret.StaleRing and leaves the store as it was' {
        $null = & { $Resource.Set() } 3>&1
        $line = $Resource.Get().HostPublicKey
        $file = Publish $line
        $Resource.Set()
        $old = Join-Path $TestDrive "old-$($file.Name)"
        Copy-Item -LiteralPath $file.FullName -Destination $old
        Update-Master
        $null = Publish $line
        $Resource.Set()
        $hash = Get-StoreHash $Store

        Copy-Item -LiteralPath $old -Destination $file.FullName -Force
        $before = $global:Error.Count
        $Resource.Test() | Should -BeFalse
        $state = $Resource.Get()
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a replayed file'
        $state.Reason | Should -Be 'StaleRing'
        $state.PublishedGeneration | Should -BeLessThan $state.Generation
        $thrown = { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.StaleRing,*' -PassThru
        $thrown.Exception | Should -BeOfType ([SsoSecret.SsoSecretException])
        Get-StoreHash $Store | Should -Be $hash
    }

    It 'a tampered file: Test() false (TamperedSealedRing), Set() fails with SsoSecret.TamperedSealedRing and installs nothing; a damaged one DamagedSealedRing' {
        $null = & { $Resource.Set() } 3>&1
        $file = Publish $Resource.Get().HostPublicKey
        Set-Tampered $file.FullName
        $hash = Get-StoreHash $Store
        $Resource.Test() | Should -BeFalse
        $Resource.Get().Reason | Should -Be 'TamperedSealedRing'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.TamperedSealedRing,*'
        Get-StoreHash $Store | Should -Be $hash
        $Resource.Get().Generation | Should -Be 0

        [System.IO.File]::WriteAllBytes($file.FullName, [byte[]](1..100))
        $Resource.Get().Reason | Should -Be 'DamagedSealedRing'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.DamagedSealedRing,*'
        Get-StoreHash $Store | Should -Be $hash
    }

    It 'another replica''s ring under this replica''s name: Test() false (WrongReplica), Set() fails with SsoSecret.WrongReplica' {
        $null = & { $Resource.Set() } 3>&1
        $mine = $Resource.Get()
        $other = Join-SsoEnvironment -StorePath "$Store-other" -EnvironmentId $Master.EnvironmentId -MasterPublicKey $Master.MasterPublicKey -Force
        $theirs = Publish $other.HostPublicKey
        Copy-Item -LiteralPath $theirs.FullName -Destination (Join-Path $Rings "$($mine.ReplicaFingerprint).ssring") -Force
        $Resource.Test() | Should -BeFalse
        $Resource.Get().Reason | Should -Be 'WrongReplica'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.WrongReplica,*'
    }

    It 'a store pinned to another master: Test() false (PinnedElsewhere), Set() fails with SsoSecret.EnvironmentRoleConflict and keeps the pin' {
        $elsewhere = New-Master 'replica-elsewhere'
        $null = Join-SsoEnvironment -StorePath $Store -EnvironmentId $elsewhere.EnvironmentId -MasterPublicKey $elsewhere.MasterPublicKey -Force
        $before = $global:Error.Count
        $Resource.Test() | Should -BeFalse
        $Resource.Get().Reason | Should -Be 'PinnedElsewhere'
        Assert-NoNewError -Before $before -Because 'Test() and Get() on a replica of another master'
        $thrown = { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.EnvironmentRoleConflict,*' -PassThru
        $thrown.Exception | Should -BeOfType ([SsoSecret.SsoSecretException])
        (Get-SsoEnvironment -StorePath $Store).MasterFingerprint | Should -Be $elsewhere.MasterFingerprint
    }

    It 'a master (IsMaster) and a store with secrets of its own (HasOwnSecrets) are refused by Set() with SsoSecret.EnvironmentRoleConflict, unchanged' {
        $Resource.StorePath = $Master.StorePath
        $Resource.Get().Reason | Should -Be 'IsMaster'
        $hash = Get-StoreHash $Master.StorePath
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.EnvironmentRoleConflict,*'
        Get-StoreHash $Master.StorePath | Should -Be $hash
        (Get-SsoEnvironment -StorePath $Master.StorePath).Role | Should -Be 'Master'

        $Resource.StorePath = New-TestStore 'replica-own-secrets'
        $Resource.Test() | Should -BeFalse
        $Resource.Get().Reason | Should -Be 'HasOwnSecrets'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.EnvironmentRoleConflict,*'
        (Get-SsoEnvironment -StorePath $Resource.StorePath).Role | Should -Be 'None'
    }

    It 'takes the sealed ring file itself as SealedRingPath' {
        $null = & { $Resource.Set() } 3>&1
        $file = Publish $Resource.Get().HostPublicKey
        $Resource.SealedRingPath = $file.FullName
        $Resource.Get().Reason | Should -Be 'Behind'
        $Resource.Set()
        $Resource.Test() | Should -BeTrue
    }

    It 'refuses bad properties with their ids: a relative path, an EnvironmentId that is not a GUID, a master key line that is not one' {
        $Resource.SealedRingPath = 'rings'
        { $Resource.Test() } | Should -Throw -ErrorId 'SsoSecret.DscRelativePath'
        $Resource.SealedRingPath = $Rings
        $Resource.EnvironmentId = 'not-a-guid'
        { $Resource.Get() } | Should -Throw -ErrorId 'SsoSecret.DscInvalidEnvironmentId'
        $Resource.EnvironmentId = $Master.EnvironmentId.ToString()
        $Resource.MasterPublicKey = 'ssosecret-master1notakey'
        { $Resource.Set() } | Should -Throw -ErrorId 'SsoSecret.InvalidEnvironmentKey,*'
        (Get-SsoEnvironment -StorePath $Store).Role | Should -Be 'None'
    }
}

Describe 'The examples in docs/examples' {
    It 'SsoSecretDsc-Direct.ps1 brings a store and its backup to the desired state, then finds nothing to do' {
        $example = Join-Path $PSScriptRoot '../../docs/examples/SsoSecretDsc-Direct.ps1'
        $store = Join-Path $TestDrive 'example-store'
        $parameters = @{
            ModulePath = $DscModulePath
            StorePath  = $store
            BackupPath = Join-Path $TestDrive 'example-generated.bak'
            BackupCopy = Join-Path $TestDrive 'example-weekly.bak'
            Credential = $Credential
            KdfProfile = 'Interactive'
        }

        $first = & $example @parameters
        $first.InDesiredState | Should -Be @($false, $false)
        $second = & $example @parameters
        $second.InDesiredState | Should -Be @($true, $true)
        $second.State.Reason | Should -Be @('Compliant', 'Compliant')
        Assert-NoPassword $second.State
        ($second | ConvertTo-Json -Depth 5) | Should -Not -BeLike "*$Password*"
    }

    It '<File> sets only configurable properties of the resources, and every required one' -ForEach @(
        @{ File = 'SsoSecretDsc-Configuration.ps1'; Resources = @('SsoMasterSecret', 'SsoMasterSecretBackup') }
        @{ File = 'SsoReplica-Configuration.ps1'; Resources = @('SsoReplica') }
    ) {
        # Only Windows PowerShell's DSC compiles a configuration; here the resource blocks are read as text and held
        # against the classes' [DscProperty()] declarations.
        $example = Join-Path $PSScriptRoot "../../docs/examples/$File"
        $blocks = @{}
        $current = $null
        foreach ($line in Get-Content -LiteralPath $example) {
            if ($line -match '^\s*(SsoMasterSecret|SsoMasterSecretBackup|SsoReplica)\s+\w+\s*\{') {
                $current = $Matches[1]
                $blocks[$current] = @()
            }
            elseif ($current -and $line -match '^\s*\}') {
                $current = $null
            }
            elseif ($current -and $line -match '^\s*(\w+)\s*=') {
                $blocks[$current] += $Matches[1]
            }
        }

        $blocks.Keys | Sort-Object | Should -Be $Resources
        foreach ($name in $blocks.Keys) {
            $properties = (New-DscResource -Name $name).GetType().GetProperties() | ForEach-Object {
                $attribute = $_.GetCustomAttributes($true) | Where-Object { $_ -is [System.Management.Automation.DscPropertyAttribute] }
                if ($attribute) { [pscustomobject]@{ Name = $_.Name; Required = $attribute.Key -or $attribute.Mandatory; Configurable = -not $attribute.NotConfigurable } }
            }
            $configurable = @($properties | Where-Object Configurable | ForEach-Object Name) + 'DependsOn'
            foreach ($set in $blocks[$name]) {
                $configurable | Should -Contain $set -Because "$name has no configurable property $set"
            }
            foreach ($required in @($properties | Where-Object Required | ForEach-Object Name)) {
                $blocks[$name] | Should -Contain $required -Because "$name needs $required"
            }
        }
    }
}
