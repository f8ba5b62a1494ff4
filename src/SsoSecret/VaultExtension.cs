using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using SsoSecret.Codec;
using SsoSecret.Internal;
using SsoSecret.Vault;

namespace SsoSecret;

/// <summary>
/// The SecretManagement extension vault: what the functions of the SsoSecret.Extension nested module forward to, each
/// with the function's own $PSCmdlet. SecretManagement calls them in a runspace of its own, with the vault's
/// registration parameters (StorePath, optional: the default store, as every command's). Values are written to the
/// pipeline whole (a byte array is not unrolled); a failure is the module's error record (its id, its exception type),
/// thrown from the function. Not for direct use: use Get-Secret, Set-Secret and the others of SecretManagement.
/// </summary>
public static class VaultExtension
{
    /// <summary>Get-Secret: writes the entry's value, or nothing when the vault has no entry of that name.</summary>
    public static void GetSecret(PSCmdlet cmdlet, string name, Hashtable? parameters) => Run(cmdlet, () =>
    {
        var store = Store(cmdlet, parameters);
        byte[]? plaintext = store.OpenVaultEntry(name, out var entry);
        if (plaintext is null)
        {
            return;
        }

        try
        {
            cmdlet.WriteObject(ToObject(entry!.Type, plaintext, entry.Name), enumerateCollection: false);
        }
        finally
        {
            Memory.Zero(plaintext);
        }
    });

    /// <summary>Set-Secret: protects the value under the store's current secret, for its type and name.</summary>
    public static void SetSecret(PSCmdlet cmdlet, string name, object? secret, Hashtable? parameters, Hashtable? metadata) => Run(cmdlet, () =>
    {
        var store = Store(cmdlet, parameters);
        // No metadata (SecretManagement passes none, or an empty table, when Set-Secret is given no -Metadata) keeps an
        // entry's metadata; Set-SecretInfo replaces it, an empty table included.
        var meta = metadata is null || metadata.Count == 0 ? null : Metadata(metadata, name);
        byte[] plaintext = ToBytes(secret, name, out var type);
        try
        {
            var entry = store.SetVaultEntry(name, type, plaintext, meta);
            cmdlet.WriteVerbose($"Vault entry '{entry.Name}' ({entry.Type}) set in '{store.VaultPath}', protected under master secret {entry.SecretId}.");
        }
        finally
        {
            Memory.Zero(plaintext);
        }
    });

    /// <summary>Set-SecretInfo: replaces the entry's metadata.</summary>
    public static void SetSecretInfo(PSCmdlet cmdlet, string name, Hashtable? metadata, Hashtable? parameters) => Run(cmdlet, () =>
    {
        var store = Store(cmdlet, parameters);
        store.SetVaultMetadata(name, Metadata(metadata ?? new Hashtable(), name));
    });

    /// <summary>Remove-Secret.</summary>
    public static void RemoveSecret(PSCmdlet cmdlet, string name, Hashtable? parameters) => Run(cmdlet, () =>
    {
        var store = Store(cmdlet, parameters);
        store.RemoveVaultEntry(name);
        cmdlet.WriteVerbose($"Vault entry '{name}' removed from '{store.VaultPath}'.");
    });

    /// <summary>
    /// Get-SecretInfo: writes, for each intact entry whose name matches <paramref name="filter"/> (wildcards, case
    /// ignored), an object with Name, Type (SecretManagement's type name) and Metadata, which the extension function
    /// turns into SecretManagement's SecretInformation (they are returned, not written, for the function to turn). Damage
    /// in the vault file is written as an error.
    /// </summary>
    public static PSObject[] GetSecretInfo(PSCmdlet cmdlet, string? filter, Hashtable? parameters)
    {
        var found = new List<PSObject>();
        Run(cmdlet, () => GetSecretInfo(cmdlet, filter, parameters, found));
        return found.ToArray();
    }

