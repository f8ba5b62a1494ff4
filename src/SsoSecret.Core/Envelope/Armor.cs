using System;
using System.Collections.Generic;
using System.Text;

namespace SsoSecret;

/// <summary>
/// The text form of a backup: RFC 7468 strict encapsulation, as age does it. One BEGIN line, canonical base64 in
/// lines of exactly 64 characters (the last 1 to 64), one END line, and nothing outside but white space.
/// </summary>
internal static class Armor
{
    internal const string Label = "SSOSECRET BACKUP";
    internal const string BeginLine = "-----BEGIN " + Label + "-----";
    internal const string EndLine = "-----END " + Label + "-----";
    internal const int LineLength = 64;

    /// <summary>Encodes a binary backup, with LF line endings and a final LF.</summary>
    internal static string Encode(byte[] data) => Encode(data, Label);

    /// <summary>Encodes binary data under a label (a backup's, or a recovery key file's), as <see cref="Encode(byte[])"/>.</summary>
    internal static string Encode(byte[] data, string label)
    {
        string begin = "-----BEGIN " + label + "-----";
        string end = "-----END " + label + "-----";
        string base64 = Convert.ToBase64String(data);
        var builder = new StringBuilder(base64.Length + base64.Length / LineLength + begin.Length + end.Length + 4);
        builder.Append(begin).Append('\n');
        for (int i = 0; i < base64.Length; i += LineLength)
        {
            builder.Append(base64, i, Math.Min(LineLength, base64.Length - i)).Append('\n');
        }

        builder.Append(end).Append('\n');
        return builder.ToString();
    }

    /// <summary>True when the data, after leading white space, starts with the BEGIN line (or a prefix of it).</summary>
    internal static bool LooksArmored(byte[] data) => LooksArmored(data, Label);

    /// <summary>True when the data, after leading white space, starts with the BEGIN line of the label (or a prefix of it).</summary>
    internal static bool LooksArmored(byte[] data, string label)
    {
        string beginLine = "-----BEGIN " + label + "-----";
        int i = 0;
        while (i < data.Length && IsWhiteSpace(data[i]))
        {
            i++;
        }

        if (i == data.Length)
        {
            return false;
        }

        int n = Math.Min(beginLine.Length, data.Length - i);
        for (int k = 0; k < n; k++)
        {
            if (data[i + k] != beginLine[k])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decodes an armored backup strictly; every deviation is <see cref="SsoSecretFailure.DamagedBackup"/>.</summary>
    internal static byte[] Decode(byte[] data) => Decode(data, Label, Damaged);

    /// <summary>Decodes armor of the given label strictly; every deviation is the failure <paramref name="damaged"/> makes.</summary>
    internal static byte[] Decode(byte[] data, string label, Func<string, SsoSecretException> damaged)
    {
        string beginLine = "-----BEGIN " + label + "-----";
        string endLine = "-----END " + label + "-----";
        int start = 0;
        int end = data.Length;
        while (start < end && IsWhiteSpace(data[start]))
        {
            start++;
        }

        while (end > start && IsWhiteSpace(data[end - 1]))
        {
            end--;
        }

        for (int i = start; i < end; i++)
        {
            if (data[i] > 0x7E || (data[i] < 0x20 && data[i] != (byte)'\n' && data[i] != (byte)'\r' && data[i] != (byte)'\t'))
            {
                throw damaged("it holds a character that is not printable ASCII");
            }
        }

        string text = Encoding.ASCII.GetString(data, start, end - start);
        var lines = new List<string>(text.Split('\n'));
        for (int i = 0; i < lines.Count; i++)
        {
            // CRLF line endings are accepted, as RFC 7468 allows; a lone CR inside a line is not.
            if (lines[i].EndsWith("\r", StringComparison.Ordinal))
            {
                lines[i] = lines[i].Substring(0, lines[i].Length - 1);
            }
        }

        if (lines[0] != beginLine)
        {
            throw damaged("the first line is not exactly '" + beginLine + "'");
        }

        if (lines.Count < 3)
        {
            throw damaged("the text form is cut short");
        }

        if (lines[lines.Count - 1] != endLine)
        {
            throw damaged("the last line is not exactly '" + endLine + "'");
        }

        var base64 = new StringBuilder();
        for (int i = 1; i < lines.Count - 1; i++)
        {
            string line = lines[i];
            bool last = i == lines.Count - 2;
            if (line.Length == 0 || line.Length > LineLength || (!last && line.Length != LineLength))
            {
                throw damaged($"line {i + 1} is not a base64 line of {LineLength} characters");
            }

            base64.Append(line);
        }

        return DecodeCanonicalBase64(base64.ToString(), damaged);
    }

    private static byte[] DecodeCanonicalBase64(string text, Func<string, SsoSecretException> damaged)
    {
        if (text.Length % 4 != 0)
        {
            throw damaged("the base64 text is cut short");
        }

        int padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith("=", StringComparison.Ordinal) ? 1 : 0;
        for (int i = 0; i < text.Length - padding; i++)
        {
            if (!IsBase64Char(text[i]))
            {
                throw damaged("it holds a character that is not base64");
            }
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw damaged("the base64 text is not valid");
        }

        // Canonical form: re-encoding gives back the same text, so unused bits are zero and padding is exact.
        if (!string.Equals(Convert.ToBase64String(decoded), text, StringComparison.Ordinal))
        {
            throw damaged("the base64 text is not in canonical form");
        }

        return decoded;
    }

    private static bool IsBase64Char(char c) =>
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';

    private static bool IsWhiteSpace(byte b) => b == (byte)' ' || b == (byte)'\t' || b == (byte)'\r' || b == (byte)'\n';

    private static SsoSecretException Damaged(string reason) =>
        new BackupException(SsoSecretFailure.DamagedBackup, "The backup's text form is damaged: " + reason + ".");
}
