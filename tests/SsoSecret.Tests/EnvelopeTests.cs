using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>The envelope's outcomes, each reached on purpose, and its bounds.</summary>
public sealed class EnvelopeTests
{
    // Tests use tiny KDF parameters through the internal API; the public cmdlets never go below Interactive.
    private static readonly KdfParameters s_tiny = new(64, 1, 1);
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("a good long password");
    private static readonly byte[] s_secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly Guid s_id = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private static byte[] Seal(string hint = "hint", KdfParameters? kdf = null, byte[]? secret = null)
    {
        using var sealedBackup = BackupEnvelope.Seal(secret ?? s_secret, s_id, DateTimeOffset.Parse("2026-05-01T10:00:00Z"), hint, s_password, kdf ?? s_tiny, allowBelowFloor: true);
        return (byte[])sealedBackup.Data.Clone();
    }

    private static void Reseal(byte[] data)
    {
        var checksum = Primitives.Sha256(data, 0, data.Length - 32);
        Buffer.BlockCopy(checksum, 0, data, data.Length - 32, 32);
    }

    private static SsoSecretFailure Failure(byte[] data, byte[]? password = null, KdfLimits? limits = null) =>
        Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(data, password ?? s_password, limits ?? KdfLimits.Default, out _)).Failure;

    [Fact]
    public void ARoundTripGivesBackTheSecretAndTheHeader()
    {
        var data = Seal("the hint");
        var secret = BackupEnvelope.Open(data, s_password, KdfLimits.Default, out var header);
        Assert.Equal(s_secret, secret);
        Assert.Equal(s_id, header.SecretId);
        Assert.Equal("the hint", header.Hint);
        Assert.Equal(32, header.SecretLength);
        Assert.Equal(s_tiny, header.Kdf);
        Assert.Equal(SecretFingerprint.ToHex(SecretFingerprint.Compute(s_secret)), header.Fingerprint);
    }

    [Fact]
    public void EveryWriteHasAFreshSalt()
    {
        var a = Seal();
        var b = Seal();
        Assert.NotEqual(a.Skip(BackupEnvelope.SaltOffset).Take(16), b.Skip(BackupEnvelope.SaltOffset).Take(16));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void TheHeaderIsReadableWithoutThePassword()
    {
        var header = BackupEnvelope.ReadHeader(Seal("remember the dog"));
        Assert.Equal("remember the dog", header.Hint);
        Assert.Equal(s_id, header.SecretId);
    }

    [Fact]
    public void AWrongPasswordIsWrongPassword()
    {
        Assert.Equal(SsoSecretFailure.WrongPassword, Failure(Seal(), Encoding.UTF8.GetBytes("a good long passworD")));
        Assert.Equal(SsoSecretFailure.WrongPassword, Failure(Seal(), Array.Empty<byte>()));
    }

    [Theory]
    [InlineData(BackupEnvelope.CreatedOffset + 7)]
    [InlineData(BackupEnvelope.SecretIdOffset + 1)]
    [InlineData(BackupEnvelope.FingerprintOffset + 1)]
    [InlineData(BackupEnvelope.HintOffset + 1)]
    public void AnAlteredAuthenticatedHeaderFieldIsTampered(int offset)
    {
        var data = Seal("hint");
        data[offset] ^= 0x01;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.TamperedBackup, Failure(data));
    }

    [Fact]
    public void AnAlteredCiphertextIsTampered()
    {
        var data = Seal();
        data[BackupEnvelope.HintOffset + 4 + BackupEnvelope.CommitmentLength + 3] ^= 0x80;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.TamperedBackup, Failure(data));
    }

    [Fact]
    public void AnAlteredTagIsTampered()
    {
        var data = Seal();
        data[data.Length - 33] ^= 0x01;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.TamperedBackup, Failure(data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void AnAlteredCommitmentReadsAsAWrongPassword(int index)
    {
        var data = Seal();
        data[BackupEnvelope.HintOffset + 4 + index] ^= 0x01;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.WrongPassword, Failure(data));
    }

    [Theory]
    [InlineData(BackupEnvelope.SaltOffset)]
    [InlineData(BackupEnvelope.IterationsOffset + 3)]
    [InlineData(BackupEnvelope.MemoryOffset + 3)]
    public void AnAlteredKeyScheduleFieldReadsAsAWrongPassword(int offset)
    {
        var data = Seal();
        data[offset] ^= 0x02;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.WrongPassword, Failure(data));
    }

    [Fact]
    public void AnotherVersionIsUnsupported()
    {
        var data = Seal();
        // Version 2 exists (backups sealed to recovery keys); 3 does not.
        data[BackupEnvelope.VersionOffset + 1] = 3;
        var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(data));
        Assert.Equal(SsoSecretFailure.UnsupportedVersion, e.Failure);
        Assert.Contains("version 3", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, this is a text file")]
    [InlineData("PK\u0003\u0004 zip")]
    public void OtherFilesAreNotBackups(string content)
    {
        var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(Encoding.UTF8.GetBytes(content)));
        Assert.Equal(SsoSecretFailure.NotABackup, e.Failure);
    }

    [Fact]
    public void AnOversizedInputIsRefusedWithoutParsing()
    {
        var big = new byte[BackupEnvelope.MaxInputLength + 1];
        Assert.Equal(SsoSecretFailure.NotABackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(big)).Failure);
        Buffer.BlockCopy(BackupEnvelope.Magic, 0, big, 0, 8);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(big)).Failure);
    }

    [Theory]
    [InlineData(BackupEnvelope.FlagsOffset + 1, 0x01)]
    [InlineData(BackupEnvelope.KdfIdOffset, 0x02)]
    [InlineData(BackupEnvelope.AeadIdOffset, 0x02)]
    [InlineData(BackupEnvelope.ParallelismOffset + 3, 17)]
    [InlineData(BackupEnvelope.ParallelismOffset + 3, 0)]
    [InlineData(BackupEnvelope.IterationsOffset + 3, 0)]
    [InlineData(BackupEnvelope.SecretLengthOffset + 1, 15)]
    [InlineData(BackupEnvelope.HintLengthOffset + 1, 5)]
    [InlineData(BackupEnvelope.CreatedOffset, 0xff)]
    public void AMalformedFieldWithAValidChecksumIsDamaged(int offset, byte value)
    {
        var data = Seal("hint");
        data[offset] = value;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(data)).Failure);
    }

    [Fact]
    public void AHintThatIsNotUtf8IsDamaged()
    {
        var data = Seal("abcd");
        data[BackupEnvelope.HintOffset] = 0xc0;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(data)).Failure);
    }

    [Fact]
    public void AHeaderAsking64GiBIsRefusedAtOnceWithoutAllocatingIt()
    {
        var data = Seal();
        uint memoryKiB = 64u * 1024 * 1024; // 64 GiB
        for (int i = 0; i < 4; i++)
        {
            data[BackupEnvelope.MemoryOffset + i] = (byte)(memoryKiB >> (24 - 8 * i));
        }

        Reseal(data);
        Assert.Equal(64L * 1024 * 1024, BackupEnvelope.ReadHeader(data).Kdf!.MemoryKiB);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        Assert.Equal(SsoSecretFailure.KdfLimitExceeded, Failure(data));
        watch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
        // The allocation bound proves the KDF never ran; the time only has to be far from a 64 GiB derivation (minutes),
        // with room for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public void TooMuchWorkIsRefusedAndAnExplicitLimitAllowsIt()
    {
        // 8 MiB over 2^20 passes: little memory, but far more work than the Sensitive profile.
        var data = Seal();
        data[BackupEnvelope.IterationsOffset + 1] = 0x10;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.KdfLimitExceeded, Failure(data));

        var modest = Seal(kdf: new KdfParameters(2048, 1, 1));
        Assert.Equal(SsoSecretFailure.KdfLimitExceeded, Failure(modest, limits: KdfLimits.FromMemoryMiB(1)));
        Assert.Equal(s_secret, BackupEnvelope.Open(modest, s_password, KdfLimits.FromMemoryMiB(2), out _));
    }

    [Fact]
    public void TheWriterRefusesParametersBelowTheFloor()
    {
        Assert.Throws<ArgumentException>(() => BackupEnvelope.Seal(s_secret, s_id, DateTimeOffset.UtcNow, "", s_password, s_tiny));
        Assert.Throws<ArgumentException>(() => BackupEnvelope.Seal(s_secret, s_id, DateTimeOffset.UtcNow, "", s_password, new KdfParameters(65536, 2, 4)));
    }

    [Theory]
    [InlineData(513, false)]
    [InlineData(512, true)]
    public void HintsAreLimitedTo512Characters(int length, bool allowed)
    {
        string hint = new('x', length);
        Assert.Equal(allowed, PasswordHint.Check(hint) is null);
        string emoji = string.Concat(Enumerable.Repeat(char.ConvertFromUtf32(0x1F434), length));
        Assert.Equal(allowed ? null : SsoSecretFailure.HintTooLong, PasswordHint.Check(emoji)?.Failure);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("escape\u001b[31m")]
    [InlineData("bell\u0007")]
    [InlineData("c1\u009b")]
    public void HintsWithControlCharactersAreRefused(string hint)
    {
        Assert.Equal(SsoSecretFailure.InvalidHint, PasswordHint.Check(hint)?.Failure);
        Assert.Throws<ArgumentException>(() => Seal(hint));
    }

    [Fact]
    public void SecretsOutsideTheBoundsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Seal(secret: new byte[15]));
        Assert.Throws<ArgumentException>(() => Seal(secret: new byte[1025]));
        Assert.Equal(1024, BackupEnvelope.ReadHeader(Seal(secret: new byte[1024])).SecretLength);
    }

    [Fact]
    public void DisposingSealedKeysZeroesThem()
    {
        var sealedBackup = BackupEnvelope.Seal(s_secret, s_id, DateTimeOffset.UtcNow, "", s_password, s_tiny, allowBelowFloor: true);
        var keys = sealedBackup.Keys;
        sealedBackup.Dispose();
        Assert.All(new[] { keys.Key, keys.Nonce, keys.Commitment }, k => Assert.All(k, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void VerifyWrittenDetectsADifferentCopy()
    {
        using var sealedBackup = BackupEnvelope.Seal(s_secret, s_id, DateTimeOffset.UtcNow, "", s_password, s_tiny, allowBelowFloor: true);
        BackupEnvelope.VerifyWritten((byte[])sealedBackup.Data.Clone(), sealedBackup, s_secret);
        var other = Seal();
        Assert.Equal(SsoSecretFailure.DamagedBackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.VerifyWritten(other, sealedBackup, s_secret)).Failure);
        Assert.ThrowsAny<BackupException>(() => BackupEnvelope.VerifyWritten((byte[])sealedBackup.Data.Clone(), sealedBackup, new byte[32]));
    }
}
