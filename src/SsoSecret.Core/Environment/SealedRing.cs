using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.Vault;

namespace SsoSecret;

/// <summary>What a sealed ring tells without any key: the relaying machine and a health report can show it.</summary>
internal sealed class SealedRingHeader
{
    internal SealedRingHeader(int version, Guid environmentId, long generation, DateTimeOffset created, byte[] masterPublicKey, byte[] digest, byte[] replicaFingerprint, int bodyLength, byte[]? vaultDigest = null, int vaultLength = 0)
    {
        Version = version;
        EnvironmentId = environmentId;
        Generation = generation;
        Created = created;
        MasterPublicKey = masterPublicKey;
        Digest = digest;
        ReplicaFingerprintBytes = replicaFingerprint;
        BodyLength = bodyLength;
        VaultDigest = vaultDigest;
        VaultLength = vaultLength;
    }

    /// <summary>The format version: 1 carries the ring alone, 2 the ring and the master's vault.</summary>
    internal int Version { get; }

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

    /// <summary>Version 2: the vault digest (<see cref="SealedRing.VaultDigest"/>); version 1: null.</summary>
    internal byte[]? VaultDigest { get; }

    internal string? VaultDigestHex => VaultDigest is null ? null : SecretFingerprint.ToHex(VaultDigest);

    /// <summary>Version 2: the vault's length; version 1: 0.</summary>
    internal int VaultLength { get; }

    /// <summary>The layout of this header's version.</summary>
    internal SealedRingLayout Layout => SealedRingLayout.Of(Version);
}

/// <summary>What a replica holds of the last ring it installed: its generation and digest (none: a replica that just joined).</summary>
internal sealed class HeldRing
{
    internal HeldRing(long generation, byte[] digest, byte[]? vaultDigest = null)
    {
        if (digest.Length != Primitives.Sha256Length || (vaultDigest is not null && vaultDigest.Length != Primitives.Sha256Length))
        {
            throw new ArgumentException("A ring digest and a vault digest are 32 bytes.", nameof(digest));
        }

        Generation = generation;
        Digest = (byte[])digest.Clone();
        VaultDigest = (byte[]?)vaultDigest?.Clone();
    }

    internal long Generation { get; }

    internal byte[] Digest { get; }

    /// <summary>The digest of the vault the replica holds (<see cref="SealedRing.VaultDigest"/>), or null when not known.</summary>
    internal byte[]? VaultDigest { get; }
}

/// <summary>
/// A ring a replica accepted: its header, the ring (the caller disposes it), the master's vault (version 2) and whether
/// they are what the replica holds already.
/// </summary>
internal sealed class OpenedRing : IDisposable
{
    internal OpenedRing(SealedRingHeader header, EnvironmentRing ring, bool sameAsHeld, byte[]? vault, bool vaultSameAsHeld)
    {
        Header = header;
        Ring = ring;
        SameAsHeld = sameAsHeld;
        Vault = vault;
        VaultSameAsHeld = vaultSameAsHeld;
    }

    internal SealedRingHeader Header { get; }

    internal EnvironmentRing Ring { get; }

    /// <summary>True when the ring is of the generation and the digest the replica holds: no ring to install.</summary>
    internal bool SameAsHeld { get; }

    /// <summary>Version 2: the master's vault file, intact (docs/vault-format.md); version 1: null.</summary>
    internal byte[]? Vault { get; }

    /// <summary>True when there is no vault to install: version 1, or the vault digest the replica holds.</summary>
    internal bool VaultSameAsHeld { get; }

    public void Dispose() => Ring.Dispose();
}

/// <summary>
/// Where the fields of a sealed ring's version are (docs/environment-format.md): version 2 inserts the vault digest and
/// the vault's length after the ring body's length, so its stanza and everything after it are 36 bytes further on, and
/// its labels say v2.
/// </summary>
internal sealed class SealedRingLayout
{
    internal static readonly SealedRingLayout V1 = new(1, 110, 0, "v1");
    internal static readonly SealedRingLayout V2 = new(2, 146, 4, "v2");

