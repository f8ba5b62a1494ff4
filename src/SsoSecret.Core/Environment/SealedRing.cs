using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>What a sealed ring tells without any key: the relaying machine and a health report can show it.</summary>
internal sealed class SealedRingHeader
{
    internal SealedRingHeader(Guid environmentId, long generation, DateTimeOffset created, byte[] masterPublicKey, byte[] digest, byte[] replicaFingerprint, int bodyLength)
    {
        EnvironmentId = environmentId;
        Generation = generation;
        Created = created;
        MasterPublicKey = masterPublicKey;
        Digest = digest;
        ReplicaFingerprintBytes = replicaFingerprint;
        BodyLength = bodyLength;
    }

    internal Guid EnvironmentId { get; }

    internal long Generation { get; }

    internal DateTimeOffset Created { get; }

    /// <summary>The Ed25519 public key the ring names as its signer (checked against a pin, never trusted by itself).</summary>
    internal byte[] MasterPublicKey { get; }

    /// <summary>The ring digest (<see cref="EnvironmentRing.Digest"/>).</summary>
    internal byte[] Digest { get; }

    internal string DigestHex => SecretFingerprint.ToHex(Digest);

    internal byte[] ReplicaFingerprintBytes { get; }

    /// <summary>The fingerprint of the replica the ring is sealed to, in its text form.</summary>
    internal string ReplicaFingerprint => EnvironmentFingerprint.Format(ReplicaFingerprintBytes);

    internal int BodyLength { get; }
}

/// <summary>What a replica holds of the last ring it installed: its generation and digest (none: a replica that just joined).</summary>
internal sealed class HeldRing
{
    internal HeldRing(long generation, byte[] digest)
    {
        if (digest.Length != Primitives.Sha256Length)
        {
            throw new ArgumentException("A ring digest is 32 bytes.", nameof(digest));
        }

        Generation = generation;
        Digest = (byte[])digest.Clone();
    }

    internal long Generation { get; }

    internal byte[] Digest { get; }
}

/// <summary>A ring a replica accepted: its header, the ring (the caller disposes it) and whether it is the ring the replica holds already.</summary>
internal sealed class OpenedRing : IDisposable
{
    internal OpenedRing(SealedRingHeader header, EnvironmentRing ring, bool sameAsHeld)
    {
        Header = header;
        Ring = ring;
        SameAsHeld = sameAsHeld;
    }

    internal SealedRingHeader Header { get; }

    internal EnvironmentRing Ring { get; }

    /// <summary>True when the ring is of the generation and the digest the replica holds: nothing to install.</summary>
    internal bool SameAsHeld { get; }

    public void Dispose() => Ring.Dispose();
}

/// <summary>
/// The sealed ring, format version 1 (docs/environment-format.md): the master's key ring with its generation and
/// environment id, encrypted to one replica's X25519 host key with the version 2 backup's stanza (a label of its own)
/// and signed, every byte before the signature, with the master's Ed25519 environment key. The replica checks it in the
/// order the page gives, each refusal with its own failure.
/// </summary>
internal static class SealedRing
{
    internal const int FormatVersion = 1;

    internal const int VersionOffset = 8;
    internal const int FlagsOffset = 10;
    internal const int EnvironmentIdOffset = 12;
    internal const int GenerationOffset = 28;
    internal const int CreatedOffset = 36;
    internal const int MasterKeyOffset = 44;
    internal const int DigestOffset = 76;
    internal const int BodyLengthOffset = 108;
    internal const int StanzaOffset = 110;
    internal const int SealedBodyOffset = StanzaOffset + RecipientEnvelope.StanzaLength;

    /// <summary>Everything but the body: fixed header, stanza, tag, signature, checksum.</summary>
    internal const int FixedOverhead = SealedBodyOffset + Primitives.TagLength + Primitives.Ed25519SignatureLength + Primitives.Sha256Length;
    internal const int MinLength = FixedOverhead + EnvironmentRing.MinBodyLength;
    internal const int MaxLength = FixedOverhead + EnvironmentRing.MaxBodyLength;

