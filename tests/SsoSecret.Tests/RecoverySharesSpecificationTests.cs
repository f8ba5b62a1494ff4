using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using SsoSecret.Recovery;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/recovery-shares.md and the code together: every test vector in the document is recomputed from the
/// document's own inputs (secret, GUID, passphrase, plan, random seed) and compared, intermediate values and every
/// share included, and the documented layout and bounds are the code's.
/// </summary>
public sealed class RecoverySharesSpecificationTests
{
    public static IEnumerable<object[]> Vectors() => ReadVectors().Select(v => new object[] { v.Key });

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TheCodeWritesTheDocumentedShares(string name)
    {
        var v = ReadVectors()[name];
        var id = Guid.Parse(v["secret id"]);
        var secret = Hex.Decode(v["secret"]);
        var passphrase = v["passphrase (ASCII)"] == "(none)" ? Array.Empty<byte>() : Encoding.ASCII.GetBytes(v["passphrase (ASCII)"]);
        var plan = ParsePlan(v["plan"]);
        int exponent = int.Parse(v["iteration exponent"]);
        bool extendable = v["extendable"] == "1";
        Assert.Equal(SecretShares.Extendable, extendable);

        var payload = SecretShares.Encode(id, secret);
        Assert.Equal(v["payload"], Hex.Encode(payload));
        Assert.Equal(v["check"], Hex.Encode(SecretShares.ComputeCheck(payload)));
        Assert.EndsWith(v["check"], v["payload"]);
        Assert.Equal(v["fingerprint"], Hex.Encode(SecretFingerprint.Compute(secret)));

        var random = new StreamRandom(Hex.Decode(v["random seed"]));
        var groups = SecretShares.Split(id, secret, plan, passphrase, exponent, random.Next);
        Assert.Equal(v["random draws"], string.Join(", ", random.Requests));

        var documented = v.Keys.Where(k => k.StartsWith("group ", StringComparison.Ordinal)).ToList();
        Assert.Equal(groups.Sum(g => g.Count), documented.Count);
        for (int g = 0; g < groups.Count; g++)
        {
            for (int m = 0; m < groups[g].Count; m++)
            {
                Assert.Equal(v[$"group {g + 1} member {m + 1}"], groups[g][m]);
            }
        }

        var first = Slip39Share.Parse(groups[0][0], 1);
        Assert.Equal(int.Parse(v["identifier"]), first.Identifier);
        Assert.Equal(extendable, first.Extendable);
        Assert.Equal(exponent, first.IterationExponent);
        var encrypted = Slip39.Encrypt(payload, passphrase, exponent, first.Identifier, extendable);
        Assert.Equal(v["encrypted master secret"], Hex.Encode(encrypted));
        Assert.Equal(payload, Slip39.Decrypt(encrypted, passphrase, exponent, first.Identifier, extendable));

        // And the documented shares, in the documented order, combine to the documented GUID and secret.
        var given = v["recover with"].Split(", ").Select(key => v[key]).ToList();
        using var recovered = SecretShares.Combine(given, passphrase);
        Assert.Equal(id, recovered.Id);
        Assert.Equal(secret, recovered.Secret);
        Assert.Equal(v["fingerprint"], Hex.Encode(recovered.Fingerprint));
    }

    [Fact]
    public void TheDocumentHasBothVectors()
    {
        var vectors = ReadVectors();
        Assert.Equal(2, vectors.Count);
        Assert.Contains(vectors.Values, v => v["passphrase (ASCII)"] != "(none)" && Hex.Decode(v["secret"]).Length % 2 == 1);
    }

