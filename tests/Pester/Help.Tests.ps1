# The help the built module ships (out/SsoSecret/en-US, made by tools/New-SsoSecretHelp.ps1 from docs/en-US), as
# Get-Help shows it: every cmdlet has a synopsis, a description, every parameter described and at least three
# examples; about_SsoSecret is there and names every cmdlet and every error id the code can raise.

BeforeDiscovery {
    Import-Module $env:SSOSECRET_TEST_MODULE -Force
    $script:Cmdlets = @(Get-Command -Module SsoSecret -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module $env:SSOSECRET_TEST_MODULE -Force
    $script:ModuleBase = (Get-Module SsoSecret).ModuleBase
    $script:Repository = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters

    function Get-Text($Value) {
        # Help text fields are arrays of objects with a Text property; flattened to one trimmed string.
        (@($Value | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n").Trim()
    }
}

Describe 'The help files in the module folder' {
    It 'ships en-US/SsoSecret.dll-Help.xml, a MAML file for every exported cmdlet' {
        $path = Join-Path $ModuleBase 'en-US/SsoSecret.dll-Help.xml'
        $path | Should -Exist
        $xml = [xml](Get-Content -LiteralPath $path -Raw)
        $names = @($xml.helpItems.command | ForEach-Object { $_.details.name })
        $names | Sort-Object | Should -Be @((Get-Command -Module SsoSecret).Name | Sort-Object)
    }

    It 'ships en-US/about_SsoSecret.help.txt' {
        Join-Path $ModuleBase 'en-US/about_SsoSecret.help.txt' | Should -Exist
    }
}

Describe 'Get-Help <Name> -Full' -ForEach $Cmdlets {
    BeforeAll {
        $script:Command = Get-Command $Name
        $script:Help = Get-Help $Name -Full
    }

    It 'comes from the MAML file' {
        # Without a help file, Get-Help makes up a synopsis from the syntax and has no description.
        $Help.ModuleName | Should -Be 'SsoSecret'
        Get-Text $Help.description | Should -Not -BeNullOrEmpty
    }

    It 'has a synopsis of its own' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -Match ([regex]::Escape("$Name ["))
    }

    It 'has a description' {
        (Get-Text $Help.description).Length | Should -BeGreaterThan 100
    }

    It 'describes every parameter the cmdlet has, common parameters excepted' {
        $described = @{}
        foreach ($p in @($Help.parameters.parameter)) { $described[$p.name] = Get-Text $p.description }
        foreach ($name in $Command.Parameters.Keys | Where-Object { -not $Common.Contains($_) }) {
            $described.ContainsKey($name) | Should -BeTrue -Because "-$name is a parameter of $($Command.Name)"
            $described[$name] | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }

    It 'tells Required and Position as the cmdlet has them' {
        foreach ($p in @($Help.parameters.parameter)) {
            $meta = $Command.Parameters[$p.name]
            $sets = @($meta.ParameterSets.Values)
            $p.required | Should -Be ([string](@($sets | Where-Object IsMandatory).Count -eq $sets.Count)).ToLowerInvariant() -Because "-$($p.name) Required"
            $position = if ($sets[0].Position -ge 0) { [string]$sets[0].Position } else { 'named' }
            $p.position | Should -Be $position -Because "-$($p.name) Position"
        }
    }

    It 'shows one syntax per parameter set' {
        @($Help.syntax.syntaxItem).Count | Should -Be $Command.ParameterSets.Count
    }

    It 'has at least three examples, each with code and an explanation' {
        $examples = @($Help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 3
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            Get-Text $example.remarks | Should -Not -BeNullOrEmpty -Because $example.title
        }
    }

    It 'has an example that needs no prompt (a CI pipeline or a pipeline of files)' {
        $code = @($Help.examples.example).code -join "`n"
        $code | Should -Match '\$env:BACKUP_PASSWORD|\||-WhatIf'
    }

    It 'has an example for Linux or macOS (a Unix path such as /var/backups or ~/backups)' {
        $code = @($Help.examples.example).code -join "`n"
        $code | Should -Match '(?<![\w\\:])(/(var|home|srv|mnt|opt|tmp|etc|media|Users|Volumes)/|~/)'
    }

    It 'links to about_SsoSecret' {
        @($Help.relatedLinks.navigationLink).linkText | Should -Contain 'about_SsoSecret'
    }

    It 'names its output type' {
        @($Help.returnValues.returnValue).Count | Should -BeGreaterThan 0
    }
}

Describe 'Get-Help -Parameter and -Examples' {
    It 'Get-Help Backup-SsoMasterSecret -Parameter Path describes -Path' {
        $p = Get-Help Backup-SsoMasterSecret -Parameter Path
        $p.name | Should -Be 'Path'
        Get-Text $p.description | Should -Match 'backup file'
        # Optional since -Armor without it writes the backup's text to the output.
        $p.required | Should -Be 'false'
        $p.position | Should -Be '0'
        $p.pipelineInput | Should -Be 'True (ByPropertyName, ByValue)'
    }

    It 'Get-Help Test-SsoSecretBackup -Parameter Path says it takes wildcards' {
        (Get-Help Test-SsoSecretBackup -Parameter Path).globbing | Should -Be 'true'
    }

    It 'Get-Help Restore-SsoMasterSecret -Examples shows the examples' {
        $text = Get-Help Restore-SsoMasterSecret -Examples | Out-String -Width 200
        $text | Should -Match 'Example 1'
        $text | Should -Match 'BACKUP_PASSWORD'
    }
}

Describe 'Get-Help about_SsoSecret' {
    BeforeAll {
        $script:About = Get-Help about_SsoSecret | Out-String -Width 200
    }

    It 'finds the topic' {
        $About | Should -Match 'about_SsoSecret'
        $About | Should -Match 'SHORT DESCRIPTION'
        $About | Should -Match 'LONG DESCRIPTION'
    }

    It 'names every cmdlet' {
        foreach ($name in (Get-Command -Module SsoSecret).Name) { $About | Should -Match $name }
    }

    It 'lists exactly the exported cmdlets in its table, and says how many there are' {
        $exported = @((Get-Command -Module SsoSecret).Name | Sort-Object)
        $source = Get-Content -LiteralPath (Join-Path $Repository 'docs/en-US/about_SsoSecret.md') -Raw
        $rows = @([regex]::Matches($source, '(?m)^\| ([A-Z][a-z]+-Sso\w+) \|') | ForEach-Object { $_.Groups[1].Value })
        $rows | Sort-Object | Should -Be $exported
        $words = @('no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty', 'twenty-one', 'twenty-two', 'twenty-three', 'twenty-four', 'twenty-five', 'twenty-six', 'twenty-seven', 'twenty-eight', 'twenty-nine', 'thirty')
        $source | Should -Match ([regex]::Escape("The module has $($words[$exported.Count]) cmdlets"))
        foreach ($name in $exported) { $About | Should -Match ([regex]::Escape("$name ")) }
    }

    It 'has a help page for exactly the exported cmdlets (docs/en-US and the MAML file)' {
        $exported = @((Get-Command -Module SsoSecret).Name | Sort-Object)
        $pages = @(Get-ChildItem -LiteralPath (Join-Path $Repository 'docs/en-US') -Filter '*.md' |
                Where-Object Name -notlike 'about_*' | ForEach-Object BaseName | Sort-Object)
        $pages | Should -Be $exported
        $maml = [xml](Get-Content -LiteralPath (Join-Path $ModuleBase 'en-US/SsoSecret.dll-Help.xml') -Raw)
        @($maml.helpItems.command | ForEach-Object { $_.details.name } | Sort-Object) | Should -Be $exported
    }

    It 'lists in SEE ALSO the help of exactly the exported cmdlets' {
        $seeAlso = ($About -split 'SEE ALSO')[1]
        $seeAlso | Should -Not -BeNullOrEmpty
        $named = @([regex]::Matches($seeAlso, 'Get-Help ([A-Z][a-z]+-Sso\w+) -Full') | ForEach-Object { $_.Groups[1].Value })
        $named | Should -Be ($named | Select-Object -Unique)
        $named | Sort-Object | Should -Be @((Get-Command -Module SsoSecret).Name | Sort-Object)
    }

    It 'names exactly the guides of docs/, as the README does' {
        $guides = @(Get-ChildItem -LiteralPath (Join-Path $Repository 'docs') -Filter 'guide-*.md' | ForEach-Object { "docs/$($_.Name)" } | Sort-Object)
        $guides.Count | Should -BeGreaterOrEqual 6
        @([regex]::Matches($About, 'docs/guide-[a-z-]+\.md') | ForEach-Object Value | Sort-Object -Unique) | Should -Be $guides
        $readme = Get-Content -LiteralPath (Join-Path $Repository 'README.md') -Raw
        @([regex]::Matches($readme, 'docs/guide-[a-z-]+\.md') | ForEach-Object Value | Sort-Object -Unique) | Should -Be $guides
    }

    It 'uses .bak for backups throughout the help and the guides (no .ssobak)' {
        $files = @(Get-ChildItem -LiteralPath (Join-Path $Repository 'docs') -Recurse -Filter '*.md') + @(Get-Item -LiteralPath (Join-Path $Repository 'README.md'))
        $files | Where-Object { (Get-Content -LiteralPath $_.FullName -Raw) -match '\.ssobak' } | ForEach-Object Name | Should -BeNullOrEmpty
    }

    It 'explains every error id the code can raise, and no other' {
        # Every failure is a member of [SsoSecret.SsoSecretFailure]; its id is 'SsoSecret.' and the member's name. The DSC
        # resources add their own ids (SsoSecret.Dsc*), which their guide documents.
        $ids = @([enum]::GetNames([SsoSecret.SsoSecretFailure]) | ForEach-Object { "SsoSecret.$_" })
        $ids.Count | Should -BeGreaterThan 25
        foreach ($id in $ids) { $About | Should -Match ([regex]::Escape("- $id`:")) -Because "$id needs an entry in the error list" }
        $documented = @([regex]::Matches($About, '(?m)^\s*- (SsoSecret\.\w+):') | ForEach-Object { $_.Groups[1].Value })
        $documented | Where-Object { $_ -notin $ids } | Should -BeNullOrEmpty -Because 'every documented id is one the module raises'
    }

    It 'covers the lifecycle, the store, the format and the rules' {
        foreach ($text in 'New-SsoMasterSecret -BackupPath', 'Restore-SsoMasterSecret', 'SSOSECRET_STORE', '0700', 'DPAPI',
            'docs/envelope-format.md', 'Argon2id', 'ChaCha20-Poly1305', 'never overwrites', 'never half-writes', 'never prints a secret') {
            $About | Should -Match ([regex]::Escape($text))
        }
    }

    It 'keeps its prose within 80 columns (code and tables excepted)' {
        $path = Join-Path $ModuleBase 'en-US/about_SsoSecret.help.txt'
        $long = @(Get-Content -LiteralPath $path | Where-Object { $_.Length -gt 80 -and $_ -notmatch '^ {8}' -and $_ -notmatch '^    \S+\s{2,}' })
        $long | Should -BeNullOrEmpty
    }
}

Describe 'Argument completion' {
    It 'completes -KdfProfile with the profile names (an enum: nothing to add)' {
        $line = 'Backup-SsoMasterSecret -KdfProfile '
        $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $result.CompletionMatches.CompletionText | Should -Be @('Interactive', 'Moderate', 'Sensitive')
    }
}
