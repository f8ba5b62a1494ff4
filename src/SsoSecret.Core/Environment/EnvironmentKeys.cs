using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>
/// The fingerprints of an environment's keys (docs/environment-format.md, "Fingerprints"): 16 bytes of SHA-256 over a
/// label and the key, shown as eight groups of four lower-case hex digits joined by '-', for a person to compare.
/// </summary>
internal static class EnvironmentFingerprint
{
    internal const int Length = 16;

    /// <summary>The text form's length: 32 hex digits and 7 dashes.</summary>
    internal const int TextLength = Length * 2 + 7;

    /// <summary><c>SHA-256(label || parts...)[0..16)</c>.</summary>
    internal static byte[] Compute(byte[] label, params byte[][] parts)
    {
        int length = label.Length;
        foreach (var part in parts)
        {
            length += part.Length;
        }

        var input = new byte[length];
        Buffer.BlockCopy(label, 0, input, 0, label.Length);
        int at = label.Length;
        foreach (var part in parts)
        {
            Buffer.BlockCopy(part, 0, input, at, part.Length);
            at += part.Length;
        }

        return Memory.Slice(Primitives.Sha256(input, 0, input.Length), 0, Length);
    }

    /// <summary>The text form: "xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx", lower-case hex.</summary>
    internal static string Format(byte[] fingerprint)
    {
        string hex = SecretFingerprint.ToHex(fingerprint);
        var text = new StringBuilder(TextLength);
        for (int i = 0; i < hex.Length; i += 4)
        {
            if (i > 0)
            {
                text.Append('-');
            }

            text.Append(hex, i, 4);
        }

        return text.ToString();
    }
}

/// <summary>
/// Reads the public key lines of an environment (docs/environment-format.md, "Public key lines"): Bech32m with a prefix
/// of its own, 32 bytes. Any failure is <see cref="SsoSecretFailure.InvalidEnvironmentKey"/>, at the first step that
/// fails.
/// </summary>
internal static class EnvironmentKeyLine
{
    internal static string Encode(string prefix, byte[] key) => Bech32m.Encode(prefix, Bech32m.ToGroups(key));

    /// <summary>Steps 1 to 4 of a line's reader: white space, Bech32m, the prefix, 32 bytes. <paramref name="what"/> names the key.</summary>
    internal static byte[] Decode(string text, string prefix, string what)
    {
        string trimmed = text.Trim(' ', '\t', '\r', '\n');
        if (trimmed.Length == 0)
        {
            throw Invalid(what, "it is empty");
        }

        var decoded = Bech32m.Decode(trimmed, out var problem);
        if (decoded is null)
        {
            string reason = problem switch
            {
                Bech32mProblem.Checksum => "its checksum does not match: a character is mistyped, missing, added or swapped",
                Bech32mProblem.Alphabet => "it holds a character that a key line never has (no 1, b, i or o after the prefix)",
                Bech32mProblem.MixedCase => "it mixes upper and lower case",
                Bech32mProblem.Character => "it holds a character that is not printable ASCII",
                Bech32mProblem.Separator => $"it does not start with '{prefix}1'",
                _ => "it is not the length of a key line",
            };
            throw Invalid(what, reason);
        }

        if (!string.Equals(decoded.Value.Prefix, prefix, StringComparison.Ordinal))
        {
            string known = decoded.Value.Prefix switch
            {
                ReplicaPublicKey.Prefix => " (a replica's host key)",
                MasterIdentity.Prefix => " (a master's environment key)",
                RecoveryPublicKey.Prefix => " (a recovery key)",
                _ => string.Empty,
            };
            throw Invalid(what, $"it starts with '{decoded.Value.Prefix}1'{known}, not '{prefix}1'");
        }

        var bytes = Bech32m.FromGroups(decoded.Value.Groups);
        if (bytes is null || bytes.Length != 32)
        {
            throw Invalid(what, "it is not the length of a key line");
        }

        return bytes;
    }

    internal static EnvironmentException Invalid(string what, string reason) => new(
        SsoSecretFailure.InvalidEnvironmentKey,
        $"The value is not {what} line: {reason}.")
    {
        RecommendedAction = "Copy the public key line again from the machine that made the key.",
    };
}

