using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>
/// The SsoSecret backup envelope, version 1. docs/envelope-format.md is its specification; this class follows it
/// section by section, and the tests hold the two together byte for byte. Its reader is also every backup's entry:
/// the form, magic and version come first, and a version 2 backup goes on in <see cref="RecipientEnvelope"/>.
/// </summary>
internal static class BackupEnvelope
{
    internal const int FormatVersion = 1;
    internal const byte KdfArgon2id = 0x01;
    internal const byte AeadChaCha20Poly1305 = 0x01;

    internal const int SaltLength = 16;
    internal const int SecretIdLength = 16;
    internal const int CommitmentLength = 32;
    internal const int ChecksumLength = Primitives.Sha256Length;
    internal const int MinSecretLength = 16;
    internal const int MaxSecretLength = 1024;
    internal const int MaxHintBytes = PasswordHint.MaxBytes;

    // Offsets of the fixed part of the header (docs/envelope-format.md, "Byte layout").
    internal const int VersionOffset = 8;
    internal const int FlagsOffset = 10;
    internal const int KdfIdOffset = 12;
    internal const int AeadIdOffset = 13;
    internal const int MemoryOffset = 14;
    internal const int IterationsOffset = 18;
    internal const int ParallelismOffset = 22;
    internal const int SaltOffset = 26;
    internal const int CreatedOffset = 42;
    internal const int SecretIdOffset = 50;
    internal const int FingerprintOffset = 66;
    internal const int SecretLengthOffset = 82;
    internal const int HintLengthOffset = 84;
    internal const int HintOffset = 86;

    /// <summary>Everything that is not the hint or the secret: header, commitment, tag and checksum.</summary>
    internal const int FixedOverhead = HintOffset + CommitmentLength + Primitives.TagLength + ChecksumLength;
    internal const int MinLength = FixedOverhead + MinSecretLength;
    internal const int MaxLength = FixedOverhead + MaxHintBytes + MaxSecretLength;

    /// <summary>The most bytes a reader looks at: the largest binary backup in armor, with room for white space.</summary>
    internal const int MaxInputLength = 64 * 1024;

    /// <summary>The latest creation time a header may hold: 9999-12-31T23:59:59Z.</summary>
    internal const long MaxCreatedSeconds = 253402300799;

    internal static readonly byte[] Magic = { 0x89, 0x53, 0x53, 0x4F, 0x0D, 0x0A, 0x1A, 0x0A };

