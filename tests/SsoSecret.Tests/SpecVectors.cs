using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The test vectors of a backup format's page (docs/envelope-format.md, docs/envelope-format-v2.md), read from the page
/// itself so that the tests check what the page says: each "### " heading whose text starts as
/// <c>headings</c> allows, followed by a text block of "name: value" lines, a "file:" hex dump and, for an armored
/// vector, an "armored file:" block.
/// </summary>
internal static class SpecVectors
{
    /// <summary>The page's vectors by heading. <paramref name="headings"/> is a regular expression alternation, such as "Vector|Key file vector".</summary>
    internal static Dictionary<string, SpecVector> Read(string path, string headings)
    {
        string text = File.ReadAllText(path).Replace("\r\n", "\n");
        var result = new Dictionary<string, SpecVector>();
        foreach (Match section in Regex.Matches(text, @"^### ((?:" + headings + @") [^\n]+)\n\n```text\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline))
        {
            string body = section.Groups[2].Value;
            var fields = new Dictionary<string, string>();
            foreach (Match line in Regex.Matches(body, @"^([A-Za-z0-9 ()\-]+):\s+(.+)$", RegexOptions.Multiline))
            {
                fields[line.Groups[1].Value.Trim()] = line.Groups[2].Value.Trim();
            }

            string fileHex = Regex.Match(body, @"^file:\n((?:[0-9a-f]+\n?)+)", RegexOptions.Multiline).Groups[1].Value.Replace("\n", string.Empty);
            var armor = Regex.Match(body, @"^armored file:\n(-----BEGIN.*?-----END [A-Z ]+-----)", RegexOptions.Multiline | RegexOptions.Singleline);
            result[section.Groups[1].Value] = new SpecVector(fields, fileHex, armor.Success ? armor.Groups[1].Value : null);
        }

        return result;
    }

    /// <summary>A vector's "kdf" line: "m=... KiB, t=..., p=...".</summary>
    internal static KdfParameters ParseKdf(string text)
    {
        var m = Regex.Match(text, @"^m=(\d+) KiB, t=(\d+), p=(\d+)$");
        Assert.True(m.Success, "kdf line: " + text);
        return new KdfParameters(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value));
    }
}

/// <summary>One vector of a format's page: its "name: value" fields, the file as hex, and the armored file when it has one.</summary>
internal sealed record SpecVector(Dictionary<string, string> Fields, string FileHex, string? Armored);
