using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>
/// The SsoSecret backup envelope, version 2: the secret under a random file key, the file key wrapped for one or more
/// X25519 recipients (recovery keys), any one of which opens the backup. docs/envelope-format-v2.md is its
/// specification; this class follows it section by section, and the tests hold the two together byte for byte.
/// <see cref="BackupEnvelope"/> reads the form, magic and version of every backup and hands version 2 to this class.
/// </summary>
internal static class RecipientEnvelope
{
    internal const int FormatVersion = 2;
    internal const byte AeadChaCha20Poly1305 = 0x01;
    internal const byte RecipientX25519 = 0x01;

    internal const int FileKeyLength = 32;
    internal const int MinRecipients = 1;
    internal const int MaxRecipients = 16;

    // Offsets of the fixed part of the header (docs/envelope-format-v2.md, "Byte layout").
    internal const int FlagsOffset = 10;
    internal const int AeadIdOffset = 12;
    internal const int RecipientCountOffset = 13;
    internal const int CreatedOffset = 14;
    internal const int SecretIdOffset = 22;
    internal const int FingerprintOffset = 38;
    internal const int SecretLengthOffset = 54;
    internal const int StanzasOffset = 56;

    // Offsets inside one recipient stanza.
    internal const int StanzaTypeOffset = 0;
    internal const int StanzaFingerprintOffset = 1;
    internal const int StanzaEphemeralOffset = 17;
    internal const int StanzaWrappedOffset = 49;
    internal const int WrappedLength = FileKeyLength + Primitives.TagLength;
    internal const int StanzaLength = StanzaWrappedOffset + WrappedLength;

    /// <summary>Everything that is not a stanza or the secret: fixed header, commitment, tag and checksum.</summary>
    internal const int FixedOverhead = StanzasOffset + BackupEnvelope.CommitmentLength + Primitives.TagLength + BackupEnvelope.ChecksumLength;
    internal const int MinLength = FixedOverhead + MinRecipients * StanzaLength + BackupEnvelope.MinSecretLength;
    internal const int MaxLength = FixedOverhead + MaxRecipients * StanzaLength + BackupEnvelope.MaxSecretLength;

    private static readonly byte[] s_keyScheduleLabel = Encoding.ASCII.GetBytes("SsoSecret backup v2 key schedule\0");
    private static readonly byte[] s_wrapLabel = Encoding.ASCII.GetBytes("SsoSecret backup v2 X25519\0");
    private static readonly byte[] s_zeroNonce = new byte[Primitives.ChaChaNonceLength];

    /// <summary>
    /// Seals <paramref name="secret"/> to the recipients. The file key and the ephemeral private keys (one per recipient)
    /// are fresh random values unless given (the test vectors give them). The returned object holds the file's bytes
    /// and the file key, so that <see cref="VerifyWritten"/> can prove a written copy without any private key.
    /// </summary>
    internal static SealedRecipientBackup Seal(
        byte[] secret,
        Guid secretId,
        DateTimeOffset created,
        IReadOnlyList<RecoveryPublicKey> recipients,
        byte[]? fileKey = null,
        IReadOnlyList<byte[]>? ephemeralKeys = null)
    {
        if (secret.Length < BackupEnvelope.MinSecretLength || secret.Length > BackupEnvelope.MaxSecretLength)
        {
            throw new ArgumentException($"A secret must be {BackupEnvelope.MinSecretLength} to {BackupEnvelope.MaxSecretLength} bytes long.", nameof(secret));
        }

        if (recipients.Count < MinRecipients || recipients.Count > MaxRecipients)
        {
            throw new ArgumentException($"A backup is sealed to {MinRecipients} to {MaxRecipients} recovery keys.", nameof(recipients));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var recipient in recipients)
        {
            if (!seen.Add(recipient.Fingerprint))
            {
                throw new ArgumentException($"The recovery key {recipient.Fingerprint} is given twice.", nameof(recipients));
            }

            // The line reader already refused these; a key that reached here some other way is refused before anything
            // is sealed, so that no backup is ever written that no recovery key opens (writer rules).
            if (!RecoveryPublicKey.IsCanonical(recipient.Bytes))
            {
                throw new SsoSecretException(
                    SsoSecretFailure.InvalidRecipient,
                    $"The recovery public key {recipient.Fingerprint} is not a canonical X25519 public key (the top bit of its last byte is set, or its value is 2^255 - 19 or more): no recovery key would open a backup sealed to it.");
            }
        }

        if (ephemeralKeys is not null && ephemeralKeys.Count != recipients.Count)
        {
            throw new ArgumentException("One ephemeral key per recipient.", nameof(ephemeralKeys));
        }

        long createdSeconds = created.ToUnixTimeSeconds();
        if (createdSeconds < 0 || createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(created), "The creation time must be between 1970 and 9999.");
        }

