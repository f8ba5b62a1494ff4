<#
.SYNOPSIS
    Reads a guide's runnable blocks. Dot-sourced from the BeforeDiscovery of the suites that run guides (Guides,
    DscEngine, Vault), where TestHelpers.ps1 (which imports the module) is not wanted.
#>

function Get-GuideBlocks {
    <#
    Every ```powershell block of the guide at $Path, in order: Number (1 first), Line (of its opening fence), Code,
    Title (its first line), and Marker and MarkerValue: the kind and text of a <!-- kind: value --> comment that is the
    last non-blank line before the block (empty when there is none). A block that is not closed is an error. Blocks of
    other languages (text, output, yaml) are not runnable and are left out.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $name = Split-Path -Leaf $Path
    if (-not (Test-Path -LiteralPath $Path)) { throw "The guide $Path is missing." }
    $lines = @(Get-Content -LiteralPath $Path -Encoding utf8)
    $blocks = [System.Collections.Generic.List[hashtable]]::new()
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -notmatch '^```(\S*)\s*$') { continue }
        $language = $Matches[1]
        $start = $i
        $code = [System.Collections.Generic.List[string]]::new()
        for ($i++; $i -lt $lines.Count -and $lines[$i] -notmatch '^```\s*$'; $i++) { $code.Add($lines[$i]) }
        if ($i -ge $lines.Count) { throw "${name}: the code block at line $($start + 1) is not closed." }
        if ($language -ne 'powershell') { continue }
        $marker = ''
        $value = ''
        for ($j = $start - 1; $j -ge 0; $j--) {
            if ($lines[$j] -match '^\s*$') { continue }
            if ($lines[$j] -match '^<!--\s*([a-z]+):\s*(.+?)\s*-->$') { $marker = $Matches[1]; $value = $Matches[2] }
            break
        }
        $blocks.Add(@{
                Number      = $blocks.Count + 1
                Line        = $start + 1
                Code        = $code -join "`n"
                Title       = ($code | Where-Object { $_ -match '\S' } | Select-Object -First 1).Trim()
                Marker      = $marker
                MarkerValue = $value
            })
    }
    , $blocks.ToArray()
}
