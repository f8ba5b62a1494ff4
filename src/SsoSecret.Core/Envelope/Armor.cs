using System;
using System.Collections.Generic;
using System.Text;

namespace SsoSecret;

/// <summary>
/// The text form of a backup: RFC 7468 strict encapsulation, as age does it. One BEGIN line, canonical base64 in
/// lines of exactly 64 characters (the last 1 to 64), one END line, and nothing outside but white space. A backup's
/// writer puts header lines for people between the BEGIN line and the base64 (Created, Secret-Id, Fingerprint, and
/// Hint or Recipients), ended by an empty line, as OpenPGP's armor does: a reader checks their form and never their
/// values (docs/envelope-format.md, "Armored form").
/// </summary>
internal static class Armor
{
    internal const string Label = "SSOSECRET BACKUP";
    internal const string BeginLine = "-----BEGIN " + Label + "-----";
    internal const string EndLine = "-----END " + Label + "-----";
    internal const int LineLength = 64;

    /// <summary>The longest header line a reader accepts, in bytes (a hint's line is at most 2054).</summary>
    internal const int MaxHeaderLineBytes = 4096;

    /// <summary>Encodes binary data under the backup label, with no header lines, LF line endings and a final LF.</summary>
    internal static string Encode(byte[] data) => Encode(data, Label);

    /// <summary>
    /// Encodes a binary backup as its writer does: with the header lines of what its header says (readable by a person
    /// who keeps the text in a password manager), LF line endings and a final LF. The text is UTF-8 (a hint may be).
    /// </summary>
    internal static string EncodeBackup(byte[] binary) => Encode(binary, Label, HeaderLines(BackupEnvelope.ReadHeader(binary)));

    /// <summary>The header lines of a backup, in the documented order: Created, Secret-Id, Fingerprint, then Hint (when not empty) or Recipients.</summary>
    internal static IReadOnlyList<string> HeaderLines(BackupHeader header)
    {
        var lines = new List<string>
        {
            "Created: " + header.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            "Secret-Id: " + header.SecretId.ToString("D"),
            "Fingerprint: " + header.Fingerprint,
        };
        if (header.Hint.Length > 0)
        {
            lines.Add("Hint: " + header.Hint);
        }

        if (header.Recipients.Count > 0)
        {
            lines.Add("Recipients: " + string.Join(", ", header.Recipients));
        }

        return lines;
    }

    /// <summary>Encodes binary data under a label (a backup's, or a recovery key file's), as <see cref="Encode(byte[])"/>.</summary>
    internal static string Encode(byte[] data, string label, IReadOnlyList<string>? headerLines = null)
    {
        string begin = "-----BEGIN " + label + "-----";
        string end = "-----END " + label + "-----";
        string base64 = Convert.ToBase64String(data);
        var builder = new StringBuilder(base64.Length + base64.Length / LineLength + begin.Length + end.Length + 4);
        builder.Append(begin).Append('\n');
        if (headerLines is { Count: > 0 })
        {
            foreach (string line in headerLines)
            {
                builder.Append(line).Append('\n');
            }

            builder.Append('\n');
        }

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

        // Lines first (LF, or CRLF as RFC 7468 allows; a lone CR inside a line is not), as bytes: header lines are
        // UTF-8, everything else printable ASCII.
        var lines = new List<(int Start, int Length)>();
        for (int lineStart = start; ;)
        {
            int newline = Array.IndexOf(data, (byte)'\n', lineStart, end - lineStart);
            int lineEnd = newline < 0 ? end : newline;
            int length = lineEnd - lineStart;
            if (length > 0 && data[lineEnd - 1] == (byte)'\r')
            {
                length--;
            }

            lines.Add((lineStart, length));
            if (newline < 0)
            {
                break;
            }

            lineStart = newline + 1;
        }

        string Ascii(int index)
        {
            var (lineStart, length) = lines[index];
            for (int i = lineStart; i < lineStart + length; i++)
            {
                if (data[i] < 0x20 || data[i] > 0x7E)
                {
                    throw damaged($"line {index + 1} holds a character that is not printable ASCII");
                }
            }

            return Encoding.ASCII.GetString(data, lineStart, length);
        }

        if (Ascii(0) != beginLine)
        {
            throw damaged("the first line is not exactly '" + beginLine + "'");
        }

        if (lines.Count < 3)
        {
            throw damaged("the text form is cut short");
        }

        if (Ascii(lines.Count - 1) != endLine)
        {
            throw damaged("the last line is not exactly '" + endLine + "'");
        }

        // Header lines, if any: each 'Name: value', then one empty line. Their values are for people, never used.
        int first = 1;
        while (first < lines.Count - 1 && IsHeaderLine(data, lines[first].Start, lines[first].Length))
        {
            CheckHeaderLine(data, lines[first].Start, lines[first].Length, first + 1, damaged);
            first++;
        }

        if (first > 1)
        {
            if (lines[first].Length != 0 || first == lines.Count - 1)
            {
                throw damaged($"the header lines are not followed by one empty line (line {first + 1})");
            }

            first++;
            if (first >= lines.Count - 1)
            {
                throw damaged("the text form is cut short after its header lines");
            }
        }

        var base64 = new StringBuilder();
        for (int i = first; i < lines.Count - 1; i++)
        {
            string line = Ascii(i);
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

    /// <summary>A header line is one with a colon: a base64 line never has one.</summary>
    private static bool IsHeaderLine(byte[] data, int start, int length) => Array.IndexOf(data, (byte)':', start, length) >= 0;

    /// <summary>
    /// A header line's form: a name (a letter, then letters, digits and hyphens, at most 64 in all), a colon, one space
    /// and a value; strict UTF-8 without control characters; at most <see cref="MaxHeaderLineBytes"/> bytes.
    /// </summary>
    private static void CheckHeaderLine(byte[] data, int start, int length, int lineNumber, Func<string, SsoSecretException> damaged)
    {
        string line;
        try
        {
            line = Codec.StrictUtf8.Encoding.GetString(data, start, length);
        }
        catch (ArgumentException)
        {
            throw damaged($"header line {lineNumber} is not valid UTF-8");
        }

        int colon = line.IndexOf(':');
        bool nameIsGood = colon >= 1 && colon <= 64 && IsAsciiLetter(line[0]);
        for (int i = 1; nameIsGood && i < colon; i++)
        {
            nameIsGood = IsAsciiLetter(line[i]) || (line[i] >= '0' && line[i] <= '9') || line[i] == '-';
        }

        if (!nameIsGood || colon + 1 >= line.Length || line[colon + 1] != ' ')
        {
            throw damaged($"line {lineNumber} is neither base64 nor a header line 'Name: value'");
        }

        if (length > MaxHeaderLineBytes)
        {
            throw damaged($"header line {lineNumber} is longer than {MaxHeaderLineBytes} bytes");
        }

        foreach (char c in line)
        {
            if (char.IsControl(c))
            {
                throw damaged($"header line {lineNumber} holds a control character");
            }
        }
    }

    private static bool IsAsciiLetter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

    private static bool IsBase64Char(char c) =>
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';

    private static bool IsWhiteSpace(byte b) => b == (byte)' ' || b == (byte)'\t' || b == (byte)'\r' || b == (byte)'\n';

    private static SsoSecretException Damaged(string reason) =>
        new BackupException(SsoSecretFailure.DamagedBackup, "The backup's text form is damaged: " + reason + ".");
}
