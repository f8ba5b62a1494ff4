<#
.SYNOPSIS
    Prints the envelope specification's test vectors, computed by the module's own envelope code.
.DESCRIPTION
    For maintainers: docs/envelope-format.md holds the output of this script, and the xunit suite
    (EnvelopeSpecificationTests) recomputes every value and compares it with the document, so the two cannot drift.
    Run after a build: dotnet pwsh ./tools/Write-EnvelopeVectors.ps1
#>
param([string] $ModuleFolder = (Join-Path $PSScriptRoot '../out/SsoSecret'))

$ErrorActionPreference = 'Stop'
$types = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $ModuleFolder 'bin/SsoSecret.Types.dll')).Path)
$core = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $ModuleFolder 'bin/isolated/SsoSecret.Core.dll')).Path)
$flags = [System.Reflection.BindingFlags]'NonPublic, Static, Public, Instance'
$envelope = $core.GetType('SsoSecret.BackupEnvelope')
$primitives = $core.GetType('SsoSecret.Crypto.Primitives')
$armor = $core.GetType('SsoSecret.Armor')

function Hex([byte[]] $b) { [Convert]::ToHexString($b).ToLowerInvariant() }
function Wrap([string] $s) { ($s -split '(.{64})' | Where-Object { $_ }) -join "`n" }

$vectors = @(
    @{
        Name = 'Vector 1 (binary)'; Password = 'correct horse battery staple'; Salt = [byte[]](0..15)
        Created = [DateTimeOffset]::Parse('2026-01-01T00:00:00Z'); Id = [guid]'6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f'
        Secret = [byte[]](0xa0..0xbf); Hint = 'the one with the horse'; Armor = $false
    },
    @{
        Name = 'Vector 2 (armored, non-ASCII)'; Password = "p$([char]0xe4)ssw$([char]0xf6)rter-$([char]0x00fc) " + [char]::ConvertFromUtf32(0x1F434); Salt = [byte[]](240..255)
        Created = [DateTimeOffset]::Parse('2026-11-28T12:34:56Z'); Id = [guid]'0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5'
        Secret = [byte[]](0..31 | ForEach-Object { ($_ * 7 + 3) % 256 }); Hint = "Pferd $([char]::ConvertFromUtf32(0x1F434)) $([char]0x2014) Batterie"; Armor = $true
    }
)

foreach ($v in $vectors) {
    $kdfType = $types.GetType('SsoSecret.KdfParameters')
    $kdf = [Activator]::CreateInstance($kdfType, @(65536, 3, 4))
    $password = [Text.Encoding]::UTF8.GetBytes($v.Password)
    $seal = $envelope.GetMethod('Seal', $flags)
    $sealed = $seal.Invoke($null, @($v.Secret, $v.Id, $v.Created, $v.Hint, $password, $kdf, $v.Salt, $false))
    $data = $sealed.GetType().GetProperty('Data', $flags).GetValue($sealed)
    $keys = $sealed.GetType().GetProperty('Keys', $flags).GetValue($sealed)
    $ikm = $primitives.GetMethod('Argon2id', $flags).Invoke($null, @($password, $v.Salt, $kdf, 32))
    "### $($v.Name)"
    ''
    "password (UTF-8): $(Hex $password)"
    "salt:             $(Hex $v.Salt)"
    "kdf:              m=65536 KiB, t=3, p=4"
    "created:          $($v.Created.ToString('u')) ($($v.Created.ToUnixTimeSeconds()))"
    "secret id:        $($v.Id)"
    "secret:           $(Hex $v.Secret)"
    "hint (UTF-8):     $(Hex ([Text.Encoding]::UTF8.GetBytes($v.Hint)))"
    "argon2id output:  $(Hex $ikm)"
    "aead key:         $(Hex $keys.GetType().GetProperty('Key', $flags).GetValue($keys))"
    "aead nonce:       $(Hex $keys.GetType().GetProperty('Nonce', $flags).GetValue($keys))"
    "commitment:       $(Hex $keys.GetType().GetProperty('Commitment', $flags).GetValue($keys))"
    ''
    'file:'
    Wrap (Hex $data)
    if ($v.Armor) {
        ''
        'armored file:'
        # The writer's armor, with its header lines (docs/envelope-format.md, "Armored form").
        $armor.GetMethod('EncodeBackup', $flags).Invoke($null, @(, $data)).TrimEnd("`n")
    }
    ''
}
