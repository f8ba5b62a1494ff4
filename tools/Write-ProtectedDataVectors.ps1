<#
.SYNOPSIS
    Prints the protected-data specification's test vectors, computed by the module's own code.
.DESCRIPTION
    For maintainers: the "Test vectors" section of docs/protected-data-format.md holds the output of this script, and
    the xunit suite (ProtectedDataSpecificationTests) recomputes every value and every outcome from the page's text,
    so the two cannot drift. The second implementation (tests/Interop/protected-data.mjs) checks them too.
    Run after a build: dotnet pwsh ./tools/Write-ProtectedDataVectors.ps1
#>
param([string] $ModuleFolder = (Join-Path $PSScriptRoot '../out/SsoSecret'))

$ErrorActionPreference = 'Stop'
$null = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $ModuleFolder 'bin/isolated/BouncyCastle.Cryptography.dll')).Path)
$null = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $ModuleFolder 'bin/SsoSecret.Types.dll')).Path)
$core = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $ModuleFolder 'bin/isolated/SsoSecret.Core.dll')).Path)
$flags = [System.Reflection.BindingFlags]'NonPublic, Static, Public, Instance'
$pd = $core.GetType('SsoSecret.ProtectedData')
$b64 = $core.GetType('SsoSecret.Base64Url')
$primitives = $core.GetType('SsoSecret.Crypto.Primitives')
$codec = $core.GetType('SsoSecret.Codec.BigEndian')

function Hex([byte[]] $b) { [Convert]::ToHexString($b).ToLowerInvariant() }
function Wrap([string] $s) { if ($s.Length -eq 0) { return '' }; ($s -split '(.{64})' | Where-Object { $_ }) -join "`n" }
function Utf8([string] $s) { , [Text.Encoding]::UTF8.GetBytes($s) }
function Protect($v) { $pd.GetMethod('Protect', $flags, $null, @([guid], [byte[]], [string], [byte[]], [byte[]]), $null).Invoke($null, @($v.Id, [byte[]]$v.Secret, $v.Purpose, [byte[]]$v.Plaintext, [byte[]]$v.Salt)) }
function Body([string] $text) {
    $encoded = $text.Substring(9)
    $body = [byte[]]::new($b64.GetMethod('DecodedLength', $flags).Invoke($null, @($encoded.Length)))
    [void]$b64.GetMethod('TryDecode', $flags).Invoke($null, @($encoded, 0, $encoded.Length, $body))
    , $body
}
function Reseal([byte[]] $body) {
    $sum = $primitives.GetMethod('Sha256', $flags).Invoke($null, @($body, 0, ($body.Length - 4)))
    [Array]::Copy($sum, 0, $body, $body.Length - 4, 4)
    $b64.GetMethod('Encode', $flags).Invoke($null, @('ssodata1.', $body))
}

$v1 = @{
    Name = 'Vector 1 (a password)'; Id = [guid]'6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f'; Secret = [byte[]](0xa0..0xbf)
    Salt = [byte[]](0..15); Purpose = 'billing/db-password'; Plaintext = (Utf8 'correct horse battery staple')
}
$v2 = @{
    Name = 'Vector 2 (empty value, non-ASCII purpose)'; Id = [guid]'0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5'
    Secret = [byte[]](0..31 | ForEach-Object { ($_ * 7 + 3) % 256 }); Salt = [byte[]](240..255)
    Purpose = "Geh$([char]0xe4)lter/Kennwort $([char]0x2014) $([char]::ConvertFromUtf32(0x1F434))"; Plaintext = [byte[]]@()
}
$v3 = @{
    Name = 'Vector 3 (shortest secret, every byte value)'; Id = [guid]'c0ffee00-1234-4abc-8def-0123456789ab'
    Secret = [byte[]](0..15 | ForEach-Object { ($_ * 29 + 1) % 256 }); Salt = [byte[]](@(0xa5) * 16)
    Purpose = 'a'; Plaintext = [byte[]](0..255)
}

