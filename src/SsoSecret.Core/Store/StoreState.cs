using System;

namespace SsoSecret;

/// <summary>One master secret as the store holds it. The bytes are the secret itself: never shown, zeroed on dispose.</summary>
internal sealed class StoredSecret : IDisposable
{
    internal StoredSecret(Guid id, DateTimeOffset created, byte[] secret, DateTimeOffset? replaced = null)
    {
        Id = id;
        Created = created;
        Secret = secret;
        Replaced = replaced;
        Fingerprint = SecretFingerprint.ToHex(SecretFingerprint.Compute(secret));
    }

    internal Guid Id { get; }

    internal DateTimeOffset Created { get; }

    /// <summary>For a previous secret: when it was replaced.</summary>
    internal DateTimeOffset? Replaced { get; }

    internal byte[] Secret { get; }

    internal string Fingerprint { get; }

    /// <summary>A copy that becomes the previous secret, stamped with the time it was replaced.</summary>
    internal StoredSecret AsReplaced(DateTimeOffset when) => new(Id, Created, (byte[])Secret.Clone(), when);

    /// <summary>True when the other secret has the same bytes (compared in fixed time).</summary>
    internal bool SameSecretAs(byte[] other) =>
        other.Length == Secret.Length && Crypto.Primitives.FixedTimeEquals(other, 0, Secret, 0, Secret.Length);

    public void Dispose() => Memory.Zero(Secret);
}

/// <summary>The record of the last backup that was written and verified.</summary>
internal sealed class BackupRecord
{
    internal BackupRecord(DateTimeOffset time, Guid secretId, string path)
    {
        Time = time;
        SecretId = secretId;
        Path = path;
    }

    internal DateTimeOffset Time { get; }

    internal Guid SecretId { get; }

    internal string Path { get; }
}

/// <summary>Everything the store holds.</summary>
internal sealed class StoreState : IDisposable
{
    internal StoredSecret? Current { get; set; }

    internal StoredSecret? Previous { get; set; }

    internal BackupRecord? LastBackup { get; set; }

    /// <summary>
    /// Makes <paramref name="secret"/> the current secret, with <paramref name="backup"/> as its last backup (without one,
    /// as after a restore from recovery shares, a backup recorded earlier of the same secret stays recorded). A secret it
    /// replaces becomes the previous secret (stamped with <paramref name="replacedAt"/>), as ENTSSO keeps the old one;
    /// the previous one before it is dropped.
    /// </summary>
    internal void Install(StoredSecret secret, BackupRecord? backup, DateTimeOffset replacedAt)
    {
        if (Current is not null)
        {
            Previous?.Dispose();
            Previous = Current.AsReplaced(replacedAt);
            Current.Dispose();
        }

        Current = secret;
        LastBackup = backup ?? (LastBackup is not null && LastBackup.SecretId == secret.Id ? LastBackup : null);
    }

    /// <summary>
    /// The secrets protected data may be opened with: the current one (new values are protected under it) and the
    /// previous one, until it is retired. The ring borrows this state's arrays: use it while the state is alive.
    /// </summary>
    internal ProtectedDataKeyRing KeyRing(string storePath)
    {
        if (Current is null)
        {
            throw new StoreException(SsoSecretFailure.NoMasterSecret, storePath, $"The secret store '{storePath}' holds no master secret.");
        }

        var current = new ProtectedDataKey(Current.Id, Current.Secret);
        return Previous is null || Previous.Id == Current.Id
            ? new ProtectedDataKeyRing(current)
            : new ProtectedDataKeyRing(current, new ProtectedDataKey(Previous.Id, Previous.Secret));
    }

    /// <summary>The last backup, if it was a backup of the current secret.</summary>
    internal BackupRecord? LastBackupOfCurrent =>
        Current is not null && LastBackup is not null && LastBackup.SecretId == Current.Id ? LastBackup : null;

    public void Dispose()
    {
        Current?.Dispose();
        Previous?.Dispose();
    }
}
