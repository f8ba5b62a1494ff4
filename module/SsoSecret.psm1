# SsoSecret's loader. On PowerShell 7 the cmdlets and their dependencies (BouncyCastle above all) live in a load
# context of their own, so another module's BouncyCastle, of any version and loaded before or after, neither breaks
# SsoSecret nor is broken by it. Windows PowerShell 5.1 has no load contexts: there the assembly is imported directly.

$binFolder = Join-Path $PSScriptRoot 'bin'
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core

if ($PSVersionTable.PSEdition -eq 'Core') {
    if (-not ('SsoSecret.Loader.LoadContext' -as [type])) {
        # The types scripts name ([SsoSecret.KdfParameters], the output types) go to the default context, where
        # PowerShell resolves type names; they depend on nothing.
        # (Loaded directly rather than with Add-Type, whose first use costs a few hundred milliseconds.)
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default
        $null = $default.LoadFromAssemblyPath((Join-Path $binFolder 'SsoSecret.Types.dll'))
        $null = $default.LoadFromAssemblyPath((Join-Path $binFolder 'SsoSecret.Loader.dll'))
    }
    $assembly = [SsoSecret.Loader.LoadContext]::Initialize($binFolder)
    $inner = & $importModule -Assembly $assembly -PassThru -Force
}
else {
    $inner = & $importModule -Name (Join-Path $binFolder 'SsoSecret.dll') -PassThru -Force
}

# The cmdlets belong to the inner module; make them this module's exports, so that the manifest's CmdletsToExport
# and Get-Command -Module SsoSecret see them.
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
}
