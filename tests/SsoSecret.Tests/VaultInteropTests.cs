using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.Vault;
using Xunit;
using Xunit.Abstractions;

namespace SsoSecret.Tests;

/// <summary>
/// docs/vault-format.md is enough to interoperate: a second implementation written from the page and
/// docs/protected-data-format.md alone (tests/Interop/vault.mjs, Node.js with its built-in crypto) recomputes the page's
/// vector and damage table, reads every vault this module writes, writes vaults this module reads and writes back byte
/// for byte, and reads thousands of damaged files exactly as the module does. The node tests are skipped, with the
/// reason, when node is not on the PATH; a vault node wrote once is committed (TestData/vault/node-written.json) and
/// opens on every run. SSOSECRET_VAULT_INTEROP_COUNT sets how many vaults each way (200 by default; ten times as many
/// damaged files).
/// </summary>
public sealed class VaultInteropTests
{
    private const long MaxTime = 253402300799999;

    private static readonly ProtectedDataKey s_current = new(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray());
    private static readonly ProtectedDataKey s_previous = new(Guid.Parse("c0ffee00-1234-4abc-8def-0123456789ab"), Enumerable.Range(0, 16).Select(i => (byte)(i * 29 + 1)).ToArray());
    private static readonly ProtectedDataKey s_stranger = new(Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5"), Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray());
    private static readonly ProtectedDataKeyRing s_ring = new(s_current, s_previous);

    private readonly ITestOutputHelper _output;

    private static readonly JsonSerializerOptions s_readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Pieces of names and texts: ASCII of both cases, accents that fold apart, non-BMP, a BOM, inner spaces.</summary>
    private static readonly string[] s_namePieces =
    {
        "a", "b", "z", "A", "B", "Z", "0", "9", "/", "-", ".", "_", "É", "é", "e\u0301", "€", "日本", "\U0001F600", "\U0001D11E", "\uFEFF", " ", "\u00A0", "\u3000", "ß", "\uFF21", "~",
    };

    private static readonly string[] s_textPieces = s_namePieces.Concat(new[] { "\0", "\n", "\t", "\r\n", "\u0085", "\u2028", "\"", "\\", "\uFFFF" }).ToArray();

    public VaultInteropTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static string Script => Path.Combine(TestPaths.RepositoryRoot, "tests", "Interop", "vault.mjs");

    private static int Count =>
        int.TryParse(Environment.GetEnvironmentVariable("SSOSECRET_VAULT_INTEROP_COUNT"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 200;

    [Fact]
    public void TheVaultTheSecondImplementationWroteOpens()
    {
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "vault", "node-written.json")))!;
        var ring = new ProtectedDataKeyRing(new ProtectedDataKey(Guid.Parse((string)golden["secretId"]!), Hex.Decode((string)golden["secret"]!)));
        byte[] file = Hex.Decode((string)golden["file"]!);
        var expected = golden["entries"]!.AsArray();
        Assert.True(expected.Count >= 5);

        var read = VaultFile.Deserialize(file, "node-written");
        Assert.True(read.IsIntact, string.Join("; ", read.Damage));
        Assert.Equal(expected.Select(e => (string)e!["name"]!), read.Entries.Select(e => e.Name));
        Assert.Equal(new[] { "ByteArray", "Hashtable", "PSCredential", "SecureString", "String" }, read.Entries.Select(e => e.Type.ToString()).Distinct().OrderBy(t => t, StringComparer.Ordinal));
        for (int i = 0; i < expected.Count; i++)
        {
            var entry = read.Entries[i];
            var wanted = expected[i]!;
            Assert.Equal(ReadableJson(wanted), ReadableJson(EntryJson(entry, ValueOf(entry.Type, ProtectedData.Unprotect(ring, entry.Purpose, entry.Value)))));
        }

        // The module writes the entries it read as the very same file.
        Assert.Equal(file, VaultFile.Serialize(read.Entries, "node-written"));
    }

    [NodeFact]
    public void TheSecondImplementationRecomputesThePagesVector()
    {
        var (exitCode, output, error) = Node.Run(new[] { Script, "vectors", Path.Combine(TestPaths.RepositoryRoot, "docs", "vault-format.md") });
        Assert.True(exitCode == 0, $"node exited with {exitCode}: {output} {error}");
        var result = JsonNode.Parse(output)!;
        Assert.Empty(result["failures"]!.AsArray());
        Assert.Equal(1, (int)result["vectors"]!);
        Assert.Equal(5, (int)result["damageRows"]!);
        Assert.True((int)result["checks"]! >= 50, "checks: " + result["checks"]);
    }