    [Fact]
    public void TheDocumentedLayoutAndBoundsAreTheCodes()
    {
        string text = File.ReadAllText(SpecPath);
        var rows = Regex.Matches(text, @"^\|\s*(\d+(?:\+S(?:\+P)?)?)\s*\|\s*(\d+|S|P)\s*\|\s*([a-z ]+?)\s*\|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[3].Value, m => (Offset: m.Groups[1].Value, Size: m.Groups[2].Value));
        Assert.Equal((SecretShares.VersionOffset.ToString(), "1"), rows["version"]);
        Assert.Equal((SecretShares.SecretLengthOffset.ToString(), "1"), rows["secret length"]);
        Assert.Equal((SecretShares.IdOffset.ToString(), SecretShares.IdLength.ToString()), rows["secret id"]);
        Assert.Equal((SecretShares.SecretOffset.ToString(), "S"), rows["secret"]);
        Assert.Equal(($"{SecretShares.SecretOffset}+S", "P"), rows["padding"]);
        Assert.Equal(($"{SecretShares.SecretOffset}+S+P", SecretShares.CheckLength.ToString()), rows["check"]);
        Assert.Contains($"`0{SecretShares.Version}`", text);

        Assert.Contains($"exactly `{SecretShares.FixedLength} + S + P`", text);
        Assert.Contains($"S is {SecretShares.MinSecretLength} to {SecretShares.MaxSecretLength}", text);
        Assert.Contains($"the payload is {SecretShares.MinPayloadLength} to {SecretShares.MaxPayloadLength} bytes", text);
        Assert.Contains($"More than {Slip39.MaxShares} shares", text);
        Assert.Contains($"More than {Slip39Share.MaxMnemonicLength} characters", text);
        Assert.Contains($"Fewer than {Slip39Share.MinWords} words", text);
        Assert.Contains($"more than {Slip39Share.MaxWords} (a {Slip39Share.MaxValueLength}-byte value", text);
        Assert.Contains($"limit, {Slip39.DefaultMaxIterationExponent} by default", text);
        Assert.Contains($"| e | {SecretShares.DefaultIterationExponent} (", text);
        Assert.Contains($"| ext | {(SecretShares.Extendable ? 1 : 0)} (", text);
        Assert.Contains(Slip39WordList.Sha256Hex, text);
        Assert.Contains("\"SsoSecret recovery shares\" || 0x00", text);

        // Every outcome the code has is in the outcome table, and the table names no other.
        var table = text[text.IndexOf("## Outcomes", StringComparison.Ordinal)..text.IndexOf("## Security notes", StringComparison.Ordinal)];
        var named = Regex.Matches(table, @"^\| ([A-Za-z, ]+?) \|", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[1].Value.Split(", "))
            .Where(n => n != "outcome")
            .ToHashSet();
        Assert.Equal(Enum.GetNames<ShareFailure>().ToHashSet(), named);
    }

    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "recovery-shares.md");

    private static SharePlan ParsePlan(string text)
    {
        var m = Regex.Match(text, @"^group threshold (\d+); groups (.+)$");
        Assert.True(m.Success, "plan line: " + text);
        var groups = m.Groups[2].Value.Split(", ").Select(g =>
        {
            var parts = Regex.Match(g, @"^(\d+)-of-(\d+)$");
            Assert.True(parts.Success, "group: " + g);
            return new GroupPlan(int.Parse(parts.Groups[1].Value), int.Parse(parts.Groups[2].Value));
        }).ToList();
        return new SharePlan(int.Parse(m.Groups[1].Value), groups);
    }

    private static Dictionary<string, Dictionary<string, string>> ReadVectors()
    {
        string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
        var result = new Dictionary<string, Dictionary<string, string>>();
        foreach (Match section in Regex.Matches(text, @"^### (Vector [^\n]+)\n\n```text\n(.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline))
        {
            var fields = new Dictionary<string, string>();
            foreach (Match line in Regex.Matches(section.Groups[2].Value, @"^([a-z0-9 ()]+):\s+(.+)$", RegexOptions.Multiline | RegexOptions.IgnoreCase))
            {
                fields.Add(line.Groups[1].Value.Trim(), line.Groups[2].Value.Trim());
            }

            result[section.Groups[1].Value] = fields;
        }

        return result;
    }
}
