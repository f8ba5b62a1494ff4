# The DSC resources as the DSC engines meet them: SsoSecret and SsoSecretDsc installed side by side in a module folder,
# found by the engines' own discovery and run by their own steps (DscEngine.psm1 reproduces both engines from their
# source: PSDesiredStateConfiguration's Get-DscResource/Invoke-DscResource and DSC v3's PowerShell adapter). Each engine
# runs in a new pwsh whose current location is not the modules' folder, with only that folder on its module path.

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    $script:OutFolder = Split-Path (Split-Path $ModulePath)
    $script:Harness = Join-Path $PSScriptRoot 'DscEngine.psm1'
    $script:Version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    $script:Password = 'Dsc-Engine-Passw0rd-7c1e55'
    # Here, only to check what the engines wrote.
    Import-Module $ModulePath -Force

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
        # location another folder than the modules', the harness imported, then $Body, whose last line is JSON.
        param([Parameter(Mandatory)] [string] $Body, [string] $ModuleFolder = $Modules)
        $script = "`$ErrorActionPreference = 'Stop'`nSet-Location -LiteralPath '$Elsewhere'`n[System.Environment]::CurrentDirectory = '$Elsewhere'`nImport-Module '$Harness'`n$Body"
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = $ModuleFolder
            $pwshDll = Join-Path $PSHOME 'pwsh.dll'
            $output = if (Test-Path $pwshDll) {
                & dotnet $pwshDll -NoProfile -NonInteractive -Command $script 2>&1
            }
            else {
                & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1
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

    function Get-SchemaProperty($Resource, [string] $Name) {
        $Resource.Properties | Where-Object Name -EQ $Name
    }
}

