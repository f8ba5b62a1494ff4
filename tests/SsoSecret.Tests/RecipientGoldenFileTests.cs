using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The golden backups of format version 2 and the golden recovery key file open, forever; and every single-byte
/// change, truncation and insertion of them ends in one of the reader's documented failures: never success, never
/// another exception type.
/// </summary>
public sealed class RecipientGoldenFileTests
{
    /// <summary>RFC 7748's Bob: a recipient of both golden backups, and the key in the golden key file.</summary>
    internal static readonly byte[] BobPrivateKey = Hex.Decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");

    /// <summary>The other recipient of v2-armored.bak.</summary>
    internal static readonly byte[] OtherPrivateKey = Hex.Decode("a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7");

    internal const string KeyPassword = "correct horse battery staple";

    public static TheoryData<string> Goldens => new() { "v2-binary.bak", "v2-armored.bak" };

    public static TheoryData<string> KeyGoldens => new() { "recovery-key-v1.key", "recovery-key-v1-binary.key" };

    [Fact]
    public void TheBinaryGoldenBackupOpens()
    {
        var secret = BackupEnvelope.OpenWithRecoveryKey(File.ReadAllBytes(TestPaths.Golden("v2-binary.bak")), BobPrivateKey, out var header);
        Assert.Equal(Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray(), secret);
        Assert.Equal(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), header.SecretId);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), header.Created);
        Assert.Equal(2, header.Version);
        Assert.Equal(new[] { "9e403261c86ce111da6296db2fbb93d9" }, header.Recipients);
        Assert.False(header.Armored);
    }

    [Fact]
    public void TheArmoredGoldenBackupOpensWithEitherKey()
    {
        var data = File.ReadAllBytes(TestPaths.Golden("v2-armored.bak"));
        var expected = Enumerable.Range(0, 48).Select(i => (byte)((i * 7 + 3) % 256)).ToArray();
        Assert.Equal(expected, BackupEnvelope.OpenWithRecoveryKey(data, BobPrivateKey, out var header));
        Assert.Equal(expected, BackupEnvelope.OpenWithRecoveryKey(data, OtherPrivateKey, out _));
        Assert.Equal(Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5"), header.SecretId);
        Assert.Equal(new[] { "b66c394706ce9112661c89c83a4686f5", "9e403261c86ce111da6296db2fbb93d9" }, header.Recipients);
        Assert.True(header.Armored);
    }

    [Theory]
    [MemberData(nameof(KeyGoldens))]
    public void TheGoldenKeyFileOpens(string name)
    {
        var data = File.ReadAllBytes(TestPaths.Golden(name));
        var privateKey = RecoveryKeyFile.Open(data, Encoding.UTF8.GetBytes(KeyPassword), KdfLimits.Default, out var header);
        Assert.Equal(BobPrivateKey, privateKey);
        Assert.Equal("the one with the horse", header.Hint);
        Assert.Equal("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gn8", header.PublicKey.Text);
        Assert.Equal(new KdfParameters(65536, 3, 4), header.Kdf);
        Assert.Equal(name.Contains("binary") ? false : true, header.Armored);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EverySingleByteChangeFails(string name)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
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
                var failure = ExpectFailure(mutated, out byte[]? decoded);
                if (failure is null)
                {
                    Assert.True(armored && IsWhiteSpace(original[i]) && IsWhiteSpace((byte)value) && IsOutsideBlock(original, i), $"{name}: byte {i} set to 0x{value:x2} was accepted.");
                    Assert.Equal(reference, decoded);
                    continue;
                }

                if (!armored)
                {
                    var expected = i < BackupEnvelope.VersionOffset ? new[] { SsoSecretFailure.NotABackup, SsoSecretFailure.DamagedBackup }
                        : i < RecipientEnvelope.FlagsOffset ? (i == BackupEnvelope.VersionOffset + 1 && value == BackupEnvelope.FormatVersion ? new[] { SsoSecretFailure.DamagedBackup } : new[] { SsoSecretFailure.UnsupportedVersion })
                        : new[] { SsoSecretFailure.DamagedBackup };
                    Assert.Contains(failure.Value, expected);
                }
            }
        }

        Assert.Equal(original.Length * 255, cases);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EveryTruncationAndInsertedByteFails(string name)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
        for (int length = 0; length < original.Length; length++)
        {
            bool onlyTrailingWhiteSpaceCut = original.Skip(length).All(IsWhiteSpace);
            Assert.True(ExpectFailure(original.Take(length).ToArray(), out _) is not null || onlyTrailingWhiteSpaceCut, $"{name} cut to {length} bytes was accepted.");
        }

        foreach (byte inserted in new byte[] { 0x00, 0x41, 0xff })
        {
            for (int i = 0; i <= original.Length; i++)
            {
                var longer = original.Take(i).Append(inserted).Concat(original.Skip(i)).ToArray();
                Assert.True(ExpectFailure(longer, out _) is not null, $"{name} with 0x{inserted:x2} inserted at {i} was accepted.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KeyGoldens))]
    public void EverySingleByteChangeOfTheKeyFileFailsWithoutThePassword(string name)
    {
        var original = File.ReadAllBytes(TestPaths.Golden(name));
        bool armored = name.EndsWith("v1.key", StringComparison.Ordinal);
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
                try
                {
                    RecoveryKeyFile.ReadHeader(mutated);
                    Assert.True(armored && IsWhiteSpace(original[i]) && IsWhiteSpace((byte)value) && IsOutsideBlock(original, i, RecoveryKeyFile.ArmorLabel), $"{name}: byte {i} set to 0x{value:x2} was accepted.");
                }
                catch (RecoveryKeyException e)
                {
                    Assert.Contains(e.Failure, new[] { SsoSecretFailure.NotARecoveryKey, SsoSecretFailure.DamagedRecoveryKey, SsoSecretFailure.UnsupportedVersion });
                    if (!armored && i >= RecoveryKeyFile.FlagsOffset)
                    {
                        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, e.Failure);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Reads the data's header, then opens it with Bob's key: the failure, or null (and the decoded binary form) when
    /// it opened. A failure found without a key must be found the same way with it. Any exception other than
    /// <see cref="BackupException"/> fails the test.
    /// </summary>
    private static SsoSecretFailure? ExpectFailure(byte[] data, out byte[]? decoded)
    {
        decoded = null;
        try
        {
            BackupEnvelope.ReadHeader(data);
        }
        catch (BackupException e)
        {
            var withKey = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(data, BobPrivateKey, out _));
            Assert.Equal(e.Failure, withKey.Failure);
            return e.Failure;
        }

        try
        {
            BackupEnvelope.OpenWithRecoveryKey(data, BobPrivateKey, out _);
        }
        catch (BackupException e)
        {
            return e.Failure;
        }

        decoded = Decoded(data);
        return null;
    }

    private static byte[] Decoded(byte[] data) => Armor.LooksArmored(data) ? Armor.Decode(data) : data;

    private static bool IsWhiteSpace(byte b) => b == (byte)' ' || b == (byte)'\t' || b == (byte)'\r' || b == (byte)'\n';

    private static bool IsOutsideBlock(byte[] data, int index, string label = Armor.Label)
    {
        string text = Encoding.ASCII.GetString(data);
        string endLine = "-----END " + label + "-----";
        int end = text.IndexOf(endLine, StringComparison.Ordinal) + endLine.Length;
        return index >= end;
    }
}
