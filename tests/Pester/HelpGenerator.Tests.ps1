# tools/New-SsoSecretHelp.ps1, the help generator build.ps1 runs: what it writes from the real docs/en-US, and that it
# fails loudly, naming the page and the problem, when the markdown and the built module's cmdlets disagree.

BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    Import-Module $ModulePath -Force
    $script:Repository = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Generator = Join-Path $Repository 'tools/New-SsoSecretHelp.ps1'
    $script:Docs = Join-Path $Repository 'docs/en-US'

    function New-DocsCopy {
        # A copy of the real help source under $TestDrive, for a test to spoil.
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        Copy-Item (Join-Path $Docs '*.md') $folder
        $folder
    }

    function Edit-Page([string] $Folder, [string] $Name, [scriptblock] $Change) {
        $path = Join-Path $Folder "$Name.md"
        $text = Get-Content -LiteralPath $path -Raw
        $changed = & $Change $text
        $changed | Should -Not -Be $text -Because 'the test must really change the page'
        Set-Content -LiteralPath $path -Value $changed -NoNewline
    }

    function Invoke-Generator([string] $Folder, [string] $Output = (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))) {
        # Runs the generator; returns the failure message, or $null when it succeeds. Its per-problem host lines are
        # dropped (they repeat the message).
        try {
            & $Generator -ModulePath $ModulePath -DocsPath $Folder -OutputPath $Output 6>$null
            $null
        }
        catch {
            $_.Exception.Message
        }
    }
}

Describe 'New-SsoSecretHelp.ps1 on the real help source' {
    BeforeAll {
        $script:Output = Join-Path $TestDrive 'real'
        $script:Failure = Invoke-Generator $Docs $Output
        $script:Maml = if (Test-Path (Join-Path $Output 'SsoSecret.dll-Help.xml')) { [xml](Get-Content -Raw (Join-Path $Output 'SsoSecret.dll-Help.xml')) }
        $script:Namespaces = [System.Xml.XmlNamespaceManager]::new([System.Xml.NameTable]::new())
        $Namespaces.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $Namespaces.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $Namespaces.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
    }

    It 'succeeds' {
        $Failure | Should -BeNullOrEmpty
    }

    It 'writes one MAML command per exported cmdlet, with the namespaces Get-Help expects' {
        $Maml.DocumentElement.LocalName | Should -Be 'helpItems'
        $Maml.DocumentElement.NamespaceURI | Should -Be 'http://msh'
        $names = @($Maml.SelectNodes('//command:command/command:details/command:name', $Namespaces).InnerText)
        $names | Sort-Object | Should -Be @((Get-Command -Module SsoSecret).Name | Sort-Object)
    }

    It 'takes the syntax from the cmdlet: one syntax item per parameter set, every parameter in it' {
        foreach ($command in Get-Command -Module SsoSecret) {
            $node = $Maml.SelectSingleNode("//command:command[command:details/command:name='$($command.Name)']", $Namespaces)
            $items = @($node.SelectNodes('command:syntax/command:syntaxItem', $Namespaces))
            $items.Count | Should -Be $command.ParameterSets.Count
            $inSyntax = @($items.SelectNodes('command:parameter/maml:name', $Namespaces).InnerText | Sort-Object -Unique)
            $expected = @($command.Parameters.Keys | Where-Object { -not [System.Management.Automation.Cmdlet]::CommonParameters.Contains($_) } | Sort-Object)
            $inSyntax | Should -Be $expected
        }
    }

    It 'writes the enum values of -KdfProfile into the syntax' {
        $values = @($Maml.SelectNodes("//command:command[command:details/command:name='Backup-SsoMasterSecret']/command:syntax/command:syntaxItem[1]/command:parameter[maml:name='KdfProfile']/command:parameterValueGroup/command:parameterValue", $Namespaces).InnerText)
        $values | Should -Be @('Interactive', 'Moderate', 'Sensitive')
    }

    It 'writes the parameter facts from the cmdlet and the default value from the page' {
        $path = $Maml.SelectSingleNode("//command:command[command:details/command:name='Test-SsoSecretBackup']/command:parameters/command:parameter[maml:name='Path']", $Namespaces)
        $path.required | Should -Be 'true'
        $path.position | Should -Be '0'
        $path.globbing | Should -Be 'true'
        $path.pipelineInput | Should -Be 'True (ByPropertyName, ByValue)'
        $path.aliases | Should -Be 'FullName'
        $path.SelectSingleNode('dev:type/maml:name', $Namespaces).InnerText | Should -Be 'System.String[]'
        $limit = $Maml.SelectSingleNode("//command:command[command:details/command:name='Test-SsoSecretBackup']/command:parameters/command:parameter[maml:name='MaximumKdfMemoryMiB']", $Namespaces)
        $limit.SelectSingleNode('dev:defaultValue', $Namespaces).InnerText | Should -Be '1024'
    }

    It 'turns markdown into plain text: no backticks, link text only' {
        $para = $Maml.SelectSingleNode("//command:command[command:details/command:name='Backup-SsoMasterSecret']/command:parameters/command:parameter[maml:name='Password']/maml:description/maml:para", $Namespaces).InnerText
        $para | Should -Match 'ConvertTo-SecureString \$env:BACKUP_PASSWORD -AsPlainText -Force'
        $para | Should -Not -Match '`'
        $links = @($Maml.SelectNodes("//command:command[command:details/command:name='Backup-SsoMasterSecret']/command:relatedLinks/maml:navigationLink/maml:linkText", $Namespaces).InnerText)
        $links | Should -Contain 'Restore-SsoMasterSecret'
    }

    It 'writes the about topic as text: TOPIC, capital headings, code indented by 8' {
        $lines = Get-Content (Join-Path $Output 'about_SsoSecret.help.txt')
        $lines[0] | Should -Be 'TOPIC'
        $lines[1] | Should -Be '    about_SsoSecret'
        $lines | Should -Contain 'SHORT DESCRIPTION'
        $lines | Should -Contain 'LONG DESCRIPTION'
        $lines | Should -Contain '  Error ids and what to do'
        $lines | Should -Contain '        Import-Module SsoSecret'
        ($lines -join "`n") | Should -Not -Match '```'
    }
}

