using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/envelope-format-v2.md and the code together: every value of every test vector in the document (public
/// keys, their lines and fingerprints, ephemeral keys, shared secrets, wrap keys, wrapped file keys, the key schedule,
/// the file's bytes and armor) is recomputed from the document's own inputs and compared; the layout tables are
/// compared with the code's offsets; and the building blocks meet their published vectors (RFC 7748, BIP 350).
/// </summary>
public sealed class RecipientSpecificationTests
{
    internal static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "envelope-format-v2.md");

    public static IEnumerable<object[]> BackupVectors() =>
        ReadVectors().Where(v => v.Key.StartsWith("Vector", StringComparison.Ordinal)).Select(v => new object[] { v.Key });

    [Theory]
    [MemberData(nameof(BackupVectors))]
    public void TheCodeWritesTheDocumentedBackupBytes(string name)
    {
        var v = ReadVectors()[name];
        var recipients = new List<RecoveryPublicKey>();
        var privateKeys = new List<byte[]>();
        for (int i = 1; v.Fields.ContainsKey($"recipient {i} private key"); i++)
        {
            var privateKey = Hex.Decode(v.Fields[$"recipient {i} private key"]);
            var publicKey = RecoveryPublicKey.FromPrivateKey(privateKey);
            Assert.Equal(v.Fields[$"recipient {i} public key"], Hex.Encode(publicKey.Bytes));
            Assert.Equal(v.Fields[$"recipient {i} public key line"], publicKey.Text);
            Assert.Equal(v.Fields[$"recipient {i} fingerprint"], publicKey.Fingerprint);
            Assert.Equal(publicKey, RecoveryPublicKey.Parse(v.Fields[$"recipient {i} public key line"]));
            recipients.Add(publicKey);
            privateKeys.Add(privateKey);
        }

        var fileKey = Hex.Decode(v.Fields["file key"]);
        var ephemerals = new List<byte[]>();
        for (int i = 1; i <= recipients.Count; i++)
        {
            var ephemeral = Hex.Decode(v.Fields[$"ephemeral {i} private key"]);
            var ephemeralPublic = Primitives.X25519PublicKey(ephemeral);
            Assert.Equal(v.Fields[$"ephemeral {i} public key"], Hex.Encode(ephemeralPublic));
            var shared = Primitives.X25519(ephemeral, recipients[i - 1].Bytes)!;
            Assert.Equal(v.Fields[$"shared secret {i}"], Hex.Encode(shared));
            // The recipient computes the same secret from its side.
            Assert.Equal(shared, Primitives.X25519(privateKeys[i - 1], ephemeralPublic));
            var wrapKey = RecipientEnvelope.WrapKey(shared, ephemeralPublic, recipients[i - 1].Bytes);
            Assert.Equal(v.Fields[$"wrap key {i}"], Hex.Encode(wrapKey));
            Assert.Equal(v.Fields[$"wrapped file key {i}"], Hex.Encode(Primitives.ChaChaSeal(wrapKey, new byte[12], Array.Empty<byte>(), fileKey)));
            ephemerals.Add(ephemeral);
        }

        var created = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Regex.Match(v.Fields["created"], @"\((\d+)\)").Groups[1].Value));
        var id = Guid.Parse(v.Fields["secret id"]);
        var secret = Hex.Decode(v.Fields["secret"]);
        using var sealedBackup = RecipientEnvelope.Seal(secret, id, created, recipients, fileKey, ephemerals);
        Assert.Equal(v.FileHex, Hex.Encode(sealedBackup.Data));
        using (var keys = RecipientEnvelope.DeriveKeys(fileKey, sealedBackup.Data))
        {
            Assert.Equal(v.Fields["aead key"], Hex.Encode(keys.Key));
            Assert.Equal(v.Fields["aead nonce"], Hex.Encode(keys.Nonce));
            Assert.Equal(v.Fields["commitment"], Hex.Encode(keys.Commitment));
        }

        if (v.Armored is not null)
        {
            Assert.Equal(v.Armored + "\n", Armor.EncodeBackup(sealedBackup.Data));
        }

        // The documented bytes open, with every recipient's key, to the documented secret and header.
        foreach (var privateKey in privateKeys)
        {
            var input = v.Armored is null ? Hex.Decode(v.FileHex) : Encoding.ASCII.GetBytes(v.Armored);
            var opened = BackupEnvelope.OpenWithRecoveryKey(input, privateKey, out var header);
            Assert.Equal(secret, opened);
            Assert.Equal(2, header.Version);
            Assert.Equal(SsoSecretBackupKind.Recipients, header.Kind);
            Assert.Equal(id, header.SecretId);
            Assert.Equal(created, header.Created);
            Assert.Null(header.Kdf);
            Assert.Equal(recipients.Select(r => r.Fingerprint), header.Recipients);
            Assert.Equal(v.Armored is not null, header.Armored);
        }
    }

    [Fact]
    public void TheCodeWritesTheDocumentedKeyFileBytes()
    {
        var v = ReadVectors()["Key file vector (armored)"];
        var privateKey = Hex.Decode(v.Fields["private key"]);
        Assert.Equal(v.Fields["public key"], Hex.Encode(Primitives.X25519PublicKey(privateKey)));
        var password = Hex.Decode(v.Fields["password (UTF-8)"]);
        var salt = Hex.Decode(v.Fields["salt"]);
        var kdf = SpecVectors.ParseKdf(v.Fields["kdf"]);
        var created = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Regex.Match(v.Fields["created"], @"\((\d+)\)").Groups[1].Value));
        string hint = Encoding.UTF8.GetString(Hex.Decode(v.Fields["hint (UTF-8)"]));

        Assert.Equal(v.Fields["argon2id output"], Hex.Encode(Primitives.Argon2id(password, salt, kdf, 32)));
        using var sealedKey = RecoveryKeyFile.Seal(privateKey, created, hint, password, kdf, salt);
        Assert.Equal(v.Fields["aead key"], Hex.Encode(sealedKey.Keys.Key));
        Assert.Equal(v.Fields["aead nonce"], Hex.Encode(sealedKey.Keys.Nonce));
        Assert.Equal(v.Fields["commitment"], Hex.Encode(sealedKey.Keys.Commitment));
        Assert.Equal(v.FileHex, Hex.Encode(sealedKey.Data));
        Assert.Equal(v.Armored + "\n", Armor.Encode(sealedKey.Data, RecoveryKeyFile.ArmorLabel));

        // The key schedule from the Argon2id output alone (where the Node.js implementation starts) gives the same keys.
        using (var keys = RecoveryKeyFile.KeysFromArgon2Output(Hex.Decode(v.Fields["argon2id output"]), sealedKey.Data))
        {
            Assert.Equal(v.Fields["aead key"], Hex.Encode(keys.Key));
            Assert.Equal(v.Fields["commitment"], Hex.Encode(keys.Commitment));
        }

        var opened = RecoveryKeyFile.Open(Encoding.ASCII.GetBytes(v.Armored!), password, KdfLimits.Default, out var header);
        Assert.Equal(privateKey, opened);
        Assert.Equal(hint, header.Hint);
        Assert.Equal(created, header.Created);
        Assert.Equal(kdf, header.Kdf);
        Assert.True(header.Armored);
    }

    [Fact]
    public void TheDocumentHasItsVectors()
    {
        var vectors = ReadVectors();
        Assert.Equal(3, vectors.Count);
        Assert.Contains("Key file vector (armored)", vectors.Keys);
        Assert.Equal(2, vectors.Values.Count(v => v.Armored is not null));
    }

    public static IEnumerable<object[]> NegativeVectors() => ReadNegativeVectors().Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(NegativeVectors))]
    public void TheCodeGivesTheDocumentedOutcome(string name)
    {
        var v = ReadNegativeVectors()[name];
        var f = v.Fields;
        string outcome = f["outcome"];
        var vectors = ReadVectors();
        f.TryGetValue("made from", out string? madeFrom);
        if (madeFrom is null)
        {
            // A public key line: steps 1 to 4 take it, step 5 refuses it (before step 6, which some would also fail).
            var bytes = Hex.Decode(f["public key"]);
            Assert.Equal(f["public key line"], Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(bytes)));
            var decoded = Bech32m.Decode(f["public key line"], out _);
            Assert.NotNull(decoded);
            Assert.Equal(bytes, Bech32m.FromGroups(decoded!.Value.Groups));
            Assert.Equal("step 5", f["refused at"]);
            Assert.False(RecoveryPublicKey.IsCanonical(bytes));
            var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(f["public key line"]));
            Assert.Equal(outcome, e.Failure.ToString());
            Assert.Contains("not a canonical X25519 public key", e.Message);
            Assert.DoesNotContain("small order", e.Message);

            // The writer refuses the key however it came: no backup is sealed to it.
            var sealing = Assert.ThrowsAny<SsoSecretException>(() => RecipientEnvelope.Seal(new byte[32], Guid.NewGuid(), DateTimeOffset.UnixEpoch, new[] { new RecoveryPublicKey(bytes) }));
            Assert.Equal(SsoSecretFailure.InvalidRecipient, sealing.Failure);
            return;
        }

        if (madeFrom == "key file vector")
        {
            var keyFile = Hex.Decode(vectors["Key file vector (armored)"].FileHex);
            Buffer.BlockCopy(Hex.Decode(f["public key"]), 0, keyFile, RecoveryKeyFile.PublicKeyOffset, Primitives.X25519KeyLength);
            RecipientEnvelopeTests.Reseal(keyFile);
            Assert.Equal(v.FileHex, Hex.Encode(keyFile));
            var e = Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.ReadHeader(keyFile));
            Assert.Equal(outcome, e.Failure.ToString());
            Assert.Contains("not a canonical X25519 public key", e.Message);

            // Refused with the fields, before any password: the password of the key file vector does not change it.
            var password = Hex.Decode(vectors["Key file vector (armored)"].Fields["password (UTF-8)"]);
            Assert.Equal(outcome, Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.Open(keyFile, password, KdfLimits.Default, out _)).Failure.ToString());
            return;
        }

        var source = vectors.Single(p => p.Key.StartsWith(madeFrom.Replace("vector", "Vector") + " ", StringComparison.Ordinal)).Value;
        var sourceFile = Hex.Decode(source.FileHex);
        var sourceKeys = Enumerable.Range(1, 16).TakeWhile(i => source.Fields.ContainsKey($"recipient {i} private key")).Select(i => Hex.Decode(source.Fields[$"recipient {i} private key"])).ToList();
        byte[] file;
        byte[][] openWith;
        if (f.TryGetValue("stanzas", out string? stanzas))
        {
            // Step 6's order: the source's stanzas rearranged as the line says, N made to agree, the checksum recomputed.
            var list = new List<byte>(sourceFile.Take(RecipientEnvelope.StanzasOffset));
            var items = stanzas.Split(", ");
            foreach (string item in items)
            {
                var m = Regex.Match(item, @"^(\d+)(?: with type (\d+))?$");
                Assert.True(m.Success, item);
                var stanza = sourceFile.Skip(RecipientEnvelope.StanzasOffset + (int.Parse(m.Groups[1].Value) - 1) * RecipientEnvelope.StanzaLength).Take(RecipientEnvelope.StanzaLength).ToArray();
                if (m.Groups[2].Success)
                {
                    stanza[RecipientEnvelope.StanzaTypeOffset] = byte.Parse(m.Groups[2].Value);
                }

                list.AddRange(stanza);
            }

            list.AddRange(sourceFile.Skip(RecipientEnvelope.StanzasOffset + sourceKeys.Count * RecipientEnvelope.StanzaLength));
            file = list.ToArray();
            file[RecipientEnvelope.RecipientCountOffset] = (byte)items.Length;
            RecipientEnvelopeTests.Reseal(file);

            // Refused without a key, at step 6, and so with any key.
            Assert.Equal(outcome, InteropTests.Outcome(Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(file)).Failure));
            openWith = sourceKeys.ToArray();
        }
        else
        {
            // The source sealed to another public key as a writer that skipped step 5 would seal it: every value that
            // depends on the key recomputed by hand from the page's layout (the module's writer refuses the key).
            var publicKey = Hex.Decode(f["recipient 1 public key"]);
            Assert.Equal(f["recipient 1 public key line"], Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(publicKey)));
            Assert.Equal(f["recipient 1 fingerprint"], Hex.Encode(RecoveryPublicKey.ComputeFingerprint(publicKey)));
            var ephemeral = Hex.Decode(source.Fields["ephemeral 1 private key"]);
            var shared = Primitives.X25519(ephemeral, publicKey)!;
            Assert.Equal(f["shared secret 1"], Hex.Encode(shared));
            Assert.Equal(source.Fields["shared secret 1"], Hex.Encode(shared));
            var ephemeralPublic = Primitives.X25519PublicKey(ephemeral);
            var wrapKey = RecipientEnvelope.WrapKey(shared, ephemeralPublic, publicKey);
            Assert.Equal(f["wrap key 1"], Hex.Encode(wrapKey));
            var fileKey = Hex.Decode(source.Fields["file key"]);
            var wrapped = Primitives.ChaChaSeal(wrapKey, new byte[12], Array.Empty<byte>(), fileKey);
            Assert.Equal(f["wrapped file key 1"], Hex.Encode(wrapped));
            file = RecipientEnvelopeTests.SealByHand(sourceFile.Take(RecipientEnvelope.StanzasOffset).ToArray(), new[] { (publicKey, ephemeralPublic, wrapped) }, fileKey, Hex.Decode(source.Fields["secret"]));
            openWith = new[] { Hex.Decode(f["opened with"]) };
            Assert.Equal(sourceKeys[0], openWith[0]);
        }

        Assert.Equal(v.FileHex, Hex.Encode(file));
        foreach (var privateKey in openWith)
        {
            Assert.Equal(outcome, InteropTests.Outcome(Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(file, privateKey, out _)).Failure));
        }
    }

    [Fact]
    public void TheDocumentHasItsNegativeVectors()
    {
        var vectors = ReadNegativeVectors();
        Assert.Equal(8, vectors.Count);
        Assert.Equal(
            new[] { "InvalidRecipient", "Damaged", "UnsupportedVersion", "WrongRecoveryKey", "DamagedRecoveryKey" }.OrderBy(o => o),
            vectors.Values.Select(v => v.Fields["outcome"]).Distinct().OrderBy(o => o));

        // The three key lines: the top bit set, p itself (which step 6 alone would call small order), 2^255 - 1.
        var keys = vectors.Values.Where(v => v.Fields.ContainsKey("refused at")).Select(v => v.Fields["public key"]).ToList();
        Assert.Contains("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", keys);
        Assert.Contains("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", keys);
        Assert.Contains(keys, k => (Hex.Decode(k)[31] & 0x80) != 0);
        Assert.Null(Primitives.X25519(Encoding.ASCII.GetBytes("SsoSecret small-order probe 0001"), Hex.Decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
    }

    [Fact]
    public void TheFirstVectorIsRfc7748sExchange()
    {
        // RFC 7748 section 6.1: Alice's private key as the ephemeral key, Bob's as the recipient's; the shared secret is
        // the RFC's, so the vector checks this module's X25519 against the RFC as well as against the document.
        var v = ReadVectors()["Vector 1 (binary, one recipient)"];
        Assert.Equal("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", v.Fields["ephemeral 1 private key"]);
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", v.Fields["ephemeral 1 public key"]);
        Assert.Equal("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", v.Fields["recipient 1 private key"]);
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", v.Fields["recipient 1 public key"]);
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", v.Fields["shared secret 1"]);
    }

    [Fact]
    public void TheDocumentedLayoutsMatchTheCodesOffsets()
    {
        string text = File.ReadAllText(SpecPath);
        string backupTable = Section(text, "## Byte layout of a version 2 backup", "A recipient stanza");
        var rows = Rows(backupTable);
        Assert.Equal(BackupEnvelope.VersionOffset.ToString(), rows["version"]);
        Assert.Equal(RecipientEnvelope.FlagsOffset.ToString(), rows["flags"]);
        Assert.Equal(RecipientEnvelope.AeadIdOffset.ToString(), rows["AEAD id"]);
        Assert.Equal(RecipientEnvelope.RecipientCountOffset.ToString(), rows["N"]);
        Assert.Equal(RecipientEnvelope.CreatedOffset.ToString(), rows["created"]);
        Assert.Equal(RecipientEnvelope.SecretIdOffset.ToString(), rows["secret id"]);
        Assert.Equal(RecipientEnvelope.FingerprintOffset.ToString(), rows["fingerprint"]);
        Assert.Equal(RecipientEnvelope.SecretLengthOffset.ToString(), rows["S"]);
        Assert.Equal(RecipientEnvelope.StanzasOffset.ToString(), rows["stanzas"]);

        var stanza = Rows(Section(text, "A recipient stanza", "The *fixed header*"));
        Assert.Equal(RecipientEnvelope.StanzaTypeOffset.ToString(), stanza["type"]);
        Assert.Equal(RecipientEnvelope.StanzaFingerprintOffset.ToString(), stanza["recipient fingerprint"]);
        Assert.Equal(RecipientEnvelope.StanzaEphemeralOffset.ToString(), stanza["ephemeral public key"]);
        Assert.Equal(RecipientEnvelope.StanzaWrappedOffset.ToString(), stanza["wrapped file key"]);
        Assert.Contains($"{RecipientEnvelope.StanzaLength}·N", text);
        Assert.Contains($"exactly `{RecipientEnvelope.FixedOverhead} + {RecipientEnvelope.StanzaLength}N + S`", text);
        Assert.Contains($"{RecipientEnvelope.MinLength} to {RecipientEnvelope.MaxLength} bytes", text);
        Assert.Contains($"| N | {RecipientEnvelope.MinRecipients} to {RecipientEnvelope.MaxRecipients} |", text);

        var key = Rows(Section(text, "## The recovery key file", "The header is"));
        Assert.Equal(RecoveryKeyFile.VersionOffset.ToString(), key["version"]);
        Assert.Equal(RecoveryKeyFile.KdfIdOffset.ToString(), key["KDF id"]);
        Assert.Equal(RecoveryKeyFile.MemoryOffset.ToString(), key["m"]);
        Assert.Equal(RecoveryKeyFile.SaltOffset.ToString(), key["salt"]);
        Assert.Equal(RecoveryKeyFile.CreatedOffset.ToString(), key["created"]);
        Assert.Equal(RecoveryKeyFile.PublicKeyOffset.ToString(), key["public key"]);
        Assert.Equal(RecoveryKeyFile.HintLengthOffset.ToString(), key["H"]);
        Assert.Equal(RecoveryKeyFile.HintOffset.ToString(), key["hint"]);
        Assert.Contains($"exactly `{RecoveryKeyFile.FixedOverhead} + H`", text);
        Assert.Contains($"{RecoveryKeyFile.MinLength} to {RecoveryKeyFile.MaxLength} bytes", text);
        Assert.Contains("`" + string.Join(" ", RecoveryKeyFile.Magic.Select(b => b.ToString("X2"))) + "`", text);
    }

    // BIP 350's own test vectors for Bech32m, character for character.
    public static TheoryData<string> ValidBech32m => new()
    {
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    };

    public static TheoryData<string> InvalidBech32m => new()
    {
        "\u0020" + "1xj0phk",
        "\u007f" + "1g6xzxy",
        "\u0080" + "1vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m",
        "1qyrz8wqd2c9m",
        "y1b0jsk6g",
        "lt1igcx5c0",
        "in1muywd",
        "mm1crxm3i",
        "au1s5cgom",
        "M1VUXWEZ",
        "16plkw9",
        "1p2gdwpf",
        // BIP 173's Bech32 (not Bech32m) for the same empty data: the constant tells them apart.
        "A12UEL5L",
    };

    [Theory]
    [MemberData(nameof(ValidBech32m))]
    public void Bip350sValidStringsDecodeAndEncodeBack(string text)
    {
        var decoded = Bech32m.Decode(text, out _);
        Assert.NotNull(decoded);
        Assert.Equal(text.ToLowerInvariant(), Bech32m.Encode(decoded!.Value.Prefix, decoded.Value.Groups));
    }

    [Theory]
    [MemberData(nameof(InvalidBech32m))]
    public void Bip350sInvalidStringsAreRefused(string text) => Assert.Null(Bech32m.Decode(text, out _));

    [Fact]
    public void Bip350sGroupsAreWhatTheEncoderTakes()
    {
        // abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx holds the groups 31, 30, ..., 0.
        var groups = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();
        Assert.Equal("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", Bech32m.Encode("abcdef", groups));
    }

    [Fact]
    public void Rfc7748sKeyAgreementHolds()
    {
        var alice = Hex.Decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        var bob = Hex.Decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Hex.Encode(Primitives.X25519PublicKey(alice)));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Hex.Encode(Primitives.X25519PublicKey(bob)));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Hex.Encode(Primitives.X25519(alice, Primitives.X25519PublicKey(bob))!));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", Hex.Encode(Primitives.X25519(bob, Primitives.X25519PublicKey(alice))!));
    }

    [Fact]
    public void Rfc7748sFunctionVectorsHold()
    {
        // RFC 7748 section 5.2, the two single-call vectors (scalar, u-coordinate, output).
        Assert.Equal(
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            Hex.Encode(Primitives.X25519(
                Hex.Decode("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                Hex.Decode("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))!));
        Assert.Equal(
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            Hex.Encode(Primitives.X25519(
                Hex.Decode("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                Hex.Decode("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))!));
    }

    private static string Section(string text, string from, string to)
    {
        int start = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(start >= 0, from);
        int end = text.IndexOf(to, start + from.Length, StringComparison.Ordinal);
        Assert.True(end > start, to);
        return text.Substring(start, end - start);
    }

    private static Dictionary<string, string> Rows(string table) =>
        Regex.Matches(table, @"^\|\s*([0-9+NH]+)\s*\|\s*[^|]+\|\s*([A-Za-z ]+?)\s*\|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[2].Value, m => m.Groups[1].Value);

    /// <summary>The page's vectors: the backups ("Vector ...") and the recovery key file ("Key file vector ...").</summary>
    internal static Dictionary<string, SpecVector> ReadVectors() => SpecVectors.Read(SpecPath, "Vector|Key file vector");

    /// <summary>The page's negative vectors ("Negative vector ..."): inputs a reader refuses, and the outcome.</summary>
    internal static Dictionary<string, SpecVector> ReadNegativeVectors() => SpecVectors.Read(SpecPath, "Negative vector");
}
