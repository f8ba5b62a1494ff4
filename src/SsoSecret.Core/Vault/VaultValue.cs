using System;
using System.Collections.Generic;
using SsoSecret.Codec;

namespace SsoSecret.Vault;

/// <summary>One item of a hashtable value: its key, its type (not a hashtable) and its value's bytes.</summary>
internal sealed class VaultItem
{
    internal VaultItem(string key, VaultSecretType type, byte[] data)
    {
        Key = key;
        Type = type;
        Data = data;
    }

    internal string Key { get; }

    internal VaultSecretType Type { get; }

    /// <summary>The item's bytes, encoded as a value of its type; the owner zeroes them.</summary>
    internal byte[] Data { get; }
}

/// <summary>
/// The bytes a value is protected as (docs/vault-format.md, "Values"): a byte array as it is, text as UTF-8, a
/// credential as its user name's length and UTF-8 then its password's UTF-8, a hashtable as its items sorted by
/// folded key. The callers zero every array they get.
/// </summary>
internal static class VaultValue
{
    internal const int MaxItems = 256;

    /// <summary>A credential's bytes: u16 length of the user name's UTF-8, the user name, the password's UTF-8.</summary>
    internal static byte[] Credential(byte[] userName, byte[] password)
    {
        if (userName.Length > ushort.MaxValue)
        {
            throw new ArgumentException("The user name is too long.", nameof(userName));
        }

        var data = new byte[2 + userName.Length + password.Length];
        BigEndian.WriteUInt16(data, 0, userName.Length);
        Buffer.BlockCopy(userName, 0, data, 2, userName.Length);
        Buffer.BlockCopy(password, 0, data, 2 + userName.Length, password.Length);
        return data;
    }

    /// <summary>Splits a credential's bytes; <see cref="FormatException"/> when they are not one.</summary>
    internal static void SplitCredential(byte[] data, out byte[] userName, out byte[] password)
    {
        if (data.Length < 2 || 2 + BigEndian.ReadUInt16(data, 0) > data.Length)
        {
            throw new FormatException("its value is not a credential's bytes");
        }

        int length = BigEndian.ReadUInt16(data, 0);
        userName = Memory.Slice(data, 2, length);
        password = Memory.Slice(data, 2 + length, data.Length - 2 - length);
    }

    /// <summary>
    /// A hashtable's bytes: u16 count, then each item in the order of its folded key: u16 key length, the key's UTF-8,
    /// u8 type, u32 length, the value's bytes. Keys follow the rules of names; two keys that fold alike are refused.
    /// </summary>
    internal static byte[] Table(IReadOnlyList<VaultItem> items)
    {
        if (items.Count > MaxItems)
        {
            throw new ArgumentException($"A hashtable in a vault holds at most {MaxItems} items.", nameof(items));
        }

        var sorted = new List<VaultItem>(items);
        sorted.Sort((a, b) => VaultNames.Compare(a.Key, b.Key));
        using var writer = new ByteWriter();
        writer.UInt16(sorted.Count);
        for (int i = 0; i < sorted.Count; i++)
        {
            if (i > 0 && VaultNames.Same(sorted[i - 1].Key, sorted[i].Key))
            {
                throw new ArgumentException($"The hashtable holds the keys '{sorted[i - 1].Key}' and '{sorted[i].Key}', which a vault takes for one.", nameof(items));
            }

            if (sorted[i].Type == VaultSecretType.Hashtable)
            {
                throw new ArgumentException("A hashtable in a vault holds no hashtable.", nameof(items));
            }

            byte[] key = StrictUtf8.Encoding.GetBytes(sorted[i].Key);
            writer.UInt16(key.Length);
            writer.Bytes(key);
            writer.Byte((byte)sorted[i].Type);
            writer.UInt32((uint)sorted[i].Data.Length);
            writer.Bytes(sorted[i].Data);
        }

        return writer.ToArray();
    }

    /// <summary>Splits a hashtable's bytes; <see cref="FormatException"/> when they are not one, as <see cref="Table"/> writes.</summary>
    internal static List<VaultItem> SplitTable(byte[] data)
    {
        var reader = new ByteReader(data, reason => new FormatException("its value is not a hashtable's bytes (" + reason + ")"));
        int count = reader.UInt16();
        if (count > MaxItems)
        {
            throw new FormatException($"its value counts {count} items, more than {MaxItems}");
        }

        var items = new List<VaultItem>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                string key;
                try
                {
                    key = StrictUtf8.Encoding.GetString(reader.Bytes(reader.UInt16()));
                }
                catch (System.Text.DecoderFallbackException)
                {
                    throw new FormatException("a key of its value is not UTF-8");
                }

                if (VaultNames.Check(key, "A key of its value") is string bad || (i > 0 && VaultNames.Compare(items[i - 1].Key, key) >= 0))
                {
                    throw new FormatException("the keys of its value break the rules (order, twice, or a key's text)");
                }

                byte type = reader.Byte();
                if (type < (byte)VaultSecretType.ByteArray || type > (byte)VaultSecretType.PSCredential)
                {
                    throw new FormatException($"an item of its value has type {type}");
                }

                uint length = reader.UInt32();
                if (length > data.Length)
                {
                    throw new FormatException("an item of its value is longer than the value");
                }

                items.Add(new VaultItem(key, (VaultSecretType)type, reader.Bytes((int)length)));
            }

            if (!reader.AtEnd)
            {
                throw new FormatException("its value has bytes after its last item");
            }

            return items;
        }
        catch
        {
            foreach (var item in items)
            {
                Memory.Zero(item.Data);
            }

            throw;
        }
    }
}
