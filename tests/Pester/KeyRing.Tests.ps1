# The store's key ring through the built module (issue 24): the five ways the lifecycle lost secrets, each reproduced
# as an administrator following the guides (or an attacker who can write the backup share) would, and now held; the
# ring's bound; retirement by id, checked against the application's files; backups of earlier secrets; a version 1
# store migrated in place.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Set-KdfFloorWaiver $true
    $script:Folder = New-TestFolder 'ring'

    function New-Ring([string] $Name, [int] $Rotations) {
        # A store rotated $Rotations times, month by month with dated backups, and a value protected under each secret.
        $store = New-TestPath "$Name-store"
        $secrets = [System.Collections.Generic.List[object]]::new()
        $values = [System.Collections.Generic.List[string]]::new()
        for ($i = 0; $i -le $Rotations; $i++) {
            $secrets.Add((New-TestSecret -StorePath $store -BackupPath (Join-Path $Folder "$Name-$i.bak") -KdfParameters $TinyKdf -Force:($i -gt 0)))
            $values.Add(("value $i" | Protect-SsoData -Purpose 'app/db' -StorePath $store))
        }

        [pscustomobject]@{ Store = $store; Secrets = $secrets; Values = $values }
    }

    function Get-HostText([scriptblock] $Command) {
        # What a command writes to the host ("What if:" lines among it), as a transcript records it.
        $transcript = Join-Path $Folder ("host-{0}.txt" -f [guid]::NewGuid())
        Start-Transcript -LiteralPath $transcript | Out-Null
        try { & $Command | Out-Null } finally { Stop-Transcript | Out-Null }
        Get-Content -Raw -LiteralPath $transcript
    }
}

AfterAll {
    Set-KdfFloorWaiver $false
    Restore-TestEnvironment
}

Describe 'Rotations keep every secret (1: a second rotation used to drop the previous one)' {
    It 'the monthly rotation run three times: every value opens, and Get-SsoMasterSecret lists the earlier secrets, the newest first' {
        $ring = New-Ring 'monthly' 3
        for ($i = 0; $i -lt 4; $i++) {
            $ring.Values[$i] | Unprotect-SsoData -Purpose 'app/db' -StorePath $ring.Store -AsPlainText | Should -BeExactly "value $i"
        }

        $info = Get-SsoMasterSecret -StorePath $ring.Store -WarningVariable warnings -WarningAction SilentlyContinue
        $info.SecretId | Should -Be $ring.Secrets[3].SecretId
        @($info.PreviousSecrets.SecretId) | Should -Be @($ring.Secrets[2].SecretId, $ring.Secrets[1].SecretId, $ring.Secrets[0].SecretId)
        $info.PreviousSecretId | Should -Be $ring.Secrets[2].SecretId
        $info.PreviousSecrets[2].LastBackupPath | Should -Be (Join-Path $Folder 'monthly-0.bak')
        $info.PreviousSecrets[0].Replaced | Should -BeGreaterOrEqual $info.PreviousSecrets[1].Replaced
        $warnings | Should -HaveCount 0 -Because 'every secret of the ring has a backup recorded'
        ($info | Format-Table | Out-String -Width 300) | Should -Match "3: $($ring.Secrets[2].SecretId)"
    }

    It '-WhatIf and -Verbose say what the ring keeps and that nothing is retired' {
        $ring = New-Ring 'said' 1
        $whatIf = Get-HostText { New-SsoMasterSecret -BackupPath (Join-Path $Folder 'said-next.bak') -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force -WhatIf }
        $whatIf | Should -BeLike "*Replace master secret $($ring.Secrets[1].SecretId) with a new one*The key ring keeps master secret $($ring.Secrets[1].SecretId) as an earlier secret*and its 1 other earlier secret(s) ($($ring.Secrets[0].SecretId)): 3 secrets in all; none is retired.*"
        $verbose = New-SsoMasterSecret -BackupPath (Join-Path $Folder 'said-next.bak') -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        ($verbose -join "`n") | Should -BeLike "*The key ring keeps master secret $($ring.Secrets[1].SecretId)*none is retired*"
        ($verbose -join "`n") | Should -BeLike "*The key ring holds 3 secret(s)*"
    }

    It 'a full ring (32 secrets) refuses the 33rd with KeyRingFull before anything is written, naming the oldest' {
        $ring = New-Ring 'full' 31
        (Get-SsoMasterSecret -StorePath $ring.Store).PreviousSecrets | Should -HaveCount 31
        $before = Get-FolderSnapshot $ring.Store
        $next = Join-Path $Folder 'full-32.bak'
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath $next -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force -ErrorAction Stop }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.KeyRingFull,*'
        $caught.Exception.Message | Should -BeLike "*holds 32 master secrets*never drops one*oldest earlier secret is $($ring.Secrets[0].SecretId)*"
        $caught.ErrorDetails.RecommendedAction | Should -BeLike "*Remove-SsoPreviousSecret -SecretId $($ring.Secrets[0].SecretId)*"
        Test-Path $next | Should -BeFalse
        Get-FolderSnapshot $ring.Store | Should -Be $before

        # Retire one (its values rewrapped first), and the rotation goes through.
        Remove-SsoPreviousSecret -SecretId $ring.Secrets[0].SecretId -StorePath $ring.Store -Force
        $null = New-SsoMasterSecret -BackupPath $next -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force
        (Get-SsoMasterSecret -StorePath $ring.Store).PreviousSecrets | Should -HaveCount 31
    }
}

