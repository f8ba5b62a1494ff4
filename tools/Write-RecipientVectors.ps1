<#
.SYNOPSIS
    Prints the test vectors of docs/envelope-format-v2.md (backups sealed to recovery keys, and the recovery key file)
    and its negative vectors (what a reader refuses, and at which step), computed by the module's own code.
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
$armorEncode = $armor.GetMethod('Encode', $flags, $null, [type[]]@([byte[]], [string], [System.Collections.Generic.IReadOnlyList[string]]), $null)

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
        $armor.GetMethod('EncodeBackup', $flags).Invoke($null, @(, $data)).TrimEnd("`n")
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
$armorEncode.Invoke($null, @($keyData, 'SSOSECRET RECOVERY KEY', $null)).TrimEnd("`n")
'```'
''

# The negative vectors: what a reader must refuse, and at which step. Each is made from a positive vector above by the
# change its title names; the test suite and the Node.js implementation make it again from the page and compare.
$bech32m = $core.GetType('SsoSecret.Codec.Bech32m')
function Line([byte[]] $bytes) { Call $bech32m 'Encode' @('ssosecret-recipient', (Call $bech32m 'ToGroups' @(, $bytes))) }
function Fingerprint([byte[]] $bytes) { Hex (Call $publicKeyType 'ComputeFingerprint' @(, $bytes)) }
function Reseal([byte[]] $data) {
    $sum = Call $primitives 'Sha256' @($data, 0, ($data.Length - 32))
    [Array]::Copy($sum, 0, $data, $data.Length - 32, 32)
}

# Vector 1's recipient with the top bit of byte 31 set: the same point, so X25519 gives the same shared secret, but
# another fingerprint and another salt. p = 2^255 - 19 (zero mod p, which step 6 alone would call small order) and
# 2^255 - 1 are the two ends of the values from p up that have the top bit clear.
$bob = FromHex 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'
$topBit = [byte[]]$bob.Clone(); $topBit[31] = $topBit[31] -bor 0x80
$p = [byte[]](@(0xed) + @(,0xff * 30) + @(0x7f))
$max = [byte[]](@(,0xff * 31) + @(0x7f))
$lines = @(
    @{ Name = 'Negative vector 1: InvalidRecipient, the top bit set'; Key = $topBit }
    @{ Name = 'Negative vector 2: InvalidRecipient, u = p'; Key = $p }
    @{ Name = 'Negative vector 3: InvalidRecipient, u = 2^255 - 1'; Key = $max }
)
foreach ($v in $lines) {
    "### $($v.Name)"
    ''
    '```text'
    "$(Pad 'public key')$(Hex $v.Key)"
    "$(Pad 'public key line')$(Line $v.Key)"
    "$(Pad 'outcome')InvalidRecipient"
    "$(Pad 'refused at')step 5"
    '```'
    ''
}

# Step 6's order: vector 2's stanzas rearranged (a stanza's type byte set where the line says), N made to agree and
# the checksum recomputed.
$vector2 = $vectors[1]
function PublicKey([byte[]] $bytes) { [Activator]::CreateInstance($publicKeyType, $flags, $null, @(, $bytes), $null) }
function Recipients([byte[][]] $keys) {
    $list = [Activator]::CreateInstance($listType)
    foreach ($k in $keys) { $null = $listType.GetMethod('Add').Invoke($list, @(, (PublicKey $k))) }
    , $list
}
$v2recipients = Recipients @($vector2.Recipients | ForEach-Object { , (Call $primitives 'X25519PublicKey' @(, (FromHex $_))) })
$v2ephemerals = [System.Collections.Generic.List[byte[]]]::new()
foreach ($e in $vector2.Ephemerals) { $v2ephemerals.Add((FromHex $e)) }
$v2data = Get (Call $envelope 'Seal' @($vector2.Secret, $vector2.Id, $vector2.Created, $v2recipients, (FromHex $vector2.FileKey), $v2ephemerals)) 'Data'
$orders = @(
    @{ Name = 'Negative vector 4: Damaged, a recipient twice before a stanza of type 2'; Stanzas = @(@(1, 1), @(1, 1), @(2, 2)); Outcome = 'Damaged' }
    @{ Name = 'Negative vector 5: UnsupportedVersion, a stanza of type 2 before a recipient twice'; Stanzas = @(@(1, 2), @(2, 1), @(2, 1)); Outcome = 'UnsupportedVersion' }
    @{ Name = 'Negative vector 6: UnsupportedVersion, a stanza of type 2 repeating a fingerprint'; Stanzas = @(@(1, 1), @(1, 2)); Outcome = 'UnsupportedVersion' }
)
foreach ($v in $orders) {
    $stanzaBytes = foreach ($s in $v.Stanzas) {
        $one = [byte[]]$v2data[(56 + 97 * ($s[0] - 1))..(56 + 97 * $s[0] - 1)]
        $one[0] = $s[1]
        , $one
    }
    $after = $v2data[(56 + 97 * 2)..($v2data.Length - 1)]
    $data = [byte[]](@($v2data[0..55]) + @($stanzaBytes | ForEach-Object { $_ }) + @($after))
    $data[13] = $v.Stanzas.Count
    Reseal $data
    "### $($v.Name)"
    ''
    '```text'
    "$(Pad 'made from')vector 2"
    "$(Pad 'stanzas')$(($v.Stanzas | ForEach-Object { if ($_[1] -eq 1) { "$($_[0])" } else { "$($_[0]) with type $($_[1])" } }) -join ', ')"
    "$(Pad 'outcome')$($v.Outcome)"
    ''
    'file:'
    Wrap (Hex $data)
    '```'
    ''
}

