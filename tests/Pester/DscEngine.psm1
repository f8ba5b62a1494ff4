<#
    DSC v3's PowerShell adapter, reproduced step by step from its source, so that the tests can run the SsoSecretDsc
    resources as DSC v3 would: the `dsc` command is not available here (no registry this build uses serves it).

    PSDesiredStateConfiguration's Get-DscResource and Invoke-DscResource are no longer reproduced here: the tests run the
    real module (3.0.0-beta1, with its Microsoft.PowerShell.DscSubsystem class cache) from ../shared/engines beside the
    project's root, and skip those tests, saying why, where that folder is absent (DscEngine.Tests.ps1). Its
    reproduction is gone rather than kept as a fallback because the real engine showed it wrong in ways a fallback would
    keep hiding: Invoke-DscResource runs the class in the current runspace, not a new one, with `using module` on the
    manifest's path unquoted (so a module path with a space fails: PowerShell/PSDesiredStateConfiguration#73); an enum
    property (Ensure) gets no allowed values in the class cache; Get-DscResource lists read-only properties not at all
    and a [pscredential] property of a class as [string] (the cache keeps MSFT_Credential only as the CIM property's
    ReferenceClassName). A fresh clone without the engine still runs the resources directly (Dsc.Tests.ps1) and
    through this adapter.

    DSC v3's PowerShell adapter (PowerShell/DSC, adapters/powershell/psDscAdapter/psDscAdapter.psm1), which runs in a
    pwsh of its own for each operation:
      1. The modules: the <folder>.psd1 files (at most two levels down) of each $env:PSModulePath folder with a line
         naming DscResourcesToExport, listed with Get-Module -ListAvailable -Name <those files>; the highest version of
         each name.
      2. The script: ModuleBase joined with RootModule (a RootModule other than .psm1/.ps1 yields nothing unless there
         are NestedModules), else the Path; then the nested modules, recursively.
      3. Parser.ParseFile (parse errors are traced as errors). The resources are the classes with an attribute named
         DscResource; the resource type is "<script file's base name>/<class>"; each [DscProperty()] property keeps its
         type as written in the script ([pscredential] gives 'pscredential'), and Key makes it mandatory.
      4. An operation: `& (Import-Module <script file's base name> -PassThru) { '<class>' -as 'type' }`, then ::New();
         each property of the JSON input: a JSON object for a property typed PSCredential becomes a PSCredential (from
         { "secureObject": { "username", "password" } } or { "username", "password" }), any other JSON object a
         hashtable, a string for a SecureString property a SecureString, anything else is assigned as it is. Get
         returns the declared properties of Get()'s result (enums as strings); Test { InDesiredState }; Set nothing.
         Any exception ends the operation with "Exception: <message>".

    This module loads nothing of SsoSecret's: run it in a new pwsh, as the adapter runs, so that nothing the tests
    imported can hide what the adapter would meet.
#>

Set-StrictMode -Version Latest

function Get-DscModuleManifest {
    <#
        The module manifests the adapter considers: in each folder of $env:PSModulePath, each module folder's
        <folder>.psd1 (at most two levels down, so <name>/<version>/<name>.psd1 too) that has a line naming
        DscResourcesToExport outside a comment.
    #>
    foreach ($folder in $env:PSModulePath.Split([System.IO.Path]::PathSeparator)) {
        if ([string]::IsNullOrEmpty($folder) -or -not (Test-Path -LiteralPath $folder)) { continue }
        foreach ($moduleFolder in Get-ChildItem -LiteralPath $folder -Directory) {
            foreach ($psd1 in Get-ChildItem -Recurse -Filter "$($moduleFolder.Name).psd1" -Path $moduleFolder.FullName -Depth 2) {
                if (Select-String -LiteralPath $psd1.FullName -Pattern '^[^#]*\bDscResourcesToExport\b.*') {
                    $psd1.FullName
                }
            }
        }
    }
}

function Find-DscV3Resource {
    <# The class-based resources DSC v3's PowerShell adapter lists (its cache), as it builds them. #>
    [CmdletBinding()]
    param()

    $manifests = @(Get-DscModuleManifest)
    if ($manifests.Count -eq 0) { return }
    $modules = @(Get-Module -ListAvailable -Name $manifests)
    foreach ($name in @($modules.Name | Sort-Object -Unique)) {
        $module = $modules | Where-Object Name -EQ $name | Sort-Object -Property Version -Descending | Select-Object -First 1
        Get-DscV3ModuleResource -Module $module
    }
}

