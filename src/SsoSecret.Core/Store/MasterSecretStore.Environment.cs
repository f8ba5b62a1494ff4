using System;
using System.Collections.Generic;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Vault;

namespace SsoSecret;

/// <summary>
/// The store's part in an environment (docs/environment-format.md; docs/store-format.md, version 3): making a store the
/// master, joining one to a master as a replica, sealing the master's ring to a replica, and installing a sealed ring
/// on a replica. Each change is a transaction under the store's lock, and the ring, its generation and the pin change
/// in one write of the store file. Key files live in the store folder, written after the lock has checked the folder.
/// </summary>
internal sealed partial class MasterSecretStore
{
    /// <summary>
    /// Makes this store the master of a new environment, or returns the environment it is master of already. Under the
    /// lock: a replica is refused (<see cref="SsoSecretFailure.EnvironmentRoleConflict"/>); a store without a current
    /// secret is refused (<see cref="SsoSecretFailure.NoMasterSecret"/>); the environment key is read from the store
    /// folder, or made and written there (never replaced); then the store file records the role, the environment id and
    /// generation 1. A crash between the two writes leaves a key file that the next call uses.
    /// </summary>
    internal MasterIdentity MakeMaster(out bool created)
    {
        using var heldLock = Lock();
        using var state = Read();
        if (state.Environment is { Role: StoreRole.Replica } replica)
        {
            throw RoleConflict($"The store '{Path}' is a replica of environment {replica.EnvironmentId:D}: a replica holds its master's ring and never becomes a master of its own. Nothing was changed.");
        }

        RequireCurrent(state);
        using var key = ReadOrMakeMasterKey();
        if (state.Environment is { Role: StoreRole.Master } master)
        {
            if (master.EnvironmentId != key.EnvironmentId)
            {
                throw RoleConflict($"The store '{Path}' is the master of environment {master.EnvironmentId:D}, but its environment key file is of environment {key.EnvironmentId:D}. Nothing was changed.");
            }

            created = false;
            return key.Identity;
        }

        state.Environment = StoreEnvironment.Master(key.EnvironmentId, 1);
        Write(heldLock, state);
        created = true;
        return key.Identity;
    }

    /// <summary>
    /// Joins this store to the environment of <paramref name="pinned"/> as a replica, or returns its host key if it is
    /// a replica of that master already. Under the lock: a master, a replica of another master, or a store that holds
    /// secrets of its own is refused (<see cref="SsoSecretFailure.EnvironmentRoleConflict"/>: its own secrets would be
    /// lost to the master's ring); the host key is read from the store folder or made there; then the store file pins
    /// the master's identity, with no ring held yet. Returns the host's public key.
    /// </summary>
    internal ReplicaPublicKey Join(MasterIdentity pinned, out bool created)
    {
        using var heldLock = Lock();
        using var state = Read();
        switch (state.Environment)
        {
            case { Role: StoreRole.Master } master:
                throw RoleConflict($"The store '{Path}' is the master of environment {master.EnvironmentId:D}; a master does not join another environment. Nothing was changed.");
            case { Role: StoreRole.Replica } replica when !pinned.Equals(replica.Pinned):
                throw RoleConflict($"The store '{Path}' is a replica of environment {replica.EnvironmentId:D}, pinned to master {replica.Pinned!.Fingerprint}, not to {pinned.Fingerprint} of environment {pinned.EnvironmentId:D}. Nothing was changed.");
            case { Role: StoreRole.Replica }:
                using (var held = ReadOrMakeHostKey())
                {
                    created = false;
                    return held.PublicKey;
                }
        }

        if (state.Count > 0)
        {
            throw RoleConflict($"The store '{Path}' holds {state.Count} master secret(s) of its own: a replica's ring comes only from its master, and joining would leave values protected under them unopenable. Nothing was changed.");
        }

        if (ReadVault() is { Entries.Count: > 0 } own)
        {
            throw RoleConflict($"The store '{Path}' holds {own.Entries.Count} vault entr{(own.Entries.Count == 1 ? "y" : "ies")} of its own: a replica's vault is its master's, and the first sync would replace them. Export them (Export-SsoVault) and remove them, or join from another store. Nothing was changed.");
        }

        using var host = ReadOrMakeHostKey();
        state.Environment = StoreEnvironment.Replica(pinned, 0, Now());
        Write(heldLock, state);
        created = true;
        return host.PublicKey;
    }

