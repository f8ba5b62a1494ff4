# Permissions on Unix: every backup is created owner-only (0600), binary or armored, also when -Force replaces a file
# that others could read, and whatever the umask; the store is created owner-only (folder 0700, files 0600); a store
# that others can read or write is refused by every command that uses it, with SsoSecret.StoreInsecure and a message
# that names the file and the chmod that fixes it. (Windows protects the store with DPAPI instead: no mode bits.)

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    Import-Module $ModulePath -Force
    $script:Password = ConvertTo-SecureString 'permissions password' -AsPlainText -Force
    $script:Work = Join-Path $TestDrive 'work'
    $script:Store = Join-Path $Work 'store'
    New-Item -ItemType Directory -Path $Work | Out-Null
    if (-not $IsWindows) {
        New-SsoMasterSecret -BackupPath "$Work/new.bak" -Password $Password -StorePath $Store -KdfProfile Interactive | Out-Null
    }

    function Get-Mode([string] $Path) { [Convert]::ToString((Get-Item $Path -Force).UnixFileMode.value__ -band 0xFFF, 8) }
}

Describe 'Owner-only files' -Skip:$IsWindows {
    It 'the store is created 0700 with its files 0600' {
        Get-Mode $Store | Should -Be '700'
        Get-Mode "$Store/master-secret.dat" | Should -Be '600'
        Get-Mode "$Store/store.lock" | Should -Be '600'
    }

    It 'a backup is created 0600: <Form>' -ForEach @(
        @{ Form = 'New-SsoMasterSecret'; File = 'new.bak'; Make = { } }
        @{ Form = 'binary'; File = 'binary.bak'; Make = { Backup-SsoMasterSecret "$Work/binary.bak" -Password $Password -StorePath $Store -KdfProfile Interactive } }
        @{ Form = 'armored'; File = 'armored.bak'; Make = { Backup-SsoMasterSecret "$Work/armored.bak" -Password $Password -StorePath $Store -KdfProfile Interactive -Armor } }
    ) {
        & $Make
        Get-Mode "$Work/$File" | Should -Be '600'
    }

    It '-Force replacing a <Mode> file yields 0600 (<Form>)' -ForEach @(
        @{ Mode = '644'; Form = 'binary'; Armor = $false }
        @{ Mode = '666'; Form = 'armored'; Armor = $true }
        @{ Mode = '604'; Form = 'binary'; Armor = $false }
    ) {
        $path = Join-Path $Work "replaced-$Mode.bak"
        Set-Content -Path $path -Value 'an older file that others could read'
        chmod $Mode $path
        Get-Mode $path | Should -Be $Mode
        Backup-SsoMasterSecret $path -Password $Password -StorePath $Store -KdfProfile Interactive -Force -Armor:$Armor
        Get-Mode $path | Should -Be '600'
        Test-SsoSecretBackup $path -Password $Password | Should -BeTrue
    }

    It 'modes do not depend on the umask (a process with umask 000)' {
        $other = Join-Path $TestDrive 'umask'
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $script = Join-Path $TestDrive 'umask.ps1'
        Set-Content -Path $script -Value @"
`$ErrorActionPreference = 'Stop'
`$pw = ConvertTo-SecureString 'permissions password' -AsPlainText -Force
Import-Module '$ModulePath'
New-SsoMasterSecret -BackupPath '$other/new.bak' -Password `$pw -StorePath '$other/store' -KdfProfile Interactive | Out-Null
Backup-SsoMasterSecret '$other/armored.bak' -Password `$pw -StorePath '$other/store' -KdfProfile Interactive -Armor
"@
        New-Item -ItemType Directory -Path $other | Out-Null
        $output = bash -c "umask 000 && touch '$other/probe' && exec dotnet '$pwsh' -NoProfile -NonInteractive -File '$script'" 2>&1
        Get-Mode "$other/probe" | Should -Be '666' -Because 'the umask really is 000 in that process'
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        Get-Mode "$other/store" | Should -Be '700'
        Get-Mode "$other/store/master-secret.dat" | Should -Be '600'
        Get-Mode "$other/store/store.lock" | Should -Be '600'
        Get-Mode "$other/new.bak" | Should -Be '600'
        Get-Mode "$other/armored.bak" | Should -Be '600'
    }
}