Describe 'New-SsoSecretHelp.ps1 fails loudly' {
    It 'when an exported cmdlet has no page' {
        $docs = New-DocsCopy
        Remove-Item (Join-Path $docs 'Get-SsoMasterSecret.md')
        Invoke-Generator $docs | Should -Match 'Get-SsoMasterSecret has no help page'
    }

    It 'when a page misses a parameter the cmdlet has' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Restore-SsoMasterSecret' { param($t) $t -replace '(?s)### -MaximumKdfMemoryMiB.*?(?=### -StorePath)', '' }
        Invoke-Generator $docs | Should -Match 'Restore-SsoMasterSecret\.md: it does not describe the parameter -MaximumKdfMemoryMiB'
    }

    It 'when a page misses -WhatIf, which the cmdlet supports' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Backup-SsoMasterSecret' { param($t) $t -replace '(?s)### -WhatIf.*?(?=### -Confirm)', '' }
        Invoke-Generator $docs | Should -Match 'does not describe the parameter -WhatIf'
    }

    It 'when a page describes a parameter the cmdlet does not have' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Get-SsoMasterSecret' { param($t) $t.Replace('### CommonParameters', "### -Bogus`nNot real.`n`n" + '```yaml' + "`nType: String`nDefault value: None`n" + '```' + "`n`n### CommonParameters") }
        Invoke-Generator $docs | Should -Match 'describes the parameter -Bogus, which Get-SsoMasterSecret does not have'
    }

    It 'when a yaml block disagrees with the cmdlet' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Restore-SsoMasterSecret' { param($t) ([regex]'(?s)(### -Path.*?)Required: True').Replace($t, '${1}Required: False', 1) }
        Invoke-Generator $docs | Should -Match "-Path: yaml 'Required: False', but the cmdlet says 'Required: True'"
    }

    It 'when the SYNTAX block differs from the cmdlet, and shows the right one' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Get-SsoMasterSecret' { param($t) $t.Replace('Get-SsoMasterSecret [-StorePath <String>] [<CommonParameters>]', 'Get-SsoMasterSecret [-Store <String>]') }
        $message = Invoke-Generator $docs
        $message | Should -Match 'Get-SsoMasterSecret\.md: its SYNTAX differs'
        $message | Should -Match ([regex]::Escape('Get-SsoMasterSecret [-StorePath <String>] [<CommonParameters>]'))
    }

    It 'when a parameter description or an example explanation is empty' {
        $docs = New-DocsCopy
        Edit-Page $docs 'Get-SsoMasterSecret' { param($t) $t -replace '(?s)(### -StorePath\r?\n).*?(?=```yaml)', '$1' }
        Edit-Page $docs 'Test-SsoSecretBackup' { param($t) $t -replace '(?s)(Format-Table Path, Status, Message\r?\n```\r?\n).*?(?=### Example 4)', '$1' }
        $message = Invoke-Generator $docs
        $message | Should -Match 'the parameter -StorePath has no description'
        $message | Should -Match "example 'Example 3: Check every backup in a folder through the pipeline' does not say what it does"
    }

    It 'when a page names a cmdlet the module does not export' {
        $docs = New-DocsCopy
        Copy-Item (Join-Path $docs 'Get-SsoMasterSecret.md') (Join-Path $docs 'Remove-SsoMasterSecret.md')
        Invoke-Generator $docs | Should -Match "Remove-SsoMasterSecret\.md: the module exports no cmdlet named 'Remove-SsoMasterSecret'"
    }

    It 'when the about topic is missing or lacks its SHORT DESCRIPTION' {
        $docs = New-DocsCopy
        Edit-Page $docs 'about_SsoSecret' { param($t) $t.Replace('## SHORT DESCRIPTION', '## SUMMARY') }
        Invoke-Generator $docs | Should -Match "needs '## SHORT DESCRIPTION'"
        Remove-Item (Join-Path $docs 'about_SsoSecret.md')
        Invoke-Generator $docs | Should -Match 'There is no about topic'
    }

    It 'listing every problem at once, and writing nothing' {
        $docs = New-DocsCopy
        Remove-Item (Join-Path $docs 'New-SsoMasterSecret.md')
        Edit-Page $docs 'Restore-SsoMasterSecret' { param($t) $t -replace '(?s)### -PassThru.*?(?=### -MaximumKdfMemoryMiB)', '' }
        $output = Join-Path $TestDrive 'not-written'
        $message = Invoke-Generator $docs $output
        $message | Should -Match '\(2 problem\(s\)\)'
        $message | Should -Match 'New-SsoMasterSecret has no help page'
        $message | Should -Match 'does not describe the parameter -PassThru'
        $output | Should -Not -Exist
    }
}
