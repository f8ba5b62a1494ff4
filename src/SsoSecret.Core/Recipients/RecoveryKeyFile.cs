using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>What a recovery key file tells without its password.</summary>
internal sealed class RecoveryKeyHeader
{
    internal RecoveryKeyHeader(int version, DateTimeOffset created, string hint, RecoveryPublicKey publicKey, KdfParameters kdf, bool armored)
    {
        Version = version;
        Created = created;
        Hint = hint;
        PublicKey = publicKey;
        Kdf = kdf;
        Armored = armored;
    }

    internal int Version { get; }

    internal DateTimeOffset Created { get; }

    internal string Hint { get; }

    internal RecoveryPublicKey PublicKey { get; }

    internal KdfParameters Kdf { get; }

    internal bool Armored { get; }
}

/// <summary>
/// The recovery key file, format version 1: an X25519 private key sealed under a password with the discipline of a
/// version 1 backup (Argon2id, HKDF-SHA256, key commitment, ChaCha20-Poly1305 with the header as associated data, a
/// checksum), its public key readable without the password. Its own magic and armor label keep it apart from backups,
/// so that neither is ever mistaken for the other. docs/envelope-format-v2.md ("The recovery key file") specifies it.
/// </summary>
internal static class RecoveryKeyFile
{
    internal const int FormatVersion = 1;
    internal const string ArmorLabel = "SSOSECRET RECOVERY KEY";

    internal const int VersionOffset = 8;
    internal const int FlagsOffset = 10;
    internal const int KdfIdOffset = 12;
    internal const int AeadIdOffset = 13;
    internal const int MemoryOffset = 14;
    internal const int IterationsOffset = 18;
    internal const int ParallelismOffset = 22;
    internal const int SaltOffset = 26;
    internal const int CreatedOffset = 42;
    internal const int PublicKeyOffset = 50;
    internal const int HintLengthOffset = 82;
    internal const int HintOffset = 84;

    internal const int SealedKeyLength = Primitives.X25519KeyLength + Primitives.TagLength;
    internal const int FixedOverhead = HintOffset + BackupEnvelope.CommitmentLength + SealedKeyLength + BackupEnvelope.ChecksumLength;
    internal const int MinLength = FixedOverhead;
    internal const int MaxLength = FixedOverhead + PasswordHint.MaxBytes;

    /// <summary><c>\x89SSK\r\n\x1A\n</c>: a backup's magic with K (key) for O.</summary>
    internal static readonly byte[] Magic = { 0x89, 0x53, 0x53, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A };

    private static readonly byte[] s_keyScheduleLabel = Encoding.ASCII.GetBytes("SsoSecret recovery key v1 key schedule\0");

    /// <summary>Seals a private key under a password. The result holds the file's bytes and the derived keys.</summary>
    internal static SealedBackup Seal(
        byte[] privateKey,
        DateTimeOffset created,
        string hint,
        byte[] password,
        KdfParameters kdf,
        byte[]? salt = null,
        bool allowBelowFloor = false)
    {
        if (privateKey.Length != Primitives.X25519KeyLength)
        {
            throw new ArgumentException($"An X25519 private key is {Primitives.X25519KeyLength} bytes.", nameof(privateKey));
        }

        if (!allowBelowFloor && !kdf.MeetsFloor)
        {
            throw new ArgumentException($"The KDF parameters ({kdf}) are weaker than the Interactive profile, the floor for a key file.", nameof(kdf));
        }

        if (PasswordHint.Check(hint) is HintProblem hintProblem)
        {
            throw new ArgumentException(hintProblem.Message, nameof(hint));
        }

        salt ??= Primitives.RandomBytes(BackupEnvelope.SaltLength);
        if (salt.Length != BackupEnvelope.SaltLength)
        {
            throw new ArgumentException($"The salt must be {BackupEnvelope.SaltLength} bytes.", nameof(salt));
        }

        long createdSeconds = created.ToUnixTimeSeconds();
        if (createdSeconds < 0 || createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(created), "The creation time must be between 1970 and 9999.");
        }

