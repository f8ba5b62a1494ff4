using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret.Vault;

/// <summary>Damage found in a vault file: where, which entry (as far as its name can be read), and what.</summary>
internal sealed class VaultDamage
{
    internal VaultDamage(int? index, int offset, string? nameAsRead, string what, bool endsReading = false)
    {
        EndsReading = endsReading;
        Index = index;
        Offset = offset;
        NameAsRead = nameAsRead;
        What = what;
    }

    /// <summary>The entry's position in the file (0 first), or null for damage outside any entry.</summary>
    internal int? Index { get; }

    /// <summary>The byte offset where the damaged part starts.</summary>
    internal int Offset { get; }

    /// <summary>The entry's name as the damaged bytes read, or null when it cannot be read.</summary>
    internal string? NameAsRead { get; }

    internal string What { get; }

    /// <summary>Whether the part after this damage could not be read at all (entries may be lost in it).</summary>
    internal bool EndsReading { get; }

    public override string ToString()
    {
        string where = Index is null ? $"at byte {Offset}" : NameAsRead is null ? $"entry {Index + 1} (at byte {Offset}, its name unreadable)" : $"entry {Index + 1} '{NameAsRead}' (at byte {Offset})";
        return $"{where}: {What}";
    }
}

/// <summary>A vault as read: its intact entries in file order (sorted by folded name), and any damage found.</summary>
internal sealed class VaultDocument
{
    internal VaultDocument(List<VaultEntry> entries, List<VaultDamage> damage)
    {
        Entries = entries;
        Damage = damage;
    }

    internal static VaultDocument Empty() => new(new List<VaultEntry>(), new List<VaultDamage>());

    internal List<VaultEntry> Entries { get; }

    internal List<VaultDamage> Damage { get; }

    internal bool IsIntact => Damage.Count == 0;

    /// <summary>The intact entry of this name (ASCII letters folded), or null.</summary>
    internal VaultEntry? Find(string name)
    {
        int index = IndexOf(name);
        return index >= 0 ? Entries[index] : null;
    }

    /// <summary>The index of the intact entry of this name, or the bitwise complement of where it would go.</summary>
    internal int IndexOf(string name)
    {
        int low = 0;
        int high = Entries.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            int order = VaultNames.Compare(Entries[middle].Name, name);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    /// <summary>Puts an entry in its place, replacing an entry of the same name.</summary>
    internal void Put(VaultEntry entry)
    {
        int index = IndexOf(entry.Name);
        if (index >= 0)
        {
            Entries[index] = entry;
        }
        else
        {
            Entries.Insert(~index, entry);
        }
    }
}

/// <summary>
/// The vault file's format (docs/vault-format.md, its specification; the tests hold the two together): a header, the
/// entries sorted by folded name, each with its own SHA-256, and the file's SHA-256. A reader finds damage entry by
/// entry, so that a flipped byte costs at most the entry it is in, and is named.
/// </summary>
internal static class VaultFile
{
    internal const byte Version = 1;
    internal const int MaxEntries = 10000;
    internal const int MaxMetadata = 32;
    internal const int MaxMetadataTextBytes = 1024;

    /// <summary>The largest vault file a reader reads, and a writer writes (the entries' own bound is lower: room for every entry at its largest would be 550 MB).</summary>
    internal const int MaxLength = 64 * 1024 * 1024;

    internal const int HeaderLength = 8 + 1 + 4;
    internal const int ChecksumLength = Primitives.Sha256Length;

    /// <summary>The smallest entry's fields: type, an empty name's length (never valid, but framing allows it), two times, no metadata, the shortest value.</summary>
    internal const int MinFieldsLength = 1 + 2 + 8 + 8 + 1 + 2 + ProtectedData.MinTextLength;

    /// <summary>The largest entry's fields: the longest name, the most metadata of the longest keys and texts, the longest value.</summary>
    internal const int MaxFieldsLength = 1 + 2 + VaultNames.MaxNameBytes + 8 + 8 + 1 + (MaxMetadata * (2 + VaultNames.MaxKeyBytes + 1 + 2 + MaxMetadataTextBytes)) + 2 + ProtectedData.MaxTextLength;