foreach ($v in $v1, $v2, $v3) {
    $text = Protect $v
    $body = Body $text
    $purposeBytes = Utf8 $v.Purpose
    $header = $pd.GetMethod('Header', $flags).Invoke($null, @(, $body))
    $keys = $pd.GetMethod('DeriveKeys', $flags).Invoke($null, @($v.Secret, $header, $purposeBytes))
    "### $($v.Name)"
    ''
    '```text'
    "secret id:        $($v.Id)"
    "secret:           $(Hex $v.Secret)"
    "salt:             $(Hex $v.Salt)"
    "purpose:          $($v.Purpose)"
    "purpose (UTF-8):  $(Hex $purposeBytes)"
    "header:           $(Hex $header)"
    "aead key:         $(Hex $keys.GetType().GetProperty('Key', $flags).GetValue($keys))"
    "aead nonce:       $(Hex $keys.GetType().GetProperty('Nonce', $flags).GetValue($keys))"
    "commitment:       $(Hex $keys.GetType().GetProperty('Commitment', $flags).GetValue($keys))"
    "checksum:         $(Hex $body[($body.Length - 4)..($body.Length - 1)])"
    ''
    'plaintext:'
    if ($v.Plaintext.Length -eq 0) { '(empty)' } else { Wrap (Hex $v.Plaintext) }
    ''
    'body:'
    Wrap (Hex $body)
    ''
    'text:'
    Wrap $text
    '```'
    ''
}

# Negative vectors: what a reader must answer for each outcome.
$ring12 = @("current secret:   $($v1.Id) $(Hex $v1.Secret)", "previous secret:  $($v2.Id) $(Hex $v2.Secret)")
$ring2 = @("current secret:   $($v2.Id) $(Hex $v2.Secret)")
$t1 = Protect $v1
$b1 = Body $t1

$changed = $t1.Substring(0, 30) + $(if ($t1[30] -ceq 'A') { 'B' } else { 'A' }) + $t1.Substring(31)
$lastValue = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.IndexOf($t1[-1])
$noncanonical = $t1.Substring(0, $t1.Length - 1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[$lastValue + 1]
$nil = [byte[]]$b1.Clone(); [Array]::Clear($nil, 0, 16)
$forgedId = [byte[]]$b1.Clone(); $codec.GetMethod('WriteGuid', $flags).Invoke($null, @($forgedId, 0, $v2.Id))
$flipped = [byte[]]$b1.Clone(); $flipped[64] = $flipped[64] -bxor 1

$negatives = @(
    @{ Name = 'NotProtectedData'; Text = 'correct horse battery staple'; Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'NotProtectedData' },
    @{ Name = 'UnsupportedVersion'; Text = 'ssodata2.' + $t1.Substring(9); Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'UnsupportedVersion'; Extra = 'version named:    2' },
    @{ Name = 'Damaged, a changed character'; Text = $changed; Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'Damaged' },
    @{ Name = 'Damaged, not canonical'; Text = $noncanonical; Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'Damaged' },
    @{ Name = 'Damaged, cut short'; Text = $t1.Substring(0, $t1.Length - 4); Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'Damaged' },
    @{ Name = 'Damaged, nil secret id'; Text = (Reseal $nil); Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'Damaged' },
    @{ Name = 'UnknownSecret'; Text = $t1; Ring = $ring2; Purpose = $v1.Purpose; Outcome = 'UnknownSecret'; Extra = "secret id named:  $($v1.Id)" },
    @{ Name = 'WrongPurpose'; Text = $t1; Ring = $ring12; Purpose = 'Billing/db-password'; Outcome = 'WrongPurpose'; Extra = "secret id named:  $($v1.Id)" },
    @{ Name = 'WrongPurpose, a forged secret id'; Text = (Reseal $forgedId); Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'WrongPurpose'; Extra = "secret id named:  $($v2.Id)" },
    @{ Name = 'Tampered'; Text = (Reseal $flipped); Ring = $ring12; Purpose = $v1.Purpose; Outcome = 'Tampered'; Extra = "secret id named:  $($v1.Id)" }
)

$n = 0
foreach ($v in $negatives) {
    $n++
    "### Negative vector $($n): $($v.Name)"
    ''
    '```text'
    $v.Ring
    "purpose (UTF-8):  $(Hex (Utf8 $v.Purpose))"
    "outcome:          $($v.Outcome)"
    if ($v.Extra) { $v.Extra }
    ''
    'text:'
    Wrap $v.Text
    '```'
    ''
}