# Vector 1 sealed to negative vector 1's line, as SsoSecret did before it refused such lines: the page's writer steps
# by hand (the module's writer refuses the key). The shared secret is vector 1's; the fingerprint and wrap key are not.
$vector1 = $vectors[0]
$v1recipients = Recipients @(, $bob)
$v1ephemerals = [System.Collections.Generic.List[byte[]]]::new()
$v1ephemerals.Add((FromHex $vector1.Ephemerals[0]))
$v1data = Get (Call $envelope 'Seal' @($vector1.Secret, $vector1.Id, $vector1.Created, $v1recipients, (FromHex $vector1.FileKey), $v1ephemerals)) 'Data'
$ephemeral = FromHex $vector1.Ephemerals[0]
$ephemeralPublic = Call $primitives 'X25519PublicKey' @(, $ephemeral)
$shared = Call $primitives 'X25519' @($ephemeral, $topBit)
$wrapKey = Call $envelope 'WrapKey' @($shared, $ephemeralPublic, $topBit)
$fileKey = FromHex $vector1.FileKey
$wrapped = Call $primitives 'ChaChaSeal' @($wrapKey, [byte[]]::new(12), [byte[]]::new(0), $fileKey)
function Concat([object[]] $parts) {
    $all = [System.Collections.Generic.List[byte]]::new()
    foreach ($part in $parts) { $all.AddRange([byte[]]$part) }
    , $all.ToArray()
}
$header = Concat @([byte[]]$v1data[0..55], [byte[]]@(1), (Call $publicKeyType 'ComputeFingerprint' @(, $topBit)), $ephemeralPublic, $wrapped)
$keys = Call $envelope 'DeriveKeys' @($fileKey, $header)
$sealedSecret = Call $primitives 'ChaChaSeal' @((Get $keys 'Key'), (Get $keys 'Nonce'), $header, $vector1.Secret)
$data = Concat @($header, (Get $keys 'Commitment'), $sealedSecret, [byte[]]::new(32))
Reseal $data
'### Negative vector 7: WrongRecoveryKey, sealed to the line of negative vector 1'
''
'```text'
"$(Pad 'made from')vector 1"
"$(Pad 'recipient 1 public key')$(Hex $topBit)"
"$(Pad 'recipient 1 public key line')$(Line $topBit)"
"$(Pad 'recipient 1 fingerprint')$(Fingerprint $topBit)"
"$(Pad 'shared secret 1')$(Hex $shared)"
"$(Pad 'wrap key 1')$(Hex $wrapKey)"
"$(Pad 'wrapped file key 1')$(Hex $wrapped)"
"$(Pad 'opened with')$($vector1.Recipients[0])"
"$(Pad 'outcome')WrongRecoveryKey"
''
'file:'
Wrap (Hex $data)
'```'
''

# The key file vector with negative vector 1's public key in its header, the checksum recomputed: refused with the
# fields, before any password.
$keyForged = [byte[]]$keyData.Clone()
[Array]::Copy($topBit, 0, $keyForged, 50, 32)
Reseal $keyForged
'### Negative vector 8: DamagedRecoveryKey, a key file whose public key has the top bit set'
''
'```text'
"$(Pad 'made from')key file vector"
"$(Pad 'public key')$(Hex $topBit)"
"$(Pad 'outcome')DamagedRecoveryKey"
''
'file:'
Wrap (Hex $keyForged)
'```'
