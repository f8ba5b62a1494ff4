using System;
using System.Collections.Generic;
using System.Linq;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.Vault;

namespace SsoSecret.Fuzz;

/// <summary>
/// The vault file reader (VaultFile.Deserialize, docs/vault-format.md) under the oracle discipline of the other readers:
/// it may answer only with <see cref="VaultException"/> of <see cref="SsoSecretFailure.VaultDamaged"/> (the whole file)
/// or with a document of intact entries and listed damage; it stays within its allocation bound; every intact entry is
/// canonical (its fields written again are its bytes), and an intact file is the canonical file of its entries; no
/// intact entry ever opens to a value its type cannot hold without saying so (opening, then reading the type's form,
/// fails only with the format's outcomes). Each input is read as it is and with every checksum recomputed, so that
/// mutations reach the field checks behind the checksums.
/// </summary>
internal static class VaultFuzzTarget
{
    /// <summary>What one read may allocate, over a few times the input (the entries' copies and framed bytes).</summary>
    private const long AllocationBound = 8L * 1024 * 1024;

    private static readonly Guid s_id = Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f");
    private static readonly byte[] s_secret = Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray();
    private static readonly ProtectedDataKeyRing s_ring = new(new ProtectedDataKey(s_id, s_secret));
    private static readonly List<(string Name, byte[] Data)> s_seeds = MakeSeeds();

    /// <summary>The deterministic vault seeds (every type, metadata of every kind, an empty vault), written by "write-seeds".</summary>
    internal static IReadOnlyList<(string Name, byte[] Data)> Seeds => s_seeds;