Describe 'Backups of secrets of the ring are never overwritten (2 and 3: the same-path cron line, DSC)' {
    It 'New-SsoMasterSecret -Force over the backup of an earlier secret (not only the previous one): BackupStillNeeded, nothing generated' {
        $ring = New-Ring 'cron' 2
        $oldest = Join-Path $Folder 'cron-0.bak'
        $digest = Get-FileDigest $oldest
        $before = Get-FolderSnapshot $ring.Store
        $caught = Get-Refusal { New-SsoMasterSecret -BackupPath $oldest -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force -ErrorAction Stop }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.BackupStillNeeded,*'
        $caught.Exception.Message | Should -BeLike "*backup of master secret $($ring.Secrets[0].SecretId)*as its earlier secret (replaced *"
        Get-FileDigest $oldest | Should -Be $digest
        Get-FolderSnapshot $ring.Store | Should -Be $before

        # Backup-SsoMasterSecret -Force over it: refused too.
        (Get-Refusal { Backup-SsoMasterSecret -Path $oldest -StorePath $ring.Store -Password $Password -KdfParameters $TinyKdf -Force -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.BackupStillNeeded,*'
        Get-FileDigest $oldest | Should -Be $digest
    }
}

Describe 'Ids are identities (4: a forged backup under an earlier secret''s id)' {
    It 'a backup of another secret under the id of an earlier secret of the ring is refused (SecretIdConflict), never installed' {
        $ring = New-Ring 'forged' 2
        $realId = $ring.Secrets[0].SecretId
        $core = Get-CoreAssembly
        $hers = [byte[]]::new(32)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($hers)
        $forged = Join-Path $Folder 'forged.bak'
        $prepare = $core.GetType('SsoSecret.IO.PreparedBackup').GetMethod('Prepare', [System.Reflection.BindingFlags]'NonPublic, Static')
        $prepared = $prepare.Invoke($null, @([string]$forged, $hers, [guid]$realId, 'hint', [System.Text.Encoding]::UTF8.GetBytes('correct horse battery staple'), $TinyKdf, $false, $false, $true))
        $prepared.GetType().GetMethod('Commit', [System.Reflection.BindingFlags]'NonPublic, Instance').Invoke($prepared, @($false)) |
            ForEach-Object { $_.GetType().GetMethod('Keep', [System.Reflection.BindingFlags]'NonPublic, Instance').Invoke($_, @()) }
        (Get-SsoSecretBackupInfo $forged).SecretId | Should -Be $realId

        $before = Get-FolderSnapshot $ring.Store
        $caught = Get-Refusal { Restore-SsoMasterSecret -LiteralPath $forged -Password $Password -StorePath $ring.Store -Force -ErrorAction Stop }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.SecretIdConflict,*'
        $caught.Exception.Message | Should -BeLike "*holds master secret $realId as its earlier secret*"
        Get-FolderSnapshot $ring.Store | Should -Be $before
        $ring.Values[0] | Unprotect-SsoData -Purpose 'app/db' -StorePath $ring.Store -AsPlainText | Should -BeExactly 'value 0'
    }

    It 'restoring the real backup of an earlier secret makes it current again, says so, and keeps the one it replaces' {
        $ring = New-Ring 'back' 2
        $whatIf = Get-HostText { Restore-SsoMasterSecret -LiteralPath (Join-Path $Folder 'back-0.bak') -StorePath $ring.Store -WhatIf }
        $whatIf | Should -BeLike "*Master secret $($ring.Secrets[0].SecretId), an earlier secret of the key ring, becomes current again.*keeps master secret $($ring.Secrets[2].SecretId)*3 secrets in all; none is retired*"
        $after = Restore-SsoMasterSecret -LiteralPath (Join-Path $Folder 'back-0.bak') -Password $Password -StorePath $ring.Store -Force -PassThru
        $after.SecretId | Should -Be $ring.Secrets[0].SecretId
        @($after.PreviousSecrets.SecretId) | Should -Be @($ring.Secrets[2].SecretId, $ring.Secrets[1].SecretId)
        for ($i = 0; $i -lt 3; $i++) {
            $ring.Values[$i] | Unprotect-SsoData -Purpose 'app/db' -StorePath $ring.Store -AsPlainText | Should -BeExactly "value $i"
        }
    }
}

Describe 'Retiring by id (Remove-SsoPreviousSecret -SecretId)' {
    It 'refuses while a file given with -ProtectedDataPath holds a value under the secret (SecretStillInUse), and retires once it is rewrapped' {
        $ring = New-Ring 'retire' 1
        $config = Join-Path $Folder 'retire-app.json'
        @{ Server = 'db01'; Password = $ring.Values[0] } | ConvertTo-Json | Set-Content -LiteralPath $config
        $old = $ring.Secrets[0].SecretId
        $before = Get-FolderSnapshot $ring.Store
        $caught = Get-Refusal { Remove-SsoPreviousSecret -SecretId $old -ProtectedDataPath (Join-Path $Folder 'retire-*.json') -StorePath $ring.Store -Force -ErrorAction Stop }
        $caught.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.SecretStillInUse,*'
        $caught.Exception.Message | Should -BeLike "*'$config': 1 value(s) under $old*Nothing was retired.*"
        Get-FolderSnapshot $ring.Store | Should -Be $before

        Update-SsoProtectedData -LiteralPath $config -Purpose 'app/db' -StorePath $ring.Store
        $info = Get-ChildItem -LiteralPath $config | Remove-SsoPreviousSecret -SecretId $old -StorePath $ring.Store -Force -PassThru
        $info.PreviousSecrets | Should -HaveCount 0
        (Get-Content $config -Raw | ConvertFrom-Json).Password | Unprotect-SsoData -Purpose 'app/db' -StorePath $ring.Store -AsPlainText | Should -BeExactly 'value 0'
        (Get-Refusal { $ring.Values[0] | Unprotect-SsoData -Purpose 'app/db' -StorePath $ring.Store -ErrorAction Stop }).FullyQualifiedErrorId | Should -BeLike 'SsoSecret.UnknownSecret,*'
    }

    It 'never retires the current secret (SecretIsCurrent), and the question names each secret with its fingerprint and last backup' {
        $ring = New-Ring 'current' 2
        $before = Get-FolderSnapshot $ring.Store
        (Get-Refusal { Remove-SsoPreviousSecret -SecretId $ring.Secrets[0].SecretId, $ring.Secrets[2].SecretId -StorePath $ring.Store -Force -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.SecretIsCurrent,*'
        Get-FolderSnapshot $ring.Store | Should -Be $before
        $said = Get-HostText { Remove-SsoPreviousSecret -SecretId $ring.Secrets[0].SecretId -StorePath $ring.Store -WhatIf }
        $said | Should -BeLike "*Retire master secret $($ring.Secrets[0].SecretId) (fingerprint $($ring.Secrets[0].Fingerprint), replaced *, last backed up * to '$(Join-Path $Folder 'current-0.bak')')*"

        # Every earlier secret through the pipeline, at once.
        $info = (Get-SsoMasterSecret -StorePath $ring.Store).PreviousSecrets | Remove-SsoPreviousSecret -StorePath $ring.Store -Force -PassThru
        $info.SecretId | Should -Be $ring.Secrets[2].SecretId
        $info.PreviousSecrets | Should -HaveCount 0
    }
}

Describe 'A version 1 store (made before the key ring), migrated in place' {
    BeforeAll {
        # The page's version 1 vector: a current secret with its last backup, and a previous secret with none.
        $script:V1 = Get-PageVector 'Version 1' 'store-format.md'
    }

    It 'is read as it is: Get-SsoMasterSecret lists its previous secret and warns that no backup of it is recorded; the file is not rewritten' {
        $store = New-TestFolder 'v1-read'
        if ($IsLinux -or $IsMacOS) { chmod 700 $store }
        $file = Join-Path $store 'master-secret.dat'
        [System.IO.File]::WriteAllBytes($file, $V1.File)
        if ($IsLinux -or $IsMacOS) { chmod 600 $file }
        $info = Get-SsoMasterSecret -StorePath $store -WarningVariable warnings -WarningAction SilentlyContinue
        $info.SecretId | Should -Be $V1.Fields['current id']
        $info.LastBackupPath | Should -Be $V1.Fields['backup path']
        @($info.PreviousSecrets.SecretId) | Should -Be @([guid]$V1.Fields['previous id'])
        ($warnings -join "`n") | Should -BeLike "*No backup of the earlier master secret $($V1.Fields['previous id'])*is recorded in this store*Backup-SsoMasterSecret -SecretId $($V1.Fields['previous id'])*"
        [System.IO.File]::ReadAllBytes($file) | Should -Be $V1.File

        # Backed up by id, the warning goes; the store is now version 2 with both secrets.
        $saved = Join-Path $Folder 'v1-previous.bak'
        Backup-SsoMasterSecret -Path $saved -SecretId $V1.Fields['previous id'] -StorePath $store -Password $Password -KdfParameters $TinyKdf
        (Get-SsoSecretBackupInfo $saved).Fingerprint | Should -Be $info.PreviousSecrets[0].Fingerprint
        $null = Get-SsoMasterSecret -StorePath $store -WarningVariable after -WarningAction SilentlyContinue
        $after | Where-Object { "$_" -like '*No backup*' } | Should -HaveCount 0 -Because 'the vector''s current secret was backed up, long ago (that warning stays)'
        $written = [System.IO.File]::ReadAllBytes($file)
        $written[9] | Should -Be 2
        (Get-SsoMasterSecret -StorePath $store).PreviousSecrets[0].LastBackupPath | Should -Be $saved

        (Get-Refusal { Backup-SsoMasterSecret -Path (Join-Path $Folder 'none.bak') -SecretId ([guid]::NewGuid()) -StorePath $store -Password $Password -KdfParameters $TinyKdf -ErrorAction Stop }).FullyQualifiedErrorId |
            Should -BeLike 'SsoSecret.SecretNotInStore,*'
    }
}
