# Sealed rings through files, as a replica pulls them: Export-SsoSealedRing -Path (a file, or <replica fingerprint>.ssring
# in a folder), Get-SsoSealedRing (the header proven with public keys only) and Import-SsoSealedRing -Path. Real stores
# under $TestDrive: a master and replicas of it, a master of another environment.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    function New-Master([string] $Name) {
        $store = Join-Path $TestDrive $Name
        New-SsoMasterSecret -StorePath $store -BackupPath "$store-initial.bak" -Password $Password -KdfProfile Interactive -Confirm:$false | Out-Null
        Initialize-SsoEnvironment -StorePath $store
    }

    function New-Replica([string] $Name, $Master) {
        Join-SsoEnvironment -StorePath (Join-Path $TestDrive $Name) -EnvironmentId $Master.EnvironmentId -MasterPublicKey $Master.MasterPublicKey -Force
    }

    function Get-StoreHash([string] $Store) {
        (Get-FileHash -LiteralPath (Join-Path $Store 'master-secret.dat') -Algorithm SHA256).Hash
    }

    function Set-Tampered([string] $Path) {
        # One byte of the signed part changed (the last of the body's tag), and the checksum computed again: only the
        # signature finds it.
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        $at = $bytes.Length - 32 - 64 - 1
        $bytes[$at] = $bytes[$at] -bxor 1
        $sum = [System.Security.Cryptography.SHA256]::HashData([byte[]]$bytes[0..($bytes.Length - 33)])
        [System.Array]::Copy($sum, 0, $bytes, $bytes.Length - 32, 32)
        [System.IO.File]::WriteAllBytes($Path, $bytes)
    }

    $script:Master = New-Master 'master'
    $script:Replica = New-Replica 'replica' $Master
    $script:Other = New-Replica 'other-replica' $Master
    $script:Rings = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'rings')).FullName
}

AfterAll {
    Restore-TestEnvironment
}

Describe 'Export-SsoSealedRing -Path' {
    It 'writes the replica''s fingerprint + .ssring into a folder, for each replica line piped, and outputs the files with -PassThru' {
        $files = @($Replica.HostPublicKey, $Other.HostPublicKey | Export-SsoSealedRing -StorePath $Master.StorePath -Path $Rings -PassThru)
        $files.Count | Should -Be 2
        $files[0] | Should -BeOfType ([System.IO.FileInfo])
        $files.Name | Should -Be @("$($Replica.HostFingerprint).ssring", "$($Other.HostFingerprint).ssring")
        $header = Get-SsoSealedRing -Path $files[0].FullName -StorePath $Replica.StorePath
        $header.ReplicaFingerprint | Should -Be $Replica.HostFingerprint
        $header.Generation | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).Generation
    }

    It 'writes the same bytes as the Data of the object form, apart from the fresh seal (same header fields)' {
        $file = Join-Path $TestDrive 'one.ssring'
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $file | Should -BeNullOrEmpty
        $fromFile = Get-SsoSealedRing -Path $file -StorePath $Replica.StorePath
        $object = Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey
        $fromFile.RingDigest | Should -Be $object.RingDigest
        $fromFile.Generation | Should -Be $object.Generation
        $fromFile.Data.Length | Should -Be $object.Data.Length
    }

    It 'replaces an older sealed ring at its place, atomically (no temporary file left), and never another file' {
        $file = Join-Path $Rings "$($Replica.HostFingerprint).ssring"
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $Rings
        $before = [System.IO.File]::ReadAllBytes($file)
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $Rings
        [System.IO.File]::ReadAllBytes($file) | Should -Not -Be $before -Because 'every seal is fresh'
        @(Get-ChildItem -LiteralPath $Rings -Force | Where-Object Name -like '.*') | Should -BeNullOrEmpty

        $notes = Join-Path $TestDrive 'notes.txt'
        Set-Content -LiteralPath $notes -Value 'Somebody''s notes.'
        { Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $notes } | Should -Throw -ErrorId 'SsoSecret.FileExists,*'
        Get-Content -LiteralPath $notes | Should -Be 'Somebody''s notes.'
    }

    It '-WhatIf writes nothing, but still refuses a store that is not a master' {
        $file = Join-Path $TestDrive 'whatif.ssring'
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $file -WhatIf
        $file | Should -Not -Exist
        { Export-SsoSealedRing -StorePath $Replica.StorePath -ReplicaPublicKey $Other.HostPublicKey -Path $file -WhatIf } | Should -Throw -ErrorId 'SsoSecret.EnvironmentRoleConflict,*'
    }

    It 'refuses a missing folder and a bad key line with their ids' {
        { Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path (Join-Path $TestDrive 'no-such/x.ssring') } | Should -Throw -ErrorId 'SsoSecret.FolderNotFound,*'
        { Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey 'ssosecret-replica1nonsense' -Path $Rings } | Should -Throw -ErrorId 'SsoSecret.InvalidEnvironmentKey,*'
    }
}

