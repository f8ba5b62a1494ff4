using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace SsoSecret;

/// <summary>
/// One master secret of the store's key ring. The bytes are the secret itself: never shown, zeroed on dispose. The
/// backup records travel with the secret: they are records of where a backup of this secret was written.
/// </summary>
internal sealed class StoredSecret : IDisposable
{
    internal StoredSecret(Guid id, DateTimeOffset created, byte[] secret, DateTimeOffset? replaced = null, IEnumerable<BackupRecord>? backups = null)
    {
        Id = id;
        Created = created;
        Secret = secret;
        Replaced = replaced;
        Fingerprint = SecretFingerprint.ToHex(SecretFingerprint.Compute(secret));
        Backups = new List<BackupRecord>(backups ?? Array.Empty<BackupRecord>());
    }

    internal Guid Id { get; }

    internal DateTimeOffset Created { get; }

    /// <summary>For an earlier (previous) secret: when it stopped being the current one. Null for the current secret.</summary>
    internal DateTimeOffset? Replaced { get; }

    internal byte[] Secret { get; }

    internal string Fingerprint { get; }

    /// <summary>Where backups of this secret were written and verified, the newest first, each path once.</summary>
    internal List<BackupRecord> Backups { get; }

    /// <summary>The newest backup record, or null.</summary>
    internal BackupRecord? LastBackup => Backups.Count == 0 ? null : Backups[0];

    /// <summary>A copy that becomes an earlier secret, stamped with the time it was replaced; its backup records kept.</summary>
    internal StoredSecret AsReplaced(DateTimeOffset when) => new(Id, Created, (byte[])Secret.Clone(), when, Backups);

    /// <summary>A copy that becomes the current secret again (no replaced time); its backup records kept.</summary>
    internal StoredSecret AsCurrent() => new(Id, Created, (byte[])Secret.Clone(), null, Backups);

    /// <summary>True when the other secret has the same bytes (compared in fixed time).</summary>
    internal bool SameSecretAs(byte[] other) =>
        other.Length == Secret.Length && Crypto.Primitives.FixedTimeEquals(other, 0, Secret, 0, Secret.Length);

    public void Dispose() => Memory.Zero(Secret);
}

/// <summary>The record of a backup of one secret that was written and verified: when (the backup's own time) and where.</summary>
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

/// <summary>
/// Everything the store holds: its key ring, the current secret (new values and new backups use it) and the earlier
/// secrets kept after replacements, the most recently replaced first. No change drops a secret except
/// <see cref="Retire"/>, which a command calls only for a secret the administrator named; a ring that is full
/// refuses a new secret (<see cref="SsoSecretFailure.KeyRingFull"/>) rather than dropping the oldest.
/// </summary>
internal sealed class StoreState : IDisposable
{
    /// <summary>The most secrets a ring holds, the current one included (docs/store-format.md).</summary>
    internal const int MaxSecrets = 32;

    /// <summary>The most backup records kept per secret: the newest, each path once.</summary>
    internal const int MaxBackupsPerSecret = 4;

    /// <summary>The longest backup path a record holds, in bytes of UTF-8.</summary>
    internal const int MaxPathBytes = 4096;

    /// <summary>Paths name one file case-insensitively on Windows, exactly elsewhere.</summary>
    internal static readonly StringComparer PathComparer =
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    internal StoredSecret? Current { get; set; }

    /// <summary>
    /// The staged secret of an environment's ring (docs/environment-format.md): distributed ahead of its activation, it
    /// opens values and protects none. Null outside an environment; at most one.
    /// </summary>
    internal StoredSecret? Staged { get; set; }

    /// <summary>The earlier secrets, the most recently replaced first.</summary>
    internal List<StoredSecret> Earlier { get; } = new();

    /// <summary>The store's part in an environment (master or replica), or null for a store of its own (version 2).</summary>
    internal StoreEnvironment? Environment { get; set; }

