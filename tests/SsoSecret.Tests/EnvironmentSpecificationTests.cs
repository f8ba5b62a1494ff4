using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.Vault;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/environment-format.md and the code together: every value of every vector on the page (keys, lines,
/// fingerprints, the ring's body and digest, the stanza, the key schedule, the signature, the file) is recomputed
/// from the page's own inputs and compared; each negative vector is made again from its fields and reaches its
/// outcome; the layout tables are compared with the code's offsets; and Ed25519 meets RFC 8032's own vector.
/// </summary>
public sealed class EnvironmentSpecificationTests
{
    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "environment-format.md");

    private static Dictionary<string, SpecVector> ReadVectors() => SpecVectors.Read(SpecPath, "Vector|Key file vector|Negative vector");

    private static SpecVector Vector1 => ReadVectors()["Vector 1 (a ring of four secrets)"];

    private static SpecVector Vector2 => ReadVectors()["Vector 2 (version 2: vector 1's ring with a vault)"];

    /// <summary>Vector 2's vault: docs/vault-format.md's test vector, its file.</summary>
    private static byte[] VectorVault() => Hex.Decode(VaultFormatSpecificationTests.Page.Read().FileHex);

    public static IEnumerable<object[]> NegativeVectors() =>
        ReadVectors().Keys.Where(k => k.StartsWith("Negative vector", StringComparison.Ordinal)).Select(k => new object[] { k });

    [Fact]
    public void ThePageHoldsEveryVector()
    {
        var names = ReadVectors().Keys.ToList();
        Assert.Contains("Vector 1 (a ring of four secrets)", names);
        Assert.Contains("Vector 2 (version 2: vector 1's ring with a vault)", names);
        Assert.Equal(2, names.Count(n => n.StartsWith("Key file vector", StringComparison.Ordinal)));
        Assert.Equal(12, names.Count(n => n.StartsWith("Negative vector", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheCodeWritesTheDocumentedSealedRing()
    {
        var v = Vector1.Fields;
        var environmentId = Guid.Parse(v["environment id"]);
        using var master = new MasterEnvironmentKey(environmentId, Hex.Decode(v["master private key"]));
        Assert.Equal(v["master public key"], Hex.Encode(master.Identity.PublicKey));
        Assert.Equal(v["master public key line"], master.Identity.PublicKeyLine);
        Assert.Equal(v["master fingerprint"], master.Identity.Fingerprint);
        Assert.Equal(master.Identity, MasterIdentity.Parse(environmentId, v["master public key line"]));

        using var host = new ReplicaHostKey(Hex.Decode(v["replica private key"]));
        Assert.Equal(v["replica public key"], Hex.Encode(host.PublicKey.Bytes));
        Assert.Equal(v["replica public key line"], host.PublicKey.Text);
        Assert.Equal(v["replica fingerprint"], host.PublicKey.Fingerprint);
        Assert.Equal(host.PublicKey, ReplicaPublicKey.Parse(v["replica public key line"]));

        using var ring = RingOf(v);
        var body = ring.Encode();
        Assert.Equal(v["body"], Hex.Encode(body));
        Assert.Equal(v["ring digest"], Hex.Encode(EnvironmentRing.Digest(body)));

        var ephemeral = Hex.Decode(v["ephemeral private key"]);
        var ephemeralPublic = Primitives.X25519PublicKey(ephemeral);
        Assert.Equal(v["ephemeral public key"], Hex.Encode(ephemeralPublic));
        var shared = Primitives.X25519(ephemeral, host.PublicKey.Bytes)!;
        Assert.Equal(v["shared secret"], Hex.Encode(shared));
        Assert.Equal(shared, Primitives.X25519(host.PrivateKey, ephemeralPublic));
        var wrapKey = SealedRing.WrapKey(shared, ephemeralPublic, host.PublicKey.Bytes);
        Assert.Equal(v["wrap key"], Hex.Encode(wrapKey));
        var fileKey = Hex.Decode(v["file key"]);
        Assert.Equal(v["wrapped file key"], Hex.Encode(Primitives.ChaChaSeal(wrapKey, new byte[12], Array.Empty<byte>(), fileKey)));

        var file = SealedRing.Seal(ring, null, long.Parse(v["generation"]), Created(v["created"]), master, host.PublicKey, fileKey, ephemeral);
        Assert.Equal(Vector1.FileHex, Hex.Encode(file));
        var (key, nonce) = SealedRing.DeriveKeys(fileKey, file);
        Assert.Equal(v["aead key"], Hex.Encode(key));
        Assert.Equal(v["aead nonce"], Hex.Encode(nonce));
        Assert.Equal(v["signature"], Hex.Encode(Memory.Slice(file, SealedRing.SignatureOffset(body.Length), Primitives.Ed25519SignatureLength)));

        // The documented bytes open, by the documented replica, to the documented ring; a machine with public keys only verifies them.
        using var opened = SealedRing.Open(Hex.Decode(Vector1.FileHex), host, master.Identity, null);
        Assert.False(opened.SameAsHeld);
        Assert.Equal(7, opened.Header.Generation);
        Assert.Equal(environmentId, opened.Header.EnvironmentId);
        Assert.Equal(v["replica fingerprint"], opened.Header.ReplicaFingerprint);
        Assert.Equal(v["ring digest"], opened.Header.DigestHex);
        Assert.Equal(v["body"], Hex.Encode(EnvironmentRing.EncodeUnchecked(opened.Ring.Secrets)));
        Assert.Equal(7, SealedRing.Verify(file, master.Identity, host.PublicKey).Generation);
    }

    [Fact]
    public void TheCodeWritesTheDocumentedVersion2SealedRing()
    {
        var v = Vector1.Fields;
        var w = Vector2.Fields;
        var vault = VectorVault();
        Assert.Equal(int.Parse(w["V"]), vault.Length);
        Assert.Equal(w["vault digest"], Hex.Encode(SealedRing.VaultDigest(vault)));
        var empty = VaultFile.Serialize(Array.Empty<VaultEntry>(), "empty");
        Assert.Equal(w["empty vault"], Hex.Encode(empty));
        Assert.Equal(SsoSecret.Crypto.Primitives.Sha256(empty, 0, 13), Memory.Slice(empty, 13, 32));

        using var master = new MasterEnvironmentKey(Guid.Parse(v["environment id"]), Hex.Decode(v["master private key"]));
        using var host = new ReplicaHostKey(Hex.Decode(v["replica private key"]));
        using var ring = RingOf(v);
        var ephemeral = Hex.Decode(v["ephemeral private key"]);
        var shared = Primitives.X25519(ephemeral, host.PublicKey.Bytes)!;
        var wrapKey = SealedRing.WrapKey(shared, Primitives.X25519PublicKey(ephemeral), host.PublicKey.Bytes, version: 2);
        Assert.Equal(w["wrap key"], Hex.Encode(wrapKey));
        var fileKey = Hex.Decode(v["file key"]);
        Assert.Equal(w["wrapped file key"], Hex.Encode(Primitives.ChaChaSeal(wrapKey, new byte[12], Array.Empty<byte>(), fileKey)));

        var file = SealedRing.Seal(ring, vault, long.Parse(w["generation"]), Created(v["created"]), master, host.PublicKey, fileKey, ephemeral);
        Assert.Equal(Vector2.FileHex, Hex.Encode(file));
        var (key, nonce) = SealedRing.DeriveKeys(fileKey, file);
        Assert.Equal(w["aead key"], Hex.Encode(key));
        Assert.Equal(w["aead nonce"], Hex.Encode(nonce));
        var header = SealedRing.ReadHeader(file);
        Assert.Equal(2, header.Version);
        Assert.Equal(w["signature"], Hex.Encode(Memory.Slice(file, SealedRing.SignatureOffset(header), Primitives.Ed25519SignatureLength)));

        // The documented bytes open to the documented ring and vault; held as they are, nothing is installed; held with
        // another vault at the same generation, the vault is installed again and it is no fork.
        using var opened = SealedRing.Open(file, host, master.Identity, null);
        Assert.Equal(v["body"], Hex.Encode(EnvironmentRing.EncodeUnchecked(opened.Ring.Secrets)));
        Assert.Equal(vault, opened.Vault);
        Assert.False(opened.SameAsHeld || opened.VaultSameAsHeld);
        using var same = SealedRing.Open(file, host, master.Identity, new HeldRing(8, Hex.Decode(v["ring digest"]), Hex.Decode(w["vault digest"])));
        Assert.True(same.SameAsHeld && same.VaultSameAsHeld);
        using var otherVault = SealedRing.Open(file, host, master.Identity, new HeldRing(8, Hex.Decode(v["ring digest"]), SealedRing.VaultDigest(empty)));
        Assert.True(otherVault.SameAsHeld);
        Assert.False(otherVault.VaultSameAsHeld);
        Assert.Equal(8, SealedRing.Verify(file, master.Identity, host.PublicKey).Generation);
    }

    [Fact]
    public void TheCodeComputesTheDocumentedConfirmation()
    {
        var v = Vector1.Fields;
        var c = ReadVectors()["Vector 3 (a replica's confirmation of vector 1's ring)"].Fields;
        var body = Hex.Decode(v["body"]);
        Assert.Equal(c["confirmation key"], Hex.Encode(Primitives.HkdfSha256(body, null, System.Text.Encoding.ASCII.GetBytes("SsoSecret ring confirmation v1\0"), 32)));
        var fingerprint = Hex.Decode(c["replica fingerprint"].Replace("-", string.Empty));
        var confirmation = EnvironmentRing.Confirmation(body, Guid.Parse(c["environment id"]), long.Parse(c["generation"]), fingerprint);
        Assert.Equal(c["confirmation"], Hex.Encode(confirmation));
        Assert.Equal(c["replica fingerprint"], v["replica fingerprint"]);

        // Good for that replica and that generation only.
        Assert.NotEqual(confirmation, EnvironmentRing.Confirmation(body, Guid.Parse(c["environment id"]), 8, fingerprint));
        fingerprint[0] ^= 1;
        Assert.NotEqual(confirmation, EnvironmentRing.Confirmation(body, Guid.Parse(c["environment id"]), 7, fingerprint));
    }

    [Fact]
    public void TheReplicaListIsAsThePageSays()
    {
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"at most {ReplicaList.MaxReplicas} replicas ({ReplicaList.MaxLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes)", text);
        Assert.Contains($"the line `{ReplicaList.Header}`", text);
        Assert.Contains($"`{ReplicaList.FileName}`", text);
    }

    [Fact]
    public void TheSameRingHeldOpensAsTheSame()
    {
        var v = Vector1.Fields;
        using var host = new ReplicaHostKey(Hex.Decode(v["replica private key"]));
        var pin = MasterIdentity.Parse(Guid.Parse(v["environment id"]), v["master public key line"]);
        using var opened = SealedRing.Open(Hex.Decode(Vector1.FileHex), host, pin, new HeldRing(7, Hex.Decode(v["ring digest"])));
        Assert.True(opened.SameAsHeld);
        Assert.Equal(4, opened.Ring.Secrets.Count);
    }

    [Theory]
    [InlineData("Key file vector 1 (a replica's host key)")]
    [InlineData("Key file vector 2 (a master's environment key)")]
    public void TheCodeWritesTheDocumentedKeyFiles(string name)
    {
        var v = ReadVectors()[name];
        var kind = (EnvironmentKeyKind)int.Parse(v.Fields["kind"]);
        Assert.Equal("0", v.Fields["protection"]);
        var created = Created(v.Fields["created"]);
        var privateKey = Hex.Decode(v.Fields["private key"]);
        byte[] file;
        if (kind == EnvironmentKeyKind.ReplicaHost)
        {
            using var key = new ReplicaHostKey(privateKey);
            Assert.Equal(v.Fields["public key"], Hex.Encode(key.PublicKey.Bytes));
            file = EnvironmentKeyFile.Encode(key, created, dpapi: false);
        }
        else
        {
            using var key = new MasterEnvironmentKey(Guid.Parse(v.Fields["environment id"]), privateKey);
            Assert.Equal(v.Fields["public key"], Hex.Encode(key.Identity.PublicKey));
            file = EnvironmentKeyFile.Encode(key, created, dpapi: false);
        }

        Assert.Equal(v.FileHex, Hex.Encode(file));
        using var content = EnvironmentKeyFile.Decode(Hex.Decode(v.FileHex), kind);
        Assert.Equal(v.Fields["private key"], Hex.Encode(content.PrivateKey));
        Assert.Equal(v.Fields["public key"], Hex.Encode(content.PublicKey));
        Assert.Equal(created, content.Created);
        Assert.Equal(v.Fields.TryGetValue("environment id", out var id) ? Guid.Parse(id) : Guid.Empty, content.EnvironmentId);
    }

    [Theory]
    [MemberData(nameof(NegativeVectors))]
    public void EveryNegativeVectorReachesItsOutcome(string name)
    {
        var n = ReadVectors()[name].Fields;
        var expected = Enum.Parse<SsoSecretFailure>(n["outcome"]);
        var v = Vector1.Fields;

        if (n.TryGetValue("line", out var line))
        {
            var e = Assert.Throws<EnvironmentException>(() =>
            {
                if (n["read as"] == "master")
                {
                    MasterIdentity.Parse(Guid.Parse(v["environment id"]), line);
                }
                else
                {
                    ReplicaPublicKey.Parse(line);
                }
            });
            Assert.Equal(expected, e.Failure);
            return;
        }

        var environmentId = Guid.Parse(n.TryGetValue("pinned environment id", out var pinnedId) ? pinnedId : v["environment id"]);
        var pin = MasterIdentity.Parse(environmentId, n.TryGetValue("pinned master public key line", out var pinnedLine) ? pinnedLine : v["master public key line"]);
        using var host = new ReplicaHostKey(Hex.Decode(n.TryGetValue("opened with", out var other) ? other : v["replica private key"]));
        HeldRing? held = n.TryGetValue("held generation", out var heldGeneration) ? new HeldRing(long.Parse(heldGeneration), Hex.Decode(n["held digest"])) : null;

        var file = Hex.Decode(Vector1.FileHex);
        if (n.TryGetValue("vault flipped byte", out var vaultFlipped))
        {
            using var master = new MasterEnvironmentKey(Guid.Parse(v["environment id"]), Hex.Decode(v["master private key"]));
            var vault = VectorVault();
            vault[int.Parse(vaultFlipped)] ^= 0x01;
            file = SealedRing.SealBody(Hex.Decode(v["body"]), vault, long.Parse(Vector2.Fields["generation"]), Created(v["created"]), master, host.PublicKey, Hex.Decode(v["file key"]), Hex.Decode(v["ephemeral private key"]));
            Assert.Equal(ReadVectors()[name].FileHex, Hex.Encode(file));
        }

        if (n.TryGetValue("flipped byte", out var flipped))
        {
            file[int.Parse(flipped)] ^= 0x01;
        }

        if (n.TryGetValue("generation", out var generation))
        {
            BigEndian.WriteUInt64(file, SealedRing.GenerationOffset, ulong.Parse(generation));
            Buffer.BlockCopy(Primitives.Sha256(file, 0, file.Length - 32), 0, file, file.Length - 32, 32);
            Assert.Equal(ReadVectors()[name].FileHex, Hex.Encode(file));
        }

        if (n.TryGetValue("body", out var body))
        {
            using var master = new MasterEnvironmentKey(Guid.Parse(v["environment id"]), Hex.Decode(v["master private key"]));
            using var publicOnly = new ReplicaHostKey(Hex.Decode(v["replica private key"]));
            file = SealedRing.SealBody(Hex.Decode(body), null, long.Parse(v["generation"]), Created(v["created"]), master, publicOnly.PublicKey, Hex.Decode(v["file key"]), Hex.Decode(v["ephemeral private key"]));
            Assert.Equal(ReadVectors()[name].FileHex, Hex.Encode(file));
        }

        var failure = Assert.Throws<EnvironmentException>(() => SealedRing.Open(file, host, pin, held).Dispose());
        Assert.Equal(expected, failure.Failure);
    }

    [Fact]
    public void TheSealedRingTableIsTheCodes()
    {
        var rows = TableRows("## The sealed ring");
        Assert.Equal(0, rows["magic"]);
        Assert.Equal(SealedRing.VersionOffset, rows["version"]);
        Assert.Equal(SealedRing.FlagsOffset, rows["flags"]);
        Assert.Equal(SealedRing.EnvironmentIdOffset, rows["environment id"]);
        Assert.Equal(SealedRing.GenerationOffset, rows["generation"]);
        Assert.Equal(SealedRing.CreatedOffset, rows["created"]);
        Assert.Equal(SealedRing.MasterKeyOffset, rows["master public key"]);
        Assert.Equal(SealedRing.DigestOffset, rows["ring digest"]);
        Assert.Equal(SealedRing.BodyLengthOffset, rows["L"]);
        Assert.Equal(SealedRing.StanzaOffset, rows["stanza"]);
        Assert.Equal(SealedRing.SealedBodyOffset, rows["sealed body"]);
        Assert.Equal(SealedRing.StanzaOffset, SealedRingLayout.V1.StanzaOffset);
        Assert.Equal(SealedRing.SealedBodyOffset, SealedRingLayout.V1.SealedBodyOffset);
        var v1 = SealedRingLayout.V1;
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"exactly `{v1.FixedOverhead} + L`: {v1.MinLength} to {v1.MaxLength} bytes", text);
        Assert.Contains($"reads at most {SealedRing.MaxLength + 1} bytes", text.Replace("\n", " "));
        Assert.Contains($"{EnvironmentRing.MinBodyLength} to {EnvironmentRing.MaxBodyLength} bytes", text);
    }

    [Fact]
    public void TheVersion2TableIsTheCodes()
    {
        var rows = TableRows("## The sealed ring, version 2: the ring and the master's vault");
        var v2 = SealedRingLayout.V2;
        Assert.Equal(0, rows["magic"]);
        Assert.Equal(SealedRing.VersionOffset, rows["version"]);
        Assert.Equal(SealedRing.FlagsOffset, rows["flags"]);
        Assert.Equal(SealedRing.EnvironmentIdOffset, rows["environment id"]);
        Assert.Equal(SealedRing.GenerationOffset, rows["generation"]);
        Assert.Equal(SealedRing.CreatedOffset, rows["created"]);
        Assert.Equal(SealedRing.MasterKeyOffset, rows["master public key"]);
        Assert.Equal(SealedRing.DigestOffset, rows["ring digest"]);
        Assert.Equal(SealedRing.BodyLengthOffset, rows["L"]);
        Assert.Equal(SealedRing.VaultDigestOffset, rows["vault digest"]);
        Assert.Equal(SealedRing.VaultLengthOffset, rows["V"]);
        Assert.Equal(v2.StanzaOffset, rows["stanza"]);
        Assert.Equal(v2.SealedBodyOffset, rows["sealed payload"]);
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"exactly `{v2.FixedOverhead} + L + V`: {v2.MinLength} to {v2.MaxLength} bytes", text);
        Assert.Contains($"45 to {SealedRing.MaxVaultLength}", text);
        Assert.Equal(SealedRing.MinVaultLength, VaultFile.Serialize(Array.Empty<VaultEntry>(), "empty").Length);
    }

    [Fact]
    public void TheKeyFileTableIsTheCodes()
    {
        var rows = TableRows("## The key files");
        Assert.Equal(EnvironmentKeyFile.VersionOffset, rows["version"]);
        Assert.Equal(EnvironmentKeyFile.KindOffset, rows["kind"]);
        Assert.Equal(EnvironmentKeyFile.ProtectionOffset, rows["protection"]);
        Assert.Equal(EnvironmentKeyFile.CreatedOffset, rows["created"]);
        Assert.Equal(EnvironmentKeyFile.EnvironmentIdOffset, rows["environment id"]);
        Assert.Equal(EnvironmentKeyFile.PublicKeyOffset, rows["public key"]);
        Assert.Equal(EnvironmentKeyFile.PrivateLengthOffset, rows["P"]);
        Assert.Equal(EnvironmentKeyFile.PrivateOffset, rows["private part"]);
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"exactly `{EnvironmentKeyFile.FixedOverhead} + P`: {EnvironmentKeyFile.MinLength} bytes with protection 0, at most {EnvironmentKeyFile.MaxLength}", text);
    }

    [Fact]
    public void Ed25519MeetsRfc8032Test1()
    {
        // RFC 8032 section 7.1, TEST 1: the empty message.
        var secret = Hex.Decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Hex.Encode(Primitives.Ed25519PublicKey(secret)));
        var signature = Primitives.Ed25519Sign(secret, Array.Empty<byte>());
        Assert.Equal("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", Hex.Encode(signature));
        Assert.True(Primitives.Ed25519Verify(Primitives.Ed25519PublicKey(secret), Array.Empty<byte>(), signature));
    }

    private static EnvironmentRing RingOf(Dictionary<string, string> v)
    {
        var secrets = new List<RingSecret>();
        for (int i = 1; v.ContainsKey($"secret {i} id"); i++)
        {
            secrets.Add(new RingSecret(
                Guid.Parse(v[$"secret {i} id"]),
                (RingSecretState)int.Parse(v[$"secret {i} state"]),
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(v[$"secret {i} created"])),
                v.TryGetValue($"secret {i} replaced", out var replaced) ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(replaced)) : null,
                Hex.Decode(v[$"secret {i} value"])));
        }

        return new EnvironmentRing(secrets);
    }

    private static DateTimeOffset Created(string text) =>
        DateTimeOffset.FromUnixTimeSeconds(long.Parse(Regex.Match(text, @"\((\d+)\)").Groups[1].Value));

    /// <summary>The first table after a heading: field name to offset (rows whose offset is a number).</summary>
    private static Dictionary<string, int> TableRows(string heading)
    {
        var lines = File.ReadAllText(SpecPath).Replace("\r\n", "\n").Split('\n');
        int at = Array.IndexOf(lines, heading);
        Assert.True(at >= 0, heading);
        while (!lines[at].StartsWith("| offset", StringComparison.Ordinal))
        {
            at++;
        }

        var rows = new Dictionary<string, int>();
        for (at += 2; at < lines.Length && lines[at].StartsWith("|", StringComparison.Ordinal); at++)
        {
            var row = Regex.Match(lines[at], @"^\| (\d+) \| [^|]+ \| ([^|]+?) \|");
            if (row.Success)
            {
                rows.Add(row.Groups[2].Value.Trim(), int.Parse(row.Groups[1].Value));
            }
        }

        return rows;
    }
}
