using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SsoSecret.Recovery;

/// <summary>
/// The text of one recovery share as SsoSecret writes it for a custodian (to print, or to keep in a password
/// manager): a few lines that say what it is, then the SLIP-0039 words, numbered, between BEGIN and END lines.
/// docs/recovery-shares.md ("Share sheets") specifies it.
/// </summary>
internal static class ShareSheet
{
    internal const string BeginLine = "-----BEGIN SSOSECRET RECOVERY SHARE-----";
    internal const string EndLine = "-----END SSOSECRET RECOVERY SHARE-----";
    private const int WordsPerLine = 4;

    /// <summary>The sheet of one share (LF line endings).</summary>
    internal static string Write(string mnemonic, int memberIndex, int count, int threshold, Guid secretId, string fingerprint, DateTimeOffset created)
    {
        var share = Slip39Share.Parse(mnemonic, 1);
        var text = new StringBuilder();
        text.Append("SsoSecret recovery share ").Append(memberIndex).Append(" of ").Append(count)
            .Append(": any ").Append(threshold).Append(" of the ").Append(count).Append(" shares restore the master secret.\n");
        text.Append("Master secret: ").Append(secretId.ToString()).Append(" (fingerprint ").Append(fingerprint).Append(")\n");
        text.Append("Split: ").Append(share.Identifier.ToString(CultureInfo.InvariantCulture)).Append(", made ")
            .Append(created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("Keep this sheet apart from the other shares: whoever gathers ").Append(threshold).Append(" of them holds the secret.\n\n");
        text.Append(BeginLine).Append('\n');
        var words = mnemonic.Split(' ');
        var line = new StringBuilder();
        for (int i = 0; i < words.Length; i++)
        {
            line.Append(string.Format(CultureInfo.InvariantCulture, "{0,2} {1,-9} ", i + 1, words[i]));
            if ((i + 1) % WordsPerLine == 0 || i == words.Length - 1)
            {
                text.Append(line.ToString().TrimEnd()).Append('\n');
                line.Clear();
            }
        }

        text.Append(EndLine).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// The share's words from a sheet, or from text that is only the words (as a custodian types them): between the
    /// BEGIN and END lines when there are such lines, else the whole text; numbers and punctuation are ignored, letters
    /// are lower-cased. The words are checked by the SLIP-0039 reader, not here.
    /// </summary>
    internal static string ReadWords(string text)
    {
        int begin = text.IndexOf(BeginLine, StringComparison.Ordinal);
        int end = text.IndexOf(EndLine, StringComparison.Ordinal);
        if (begin >= 0 && end > begin)
        {
            text = text.Substring(begin + BeginLine.Length, end - begin - BeginLine.Length);
        }

        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text)
        {
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        return string.Join(" ", words);
    }
}
