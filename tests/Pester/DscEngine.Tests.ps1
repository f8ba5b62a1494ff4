# The DSC resources as the DSC engines meet them: SsoSecret and SsoSecretDsc installed side by side in a module folder,
# found by the engines' own discovery and run by their own code. Each engine runs in a new pwsh whose current location
# is not the modules' folder, with only that folder (and the engine's) on its module path.
#
# PowerShell 7's engine, PSDesiredStateConfiguration's Get-DscResource and Invoke-DscResource, is the REAL one:
# PSDesiredStateConfiguration 3.0.0-beta1 with its Microsoft.PowerShell.DscSubsystem class cache, built from its public
# source and kept at ../shared/engines from the project's root (two levels above this folder). It is test
# infrastructure, never part of the project. Its folder goes first on $env:PSModulePath of the pwsh under test, the
# module is imported by name, and the test fails if what was imported is not that folder's module. Where the folder is
# absent (a user's fresh clone), the tests that need it are skipped, saying so. $env:SSOSECRET_ENGINES, when set, names
# the engines' folder instead (a missing folder shows the skip).
#
# DSC v3's PowerShell adapter is still a reproduction (DscEngine.psm1): the `dsc` command is not available here. Its
# tests run everywhere. PSDesiredStateConfiguration's reproduction is gone: the real engine covers all it showed, and
# showed it wrong (DscEngine.psm1's header says where).
#
# docs/guide-dsc.md's powershell blocks run here too, in one pwsh with the real engine (the last Describe): importing
# PSDesiredStateConfiguration registers a DSC subsystem in the process, which removing the module does not undo, so
# the guide cannot run in the Pester process as Guides.Tests.ps1 runs the other guides.

BeforeDiscovery {
    # docs/guide-dsc.md's powershell blocks, in order. <!-- engine: Name --> before a block: it needs that real engine.
    . (Join-Path $PSScriptRoot 'GuideBlocks.ps1')
    $script:GuideBlocks = foreach ($block in (Get-GuideBlocks (Join-Path $PSScriptRoot '../../docs/guide-dsc.md'))) {
        if ($block.Marker -and $block.Marker -ne 'engine') { throw "guide-dsc.md, line $($block.Line): an unknown marker '$($block.Marker)'." }
        $block.Engine = $block.MarkerValue
        $block
    }
    if (-not @($GuideBlocks | Where-Object { $_.Engine -eq 'PSDesiredStateConfiguration' })) {
        throw 'docs/guide-dsc.md has no block marked <!-- engine: PSDesiredStateConfiguration -->.'
    }
}

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    $script:OutFolder = Split-Path (Split-Path $ModulePath)
    $script:Harness = Join-Path $PSScriptRoot 'DscEngine.psm1'
    $script:Version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    $script:Password = 'Dsc-Engine-Passw0rd-7c1e55'
    # Here, only to check what the engines wrote.
    Import-Module $ModulePath -Force

    # The real engines: ../shared/engines from the project's root (two levels above tests/Pester), or
    # $env:SSOSECRET_ENGINES. $NoEngine is the reason to skip, empty when the engine is there.
    $root = Split-Path (Split-Path $PSScriptRoot)
    $script:Engines = [System.IO.Path]::GetFullPath($(if ($env:SSOSECRET_ENGINES) { $env:SSOSECRET_ENGINES } else { Join-Path $root '../shared/engines' }))
    $script:RealDsc = Join-Path $Engines 'PSDesiredStateConfiguration'
    $script:NoEngine = if (Test-Path -LiteralPath (Join-Path $RealDsc 'PSDesiredStateConfiguration.psd1') -PathType Leaf) { '' } else {
        "the real DSC engine (PSDesiredStateConfiguration 3.0.0-beta1) is not in $Engines (../shared/engines from the project's root, or `$env:SSOSECRET_ENGINES): it is test infrastructure kept beside the repository, absent from a fresh clone"
    }

    # Installed as from a gallery: <module folder>/<name>/<version>/, the two modules side by side.
    $script:Modules = Join-Path $TestDrive 'Modules'
    foreach ($name in 'SsoSecret', 'SsoSecretDsc') {
        $null = New-Item -ItemType Directory -Path (Join-Path $Modules $name)
        Copy-Item -LiteralPath (Join-Path $OutFolder $name) -Destination (Join-Path $Modules "$name/$Version") -Recurse
    }
    $script:InstalledDsc = Join-Path $Modules "SsoSecretDsc/$Version/SsoSecretDsc.psd1"
    $script:Elsewhere = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'elsewhere')).FullName
    $script:Work = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'work')).FullName

    function Invoke-Engine {
        # A new pwsh, as an engine runs: $ModuleFolder alone on its module path (pwsh adds its own folders), its current
        # location another folder than the modules', then $Body, whose last line is JSON. -Engine Real: the real
        # engines' folder first on the module path and PSDesiredStateConfiguration imported by name, and checked to be
        # that folder's (never call it where $NoEngine is set). -Engine DscV3Adapter: the reproduction imported. -Engine
        # None: neither.
        param([Parameter(Mandatory)] [string] $Body, [string] $ModuleFolder = $Modules, [Parameter(Mandatory)] [ValidateSet('Real', 'DscV3Adapter', 'None')] [string] $Engine)
        $prologue = "`$ErrorActionPreference = 'Stop'`n`$PSStyle.OutputRendering = 'PlainText'`nSet-Location -LiteralPath '$Elsewhere'`n[System.Environment]::CurrentDirectory = '$Elsewhere'`n"
        $prologue += if ($Engine -eq 'Real') {
            @"
Import-Module PSDesiredStateConfiguration
`$engine = Get-Module PSDesiredStateConfiguration
if (`$engine.ModuleBase -ne '$RealDsc' -or "`$(`$engine.Version)" -ne '3.0.0') { throw "Imported PSDesiredStateConfiguration `$(`$engine.Version) from `$(`$engine.ModuleBase), not the real engine at $RealDsc." }

"@
        }
        elseif ($Engine -eq 'DscV3Adapter') {
            "Import-Module '$Harness'`n"
        }
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = if ($Engine -eq 'Real') { $Engines + [System.IO.Path]::PathSeparator + $ModuleFolder } else { $ModuleFolder }
            $pwshDll = Join-Path $PSHOME 'pwsh.dll'
            $output = if (Test-Path $pwshDll) {
                & dotnet $pwshDll -NoProfile -NonInteractive -Command ($prologue + $Body) 2>&1
            }
            else {
                & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command ($prologue + $Body) 2>&1
            }
            $exit = $LASTEXITCODE
        }
        finally {
            $env:PSModulePath = $saved
        }
        $text = $output | Out-String
        $exit | Should -Be 0 -Because $text
        [pscustomobject]@{ Text = $text; Result = ($output | Select-Object -Last 1 | ConvertFrom-Json) }
    }

    function Get-ListedProperty($Resource, [string] $Name) {
        $Resource.Properties | Where-Object Name -EQ $Name
    }

    function Get-CimProperty($Class, [string] $Name) {
        $Class.ClassProperties | Where-Object Name -EQ $Name
    }
}

