using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using SsoSecret.Crypto;
using SsoSecret.Store;
using Xunit;
using Xunit.Abstractions;

namespace SsoSecret.Tests;

/// <summary>
/// Property tests of the store file reader (StoreFile.Deserialize, docs/store-format.md), with the backup reader's
/// oracle discipline (ReaderFuzzTests): thousands of mutated store files each answer with StoreDamaged, never another
/// exception, and never allocate beyond the reader's bound. The store file has no authentication beyond its checksum,
/// so a file whose checksum is recomputed may well be read: then the state it reads must write back to the same bytes
/// (the reader accepts only canonical files, and ignores nothing), and every secret in it must be 16 to 1024 bytes.
/// Raw damage (checksum not recomputed) is always StoreDamaged.
/// </summary>
public sealed class StoreReaderFuzzTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("SSOSECRET_PROPERTY_ITERATIONS"), out int iterations) && iterations > 0 ? iterations : 2500;

    /// <summary>What one read of a store file of at most 128 KiB may allocate.</summary>
    private const long AllocationBound = 8L * 1024 * 1024;

    private static readonly IReadOnlyList<(string Name, byte[] Data)> s_originals = MakeOriginals();

    private readonly ITestOutputHelper _output;

    public StoreReaderFuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static IReadOnlyList<(string Name, byte[] Data)> MakeOriginals()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
        StoredSecret Secret(int length, int seed) =>
            new(new Guid(seed, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), created.AddMinutes(seed), Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray());
        var list = new List<(string, byte[])>();
        void Add(string name, StoreState state)
        {
            using (state)
            {
                list.Add((name, StoreFile.Serialize(state)));
            }
        }

        Add("empty", new StoreState());
        Add("current", new StoreState { Current = Secret(32, 1) });
        var current = Secret(32, 2);
        var full = new StoreState { Current = current, Earlier = { Secret(16, 3).AsReplaced(created.AddDays(2)), Secret(24, 6).AsReplaced(created.AddDays(1)) } };
        full.Record(new BackupRecord(created.AddSeconds(5), current.Id, "/srv/backups/\u00fcber \u2713/" + new string('x', 300) + ".bak"));
        full.Record(new BackupRecord(created.AddSeconds(4), current.Id, "/srv/other.bak"));
        full.Record(new BackupRecord(created.AddSeconds(3), full.Earlier[1].Id, "C:\\Backups\\a.bak"));
        Add("full", full);
        Add("largest", new StoreState { Current = Secret(BackupEnvelope.MaxSecretLength, 4), Earlier = { Secret(BackupEnvelope.MaxSecretLength, 5).AsReplaced(created) } });
        Add("earlier-only", new StoreState { Earlier = { Secret(16, 7).AsReplaced(created) } });

        // Version 3: an environment's master (a staged secret, its generation) and replicas (the pin, the held
        // generation; one just joined, with no ring). The pinned key is RFC 8032's TEST 1 public key.
        var environmentId = new Guid(13, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        var pinned = new MasterIdentity(environmentId, Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        var masterCurrent = Secret(32, 10);
        var master = new StoreState { Current = masterCurrent, Staged = Secret(32, 11), Earlier = { Secret(16, 12).AsReplaced(created.AddDays(1)) }, Environment = StoreEnvironment.Master(environmentId, 7) };
        master.Record(new BackupRecord(created.AddSeconds(6), masterCurrent.Id, "/var/backups/sso/master.bak"));
        Add("v3-master", master);
        Add("v3-replica", new StoreState { Current = Secret(32, 10), Staged = Secret(32, 11), Earlier = { Secret(16, 12).AsReplaced(created.AddDays(1)) }, Environment = StoreEnvironment.Replica(pinned, 7, created.AddDays(3)) });
        Add("v3-replica-joined", new StoreState { Environment = StoreEnvironment.Replica(pinned, 0, created) });

        // Version 1 files, as an earlier SsoSecret wrote them: read, they become version 2 states.
        var v1 = new StoreVersion1.Secret(new Guid(8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), created, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var v1Previous = new StoreVersion1.Secret(new Guid(9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), created, Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray(), created.AddDays(1));
        list.Add(("v1-full", StoreVersion1.Write(v1, v1Previous, (created.AddSeconds(1), v1.Id, "/var/backups/sso/m\u00e4ster.bak"))));
        list.Add(("v1-backup-only", StoreVersion1.Write(null, null, (created, Guid.NewGuid(), "b.bak"))));
        return list;
    }

    /// <summary>One mutated store file, printable for CsCheck's failure report.</summary>
    internal sealed class Case
    {
        internal Case(string original, string description, byte[] input, bool resealed)
        {
            Original = original;
            Description = description;
            Input = input;
            Resealed = resealed;
        }

        internal string Original { get; }

        internal string Description { get; }

        internal byte[] Input { get; }

        /// <summary>True when the checksum was recomputed after the change.</summary>
        internal bool Resealed { get; }

        public override string ToString() => $"{Original}: {Description} ({Input.Length} bytes)";
    }

    private static readonly Gen<int> s_original = Gen.Int[0, s_originals.Count - 1];

    /// <summary>The fixed fields and every part, as (name, offset, size): of version 2 or 3, or of a version 1 original.</summary>
    private static List<(string Name, int Offset, int Size)> Fields(byte[] data)
    {
        bool version1 = data[9] == StoreFile.Version1;
        var fields = new List<(string, int, int)> { ("magic", 0, 8), ("version", 8, 2), ("protection", 10, 1) };
        int at;
        void Secret(string part, bool replaced)
        {
            fields.Add((part + " id", at, 16));
            fields.Add((part + " created", at + 16, 8));
            at += 24;
            if (replaced)
            {
                fields.Add((part + " replaced", at, 8));
                at += 8;
            }

            int length = (data[at] << 8) | data[at + 1];
            fields.Add((part + " L", at, 2));
            fields.Add((part + " secret", at + 2, length));
            at += 2 + length;
        }

        if (version1)
        {
            fields.Add(("presence", 11, 1));
            at = 12;
            byte presence = data[11];
            if ((presence & 1) != 0)
            {
                Secret("current", false);
            }

            if ((presence & 2) != 0)
            {
                Secret("previous", true);
            }

            if ((presence & 4) != 0)
            {
                fields.Add(("backup time", at, 8));
                fields.Add(("backup secret id", at + 8, 16));
                int length = (data[at + 24] << 8) | data[at + 25];
                fields.Add(("backup N", at + 24, 2));
                fields.Add(("backup path", at + 26, length));
            }
        }
        else
        {
            fields.Add(("flags", 11, 1));
            fields.Add(("count", 12, 1));
            at = 13;
            bool version3 = data[9] == StoreFile.Version3;
            bool staged = version3 && (data[11] & StoreFile.SecondIsStaged) != 0;
            for (int i = 0; i < data[12]; i++)
            {
                string part = i == 0 && (data[11] & 1) != 0 ? "current" : i == 1 && staged ? "staged" : $"earlier {i + 1 - (data[11] & 1) - (staged ? 1 : 0)}";
                Secret(part, part != "current" && part != "staged");
                int records = data[at];
                fields.Add((part + " R", at, 1));
                at++;
                for (int r = 1; r <= records; r++)
                {
                    int length = (data[at + 8] << 8) | data[at + 9];
                    fields.Add(($"{part} backup {r} time", at, 8));
                    fields.Add(($"{part} backup {r} N", at + 8, 2));
                    fields.Add(($"{part} backup {r} path", at + 10, length));
                    at += 10 + length;
                }
            }
        }

        // Version 3's environment section: the role, the environment id, then a master's generation or a replica's pin,
        // held generation and time of its last sync.
        if (!version1 && data[9] == StoreFile.Version3)
        {
            fields.Add(("role", at, 1));
            fields.Add(("environment id", at + 1, 16));
            if (data[at] == (byte)StoreRole.Master)
            {
                fields.Add(("generation", at + 17, 8));
            }
            else
            {
                fields.Add(("master public key", at + 17, 32));
                fields.Add(("held generation", at + 49, 8));
                fields.Add(("synced", at + 57, 8));
            }
        }

        fields.Add(("checksum", data.Length - 32, 32));
        return fields;
    }

    private static readonly ulong[] s_interesting =
    {
        0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 127, 128, 255, 256, 1023, 1024, 1025, 65535, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 253402300799999, 253402300800000, (ulong)long.MaxValue, 0x8000000000000000, ulong.MaxValue,
    };

    private static byte[] Reseal(byte[] data)
    {
        if (data.Length >= Primitives.Sha256Length)
        {
            Primitives.Sha256(data, 0, data.Length - Primitives.Sha256Length).CopyTo(data, data.Length - Primitives.Sha256Length);
        }

        return data;
    }

    /// <summary>Up to six byte-level edits (FuzzEdits.ApplyRaw), checksum not recomputed.</summary>
    private static readonly Gen<Case> s_rawDamage = Gen.Select(s_original, Gen.Int[1, 6], Gen.Int.Array[6], Gen.Byte.Array[1, 24], (index, count, picks, bytes) =>
    {
        var (name, original) = s_originals[index];
        var (description, output) = FuzzEdits.ApplyRaw(original, count, picks, bytes);
        return new Case(name, description, output, resealed: false);
    });

    /// <summary>One field set to an interesting value, random bytes or a flipped bit, the checksum recomputed.</summary>
    private static readonly Gen<Case> s_fieldEdit = Gen.Select(s_original, Gen.Int[0, 40], Gen.Int[0, 2], Gen.Int[0, s_interesting.Length - 1], Gen.Byte.Array[32], Gen.Int[0, int.MaxValue], (index, fieldPick, how, interesting, random, position) =>
    {
        var (name, original) = s_originals[index];
        var data = (byte[])original.Clone();
        var fields = Fields(data).Where(f => f.Name != "checksum").ToList();
        var (field, offset, size) = fields[fieldPick % fields.Count];
        string description = FuzzEdits.EditField(data, field, offset, size, how, s_interesting[interesting], random, position);

        return new Case(name, description + ", checksum recomputed", Reseal(data), resealed: true);
    });

    /// <summary>
    /// A length (a secret's L, the path's N) changed together with the data it counts, checksum recomputed: a file that
    /// is consistent in every way but the bounds. A secret of 15 or 1025 bytes must be damage, one of 16 to 1024 read.
    /// </summary>
    private static readonly Gen<Case> s_lengthEdit = Gen.Select(Gen.Int[0, 2], Gen.Int[-40, 1100], Gen.Byte, (which, newLength, fill) =>
    {
        var (name, original) = s_originals[2]; // "full": a current and two earlier secrets, and records
        var fields = Fields(original);
        var (lengthName, lengthOffset, _) = fields.First(f => f.Name == new[] { "current L", "earlier 1 L", "current backup 1 N" }[which]);
        var (_, dataOffset, dataSize) = fields.First(f => f.Name == new[] { "current secret", "earlier 1 secret", "current backup 1 path" }[which]);
        newLength = Math.Max(0, which == 2 ? Math.Min(newLength, 4000) : newLength);
        var data = new List<byte>(original);
        if (newLength > dataSize)
        {
            // Printable ASCII in a path, so that it stays valid UTF-8.
            data.InsertRange(dataOffset + dataSize, Enumerable.Repeat(which == 2 ? (byte)(0x21 + (fill % 90)) : fill, newLength - dataSize));
        }
        else
        {
            data.RemoveRange(dataOffset + newLength, dataSize - newLength);
        }

        var edited = data.ToArray();
        edited[lengthOffset] = (byte)(newLength >> 8);
        edited[lengthOffset + 1] = (byte)newLength;
        return new Case(name, $"{lengthName} {dataSize} -> {newLength} with its data, checksum recomputed", Reseal(edited), resealed: true);
    });

    /// <summary>
    /// The oracle: only StoreException(StoreDamaged); within the allocation bound; and a file that is read is canonical
    /// (written back byte for byte), its secrets within bounds. Returns true when the file was read.
    /// </summary>
    internal static bool Check(Case c)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        StoreState? state = null;
        int version = 0;
        try
        {
            state = StoreFile.Deserialize(c.Input, "fuzz", out version);
        }
        catch (StoreException e)
        {
            Assert.True(e.Failure == SsoSecretFailure.StoreDamaged, $"{c}: {e.Failure}");
            Assert.StartsWith("The secret store file 'fuzz' is damaged: ", e.Message);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < AllocationBound, $"{c}: reading allocated {allocated} bytes");
        if (state is null)
        {
            return false;
        }

        using (state)
        {
            if (!OperatingSystem.IsWindows() && version == StoreFile.Version)
            {
                Assert.True(StoreFile.Serialize(state).AsSpan().SequenceEqual(c.Input), $"{c}: read, but not the canonical form of what it read");
            }
            else if (!OperatingSystem.IsWindows())
            {
                // A version 1 file becomes version 2 when written: the same ring, read back.
                using var again = StoreFile.Deserialize(StoreFile.Serialize(state), "again");
                Assert.True(
                    state.Ring.Select(s => (s.Id, s.Fingerprint, s.Replaced, string.Join("|", s.Backups.Select(b => b.Path)))).SequenceEqual(again.Ring.Select(s => (s.Id, s.Fingerprint, s.Replaced, string.Join("|", s.Backups.Select(b => b.Path))))),
                    $"{c}: a version 1 file read, but its ring is not what version 2 writes back");
            }

            foreach (var secret in state.Ring)
            {
                Assert.True((secret.Secret.Length >= BackupEnvelope.MinSecretLength && secret.Secret.Length <= BackupEnvelope.MaxSecretLength), $"{c}: a secret out of bounds");
            }
        }

        return true;
    }

    private void Sample(Gen<Case> gen, Action<Case, bool>? also = null, double share = 1)
    {
        var outcomes = new Dictionary<string, int>();
        gen.Sample(
            c =>
            {
                bool read = Check(c);
                also?.Invoke(c, read);
                lock (outcomes)
                {
                    string key = read ? "read" : "StoreDamaged";
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            },
            iter: Math.Max(1, (int)(Iterations * share)),
            print: c => c.ToString());
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
    }

    [Fact]
    public void TheOriginalsAreRead()
    {
        foreach (var (name, data) in s_originals)
        {
            Assert.True(Check(new Case(name, "unchanged", data, resealed: false)), name);
        }
    }

    [Fact]
    public void RandomByteDamageIsAlwaysStoreDamaged() => Sample(s_rawDamage, (c, read) =>
    {
        // Read only when the edits cancelled out (a flip and a flip back): the bytes are the original's.
        bool unchanged = s_originals.Any(o => o.Data.AsSpan().SequenceEqual(c.Input));
        Assert.True(!read || unchanged, $"{c}: damage was read");
    });

    [Fact]
    public void EditedFieldsWithARecomputedChecksumAreDamageOrCanonical() => Sample(s_fieldEdit);

    [Fact]
    public void ConsistentLengthEditsMeetTheBounds() => Sample(s_lengthEdit, (c, read) =>
    {
        if (c.Description.StartsWith("current backup 1 N", StringComparison.Ordinal))
        {
            // A longer or shorter path is a valid file as long as it is still UTF-8 (a cut may split a character) and
            // not empty.
            var (_, offset, size) = Fields(c.Input).First(f => f.Name == "current backup 1 path");
            bool utf8;
            try
            {
                Codec.StrictUtf8.Encoding.GetString(c.Input, offset, size);
                utf8 = true;
            }
            catch (ArgumentException)
            {
                utf8 = false;
            }

            Assert.True(read == (utf8 && size > 0), $"{c}: read={read}, UTF-8={utf8}, {size} bytes");
        }
        else
        {
            int length = int.Parse(c.Description.Split("-> ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            bool withinBounds = length >= BackupEnvelope.MinSecretLength && length <= BackupEnvelope.MaxSecretLength;
            Assert.True(read == withinBounds, $"{c}: read={read}");
        }
    });

    [Fact]
    public void FieldEditsFollowedByByteDamageAreNeverRead() => Sample(
        Gen.Select(s_fieldEdit, Gen.Int[0, int.MaxValue], Gen.Byte[1, 255], (edit, position, xor) =>
        {
            var data = (byte[])edit.Input.Clone();
            int at = position % data.Length;
            data[at] ^= xor;
            return new Case(edit.Original, $"{edit.Description}; then byte {at} xor {xor:x2}", data, resealed: false);
        }),
        (c, read) => Assert.False(read, $"{c}: damage was read"),
        share: 0.4);

    [Fact]
    public void AWindowsStoreIsDamageOnOtherPlatformsEvenWithoutASecret()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var (name, data) in s_originals)
        {
            var windows = (byte[])data.Clone();
            windows[10] = StoreFile.ProtectionDpapiMachine;
            var e = Assert.Throws<StoreException>(() => StoreFile.Deserialize(Reseal(windows), "fuzz"));
            Assert.Contains("Windows DPAPI", e.Message);
            Assert.False(string.IsNullOrEmpty(name));
        }
    }

    [Fact]
    public void InputsAtAndBeyondTheLengthLimitAllocateWithinTheBound()
    {
        var inputs = new[]
        {
            new byte[StoreFile.MaxLength],
            new byte[StoreFile.MaxLength + 1],
            StoreFile.Magic.Concat(new byte[] { 0, 1, 0, 7 }).Concat(Enumerable.Repeat((byte)0xFF, StoreFile.MaxLength - 12)).ToArray(),
            Encoding.ASCII.GetBytes(new string('S', StoreFile.MaxLength)),
        };
        foreach (var input in inputs)
        {
            Assert.False(Check(new Case("limit", $"{input.Length} bytes", input, resealed: false)));
            Assert.False(Check(new Case("limit", $"{input.Length} bytes resealed", Reseal((byte[])input.Clone()), resealed: true)));
        }
    }
}
