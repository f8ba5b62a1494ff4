using System;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>
/// The public half of a recovery key: an X25519 public key, written as one line of text
/// (<c>ssosecret-recipient1...</c>, Bech32m with a checksum, so that a mistyped key is refused rather than used), and
/// identified by a non-secret fingerprint that backups sealed to it carry readable.
/// </summary>
internal sealed class RecoveryPublicKey : IEquatable<RecoveryPublicKey>
{
    /// <summary>The Bech32m prefix of the public key line.</summary>
    internal const string Prefix = "ssosecret-recipient";

    /// <summary>The fingerprint's length in bytes.</summary>
    internal const int FingerprintLength = 16;

    private static readonly byte[] s_fingerprintLabel = Encoding.ASCII.GetBytes("SsoSecret recipient v1\0");

    /// <summary>Any scalar finds a point of small order (the shared secret is zero); this one needs no randomness.</summary>
    private static readonly byte[] s_probeScalar = Encoding.ASCII.GetBytes("SsoSecret small-order probe 0001");

    internal RecoveryPublicKey(byte[] bytes)
    {
        if (bytes.Length != Primitives.X25519KeyLength)
        {
            throw new ArgumentException($"An X25519 public key is {Primitives.X25519KeyLength} bytes.", nameof(bytes));
        }

        Bytes = (byte[])bytes.Clone();
        FingerprintBytes = ComputeFingerprint(Bytes);
    }

    /// <summary>The 32 bytes of the X25519 public key (RFC 7748's u-coordinate, little-endian).</summary>
    internal byte[] Bytes { get; }

    /// <summary><c>SHA-256("SsoSecret recipient v1" || 0x00 || public key)[0..16)</c>.</summary>
    internal byte[] FingerprintBytes { get; }

    /// <summary>The fingerprint as lower-case hex: what a backup shows for each recipient.</summary>
    internal string Fingerprint => SecretFingerprint.ToHex(FingerprintBytes);

    /// <summary>The public key line: <c>ssosecret-recipient1</c> followed by 58 Bech32m characters.</summary>
    internal string Text => Bech32m.Encode(Prefix, Bech32m.ToGroups(Bytes));

    internal static byte[] ComputeFingerprint(byte[] publicKey)
    {
        var input = new byte[s_fingerprintLabel.Length + publicKey.Length];
        Buffer.BlockCopy(s_fingerprintLabel, 0, input, 0, s_fingerprintLabel.Length);
        Buffer.BlockCopy(publicKey, 0, input, s_fingerprintLabel.Length, publicKey.Length);
        return Memory.Slice(Primitives.Sha256(input, 0, input.Length), 0, FingerprintLength);
    }

    /// <summary>The public key of a private key.</summary>
    internal static RecoveryPublicKey FromPrivateKey(byte[] privateKey) => new(Primitives.X25519PublicKey(privateKey));

