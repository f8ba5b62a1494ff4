using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Vault;

namespace SsoSecret;

/// <summary>What a rotation did to the vault: how many entries it moved to the new current secret, or why it left them.</summary>
internal sealed class VaultRewrap
{
    internal VaultRewrap(int moved, string? leftBecause)
    {
        Moved = moved;
        LeftBecause = leftBecause;
    }

    internal static VaultRewrap None { get; } = new(0, null);

    internal int Moved { get; }

    /// <summary>Why entries were left under an earlier secret (which the ring keeps, so they still open), or null.</summary>
    internal string? LeftBecause { get; }
}

/// <summary>What a repair did: where the damaged file is kept, the entries kept, and the damage left behind in the copy.</summary>
internal sealed class VaultRepair
{
    internal VaultRepair(string damagedCopy, List<string> kept, List<string> damage)
    {
        DamagedCopy = damagedCopy;
        Kept = kept;
        Damage = damage;
    }

    internal string DamagedCopy { get; }

    internal List<string> Kept { get; }

    internal List<string> Damage { get; }
}

/// <summary>What an import did: the entries it added, and those the vault already held with the same value.</summary>
internal sealed class VaultImport
{
    internal List<string> Added { get; } = new();

    internal List<string> Unchanged { get; } = new();
}

/// <summary>
/// The store's vault: named secrets kept in vault.dat beside the store file (docs/vault-format.md), each value
/// protected under a secret of the key ring for a purpose made of its type and name. Reads need no lock (the file is
/// replaced whole); every change is made under the store's lock, from the vault as it is then.
/// </summary>
internal sealed partial class MasterSecretStore
{
    internal const string VaultFileName = "vault.dat";

    internal string VaultPath => System.IO.Path.Combine(Path, VaultFileName);

    /// <summary>The vault as it is: an empty one when there is no file; damage in entries is listed, not thrown.</summary>
    internal VaultDocument ReadVault()
    {
        byte[]? data = ReadStoreFile(VaultPath, VaultFile.MaxLength);
        return data is null ? VaultDocument.Empty() : VaultFile.Deserialize(data, VaultPath);
    }

    /// <summary>How many entries of the vault each master secret protects (intact entries only).</summary>
    internal Dictionary<Guid, int> VaultCounts(VaultDocument vault)
    {
        var counts = new Dictionary<Guid, int>();
        foreach (var entry in vault.Entries)
        {
            counts[entry.SecretId] = counts.TryGetValue(entry.SecretId, out int n) ? n + 1 : 1;
        }

        return counts;
    }

    /// <summary>
    /// Opens the entry of this name: null when the vault has no such entry and is intact. An entry in a damaged part of
    /// the file fails with the damage; a value that does not open for its name and type fails naming the entry. The
    /// caller zeroes the plaintext.
    /// </summary>
    internal byte[]? OpenVaultEntry(string name, out VaultEntry? entry)
    {
        CheckName(name);

        // No lock: the store first, then the vault. A rotation between the two reads has moved the entry to a secret
        // the store read before it did not hold yet, so that case reads the store once more; a retirement between them
        // has moved the entry to the current secret, which both reads hold.
        var state = Read();
        try
        {
            var vault = ReadVault();
            entry = vault.Find(name);
            if (entry is null)
            {
                if (!vault.IsIntact)
                {
                    throw NotAmongIntact(vault, name);
                }

                return null;
            }

            if (state.Find(entry.SecretId) is null)
            {
                state.Dispose();
                state = Read();
            }

            return Open(state, entry);
        }
        finally
        {
            state.Dispose();
        }
    }

    /// <summary>Set-Secret: puts a value under this name (a new entry, or a new value of the entry, keeping its created time and, when <paramref name="metadata"/> is null, its metadata).</summary>
    internal VaultEntry SetVaultEntry(string name, VaultSecretType type, byte[] plaintext, IReadOnlyList<KeyValuePair<string, VaultMetadataValue>>? metadata)
    {
        CheckName(name);
        if (plaintext.Length > ProtectedData.MaxPlaintextLength)
        {
            throw new VaultException(SsoSecretFailure.ValueTooLarge, $"The value for the vault entry '{name}' is {plaintext.Length} bytes long as stored; a vault entry holds at most {ProtectedData.MaxPlaintextLength}. Nothing was changed.", name, VaultPath);
        }

        using var heldLock = Lock();
        using var state = Read();
        RefuseVaultChangeOnReplica(state);
        var ring = state.KeyRing(Path);
        var vault = RequireIntact(ReadVault(), "nothing was changed");
        var existing = vault.Find(name);
        if (existing is null && vault.Entries.Count >= VaultFile.MaxEntries)
        {
            throw new VaultException(SsoSecretFailure.VaultFull, $"The vault '{VaultPath}' holds {vault.Entries.Count} entries, as many as it can; the entry '{name}' was not added.", name, VaultPath);
        }

        var now = Now();
        var created = existing?.Created ?? now;
        var entry = new VaultEntry(
            name,
            type,
            created,
            now < created ? created : now,
            metadata ?? existing?.Metadata ?? Array.Empty<KeyValuePair<string, VaultMetadataValue>>(),
            ProtectedData.Protect(ring, VaultNames.Purpose(type, name), plaintext));
        vault.Put(entry);
        WriteVault(heldLock, state, vault);
        return entry;
    }

