<#
.SYNOPSIS
    Makes the "store from another machine" the StoreProtection suite copies: run by the lane before the suites, in the
    same Wine prefix under another user name (Wine derives its DPAPI key from the user name, as Windows ties a
    machine-scope blob to the machine). Writes the store, its backup and foreign.json (what a test compares with) under
    -Folder, and nothing when it fails.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Folder
)

$ErrorActionPreference = 'Stop'
$env:SSOSECRET_TEST_MODULE = $ModulePath
# The helpers want a $TestDrive (their guard store goes there); this script is not a Pester run.
$TestDrive = Join-Path $env:TEMP ('ssosecret-foreign-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
. (Join-Path $PSScriptRoot '../Pester/TestHelpers.ps1')
Set-TestSupport WaiveKdfFloor $true
Set-TestSupport AssumeProtectedFolderDacl $true

Remove-Item -LiteralPath $Folder -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Path $Folder
$store = Join-Path $Folder 'store'
$backup = Join-Path $Folder 'foreign.bak'
$made = New-TestSecret -StorePath $store -BackupPath $backup -KdfParameters $TinyKdf
$state = Get-SsoMasterSecret -StorePath $store
[ordered]@{ Store = $store; Backup = $backup; SecretId = "$($made.SecretId)"; Fingerprint = $state.Fingerprint; User = $env:USER } |
    ConvertTo-Json | Set-Content -LiteralPath (Join-Path $Folder 'foreign.json') -Encoding utf8
Write-Output "Made the foreign store $store (secret $($made.SecretId)) as user '$env:USER'."
