using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Backups sealed to recovery keys (format version 2), the public key line and the recovery key file: every outcome
/// reached on purpose, every bound, and the refusals of the writer.
/// </summary>
public sealed class RecipientEnvelopeTests
{
    private static readonly byte[] s_secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly Guid s_id = Guid.Parse("11111111-2222-3333-4444-555555555555");
    private static readonly DateTimeOffset s_created = DateTimeOffset.Parse("2026-05-01T10:00:00Z");

    /// <summary>
    /// A point of order 8 (C2SP/CCTV's x25519_low_order vector with the top bit of its last byte clear, which makes it
    /// canonical, so that step 6 and not step 5 refuses it): every shared secret with it is zero.
    /// </summary>
    private static readonly byte[] s_lowOrder = Hex.Decode("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157");

    private static (byte[] PrivateKey, RecoveryPublicKey PublicKey) NewKey()
    {
        var (privateKey, publicKey) = Primitives.X25519NewKeyPair();
        return (privateKey, new RecoveryPublicKey(publicKey));
    }

    private static byte[] Seal(params RecoveryPublicKey[] recipients)
    {
        using var sealedBackup = RecipientEnvelope.Seal(s_secret, s_id, s_created, recipients);
        return (byte[])sealedBackup.Data.Clone();
    }

    /// <summary>Recomputes a file's checksum (its last 32 bytes) after an edit.</summary>
    internal static void Reseal(byte[] data)
    {
        var checksum = Primitives.Sha256(data, 0, data.Length - 32);
        Buffer.BlockCopy(checksum, 0, data, data.Length - 32, 32);
    }

    /// <summary>
    /// A version 2 backup made from the page's layout alone, for stanzas the module's writer would refuse to make: the
    /// fixed header as given (N already right), one stanza per (public key, ephemeral public key, wrapped file key), the
    /// commitment, the sealed secret and the checksum.
    /// </summary>
    internal static byte[] SealByHand(byte[] fixedHeader, IReadOnlyList<(byte[] PublicKey, byte[] Ephemeral, byte[] Wrapped)> stanzas, byte[] fileKey, byte[] secret)
    {
        var header = new List<byte>(fixedHeader);
        foreach (var (publicKey, ephemeral, wrapped) in stanzas)
        {
            header.Add(RecipientEnvelope.RecipientX25519);
            header.AddRange(RecoveryPublicKey.ComputeFingerprint(publicKey));
            header.AddRange(ephemeral);
            header.AddRange(wrapped);
        }

        var headerBytes = header.ToArray();
        using var keys = RecipientEnvelope.DeriveKeys(fileKey, headerBytes);
        var file = headerBytes.Concat(keys.Commitment).Concat(Primitives.ChaChaSeal(keys.Key, keys.Nonce, headerBytes, secret)).Concat(new byte[32]).ToArray();
        Reseal(file);
        return file;
    }

