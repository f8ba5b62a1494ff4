#Requires -Version 7.4
<#
.SYNOPSIS
    Builds SsoSecret's help from its markdown source: MAML for the cmdlets, plain text for about_SsoSecret.

.DESCRIPTION
    platyPS is not available to this build, so this script does the part of its job SsoSecret needs.

    It reads docs/en-US/<Verb-Noun>.md (platyPS-style markdown: SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES,
    PARAMETERS with a yaml block per parameter, INPUTS, OUTPUTS, NOTES, RELATED LINKS) and writes
    <OutputPath>/SsoSecret.dll-Help.xml, the MAML file Get-Help reads for the module's cmdlets. It reads
    docs/en-US/about_SsoSecret.md and writes <OutputPath>/about_SsoSecret.help.txt.

    The cmdlets themselves are the truth: the script imports the built module and takes each syntax, parameter
    type, parameter set, alias, Required, Position, pipeline input and wildcard support from Get-Command. The
    markdown must agree with them, and the script fails, listing every problem at once, when
      - a cmdlet the module exports has no page, or a page names a cmdlet the module does not export;
      - a page lacks a parameter the cmdlet has (common parameters excepted), or describes one it does not have;
      - a yaml block or a SYNTAX block says something other than the cmdlet's metadata;
      - a synopsis, description, parameter description or example is empty.
    So the help cannot drift from the code without the build saying so.

.EXAMPLE
    ./tools/New-SsoSecretHelp.ps1 -ModulePath out/SsoSecret/SsoSecret.psd1 -DocsPath docs/en-US -OutputPath out/SsoSecret/en-US

    What build.ps1 -Task Build does, in a child pwsh, once out/SsoSecret is assembled.