Describe 'Get-DscResource (the real PSDesiredStateConfiguration) and its class cache' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:Found = (Invoke-Engine -Engine Real -Body @'
$r = [ordered]@{}
$r.All = @(Get-DscResource | ForEach-Object {
        [ordered]@{
            Name = $_.Name; ModuleName = $_.ModuleName; Version = "$($_.Version)"; ImplementationDetail = $_.ImplementationDetail
            ImplementedAs = "$($_.ImplementedAs)"; Path = $_.Path
            Properties = @($_.Properties | ForEach-Object { [ordered]@{ Name = $_.Name; PropertyType = $_.PropertyType; IsMandatory = $_.IsMandatory; Values = @($_.Values) } })
        }
    })
$r.Named = @(Get-DscResource -Module SsoSecretDsc | ForEach-Object Name)
$r.Main = @(Get-DscResource -Module SsoSecret | ForEach-Object Name)
$r.MainListed = @(Get-Module -ListAvailable -Name SsoSecret).Count
# The class cache that Get-DscResource fills first and clears at its end (its Begin block's calls, then the cache's
# entries): the CIM classes, with every qualifier.
$cache = [Microsoft.PowerShell.DesiredStateConfiguration.Internal.CrossPlatform.DscClassCache]
$errors = [System.Collections.ObjectModel.Collection[System.Exception]]::new()
$cache::LoadDefaultCimKeywords($errors, $true)
$r.Imported = @($cache::ImportClassResourcesFromModule((Get-Module -ListAvailable -Name SsoSecretDsc), [string[]]@('*'), $null, $errors))
$r.CacheErrors = @($errors | ForEach-Object Message)
$field = $cache.GetField('t_classCache', [System.Reflection.BindingFlags]'NonPublic, Static')
if ($null -eq $field) { throw 'The engine''s class cache has no t_classCache field any more: read its CIM classes another way.' }
$entries = $field.GetValue($null)
$r.Classes = @($entries.Keys | Where-Object { $_ -like 'SsoSecretDsc\*' } | ForEach-Object { $entries[$_].CimClassInstance })
$cache::ClearCache()
$r | ConvertTo-Json -Depth 8 -Compress
'@).Result
    }

    It 'lists the three resources of SsoSecretDsc installed beside SsoSecret, from another current location' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Found.All.Name | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
        foreach ($resource in $Found.All) {
            $resource.ModuleName | Should -Be 'SsoSecretDsc'
            $resource.Version | Should -Be $Version
            $resource.ImplementationDetail | Should -Be 'ClassBased'
            $resource.ImplementedAs | Should -Be 'PowerShell'
            $resource.Path | Should -Be $InstalledDsc
        }
    }

    It 'finds them by module name too (Get-DscResource -Module SsoSecretDsc, as Invoke-DscResource -ModuleName SsoSecretDsc does)' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Found.Named | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
    }

    It 'lists the settable properties: the keys and required ones mandatory, the allowed values, no read-only one, the credential as [string]' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $secret = $Found.All | Where-Object Name -EQ 'SsoMasterSecret'
        @($secret.Properties | Where-Object IsMandatory | ForEach-Object Name | Sort-Object) | Should -Be @('BackupPath', 'Credential', 'StorePath')
        (Get-ListedProperty $secret 'KdfProfile').Values | Should -Be @('Interactive', 'Moderate', 'Sensitive')
        foreach ($readOnly in 'SecretId', 'Fingerprint', 'Created', 'LastBackupTime', 'LastBackupPath', 'HasPreviousSecret', 'Reason') {
            Get-ListedProperty $secret $readOnly | Should -BeNullOrEmpty -Because "$readOnly is NotConfigurable"
        }
        # The engine's listing drops the MSFT_Credential of a class's [pscredential] property (its cache keeps it, below);
        # docs/guide-dsc.md says so. Its own PsDscRunAsCredential, from a MOF, keeps [PSCredential].
        (Get-ListedProperty $secret 'Credential').PropertyType | Should -Be '[string]'
        (Get-ListedProperty $secret 'PsDscRunAsCredential').PropertyType | Should -Be '[PSCredential]'
        # An enum's names do not reach the engine's schema: Ensure lists no allowed values (the guide says so too).
        (Get-ListedProperty $secret 'Ensure').PropertyType | Should -Be '[string]'
        @((Get-ListedProperty $secret 'Ensure').Values).Count | Should -Be 0

        $backup = $Found.All | Where-Object Name -EQ 'SsoMasterSecretBackup'
        @($backup.Properties | Where-Object IsMandatory | ForEach-Object Name | Sort-Object) | Should -Be @('Credential', 'Path')
        (Get-ListedProperty $backup 'KdfProfile').Values | Should -Be @('Interactive', 'Moderate', 'Sensitive')
        (Get-ListedProperty $backup 'MaximumAge').PropertyType | Should -Be '[Int32]'
        foreach ($readOnly in 'Reason', 'Message', 'SecretId', 'Fingerprint', 'Created', 'MatchesCurrentSecret') {
            Get-ListedProperty $backup $readOnly | Should -BeNullOrEmpty -Because "$readOnly is NotConfigurable"
        }

        $replica = $Found.All | Where-Object Name -EQ 'SsoReplica'
        @($replica.Properties | Where-Object IsMandatory | ForEach-Object Name | Sort-Object) | Should -Be @('EnvironmentId', 'MasterPublicKey', 'SealedRingPath', 'StorePath')
        foreach ($readOnly in 'Role', 'HostPublicKey', 'ReplicaFingerprint', 'Generation', 'PublishedGeneration', 'Synced', 'RingConfirmation', 'Reason', 'Message') {
            Get-ListedProperty $replica $readOnly | Should -BeNullOrEmpty -Because "$readOnly is NotConfigurable"
        }
    }

    It 'builds their schema in its class cache: the keys, the required properties, the credential as MSFT_Credential, the allowed values, the read-only state' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Found.CacheErrors | Should -BeNullOrEmpty
        $Found.Imported | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')

        $secret = $Found.Classes | Where-Object ClassName -EQ 'SsoMasterSecret'
        $secret.SuperClassName | Should -Be 'OMI_BaseResource'
        (Get-CimProperty $secret 'StorePath').Qualifiers.Key | Should -BeTrue
        (Get-CimProperty $secret 'BackupPath').Qualifiers.Required | Should -BeTrue
        (Get-CimProperty $secret 'Credential').Qualifiers.Required | Should -BeTrue
        (Get-CimProperty $secret 'Credential').ReferenceClassName | Should -Be 'MSFT_Credential'
        (Get-CimProperty $secret 'KdfProfile').Qualifiers.ValueMap | Should -Be @('Interactive', 'Moderate', 'Sensitive')
        (Get-CimProperty $secret 'SecretId').Qualifiers.Read | Should -BeTrue
        (Get-CimProperty $secret 'HasPreviousSecret').CimType | Should -Be 'boolean'
        (Get-CimProperty $secret 'Ensure').Qualifiers.PSObject.Properties.Name | Should -BeNullOrEmpty

        $backup = $Found.Classes | Where-Object ClassName -EQ 'SsoMasterSecretBackup'
        (Get-CimProperty $backup 'Path').Qualifiers.Key | Should -BeTrue
        (Get-CimProperty $backup 'StorePath').Qualifiers.PSObject.Properties.Name | Should -BeNullOrEmpty
        (Get-CimProperty $backup 'Credential').CimType | Should -Be 'string'
        (Get-CimProperty $backup 'Credential').ReferenceClassName | Should -Be 'MSFT_Credential'
        (Get-CimProperty $backup 'KdfProfile').Qualifiers.Values | Should -Be @('Interactive', 'Moderate', 'Sensitive')
        (Get-CimProperty $backup 'MaximumAge').CimType | Should -Be 'sint32'
        (Get-CimProperty $backup 'Created').CimType | Should -Be 'datetime'
        (Get-CimProperty $backup 'Created').Qualifiers.Read | Should -BeTrue
        (Get-CimProperty $backup 'Reason').Qualifiers.Read | Should -BeTrue

        $replica = $Found.Classes | Where-Object ClassName -EQ 'SsoReplica'
        $replica.SuperClassName | Should -Be 'OMI_BaseResource'
        (Get-CimProperty $replica 'StorePath').Qualifiers.Key | Should -BeTrue
        foreach ($required in 'EnvironmentId', 'MasterPublicKey', 'SealedRingPath') {
            (Get-CimProperty $replica $required).Qualifiers.Required | Should -BeTrue -Because "$required is Mandatory"
        }
        (Get-CimProperty $replica 'Generation').CimType | Should -Be 'sint64'
        (Get-CimProperty $replica 'Synced').CimType | Should -Be 'datetime'
        foreach ($readOnly in 'Role', 'HostPublicKey', 'ReplicaFingerprint', 'Generation', 'PublishedGeneration', 'Synced', 'RingConfirmation', 'Reason', 'Message') {
            (Get-CimProperty $replica $readOnly).Qualifiers.Read | Should -BeTrue -Because "$readOnly is NotConfigurable"
        }
    }

    It 'finds none in SsoSecret, which no longer declares any' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Found.MainListed | Should -Be 1 -Because 'SsoSecret is installed there, and listed'
        @($Found.Main).Count | Should -Be 0
    }
}