    private SealedRingLayout(int version, int stanzaOffset, int vaultLengthSize, string label)
    {
        Version = version;
        StanzaOffset = stanzaOffset;
        HasVault = vaultLengthSize > 0;
        SealedBodyOffset = StanzaOffset + RecipientEnvelope.StanzaLength;
        FixedOverhead = SealedBodyOffset + Primitives.TagLength + Primitives.Ed25519SignatureLength + Primitives.Sha256Length;
        MinLength = FixedOverhead + EnvironmentRing.MinBodyLength + (HasVault ? SealedRing.MinVaultLength : 0);
        MaxLength = FixedOverhead + EnvironmentRing.MaxBodyLength + (HasVault ? SealedRing.MaxVaultLength : 0);
        WrapLabel = Encoding.ASCII.GetBytes($"SsoSecret sealed ring {label} X25519\0");
        KeyScheduleLabel = Encoding.ASCII.GetBytes($"SsoSecret sealed ring {label} key schedule\0");
        SignatureLabel = Encoding.ASCII.GetBytes($"SsoSecret sealed ring {label} signature\0");
    }

    internal int Version { get; }

    internal bool HasVault { get; }

    /// <summary>Where the stanza starts: the fixed header before it is the key schedule's info.</summary>
    internal int StanzaOffset { get; }

    /// <summary>Where the sealed payload starts: everything before it is the AEAD's associated data.</summary>
    internal int SealedBodyOffset { get; }

    /// <summary>Everything but the payload: fixed header, stanza, tag, signature, checksum.</summary>
    internal int FixedOverhead { get; }

    internal int MinLength { get; }

    internal int MaxLength { get; }

    internal byte[] WrapLabel { get; }

    internal byte[] KeyScheduleLabel { get; }

    internal byte[] SignatureLabel { get; }

    internal static SealedRingLayout Of(int version) => version == 1 ? V1 : V2;

    internal int SignatureOffset(int payloadLength) => SealedBodyOffset + payloadLength + Primitives.TagLength;
}

/// <summary>
/// The sealed ring (docs/environment-format.md): the master's key ring with its generation and environment id (and, in
/// version 2, the master's vault file), encrypted to one replica's X25519 host key with the version 2 backup's stanza
/// (a label of its own) and signed, every byte before the signature, with the master's Ed25519 environment key. The
/// replica checks it in the order the page gives, each refusal with its own failure. A master writes version 2;
/// version 1 (the ring alone) is still read, and written only for its test vectors.
/// </summary>
internal static class SealedRing
{
    /// <summary>The version a master writes.</summary>
    internal const int FormatVersion = 2;

    internal const int VersionOffset = 8;
    internal const int FlagsOffset = 10;
    internal const int EnvironmentIdOffset = 12;
    internal const int GenerationOffset = 28;
    internal const int CreatedOffset = 36;
    internal const int MasterKeyOffset = 44;
    internal const int DigestOffset = 76;
    internal const int BodyLengthOffset = 108;

    /// <summary>Version 2 only: the vault digest and the vault's length, after the body's length.</summary>
    internal const int VaultDigestOffset = 110;
    internal const int VaultLengthOffset = 142;

    /// <summary>The smallest vault file (no entry) and the largest (docs/vault-format.md).</summary>
    internal const int MinVaultLength = 45;
    internal const int MaxVaultLength = VaultFile.MaxLength;

    /// <summary>Version 1's stanza and sealed body (version 2's are <see cref="SealedRingLayout.V2"/>'s).</summary>
    internal const int StanzaOffset = 110;
    internal const int SealedBodyOffset = StanzaOffset + RecipientEnvelope.StanzaLength;

    /// <summary>The shortest sealed ring of any version (version 1's) and the longest (version 2's): the reader's bounds.</summary>
    internal static int MinLength => SealedRingLayout.V1.MinLength;

    internal static int MaxLength => SealedRingLayout.V2.MaxLength;

    /// <summary>The largest generation: 2^63 - 1, so that it is a signed 64-bit number everywhere.</summary>
    internal const long MaxGeneration = long.MaxValue;

    /// <summary><c>\x89SSR\r\n\x1A\n</c>: a backup's magic with R (ring) for O.</summary>
    internal static readonly byte[] Magic = { 0x89, 0x53, 0x53, 0x52, 0x0D, 0x0A, 0x1A, 0x0A };

    private static readonly byte[] s_vaultDigestLabel = Encoding.ASCII.GetBytes("SsoSecret vault v1 digest\0");

    /// <summary>The vault digest: <c>SHA-256("SsoSecret vault v1 digest" || 0x00 || vault file)</c>.</summary>
    internal static byte[] VaultDigest(byte[] vault) => Primitives.Sha256(s_vaultDigestLabel, vault);

