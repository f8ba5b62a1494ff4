# Set-SsoSecretBackupPassword through the built module: the password changed in place (the file replaced only once the
# new one is proven) or beside it (-Destination), the store untouched, the old password no longer opening the new
# file while copies keep it, and every refusal leaving the file as it was.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Folder = New-TestFolder 'change'
    $script:Store = New-TestPath 'store'
    $script:Original = Join-Path $Folder 'original.bak'
    $script:Secret = New-TestSecret -StorePath $Store -BackupPath $Original
    $script:NewPassword = ConvertTo-SecureString 'a completely new passphrase' -AsPlainText -Force

    function Get-ErrorId([scriptblock] $Script, [object[]] $Arguments = @()) {
        $ErrorActionPreference = 'Stop'
        try { & ([scriptblock]::Create($Script.ToString())) @Arguments | Out-Null } catch { return $_.FullyQualifiedErrorId.Split(',')[0] }
        '<no error>'
    }

    function Copy-Backup([string] $Name) {
        $path = Join-Path (New-TestFolder 'copy') $Name
        Copy-Item -LiteralPath $Original -Destination $path
        if ($OnUnix) { [System.IO.File]::SetUnixFileMode($path, [System.IO.UnixFileMode]'UserRead, UserWrite') }
        $path
    }
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Set-SsoSecretBackupPassword' {
    It 'changes the password in place: the new password opens it, the old one no longer does, a copy still does' {
        $path = Copy-Backup 'in-place.bak'
        $copy = Copy-Backup 'copy.bak'
        $storeBefore = Get-FolderSnapshot $Store
        $info = Set-SsoSecretBackupPassword -Path $path -Password $Password -NewPassword $NewPassword -PasswordHint 'the new one' -Force -PassThru

        $info.Path | Should -Be $path
        $info.SecretId | Should -Be $Secret.SecretId
        $info.Fingerprint | Should -Be $Secret.Fingerprint
        $info.PasswordHint | Should -Be 'the new one'
        $info.Kdf.MemoryMiB | Should -Be 64 -Because 'the backup keeps its KDF parameters'
        (Test-SsoSecretBackup $path -Password $NewPassword -StorePath $Store -Detailed).MatchesCurrentSecret | Should -BeTrue
        (Test-SsoSecretBackup $path -Password $Password -Detailed).Status | Should -Be 'WrongPassword'
        Test-SsoSecretBackup $copy -Password $Password | Should -BeTrue -Because 'other copies still open with the old password'
        Get-FolderSnapshot $Store | Should -Be $storeBefore -Because 'the store is untouched'
        Get-FileNames (Split-Path $path) | Should -Be @('in-place.bak') -Because 'no temporary file is left'
        if ($OnUnix) { [System.IO.File]::GetUnixFileMode($path) | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'writes beside it with -Destination and leaves the original as it was' {
        $path = Copy-Backup 'source.bak'
        $before = Get-FileDigest $path
        $destination = Join-Path (Split-Path $path) 'for-the-dr-team.bak'
        Set-SsoSecretBackupPassword $path -Password $Password -NewPassword $NewPassword -PasswordHint 'DR' -Destination $destination -Confirm:$false
        Get-FileDigest $path | Should -Be $before
        Test-SsoSecretBackup $destination -Password $NewPassword | Should -BeTrue
        (Get-SsoSecretBackupInfo $destination).PasswordHint | Should -Be 'DR'
    }

    It 'keeps the armored form, and takes another KDF profile when asked' {
        $armored = Join-Path (New-TestFolder 'armored') 'a.txt'
        Backup-SsoMasterSecret -Path $armored -Password $Password -KdfProfile Interactive -Armor -StorePath $Store
        $info = Set-SsoSecretBackupPassword $armored -Password $Password -NewPassword $NewPassword -KdfParameters ([SsoSecret.KdfParameters]::new(65536, 4, 2)) -Force -PassThru
        $info.Armored | Should -BeTrue
        $info.Kdf.Iterations | Should -Be 4
        $info.Kdf.Parallelism | Should -Be 2
        (Get-Content -LiteralPath $armored)[0] | Should -BeExactly '-----BEGIN SSOSECRET BACKUP-----'
    }

    It 'changes nothing and asks nothing with -WhatIf' {
        $path = Copy-Backup 'whatif.bak'
        $before = Get-FileDigest $path
        Set-SsoSecretBackupPassword $path -WhatIf
        Get-FileDigest $path | Should -Be $before
    }

    It 'refuses <Case> with <Id> and leaves the file as it was' -ForEach @(
        @{ Case = 'a wrong current password'; Id = 'SsoSecret.WrongPassword'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $WrongPassword -NewPassword $NewPassword -Force } }
        @{ Case = 'a weak new password'; Id = 'SsoSecret.WeakPassword'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword (ConvertTo-SecureString 'short' -AsPlainText -Force) -Force } }
        @{ Case = 'a hint that holds the new password'; Id = 'SsoSecret.HintRevealsPassword'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -PasswordHint 'A completely new passphrase!' -Force } }
        @{ Case = 'no current password and no prompt'; Id = 'SsoSecret.PasswordRequired'; Run = { param($p) Set-SsoSecretBackupPassword $p -NewPassword $NewPassword -Force } }
        @{ Case = 'no new password and no prompt'; Id = 'SsoSecret.PasswordRequired'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -Force } }
        @{ Case = 'no confirmation possible'; Id = 'SsoSecret.ConfirmationRequired'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -Confirm } }
        @{ Case = 'weak KDF parameters'; Id = 'SsoSecret.WeakKdf'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -KdfParameters ([SsoSecret.KdfParameters]::new(1024, 1, 1)) -Force } }
        @{ Case = 'an existing destination without -Force'; Id = 'SsoSecret.BackupExists'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -Destination $Original -Confirm:$false } }
        @{ Case = 'a destination in a missing folder'; Id = 'SsoSecret.FolderNotFound'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -Destination (Join-Path $p 'x/y.bak') -Force } }
        @{ Case = 'a backup too costly to open'; Id = 'SsoSecret.KdfLimitExceeded'; Run = { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -MaximumKdfMemoryMiB 1 -Force } }
    ) {
        $path = Copy-Backup 'refused.bak'
        $before = Get-FileDigest $path
        $originalBefore = Get-FileDigest $Original
        Get-ErrorId $Run $path | Should -Be $Id
        Get-FileDigest $path | Should -Be $before
        Get-FileDigest $Original | Should -Be $originalBefore
        Get-FileNames (Split-Path $path) | Should -Be @('refused.bak')
    }

    It 'refuses a backup sealed to recovery keys (BackupKindMismatch): it has no password' {
        $key = New-SsoRecoveryKey -Path (Join-Path $Folder 'k.key') -Password $Password -KdfProfile Interactive
        $sealed = Join-Path $Folder 'sealed.bak'
        Backup-SsoMasterSecret -Path $sealed -Recipient $key.PublicKey -StorePath $Store
        $before = Get-FileDigest $sealed
        Get-ErrorId { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -Force } $sealed | Should -Be 'SsoSecret.BackupKindMismatch'
        Get-FileDigest $sealed | Should -Be $before
    }

    It 'reports <Case> with <Id>' -ForEach @(
        @{ Case = 'a missing file'; Id = 'SsoSecret.BackupNotFound'; File = 'Missing' }
        @{ Case = 'a damaged file'; Id = 'SsoSecret.DamagedBackup'; File = 'Damaged' }
        @{ Case = 'a tampered file'; Id = 'SsoSecret.TamperedBackup'; File = 'Tampered' }
        @{ Case = 'not a backup'; Id = 'SsoSecret.NotABackup'; File = 'NotABackup' }
        @{ Case = 'format version 3'; Id = 'SsoSecret.UnsupportedVersion'; File = 'UnsupportedVersion' }
    ) {
        $bad = New-BadBackupSet -Source $Original -Folder (New-TestFolder 'bad')
        $path = $bad[$File]
        $before = Get-FileDigest $path
        Get-ErrorId { param($p) Set-SsoSecretBackupPassword $p -Password $Password -NewPassword $NewPassword -Force } $path | Should -Be $Id
        Get-FileDigest $path | Should -Be $before
    }
}
