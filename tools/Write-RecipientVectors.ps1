<#
.SYNOPSIS
    Prints the test vectors of docs/envelope-format-v2.md (backups sealed to recovery keys, and the recovery key file),
    computed by the module's own code.
.DESCRIPTION
    For maintainers: docs/envelope-format-v2.md holds the output of this script, and the xunit suite
    (RecipientSpecificationTests) recomputes every value from the document and compares, so the two cannot drift; the
    Node.js implementation in tests/Interop reads the same values. Run after a build:
    dotnet pwsh ./tools/Write-RecipientVectors.ps1
#>
param([string] $ModuleFolder = (Join-Path $PSScriptRoot '../out/SsoSecret'))

$ErrorActionPreference = 'Stop'
$bin = Join-Path $ModuleFolder 'bin'
$null = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $bin 'isolated/BouncyCastle.Cryptography.dll')).Path)
$null = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $bin 'SsoSecret.Types.dll')).Path)
$core = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $bin 'isolated/SsoSecret.Core.dll')).Path)
$flags = [System.Reflection.BindingFlags]'NonPublic, Static, Public, Instance'
$primitives = $core.GetType('SsoSecret.Crypto.Primitives')
$envelope = $core.GetType('SsoSecret.RecipientEnvelope')
$keyFile = $core.GetType('SsoSecret.RecoveryKeyFile')
$publicKeyType = $core.GetType('SsoSecret.RecoveryPublicKey')
$armor = $core.GetType('SsoSecret.Armor')
$armorEncode = $armor.GetMethod('Encode', $flags, $null, [type[]]@([byte[]], [string]), $null)

function Hex([byte[]] $b) { [Convert]::ToHexString($b).ToLowerInvariant() }
# The unary comma keeps a byte array whole: a function's output would otherwise be enumerated into object[].
function FromHex([string] $h) { , [Convert]::FromHexString($h) }
function Wrap([string] $s) { ($s -split '(.{64})' | Where-Object { $_ }) -join "`n" }
function Call($type, [string] $name, [object[]] $arguments) { , $type.GetMethod($name, $flags).Invoke($null, $arguments) }
function Get($object, [string] $name) { , $object.GetType().GetProperty($name, $flags).GetValue($object) }
function Pad([string] $label) { ($label + ':').PadRight(30) }

