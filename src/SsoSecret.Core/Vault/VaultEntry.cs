using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Codec;

namespace SsoSecret.Vault;

/// <summary>
/// The type of a vault entry's value, numbered as SecretManagement's SecretType (docs/vault-format.md, "Types").
/// </summary>
internal enum VaultSecretType : byte
{
    ByteArray = 1,
    String = 2,
    SecureString = 3,
    PSCredential = 4,
    Hashtable = 5,
}

/// <summary>The kind of a metadata value (docs/vault-format.md, "Metadata").</summary>
internal enum VaultMetadataKind : byte
{
    String = 1,
    Int32 = 2,
    DateTime = 3,
}

/// <summary>One metadata value: a string, an Int32, or a time (UTC ticks: 100 ns since 0001-01-01T00:00:00Z).</summary>
internal sealed class VaultMetadataValue : IEquatable<VaultMetadataValue>
{
    private VaultMetadataValue(VaultMetadataKind kind, string? text, int number, long ticks)
    {
        Kind = kind;
        Text = text;
        Number = number;
        Ticks = ticks;
    }

    internal VaultMetadataKind Kind { get; }

    internal string? Text { get; }

    internal int Number { get; }

    internal long Ticks { get; }

    internal static VaultMetadataValue OfText(string text) => new(VaultMetadataKind.String, text, 0, 0);

    internal static VaultMetadataValue OfNumber(int number) => new(VaultMetadataKind.Int32, null, number, 0);

    internal static VaultMetadataValue OfTicks(long utcTicks) => new(VaultMetadataKind.DateTime, null, 0, utcTicks);

    public bool Equals(VaultMetadataValue? other) =>
        other is not null && other.Kind == Kind && other.Number == Number && other.Ticks == Ticks && string.Equals(other.Text, Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as VaultMetadataValue);

    public override int GetHashCode() => (int)Kind ^ Number ^ Ticks.GetHashCode() ^ (Text is null ? 0 : StringComparer.Ordinal.GetHashCode(Text));
}

/// <summary>
/// One named secret of a vault: its name, type, times, metadata (sorted by folded key) and its value, protected data
/// (docs/protected-data-format.md) under a master secret of the store's key ring for the purpose
/// <see cref="VaultNames.Purpose"/> of its type and name. Immutable: a change is a new entry.
/// </summary>
internal sealed class VaultEntry
{
    internal VaultEntry(string name, VaultSecretType type, DateTimeOffset created, DateTimeOffset changed, IReadOnlyList<KeyValuePair<string, VaultMetadataValue>> metadata, string value)
    {
        Name = name;
        Type = type;
        Created = created;
        Changed = changed;
        Metadata = metadata;
        Value = value;
        SecretId = ProtectedData.ReadHeader(value).SecretId;
    }

    internal string Name { get; }

    internal VaultSecretType Type { get; }

    internal DateTimeOffset Created { get; }

    internal DateTimeOffset Changed { get; }

    internal IReadOnlyList<KeyValuePair<string, VaultMetadataValue>> Metadata { get; }

    /// <summary>The protected-data text of the value.</summary>
    internal string Value { get; }

    /// <summary>The master secret the value is protected under (read from the value without any key).</summary>
    internal Guid SecretId { get; }

    internal string Purpose => VaultNames.Purpose(Type, Name);

    /// <summary>The entry's bytes in a file (length, fields, checksum), once made or read: <see cref="VaultFile.Framed"/>.</summary>
    internal byte[]? Framed { get; set; }

    internal VaultEntry WithValue(string value, DateTimeOffset changed) => new(Name, Type, Created, changed, Metadata, value);

    internal VaultEntry WithMetadata(IReadOnlyList<KeyValuePair<string, VaultMetadataValue>> metadata) => new(Name, Type, Created, Changed, metadata, Value);
}

/// <summary>
/// The rules of entry names and metadata keys (docs/vault-format.md, "Names"): the rules of a purpose, at most
/// <see cref="MaxNameBytes"/> bytes; compared with ASCII letters folded to lower case, ordered by the folded UTF-8 bytes.
/// </summary>
internal static class VaultNames
{
    internal const int MaxNameBytes = 200;
    internal const int MaxKeyBytes = 64;
    internal const string PurposePrefix = "ssosecret.vault/";

    /// <summary>What is wrong with an entry name (or a metadata or hashtable key, with <paramref name="maxBytes"/>), or null.</summary>
    internal static string? Check(string? name, string what, int maxBytes = MaxNameBytes)
    {
        if (ProtectedData.CheckPurpose(name) is string problem)
        {
            // The purpose's wording, with what is named instead.
            return problem.Replace("The purpose", what).Replace("a purpose is compared exactly", "it is compared exactly").Replace("give what the value is for, such as 'billing/db-password'", "give a name");
        }

        int bytes = StrictUtf8.Encoding.GetByteCount(name!);
        return bytes > maxBytes ? $"{what} is {bytes} bytes long in UTF-8; at most {maxBytes} are allowed." : null;
    }

    /// <summary>The purpose an entry's value is protected for: "ssosecret.vault/" + type name + "/" + entry name.</summary>
    internal static string Purpose(VaultSecretType type, string name) => PurposePrefix + type + "/" + name;

    /// <summary>The name with ASCII A-Z mapped to a-z, and nothing else changed.</summary>
    internal static string Fold(string name)
    {
        var folded = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            folded.Append(c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
        }

        return folded.ToString();
    }

    /// <summary>Orders two names (or keys) by the UTF-8 bytes of their folded forms; 0 means they are the same name.</summary>
    internal static int Compare(string a, string b)
    {
        byte[] x = StrictUtf8.Encoding.GetBytes(Fold(a));
        byte[] y = StrictUtf8.Encoding.GetBytes(Fold(b));
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            if (x[i] != y[i])
            {
                return x[i] - y[i];
            }
        }

        return x.Length - y.Length;
    }

    internal static bool Same(string a, string b) => Compare(a, b) == 0;
}