    private static void GetSecretInfo(PSCmdlet cmdlet, string? filter, Hashtable? parameters, List<PSObject> found)
    {
        var store = Store(cmdlet, parameters);
        var vault = store.ReadVault();
        var pattern = new WildcardPattern(string.IsNullOrEmpty(filter) ? "*" : filter, WildcardOptions.IgnoreCase);
        foreach (var entry in vault.Entries)
        {
            if (pattern.IsMatch(entry.Name))
            {
                var info = new PSObject();
                info.Properties.Add(new PSNoteProperty("Name", entry.Name));
                info.Properties.Add(new PSNoteProperty("Type", entry.Type.ToString()));
                info.Properties.Add(new PSNoteProperty("Metadata", ToHashtable(entry.Metadata)));
                found.Add(info);
            }
        }

        if (!vault.IsIntact)
        {
            cmdlet.WriteError(ErrorCatalog.ToRecord(new VaultException(
                SsoSecretFailure.VaultDamaged,
                $"The vault file '{store.VaultPath}' is damaged ({string.Join("; ", vault.Damage)}); only its intact entries are listed.",
                path: store.VaultPath)));
        }
    }

    /// <summary>
    /// Test-SecretVault: true when the store holds a master secret, and the vault file (if any) is intact and every
    /// entry opens; each problem is written as an error, and false returned.
    /// </summary>
    public static bool TestSecretVault(PSCmdlet cmdlet, Hashtable? parameters)
    {
        bool ok = true;
        Run(cmdlet, () =>
        {
            var store = Store(cmdlet, parameters);
            using (var state = store.Read())
            {
                store.RequireCurrent(state);
            }

            var vault = store.ReadVault();
            foreach (var damage in vault.Damage)
            {
                ok = false;
                cmdlet.WriteError(ErrorCatalog.ToRecord(new VaultException(
                    damage.NameAsRead is null ? SsoSecretFailure.VaultDamaged : SsoSecretFailure.VaultEntryDamaged,
                    $"The vault file '{store.VaultPath}' is damaged: {damage}.",
                    damage.NameAsRead,
                    store.VaultPath)));
            }

            foreach (var entry in vault.Entries)
            {
                try
                {
                    Memory.Zero(store.OpenVaultEntry(entry.Name, out _) ?? Array.Empty<byte>());
                }
                catch (SsoSecretException e)
                {
                    ok = false;
                    cmdlet.WriteError(ErrorCatalog.ToRecord(e));
                }
            }

            cmdlet.WriteVerbose($"Vault '{store.VaultPath}': {vault.Entries.Count} intact entries, {vault.Damage.Count} damage(s).");
        }, terminatingOk: () => ok = false);
        return ok;
    }

    private static void Run(PSCmdlet cmdlet, Action step, Action? terminatingOk = null)
    {
        try
        {
            step();
        }
        catch (SsoSecretException e)
        {
            if (terminatingOk is not null)
            {
                terminatingOk();
                cmdlet.WriteError(ErrorCatalog.ToRecord(e));
                return;
            }

            cmdlet.ThrowTerminatingError(ErrorCatalog.ToRecord(e));
        }
    }

    private static MasterSecretStore Store(PSCmdlet cmdlet, Hashtable? parameters)
    {
        object? given = parameters is null ? null : parameters["StorePath"];
        if (given is PSObject wrapped)
        {
            given = wrapped.BaseObject;
        }

        if (given is not null && given is not string)
        {
            throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"The vault parameter StorePath is a {given.GetType().FullName}; give the store folder's path as a string (Register-SecretVault -VaultParameters @{{ StorePath = '<folder>' }}).");
        }