    /// <summary>Every secret of the ring: the current one (if any) first, then the staged one (if any), then the earlier ones in order.</summary>
    internal IEnumerable<StoredSecret> Ring
    {
        get
        {
            if (Current is not null)
            {
                yield return Current;
            }

            if (Staged is not null)
            {
                yield return Staged;
            }

            foreach (var earlier in Earlier)
            {
                yield return earlier;
            }
        }
    }

    internal int Count => (Current is null ? 0 : 1) + (Staged is null ? 0 : 1) + Earlier.Count;

    /// <summary>The secret of the ring with this id, or null.</summary>
    internal StoredSecret? Find(Guid id)
    {
        foreach (var secret in Ring)
        {
            if (secret.Id == id)
            {
                return secret;
            }
        }

        return null;
    }

    /// <summary>The most recently replaced earlier secret, or null.</summary>
    internal StoredSecret? Previous => Earlier.Count == 0 ? null : Earlier[0];

    /// <summary>
    /// How many secrets the ring would hold after installing a secret with this id (null: a new secret, which no ring
    /// holds yet).
    /// </summary>
    internal int CountAfterInstalling(Guid? id) => id is Guid held && Find(held) is not null ? Count : Count + 1;

    /// <summary>
    /// Makes <paramref name="secret"/> the current secret, with <paramref name="backup"/> recorded as a backup of it
    /// (null, as after a restore from recovery shares: records of it kept from before stay). The secret it replaces
    /// joins the earlier secrets, stamped with <paramref name="replacedAt"/>. A secret the ring already holds as an
    /// earlier one (restoring an older secret) moves back to current with its records: the ring never holds an id
    /// twice. The caller has checked that an id the ring holds has the same bytes (<see cref="SsoSecretFailure.SecretIdConflict"/>)
    /// and that the ring has room (<see cref="CountAfterInstalling"/>); this only checks again.
    /// </summary>
    internal void Install(StoredSecret secret, BackupRecord? backup, DateTimeOffset replacedAt)
    {
        if (CountAfterInstalling(secret.Id) > MaxSecrets)
        {
            throw new InvalidOperationException("The key ring is full; the caller checks before installing.");
        }

        int index = Earlier.FindIndex(e => e.Id == secret.Id);
        StoredSecret installed = secret;
        if (Staged is not null && Staged.Id == secret.Id)
        {
            // Activating the staged secret: it becomes current with its created time and records.
            installed = new StoredSecret(secret.Id, Staged.Created, secret.Secret, null, Staged.Backups);
            Staged.Dispose();
            Staged = null;
        }
        else if (index >= 0)
        {
            var earlier = Earlier[index];
            Earlier.RemoveAt(index);
            installed = new StoredSecret(secret.Id, earlier.Created, secret.Secret, null, earlier.Backups);
            earlier.Dispose();
        }

        if (Current is not null)
        {
            if (Current.Id == secret.Id)
            {
                throw new InvalidOperationException("The secret is the current one already; the caller checks before installing.");
            }

            // Earlier secrets are kept in the order they were replaced, which the store file requires: a clock set back
            // meanwhile never puts this one after a later one.
            var stamp = Earlier.Count > 0 && Earlier[0].Replaced > replacedAt ? Earlier[0].Replaced!.Value : replacedAt;
            Earlier.Insert(0, Current.AsReplaced(stamp));
            Current.Dispose();
        }

        Current = installed;
        if (backup is not null)
        {
            Record(backup);
        }

        RingChanged();
    }

    /// <summary>
    /// A master's ring changed (a secret installed, staged or retired): its generation goes up by one, so that every
    /// replica can tell the new ring from any it held (docs/store-format.md, version 3). Nothing for other stores.
    /// </summary>
    internal void RingChanged()
    {
        if (Environment is { Role: StoreRole.Master } master)
        {
            if (master.Generation >= long.MaxValue)
            {
                throw new InvalidOperationException("The environment's generation cannot go higher.");
            }

            master.Generation++;
        }
    }