Describe 'The layout before SsoSecretDsc (the resources a nested module of SsoSecret)' {
    BeforeAll {
        # SsoSecret as it was shipped: the class script beside the loader, named in NestedModules, and the resources in
        # DscResourcesToExport of a manifest that names its exports explicitly.
        $script:Old = Join-Path $TestDrive 'OldModules'
        $folder = Join-Path $Old "SsoSecret/$Version"
        $null = New-Item -ItemType Directory -Path (Join-Path $Old 'SsoSecret')
        Copy-Item -LiteralPath (Join-Path $Modules "SsoSecret/$Version") -Destination $folder -Recurse
        Copy-Item -LiteralPath (Join-Path (Split-Path $InstalledDsc) 'SsoSecretDsc.psm1') -Destination $folder
        $manifest = Get-Content -LiteralPath (Join-Path $folder 'SsoSecret.psd1') -Raw
        # (Today's manifest names the vault's nested module; the old one named the class script alone.)
        $manifest = $manifest -replace "(?m)^\s*NestedModules\s*=.*\r?\n", ''
        $manifest = $manifest -replace "(?m)^(\s*FormatsToProcess\s*=.*)$", "`$1`n    NestedModules = @('SsoSecretDsc.psm1')`n    DscResourcesToExport = @('SsoMasterSecret', 'SsoMasterSecretBackup')"
        Set-Content -LiteralPath (Join-Path $folder 'SsoSecret.psd1') -Value $manifest -NoNewline
    }

    It 'is invisible to the real Get-DscResource, and Invoke-DscResource -ModuleName SsoSecret finds nothing to run' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        (Import-PowerShellDataFile (Join-Path $Old "SsoSecret/$Version/SsoSecret.psd1")).DscResourcesToExport | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup')
        $seen = (Invoke-Engine -Engine Real -ModuleFolder $Old -Body @'
$r = [ordered]@{}
$r.All = @(Get-DscResource | ForEach-Object Name)
$r.Named = @(Get-DscResource -Module SsoSecret | ForEach-Object Name)
# What Get-DscResource checks before it parses anything: the listing's DSC exports.
$r.Exported = @((Get-Module -ListAvailable -Name SsoSecret).ExportedDscResources)
try { $null = Invoke-DscResource -Name SsoMasterSecret -ModuleName SsoSecret -Method Test -Property @{ StorePath = '/nowhere' }; $r.Invoke = 'no failure' }
catch { $r.Invoke = $_.Exception.Message }
$r | ConvertTo-Json -Depth 4 -Compress
'@).Result
        @($seen.All).Count | Should -Be 0
        @($seen.Named).Count | Should -Be 0
        @($seen.Exported).Count | Should -Be 0
        $seen.Invoke | Should -BeLike "*'SsoMasterSecret' is not recognized as the name of a Resource*"
    }

    It 'is invisible to DSC v3''s adapter (reproduced), and its nested module resolves against the current location' {
        $seen = (Invoke-Engine -Engine DscV3Adapter -ModuleFolder $Old -Body @'
[ordered]@{
    DscV3  = @(Find-DscV3Resource | ForEach-Object Type)
    Nested = @((Get-Module -ListAvailable -Name SsoSecret).NestedModules | ForEach-Object Path)
} | ConvertTo-Json -Depth 6 -Compress
'@).Result
        @($seen.DscV3).Count | Should -Be 0
        # The listing resolves the nested module against the current location, not the module's folder.
        $seen.Nested | Should -Be (Join-Path $Elsewhere 'SsoSecretDsc.psm1')
    }
}

Describe 'Invoke-DscResource (the real PSDesiredStateConfiguration): Get, Test and Set as the guide says' {
    BeforeAll {
        if ($NoEngine) { return }
        $script:Store = Join-Path $Work 'psdsc-store'
        $script:Generated = Join-Path $Work 'psdsc-generated.bak'
        $script:Monthly = Join-Path $Work 'psdsc-monthly.bak'
        $script:Notes = Join-Path $Work 'psdsc-notes.txt'
        Set-Content -LiteralPath $Notes -Value 'Somebody''s notes, not a backup.'
        $script:RunOutput = Invoke-Engine -Engine Real -Body @"
`$credential = [pscredential]::new('backup', (ConvertTo-SecureString '$Password' -AsPlainText -Force))
`$secret = @{ StorePath = '$Store'; BackupPath = '$Generated'; Credential = `$credential; KdfProfile = 'Interactive' }
`$backup = @{ Path = '$Monthly'; StorePath = '$Store'; Credential = `$credential; KdfProfile = 'Interactive' }
function Invoke([string] `$Name, [string] `$Method, [hashtable] `$Property) { Invoke-DscResource -Name `$Name -ModuleName SsoSecretDsc -Method `$Method -Property `$Property }
function Show(`$State) {
    # Get()'s result as it gets logged, shown and serialized: every text of it is searched for the password.
    @((`$State | ConvertTo-Json -Depth 3 -EnumsAsStrings), (`$State | Format-List * | Out-String -Width 300), [System.Management.Automation.PSSerializer]::Serialize(`$State, 5))
}
`$r = [ordered]@{}
`$global:Error.Clear()
`$test = Invoke SsoMasterSecret Test `$secret
`$r.TestType = `$test.GetType().Name
`$r.SecretTestBefore = `$test.InDesiredState
`$r.SecretGetBefore = (Invoke SsoMasterSecret Get `$secret).Reason
`$r.BackupTestBefore = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$r.NewErrors = @(`$global:Error | ForEach-Object { "`$_" })
`$set = Invoke SsoMasterSecret Set `$secret
`$r.SetType = `$set.GetType().Name
`$r.SecretReboot = `$set.RebootRequired
`$r.SecretTestAfter = (Invoke SsoMasterSecret Test `$secret).InDesiredState
`$get = Invoke SsoMasterSecret Get `$secret
`$r.GetType = `$get.GetType().Name
`$r.SecretGet = `$get | ConvertTo-Json -Depth 3 -Compress -EnumsAsStrings
`$r.SecretGetTexts = Show `$get
`$r.BackupGetBefore = (Invoke SsoMasterSecretBackup Get `$backup).Reason
`$null = Invoke SsoMasterSecretBackup Set `$backup
`$r.BackupTestAfter = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$bytes = [System.IO.File]::ReadAllBytes('$Monthly'); `$bytes[`$bytes.Length - 40] = `$bytes[`$bytes.Length - 40] -bxor 1; [System.IO.File]::WriteAllBytes('$Monthly', `$bytes)
`$r.BackupTestDamaged = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$r.BackupGetDamaged = (Invoke SsoMasterSecretBackup Get `$backup).Reason
`$null = Invoke SsoMasterSecretBackup Set `$backup
`$r.BackupTestRepaired = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$backupGet = Invoke SsoMasterSecretBackup Get `$backup
`$r.BackupGet = `$backupGet | ConvertTo-Json -Depth 3 -Compress -EnumsAsStrings
`$r.BackupGetTexts = Show `$backupGet
try {
    `$weak = @{ StorePath = '$Store-weak'; BackupPath = '$Generated-weak'; KdfProfile = 'Interactive'; Credential = [pscredential]::new('backup', (ConvertTo-SecureString 'short' -AsPlainText -Force)) }
    `$null = Invoke SsoMasterSecret Set `$weak
    `$r.Weak = 'no failure'
}
catch { `$r.Weak = @{ Id = `$_.FullyQualifiedErrorId; Type = `$_.Exception.GetType().FullName; Exists = (Test-Path '$Generated-weak') } }
try {
    `$null = Invoke SsoMasterSecretBackup Set @{ Path = '$Notes'; StorePath = '$Store'; Credential = `$credential }
    `$r.Refused = 'no failure'
}
catch { `$r.Refused = @{ Id = `$_.FullyQualifiedErrorId } }
try {
    `$null = Invoke SsoMasterSecretBackup Test (`$backup + @{ Ensure = 'Absent' })
    `$r.Absent = 'no failure'
}
catch { `$r.Absent = @{ Id = `$_.FullyQualifiedErrorId } }
try {
    # Not a failure of the module's: the engine's listing gives Ensure no allowed values, and setting the enum fails.
    `$null = Invoke SsoMasterSecretBackup Test (`$backup + @{ Ensure = 'Missing' })
    `$r.NoSuchEnsure = 'no failure'
}
catch { `$r.NoSuchEnsure = @{ Id = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message } }
`$r | ConvertTo-Json -Depth 4 -Compress
"@
        $script:Run = $RunOutput.Result
    }

    It 'SsoMasterSecret: Test false on an empty store, Set generates the secret and its backup, then Test true' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Run.TestType | Should -Be 'InvokeDscResourceTestResult'
        $Run.SecretTestBefore | Should -BeFalse
        $Run.SecretGetBefore | Should -Be 'NoMasterSecret'
        $Run.SetType | Should -Be 'InvokeDscResourceSetResult'
        $Run.SecretReboot | Should -BeFalse
        $Run.SecretTestAfter | Should -BeTrue
        $Generated | Should -Exist
        $Run.GetType | Should -Be 'SsoMasterSecret'
        $state = $Run.SecretGet | ConvertFrom-Json
        $state.Ensure | Should -Be 'Present'
        $state.SecretId | Should -Be (Get-SsoSecretBackupInfo -LiteralPath $Generated).SecretId.ToString()
        (Get-SsoMasterSecret -StorePath $Store).SecretId.ToString() | Should -Be $state.SecretId
    }

    It 'leaves nothing in $Error for an ordinary "not in the desired state" (an empty store, a missing backup)' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Run.BackupTestBefore | Should -BeFalse
        $Run.NewErrors | Should -BeNullOrEmpty
    }

    It 'SsoMasterSecretBackup: Test false while missing, Set writes it, Test true; a damaged backup is found and repaired' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Run.BackupGetBefore | Should -Be 'Missing'
        $Run.BackupTestAfter | Should -BeTrue
        $Run.BackupTestDamaged | Should -BeFalse
        $Run.BackupGetDamaged | Should -Be 'Damaged'
        $Run.BackupTestRepaired | Should -BeTrue
        ($Run.BackupGet | ConvertFrom-Json).Reason | Should -Be 'Compliant'
        Test-SsoSecretBackup -LiteralPath $Monthly -Password (ConvertTo-SecureString $Password -AsPlainText -Force) -StorePath $Store | Should -BeTrue
    }

    It 'Get never returns the credential: not in Get''s JSON, list view or CLIXML, nor anywhere in what the engine''s pwsh wrote' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        # CLIXML writes a "_x" of a string as "_x005F_x" (XmlConvert's escape), so a store path with "_x" in it (a
        # TestDrive's random name may have one) is looked for in that form too.
        $escaped = $Store.Replace('_x', '_x005F_x')
        foreach ($text in @($Run.SecretGetTexts) + @($Run.BackupGetTexts)) {
            # The text is Get()'s: it names the store (so an empty text cannot pass), never the password.
            ($text.Contains($Store) -or $text.Contains($escaped)) | Should -BeTrue -Because "Get()'s text names the store: $text"
            $text | Should -Not -BeLike "*$Password*"
        }
        foreach ($json in $Run.SecretGet, $Run.BackupGet) {
            ($json | ConvertFrom-Json).Credential | Should -BeNullOrEmpty
        }
        $RunOutput.Text | Should -BeLike "*$Store*"
        $RunOutput.Text | Should -Not -BeLike "*$Password*"
    }

    It 'real failures throw with the module''s error id: a password too short for a backup, a file that is not a backup, Ensure = Absent (and an Ensure of neither value fails in the engine)' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Run.Weak.Id | Should -BeLike 'SsoSecret.WeakPassword,*'
        $Run.Weak.Type | Should -Be 'SsoSecret.SsoSecretException'
        $Run.Weak.Exists | Should -BeFalse
        "$Generated-weak" | Should -Not -Exist
        $Run.Refused.Id | Should -Be 'SsoSecret.DscBackupNotReplaced'
        Get-Content -LiteralPath $Notes | Should -Be 'Somebody''s notes, not a backup.'
        $Run.Absent.Id | Should -Be 'SsoSecret.DscAbsentNotSupported'
        $Run.NoSuchEnsure.Id | Should -Be 'ExceptionWhenSetting,Invoke-DscClassBasedResource'
        $Run.NoSuchEnsure.Message | Should -BeLike '*Ensure*Present, Absent*'
    }

    It 'lists but cannot run the resources from a module folder whose path has a space (PowerShell/PSDesiredStateConfiguration#73; the guide says so)' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $spaced = Join-Path $TestDrive 'Program Files/Modules'
        foreach ($name in 'SsoSecret', 'SsoSecretDsc') {
            $null = New-Item -ItemType Directory -Path (Join-Path $spaced $name)
            Copy-Item -LiteralPath (Join-Path $OutFolder $name) -Destination (Join-Path $spaced "$name/$Version") -Recurse
        }
        $seen = (Invoke-Engine -Engine Real -ModuleFolder $spaced -Body @"
`$r = [ordered]@{ Listed = @(Get-DscResource -Module SsoSecretDsc | ForEach-Object Name) }
try {
    `$null = Invoke-DscResource -Name SsoMasterSecret -ModuleName SsoSecretDsc -Method Test -Property @{ StorePath = '$Work/spaced-store' }
    `$r.Invoke = 'no failure'
}
catch { `$r.Invoke = `$_.FullyQualifiedErrorId; `$r.Message = `$_.Exception.Message }
`$r | ConvertTo-Json -Compress
"@).Result
        $seen.Listed | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
        # If this fails because the call worked, the engine quotes the path now: drop the guide's warning.
        $seen.Invoke | Should -Be 'ParseException,Invoke-DscClassBasedResource'
        $seen.Message | Should -BeLike "*using module $spaced*"
    }
}

Describe 'Invoke-DscResource (the real PSDesiredStateConfiguration): SsoReplica keeps a replica in sync with the rings its master publishes' {
    BeforeAll {
        if ($NoEngine) { return }
        # One pwsh, as a node whose DSC runs on a schedule, beside the master's commands (SsoSecret installed there too,
        # imported by name): the master publishes with Export-SsoSealedRing -Path, the replica pulls through the engine.
        $script:ReplicaMaster = Join-Path $Work 'replica-master'
        $script:ReplicaStore = Join-Path $Work 'replica-store'
        $script:OtherMaster = Join-Path $Work 'replica-other-master'
        $script:Rings = (New-Item -ItemType Directory -Path (Join-Path $Work 'replica-rings')).FullName
        $script:ReplicaRun = Invoke-Engine -Engine Real -Body @"
Import-Module SsoSecret
`$credential = [pscredential]::new('backup', (ConvertTo-SecureString '$Password' -AsPlainText -Force))
function New-Master([string] `$Store) {
    `$null = New-SsoMasterSecret -StorePath `$Store -BackupPath "`$Store-`$([guid]::NewGuid().ToString('n')).bak" -Credential `$credential -KdfProfile Interactive -Force -Confirm:`$false
    Initialize-SsoEnvironment -StorePath `$Store
}
function Invoke([string] `$Method, [hashtable] `$Property) { Invoke-DscResource -Name SsoReplica -ModuleName SsoSecretDsc -Method `$Method -Property `$Property }
function Fail([scriptblock] `$Step) { try { `$null = & `$Step; 'no failure' } catch { @{ Id = `$_.FullyQualifiedErrorId; Type = `$_.Exception.GetType().FullName } } }
function Tamper([string] `$Path) {
    `$bytes = [System.IO.File]::ReadAllBytes(`$Path); `$at = `$bytes.Length - 32 - 64 - 1; `$bytes[`$at] = `$bytes[`$at] -bxor 1
    `$sum = [System.Security.Cryptography.SHA256]::HashData([byte[]]`$bytes[0..(`$bytes.Length - 33)]); [System.Array]::Copy(`$sum, 0, `$bytes, `$bytes.Length - 32, 32)
    [System.IO.File]::WriteAllBytes(`$Path, `$bytes)
}
`$master = New-Master '$ReplicaMaster'
`$replica = @{ StorePath = '$ReplicaStore'; EnvironmentId = "`$(`$master.EnvironmentId)"; MasterPublicKey = `$master.MasterPublicKey; SealedRingPath = '$Rings' }
`$r = [ordered]@{}
`$global:Error.Clear()
`$test = Invoke Test `$replica
`$r.TestType = `$test.GetType().Name
`$r.TestNew = `$test.InDesiredState
`$r.GetNew = (Invoke Get `$replica).Reason
`$null = Invoke Set `$replica
`$joined = Invoke Get `$replica
`$r.Joined = @{ Reason = `$joined.Reason; Role = `$joined.Role; HostPublicKey = `$joined.HostPublicKey; ReplicaFingerprint = `$joined.ReplicaFingerprint; Test = (Invoke Test `$replica).InDesiredState }
`$r.NewErrors = @(`$global:Error | ForEach-Object { "`$_" })
`$file = Export-SsoSealedRing -StorePath '$ReplicaMaster' -ReplicaPublicKey `$joined.HostPublicKey -Path '$Rings' -PassThru
`$r.File = `$file.Name
`$r.Published = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = (Invoke Get `$replica).Reason }
`$null = Invoke Set `$replica
`$synced = Invoke Get `$replica
`$r.Synced = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = `$synced.Reason; Generation = `$synced.Generation; Synced = [bool]`$synced.Synced }
`$r.Opened = Unprotect-SsoData -InputObject (Protect-SsoData -InputObject 'engine-pulled-3b7e' -Purpose 'tests/engine' -StorePath '$ReplicaMaster') -Purpose 'tests/engine' -StorePath '$ReplicaStore' -AsPlainText
Copy-Item -LiteralPath `$file.FullName -Destination '$Rings/old.bin'
`$null = New-SsoMasterSecret -StorePath '$ReplicaMaster' -BackupPath '$ReplicaMaster-rotated.bak' -Credential `$credential -KdfProfile Interactive -Force -Confirm:`$false
`$null = Export-SsoSealedRing -StorePath '$ReplicaMaster' -ReplicaPublicKey `$joined.HostPublicKey -Path '$Rings'
`$r.Rotated = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = (Invoke Get `$replica).Reason }
`$null = Invoke Set `$replica
`$rotated = Invoke Get `$replica
`$r.RotatedSynced = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = `$rotated.Reason; Generation = `$rotated.Generation; MasterGeneration = (Get-SsoEnvironment -StorePath '$ReplicaMaster').Generation }
`$r.OpenedRotated = Unprotect-SsoData -InputObject (Protect-SsoData -InputObject 'engine-rotated-5c08' -Purpose 'tests/engine' -StorePath '$ReplicaMaster') -Purpose 'tests/engine' -StorePath '$ReplicaStore' -AsPlainText
`$current = [System.IO.File]::ReadAllBytes(`$file.FullName)
`$held = (Get-FileHash -LiteralPath '$ReplicaStore/master-secret.dat').Hash
Copy-Item -LiteralPath '$Rings/old.bin' -Destination `$file.FullName -Force
`$r.Replayed = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = (Invoke Get `$replica).Reason; Set = (Fail { Invoke Set `$replica }) }
[System.IO.File]::WriteAllBytes(`$file.FullName, `$current)
Tamper `$file.FullName
`$r.Tampered = @{ Test = (Invoke Test `$replica).InDesiredState; Reason = (Invoke Get `$replica).Reason; Set = (Fail { Invoke Set `$replica }) }
`$r.Unchanged = (Get-FileHash -LiteralPath '$ReplicaStore/master-secret.dat').Hash -eq `$held
`$other = New-Master '$OtherMaster'
`$elsewhere = @{ StorePath = '$ReplicaStore'; EnvironmentId = "`$(`$other.EnvironmentId)"; MasterPublicKey = `$other.MasterPublicKey; SealedRingPath = '$Rings' }
`$r.Elsewhere = @{ Test = (Invoke Test `$elsewhere).InDesiredState; Reason = (Invoke Get `$elsewhere).Reason; Set = (Fail { Invoke Set `$elsewhere }) }
`$r.Pin = (Get-SsoEnvironment -StorePath '$ReplicaStore').MasterFingerprint -eq `$master.MasterFingerprint
`$r | ConvertTo-Json -Depth 4 -Compress
"@
        $script:Replicated = $ReplicaRun.Result
    }

    It 'Test false on a new store (NotJoined); Set joins it, pinning the configured master; with nothing published Test stays false (NoRingPublished), and nothing is left in $Error' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Replicated.TestType | Should -Be 'InvokeDscResourceTestResult'
        $Replicated.TestNew | Should -BeFalse
        $Replicated.GetNew | Should -Be 'NotJoined'
        $Replicated.Joined.Reason | Should -Be 'NoRingPublished'
        $Replicated.Joined.Role | Should -Be 'Replica'
        $Replicated.Joined.Test | Should -BeFalse
        $Replicated.Joined.HostPublicKey | Should -BeLike 'ssosecret-replica1*'
        $Replicated.NewErrors | Should -BeNullOrEmpty
        $ReplicaRun.Text | Should -BeLike '*No ring is published for this replica*'
    }

    It 'once the master publishes with Export-SsoSealedRing -Path: Behind, Set installs it, Test true; a value protected on the master opens on the replica' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Replicated.File | Should -Be "$($Replicated.Joined.ReplicaFingerprint).ssring"
        $Replicated.Published.Test | Should -BeFalse
        $Replicated.Published.Reason | Should -Be 'Behind'
        $Replicated.Synced.Test | Should -BeTrue
        $Replicated.Synced.Reason | Should -Be 'Compliant'
        $Replicated.Synced.Generation | Should -BeGreaterThan 0
        $Replicated.Synced.Synced | Should -BeTrue
        $Replicated.Opened | Should -Be 'engine-pulled-3b7e'
    }

    It 'after New-SsoMasterSecret on the master and a re-publish: Test false (Behind), Set, Test true, and a value protected under the new secret opens' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Replicated.Rotated.Test | Should -BeFalse
        $Replicated.Rotated.Reason | Should -Be 'Behind'
        $Replicated.RotatedSynced.Test | Should -BeTrue
        $Replicated.RotatedSynced.Generation | Should -Be $Replicated.RotatedSynced.MasterGeneration
        $Replicated.RotatedSynced.Generation | Should -BeGreaterThan $Replicated.Synced.Generation
        $Replicated.OpenedRotated | Should -Be 'engine-rotated-5c08'
    }

    It 'a replayed older file: Test false, Set fails with SsoSecret.StaleRing; a tampered file: Test false, Set fails with SsoSecret.TamperedSealedRing; the store unchanged' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Replicated.Replayed.Test | Should -BeFalse
        $Replicated.Replayed.Reason | Should -Be 'StaleRing'
        $Replicated.Replayed.Set.Id | Should -BeLike 'SsoSecret.StaleRing,*'
        $Replicated.Replayed.Set.Type | Should -Be 'SsoSecret.EnvironmentException'
        $Replicated.Tampered.Test | Should -BeFalse
        $Replicated.Tampered.Reason | Should -Be 'TamperedSealedRing'
        $Replicated.Tampered.Set.Id | Should -BeLike 'SsoSecret.TamperedSealedRing,*'
        $Replicated.Unchanged | Should -BeTrue
    }

    It 'configured for another master, the replica refuses: Test false (PinnedElsewhere), Set fails with SsoSecret.EnvironmentRoleConflict, the pin kept' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $Replicated.Elsewhere.Test | Should -BeFalse
        $Replicated.Elsewhere.Reason | Should -Be 'PinnedElsewhere'
        $Replicated.Elsewhere.Set.Id | Should -BeLike 'SsoSecret.EnvironmentRoleConflict,*'
        $Replicated.Pin | Should -BeTrue
        (Get-SsoEnvironment -StorePath $ReplicaStore).Role | Should -Be 'Replica'
    }
}

Describe 'DSC v3''s PowerShell adapter (reproduced in DscEngine.psm1): discovery, and Get, Test and Set from a configuration''s JSON' {
    BeforeAll {
        $script:Store = Join-Path $Work 'v3-store'
        $script:Generated = Join-Path $Work 'v3-generated.bak'
        $script:Weekly = Join-Path $Work 'v3-weekly.bak'
        # The properties as a DSC v3 configuration document gives them: the credential as { username, password },
        # or (from a secret store) { secureObject: { username, password } }.
        $secret = @{ StorePath = $Store; BackupPath = $Generated; KdfProfile = 'Interactive'; Credential = @{ username = 'backup'; password = $Password } } | ConvertTo-Json -Compress
        $backup = @{ Path = $Weekly; StorePath = $Store; KdfProfile = 'Interactive'; Credential = @{ secureObject = @{ username = 'backup'; password = $Password } } } | ConvertTo-Json -Compress -Depth 3
        $weak = @{ StorePath = "$Store-weak"; BackupPath = "$Generated-weak"; KdfProfile = 'Interactive'; Credential = @{ username = 'backup'; password = 'short' } } | ConvertTo-Json -Compress
        # A replica of the store above, which is no master: Set() joins, then refuses nothing but says no ring is published.
        $replica = @{ StorePath = "$Store-replica"; EnvironmentId = [guid]::NewGuid().ToString(); MasterPublicKey = 'ssosecret-master1jfd36t94kcvzkptzp4hfh59h6xu9ke3h88feqtta8e2egv24vk6sxmvn0d'; SealedRingPath = $Work } | ConvertTo-Json -Compress
        $script:Run = (Invoke-Engine -Engine DscV3Adapter -Body @"
`$secret = '$secret'
`$backup = '$backup'
`$r = [ordered]@{}
`$resources = @(Find-DscV3Resource)
`$r.Types = @(`$resources | ForEach-Object Type | Sort-Object)
# The resources that have a credential (SsoReplica has none).
`$r.CredentialTypes = @(`$resources | ForEach-Object { (`$_.Properties | Where-Object Name -EQ 'Credential').PropertyType } | Where-Object { `$_ })
`$before = `$global:Error.Count
`$r.SecretTestBefore = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecret -InputJson `$secret).properties.InDesiredState
`$r.SecretGetBefore = (Invoke-DscV3Operation -Operation Get -Type SsoSecretDsc/SsoMasterSecret -InputJson `$secret).properties.Reason
`$r.BackupTestBefore = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup).properties.InDesiredState
`$r.NewErrors = @(`$global:Error | Select-Object -First ([math]::Max(0, `$global:Error.Count - `$before)) | ForEach-Object { "`$_" })
Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoMasterSecret -InputJson `$secret
`$r.SecretTestAfter = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecret -InputJson `$secret).properties.InDesiredState
`$r.SecretGet = Invoke-DscV3Operation -Operation Get -Type SsoSecretDsc/SsoMasterSecret -InputJson `$secret | ConvertTo-Json -Depth 4 -Compress
Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup
`$r.BackupTestAfter = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup).properties.InDesiredState
`$bytes = [System.IO.File]::ReadAllBytes('$Weekly'); `$bytes[`$bytes.Length - 40] = `$bytes[`$bytes.Length - 40] -bxor 1; [System.IO.File]::WriteAllBytes('$Weekly', `$bytes)
`$r.BackupTestDamaged = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup).properties.InDesiredState
`$r.BackupGetDamaged = (Invoke-DscV3Operation -Operation Get -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup).properties.Reason
Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup
`$r.BackupTestRepaired = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup).properties.InDesiredState
`$r.BackupGet = Invoke-DscV3Operation -Operation Get -Type SsoSecretDsc/SsoMasterSecretBackup -InputJson `$backup | ConvertTo-Json -Depth 4 -Compress
`$replica = '$replica'
`$r.ReplicaTest = (Invoke-DscV3Operation -Operation Test -Type SsoSecretDsc/SsoReplica -InputJson `$replica).properties.InDesiredState
`$r.ReplicaGet = Invoke-DscV3Operation -Operation Get -Type SsoSecretDsc/SsoReplica -InputJson `$replica | ConvertTo-Json -Depth 4 -Compress
try { Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoReplica -InputJson `$replica; `$r.ReplicaSet = 'no failure' }
catch { `$r.ReplicaSet = `$_.Exception.Message }
try { Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoMasterSecret -InputJson '$weak'; `$r.Weak = 'no failure' }
catch { `$r.Weak = `$_.Exception.Message }
`$r | ConvertTo-Json -Depth 4 -Compress
"@).Result
    }

    It 'lists the three resources as SsoSecretDsc/ClassName, the credential declared with a type the adapter turns { username, password } into' {
        $Run.Types | Should -Be @('SsoSecretDsc/SsoMasterSecret', 'SsoSecretDsc/SsoMasterSecretBackup', 'SsoSecretDsc/SsoReplica')
        @($Run.CredentialTypes).Count | Should -Be 2
        foreach ($type in $Run.CredentialTypes) {
            $type | Should -BeIn @('PSCredential', 'System.Management.Automation.PSCredential')
        }
    }

    It 'Test false on an empty store and a missing backup, with nothing left in $Error' {
        $Run.SecretTestBefore | Should -BeFalse
        $Run.SecretGetBefore | Should -Be 'NoMasterSecret'
        $Run.BackupTestBefore | Should -BeFalse
        $Run.NewErrors | Should -BeNullOrEmpty
    }

    It 'Set, then Test true, for a credential given as { username, password } and as { secureObject }; a damaged backup is repaired' {
        $Run.SecretTestAfter | Should -BeTrue
        $Run.BackupTestAfter | Should -BeTrue
        $Run.BackupTestDamaged | Should -BeFalse
        $Run.BackupGetDamaged | Should -Be 'Damaged'
        $Run.BackupTestRepaired | Should -BeTrue
        Test-SsoSecretBackup -LiteralPath $Weekly -Password (ConvertTo-SecureString $Password -AsPlainText -Force) -StorePath $Store | Should -BeTrue
    }

    It 'Get never returns the credential' {
        foreach ($json in $Run.SecretGet, $Run.BackupGet) {
            $json | Should -Not -BeLike "*$Password*"
            ($json | ConvertFrom-Json).properties.Credential | Should -BeNullOrEmpty
        }
        ($Run.BackupGet | ConvertFrom-Json).properties.Reason | Should -Be 'Compliant'
    }

    It 'SsoReplica from JSON: Test false and Get NotJoined on a new store; Set joins it, and Get then gives its host key' {
        $Run.ReplicaTest | Should -BeFalse
        $state = ($Run.ReplicaGet | ConvertFrom-Json).properties
        $state.Reason | Should -Be 'NotJoined'
        $state.Role | Should -Be 'None'
        $Run.ReplicaSet | Should -Be 'no failure'
        $joined = Get-SsoEnvironment -StorePath "$Store-replica"
        $joined.Role | Should -Be 'Replica'
        $joined.HostPublicKey | Should -BeLike 'ssosecret-replica1*'
    }

    It 'a real failure ends the operation with its message: a password too short for a backup' {
        $Run.Weak | Should -BeLike 'Exception: *shorter than 8 characters*'
        "$Generated-weak" | Should -Not -Exist
    }
}

