<#
.SYNOPSIS
    Brings a master secret and a fresh backup of it to the desired state by calling the SsoSecret DSC resources
    directly, the way the DSC engine calls them: Test(), then Set() only when Test() is false, then Get().

.DESCRIPTION
    Runs on Windows PowerShell 5.1 and PowerShell 7 alike, without the DSC engine or PSDesiredStateConfiguration,
    for example from a scheduled task. It needs the SsoSecretDsc and SsoSecret modules, installed side by side in a
    folder of $env:PSModulePath. It states two things:

      SsoMasterSecret        the store holds a master secret; if it holds none, one is generated and backed up to
                             -BackupPath (a secret is never replaced, an existing file is never overwritten).
      SsoMasterSecretBackup  -BackupCopy is a backup of the store's current secret that opens with -Credential and
                             is younger than -MaximumAge days; if not, a fresh verified backup replaces it.

    Outputs one object per resource: whether it was already in the desired state, and its state afterwards (Get()).
    Get() never returns the password.

.EXAMPLE
    $credential = Get-Credential -UserName 'backup' -Message 'Master secret backup password'
    ./SsoSecretDsc-Direct.ps1 -StorePath 'C:\ProgramData\SsoSecret' -BackupPath 'D:\SsoBackups\generated.bak' `
        -BackupCopy 'D:\SsoBackups\monthly.bak' -Credential $credential
#>
[CmdletBinding()]
param(
    # The DSC module to use: a name from PSModulePath, or the path of SsoSecretDsc.psd1 (which finds SsoSecret itself,
    # through $env:PSModulePath).
    [string] $ModulePath = 'SsoSecretDsc',

    [Parameter(Mandatory = $true)] [string] $StorePath,
    [Parameter(Mandatory = $true)] [string] $BackupPath,
    [Parameter(Mandatory = $true)] [string] $BackupCopy,
    [Parameter(Mandatory = $true)] [pscredential] $Credential,
    [string] $PasswordHint,
    [ValidateSet('Interactive', 'Moderate', 'Sensitive')] [string] $KdfProfile = 'Moderate',
    [int] $MaximumAge = 30
)

$ErrorActionPreference = 'Stop'
$module = Import-Module $ModulePath -PassThru

function New-Resource([string] $Name, [hashtable] $Property) {
    # The classes live in the module; create them in its scope, then set the properties as a configuration would.
    $resource = & $module ([scriptblock]::Create("[$Name]::new()"))
    foreach ($key in $Property.Keys) { $resource.$key = $Property[$key] }
    $resource
}

$common = @{ StorePath = $StorePath; Credential = $Credential; KdfProfile = $KdfProfile }
if ($PSBoundParameters.ContainsKey('PasswordHint')) { $common.PasswordHint = $PasswordHint }

$secretProperties = @{ BackupPath = $BackupPath } + $common
$backupProperties = @{ Path = $BackupCopy; MaximumAge = $MaximumAge } + $common

# In order: the backup resource needs the secret (in a configuration: DependsOn = '[SsoMasterSecret]...').
$resources = @(
    New-Resource -Name SsoMasterSecret -Property $secretProperties
    New-Resource -Name SsoMasterSecretBackup -Property $backupProperties
)

foreach ($resource in $resources) {
    $inDesiredState = $resource.Test()
    if (-not $inDesiredState) {
        $resource.Set()
    }

    [pscustomobject]@{
        Resource       = $resource.GetType().Name
        InDesiredState = $inDesiredState
        State          = $resource.Get()
    }
}