    /// <summary>The largest generation: 2^63 - 1, so that it is a signed 64-bit number everywhere.</summary>
    internal const long MaxGeneration = long.MaxValue;

    /// <summary><c>\x89SSR\r\n\x1A\n</c>: a backup's magic with R (ring) for O.</summary>
    internal static readonly byte[] Magic = { 0x89, 0x53, 0x53, 0x52, 0x0D, 0x0A, 0x1A, 0x0A };

    private static readonly byte[] s_wrapLabel = Encoding.ASCII.GetBytes("SsoSecret sealed ring v1 X25519\0");
    private static readonly byte[] s_keyScheduleLabel = Encoding.ASCII.GetBytes("SsoSecret sealed ring v1 key schedule\0");
    private static readonly byte[] s_signatureLabel = Encoding.ASCII.GetBytes("SsoSecret sealed ring v1 signature\0");

    /// <summary>
    /// Seals <paramref name="ring"/> (checked against the ring's rules first: <see cref="SsoSecretFailure.InvalidRing"/>)
    /// to <paramref name="replica"/>, as generation <paramref name="generation"/> of the master's environment, and signs
    /// it. The file key and the ephemeral key are fresh unless given (the test vectors give them).
    /// </summary>
    internal static byte[] Seal(
        EnvironmentRing ring,
        long generation,
        DateTimeOffset created,
        MasterEnvironmentKey master,
        ReplicaPublicKey replica,
        byte[]? fileKey = null,
        byte[]? ephemeralPrivate = null)
    {
        var body = ring.Encode();
        try
        {
            return SealBody(body, generation, created, master, replica, fileKey, ephemeralPrivate);
        }
        finally
        {
            Memory.Zero(body);
        }
    }

    /// <summary>
    /// Seals body bytes as they are, rules unchecked: what a faulty master would write (the negative vectors and the
    /// tests of the replica's last check use it; no command does).
    /// </summary>
    internal static byte[] SealBody(
        byte[] body,
        long generation,
        DateTimeOffset created,
        MasterEnvironmentKey master,
        ReplicaPublicKey replica,
        byte[]? fileKey = null,
        byte[]? ephemeralPrivate = null)
    {
        if (body.Length < EnvironmentRing.MinBodyLength || body.Length > EnvironmentRing.MaxBodyLength)
        {
            throw new ArgumentException($"A ring's body is {EnvironmentRing.MinBodyLength} to {EnvironmentRing.MaxBodyLength} bytes.", nameof(body));
        }

        if (generation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(generation), "A generation is 1 to 2^63 - 1.");
        }