    private static List<(string Name, byte[] Data)> MakeSeeds()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
        byte[] Salt(int n) => Enumerable.Range(n * 16, 16).Select(i => (byte)i).ToArray();
        VaultEntry Entry(string name, VaultSecretType type, byte[] plaintext, int salt, params KeyValuePair<string, VaultMetadataValue>[] metadata) =>
            new(name, type, time, time.AddDays(salt), metadata.OrderBy(m => m.Key, Comparer<string>.Create(VaultNames.Compare)).ToList(), ProtectedData.Protect(s_id, s_secret, VaultNames.Purpose(type, name), plaintext, Salt(salt)));
        byte[] Utf8(string text) => StrictUtf8.Encoding.GetBytes(text);
        var entries = new List<VaultEntry>
        {
            Entry("Billing/DB", VaultSecretType.PSCredential, VaultValue.Credential(Utf8("DOMAIN\\svc"), Utf8("Pässwörd-1")), 0,
                new("app", VaultMetadataValue.OfText("billing")), new("tier", VaultMetadataValue.OfNumber(-2)), new("Rotated", VaultMetadataValue.OfTicks(639028224000000000))),
            Entry("crm/api-key", VaultSecretType.String, Utf8("k-7f3a-\u20ac"), 1),
            Entry("ops/blob", VaultSecretType.ByteArray, new byte[] { 0, 255, 16, 128 }, 2),
            Entry("ops/settings", VaultSecretType.Hashtable, VaultValue.Table(new[]
            {
                new VaultItem("Token", VaultSecretType.String, Utf8("t-1")),
                new VaultItem("svc", VaultSecretType.PSCredential, VaultValue.Credential(Utf8("u"), Utf8("p"))),
            }), 3),
            Entry("Ops/Token \U0001F511", VaultSecretType.SecureString, Utf8("\u65e5\u672c\u8a9e"), 4),
        };
        return new List<(string, byte[])>
        {
            ("vault-empty", VaultFile.Serialize(new List<VaultEntry>(), "seed")),
            ("vault-one", VaultFile.Serialize(entries.Take(1).ToList(), "seed")),
            ("vault-five", VaultFile.Serialize(entries, "seed")),
        };
    }

    /// <summary>Runs the reader on the input and on its checksums-recomputed variant. Returns the two outcomes.</summary>
    internal static string Run(byte[] input)
    {
        string outcome = Check(input);
        var fixedUp = WithChecksumsRecomputed(input);
        return fixedUp is null ? outcome : outcome + " / checksums recomputed: " + Check(fixedUp);
    }

    /// <summary>The oracle for one input: the outcome's name, or a <see cref="FuzzFindingException"/>.</summary>
    internal static string Check(byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        VaultDocument document;
        try
        {
            // The same bytes read again give the entries the reader kept from the last read (its cache), as they must.
            document = VaultFile.Deserialize(input, "fuzz");
        }
        catch (VaultException e)
        {
            if (e.Failure != SsoSecretFailure.VaultDamaged)
            {
                throw new FuzzFindingException($"the vault reader failed with {e.Failure}, not VaultDamaged");
            }

            CheckAllocation(before, input);
            return "VaultDamaged";
        }

        CheckAllocation(before, input);
        foreach (var entry in document.Entries)
        {
            // Canonical: the entry's fields written again are the bytes it was read from.
            byte[] kept = entry.Framed ?? throw new FuzzFindingException("an intact entry kept no bytes");
            entry.Framed = null;
            if (!VaultFile.Framed(entry).AsSpan().SequenceEqual(kept))
            {
                throw new FuzzFindingException($"the vault reader accepted an entry '{entry.Name}' that is not the canonical form of what it read");
            }

            Open(entry);
        }

        if (document.IsIntact && !VaultFile.Serialize(document.Entries, "again").AsSpan().SequenceEqual(input))
        {
            throw new FuzzFindingException("the vault reader found no damage in a file that is not the canonical file of its entries");
        }

        for (int i = 1; i < document.Entries.Count; i++)
        {
            if (VaultNames.Compare(document.Entries[i - 1].Name, document.Entries[i].Name) >= 0)
            {
                throw new FuzzFindingException("the vault reader gave intact entries out of order or twice");
            }
        }

        return document.IsIntact ? "read" : $"read with {document.Damage.Count} damage(s), {document.Entries.Count} intact";
    }

    /// <summary>Opens an intact entry with the seeds' secret and reads its type's form: only the format's outcomes may fail it.</summary>
    private static void Open(VaultEntry entry)
    {
        byte[] plaintext;
        try
        {
            plaintext = ProtectedData.Unprotect(s_ring, entry.Purpose, entry.Value);
        }
        catch (ProtectedDataException)
        {
            return;
        }

        try
        {
            switch (entry.Type)
            {
                case VaultSecretType.PSCredential:
                    VaultValue.SplitCredential(plaintext, out _, out _);
                    break;
                case VaultSecretType.Hashtable:
                    VaultValue.SplitTable(plaintext);
                    break;
            }
        }
        catch (FormatException)
        {
        }
    }

    private static void CheckAllocation(long before, byte[] input)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBound + (8L * input.Length))
        {
            throw new FuzzFindingException($"reading a vault file of {input.Length} bytes allocated {allocated} bytes");
        }
    }

    /// <summary>
    /// The input with every entry's checksum (as far as its framing reads) and the file's checksum recomputed, or null
    /// when it does not start like a vault file.
    /// </summary>
    internal static byte[]? WithChecksumsRecomputed(byte[] input)
    {
        if (!LooksLikeVault(input) || input.Length < VaultFile.HeaderLength + VaultFile.ChecksumLength || input.Length > VaultFile.MaxLength)
        {
            return null;
        }

        var copy = (byte[])input.Clone();
        int end = copy.Length - VaultFile.ChecksumLength;
        int offset = VaultFile.HeaderLength;
        while (offset + 4 <= end)
        {
            long length = BigEndian.ReadUInt32(copy, offset);
            if (offset + 4 + length + VaultFile.ChecksumLength > end)
            {
                break;
            }

            Buffer.BlockCopy(Primitives.Sha256(copy, offset, 4 + (int)length), 0, copy, offset + 4 + (int)length, VaultFile.ChecksumLength);
            offset += 4 + (int)length + VaultFile.ChecksumLength;
        }

        Buffer.BlockCopy(Primitives.Sha256(copy, 0, end), 0, copy, end, VaultFile.ChecksumLength);
        return copy;
    }

    /// <summary>True when the input starts like a vault file (its magic).</summary>
    internal static bool LooksLikeVault(byte[] input) =>
        input.Length >= VaultFile.Magic.Length && input.AsSpan(0, VaultFile.Magic.Length).SequenceEqual(VaultFile.Magic);
}