    private static readonly byte[] s_keyScheduleLabel = Encoding.ASCII.GetBytes("SsoSecret backup v1 key schedule\0");
    /// <summary>
    /// Writes a backup of <paramref name="secret"/>. The returned object holds the file's bytes and the keys derived
    /// for it, so that <see cref="VerifyWritten"/> can prove a written copy without running the KDF again.
    /// </summary>
    internal static SealedBackup Seal(
        byte[] secret,
        Guid secretId,
        DateTimeOffset created,
        string hint,
        byte[] password,
        KdfParameters kdf,
        byte[]? salt = null,
        bool allowBelowFloor = false)
    {
        if (secret.Length < MinSecretLength || secret.Length > MaxSecretLength)
        {
            throw new ArgumentException($"A secret must be {MinSecretLength} to {MaxSecretLength} bytes long.", nameof(secret));
        }

        if (!allowBelowFloor && !kdf.MeetsFloor)
        {
            throw new ArgumentException($"The KDF parameters ({kdf}) are weaker than the Interactive profile, the floor for a backup.", nameof(kdf));
        }

        if (PasswordHint.Check(hint) is HintProblem hintProblem)
        {
            throw new ArgumentException(hintProblem.Message, nameof(hint));
        }

        salt ??= Primitives.RandomBytes(SaltLength);
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"The salt must be {SaltLength} bytes.", nameof(salt));
        }

        long createdSeconds = created.ToUnixTimeSeconds();
        if (createdSeconds < 0 || createdSeconds > MaxCreatedSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(created), "The creation time must be between 1970 and 9999.");
        }

        byte[] hintBytes = StrictUtf8.Encoding.GetBytes(hint);
        int length = FixedOverhead + hintBytes.Length + secret.Length;
        var data = new byte[length];
        Buffer.BlockCopy(Magic, 0, data, 0, Magic.Length);
        BigEndian.WriteUInt16(data, VersionOffset, FormatVersion);
        BigEndian.WriteUInt16(data, FlagsOffset, 0);
        data[KdfIdOffset] = KdfArgon2id;
        data[AeadIdOffset] = AeadChaCha20Poly1305;
        BigEndian.WriteUInt32(data, MemoryOffset, (uint)kdf.MemoryKiB);
        BigEndian.WriteUInt32(data, IterationsOffset, (uint)kdf.Iterations);
        BigEndian.WriteUInt32(data, ParallelismOffset, (uint)kdf.Parallelism);
        Buffer.BlockCopy(salt, 0, data, SaltOffset, SaltLength);
        BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
        BigEndian.WriteGuid(data, SecretIdOffset, secretId);
        var fingerprint = SecretFingerprint.Compute(secret);
        Buffer.BlockCopy(fingerprint, 0, data, FingerprintOffset, SecretFingerprint.Length);
        BigEndian.WriteUInt16(data, SecretLengthOffset, secret.Length);
        BigEndian.WriteUInt16(data, HintLengthOffset, hintBytes.Length);
        Buffer.BlockCopy(hintBytes, 0, data, HintOffset, hintBytes.Length);

        int headerLength = HintOffset + hintBytes.Length;
        var keys = DeriveKeys(password, data, salt, kdf);
        try
        {
            Buffer.BlockCopy(keys.Commitment, 0, data, headerLength, CommitmentLength);
            var header = Memory.Slice(data, 0, headerLength);
            var sealedSecret = Primitives.ChaChaSeal(keys.Key, keys.Nonce, header, secret);
            Buffer.BlockCopy(sealedSecret, 0, data, headerLength + CommitmentLength, sealedSecret.Length);
            var checksum = Primitives.Sha256(data, 0, length - ChecksumLength);
            Buffer.BlockCopy(checksum, 0, data, length - ChecksumLength, ChecksumLength);
            return new SealedBackup(data, keys);
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads what a backup tells without its password, checking everything that can be checked without it:
    /// form, magic, version, length, checksum and every field.
    /// </summary>
    internal static BackupHeader ReadHeader(byte[] input)
    {
        var form = Decode(input);
        return form.Version == RecipientEnvelope.FormatVersion ? RecipientEnvelope.ReadHeader(form.Data, form.Armored) : Parse(form).Header;
    }

    /// <summary>
    /// Opens a backup: every check of <see cref="ReadHeader"/>, then the KDF limits, the key commitment (wrong
    /// password) and the AEAD (tampered). Returns the secret; the caller zeroes it after use.
    /// </summary>
    internal static byte[] Open(byte[] input, byte[] password, KdfLimits limits, out BackupHeader header)
    {
        var form = Decode(input);
        if (form.Version == RecipientEnvelope.FormatVersion)
        {
            // Every check without a key first, so that a damaged file is reported as damaged.
            header = RecipientEnvelope.ReadHeader(form.Data, form.Armored);
            throw RecipientEnvelope.NeedsRecoveryKey(header);
        }

        var parsed = Parse(form);
        header = parsed.Header;
        var kdf = header.Kdf!;
        if (!limits.Allows(kdf))
        {
            throw new BackupException(
                SsoSecretFailure.KdfLimitExceeded,
                $"The backup asks for {kdf}, more than this reader allows ({limits.MaxMemoryKiB / 1024} MiB, work {limits.MaxWork} KiB-passes). "
                + "If you trust the file, raise the limit explicitly.");
        }

        using var keys = DeriveKeys(password, parsed.Data, Memory.Slice(parsed.Data, SaltOffset, SaltLength), kdf);
        return Decrypt(parsed, keys);
    }

    /// <summary>
    /// Opens a backup sealed to recovery keys (format version 2) with the private key of one of them. A password
    /// backup is refused with <see cref="SsoSecretFailure.BackupKindMismatch"/> (after the checks that need no password).
    /// </summary>
    internal static byte[] OpenWithRecoveryKey(byte[] input, byte[] privateKey, out BackupHeader header)
    {
        var form = Decode(input);
        if (form.Version != RecipientEnvelope.FormatVersion)
        {
            header = Parse(form).Header;
            throw new BackupException(
                SsoSecretFailure.BackupKindMismatch,
                "The backup is protected by a password, not sealed to recovery keys: it opens with its password, not with a recovery key.")
            {
                RecommendedAction = "Give the backup's password (-Password or -Credential) instead of -RecoveryKeyPath.",
            };
        }

        return RecipientEnvelope.Open(form.Data, form.Armored, privateKey, out header);
    }

    /// <summary>
    /// Proves that <paramref name="written"/> (a file read back from disk) is the backup that was sealed, and that it
    /// opens with the sealed keys to the given secret. No KDF runs: the keys are those the seal derived.
    /// </summary>
    internal static void VerifyWritten(byte[] written, SealedBackup sealedBackup, byte[] secret)
    {
        var parsed = Parse(Decode(written));
        if (parsed.Data.Length != sealedBackup.Data.Length || !Primitives.FixedTimeEquals(parsed.Data, 0, sealedBackup.Data, 0, sealedBackup.Data.Length))
        {
            throw new BackupException(SsoSecretFailure.DamagedBackup, "The backup read back from disk differs from what was written.");
        }

        var opened = Decrypt(parsed, sealedBackup.Keys);
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

    /// <summary>
    /// The reader's first steps, shared by every format version: size, form (binary or armor), magic and version. The
    /// version picks the reader of the rest: <see cref="Parse"/> for version 1, <see cref="RecipientEnvelope"/> for 2.
    /// </summary>
    internal static DecodedBackup Decode(byte[] input)
    {
        bool armored = false;
        byte[] data = input;
        if (input.Length == 0)
        {
            throw new BackupException(SsoSecretFailure.NotABackup, "The file is empty: it is not an SsoSecret backup.");
        }

        if (input.Length > MaxInputLength)
        {
            throw new BackupException(
                StartsWithMagic(input) || Armor.LooksArmored(input) ? SsoSecretFailure.DamagedBackup : SsoSecretFailure.NotABackup,
                $"The file is {input.Length} bytes long; an SsoSecret backup is never longer than {MaxInputLength} bytes.");
        }

        if (!StartsWithMagic(input))
        {
            if (!Armor.LooksArmored(input))
            {
                throw new BackupException(SsoSecretFailure.NotABackup, "The file is not an SsoSecret backup: it starts neither with the backup's magic bytes nor with '" + Armor.BeginLine + "'.");
            }

            data = Armor.Decode(input);
            armored = true;
            if (!StartsWithMagic(data))
            {
                throw new BackupException(SsoSecretFailure.DamagedBackup, "The backup's text form is damaged: what it encodes does not start with the backup's magic bytes.");
            }
        }

        if (data.Length < Magic.Length)
        {
            throw Damaged("it is cut short inside its magic bytes");
        }

        if (data.Length < FlagsOffset)
        {
            throw Damaged("it is cut short before its version");
        }

        int version = BigEndian.ReadUInt16(data, VersionOffset);
        if (version != FormatVersion && version != RecipientEnvelope.FormatVersion)
        {
            throw new BackupException(
                SsoSecretFailure.UnsupportedVersion,
                $"The backup is of format version {version}; this version of SsoSecret reads versions {FormatVersion} and {RecipientEnvelope.FormatVersion}. Use the SsoSecret version that wrote it, or a newer one.");
        }

        return new DecodedBackup(data, armored, version);
    }

    /// <summary>Steps 4 to 6 of a version 1 backup: length, checksum and fields.</summary>
    private static ParsedFile<BackupHeader> Parse(DecodedBackup form)
    {
        var data = form.Data;
        bool armored = form.Armored;
        int version = form.Version;
        if (data.Length < MinLength)
        {
            throw Damaged($"it is {data.Length} bytes long, shorter than the smallest backup ({MinLength} bytes)");
        }

        if (data.Length > MaxLength)
        {
            throw Damaged($"it is {data.Length} bytes long, longer than the largest backup ({MaxLength} bytes)");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - ChecksumLength);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - ChecksumLength, ChecksumLength))
        {
            throw Damaged("its checksum does not match its content");
        }

        // The checksum matched, so what follows catches only files written wrongly or forged: still damage, as
        // far as a reader without the password can tell.
        if (BigEndian.ReadUInt16(data, FlagsOffset) != 0)
        {
            throw Damaged("its flags field holds bits this version does not define");
        }

        if (data[KdfIdOffset] != KdfArgon2id)
        {
            throw Damaged($"its KDF algorithm id is {data[KdfIdOffset]}, not {KdfArgon2id} (Argon2id)");
        }

        if (data[AeadIdOffset] != AeadChaCha20Poly1305)
        {
            throw Damaged($"its cipher id is {data[AeadIdOffset]}, not {AeadChaCha20Poly1305} (ChaCha20-Poly1305)");
        }

        uint memory = BigEndian.ReadUInt32(data, MemoryOffset);
        uint iterations = BigEndian.ReadUInt32(data, IterationsOffset);
        uint parallelism = BigEndian.ReadUInt32(data, ParallelismOffset);
        if (parallelism < 1 || parallelism > KdfParameters.MaxParallelism)
        {
            throw Damaged($"its KDF parallelism {parallelism} is outside 1 to {KdfParameters.MaxParallelism}");
        }

        if (iterations < 1 || iterations > int.MaxValue)
        {
            throw Damaged($"its KDF iteration count {iterations} is outside 1 to {int.MaxValue}");
        }

        if (memory < 8 * parallelism || memory > int.MaxValue)
        {
            throw Damaged($"its KDF memory {memory} KiB is outside {8 * parallelism} KiB to {int.MaxValue} KiB");
        }

        var kdf = new KdfParameters((int)memory, (int)iterations, (int)parallelism);

        ulong createdSeconds = BigEndian.ReadUInt64(data, CreatedOffset);
        if (createdSeconds > MaxCreatedSeconds)
        {
            throw Damaged("its creation time is out of range");
        }

        int secretLength = BigEndian.ReadUInt16(data, SecretLengthOffset);
        if (secretLength < MinSecretLength || secretLength > MaxSecretLength)
        {
            throw Damaged($"its secret length {secretLength} is outside {MinSecretLength} to {MaxSecretLength}");
        }

        int hintLength = BigEndian.ReadUInt16(data, HintLengthOffset);
        if (hintLength > MaxHintBytes)
        {
            throw Damaged($"its hint length {hintLength} is larger than {MaxHintBytes}");
        }

        int expectedLength = FixedOverhead + hintLength + secretLength;
        if (data.Length != expectedLength)
        {
            throw Damaged($"it is {data.Length} bytes long, but its fields add up to {expectedLength}");
        }

        string hint = PasswordHint.Read(data, HintOffset, hintLength, Damaged);

        var header = new BackupHeader(
            version,
            DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds),
            hint,
            BigEndian.ReadGuid(data, SecretIdOffset),
            Memory.Slice(data, FingerprintOffset, SecretFingerprint.Length),
            kdf,
            secretLength,
            armored);
        return new ParsedFile<BackupHeader>(data, header, HintOffset + hintLength);
    }

    private static byte[] Decrypt(ParsedFile<BackupHeader> parsed, DerivedKeys keys)
    {
        var data = parsed.Data;
        int commitmentOffset = parsed.HeaderLength;
        if (!Primitives.FixedTimeEquals(keys.Commitment, 0, data, commitmentOffset, CommitmentLength))
        {
            throw new WrongPasswordException("The password does not open this backup.");
        }

        var header = Memory.Slice(data, 0, parsed.HeaderLength);
        int sealedOffset = commitmentOffset + CommitmentLength;
        int sealedLength = parsed.Header.SecretLength + Primitives.TagLength;
        var secret = Primitives.ChaChaOpen(keys.Key, keys.Nonce, header, data, sealedOffset, sealedLength);
        if (secret is null)
        {
            throw new BackupException(SsoSecretFailure.TamperedBackup, "The password is right, but the backup's content was altered after it was written: its authentication tag does not match.");
        }

        var fingerprint = SecretFingerprint.Compute(secret);
        if (!Primitives.FixedTimeEquals(fingerprint, 0, parsed.Header.FingerprintBytes, 0, SecretFingerprint.Length))
        {
            Memory.Zero(secret);
            throw new BackupException(SsoSecretFailure.TamperedBackup, "The backup's secret does not match the fingerprint in its header.");
        }

        return secret;
    }

    /// <summary>
    /// The key schedule: Argon2id over the password, then HKDF-SHA256 with the KDF-relevant header bytes
    /// (magic to salt) as info, giving the AEAD key, its nonce and the key commitment.
    /// </summary>
    private static DerivedKeys DeriveKeys(byte[] password, byte[] data, byte[] salt, KdfParameters kdf)
    {
        var ikm = Primitives.Argon2id(password, salt, kdf, 32);
        var info = new byte[s_keyScheduleLabel.Length + CreatedOffset];
        Buffer.BlockCopy(s_keyScheduleLabel, 0, info, 0, s_keyScheduleLabel.Length);
        Buffer.BlockCopy(data, 0, info, s_keyScheduleLabel.Length, CreatedOffset);
        byte[]? okm = null;
        try
        {
            okm = Primitives.HkdfSha256(ikm, null, info, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength + CommitmentLength);
            return new DerivedKeys(
                Memory.Slice(okm, 0, Primitives.ChaChaKeyLength),
                Memory.Slice(okm, Primitives.ChaChaKeyLength, Primitives.ChaChaNonceLength),
                Memory.Slice(okm, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength, CommitmentLength));
        }
        finally
        {
            Memory.Zero(ikm);
            Memory.Zero(okm);
        }
    }

    private static bool StartsWithMagic(byte[] data)
    {
        int n = Math.Min(Magic.Length, data.Length);
        for (int i = 0; i < n; i++)
        {
            if (data[i] != Magic[i])
            {
                return false;
            }
        }

        // A file shorter than the magic that matches it as far as it goes is a cut-short backup.
        return n > 0;
    }

    internal static BackupException Damaged(string reason) => new(SsoSecretFailure.DamagedBackup, "The backup is damaged: " + reason + ".");

    /// <summary>A backup's binary form, whether it was read from armor, and its format version.</summary>
    internal sealed class DecodedBackup
    {
        internal DecodedBackup(byte[] data, bool armored, int version)
        {
            Data = data;
            Armored = armored;
            Version = version;
        }

        internal byte[] Data { get; }

        internal bool Armored { get; }

        internal int Version { get; }
    }
}

/// <summary>The AEAD key, nonce and key commitment derived for one backup; zeroed on dispose.</summary>
internal sealed class DerivedKeys : IDisposable
{
    internal DerivedKeys(byte[] key, byte[] nonce, byte[] commitment)
    {
        Key = key;
        Nonce = nonce;
        Commitment = commitment;
    }

    internal byte[] Key { get; }

    internal byte[] Nonce { get; }

    internal byte[] Commitment { get; }

    public void Dispose()
    {
        Memory.Zero(Key);
        Memory.Zero(Nonce);
        Memory.Zero(Commitment);
    }
}

/// <summary>A backup's bytes together with the keys that sealed it.</summary>
internal sealed class SealedBackup : IDisposable
{
    internal SealedBackup(byte[] data, DerivedKeys keys)
    {
        Data = data;
        Keys = keys;
    }

    internal byte[] Data { get; }

    internal DerivedKeys Keys { get; }

    public void Dispose() => Keys.Dispose();
}