    /// <summary>
    /// The master's ring and vault sealed to <paramref name="replica"/> (docs/environment-format.md, version 2): read
    /// under the lock, so that the ring, the vault and the generation are of one state (a vault change raises the
    /// generation, then writes the vault), sealed and signed with the environment key. Refused unless this store is a
    /// master whose key file is of its environment, and while its vault is damaged.
    /// </summary>
    internal byte[] SealRing(ReplicaPublicKey replica, out long generation)
    {
        using var heldLock = Lock();
        using var state = Read();
        if (state.Environment is not { Role: StoreRole.Master } master)
        {
            throw RoleConflict($"The store '{Path}' is not the master of an environment: only a master seals its ring.");
        }

        using var key = ReadMasterKey() ?? throw RoleConflict($"The store '{Path}' is the master of environment {master.EnvironmentId:D}, but its environment key file '{System.IO.Path.Combine(Path, EnvironmentKeyFile.MasterKeyName)}' is missing. Restore it from its backup; a new key would be one no replica pinned.");
        if (key.EnvironmentId != master.EnvironmentId)
        {
            throw RoleConflict($"The store '{Path}' is the master of environment {master.EnvironmentId:D}, but its environment key file is of environment {key.EnvironmentId:D}.");
        }

        using var ring = state.ToEnvironmentRing() ?? throw new InvalidOperationException("A master holds a current secret; the reader checks.");
        generation = master.Generation;
        var sealedRing = SealedRing.Seal(ring, VaultForRing(), generation, DateTimeOffset.UtcNow, key, replica);
        RememberReplica(replica);
        return sealedRing;
    }

    internal string ReplicaListPath => System.IO.Path.Combine(Path, ReplicaList.FileName);

    /// <summary>The replicas this master has sealed its ring to, in the order it first did (none: an empty list).</summary>
    internal List<ReplicaPublicKey> ReadReplicas()
    {
        byte[]? data = ReadStoreFile(ReplicaListPath, ReplicaList.MaxLength);
        return data is null ? new List<ReplicaPublicKey>() : ReplicaList.Parse(data, ReplicaListPath);
    }

    /// <summary>
    /// Removes the replica of <paramref name="fingerprint"/> from the master's list (a replica that left the
    /// environment, so that activations and retirements stop waiting for it). Returns its line, or null when the list
    /// does not hold it. The replica's own store is not touched; a later sync to it lists it again.
    /// </summary>
    internal ReplicaPublicKey? ForgetReplica(string fingerprint)
    {
        using var heldLock = Lock();
        using var state = Read();
        RequireMaster(state, "forget a replica");
        var list = ReadReplicas();
        var found = list.Find(r => string.Equals(r.Fingerprint, fingerprint.Trim(), StringComparison.OrdinalIgnoreCase));
        if (found is not null)
        {
            list.Remove(found);
            WriteReplicaList(list);
        }

        return found;
    }

    /// <summary>
    /// The replicas of the master's list that did not confirm holding the ring of <paramref name="state"/> (its
    /// generation): no confirmation under their fingerprint in <paramref name="confirmations"/>, or one that is not
    /// the one their ring gives (docs/environment-format.md, "Confirmations").
    /// </summary>
    internal List<ReplicaPublicKey> Unconfirmed(StoreState state, IReadOnlyDictionary<string, string>? confirmations)
    {
        var missing = new List<ReplicaPublicKey>();
        foreach (var replica in ReadReplicas())
        {
            // Compared as text (lower-case hex), in constant time.
            var expected = System.Text.Encoding.ASCII.GetBytes(SecretFingerprint.ToHex(state.RingConfirmation(replica.FingerprintBytes)!));
            byte[]? given = null;
            if (confirmations is not null && confirmations.TryGetValue(replica.Fingerprint, out var text) && text is not null)
            {
                given = System.Text.Encoding.ASCII.GetBytes(text.Trim().ToLowerInvariant());
            }

            if (given is null || given.Length != expected.Length || !Primitives.FixedTimeEquals(given, 0, expected, 0, expected.Length))
            {
                missing.Add(replica);
            }
        }

        return missing;
    }

