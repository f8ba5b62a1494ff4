using System;
using System.Text;

namespace SsoSecret.Crypto;

/// <summary>
/// The known answers an Argon2id implementation must give, bit for bit, before the module uses it: a wrong KDF would
/// write backups that no other implementation opens (the write path's own check would pass, being made with the same
/// wrong KDF), so a native library that differs in one bit is never used.
/// </summary>
internal static class Argon2SelfTest
{
    /// <summary>RFC 9106 §5.3: Argon2id with K and X, 32 KiB, 3 passes, 4 lanes: the algorithm itself, in a moment.</summary>
    internal static readonly Vector Rfc9106 = new(
        "RFC 9106 section 5.3",
        Repeat(0x01, 32),
        Repeat(0x02, 16),
        Repeat(0x03, 8),
        Repeat(0x04, 12),
        new KdfParameters(32, 3, 4),
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");

    /// <summary>
    /// docs/envelope-format.md, vector 1: the envelope's own call (no K, no X, 16-byte salt) at the Interactive profile
    /// (64 MiB, 3 passes, 4 lanes), so that memory sizes, lane splits and threads as backups use them are covered too.
    /// </summary>
    internal static readonly Vector EnvelopeVector1 = new(
        "docs/envelope-format.md vector 1",
        Encoding.UTF8.GetBytes("correct horse battery staple"),
        new byte[] { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
        null,
        null,
        new KdfParameters(65536, 3, 4),
        "853b272a44db1421c02962669a55eb0994f3cab385ed1c4c79253eee19bab49e");

    /// <summary>Runs both vectors. Returns null when the implementation passes, else what went wrong (no secret in it: the inputs are public).</summary>
    internal static string? Run(Argon2Provider provider)
    {
        foreach (var vector in new[] { Rfc9106, EnvelopeVector1 })
        {
            var output = new byte[32];
            try
            {
                // Copies: an implementation may wipe what it is given (libargon2 can), and the vectors are shared.
                provider.Hash(Copy(vector.Password)!, Copy(vector.Salt)!, Copy(vector.Secret), Copy(vector.AssociatedData), vector.Kdf, output);
            }
            catch (KdfUnavailableException e)
            {
                return $"{vector.Name}: {e.Message}";
            }

            string actual = ToHex(output);
            if (!string.Equals(actual, vector.Expected, StringComparison.Ordinal))
            {
                return $"{vector.Name}: gave {actual.Substring(0, 16)}..., expected {vector.Expected.Substring(0, 16)}...";
            }
        }

        return null;
    }

    private static byte[]? Copy(byte[]? data) => (byte[]?)data?.Clone();

    private static byte[] Repeat(byte value, int count)
    {
        var data = new byte[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = value;
        }

        return data;
    }

    private static string ToHex(byte[] data)
    {
        var text = new StringBuilder(data.Length * 2);
        foreach (byte b in data)
        {
            text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>One known answer.</summary>
    internal sealed class Vector
    {
        internal Vector(string name, byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, string expected)
        {
            Name = name;
            Password = password;
            Salt = salt;
            Secret = secret;
            AssociatedData = associatedData;
            Kdf = kdf;
            Expected = expected;
        }

        internal string Name { get; }

        internal byte[] Password { get; }

        internal byte[] Salt { get; }

        internal byte[]? Secret { get; }

        internal byte[]? AssociatedData { get; }

        internal KdfParameters Kdf { get; }

        internal string Expected { get; }
    }
}
