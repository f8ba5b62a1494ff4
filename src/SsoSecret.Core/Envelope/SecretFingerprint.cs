using System;
using System.Text;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>
/// A non-secret fingerprint of a master secret: the first 16 bytes of SHA-256 over a domain label and the secret.
/// Secrets are at least 16 random bytes, so the fingerprint cannot be turned back into the secret.
/// </summary>
internal static class SecretFingerprint
{
    internal const int Length = 16;

    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("SsoSecret fingerprint v1\0");

    internal static byte[] Compute(byte[] secret)
    {
        var input = new byte[s_label.Length + secret.Length];
        try
        {
            Buffer.BlockCopy(s_label, 0, input, 0, s_label.Length);
            Buffer.BlockCopy(secret, 0, input, s_label.Length, secret.Length);
            var digest = Primitives.Sha256(input, 0, input.Length);
            var fingerprint = new byte[Length];
            Buffer.BlockCopy(digest, 0, fingerprint, 0, Length);
            return fingerprint;
        }
        finally
        {
            Memory.Zero(input);
        }
    }

    internal static string ToHex(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (byte b in bytes)
        {
            builder.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
