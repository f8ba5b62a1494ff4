@{
    # The class-based DSC resources of SsoSecret, as a module of their own (the convention of SqlServer/SqlServerDsc):
    # the DSC engines find class resources by parsing a module's RootModule script, so the classes must live in one.
    # They do their work through SsoSecret's cmdlets, found through RequiredModules (normal module resolution).
    RootModule             = 'SsoSecretDsc.psm1'
    ModuleVersion          = '1.0.0'
    GUID                   = 'a11b6538-859b-48bc-a077-f7501179e825'
    Author                 = 'SsoSecret contributors'
    CompanyName            = 'SsoSecret'
    Copyright              = '(c) 2026 SsoSecret contributors. All rights reserved.'
    Description            = 'DSC resources for SsoSecret: SsoMasterSecret (the store holds a master secret, generated with its backup if missing), SsoMasterSecretBackup (a file is a verified, recent backup of the current secret) and SsoReplica (the store is a replica of the configured master, holding the ring the master published for it).'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')
    # The same release of SsoSecret: the two modules are built, tested and shipped together.
    RequiredModules        = @(
        @{ ModuleName = 'SsoSecret'; RequiredVersion = '1.0.0'; GUID = '2371e891-18d0-4a6f-910d-b74e51a70d9d' }
    )
    FunctionsToExport      = @()
    # A wildcard, and on purpose: `Get-Module -ListAvailable`, where every DSC engine starts, reads DscResourcesToExport
    # only when one of Functions-, Cmdlets- or AliasesToExport is missing or has a wildcard (otherwise it stops early and
    # the listing's ExportedDscResources is empty, so the engines skip the module). The module defines no cmdlets.
    CmdletsToExport        = '*'
    VariablesToExport      = @()
    AliasesToExport        = @()
    DscResourcesToExport   = @('SsoMasterSecret', 'SsoMasterSecretBackup', 'SsoReplica')
    PrivateData            = @{
        PSData = @{
            Tags       = @('DSC', 'DscResources', 'DesiredStateConfiguration', 'Security', 'Backup', 'Secret', 'ENTSSO', 'BizTalk', 'Replica', 'Linux', 'Windows', 'MacOS')
            ProjectUri = 'https://example.invalid/SsoSecret'
        }
    }
}