/// <summary>
/// A replica's host public key: an X25519 public key (the private half never leaves the replica), written as one line
/// <c>ssosecret-replica1...</c> and known by its fingerprint. The master seals its ring to it.
/// </summary>
internal sealed class ReplicaPublicKey : IEquatable<ReplicaPublicKey>
{
    internal const string Prefix = "ssosecret-replica";

    private static readonly byte[] s_fingerprintLabel = Encoding.ASCII.GetBytes("SsoSecret replica v1\0");

    internal ReplicaPublicKey(byte[] bytes)
    {
        if (bytes.Length != Primitives.X25519KeyLength)
        {
            throw new ArgumentException($"An X25519 public key is {Primitives.X25519KeyLength} bytes.", nameof(bytes));
        }

        Bytes = (byte[])bytes.Clone();
        FingerprintBytes = EnvironmentFingerprint.Compute(s_fingerprintLabel, Bytes);
    }

    /// <summary>The 32 bytes of the X25519 public key.</summary>
    internal byte[] Bytes { get; }

    /// <summary><c>SHA-256("SsoSecret replica v1" || 0x00 || public key)[0..16)</c>: what a sealed ring's stanza names.</summary>
    internal byte[] FingerprintBytes { get; }

    /// <summary>The fingerprint's text form (eight groups of four hex digits).</summary>
    internal string Fingerprint => EnvironmentFingerprint.Format(FingerprintBytes);

    /// <summary>The public key line.</summary>
    internal string Text => EnvironmentKeyLine.Encode(Prefix, Bytes);

    internal static ReplicaPublicKey FromPrivateKey(byte[] privateKey) => new(Primitives.X25519PublicKey(privateKey));

    /// <summary>Reads a replica's public key line; refuses what no key pair's public key is (as a recovery key's line, steps 5 and 6).</summary>
    internal static ReplicaPublicKey Parse(string text)
    {
        var bytes = EnvironmentKeyLine.Decode(text, Prefix, "a replica's host public key");
        if (RecoveryPublicKey.Problem(bytes) is string problem)
        {
            throw EnvironmentKeyLine.Invalid("a replica's host public key", problem);
        }

        return new ReplicaPublicKey(bytes);
    }

    public bool Equals(ReplicaPublicKey? other) =>
        other is not null && Primitives.FixedTimeEquals(Bytes, 0, other.Bytes, 0, Bytes.Length);

    public override bool Equals(object? obj) => Equals(obj as ReplicaPublicKey);

    public override int GetHashCode() => BitConverter.ToInt32(FingerprintBytes, 0);

    public override string ToString() => Text;
}

/// <summary>
/// A master's environment identity, what a replica pins when it joins: the environment's id and the master's Ed25519
/// public key, which signs every sealed ring. Its line <c>ssosecret-master1...</c> holds the key; its fingerprint covers
/// the id and the key, so a person who compares it on the master and on the replica confirms both.
/// </summary>
internal sealed class MasterIdentity : IEquatable<MasterIdentity>
{
    internal const string Prefix = "ssosecret-master";

    private static readonly byte[] s_fingerprintLabel = Encoding.ASCII.GetBytes("SsoSecret master v1\0");

    internal MasterIdentity(Guid environmentId, byte[] publicKey)
    {
        if (environmentId == Guid.Empty)
        {
            throw new ArgumentException("An environment id is never all zero.", nameof(environmentId));
        }

        if (!Primitives.Ed25519IsValidPublicKey(publicKey))
        {
            throw new ArgumentException("The bytes are not an Ed25519 public key.", nameof(publicKey));
        }

        EnvironmentId = environmentId;
        PublicKey = (byte[])publicKey.Clone();
        var id = new byte[BigEndian.GuidLength];
        BigEndian.WriteGuid(id, 0, environmentId);
        FingerprintBytes = EnvironmentFingerprint.Compute(s_fingerprintLabel, id, PublicKey);
    }

    internal Guid EnvironmentId { get; }

    /// <summary>The 32 bytes of the Ed25519 public key (RFC 8032's encoding).</summary>
    internal byte[] PublicKey { get; }

