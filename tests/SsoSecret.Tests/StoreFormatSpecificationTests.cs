using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SsoSecret.Store;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/store-format.md and StoreFile together: the page's vectors are recomputed from the page's own inputs and
/// compared byte for byte, the version 1 vector is read as the version 2 state the page says it becomes, and every
/// check of the page's reader steps is made to fail once.
/// </summary>
public sealed class StoreFormatSpecificationTests
{
    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "store-format.md");

    [Fact]
    public void TheCodeWritesTheDocumentedRingAndReadsItBack()
    {
        var (fields, fileHex) = ReadVector("Version 2");
        using var state = new StoreState { Current = Secret(fields, "current", replaced: false) };
        state.Earlier.Add(Secret(fields, "earlier 1", replaced: true));
        state.Earlier.Add(Secret(fields, "earlier 2", replaced: true));
        if (!OperatingSystem.IsWindows())
        {
            // On Windows the writer protects secrets with DPAPI (protection 1), whose bytes differ on every machine.
            Assert.Equal(fileHex, Hex.Encode(StoreFile.Serialize(state)));
        }

        using var read = StoreFile.Deserialize(Hex.Decode(fileHex), "vector", out int version);
        Assert.Equal(2, version);
        Assert.Equal(3, read.Count);
        foreach (var (expected, actual) in state.Ring.Zip(read.Ring))
        {
            Assert.Equal(expected.Id, actual.Id);
            Assert.Equal(expected.Secret, actual.Secret);
            Assert.Equal(expected.Created, actual.Created);
            Assert.Equal(expected.Replaced, actual.Replaced);
            Assert.Equal(expected.Backups.Select(b => (b.Time, b.Path, b.SecretId)), actual.Backups.Select(b => (b.Time, b.Path, b.SecretId)));
        }
    }

    [Fact]
    public void TheVersion1VectorIsReadAsTheRingThePageSaysItBecomes()
    {
        var (fields, fileHex) = ReadVector("Version 1");
        using var read = StoreFile.Deserialize(Hex.Decode(fileHex), "vector", out int version);
        Assert.Equal(1, version);
        Assert.Equal(Guid.Parse(fields["current id"]), read.Current!.Id);
        Assert.Equal(Hex.Decode(fields["current secret"]), read.Current.Secret);
        Assert.Equal(Ms(fields["current created"]), read.Current.Created);
        var record = Assert.Single(read.Current.Backups);
        Assert.Equal((Ms(fields["backup time"]), fields["backup path"]), (record.Time, record.Path));
        var earlier = Assert.Single(read.Earlier);
        Assert.Equal(Guid.Parse(fields["previous id"]), earlier.Id);
        Assert.Equal(Hex.Decode(fields["previous secret"]), earlier.Secret);
        Assert.Equal(Ms(fields["previous replaced"]), earlier.Replaced);
        Assert.Empty(earlier.Backups);

        // Written again, it is version 2, and reads back as the same ring.
        using var again = StoreFile.Deserialize(StoreFile.Serialize(read), "again", out int written);
        Assert.Equal(2, written);
        Assert.Equal(read.Ring.Select(s => (s.Id, s.Fingerprint, s.Replaced, s.Backups.Count)), again.Ring.Select(s => (s.Id, s.Fingerprint, s.Replaced, s.Backups.Count)));
    }

    [Fact]
    public void TheDocumentedLimitsAreTheCodes()
    {
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"longer than {StoreFile.MaxLength:N0} bytes", text);
        Assert.Contains($"read at most {StoreFile.MaxLength + 1:N0} bytes", text);
        Assert.Contains($"shorter than {StoreFile.Magic.Length + 4 + 32} bytes", text);
        Assert.Contains($"{BackupEnvelope.MinSecretLength} to {BackupEnvelope.MaxSecretLength} bytes", text);
        Assert.Contains($"at most {StoreState.MaxSecrets} secrets", text);
        Assert.Contains($"up to {StoreState.MaxBackupsPerSecret} backups", text);
        Assert.Contains($"1 to {StoreState.MaxPathBytes} bytes", text);
    }

    // Offsets in the version 2 vector: 9 the version's low byte, 10 protection, 11 flags, 12 count, 37 the current
    // secret's length (high byte), 71 its record count, 81 its first path's length (low byte; the high byte is 0).
    public static IEnumerable<object[]> Damage() => new[]
    {
        new object[] { "a wrong magic", 0, 0x53 ^ 0xF0, "not an SsoSecret store file" },
        new object[] { "version 4", 9, 4, "store version 4" },
        new object[] { "a staged flag in version 2", 11, 3, "does not define" },
        new object[] { "an unknown protection", 10, 2, "protection mode is unknown" },
        new object[] { "an undefined flag", 11, 3, "does not define" },
        new object[] { "a count above 32", 12, 33, "more than 32" },
        new object[] { "a current secret announced in an empty ring", 12, 0, "holds none" },
        new object[] { "a secret length past the end", 37, 0xF0, "cut short" },
        new object[] { "five records", 71, 5, "more than 4" },
        new object[] { "a path of 0 bytes", 81, 0, "outside 1 to 4096" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void EachReaderCheckRefusesWithStoreDamagedEvenWhenTheChecksumIsRecomputed(string what, int offset, int value, string said)
    {
        var data = Hex.Decode(ReadVector("Version 2").FileHex);
        data[offset] = (byte)value;
        var e = Assert.Throws<StoreException>(() => StoreFile.Deserialize(Reseal(data), "vector"));
        Assert.Equal(SsoSecretFailure.StoreDamaged, e.Failure);
        Assert.Contains(said, e.Message);
        Assert.DoesNotContain("a0a1a2", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TheOrderChecksOfTheRingAreDamage()
    {
        var (fields, _) = ReadVector("Version 2");

        // Earlier secrets out of replaced order; records out of time order; one path twice; one id twice.
        using (var swapped = new StoreState { Current = Secret(fields, "current", replaced: false) })
        {
            swapped.Earlier.Add(Secret(fields, "earlier 2", replaced: true));
            swapped.Earlier.Add(Secret(fields, "earlier 1", replaced: true));
            Assert.Contains("not in the order they were replaced", Refused(StoreFile.SerializeUnchecked(swapped)));
        }

        using (var records = new StoreState { Current = Secret(fields, "current", replaced: false) })
        {
            records.Current!.Backups.Reverse();
            Assert.Contains("not the newest first", Refused(StoreFile.SerializeUnchecked(records)));
        }

        using (var twice = new StoreState { Current = Secret(fields, "current", replaced: false) })
        {
            var earlier = Secret(fields, "earlier 1", replaced: true);
            earlier.Backups.Clear();
            earlier.Backups.Add(new BackupRecord(earlier.Created, earlier.Id, twice.Current!.Backups[0].Path));
            twice.Earlier.Add(earlier);
            Assert.Contains("two backups at one path", Refused(StoreFile.SerializeUnchecked(twice)));
        }

        using (var sameId = new StoreState { Current = Secret(fields, "current", replaced: false) })
        {
            var current = sameId.Current!;
            sameId.Earlier.Add(new StoredSecret(current.Id, current.Created, Hex.Decode(fields["earlier 1 secret"]), current.Created));
            Assert.Contains("twice", Refused(StoreFile.SerializeUnchecked(sameId)));

            // The writer refuses to write what the reader would refuse: a bug never makes a store unreadable.
            Assert.Contains("twice", Assert.Throws<InvalidOperationException>(() => StoreFile.Serialize(sameId)).Message);
        }
    }

    [Fact]
    public void TrailingBytesAndATooLongFileAreDamage()
    {
        var data = Hex.Decode(ReadVector("Version 2").FileHex).ToList();
        data.InsertRange(data.Count - 32, new byte[] { 0 });
        Assert.Contains("does not define", Refused(Reseal(data.ToArray())));
        Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => StoreFile.Deserialize(new byte[StoreFile.MaxLength + 1], "x")).Failure);
    }

    [Fact]
    public void TheCodeWritesTheDocumentedMasterAndReadsItBack()
    {
        var (fields, fileHex) = ReadVector("Version 3, a master");
        using var state = RingOf(fields);
        Assert.Equal("1", fields["role"]);
        state.Environment = StoreEnvironment.Master(Guid.Parse(fields["environment id"]), long.Parse(fields["generation"]));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(fileHex, Hex.Encode(StoreFile.Serialize(state)));
        }

        using var read = StoreFile.Deserialize(Hex.Decode(fileHex), "vector", out int version);
        Assert.Equal(3, version);
        AssertSameRing(state, read);
        Assert.Equal(Guid.Parse(fields["staged id"]), read.Staged!.Id);
        Assert.Null(read.Staged.Replaced);
        Assert.Equal((StoreRole.Master, Guid.Parse(fields["environment id"]), 7L), (read.Environment!.Role, read.Environment.EnvironmentId, read.Environment.Generation));
        Assert.Null(read.Environment.Pinned);

        // The staged secret opens values and protects none: the key ring's first key is the current secret.
        Assert.Equal(read.Current!.Id, read.KeyRing("vector").Current.Id);
    }

    [Fact]
    public void TheCodeWritesTheDocumentedReplicaAndItsHeldDigestIsTheEnvironmentPagesRingDigest()
    {
        var (fields, fileHex) = ReadVector("Version 3, a replica");
        using var state = RingOf(fields);
        Assert.Equal("2", fields["role"]);
        var pinned = new MasterIdentity(Guid.Parse(fields["environment id"]), Hex.Decode(fields["master public key"]));
        state.Environment = StoreEnvironment.Replica(pinned, long.Parse(fields["held generation"]), Ms(fields["synced"]));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(fileHex, Hex.Encode(StoreFile.Serialize(state)));
        }

        using var read = StoreFile.Deserialize(Hex.Decode(fileHex), "vector", out int version);
        Assert.Equal(3, version);
        AssertSameRing(state, read);
        Assert.Equal(StoreRole.Replica, read.Environment!.Role);
        Assert.Equal(pinned, read.Environment.Pinned);
        Assert.Equal(7L, read.Environment.Generation);
        Assert.Equal(Ms(fields["synced"]), read.Environment.Synced);
        Assert.Equal(fields["held digest"], Hex.Encode(read.RingDigest()!));

        // The same digest as docs/environment-format.md's vector 1, whose ring this replica installed.
        string environmentPage = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "environment-format.md"));
        Assert.Equal(fields["held digest"], Regex.Match(environmentPage, @"^ring digest:\s+([0-9a-f]{64})$", RegexOptions.Multiline).Groups[1].Value);
    }

    [Fact]
    public void AStoreOutsideAnEnvironmentIsStillWrittenAsVersion2()
    {
        var (fields, _) = ReadVector("Version 3, a master");
        using var state = RingOf(fields);
        using var staged = state.Staged;
        state.Staged = null;
        StoreFile.Deserialize(StoreFile.Serialize(state), "x", out int version).Dispose();
        Assert.Equal(2, version);
    }

    // Offsets in the version 3 replica vector: 11 flags, 12 count; the section starts at its length minus 97 (65 + 32).
    public static IEnumerable<object[]> Version3Damage() => new[]
    {
        new object[] { "an undefined flag", 11, 7, "does not define" },
        new object[] { "a staged flag without a current secret", 11, 2, "staged secret without a current secret" },
        new object[] { "a role of 3", -97, 3, "neither a master" },
        new object[] { "a role of 1 with a replica's fields", -97, 1, "a master's generation below 1" },
        new object[] { "an environment id of all zero", -1, 0, "all zero" },
        new object[] { "a pinned key of small order", -2, 0, "not an Ed25519 public key" },
        new object[] { "a held generation of 0 with secrets", -3, 0, "holds secrets but no ring's generation" },
        new object[] { "a held generation below 0", -4, 0x80, "below 0" },
        new object[] { "a synced time out of range", -5, 0x7f, "out of range" },
    };

    [Theory]
    [MemberData(nameof(Version3Damage))]
    public void EachVersion3CheckRefusesWithStoreDamagedEvenWhenTheChecksumIsRecomputed(string what, int offset, int value, string said)
    {
        var data = Hex.Decode(ReadVector("Version 3, a replica").FileHex);
        int section = data.Length - 97;
        switch (offset)
        {
            case -1:
                Array.Clear(data, section + 1, 16);
                break;
            case -2:
                // The neutral point: 01 then 31 zero bytes (docs/environment-format.md, negative vector 10).
                Array.Clear(data, section + 17, 32);
                data[section + 17] = 1;
                break;
            case -3:
                Array.Clear(data, section + 49, 8);
                break;
            case -4:
            case -5:
                data[section + (offset == -4 ? 49 : 57)] = (byte)value;
                break;
            default:
                data[offset < 0 ? data.Length + offset : offset] = (byte)value;
                break;
        }

        var e = Assert.Throws<StoreException>(() => StoreFile.Deserialize(Reseal(data), "vector"));
        Assert.Equal(SsoSecretFailure.StoreDamaged, e.Failure);
        Assert.Contains(said, e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TheWriterRefusesTheEnvironmentStatesTheReaderRefuses()
    {
        var (fields, _) = ReadVector("Version 3, a replica");
        var pinned = new MasterIdentity(Guid.Parse(fields["environment id"]), Hex.Decode(fields["master public key"]));

        // A staged secret outside an environment; a master with no secret; a replica with secrets and no generation, or a
        // generation and no secrets. Each is refused by the writer, and its unchecked bytes by the reader.
        using (var noEnvironment = RingOf(fields))
        {
            Assert.Contains("staged", Assert.Throws<InvalidOperationException>(() => StoreFile.Serialize(noEnvironment)).Message);
        }

        using (var emptyMaster = new StoreState { Environment = StoreEnvironment.Master(pinned.EnvironmentId, 1) })
        {
            Assert.Contains("a master without a current secret", Assert.Throws<InvalidOperationException>(() => StoreFile.Serialize(emptyMaster)).Message);
            Assert.Contains("a master without a current secret", Refused(StoreFile.SerializeUnchecked(emptyMaster)));
        }

        using (var noGeneration = RingOf(fields))
        {
            noGeneration.Environment = StoreEnvironment.Replica(pinned, 0, Ms(fields["synced"]));
            Assert.Contains("no ring's generation", Assert.Throws<InvalidOperationException>(() => StoreFile.Serialize(noGeneration)).Message);
        }

        using (var noSecrets = new StoreState { Environment = StoreEnvironment.Replica(pinned, 3, Ms(fields["synced"])) })
        {
            Assert.Contains("no current secret", Refused(StoreFile.SerializeUnchecked(noSecrets)));
        }

        // A replica that just joined: no secrets, generation 0. Read back as written.
        using var joined = new StoreState { Environment = StoreEnvironment.Replica(pinned, 0, Ms(fields["synced"])) };
        var bytes = StoreFile.Serialize(joined);
        using var read = StoreFile.Deserialize(bytes, "joined", out int version);
        Assert.Equal((3, 0, 0L), (version, read.Count, read.Environment!.Generation));
        Assert.Null(read.RingDigest());
        Assert.Equal(bytes, StoreFile.Serialize(read));
    }

    private static StoreState RingOf(Dictionary<string, string> fields)
    {
        var state = new StoreState { Current = Secret(fields, "current", replaced: false), Staged = Secret(fields, "staged", replaced: false) };
        state.Earlier.Add(Secret(fields, "earlier 1", replaced: true));
        state.Earlier.Add(Secret(fields, "earlier 2", replaced: true));
        return state;
    }

    private static void AssertSameRing(StoreState expected, StoreState actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Ring.Zip(actual.Ring))
        {
            Assert.Equal(e.Id, a.Id);
            Assert.Equal(e.Secret, a.Secret);
            Assert.Equal(e.Created, a.Created);
            Assert.Equal(e.Replaced, a.Replaced);
            Assert.Equal(e.Backups.Select(b => (b.Time, b.Path, b.SecretId)), a.Backups.Select(b => (b.Time, b.Path, b.SecretId)));
        }
    }

    private static string Refused(byte[] data) =>
        Assert.Throws<StoreException>(() => StoreFile.Deserialize(data, "vector")).Message;

    private static byte[] Reseal(byte[] data)
    {
        var copy = (byte[])data.Clone();
        System.Security.Cryptography.SHA256.HashData(copy.AsSpan(0, copy.Length - 32)).CopyTo(copy, copy.Length - 32);
        return copy;
    }

    private static StoredSecret Secret(Dictionary<string, string> fields, string name, bool replaced)
    {
        var id = Guid.Parse(fields[name + " id"]);
        var secret = new StoredSecret(id, Ms(fields[name + " created"]), Hex.Decode(fields[name + " secret"]), replaced ? Ms(fields[name + " replaced"]) : null);
        for (int i = 1; fields.TryGetValue($"{name} backup {i}", out string? record); i++)
        {
            int space = record.IndexOf(' ', StringComparison.Ordinal);
            secret.Backups.Add(new BackupRecord(Ms(record[..space]), id, record[(space + 1)..]));
        }

        return secret;
    }

    private static DateTimeOffset Ms(string text) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text));

    /// <summary>The fields and the file of the vector under the page's "### <paramref name="heading"/>".</summary>
    private static (Dictionary<string, string> Fields, string FileHex) ReadVector(string heading)
    {
        string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
        var block = Regex.Match(text, @"^### " + Regex.Escape(heading) + @"\n.*?```text\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline).Groups[1].Value;
        var fields = Regex.Matches(block, @"^([a-z0-9 ]+):[ \t]+(\S.*)$", RegexOptions.Multiline).ToDictionary(m => m.Groups[1].Value.Trim(), m => m.Groups[2].Value.Trim());
        string fileHex = Regex.Match(block, @"^file:\n((?:[0-9a-f]+\n?)+)", RegexOptions.Multiline).Groups[1].Value.Replace("\n", string.Empty);
        Assert.NotEmpty(fileHex);
        Assert.True(fields.Count >= 10, heading);
        return (fields, fileHex);
    }
}
