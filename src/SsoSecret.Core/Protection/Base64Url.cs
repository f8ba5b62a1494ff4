using System;

namespace SsoSecret;

/// <summary>
/// Base64url without padding (RFC 4648 §5), strict: only the 64 characters of the alphabet, no padding, no white
/// space, and the unused low bits of the last character zero, so that every byte string has exactly one text.
/// </summary>
/// <remarks>
/// Written here rather than taken from <see cref="Convert"/> because the framework's decoder knows neither the url
/// alphabet (on netstandard2.0) nor the canonical-bits rule, and a reader must refuse before it allocates: the
/// checks below run on the caller's string in place.
/// </remarks>
internal static class Base64Url
{
    private const byte Invalid = 0xFF;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>Each ASCII character's 6-bit value, or <see cref="Invalid"/>.</summary>
    private static readonly byte[] s_values = MakeValues();

    /// <summary>How many characters <paramref name="byteCount"/> bytes encode to.</summary>
    internal static int EncodedLength(int byteCount) => byteCount / 3 * 4 + (byteCount % 3 == 0 ? 0 : byteCount % 3 + 1);

    /// <summary>How many bytes <paramref name="charCount"/> characters decode to; a count of the form 4k+1 is never valid.</summary>
    internal static int DecodedLength(int charCount) => charCount / 4 * 3 + (charCount % 4 == 0 ? 0 : charCount % 4 - 1);

    /// <summary>Writes <paramref name="prefix"/> followed by the encoding of <paramref name="data"/>.</summary>
    internal static string Encode(string prefix, byte[] data)
    {
        var output = new char[prefix.Length + EncodedLength(data.Length)];
        prefix.CopyTo(0, output, 0, prefix.Length);
        int o = prefix.Length;
        int i = 0;
        for (; i + 3 <= data.Length; i += 3)
        {
            int v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
            output[o++] = Alphabet[v >> 18];
            output[o++] = Alphabet[(v >> 12) & 63];
            output[o++] = Alphabet[(v >> 6) & 63];
            output[o++] = Alphabet[v & 63];
        }

        int rest = data.Length - i;
        if (rest == 1)
        {
            int v = data[i] << 16;
            output[o++] = Alphabet[v >> 18];
            output[o++] = Alphabet[(v >> 12) & 63];
        }
        else if (rest == 2)
        {
            int v = (data[i] << 16) | (data[i + 1] << 8);
            output[o++] = Alphabet[v >> 18];
            output[o++] = Alphabet[(v >> 12) & 63];
            output[o++] = Alphabet[(v >> 6) & 63];
        }

        return new string(output);
    }

    /// <summary>The index of the first character in the range that is not in the alphabet, or -1.</summary>
    internal static int IndexOfInvalid(string text, int offset, int length)
    {
        for (int i = offset; i < offset + length; i++)
        {
            char c = text[i];
            if (c >= s_values.Length || s_values[c] == Invalid)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Decodes a range that holds only alphabet characters and whose length is not of the form 4k+1 into
    /// <paramref name="output"/> (exactly <see cref="DecodedLength"/> bytes). Returns false when the last character
    /// carries bits that no byte uses (not canonical); <paramref name="output"/> is then meaningless.
    /// </summary>
    internal static bool TryDecode(string text, int offset, int length, byte[] output)
    {
        int o = 0;
        int i = offset;
        int end = offset + length;
        for (; i + 4 <= end; i += 4)
        {
            int v = (s_values[text[i]] << 18) | (s_values[text[i + 1]] << 12) | (s_values[text[i + 2]] << 6) | s_values[text[i + 3]];
            output[o++] = (byte)(v >> 16);
            output[o++] = (byte)(v >> 8);
            output[o++] = (byte)v;
        }

        int rest = end - i;
        if (rest == 2)
        {
            int v = (s_values[text[i]] << 18) | (s_values[text[i + 1]] << 12);
            output[o] = (byte)(v >> 16);
            return (v & 0xFFFF) == 0;
        }

        if (rest == 3)
        {
            int v = (s_values[text[i]] << 18) | (s_values[text[i + 1]] << 12) | (s_values[text[i + 2]] << 6);
            output[o++] = (byte)(v >> 16);
            output[o] = (byte)(v >> 8);
            return (v & 0xFF) == 0;
        }

        return rest == 0;
    }

    private static byte[] MakeValues()
    {
        var values = new byte[128];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Invalid;
        }

        for (int i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (byte)i;
        }

        return values;
    }
}
