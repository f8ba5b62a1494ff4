using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using SsoSecret.Codec;
using SsoSecret.Vault;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Holds docs/vault-format.md and the vault's code together: the page's vector is recomputed from the page's own
/// fields (values protected with the salts it gives) and compared byte for byte; each row of its damage table is made
/// from the vector and gives what the page says; its bounds are the code's.
/// </summary>
public sealed class VaultFormatSpecificationTests
{
    private static string SpecPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "vault-format.md");

    [Fact]
    public void TheCodeWritesTheDocumentedVaultAndReadsItBack()
    {
        var page = Page.Read();
        var entries = page.Entries();
        Assert.Equal(5, entries.Count);
        byte[] file = VaultFile.Serialize(entries, "vector");
        Assert.Equal(page.FileHex, Hex.Encode(file));
        Assert.Equal(page.Field("entry 1 value"), entries[0].Value);
        Assert.Equal(page.Field("entry 1 plaintext"), Hex.Encode(page.Plaintext(1)));

        var read = VaultFile.Deserialize(file, "vector");
        Assert.True(read.IsIntact);
        Assert.Equal(entries.Select(e => (e.Name, e.Type, e.Created, e.Changed, e.Value)), read.Entries.Select(e => (e.Name, e.Type, e.Created, e.Changed, e.Value)));
        Assert.Equal(
            entries.SelectMany(e => e.Metadata).Select(m => (m.Key, m.Value)),
            read.Entries.SelectMany(e => e.Metadata).Select(m => (m.Key, m.Value)));

        // Every value opens for its entry's purpose to the bytes the page's fields make, and under no other entry's.
        var ring = page.Ring();
        for (int i = 0; i < read.Entries.Count; i++)
        {
            Assert.Equal(page.Plaintext(i + 1), ProtectedData.Unprotect(ring, read.Entries[i].Purpose, read.Entries[i].Value));
            var other = read.Entries[(i + 1) % read.Entries.Count];
            Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, other.Purpose, read.Entries[i].Value)).Outcome);
        }
    }

    [Fact]
    public void TheFolderPurposeAndOrderAreThePages()
    {
        Assert.Equal("ssosecret.vault/PSCredential/Billing/DB", VaultNames.Purpose(VaultSecretType.PSCredential, "Billing/DB"));
        Assert.True(VaultNames.Same("Billing/DB", "billing/db"));
        Assert.False(VaultNames.Same("É", "é"));
        Assert.True(VaultNames.Compare("ops/blob", "Ops/Token") < 0);
        Assert.True(VaultNames.Compare("ops", "ops/blob") < 0, "a prefix first");
        Assert.True(VaultNames.Compare("z", "é") < 0, "by UTF-8 bytes, not UTF-16 code units");
        Assert.True(VaultNames.Compare("\uFF21", "\U0001F600") < 0, "U+FF21 (ef bc a1) before U+1F600 (f0 9f 98 80), though its UTF-16 unit is larger");
        Assert.Null(VaultNames.Check(new string('a', 200), "The name"));
        Assert.NotNull(VaultNames.Check(new string('a', 201), "The name"));
        Assert.NotNull(VaultNames.Check(new string('a', 65), "A key", VaultNames.MaxKeyBytes));
        Assert.NotNull(VaultNames.Check(" a", "The name"));
        Assert.NotNull(VaultNames.Check("a\tb", "The name"));
        Assert.NotNull(VaultNames.Check("\uD800", "The name"));
    }

    [Fact]
    public void TheDocumentedLimitsAreTheCodes()
    {
        string text = File.ReadAllText(SpecPath);
        Assert.Contains($"longer than {VaultFile.MaxLength:N0} bytes", text);
        Assert.Contains($"reads at most {VaultFile.MaxLength + 1:N0}", text);
        Assert.Contains($"shorter than {VaultFile.HeaderLength + VaultFile.ChecksumLength} bytes", text);
        Assert.Contains($"0 to {VaultFile.MaxEntries:N0}", text);
        Assert.Contains($"a count above {VaultFile.MaxEntries:N0}", text);
        Assert.Contains($"`L` is {VaultFile.MinFieldsLength} to {VaultFile.MaxFieldsLength:N0}", text);
        Assert.Contains($"below {VaultFile.MinFieldsLength} or above {VaultFile.MaxFieldsLength:N0}", text);
        Assert.Contains($"0 to {VaultFile.MaxMetadata} metadata items", text);
        Assert.Contains($"0 to {VaultFile.MaxMetadataTextBytes} bytes", text);
        Assert.Contains($"1 to {VaultNames.MaxNameBytes} bytes", text);
        Assert.Contains($"1 to {VaultNames.MaxKeyBytes} bytes", text);
        Assert.Contains($"`C` is 0 to {VaultValue.MaxItems}", text);
        Assert.Contains($"at most {ProtectedData.MaxPlaintextLength:N0}", text);
        Assert.Contains($"<= {VaultFile.MaxTime}", text);
        Assert.Contains($"0 to {DateTime.MaxValue.Ticks}", text);
        int shortest = Enum.GetNames<VaultSecretType>().Min(n => n.Length);
        int longest = Enum.GetNames<VaultSecretType>().Max(n => n.Length);
        Assert.Contains($"The purpose is {VaultNames.PurposePrefix.Length + shortest + 2} to {VaultNames.PurposePrefix.Length + longest + 1 + VaultNames.MaxNameBytes} bytes", text);
    }

    [Fact]
    public void AFlippedByteInAValueCostsThatEntryOnly()
    {
        var page = Page.Read();
        byte[] file = Hex.Decode(page.FileHex);
        var (offset, length) = EntrySpan(file, 1);
        file[offset + 4 + length - 1] ^= 0x01;
        var read = VaultFile.Deserialize(file, "vector");
        Assert.Equal(new[] { "Billing/DB", "ops/blob", "ops/settings", "Ops/Token" }, read.Entries.Select(e => e.Name));
        Assert.Equal(2, read.Damage.Count);
        Assert.Equal((1, "crm/api-key"), (read.Damage[0].Index, read.Damage[0].NameAsRead));
        Assert.Contains("checksum", read.Damage[0].What);
        Assert.Null(read.Damage[1].Index);
        Assert.Contains("file's checksum", read.Damage[1].What);
    }

    [Fact]
    public void AnEntryLengthOutOfBoundsEndsTheReading()
    {
        byte[] file = Hex.Decode(Page.Read().FileHex);
        BigEndian.WriteUInt32(file, 13, 0xffffffff);
        var read = VaultFile.Deserialize(file, "vector");
        Assert.Empty(read.Entries);
        Assert.True(read.Damage[0].EndsReading);
        Assert.Equal((0, 13), (read.Damage[0].Index, read.Damage[0].Offset));
        Assert.Contains("file's checksum", read.Damage[^1].What);
    }

    [Fact]
    public void ValuesExchangedBetweenEntriesReadAsIntactButNeverOpen()
    {
        var page = Page.Read();
        var entries = page.Entries();
        var two = entries[1];
        var three = entries[2];
        entries[1] = new VaultEntry(two.Name, two.Type, two.Created, two.Changed, two.Metadata, three.Value);
        entries[2] = new VaultEntry(three.Name, three.Type, three.Created, three.Changed, three.Metadata, two.Value);
        var read = VaultFile.Deserialize(VaultFile.Serialize(entries, "swapped"), "swapped");
        Assert.True(read.IsIntact);
        var ring = page.Ring();
        foreach (var entry in read.Entries.Skip(1).Take(2))
        {
            Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, entry.Purpose, entry.Value)).Outcome);
        }
    }

    [Fact]
    public void TheFilesOwnChecksumAloneLeavesEveryEntryIntact()
    {
        byte[] file = Hex.Decode(Page.Read().FileHex);
        file[^1] ^= 0x01;
        var read = VaultFile.Deserialize(file, "vector");
        Assert.Equal(5, read.Entries.Count);
        var damage = Assert.Single(read.Damage);
        Assert.Null(damage.Index);
    }

    [Theory]
    [InlineData(8, 0x02, "version 2")]
    [InlineData(0, (int)'X', "not a vault file")]
    [InlineData(12, 0xff, "entries")]
    public void HeaderDamageIsTheWholeFiles(int offset, int value, string said)
    {
        byte[] file = Hex.Decode(Page.Read().FileHex);
        if (offset == 12)
        {
            BigEndian.WriteUInt32(file, 9, 10001);
        }
        else
        {
            file[offset] = (byte)value;
        }

        var e = Assert.Throws<VaultException>(() => VaultFile.Deserialize(file, "vector"));
        Assert.Equal(SsoSecretFailure.VaultDamaged, e.Failure);
        Assert.Contains(said, e.Message);
    }

    [Fact]
    public void EntryRulesAreDamage()
    {
        var page = Page.Read();
        var entries = page.Entries();

        // Out of order: entries 4 and 5 exchanged, framed and sealed as a writer would.
        var outOfOrder = new List<byte>(Encoding.ASCII.GetBytes("SSOVAULT")) { 1, 0, 0, 0, 5 };
        foreach (var entry in new[] { entries[0], entries[1], entries[2], entries[4], entries[3] })
        {
            outOfOrder.AddRange(Framed(VaultFile.Fields(entry)));
        }

        var read = VaultFile.Deserialize(Sealed(outOfOrder), "vector");
        Assert.Equal(4, read.Entries.Count);
        Assert.Contains("out of order", Assert.Single(read.Damage).What);

        // A type byte of 6, changed before created, 33 metadata items: each is entry damage.
        byte[] fields = VaultFile.Fields(entries[2]);
        foreach (var (change, said) in new (Action<byte[]>, string)[]
        {
            (f => f[0] = 6, "type"),
            (f => BigEndian.WriteUInt64(f, 1 + 2 + "ops/blob".Length + 8, 0), "times"), // changed, set before created
            (f => f[1 + 2 + "ops/blob".Length + 8 + 8] = 33, "metadata"),
        })
        {
            byte[] bad = (byte[])fields.Clone();
            change(bad);
            var one = new List<byte>(Encoding.ASCII.GetBytes("SSOVAULT")) { 1, 0, 0, 0, 1 };
            one.AddRange(Framed(bad));
            var damaged = VaultFile.Deserialize(Sealed(one), "vector");
            Assert.Empty(damaged.Entries);
            Assert.Contains(said, Assert.Single(damaged.Damage).What);
        }
    }

    private static (int Offset, int Length) EntrySpan(byte[] file, int index)
    {
        int offset = VaultFile.HeaderLength;
        for (int i = 0; ; i++)
        {
            int length = (int)BigEndian.ReadUInt32(file, offset);
            if (i == index)
            {
                return (offset, length);
            }

            offset += 4 + length + 32;
        }
    }

    private static byte[] Framed(byte[] fields)
    {
        var framed = new byte[4 + fields.Length];
        BigEndian.WriteUInt32(framed, 0, (uint)fields.Length);
        fields.CopyTo(framed, 4);
        return framed.Concat(System.Security.Cryptography.SHA256.HashData(framed)).ToArray();
    }

    private static byte[] Sealed(List<byte> body) => body.Concat(System.Security.Cryptography.SHA256.HashData(body.ToArray())).ToArray();

    /// <summary>The page's vector: its fields as written, and what they make.</summary>
    internal sealed class Page
    {
        private readonly List<(string Key, string Value)> _fields;

        private Page(List<(string Key, string Value)> fields, string fileHex)
        {
            _fields = fields;
            FileHex = fileHex;
        }

        internal string FileHex { get; }

        internal static Page Read()
        {
            string text = File.ReadAllText(SpecPath).Replace("\r\n", "\n");
            var section = text[text.IndexOf("## Test vector", StringComparison.Ordinal)..];
            var blocks = Regex.Matches(section, @"```text\n(.*?)\n```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
            var fields = new List<(string, string)>();
            foreach (var block in blocks)
            {
                foreach (Match m in Regex.Matches(block, @"^([a-z0-9 ]+):[ \t]+(\S.*)$", RegexOptions.Multiline))
                {
                    fields.Add((m.Groups[1].Value.Trim(), m.Groups[2].Value.Trim()));
                }
            }

            string fileHex = Regex.Match(blocks[^1], @"^file:\n((?:[0-9a-f]+\n?)+)", RegexOptions.Multiline).Groups[1].Value.Replace("\n", string.Empty);
            Assert.NotEmpty(fileHex);
            return new Page(fields, fileHex);
        }

        internal string Field(string key) => _fields.Single(f => f.Key == key).Value;

        private IEnumerable<string> All(string key) => _fields.Where(f => f.Key == key).Select(f => f.Value);

        internal ProtectedDataKeyRing Ring() => new(new ProtectedDataKey(Guid.Parse(Field("secret id")), Hex.Decode(Field("secret"))));

        internal List<VaultEntry> Entries()
        {
            var entries = new List<VaultEntry>();
            var id = Guid.Parse(Field("secret id"));
            byte[] secret = Hex.Decode(Field("secret"));
            for (int i = 1; _fields.Any(f => f.Key == $"entry {i} name"); i++)
            {
                var type = Enum.Parse<VaultSecretType>(Field($"entry {i} type"));
                string name = Field($"entry {i} name");
                var metadata = All($"entry {i} metadata").Select(Metadata).ToList();
                metadata.Sort((a, b) => VaultNames.Compare(a.Key, b.Key));
                string value = ProtectedData.Protect(id, secret, VaultNames.Purpose(type, name), Plaintext(i), Hex.Decode(Field($"entry {i} salt")));
                entries.Add(new VaultEntry(name, type, Ms(Field($"entry {i} created")), Ms(Field($"entry {i} changed")), metadata, value));
            }

            return entries;
        }

        /// <summary>The bytes entry <paramref name="i"/>'s value is protected as, from the page's fields and its table of types.</summary>
        internal byte[] Plaintext(int i) => Field($"entry {i} type") switch
        {
            "PSCredential" => VaultValue.Credential(Utf8(Field($"entry {i} user")), Utf8(Field($"entry {i} password"))),
            "String" or "SecureString" => Utf8(Field($"entry {i} text")),
            "ByteArray" => Hex.Decode(Field($"entry {i} bytes")),
            _ => VaultValue.Table(All($"entry {i} item").Select(Item).ToList()),
        };

        private static VaultItem Item(string line)
        {
            var parts = line.Split(' ');
            var type = Enum.Parse<VaultSecretType>(parts[1]);
            byte[] data = type switch
            {
                VaultSecretType.PSCredential => VaultValue.Credential(Utf8(parts[2]), Utf8(parts[3])),
                VaultSecretType.ByteArray => Hex.Decode(parts[2]),
                _ => Utf8(parts[2]),
            };
            return new VaultItem(parts[0], type, data);
        }

        private static KeyValuePair<string, VaultMetadataValue> Metadata(string line)
        {
            var parts = line.Split(' ', 3);
            var value = parts[1] switch
            {
                "String" => VaultMetadataValue.OfText(parts[2]),
                "Int32" => VaultMetadataValue.OfNumber(int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)),
                _ => VaultMetadataValue.OfTicks(long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)),
            };
            return new KeyValuePair<string, VaultMetadataValue>(parts[0], value);
        }

        private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        private static DateTimeOffset Ms(string text) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
    }
}