        fileKey = fileKey is null ? Primitives.RandomBytes(FileKeyLength) : (byte[])fileKey.Clone();
        if (fileKey.Length != FileKeyLength)
        {
            throw new ArgumentException($"The file key must be {FileKeyLength} bytes.", nameof(fileKey));
        }

        int headerLength = StanzasOffset + recipients.Count * StanzaLength;
        int length = FixedOverhead + recipients.Count * StanzaLength + secret.Length;
        var data = new byte[length];
        try
        {
            Buffer.BlockCopy(BackupEnvelope.Magic, 0, data, 0, BackupEnvelope.Magic.Length);
            BigEndian.WriteUInt16(data, BackupEnvelope.VersionOffset, FormatVersion);
            BigEndian.WriteUInt16(data, FlagsOffset, 0);
            data[AeadIdOffset] = AeadChaCha20Poly1305;
            data[RecipientCountOffset] = (byte)recipients.Count;
            BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
            BigEndian.WriteGuid(data, SecretIdOffset, secretId);
            Buffer.BlockCopy(SecretFingerprint.Compute(secret), 0, data, FingerprintOffset, SecretFingerprint.Length);
            BigEndian.WriteUInt16(data, SecretLengthOffset, secret.Length);

            for (int i = 0; i < recipients.Count; i++)
            {
                var recipient = recipients[i];
                SealStanza(
                    data,
                    StanzasOffset + i * StanzaLength,
                    recipient.FingerprintBytes,
                    recipient.Bytes,
                    fileKey,
                    ephemeralKeys?[i],
                    s_wrapLabel,
                    () => new SsoSecretException(
                        SsoSecretFailure.InvalidRecipient,
                        $"The recovery public key {recipient.Fingerprint} is a point of small order: no secret can be shared with it."));
            }

            using var keys = DeriveKeys(fileKey, data);
            Buffer.BlockCopy(keys.Commitment, 0, data, headerLength, BackupEnvelope.CommitmentLength);
            var header = Memory.Slice(data, 0, headerLength);
            var sealedSecret = Primitives.ChaChaSeal(keys.Key, keys.Nonce, header, secret);
            Buffer.BlockCopy(sealedSecret, 0, data, headerLength + BackupEnvelope.CommitmentLength, sealedSecret.Length);
            var checksum = Primitives.Sha256(data, 0, length - BackupEnvelope.ChecksumLength);
            Buffer.BlockCopy(checksum, 0, data, length - BackupEnvelope.ChecksumLength, BackupEnvelope.ChecksumLength);
            return new SealedRecipientBackup(data, fileKey);
        }
        catch
        {
            Memory.Zero(fileKey);
            throw;
        }
    }

    /// <summary>
    /// Steps 4 to 6 of the reader for version 2 (the binary form, after <see cref="BackupEnvelope.Decode"/>): length,
    /// checksum and every field. What a backup tells without a key.
    /// </summary>
    internal static BackupHeader ReadHeader(byte[] data, bool armored) => Parse(data, armored).Header;

    /// <summary>
    /// Opens a version 2 backup with a recovery key's private key: every check of <see cref="ReadHeader"/>, then the
    /// stanza of this key (none: wrong recovery key), its unwrapping, the key commitment and the AEAD (tampered).
    /// Returns the secret; the caller zeroes it after use.
    /// </summary>
    internal static byte[] Open(byte[] data, bool armored, byte[] privateKey, out BackupHeader header)
    {
        var parsed = Parse(data, armored);
        header = parsed.Header;
        var publicKey = RecoveryPublicKey.FromPrivateKey(privateKey);
        int stanza = FindStanza(data, parsed.Recipients, publicKey.FingerprintBytes);
        if (stanza < 0)
        {
            throw WrongKey(publicKey.Fingerprint, parsed.Header.Recipients);
        }

        var fileKey = Unwrap(data, stanza, privateKey, publicKey.Bytes);
        try
        {
            using var keys = DeriveKeys(fileKey, data);
            return Decrypt(parsed, keys);
        }
        finally
        {
            Memory.Zero(fileKey);
        }
    }

    /// <summary>
    /// Proves that <paramref name="written"/> (a file read back from disk) is the backup that was sealed and that its
    /// file key opens it to the given secret. No private key is needed: the file key is the one the seal chose.
    /// </summary>
    internal static void VerifyWritten(byte[] written, SealedRecipientBackup sealedBackup, byte[] secret)
    {
        var form = BackupEnvelope.Decode(written);
        if (form.Version != FormatVersion)
        {
            throw new BackupException(SsoSecretFailure.DamagedBackup, "The backup read back from disk differs from what was written.");
        }

        var parsed = Parse(form.Data, form.Armored);
        if (form.Data.Length != sealedBackup.Data.Length || !Primitives.FixedTimeEquals(form.Data, 0, sealedBackup.Data, 0, sealedBackup.Data.Length))
        {
            throw new BackupException(SsoSecretFailure.DamagedBackup, "The backup read back from disk differs from what was written.");
        }

        using var keys = DeriveKeys(sealedBackup.FileKey, form.Data);
        var opened = Decrypt(parsed, keys);
        try
        {
            if (opened.Length != secret.Length || !Primitives.FixedTimeEquals(opened, 0, secret, 0, secret.Length))
            {
                throw new BackupException(SsoSecretFailure.TamperedBackup, "The backup read back from disk does not hold the secret that was written.");
            }
        }
        finally
        {
            Memory.Zero(opened);
        }
    }

    /// <summary>The failure of a password given for a backup that opens with recovery keys.</summary>
    internal static BackupException NeedsRecoveryKey(BackupHeader header) => new(
        SsoSecretFailure.BackupKindMismatch,
        "The backup is sealed to recovery keys (" + string.Join(", ", header.Recipients) + "), not protected by a password: it opens with the private key of one of them.")
    {
        RecommendedAction = "Give the recovery key file with -RecoveryKeyPath (and its password) instead of a backup password.",
    };

    /// <summary>The failure of a recovery key that the backup is not sealed to.</summary>
    internal static BackupException WrongKey(string keyFingerprint, IReadOnlyList<string> recipients) => new(
        SsoSecretFailure.WrongRecoveryKey,
        $"The backup is not sealed to this recovery key ({keyFingerprint}); it opens with one of: {string.Join(", ", recipients)}.")
    {
        RecommendedAction = "Use the recovery key file whose fingerprint (Get-SsoRecoveryKey) is among the backup's recipients (Get-SsoSecretBackupInfo).",
    };

    private static ParsedRecipientBackup Parse(byte[] data, bool armored)
    {
        if (data.Length < MinLength)
        {
            throw BackupEnvelope.Damaged($"it is {data.Length} bytes long, shorter than the smallest backup of format version 2 ({MinLength} bytes)");
        }

        if (data.Length > MaxLength)
        {
            throw BackupEnvelope.Damaged($"it is {data.Length} bytes long, longer than the largest backup of format version 2 ({MaxLength} bytes)");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - BackupEnvelope.ChecksumLength);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - BackupEnvelope.ChecksumLength, BackupEnvelope.ChecksumLength))
        {
            throw BackupEnvelope.Damaged("its checksum does not match its content");
        }

        // The checksum matched: what follows catches only files written wrongly or forged.
        if (BigEndian.ReadUInt16(data, FlagsOffset) != 0)
        {
            throw BackupEnvelope.Damaged("its flags field holds bits this version does not define");
        }

        if (data[AeadIdOffset] != AeadChaCha20Poly1305)
        {
            throw BackupEnvelope.Damaged($"its cipher id is {data[AeadIdOffset]}, not {AeadChaCha20Poly1305} (ChaCha20-Poly1305)");
        }

        int count = data[RecipientCountOffset];
        if (count < MinRecipients || count > MaxRecipients)
        {
            throw BackupEnvelope.Damaged($"its recipient count {count} is outside {MinRecipients} to {MaxRecipients}");
        }

        ulong createdSeconds = BigEndian.ReadUInt64(data, CreatedOffset);
        if (createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw BackupEnvelope.Damaged("its creation time is out of range");
        }

        int secretLength = BigEndian.ReadUInt16(data, SecretLengthOffset);
        if (secretLength < BackupEnvelope.MinSecretLength || secretLength > BackupEnvelope.MaxSecretLength)
        {
            throw BackupEnvelope.Damaged($"its secret length {secretLength} is outside {BackupEnvelope.MinSecretLength} to {BackupEnvelope.MaxSecretLength}");
        }

        int expectedLength = FixedOverhead + count * StanzaLength + secretLength;
        if (data.Length != expectedLength)
        {
            throw BackupEnvelope.Damaged($"it is {data.Length} bytes long, but its fields add up to {expectedLength}");
        }

        var recipients = new List<string>(count);
        var fingerprints = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            int stanza = StanzasOffset + i * StanzaLength;
            byte type = data[stanza + StanzaTypeOffset];
            if (type != RecipientX25519)
            {
                throw new BackupException(
                    SsoSecretFailure.UnsupportedVersion,
                    $"The backup is sealed to a recipient of type {type}, which this version of SsoSecret does not read (it reads type {RecipientX25519}, X25519). Use the SsoSecret version that wrote it, or a newer one.");
            }

            var fingerprint = Memory.Slice(data, stanza + StanzaFingerprintOffset, RecoveryPublicKey.FingerprintLength);
            string hex = SecretFingerprint.ToHex(fingerprint);
            if (recipients.Contains(hex))
            {
                throw BackupEnvelope.Damaged($"it names the recipient {hex} twice");
            }

            recipients.Add(hex);
            fingerprints.Add(fingerprint);
        }

        var header = new BackupHeader(
            FormatVersion,
            DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds),
            string.Empty,
            BigEndian.ReadGuid(data, SecretIdOffset),
            Memory.Slice(data, FingerprintOffset, SecretFingerprint.Length),
            null,
            secretLength,
            armored,
            recipients);
        return new ParsedRecipientBackup(data, header, StanzasOffset + count * StanzaLength, fingerprints);
    }

    private static int FindStanza(byte[] data, IReadOnlyList<byte[]> fingerprints, byte[] keyFingerprint)
    {
        for (int i = 0; i < fingerprints.Count; i++)
        {
            if (Primitives.FixedTimeEquals(fingerprints[i], 0, keyFingerprint, 0, RecoveryPublicKey.FingerprintLength))
            {
                return StanzasOffset + i * StanzaLength;
            }
        }

        return -1;
    }

    /// <summary>Step 8: the shared secret with the stanza's ephemeral key, the wrap key, and the file key.</summary>
    private static byte[] Unwrap(byte[] data, int stanza, byte[] privateKey, byte[] publicKey) =>
        OpenStanza(data, stanza, privateKey, publicKey, s_wrapLabel, out bool smallOrder) ?? throw new BackupException(
            SsoSecretFailure.TamperedBackup,
            smallOrder
                ? "The backup's stanza for this recovery key was altered: its ephemeral key is a point of small order."
                : "The backup is sealed to this recovery key, but its stanza for the key was altered: the wrapped file key does not authenticate.");

    /// <summary>
    /// Writes one X25519 stanza at <paramref name="stanza"/>: type 1, the recipient's fingerprint, a fresh ephemeral
    /// public key (or the one of <paramref name="ephemeralPrivate"/>, for test vectors) and the file key wrapped under
    /// HKDF(shared secret, salt = ephemeral || recipient, <paramref name="wrapLabel"/>). Shared by the version 2 backup
    /// and the sealed ring (docs/environment-format.md), each with its own label. A recipient of small order:
    /// <paramref name="smallOrder"/>'s exception.
    /// </summary>
    internal static void SealStanza(
        byte[] data,
        int stanza,
        byte[] recipientFingerprint,
        byte[] recipientPublic,
        byte[] fileKey,
        byte[]? ephemeralPrivate,
        byte[] wrapLabel,
        Func<Exception> smallOrder)
    {
        byte[] ephemeralPublic;
        if (ephemeralPrivate is null)
        {
            (ephemeralPrivate, ephemeralPublic) = Primitives.X25519NewKeyPair();
        }
        else
        {
            ephemeralPrivate = (byte[])ephemeralPrivate.Clone();
            ephemeralPublic = Primitives.X25519PublicKey(ephemeralPrivate);
        }

        try
        {
            var shared = Primitives.X25519(ephemeralPrivate, recipientPublic) ?? throw smallOrder();
            var wrapKey = WrapKey(shared, ephemeralPublic, recipientPublic, wrapLabel);
            try
            {
                var wrapped = Primitives.ChaChaSeal(wrapKey, s_zeroNonce, Array.Empty<byte>(), fileKey);
                data[stanza + StanzaTypeOffset] = RecipientX25519;
                Buffer.BlockCopy(recipientFingerprint, 0, data, stanza + StanzaFingerprintOffset, RecoveryPublicKey.FingerprintLength);
                Buffer.BlockCopy(ephemeralPublic, 0, data, stanza + StanzaEphemeralOffset, Primitives.X25519KeyLength);
                Buffer.BlockCopy(wrapped, 0, data, stanza + StanzaWrappedOffset, WrappedLength);
            }
            finally
            {
                Memory.Zero(shared);
                Memory.Zero(wrapKey);
            }
        }
        finally
        {
            Memory.Zero(ephemeralPrivate);
        }
    }

    /// <summary>
    /// Unwraps the file key of the stanza at <paramref name="stanza"/> with a recipient's key pair: null when the
    /// shared secret is zero (<paramref name="smallOrder"/>: the ephemeral key is a point of small order) or the
    /// wrapped file key does not authenticate. The caller zeroes the file key.
    /// </summary>
    internal static byte[]? OpenStanza(byte[] data, int stanza, byte[] privateKey, byte[] publicKey, byte[] wrapLabel, out bool smallOrder)
    {
        var ephemeral = Memory.Slice(data, stanza + StanzaEphemeralOffset, Primitives.X25519KeyLength);
        var shared = Primitives.X25519(privateKey, ephemeral);
        smallOrder = shared is null;
        if (shared is null)
        {
            return null;
        }

        var wrapKey = WrapKey(shared, ephemeral, publicKey, wrapLabel);
        try
        {
            return Primitives.ChaChaOpen(wrapKey, s_zeroNonce, Array.Empty<byte>(), data, stanza + StanzaWrappedOffset, WrappedLength);
        }
        finally
        {
            Memory.Zero(shared);
            Memory.Zero(wrapKey);
        }
    }

    /// <summary>Steps 9 to 11: the key commitment, the AEAD with the header as associated data, the fingerprint.</summary>
    private static byte[] Decrypt(ParsedRecipientBackup parsed, DerivedKeys keys)
    {
        var data = parsed.Data;
        int commitmentOffset = parsed.HeaderLength;
        if (!Primitives.FixedTimeEquals(keys.Commitment, 0, data, commitmentOffset, BackupEnvelope.CommitmentLength))
        {
            throw new BackupException(SsoSecretFailure.TamperedBackup, "The recovery key is right, but the backup was altered after it was written: its key commitment does not match.");
        }

        var header = Memory.Slice(data, 0, parsed.HeaderLength);
        int sealedOffset = commitmentOffset + BackupEnvelope.CommitmentLength;
        var secret = Primitives.ChaChaOpen(keys.Key, keys.Nonce, header, data, sealedOffset, parsed.Header.SecretLength + Primitives.TagLength);
        if (secret is null)
        {
            throw new BackupException(SsoSecretFailure.TamperedBackup, "The recovery key is right, but the backup's content was altered after it was written: its authentication tag does not match.");
        }

        var fingerprint = SecretFingerprint.Compute(secret);
        if (!Primitives.FixedTimeEquals(fingerprint, 0, parsed.Header.FingerprintBytes, 0, SecretFingerprint.Length))
        {
            Memory.Zero(secret);
            throw new BackupException(SsoSecretFailure.TamperedBackup, "The backup's secret does not match the fingerprint in its header.");
        }

        return secret;
    }

    /// <summary>wrap key = HKDF-SHA256(shared secret, salt = ephemeral public key || recipient public key, label).</summary>
    internal static byte[] WrapKey(byte[] shared, byte[] ephemeralPublic, byte[] recipientPublic) =>
        WrapKey(shared, ephemeralPublic, recipientPublic, s_wrapLabel);

    /// <summary>wrap key = HKDF-SHA256(shared secret, salt = ephemeral public key || recipient public key, <paramref name="label"/>).</summary>
    internal static byte[] WrapKey(byte[] shared, byte[] ephemeralPublic, byte[] recipientPublic, byte[] label)
    {
        var salt = new byte[Primitives.X25519KeyLength * 2];
        Buffer.BlockCopy(ephemeralPublic, 0, salt, 0, Primitives.X25519KeyLength);
        Buffer.BlockCopy(recipientPublic, 0, salt, Primitives.X25519KeyLength, Primitives.X25519KeyLength);
        return Primitives.HkdfSha256(shared, salt, label, Primitives.ChaChaKeyLength);
    }

    /// <summary>
    /// The key schedule: HKDF-SHA256 over the file key with the fixed header (magic to secret length) as info, giving
    /// the AEAD key, its nonce and the key commitment.
    /// </summary>
    internal static DerivedKeys DeriveKeys(byte[] fileKey, byte[] data)
    {
        var info = new byte[s_keyScheduleLabel.Length + StanzasOffset];
        Buffer.BlockCopy(s_keyScheduleLabel, 0, info, 0, s_keyScheduleLabel.Length);
        Buffer.BlockCopy(data, 0, info, s_keyScheduleLabel.Length, StanzasOffset);
        byte[]? okm = null;
        try
        {
            okm = Primitives.HkdfSha256(fileKey, null, info, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength + BackupEnvelope.CommitmentLength);
            return new DerivedKeys(
                Memory.Slice(okm, 0, Primitives.ChaChaKeyLength),
                Memory.Slice(okm, Primitives.ChaChaKeyLength, Primitives.ChaChaNonceLength),
                Memory.Slice(okm, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength, BackupEnvelope.CommitmentLength));
        }
        finally
        {
            Memory.Zero(okm);
        }
    }

    private sealed class ParsedRecipientBackup : ParsedFile<BackupHeader>
    {
        internal ParsedRecipientBackup(byte[] data, BackupHeader header, int headerLength, IReadOnlyList<byte[]> recipients)
            : base(data, header, headerLength)
        {
            Recipients = recipients;
        }

        /// <summary>The stanzas' recipient fingerprints, in order.</summary>
        internal IReadOnlyList<byte[]> Recipients { get; }
    }
}

/// <summary>A version 2 backup's bytes together with its file key (zeroed on dispose).</summary>
internal sealed class SealedRecipientBackup : IDisposable
{
    internal SealedRecipientBackup(byte[] data, byte[] fileKey)
    {
        Data = data;
        FileKey = fileKey;
    }

    internal byte[] Data { get; }

    internal byte[] FileKey { get; }

    public void Dispose() => Memory.Zero(FileKey);
}