        byte[] hintBytes = StrictUtf8.Encoding.GetBytes(hint);
        int length = FixedOverhead + hintBytes.Length;
        var data = new byte[length];
        Buffer.BlockCopy(Magic, 0, data, 0, Magic.Length);
        BigEndian.WriteUInt16(data, VersionOffset, FormatVersion);
        BigEndian.WriteUInt16(data, FlagsOffset, 0);
        data[KdfIdOffset] = BackupEnvelope.KdfArgon2id;
        data[AeadIdOffset] = BackupEnvelope.AeadChaCha20Poly1305;
        BigEndian.WriteUInt32(data, MemoryOffset, (uint)kdf.MemoryKiB);
        BigEndian.WriteUInt32(data, IterationsOffset, (uint)kdf.Iterations);
        BigEndian.WriteUInt32(data, ParallelismOffset, (uint)kdf.Parallelism);
        Buffer.BlockCopy(salt, 0, data, SaltOffset, BackupEnvelope.SaltLength);
        BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
        Buffer.BlockCopy(Primitives.X25519PublicKey(privateKey), 0, data, PublicKeyOffset, Primitives.X25519KeyLength);
        BigEndian.WriteUInt16(data, HintLengthOffset, hintBytes.Length);
        Buffer.BlockCopy(hintBytes, 0, data, HintOffset, hintBytes.Length);