    /// <summary>Set-SecretInfo: replaces an entry's metadata (the value is not touched).</summary>
    internal void SetVaultMetadata(string name, IReadOnlyList<KeyValuePair<string, VaultMetadataValue>> metadata)
    {
        CheckName(name);
        using var heldLock = Lock();
        using var state = Read();
        RefuseVaultChangeOnReplica(state);
        var vault = RequireIntact(ReadVault(), "nothing was changed");
        var entry = vault.Find(name) ?? throw NotFound(name);
        vault.Put(entry.WithMetadata(metadata));
        WriteVault(heldLock, state, vault);
    }

    /// <summary>Remove-Secret: removes the entry of this name.</summary>
    internal void RemoveVaultEntry(string name)
    {
        CheckName(name);
        using var heldLock = Lock();
        using var state = Read();
        RefuseVaultChangeOnReplica(state);
        var vault = RequireIntact(ReadVault(), "nothing was removed");
        int index = vault.IndexOf(name);
        if (index < 0)
        {
            throw NotFound(name);
        }

        vault.Entries.RemoveAt(index);
        WriteVault(heldLock, state, vault);
    }

    /// <summary>The vault file's bytes as they are (an intact vault only), for an export.</summary>
    internal byte[] ExportVault(out int entries)
    {
        var vault = RequireIntact(ReadVault(), "nothing was exported");
        entries = vault.Entries.Count;
        return VaultFile.Serialize(vault.Entries, VaultPath);
    }

    /// <summary>
    /// Import-SsoVault's transaction: every entry of <paramref name="source"/> must open with the store's key ring, and
    /// an entry the vault holds under the same name must hold the same type and value; else nothing is imported
    /// (<see cref="SsoSecretFailure.UnknownSecret"/> naming the secrets to restore first, or
    /// <see cref="SsoSecretFailure.VaultEntryConflict"/> naming the entries). New entries are protected again under the
    /// current secret, keeping their times and metadata. With <paramref name="check"/> only, nothing is written.
    /// </summary>
    internal VaultImport ImportVault(VaultDocument source, string sourcePath, bool check)
    {
        if (!source.IsIntact)
        {
            throw new VaultException(
                SsoSecretFailure.VaultDamaged,
                $"The vault file '{sourcePath}' is damaged ({string.Join("; ", source.Damage)}); nothing was imported.",
                path: sourcePath);
        }

        using var heldLock = Lock();
        using var state = Read();
        RefuseVaultChangeOnReplica(state);
        var ring = state.KeyRing(Path);
        var vault = RequireIntact(ReadVault(), "nothing was imported");
        var result = new VaultImport();
        var missing = new SortedDictionary<Guid, List<string>>();
        var conflicts = new List<string>();
        var added = new List<VaultEntry>();
        foreach (var entry in source.Entries)
        {
            if (ring.Find(entry.SecretId) is null)
            {
                if (!missing.TryGetValue(entry.SecretId, out var names))
                {
                    missing[entry.SecretId] = names = new List<string>();
                }

                names.Add(entry.Name);
                continue;
            }

            byte[] plaintext = Open(state, entry, sourcePath);
            try
            {
                var held = vault.Find(entry.Name);
                if (held is null)
                {
                    added.Add(entry.WithValue(ProtectedData.Protect(ring, entry.Purpose, plaintext), entry.Changed));
                    result.Added.Add(entry.Name);
                    continue;
                }

                byte[] mine = Open(state, held);
                try
                {
                    if (held.Type == entry.Type && mine.Length == plaintext.Length && Primitives.FixedTimeEquals(mine, 0, plaintext, 0, mine.Length))
                    {
                        result.Unchanged.Add(entry.Name);
                    }
                    else
                    {
                        conflicts.Add(entry.Name);
                    }
                }
                finally
                {
                    Memory.Zero(mine);
                }
            }
            finally
            {
                Memory.Zero(plaintext);
            }
        }

        if (missing.Count > 0)
        {
            string needs = string.Join("; ", missing.Select(m => $"master secret {m.Key}: {Names(m.Value)}"));
            throw new VaultException(
                SsoSecretFailure.UnknownSecret,
                $"The vault file '{sourcePath}' holds entries protected under master secrets that the store '{Path}' does not hold ({needs}). Nothing was imported.",
                path: sourcePath)
            {
                RecommendedAction = "Restore the backup of each master secret named into the store first (Restore-SsoMasterSecret -Path <backup>), then import again.",
            };
        }

        if (conflicts.Count > 0)
        {
            throw new VaultException(
                SsoSecretFailure.VaultEntryConflict,
                $"The vault of the store '{Path}' already holds {Names(conflicts)} with another type or value than the file '{sourcePath}'. SsoSecret never replaces a secret with an import; nothing was imported.",
                conflicts[0],
                sourcePath)
            {
                RecommendedAction = "Decide which value each of those entries should keep: remove the vault's own entry (Remove-Secret of SecretManagement) to take the file's, then import again.",
            };
        }

        if (!check && added.Count > 0)
        {
            foreach (var entry in added)
            {
                vault.Put(entry);
            }

            WriteVault(heldLock, state, vault);
        }

        return result;
    }

