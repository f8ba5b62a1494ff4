using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The golden backups of format version 1 open, forever; and every single-byte change, truncation and insertion of
/// them ends in one of the reader's documented failures: never success, never another exception type.
/// </summary>
public sealed class GoldenFileTests
{
    internal const string BinaryPassword = "correct horse battery staple";
    internal static readonly string ArmoredPassword = "p\u00e4ssw\u00f6rter-\u00fc " + char.ConvertFromUtf32(0x1F434);

    public static TheoryData<string, string> Goldens => new()
    {
        { "v1-binary.bak", BinaryPassword },
        { "v1-armored.bak", ArmoredPassword },
    };

    [Fact]
    public void TheBinaryGoldenFileOpens()
    {
        var secret = BackupEnvelope.Open(File.ReadAllBytes(TestPaths.Golden("v1-binary.bak")), Encoding.UTF8.GetBytes(BinaryPassword), KdfLimits.Default, out var header);
        Assert.Equal(Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray(), secret);
        Assert.Equal(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), header.SecretId);
        Assert.Equal("the one with the horse", header.Hint);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), header.Created);
        Assert.Equal(new KdfParameters(65536, 3, 4), header.Kdf);
        Assert.Equal(1, header.Version);
        Assert.False(header.Armored);
        Assert.Equal(SecretFingerprint.ToHex(SecretFingerprint.Compute(secret)), header.Fingerprint);
    }

    [Fact]
    public void TheArmoredGoldenFileOpens()
    {
        var secret = BackupEnvelope.Open(File.ReadAllBytes(TestPaths.Golden("v1-armored.bak")), Encoding.UTF8.GetBytes(ArmoredPassword), KdfLimits.Default, out var header);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)((i * 7 + 3) % 256)).ToArray(), secret);
        Assert.Equal(Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5"), header.SecretId);
        Assert.Equal("Pferd " + char.ConvertFromUtf32(0x1F434) + " \u2014 Batterie", header.Hint);
        Assert.True(header.Armored);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EverySingleByteChangeFails(string name, string password)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        bool armored = name.Contains("armored");
        var reference = Decoded(original);
        int cases = 0;
        for (int i = 0; i < original.Length; i++)
        {
            for (int value = 0; value < 256; value++)
            {
                if (value == original[i])
                {
                    continue;
                }

                var mutated = (byte[])original.Clone();
                mutated[i] = (byte)value;
                cases++;
                var failure = ExpectFailure(mutated, passwordBytes, out byte[]? decoded);
                if (failure is null)
                {
                    // Only the armor's surrounding white space may change without changing what the file holds.
                    Assert.True(armored && IsWhiteSpace(original[i]) && IsWhiteSpace((byte)value) && IsOutsideBlock(original, i), $"{name}: byte {i} set to 0x{value:x2} was accepted.");
                    Assert.Equal(reference, decoded);
                    continue;
                }

                if (!armored)
                {
                    var expected = i < BackupEnvelope.VersionOffset ? new[] { SsoSecretFailure.NotABackup, SsoSecretFailure.DamagedBackup }
                        // Version 2 is a format of its own: a version 1 file that claims it fails its checks as damaged.
                        : i < BackupEnvelope.FlagsOffset ? (i == BackupEnvelope.VersionOffset + 1 && value == RecipientEnvelope.FormatVersion ? new[] { SsoSecretFailure.DamagedBackup } : new[] { SsoSecretFailure.UnsupportedVersion })
                        : new[] { SsoSecretFailure.DamagedBackup };
                    Assert.Contains(failure.Value, expected);
                }
            }
        }

        Assert.Equal(original.Length * 255, cases);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EveryTruncationFails(string name, string password)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        for (int length = 0; length < original.Length; length++)
        {
            var truncated = original.Take(length).ToArray();
            bool onlyTrailingWhiteSpaceCut = original.Skip(length).All(IsWhiteSpace);
            var failure = ExpectFailure(truncated, passwordBytes, out _);
            Assert.True(failure is not null || onlyTrailingWhiteSpaceCut, $"{name} cut to {length} bytes was accepted.");
        }
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EveryInsertedByteFails(string name, string password)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        foreach (byte inserted in new byte[] { 0x00, 0x41, 0xff })
        {
            for (int i = 0; i <= original.Length; i++)
            {
                var longer = original.Take(i).Append(inserted).Concat(original.Skip(i)).ToArray();
                Assert.True(ExpectFailure(longer, passwordBytes, out _) is not null, $"{name} with 0x{inserted:x2} inserted at {i} was accepted.");
            }
        }
    }

    /// <summary>
    /// Opens the data with the right password. Returns the failure, or null (and the decoded binary form) when it
    /// opened. Any exception other than <see cref="BackupException"/> fails the test.
    /// </summary>
    private static SsoSecretFailure? ExpectFailure(byte[] data, byte[] password, out byte[]? decoded)
    {
        decoded = null;
        try
        {
            BackupEnvelope.ReadHeader(data);
        }
        catch (BackupException e)
        {
            // Reading with the password must fail in the same way, before any KDF work.
            var withPassword = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(data, password, KdfLimits.Default, out _));
            Assert.Equal(e.Failure, withPassword.Failure);
            return e.Failure;
        }

        decoded = Decoded(data);
        return null;
    }

    private static byte[] Decoded(byte[] data) => Armor.LooksArmored(data) ? Armor.Decode(data) : data;

    private static bool IsWhiteSpace(byte b) => b == (byte)' ' || b == (byte)'\t' || b == (byte)'\r' || b == (byte)'\n';

    private static bool IsOutsideBlock(byte[] data, int index)
    {
        string text = Encoding.ASCII.GetString(data);
        int end = text.IndexOf(Armor.EndLine, StringComparison.Ordinal) + Armor.EndLine.Length;
        return index >= end;
    }
}