        int headerLength = HintOffset + hintBytes.Length;
        var keys = DeriveKeys(password, data, salt, kdf);
        try
        {
            Buffer.BlockCopy(keys.Commitment, 0, data, headerLength, BackupEnvelope.CommitmentLength);
            var header = Memory.Slice(data, 0, headerLength);
            var sealedKey = Primitives.ChaChaSeal(keys.Key, keys.Nonce, header, privateKey);
            Buffer.BlockCopy(sealedKey, 0, data, headerLength + BackupEnvelope.CommitmentLength, sealedKey.Length);
            var checksum = Primitives.Sha256(data, 0, length - BackupEnvelope.ChecksumLength);
            Buffer.BlockCopy(checksum, 0, data, length - BackupEnvelope.ChecksumLength, BackupEnvelope.ChecksumLength);
            return new SealedBackup(data, keys);
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>Reads what a key file tells without its password, checking everything that can be checked without it.</summary>
    internal static RecoveryKeyHeader ReadHeader(byte[] input) => Parse(input).Header;

    /// <summary>
    /// Opens a key file: every check of <see cref="ReadHeader"/>, the KDF limits, the key commitment (wrong password),
    /// the AEAD and the public key (altered). Returns the private key; the caller zeroes it after use.
    /// </summary>
    internal static byte[] Open(byte[] input, byte[] password, KdfLimits limits, out RecoveryKeyHeader header)
    {
        var parsed = Parse(input);
        header = parsed.Header;
        var kdf = header.Kdf;
        if (!limits.Allows(kdf))
        {
            throw new RecoveryKeyException(
                SsoSecretFailure.KdfLimitExceeded,
                $"The recovery key file asks for {kdf}, more than this reader allows ({limits.MaxMemoryKiB / 1024} MiB, work {limits.MaxWork} KiB-passes). "
                + "If you trust the file, raise the limit explicitly.");
        }

        using var keys = DeriveKeys(password, parsed.Data, Memory.Slice(parsed.Data, SaltOffset, BackupEnvelope.SaltLength), kdf);
        return Decrypt(parsed, keys);
    }

    /// <summary>Proves that a key file read back from disk is the one sealed, and that it opens to the private key.</summary>
    internal static void VerifyWritten(byte[] written, SealedBackup sealedKey, byte[] privateKey)
    {
        var parsed = Parse(written);
        if (parsed.Data.Length != sealedKey.Data.Length || !Primitives.FixedTimeEquals(parsed.Data, 0, sealedKey.Data, 0, sealedKey.Data.Length))
        {
            throw Damaged("what was read back from disk differs from what was written");
        }

        var opened = Decrypt(parsed, sealedKey.Keys);
        try
        {
            if (!Primitives.FixedTimeEquals(opened, 0, privateKey, 0, Primitives.X25519KeyLength))
            {
                throw Damaged("what was read back from disk does not hold the key that was written");
            }
        }
        finally
        {
            Memory.Zero(opened);
        }
    }

    /// <summary>True when the data starts like a key file (its magic, or its armor).</summary>
    internal static bool LooksLikeKeyFile(byte[] data) => StartsWith(data, Magic) || Armor.LooksArmored(data, ArmorLabel);

    private static ParsedFile<RecoveryKeyHeader> Parse(byte[] input)
    {
        if (input.Length == 0)
        {
            throw new RecoveryKeyException(SsoSecretFailure.NotARecoveryKey, "The file is empty: it is not an SsoSecret recovery key.");
        }

        if (input.Length > BackupEnvelope.MaxInputLength)
        {
            throw new RecoveryKeyException(
                LooksLikeKeyFile(input) ? SsoSecretFailure.DamagedRecoveryKey : SsoSecretFailure.NotARecoveryKey,
                $"The file is {input.Length} bytes long; an SsoSecret recovery key file is never longer than {BackupEnvelope.MaxInputLength} bytes.");
        }

        bool armored = false;
        byte[] data = input;
        if (!StartsWith(input, Magic))
        {
            if (!Armor.LooksArmored(input, ArmorLabel))
            {
                bool backup = StartsWith(input, BackupEnvelope.Magic) || Armor.LooksArmored(input);
                throw new RecoveryKeyException(
                    SsoSecretFailure.NotARecoveryKey,
                    backup
                        ? "The file is an SsoSecret backup, not a recovery key file: give the backup as the backup to open, and the key file with -RecoveryKeyPath."
                        : "The file is not an SsoSecret recovery key: it starts neither with the key file's magic bytes nor with '-----BEGIN " + ArmorLabel + "-----'.");
            }

            data = Armor.Decode(input, ArmorLabel, reason => Damaged("its text form is damaged: " + reason));
            armored = true;
            if (!StartsWith(data, Magic))
            {
                throw Damaged("its text form does not encode a key file");
            }
        }

        if (data.Length < FlagsOffset)
        {
            throw Damaged("it is cut short before its version");
        }

        int version = BigEndian.ReadUInt16(data, VersionOffset);
        if (version != FormatVersion)
        {
            throw new RecoveryKeyException(
                SsoSecretFailure.UnsupportedVersion,
                $"The recovery key file is of format version {version}; this version of SsoSecret reads version {FormatVersion}. Use the SsoSecret version that wrote it, or a newer one.");
        }

        if (data.Length < MinLength || data.Length > MaxLength)
        {
            throw Damaged($"it is {data.Length} bytes long, outside {MinLength} to {MaxLength}");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - BackupEnvelope.ChecksumLength);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - BackupEnvelope.ChecksumLength, BackupEnvelope.ChecksumLength))
        {
            throw Damaged("its checksum does not match its content");
        }

        if (BigEndian.ReadUInt16(data, FlagsOffset) != 0)
        {
            throw Damaged("its flags field holds bits this version does not define");
        }

        if (data[KdfIdOffset] != BackupEnvelope.KdfArgon2id || data[AeadIdOffset] != BackupEnvelope.AeadChaCha20Poly1305)
        {
            throw Damaged($"its algorithm ids are {data[KdfIdOffset]} and {data[AeadIdOffset]}, not 1 (Argon2id) and 1 (ChaCha20-Poly1305)");
        }

        uint memory = BigEndian.ReadUInt32(data, MemoryOffset);
        uint iterations = BigEndian.ReadUInt32(data, IterationsOffset);
        uint parallelism = BigEndian.ReadUInt32(data, ParallelismOffset);
        if (parallelism < 1 || parallelism > KdfParameters.MaxParallelism || iterations < 1 || iterations > int.MaxValue
            || memory < 8 * parallelism || memory > int.MaxValue)
        {
            throw Damaged($"its KDF parameters (m={memory} KiB, t={iterations}, p={parallelism}) are outside the bounds of the format");
        }

        ulong createdSeconds = BigEndian.ReadUInt64(data, CreatedOffset);
        if (createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw Damaged("its creation time is out of range");
        }