    /// <summary>
    /// A replica's confirmation that it holds its ring (hex), for its master, from its state and host public key as the
    /// caller read them; null unless the store is a replica that holds a ring.
    /// </summary>
    internal static string? RingConfirmationHex(StoreState state, ReplicaPublicKey? host)
    {
        if (state.Environment is not { Role: StoreRole.Replica, Generation: > 0 } || host is null)
        {
            return null;
        }

        var confirmation = state.RingConfirmation(host.FingerprintBytes);
        return confirmation is null ? null : SecretFingerprint.ToHex(confirmation);
    }

    /// <summary>The failure of a step that needs every replica of the master's list to confirm, naming those that did not.</summary>
    internal StoreException NotConfirmed(List<ReplicaPublicKey> missing, string step) => new(
        SsoSecretFailure.ReplicaNotReady,
        Path,
        $"{step}: {missing.Count} replica(s) the master has sealed its ring to did not confirm that they hold its ring now ({string.Join(", ", missing.ConvertAll(r => r.Fingerprint))}): a replica without the master's ring does not open every value the others protect, and may protect values they cannot open. Nothing was changed.")
    {
        RecommendedAction = "Sync those replicas (Sync-SsoEnvironment) and run the step with every replica's session; for a replica that left the environment, Remove-SsoReplica -Fingerprint <fingerprint> on the master; -Force goes past them, and they are stale until they sync.",
    };

    // Under the lock: the replica a ring was just sealed to joins the master's list.
    private void RememberReplica(ReplicaPublicKey replica)
    {
        var list = ReadReplicas();
        if (list.Exists(r => r.Equals(replica)))
        {
            return;
        }

        if (list.Count >= ReplicaList.MaxReplicas)
        {
            throw RoleConflict($"The master '{Path}' lists {list.Count} replicas already, as many as it keeps: remove those that left (Remove-SsoReplica). Nothing was sealed.");
        }

        list.Add(replica);
        WriteReplicaList(list);
    }

