namespace SsoSecret.Internal;

/// <summary>The output objects the cmdlets write, made from what Core knows.</summary>
internal static class Output
{
    /// <summary>
    /// The store's key ring as output, with how many vault entries each secret protects (null when the vault file
    /// cannot be read at all: its header damaged, say; Test-SecretVault tells why).
    /// </summary>
    internal static SsoMasterSecretInfo SecretInfo(StoreState state, MasterSecretStore store)
    {
        string storePath = store.Path;
        System.Collections.Generic.Dictionary<System.Guid, int>? counts;
        try
        {
            counts = store.VaultCounts(store.ReadVault());
        }
        catch (SsoSecretException)
        {
            counts = null;
        }

        var current = state.Current ?? throw new System.InvalidOperationException("The store holds no secret.");
        var backup = state.LastBackupOfCurrent;
        return new SsoMasterSecretInfo
        {
            VaultEntries = Count(counts, current.Id),
            SecretId = current.Id,
            Fingerprint = current.Fingerprint,
            Created = current.Created.UtcDateTime,
            StorePath = storePath,
            LastBackupTime = backup?.Time.UtcDateTime,
            LastBackupPath = backup?.Path,
            Backups = Records(current),
            HasPreviousSecret = state.Previous is not null,
            PreviousSecretId = state.Previous?.Id,
            PreviousSecretReplaced = state.Previous?.Replaced?.UtcDateTime,
            PreviousSecrets = state.Earlier.ConvertAll(e => PreviousSecretInfo(e, storePath, Count(counts, e.Id))).ToArray(),
        };
    }

    internal static SsoPreviousSecretInfo PreviousSecretInfo(StoredSecret secret, string storePath, int? vaultEntries) => new()
    {
        VaultEntries = vaultEntries,
        SecretId = secret.Id,
        Fingerprint = secret.Fingerprint,
        Created = secret.Created.UtcDateTime,
        Replaced = secret.Replaced!.Value.UtcDateTime,
        LastBackupTime = secret.LastBackup?.Time.UtcDateTime,
        LastBackupPath = secret.LastBackup?.Path,
        Backups = Records(secret),
        StorePath = storePath,
    };

    private static int? Count(System.Collections.Generic.Dictionary<System.Guid, int>? counts, System.Guid id) =>
        counts is null ? null : counts.TryGetValue(id, out int n) ? n : 0;

    private static SsoBackupRecordInfo[] Records(StoredSecret secret) =>
        secret.Backups.ConvertAll(b => new SsoBackupRecordInfo { Time = b.Time.UtcDateTime, Path = b.Path, SecretId = b.SecretId }).ToArray();

    internal static SsoSecretBackupInfo BackupInfo(BackupHeader header, string path, long length) => new()
    {
        Path = path,
        FormatVersion = header.Version,
        Kind = header.Kind,
        Recipients = System.Linq.Enumerable.ToArray(header.Recipients),
        Created = header.Created.UtcDateTime,
        PasswordHint = header.Hint,
        SecretId = header.SecretId,
        Fingerprint = header.Fingerprint,
        SecretLength = header.SecretLength,
        Kdf = header.Kdf,
        Armored = header.Armored,
        Length = length,
    };

    /// <summary>What a public key line alone tells: the key and its fingerprint; nothing of a file.</summary>
    internal static SsoRecoveryKeyInfo PublicKeyInfo(RecoveryPublicKey key) => new()
    {
        PublicKey = key.Text,
        Fingerprint = key.Fingerprint,
    };

    internal static SsoRecoveryKeyInfo RecoveryKeyInfo(RecoveryKeyHeader header, string path) => new()
    {
        Path = path,
        PublicKey = header.PublicKey.Text,
        Fingerprint = header.PublicKey.Fingerprint,
        Created = header.Created.UtcDateTime,
        PasswordHint = header.Hint,
        Kdf = header.Kdf,
        Armored = header.Armored,
    };
}