    /// <summary>
    /// Seals <paramref name="ring"/> (checked against the ring's rules first: <see cref="SsoSecretFailure.InvalidRing"/>)
    /// and the master's vault file <paramref name="vault"/> to <paramref name="replica"/>, as generation
    /// <paramref name="generation"/> of the master's environment, and signs it: version 2, or version 1 (the ring alone)
    /// when <paramref name="vault"/> is null, which only the test vectors ask for. The file key and the ephemeral key
    /// are fresh unless given (the test vectors give them).
    /// </summary>
    internal static byte[] Seal(
        EnvironmentRing ring,
        byte[]? vault,
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
            return SealBody(body, vault, generation, created, master, replica, fileKey, ephemeralPrivate);
        }
        finally
        {
            Memory.Zero(body);
        }
    }

    /// <summary>
    /// Seals body bytes as they are, rules unchecked: what a faulty master would write (the negative vectors and the
    /// tests of the replica's last checks use it; no command does). A vault is checked for its length only.
    /// </summary>
    internal static byte[] SealBody(
        byte[] body,
        byte[]? vault,
        long generation,
        DateTimeOffset created,
        MasterEnvironmentKey master,
        ReplicaPublicKey replica,
        byte[]? fileKey = null,
        byte[]? ephemeralPrivate = null)
    {
        var layout = vault is null ? SealedRingLayout.V1 : SealedRingLayout.V2;
        if (body.Length < EnvironmentRing.MinBodyLength || body.Length > EnvironmentRing.MaxBodyLength)
        {
            throw new ArgumentException($"A ring's body is {EnvironmentRing.MinBodyLength} to {EnvironmentRing.MaxBodyLength} bytes.", nameof(body));
        }

        if (vault is not null && (vault.Length < MinVaultLength || vault.Length > MaxVaultLength))
        {
            throw new ArgumentException($"A vault file is {MinVaultLength} to {MaxVaultLength} bytes.", nameof(vault));
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

        int payloadLength = body.Length + (vault?.Length ?? 0);
        int length = layout.FixedOverhead + payloadLength;
        var data = new byte[length];
        byte[]? payload = null;
        try
        {
            Buffer.BlockCopy(Magic, 0, data, 0, Magic.Length);
            BigEndian.WriteUInt16(data, VersionOffset, layout.Version);
            BigEndian.WriteUInt16(data, FlagsOffset, 0);
            BigEndian.WriteGuid(data, EnvironmentIdOffset, master.EnvironmentId);
            BigEndian.WriteUInt64(data, GenerationOffset, (ulong)generation);
            BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
            Buffer.BlockCopy(master.Identity.PublicKey, 0, data, MasterKeyOffset, Primitives.Ed25519KeyLength);
            Buffer.BlockCopy(EnvironmentRing.Digest(body), 0, data, DigestOffset, Primitives.Sha256Length);
            BigEndian.WriteUInt16(data, BodyLengthOffset, body.Length);
            payload = body;
            if (vault is not null)
            {
                Buffer.BlockCopy(VaultDigest(vault), 0, data, VaultDigestOffset, Primitives.Sha256Length);
                BigEndian.WriteUInt32(data, VaultLengthOffset, (uint)vault.Length);
                payload = new byte[payloadLength];
                Buffer.BlockCopy(body, 0, payload, 0, body.Length);
                Buffer.BlockCopy(vault, 0, payload, body.Length, vault.Length);
            }

            RecipientEnvelope.SealStanza(
                data,
                layout.StanzaOffset,
                replica.FingerprintBytes,
                replica.Bytes,
                fileKey,
                ephemeralPrivate,
                layout.WrapLabel,
                () => EnvironmentKeyLine.Invalid("a replica's host public key", "it is a point of small order, the public key of no key pair"));

            var (key, nonce) = DeriveKeys(fileKey, data);
            try
            {
                var associated = Memory.Slice(data, 0, layout.SealedBodyOffset);
                var sealedPayload = Primitives.ChaChaSeal(key, nonce, associated, payload);
                Buffer.BlockCopy(sealedPayload, 0, data, layout.SealedBodyOffset, sealedPayload.Length);
            }
            finally
            {
                Memory.Zero(key);
                Memory.Zero(nonce);
            }

            int signatureOffset = layout.SignatureOffset(payloadLength);
            var signature = master.Sign(SignedMessage(data, signatureOffset));
            Buffer.BlockCopy(signature, 0, data, signatureOffset, Primitives.Ed25519SignatureLength);
            var checksum = Primitives.Sha256(data, 0, length - Primitives.Sha256Length);
            Buffer.BlockCopy(checksum, 0, data, length - Primitives.Sha256Length, Primitives.Sha256Length);
            return data;
        }
        finally
        {
            Memory.Zero(fileKey);
            if (payload is not null && !ReferenceEquals(payload, body))
            {
                Memory.Zero(payload);
            }
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
        if (version != 1 && version != 2)
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnsupportedVersion,
                $"The sealed ring is of format version {version}, which this version of SsoSecret does not read (it reads versions 1 and 2).")
            {
                RecommendedAction = "Update SsoSecret on the replica to the master's version.",
            };
        }

        var layout = SealedRingLayout.Of(version);
        if (data.Length < layout.MinLength)
        {
            throw Damaged($"it is {data.Length} bytes long, shorter than the smallest sealed ring of version {version} ({layout.MinLength} bytes)");
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

        long vaultLength = 0;
        if (layout.HasVault)
        {
            vaultLength = BigEndian.ReadUInt32(data, VaultLengthOffset);
            if (vaultLength < MinVaultLength || vaultLength > MaxVaultLength)
            {
                throw Damaged($"its vault length {vaultLength} is outside {MinVaultLength} to {MaxVaultLength}");
            }
        }

        if (data.Length != layout.FixedOverhead + bodyLength + vaultLength)
        {
            throw Damaged($"it is {data.Length} bytes long, but its fields add up to {layout.FixedOverhead + bodyLength + vaultLength}");
        }

        byte type = data[layout.StanzaOffset + RecipientEnvelope.StanzaTypeOffset];
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
            version,
            BigEndian.ReadGuid(data, EnvironmentIdOffset),
            (long)generation,
            DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds),
            Memory.Slice(data, MasterKeyOffset, Primitives.Ed25519KeyLength),
            Memory.Slice(data, DigestOffset, Primitives.Sha256Length),
            Memory.Slice(data, layout.StanzaOffset + RecipientEnvelope.StanzaFingerprintOffset, EnvironmentFingerprint.Length),
            bodyLength,
            layout.HasVault ? Memory.Slice(data, VaultDigestOffset, Primitives.Sha256Length) : null,
            (int)vaultLength);
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
    /// (7), the pinned master (8), the signature (9), replay (10), fork (11), the ring itself (12 to 15) and, in
    /// version 2, the vault (16). Returns the ring; the caller disposes it.
    /// </summary>
    internal static OpenedRing Open(byte[] data, ReplicaHostKey host, MasterIdentity pinned, HeldRing? held)
    {
        var header = ReadHeader(data);
        var layout = header.Layout;
        CheckRecipient(header, host.PublicKey);
        CheckMaster(data, header, pinned);

        // Step 10: never go back to an older ring.
        if (held is not null && header.Generation < held.Generation)
        {
            throw new EnvironmentException(
                SsoSecretFailure.StaleRing,
                $"The sealed ring is of generation {header.Generation}, older than generation {held.Generation} that this replica holds: an old ring replayed. It is never installed.");
        }

        // Step 11: one generation, one ring. (One generation has one vault too, so a vault of the held generation that
        // differs from the replica's is the master's own, to be installed: the replica's copy was changed or lost. A
        // vault the replica holds already, at any generation, needs no writing.)
        bool same = false;
        bool vaultSame = !layout.HasVault
            || (held?.VaultDigest is not null && Primitives.FixedTimeEquals(header.VaultDigest!, 0, held.VaultDigest, 0, Primitives.Sha256Length));
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

        // Steps 12 to 16: signed by the pinned master, so whatever fails from here on, the master wrote it so.
        var fileKey = RecipientEnvelope.OpenStanza(data, layout.StanzaOffset, host.PrivateKey, host.PublicKey.Bytes, layout.WrapLabel, out bool smallOrder)
            ?? throw EnvironmentRing.Invalid(smallOrder ? "its ephemeral key is a point of small order" : "its wrapped file key does not open with this replica's host key");
        byte[]? payload = null;
        byte[]? body = null;
        try
        {
            var (key, nonce) = DeriveKeys(fileKey, data);
            try
            {
                payload = Primitives.ChaChaOpen(key, nonce, Memory.Slice(data, 0, layout.SealedBodyOffset), data, layout.SealedBodyOffset, header.BodyLength + header.VaultLength + Primitives.TagLength)
                    ?? throw EnvironmentRing.Invalid("its body does not authenticate under its file key");
            }
            finally
            {
                Memory.Zero(key);
                Memory.Zero(nonce);
            }

            body = layout.HasVault ? Memory.Slice(payload, 0, header.BodyLength) : payload;
            var digest = EnvironmentRing.Digest(body);
            if (!Primitives.FixedTimeEquals(digest, 0, header.Digest, 0, Primitives.Sha256Length))
            {
                throw EnvironmentRing.Invalid("its body does not match the digest in its header");
            }

            byte[]? vault = null;
            if (layout.HasVault)
            {
                vault = Memory.Slice(payload, header.BodyLength, header.VaultLength);
                if (!Primitives.FixedTimeEquals(VaultDigest(vault), 0, header.VaultDigest!, 0, Primitives.Sha256Length))
                {
                    throw EnvironmentRing.Invalid("its vault does not match the vault digest in its header");
                }
            }

            var ring = EnvironmentRing.Decode(body);
            try
            {
                if (vault is not null && VaultProblem(vault) is string problem)
                {
                    throw EnvironmentRing.Invalid($"its vault is not an intact vault file ({problem})");
                }

                return new OpenedRing(header, ring, same, vault, vaultSame);
            }
            catch
            {
                ring.Dispose();
                throw;
            }
        }
        finally
        {
            Memory.Zero(fileKey);
            if (body is not null && !ReferenceEquals(body, payload))
            {
                Memory.Zero(body);
            }

            Memory.Zero(payload);
        }
    }

    /// <summary>The key schedule: HKDF-SHA256 over the file key with the fixed header as info, giving the AEAD key and nonce.</summary>
    internal static (byte[] Key, byte[] Nonce) DeriveKeys(byte[] fileKey, byte[] data)
    {
        var layout = SealedRingLayout.Of(BigEndian.ReadUInt16(data, VersionOffset));
        var label = layout.KeyScheduleLabel;
        var info = new byte[label.Length + layout.StanzaOffset];
        Buffer.BlockCopy(label, 0, info, 0, label.Length);
        Buffer.BlockCopy(data, 0, info, label.Length, layout.StanzaOffset);
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

    /// <summary>The wrap key of a ring's stanza of <paramref name="version"/> (its own label; the vectors show it).</summary>
    internal static byte[] WrapKey(byte[] shared, byte[] ephemeralPublic, byte[] replicaPublic, int version = 1) =>
        RecipientEnvelope.WrapKey(shared, ephemeralPublic, replicaPublic, SealedRingLayout.Of(version).WrapLabel);

    /// <summary>What the master signs: the label of the file's version, then every byte of the file before the signature.</summary>
    internal static byte[] SignedMessage(byte[] data, int signatureOffset)
    {
        var label = SealedRingLayout.Of(BigEndian.ReadUInt16(data, VersionOffset)).SignatureLabel;
        var message = new byte[label.Length + signatureOffset];
        Buffer.BlockCopy(label, 0, message, 0, label.Length);
        Buffer.BlockCopy(data, 0, message, label.Length, signatureOffset);
        return message;
    }

    /// <summary>Where a version 1 ring's signature is.</summary>
    internal static int SignatureOffset(int bodyLength) => SealedRingLayout.V1.SignatureOffset(bodyLength);

    /// <summary>Where the signature of the ring of <paramref name="header"/> is.</summary>
    internal static int SignatureOffset(SealedRingHeader header) => header.Layout.SignatureOffset(header.BodyLength + header.VaultLength);

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

        int signatureOffset = SignatureOffset(header);
        var signature = Memory.Slice(data, signatureOffset, Primitives.Ed25519SignatureLength);
        if (!Primitives.Ed25519Verify(pinned.PublicKey, SignedMessage(data, signatureOffset), signature))
        {
            throw new EnvironmentException(
                SsoSecretFailure.TamperedSealedRing,
                $"The sealed ring names this environment's master ({pinned.Fingerprint}), but its signature does not verify: it was changed after the master signed it. Nothing was installed.");
        }
    }

    /// <summary>Step 16: why the vault of a version 2 ring is not an intact vault file (docs/vault-format.md), or null.</summary>
    private static string? VaultProblem(byte[] vault)
    {
        try
        {
            // Parsed, not kept: Deserialize's cache of the last file read at a path would hold up to 64 MiB for good.
            var document = VaultFile.Parse(vault, "the sealed ring's vault");
            return document.IsIntact ? null : string.Join("; ", document.Damage);
        }
        catch (VaultException e)
        {
            return e.Message;
        }
    }

    private static EnvironmentException Damaged(string reason) => new(
        SsoSecretFailure.DamagedSealedRing,
        $"The sealed ring is damaged: {reason}. Nothing was installed.");
}