    private void WriteReplicaList(List<ReplicaPublicKey> list)
    {
        try
        {
            BeforeWrite?.Invoke(ReplicaListPath);
            AtomicFile.Write(ReplicaListPath, ReplicaList.Serialize(list));
        }
        catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(ReplicaListPath, "its list of replicas could not be written (nothing was sealed)", e);
        }
    }

    /// <summary>
    /// A replica installs a sealed ring. Under the lock: refused unless this store is a replica; the ring is opened with
    /// the host key against the pin and the held ring (docs/environment-format.md, steps 1 to 15, each refusal with its
    /// own failure); a ring the replica holds already changes nothing but the time of the last sync; otherwise the ring
    /// replaces the store's, secrets and held generation in one write (backup records kept for the secrets that stay).
    /// </summary>
    internal SealedRingHeader InstallRing(byte[] sealedRing, out bool installed) => InstallRing(sealedRing, out installed, out bool _);

    /// <summary>
    /// As <see cref="InstallRing(byte[], out bool)"/>. A version 2 ring brings the master's vault, which replaces the
    /// replica's (a replica's vault changes nowhere else) when it is not the one the replica holds: the vault first,
    /// then the store file with the ring and its generation, so that a crash between them leaves the older generation
    /// held and the next sync installs both again. <paramref name="vaultInstalled"/> says whether the vault was written.
    /// </summary>
    internal SealedRingHeader InstallRing(byte[] sealedRing, out bool installed, out bool vaultInstalled)
    {
        using var heldLock = Lock();
        using var state = Read();
        if (state.Environment is not { Role: StoreRole.Replica } replica)
        {
            throw RoleConflict($"The store '{Path}' is not a replica: join it to an environment first. Nothing was installed.");
        }

        using var host = ReadHostKey() ?? throw RoleConflict($"The store '{Path}' is a replica, but its host key file '{System.IO.Path.Combine(Path, EnvironmentKeyFile.ReplicaHostKeyName)}' is missing: no ring sealed to it can be opened. Join the environment again from a new store. Nothing was installed.");
        HeldRing? held = null;
        if (replica.Generation > 0)
        {
            var digest = state.RingDigest()!;
            held = new HeldRing(replica.Generation, digest, HeldVaultDigest());
            Memory.Zero(digest);
        }

        using var opened = SealedRing.Open(sealedRing, host, replica.Pinned!, held);
        replica.Synced = Now();
        installed = !opened.SameAsHeld;
        vaultInstalled = !opened.VaultSameAsHeld;
        if (vaultInstalled)
        {
            var document = VaultFile.Deserialize(opened.Vault!, VaultPath);
            WriteVaultFile(opened.Vault!, document.Entries);
        }

        if (installed)
        {
            Replace(state, opened.Ring);
            replica.Generation = opened.Header.Generation;
        }

        Write(heldLock, state);
        return opened.Header;
    }

    /// <summary>
    /// The first phase of a staged rotation (New-SsoMasterSecret -Stage, on a master): generates a secret and has
    /// <paramref name="sealBackup"/> seal its backup before the lock is taken; then, under the lock, refuses a store that
    /// is not a master (<see cref="SsoSecretFailure.EnvironmentRoleConflict"/>) or holds a staged secret already
    /// (<see cref="SsoSecretFailure.SecretAlreadyStaged"/>), puts the backup in place, adds the secret as the ring's
    /// staged secret (it opens values and protects none) and raises the generation, in one write. A failed write takes
    /// the backup back. Returns the new state; the caller disposes it.
    /// </summary>
    internal StoreState Stage(Func<StoredSecret, PreparedBackup> sealBackup) => AddNewSecret(
        sealBackup,
        state =>
        {
            RequireMaster(state, "stage a secret");
            if (state.Staged is { } staged)
            {
                throw new StoreException(
                    SsoSecretFailure.SecretAlreadyStaged,
                    Path,
                    $"The master '{Path}' holds staged secret {staged.Id} already: activate it (Enable-SsoStagedSecret) before staging another. Nothing was changed and no backup was written.");
            }
        },
        (state, secret, record) =>
        {
            state.Staged = secret;
            state.Record(record);
            state.RingChanged();
        },
        (_, _) => { });

    /// <summary>
    /// The second phase (Enable-SsoStagedSecret, on a master): under the lock, the staged secret
    /// <paramref name="stagedId"/> becomes the current secret (the current one becomes the newest earlier secret, kept
    /// until it is retired by name), the generation goes up, and the vault's entries move to it. Refused unless this
    /// store is a master whose staged secret is that one (another process may have changed it:
    /// <see cref="SsoSecretFailure.EnvironmentRoleConflict"/>).
    /// </summary>
    internal StoreState Activate(Guid stagedId, out VaultRewrap vault) => Activate(stagedId, null, true, out vault, out _);

    /// <summary>
    /// As <see cref="Activate(Guid, out VaultRewrap)"/>, and first, under the same lock: every replica of the master's
    /// list must have confirmed holding the ring with the staged secret (<paramref name="confirmations"/>, by
    /// fingerprint); those that did not refuse the activation (<see cref="SsoSecretFailure.ReplicaNotReady"/>) unless
    /// <paramref name="force"/>, and are returned in <paramref name="passed"/>.
    /// </summary>
    internal StoreState Activate(Guid stagedId, IReadOnlyDictionary<string, string>? confirmations, bool force, out VaultRewrap vault, out List<ReplicaPublicKey> passed)
    {
        using var heldLock = Lock();
        var state = Read();
        try
        {
            RequireMaster(state, "activate a staged secret");
            if (state.Staged is not { } staged || staged.Id != stagedId)
            {
                throw RoleConflict($"The master '{Path}' holds no staged secret {stagedId} (its staged secret is {state.Staged?.Id.ToString() ?? "none"}). Nothing was changed.");
            }

            passed = Unconfirmed(state, confirmations);
            if (passed.Count > 0 && !force)
            {
                throw NotConfirmed(passed, $"Staged secret {stagedId} was not activated");
            }

            state.Install(new StoredSecret(staged.Id, staged.Created, (byte[])staged.Secret.Clone()), null, DateTimeOffset.UtcNow);
            Write(heldLock, state);
            vault = RewrapVaultAfterInstall(heldLock, state);
            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private void RequireMaster(StoreState state, string what)
    {
        RefuseOnReplica(state, what);
        if (state.Environment is not { Role: StoreRole.Master })
        {
            throw RoleConflict($"The store '{Path}' is not the master of an environment: only a master can {what}.");
        }
    }

    /// <summary>
    /// New-SsoMasterSecret, Restore-SsoMasterSecret and Remove-SsoPreviousSecret change a ring; on a replica the ring
    /// comes only from its master (<see cref="SsoSecretFailure.StoreIsReplica"/>), so that no replica ever generates a
    /// secret of its own that the others cannot open (dotnet/aspnetcore#35602).
    /// </summary>
    internal void RefuseOnReplica(StoreState state, string what)
    {
        if (state.Environment is { Role: StoreRole.Replica } replica)
        {
            throw new StoreException(
                SsoSecretFailure.StoreIsReplica,
                Path,
                $"The store '{Path}' is a replica of environment {replica.EnvironmentId:D}: its key ring comes only from its master (fingerprint {replica.Pinned!.Fingerprint}), so it does not {what}. Nothing was changed.");
        }
    }

    // The ring of the sealed ring replaces the store's: the same secrets in the same order and states. A secret the
    // store held keeps its backup records.
    private static void Replace(StoreState state, EnvironmentRing ring)
    {
        var records = new Dictionary<Guid, List<BackupRecord>>();
        foreach (var old in state.Ring)
        {
            records[old.Id] = old.Backups;
        }

        var secrets = new List<StoredSecret>();
        foreach (var secret in ring.Secrets)
        {
            records.TryGetValue(secret.Id, out var backups);
            secrets.Add(new StoredSecret(secret.Id, secret.Created, (byte[])secret.Secret.Clone(), secret.Replaced, backups));
        }

        state.Current?.Dispose();
        state.Staged?.Dispose();
        state.Earlier.ForEach(e => e.Dispose());
        state.Earlier.Clear();
        state.Current = null;
        state.Staged = null;
        for (int i = 0; i < ring.Secrets.Count; i++)
        {
            switch (ring.Secrets[i].State)
            {
                case RingSecretState.Active:
                    state.Current = secrets[i];
                    break;
                case RingSecretState.Staged:
                    state.Staged = secrets[i];
                    break;
                default:
                    state.Earlier.Add(secrets[i]);
                    break;
            }
        }
    }

    /// <summary>The master identity of this store's environment key file, or null when it has none.</summary>
    internal MasterIdentity? MasterKeyIdentity()
    {
        using var key = ReadMasterKey();
        return key?.Identity;
    }

    /// <summary>The public key of this store's host key file, or null when it has none.</summary>
    internal ReplicaPublicKey? HostPublicKey()
    {
        using var key = ReadHostKey();
        return key?.PublicKey;
    }

    private MasterEnvironmentKey? ReadMasterKey() =>
        ReadKey(EnvironmentKeyFile.MasterKeyName, EnvironmentKeyKind.Master, content => content.ToMasterKey());

    private ReplicaHostKey? ReadHostKey() =>
        ReadKey(EnvironmentKeyFile.ReplicaHostKeyName, EnvironmentKeyKind.ReplicaHost, content => content.ToReplicaHostKey());

    // Called under the lock, which checked the folder. A key once written is never replaced.
    private MasterEnvironmentKey ReadOrMakeMasterKey() =>
        ReadMasterKey() ?? MakeKey(MasterEnvironmentKey.Generate(), EnvironmentKeyFile.MasterKeyName, EnvironmentKeyKind.Master, key => EnvironmentKeyFile.Encode(key, DateTimeOffset.UtcNow));

    private ReplicaHostKey ReadOrMakeHostKey() =>
        ReadHostKey() ?? MakeKey(ReplicaHostKey.Generate(), EnvironmentKeyFile.ReplicaHostKeyName, EnvironmentKeyKind.ReplicaHost, key => EnvironmentKeyFile.Encode(key, DateTimeOffset.UtcNow));

    /// <summary>The key in the store folder's key file <paramref name="name"/> of <paramref name="kind"/>, or null when there is no such file.</summary>
    private T? ReadKey<T>(string name, EnvironmentKeyKind kind, Func<EnvironmentKeyContent, T> toKey)
        where T : class
    {
        var data = EnvironmentKeyFile.Read(Path, name);
        if (data is null)
        {
            return null;
        }

        try
        {
            using var content = EnvironmentKeyFile.Decode(data, kind);
            return toKey(content);
        }
        finally
        {
            Memory.Zero(data);
        }
    }

    /// <summary>Writes a key just made to its key file (never over one); disposes it if that fails.</summary>
    private T MakeKey<T>(T key, string name, EnvironmentKeyKind kind, Func<T, byte[]> encode)
        where T : IDisposable
    {
        byte[]? content = null;
        try
        {
            content = encode(key);
            EnvironmentKeyFile.Write(Path, name, content, kind);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            if (content is not null)
            {
                Memory.Zero(content);
            }
        }
    }

    private StoreException RoleConflict(string message) => new(SsoSecretFailure.EnvironmentRoleConflict, Path, message);
}
