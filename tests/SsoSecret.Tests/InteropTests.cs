using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// A fact that needs node on the PATH (ProtectedDataInteropTests' <see cref="Node"/> finds it); skipped, with the reason,
/// where there is none.
/// </summary>
public sealed class RecipientInteropFactAttribute : FactAttribute
{
    public RecipientInteropFactAttribute()
    {
        if (Node.ExecutablePath is null)
        {
            Skip = "node is not on the PATH, so the second implementation of docs/envelope-format-v2.md "
                + "(tests/Interop/ssosecret-v2.mjs) was NOT run. Install Node.js 20 or later to run it.";
        }
    }
}

/// <summary>Runs tests/Interop/ssosecret-v2.mjs, the second implementation of docs/envelope-format-v2.md.</summary>
internal static class RecipientNode
{
    internal static string Script => Path.Combine(TestPaths.RepositoryRoot, "tests", "Interop", "ssosecret-v2.mjs");

    /// <summary>Runs a command of the script: its JSON output, and its exit code (0 success, 2 a documented failure).</summary>
    internal static (JsonElement Output, int ExitCode) Run(params string[] arguments)
    {
        var (exit, output, error) = Node.Run(new[] { Script }.Concat(arguments));
        Assert.True(exit is 0 or 2, $"node {string.Join(" ", arguments)} failed ({exit}): {error}{output}");
        return (JsonDocument.Parse(output).RootElement.Clone(), exit);
    }

    /// <summary>The documented failure node reached (exit code 2), or null when it succeeded.</summary>
    internal static string? Failure(params string[] arguments)
    {
        var (output, exit) = Run(arguments);
        return exit == 2 ? output.GetProperty("failure").GetString() : null;
    }
}

/// <summary>
/// The module and an independent implementation written from docs/envelope-format-v2.md alone (Node.js, its own
/// crypto) interoperate: each opens what the other writes, both recompute the page's vectors, and both reach the
/// page's outcome for each bad input.
/// </summary>
public sealed class InteropTests : IDisposable
{
    private static readonly DateTimeOffset s_created = DateTimeOffset.Parse("2026-07-08T09:10:11Z");
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string File(string name) => Path.Combine(_folder, name);

