# SecretManagement's extension vault functions for SsoSecret. Each forwards to SsoSecret.VaultExtension (C#), which
# writes the value or the information to the pipeline itself and throws the module's own error records. The vault
# parameters (Register-SecretVault -VaultParameters) come as $AdditionalParameters: StorePath, optional; and Verbose,
# which SecretManagement adds when its own command was given -Verbose (it does not pass -Verbose itself).

function Get-Secret {
    [CmdletBinding()]
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::GetSecret($PSCmdlet, $Name, $AdditionalParameters)
}

function Set-Secret {
    [CmdletBinding()]
    param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::SetSecret($PSCmdlet, $Name, $Secret, $AdditionalParameters, $Metadata)
}

function Remove-Secret {
    [CmdletBinding()]
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::RemoveSecret($PSCmdlet, $Name, $AdditionalParameters)
}

function Get-SecretInfo {
    [CmdletBinding()]
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::GetSecretInfo($PSCmdlet, $Filter, $AdditionalParameters) | ForEach-Object {
        [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($_.Name, $_.Type, $VaultName, $_.Metadata)
    }
}

function Set-SecretInfo {
    [CmdletBinding()]
    param([string] $Name, [hashtable] $Metadata, [string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::SetSecretInfo($PSCmdlet, $Name, $Metadata, $AdditionalParameters)
}

function Test-SecretVault {
    [CmdletBinding()]
    param([string] $VaultName, [hashtable] $AdditionalParameters)
    if ($AdditionalParameters.Verbose) { $VerbosePreference = 'Continue' }
    [SsoSecret.VaultExtension]::TestSecretVault($PSCmdlet, $AdditionalParameters)
}
