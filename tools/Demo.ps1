<#
.SYNOPSIS
    The main job, start to end, on the embedded default (a local store, no server): generate a master secret with
    its backup, look at it, back it up again, verify the backups, and restore the secret into a new store.
.DESCRIPTION
    Started by `build.ps1 -Task Demo`. A person at a terminal is asked for a new password (twice) and the hint, then
    for the password twice more (once for the steps that follow, once by the restore, after it shows the hint), and
    for the confirmations, as an administrator would be. Without a terminal (CI, a pipe, a scheduled job) it runs unattended
    with a random password that is never shown, and prompts for nothing.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkFolder
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$interactive = [Environment]::UserInteractive -and -not [Console]::IsInputRedirected -and -not [Console]::IsOutputRedirected -and
    -not $env:CI -and $Host.Name -eq 'ConsoleHost'

if (Test-Path $WorkFolder) { Remove-Item $WorkFolder -Recurse -Force }
$backups = New-Item -ItemType Directory -Path (Join-Path $WorkFolder 'backups')
$store = Join-Path $WorkFolder 'store'
$newServer = Join-Path $WorkFolder 'store-on-the-new-server'

function Step([string] $text) { Write-Host "`n== $text" -ForegroundColor Cyan }

if ($interactive) {
    Write-Host 'SsoSecret demo. You will be asked for a new backup password (twice) and a hint, as ssoconfig -generateSecret asks; then for the same password twice more: once for the steps that follow, and once by the restore, after it shows the hint.'
    $passwordArguments = @{}
}
else {
    Write-Host 'SsoSecret demo, unattended: a random backup password is used and never shown.'
    $bytes = [byte[]]::new(24)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    $password = [System.Security.SecureString]::new()
    foreach ($c in [Convert]::ToBase64String($bytes).ToCharArray()) { $password.AppendChar($c) }
    $password.MakeReadOnly()
    [Array]::Clear($bytes, 0, $bytes.Length)
    $passwordArguments = @{ Password = $password; PasswordHint = 'demo: a random password that was never shown' }
}

Step "1. Generate a master secret and write its backup in one step (store: $store)"
$first = Join-Path $backups 'master-secret.bak'
New-SsoMasterSecret -BackupPath $first -StorePath $store @passwordArguments -PassThru | Format-List | Out-Host

Step '2. The store''s secret: id, fingerprint, last backup (never the secret itself)'
Get-SsoMasterSecret -StorePath $store | Format-List | Out-Host

if ($interactive) {
    # Type the password once more for the steps that follow, as an administrator would for each command.
    $password = Read-Host -AsSecureString -Prompt 'The backup password again, for the next steps'
    $passwordArguments = @{ Password = $password }
}

Step '3. A second backup, in the armored text form (for a password manager or paper)'
$second = Join-Path $backups 'master-secret.txt'
Backup-SsoMasterSecret -Path $second -StorePath $store -Armor -PassThru -Password $password -PasswordHint 'same as the first backup' | Out-Host
Get-Content $second | Out-Host

Step '4. What a backup tells without its password'
Get-ChildItem $backups | Get-SsoSecretBackupInfo | Format-Table | Out-Host

Step '5. Verify every backup: intact, opens with the password, holds the current secret (nothing is restored)'
Get-ChildItem $backups | Test-SsoSecretBackup -Password $password -StorePath $store -Detailed | Format-Table | Out-Host

Step "6. Restore the secret on a new master secret server (a new, empty store: $newServer)"
if ($interactive) {
    # Shows the password reminder, asks for the password and for confirmation, as ssoconfig -restoreSecret does.
    $restored = Restore-SsoMasterSecret -Path $first -StorePath $newServer -PassThru
}
else {
    $restored = Restore-SsoMasterSecret -Path $first -StorePath $newServer -Password $password -Force -PassThru
}
$restored | Format-List | Out-Host

$original = Get-SsoMasterSecret -StorePath $store -WarningAction SilentlyContinue
if ($restored.Fingerprint -ne $original.Fingerprint) { throw 'The restored secret differs from the original.' }

Step '7. Put the secret to work: a value protected on the first server opens on the restored one'
$protected = 'Db-Passw0rd-of-the-demo' | Protect-SsoData -Purpose 'demo/db-password' -StorePath $store
"Protected text (safe in a config file): $protected" | Out-Host
$opened = $protected | Unprotect-SsoData -Purpose 'demo/db-password' -StorePath $newServer
"Opened on the new server as a $($opened.GetType().Name) of $($opened.Length) characters (not shown)." | Out-Host
Step "Done: the restored secret has the original's fingerprint ($($original.Fingerprint)). Files are in $WorkFolder."
