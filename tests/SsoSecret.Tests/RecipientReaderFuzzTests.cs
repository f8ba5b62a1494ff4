using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CsCheck;
using SsoSecret.Crypto;
using Xunit;
using Xunit.Abstractions;

namespace SsoSecret.Tests;

/// <summary>
/// Property tests of the version 2 reader and of the recovery key file reader, with the oracle of
/// <see cref="ReaderFuzzTests"/>: thousands of mutated files (byte-level damage; edited fields, stanzas and counts with
/// the checksum recomputed so that the change reaches the checks behind it) each answer with one of the reader's
/// documented failures, never another exception, never success on altered content, and never allocate beyond the
/// reader's bounds. RecipientGoldenFileTests does the exhaustive single-byte changes.
/// </summary>
public sealed class RecipientReaderFuzzTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("SSOSECRET_PROPERTY_ITERATIONS"), out int iterations) && iterations > 0 ? iterations : 2500;

    /// <summary>What one read of a file of at most 64 KiB may allocate (a version 2 open runs no KDF).</summary>
    private const long AllocationBound = 2L * 1024 * 1024;

    private static readonly KdfLimits s_keyLimits = new(1024, 4096);
    private static readonly byte[] s_keyPassword = Encoding.UTF8.GetBytes("fuzzing p\u00e4ssword \u2713");

    private static readonly IReadOnlyList<FuzzOriginal> s_originals = MakeOriginals();
    private static readonly IReadOnlyList<KeyOriginal> s_keyOriginals = MakeKeyOriginals();

    private readonly ITestOutputHelper _output;

    public RecipientReaderFuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    internal sealed class KeyOriginal
    {
        internal KeyOriginal(string name, byte[] binary, byte[] privateKey)
        {
            Name = name;
            Binary = binary;
            PrivateKey = privateKey;
        }

        internal string Name { get; }

        internal byte[] Binary { get; }

        internal byte[] PrivateKey { get; }

        public override string ToString() => Name;
    }

    private static IReadOnlyList<FuzzOriginal> MakeOriginals()
    {
        var list = new List<FuzzOriginal>();
        var created = DateTimeOffset.Parse("2026-03-04T05:06:07Z", System.Globalization.CultureInfo.InvariantCulture);
        void Add(string name, int secretLength, int recipients)
        {
            var secret = Enumerable.Range(0, secretLength).Select(i => (byte)(i * 37 + secretLength)).ToArray();
            var keys = Enumerable.Range(0, recipients).Select(_ => Primitives.X25519NewKeyPair()).ToList();
            using var sealedBackup = RecipientEnvelope.Seal(secret, Guid.NewGuid(), created, keys.Select(k => new RecoveryPublicKey(k.PublicKey)).ToList());
            var binary = (byte[])sealedBackup.Data.Clone();
            list.Add(new FuzzOriginal(name + "-binary", binary, false, secret, keys[^1].PrivateKey));
            list.Add(new FuzzOriginal(name + "-armored", binary, true, secret, keys[^1].PrivateKey));
        }

        Add("one-recipient-32", 32, 1);
        Add("three-recipients-16", 16, 3);
        Add("sixteen-recipients-1024", 1024, 16);
        var golden = File.ReadAllBytes(TestPaths.Golden("v2-binary.bak"));
        list.Add(new FuzzOriginal("golden-v2-binary", golden, false, BackupEnvelope.OpenWithRecoveryKey(golden, RecipientGoldenFileTests.BobPrivateKey, out _), RecipientGoldenFileTests.BobPrivateKey));
        return list;
    }

    private static IReadOnlyList<KeyOriginal> MakeKeyOriginals()
    {
        var list = new List<KeyOriginal>();
        foreach (var (name, hint, kdf) in new[] { ("tiny", "in the safe", new KdfParameters(64, 1, 1)), ("unicode-hint", "Pferd " + char.ConvertFromUtf32(0x1F434), new KdfParameters(32, 2, 4)) })
        {
            var (privateKey, _) = Primitives.X25519NewKeyPair();
            using var sealedKey = RecoveryKeyFile.Seal(privateKey, DateTimeOffset.UnixEpoch.AddDays(20000), hint, s_keyPassword, kdf, allowBelowFloor: true);
            list.Add(new KeyOriginal(name, (byte[])sealedKey.Data.Clone(), privateKey));
        }

        return list;
    }

    internal sealed class Case
    {
        internal Case(string original, string description, byte[] input)
        {
            OriginalName = original;
            Description = description;
            Input = input;
        }

        internal string OriginalName { get; }

        internal string Description { get; }

        internal byte[] Input { get; }

        public override string ToString() => $"{OriginalName}: {Description} ({Input.Length} bytes)";
    }

    private static readonly Gen<FuzzOriginal> s_original = Gen.Int[0, s_originals.Count - 1].Select(i => s_originals[i]);

    /// <summary>Up to six byte-level edits anywhere in the file as written (binary or armor).</summary>
    private static readonly Gen<(FuzzOriginal Original, Case Case)> s_rawDamage = Gen.Select(s_original, Gen.Int[1, 6], Gen.Int.Array[6], Gen.Byte.Array[1, 24], (original, count, picks, bytes) =>
    {
        var (description, output) = Damage(original.Input, count, picks, bytes);
        return (original, new Case(original.Name, description, output));
    });

    /// <summary>
    /// One region of the binary form edited (a bit flipped, a byte set, or random bytes), then the checksum recomputed:
    /// the change passes the checksum and meets the field checks, the stanza search, the unwrapping, the commitment and
    /// the AEAD.
    /// </summary>
    private static readonly Gen<(FuzzOriginal Original, Case Case)> s_fieldEdit = Gen.Select(s_original, Gen.Int[0, 12], Gen.Int[0, int.MaxValue], Gen.Byte.Array[48], Gen.Int[0, 2], (original, region, position, random, how) =>
    {
        var binary = (byte[])original.Binary.Clone();
        int count = binary[RecipientEnvelope.RecipientCountOffset];
        int stanza = RecipientEnvelope.StanzasOffset + (position % count) * RecipientEnvelope.StanzaLength;
        int header = RecipientEnvelope.StanzasOffset + count * RecipientEnvelope.StanzaLength;
        var (name, offset, size) = region switch
        {
            0 => ("version and flags", 8, 4),
            1 => ("AEAD id and N", RecipientEnvelope.AeadIdOffset, 2),
            2 => ("created", RecipientEnvelope.CreatedOffset, 8),
            3 => ("secret id", RecipientEnvelope.SecretIdOffset, 16),
            4 => ("fingerprint", RecipientEnvelope.FingerprintOffset, 16),
            5 => ("S", RecipientEnvelope.SecretLengthOffset, 2),
            6 => ("stanza type", stanza, 1),
            7 => ("stanza fingerprint", stanza + RecipientEnvelope.StanzaFingerprintOffset, 16),
            8 => ("stanza ephemeral key", stanza + RecipientEnvelope.StanzaEphemeralOffset, 32),
            9 => ("stanza wrapped file key", stanza + RecipientEnvelope.StanzaWrappedOffset, 48),
            10 => ("commitment", header, 32),
            11 => ("ciphertext", header + 32, binary.Length - header - 32 - 16 - 32),
            _ => ("tag", binary.Length - 48, 16),
        };
        string description;
        if (how == 0)
        {
            int at = offset + position % size;
            binary[at] ^= (byte)(1 << (position % 8));
            description = $"{name}: bit {position % 8} of byte {at} flipped";
        }
        else if (how == 1)
        {
            int at = offset + position % size;
            binary[at] = random[position % random.Length];
            description = $"{name}: byte {at} set to {random[position % random.Length]:x2}";
        }
        else
        {
            for (int i = 0; i < size; i++)
            {
                binary[offset + i] = random[i % random.Length];
            }

            description = $"{name}: set to random bytes";
        }

        Reseal(binary);
        return (original, new Case(original.Name, description + ", checksum recomputed", original.Encode(binary)));
    });

    /// <summary>A stanza added, removed or duplicated, N and the checksum made to agree: consistent without a key.</summary>
    private static readonly Gen<(FuzzOriginal Original, Case Case)> s_stanzaEdit = Gen.Select(s_original, Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte.Array[97], (original, kind, position, filler) =>
    {
        var data = new List<byte>(original.Binary);
        int count = original.Binary[RecipientEnvelope.RecipientCountOffset];
        int index = position % count;
        int at = RecipientEnvelope.StanzasOffset + index * RecipientEnvelope.StanzaLength;
        string description;
        int newCount;
        switch (kind)
        {
            case 0:
                data.RemoveRange(at, RecipientEnvelope.StanzaLength);
                newCount = count - 1;
                description = $"stanza {index} removed";
                break;
            case 1:
                data.InsertRange(at, data.GetRange(at, RecipientEnvelope.StanzaLength).ToArray());
                newCount = count + 1;
                description = $"stanza {index} doubled";
                break;
            default:
                var stanza = (byte[])filler.Clone();
                stanza[0] = RecipientEnvelope.RecipientX25519;
                data.InsertRange(at, stanza);
                newCount = count + 1;
                description = $"a random stanza inserted at {index}";
                break;
        }

        var binary = data.ToArray();
        binary[RecipientEnvelope.RecipientCountOffset] = (byte)newCount;
        Reseal(binary);
        return (original, new Case(original.Name, description + ", N and checksum made to agree", original.Encode(binary)));
    });

    private static (string, byte[]) Damage(byte[] input, int count, int[] picks, byte[] bytes) => FuzzEdits.ApplyRaw(input, count, picks, bytes);

    private static void Reseal(byte[] binary)
    {
        if (binary.Length >= 32)
        {
            var checksum = Primitives.Sha256(binary, 0, binary.Length - 32);
            Buffer.BlockCopy(checksum, 0, binary, binary.Length - 32, 32);
        }
    }

    /// <summary>
    /// Reads the case without a key and opens it with the key of the last stanza. Only <see cref="BackupException"/>
    /// may come out; success only on content byte for byte the original's, giving the original's secret; both reads
    /// within the allocation bound. A failure found without a key is found the same way with it.
    /// </summary>
    private static SsoSecretFailure? Check(FuzzOriginal original, Case c)
    {
        SsoSecretFailure? headerFailure = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            BackupEnvelope.ReadHeader(c.Input);
        }
        catch (BackupException e)
        {
            headerFailure = e.Failure;
            Assert.True(Enum.IsDefined(e.Failure), $"{c}: undefined failure {e.Failure}");
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationBound, $"{c}: reading the header allocated too much");
        byte[]? secret = null;
        SsoSecretFailure? openFailure = null;
        before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            secret = BackupEnvelope.OpenWithRecoveryKey(c.Input, original.Key, out _);
        }
        catch (BackupException e)
        {
            openFailure = e.Failure;
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationBound, $"{c}: opening allocated too much");
        if (headerFailure is not null)
        {
            Assert.Equal(headerFailure, openFailure);
        }

        if (openFailure is null)
        {
            var content = original.Armored && Armor.LooksArmored(c.Input) ? Armor.Decode(c.Input) : c.Input;
            Assert.True(content.AsSpan().SequenceEqual(original.Binary), $"{c}: altered content was accepted");
            Assert.Equal(original.Secret, secret);
        }

        return openFailure;
    }

    private void Sample(Gen<(FuzzOriginal Original, Case Case)> gen, Action<Case, SsoSecretFailure?>? also = null)
    {
        var outcomes = new Dictionary<string, int>();
        gen.Sample(
            x =>
            {
                var failure = Check(x.Original, x.Case);
                also?.Invoke(x.Case, failure);
                lock (outcomes)
                {
                    string key = failure?.ToString() ?? "opened (content unchanged)";
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            },
            iter: Iterations,
            print: x => x.Case.ToString());
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
    }

    [Fact]
    public void TheOriginalsOpen()
    {
        foreach (var original in s_originals)
        {
            Assert.Null(Check(original, new Case(original.Name, "unchanged", original.Input)));
        }
    }

    [Fact]
    public void RandomByteDamageIsAlwaysADocumentedFailure() => Sample(s_rawDamage, (c, failure) =>
    {
        // Raw damage never gets past the checksum to the key checks (a collision of SHA-256 aside).
        if (failure is not null)
        {
            Assert.DoesNotContain(failure.Value, new[] { SsoSecretFailure.WrongRecoveryKey, SsoSecretFailure.TamperedBackup });
        }
    });

    [Fact]
    public void EditedRegionsWithARecomputedChecksumMeetTheKeyChecks() => Sample(s_fieldEdit, (c, failure) =>
    {
        Assert.True(failure is not null || c.Description.Contains("set to", StringComparison.Ordinal), $"{c}: was accepted");
    });

    [Fact]
    public void StanzasAddedRemovedOrDoubledAreRefused() => Sample(s_stanzaEdit, (c, failure) =>
    {
        Assert.NotNull(failure);
        if (c.Description.Contains("doubled", StringComparison.Ordinal))
        {
            // Two stanzas for one recipient are refused before any key is used.
            Assert.Equal(SsoSecretFailure.DamagedBackup, failure);
        }
    });

    [Fact]
    public void KeyFileDamageIsAlwaysADocumentedFailure()
    {
        var gen = Gen.Select(Gen.Int[0, s_keyOriginals.Count - 1], Gen.Bool, Gen.Bool, Gen.Int[1, 6], Gen.Int.Array[6], Gen.Byte.Array[1, 24], (index, armored, reseal, count, picks, bytes) =>
        {
            var original = s_keyOriginals[index];
            byte[] binary = original.Binary;
            string how = "damage";
            if (reseal)
            {
                // Damage inside the binary form with the checksum recomputed: the change meets the fields and the password.
                var (description, damaged) = Damage(binary, Math.Min(count, 2), picks, bytes.Take(2).ToArray());
                Reseal(damaged);
                binary = damaged;
                how = description + ", checksum recomputed";
            }

            var input = armored ? Encoding.ASCII.GetBytes(Armor.Encode(binary, RecoveryKeyFile.ArmorLabel)) : binary;
            if (!reseal)
            {
                var (description, damaged) = Damage(input, count, picks, bytes);
                input = damaged;
                how = description;
            }

            return (original, new Case(original.Name + (armored ? "-armored" : "-binary"), how, input));
        });

        var outcomes = new Dictionary<string, int>();
        gen.Sample(
            x =>
            {
                var (original, c) = x;
                long before = GC.GetAllocatedBytesForCurrentThread();
                SsoSecretFailure? failure = null;
                try
                {
                    var privateKey = RecoveryKeyFile.Open(c.Input, s_keyPassword, s_keyLimits, out _);
                    Assert.Equal(original.PrivateKey, privateKey);
                    var content = Armor.LooksArmored(c.Input, RecoveryKeyFile.ArmorLabel) ? Armor.Decode(c.Input, RecoveryKeyFile.ArmorLabel, r => new RecoveryKeyException(SsoSecretFailure.DamagedRecoveryKey, r)) : c.Input;
                    Assert.True(content.AsSpan().SequenceEqual(original.Binary), $"{c}: altered content was accepted");
                }
                catch (RecoveryKeyException e)
                {
                    failure = e.Failure;
                    Assert.Contains(e.Failure, new[]
                    {
                        SsoSecretFailure.NotARecoveryKey, SsoSecretFailure.DamagedRecoveryKey, SsoSecretFailure.UnsupportedVersion,
                        SsoSecretFailure.WrongPassword, SsoSecretFailure.KdfLimitExceeded,
                    });
                }

                // KDF memory within the limit (1 MiB) and BouncyCastle's per-segment churn, as ReaderFuzzTests bounds it.
                long bound = AllocationBound + s_keyLimits.MaxMemoryKiB * 1024L + s_keyLimits.MaxWork / 8 * 4 * 8 * 1024;
                Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < bound, $"{c}: allocated too much");
                lock (outcomes)
                {
                    string key = failure?.ToString() ?? "opened (content unchanged)";
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            },
            iter: Iterations,
            print: x => x.Item2.ToString());
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
    }
}
