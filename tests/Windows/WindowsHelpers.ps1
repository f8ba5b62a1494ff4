<#
.SYNOPSIS
    What the Windows suites share, on top of tests/Pester/TestHelpers.ps1. Dot-sourced from each suite's BeforeAll
    inside the Windows-built PowerShell host under Wine (tests/Windows/Invoke-WindowsLane.ps1).
.DESCRIPTION
    Stores live under C:\SsoSecretLane\work, a machine-wide folder, not under $TestDrive: $TestDrive is in the user's
    profile (C:\users\<name>\Temp), where a store is a per-user store (that account alone), and Wine gives every file
    and folder an entry for SYSTEM, which a per-user store refuses (one test here shows it).
    Two of the module's test switches are on for the whole file (off again in Restore-WindowsTestEnvironment):
    WaiveKdfFloor (backups with a 64 KiB KDF, so the lane stays fast) and AssumeProtectedFolderDacl (Wine keeps no
    DACL flags, so the protected DACL the module gives a store folder always reads back as inherited: see
    TestSupport.cs and docs/security.md; the owner and every entry are still judged as Wine reports them).
#>

. (Join-Path $PSScriptRoot '../Pester/TestHelpers.ps1')

$script:OnWine = $null -ne (Get-ItemProperty -LiteralPath 'HKLM:\Software\Wine' -ErrorAction Ignore)
$script:WorkRoot = 'C:\SsoSecretLane\work'
$script:Work = Join-Path $WorkRoot ('{0}-{1}' -f [System.IO.Path]::GetFileNameWithoutExtension($MyInvocation.PSCommandPath), [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path $Work -Force
Set-TestSupport WaiveKdfFloor $true
Set-TestSupport AssumeProtectedFolderDacl $true

function Restore-WindowsTestEnvironment {
    Set-TestSupport WaiveKdfFloor $false
    Set-TestSupport AssumeProtectedFolderDacl $false
    Restore-TestEnvironment
}

function New-WorkPath {
    # A path under this file's work folder that does not exist yet.
    param([string] $Prefix = 'item')
    Join-Path $script:Work ('{0}-{1}' -f $Prefix, [guid]::NewGuid().ToString('N').Substring(0, 8))
}

function New-WorkSecret {
    # A new store under the work folder with a master secret and its binary backup (64 KiB KDF); returns both paths and
    # the New-SsoMasterSecret output.
    param([string] $StorePath = (New-WorkPath 'store'), [string] $BackupPath = "$(New-WorkPath 'backup').bak", [switch] $Armor)
    $info = New-TestSecret -StorePath $StorePath -BackupPath $BackupPath -KdfParameters $script:TinyKdf -Armor:$Armor
    [pscustomobject]@{ Store = $StorePath; Backup = $BackupPath; Info = $info }
}

function Get-Sddl {
    # A file's or folder's owner and DACL as Windows (here Wine) reports them.
    param([Parameter(Mandatory)] [string] $Path)
    (Get-Acl -LiteralPath $Path).Sddl
}

function Invoke-Vault {
    # What SsoSecret.Extension's functions do (the real SecretManagement is not in the lane): forward to the engine,
    # SsoSecret.VaultExtension, with an advanced function's own $PSCmdlet, as the extension's functions pass it.
    [CmdletBinding()]
    param([string] $Operation, [string] $Store, [string] $Name, [object] $Secret)
    $parameters = @{ StorePath = $Store }
    switch ($Operation) {
        'Set' { [SsoSecret.VaultExtension]::SetSecret($PSCmdlet, $Name, $Secret, $parameters, $null) }
        'Get' { [SsoSecret.VaultExtension]::GetSecret($PSCmdlet, $Name, $parameters) }
        'Info' { [SsoSecret.VaultExtension]::GetSecretInfo($PSCmdlet, '*', $parameters) }
        'Test' { [SsoSecret.VaultExtension]::TestSecretVault($PSCmdlet, $parameters) }
    }
}
