@{
    # The SecretManagement extension vault of SsoSecret (docs/guide-vault.md): the functions SecretManagement calls,
    # in a nested module named <Module>.Extension as its contract asks, hidden from the user's commands. Each only
    # forwards to the C# engine (SsoSecret.VaultExtension in bin/SsoSecret.dll, which the root module loads).
    RootModule        = 'SsoSecret.Extension.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '5b0f3d8e-8d2c-4a57-9c1e-2f6d7a4b9e31'
    Author            = 'SsoSecret contributors'
    Copyright         = '(c) 2026 SsoSecret contributors. All rights reserved.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-Secret', 'Set-Secret', 'Remove-Secret', 'Get-SecretInfo', 'Set-SecretInfo', 'Test-SecretVault')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