Describe 'Get-SsoSealedRing' {
    BeforeAll {
        $script:Published = Join-Path $Rings "$($Replica.HostFingerprint).ssring"
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $Rings
    }

    It 'proves the header on the replica it is sealed to, and on the master, and changes neither store' {
        $hashes = (Get-StoreHash $Replica.StorePath), (Get-StoreHash $Master.StorePath)
        $onReplica = Get-SsoSealedRing -Path $Published -StorePath $Replica.StorePath
        $onReplica | Should -BeOfType ([SsoSecret.SsoSealedRing])
        $onReplica.EnvironmentId | Should -Be $Master.EnvironmentId
        $onReplica.MasterFingerprint | Should -Be $Master.MasterFingerprint
        $onReplica.RingDigest | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).RingDigest
        (Get-SsoSealedRing -Path $Published -StorePath $Master.StorePath).Generation | Should -Be $onReplica.Generation
        (Get-SsoEnvironment -StorePath $Replica.StorePath).Generation | Should -Be 0 -Because 'nothing was installed'
        ((Get-StoreHash $Replica.StorePath), (Get-StoreHash $Master.StorePath)) | Should -Be $hashes
    }

    It 'refuses a ring sealed to another replica (WrongReplica), and one from another master (UnknownMaster)' {
        { Get-SsoSealedRing -Path $Published -StorePath $Other.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.WrongReplica,*'
        $elsewhere = New-Master 'elsewhere-master'
        $file = Join-Path $TestDrive 'foreign.ssring'
        Export-SsoSealedRing -StorePath $elsewhere.StorePath -ReplicaPublicKey $Replica.HostPublicKey -Path $file
        { Get-SsoSealedRing -Path $file -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.UnknownMaster,*'
    }

    It 'refuses a tampered file (its checksum recomputed) with TamperedSealedRing, a changed one with DamagedSealedRing, naming the file' {
        $tampered = Join-Path $TestDrive 'tampered.ssring'
        Copy-Item -LiteralPath $Published -Destination $tampered
        Set-Tampered $tampered
        $thrown = { Get-SsoSealedRing -Path $tampered -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.TamperedSealedRing,*' -PassThru
        $thrown.Exception.Message | Should -BeLike "*$tampered*"
        $thrown.TargetObject | Should -Be $tampered

        $damaged = Join-Path $TestDrive 'damaged.ssring'
        $bytes = [System.IO.File]::ReadAllBytes($Published)
        $bytes[200] = $bytes[200] -bxor 1
        [System.IO.File]::WriteAllBytes($damaged, $bytes)
        { Get-SsoSealedRing -Path $damaged -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.DamagedSealedRing,*'
    }

    It 'reads no more than the largest sealed ring and one byte: a long file is refused as damaged' {
        $long = Join-Path $TestDrive 'long.ssring'
        # A published ring with zeros after it, past the largest sealed ring (version 2: 67,143,108 bytes; the file is
        # sparse where the file system allows).
        [System.IO.File]::WriteAllBytes($long, [System.IO.File]::ReadAllBytes($Published))
        $stream = [System.IO.File]::Open($long, 'Open', 'ReadWrite')
        try { $stream.SetLength(67143108 + 4096) } finally { $stream.Dispose() }
        $thrown = { Get-SsoSealedRing -Path $long -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.DamagedSealedRing,*' -PassThru
        $thrown.Exception.Message | Should -BeLike '*longer than the largest sealed ring*'
    }

    It 'refuses a missing file, a folder and (Unix) a FIFO with their ids, without waiting on the FIFO' {
        { Get-SsoSealedRing -Path (Join-Path $TestDrive 'none.ssring') -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.FileNotFound,*'
        { Get-SsoSealedRing -Path $Rings -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.PathIsFolder,*'
        if ($OnUnix) {
            $fifo = Join-Path $TestDrive 'ring.fifo'
            & mkfifo $fifo
            { Get-SsoSealedRing -Path $fifo -StorePath $Replica.StorePath -ErrorAction Stop } | Should -Throw -ErrorId 'SsoSecret.NotARegularFile,*'
        }
    }

    It 'refuses a store in no environment: it has no key to check the signature against' {
        { Get-SsoSealedRing -Path $Published -StorePath (Join-Path $TestDrive 'lonely') } | Should -Throw -ErrorId 'SsoSecret.EnvironmentRoleConflict,*'
    }

    It 'takes files from Get-ChildItem, writes an error for one that fails and reads the next' {
        $mixed = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'mixed')).FullName
        Copy-Item -LiteralPath $Published -Destination (Join-Path $mixed 'a.ssring')
        Set-Content -LiteralPath (Join-Path $mixed 'b.ssring') -Value 'not a ring'
        Copy-Item -LiteralPath $Published -Destination (Join-Path $mixed 'c.ssring')
        $found = @(Get-ChildItem -LiteralPath $mixed | Sort-Object Name | Get-SsoSealedRing -StorePath $Replica.StorePath -ErrorVariable failures -ErrorAction SilentlyContinue)
        $found.Count | Should -Be 2
        @($failures).Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'SsoSecret.DamagedSealedRing,*'
    }
}

Describe 'Import-SsoSealedRing -Path' {
    BeforeEach {
        $script:Fresh = New-Replica ([guid]::NewGuid().ToString('n')) $Master
        $script:File = Join-Path $Rings "$($Fresh.HostFingerprint).ssring"
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Fresh.HostPublicKey -Path $Rings
    }

    It 'installs the published ring, from a path or a FileInfo piped; a value protected on the master then opens on the replica' {
        $result = Import-SsoSealedRing -Path $File -StorePath $Fresh.StorePath
        $result.Installed | Should -BeTrue
        $result.RingDigest | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).RingDigest
        (Get-Item -LiteralPath $File | Import-SsoSealedRing -StorePath $Fresh.StorePath).Installed | Should -BeFalse
        $protected = Protect-SsoData -InputObject 'pulled-value-6d1f' -Purpose 'tests/pull' -StorePath $Master.StorePath
        Unprotect-SsoData -InputObject $protected -Purpose 'tests/pull' -StorePath $Fresh.StorePath -AsPlainText | Should -Be 'pulled-value-6d1f'
    }

    It 'still binds a byte array by position and by Data' {
        $bytes = [System.IO.File]::ReadAllBytes($File)
        (Import-SsoSealedRing $bytes -StorePath $Fresh.StorePath).Installed | Should -BeTrue
        (Get-SsoSealedRing -Path $File -StorePath $Fresh.StorePath | Import-SsoSealedRing -StorePath $Fresh.StorePath).Installed | Should -BeFalse
    }

    It 'refuses a replayed older file (StaleRing) and a tampered one (TamperedSealedRing), leaving the store as it was' {
        $old = Join-Path $TestDrive "old-$($Fresh.HostFingerprint).ssring"
        Copy-Item -LiteralPath $File -Destination $old
        New-SsoMasterSecret -StorePath $Master.StorePath -BackupPath (Join-Path $TestDrive "$([guid]::NewGuid().ToString('n')).bak") -Password $Password -KdfProfile Interactive -Force -Confirm:$false | Out-Null
        Export-SsoSealedRing -StorePath $Master.StorePath -ReplicaPublicKey $Fresh.HostPublicKey -Path $Rings
        (Import-SsoSealedRing -Path $File -StorePath $Fresh.StorePath).Generation | Should -Be (Get-SsoEnvironment -StorePath $Master.StorePath).Generation
        $hash = Get-StoreHash $Fresh.StorePath

        $thrown = { Import-SsoSealedRing -Path $old -StorePath $Fresh.StorePath } | Should -Throw -ErrorId 'SsoSecret.StaleRing,*' -PassThru
        $thrown.Exception.Message | Should -BeLike "*$old*"
        Set-Tampered $File
        { Import-SsoSealedRing -Path $File -StorePath $Fresh.StorePath } | Should -Throw -ErrorId 'SsoSecret.TamperedSealedRing,*'
        Get-StoreHash $Fresh.StorePath | Should -Be $hash
    }

    It '-WhatIf installs nothing' {
        Import-SsoSealedRing -Path $File -StorePath $Fresh.StorePath -WhatIf
        (Get-SsoEnvironment -StorePath $Fresh.StorePath).Generation | Should -Be 0
    }

    It 'refuses a folder and a missing file with their ids' {
        { Import-SsoSealedRing -Path $Rings -StorePath $Fresh.StorePath } | Should -Throw -ErrorId 'SsoSecret.PathIsFolder,*'
        { Import-SsoSealedRing -Path (Join-Path $Rings 'none.ssring') -StorePath $Fresh.StorePath } | Should -Throw -ErrorId 'SsoSecret.FileNotFound,*'
    }
}
