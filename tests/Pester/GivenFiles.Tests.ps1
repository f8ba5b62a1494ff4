# Every file a command is given, not only a backup, is read only if it is a regular file: a FIFO would make the read
# wait for a writer forever, a device could be endless. A value file (Protect-SsoData -LiteralPath), a file of protected values
# (Unprotect-SsoData, Update-SsoProtectedData), a recovery share (Restore-SsoMasterSecret -SharePath,
# Test-SsoSecretShare) and a recovery key (Get-SsoRecoveryKey, Restore -RecoveryKeyPath) each fail at once with
# SsoSecret.NotARegularFile. The probes run in another pwsh with a deadline, so a read that waited would fail the test
# instead of stalling the suite.

BeforeDiscovery {
    $script:HasFifo = -not $IsWindows -and [bool](Get-Command mkfifo -ErrorAction Ignore)
}

Describe 'A FIFO given as a file is refused before it is opened' -Skip:(-not $HasFifo) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $script:Folder = New-TestFolder 'given'
        $script:Store = New-TestPath 'store'
        $null = New-TestSecret -StorePath $Store -BackupPath (Join-Path $Folder 'a.bak')
        $script:Fifo = Join-Path $Folder 'input.fifo'
        & mkfifo $Fifo
        if ($LASTEXITCODE) { throw 'mkfifo failed' }

        $probe = Join-Path $Folder 'probe.ps1'
        Set-Content -LiteralPath $probe -Encoding utf8 -Value @'
param([string] $ModulePath, [string] $Fifo, [string] $Store, [string] $Backup)
Import-Module $ModulePath
$pw = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
$probes = [ordered]@{
    'Protect-SsoData -LiteralPath'     = { Protect-SsoData -LiteralPath $Fifo -Purpose 'p' -StorePath $Store }
    'Unprotect-SsoData -LiteralPath'   = { Unprotect-SsoData -LiteralPath $Fifo -Purpose 'p' -StorePath $Store }
    'Update-SsoProtectedData'          = { Update-SsoProtectedData -LiteralPath $Fifo -Purpose 'p' -StorePath $Store }
    'Restore-SsoMasterSecret -SharePath' = { Restore-SsoMasterSecret -SharePath $Fifo -StorePath $Store -Force }
    'Test-SsoSecretShare'              = { Test-SsoSecretShare -Path $Fifo -StorePath $Store -Detailed }
    'Get-SsoRecoveryKey'               = { Get-SsoRecoveryKey -LiteralPath $Fifo }
    'Restore -RecoveryKeyPath'         = { Restore-SsoMasterSecret -LiteralPath $Backup -RecoveryKeyPath $Fifo -StorePath $Store -Force }
}
# Every error stops its probe, so each probe reports the first error it met (or its output's failure).
$ErrorActionPreference = 'Stop'
$results = foreach ($name in $probes.Keys) {
    $ids = @()
    try {
        $ids = @(& $probes[$name] | Where-Object { $_.Failure } | ForEach-Object { "Failure:$($_.Failure)" })
    }
    catch { $ids = @($_.FullyQualifiedErrorId) }
    [pscustomobject]@{ Name = $name; Ids = @($ids) }
}
$results | ConvertTo-Json -Depth 3 -Compress
'@
        $dll = Join-Path $PSHOME 'pwsh.dll'
        $program = if (Test-Path $dll) { 'dotnet' } else { Join-Path $PSHOME 'pwsh' }
        $arguments = @(if (Test-Path $dll) { $dll }) + @('-NoProfile', '-NonInteractive', '-File', $probe, $env:SSOSECRET_TEST_MODULE, $Fifo, $Store, (Join-Path $Folder 'a.bak'))
        $info = [System.Diagnostics.ProcessStartInfo]::new($program)
        foreach ($a in $arguments) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $script:Finished = $process.WaitForExit(240000)
        if (-not $Finished) { $process.Kill($true) }
        $script:Results = if ($Finished) { $stdout.Result.Trim().Split("`n")[-1] | ConvertFrom-Json } else { @() }
    }

    It 'ends within the deadline (no read waited on the FIFO)' {
        $Finished | Should -BeTrue
    }

    It '<_> fails with NotARegularFile' -ForEach @('Protect-SsoData -LiteralPath', 'Unprotect-SsoData -LiteralPath', 'Update-SsoProtectedData',
        'Restore-SsoMasterSecret -SharePath', 'Get-SsoRecoveryKey', 'Restore -RecoveryKeyPath') {
        $result = $Results | Where-Object Name -EQ $_
        @($result.Ids) | Should -HaveCount 1
        @($result.Ids)[0] | Should -BeLike 'SsoSecret.NotARegularFile,*'
    }

    It 'Test-SsoSecretShare writes NotARegularFile for the FIFO' {
        $result = $Results | Where-Object Name -EQ 'Test-SsoSecretShare'
        @($result.Ids) | Should -Be @('SsoSecret.NotARegularFile,SsoSecret.Commands.TestSsoSecretShareCommand')
    }
}