    /// <summary>
    /// The ring as it travels to replicas (docs/environment-format.md, "The ring"): copies of the secrets, in the
    /// ring's order, with their states. The caller disposes it. Null when the ring has no current secret.
    /// </summary>
    internal EnvironmentRing? ToEnvironmentRing()
    {
        if (Current is null)
        {
            return null;
        }

        var secrets = new List<RingSecret> { new(Current.Id, RingSecretState.Active, Current.Created, null, (byte[])Current.Secret.Clone()) };
        if (Staged is not null)
        {
            secrets.Add(new RingSecret(Staged.Id, RingSecretState.Staged, Staged.Created, null, (byte[])Staged.Secret.Clone()));
        }

        foreach (var earlier in Earlier)
        {
            secrets.Add(new RingSecret(earlier.Id, RingSecretState.Earlier, earlier.Created, earlier.Replaced, (byte[])earlier.Secret.Clone()));
        }

        return new EnvironmentRing(secrets);
    }

    /// <summary>
    /// The ring digest of the ring this store holds (docs/environment-format.md), or null when it holds no current
    /// secret. A replica's held digest is this: computed from the secrets it holds, never stored apart from them.
    /// </summary>
    /// <summary>
    /// The confirmation (<see cref="EnvironmentRing.Confirmation"/>) that this store holds its ring as its environment's
    /// generation, for the replica of <paramref name="replicaFingerprint"/>; null outside an environment or without a ring.
    /// </summary>
    internal byte[]? RingConfirmation(byte[] replicaFingerprint)
    {
        using var ring = ToEnvironmentRing();
        if (ring is null || Environment is null || Environment.Generation < 1)
        {
            return null;
        }

        var body = EnvironmentRing.EncodeUnchecked(ring.Secrets);
        try
        {
            return EnvironmentRing.Confirmation(body, Environment.EnvironmentId, Environment.Generation, replicaFingerprint);
        }
        finally
        {
            Memory.Zero(body);
        }
    }

    internal byte[]? RingDigest()
    {
        using var ring = ToEnvironmentRing();
        if (ring is null)
        {
            return null;
        }

        var body = EnvironmentRing.EncodeUnchecked(ring.Secrets);
        try
        {
            return EnvironmentRing.Digest(body);
        }
        finally
        {
            Memory.Zero(body);
        }
    }

    /// <summary>
    /// Records a backup of a secret of the ring, among its records by the backup's time (the newest first; one as old
    /// as another goes before it). The file at that path now holds this secret, so any other record of that path (of
    /// this secret or another) goes; beyond <see cref="MaxBackupsPerSecret"/> records, the oldest record goes (a record
    /// only: the file is not touched). False when the ring no longer holds the secret (retired meanwhile).
    /// </summary>
    internal bool Record(BackupRecord backup)
    {
        var owner = Find(backup.SecretId);
        if (owner is null)
        {
            return false;
        }

        foreach (var secret in Ring)
        {
            secret.Backups.RemoveAll(b => PathComparer.Equals(b.Path, backup.Path));
        }

        int at = owner.Backups.FindIndex(b => b.Time <= backup.Time);
        owner.Backups.Insert(at < 0 ? owner.Backups.Count : at, backup);
        if (owner.Backups.Count > MaxBackupsPerSecret)
        {
            owner.Backups.RemoveRange(MaxBackupsPerSecret, owner.Backups.Count - MaxBackupsPerSecret);
        }

        return true;
    }

    /// <summary>Drops the earlier secret with this id (never the current one). False when the ring holds no such earlier secret.</summary>
    internal bool Retire(Guid id)
    {
        int index = Earlier.FindIndex(e => e.Id == id);
        if (index < 0)
        {
            return false;
        }

        Earlier[index].Dispose();
        Earlier.RemoveAt(index);
        RingChanged();
        return true;
    }