        return StoreLocation.Open(cmdlet, (string?)given);
    }

    /// <summary>The bytes a value is protected as, and its type; the caller zeroes them.</summary>
    internal static byte[] ToBytes(object? secret, string name, out VaultSecretType type)
    {
        object? value = secret is PSObject wrapped ? wrapped.BaseObject : secret;
        string where = $"The value for the vault entry '{name}'";
        switch (value)
        {
            case Hashtable table:
                type = VaultSecretType.Hashtable;
                var items = new List<VaultItem>();
                try
                {
                    foreach (DictionaryEntry item in table)
                    {
                        object key = item.Key is PSObject k ? k.BaseObject : item.Key;
                        if (key is not string text || VaultNames.Check(text, "A key") is string bad)
                        {
                            throw new SsoSecretException(SsoSecretFailure.UnsupportedSecretType, $"{where} is a hashtable with the key '{key}', which a vault cannot hold: {(key is string ? VaultNames.Check((string)key, "the key") : "a key must be a string")}.");
                        }

                        byte[] data = ToBytes(item.Value, name, out var itemType);
                        items.Add(new VaultItem(text, itemType, data));
                        if (itemType == VaultSecretType.Hashtable)
                        {
                            throw new SsoSecretException(SsoSecretFailure.UnsupportedSecretType, $"{where} is a hashtable holding a hashtable (under '{text}'); a vault's hashtable holds byte arrays, strings, SecureStrings and PSCredentials.");
                        }
                    }

                    try
                    {
                        return VaultValue.Table(items);
                    }
                    catch (ArgumentException e)
                    {
                        throw new SsoSecretException(SsoSecretFailure.UnsupportedSecretType, $"{where} cannot be held: {e.Message}");
                    }
                }
                finally
                {
                    foreach (var item in items)
                    {
                        Memory.Zero(item.Data);
                    }
                }

            case PSCredential credential:
                type = VaultSecretType.PSCredential;
                byte[] user = StrictUtf8.Encoding.GetBytes(credential.UserName);
                byte[] password = DataValue.ToBytes(credential.Password, where);
                try
                {
                    return VaultValue.Credential(user, password);
                }
                finally
                {
                    Memory.Zero(password);
                }

            case SecureString:
                type = VaultSecretType.SecureString;
                return DataValue.ToBytes(value, where);
            case string:
                type = VaultSecretType.String;
                return DataValue.ToBytes(value, where);
            case byte[]:
                type = VaultSecretType.ByteArray;
                return DataValue.ToBytes(value, where);
            default:
                throw new SsoSecretException(
                    SsoSecretFailure.UnsupportedSecretType,
                    $"{where} is {(value is null ? "null" : "a " + value.GetType().FullName)}; a vault holds a byte array, a string, a SecureString, a PSCredential, or a hashtable of those.");
        }
    }

    internal static object ToObject(VaultSecretType type, byte[] plaintext, string name)
    {
        string where = $"The vault entry '{name}'";
        try
        {
            switch (type)
            {
                case VaultSecretType.ByteArray:
                    return (byte[])plaintext.Clone();
                case VaultSecretType.String:
                    return DataValue.ToText(plaintext, where);
                case VaultSecretType.SecureString:
                    return DataValue.ToSecureString(plaintext, where);
                case VaultSecretType.PSCredential:
                    VaultValue.SplitCredential(plaintext, out byte[] user, out byte[] password);
                    try
                    {
                        if (user.Length == 0)
                        {
                            throw new FormatException("its user name is empty, which a PSCredential cannot hold");
                        }

                        return new PSCredential(StrictUtf8.Encoding.GetString(user), DataValue.ToSecureString(password, where));
                    }
                    finally
                    {
                        Memory.Zero(password);
                    }

                default:
                    var table = new Hashtable(NameComparer.Instance);
                    foreach (var item in VaultValue.SplitTable(plaintext))
                    {
                        try
                        {
                            table[item.Key] = ToObject(item.Type, item.Data, name);
                        }
                        finally
                        {
                            Memory.Zero(item.Data);
                        }
                    }

                    return table;
            }
        }
        catch (Exception e) when (e is FormatException || e is System.Text.DecoderFallbackException || (e is SsoSecretException text && text.Failure == SsoSecretFailure.ValueNotText))
        {
            string why = e is SsoSecretException ? "a text of it is not UTF-8" : e.Message;
            throw new VaultException(SsoSecretFailure.VaultEntryDamaged, $"{where} opened, but its value is not a {type}'s bytes ({why}). No value was returned from it.", name);
        }
    }

    private static List<KeyValuePair<string, VaultMetadataValue>> Metadata(Hashtable metadata, string name)
    {
        if (metadata.Count > VaultFile.MaxMetadata)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidMetadata, $"The metadata for the vault entry '{name}' has {metadata.Count} items; a vault entry holds at most {VaultFile.MaxMetadata}.");
        }

        var items = new List<KeyValuePair<string, VaultMetadataValue>>();
        foreach (DictionaryEntry item in metadata)
        {
            object key = item.Key is PSObject k ? k.BaseObject : item.Key;
            object? value = item.Value is PSObject v ? v.BaseObject : item.Value;
            if (key is not string text || VaultNames.Check(text, "The key", VaultNames.MaxKeyBytes) is string)
            {
                throw new SsoSecretException(SsoSecretFailure.InvalidMetadata, $"The metadata for the vault entry '{name}' has the key '{key}', which a vault cannot hold: {(key is string ? VaultNames.Check((string)key, "the key", VaultNames.MaxKeyBytes) : "a key must be a string")}.");
            }

            VaultMetadataValue held = value switch
            {
                string s when StrictUtf8.Encoding.GetByteCount(s) <= VaultFile.MaxMetadataTextBytes => VaultMetadataValue.OfText(s),
                int n => VaultMetadataValue.OfNumber(n),
                DateTime time => VaultMetadataValue.OfTicks(time.ToUniversalTime().Ticks),
                DateTimeOffset time => VaultMetadataValue.OfTicks(time.UtcTicks),
                _ => throw new SsoSecretException(
                    SsoSecretFailure.InvalidMetadata,
                    $"The metadata item '{text}' for the vault entry '{name}' is {(value is null ? "null" : value is string ? $"a string of more than {VaultFile.MaxMetadataTextBytes} bytes" : "a " + value.GetType().FullName)}; metadata values are strings (at most {VaultFile.MaxMetadataTextBytes} bytes), Int32 numbers and DateTimes."),
            };
            if (items.Any(i => VaultNames.Same(i.Key, text)))
            {
                throw new SsoSecretException(SsoSecretFailure.InvalidMetadata, $"The metadata for the vault entry '{name}' has two keys that a vault takes for one ('{text}').");
            }

            items.Add(new KeyValuePair<string, VaultMetadataValue>(text, held));
        }

        items.Sort((a, b) => VaultNames.Compare(a.Key, b.Key));
        return items;
    }

    private static Hashtable ToHashtable(IReadOnlyList<KeyValuePair<string, VaultMetadataValue>> metadata)
    {
        var table = new Hashtable(NameComparer.Instance);
        foreach (var item in metadata)
        {
            table[item.Key] = item.Value.Kind switch
            {
                VaultMetadataKind.String => item.Value.Text,
                VaultMetadataKind.Int32 => item.Value.Number,
                _ => (object)new DateTime(item.Value.Ticks, DateTimeKind.Utc).ToLocalTime(),
            };
        }

        return table;
    }

    /// <summary>
    /// Keys compared as the vault compares names (docs/vault-format.md, "Names"): ASCII letters without case, nothing
    /// else folded. So a hashtable read back keeps 'É' and 'é' apart, as the vault stored them, where PowerShell's own
    /// OrdinalIgnoreCase would take them for one key and drop one.
    /// </summary>
    private sealed class NameComparer : IEqualityComparer
    {
        internal static readonly NameComparer Instance = new();

        public new bool Equals(object? x, object? y) => x is string a && y is string b ? VaultNames.Same(a, b) : object.Equals(x, y);

        public int GetHashCode(object obj) => obj is string text ? StringComparer.Ordinal.GetHashCode(VaultNames.Fold(text)) : obj.GetHashCode();
    }
}