    private static List<(byte[] PrivateKey, RecoveryPublicKey PublicKey)> Keys(int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var (privateKey, publicKey) = Primitives.X25519NewKeyPair();
            return (privateKey, new RecoveryPublicKey(publicKey));
        }).ToList();

    [RecipientInteropFact]
    public void NodeRecomputesThePagesVectors()
    {
        var (output, exit) = RecipientNode.Run("check-vectors", RecipientSpecificationTests.SpecPath);
        Assert.Equal(0, exit);
        var pages = RecipientSpecificationTests.ReadVectors().Keys.Concat(RecipientSpecificationTests.ReadNegativeVectors().Keys);
        Assert.Equal(pages.OrderBy(k => k), output.GetProperty("checked").EnumerateArray().Select(e => e.GetString()).OrderBy(k => k));
    }

    [RecipientInteropFact]
    public void NodeOpensWhatTheModuleWrites()
    {
        foreach (int count in new[] { 1, 3, 16 })
        {
            foreach (bool armor in new[] { false, true })
            {
                var keys = Keys(count);
                var secret = Primitives.RandomBytes(32 + count);
                var id = Guid.NewGuid();
                string path = File($"module-{count}-{armor}.bak");
                using (var prepared = IO.PreparedBackup.PrepareForRecipients(path, secret, id, keys.Select(k => k.PublicKey).ToList(), armor, overwrite: false))
                {
                    prepared.Commit(keepReplaced: false).Keep();
                }
                foreach (var (privateKey, publicKey) in new[] { keys[0], keys[^1] })
                {
                    var (output, exit) = RecipientNode.Run("open-backup", path, Hex.Encode(privateKey));
                    Assert.Equal(0, exit);
                    Assert.Equal(Hex.Encode(secret), output.GetProperty("secret").GetString());
                    Assert.Equal(id.ToString(), output.GetProperty("secretId").GetString());
                    Assert.Equal(armor, output.GetProperty("armored").GetBoolean());
                    Assert.Equal(keys.Select(k => k.PublicKey.Fingerprint), output.GetProperty("recipients").EnumerateArray().Select(e => e.GetString()));
                    Assert.Contains(publicKey.Fingerprint, output.GetProperty("recipients").EnumerateArray().Select(e => e.GetString()));
                }

                Assert.Equal("WrongRecoveryKey", RecipientNode.Failure("open-backup", path, Hex.Encode(Keys(1)[0].PrivateKey)));
            }
        }
    }

    [RecipientInteropFact]
    public void TheModuleOpensWhatNodeWrites()
    {
        foreach (bool armor in new[] { false, true })
        {
            var keys = Keys(2);
            var secret = Primitives.RandomBytes(48);
            var id = Guid.NewGuid();
            string path = File($"node-{armor}.bak");
            var arguments = new List<string> { "seal-backup", path, Hex.Encode(secret), id.ToString(), s_created.ToUnixTimeSeconds().ToString(), armor ? "armor" : "binary" };
            arguments.AddRange(keys.Select(k => k.PublicKey.Text));
            Assert.Equal(0, RecipientNode.Run(arguments.ToArray()).ExitCode);

            var data = System.IO.File.ReadAllBytes(path);
            foreach (var (privateKey, _) in keys)
            {
                Assert.Equal(secret, BackupEnvelope.OpenWithRecoveryKey(data, privateKey, out var header));
                Assert.Equal(id, header.SecretId);
                Assert.Equal(s_created, header.Created);
                Assert.Equal(armor, header.Armored);
                Assert.Equal(keys.Select(k => k.PublicKey.Fingerprint), header.Recipients);
            }
        }
    }

    [RecipientInteropFact]
    public void TheKeyFileInteroperatesFromTheArgon2idOutput()
    {
        var password = Encoding.UTF8.GetBytes("interop p\u00e4ssword");
        var kdf = new KdfParameters(256, 2, 2);
        var salt = Primitives.RandomBytes(16);

        // The module writes, node opens (given the Argon2id output the module computes: node has no Argon2).
        var (privateKey, publicKey) = Primitives.X25519NewKeyPair();
        using (var sealedKey = RecoveryKeyFile.Seal(privateKey, s_created, "in the safe", password, kdf, salt, allowBelowFloor: true))
        {
            string path = File("module.key");
            System.IO.File.WriteAllText(path, Armor.Encode(sealedKey.Data, RecoveryKeyFile.ArmorLabel));
            var argon2 = Hex.Encode(Primitives.Argon2id(password, salt, kdf, 32));
            var (output, exit) = RecipientNode.Run("open-key", path, argon2);
            Assert.Equal(0, exit);
            Assert.Equal(Hex.Encode(privateKey), output.GetProperty("privateKey").GetString());
            Assert.Equal(new RecoveryPublicKey(publicKey).Text, output.GetProperty("line").GetString());
            Assert.Equal("in the safe", output.GetProperty("hint").GetString());
            Assert.Equal("WrongPassword", RecipientNode.Failure("open-key", path, Hex.Encode(Primitives.Argon2id(Encoding.UTF8.GetBytes("wrong"), salt, kdf, 32))));
        }

        // Node writes, the module opens with the password.
        var (otherPrivate, _) = Primitives.X25519NewKeyPair();
        string nodePath = File("node.key");
        var ikm = Primitives.Argon2id(password, salt, kdf, 32);
        Assert.Equal(0, RecipientNode.Run("seal-key", nodePath, Hex.Encode(otherPrivate), Hex.Encode(ikm), Hex.Encode(salt), "256", "2", "2", s_created.ToUnixTimeSeconds().ToString(), Hex.Encode(Encoding.UTF8.GetBytes("Pferd \U0001F434")), "binary").ExitCode);
        Assert.Equal(otherPrivate, RecoveryKeyFile.Open(System.IO.File.ReadAllBytes(nodePath), password, KdfLimits.Default, out var header));
        Assert.Equal("Pferd \U0001F434", header.Hint);
        Assert.Equal(kdf, header.Kdf);
    }

    [RecipientInteropFact]
    public void BothImplementationsReachTheSameOutcomeForEachBadInput()
    {
        var keys = Keys(2);
        using var sealedBackup = RecipientEnvelope.Seal(Primitives.RandomBytes(32), Guid.NewGuid(), s_created, keys.Select(k => k.PublicKey).ToList());
        var good = sealedBackup.Data;
        int ours = RecipientEnvelope.StanzasOffset + RecipientEnvelope.StanzaLength;
        int header = RecipientEnvelope.StanzasOffset + 2 * RecipientEnvelope.StanzaLength;

        byte[] Edit(int at, byte xor, bool reseal)
        {
            var data = (byte[])good.Clone();
            data[at] ^= xor;
            if (reseal)
            {
                Buffer.BlockCopy(Primitives.Sha256(data, 0, data.Length - 32), 0, data, data.Length - 32, 32);
            }

            return data;
        }

        // The good file's stanzas rearranged ((index, type) each), N and the checksum made to agree: step 6's order.
        byte[] Stanzas(params (int Index, byte Type)[] stanzas)
        {
            var data = new List<byte>(good.Take(RecipientEnvelope.StanzasOffset));
            foreach (var (index, type) in stanzas)
            {
                var stanza = good.Skip(RecipientEnvelope.StanzasOffset + index * RecipientEnvelope.StanzaLength).Take(RecipientEnvelope.StanzaLength).ToArray();
                stanza[0] = type;
                data.AddRange(stanza);
            }

            data.AddRange(good.Skip(header));
            var result = data.ToArray();
            result[RecipientEnvelope.RecipientCountOffset] = (byte)stanzas.Length;
            RecipientEnvelopeTests.Reseal(result);
            return result;
        }

        var cases = new (string Name, byte[] Data, string Expected)[]
        {
            ("damaged ciphertext", Edit(header + 40, 0x01, false), "Damaged"),
            ("version 3", Edit(9, 0x01, false), "UnsupportedVersion"),
            ("stanza type 2", Edit(ours, 0x03, true), "UnsupportedVersion"),
            ("stanza 1 of type 2, then stanza 2 naming stanza 1's recipient", Stanzas((0, 2), (0, 1)), "UnsupportedVersion"),
            ("stanza 2 naming stanza 1's recipient, then stanza 3 of type 2", Stanzas((0, 1), (0, 1), (1, 2)), "Damaged"),
            ("stanza 2 of type 2 with stanza 1's fingerprint", Stanzas((0, 1), (0, 2)), "UnsupportedVersion"),
            ("17 recipients", Edit(RecipientEnvelope.RecipientCountOffset, 0x13, true), "Damaged"),
            ("our wrapped file key forged", Edit(ours + RecipientEnvelope.StanzaWrappedOffset, 0x01, true), "Tampered"),
            ("our ephemeral key forged", Edit(ours + RecipientEnvelope.StanzaEphemeralOffset, 0x01, true), "Tampered"),
            ("the other stanza forged", Edit(RecipientEnvelope.StanzasOffset + 20, 0x01, true), "Tampered"),
            ("created forged", Edit(RecipientEnvelope.CreatedOffset + 7, 0x01, true), "Tampered"),
            ("commitment forged", Edit(header, 0x01, true), "Tampered"),
            ("tag forged", Edit(good.Length - 33, 0x01, true), "Tampered"),
            ("our fingerprint forged", Edit(ours + RecipientEnvelope.StanzaFingerprintOffset, 0x01, true), "WrongRecoveryKey"),
            ("not a backup", Encoding.ASCII.GetBytes("hello"), "NotABackup"),
            ("empty", Array.Empty<byte>(), "NotABackup"),
            ("noisy armor", Encoding.ASCII.GetBytes("note\n" + Armor.Encode(good)), "NotABackup"),
            ("armor with text after", Encoding.ASCII.GetBytes(Armor.Encode(good) + "x"), "Damaged"),
        };

        foreach (var (name, data, expected) in cases)
        {
            string path = File(name.Replace(' ', '-') + ".bak");
            System.IO.File.WriteAllBytes(path, data);
            var module = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(data, keys[1].PrivateKey, out _)).Failure;
            Assert.True(expected == Outcome(module), $"{name}: the module says {module}");
            Assert.True(expected == RecipientNode.Failure("open-backup", path, Hex.Encode(keys[1].PrivateKey)), $"{name}: node disagrees");
        }

        foreach (string line in new[] { keys[0].PublicKey.Text.Remove(30, 1), keys[0].PublicKey.Text.Replace('q', 'p'), "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj" })
        {
            if (line == keys[0].PublicKey.Text)
            {
                continue;
            }

            Assert.Equal(SsoSecretFailure.InvalidRecipient, Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line)).Failure);
            Assert.Equal("InvalidRecipient", RecipientNode.Failure("parse-line", line));
        }

        // Keys that are no key pair's, refused by both at the same step of "The public key line": 5 (not canonical: the
        // top bit set, or p or more) before 6 (small order), which p and p + 1 (the points 0 and 1) would also fail.
        var p = Hex.Decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        var topBit = (byte[])keys[0].PublicKey.Bytes.Clone();
        topBit[31] |= 0x80;
        var refusals = new List<(byte[] Key, int Step)> { (topBit, 5), (p, 5), (Hex.Decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), 5), (Hex.Decode("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), 5) };
        refusals.Add((Enumerable.Repeat((byte)0xFF, 32).ToArray(), 5));
        refusals.Add((Hex.Decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), 6));
        refusals.Add((Hex.Decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), 6));
        foreach (var (key, step) in refusals)
        {
            string line = Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(key));
            var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line));
            Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
            Assert.Contains(step == 5 ? "not a canonical X25519 public key" : "small order", e.Message);
            var (output, exit) = RecipientNode.Run("parse-line", line);
            Assert.Equal(2, exit);
            Assert.Equal("InvalidRecipient", output.GetProperty("failure").GetString());
            Assert.Equal(step, output.GetProperty("step").GetInt32());
        }

        // The same keys in a key file's header: damage to both, found before the password (node's Argon2id output is
        // the wrong one on purpose: the header is refused first).
        var password = Encoding.UTF8.GetBytes("a good long password");
        using (var sealedKey = RecoveryKeyFile.Seal(keys[0].PrivateKey, s_created, string.Empty, password, new KdfParameters(64, 1, 1), allowBelowFloor: true))
        {
            foreach (var (key, _) in refusals)
            {
                var file = (byte[])sealedKey.Data.Clone();
                Buffer.BlockCopy(key, 0, file, RecoveryKeyFile.PublicKeyOffset, 32);
                RecipientEnvelopeTests.Reseal(file);
                string path = File($"key-{Hex.Encode(key)}.key");
                System.IO.File.WriteAllBytes(path, file);
                Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.ReadHeader(file)).Failure);
                Assert.Equal("DamagedRecoveryKey", RecipientNode.Failure("open-key", path, Hex.Encode(new byte[32])));
            }
        }

        // And a good line means the same key to both.
        Assert.Equal(Hex.Encode(keys[0].PublicKey.Bytes), RecipientNode.Run("parse-line", keys[0].PublicKey.Text.ToUpperInvariant()).Output.GetProperty("publicKey").GetString());
    }

    /// <summary>The page's outcome names for the module's failures.</summary>
    internal static string Outcome(SsoSecretFailure failure) => failure switch
    {
        SsoSecretFailure.DamagedBackup => "Damaged",
        SsoSecretFailure.TamperedBackup => "Tampered",
        _ => failure.ToString(),
    };
}