Describe 'PSDesiredStateConfiguration''s discovery (Get-DscResource and its class cache)' {
    BeforeAll {
        $script:Found = (Invoke-Engine -Body @'
[ordered]@{
    All   = @(Find-PsDscClassResource)
    Named = @(Find-PsDscClassResource -ModuleName SsoSecretDsc)
    Main  = @(Find-PsDscClassResource -ModuleName SsoSecret -IncludeSkipped)
} | ConvertTo-Json -Depth 6 -Compress
'@).Result
    }

    It 'lists both resources of SsoSecretDsc installed beside SsoSecret, from another current location' {
        $Found.All.Name | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup')
        foreach ($resource in $Found.All) {
            $resource.ModuleName | Should -Be 'SsoSecretDsc'
            $resource.Version | Should -Be $Version
            $resource.ImplementationDetail | Should -Be 'ClassBased'
            $resource.Path | Should -Be $InstalledDsc
            $resource.ScriptPath | Should -Be (Join-Path (Split-Path $InstalledDsc) 'SsoSecretDsc.psm1')
        }
    }

    It 'finds them by module name too (Get-DscResource -Module SsoSecretDsc, Invoke-DscResource -ModuleName SsoSecretDsc)' {
        $Found.Named.Name | Sort-Object | Should -Be @('SsoMasterSecret', 'SsoMasterSecretBackup')
    }

    It 'reads their schema: the keys, the required properties, the credential as MSFT_Credential, the allowed values, the read-only state' {
        $secret = $Found.All | Where-Object Name -EQ 'SsoMasterSecret'
        (Get-SchemaProperty $secret 'StorePath').Key | Should -BeTrue
        (Get-SchemaProperty $secret 'BackupPath').Required | Should -BeTrue
        (Get-SchemaProperty $secret 'Credential').Required | Should -BeTrue
        (Get-SchemaProperty $secret 'Credential').ReferenceClassName | Should -Be 'MSFT_Credential'
        (Get-SchemaProperty $secret 'Ensure').Values | Should -Be @('Present', 'Absent')
        (Get-SchemaProperty $secret 'SecretId').Read | Should -BeTrue

        $backup = $Found.All | Where-Object Name -EQ 'SsoMasterSecretBackup'
        (Get-SchemaProperty $backup 'Path').Key | Should -BeTrue
        (Get-SchemaProperty $backup 'Credential').CimType | Should -Be 'string'
        (Get-SchemaProperty $backup 'Credential').ReferenceClassName | Should -Be 'MSFT_Credential'
        (Get-SchemaProperty $backup 'KdfProfile').Values | Should -Be @('Interactive', 'Moderate', 'Sensitive')
        (Get-SchemaProperty $backup 'MaximumAge').CimType | Should -Be 'sint32'
        (Get-SchemaProperty $backup 'Created').CimType | Should -Be 'datetime'
        (Get-SchemaProperty $backup 'Reason').Read | Should -BeTrue
    }

    It 'finds none in SsoSecret, which no longer declares any' {
        @($Found.Main | Where-Object { $_.PSObject.Properties['Name'] }).Count | Should -Be 0
        (($Found.Main | Where-Object { $_.PSObject.Properties['Skipped'] }).Skipped -join "`n") | Should -Match '(?m)^SsoSecret .*declares no DSC resources'
    }
}

Describe 'The layout before SsoSecretDsc (the resources a nested module of SsoSecret)' {
    It 'is invisible to both engines'' discovery: the test that would have caught it' {
        # SsoSecret as it was shipped: the class script beside the loader, named in NestedModules, and the resources in
        # DscResourcesToExport of a manifest that names its exports explicitly.
        $old = Join-Path $TestDrive 'OldModules'
        $folder = Join-Path $old "SsoSecret/$Version"
        $null = New-Item -ItemType Directory -Path (Join-Path $old 'SsoSecret')
        Copy-Item -LiteralPath (Join-Path $Modules "SsoSecret/$Version") -Destination $folder -Recurse
        Copy-Item -LiteralPath (Join-Path (Split-Path $InstalledDsc) 'SsoSecretDsc.psm1') -Destination $folder
        $manifest = Get-Content -LiteralPath (Join-Path $folder 'SsoSecret.psd1') -Raw
        $manifest = $manifest -replace "(?m)^(\s*FormatsToProcess\s*=.*)$", "`$1`n    NestedModules = @('SsoSecretDsc.psm1')`n    DscResourcesToExport = @('SsoMasterSecret', 'SsoMasterSecretBackup')"
        Set-Content -LiteralPath (Join-Path $folder 'SsoSecret.psd1') -Value $manifest -NoNewline
        (Import-PowerShellDataFile (Join-Path $folder 'SsoSecret.psd1')).NestedModules | Should -Be 'SsoSecretDsc.psm1'

        $seen = (Invoke-Engine -ModuleFolder $old -Body @'
[ordered]@{
    PsDsc  = @(Find-PsDscClassResource -IncludeSkipped)
    Named  = @(Find-PsDscClassResource -ModuleName SsoSecret -IncludeSkipped)
    DscV3  = @(Find-DscV3Resource | ForEach-Object Type)
    Nested = @((Get-Module -ListAvailable -Name SsoSecret).NestedModules | ForEach-Object Path)
} | ConvertTo-Json -Depth 6 -Compress
'@).Result

        @($seen.PsDsc | Where-Object { $_.PSObject.Properties['Name'] }).Count | Should -Be 0
        @($seen.Named | Where-Object { $_.PSObject.Properties['Name'] }).Count | Should -Be 0
        (($seen.PsDsc | Where-Object { $_.PSObject.Properties['Skipped'] }).Skipped -join "`n") | Should -Match '(?m)^SsoSecret .*declares no DSC resources'
        @($seen.DscV3).Count | Should -Be 0
        # The listing resolves the nested module against the current location, not the module's folder.
        $seen.Nested | Should -Be (Join-Path $Elsewhere 'SsoSecretDsc.psm1')
    }
}

Describe 'Invoke-DscResource (PSDesiredStateConfiguration): Get, Test and Set as the guide says' {
    BeforeAll {
        $script:Store = Join-Path $Work 'psdsc-store'
        $script:Generated = Join-Path $Work 'psdsc-generated.bak'
        $script:Monthly = Join-Path $Work 'psdsc-monthly.bak'
        $script:Notes = Join-Path $Work 'psdsc-notes.txt'
        Set-Content -LiteralPath $Notes -Value 'Somebody''s notes, not a backup.'
        $script:Run = (Invoke-Engine -Body @"
`$credential = [pscredential]::new('backup', (ConvertTo-SecureString '$Password' -AsPlainText -Force))
`$secret = @{ StorePath = '$Store'; BackupPath = '$Generated'; Credential = `$credential; KdfProfile = 'Interactive' }
`$backup = @{ Path = '$Monthly'; StorePath = '$Store'; Credential = `$credential; KdfProfile = 'Interactive' }
function Invoke([string] `$Name, [string] `$Method, [hashtable] `$Property) { Invoke-PsDscResource -Name `$Name -ModuleName SsoSecretDsc -Method `$Method -Property `$Property }
`$r = [ordered]@{}
`$r.SecretTestBefore = (Invoke SsoMasterSecret Test `$secret).InDesiredState
`$r.SecretGetBefore = (Invoke SsoMasterSecret Get `$secret).Reason
`$r.SecretReboot = (Invoke SsoMasterSecret Set `$secret).RebootRequired
`$r.SecretTestAfter = (Invoke SsoMasterSecret Test `$secret).InDesiredState
`$r.SecretGet = Invoke SsoMasterSecret Get `$secret | ConvertTo-Json -Depth 3 -Compress -EnumsAsStrings
`$r.BackupTestBefore = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$r.BackupGetBefore = (Invoke SsoMasterSecretBackup Get `$backup).Reason
`$null = Invoke SsoMasterSecretBackup Set `$backup
`$r.BackupTestAfter = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$bytes = [System.IO.File]::ReadAllBytes('$Monthly'); `$bytes[`$bytes.Length - 40] = `$bytes[`$bytes.Length - 40] -bxor 1; [System.IO.File]::WriteAllBytes('$Monthly', `$bytes)
`$r.BackupTestDamaged = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$r.BackupGetDamaged = (Invoke SsoMasterSecretBackup Get `$backup).Reason
`$null = Invoke SsoMasterSecretBackup Set `$backup
`$r.BackupTestRepaired = (Invoke SsoMasterSecretBackup Test `$backup).InDesiredState
`$r.BackupGet = Invoke SsoMasterSecretBackup Get `$backup | ConvertTo-Json -Depth 3 -Compress -EnumsAsStrings
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
`$r | ConvertTo-Json -Depth 4 -Compress
"@).Result
    }

    It 'SsoMasterSecret: Test false on an empty store, Set generates the secret and its backup, then Test true' {
        $Run.SecretTestBefore | Should -BeFalse
        $Run.SecretGetBefore | Should -Be 'NoMasterSecret'
        $Run.SecretReboot | Should -BeFalse
        $Run.SecretTestAfter | Should -BeTrue
        $Generated | Should -Exist
        $state = $Run.SecretGet | ConvertFrom-Json
        $state.Ensure | Should -Be 'Present'
        $state.SecretId | Should -Be (Get-SsoSecretBackupInfo -LiteralPath $Generated).SecretId.ToString()
    }

    It 'SsoMasterSecretBackup: Test false while missing, Set writes it, Test true; a damaged backup is found and repaired' {
        $Run.BackupTestBefore | Should -BeFalse
        $Run.BackupGetBefore | Should -Be 'Missing'
        $Run.BackupTestAfter | Should -BeTrue
        $Run.BackupTestDamaged | Should -BeFalse
        $Run.BackupGetDamaged | Should -Be 'Damaged'
        $Run.BackupTestRepaired | Should -BeTrue
        ($Run.BackupGet | ConvertFrom-Json).Reason | Should -Be 'Compliant'
    }

    It 'Get never returns the credential' {
        foreach ($json in $Run.SecretGet, $Run.BackupGet) {
            $json | Should -Not -BeLike "*$Password*"
            ($json | ConvertFrom-Json).Credential | Should -BeNullOrEmpty
        }
    }

    It 'real failures throw with the module''s error id: a password too short for a backup, a file that is not a backup' {
        $Run.Weak.Id | Should -BeLike 'SsoSecret.WeakPassword,*'
        $Run.Weak.Type | Should -Be 'SsoSecret.SsoSecretException'
        $Run.Weak.Exists | Should -BeFalse
        $Run.Refused.Id | Should -Be 'SsoSecret.DscBackupNotReplaced'
    }
}

Describe 'DSC v3''s PowerShell adapter: discovery, and Get, Test and Set from a configuration''s JSON' {
    BeforeAll {
        $script:Store = Join-Path $Work 'v3-store'
        $script:Generated = Join-Path $Work 'v3-generated.bak'
        $script:Weekly = Join-Path $Work 'v3-weekly.bak'
        # The properties as a DSC v3 configuration document gives them: the credential as { username, password },
        # or (from a secret store) { secureObject: { username, password } }.
        $secret = @{ StorePath = $Store; BackupPath = $Generated; KdfProfile = 'Interactive'; Credential = @{ username = 'backup'; password = $Password } } | ConvertTo-Json -Compress
        $backup = @{ Path = $Weekly; StorePath = $Store; KdfProfile = 'Interactive'; Credential = @{ secureObject = @{ username = 'backup'; password = $Password } } } | ConvertTo-Json -Compress -Depth 3
        $weak = @{ StorePath = "$Store-weak"; BackupPath = "$Generated-weak"; KdfProfile = 'Interactive'; Credential = @{ username = 'backup'; password = 'short' } } | ConvertTo-Json -Compress
        $script:Run = (Invoke-Engine -Body @"
`$secret = '$secret'
`$backup = '$backup'
`$r = [ordered]@{}
`$resources = @(Find-DscV3Resource)
`$r.Types = @(`$resources | ForEach-Object Type | Sort-Object)
`$r.CredentialTypes = @(`$resources | ForEach-Object { (`$_.Properties | Where-Object Name -EQ 'Credential').PropertyType })
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
try { Invoke-DscV3Operation -Operation Set -Type SsoSecretDsc/SsoMasterSecret -InputJson '$weak'; `$r.Weak = 'no failure' }
catch { `$r.Weak = `$_.Exception.Message }
`$r | ConvertTo-Json -Depth 4 -Compress
"@).Result
    }

    It 'lists both resources as SsoSecretDsc/ClassName, the credential declared with a type the adapter turns { username, password } into' {
        $Run.Types | Should -Be @('SsoSecretDsc/SsoMasterSecret', 'SsoSecretDsc/SsoMasterSecretBackup')
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

    It 'a real failure ends the operation with its message: a password too short for a backup' {
        $Run.Weak | Should -BeLike 'Exception: *shorter than 8 characters*'
        "$Generated-weak" | Should -Not -Exist
    }
}