    /// <summary>The latest time a field may hold: 9999-12-31T23:59:59.999Z, in milliseconds since 1970.</summary>
    internal const long MaxTime = 253402300799999;

    internal static readonly byte[] Magic = Encoding.ASCII.GetBytes("SSOVAULT");

    /// <summary>
    /// Reads a vault file. Damage in the header is a <see cref="SsoSecretFailure.VaultDamaged"/> failure (nothing can be read);
    /// damage in an entry or after the entries is listed in the result, and every intact entry is kept.
    /// </summary>
    internal static VaultDocument Deserialize(byte[] data, string path)
    {
        // A vault file is read whole at every Get-Secret; the entries of the last file read at this path are kept, and
        // a file of exactly the same bytes gives them again (a copy of the list: the caller may change it) without
        // parsing them again. The entries hold no secret (only protected text), and nothing but the bytes decides.
        lock (s_lastRead)
        {
            if (s_lastRead.TryGetValue(path, out var last) && SameBytes(last.Data, data))
            {
                return new VaultDocument(new List<VaultEntry>(last.Document.Entries), new List<VaultDamage>(last.Document.Damage));
            }
        }

        var document = Parse(data, path);
        Keep(path, data, document);
        return document;
    }

    /// <summary>How many paths' last files are kept (a process uses one or two vaults; a fuzzer or a test many).</summary>
    private const int KeptPaths = 16;

    private static void Keep(string path, byte[] data, VaultDocument document)
    {
        lock (s_lastRead)
        {
            if (s_lastRead.Count >= KeptPaths && !s_lastRead.ContainsKey(path))
            {
                s_lastRead.Clear();
            }

            s_lastRead[path] = ((byte[])data.Clone(), new VaultDocument(new List<VaultEntry>(document.Entries), new List<VaultDamage>(document.Damage)));
        }
    }

    private static readonly Dictionary<string, (byte[] Data, VaultDocument Document)> s_lastRead = new(StringComparer.Ordinal);

    /// <summary>
    /// After a write: the file at <paramref name="path"/> now holds <paramref name="data"/>, the file of
    /// <paramref name="entries"/>, so the next read of those same bytes need not parse them again.
    /// </summary>
    internal static void Remember(string path, byte[] data, IReadOnlyList<VaultEntry> entries) =>
        Keep(path, data, new VaultDocument(new List<VaultEntry>(entries), new List<VaultDamage>()));

