# SsoSecret's loader. On PowerShell 7 the cmdlets and their dependencies (BouncyCastle above all) live in a load
# context of their own, so another module's BouncyCastle, of any version and loaded before or after, neither breaks
# SsoSecret nor is broken by it. Windows PowerShell 5.1 has no load contexts: there the assembly is imported directly.

# Import time counts (a new pwsh that imports the module should take at most 150 ms more than one that does not), so
# this file runs no command it can do without: Join-Path would load the Microsoft.PowerShell.Management module, and
# Get-Command, the first command lookup of a session, costs more than everything else here. The engine's own
# Import-Module, asked for by its module-qualified name, is as safe from a function that shadows it.
$binFolder = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
$importModule = $ExecutionContext.InvokeCommand.GetCmdlet('Microsoft.PowerShell.Core\Import-Module')
if ($null -eq $importModule) {
    # Not expected on any edition; the slower lookup is still right.
    $importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
}

if ($PSVersionTable.PSEdition -eq 'Core') {
    # Once per process (a later import, -Force or in another runspace, finds them loaded). A marker of our own rather
    # than `'SsoSecret.Loader.LoadContext' -as [type]`, whose first use searches every loaded assembly.
    $domain = [System.AppDomain]::CurrentDomain
    if ($null -eq $domain.GetData('SsoSecret.Loader')) {
        # The types scripts name ([SsoSecret.KdfParameters], the output types) go to the default context, where
        # PowerShell resolves type names; they depend on nothing.
        # (Loaded directly rather than with Add-Type, whose first use costs a few hundred milliseconds.)
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default
        $null = $default.LoadFromAssemblyPath([System.IO.Path]::Combine($binFolder, 'SsoSecret.Types.dll'))
        $null = $default.LoadFromAssemblyPath([System.IO.Path]::Combine($binFolder, 'SsoSecret.Loader.dll'))
        $domain.SetData('SsoSecret.Loader', $binFolder)
    }
    $assembly = [SsoSecret.Loader.LoadContext]::Initialize($binFolder)
    $inner = & $importModule -Assembly $assembly -PassThru -Force
}
else {
    $inner = & $importModule -Name ([System.IO.Path]::Combine($binFolder, 'SsoSecret.dll')) -PassThru -Force
}

# The cmdlets belong to the inner module; make them this module's exports, so that the manifest's CmdletsToExport
# and Get-Command -Module SsoSecret see them.
$nonPublicInstance = [System.Reflection.BindingFlags]::NonPublic -bor [System.Reflection.BindingFlags]::Instance
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', $nonPublicInstance)
foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
}