        int hintLength = BigEndian.ReadUInt16(data, HintLengthOffset);
        if (data.Length != FixedOverhead + hintLength)
        {
            throw Damaged($"it is {data.Length} bytes long, but its fields add up to {FixedOverhead + hintLength}");
        }

        string hint = PasswordHint.Read(data, HintOffset, hintLength, Damaged);

        // The header's public key is shown without the password (Get-SsoRecoveryKey) and sealed to: it is read with the
        // public key line's rules, so that no key file offers a line that the line reader would refuse.
        var publicKey = Memory.Slice(data, PublicKeyOffset, Primitives.X25519KeyLength);
        if (RecoveryPublicKey.Problem(publicKey) is string problem)
        {
            throw Damaged("the public key in its header is not the public key of any key pair: " + problem);
        }

        var header = new RecoveryKeyHeader(
            version,
            DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds),
            hint,
            new RecoveryPublicKey(publicKey),
            new KdfParameters((int)memory, (int)iterations, (int)parallelism),
            armored);
        return new ParsedFile<RecoveryKeyHeader>(data, header, HintOffset + hintLength);
    }

    private static byte[] Decrypt(ParsedFile<RecoveryKeyHeader> parsed, DerivedKeys keys)
    {
        var data = parsed.Data;
        int commitmentOffset = parsed.HeaderLength;
        if (!Primitives.FixedTimeEquals(keys.Commitment, 0, data, commitmentOffset, BackupEnvelope.CommitmentLength))
        {
            throw new RecoveryKeyException(SsoSecretFailure.WrongPassword, "The password does not open this recovery key file.")
            {
                RecommendedAction = "Check the password against the key file's hint (Get-SsoRecoveryKey) and try again.",
            };
        }

        var header = Memory.Slice(data, 0, parsed.HeaderLength);
        var privateKey = Primitives.ChaChaOpen(keys.Key, keys.Nonce, header, data, commitmentOffset + BackupEnvelope.CommitmentLength, SealedKeyLength)
            ?? throw Damaged("the password is right, but the content was altered after it was written (its authentication tag does not match)");
        if (!RecoveryPublicKey.FromPrivateKey(privateKey).Equals(parsed.Header.PublicKey))
        {
            Memory.Zero(privateKey);
            throw Damaged("its private key does not match the public key in its header");
        }

        return privateKey;
    }

    private static DerivedKeys DeriveKeys(byte[] password, byte[] data, byte[] salt, KdfParameters kdf)
    {
        var ikm = Primitives.Argon2id(password, salt, kdf, 32);
        try
        {
            return KeysFromArgon2Output(ikm, data);
        }
        finally
        {
            Memory.Zero(ikm);
        }
    }

    /// <summary>
    /// The key schedule after Argon2id: HKDF-SHA256 with the KDF-relevant header bytes (magic to salt) as info, giving
    /// the AEAD key, its nonce and the key commitment. (The Node.js interop test starts here: Node has no Argon2.)
    /// </summary>
    internal static DerivedKeys KeysFromArgon2Output(byte[] ikm, byte[] data)
    {
        var info = new byte[s_keyScheduleLabel.Length + CreatedOffset];
        Buffer.BlockCopy(s_keyScheduleLabel, 0, info, 0, s_keyScheduleLabel.Length);
        Buffer.BlockCopy(data, 0, info, s_keyScheduleLabel.Length, CreatedOffset);
        var okm = Primitives.HkdfSha256(ikm, null, info, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength + BackupEnvelope.CommitmentLength);
        try
        {
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

    private static bool StartsWith(byte[] data, byte[] magic)
    {
        int n = Math.Min(magic.Length, data.Length);
        for (int i = 0; i < n; i++)
        {
            if (data[i] != magic[i])
            {
                return false;
            }
        }

        return n > 0;
    }

    private static RecoveryKeyException Damaged(string reason) =>
        new(SsoSecretFailure.DamagedRecoveryKey, "The recovery key file is damaged: " + reason + ".")
        {
            RecommendedAction = "Use another copy of the recovery key file.",
        };
}
