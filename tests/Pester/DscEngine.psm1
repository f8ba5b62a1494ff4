<#
    What a DSC engine does to find and run a class-based resource, step by step, reproduced from the engines' own source
    so that the tests can run the SsoSecretDsc resources as an engine would. The engines themselves are not installable
    here (PSDesiredStateConfiguration 2.x/3.x and the `dsc` command are not served by any registry this build uses).

    PSDesiredStateConfiguration 2.x/3.x: Get-DscResource and Invoke-DscResource (PSDesiredStateConfiguration.psm1),
    with the class cache of Microsoft.PowerShell.DscSubsystem (src/DscSubsystem/JsonDscClassCache.cs):
      1. The modules: Get-Module -ListAvailable (-FullyQualifiedName when a module is named; otherwise only the module
         folders of $env:PSModulePath that hold a <folder>.psd1, at most two levels down, with a line naming
         DscResourcesToExport outside a comment).
      2. A module whose listing declares no DSC exports (PSModuleInfo._declaredDscResourceExports, which the listing
         fills from DscResourcesToExport) is skipped; a binary module is refused on PowerShell 7.
      3. The script to parse: ModuleBase joined with RootModule, else the module's Path; then, once, each entry of the
         listing's NestedModules the same way.
      4. Parser.ParseFile. A file with parse errors yields nothing (and, from Get-DscResource, says nothing). The
         resources are the classes carrying an attribute that resolves to [DscResource] and whose names match the
         declared DSC exports.
      5. Each [DscProperty()] property of a resource becomes a schema property: every attribute on it is constructed
         (AttributeAst.GetAttribute, which throws for an attribute type that is not loaded), its .NET type is mapped to
         a CIM type (PSCredential: string with MSFT_Credential; an enum: string; an unsupported type throws), and Key,
         Mandatory (Required), NotConfigurable (Read) and ValidateSet's values become qualifiers.
      6. Invoke-DscResource: in a new runspace (InitialSessionState.CreateDefault2), `using module "<the listing's
         Path>"` and `[<class>]::new()`; each property set from the -Property hashtable ($instance.$key = $value); the
         method called; Test answers { InDesiredState }, Set { RebootRequired }, Get the object itself.

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

    This module loads nothing of SsoSecret's: run it in a new pwsh, as the engines run, so that nothing the tests
    imported can hide what an engine would meet.
#>

Set-StrictMode -Version Latest

$script:NonPublicInstance = [System.Reflection.BindingFlags]'Instance, NonPublic'

function Get-DeclaredDscExport([System.Management.Automation.PSModuleInfo] $Module) {
    # What JsonDscClassCache reads: the listing's declared DSC exports (null when the listing declares none).
    $field = [System.Management.Automation.PSModuleInfo].GetField('_declaredDscResourceExports', $script:NonPublicInstance)
    $declared = $field.GetValue($Module)
    if ($null -eq $declared) { return @() }
    @($declared)
}