function Get-DscV3ModuleResource([System.Management.Automation.PSModuleInfo] $Module) {
    if ($Module.RootModule) {
        if (@('.psm1', '.ps1') -notcontains [System.IO.Path]::GetExtension($Module.RootModule) -and -not $Module.NestedModules) {
            return
        }
        $path = Join-Path $Module.ModuleBase $Module.RootModule
    }
    else {
        $path = $Module.Path
    }
    $version = if ($Module.Version) { $Module.Version.ToString() } else { '0.0.0' }

    if ((Test-Path -LiteralPath $path) -and @('.psm1', '.ps1') -contains [System.IO.Path]::GetExtension($path)) {
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
        foreach ($e in $errors) { Write-Warning "DSC v3 adapter trace (error): $e" }
        $types = $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.TypeDefinitionAst] }, $false)
        foreach ($type in $types) {
            if (-not ($type.Attributes | Where-Object { $_.TypeName.Name -eq 'DscResource' })) { continue }
            $moduleName = [System.IO.Path]::GetFileNameWithoutExtension($path)
            [pscustomobject]@{
                Type       = "$moduleName/$($type.Name)"
                Name       = $type.Name
                ModuleName = $moduleName
                Version    = $version
                Path       = $path
                Properties = @(foreach ($member in $type.Members) {
                        $property = $member -as [System.Management.Automation.Language.PropertyMemberAst]
                        if ($null -eq $property -or $property.IsStatic) { continue }
                        $dsc = $property.Attributes | Where-Object { $_.TypeName.Name -eq 'DscProperty' } | Select-Object -First 1
                        if (-not $dsc) { continue }
                        [pscustomobject]@{
                            Name         = $property.Name
                            PropertyType = $property.PropertyType.TypeName.Name
                            IsMandatory  = [bool]($dsc.NamedArguments | Where-Object ArgumentName -EQ 'Key')
                        }
                    })
            }
        }
    }

    foreach ($nested in @($Module.NestedModules)) {
        Get-DscV3ModuleResource -Module $nested
    }
}

function Invoke-DscV3Operation {
    <#
        One operation of DSC v3's PowerShell adapter on a class-based resource: -Type as "<module>/<class>", -InputJson
        the resource's properties as a DSC configuration gives them. Returns what the adapter writes: Get's
        properties, Test's { InDesiredState }. A failure throws "Exception: <message>", as the adapter reports it.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateSet('Get', 'Set', 'Test')] [string] $Operation,
        [Parameter(Mandatory)] [string] $Type,
        [Parameter(Mandatory)] [string] $InputJson
    )

    $cached = Find-DscV3Resource | Where-Object Type -EQ $Type | Select-Object -First 1
    if (-not $cached) { throw "Can not find type `"$Type`"." }

    try {
        $class = & (Import-Module $cached.ModuleName -PassThru) ([scriptblock]::Create("'$($cached.Name)' -as 'type'"))
        $instance = $class::New()
        $properties = $InputJson | ConvertFrom-Json
        foreach ($entry in $properties.psobject.Properties) {
            $declared = $cached.Properties | Where-Object Name -EQ $entry.Name
            if ($entry.Value -is [System.Management.Automation.PSCustomObject]) {
                if ($declared -and $declared.PropertyType -in @('PSCredential', 'System.Management.Automation.PSCredential')) {
                    $value = $entry.Value
                    $secure = $value.PSObject.Properties['secureObject'] -and $value.secureObject.Username -and $value.secureObject.Password
                    $text = $value.PSObject.Properties['Username'] -and $value.PSObject.Properties['Password'] -and $value.Username -and $value.Password
                    if (-not $secure -and -not $text) {
                        throw "Credential object '$($entry.Name)' requires both 'Username' and 'Password' properties"
                    }
                    $source = if ($secure) { $value.secureObject } else { $value }
                    $instance.$($entry.Name) = [pscredential]::new($source.Username, (ConvertTo-SecureString -AsPlainText $source.Password -Force))
                }
                else {
                    $hash = @{}
                    foreach ($p in $entry.Value.psobject.Properties) { $hash[$p.Name] = $p.Value }
                    $instance.$($entry.Name) = $hash
                }
            }
            elseif ($declared -and $declared.PropertyType -in @('SecureString', 'System.Security.SecureString') -and -not [string]::IsNullOrEmpty($entry.Value)) {
                $instance.$($entry.Name) = ConvertTo-SecureString -AsPlainText $entry.Value -Force
            }
            else {
                $instance.$($entry.Name) = $entry.Value
            }
        }

        switch ($Operation) {
            'Get' {
                $raw = $instance.Get()
                $result = @{}
                foreach ($name in $cached.Properties.Name) {
                    $result[$name] = if ($raw.$name -is [System.Enum]) { $raw.$name.ToString() } else { $raw.$name }
                }
                [pscustomobject]@{ properties = $result }
            }
            'Set' { $instance.Set() }
            'Test' { [pscustomobject]@{ properties = [pscustomobject]@{ InDesiredState = $instance.Test() } } }
        }
    }
    catch {
        throw "Exception: $($_.Exception.Message)"
    }
}

Export-ModuleMember -Function Find-DscV3Resource, Invoke-DscV3Operation
