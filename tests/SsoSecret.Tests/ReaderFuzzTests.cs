using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using CsCheck;
using SsoSecret.Crypto;
using Xunit;
using Xunit.Abstractions;

namespace SsoSecret.Tests;

/// <summary>
/// Property tests of the backup reader: thousands of mutated backups (random bit flips, truncations, insertions,
/// deletions; edited fields and lengths with the checksum recomputed so that the change reaches the checks behind
/// it; damaged armor) each answer with one of the reader's documented failures, never another exception, never
/// success on altered content, and never allocate beyond the reader's bounds. GoldenFileTests does the exhaustive
/// single-byte changes; this class does the combinations and the deep checks those cannot reach.
/// </summary>
public sealed class ReaderFuzzTests
{
    /// <summary>
    /// Cases per property (2,500; $env:SSOSECRET_PROPERTY_ITERATIONS for a longer run). CsCheck shrinks a failing case
    /// and prints a seed that replays it ($env:CsCheck_Seed).
    /// </summary>
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("SSOSECRET_PROPERTY_ITERATIONS"), out int iterations) && iterations > 0 ? iterations : 2500;

    /// <summary>What one read of a backup of at most 64 KiB may allocate, KDF memory aside.</summary>
    private const long ParseAllocationBound = 2L * 1024 * 1024;

    /// <summary>The readers' limits here: 1 MiB of KDF memory, so mutated tiny-KDF backups run their KDF fast.</summary>
    private static readonly KdfLimits s_limits = new(1024, 4096);

    /// <summary>
    /// What opening may allocate in all: the parse bound, the KDF memory the limits allow, and BouncyCastle's Argon2
    /// churn: about 4.5 KiB of short-lived objects for each segment (4 a pass) of each lane, and the work limit allows
    /// at most MaxWork / 8 lane passes (each lane has at least 8 KiB). Measured: 9.3 MB at m=32 KiB, t=127, p=4.
    /// </summary>
    private static readonly long s_openAllocationBound = ParseAllocationBound + s_limits.MaxMemoryKiB * 1024L + s_limits.MaxWork / 8 * 4 * 8 * 1024;

    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("fuzzing p\u00e4ssword \u2713");

    private static readonly IReadOnlyList<FuzzOriginal> s_originals = MakeOriginals();

    private readonly ITestOutputHelper _output;

    public ReaderFuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static IReadOnlyList<FuzzOriginal> MakeOriginals()
    {
        var list = new List<FuzzOriginal>();
        var created = DateTimeOffset.Parse("2026-03-04T05:06:07Z", System.Globalization.CultureInfo.InvariantCulture);
        void Add(string name, int secretLength, string hint, KdfParameters kdf)
        {
            var secret = Enumerable.Range(0, secretLength).Select(i => (byte)(i * 37 + secretLength)).ToArray();
            using var sealedBackup = BackupEnvelope.Seal(secret, Guid.NewGuid(), created, hint, s_password, kdf, allowBelowFloor: true);
            var binary = (byte[])sealedBackup.Data.Clone();
            list.Add(new FuzzOriginal(name + "-binary", binary, false, secret, s_password));
            list.Add(new FuzzOriginal(name + "-armored", binary, true, secret, s_password));
        }

        // Tiny KDF costs (through the internal API) so that mutations that get past the checksum run the KDF quickly.
        Add("tiny", 32, "the usual one", new KdfParameters(64, 1, 1));
        Add("no-hint-16", 16, string.Empty, new KdfParameters(32, 2, 4));
        Add("unicode-hint-1024", 1024, "Pferd " + char.ConvertFromUtf32(0x1F434) + " \u2014 Batterie", new KdfParameters(128, 1, 2));

        // The golden files (Interactive profile, 64 MiB): mutations of them meet the 1 MiB limit of these tests, so
        // they exercise everything up to the KDF limit check.
        list.Add(Golden("v1-binary.bak", GoldenFileTests.BinaryPassword));
        list.Add(Golden("v1-armored.bak", GoldenFileTests.ArmoredPassword));
        return list;
    }

    private static FuzzOriginal Golden(string name, string password)
    {
        var input = File.ReadAllBytes(TestPaths.Golden(name));
        bool armored = name.Contains("armored", StringComparison.Ordinal);
        var binary = armored ? Armor.Decode(input) : input;
        var secret = BackupEnvelope.Open(input, Encoding.UTF8.GetBytes(password), KdfLimits.Default, out _);
        return new FuzzOriginal("golden-" + name, binary, armored, secret, Encoding.UTF8.GetBytes(password));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Mutations
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>One mutation of one original, printable for CsCheck's failure report.</summary>
    internal sealed class Case
    {
        internal Case(FuzzOriginal original, string description, byte[] input)
        {
            Original = original;
            Description = description;
            Input = input;
        }

        internal FuzzOriginal Original { get; }

        internal string Description { get; }

        internal byte[] Input { get; }

        public override string ToString() => $"{Original.Name}: {Description} ({Input.Length} bytes)";
    }

    private static readonly Gen<FuzzOriginal> s_original = Gen.Int[0, s_originals.Count - 1].Select(i => s_originals[i]);

    /// <summary>Up to six byte-level edits: the kind of damage a disk, a transfer or an editor does.</summary>
    private static readonly Gen<(int Count, int[] Picks, byte[] Bytes)> s_rawSteps =
        Gen.Select(Gen.Int[1, 6], Gen.Int.Array[6], Gen.Byte.Array[1, 24], (count, picks, bytes) => (count, picks, bytes));

    private static (string Description, byte[] Output) ApplyRaw(byte[] input, (int Count, int[] Picks, byte[] Bytes) raw) =>
        FuzzEdits.ApplyRaw(input, raw.Count, raw.Picks, raw.Bytes);

    private static readonly Gen<Case> s_rawDamage = Gen.Select(s_original, s_rawSteps, (original, raw) =>
    {
        var (description, output) = ApplyRaw(original.Input, raw);
        return new Case(original, description, output);
    });

    /// <summary>The fields of the binary form, as offsets and sizes (hint, commitment, sealed secret at their place).</summary>
    private static (string Name, int Offset, int Size)[] Fields(byte[] binary)
    {
        int hint = (binary[BackupEnvelope.HintLengthOffset] << 8) | binary[BackupEnvelope.HintLengthOffset + 1];
        int secret = (binary[BackupEnvelope.SecretLengthOffset] << 8) | binary[BackupEnvelope.SecretLengthOffset + 1];
        int commitment = BackupEnvelope.HintOffset + hint;
        return new[]
        {
            ("magic", 0, 8),
            ("version", BackupEnvelope.VersionOffset, 2),
            ("flags", BackupEnvelope.FlagsOffset, 2),
            ("kdf id", BackupEnvelope.KdfIdOffset, 1),
            ("aead id", BackupEnvelope.AeadIdOffset, 1),
            ("m", BackupEnvelope.MemoryOffset, 4),
            ("t", BackupEnvelope.IterationsOffset, 4),
            ("p", BackupEnvelope.ParallelismOffset, 4),
            ("salt", BackupEnvelope.SaltOffset, 16),
            ("created", BackupEnvelope.CreatedOffset, 8),
            ("secret id", BackupEnvelope.SecretIdOffset, 16),
            ("fingerprint", BackupEnvelope.FingerprintOffset, 16),
            ("S", BackupEnvelope.SecretLengthOffset, 2),
            ("H", BackupEnvelope.HintLengthOffset, 2),
            ("hint", BackupEnvelope.HintOffset, hint),
            ("commitment", commitment, BackupEnvelope.CommitmentLength),
            ("ciphertext", commitment + BackupEnvelope.CommitmentLength, secret),
            ("tag", commitment + BackupEnvelope.CommitmentLength + secret, Primitives.TagLength),
        };
    }

    /// <summary>Values worth trying in a numeric field: the bounds of the format and of the integer types.</summary>
    private static readonly ulong[] s_interesting =
    {
        0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 127, 128, 255, 256, 511, 512, 1023, 1024, 1025, 2047, 2048,
        2049, 4095, 4096, 65535, 65536, 1048576, 1048577, 4194304, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        253402300799, 253402300800, long.MaxValue, ulong.MaxValue,
    };

    /// <summary>
    /// One field of the binary form edited (to an interesting value, a random value, or with a bit flipped), then the
    /// checksum recomputed and the armor re-encoded: the change passes the checksum and meets the deeper checks.
    /// </summary>
    private static readonly Gen<Case> s_fieldEdit = Gen.Select(s_original, Gen.Int[0, 17], Gen.Int[0, 2], Gen.Int[0, s_interesting.Length - 1], Gen.Byte.Array[16], Gen.Int[0, int.MaxValue], (original, fieldIndex, how, interesting, random, position) =>
    {
        var binary = (byte[])original.Binary.Clone();
        var (name, offset, size) = Fields(binary)[fieldIndex];
        string description = FuzzEdits.EditField(binary, name, offset, size, how, s_interesting[interesting], random, position);
        Reseal(binary);
        return new Case(original, description + ", checksum recomputed", original.Encode(binary));
    });

    /// <summary>
    /// A length field changed together with the data it counts (the hint or the sealed secret grows or shrinks), and
    /// the checksum recomputed: a file that is consistent in every way a reader without the password can check.
    /// </summary>
    private static readonly Gen<Case> s_lengthEdit = Gen.Select(s_original, Gen.Bool, Gen.Int[-40, 40], Gen.Byte.Array[40], (original, hint, delta, filler) =>
    {
        var binary = original.Binary;
        var fields = Fields(binary);
        var (_, lengthOffset, _) = fields[hint ? 13 : 12];
        var (name, dataOffset, dataSize) = fields[hint ? 14 : 16];
        int newSize = Math.Max(0, dataSize + delta);
        if (newSize == dataSize)
        {
            newSize++;
        }

        var data = new List<byte>(binary);
        if (newSize > dataSize)
        {
            // Printable ASCII in a hint, so that the hint checks pass and the change meets the AEAD.
            data.InsertRange(dataOffset + dataSize, filler.Take(newSize - dataSize).Select(b => hint ? (byte)(0x21 + (b % 90)) : b));
        }
        else
        {
            data.RemoveRange(dataOffset + newSize, dataSize - newSize);
        }

        var edited = data.ToArray();
        edited[lengthOffset] = (byte)(newSize >> 8);
        edited[lengthOffset + 1] = (byte)newSize;
        Reseal(edited);
        return new Case(original, $"{name} length {dataSize} -> {newSize} with its data, checksum recomputed", original.Encode(edited));
    });

    /// <summary>Damage to the armor's text; some edits (line endings, surrounding white space) keep the content.</summary>
    private static readonly Gen<Case> s_armorDamage = Gen.Select(s_original.Where(o => o.Armored), Gen.Int[0, 13], Gen.Int[0, int.MaxValue], Gen.Char["\t\r\n =-_.:!~#AZaz09+/\u00e9\0\u007f"], (original, kind, position, c) =>
    {
        string text = Encoding.ASCII.GetString(original.Input);
        var lines = text.TrimEnd('\n').Split('\n');
        string body = string.Concat(lines.Skip(1).Take(lines.Length - 2));
        string Wrap(string b, int width) =>
            Armor.BeginLine + "\n" + string.Join("\n", Enumerable.Range(0, (b.Length + width - 1) / width).Select(i => b.Substring(i * width, Math.Min(width, b.Length - i * width)))) + "\n" + Armor.EndLine + "\n";
        string edited;
        string description;
        switch (kind)
        {
            case 0:
                edited = text.Replace("\n", "\r\n", StringComparison.Ordinal);
                description = "CRLF line endings";
                break;
            case 1:
                edited = " \t\r\n" + text + "\r\n \t\n";
                description = "white space around the block";
                break;
            case 2:
                int width = new[] { 63, 65, 76, 48, 1 }[position % 5];
                edited = Wrap(body, width);
                description = $"body wrapped at {width}";
                break;
            case 3:
                int at = position % text.Length;
                edited = text.Insert(at, c.ToString());
                description = $"U+{(int)c:X4} inserted at {at}";
                break;
            case 4:
                int index = position % body.Length;
                const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                char replacement = alphabet[(alphabet.IndexOf(body[index], StringComparison.Ordinal) + 1 + (position >> 8) % 63) % 64];
                edited = body[index] == '=' ? text : Wrap(body.Substring(0, index) + replacement + body.Substring(index + 1), Armor.LineLength);
                description = $"base64 character {index} changed to '{replacement}'";
                break;
            case 5:
                edited = Wrap(body.TrimEnd('='), Armor.LineLength);
                description = "padding removed";
                break;
            case 6:
                edited = Wrap(body + "=", Armor.LineLength);
                description = "padding added";
                break;
            case 7:
                edited = "Here is my backup:\n" + text;
                description = "text before the block";
                break;
            case 8:
                edited = text + "-- \nsignature\n";
                description = "text after the block";
                break;
            case 9:
                edited = text.Replace("SSOSECRET BACKUP", new[] { "SSOSECRET  BACKUP", "ssosecret backup", "SSOSECRET BACKUPS", "AGE ENCRYPTED FILE" }[position % 4], StringComparison.Ordinal);
                description = "label changed";
                break;
            case 10:
                edited = text.Replace(Armor.EndLine + "\n", string.Empty, StringComparison.Ordinal);
                description = "END line dropped";
                break;
            case 11:
                var kept = lines.ToList();
                int line = 1 + (position % (lines.Length - 2));
                kept.RemoveAt(line);
                edited = string.Join("\n", kept) + "\n";
                description = $"body line {line} dropped";
                break;
            case 12:
                var doubled = lines.ToList();
                int copy = 1 + (position % (lines.Length - 2));
                doubled.Insert(copy, lines[copy]);
                edited = string.Join("\n", doubled) + "\n";
                description = $"body line {copy} doubled";
                break;
            default:
                // Change the last base64 quantum's unused bits: decodes to the same bytes, but is not canonical.
                string trimmed = body.TrimEnd('=');
                int pad = body.Length - trimmed.Length;
                if (pad == 0)
                {
                    edited = text;
                    description = "no padding, nothing to change";
                    break;
                }

                const string letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                int last = letters.IndexOf(trimmed[^1], StringComparison.Ordinal);
                int unusedMask = pad == 1 ? 0x3 : 0xF;
                char noisy = letters[(last & ~unusedMask) | (1 + (position % unusedMask))];
                edited = Wrap(trimmed.Substring(0, trimmed.Length - 1) + noisy + new string('=', pad), Armor.LineLength);
                description = $"unused bits of the last base64 character set ('{noisy}')";
                break;
        }

        return new Case(original, description, Encoding.Latin1.GetBytes(edited));
    });

    private static void Reseal(byte[] binary)
    {
        if (binary.Length < Primitives.Sha256Length)
        {
            return;
        }

        var checksum = Primitives.Sha256(binary, 0, binary.Length - Primitives.Sha256Length);
        Buffer.BlockCopy(checksum, 0, binary, binary.Length - Primitives.Sha256Length, Primitives.Sha256Length);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The oracle
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads the case without and with the password. Only <see cref="BackupException"/> may come out; success is
    /// allowed only when the content is byte for byte the original's, and then gives the original's secret. Both
    /// reads stay within their allocation bounds. Runs once with each Argon2id implementation present (BouncyCastle,
    /// and the native libargon2 where there is one), which must agree. Returns the failure, or null on success.
    /// </summary>
    internal static SsoSecretFailure? Check(Case c)
    {
        // Every Argon2id implementation present reads every case the same way (the KDF runs for cases that reach it).
        SsoSecretFailure? first = null;
        var providers = TestArgon2.All;
        for (int i = 0; i < providers.Count; i++)
        {
            using var scope = Argon2.Use(providers[i]);
            var failure = CheckWithTheActiveKdf(c);
            Assert.True(i == 0 || failure == first, $"{c}: {providers[i].Name} gave {failure?.ToString() ?? "success"}, {providers[0].Name} gave {first?.ToString() ?? "success"}");
            first = failure;
        }

        return first;
    }

    private static SsoSecretFailure? CheckWithTheActiveKdf(Case c)
    {
        var input = c.Input;
        SsoSecretFailure? headerFailure = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            BackupEnvelope.ReadHeader(input);
        }
        catch (BackupException e)
        {
            headerFailure = e.Failure;
            Assert.True(Enum.IsDefined(e.Failure), $"{c}: undefined failure {e.Failure}");
        }

        long parseAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(parseAllocated < ParseAllocationBound, $"{c}: reading the header allocated {parseAllocated} bytes");

        byte[]? secret = null;
        SsoSecretFailure? openFailure = null;
        before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            secret = BackupEnvelope.Open(input, c.Original.Key, s_limits, out _);
        }
        catch (BackupException e)
        {
            openFailure = e.Failure;
        }

        long openAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(openAllocated < s_openAllocationBound, $"{c}: opening allocated {openAllocated} bytes");

        if (headerFailure is not null)
        {
            // What the header check refuses, opening refuses the same way, before any KDF work.
            Assert.Equal(headerFailure, openFailure);
        }

        if (openFailure is null)
        {
            var content = c.Original.Armored && Armor.LooksArmored(input) ? Armor.Decode(input) : input;
            Assert.True(content.AsSpan().SequenceEqual(c.Original.Binary), $"{c}: altered content was accepted");
            Assert.Equal(c.Original.Secret, secret);
        }

        return openFailure;
    }

    private void Sample(Gen<Case> gen, Action<Case, SsoSecretFailure?>? also = null, double share = 1)
    {
        int iterations = Math.Max(1, (int)(Iterations * share));
        var outcomes = new Dictionary<string, int>();
        gen.Sample(
            c =>
            {
                var failure = Check(c);
                also?.Invoke(c, failure);
                lock (outcomes)
                {
                    string key = failure?.ToString() ?? "opened (content unchanged)";
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            },
            iter: iterations,
            print: c => c.ToString());
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Properties
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void TheOriginalsOpen()
    {
        foreach (var original in s_originals)
        {
            // The golden files ask for 64 MiB, beyond these tests' limit of 1 MiB (GoldenFileTests opens them).
            bool golden = original.Name.StartsWith("golden", StringComparison.Ordinal);
            Assert.Equal(golden ? SsoSecretFailure.KdfLimitExceeded : null, Check(new Case(original, "unchanged", original.Input)));
        }
    }

    [Fact]
    public void RandomByteDamageIsAlwaysADocumentedFailure() => Sample(s_rawDamage, (c, failure) =>
    {
        // Raw damage never gets past the checksum to the password checks (a collision of SHA-256 aside).
        if (failure is not null)
        {
            Assert.DoesNotContain(failure.Value, new[] { SsoSecretFailure.WrongPassword, SsoSecretFailure.TamperedBackup });
        }
    });

    [Fact]
    public void EditedFieldsWithARecomputedChecksumMeetTheDeeperChecks() => Sample(s_fieldEdit, (c, failure) =>
    {
        // A change to an authenticated field that is still well formed is found by the password checks.
        bool unchanged = (c.Original.Armored ? Armor.Decode(c.Input) : c.Input).AsSpan().SequenceEqual(c.Original.Binary);
        Assert.True(failure is not null || unchanged, $"{c}: was accepted");
    });

    [Fact]
    public void ConsistentLengthEditsAreTamperedOrDamaged() => Sample(s_lengthEdit, (c, failure) =>
    {
        Assert.NotNull(failure);

        // The tiny-KDF originals run the KDF: the password is right and the key schedule fields are unchanged, so
        // the AEAD finds the change (or the fields are out of bounds). The golden files stop at the KDF limit.
        var expected = c.Original.Name.StartsWith("golden", StringComparison.Ordinal)
            ? new[] { SsoSecretFailure.KdfLimitExceeded, SsoSecretFailure.DamagedBackup }
            : new[] { SsoSecretFailure.TamperedBackup, SsoSecretFailure.DamagedBackup };
        Assert.Contains(failure!.Value, expected);
    });

    [Fact]
    public void DamagedArmorIsDamageAndOnlyLayoutChangesOpen() => Sample(s_armorDamage);

    [Fact]
    public void FieldEditsFollowedByByteDamageNeverOpen() => Sample(
        Gen.Select(s_fieldEdit, s_rawSteps, (edit, raw) =>
        {
            var (description, output) = ApplyRaw(edit.Input, raw);
            return new Case(edit.Original, edit.Description + "; then " + description, output);
        }),
        share: 0.4);

    /// <summary>
    /// Crafted headers with the checksum recomputed that ask for more KDF memory or work than the default limits:
    /// refused as KdfLimitExceeded at once, having allocated next to nothing (the KDF's memory never is).
    /// </summary>
    [Fact]
    public void LargeKdfParametersAreRefusedBeforeAnyKdfMemoryIsAllocated()
    {
        var limits = KdfLimits.Default;
        var gen = Gen.Select(Gen.UInt[8 * 16, int.MaxValue], Gen.UInt[1, int.MaxValue], Gen.UInt[1, 16], Gen.Bool, (m, t, p, armored) => (m, t, p, armored))
            .Where(x => x.m >= 8 * x.p && ((long)x.m > limits.MaxMemoryKiB || (long)x.m * x.t > limits.MaxWork));
        var original = s_originals[0];
        int cases = 0;
        gen.Sample(
            x =>
            {
                var binary = (byte[])original.Binary.Clone();
                WriteUInt32(binary, BackupEnvelope.MemoryOffset, x.m);
                WriteUInt32(binary, BackupEnvelope.IterationsOffset, x.t);
                WriteUInt32(binary, BackupEnvelope.ParallelismOffset, x.p);
                Reseal(binary);
                var input = x.armored ? Encoding.ASCII.GetBytes(Armor.Encode(binary)) : binary;

                var header = BackupEnvelope.ReadHeader(input);
                Assert.Equal((int)x.m, header.Kdf!.MemoryKiB);

                long before = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(input, s_password, limits, out _));
                watch.Stop();
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Equal(SsoSecretFailure.KdfLimitExceeded, e.Failure);
                Assert.True(allocated < 256 * 1024, $"m={x.m} t={x.t} p={x.p}: allocated {allocated} bytes before refusing");
                // The allocation bound above proves no KDF memory was taken; this bound, generous for a loaded machine, that
                // no derivation ran (one of these would take minutes).
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"m={x.m} t={x.t} p={x.p}: took {watch.Elapsed}");
                System.Threading.Interlocked.Increment(ref cases);
            },
            iter: Iterations * 4 / 5,
            threads: 1,
            print: x => $"m={x.m} t={x.t} p={x.p} armored={x.armored}");
        Assert.Equal(Iterations * 4 / 5, cases);
    }

    /// <summary>The largest inputs the reader accepts to look at allocate within the parse bound too.</summary>
    [Fact]
    public void MaximalInputsStayWithinTheAllocationBound()
    {
        var inputs = new List<byte[]>
        {
            new byte[BackupEnvelope.MaxInputLength],
            BackupEnvelope.Magic.Concat(new byte[BackupEnvelope.MaxInputLength - 8]).ToArray(),
            Encoding.ASCII.GetBytes(Armor.BeginLine + "\n" + string.Concat(Enumerable.Repeat(new string('A', 64) + "\n", 1000)) + Armor.EndLine + "\n"),
            Encoding.ASCII.GetBytes(Armor.BeginLine + "\n" + new string('\n', BackupEnvelope.MaxInputLength - 80) + Armor.EndLine),
            Encoding.ASCII.GetBytes(Armor.BeginLine + "\n" + string.Concat(Enumerable.Repeat("A\n", 30000)) + Armor.EndLine),
            Encoding.ASCII.GetBytes(new string(' ', BackupEnvelope.MaxInputLength - 40) + Armor.BeginLine),
        };
        var big = Armor.Encode(BackupEnvelope.Magic.Concat(new byte[] { 0, 1 }).Concat(new byte[45000]).ToArray());
        inputs.Add(Encoding.ASCII.GetBytes(big));
        foreach (var input in inputs)
        {
            Assert.True(input.Length <= BackupEnvelope.MaxInputLength, $"input of {input.Length} bytes");
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(input, s_password, KdfLimits.Default, out _));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < ParseAllocationBound, $"{e.Failure}: allocated {allocated} bytes for {input.Length} input bytes");
        }
    }

    private static void WriteUInt32(byte[] data, int offset, uint value)
    {
        for (int i = 0; i < 4; i++)
        {
            data[offset + i] = (byte)(value >> (24 - 8 * i));
        }
    }
}