function Get-DscModuleManifest {
    <#
        The module manifests both engines consider when no module is named: in each folder of $env:PSModulePath, each
        module folder's <folder>.psd1 (at most two levels down, so <name>/<version>/<name>.psd1 too) that has a line
        naming DscResourcesToExport outside a comment.
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

function ConvertTo-CimType([type] $Type, [string] $Member) {
    # JsonDscClassCache.MapTypeToMofType, for the types a resource can declare.
    $embedded = $null
    $isArray = $false
    if ($Type.IsValueType) {
        $underlying = [System.Nullable]::GetUnderlyingType($Type)
        if ($underlying) { $Type = $underlying }
    }
    if ($Type.IsArray) {
        $isArray = $true
        $Type = $Type.GetElementType()
    }
    $primitive = @{
        [sbyte] = 'sint8'; [byte] = 'uint8'; [int16] = 'sint16'; [uint16] = 'uint16'; [int] = 'sint32'; [uint32] = 'uint32'
        [long] = 'sint64'; [uint64] = 'uint64'; [single] = 'real32'; [double] = 'real64'; [bool] = 'boolean'
        [string] = 'string'; [datetime] = 'datetime'; [char] = 'char16'
    }
    if ($Type.IsEnum) { $cim = 'string' }
    elseif ($Type -eq [hashtable]) { $cim = 'string'; $isArray = $true; $embedded = 'MSFT_KeyValuePair' }
    elseif ($Type -eq [pscredential]) { $cim = 'string'; $embedded = 'MSFT_Credential' }
    elseif ($primitive.ContainsKey($Type)) { $cim = $primitive[$Type] }
    else {
        # The engine accepts a few more (classes with a default constructor and public properties); a resource that
        # needs one of them is not this module's.
        throw [System.NotSupportedException]::new("The property '$Member' has the type $Type, which the DSC class cache does not map.")
    }
    [pscustomobject]@{ CimType = $cim + $(if ($isArray) { 'Array' } else { '' }); ReferenceClassName = $embedded }
}

function ConvertTo-SchemaProperty([System.Management.Automation.Language.TypeDefinitionAst] $Class) {
    # JsonDscClassCache.ProcessMembers: the [DscProperty()] properties and their qualifiers.
    $getAttribute = [System.Management.Automation.Language.AttributeBaseAst].GetMethod('GetAttribute', $script:NonPublicInstance)
    $typeDefinitionField = [System.Management.Automation.Language.TypeName].GetField('_typeDefinitionAst', $script:NonPublicInstance)
    foreach ($member in $Class.Members) {
        $property = $member -as [System.Management.Automation.Language.PropertyMemberAst]
        if ($null -eq $property -or $property.IsStatic) { continue }
        if (-not ($property.Attributes | Where-Object { $_.TypeName.GetReflectionAttributeType() -eq [System.Management.Automation.DscPropertyAttribute] })) { continue }

        $attributes = foreach ($attributeAst in $property.Attributes) {
            try {
                $getAttribute.Invoke($attributeAst, @())
            }
            catch [System.Reflection.TargetInvocationException] {
                throw $_.Exception.InnerException
            }
        }

        $reflectionType = if ($null -eq $property.PropertyType) { [object] } else { $property.PropertyType.TypeName.GetReflectionType() }
        if ($null -ne $reflectionType) {
            $mapped = ConvertTo-CimType -Type $reflectionType -Member $property.Name
            $enumNames = if ($reflectionType.IsEnum) { [enum]::GetNames($reflectionType) } else { $null }
        }
        else {
            # A type defined in the script itself: the engine accepts an enum (as a string) and embeds a class.
            $definition = $typeDefinitionField.GetValue($property.PropertyType.TypeName)
            if ($null -eq $definition) {
                throw [System.NotSupportedException]::new("The property '$($property.Name)' has the type $($property.PropertyType.TypeName.FullName), which cannot be resolved.")
            }
            if (-not $definition.IsEnum) {
                throw [System.NotSupportedException]::new("The property '$($property.Name)' embeds the class $($definition.Name), which this harness does not follow.")
            }
            $mapped = [pscustomobject]@{ CimType = 'string'; ReferenceClassName = $null }
            $enumNames = @($definition.Members.Name)
        }

        $dsc = $attributes | Where-Object { $_ -is [System.Management.Automation.DscPropertyAttribute] } | Select-Object -First 1
        $validateSet = $attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
        [pscustomobject]@{
            Name               = $property.Name
            CimType            = $mapped.CimType
            ReferenceClassName = $mapped.ReferenceClassName
            Key                = [bool]$dsc.Key
            Required           = [bool]$dsc.Mandatory
            Read               = [bool]$dsc.NotConfigurable
            Values             = if ($validateSet) { @($validateSet.ValidValues) } else { $enumNames }
        }
    }
}

function Get-ClassResourceDefinition([string] $Path) {
    # JsonDscClassCache.GetResourceDefinitionsFromModule: only .psm1/.ps1, nothing from a file with parse errors.
    if ([string]::IsNullOrEmpty($Path) -or @('.psm1', '.ps1') -notcontains [System.IO.Path]::GetExtension($Path)) {
        return [pscustomobject]@{ Classes = @(); Problem = "'$Path' is not a .psm1 or .ps1 file." }
    }
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    if ($errors.Count -gt 0) {
        return [pscustomobject]@{ Classes = @(); Problem = "'$Path' has parse errors: $(($errors | ForEach-Object { "$($_.ErrorId): $($_.Message)" }) -join '; ')" }
    }
    $classes = $ast.FindAll({
            param($node)
            $type = $node -as [System.Management.Automation.Language.TypeDefinitionAst]
            $null -ne $type -and [bool]($type.Attributes | Where-Object { $_.TypeName.GetReflectionAttributeType() -eq [System.Management.Automation.DscResourceAttribute] })
        }, $false)
    [pscustomobject]@{ Classes = @($classes); Problem = $null }
}

function Find-PsDscClassResource {
    <#
        The class-based resources PSDesiredStateConfiguration's Get-DscResource lists, with what the class cache learns
        of each. -ModuleName: only that module (as Get-DscResource -Module). Skipped modules and files are reported in
        the Skipped property of a last object when -IncludeSkipped is given, so that a test can say why nothing was found.
    #>
    [CmdletBinding()]
    param([string] $ModuleName, [switch] $IncludeSkipped)

    $skipped = [System.Collections.Generic.List[string]]::new()
    $modules = if ($ModuleName) {
        Get-Module -ListAvailable -FullyQualifiedName $ModuleName
    }
    else {
        # A versioned folder (<name>/<version>/<name>.psd1): the module's name is the folder above the version.
        $names = @(Get-DscModuleManifest | ForEach-Object {
                $folder = Split-Path -Parent $_
                $leaf = Split-Path -Leaf $folder
                if ($leaf -as [version]) { Split-Path -Leaf (Split-Path -Parent $folder) } else { $leaf }
            } | Sort-Object -Unique)
        if ($names.Count -gt 0) { Get-Module -ListAvailable -Name $names }
    }

    foreach ($module in @($modules)) {
        $declared = @(Get-DeclaredDscExport $module)
        if ($declared.Count -eq 0) {
            $skipped.Add("$($module.Name) $($module.Version): its listing declares no DSC resources")
            continue
        }
        if ($module.ModuleType -eq [System.Management.Automation.ModuleType]::Binary) {
            throw [System.ArgumentException]::new("$($module.Name) is a binary module: PowerShell 7 cannot read DSC resources from it.")
        }

        $patterns = $declared | ForEach-Object { [System.Management.Automation.WildcardPattern]::new($_, 'IgnoreCase, CultureInvariant') }
        $scripts = @(
            [pscustomobject]@{ Of = $module.Name; Path = $(if ($null -ne $module.RootModule) { [System.IO.Path]::Join($module.ModuleBase, $module.RootModule) } else { $module.Path }) }
            foreach ($nested in @($module.NestedModules)) {
                [pscustomobject]@{ Of = "$($module.Name) (nested $($nested.Name))"; Path = $(if ($null -ne $nested.RootModule) { [System.IO.Path]::Join($nested.ModuleBase, $nested.RootModule) } else { $nested.Path }) }
            }
        )
        foreach ($script in $scripts) {
            $found = Get-ClassResourceDefinition -Path $script.Path
            if ($found.Problem) { $skipped.Add("$($script.Of): $($found.Problem)") }
            foreach ($class in $found.Classes) {
                if (-not ($patterns | Where-Object { $_.IsMatch($class.Name) })) { continue }
                [pscustomobject]@{
                    Name                 = $class.Name
                    ModuleName           = $module.Name
                    Version              = $module.Version.ToString()
                    ImplementationDetail = 'ClassBased'
                    # GetResourceFromKeyword: a class resource's Path is its module's (the manifest).
                    Path                 = $module.Path
                    ScriptPath           = $script.Path
                    Properties           = @(ConvertTo-SchemaProperty -Class $class)
                }
            }
        }
    }

    if ($IncludeSkipped) { [pscustomobject]@{ Skipped = @($skipped) } }
}

function Invoke-PsDscResource {
    <#
        Invoke-DscResource for a class-based resource: found as Get-DscResource finds it, created in a new runspace
        through `using module "<module manifest>"`, its properties set from the hashtable, the method called.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $ModuleName,
        [Parameter(Mandatory)] [ValidateSet('Get', 'Set', 'Test')] [string] $Method,
        [Parameter(Mandatory)] [hashtable] $Property
    )

    $resource = @(Find-PsDscClassResource -ModuleName $ModuleName | Where-Object { $_.Name -eq $Name })
    if ($resource.Count -ne 1) {
        throw "Invoke-DscResource found $($resource.Count) resources named $Name in module $ModuleName."
    }

    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $powershell = [powershell]::Create($iss)
    $null = $powershell.AddScript("using module `"$($resource[0].Path)`"`n`nreturn [$Name]::new()")
    $instance = $powershell.Invoke() | Select-Object -First 1
    if ($powershell.Streams.Error.Count -gt 0) { throw $powershell.Streams.Error[0] }
    foreach ($key in $Property.Keys) {
        $instance.$key = $Property.$key
    }

    $output = $instance.$Method()
    switch ($Method) {
        'Set' { [pscustomobject]@{ RebootRequired = $false } }
        'Test' { [pscustomobject]@{ InDesiredState = $output } }
        default { $output }
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

Export-ModuleMember -Function Find-PsDscClassResource, Invoke-PsDscResource, Find-DscV3Resource, Invoke-DscV3Operation