    /// <summary><c>SHA-256("SsoSecret master v1" || 0x00 || environment id || public key)[0..16)</c>.</summary>
    internal byte[] FingerprintBytes { get; }

    internal string Fingerprint => EnvironmentFingerprint.Format(FingerprintBytes);

    /// <summary>The public key line (the key only; the environment id travels beside it).</summary>
    internal string PublicKeyLine => EnvironmentKeyLine.Encode(Prefix, PublicKey);

    /// <summary>
    /// Reads a master's public key line for an environment id; refuses a key that is not the canonical encoding of a
    /// point of the prime-order subgroup (what no key pair has), and the all-zero environment id.
    /// </summary>
    internal static MasterIdentity Parse(Guid environmentId, string line)
    {
        var bytes = EnvironmentKeyLine.Decode(line, Prefix, "a master's environment public key");
        if (!Primitives.Ed25519IsValidPublicKey(bytes))
        {
            throw EnvironmentKeyLine.Invalid("a master's environment public key", "its 32 bytes are not the canonical encoding of an Ed25519 point of prime order, the public key of no key pair");
        }

        if (environmentId == Guid.Empty)
        {
            throw EnvironmentKeyLine.Invalid("a master's environment public key", "its environment id is all zero, which no environment has");
        }

        return new MasterIdentity(environmentId, bytes);
    }

    public bool Equals(MasterIdentity? other) =>
        other is not null && other.EnvironmentId == EnvironmentId && Primitives.FixedTimeEquals(PublicKey, 0, other.PublicKey, 0, PublicKey.Length);

    public override bool Equals(object? obj) => Equals(obj as MasterIdentity);

    public override int GetHashCode() => BitConverter.ToInt32(FingerprintBytes, 0);

    public override string ToString() => $"{EnvironmentId:D} {PublicKeyLine}";
}

/// <summary>A replica's host key pair; the private key is zeroed on dispose.</summary>
internal sealed class ReplicaHostKey : IDisposable
{
    internal ReplicaHostKey(byte[] privateKey)
    {
        if (privateKey.Length != Primitives.X25519KeyLength)
        {
            throw new ArgumentException($"An X25519 private key is {Primitives.X25519KeyLength} bytes.", nameof(privateKey));
        }

        PrivateKey = privateKey;
        PublicKey = ReplicaPublicKey.FromPrivateKey(privateKey);
    }

    internal byte[] PrivateKey { get; }

    internal ReplicaPublicKey PublicKey { get; }

    /// <summary>A new host key pair, from BouncyCastle's X25519 generator.</summary>
    internal static ReplicaHostKey Generate()
    {
        var (privateKey, _) = Primitives.X25519NewKeyPair();
        return new ReplicaHostKey(privateKey);
    }

    public void Dispose() => Memory.Zero(PrivateKey);
}

/// <summary>A master's environment key: the environment's id and the Ed25519 key pair that signs its rings; the private key is zeroed on dispose.</summary>
internal sealed class MasterEnvironmentKey : IDisposable
{
    internal MasterEnvironmentKey(Guid environmentId, byte[] privateKey)
    {
        if (privateKey.Length != Primitives.Ed25519KeyLength)
        {
            throw new ArgumentException($"An Ed25519 private key is {Primitives.Ed25519KeyLength} bytes.", nameof(privateKey));
        }

        PrivateKey = privateKey;
        Identity = new MasterIdentity(environmentId, Primitives.Ed25519PublicKey(privateKey));
    }

    /// <summary>The 32-byte Ed25519 private key (RFC 8032's seed).</summary>
    internal byte[] PrivateKey { get; }

    internal MasterIdentity Identity { get; }

    internal Guid EnvironmentId => Identity.EnvironmentId;

    /// <summary>A new environment: a random id and a key pair from BouncyCastle's Ed25519 generator.</summary>
    internal static MasterEnvironmentKey Generate(Guid? environmentId = null)
    {
        var (privateKey, _) = Primitives.Ed25519NewKeyPair();
        return new MasterEnvironmentKey(environmentId ?? Guid.NewGuid(), privateKey);
    }

    internal byte[] Sign(byte[] message) => Primitives.Ed25519Sign(PrivateKey, message);

    public void Dispose() => Memory.Zero(PrivateKey);
}