    private static SsoSecretFailure Failure(byte[] data, byte[] privateKey) =>
        Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(data, privateKey, out _)).Failure;

    private static int Stanza(int index) => RecipientEnvelope.StanzasOffset + index * RecipientEnvelope.StanzaLength;

    [Fact]
    public void AnyOneRecipientOpensTheBackup()
    {
        var keys = Enumerable.Range(0, 3).Select(_ => NewKey()).ToList();
        var data = Seal(keys.Select(k => k.PublicKey).ToArray());
        foreach (var (privateKey, publicKey) in keys)
        {
            Assert.Equal(s_secret, BackupEnvelope.OpenWithRecoveryKey(data, privateKey, out var header));
            Assert.Equal(s_id, header.SecretId);
            Assert.Equal(s_created, header.Created);
            Assert.Equal(SsoSecretBackupKind.Recipients, header.Kind);
            Assert.Equal(keys.Select(k => k.PublicKey.Fingerprint), header.Recipients);
            Assert.Contains(publicKey.Fingerprint, header.Recipients);
            Assert.Equal(string.Empty, header.Hint);
            Assert.Null(header.Kdf);
        }
    }

    [Fact]
    public void TheHeaderIsReadableWithoutAKey()
    {
        var (_, publicKey) = NewKey();
        var header = BackupEnvelope.ReadHeader(Seal(publicKey));
        Assert.Equal(2, header.Version);
        Assert.Equal(new[] { publicKey.Fingerprint }, header.Recipients);
        Assert.Equal(SecretFingerprint.ToHex(SecretFingerprint.Compute(s_secret)), header.Fingerprint);
        Assert.Equal(32, header.SecretLength);
        Assert.False(header.Armored);
        Assert.True(BackupEnvelope.ReadHeader(Encoding.ASCII.GetBytes(Armor.Encode(Seal(publicKey)))).Armored);
    }

    [Fact]
    public void EveryWriteHasAFreshFileKeyAndFreshEphemeralKeys()
    {
        var (_, publicKey) = NewKey();
        var a = Seal(publicKey);
        var b = Seal(publicKey);
        Assert.NotEqual(
            a.Skip(Stanza(0) + RecipientEnvelope.StanzaEphemeralOffset).Take(32),
            b.Skip(Stanza(0) + RecipientEnvelope.StanzaEphemeralOffset).Take(32));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void AKeyTheBackupIsNotSealedToIsAWrongRecoveryKey()
    {
        var (_, sealedTo) = NewKey();
        var (other, otherPublic) = NewKey();
        var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(Seal(sealedTo), other, out _));
        Assert.Equal(SsoSecretFailure.WrongRecoveryKey, e.Failure);
        Assert.Contains(otherPublic.Fingerprint, e.Message);
        Assert.Contains(sealedTo.Fingerprint, e.Message);
    }

    [Fact]
    public void APasswordForARecipientBackupAndAKeyForAPasswordBackupAreKindMismatches()
    {
        var (privateKey, publicKey) = NewKey();
        var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(Seal(publicKey), Encoding.UTF8.GetBytes("password"), KdfLimits.Default, out _));
        Assert.Equal(SsoSecretFailure.BackupKindMismatch, e.Failure);

        using var v1 = BackupEnvelope.Seal(s_secret, s_id, s_created, "hint", Encoding.UTF8.GetBytes("password"), new KdfParameters(64, 1, 1), allowBelowFloor: true);
        var f = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(v1.Data, privateKey, out _));
        Assert.Equal(SsoSecretFailure.BackupKindMismatch, f.Failure);
    }

    [Fact]
    public void DamageIsFoundWithoutAKey()
    {
        var (privateKey, publicKey) = NewKey();
        var data = Seal(publicKey);
        for (int i = RecipientEnvelope.FlagsOffset; i < data.Length; i += 7)
        {
            var damaged = (byte[])data.Clone();
            damaged[i] ^= 0x10;
            Assert.Equal(SsoSecretFailure.DamagedBackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(damaged)).Failure);
            Assert.Equal(SsoSecretFailure.DamagedBackup, Failure(damaged, privateKey));
        }
    }

    /// <summary>Each region changed by a forger who recomputes the checksum, and the outcome the page gives it.</summary>
    [Theory]
    [InlineData("created", RecipientEnvelope.CreatedOffset + 7, SsoSecretFailure.TamperedBackup)]
    [InlineData("created beyond 9999", RecipientEnvelope.CreatedOffset, SsoSecretFailure.DamagedBackup)]
    [InlineData("secret id", RecipientEnvelope.SecretIdOffset, SsoSecretFailure.TamperedBackup)]
    [InlineData("fingerprint", RecipientEnvelope.FingerprintOffset, SsoSecretFailure.TamperedBackup)]
    [InlineData("our ephemeral key", -1, SsoSecretFailure.TamperedBackup)]
    [InlineData("our wrapped file key", -2, SsoSecretFailure.TamperedBackup)]
    [InlineData("the other stanza's ephemeral key", -3, SsoSecretFailure.TamperedBackup)]
    [InlineData("the other stanza's fingerprint", -4, SsoSecretFailure.TamperedBackup)]
    [InlineData("commitment", -5, SsoSecretFailure.TamperedBackup)]
    [InlineData("ciphertext", -6, SsoSecretFailure.TamperedBackup)]
    [InlineData("tag", -7, SsoSecretFailure.TamperedBackup)]
    [InlineData("our fingerprint", -8, SsoSecretFailure.WrongRecoveryKey)]
    [InlineData("flags", RecipientEnvelope.FlagsOffset + 1, SsoSecretFailure.DamagedBackup)]
    [InlineData("AEAD id", RecipientEnvelope.AeadIdOffset, SsoSecretFailure.DamagedBackup)]
    [InlineData("recipient count", RecipientEnvelope.RecipientCountOffset, SsoSecretFailure.DamagedBackup)]
    [InlineData("secret length", RecipientEnvelope.SecretLengthOffset + 1, SsoSecretFailure.DamagedBackup)]
    [InlineData("stanza type", -9, SsoSecretFailure.UnsupportedVersion)]
    public void AForgedChangeHasItsDocumentedOutcome(string region, int offset, SsoSecretFailure expected)
    {
        var (privateKey, publicKey) = NewKey();
        var (_, otherPublic) = NewKey();
        var data = Seal(otherPublic, publicKey);
        int ours = Stanza(1);
        int theirs = Stanza(0);
        int headerLength = Stanza(2);
        int at = offset switch
        {
            -1 => ours + RecipientEnvelope.StanzaEphemeralOffset + 5,
            -2 => ours + RecipientEnvelope.StanzaWrappedOffset + 40,
            -3 => theirs + RecipientEnvelope.StanzaEphemeralOffset,
            -4 => theirs + RecipientEnvelope.StanzaFingerprintOffset + 3,
            -5 => headerLength + 31,
            -6 => headerLength + 32,
            -7 => data.Length - 33,
            -8 => ours + RecipientEnvelope.StanzaFingerprintOffset,
            -9 => ours + RecipientEnvelope.StanzaTypeOffset,
            _ => offset,
        };
        data[at] ^= 0x01;
        Reseal(data);
        Assert.True(expected == Failure(data, privateKey), region);
    }

    [Theory]
    [InlineData("all zero (CCTV x25519_identity)")]
    [InlineData("order 8 (CCTV x25519_low_order)")]
    public void AnEphemeralKeyOfSmallOrderIsTampered(string which)
    {
        var (privateKey, publicKey) = NewKey();
        var data = Seal(publicKey);
        var share = which.StartsWith("all", StringComparison.Ordinal) ? new byte[32] : s_lowOrder;
        Buffer.BlockCopy(share, 0, data, Stanza(0) + RecipientEnvelope.StanzaEphemeralOffset, 32);
        Reseal(data);
        var e = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.OpenWithRecoveryKey(data, privateKey, out _));
        Assert.Equal(SsoSecretFailure.TamperedBackup, e.Failure);
        Assert.Contains("small order", e.Message);
    }

    [Fact]
    public void TwoStanzasForOneKeyAreDamage()
    {
        var (privateKey, publicKey) = NewKey();
        var (_, other) = NewKey();
        var data = Seal(publicKey, other);
        Buffer.BlockCopy(publicKey.FingerprintBytes, 0, data, Stanza(1) + RecipientEnvelope.StanzaFingerprintOffset, 16);
        Reseal(data);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Failure(data, privateKey));
    }

    [Fact]
    public void TheBoundsHold()
    {
        var keys = Enumerable.Range(0, RecipientEnvelope.MaxRecipients + 1).Select(_ => NewKey().PublicKey).ToList();
        using (var largest = RecipientEnvelope.Seal(new byte[BackupEnvelope.MaxSecretLength], s_id, s_created, keys.Take(16).ToList()))
        {
            Assert.Equal(RecipientEnvelope.MaxLength, largest.Data.Length);
        }

        using (var smallest = RecipientEnvelope.Seal(new byte[BackupEnvelope.MinSecretLength], s_id, s_created, keys.Take(1).ToList()))
        {
            Assert.Equal(RecipientEnvelope.MinLength, smallest.Data.Length);
        }

        Assert.Throws<ArgumentException>(() => RecipientEnvelope.Seal(s_secret, s_id, s_created, keys));
        Assert.Throws<ArgumentException>(() => RecipientEnvelope.Seal(s_secret, s_id, s_created, new List<RecoveryPublicKey>()));
        Assert.Throws<ArgumentException>(() => RecipientEnvelope.Seal(s_secret, s_id, s_created, new[] { keys[0], keys[0] }));
        Assert.Throws<ArgumentException>(() => RecipientEnvelope.Seal(new byte[15], s_id, s_created, keys.Take(1).ToList()));
    }

    [Fact]
    public void ARecipientCountBeyondTheBoundIsDamage()
    {
        var (privateKey, publicKey) = NewKey();
        var data = Seal(publicKey);
        data[RecipientEnvelope.RecipientCountOffset] = 17;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Failure(data, privateKey));
        data[RecipientEnvelope.RecipientCountOffset] = 0;
        Reseal(data);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Failure(data, privateKey));
    }

    [Fact]
    public void TheWriterRefusesARecipientOfSmallOrder()
    {
        var e = Assert.ThrowsAny<SsoSecretException>(() => RecipientEnvelope.Seal(s_secret, s_id, s_created, new[] { new RecoveryPublicKey(s_lowOrder) }));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
    }

    [Fact]
    public void APublicKeyLineRoundTripsInEitherCaseAndWithWhiteSpace()
    {
        var (_, publicKey) = NewKey();
        string line = publicKey.Text;
        Assert.StartsWith("ssosecret-recipient1", line);
        Assert.Equal(78, line.Length);
        Assert.Equal(publicKey, RecoveryPublicKey.Parse(line));
        Assert.Equal(publicKey, RecoveryPublicKey.Parse(line.ToUpperInvariant()));
        Assert.Equal(publicKey, RecoveryPublicKey.Parse("  " + line + "\r\n"));
    }

    [Fact]
    public void EveryMistypedCharacterOfAPublicKeyLineIsRefused()
    {
        const string alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        var (_, publicKey) = NewKey();
        string line = publicKey.Text;
        int prefix = RecoveryPublicKey.Prefix.Length + 1;
        for (int i = 0; i < line.Length; i++)
        {
            char replacement = i < prefix ? (line[i] == 'x' ? 'y' : 'x') : alphabet[(alphabet.IndexOf(line[i]) + 1) % 32];
            string typo = line.Substring(0, i) + replacement + line.Substring(i + 1);
            var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(typo));
            Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        }

        // A character left out, one added, two swapped.
        foreach (string typo in new[] { line.Remove(40, 1), line.Insert(40, "q"), line.Substring(0, 40) + line[41] + line[40] + line.Substring(42) })
        {
            if (typo != line)
            {
                Assert.Equal(SsoSecretFailure.InvalidRecipient, Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(typo)).Failure);
            }
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "does not start with 'ssosecret-recipient1'")]
    [InlineData("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gN8", "mixes upper and lower case")]
    [InlineData("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gn9", "checksum")]
    [InlineData("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gn", "checksum")]
    [InlineData("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gnb", "never has")]
    [InlineData("correct horse battery staple", "The value is not a recovery public key: it does not start with")]
    public void APublicKeyLineThatIsNotOneIsRefusedAndSaysWhy(string text, string reason)
    {
        var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(text));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        Assert.Contains(reason, e.Message);
        if (!text.StartsWith("ssosecret-recipient1", StringComparison.Ordinal) && text.Length > 0)
        {
            // Something that is not a key at all (a password pasted in the wrong place?) is never repeated.
            Assert.DoesNotContain(text, e.Message);
        }
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157")]
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    public void APublicKeyLineOfAPointOfSmallOrderIsRefused(string hex)
    {
        string line = Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(Hex.Decode(hex)));
        var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        Assert.Contains("small order", e.Message);
    }

    /// <summary>p = 2^255 - 19, little-endian.</summary>
    private static byte[] P => Hex.Decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

    /// <summary>p + k, for k from 0 to 18: the 19 values from p to 2^255 - 1, every one with the top bit clear.</summary>
    public static TheoryData<int> AboveP => new() { 0, 1, 2, 5, 17, 18 };

    [Theory]
    [MemberData(nameof(AboveP))]
    public void APublicKeyLineOfAValueFromPUpIsRefusedAsNotCanonical(int k)
    {
        var bytes = P;
        bytes[0] += (byte)k;
        string line = Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(bytes));
        var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        Assert.Contains("its value is 2^255 - 19 or more, so it is not a canonical X25519 public key", e.Message);
        Assert.Contains("no recovery key would open a backup sealed to it", e.Message);

        // p and p + 1 are the points 0 and 1, of small order: step 5 (canonical) names them before step 6 could.
        Assert.DoesNotContain("small order", e.Message);
        Assert.Contains("New-SsoRecoveryKey", e.RecommendedAction);
    }

    [Fact]
    public void APublicKeyLineWithTheTopBitSetIsRefusedThoughItIsTheSamePoint()
    {
        var (privateKey, publicKey) = NewKey();
        var bytes = (byte[])publicKey.Bytes.Clone();
        bytes[31] |= 0x80;
        string line = Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(bytes));

        // What made it dangerous: X25519 ignores the bit, so sealing "worked" and the same secret was shared...
        var (ephemeral, _) = Primitives.X25519NewKeyPair();
        Assert.Equal(Primitives.X25519(ephemeral, publicKey.Bytes), Primitives.X25519(ephemeral, bytes));

        var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        Assert.Contains("the top bit of its last byte is set, so it is not a canonical X25519 public key", e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(line.ToUpperInvariant(), Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line.ToUpperInvariant())).Message);

        // ...but the key's own fingerprint is not the one its stanza would carry: the backup would open with no key.
        Assert.NotEqual(publicKey.Fingerprint, new RecoveryPublicKey(bytes).Fingerprint);
        Assert.Equal(publicKey, RecoveryPublicKey.FromPrivateKey(privateKey));

        // The top bit is named first when the value is also p or more.
        var both = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        Assert.Contains("top bit", Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(Bech32m.Encode(RecoveryPublicKey.Prefix, Bech32m.ToGroups(both)))).Message);
    }

    [Fact]
    public void TheWriterRefusesARecipientThatIsNotCanonicalSoNoBackupOpensWithNoKey()
    {
        var (privateKey, publicKey) = NewKey();
        var topBit = (byte[])publicKey.Bytes.Clone();
        topBit[31] |= 0x80;
        var aboveP = P;
        aboveP[0] += 3;
        foreach (var bytes in new[] { topBit, aboveP })
        {
            var e = Assert.ThrowsAny<SsoSecretException>(() => RecipientEnvelope.Seal(s_secret, s_id, s_created, new[] { publicKey, new RecoveryPublicKey(bytes) }));
            Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
            Assert.Contains("not a canonical X25519 public key", e.Message);
        }

        // What the writer used to make of the top-bit key, made by hand from the page: every key, the right one too,
        // gets WrongRecoveryKey.
        var (ephemeral, ephemeralPublic) = Primitives.X25519NewKeyPair();
        var fileKey = Primitives.RandomBytes(32);
        var wrapped = Primitives.ChaChaSeal(RecipientEnvelope.WrapKey(Primitives.X25519(ephemeral, topBit)!, ephemeralPublic, topBit), new byte[12], Array.Empty<byte>(), fileKey);
        var forged = SealByHand(Seal(publicKey).Take(RecipientEnvelope.StanzasOffset).ToArray(), new[] { (topBit, ephemeralPublic, wrapped) }, fileKey, s_secret);
        Assert.Equal(SsoSecretFailure.WrongRecoveryKey, Failure(forged, privateKey));
    }

    [Fact]
    public void AStanzasEphemeralKeyIsUsedAsItIsCanonicalOrNot()
    {
        // Step 8: a reader does not check E; X25519 reads it with the top bit ignored, and the salt takes its bytes as
        // they are. A stanza whose E has the top bit set, wrapped with that E in the salt, opens; the same E under a
        // wrap key made with the canonical E does not (another salt): Tampered.
        var (privateKey, publicKey) = NewKey();
        var (ephemeral, ephemeralPublic) = Primitives.X25519NewKeyPair();
        var odd = (byte[])ephemeralPublic.Clone();
        odd[31] |= 0x80;
        var fileKey = Primitives.RandomBytes(32);
        var shared = Primitives.X25519(ephemeral, publicKey.Bytes)!;
        var fixedHeader = Seal(publicKey).Take(RecipientEnvelope.StanzasOffset).ToArray();

        var wrapped = Primitives.ChaChaSeal(RecipientEnvelope.WrapKey(shared, odd, publicKey.Bytes), new byte[12], Array.Empty<byte>(), fileKey);
        var opens = SealByHand(fixedHeader, new[] { (publicKey.Bytes, odd, wrapped) }, fileKey, s_secret);
        Assert.Equal(s_secret, BackupEnvelope.OpenWithRecoveryKey(opens, privateKey, out _));

        var canonicalWrap = Primitives.ChaChaSeal(RecipientEnvelope.WrapKey(shared, ephemeralPublic, publicKey.Bytes), new byte[12], Array.Empty<byte>(), fileKey);
        var swapped = SealByHand(fixedHeader, new[] { (publicKey.Bytes, odd, canonicalWrap) }, fileKey, s_secret);
        Assert.Equal(SsoSecretFailure.TamperedBackup, Failure(swapped, privateKey));
    }

    [Fact]
    public void TheCanonicalBoundaryIsExact()
    {
        var belowP = P;
        belowP[0] -= 1;
        Assert.True(RecoveryPublicKey.IsCanonical(belowP));
        Assert.Contains("small order", RecoveryPublicKey.Problem(belowP)); // canonical, and then refused at step 6: u = -1 has order 2
        Assert.False(RecoveryPublicKey.IsCanonical(P));
        Assert.True(RecoveryPublicKey.IsCanonical(new byte[32]));
        var top = new byte[32];
        top[31] = 0x80;
        Assert.False(RecoveryPublicKey.IsCanonical(top));
        var almost = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        almost[31] = 0x7F;
        almost[15] = 0xFE; // below p wherever a middle byte is not FF
        Assert.True(RecoveryPublicKey.IsCanonical(almost));
    }

    [Fact]
    public void EveryKeyPairsPublicKeyIsCanonicalAndPassesTheLineReader()
    {
        // RFC 7748 encodes X25519's output reduced mod p, top bit clear: the keys New-SsoRecoveryKey makes (BouncyCastle's
        // generator) and the public keys of any scalar, the edges included.
        var scalars = new List<byte[]> { new byte[32], Enumerable.Repeat((byte)0xFF, 32).ToArray(), Hex.Decode("0100000000000000000000000000000000000000000000000000000000000000") };
        for (int i = 0; i < 2000; i++)
        {
            var (privateKey, publicKey) = Primitives.X25519NewKeyPair();
            Assert.True(RecoveryPublicKey.IsCanonical(publicKey), Hex.Encode(publicKey));
            Assert.Equal(publicKey, Primitives.X25519PublicKey(privateKey));
            if (i < 200)
            {
                scalars.Add(privateKey);
                Assert.Equal(new RecoveryPublicKey(publicKey), RecoveryPublicKey.Parse(new RecoveryPublicKey(publicKey).Text));
            }
        }

        foreach (var scalar in scalars)
        {
            var publicKey = Primitives.X25519PublicKey(scalar);
            Assert.Null(RecoveryPublicKey.Problem(publicKey));
        }
    }

    [Fact]
    public void ALineOfTheRightChecksumButTheWrongLengthIsRefused()
    {
        var groups = Bech32m.ToGroups(new byte[31]);
        string line = Bech32m.Encode(RecoveryPublicKey.Prefix, groups);
        var e = Assert.ThrowsAny<SsoSecretException>(() => RecoveryPublicKey.Parse(line));
        Assert.Equal(SsoSecretFailure.InvalidRecipient, e.Failure);
        Assert.Contains("length", e.Message);
    }

    [Fact]
    public void GroupsThatAreNotACanonicalEncodingAreRefused()
    {
        var groups = Bech32m.ToGroups(new byte[32]);
        groups[groups.Length - 1] = 1; // a padding bit set
        Assert.Null(Bech32m.FromGroups(groups));
        Assert.Null(Bech32m.FromGroups(Bech32m.ToGroups(new byte[32]).Concat(new byte[] { 0, 0 }).ToArray())); // six bits of padding
        Assert.Equal(new byte[32], Bech32m.FromGroups(Bech32m.ToGroups(new byte[32])));
    }

    // ------------------------------------------------------------------------------------------------------------
    // The recovery key file
    // ------------------------------------------------------------------------------------------------------------

    private static readonly KdfParameters s_tiny = new(64, 1, 1);
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("a good long password");

    private static (byte[] File, byte[] PrivateKey) SealKey(string hint = "in the safe")
    {
        var (privateKey, _) = Primitives.X25519NewKeyPair();
        using var sealedKey = RecoveryKeyFile.Seal(privateKey, s_created, hint, s_password, s_tiny, allowBelowFloor: true);
        return ((byte[])sealedKey.Data.Clone(), privateKey);
    }

    private static SsoSecretFailure KeyFailure(byte[] data, byte[]? password = null, KdfLimits? limits = null) =>
        Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.Open(data, password ?? s_password, limits ?? KdfLimits.Default, out _)).Failure;

    [Fact]
    public void AKeyFileRoundTripsAndShowsItsPublicKeyWithoutThePassword()
    {
        var (file, privateKey) = SealKey("the blue safe");
        var header = RecoveryKeyFile.ReadHeader(file);
        Assert.Equal(RecoveryPublicKey.FromPrivateKey(privateKey), header.PublicKey);
        Assert.Equal("the blue safe", header.Hint);
        Assert.Equal(s_tiny, header.Kdf);
        Assert.Equal(privateKey, RecoveryKeyFile.Open(file, s_password, KdfLimits.Default, out _));
        var armored = Encoding.ASCII.GetBytes(Armor.Encode(file, RecoveryKeyFile.ArmorLabel));
        Assert.Equal(privateKey, RecoveryKeyFile.Open(armored, s_password, KdfLimits.Default, out var armoredHeader));
        Assert.True(armoredHeader.Armored);
    }

    [Fact]
    public void AWrongPasswordIsWrongPassword()
    {
        var (file, _) = SealKey();
        Assert.Equal(SsoSecretFailure.WrongPassword, KeyFailure(file, Encoding.UTF8.GetBytes("a wrong long password")));
    }

    [Fact]
    public void ABackupOrAnythingElseIsNotARecoveryKey()
    {
        var (_, publicKey) = NewKey();
        var backup = Seal(publicKey);
        var e = Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.ReadHeader(backup));
        Assert.Equal(SsoSecretFailure.NotARecoveryKey, e.Failure);
        Assert.Contains("backup", e.Message);
        Assert.Equal(SsoSecretFailure.NotARecoveryKey, KeyFailure(Encoding.ASCII.GetBytes(Armor.Encode(backup))));
        Assert.Equal(SsoSecretFailure.NotARecoveryKey, KeyFailure(Array.Empty<byte>()));
        Assert.Equal(SsoSecretFailure.NotARecoveryKey, KeyFailure(Encoding.UTF8.GetBytes("ssosecret-recipient1m60dkltm0hqmf56mv8pweep4xulcxs7gtduxwnddl3lpgmug9d8sfu3gn8")));

        // And the other way round: a key file is not a backup.
        var (file, _) = SealKey();
        Assert.Equal(SsoSecretFailure.NotABackup, Assert.ThrowsAny<BackupException>(() => BackupEnvelope.ReadHeader(file)).Failure);
    }

    [Fact]
    public void DamageToAKeyFileIsFoundWithoutThePassword()
    {
        var (file, _) = SealKey();
        for (int i = RecoveryKeyFile.FlagsOffset; i < file.Length; i += 5)
        {
            var damaged = (byte[])file.Clone();
            damaged[i] ^= 0x04;
            Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.ReadHeader(damaged)).Failure);
        }

        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, KeyFailure(file.Take(file.Length - 1).ToArray()));
        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, KeyFailure(file.Take(5).ToArray()));
    }

    [Fact]
    public void AForgedPublicKeyOrSealedKeyIsDamageFoundWithThePassword()
    {
        var (file, _) = SealKey();
        var forged = (byte[])file.Clone();
        var (_, other) = NewKey();
        Buffer.BlockCopy(other.Bytes, 0, forged, RecoveryKeyFile.PublicKeyOffset, 32);
        Reseal(forged);
        Assert.Equal(other, RecoveryKeyFile.ReadHeader(forged).PublicKey);
        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, KeyFailure(forged));

        var sealedAltered = (byte[])file.Clone();
        sealedAltered[sealedAltered.Length - 40] ^= 0x01;
        Reseal(sealedAltered);
        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, KeyFailure(sealedAltered));
    }

    [Theory]
    [InlineData("top bit")]
    [InlineData("above p")]
    [InlineData("small order")]
    public void AKeyFileWhosePublicKeyIsNoKeyPairsIsDamagedWithoutThePassword(string how)
    {
        // A key file's header offers its public key line without the password (Get-SsoRecoveryKey): one that the line
        // reader would refuse is refused here, as damage, before the password is asked for.
        var (file, _) = SealKey();
        var publicKey = Memory.Slice(file, RecoveryKeyFile.PublicKeyOffset, 32);
        if (how == "top bit")
        {
            publicKey[31] |= 0x80;
        }
        else if (how == "above p")
        {
            publicKey = P;
            publicKey[0] += 7;
        }
        else
        {
            publicKey = s_lowOrder;
        }

        Buffer.BlockCopy(publicKey, 0, file, RecoveryKeyFile.PublicKeyOffset, 32);
        Reseal(file);
        var e = Assert.ThrowsAny<RecoveryKeyException>(() => RecoveryKeyFile.ReadHeader(file));
        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, e.Failure);
        Assert.Contains(how == "small order" ? "small order" : "not a canonical X25519 public key", e.Message);
        Assert.Equal(SsoSecretFailure.DamagedRecoveryKey, KeyFailure(file, Encoding.UTF8.GetBytes("not even the password")));
    }

    [Fact]
    public void AnotherKeyFileVersionIsUnsupported()
    {
        var (file, _) = SealKey();
        file[RecoveryKeyFile.VersionOffset + 1] = 2;
        Assert.Equal(SsoSecretFailure.UnsupportedVersion, KeyFailure(file));
    }

    [Fact]
    public void AKeyFileAskingForMoreThanTheLimitIsRefusedBeforeTheKdf()
    {
        var (file, _) = SealKey();
        Assert.Equal(SsoSecretFailure.KdfLimitExceeded, KeyFailure(file, limits: new KdfLimits(32, 32)));
    }
}