# RFC 7748 section 6.1: Bob's key is the first recipient, Alice's the first ephemeral key, so the first shared
# secret is the RFC's own (4a5d9d5b...).
$vectors = @(
    @{
        Name = 'Vector 1 (binary, one recipient)'
        Recipients = @('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
        Ephemerals = @('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
        FileKey = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
        Created = [DateTimeOffset]::Parse('2026-01-01T00:00:00Z'); Id = [guid]'6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f'
        Secret = [byte[]](0xa0..0xbf); Armor = $false
    },
    @{
        Name = 'Vector 2 (armored, two recipients)'
        Recipients = @('a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7', '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
        Ephemerals = @('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f', '404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f')
        FileKey = 'f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100'
        Created = [DateTimeOffset]::Parse('2026-11-28T12:34:56Z'); Id = [guid]'0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5'
        Secret = [byte[]](0..47 | ForEach-Object { ($_ * 7 + 3) % 256 }); Armor = $true
    }
)

foreach ($v in $vectors) {
    "### $($v.Name)"
    ''
    '```text'
    $publicKeys = [System.Collections.Generic.List[object]]::new()
    for ($i = 0; $i -lt $v.Recipients.Count; $i++) {
        $n = $i + 1
        $private = FromHex $v.Recipients[$i]
        $public = [Activator]::CreateInstance($publicKeyType, $flags, $null, @(, (Call $primitives 'X25519PublicKey' @(, $private))), $null)
        $publicKeys.Add($public)
        "$(Pad "recipient $n private key")$(Hex $private)"
        "$(Pad "recipient $n public key")$(Hex (Get $public 'Bytes'))"
        "$(Pad "recipient $n public key line")$(Get $public 'Text')"
        "$(Pad "recipient $n fingerprint")$(Get $public 'Fingerprint')"
    }
    "$(Pad 'file key')$($v.FileKey)"
    for ($i = 0; $i -lt $v.Ephemerals.Count; $i++) {
        $n = $i + 1
        $ephemeral = FromHex $v.Ephemerals[$i]
        $ephemeralPublic = Call $primitives 'X25519PublicKey' @(, $ephemeral)
        $recipientPublic = Get $publicKeys[$i] 'Bytes'
        $shared = Call $primitives 'X25519' @($ephemeral, $recipientPublic)
        $wrapKey = Call $envelope 'WrapKey' @($shared, $ephemeralPublic, $recipientPublic)
        $wrapped = Call $primitives 'ChaChaSeal' @($wrapKey, [byte[]]::new(12), [byte[]]::new(0), (FromHex $v.FileKey))
        "$(Pad "ephemeral $n private key")$(Hex $ephemeral)"
        "$(Pad "ephemeral $n public key")$(Hex $ephemeralPublic)"
        "$(Pad "shared secret $n")$(Hex $shared)"
        "$(Pad "wrap key $n")$(Hex $wrapKey)"
        "$(Pad "wrapped file key $n")$(Hex $wrapped)"
    }
    "$(Pad 'created')$($v.Created.ToString('u')) ($($v.Created.ToUnixTimeSeconds()))"
    "$(Pad 'secret id')$($v.Id)"
    "$(Pad 'secret')$(Hex $v.Secret)"
    $list = [System.Collections.Generic.List[object]]::new()
    $listType = [System.Collections.Generic.List`1].MakeGenericType($publicKeyType)
    $recipientList = [Activator]::CreateInstance($listType)
    foreach ($p in $publicKeys) { $null = $listType.GetMethod('Add').Invoke($recipientList, @(, $p)) }
    $ephemeralList = [System.Collections.Generic.List[byte[]]]::new()
    foreach ($e in $v.Ephemerals) { $ephemeralList.Add((FromHex $e)) }
    $sealed = Call $envelope 'Seal' @($v.Secret, $v.Id, $v.Created, $recipientList, (FromHex $v.FileKey), $ephemeralList)
    $data = Get $sealed 'Data'
    $keys = Call $envelope 'DeriveKeys' @((FromHex $v.FileKey), $data)
    "$(Pad 'aead key')$(Hex (Get $keys 'Key'))"
    "$(Pad 'aead nonce')$(Hex (Get $keys 'Nonce'))"
    "$(Pad 'commitment')$(Hex (Get $keys 'Commitment'))"
    ''
    'file:'
    Wrap (Hex $data)
    if ($v.Armor) {
        ''
        'armored file:'
        $armorEncode.Invoke($null, @($data, 'SSOSECRET BACKUP')).TrimEnd("`n")
    }
    '```'
    ''
}

# The recovery key file: the first vector's recipient key, sealed under a password.
$kdf = [Activator]::CreateInstance([SsoSecret.KdfParameters], @(65536, 3, 4))
$private = FromHex '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'
$password = [Text.Encoding]::UTF8.GetBytes('correct horse battery staple')
$salt = [byte[]](0x10..0x1f)
$created = [DateTimeOffset]::Parse('2026-01-01T00:00:00Z')
$hint = 'the one with the horse'
$sealedKey = Call $keyFile 'Seal' @($private, $created, $hint, $password, $kdf, $salt, $false)
$keyData = Get $sealedKey 'Data'
$keyKeys = Get $sealedKey 'Keys'
$ikm = Call $primitives 'Argon2id' @($password, $salt, $kdf, 32)
'### Key file vector (armored)'
''
'```text'
"$(Pad 'private key')$(Hex $private)"
"$(Pad 'public key')$(Hex (Call $primitives 'X25519PublicKey' @(, $private)))"
"$(Pad 'password (UTF-8)')$(Hex $password)"
"$(Pad 'salt')$(Hex $salt)"
"$(Pad 'kdf')m=65536 KiB, t=3, p=4"
"$(Pad 'created')$($created.ToString('u')) ($($created.ToUnixTimeSeconds()))"
"$(Pad 'hint (UTF-8)')$(Hex ([Text.Encoding]::UTF8.GetBytes($hint)))"
"$(Pad 'argon2id output')$(Hex $ikm)"
"$(Pad 'aead key')$(Hex (Get $keyKeys 'Key'))"
"$(Pad 'aead nonce')$(Hex (Get $keyKeys 'Nonce'))"
"$(Pad 'commitment')$(Hex (Get $keyKeys 'Commitment'))"
''
'file:'
Wrap (Hex $keyData)
''
'armored file:'
$armorEncode.Invoke($null, @($keyData, 'SSOSECRET RECOVERY KEY')).TrimEnd("`n")
'```'
