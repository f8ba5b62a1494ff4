using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SsoSecret.Store;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/store-format.md and StoreFile together: the page's vector is recomputed from the page's own inputs and
/// compared byte for byte, and every check of the page's reader steps is made to fail once.
/// </summary>
public sealed class StoreFormatSpecificationTests
{
    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "store-format.md");

    [Fact]
    public void TheCodeWritesTheDocumentedBytesAndReadsThemBack()
    {
        var (fields, fileHex) = ReadVector();
        var current = new StoredSecret(Guid.Parse(fields["current id"]), Ms(fields["current created"]), Hex.Decode(fields["current secret"]));
        var previous = new StoredSecret(Guid.Parse(fields["previous id"]), Ms(fields["previous created"]), Hex.Decode(fields["previous secret"]), Ms(fields["previous replaced"]));
        using var state = new StoreState
        {
            Current = current,
            Previous = previous,
            LastBackup = new BackupRecord(Ms(fields["backup time"]), Guid.Parse(fields["backup secret id"]), fields["backup path"]),
        };

        if (!OperatingSystem.IsWindows())
        {
            // On Windows the writer protects secrets with DPAPI (protection 1), whose bytes differ on every machine.
            Assert.Equal(fileHex, Hex.Encode(StoreFile.Serialize(state)));
        }

        using var read = StoreFile.Deserialize(Hex.Decode(fileHex), "vector");
        Assert.Equal(current.Id, read.Current!.Id);
        Assert.Equal(current.Secret, read.Current.Secret);
        Assert.Equal(current.Created, read.Current.Created);
        Assert.Equal(previous.Id, read.Previous!.Id);
        Assert.Equal(previous.Secret, read.Previous.Secret);
        Assert.Equal(previous.Replaced, read.Previous.Replaced);
        Assert.Equal(fields["backup path"], read.LastBackupOfCurrent!.Path);
        Assert.Equal(Ms(fields["backup time"]), read.LastBackup!.Time);
    }

    [Fact]
    public void TheDocumentedLimitsAreTheCodes()
    {
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"longer than {StoreFile.MaxLength:N0} bytes", text);
        Assert.Contains($"shorter than {StoreFile.Magic.Length + 4 + 32} bytes", text);
        Assert.Contains($"{BackupEnvelope.MinSecretLength} to {BackupEnvelope.MaxSecretLength} bytes", text);
    }

    public static IEnumerable<object[]> Damage() => new[]
    {
        new object[] { "a wrong magic", 0 },
        new object[] { "version 2", 9 },
        new object[] { "an unknown protection", 10 },
        new object[] { "an undefined presence bit", 11 },
        new object[] { "a secret length past the end", 36 },
        new object[] { "a backup path length past the end", 181 },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void EachReaderCheckRefusesWithStoreDamagedEvenWhenTheChecksumIsRecomputed(string what, int offset)
    {
        var data = Hex.Decode(ReadVector().FileHex);
        data[offset] = offset == 9 ? (byte)2 : (byte)(data[offset] ^ 0xF0);
        var body = data.Take(data.Length - 32).ToArray();
        System.Security.Cryptography.SHA256.HashData(body).CopyTo(data, data.Length - 32);
        var e = Assert.Throws<StoreException>(() => StoreFile.Deserialize(data, "vector"));
        Assert.Equal(SsoSecretFailure.StoreDamaged, e.Failure);
        Assert.DoesNotContain("a0a1a2", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TrailingBytesAndATooLongFileAreDamage()
    {
        var data = Hex.Decode(ReadVector().FileHex).ToList();
        data.InsertRange(data.Count - 32, new byte[] { 0 });
        var extended = data.ToArray();
        System.Security.Cryptography.SHA256.HashData(extended.AsSpan(0, extended.Length - 32)).CopyTo(extended, extended.Length - 32);
        Assert.Contains("does not define", Assert.Throws<StoreException>(() => StoreFile.Deserialize(extended, "x")).Message);
        Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => StoreFile.Deserialize(new byte[StoreFile.MaxLength + 1], "x")).Failure);
    }

    private static DateTimeOffset Ms(string text) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text));

    private static (Dictionary<string, string> Fields, string FileHex) ReadVector()
    {
        string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
        var block = Regex.Match(text, @"^## Test vector\n.*?```text\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline).Groups[1].Value;
        var fields = Regex.Matches(block, @"^([a-z ]+):[ \t]+(\S.*)$", RegexOptions.Multiline).ToDictionary(m => m.Groups[1].Value.Trim(), m => m.Groups[2].Value.Trim());
        string fileHex = Regex.Match(block, @"^file:\n((?:[0-9a-f]+\n?)+)", RegexOptions.Multiline).Groups[1].Value.Replace("\n", string.Empty);
        Assert.Equal(10, fields.Count);
        return (fields, fileHex);
    }
}