    /// <summary>
    /// The secrets protected data may be opened with: every secret of the ring, the current one first (new values
    /// are protected under it). The ring borrows this state's arrays: use it while the state is alive.
    /// </summary>
    internal ProtectedDataKeyRing KeyRing(string storePath)
    {
        if (Current is null)
        {
            throw new StoreException(SsoSecretFailure.NoMasterSecret, storePath, $"The secret store '{storePath}' holds no master secret.");
        }

        // The staged secret opens values and protects none: it is among the others, never first.
        var others = new List<ProtectedDataKey>();
        if (Staged is not null)
        {
            others.Add(new ProtectedDataKey(Staged.Id, Staged.Secret));
        }

        others.AddRange(Earlier.ConvertAll(e => new ProtectedDataKey(e.Id, e.Secret)));
        return new ProtectedDataKeyRing(new ProtectedDataKey(Current.Id, Current.Secret), others.ToArray());
    }

    /// <summary>The last backup of the current secret, or null.</summary>
    internal BackupRecord? LastBackupOfCurrent => Current?.LastBackup;

    public void Dispose()
    {
        Current?.Dispose();
        Staged?.Dispose();
        foreach (var earlier in Earlier)
        {
            earlier.Dispose();
        }
    }
}

/// <summary>What a store is in an environment (docs/store-format.md, version 3).</summary>
internal enum StoreRole : byte
{
    /// <summary>The master secret server: its ring is the environment's, sealed to each replica.</summary>
    Master = 1,

    /// <summary>A replica: it holds a copy of the master's ring, installed only from rings its pinned master signed.</summary>
    Replica = 2,
}

/// <summary>
/// A store's part in an environment, kept in the store file (version 3) so that it changes in one write with the ring:
/// a master's environment id and generation (raised by every change of its ring, never going back); a replica's pinned
/// master identity, the generation of the ring it holds (0: none yet) and when it was last installed (or joined).
/// </summary>
internal sealed class StoreEnvironment
{
    private StoreEnvironment(StoreRole role, Guid environmentId, long generation, byte[]? masterPublicKey, DateTimeOffset? synced)
    {
        Role = role;
        EnvironmentId = environmentId;
        Generation = generation;
        MasterPublicKey = masterPublicKey;
        Synced = synced;
    }

    internal StoreRole Role { get; }

    internal Guid EnvironmentId { get; }

    /// <summary>A master's: its ring's generation (1 or more). A replica's: the generation of the ring it holds (0: none).</summary>
    internal long Generation { get; set; }

    /// <summary>A replica's pinned master public key (Ed25519); null for a master.</summary>
    internal byte[]? MasterPublicKey { get; }

    /// <summary>A replica's: when it last installed a ring (or, before its first, when it joined). Null for a master.</summary>
    internal DateTimeOffset? Synced { get; set; }

    /// <summary>A replica's pinned master identity; null for a master.</summary>
    internal MasterIdentity? Pinned => MasterPublicKey is null ? null : new MasterIdentity(EnvironmentId, MasterPublicKey);

    internal static StoreEnvironment Master(Guid environmentId, long generation) => new(StoreRole.Master, environmentId, generation, null, null);

    internal static StoreEnvironment Replica(MasterIdentity pinned, long heldGeneration, DateTimeOffset synced) =>
        new(StoreRole.Replica, pinned.EnvironmentId, heldGeneration, (byte[])pinned.PublicKey.Clone(), synced);

    /// <summary>For the reader: a replica's fields as the file holds them (the key checked by the reader).</summary>
    internal static StoreEnvironment ReplicaUnchecked(Guid environmentId, byte[] masterPublicKey, long heldGeneration, DateTimeOffset synced) =>
        new(StoreRole.Replica, environmentId, heldGeneration, masterPublicKey, synced);
}
