using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/envelope-format.md and the code together: every test vector in the document is recomputed from the
/// document's own inputs and compared byte for byte, intermediate values included.
/// </summary>
public sealed class EnvelopeSpecificationTests
{
    public static IEnumerable<object[]> Vectors() => ReadVectors().Select(v => new object[] { v.Key });

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TheCodeWritesTheDocumentedBytes(string name)
    {
        var v = ReadVectors()[name];
        var password = Hex.Decode(v.Fields["password (UTF-8)"]);
        var salt = Hex.Decode(v.Fields["salt"]);
        var kdf = SpecVectors.ParseKdf(v.Fields["kdf"]);
        var created = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Regex.Match(v.Fields["created"], @"\((\d+)\)").Groups[1].Value));
        var id = Guid.Parse(v.Fields["secret id"]);
        var secret = Hex.Decode(v.Fields["secret"]);
        var hint = Encoding.UTF8.GetString(Hex.Decode(v.Fields["hint (UTF-8)"]));

        Assert.Equal(v.Fields["argon2id output"], Hex.Encode(Primitives.Argon2id(password, salt, kdf, 32)));

        using var sealedBackup = BackupEnvelope.Seal(secret, id, created, hint, password, kdf, salt);
        Assert.Equal(v.Fields["aead key"], Hex.Encode(sealedBackup.Keys.Key));
        Assert.Equal(v.Fields["aead nonce"], Hex.Encode(sealedBackup.Keys.Nonce));
        Assert.Equal(v.Fields["commitment"], Hex.Encode(sealedBackup.Keys.Commitment));
        Assert.Equal(v.FileHex, Hex.Encode(sealedBackup.Data));
        if (v.Armored is not null)
        {
            Assert.Equal(v.Armored + "\n", Armor.EncodeBackup(sealedBackup.Data));
        }

        // And the documented bytes open to the documented secret and header.
        var opened = BackupEnvelope.Open(Hex.Decode(v.FileHex), password, KdfLimits.Default, out var header);
        Assert.Equal(secret, opened);
        Assert.Equal(id, header.SecretId);
        Assert.Equal(hint, header.Hint);
        Assert.Equal(created, header.Created);
        Assert.Equal(kdf, header.Kdf);
    }

    [Fact]
    public void TheDocumentHasBothVectors()
    {
        var vectors = ReadVectors();
        Assert.Equal(2, vectors.Count);
        Assert.Single(vectors.Values, v => v.Armored is not null);
    }

    [Fact]
    public void TheDocumentedLayoutMatchesTheCodesOffsets()
    {
        string text = File.ReadAllText(SpecPath);
        var rows = Regex.Matches(text, @"^\|\s*(\d+(?:\+H)?)\s*\|\s*(\d+|H|S\+16)\s*\|\s*([A-Za-z ]+?)\s*\|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[3].Value, m => m.Groups[1].Value);
        Assert.Equal(BackupEnvelope.VersionOffset.ToString(), rows["version"]);
        Assert.Equal(BackupEnvelope.FlagsOffset.ToString(), rows["flags"]);
        Assert.Equal(BackupEnvelope.KdfIdOffset.ToString(), rows["KDF id"]);
        Assert.Equal(BackupEnvelope.AeadIdOffset.ToString(), rows["AEAD id"]);
        Assert.Equal(BackupEnvelope.MemoryOffset.ToString(), rows["m"]);
        Assert.Equal(BackupEnvelope.IterationsOffset.ToString(), rows["t"]);
        Assert.Equal(BackupEnvelope.ParallelismOffset.ToString(), rows["p"]);
        Assert.Equal(BackupEnvelope.SaltOffset.ToString(), rows["salt"]);
        Assert.Equal(BackupEnvelope.CreatedOffset.ToString(), rows["created"]);
        Assert.Equal(BackupEnvelope.SecretIdOffset.ToString(), rows["secret id"]);
        Assert.Equal(BackupEnvelope.FingerprintOffset.ToString(), rows["fingerprint"]);
        Assert.Equal(BackupEnvelope.SecretLengthOffset.ToString(), rows["S"]);
        Assert.Equal(BackupEnvelope.HintLengthOffset.ToString(), rows["H"]);
        Assert.Equal(BackupEnvelope.HintOffset.ToString(), rows["hint"]);
        Assert.Contains($"{BackupEnvelope.MinLength} to {BackupEnvelope.MaxLength} bytes", text);
        Assert.Contains($"exactly `{BackupEnvelope.FixedOverhead} + H + S`", text);
    }

    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "envelope-format.md");

    internal static Dictionary<string, SpecVector> ReadVectors() => SpecVectors.Read(SpecPath, "Vector");
}