#>
[CmdletBinding()]
param(
    # The built module's manifest (out/SsoSecret/SsoSecret.psd1).
    [Parameter(Mandatory)]
    [string] $ModulePath,

    # The folder of the markdown help source (docs/en-US).
    [Parameter(Mandatory)]
    [string] $DocsPath,

    # The folder to write SsoSecret.dll-Help.xml and about_SsoSecret.help.txt to (out/SsoSecret/en-US).
    [Parameter(Mandatory)]
    [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$script:NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$script:NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:NsMSHelp = 'http://msdn.microsoft.com/mshelp'
$script:AboutWidth = 80

# The yaml keys of a parameter block, in platyPS's order. 'Accepted values' appears only for enums and ValidateSet.
$script:YamlKeys = @('Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Required', 'Position', 'Default value',
    'Accept pipeline input', 'Accept wildcard characters')

#region Markdown

function Read-HelpMarkdown([string] $Path) {
    # Splits a page into its title (the '# ' line) and its '## ' sections, each with the lines before its first
    # '### ' and its '### ' subsections. Headings inside code fences are text. A front matter block is skipped.
    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        if ($end -gt 0) { $start = $end + 1 }
    }

    $page = [pscustomobject]@{ Path = $Path; Title = $null; Sections = [ordered]@{} }
    $section = $null
    $sub = $null
    $inFence = $false
    for ($i = $start; $i -lt $lines.Count; $i++) {
        $line = $lines[$i]
        if ($line -match '^\s*```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^(#{1,3}) (.+?)\s*$') {
            $level = $Matches[1].Length
            $text = $Matches[2]
            if ($level -eq 1) {
                $page.Title = $text
                continue
            }
            if ($level -eq 2) {
                $section = [pscustomobject]@{ Name = $text; Lines = [System.Collections.Generic.List[string]]::new(); Subsections = [System.Collections.Generic.List[object]]::new() }
                $page.Sections[$text] = $section
                $sub = $null
                continue
            }
            if ($null -ne $section) {
                $sub = [pscustomobject]@{ Title = $text; Lines = [System.Collections.Generic.List[string]]::new() }
                $section.Subsections.Add($sub)
                continue
            }
        }
        if ($null -ne $sub) { $sub.Lines.Add($line) }
        elseif ($null -ne $section) { $section.Lines.Add($line) }
    }
    $page
}

function Get-Section($Page, [string] $Name) {
    if ($Page.Sections.Contains($Name)) { return $Page.Sections[$Name] }
    $null
}

function Split-Fence([string[]] $Lines) {
    # Separates fenced code blocks from the text around them: returns the code blocks (with their info string)
    # and the lines outside them.
    $blocks = [System.Collections.Generic.List[object]]::new()
    $text = [System.Collections.Generic.List[string]]::new()
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^\s*```(\S*)') {
            if ($null -eq $current) {
                $current = [pscustomobject]@{ Info = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }
            }
            else {
                $blocks.Add($current)
                $current = $null
            }
            continue
        }
        if ($null -ne $current) { $current.Lines.Add($line) } else { $text.Add($line) }
    }
    if ($null -ne $current) { throw "A code fence is not closed." }
    [pscustomobject]@{ Blocks = $blocks; Text = $text }
}

function ConvertTo-PlainText([string] $Text) {
    # Inline markdown to what a console shows: links to their text (an absolute link keeps its address), no code
    # backticks, no bold markers.
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\((https?://[^)]+)\)', '$1 ($2)')
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]*)\)', '$1')
    $Text = [regex]::Replace($Text, '`([^`]+)`', '$1')
    $Text = $Text -replace '\*\*([^*]+)\*\*', '$1'
    $Text
}

function Get-Block([string[]] $Lines) {
    # Markdown body lines as blocks: Paragraph (soft-wrapped lines joined), Item (a list item, with its marker),
    # Code (a fenced block, lines kept) and Table (rows kept). Blank lines separate paragraphs.
    $blocks = [System.Collections.Generic.List[object]]::new()
    $current = $null
    $fence = $null
    foreach ($line in $Lines) {
        if ($null -ne $fence) {
            if ($line -match '^\s*```') { $blocks.Add($fence); $fence = $null } else { $fence.Lines.Add($line) }
            continue
        }
        if ($line -match '^\s*```') {
            $current = $null
            $fence = [pscustomobject]@{ Kind = 'Code'; Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        if ($line -match '^\s*$' -or $line -match '^\s*<!--.*-->\s*$') {
            $current = $null
            continue
        }
        if ($line -match '^\s*\|') {
            if ($null -eq $current -or $current.Kind -ne 'Table') {
                $current = [pscustomobject]@{ Kind = 'Table'; Lines = [System.Collections.Generic.List[string]]::new() }
                $blocks.Add($current)
            }
            if ($line -notmatch '^\s*\|[\s:|-]+\|\s*$') { $current.Lines.Add($line.Trim()) }
            continue
        }
        if ($line -match '^\s*([-*]|\d+\.)\s+(.*)$') {
            $current = [pscustomobject]@{ Kind = 'Item'; Marker = $Matches[1]; Text = $Matches[2] }
            $blocks.Add($current)
            continue
        }
        if ($null -eq $current -or $current.Kind -eq 'Table') {
            $current = [pscustomobject]@{ Kind = 'Paragraph'; Text = $line.Trim() }
            $blocks.Add($current)
        }
        else {
            $current.Text += ' ' + $line.Trim()
        }
    }
    if ($null -ne $fence) { throw "A code fence is not closed." }
    $blocks
}

function ConvertTo-Paragraph([string[]] $Lines) {
    # Body lines as the paragraphs of a maml:description: text paragraphs and list items one each; code and
    # tables one each, lines kept and indented so they stand out.
    foreach ($block in Get-Block $Lines) {
        switch ($block.Kind) {
            'Paragraph' { ConvertTo-PlainText $block.Text }
            'Item' { "$($block.Marker) $(ConvertTo-PlainText $block.Text)" }
            'Code' { ($block.Lines | ForEach-Object { "    $_" }) -join "`n" }
            'Table' { ($block.Lines | ForEach-Object { ConvertTo-PlainText $_ }) -join "`n" }
        }
    }
}

function Read-Yaml([string[]] $Lines) {
    $values = [ordered]@{}
    foreach ($line in $Lines) {
        if ($line -match '^\s*$') { continue }
        if ($line -notmatch '^([^:]+):\s*(.*)$') { throw "Not a 'Key: value' line: $line" }
        $values[$Matches[1].Trim()] = $Matches[2].Trim()
    }
    $values
}

#endregion

#region Cmdlet metadata

function Get-DocumentedParameter($Command) {
    # Every parameter a page must describe: all but the common parameters (so -WhatIf and -Confirm are in).
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    @($Command.Parameters.Values | Where-Object { -not $common.Contains($_.Name) })
}

function Get-ParameterFact($Command, $Parameter) {
    # What the cmdlet's metadata says about one parameter, in the words of a platyPS yaml block.
    $sets = $Parameter.ParameterSets
    $allSetNames = @($Command.ParameterSets.Name)
    $setNames = @($sets.Keys | Sort-Object)
    $everySet = $sets.ContainsKey('__AllParameterSets') -or (@($allSetNames | Where-Object { $_ -notin $setNames }).Count -eq 0)

    $perSet = {
        param([scriptblock] $Value)
        $pairs = @(foreach ($name in $setNames) { [pscustomobject]@{ Set = $name; Value = & $Value $sets[$name] } })
        $distinct = @($pairs.Value | Select-Object -Unique)
        if ($distinct.Count -eq 1) { return [string]$distinct[0] }
        ($pairs | ForEach-Object { "$($_.Value) ($($_.Set))" }) -join ', '
    }

    $facts = [ordered]@{
        'Type'                       = $Parameter.ParameterType.Name
        'Parameter Sets'             = if ($everySet) { '(All)' } else { $setNames -join ', ' }
        'Aliases'                    = if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'None' }
        'Required'                   = & $perSet { param($s) if ($s.IsMandatory) { 'True' } else { 'False' } }
        'Position'                   = & $perSet { param($s) if ($s.Position -ge 0) { [string]$s.Position } else { 'Named' } }
        'Accept pipeline input'      = & $perSet {
            param($s)
            $how = @(if ($s.ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($s.ValueFromPipeline) { 'ByValue' })
            if ($how.Count) { "True ($($how -join ', '))" } else { 'False' }
        }
        'Accept wildcard characters' = if (@($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count) { 'True' } else { 'False' }
    }

    $accepted = Get-AcceptedValue $Parameter
    if ($accepted) { $facts['Accepted values'] = $accepted -join ', ' }
    $facts
}

function Get-AcceptedValue($Parameter) {
    $type = $Parameter.ParameterType
    if ($type.IsEnum) { return [Enum]::GetNames($type) }
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    @()
}

function Get-SyntaxItem($Command) {
    # One syntax line per parameter set, default set first, as platyPS writes them.
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault }, Name)
    foreach ($set in $sets) {
        # PowerShell's own order: positional parameters by position, then named mandatory ones, then the other
        # named ones, then -WhatIf and -Confirm.
        $all = @($set.Parameters | Where-Object { -not $common.Contains($_.Name) })
        $named = @($all | Where-Object { $_.Position -lt 0 -and $_.Name -notin 'WhatIf', 'Confirm' })
        $parameters = @($all | Where-Object Position -GE 0 | Sort-Object Position) +
            @($named | Where-Object IsMandatory) + @($named | Where-Object { -not $_.IsMandatory }) +
            @($all | Where-Object Name -In 'WhatIf', 'Confirm')
        $words = foreach ($p in $parameters) {
            $name = if ($p.Position -ge 0) { "[-$($p.Name)]" } else { "-$($p.Name)" }
            $word = if ($p.ParameterType -eq [System.Management.Automation.SwitchParameter]) { $name } else { "$name <$($p.ParameterType.Name)>" }
            if ($p.IsMandatory) { $word } else { "[$word]" }
        }
        $text = (@($Command.Name) + @($words) + '[<CommonParameters>]') -join ' '
        $title = if ($set.IsDefault -and $sets.Count -gt 1) { "$($set.Name) (Default)" } else { $set.Name }
        [pscustomobject]@{ Title = $title; Text = $text; Set = $set; Parameters = $parameters }
    }
}

#endregion

#region Reading and checking a cmdlet page

function Read-CommandPage($Command, [string] $Path, [System.Collections.Generic.List[string]] $Problems) {
    # Reads one cmdlet page and checks it against the cmdlet. Returns what the MAML needs; records every problem.
    $name = $Command.Name
    $page = Read-HelpMarkdown $Path
    $where = [System.IO.Path]::GetFileName($Path)
    $problem = { param([string] $Text) $Problems.Add("${where}: $Text") }

    if ($page.Title -ne $name) { & $problem "its title is '$($page.Title)', not '# $name'." }
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
        if ($null -eq (Get-Section $page $required)) { & $problem "it has no '## $required' section." }
    }

    $synopsis = @(ConvertTo-Paragraph (Get-Section $page 'SYNOPSIS')?.Lines) -join ' '
    if (-not $synopsis) { & $problem 'its SYNOPSIS is empty.' }
    $description = @(ConvertTo-Paragraph (Get-Section $page 'DESCRIPTION')?.Lines)
    if (-not $description) { & $problem 'its DESCRIPTION is empty.' }

    # SYNTAX: the page shows what Get-Command says, set by set.
    $syntax = @(Get-SyntaxItem $Command)
    $written = @((Get-Section $page 'SYNTAX')?.Subsections)
    $expected = ($syntax | ForEach-Object { "### $($_.Title)`n`n" + '```' + "`n$($_.Text)`n" + '```' }) -join "`n`n"
    $same = $written.Count -eq $syntax.Count
    for ($i = 0; $same -and $i -lt $syntax.Count; $i++) {
        $code = @((Split-Fence $written[$i].Lines).Blocks)
        $shown = if ($code.Count -eq 1) { (@($code[0].Lines) -join ' ') -replace '\s+', ' ' } else { '' }
        $same = $written[$i].Title -eq $syntax[$i].Title -and $shown.Trim() -eq $syntax[$i].Text
    }
    if (-not $same) { & $problem "its SYNTAX differs from the cmdlet's. It should read:`n$expected" }

    # EXAMPLES: '### Example N: title', code, then what it does.
    $examples = foreach ($sub in @((Get-Section $page 'EXAMPLES')?.Subsections)) {
        $parts = Split-Fence $sub.Lines
        $code = @($parts.Blocks | ForEach-Object { ($_.Lines -join "`n").Trim("`n") }) -join "`n`n"
        $remarks = @(ConvertTo-Paragraph $parts.Text)
        if (-not $code) { & $problem "example '$($sub.Title)' has no code." }
        if (-not $remarks) { & $problem "example '$($sub.Title)' does not say what it does." }
        [pscustomobject]@{ Title = $sub.Title; Code = $code; Remarks = $remarks }
    }
    if (-not $examples) { & $problem 'it has no examples.' }

    # PARAMETERS: every parameter of the cmdlet, as the cmdlet has it.
    $documented = [ordered]@{}
    foreach ($sub in @((Get-Section $page 'PARAMETERS')?.Subsections)) {
        if ($sub.Title -eq 'CommonParameters') { continue }
        if ($sub.Title -notmatch '^-(\w+)$') {
            & $problem "'### $($sub.Title)' under PARAMETERS is not '### -Name' or '### CommonParameters'."
            continue
        }
        $documented[$Matches[1]] = $sub
    }
    if (-not ((Get-Section $page 'PARAMETERS')?.Subsections | Where-Object Title -eq 'CommonParameters')) {
        & $problem "its PARAMETERS section has no '### CommonParameters'."
    }

    $parameters = foreach ($parameter in Get-DocumentedParameter $Command) {
        if (-not $documented.Contains($parameter.Name)) {
            & $problem "it does not describe the parameter -$($parameter.Name), which $name has."
            continue
        }
        $sub = $documented[$parameter.Name]
        $parts = Split-Fence $sub.Lines
        $text = @(ConvertTo-Paragraph $parts.Text)
        if (-not $text) { & $problem "the parameter -$($parameter.Name) has no description." }
        $yamlBlock = @($parts.Blocks | Where-Object Info -eq 'yaml')
        if ($yamlBlock.Count -ne 1) {
            & $problem "the parameter -$($parameter.Name) needs exactly one yaml block."
            continue
        }
        $yaml = Read-Yaml $yamlBlock[0].Lines
        $facts = Get-ParameterFact $Command $parameter
        foreach ($key in $yaml.Keys) {
            if ($key -notin $YamlKeys) { & $problem "-$($parameter.Name): unknown yaml key '$key'." }
        }
        if (-not $yaml.Contains('Default value')) { & $problem "-$($parameter.Name): the yaml block has no 'Default value'." }
        foreach ($key in $facts.Keys) {
            $actual = if ($yaml.Contains($key)) { $yaml[$key] } else { $null }
            # platyPS writes no aliases as an empty 'Aliases:'.
            if ($key -eq 'Aliases' -and $actual -eq '') { $actual = 'None' }
            $want = $facts[$key]
            $equal = if ($key -in 'Aliases', 'Parameter Sets', 'Accepted values') {
                $null -ne $actual -and (($actual -split ',\s*' | Sort-Object) -join ',') -eq (($want -split ',\s*' | Sort-Object) -join ',')
            }
            else { $actual -eq $want }
            if (-not $equal) { & $problem "-$($parameter.Name): yaml '${key}: $actual', but the cmdlet says '${key}: $want'." }
        }
        if ($yaml.Contains('Accepted values') -and -not $facts.Contains('Accepted values')) {
            & $problem "-$($parameter.Name): 'Accepted values' given, but the parameter takes any value of its type."
        }
        [pscustomobject]@{
            Name        = $parameter.Name
            Metadata    = $parameter
            Facts       = $facts
            Default     = if ($yaml.Contains('Default value') -and $yaml['Default value']) { $yaml['Default value'] } else { 'None' }
            Description = $text
        }
    }
    foreach ($extra in $documented.Keys) {
        if (-not $Command.Parameters.ContainsKey($extra)) { & $problem "it describes the parameter -$extra, which $name does not have." }
        elseif ([System.Management.Automation.Cmdlet]::CommonParameters.Contains($extra)) { & $problem "-$extra is a common parameter: leave it to '### CommonParameters'." }
    }

    $typed = {
        param([string] $Section)
        foreach ($sub in @((Get-Section $page $Section)?.Subsections)) {
            [pscustomobject]@{ Type = $sub.Title; Description = @(ConvertTo-Paragraph $sub.Lines) }
        }
    }
    $inputs = @(& $typed 'INPUTS')
    $outputs = @(& $typed 'OUTPUTS')
    if (-not $outputs) { & $problem "its OUTPUTS section names no type ('### TypeName')." }

    $links = foreach ($line in @((Get-Section $page 'RELATED LINKS')?.Lines)) {
        foreach ($m in [regex]::Matches($line, '\[([^\]]+)\]\(([^)]*)\)')) {
            [pscustomobject]@{ Text = $m.Groups[1].Value; Uri = if ($m.Groups[2].Value -match '^https?://') { $m.Groups[2].Value } else { '' } }
        }
    }

    [pscustomobject]@{
        Command     = $Command
        Synopsis    = $synopsis
        Description = $description
        Syntax      = $syntax
        Examples    = @($examples)
        Parameters  = @($parameters)
        Inputs      = $inputs
        Outputs     = $outputs
        Notes       = @(ConvertTo-Paragraph (Get-Section $page 'NOTES')?.Lines)
        Links       = @($links)
    }
}

#endregion

#region MAML

function Write-Para([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $NsMaml)
    foreach ($p in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $NsMaml, $p) }
    $Writer.WriteEndElement()
}

function Write-MamlParameter([System.Xml.XmlWriter] $Writer, $Documented, $SetFacts) {
    # One command:parameter. $SetFacts is the parameter's entry in one syntax item, or $null in the parameters list.
    $meta = $Documented.Metadata
    $isSwitch = $meta.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $required = if ($SetFacts) { $SetFacts.IsMandatory } else { $Documented.Facts['Required'] -eq 'True' }
    $position = if ($SetFacts) { $SetFacts.Position } else { ($Documented.Facts['Position'] -as [int]) ?? -1 }
    $Writer.WriteStartElement('command', 'parameter', $NsCommand)
    $Writer.WriteAttributeString('required', $required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $meta.ParameterType.IsArray.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $Documented.Facts['Accept wildcard characters'].ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Documented.Facts['Accept pipeline input'])
    $Writer.WriteAttributeString('position', $(if ($position -ge 0) { [string]$position } else { 'named' }))
    $Writer.WriteAttributeString('aliases', $(if ($meta.Aliases.Count) { $meta.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $NsMaml, $Documented.Name)
    Write-Para $Writer $Documented.Description
    $accepted = @(Get-AcceptedValue $meta)
    if ($SetFacts -and $accepted) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $NsCommand)
        foreach ($value in $accepted) {
            $Writer.WriteStartElement('command', 'parameterValue', $NsCommand)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $NsCommand, 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    elseif (-not ($SetFacts -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $NsCommand)
        $Writer.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($meta.ParameterType.Name)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $NsDev)
    $Writer.WriteElementString('maml', 'name', $NsMaml, $meta.ParameterType.FullName)
    $Writer.WriteElementString('maml', 'uri', $NsMaml, '')
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $NsDev, $Documented.Default)
    $Writer.WriteEndElement()
}

function Write-MamlCommand([System.Xml.XmlWriter] $Writer, $Help) {
    $command = $Help.Command
    $Writer.WriteStartElement('command', 'command', $NsCommand)
    $Writer.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
    $Writer.WriteAttributeString('xmlns', 'dev', $null, $NsDev)
    $Writer.WriteAttributeString('xmlns', 'MSHelp', $null, $NsMSHelp)

    $Writer.WriteStartElement('command', 'details', $NsCommand)
    $Writer.WriteElementString('command', 'name', $NsCommand, $command.Name)
    $Writer.WriteElementString('command', 'verb', $NsCommand, $command.Verb)
    $Writer.WriteElementString('command', 'noun', $NsCommand, $command.Noun)
    Write-Para $Writer @($Help.Synopsis)
    $Writer.WriteEndElement()

    Write-Para $Writer $Help.Description

    $byName = @{}
    foreach ($p in $Help.Parameters) { $byName[$p.Name] = $p }

    $Writer.WriteStartElement('command', 'syntax', $NsCommand)
    foreach ($item in $Help.Syntax) {
        $Writer.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $Writer.WriteElementString('maml', 'name', $NsMaml, $command.Name)
        foreach ($p in $item.Parameters) {
            if ($byName.ContainsKey($p.Name)) { Write-MamlParameter $Writer $byName[$p.Name] $p }
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $NsCommand)
    foreach ($p in $Help.Parameters) { Write-MamlParameter $Writer $p $null }
    $Writer.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType', $Help.Inputs), @('returnValues', 'returnValue', $Help.Outputs))) {
        $Writer.WriteStartElement('command', $kind[0], $NsCommand)
        foreach ($entry in $kind[2]) {
            $Writer.WriteStartElement('command', $kind[1], $NsCommand)
            $Writer.WriteStartElement('dev', 'type', $NsDev)
            $Writer.WriteElementString('maml', 'name', $NsMaml, $entry.Type)
            $Writer.WriteEndElement()
            Write-Para $Writer $entry.Description
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('maml', 'alertSet', $NsMaml)
    $Writer.WriteStartElement('maml', 'alert', $NsMaml)
    foreach ($p in $Help.Notes) { $Writer.WriteElementString('maml', 'para', $NsMaml, $p) }
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $NsCommand)
    foreach ($example in $Help.Examples) {
        $Writer.WriteStartElement('command', 'example', $NsCommand)
        $Writer.WriteElementString('maml', 'title', $NsMaml, "---------- $($example.Title) ----------")
        $Writer.WriteElementString('dev', 'code', $NsDev, $example.Code)
        $Writer.WriteStartElement('dev', 'remarks', $NsDev)
        # The empty last paragraph puts a blank line between one example's remarks and the next example's title.
        foreach ($p in @($example.Remarks) + '') { $Writer.WriteElementString('maml', 'para', $NsMaml, $p) }
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $NsCommand)
    foreach ($link in $Help.Links) {
        $Writer.WriteStartElement('maml', 'navigationLink', $NsMaml)
        $Writer.WriteElementString('maml', 'linkText', $NsMaml, $link.Text)
        $Writer.WriteElementString('maml', 'uri', $NsMaml, $link.Uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

function Write-Maml([string] $Path, $Helps) {
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.NewLineChars = "`n"
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($help in $Helps) { Write-MamlCommand $writer $help }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }
}

#endregion

#region about topic

function Format-Wrapped([string] $Text, [int] $Indent, [int] $Hanging = $Indent) {
    # Word-wraps text to $AboutWidth columns; the first line indented by $Indent, the others by $Hanging.
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = ' ' * $Indent
    $empty = $true
    foreach ($word in $Text -split '\s+' | Where-Object { $_ }) {
        if (-not $empty -and $line.Length + 1 + $word.Length -gt $AboutWidth) {
            $lines.Add($line)
            $line = ' ' * $Hanging
            $empty = $true
        }
        $line += $(if ($empty) { $word } else { " $word" })
        $empty = $false
    }
    if (-not $empty) { $lines.Add($line) }
    $lines
}

function Format-AboutTable([string[]] $Rows) {
    # A markdown table as aligned columns, indented 4, the header underlined.
    $cells = @(foreach ($row in $Rows) { , @($row.Trim().Trim('|') -split '\|' | ForEach-Object { ConvertTo-PlainText $_.Trim() }) })
    $columns = ($cells | ForEach-Object { $_.Count } | Measure-Object -Maximum).Maximum
    $widths = foreach ($c in 0..($columns - 1)) { ($cells | ForEach-Object { if ($c -lt $_.Count) { $_[$c].Length } else { 0 } } | Measure-Object -Maximum).Maximum }
    $format = { param($Values) ('    ' + (@(for ($c = 0; $c -lt $columns; $c++) { ([string]$Values[$c]).PadRight($widths[$c]) }) -join '  ')).TrimEnd() }
    & $format $cells[0]
    & $format @($widths | ForEach-Object { '-' * $_ })
    foreach ($row in $cells | Select-Object -Skip 1) { & $format $row }
}

function ConvertTo-AboutText([string] $Path) {
    # An about_ markdown page as the text Get-Help shows: 'TOPIC' and the name, '## ' headings in capitals at the
    # margin, '### ' headings indented and underlined, text indented 4 and wrapped at 80 columns, code indented 8.
    $page = Read-HelpMarkdown $Path
    $name = [System.IO.Path]::GetFileNameWithoutExtension($Path)
    if ($page.Title -ne $name) { throw "$($Path): its title is '$($page.Title)', not '# $name'." }
    if (-not $page.Sections.Contains('SHORT DESCRIPTION') -or -not $page.Sections.Contains('LONG DESCRIPTION')) {
        throw "$($Path): an about topic needs '## SHORT DESCRIPTION' and '## LONG DESCRIPTION' (Get-Help takes the synopsis from the first)."
    }

    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC')
    $out.Add("    $name")
    $body = {
        param([string[]] $Lines)
        $previous = $null
        foreach ($block in Get-Block $Lines) {
            # A blank line between blocks, but none between the items of one list.
            if (-not ($block.Kind -eq 'Item' -and $previous -eq 'Item')) { $out.Add('') }
            $previous = $block.Kind
            switch ($block.Kind) {
                'Paragraph' { $out.AddRange([string[]]@(Format-Wrapped (ConvertTo-PlainText $block.Text) 4)) }
                'Item' {
                    $marker = "$($block.Marker) "
                    $out.AddRange([string[]]@(Format-Wrapped ($marker + (ConvertTo-PlainText $block.Text)) 4 (4 + $marker.Length)))
                }
                'Code' { foreach ($l in $block.Lines) { $out.Add($(if ($l) { ' ' * 8 + $l } else { '' })) } }
                'Table' { $out.AddRange([string[]]@(Format-AboutTable $block.Lines)) }
            }
        }
    }
    foreach ($section in $page.Sections.Values) {
        $out.Add('')
        $out.Add($section.Name.ToUpperInvariant())
        & $body $section.Lines
        foreach ($sub in $section.Subsections) {
            $out.Add('')
            $out.Add('  ' + $sub.Title)
            $out.Add('  ' + ('-' * $sub.Title.Length))
            & $body $sub.Lines
        }
    }
    $text = $out -join "`n"
    $text.TrimEnd() + "`n"
}

#endregion

# Relative paths are relative to the current location (Import-Module would take a bare relative path for a name).
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$DocsPath = (Resolve-Path -LiteralPath $DocsPath).ProviderPath
$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)

$module = Import-Module -Name $ModulePath -Force -PassThru -ErrorAction Stop
$commands = @($module.ExportedCmdlets.Values | Sort-Object Name)
$problems = [System.Collections.Generic.List[string]]::new()

$pages = @(Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' -File | Where-Object Name -NotLike 'about_*')
foreach ($page in $pages) {
    if ($page.BaseName -notin $commands.Name) {
        $problems.Add("$($page.Name): the module exports no cmdlet named '$($page.BaseName)'.")
    }
}

$helps = foreach ($command in $commands) {
    $path = Join-Path $DocsPath "$($command.Name).md"
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        $problems.Add("$($command.Name) has no help page: write $path.")
        continue
    }
    try {
        Read-CommandPage $command $path $problems
    }
    catch {
        $problems.Add("$([System.IO.Path]::GetFileName($path)): $($_.Exception.Message)")
    }
}

$abouts = @(Get-ChildItem -LiteralPath $DocsPath -Filter 'about_*.md' -File)
$aboutTexts = foreach ($about in $abouts) {
    try {
        [pscustomobject]@{ Name = "$($about.BaseName).help.txt"; Text = ConvertTo-AboutText $about.FullName }
    }
    catch {
        $problems.Add($_.Exception.Message)
    }
}
if (-not $abouts) { $problems.Add("There is no about topic (about_$($module.Name).md) in $DocsPath.") }

if ($problems.Count) {
    # Listed one per line first: an error view may fold the exception's lines into one.
    foreach ($problem in $problems) { Write-Host "Help problem: $problem" }
    throw "The help source in $DocsPath does not match the module ($($problems.Count) problem(s)):`n - " + ($problems -join "`n - ")
}

New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
# The file name PowerShell looks for: the cmdlets' assembly name + '.dll-Help.xml' (SsoSecret.dll-Help.xml).
$mamlPath = Join-Path $OutputPath ([System.IO.Path]::GetFileName($commands[0].HelpFile))
Write-Maml $mamlPath $helps
foreach ($about in $aboutTexts) {
    [System.IO.File]::WriteAllText((Join-Path $OutputPath $about.Name), $about.Text, [System.Text.UTF8Encoding]::new($false))
}
Write-Verbose "Wrote $mamlPath ($(@($helps).Count) cmdlets) and $(@($aboutTexts).Count) about topic(s)."