    /// <summary>
    /// Reads a public key line. White space around it is ignored; anything else that is not exactly a recovery public
    /// key (another prefix, a mistyped character, a missing or extra one, bytes that are not a canonical X25519 public
    /// key, a point of small order) is refused with <see cref="SsoSecretFailure.InvalidRecipient"/> and a message that
    /// says which.
    /// </summary>
    internal static RecoveryPublicKey Parse(string text)
    {
        string trimmed = text.Trim(' ', '\t', '\r', '\n');
        if (trimmed.Length == 0)
        {
            throw Invalid("''", "it is empty");
        }

        // What does not even start like a key is not shown: it may be a password pasted into the wrong place.
        if (!LooksLikeKey(trimmed))
        {
            throw Invalid("The value", $"it does not start with '{Prefix}1'");
        }

        string shown = "'" + (trimmed.Length > 100 ? trimmed.Substring(0, 100) + "..." : trimmed) + "'";

        var decoded = Bech32m.Decode(trimmed, out var problem);
        if (decoded is null)
        {
            string reason = problem switch
            {
                Bech32mProblem.Checksum => "its checksum does not match: a character is mistyped, missing, added or swapped",
                Bech32mProblem.Alphabet => "it holds a character that a recovery public key never has (keys have no 1, b, i or o after the prefix)",
                Bech32mProblem.MixedCase => "it mixes upper and lower case",
                Bech32mProblem.Character => "it holds a character that is not printable ASCII",
                Bech32mProblem.Separator => $"it does not start with '{Prefix}1'",
                _ => "it is not the length of a recovery public key",
            };
            throw Invalid(shown, reason);
        }

        if (!string.Equals(decoded.Value.Prefix, Prefix, StringComparison.Ordinal))
        {
            throw Invalid(shown, $"it starts with '{decoded.Value.Prefix}1', not '{Prefix}1'");
        }

        var bytes = Bech32m.FromGroups(decoded.Value.Groups);
        if (bytes is null || bytes.Length != Primitives.X25519KeyLength)
        {
            throw Invalid(shown, "it is not the length of a recovery public key");
        }

        if (Problem(bytes) is string refusal)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidRecipient, $"{shown} is not a recovery public key: {refusal}.")
            {
                RecommendedAction = "The line was not made by New-SsoRecoveryKey, whose public keys never have this form: read the key's line from its key file with Get-SsoRecoveryKey, or ask its holder for it again.",
            };
        }

        return new RecoveryPublicKey(bytes);
    }

    /// <summary>
    /// True when the 32 bytes are the canonical encoding of an X25519 u-coordinate: the top bit of the last byte clear
    /// and the little-endian value below p = 2^255 - 19. X25519's output (every key pair's public key) always is.
    /// </summary>
    internal static bool IsCanonical(byte[] bytes)
    {
        if ((bytes[31] & 0x80) != 0)
        {
            return false;
        }

        // p = 2^255 - 19 is ED FF .. FF 7F little-endian; 0x7F, thirty 0xFF and a first byte of 0xED or more is p or above.
        if (bytes[31] != 0x7F)
        {
            return true;
        }

        for (int i = 30; i >= 1; i--)
        {
            if (bytes[i] != 0xFF)
            {
                return true;
            }
        }

        return bytes[0] < 0xED;
    }

    /// <summary>
    /// Why 32 bytes are not the public key of any key pair (docs/envelope-format-v2.md, "The public key line", steps 5
    /// and 6, in that order), or null when they are one. What <see cref="Parse"/>, the writer and the key file reader
    /// refuse.
    /// </summary>
    internal static string? Problem(byte[] bytes)
    {
        // X25519 reads a u-coordinate with its top bit ignored and its value reduced mod p, so these bytes name the same
        // point as a canonical key, and a backup's shared secret would be that key's. But the fingerprint and the wrap
        // key's salt are of these bytes, and a recovery key's public key (X25519(k, 9)) never has them: no key would
        // find its stanza. Refused before the small-order test, which would call p itself (zero) a point of small order.
        if ((bytes[31] & 0x80) != 0)
        {
            return "the top bit of its last byte is set, so it is not a canonical X25519 public key; no key pair's public key has that bit set, and no recovery key would open a backup sealed to it";
        }

        if (!IsCanonical(bytes))
        {
            return "its value is 2^255 - 19 or more, so it is not a canonical X25519 public key; no key pair's public key is that large, and no recovery key would open a backup sealed to it";
        }

        // A point of small order shares the all-zero secret with every key (X25519 clamps the scalar to a multiple of
        // the cofactor): no key pair has it as its public key, and a backup sealed to it would be open to all.
        if (Primitives.X25519(s_probeScalar, bytes) is null)
        {
            return "it is a point of small order, the public key of no key pair";
        }

        return null;
    }

    /// <summary>True when the text starts as a public key line does (a mistyped key, rather than something else).</summary>
    internal static bool LooksLikeKey(string text) => text.Trim(' ', '\t', '\r', '\n').StartsWith(Prefix + "1", StringComparison.OrdinalIgnoreCase);

    public bool Equals(RecoveryPublicKey? other) =>
        other is not null && Primitives.FixedTimeEquals(Bytes, 0, other.Bytes, 0, Bytes.Length);

    public override bool Equals(object? obj) => Equals(obj as RecoveryPublicKey);

    public override int GetHashCode() => BitConverter.ToInt32(FingerprintBytes, 0);

    public override string ToString() => Text;

    private static SsoSecretException Invalid(string shown, string reason) => new(
        SsoSecretFailure.InvalidRecipient,
        $"{shown} is not a recovery public key: {reason}.")
    {
        RecommendedAction = "Copy the public key line again from the output of New-SsoRecoveryKey, or read it from the key file with Get-SsoRecoveryKey.",
    };
}
