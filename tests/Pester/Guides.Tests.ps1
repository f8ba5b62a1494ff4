# Runs the code of the guides in docs/ (guide-admin.md, guide-automation.md, guide-pester.md, guide-protected-data.md)
# against the built module, so a guide cannot drift from the module without this suite failing. (docs/guide-fleet.md
# needs real hosts: Fleet.Tests.ps1 runs its blocks. docs/guide-dsc.md needs the real DSC engine, whose import registers
# a DSC subsystem in the process that removing the module does not undo: DscEngine.Tests.ps1 runs its blocks in a pwsh
# of their own. docs/guide-vault.md needs the real SecretManagement, which fixes the folder of its vault registry when a
# process first loads it: Vault.Tests.ps1 runs its blocks in a pwsh of their own, with HOME in its $TestDrive.)
#
# Which blocks run:
#  - Every ```powershell block of a guide runs, in the order of the guide, one It per block, all the blocks of one guide
#    in one runspace (so a block sees the variables and files of the blocks before it, as a reader at a prompt would).
#  - <!-- skip: reason --> as the last non-blank line before a block's opening fence skips it (reported as skipped,
#    with the reason): for code that changes the machine, such as registering a scheduled task.
#  - <!-- file: name --> before a block writes the block to that file in the guide's work folder instead of running
#    it: a script or a test file that later blocks run.
#  - Blocks of other languages (```text, ```output, ```yaml) are never run.
#
# Where they run: each guide gets a fresh work folder under $TestDrive as its current location, with
# $env:SSOSECRET_STORE pointing to a store inside it (the real default store is never touched), $env:BACKUP_PASSWORD
# holding the guide password, the built module first on $env:PSModulePath (so Import-Module SsoSecret finds it) and
# Pester imported. New-SsoMasterSecret and Backup-SsoMasterSecret default to -KdfProfile Interactive there (through
# $PSDefaultParameterValues), so the guides can show the real defaults and still run fast.
#
# Who answers: guide-admin.md is for a person at a prompt, so its host (tests/Pester/GuideHost.cs) answers password,
# hint, credential and confirmation prompts. The other guides are for unattended use: their host answers nothing, so a
# block that would prompt fails, as it would in a pipeline.
#
# A block fails when it throws or writes an error; the failure shows the block and what the host printed.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'GuideBlocks.ps1')
    $docs = Join-Path $PSScriptRoot '../../docs'
    $script:Guides = foreach ($guide in @(
            @{ Name = 'guide-admin.md'; AnswersPrompts = $true }
            @{ Name = 'guide-automation.md'; AnswersPrompts = $false }
            @{ Name = 'guide-pester.md'; AnswersPrompts = $false }
            @{ Name = 'guide-protected-data.md'; AnswersPrompts = $false }
        )) {
        $blocks = foreach ($block in (Get-GuideBlocks (Join-Path $docs $guide.Name))) {
            if ($block.Marker -and $block.Marker -notin 'skip', 'file') { throw "$($guide.Name), line $($block.Line): an unknown marker '$($block.Marker)'." }
            $block.Skip = if ($block.Marker -eq 'skip') { $block.MarkerValue } else { '' }
            $block.File = if ($block.Marker -eq 'file') { $block.MarkerValue } else { '' }
            if ($block.File) { $block.Title = "writes $($block.File)" }
            $block.Guide = $guide.Name
            $block
        }
        if (-not @($blocks | Where-Object { -not $_.Skip -and -not $_.File })) {
            throw "$($guide.Name) has no powershell block to run."
        }
        @{ Name = $guide.Name; AnswersPrompts = $guide.AnswersPrompts; Blocks = @($blocks) }
    }
}

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    $script:GuidePassword = 'correct horse battery staple'
    $script:GuideHint = 'the horse sentence from the guide'

    if (-not ('SsoSecretGuides.GuideHost' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'GuideHost.cs')
    }

    function Format-Failure([hashtable] $Block, $GuideHost, [string] $Problem) {
        $transcript = @($GuideHost.Transcript -split "`r?`n")
        $tail = ($transcript | Select-Object -Last 60) -join "`n"
        "$($Block.Guide), block $($Block.Number) (line $($Block.Line)): $Problem`n--- block ---`n$($Block.Code)`n--- host output (last 60 lines) ---`n$tail"
    }
}