Describe 'docs/guide-dsc.md, its powershell blocks run in order on the real engine' {
    BeforeAll {
        # One pwsh for the whole guide, as a reader at one prompt: its current location a work folder of its own, the
        # two modules installed side by side, Get-Credential answered as the person would (with the guide password),
        # New- and Backup-SsoMasterSecret defaulting to -KdfProfile Interactive (as in Guides.Tests.ps1). A block fails
        # when it throws or writes an error. Blocks marked <!-- engine: PSDesiredStateConfiguration --> run only with the
        # real engine; the others run in any case.
        $script:GuideWork = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'guide-dsc')).FullName
        $blocksFile = Join-Path $TestDrive 'guide-dsc-blocks.json'
        ConvertTo-Json -InputObject @($GuideBlocks | ForEach-Object { [ordered]@{ Number = $_.Number; Code = $_.Code; Engine = $_.Engine } }) -Depth 3 |
            Set-Content -LiteralPath $blocksFile -Encoding utf8
        $body = @"
Set-Location -LiteralPath '$GuideWork'
[System.Environment]::CurrentDirectory = '$GuideWork'
`$global:PSDefaultParameterValues = @{ 'New-SsoMasterSecret:KdfProfile' = 'Interactive'; 'Backup-SsoMasterSecret:KdfProfile' = 'Interactive' }
`$script:GuidePrompts = 0
function Get-Credential([string] `$UserName, [string] `$Message) {
    `$script:GuidePrompts++
    [pscredential]::new(`$UserName, (ConvertTo-SecureString '$Password' -AsPlainText -Force))
}
`$ErrorActionPreference = 'Continue'
`$guideResults = foreach (`$guideBlock in @(Get-Content -Raw -LiteralPath '$blocksFile' | ConvertFrom-Json)) {
    if (`$guideBlock.Engine -and `$guideBlock.Engine -ne `$withEngine) { [ordered]@{ Number = `$guideBlock.Number; Ran = `$false }; continue }
    `$guideThrew = `$null
    `$guideOutput = @(try { . ([scriptblock]::Create(`$guideBlock.Code)) 2>&1 } catch { `$guideThrew = "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" })
    [ordered]@{
        Number     = `$guideBlock.Number
        Ran        = `$true
        Threw      = `$guideThrew
        Errors     = @(`$guideOutput | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" })
        Output     = (`$guideOutput | Where-Object { `$_ -isnot [System.Management.Automation.ErrorRecord] } | Out-String -Width 200)
        EngineBase = (Get-Module PSDesiredStateConfiguration).ModuleBase
    }
}
[ordered]@{ Blocks = @(`$guideResults); Prompts = `$script:GuidePrompts } | ConvertTo-Json -Depth 4 -Compress
"@
        $script:Guide = if ($NoEngine) {
            (Invoke-Engine -Engine None -Body ("`$withEngine = ''`n" + $body)).Result
        }
        else {
            (Invoke-Engine -Engine Real -Body ("`$withEngine = 'PSDesiredStateConfiguration'`n" + $body)).Result
        }
    }

    It 'block <Number> (line <Line>): <Title>' -ForEach $GuideBlocks {
        $result = $Guide.Blocks | Where-Object Number -EQ $Number
        if ($Engine -and $NoEngine) {
            $result.Ran | Should -BeFalse
            Set-ItResult -Skipped -Because $NoEngine
            return
        }
        $result.Ran | Should -BeTrue
        $result.Threw | Should -BeNullOrEmpty -Because "block $Number threw; it printed:`n$($result.Output)"
        $result.Errors | Should -BeNullOrEmpty -Because "block $Number wrote errors; it printed:`n$($result.Output)"
        # Each block ends with a resource's Get() in the desired state: the backup's (the store holds a secret and the
        # backup is a good one of it), or the replica's (a replica holding the ring its master published).
        $result.Output | Should -Match 'Reason\s*:\s*Compliant'
        if ($Code -match 'SsoReplica') {
            $result.Output | Should -Match 'Role\s*:\s*Replica'
        }
        else {
            $result.Output | Should -Match 'MatchesCurrentSecret\s*:\s*True'
        }
        if ($Engine) {
            $result.EngineBase | Should -Be $RealDsc -Because 'the block''s Invoke-DscResource is the real engine''s'
        }
    }

    It 'left a replica holding its master''s ring, of the generation the master reached (the engine''s blocks)' {
        if ($NoEngine) { Set-ItResult -Skipped -Because $NoEngine; return }
        $master = Get-SsoEnvironment -StorePath (Join-Path $GuideWork 'master')
        $replica = Get-SsoEnvironment -StorePath (Join-Path $GuideWork 'replica')
        $replica.Role | Should -Be 'Replica'
        $replica.MasterFingerprint | Should -Be $master.MasterFingerprint
        $master.Generation | Should -BeGreaterThan 1 -Because 'the guide rotates the master''s secret once'
        $replica.Generation | Should -Be $master.Generation
        $replica.RingDigest | Should -Be $master.RingDigest
        Join-Path $GuideWork "SsoRings/$($replica.HostFingerprint).ssring" | Should -Exist
    }

    It 'left a store with its secret and a backup of it that opens with the guide''s password, after asking for it' {
        $Guide.Prompts | Should -BeGreaterThan 0
        $store = Join-Path $GuideWork 'store'
        $backup = Join-Path $GuideWork 'SsoBackups/master-secret.bak'
        $backup | Should -Exist
        Test-SsoSecretBackup -LiteralPath $backup -Password (ConvertTo-SecureString $Password -AsPlainText -Force) -StorePath $store | Should -BeTrue
        (Get-SsoSecretBackupInfo -LiteralPath (Join-Path $GuideWork 'SsoBackups/generated.bak')).SecretId | Should -Be (Get-SsoMasterSecret -StorePath $store).SecretId
    }
}
