using System;
using System.Collections.Generic;

namespace SsoSecret.Recovery;

/// <summary>
/// Arithmetic in GF(256) with the Rijndael polynomial x^8 + x^4 + x^3 + x + 1 (AES, FIPS 197 §4), and Lagrange
/// interpolation of byte vectors, as SLIP-0039 applies Shamir's scheme to each byte of a secret.
/// </summary>
/// <remarks>
/// The logarithm tables are used only on x-coordinates (share indices), which are public. Share values and secrets
/// are multiplied by <see cref="Multiply"/>, which has no table look-up and no branch on its operands, so the time
/// it takes says nothing about secret bytes.
/// </remarks>
internal static class Gf256
{
    private static readonly byte[] s_exp = new byte[255];
    private static readonly int[] s_log = new int[256];

    static Gf256()
    {
        // 3 (the polynomial x + 1) generates the multiplicative group.
        int value = 1;
        for (int i = 0; i < 255; i++)
        {
            s_exp[i] = (byte)value;
            s_log[value] = i;
            value ^= value << 1;
            if ((value & 0x100) != 0)
            {
                value ^= 0x11B;
            }
        }
    }

    /// <summary>The product of two field elements, in time independent of their values.</summary>
    internal static byte Multiply(byte a, byte b)
    {
        int x = a;
        int y = b;
        int result = 0;
        for (int i = 0; i < 8; i++)
        {
            result ^= x & -(y & 1);
            y >>= 1;
            int reduce = -((x >> 7) & 1);
            x = ((x << 1) ^ (0x11B & reduce)) & 0xFF;
        }

        return (byte)result;
    }

    /// <summary>
    /// The value at <paramref name="x"/> of the polynomials through the points: for each byte position k, the
    /// polynomial of lowest degree through (x_i, y_i[k]). The x-coordinates must be distinct and the values of one
    /// length (callers check both).
    /// </summary>
    internal static byte[] Interpolate(IReadOnlyList<byte> xs, IReadOnlyList<byte[]> ys, byte x)
    {
        int count = xs.Count;
        int length = ys[0].Length;
        for (int i = 0; i < count; i++)
        {
            if (xs[i] == x)
            {
                return (byte[])ys[i].Clone();
            }
        }

        // log of the product of (x - x_j) over all j; subtraction in GF(2^8) is exclusive or.
        int logProduct = 0;
        for (int j = 0; j < count; j++)
        {
            logProduct += s_log[xs[j] ^ x];
        }

        var result = new byte[length];
        for (int i = 0; i < count; i++)
        {
            // Lagrange basis i at x: product over j != i of (x - x_j) / (x_i - x_j).
            int logBasis = logProduct - s_log[xs[i] ^ x];
            for (int j = 0; j < count; j++)
            {
                if (j != i)
                {
                    logBasis -= s_log[xs[i] ^ xs[j]];
                }
            }

            byte basis = s_exp[Modulo255(logBasis)];
            var y = ys[i];
            for (int k = 0; k < length; k++)
            {
                result[k] ^= Multiply(y[k], basis);
            }
        }

        return result;
    }

    private static int Modulo255(int value)
    {
        int remainder = value % 255;
        return remainder < 0 ? remainder + 255 : remainder;
    }

    /// <summary>Exposed for the tests: multiplication through the logarithm tables, to check <see cref="Multiply"/>.</summary>
    internal static byte MultiplyByTables(byte a, byte b) =>
        a == 0 || b == 0 ? (byte)0 : s_exp[(s_log[a] + s_log[b]) % 255];

    internal static void RequireDistinct(IReadOnlyList<byte> xs)
    {
        var seen = new bool[256];
        foreach (byte x in xs)
        {
            if (seen[x])
            {
                throw new ArgumentException("Interpolation points must have distinct x-coordinates.", nameof(xs));
            }

            seen[x] = true;
        }
    }
}