Describe '<Name>' -ForEach $Guides {
    BeforeAll {
        $script:Work = Join-Path $TestDrive ($Name -replace '\.md$')
        New-Item -ItemType Directory -Path $Work | Out-Null

        $script:Saved = @{}
        foreach ($variable in 'SSOSECRET_STORE', 'BACKUP_PASSWORD', 'PSModulePath') { $Saved[$variable] = [Environment]::GetEnvironmentVariable($variable) }
        $env:SSOSECRET_STORE = Join-Path $Work 'store'
        $env:BACKUP_PASSWORD = $GuidePassword
        $env:PSModulePath = (Split-Path (Split-Path $ModulePath)) + [System.IO.Path]::PathSeparator + $env:PSModulePath

        $script:GuideHost = [SsoSecretGuides.GuideHost]::new($AnswersPrompts, $GuidePassword, $GuideHint)
        $script:Runspace = [runspacefactory]::CreateRunspace($GuideHost, [initialsessionstate]::CreateDefault2())
        $Runspace.Open()
        $Runspace.SessionStateProxy.Path.SetLocation($Work) | Out-Null
        $Runspace.SessionStateProxy.SetVariable('PSDefaultParameterValues', @{
                'New-SsoMasterSecret:KdfProfile'    = 'Interactive'
                'Backup-SsoMasterSecret:KdfProfile' = 'Interactive'
            })
        $setup = [powershell]::Create()
        $setup.Runspace = $Runspace
        $setup.AddCommand('Import-Module').AddParameter('Name', (Get-Module Pester).Path).AddStatement().
            AddCommand('Import-Module').AddParameter('Name', $ModulePath) | Out-Null
        $setup.Invoke() | Out-Null
        if ($setup.HadErrors) { throw "Setting up the guide's runspace failed: $($setup.Streams.Error | Out-String)" }
        $setup.Dispose()
    }

    AfterAll {
        $Runspace.Dispose()
        foreach ($variable in $Saved.Keys) { [Environment]::SetEnvironmentVariable($variable, $Saved[$variable]) }
    }

    It 'block <Number> (line <Line>): <Title>' -ForEach $Blocks {
        $block = $_
        if ($Skip) {
            Set-ItResult -Skipped -Because $Skip
            return
        }
        if ($File) {
            $target = Join-Path $Work $File
            New-Item -ItemType Directory -Path (Split-Path $target) -Force | Out-Null
            [System.IO.File]::WriteAllText($target, $Code + "`n")
            return
        }

        $GuideHost.ClearTranscript()
        $ps = [powershell]::Create()
        $ps.Runspace = $Runspace
        try {
            $ps.AddScript($Code).AddCommand('Out-Default') | Out-Null
            try {
                $ps.Invoke() | Out-Null
            }
            catch {
                throw (Format-Failure $block $GuideHost "it threw: $($_.Exception.InnerException.Message ?? $_.Exception.Message)")
            }
            if ($ps.Streams.Error.Count) {
                $errors = ($ps.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }) -join "`n"
                throw (Format-Failure $block $GuideHost "it wrote errors:`n$errors")
            }
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'was answered at the prompt only if it is for a person at a prompt' {
        if ($AnswersPrompts) {
            $GuideHost.PromptCount | Should -BeGreaterThan 0 -Because 'the admin guide shows the prompts a person answers'
        }
        else {
            $GuideHost.PromptCount | Should -Be 0 -Because 'an unattended guide must never prompt'
        }
    }
}