        long createdSeconds = created.ToUnixTimeSeconds();
        if (createdSeconds < 0 || createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(created), "The creation time must be between 1970 and 9999.");
        }

        if (RecoveryPublicKey.Problem(replica.Bytes) is string problem)
        {
            throw EnvironmentKeyLine.Invalid("a replica's host public key", problem);
        }

        fileKey = fileKey is null ? Primitives.RandomBytes(RecipientEnvelope.FileKeyLength) : (byte[])fileKey.Clone();
        if (fileKey.Length != RecipientEnvelope.FileKeyLength)
        {
            Memory.Zero(fileKey);
            throw new ArgumentException($"The file key must be {RecipientEnvelope.FileKeyLength} bytes.", nameof(fileKey));
        }

        int length = FixedOverhead + body.Length;
        var data = new byte[length];
        try
        {
            Buffer.BlockCopy(Magic, 0, data, 0, Magic.Length);
            BigEndian.WriteUInt16(data, VersionOffset, FormatVersion);
            BigEndian.WriteUInt16(data, FlagsOffset, 0);
            BigEndian.WriteGuid(data, EnvironmentIdOffset, master.EnvironmentId);
            BigEndian.WriteUInt64(data, GenerationOffset, (ulong)generation);
            BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
            Buffer.BlockCopy(master.Identity.PublicKey, 0, data, MasterKeyOffset, Primitives.Ed25519KeyLength);
            Buffer.BlockCopy(EnvironmentRing.Digest(body), 0, data, DigestOffset, Primitives.Sha256Length);
            BigEndian.WriteUInt16(data, BodyLengthOffset, body.Length);
            RecipientEnvelope.SealStanza(
                data,
                StanzaOffset,
                replica.FingerprintBytes,
                replica.Bytes,
                fileKey,
                ephemeralPrivate,
                s_wrapLabel,
                () => EnvironmentKeyLine.Invalid("a replica's host public key", "it is a point of small order, the public key of no key pair"));

            var (key, nonce) = DeriveKeys(fileKey, data);
            try
            {
                var associated = Memory.Slice(data, 0, SealedBodyOffset);
                var sealedBody = Primitives.ChaChaSeal(key, nonce, associated, body);
                Buffer.BlockCopy(sealedBody, 0, data, SealedBodyOffset, sealedBody.Length);
            }
            finally
            {
                Memory.Zero(key);
                Memory.Zero(nonce);
            }

            int signatureOffset = SignatureOffset(body.Length);
            var signature = master.Sign(SignedMessage(data, signatureOffset));
            Buffer.BlockCopy(signature, 0, data, signatureOffset, Primitives.Ed25519SignatureLength);
            var checksum = Primitives.Sha256(data, 0, length - Primitives.Sha256Length);
            Buffer.BlockCopy(checksum, 0, data, length - Primitives.Sha256Length, Primitives.Sha256Length);
            return data;
        }
        finally
        {
            Memory.Zero(fileKey);
        }
    }

    /// <summary>Steps 1 to 6 of the replica's checks (docs/environment-format.md): all that needs no key.</summary>
    internal static SealedRingHeader ReadHeader(byte[] data)
    {
        if (data.Length > MaxLength)
        {
            throw Damaged($"it is {data.Length} bytes long or more, longer than the largest sealed ring ({MaxLength} bytes)");
        }

        if (data.Length < VersionOffset + 2 || !Primitives.FixedTimeEquals(data, 0, Magic, 0, Magic.Length))
        {
            throw Damaged("it does not start as a sealed ring does: it is not one");
        }

        int version = BigEndian.ReadUInt16(data, VersionOffset);
        if (version != FormatVersion)
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnsupportedVersion,
                $"The sealed ring is of format version {version}, which this version of SsoSecret does not read (it reads version {FormatVersion}).")
            {
                RecommendedAction = "Update SsoSecret on the replica to the master's version.",
            };
        }

        if (data.Length < MinLength)
        {
            throw Damaged($"it is {data.Length} bytes long, shorter than the smallest sealed ring ({MinLength} bytes)");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - Primitives.Sha256Length);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - Primitives.Sha256Length, Primitives.Sha256Length))
        {
            throw Damaged("its checksum does not match its content");
        }

        if (BigEndian.ReadUInt16(data, FlagsOffset) != 0)
        {
            throw Damaged("its flags field holds bits this version does not define");
        }

        ulong generation = BigEndian.ReadUInt64(data, GenerationOffset);
        if (generation < 1 || generation > MaxGeneration)
        {
            throw Damaged($"its generation {generation} is outside 1 to 2^63 - 1");
        }

        ulong createdSeconds = BigEndian.ReadUInt64(data, CreatedOffset);
        if (createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw Damaged("its creation time is out of range");
        }

        int bodyLength = BigEndian.ReadUInt16(data, BodyLengthOffset);
        if (bodyLength < EnvironmentRing.MinBodyLength || bodyLength > EnvironmentRing.MaxBodyLength)
        {
            throw Damaged($"its body length {bodyLength} is outside {EnvironmentRing.MinBodyLength} to {EnvironmentRing.MaxBodyLength}");
        }

        if (data.Length != FixedOverhead + bodyLength)
        {
            throw Damaged($"it is {data.Length} bytes long, but its fields add up to {FixedOverhead + bodyLength}");
        }

        byte type = data[StanzaOffset + RecipientEnvelope.StanzaTypeOffset];
        if (type != RecipientEnvelope.RecipientX25519)
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnsupportedVersion,
                $"The sealed ring is sealed to a replica key of type {type}, which this version of SsoSecret does not read (it reads type {RecipientEnvelope.RecipientX25519}, X25519).")
            {
                RecommendedAction = "Update SsoSecret on the replica to the master's version.",
            };
        }

        return new SealedRingHeader(
            BigEndian.ReadGuid(data, EnvironmentIdOffset),
            (long)generation,
            DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds),
            Memory.Slice(data, MasterKeyOffset, Primitives.Ed25519KeyLength),
            Memory.Slice(data, DigestOffset, Primitives.Sha256Length),
            Memory.Slice(data, StanzaOffset + RecipientEnvelope.StanzaFingerprintOffset, EnvironmentFingerprint.Length),
            bodyLength);
    }

    /// <summary>
    /// What a machine that holds only public keys can prove before it relays a ring: steps 1 to 6, the replica it is
    /// meant for (step 7, when <paramref name="replica"/> is given), the pin (step 8) and the signature (step 9).
    /// </summary>
    internal static SealedRingHeader Verify(byte[] data, MasterIdentity pinned, ReplicaPublicKey? replica = null)
    {
        var header = ReadHeader(data);
        if (replica is not null)
        {
            CheckRecipient(header, replica);
        }

        CheckMaster(data, header, pinned);
        return header;
    }

    /// <summary>
    /// The replica's checks, every one in the order of docs/environment-format.md: damage (steps 1 to 6), the recipient
    /// (7), the pinned master (8), the signature (9), replay (10), fork (11), and the ring itself (12 to 15). Returns
    /// the ring; the caller disposes it.
    /// </summary>
    internal static OpenedRing Open(byte[] data, ReplicaHostKey host, MasterIdentity pinned, HeldRing? held)
    {
        var header = ReadHeader(data);
        CheckRecipient(header, host.PublicKey);
        CheckMaster(data, header, pinned);

        // Step 10: never go back to an older ring.
        if (held is not null && header.Generation < held.Generation)
        {
            throw new EnvironmentException(
                SsoSecretFailure.StaleRing,
                $"The sealed ring is of generation {header.Generation}, older than generation {held.Generation} that this replica holds: an old ring replayed. It is never installed.");
        }

        // Step 11: one generation, one content.
        bool same = false;
        if (held is not null && header.Generation == held.Generation)
        {
            same = Primitives.FixedTimeEquals(header.Digest, 0, held.Digest, 0, Primitives.Sha256Length);
            if (!same)
            {
                throw new EnvironmentException(
                    SsoSecretFailure.ForkedRing,
                    $"The sealed ring is of generation {header.Generation}, the generation this replica holds, but its content differs (digest {header.DigestHex}, held {SecretFingerprint.ToHex(held.Digest)}): the master issued two rings of one generation. Nothing was installed.");
            }
        }

        // Steps 12 to 15: signed by the pinned master, so whatever fails from here on, the master wrote it so.
        var fileKey = RecipientEnvelope.OpenStanza(data, StanzaOffset, host.PrivateKey, host.PublicKey.Bytes, s_wrapLabel, out bool smallOrder)
            ?? throw EnvironmentRing.Invalid(smallOrder ? "its ephemeral key is a point of small order" : "its wrapped file key does not open with this replica's host key");
        byte[]? body = null;
        try
        {
            var (key, nonce) = DeriveKeys(fileKey, data);
            try
            {
                body = Primitives.ChaChaOpen(key, nonce, Memory.Slice(data, 0, SealedBodyOffset), data, SealedBodyOffset, header.BodyLength + Primitives.TagLength)
                    ?? throw EnvironmentRing.Invalid("its body does not authenticate under its file key");
            }
            finally
            {
                Memory.Zero(key);
                Memory.Zero(nonce);
            }

            var digest = EnvironmentRing.Digest(body);
            if (!Primitives.FixedTimeEquals(digest, 0, header.Digest, 0, Primitives.Sha256Length))
            {
                throw EnvironmentRing.Invalid("its body does not match the digest in its header");
            }

            return new OpenedRing(header, EnvironmentRing.Decode(body), same);
        }
        finally
        {
            Memory.Zero(fileKey);
            Memory.Zero(body);
        }
    }

    /// <summary>The key schedule: HKDF-SHA256 over the file key with the fixed header as info, giving the AEAD key and nonce.</summary>
    internal static (byte[] Key, byte[] Nonce) DeriveKeys(byte[] fileKey, byte[] data)
    {
        var info = new byte[s_keyScheduleLabel.Length + StanzaOffset];
        Buffer.BlockCopy(s_keyScheduleLabel, 0, info, 0, s_keyScheduleLabel.Length);
        Buffer.BlockCopy(data, 0, info, s_keyScheduleLabel.Length, StanzaOffset);
        var okm = Primitives.HkdfSha256(fileKey, null, info, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength);
        try
        {
            return (Memory.Slice(okm, 0, Primitives.ChaChaKeyLength), Memory.Slice(okm, Primitives.ChaChaKeyLength, Primitives.ChaChaNonceLength));
        }
        finally
        {
            Memory.Zero(okm);
        }
    }

    /// <summary>The wrap key of the ring's stanza (its own label; the vectors show it).</summary>
    internal static byte[] WrapKey(byte[] shared, byte[] ephemeralPublic, byte[] replicaPublic) =>
        RecipientEnvelope.WrapKey(shared, ephemeralPublic, replicaPublic, s_wrapLabel);

    /// <summary>What the master signs: the label, then every byte of the file before the signature.</summary>
    internal static byte[] SignedMessage(byte[] data, int signatureOffset)
    {
        var message = new byte[s_signatureLabel.Length + signatureOffset];
        Buffer.BlockCopy(s_signatureLabel, 0, message, 0, s_signatureLabel.Length);
        Buffer.BlockCopy(data, 0, message, s_signatureLabel.Length, signatureOffset);
        return message;
    }

    internal static int SignatureOffset(int bodyLength) => SealedBodyOffset + bodyLength + Primitives.TagLength;

    /// <summary>Step 7: the stanza names this replica's host key.</summary>
    private static void CheckRecipient(SealedRingHeader header, ReplicaPublicKey replica)
    {
        if (!Primitives.FixedTimeEquals(header.ReplicaFingerprintBytes, 0, replica.FingerprintBytes, 0, EnvironmentFingerprint.Length))
        {
            throw new EnvironmentException(
                SsoSecretFailure.WrongReplica,
                $"The sealed ring is sealed to the replica {header.ReplicaFingerprint}, not to this replica ({replica.Fingerprint}). Nothing was installed.");
        }
    }

    /// <summary>Steps 8 and 9: the environment and master key pinned at join, then the signature under the pinned key.</summary>
    private static void CheckMaster(byte[] data, SealedRingHeader header, MasterIdentity pinned)
    {
        if (header.EnvironmentId != pinned.EnvironmentId)
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnknownMaster,
                $"The sealed ring is for the environment {header.EnvironmentId}, not for the environment {pinned.EnvironmentId} this replica joined. Nothing was installed.");
        }

        if (!Primitives.FixedTimeEquals(header.MasterPublicKey, 0, pinned.PublicKey, 0, Primitives.Ed25519KeyLength))
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnknownMaster,
                $"The sealed ring names a master key other than the one this replica pinned when it joined (master {pinned.Fingerprint}): it does not come from this environment's master. Nothing was installed.");
        }

        int signatureOffset = SignatureOffset(header.BodyLength);
        var signature = Memory.Slice(data, signatureOffset, Primitives.Ed25519SignatureLength);
        if (!Primitives.Ed25519Verify(pinned.PublicKey, SignedMessage(data, signatureOffset), signature))
        {
            throw new EnvironmentException(
                SsoSecretFailure.TamperedSealedRing,
                $"The sealed ring names this environment's master ({pinned.Fingerprint}), but its signature does not verify: it was changed after the master signed it. Nothing was installed.");
        }
    }

    private static EnvironmentException Damaged(string reason) => new(
        SsoSecretFailure.DamagedSealedRing,
        $"The sealed ring is damaged: {reason}. Nothing was installed.");
}