    [NodeFact]
    public void TheSecondImplementationReadsWhatTheModuleWrote()
    {
        var random = new Random(20260101);
        var vaults = Enumerable.Range(0, Count).Select(i => RandomVault(random, i)).ToList();
        var files = vaults.Select(v => ModuleWrite(v)).ToList();
        Assert.Contains(vaults, v => v.Count == 0);
        Assert.Contains(files, f => f.Length > 60_000);

        var reports = NodeRead(files.Select((f, i) => (f, Names(vaults[i]))).ToList());
        var failures = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            var module = ModuleReport(files[i], Names(vaults[i]));
            Assert.True(module["whole"] is null && module["damage"]!.AsArray().Count == 0, $"vault {i}: the module reads its own file with damage");
            Compare(failures, $"vault {i}", module, reports[i]);

            // And node's values are the values written, not merely the module's reading of them.
            foreach (var entry in vaults[i])
            {
                var get = reports[i]["gets"]!.AsArray().First(g => (string)g!["name"]! == entry.Name)!;
                string wanted = entry.Key == s_stranger ? "UnknownSecret" : "value";
                if ((string)get["outcome"]! != wanted || (wanted == "value" && !JsonNode.DeepEquals(get["value"], Canonical(entry.Value))))
                {
                    failures.Add($"vault {i}, entry '{entry.Name}': node gives {ReadableJson(get)}, the value written was {ReadableJson(entry.Value)}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} disagreements over {files.Count} vaults:\n" + string.Join("\n", failures.Take(10)));
    }

    [NodeFact]
    public void TheModuleReadsWhatTheSecondImplementationWroteAndWritesItBack()
    {
        var random = new Random(20260202);
        var vaults = Enumerable.Range(0, Count).Select(i => RandomVault(random, i, onlyCurrent: true)).ToList();
        var files = NodeWrite(vaults);
        Assert.Equal(vaults.Count, files.Count);
        var failures = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            var read = VaultFile.Deserialize(files[i], "node");
            if (!read.IsIntact)
            {
                failures.Add($"vault {i}: the module finds damage in node's file: {string.Join("; ", read.Damage)}");
                continue;
            }

            var sorted = vaults[i].OrderBy(e => e.Name, Comparer<string>.Create(VaultNames.Compare)).ToList();
            if (!sorted.Select(e => e.Name).SequenceEqual(read.Entries.Select(e => e.Name)))
            {
                failures.Add($"vault {i}: the names read are not the names written in the names' order");
                continue;
            }

            for (int j = 0; j < sorted.Count; j++)
            {
                var entry = read.Entries[j];
                Assert.Equal(s_current.Id, entry.SecretId);
                var value = ValueOf(entry.Type, ProtectedData.Unprotect(s_ring, entry.Purpose, entry.Value));
                string wanted = ReadableJson(EntryJson(sorted[j], sortMetadata: true, value: Canonical(sorted[j].Value)));
                string actual = ReadableJson(EntryJson(entry, value));
                if (wanted != actual)
                {
                    failures.Add($"vault {i}, entry {j}: the module reads {actual}, node was given {wanted}");
                }
            }

            if (!files[i].AsSpan().SequenceEqual(VaultFile.Serialize(read.Entries, "node")))
            {
                failures.Add($"vault {i}: the module does not write node's file back byte for byte");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} disagreements over {files.Count} vaults:\n" + string.Join("\n", failures.Take(10)));
    }

    [NodeFact]
    public void BothRefuseTwoNamesThatDifferOnlyInAsciiCase()
    {
        var random = new Random(3);
        var one = RandomEntry(random, "Billing/DB", s_current);
        var two = RandomEntry(random, "billing/db", s_current);
        Assert.Throws<InvalidOperationException>(() => ModuleWrite(new List<TestEntry> { one, two }));
        Assert.NotEqual(0, Node.Run(new[] { Script, "write" }, WriteInput(new[] { new List<TestEntry> { one, two } })).ExitCode);

        // A hashtable's keys, and metadata keys, the same.
        var table = new JsonObject { ["type"] = "Hashtable", ["items"] = new JsonArray(Item("Key", Text("String", "a")), Item("kEY", Text("String", "b"))) };
        Assert.Throws<ArgumentException>(() => Plaintext(table));
        var withTable = new TestEntry("t", VaultSecretType.Hashtable, 0, 0, new(), table, s_current);
        Assert.NotEqual(0, Node.Run(new[] { Script, "write" }, WriteInput(new[] { new List<TestEntry> { withTable } })).ExitCode);
        var withMetadata = new TestEntry("m", VaultSecretType.String, 0, 0, new() { ("Tier", VaultMetadataValue.OfNumber(1)), ("tier", VaultMetadataValue.OfNumber(2)) }, Text("String", "x"), s_current);
        Assert.Throws<InvalidOperationException>(() => ModuleWrite(new List<TestEntry> { withMetadata }));
        Assert.NotEqual(0, Node.Run(new[] { Script, "write" }, WriteInput(new[] { new List<TestEntry> { withMetadata } })).ExitCode);

        // É and é are two names in both.
        var accents = new List<TestEntry> { RandomEntry(random, "É", s_current), RandomEntry(random, "é", s_current) };
        Assert.Equal(2, VaultFile.Deserialize(ModuleWrite(accents), "accents").Entries.Count);
        Assert.Equal(2, VaultFile.Deserialize(NodeWrite(new List<List<TestEntry>> { accents })[0], "accents").Entries.Count);
    }

    [NodeFact]
    public void BothReadersAgreeOnDamagedFiles()
    {
        var random = new Random(20260303);
        var bases = new List<(byte[] File, List<TestEntry> Vault)>();
        int vaultCount = Math.Max(20, Count / 4);
        var small = Enumerable.Range(0, vaultCount).Select(i => RandomVault(random, i + 2, small: true)).ToList();
        var nodeWritten = NodeWrite(small.Take(vaultCount / 2).Select(v => v.Select(e => e with { Key = s_current }).ToList()).ToList());
        for (int i = 0; i < vaultCount; i++)
        {
            bases.Add(i < nodeWritten.Count ? (nodeWritten[i], small[i].Select(e => e with { Key = s_current }).ToList()) : (ModuleWrite(small[i]), small[i]));
        }

        bases.Add(FormsThatDoNotHold());

        var cases = new List<(string What, byte[] File, List<TestEntry> Vault)>();
        foreach (var (file, vault) in bases)
        {
            cases.Add(("as written", file, vault));
        }

        int damaged = Count * 10;
        for (int i = 0; i < damaged; i++)
        {
            var (file, vault) = bases[random.Next(bases.Count)];
            var (what, changed) = Damage(random, file);
            cases.Add((what, changed, vault));
        }

        var names = cases.Select(c => Names(c.Vault).Concat(new[] { "no/such" }).ToList()).ToList();
        var reports = NodeRead(cases.Select((c, i) => (c.File, names[i])).ToList());
        var failures = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < cases.Count; i++)
        {
            var module = ModuleReport(cases[i].File, names[i]);
            string shape = (module["whole"] is null ? "read" : "whole") + "/" + string.Join(",", module["gets"]!.AsArray().Select(g => (string)g!["outcome"]!).Distinct().OrderBy(s => s, StringComparer.Ordinal));
            seen[shape] = seen.TryGetValue(shape, out int n) ? n + 1 : 1;
            Compare(failures, $"case {i} ({cases[i].What})", module, reports[i]);

            // Neither reader ever gives a value other than the one written under that name.
            foreach (var (reader, report) in new[] { ("module", module), ("node", reports[i]) })
            {
                foreach (var get in report["gets"]!.AsArray())
                {
                    if ((string)get!["outcome"]! == "value")
                    {
                        var written = cases[i].Vault.FirstOrDefault(e => VaultNames.Same(e.Name, (string)get["name"]!));
                        if (written is null || !JsonNode.DeepEquals(Canonical(written.Value), get["value"]))
                        {
                            failures.Add($"case {i} ({cases[i].What}): {reader} gives a value for '{get["name"]}' that was never written under that name");
                        }
                    }
                }
            }
        }

        var gets = cases.Select((c, i) => reports[i]["gets"]!.AsArray().Select(g => (string)g!["outcome"]!)).SelectMany(g => g).GroupBy(g => g).OrderBy(g => g.Key, StringComparer.Ordinal);
        _output.WriteLine($"{cases.Count} files ({bases.Count} as written, {damaged} changed), {cases.Count(c => c.What.EndsWith("resealed", StringComparison.Ordinal) || c.What.Contains("computed again", StringComparison.Ordinal) || c.What.Contains("resealed (", StringComparison.Ordinal))} of them deliberately (checksums computed again); "
            + $"{seen.Where(s => s.Key.StartsWith("whole/", StringComparison.Ordinal)).Sum(s => s.Value)} refused whole; {reports.Count(r => r["damage"]!.AsArray().Any(d => d!["index"] is not null && !(bool)d["endsReading"]!))} with a damaged entry named or not; "
            + "gets: " + string.Join(", ", gets.Select(g => $"{g.Key} {g.Count()}")));
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements over {cases.Count} files:\n" + string.Join("\n", failures.Take(10)));

        // The files were damaged in every way a reader reports.
        string outcomes = string.Join(" ", seen.Select(s => s.Key));
        foreach (string outcome in new[] { "VaultDamaged", "VaultEntryDamaged", "UnknownSecret", "NotFound", "value" })
        {
            Assert.Contains(outcome, outcomes, StringComparison.Ordinal);
        }

        Assert.Contains(seen.Keys, k => k.StartsWith("whole/", StringComparison.Ordinal));
    }

    // --- Random vaults ---------------------------------------------------------------------------------------------

    private sealed record TestEntry(string Name, VaultSecretType Type, long Created, long Changed, List<(string Key, VaultMetadataValue Value)> Metadata, JsonObject Value, ProtectedDataKey Key);

    private static List<TestEntry> RandomVault(Random random, int index, bool onlyCurrent = false, bool small = false)
    {
        var vault = new List<TestEntry>();
        if (index == 0)
        {
            return vault;
        }

        ProtectedDataKey Key() => onlyCurrent ? s_current : random.Next(10) switch { 0 => s_previous, 1 when small => s_stranger, _ => s_current };
        if (index == 1 && !small)
        {
            // The largest entry (its fields 57,165 bytes), a hashtable of 256 items, a value of 16,384 bytes.
            string longName = new string('n', 196) + "\U0001F600";
            var metadata = Enumerable.Range(0, 32).Select(i => (i.ToString("d2", CultureInfo.InvariantCulture) + new string('k', 62), VaultMetadataValue.OfText(new string('\u20ac', 341) + "x"))).ToList();
            vault.Add(new TestEntry(longName, VaultSecretType.ByteArray, 0, MaxTime, metadata, new JsonObject { ["type"] = "ByteArray", ["hex"] = Hex.Encode(RandomBytes(random, 16384)) }, Key()));
            var items = Enumerable.Range(0, 256).Select(i => Item("k" + i.ToString(CultureInfo.InvariantCulture), Text("String", new string('v', 40)))).ToArray();
            vault.Add(new TestEntry("table/256", VaultSecretType.Hashtable, 1, 2, new(), new JsonObject { ["type"] = "Hashtable", ["items"] = new JsonArray(items) }, Key()));
            vault.Add(new TestEntry("text/16384", VaultSecretType.String, 1, 2, new(), Text("String", new string('\u65e5', 5461) + "a"), Key()));
            return vault;
        }

        int count = small ? random.Next(1, 6) : random.Next(12) switch { 0 => random.Next(20, 41), 1 => 1, _ => random.Next(2, 9) };
        if (index % 7 == 3)
        {
            vault.Add(RandomEntry(random, "É/x", Key(), small));
            vault.Add(RandomEntry(random, "é/x", Key(), small));
        }

        while (vault.Count < count)
        {
            string name = RandomName(random, 200);
            if (!vault.Any(e => VaultNames.Same(e.Name, name)))
            {
                vault.Add(RandomEntry(random, name, Key(), small));
            }
        }

        return vault;
    }

    private static TestEntry RandomEntry(Random random, string name, ProtectedDataKey key, bool small = false)
    {
        var type = (VaultSecretType)random.Next(1, 6);
        long created = random.Next(8) switch { 0 => 0, 1 => MaxTime, _ => random.NextInt64(0, MaxTime + 1) };
        long changed = random.Next(4) == 0 ? created : created + random.NextInt64(0, MaxTime - created + 1);
        var metadata = new List<(string Key, VaultMetadataValue Value)>();
        int items = random.Next(4) == 0 ? random.Next(0, small ? 4 : 9) : 0;
        while (metadata.Count < items)
        {
            string metadataKey = RandomName(random, 64);
            if (metadata.Any(m => VaultNames.Same(m.Key, metadataKey)))
            {
                continue;
            }

            metadata.Add((metadataKey, random.Next(3) switch
            {
                0 => VaultMetadataValue.OfText(RandomText(random, small ? 30 : 1024)),
                1 => VaultMetadataValue.OfNumber(random.Next(4) switch { 0 => int.MinValue, 1 => int.MaxValue, _ => random.Next(int.MinValue, int.MaxValue) }),
                _ => VaultMetadataValue.OfTicks(random.Next(4) switch { 0 => 0, 1 => DateTime.MaxValue.Ticks, _ => random.NextInt64(0, DateTime.MaxValue.Ticks) }),
            }));
        }

        return new TestEntry(name, type, created, changed, metadata, RandomValue(random, type, small), key);
    }

    private static JsonObject RandomValue(Random random, VaultSecretType type, bool small)
    {
        int size = small ? 24 : random.Next(10) == 0 ? 2000 : 60;
        switch (type)
        {
            case VaultSecretType.ByteArray:
                return new JsonObject { ["type"] = "ByteArray", ["hex"] = Hex.Encode(RandomBytes(random, random.Next(size + 1))) };
            case VaultSecretType.String:
            case VaultSecretType.SecureString:
                return Text(type.ToString(), RandomText(random, size));
            case VaultSecretType.PSCredential:
                return Credential(RandomText(random, 30), RandomText(random, size));
            default:
                var items = new List<JsonNode>();
                var keys = new List<string>();
                int count = random.Next(small ? 4 : 8);
                while (keys.Count < count)
                {
                    string key = RandomName(random, 200);
                    if (!keys.Any(k => VaultNames.Same(k, key)))
                    {
                        keys.Add(key);
                        items.Add(Item(key, RandomValue(random, (VaultSecretType)random.Next(1, 5), true)));
                    }
                }

                return new JsonObject { ["type"] = "Hashtable", ["items"] = new JsonArray(items.ToArray()) };
        }
    }

    private static string RandomName(Random random, int maxBytes)
    {
        while (true)
        {
            var name = new StringBuilder();
            int pieces = random.Next(4) == 0 ? random.Next(1, 60) : random.Next(1, 10);
            for (int i = 0; i < pieces; i++)
            {
                string piece = s_namePieces[random.Next(s_namePieces.Length)];
                if (Encoding.UTF8.GetByteCount(name.ToString() + piece) > maxBytes)
                {
                    break;
                }

                name.Append(piece);
            }

            if (VaultNames.Check(name.ToString(), "name", maxBytes) is null)
            {
                return name.ToString();
            }
        }
    }

    private static string RandomText(Random random, int maxBytes)
    {
        var text = new StringBuilder();
        int pieces = random.Next(maxBytes / 2 + 1);
        for (int i = 0; i < pieces; i++)
        {
            string piece = s_textPieces[random.Next(s_textPieces.Length)];
            if (Encoding.UTF8.GetByteCount(text.ToString() + piece) > maxBytes)
            {
                break;
            }

            text.Append(piece);
        }

        return text.ToString();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static JsonObject Text(string type, string text) => new() { ["type"] = type, ["text"] = text };

    private static JsonObject Credential(string user, string password) => new() { ["type"] = "PSCredential", ["user"] = user, ["password"] = password };

    private static JsonObject Item(string key, JsonNode value) => new() { ["key"] = key, ["value"] = value };

    private static List<string> Names(List<TestEntry> vault)
    {
        var names = vault.Select(e => e.Name).ToList();
        if (vault.Count > 0)
        {
            // The same name in other ASCII case.
            string name = vault[0].Name;
            names.Add(new string(name.Select(c => c >= 'a' && c <= 'z' ? (char)(c - 32) : c >= 'A' && c <= 'Z' ? (char)(c + 32) : c).ToArray()));
        }

        return names;
    }

    // --- The module's side: writing, reading, getting, as the page says and with the module's code ----------------

    private static byte[] Plaintext(JsonObject value)
    {
        string type = (string)value["type"]!;
        return type switch
        {
            "ByteArray" => Hex.Decode((string)value["hex"]!),
            "String" or "SecureString" => StrictUtf8.Encoding.GetBytes((string)value["text"]!),
            "PSCredential" => VaultValue.Credential(StrictUtf8.Encoding.GetBytes((string)value["user"]!), StrictUtf8.Encoding.GetBytes((string)value["password"]!)),
            _ => VaultValue.Table(value["items"]!.AsArray().Select(i =>
            {
                var itemValue = i!["value"]!.AsObject();
                return new VaultItem((string)i["key"]!, Enum.Parse<VaultSecretType>((string)itemValue["type"]!), Plaintext(itemValue));
            }).ToList()),
        };
    }

    /// <summary>A value's bytes read as its type's form with the module's code; FormatException or DecoderFallbackException when it does not hold.</summary>
    private static JsonObject ValueOf(VaultSecretType type, byte[] plaintext)
    {
        switch (type)
        {
            case VaultSecretType.ByteArray:
                return new JsonObject { ["type"] = "ByteArray", ["hex"] = Hex.Encode(plaintext) };
            case VaultSecretType.String:
            case VaultSecretType.SecureString:
                return Text(type.ToString(), StrictUtf8.Encoding.GetString(plaintext));
            case VaultSecretType.PSCredential:
                VaultValue.SplitCredential(plaintext, out byte[] user, out byte[] password);
                return Credential(StrictUtf8.Encoding.GetString(user), StrictUtf8.Encoding.GetString(password));
            default:
                return new JsonObject
                {
                    ["type"] = "Hashtable",
                    ["items"] = new JsonArray(VaultValue.SplitTable(plaintext).Select(i => (JsonNode)Item(i.Key, ValueOf(i.Type, i.Data))).ToArray()),
                };
        }
    }

    /// <summary>A value as a reader returns it: a hashtable's items in the order of their keys.</summary>
    private static JsonObject Canonical(JsonObject value) => ValueOf(Enum.Parse<VaultSecretType>((string)value["type"]!), Plaintext(value));

    private static List<KeyValuePair<string, VaultMetadataValue>> SortedMetadata(List<(string Key, VaultMetadataValue Value)> metadata) =>
        metadata.OrderBy(m => m.Key, Comparer<string>.Create(VaultNames.Compare)).Select(m => new KeyValuePair<string, VaultMetadataValue>(m.Key, m.Value)).ToList();

    private static byte[] ModuleWrite(List<TestEntry> vault)
    {
        var entries = vault
            .Select(e => new VaultEntry(e.Name, e.Type, VaultFile.FromTime(e.Created), VaultFile.FromTime(e.Changed), SortedMetadata(e.Metadata), ProtectedData.Protect(e.Key.Id, e.Key.Secret, VaultNames.Purpose(e.Type, e.Name), Plaintext(e.Value))))
            .OrderBy(e => e.Name, Comparer<string>.Create(VaultNames.Compare))
            .ToList();
        return VaultFile.Serialize(entries, "module");
    }

    private static JsonArray MetadataJson(IEnumerable<KeyValuePair<string, VaultMetadataValue>> metadata) => new(metadata.Select(m => (JsonNode)new JsonObject
    {
        ["key"] = m.Key,
        ["kind"] = m.Value.Kind.ToString(),
        ["value"] = m.Value.Kind switch
        {
            VaultMetadataKind.String => JsonValue.Create(m.Value.Text),
            VaultMetadataKind.Int32 => JsonValue.Create(m.Value.Number),
            _ => JsonValue.Create(m.Value.Ticks.ToString(CultureInfo.InvariantCulture)),
        },
    }).ToArray());

    private static JsonObject EntryJson(TestEntry e, bool sortMetadata = false, JsonObject? value = null) => new()
    {
        ["name"] = e.Name,
        ["type"] = e.Type.ToString(),
        ["created"] = e.Created,
        ["changed"] = e.Changed,
        ["metadata"] = MetadataJson(sortMetadata ? SortedMetadata(e.Metadata) : e.Metadata.Select(m => new KeyValuePair<string, VaultMetadataValue>(m.Key, m.Value))),
        ["value"] = (value ?? e.Value).DeepClone(),
    };

    private static JsonObject EntryJson(VaultEntry e, JsonObject value) => new()
    {
        ["name"] = e.Name,
        ["type"] = e.Type.ToString(),
        ["created"] = VaultFile.Time(e.Created),
        ["changed"] = VaultFile.Time(e.Changed),
        ["metadata"] = MetadataJson(e.Metadata),
        ["value"] = value,
    };

    /// <summary>What the module makes of a file, in the shape node's reader reports it (page: "What a reader does", "Getting an entry", "Opening a value", "Writing").</summary>
    private static JsonObject ModuleReport(byte[] file, List<string> names)
    {
        VaultDocument? read = null;
        try
        {
            read = VaultFile.Deserialize(file, "damaged");
        }
        catch (VaultException e) when (e.Failure == SsoSecretFailure.VaultDamaged)
        {
        }

        var damage = read?.Damage ?? new List<VaultDamage>();
        return new JsonObject
        {
            ["whole"] = read is null ? "VaultDamaged" : null,
            ["intact"] = new JsonArray((read?.Entries ?? new List<VaultEntry>()).Select(e => (JsonNode)new JsonObject
            {
                ["name"] = e.Name,
                ["type"] = e.Type.ToString(),
                ["created"] = VaultFile.Time(e.Created),
                ["changed"] = VaultFile.Time(e.Changed),
                ["metadata"] = MetadataJson(e.Metadata),
                ["secretId"] = e.SecretId.ToString(),
            }).ToArray()),
            ["damage"] = new JsonArray(damage.Select(d => (JsonNode)new JsonObject
            {
                ["index"] = d.Index,
                ["offset"] = d.Offset,
                ["name"] = d.NameAsRead,
                ["endsReading"] = d.EndsReading,
            }).ToArray()),

            // The store's rule for a change (MasterSecretStore.RequireIntact).
            ["change"] = read is null ? "VaultDamaged" : damage.Count == 0 ? null : damage.Count == 1 && damage[0].NameAsRead is not null && !damage[0].EndsReading ? "VaultEntryDamaged" : "VaultDamaged",
            ["gets"] = new JsonArray(names.Select(n => (JsonNode)ModuleGet(read, n)).ToArray()),
        };
    }

    /// <summary>The store's OpenVaultEntry and the extension's reading of the bytes, with the module's code.</summary>
    private static JsonObject ModuleGet(VaultDocument? read, string name)
    {
        var result = new JsonObject { ["name"] = name };
        var entry = read?.Find(name);
        if (read is null)
        {
            result["outcome"] = "VaultDamaged";
        }
        else if (entry is null)
        {
            result["outcome"] = read.IsIntact ? "NotFound" : read.Damage.Any(d => d.NameAsRead is string n && VaultNames.Same(n, name)) ? "VaultEntryDamaged" : "VaultDamaged";
        }
        else
        {
            try
            {
                var value = ValueOf(entry.Type, ProtectedData.Unprotect(s_ring, entry.Purpose, entry.Value));
                result["outcome"] = "value";
                result["value"] = value;
            }
            catch (ProtectedDataException e)
            {
                result["outcome"] = e.Outcome == ProtectedDataFailure.UnknownSecret ? "UnknownSecret" : "VaultEntryDamaged";
            }
            catch (Exception e) when (e is FormatException || e is DecoderFallbackException)
            {
                result["outcome"] = "VaultEntryDamaged";
            }
        }

        return result;
    }

    private static void Compare(List<string> failures, string what, JsonObject module, JsonNode node)
    {
        var mine = new JsonObject
        {
            ["whole"] = node["whole"]?.DeepClone(),
            ["intact"] = node["intact"]!.DeepClone(),
            ["damage"] = new JsonArray(node["damage"]!.AsArray().Select(d => (JsonNode)new JsonObject
            {
                ["index"] = d!["index"]?.DeepClone(),
                ["offset"] = d["offset"]!.DeepClone(),
                ["name"] = d["name"]?.DeepClone(),
                ["endsReading"] = d["endsReading"]!.DeepClone(),
            }).ToArray()),
            ["change"] = node["change"]?.DeepClone(),
            ["gets"] = new JsonArray(node["gets"]!.AsArray().Select(g =>
            {
                var get = new JsonObject { ["name"] = g!["name"]!.DeepClone(), ["outcome"] = g["outcome"]!.DeepClone() };
                if (g["value"] is JsonNode value)
                {
                    get["value"] = value.DeepClone();
                }

                return (JsonNode)get;
            }).ToArray()),
        };
        foreach (string part in new[] { "whole", "intact", "damage", "change", "gets" })
        {
            if (!JsonNode.DeepEquals(module[part], mine[part]))
            {
                failures.Add($"{what}: {part}: the module says {Shorten(ReadableJson(module[part]))}, node says {Shorten(ReadableJson(mine[part]))}");
            }
        }
    }

    // --- Damage ------------------------------------------------------------------------------------------------------

    /// <summary>One change to a file: accidental (a byte flipped, the file cut, bytes added or lost) or deliberate (a field changed and the checksums computed again).</summary>
    private static (string What, byte[] File) Damage(Random random, byte[] file)
    {
        var bytes = (byte[])file.Clone();
        var entries = Fields(file);
        int kind = random.Next(entries.Count == 0 ? 5 : 11);
        switch (kind)
        {
            case 0:
                int at = random.Next(bytes.Length);
                bytes[at] ^= (byte)random.Next(1, 256);
                return ($"byte {at} flipped", bytes);
            case 1:
                int near = random.Next(Math.Min(bytes.Length, 24));
                bytes[near] ^= (byte)(1 << random.Next(8));
                return ($"a bit of byte {near} flipped", bytes);
            case 2:
                int length = random.Next(bytes.Length);
                return ($"cut to {length} bytes", bytes[..length]);
            case 3:
                int where = random.Next(bytes.Length + 1);
                var inserted = RandomBytes(random, random.Next(1, 4));
                return ($"{inserted.Length} bytes inserted at {where}", bytes[..where].Concat(inserted).Concat(bytes[where..]).ToArray());
            case 4:
                int from = random.Next(bytes.Length);
                int lost = Math.Min(random.Next(1, 4), bytes.Length - from);
                return ($"{lost} bytes lost at {from}", bytes[..from].Concat(bytes[(from + lost)..]).ToArray());
            case 5:
            case 6:
            {
                // A field of an entry changed, its checksum (and mostly the file's) computed again.
                int k = random.Next(entries.Count);
                var fields = entries[k];
                int i = random.Next(6) == 0 ? random.Next(Math.Min(fields.Length, 24)) : random.Next(fields.Length);
                fields[i] ^= (byte)(random.Next(2) == 0 ? 1 << random.Next(8) : random.Next(1, 256));
                bool fileToo = random.Next(4) != 0;
                return ($"entry {k}'s field byte {i} changed, resealed{(fileToo ? string.Empty : " (not the file)")}", Seal(entries, fileToo));
            }

            case 7:
            {
                // The value's text with white space around it, or another character inside, resealed.
                int k = random.Next(entries.Count);
                var (start, textLength) = ValueText(entries[k]);
                string text = Encoding.ASCII.GetString(entries[k], start, textLength);
                string changed = random.Next(4) switch
                {
                    0 => " " + text,
                    1 => text + "\n",
                    2 => "\t" + text + "\r\n",
                    _ => text.Remove(random.Next(text.Length), 1),
                };
                entries[k] = WithValueText(entries[k], changed);
                return ($"entry {k}'s value text changed to {Shorten(JsonSerializer.Serialize(changed))}, resealed", Seal(entries, true));
            }

            case 8:
            {
                // Two entries' values exchanged, or their types, resealed.
                int a = random.Next(entries.Count);
                int b = random.Next(entries.Count);
                if (random.Next(2) == 0)
                {
                    var (sa, la) = ValueText(entries[a]);
                    var (sb, lb) = ValueText(entries[b]);
                    string ta = Encoding.ASCII.GetString(entries[a], sa, la);
                    string tb = Encoding.ASCII.GetString(entries[b], sb, lb);
                    entries[a] = WithValueText(entries[a], tb);
                    entries[b] = WithValueText(entries[b], ta);
                    return ($"the values of entries {a} and {b} exchanged, resealed", Seal(entries, true));
                }

                entries[a][0] = (byte)random.Next(0, 7);
                return ($"entry {a}'s type set to {entries[a][0]}, resealed", Seal(entries, true));
            }

            case 9:
            {
                // An entry twice, or two entries in the other order, resealed.
                int k = random.Next(entries.Count);
                if (random.Next(2) == 0 || entries.Count < 2)
                {
                    entries.Insert(k, (byte[])entries[k].Clone());
                    return ($"entry {k} there twice, resealed", Seal(entries, true));
                }

                int other = (k + 1) % entries.Count;
                (entries[k], entries[other]) = (entries[other], entries[k]);
                return ($"entries {k} and {other} exchanged, resealed", Seal(entries, true));
            }

            default:
            {
                // The count changed, the file's checksum computed again.
                uint count = (uint)Math.Max(0, entries.Count + random.Next(-2, 3));
                if (random.Next(8) == 0)
                {
                    count = 10001;
                }

                var sealedFile = Seal(entries, false);
                BigEndian.WriteUInt32(sealedFile, 9, count);
                Reseal(sealedFile);
                return ($"the count set to {count}, the file's checksum computed again", sealedFile);
            }
        }
    }

    /// <summary>Each entry's fields of an intact file.</summary>
    private static List<byte[]> Fields(byte[] file)
    {
        var list = new List<byte[]>();
        int offset = 13;
        for (uint i = 0; i < BigEndian.ReadUInt32(file, 9); i++)
        {
            int length = (int)BigEndian.ReadUInt32(file, offset);
            list.Add(file[(offset + 4)..(offset + 4 + length)]);
            offset += 4 + length + 32;
        }

        return list;
    }

    /// <summary>The offset and length of the value's text in an entry's fields.</summary>
    private static (int Start, int Length) ValueText(byte[] fields)
    {
        int p = 3 + BigEndian.ReadUInt16(fields, 1) + 16;
        int m = fields[p++];
        for (int j = 0; j < m; j++)
        {
            p += 2 + BigEndian.ReadUInt16(fields, p);
            byte kind = fields[p++];
            p += kind == 1 ? 2 + BigEndian.ReadUInt16(fields, p) : kind == 2 ? 4 : 8;
        }

        return (p + 2, BigEndian.ReadUInt16(fields, p));
    }

    private static byte[] WithValueText(byte[] fields, string text)
    {
        var (start, _) = ValueText(fields);
        byte[] value = Encoding.ASCII.GetBytes(text);
        byte[] length = new byte[2];
        BigEndian.WriteUInt16(length, 0, value.Length);
        return fields[..(start - 2)].Concat(length).Concat(value).ToArray();
    }

    /// <summary>A file of these entries' fields, each framed and summed; the file's checksum computed, or left as zeros.</summary>
    private static byte[] Seal(List<byte[]> entries, bool fileChecksum)
    {
        var bytes = new List<byte>(Encoding.ASCII.GetBytes("SSOVAULT")) { 1 };
        byte[] count = new byte[4];
        BigEndian.WriteUInt32(count, 0, (uint)entries.Count);
        bytes.AddRange(count);
        foreach (var fields in entries)
        {
            byte[] framed = new byte[4 + fields.Length];
            BigEndian.WriteUInt32(framed, 0, (uint)fields.Length);
            fields.CopyTo(framed, 4);
            bytes.AddRange(framed);
            bytes.AddRange(Primitives.Sha256(framed, 0, framed.Length));
        }

        bytes.AddRange(new byte[32]);
        byte[] file = bytes.ToArray();
        if (fileChecksum)
        {
            Reseal(file);
        }

        return file;
    }

    private static void Reseal(byte[] file) => Primitives.Sha256(file, 0, file.Length - 32).CopyTo(file, file.Length - 32);

    /// <summary>
    /// A vault whose values open (the right secret and purpose) but are not their type's form: text that is not UTF-8, a
    /// credential cut short, hashtables that break their rules. Both readers give VaultEntryDamaged for each (page:
    /// "a form that does not hold"), and the intact ones their values.
    /// </summary>
    private static (byte[] File, List<TestEntry> Vault) FormsThatDoNotHold()
    {
        static byte[] Table(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
        static byte[] U16(int n) => new[] { (byte)(n >> 8), (byte)n };
        static byte[] U32(int n) => new[] { (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n };
        byte[] TableItem(string key, byte type, byte[] value) => Table(U16(Encoding.UTF8.GetByteCount(key)), Encoding.UTF8.GetBytes(key), new[] { type }, U32(value.Length), value);
        var bad = new (string Name, VaultSecretType Type, byte[] Bytes)[]
        {
            ("bad/string", VaultSecretType.String, new byte[] { 0x61, 0xff }),
            ("bad/secure", VaultSecretType.SecureString, new byte[] { 0xed, 0xa0, 0x80 }),
            ("bad/overlong", VaultSecretType.String, new byte[] { 0xc0, 0xaf }),
            ("bad/credential-short", VaultSecretType.PSCredential, new byte[] { 0x00 }),
            ("bad/credential-user", VaultSecretType.PSCredential, new byte[] { 0x00, 0x05, 0x61 }),
            ("bad/credential-utf8", VaultSecretType.PSCredential, new byte[] { 0x00, 0x01, 0xff, 0x61 }),
            ("bad/credential-password", VaultSecretType.PSCredential, new byte[] { 0x00, 0x01, 0x61, 0xfe }),
            ("bad/table-empty", VaultSecretType.Hashtable, Array.Empty<byte>()),
            ("bad/table-count", VaultSecretType.Hashtable, Table(U16(257))),
            ("bad/table-more", VaultSecretType.Hashtable, Table(U16(2), TableItem("a", 2, new byte[] { 0x61 }))),
            ("bad/table-trailing", VaultSecretType.Hashtable, Table(U16(1), TableItem("a", 2, new byte[] { 0x61 }), new byte[] { 0 })),
            ("bad/table-order", VaultSecretType.Hashtable, Table(U16(2), TableItem("b", 2, Array.Empty<byte>()), TableItem("a", 2, Array.Empty<byte>()))),
            ("bad/table-twice", VaultSecretType.Hashtable, Table(U16(2), TableItem("a", 2, Array.Empty<byte>()), TableItem("A", 2, Array.Empty<byte>()))),
            ("bad/table-nested", VaultSecretType.Hashtable, Table(U16(1), TableItem("a", 5, Table(U16(0))))),
            ("bad/table-type0", VaultSecretType.Hashtable, Table(U16(1), TableItem("a", 0, Array.Empty<byte>()))),
            ("bad/table-key-empty", VaultSecretType.Hashtable, Table(U16(1), TableItem(string.Empty, 1, Array.Empty<byte>()))),
            ("bad/table-key-space", VaultSecretType.Hashtable, Table(U16(1), TableItem("a ", 1, Array.Empty<byte>()))),
            ("bad/table-key-control", VaultSecretType.Hashtable, Table(U16(1), TableItem("a\tb", 1, Array.Empty<byte>()))),
            ("bad/table-key-long", VaultSecretType.Hashtable, Table(U16(1), TableItem(new string('k', 201), 1, Array.Empty<byte>()))),
            ("bad/table-item-utf8", VaultSecretType.Hashtable, Table(U16(1), TableItem("a", 3, new byte[] { 0x80 }))),
            ("bad/table-item-credential", VaultSecretType.Hashtable, Table(U16(1), TableItem("a", 4, new byte[] { 0x00, 0x09 }))),
            ("bad/table-item-length", VaultSecretType.Hashtable, Table(U16(1), U16(1), new byte[] { 0x61, 1 }, U32(5), new byte[] { 1, 2 })),
            ("good/table-empty", VaultSecretType.Hashtable, Table(U16(0))),
            ("good/credential-empty", VaultSecretType.PSCredential, Table(U16(0))),
            ("good/string-bom", VaultSecretType.String, new byte[] { 0xef, 0xbb, 0xbf, 0x61 }),
        };
        var entries = bad
            .Select(b => new VaultEntry(b.Name, b.Type, VaultFile.FromTime(0), VaultFile.FromTime(0), new List<KeyValuePair<string, VaultMetadataValue>>(), ProtectedData.Protect(s_current.Id, s_current.Secret, VaultNames.Purpose(b.Type, b.Name), b.Bytes)))
            .OrderBy(e => e.Name, Comparer<string>.Create(VaultNames.Compare))
            .ToList();
        var vault = new List<TestEntry>
        {
            new("good/table-empty", VaultSecretType.Hashtable, 0, 0, new(), new JsonObject { ["type"] = "Hashtable", ["items"] = new JsonArray() }, s_current),
            new("good/credential-empty", VaultSecretType.PSCredential, 0, 0, new(), Credential(string.Empty, string.Empty), s_current),
            new("good/string-bom", VaultSecretType.String, 0, 0, new(), Text("String", "\uFEFFa"), s_current),
        };
        vault.AddRange(bad.Where(b => b.Name.StartsWith("bad/", StringComparison.Ordinal)).Select(b => new TestEntry(b.Name, b.Type, 0, 0, new(), Text("String", "never"), s_current)));
        return (VaultFile.Serialize(entries, "forms"), vault);
    }

    // --- node ------------------------------------------------------------------------------------------------------

    private static string WriteInput(IEnumerable<List<TestEntry>> vaults) => new JsonObject
    {
        ["id"] = s_current.Id.ToString(),
        ["secret"] = Hex.Encode(s_current.Secret),
        ["vaults"] = new JsonArray(vaults.Select(v => (JsonNode)new JsonArray(v.Select(e => (JsonNode)EntryJson(e)).ToArray())).ToArray()),
    }.ToJsonString();

    private static List<byte[]> NodeWrite(List<List<TestEntry>> vaults)
    {
        var (exitCode, output, error) = Node.Run(new[] { Script, "write" }, WriteInput(vaults));
        Assert.True(exitCode == 0, $"node exited with {exitCode}: {error}");
        return JsonNode.Parse(output)!.AsArray().Select(h => Hex.Decode((string)h!)).ToList();
    }

    private static List<JsonNode> NodeRead(List<(byte[] File, List<string> Names)> files)
    {
        var input = new JsonObject
        {
            ["ring"] = new JsonArray(s_ring.Keys.Select(k => (JsonNode)new JsonObject { ["id"] = k.Id.ToString(), ["secret"] = Hex.Encode(k.Secret) }).ToArray()),
            ["files"] = new JsonArray(files.Select(f => (JsonNode)new JsonObject
            {
                ["file"] = Hex.Encode(f.File),
                ["names"] = new JsonArray(f.Names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
            }).ToArray()),
        };
        var (exitCode, output, error) = Node.Run(new[] { Script, "read" }, input.ToJsonString());
        Assert.True(exitCode == 0, $"node exited with {exitCode}: {error}");
        var reports = JsonNode.Parse(output)!.AsArray().Select(r => r!).ToList();
        Assert.Equal(files.Count, reports.Count);
        return reports;
    }

    private static string ReadableJson(JsonNode? node) => node is null ? "null" : node.ToJsonString(s_readable);

    private static string Shorten(string s) => s.Length > 600 ? s.Substring(0, 600) + "..." : s;
}
