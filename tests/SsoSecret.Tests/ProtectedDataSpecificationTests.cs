using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/protected-data-format.md and the code together: every test vector on the page is recomputed from the
/// page's own inputs and compared character for character, intermediate values included; every negative vector gives
/// the outcome the page names; and the layout and bounds the page states are the code's.
/// </summary>
public sealed class ProtectedDataSpecificationTests
{
    public static IEnumerable<object[]> PositiveVectors() => ReadBlocks().Where(b => !b.Negative).Select(b => new object[] { b.Title });

    public static IEnumerable<object[]> NegativeVectors() => ReadBlocks().Where(b => b.Negative).Select(b => new object[] { b.Title });

    [Theory]
    [MemberData(nameof(PositiveVectors))]
    public void TheCodeWritesTheDocumentedText(string title)
    {
        var f = ReadBlocks().Single(b => b.Title == title).Fields;
        var id = Guid.Parse(f["secret id"]);
        var secret = Hex.Decode(f["secret"]);
        var salt = Hex.Decode(f["salt"]);
        var purposeBytes = Hex.Decode(f["purpose (UTF-8)"]);
        string purpose = Encoding.UTF8.GetString(purposeBytes);
        var plaintext = f["plaintext"] == "(empty)" ? Array.Empty<byte>() : Hex.Decode(f["plaintext"]);

        // The readable purpose line is the same purpose as the hex one.
        Assert.Equal(f["purpose (UTF-8)"], Hex.Encode(Encoding.UTF8.GetBytes(f["purpose"])));

        string text = ProtectedData.Protect(id, secret, purpose, plaintext, salt);
        Assert.Equal(f["text"], text);

        var body = Hex.Decode(f["body"]);
        var header = ProtectedData.Header(body);
        Assert.Equal(f["header"], Hex.Encode(header));
        Assert.Equal(Encoding.ASCII.GetBytes("ssodata1."), header.Take(9).ToArray());
        using (var keys = ProtectedData.DeriveKeys(secret, header, ProtectedData.PurposeBytes(purpose)))
        {
            Assert.Equal(f["aead key"], Hex.Encode(keys.Key));
            Assert.Equal(f["aead nonce"], Hex.Encode(keys.Nonce));
            Assert.Equal(f["commitment"], Hex.Encode(keys.Commitment));
        }

        Assert.Equal(f["checksum"], Hex.Encode(body.Skip(body.Length - 4).ToArray()));
        Assert.Equal(f["text"], Base64Url.Encode("ssodata1.", body));

        // And the documented text opens to the documented plaintext, and tells its header without a key.
        var ring = new ProtectedDataKeyRing(new ProtectedDataKey(id, secret));
        Assert.Equal(plaintext, ProtectedData.Unprotect(ring, purpose, f["text"], out var read));
        Assert.Equal(id, read.SecretId);
        Assert.Equal(1, read.Version);
        Assert.Equal(plaintext.Length, read.PlaintextLength);
        Assert.Equal(id, ProtectedData.ReadHeader(f["text"]).SecretId);
    }