    private static bool SameBytes(byte[] a, byte[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads a vault file as <see cref="Deserialize"/> does, without its cache (neither used nor filled).</summary>
    internal static VaultDocument Parse(byte[] data, string path)
    {
        if (data.Length > MaxLength)
        {
            throw Whole(path, $"it is larger than any vault file ({MaxLength} bytes at most)");
        }

        if (data.Length < Magic.Length || !StartsWith(data, Magic))
        {
            throw Whole(path, "it is not a vault file (it does not start with SSOVAULT)");
        }

        if (data.Length < HeaderLength + ChecksumLength)
        {
            throw Whole(path, "it is cut short");
        }

        if (data[8] != Version)
        {
            throw Whole(path, $"it is vault format version {data[8]}, which this version of SsoSecret does not read (it reads version {Version}); use a newer SsoSecret");
        }

        uint count = BigEndian.ReadUInt32(data, 9);
        if (count > MaxEntries)
        {
            throw Whole(path, $"its header counts {count} entries, more than a vault holds ({MaxEntries})");
        }

        var entries = new List<VaultEntry>();
        var damage = new List<VaultDamage>();
        int end = data.Length - ChecksumLength;
        int offset = HeaderLength;
        for (int i = 0; i < count; i++)
        {
            long length = offset + 4 <= end ? BigEndian.ReadUInt32(data, offset) : -1;
            if (length < MinFieldsLength || length > MaxFieldsLength || offset + 4 + length + ChecksumLength > end)
            {
                damage.Add(new VaultDamage(i, offset, null, length < 0
                    ? $"the file ends where this entry should start; the {count - i} entries from here on cannot be read"
                    : $"its length field ({length}) is out of bounds; the {count - i} entries from here on cannot be read", endsReading: true));
                offset = end;
                break;
            }

            int fieldsEnd = offset + 4 + (int)length;
            byte[] checksum = Primitives.Sha256(data, offset, 4 + (int)length);
            if (!Primitives.FixedTimeEquals(checksum, 0, data, fieldsEnd, ChecksumLength))
            {
                damage.Add(new VaultDamage(i, offset, NameAsRead(data, offset + 4, fieldsEnd), "its checksum does not match its content (a byte was changed)"));
            }
            else
            {
                try
                {
                    var entry = ReadFields(data, offset + 4, fieldsEnd);
                    entry.Framed = Memory.Slice(data, offset, 4 + (int)length + ChecksumLength);
                    if (entries.Count > 0 && VaultNames.Compare(entries[entries.Count - 1].Name, entry.Name) >= 0)
                    {
                        damage.Add(new VaultDamage(i, offset, entry.Name, "it is out of order or its name is there twice (the entries are sorted by name)"));
                    }
                    else
                    {
                        entries.Add(entry);
                    }
                }
                catch (FormatException e)
                {
                    damage.Add(new VaultDamage(i, offset, NameAsRead(data, offset + 4, fieldsEnd), e.Message));
                }
            }

            offset = fieldsEnd + ChecksumLength;
        }

        if (offset != end)
        {
            damage.Add(new VaultDamage(null, offset, null, $"{end - offset} bytes follow the last entry the header counts", endsReading: true));
        }

        byte[] fileChecksum = Primitives.Sha256(data, 0, end);
        if (!Primitives.FixedTimeEquals(fileChecksum, 0, data, end, ChecksumLength))
        {
            damage.Add(new VaultDamage(null, end, null, "the file's checksum does not match its content (its entry count, or an entry's place, or the checksum itself was changed)"));
        }

        return new VaultDocument(entries, damage);
    }

    /// <summary>
    /// The file of these entries. They must be sorted by folded name, each name once, and within the bounds: a state the
    /// reader would refuse is never written. A file larger than <see cref="MaxLength"/> is <see cref="SsoSecretFailure.VaultFull"/>.
    /// </summary>
    internal static byte[] Serialize(IReadOnlyList<VaultEntry> entries, string path)
    {
        if (entries.Count > MaxEntries)
        {
            throw Full(path, $"it would hold {entries.Count} entries; a vault holds at most {MaxEntries}");
        }

        using var writer = new ByteWriter();
        writer.Bytes(Magic);
        writer.Byte(Version);
        writer.UInt32((uint)entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0 && VaultNames.Compare(entries[i - 1].Name, entries[i].Name) >= 0)
            {
                throw new InvalidOperationException("The vault's entries are out of order or a name is there twice; nothing was written.");
            }

            writer.Bytes(Framed(entries[i]));
        }

        byte[] body = writer.ToArray();
        if (body.Length + ChecksumLength > MaxLength)
        {
            throw Full(path, $"its file would be {body.Length + ChecksumLength} bytes long; a vault file is at most {MaxLength}");
        }

        byte[] file = new byte[body.Length + ChecksumLength];
        Buffer.BlockCopy(body, 0, file, 0, body.Length);
        Buffer.BlockCopy(Primitives.Sha256(body, 0, body.Length), 0, file, body.Length, ChecksumLength);
        return file;
    }

    /// <summary>
    /// An entry as the file holds it: its length, its fields and their checksum. Made once per entry (entries do not
    /// change), or kept from the file the entry was read from, so that a write of a large vault does not encode every
    /// entry again.
    /// </summary>
    internal static byte[] Framed(VaultEntry entry)
    {
        if (entry.Framed is byte[] kept)
        {
            return kept;
        }

        byte[] fields = Fields(entry);
        byte[] framed = new byte[4 + fields.Length + ChecksumLength];
        BigEndian.WriteUInt32(framed, 0, (uint)fields.Length);
        Buffer.BlockCopy(fields, 0, framed, 4, fields.Length);
        Buffer.BlockCopy(Primitives.Sha256(framed, 0, 4 + fields.Length), 0, framed, 4 + fields.Length, ChecksumLength);
        entry.Framed = framed;
        return framed;
    }

    /// <summary>An entry's fields (docs/vault-format.md, "Entry"), checked as the reader checks them.</summary>
    internal static byte[] Fields(VaultEntry entry)
    {
        if (VaultNames.Check(entry.Name, "The name") is string bad)
        {
            throw new InvalidOperationException(bad);
        }

        using var writer = new ByteWriter();
        writer.Byte((byte)entry.Type);
        byte[] name = StrictUtf8.Encoding.GetBytes(entry.Name);
        writer.UInt16(name.Length);
        writer.Bytes(name);
        writer.Int64(Time(entry.Created));
        writer.Int64(Time(entry.Changed));
        if (entry.Metadata.Count > MaxMetadata || Time(entry.Created) > Time(entry.Changed))
        {
            throw new InvalidOperationException("An entry breaks the vault file's rules (metadata count or times); nothing was written.");
        }

        writer.Byte((byte)entry.Metadata.Count);
        for (int i = 0; i < entry.Metadata.Count; i++)
        {
            var item = entry.Metadata[i];
            string? badKey = VaultNames.Check(item.Key, "A metadata key", VaultNames.MaxKeyBytes)
                ?? (i > 0 && VaultNames.Compare(entry.Metadata[i - 1].Key, item.Key) >= 0 ? "keys out of order or twice" : null);
            if (badKey is not null)
            {
                throw new InvalidOperationException($"The metadata of an entry breaks the vault file's rules ({badKey}); nothing was written.");
            }

            byte[] key = StrictUtf8.Encoding.GetBytes(item.Key);
            writer.UInt16(key.Length);
            writer.Bytes(key);
            writer.Byte((byte)item.Value.Kind);
            switch (item.Value.Kind)
            {
                case VaultMetadataKind.String:
                    byte[] text = StrictUtf8.Encoding.GetBytes(item.Value.Text!);
                    if (text.Length > MaxMetadataTextBytes)
                    {
                        throw new InvalidOperationException("A metadata text is too long; nothing was written.");
                    }

                    writer.UInt16(text.Length);
                    writer.Bytes(text);
                    break;
                case VaultMetadataKind.Int32:
                    writer.UInt32(unchecked((uint)item.Value.Number));
                    break;
                default:
                    writer.Int64(item.Value.Ticks);
                    break;
            }
        }

        byte[] value = Encoding.ASCII.GetBytes(entry.Value);
        writer.UInt16(value.Length);
        writer.Bytes(value);
        return writer.ToArray();
    }

    private static VaultEntry ReadFields(byte[] data, int start, int end)
    {
        var reader = new ByteReader(Memory.Slice(data, start, end - start), reason => new FormatException(reason));
        byte type = reader.Byte();
        if (type < (byte)VaultSecretType.ByteArray || type > (byte)VaultSecretType.Hashtable)
        {
            throw new FormatException($"its type ({type}) is not one of the five a vault holds");
        }

        string name = Text(reader, reader.UInt16(), "its name");
        if (VaultNames.Check(name, "its name") is string badName)
        {
            throw new FormatException(badName);
        }

        long created = reader.Int64();
        long changed = reader.Int64();
        if (created < 0 || changed > MaxTime || created > changed)
        {
            throw new FormatException("its times are out of bounds (before 1970, after 9999, or changed before created)");
        }

        int count = reader.Byte();
        if (count > MaxMetadata)
        {
            throw new FormatException($"it has {count} metadata items, more than {MaxMetadata}");
        }

        var metadata = new List<KeyValuePair<string, VaultMetadataValue>>(count);
        for (int i = 0; i < count; i++)
        {
            string key = Text(reader, reader.UInt16(), "a metadata key");
            if (VaultNames.Check(key, "a metadata key", VaultNames.MaxKeyBytes) is string badKey)
            {
                throw new FormatException(badKey);
            }

            if (i > 0 && VaultNames.Compare(metadata[i - 1].Key, key) >= 0)
            {
                throw new FormatException("its metadata keys are out of order or one is there twice");
            }

            byte kind = reader.Byte();
            VaultMetadataValue value = kind switch
            {
                (byte)VaultMetadataKind.String => MetadataText(reader),
                (byte)VaultMetadataKind.Int32 => VaultMetadataValue.OfNumber(unchecked((int)reader.UInt32())),
                (byte)VaultMetadataKind.DateTime => MetadataTime(reader.Int64()),
                _ => throw new FormatException($"a metadata value has kind {kind}, which is none of string (1), Int32 (2), DateTime (3)"),
            };
            metadata.Add(new KeyValuePair<string, VaultMetadataValue>(key, value));
        }

        int valueLength = reader.UInt16();
        byte[] valueBytes = reader.Bytes(valueLength);
        if (!reader.AtEnd)
        {
            throw new FormatException("its fields end before its length says");
        }

        string text = Encoding.ASCII.GetString(valueBytes);
        try
        {
            return new VaultEntry(name, (VaultSecretType)type, FromTime(created), FromTime(changed), metadata, text);
        }
        catch (ProtectedDataException e)
        {
            throw new FormatException($"its value is not protected data that can be read ({e.Message})");
        }
    }

    private static VaultMetadataValue MetadataText(ByteReader reader)
    {
        int length = reader.UInt16();
        if (length > MaxMetadataTextBytes)
        {
            throw new FormatException($"a metadata text is {length} bytes long, more than {MaxMetadataTextBytes}");
        }

        return VaultMetadataValue.OfText(Text(reader, length, "a metadata text"));
    }

    private static VaultMetadataValue MetadataTime(long ticks) =>
        ticks < 0 || ticks > DateTime.MaxValue.Ticks ? throw new FormatException("a metadata time is out of bounds") : VaultMetadataValue.OfTicks(ticks);

    private static string Text(ByteReader reader, int length, string what)
    {
        try
        {
            return StrictUtf8.Encoding.GetString(reader.Bytes(length));
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"{what} is not UTF-8");
        }
    }

