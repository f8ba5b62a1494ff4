@{
    RootModule             = 'bin/SsoSecret.dll'
    ModuleVersion          = '1.0.0'
    GUID                   = '2371e891-18d0-4a6f-910d-b74e51a70d9d'
    Author                 = 'SsoSecret contributors'
    CompanyName            = 'SsoSecret'
    Copyright              = '(c) 2026 SsoSecret contributors. All rights reserved.'
    Description            = 'Generates, backs up, verifies and restores a master secret (as BizTalk ENTSSO''s ssoconfig -backupSecret does) in a documented, versioned, password-protected envelope (Argon2id, ChaCha20-Poly1305, key commitment) built on BouncyCastle.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')
    FormatsToProcess       = @('SsoSecret.Format.ps1xml')
    TypesToProcess         = @('SsoSecret.Types.ps1xml')
    # The SecretManagement extension vault (Register-SecretVault -ModuleName SsoSecret); its functions are not exported.
    NestedModules          = @('SsoSecret.Extension')
    FunctionsToExport      = @()
    CmdletsToExport        = @(
        'New-SsoMasterSecret'
        'Get-SsoMasterSecret'
        'Backup-SsoMasterSecret'
        'Restore-SsoMasterSecret'
        'Test-SsoSecretBackup'
        'Get-SsoSecretBackupInfo'
        'Measure-SsoKdf'
        'Protect-SsoData'
        'Unprotect-SsoData'
        'Update-SsoProtectedData'
        'Remove-SsoPreviousSecret'
        'Split-SsoMasterSecret'
        'Test-SsoSecretShare'
        'New-SsoRecoveryKey'
        'Get-SsoRecoveryKey'
        'Set-SsoSecretBackupPassword'
        'Export-SsoVault'
        'Import-SsoVault'
        'Repair-SsoVault'
        'Initialize-SsoEnvironment'
        'Get-SsoEnvironment'
        'Join-SsoEnvironment'
        'Export-SsoSealedRing'
        'Import-SsoSealedRing'
        'Get-SsoSealedRing'
        'Sync-SsoEnvironment'
        'Get-SsoEnvironmentHealth'
        'Enable-SsoStagedSecret'
        'Remove-SsoReplica'
    )
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags       = @('Security', 'Backup', 'Secret', 'SecretManagement', 'ENTSSO', 'BizTalk', 'Argon2', 'Encryption', 'Linux', 'Windows', 'MacOS')
            ProjectUri = 'https://example.invalid/SsoSecret'
        }
    }
}