    [Theory]
    [MemberData(nameof(NegativeVectors))]
    public void TheCodeGivesTheDocumentedOutcome(string title)
    {
        var f = ReadBlocks().Single(b => b.Title == title).Fields;
        var keys = new List<ProtectedDataKey>();
        foreach (string name in new[] { "current secret", "previous secret" })
        {
            if (f.TryGetValue(name, out string? value))
            {
                var parts = value.Split(' ');
                keys.Add(new ProtectedDataKey(Guid.Parse(parts[0]), Hex.Decode(parts[1])));
            }
        }

        var ring = new ProtectedDataKeyRing(keys[0], keys.Skip(1).ToArray());
        string purpose = Encoding.UTF8.GetString(Hex.Decode(f["purpose (UTF-8)"]));
        var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, purpose, f["text"]));
        Assert.Equal(Enum.Parse<ProtectedDataFailure>(f["outcome"]), e.Outcome);
        Assert.Equal(f.TryGetValue("secret id named", out string? named) ? Guid.Parse(named) : null, e.SecretId);
        Assert.Equal(f.GetValueOrDefault("version named"), e.FoundVersion);
        if (e.SecretId is Guid id)
        {
            Assert.Contains(id.ToString(), e.Message, StringComparison.Ordinal);
        }

        // The outcomes found without a key are those of ReadHeader too; the others pass it.
        bool keyless = e.Outcome is ProtectedDataFailure.NotProtectedData or ProtectedDataFailure.UnsupportedVersion or ProtectedDataFailure.Damaged;
        if (keyless)
        {
            Assert.Equal(e.Outcome, Assert.Throws<ProtectedDataException>(() => ProtectedData.ReadHeader(f["text"])).Outcome);
        }
        else
        {
            Assert.Equal(e.SecretId, ProtectedData.ReadHeader(f["text"]).SecretId);
        }
    }

    [Fact]
    public void ThePageHasVectorsForEveryOutcome()
    {
        var blocks = ReadBlocks();
        Assert.True(blocks.Count(b => !b.Negative) >= 3, "at least three positive vectors");
        var outcomes = blocks.Where(b => b.Negative).Select(b => Enum.Parse<ProtectedDataFailure>(b.Fields["outcome"])).ToHashSet();
        Assert.Equal(Enum.GetValues<ProtectedDataFailure>().ToHashSet(), outcomes);

        // The positive vectors reach the edges: an empty plaintext, the shortest secret, a non-ASCII purpose.
        var positives = blocks.Where(b => !b.Negative).Select(b => b.Fields).ToList();
        Assert.Contains(positives, f => f["plaintext"] == "(empty)");
        Assert.Contains(positives, f => Hex.Decode(f["secret"]).Length == ProtectedData.MinSecretLength);
        Assert.Contains(positives, f => Hex.Decode(f["purpose (UTF-8)"]).Any(b => b >= 0x80));
    }

    [Fact]
    public void TheExampleIsVectorOne()
    {
        string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
        string example = Regex.Match(text, @"## What it looks like\n\n```text\n(ssodata1\.[A-Za-z0-9_-]+)\n```").Groups[1].Value;
        Assert.Equal(ReadBlocks().First(b => b.Title.StartsWith("Vector 1", StringComparison.Ordinal)).Fields["text"], example);
    }

    [Fact]
    public void TheDocumentedLayoutAndBoundsAreTheCodes()
    {
        string text = File.ReadAllText(SpecPath);
        var rows = Regex.Matches(text, @"^\|\s*(\d+(?:\+P)?)\s*\|\s*(\d+|P)\s*\|\s*([a-z ]+?)\s*\|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[3].Value, m => (Offset: m.Groups[1].Value, Size: m.Groups[2].Value));
        Assert.Equal((ProtectedData.SecretIdOffset.ToString(), ProtectedData.SecretIdLength.ToString()), rows["secret id"]);
        Assert.Equal((ProtectedData.SaltOffset.ToString(), ProtectedData.SaltLength.ToString()), rows["salt"]);
        Assert.Equal((ProtectedData.CommitmentOffset.ToString(), ProtectedData.CommitmentLength.ToString()), rows["commitment"]);
        Assert.Equal((ProtectedData.CiphertextOffset.ToString(), "P"), rows["ciphertext"]);
        Assert.Equal(($"{ProtectedData.CiphertextOffset}+P", "16"), rows["tag"]);
        Assert.Equal(($"{ProtectedData.Overhead - ProtectedData.ChecksumLength}+P", ProtectedData.ChecksumLength.ToString()), rows["checksum"]);

        Assert.Contains($"*n* = {ProtectedData.Overhead} + *P* bytes", text);
        Assert.Contains($"| master secret | {ProtectedData.MinSecretLength} to {ProtectedData.MaxSecretLength} bytes", text);
        Assert.Contains($"| purpose | 1 to {ProtectedData.MaxPurposeBytes} bytes of UTF-8", text);
        Assert.Contains($"| plaintext | 0 to {ProtectedData.MaxPlaintextLength} bytes |", text);
        Assert.Contains($"| body | {ProtectedData.MinBodyLength} to {ProtectedData.MaxBodyLength} bytes |", text);
        Assert.Contains($"| encoded body | {ProtectedData.MinEncodedLength} to {ProtectedData.MaxEncodedLength} characters", text);
        Assert.Contains($"| text | {ProtectedData.MinTextLength} to {ProtectedData.MaxTextLength} characters", text);
        Assert.Contains($"must be {ProtectedData.MinEncodedLength} to {ProtectedData.MaxEncodedLength} characters long", text);
        Assert.Contains($"gives a text of {ProtectedData.MaxTextLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} characters", text);
        Assert.Contains($"({ProtectedData.HeaderLength} bytes)", text);

        // The bounds are what the code does: the largest value gives the longest text, the empty one the shortest.
        var ring = new ProtectedDataKeyRing(new ProtectedDataKey(Guid.NewGuid(), new byte[32]));
        Assert.Equal(ProtectedData.MaxTextLength, ProtectedData.Protect(ring, "p", new byte[ProtectedData.MaxPlaintextLength]).Length);
        Assert.Equal(ProtectedData.MinTextLength, ProtectedData.Protect(ring, "p", Array.Empty<byte>()).Length);

        // "A 20-byte password gives 148 characters", and the formula beside it.
        Assert.Equal(148, ProtectedData.Protect(ring, "p", new byte[20]).Length);
        Assert.Contains("`121 + ceil(4P/3)` characters long: a 20-byte password gives 148 characters", text);
        foreach (int p in new[] { 0, 1, 2, 3, 20, 1000, ProtectedData.MaxPlaintextLength })
        {
            Assert.Equal(121 + (4 * p + 2) / 3, ProtectedData.Protect(ring, "p", new byte[p]).Length);
        }

        // The limit must keep the longest text inside a Windows environment variable, as the page says it does.
        Assert.True(ProtectedData.MaxTextLength <= 32767);
    }

    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "protected-data-format.md");

    /// <summary>The page's vector blocks, read by the rules the page gives ("How to read a block").</summary>
    internal static List<Block> ReadBlocks()
    {
        string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
        var blocks = new List<Block>();
        foreach (Match section in Regex.Matches(text, @"^### ((?:Negative vector|Vector) [^\n]+)\n\n```text\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline))
        {
            var fields = new Dictionary<string, string>();
            string? open = null;
            foreach (string line in section.Groups[2].Value.Split('\n'))
            {
                if (open is not null)
                {
                    if (line.Length == 0)
                    {
                        open = null;
                    }
                    else
                    {
                        fields[open] += line;
                    }

                    continue;
                }

                if (line.Length == 0)
                {
                    continue;
                }

                var single = Regex.Match(line, @"^([A-Za-z][A-Za-z0-9 ()\-]*):\s+(.+)$");
                var multi = Regex.Match(line, @"^([A-Za-z][A-Za-z0-9 ()\-]*):$");
                if (single.Success)
                {
                    fields[single.Groups[1].Value] = single.Groups[2].Value.Trim();
                }
                else if (multi.Success)
                {
                    open = multi.Groups[1].Value;
                    fields[open] = string.Empty;
                }
                else
                {
                    throw new InvalidDataException($"{section.Groups[1].Value}: cannot read the line '{line}'");
                }
            }

            string title = section.Groups[1].Value;
            blocks.Add(new Block(title, title.StartsWith("Negative", StringComparison.Ordinal), fields));
        }

        return blocks;
    }

    internal sealed record Block(string Title, bool Negative, Dictionary<string, string> Fields);
}
