using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SsoSecret.Codec;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// docs/protected-data-format.md is enough to interoperate: a second implementation written from the page alone
/// (tests/Interop/protected-data.mjs, Node.js with its built-in crypto) recomputes the page's vectors, opens what this
/// module writes, and writes values this module opens. Those tests run <c>node</c> when it is on the PATH and are
/// reported as skipped, with the reason, when it is not; the values the second implementation wrote once are
/// committed (TestData/protected-data/node-written.json) and open on every run, with or without node.
/// </summary>
public sealed class ProtectedDataInteropTests
{
    private static readonly ProtectedDataKey s_current = new(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray());
    private static readonly ProtectedDataKey s_previous = new(Guid.Parse("c0ffee00-1234-4abc-8def-0123456789ab"), Enumerable.Range(0, 16).Select(i => (byte)(i * 29 + 1)).ToArray());
    private static readonly ProtectedDataKey s_long = new(Guid.Parse("9a8b7c6d-5e4f-4a3b-9c2d-1e0f0a1b2c3d"), Enumerable.Range(0, 1024).Select(i => (byte)(i * 5 + 3)).ToArray());

    private static string Script => Path.Combine(TestPaths.RepositoryRoot, "tests", "Interop", "protected-data.mjs");

    [Fact]
    public void ValuesTheSecondImplementationWroteOpen()
    {
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "protected-data", "node-written.json")))!;
        var ring = new ProtectedDataKeyRing(new ProtectedDataKey(Guid.Parse((string)golden["secretId"]!), Hex.Decode((string)golden["secret"]!)));
        var values = golden["values"]!.AsArray();
        Assert.True(values.Count >= 5);
        foreach (var value in values)
        {
            string purpose = Encoding.UTF8.GetString(Hex.Decode((string)value!["purpose"]!));
            Assert.Equal((string)value["plaintext"]!, Hex.Encode(ProtectedData.Unprotect(ring, purpose, (string)value["text"]!)));
            Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, Other(purpose), (string)value["text"]!)).Outcome);
        }
    }

    [NodeFact]
    public void TheSecondImplementationRecomputesThePagesVectors()
    {
        var (exitCode, output, error) = Node.Run(new[] { Script, "vectors", Path.Combine(TestPaths.RepositoryRoot, "docs", "protected-data-format.md") });
        var result = JsonNode.Parse(output)!;
        Assert.True(exitCode == 0, $"node exited with {exitCode}: {output} {error}");
        Assert.Empty(result["failures"]!.AsArray());
        var blocks = ProtectedDataSpecificationTests.ReadBlocks();
        Assert.Equal(blocks.Count, (int)result["vectors"]!);
        Assert.Equal(blocks.Count(b => b.Negative), (int)result["negatives"]!);
        Assert.True((int)result["checks"]! >= 8 * blocks.Count(b => !b.Negative) + blocks.Count(b => b.Negative), "checks: " + result["checks"]);
    }

    [NodeFact]
    public void TheSecondImplementationOpensWhatTheModuleWrote()
    {
        var ring = new ProtectedDataKeyRing(s_current, s_previous, s_long);
        var items = new List<(string Purpose, string Text, string Expected)>();
        var purposes = new[] { "billing/db-password", "Geh\u00e4lter/Kennwort \u2014 \U0001F434", new string('p', 256), "caf\u00e9", "cafe\u0301", "\ufeffbom" };
        var sizes = new[] { 0, 1, 2, 3, 15, 16, 17, 63, 64, 65, 1000, ProtectedData.MaxPlaintextLength };
        int n = 0;
        foreach (var key in ring.Keys)
        {
            foreach (int size in sizes)
            {
                string purpose = purposes[n++ % purposes.Length];
                var plaintext = Enumerable.Range(0, size).Select(i => (byte)(i * 7 + size)).ToArray();
                items.Add((purpose, ProtectedData.Protect(key.Id, key.Secret, purpose, plaintext), "Opened:" + Hex.Encode(plaintext)));
            }
        }

        // And the failures: each must be the same outcome in both implementations.
        string value = ProtectedData.Protect(ring, "billing/db-password", Encoding.UTF8.GetBytes("correct horse battery staple"));
        var tampered = ProtectedDataTests.Decode(value);
        tampered[ProtectedData.CiphertextOffset + 3] ^= 0x10;
        var forgedSalt = ProtectedDataTests.Decode(value);
        forgedSalt[ProtectedData.SaltOffset] ^= 0x10;
        var unknown = ProtectedDataTests.Decode(value);
        BigEndian.WriteGuid(unknown, 0, Guid.Parse("11111111-2222-4333-8444-555555555555"));
        var failures = new (string Purpose, string Text)[]
        {
            ("billing/db-password", "correct horse battery staple"),
            ("billing/db-password", "ssodata3." + value.Substring(9)),
            ("billing/db-password", value.Substring(0, value.Length - 1)),
            ("billing/db-password", value.Substring(0, 40) + "=" + value.Substring(41)),
            ("billing/db-password", value.Substring(0, value.Length - 1) + "x"),
            ("billing/db-password", ProtectedDataTests.Reseal(unknown)),
            ("Billing/db-password", value),
            ("caf\u00e9", ProtectedData.Protect(ring, "cafe\u0301", new byte[3])),
            ("billing/db-password", ProtectedDataTests.Reseal(forgedSalt)),
            ("billing/db-password", ProtectedDataTests.Reseal(tampered)),
            ("billing/db-password", "\r\n  " + value + " \t\n"),
        };
        foreach (var (purpose, text) in failures)
        {
            string expected;
            try
            {
                expected = "Opened:" + Hex.Encode(ProtectedData.Unprotect(ring, purpose, text));
            }
            catch (ProtectedDataException e)
            {
                expected = e.Outcome.ToString() + (e.SecretId is Guid id ? ":" + id : string.Empty) + (e.FoundVersion is string v ? ":" + v : string.Empty);
            }

            items.Add((purpose, text, expected));
        }

        Assert.Equal(
            Enum.GetValues<ProtectedDataFailure>().Select(f => f.ToString()).Append("Opened").OrderBy(s => s),
            items.Select(i => i.Expected.Split(':')[0]).Distinct().OrderBy(s => s));

        var input = new JsonObject
        {
            ["ring"] = new JsonArray(ring.Keys.Select(k => (JsonNode)new JsonObject { ["id"] = k.Id.ToString(), ["secret"] = Hex.Encode(k.Secret) }).ToArray()),
            ["items"] = new JsonArray(items.Select(i => (JsonNode)new JsonObject { ["purpose"] = Hex.Encode(Encoding.UTF8.GetBytes(i.Purpose)), ["text"] = i.Text }).ToArray()),
        };
        var (exitCode, output, error) = Node.Run(new[] { Script, "open" }, input.ToJsonString());
        Assert.True(exitCode == 0, $"node exited with {exitCode}: {error}");
        var results = JsonNode.Parse(output)!.AsArray();
        Assert.Equal(items.Count, results.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var r = results[i]!;
            string outcome = (string)r["outcome"]!;
            string actual = outcome == "Opened"
                ? "Opened:" + (string)r["plaintext"]!
                : outcome + ((string?)r["secretId"] is string id ? ":" + id : string.Empty) + ((string?)r["version"] is string v ? ":" + v : string.Empty);
            Assert.True(items[i].Expected == actual, $"item {i} (purpose '{items[i].Purpose}'): the module says {Shorten(items[i].Expected)}, node says {Shorten(actual)}");
        }
    }

    [NodeFact]
    public void TheModuleOpensWhatTheSecondImplementationWrote()
    {
        var purposes = new[] { "billing/db-password", "Geh\u00e4lter/Kennwort \u2014 \U0001F434", new string('\u20ac', 85) + "a", "x" };
        var sizes = new[] { 0, 1, 2, 3, 64, 255, 4096, ProtectedData.MaxPlaintextLength };
        foreach (var key in new[] { s_current, s_previous, s_long })
        {
            var items = sizes.Select((size, i) => (Purpose: purposes[i % purposes.Length], Plaintext: Enumerable.Range(0, size).Select(j => (byte)(j ^ size)).ToArray())).ToList();
            var input = new JsonObject
            {
                ["id"] = key.Id.ToString(),
                ["secret"] = Hex.Encode(key.Secret),
                ["items"] = new JsonArray(items.Select(i => (JsonNode)new JsonObject { ["purpose"] = Hex.Encode(Encoding.UTF8.GetBytes(i.Purpose)), ["plaintext"] = Hex.Encode(i.Plaintext) }).ToArray()),
            };
            var (exitCode, output, error) = Node.Run(new[] { Script, "protect" }, input.ToJsonString());
            Assert.True(exitCode == 0, $"node exited with {exitCode}: {error}");
            var texts = JsonNode.Parse(output)!.AsArray().Select(t => (string)t!).ToList();
            Assert.Equal(items.Count, texts.Count);

            var ring = new ProtectedDataKeyRing(s_current, s_previous, s_long);
            for (int i = 0; i < items.Count; i++)
            {
                Assert.Equal(key.Id, ProtectedData.ReadHeader(texts[i]).SecretId);
                Assert.Equal(items[i].Plaintext, ProtectedData.Unprotect(ring, items[i].Purpose, texts[i]));
                Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, Other(items[i].Purpose), texts[i])).Outcome);

                // And the module's rewrap carries them to its current secret.
                var rewrapped = ProtectedData.Rewrap(ring, items[i].Purpose, texts[i]);
                Assert.Equal(key.Id != s_current.Id, rewrapped.Rewritten);
                Assert.Equal(items[i].Plaintext, ProtectedData.Unprotect(new ProtectedDataKeyRing(s_current), items[i].Purpose, rewrapped.Text));
            }

            // Each value has its own salt (bytes 16 to 32 of the body).
            Assert.Equal(texts.Count, texts.Select(t => Hex.Encode(ProtectedDataTests.Decode(t).Skip(16).Take(16).ToArray())).Distinct().Count());
        }
    }

    /// <summary>Another valid purpose, no longer than the given one: its last code point replaced.</summary>
    private static string Other(string purpose)
    {
        string cut = char.IsLowSurrogate(purpose[^1]) ? purpose[..^2] : purpose[..^1];
        return cut + (purpose.EndsWith('!') ? "?" : "!");
    }

    private static string Shorten(string s) => s.Length > 90 ? s.Substring(0, 90) + "..." : s;
}

/// <summary>A fact that needs <c>node</c> on the PATH, and says plainly that it was skipped when node is not there.</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (Node.ExecutablePath is null)
        {
            Skip = "node is not on the PATH, so the second implementation of docs/protected-data-format.md "
                + "(tests/Interop/protected-data.mjs) was NOT run. Install Node.js 20 or later to run it.";
        }
    }
}

/// <summary>Finds and runs node.</summary>
internal static class Node
{
    internal static readonly string? ExecutablePath = Find();

    internal static (int ExitCode, string Output, string Error) Run(IEnumerable<string> arguments, string? input = null)
    {
        var start = new ProcessStartInfo(ExecutablePath ?? throw new InvalidOperationException("node is not on the PATH."))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepositoryRoot,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(input ?? string.Empty);
        process.StandardInput.Close();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            throw new TimeoutException("node did not finish within 2 minutes.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    private static string? Find()
    {
        string name = OperatingSystem.IsWindows() ? "node.exe" : "node";
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