Describe 'A store open to others is refused' -Skip:$IsWindows {
    BeforeEach {
        chmod 700 $Store
        chmod 600 "$Store/master-secret.dat" "$Store/store.lock"
    }

    AfterAll {
        chmod 700 $Store
        chmod 600 "$Store/master-secret.dat" "$Store/store.lock"
    }

    It '<Item> at <Mode>: <Command> gets SsoSecret.StoreInsecure naming the file and the chmod' -ForEach @(
        foreach ($case in @(
                @{ Item = 'the folder'; Target = ''; Mode = '755'; Fix = 'chmod 700' }
                @{ Item = 'the folder'; Target = ''; Mode = '750'; Fix = 'chmod 700' }
                @{ Item = 'the store file'; Target = 'master-secret.dat'; Mode = '644'; Fix = 'chmod 600' }
                @{ Item = 'the store file'; Target = 'master-secret.dat'; Mode = '660'; Fix = 'chmod 600' }
                @{ Item = 'the lock file'; Target = 'store.lock'; Mode = '606'; Fix = 'chmod 600' })) {
            foreach ($command in 'Get-SsoMasterSecret', 'Backup-SsoMasterSecret', 'Restore-SsoMasterSecret', 'New-SsoMasterSecret') {
                $case + @{ Command = $command }
            }
        }
    ) {
        $target = if ($Target) { Join-Path $Store $Target } else { $Store }
        chmod $Mode $target
        $before = Get-FileHash "$Store/master-secret.dat"
        $call = @{
            'Get-SsoMasterSecret'     = { Get-SsoMasterSecret -StorePath $Store }
            'Backup-SsoMasterSecret'  = { Backup-SsoMasterSecret "$Work/refused.bak" -Password $Password -StorePath $Store -KdfProfile Interactive }
            'Restore-SsoMasterSecret' = { Restore-SsoMasterSecret "$Work/new.bak" -Password $Password -StorePath $Store -Force }
            'New-SsoMasterSecret'     = { New-SsoMasterSecret -BackupPath "$Work/refused.bak" -Password $Password -StorePath $Store -KdfProfile Interactive -Force }
        }[$Command]
        $caught = $null
        try { & $call } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because "$Command must refuse the store"
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreInsecure,*'
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.TargetObject | Should -Be $target
        $caught.Exception.Message | Should -BeLike "*'$target'*open to other users (mode $Mode)*"
        $caught.Exception.Message | Should -BeLike "*$Fix '$target'*"
        $caught.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        (Get-FileHash "$Store/master-secret.dat").Hash | Should -Be $before.Hash
        Test-Path "$Work/refused.bak" | Should -BeFalse -Because 'nothing is written for an insecure store'
    }

    It 'the chmod the message names is the fix' {
        chmod 755 $Store
        try { Get-SsoMasterSecret -StorePath $Store } catch { $message = $_.Exception.Message }
        $message -match "(chmod \d+ '[^']+')" | Should -BeTrue
        bash -c $Matches[1]
        $LASTEXITCODE | Should -Be 0
        (Get-SsoMasterSecret -StorePath $Store -WarningAction SilentlyContinue).Fingerprint | Should -Not -BeNullOrEmpty
    }

    It 'Test-SsoSecretBackup still tests the backup, and warns that it cannot compare with an insecure store' {
        chmod 755 $Store
        $result = Test-SsoSecretBackup "$Work/new.bak" -Password $Password -StorePath $Store -Detailed -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Status | Should -Be 'Valid'
        $result.MatchesCurrentSecret | Should -BeNullOrEmpty
        "$warnings" | Should -BeLike '*chmod 700*'
    }
}