    /// <summary>The name an entry's bytes hold, if they hold one that reads as UTF-8; for naming damage only.</summary>
    private static string? NameAsRead(byte[] data, int start, int end)
    {
        if (end - start < 3)
        {
            return null;
        }

        int length = BigEndian.ReadUInt16(data, start + 1);
        if (length == 0 || length > VaultNames.MaxNameBytes || start + 3 + length > end)
        {
            return null;
        }

        try
        {
            string name = StrictUtf8.Encoding.GetString(data, start + 3, length);
            return VaultNames.Check(name, "The name") is null ? name : null;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    internal static long Time(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    internal static DateTimeOffset FromTime(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static bool StartsWith(byte[] data, byte[] prefix)
    {
        for (int i = 0; i < prefix.Length; i++)
        {
            if (data[i] != prefix[i])
            {
                return false;
            }
        }

        return true;
    }

    private static VaultException Whole(string path, string why) => new(
        SsoSecretFailure.VaultDamaged,
        $"The vault file '{path}' is damaged: {why}. No entry of it can be read.",
        path: path)
    {
        RecommendedAction = "Repair the vault (Repair-SsoVault keeps the damaged file aside and starts an empty vault), then import its last export (Import-SsoVault -Path <file>).",
    };

    private static VaultException Full(string path, string why) => new(
        SsoSecretFailure.VaultFull,
        $"The vault '{path}' cannot take this change: {why}. Nothing was changed.",
        path: path);
}
