using System;
using System.Collections.Generic;
using System.Text;

namespace SsoSecret.Codec;

/// <summary>Why a text is not valid Bech32m, for a message that tells a person what to look at.</summary>
internal enum Bech32mProblem
{
    /// <summary>Longer than 90 characters, or shorter than a prefix, a separator and a checksum.</summary>
    Length,

    /// <summary>A character outside printable ASCII (33 to 126).</summary>
    Character,

    /// <summary>Upper and lower case mixed.</summary>
    MixedCase,

    /// <summary>No '1' separating the prefix from the data, or an empty prefix.</summary>
    Separator,

    /// <summary>A data character outside Bech32's 32-letter alphabet (which has no 1, b, i or o).</summary>
    Alphabet,

    /// <summary>The checksum does not match: a character is mistyped, missing, added or swapped.</summary>
    Checksum,
}

/// <summary>
/// Bech32m (BIP 350; Bech32 of BIP 173 with its final constant changed to 0x2bc830a3): a prefix, the separator '1',
/// data in a 32-letter alphabet without look-alikes, and a six-letter BCH checksum that finds any four errors and
/// most others. This is an encoding with a checksum, not a cryptographic primitive; the public key of a recovery key
/// is written in it (docs/envelope-format-v2.md, "The public key line").
/// </summary>
internal static class Bech32m
{
    /// <summary>The most characters a string may have (BIP 173).</summary>
    internal const int MaxLength = 90;

    private const string Alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private const uint Constant = 0x2bc830a3;
    private const int ChecksumLength = 6;
    private static readonly uint[] s_generator = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };

    /// <summary>Encodes 5-bit groups under a lower-case prefix.</summary>
    internal static string Encode(string prefix, byte[] groups)
    {
        var checksum = Checksum(prefix, groups);
        var text = new StringBuilder(prefix.Length + 1 + groups.Length + ChecksumLength);
        text.Append(prefix).Append('1');
        foreach (byte g in groups)
        {
            text.Append(Alphabet[g]);
        }

        foreach (byte g in checksum)
        {
            text.Append(Alphabet[g]);
        }

        return text.ToString();
    }

    /// <summary>
    /// Decodes a string: the prefix (lower case) and the data as 5-bit groups. Null with the problem when the string
    /// is not valid Bech32m. Upper case is accepted when the whole string is upper case (as QR codes write it).
    /// </summary>
    internal static (string Prefix, byte[] Groups)? Decode(string text, out Bech32mProblem problem)
    {
        problem = Bech32mProblem.Length;
        if (text.Length > MaxLength)
        {
            return null;
        }

        bool lower = false;
        bool upper = false;
        foreach (char c in text)
        {
            if (c < 33 || c > 126)
            {
                problem = Bech32mProblem.Character;
                return null;
            }

            lower |= c >= 'a' && c <= 'z';
            upper |= c >= 'A' && c <= 'Z';
        }

        if (lower && upper)
        {
            problem = Bech32mProblem.MixedCase;
            return null;
        }

        string lowered = text.ToLowerInvariant();
        int separator = lowered.LastIndexOf('1');
        if (separator < 1)
        {
            problem = Bech32mProblem.Separator;
            return null;
        }

        if (lowered.Length - separator - 1 < ChecksumLength)
        {
            problem = Bech32mProblem.Length;
            return null;
        }

        string prefix = lowered.Substring(0, separator);
        var values = new byte[lowered.Length - separator - 1];
        for (int i = 0; i < values.Length; i++)
        {
            int value = Alphabet.IndexOf(lowered[separator + 1 + i]);
            if (value < 0)
            {
                problem = Bech32mProblem.Alphabet;
                return null;
            }

            values[i] = (byte)value;
        }

        if (Polymod(prefix, values, values.Length) != Constant)
        {
            problem = Bech32mProblem.Checksum;
            return null;
        }

        var groups = new byte[values.Length - ChecksumLength];
        Buffer.BlockCopy(values, 0, groups, 0, groups.Length);
        return (prefix, groups);
    }

    /// <summary>Bytes as 5-bit groups, the last one padded with zero bits (BIP 173's convertbits(8, 5, pad)).</summary>
    internal static byte[] ToGroups(byte[] data)
    {
        var groups = new List<byte>((data.Length * 8 + 4) / 5);
        int accumulator = 0;
        int bits = 0;
        foreach (byte b in data)
        {
            accumulator = (accumulator << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                groups.Add((byte)((accumulator >> bits) & 31));
            }
        }

        if (bits > 0)
        {
            groups.Add((byte)((accumulator << (5 - bits)) & 31));
        }

        return groups.ToArray();
    }

    /// <summary>
    /// 5-bit groups back to bytes: null when the groups do not come from <see cref="ToGroups"/> (more than four bits of
    /// padding, or padding bits that are not zero), so that every byte string has exactly one encoding.
    /// </summary>
    internal static byte[]? FromGroups(byte[] groups)
    {
        var data = new List<byte>(groups.Length * 5 / 8);
        int accumulator = 0;
        int bits = 0;
        foreach (byte g in groups)
        {
            accumulator = ((accumulator << 5) | g) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                data.Add((byte)((accumulator >> bits) & 0xFF));
            }
        }

        if (bits >= 5 || (accumulator & ((1 << bits) - 1)) != 0)
        {
            return null;
        }

        return data.ToArray();
    }

    private static byte[] Checksum(string prefix, byte[] groups)
    {
        var values = new byte[groups.Length + ChecksumLength];
        Buffer.BlockCopy(groups, 0, values, 0, groups.Length);
        uint polymod = Polymod(prefix, values, values.Length) ^ Constant;
        var checksum = new byte[ChecksumLength];
        for (int i = 0; i < ChecksumLength; i++)
        {
            checksum[i] = (byte)((polymod >> (5 * (5 - i))) & 31);
        }

        return checksum;
    }

    /// <summary>BIP 173's polymod over the expanded prefix (high bits, a zero, low bits) and the values.</summary>
    private static uint Polymod(string prefix, byte[] values, int count)
    {
        uint checksum = 1;
        void Step(int value)
        {
            uint top = checksum >> 25;
            checksum = ((checksum & 0x1ffffff) << 5) ^ (uint)value;
            for (int i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    checksum ^= s_generator[i];
                }
            }
        }

        foreach (char c in prefix)
        {
            Step(c >> 5);
        }

        Step(0);
        foreach (char c in prefix)
        {
            Step(c & 31);
        }

        for (int i = 0; i < count; i++)
        {
            Step(values[i]);
        }

        return checksum;
    }
}