    /// <summary>
    /// Repair-SsoVault's transaction, for a damaged vault: under the lock, keeps a copy of the file as it is
    /// (<c>vault.dat.damaged-&lt;UTC time&gt;</c> beside it, owner-only, byte for byte) and writes a vault of its intact entries.
    /// Null when the vault is intact (nothing is written). With <paramref name="check"/> only, nothing is written.
    /// </summary>
    internal VaultRepair? RepairVault(bool check)
    {
        using var heldLock = Lock();
        using var state = Read();
        byte[]? data = ReadStoreFile(VaultPath, VaultFile.MaxLength);
        if (data is null)
        {
            return null;
        }

        VaultDocument vault;
        string? whole = null;
        try
        {
            vault = VaultFile.Deserialize(data, VaultPath);
        }
        catch (VaultException e) when (e.Failure == SsoSecretFailure.VaultDamaged)
        {
            vault = VaultDocument.Empty();
            whole = e.Message;
        }

        if (vault.IsIntact && whole is null)
        {
            return null;
        }

        var damage = whole is null ? vault.Damage.ConvertAll(d => d.ToString()) : new List<string> { whole };
        string aside = System.IO.Path.Combine(Path, $"{VaultFileName}.damaged-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}");
        var repair = new VaultRepair(aside, vault.Entries.ConvertAll(e => e.Name), damage);
        if (check)
        {
            return repair;
        }

        RefuseVaultChangeOnReplica(state);

        try
        {
            // The damaged file first, where nothing is: it is the only copy of what the damage may still hold.
            using (var temporary = TemporaryFile.Create(aside))
            {
                temporary.Write(data);
                var committed = temporary.CommitNew() ?? throw new IOException($"'{aside}' exists.");
                committed.Keep();
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(aside, "the damaged vault file could not be kept aside (the vault was left as it was)", e);
        }

        WriteVault(heldLock, state, vault);
        return repair;
    }

    /// <summary>
    /// After a new current secret: moves every entry protected under an earlier secret to the current one. The store is
    /// already written, and the ring keeps the earlier secrets, so entries left behind (a damaged vault) still open: the
    /// result says why they were left, and the command warns.
    /// </summary>
    private VaultRewrap RewrapVaultAfterInstall(StoreLock heldLock, StoreState state)
    {
        try
        {
            var vault = ReadVault();
            if (!vault.IsIntact)
            {
                return new VaultRewrap(0, $"the vault file '{VaultPath}' is damaged ({string.Join("; ", vault.Damage)})");
            }

            var stuck = new List<string>();
            int moved = MoveEntries(state, vault, entry => entry.SecretId != state.Current!.Id, stuck);
            if (moved > 0)
            {
                WriteVault(heldLock, state, vault);
            }

            return new VaultRewrap(moved, stuck.Count == 0 ? null : $"{Names(stuck)} could not be opened to be moved");
        }
        catch (SsoSecretException e)
        {
            return new VaultRewrap(0, e.Message);
        }
    }

    /// <summary>
    /// Before a retirement, under its lock: moves every entry protected under a secret about to be retired to the
    /// current secret, and writes the vault; an entry that cannot be moved, or a vault too damaged to tell, refuses
    /// the retirement (<see cref="SsoSecretFailure.VaultEntryStranded"/>): the vault is never stranded.
    /// </summary>
    private int RewrapVaultBeforeRetire(StoreLock heldLock, StoreState state, ICollection<Guid> retiring)
    {
        var vault = ReadVault();
        if (!vault.IsIntact)
        {
            throw new VaultException(
                SsoSecretFailure.VaultEntryStranded,
                $"The vault file '{VaultPath}' is damaged ({string.Join("; ", vault.Damage)}), so it cannot be told whether an entry still needs a secret to retire. Nothing was retired.",
                path: VaultPath)
            {
                RecommendedAction = "Repair the vault (Repair-SsoVault keeps the damaged file and its intact entries), set again or import what it lost (Import-SsoVault -Path <file>), then retire again.",
            };
        }

        var stuck = new List<string>();
        int moved = MoveEntries(state, vault, entry => retiring.Contains(entry.SecretId), stuck);
        if (stuck.Count > 0)
        {
            throw new VaultException(
                SsoSecretFailure.VaultEntryStranded,
                $"The vault entries {Names(stuck)} are protected under a secret to retire and could not be opened to be moved to the current secret (they are damaged). Retiring the secret would leave them unreadable for good; nothing was retired.",
                stuck[0],
                VaultPath)
            {
                RecommendedAction = "Set those entries again (Set-Secret of SecretManagement) or remove them (Remove-Secret of SecretManagement), then retire again.",
            };
        }

        if (moved > 0)
        {
            WriteVault(heldLock, state, vault);
        }

        return moved;
    }

    /// <summary>Protects again, under the current secret, every entry <paramref name="which"/> selects; those that do not open are listed in <paramref name="stuck"/>.</summary>
    private int MoveEntries(StoreState state, VaultDocument vault, Func<VaultEntry, bool> which, List<string> stuck)
    {
        var ring = state.KeyRing(Path);
        int moved = 0;
        for (int i = 0; i < vault.Entries.Count; i++)
        {
            var entry = vault.Entries[i];
            if (!which(entry) || entry.SecretId == ring.Current.Id)
            {
                continue;
            }

            try
            {
                var rewrapped = ProtectedData.Rewrap(ring, entry.Purpose, entry.Value);
                vault.Entries[i] = entry.WithValue(rewrapped.Text, entry.Changed);
                moved++;
            }
            catch (ProtectedDataException)
            {
                stuck.Add(entry.Name);
            }
        }

        return moved;
    }

    private byte[] Open(StoreState state, VaultEntry entry, string? file = null)
    {
        string where = file ?? VaultPath;
        if (state.Current is null || state.Find(entry.SecretId) is null)
        {
            throw new VaultException(
                SsoSecretFailure.UnknownSecret,
                $"The vault entry '{entry.Name}' is protected under master secret {entry.SecretId}, which the store '{Path}' does not hold (it was retired, or never restored here).",
                entry.Name,
                where)
            {
                RecommendedAction = $"Restore the backup of master secret {entry.SecretId} into the store (Restore-SsoMasterSecret -Path <backup>).",
            };
        }

        try
        {
            return ProtectedData.Unprotect(state.KeyRing(Path), entry.Purpose, entry.Value);
        }
        catch (ProtectedDataException e)
        {
            string what = e.Outcome == ProtectedDataFailure.WrongPurpose
                ? $"its value does not open as a {entry.Type} named '{entry.Name}': it was protected for another entry or type (an entry's value was moved or its type changed)"
                : "its value was altered (its authentication failed)";
            throw EntryDamaged(entry.Name, where, what);
        }
    }

    private VaultDocument RequireIntact(VaultDocument vault, string consequence)
    {
        if (vault.IsIntact)
        {
            return vault;
        }

        return vault.Damage.Count == 1 && vault.Damage[0].NameAsRead is string name && !vault.Damage[0].EndsReading
            ? throw EntryDamaged(name, VaultPath, vault.Damage[0].What + "; " + consequence + ", so that the other entries are not written over it")
            : throw new VaultException(
                SsoSecretFailure.VaultDamaged,
                $"The vault file '{VaultPath}' is damaged ({string.Join("; ", vault.Damage)}); {consequence}, so that no entry is written over the damage.",
                path: VaultPath)
            {
                RecommendedAction = "Repair the vault (Repair-SsoVault keeps the damaged file aside and a vault of its intact entries), then set again or import (Import-SsoVault -Path <file>) what it lost.",
            };
    }

    private VaultException NotAmongIntact(VaultDocument vault, string name)
    {
        foreach (var damage in vault.Damage)
        {
            if (damage.NameAsRead is string read && VaultNames.Same(read, name))
            {
                return EntryDamaged(read, VaultPath, damage.What);
            }
        }

        return new VaultException(
            SsoSecretFailure.VaultDamaged,
            $"The vault file '{VaultPath}' holds no intact entry named '{name}', and it is damaged ({string.Join("; ", vault.Damage)}): the entry may be in the damaged part.",
            name,
            VaultPath)
        {
            RecommendedAction = "Repair the vault (Repair-SsoVault keeps the damaged file aside and a vault of its intact entries), then set again or import (Import-SsoVault -Path <file>) what it lost.",
        };
    }

    private static VaultException EntryDamaged(string name, string path, string what) => new(
        SsoSecretFailure.VaultEntryDamaged,
        $"The vault entry '{name}' in '{path}' is damaged: {what}. No value was returned from it.",
        name,
        path)
    {
        RecommendedAction = "Set the entry again from its source (Set-Secret of SecretManagement), or import the vault's last export (Import-SsoVault -Path <file>).",
    };

    private VaultException NotFound(string name) => new(
        SsoSecretFailure.VaultEntryNotFound,
        $"The vault of the store '{Path}' holds no entry named '{name}'.",
        name,
        VaultPath);

    private static void CheckName(string name)
    {
        if (VaultNames.Check(name, "The name") is string problem)
        {
            throw new VaultException(SsoSecretFailure.InvalidSecretName, $"'{name}' cannot name a vault entry: {problem}", name);
        }
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Select(n => "'" + n + "'"));

    private static DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>
    /// Writes the vault, under the lock. On the master of an environment the generation goes up first, in the store
    /// file (<paramref name="state"/>, which the caller writes again if it changes more): every vault a replica can be
    /// sent is of a generation of its own, so an older one is never installed over a newer one (docs/environment-format.md).
    /// A crash between the two writes leaves a generation raised over the same vault, which is harmless.
    /// </summary>
    private void WriteVault(StoreLock heldLock, StoreState state, VaultDocument vault)
    {
        if (heldLock.IsReleased)
        {
            throw new InvalidOperationException("The store lock must be held to write the vault.");
        }

        byte[] data = VaultFile.Serialize(vault.Entries, VaultPath);
        if (state.Environment is { Role: StoreRole.Master })
        {
            state.RingChanged();
            Write(heldLock, state);
        }

        WriteVaultFile(data, vault.Entries);
    }

    /// <summary>A replica's vault is its master's, installed with the ring; it changes nowhere else.</summary>
    private void RefuseVaultChangeOnReplica(StoreState state) => RefuseOnReplica(state, "change its vault (the master's vault comes with its ring: change it on the master, then sync)");

    /// <summary>The vault file's bytes as the master seals them with its ring: the vault of an intact file, or the empty vault when there is none.</summary>
    private byte[] VaultForRing()
    {
        var vault = ReadVault();
        if (!vault.IsIntact)
        {
            throw new VaultException(
                SsoSecretFailure.VaultDamaged,
                $"The vault file '{VaultPath}' of the master is damaged ({string.Join("; ", vault.Damage)}): its replicas are sent the vault with the ring, and a damaged one is sent to none. Nothing was sealed.",
                path: VaultPath)
            {
                RecommendedAction = "Repair the master's vault (Repair-SsoVault keeps the damaged file and its intact entries), then sync again.",
            };
        }

        return VaultFile.Serialize(vault.Entries, VaultPath);
    }

    /// <summary>The digest of the vault this store holds (the empty vault's when it has no file).</summary>
    private byte[] HeldVaultDigest() => SealedRing.VaultDigest(ReadStoreFile(VaultPath, VaultFile.MaxLength) ?? VaultFile.Serialize(Array.Empty<VaultEntry>(), VaultPath));

    /// <summary>The vault's digest in hex (as <see cref="HeldVaultDigest"/>) and how many intact entries it holds.</summary>
    internal string VaultDigestHex(out int entries)
    {
        byte[] data = ReadStoreFile(VaultPath, VaultFile.MaxLength) ?? VaultFile.Serialize(Array.Empty<VaultEntry>(), VaultPath);
        try
        {
            entries = VaultFile.Deserialize(data, VaultPath).Entries.Count;
        }
        catch (VaultException)
        {
            entries = 0;
        }

        return SecretFingerprint.ToHex(SealedRing.VaultDigest(data));
    }

    private void WriteVaultFile(byte[] data, IReadOnlyList<VaultEntry> entries)
    {
        try
        {
            BeforeWrite?.Invoke(VaultPath);
            AtomicFile.Write(VaultPath, data);
            VaultFile.Remember(VaultPath, data, entries);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(VaultPath, "its vault file could not be written (the vault was left as it was)", e);
        }
    }
}
