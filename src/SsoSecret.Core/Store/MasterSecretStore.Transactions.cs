using System;
using System.Collections.Generic;
using System.IO;
using SsoSecret.IO;

namespace SsoSecret;

/// <summary>
/// The store's transactions: each takes the lock, reads the store as it is now, checks that it still is what the
/// caller saw and agreed to change, changes the key ring (<see cref="StoreState"/>: nothing is dropped but what is
/// retired by name) and writes it whole.
/// </summary>
internal sealed partial class MasterSecretStore
{
    /// <summary>Generate without what it did to the vault (for callers that do not report it).</summary>
    internal StoreState Generate(Guid? expectedCurrent, Func<StoredSecret, PreparedBackup> sealBackup) => Generate(expectedCurrent, sealBackup, out _);

    /// <summary>
    /// New-SsoMasterSecret's transaction. Generates a new secret and has <paramref name="sealBackup"/> seal its backup
    /// (the KDF, seconds) before the lock is taken. Then, under the lock (milliseconds): checks that the store still
    /// holds the secret the caller saw (<paramref name="expectedCurrent"/>, null for none); puts the backup at its path
    /// (a file it replaces with -Force kept aside); installs the secret (the replaced one kept as the previous secret)
    /// and writes the store. If that write fails, the backup's commit is undone (the replaced file is put back): a
    /// backup of a secret that was never installed is never left behind. Then the vault's entries are moved to the new
    /// secret (<paramref name="vault"/> says how many, or why they were left under the earlier one, which still opens
    /// them). Returns the new state; the caller disposes it.
    /// </summary>
    internal StoreState Generate(Guid? expectedCurrent, Func<StoredSecret, PreparedBackup> sealBackup, out VaultRewrap vault)
    {
        VaultRewrap? rewrap = null;
        var state = AddNewSecret(
            sealBackup,
            state =>
            {
                RefuseOnReplica(state, "generate a secret");
                CheckUnchanged(state, expectedCurrent, "nothing was changed and no backup was written");
            },
            (state, secret, record) => state.Install(secret, record, DateTimeOffset.UtcNow),
            (heldLock, state) => rewrap = RewrapVaultAfterInstall(heldLock, state));
        vault = rewrap!;
        return state;
    }

    /// <summary>
    /// A new secret, of <see cref="Generate(Guid?, Func{StoredSecret, PreparedBackup}, out VaultRewrap)"/> and of a
    /// staged rotation's Stage: generates it and has <paramref name="sealBackup"/> seal its backup before the lock is
    /// taken (the KDF, seconds). Then, under the lock: <paramref name="check"/> the store as it is now, check the ring's
    /// room, put the backup at its path (a file it replaces kept aside), <paramref name="add"/> the secret with its
    /// backup's record, and write the store. If that write fails, the backup's commit is undone: a backup of a secret
    /// that was never added is never left behind. <paramref name="written"/> runs after the write, still under the lock.
    /// Returns the new state; the caller disposes it.
    /// </summary>
    private StoreState AddNewSecret(
        Func<StoredSecret, PreparedBackup> sealBackup,
        Action<StoreState> check,
        Action<StoreState, StoredSecret, BackupRecord> add,
        Action<StoreLock, StoreState> written)
    {
        StoredSecret? secret = NewSecret();
        PreparedBackup prepared;
        try
        {
            prepared = sealBackup(secret);
        }
        catch
        {
            secret.Dispose();
            throw;
        }

        using (prepared)
        {
            StoreState? state = null;
            try
            {
                using var heldLock = Lock();
                state = Read();
                check(state);
                RequireRoom(state, secret.Id, "nothing was changed and no backup was written");
                var committed = prepared.Commit(keepReplaced: true);
                var adding = secret;
                secret = null;
                add(state, adding, new BackupRecord(prepared.Header.Created, adding.Id, prepared.Path));
                try
                {
                    Write(heldLock, state);
                }
                catch (Exception e)
                {
                    if (e is StoreException failed)
                    {
                        throw NotInstalled(failed, committed, prepared.Path);
                    }

                    try
                    {
                        committed.Undo();
                    }
                    catch (Exception undo) when (undo is IOException || undo is UnauthorizedAccessException)
                    {
                    }

                    throw;
                }

                committed.Keep();
                written(heldLock, state);
                return state;
            }
            catch
            {
                secret?.Dispose();
                state?.Dispose();
                throw;
            }
        }
    }

    /// <summary>The store write of a generation failed: its backup is taken back, and the failure says what was done.</summary>
    private static StoreException NotInstalled(StoreException e, CommittedFile committed, string backupPath)
    {
        string replaced = committed.Aside is null ? string.Empty : " (the file it replaced is back in place)";
        string undone;
        try
        {
            committed.Undo();
            undone = $"Nothing was changed: the new secret was not installed, and its backup '{backupPath}' was removed{replaced}.";
        }
        catch (Exception undo) when (undo is IOException || undo is UnauthorizedAccessException)
        {
            undone = committed.Aside is null
                ? $"The new secret was not installed, but its backup '{backupPath}' could not be removed ({undo.Message}): it holds a secret that is not in the store; delete it."
                : $"The new secret was not installed, but its backup '{backupPath}' could not be taken back ({undo.Message}): the file it replaced is kept as '{committed.Aside}'; move it back to '{backupPath}'.";
        }

        return new StoreException(e.Failure, e.Path ?? backupPath, e.Message + " " + undone, e) { RecommendedAction = e.RecommendedAction };
    }

    /// <summary>Restore without what it did to the vault (for callers that do not report it).</summary>
    internal bool Restore(StoredSecret restored, Guid? expectedCurrent, BackupRecord? source, out StoreState after) => Restore(restored, expectedCurrent, source, out after, out _);

    /// <summary>
    /// Restore-SsoMasterSecret's transaction. Under the lock: if the store already holds this secret, nothing changes
    /// (false); otherwise, if it still holds what the caller saw and agreed to replace (<paramref name="expectedCurrent"/>),
    /// installs <paramref name="restored"/> with <paramref name="source"/> as its last backup (true; null for recovery shares, which are no file). The store keeps its
    /// own copy of the secret; the caller still owns (and disposes) <paramref name="restored"/>. Then the vault's entries
    /// are moved to the restored secret (<paramref name="vault"/>).
    /// </summary>
    internal bool Restore(StoredSecret restored, Guid? expectedCurrent, BackupRecord? source, out StoreState after, out VaultRewrap vault)
    {
        using var heldLock = Lock();
        vault = VaultRewrap.None;
        after = Read();
        try
        {
            RefuseOnReplica(after, "restore a secret");
            if (after.Current is not null && after.Current.Id == restored.Id && after.Current.SameSecretAs(restored.Secret))
            {
                return false;
            }

            if (IdConflict(after, restored.Id, restored.Fingerprint, "the secret to restore") is StoreException conflict)
            {
                throw conflict;
            }

            CheckUnchanged(after, expectedCurrent, "nothing was changed");
            RequireRoom(after, restored.Id, "nothing was changed");
            after.Install(new StoredSecret(restored.Id, restored.Created, (byte[])restored.Secret.Clone()), source, DateTimeOffset.UtcNow);
            Write(heldLock, after);
            vault = RewrapVaultAfterInstall(heldLock, after);
            return true;
        }
        catch
        {
            after.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The failure of a restore whose secret has the id of a secret the store's key ring holds with other bytes
    /// (another fingerprint), or null. Ids are identities: two secrets never share one, so one of the two was not
    /// made by New-SsoMasterSecret; a backup sealed to recovery keys can be written by anyone who has the public key line.
    /// </summary>
    internal StoreException? IdConflict(StoreState state, Guid id, string fingerprint, string from)
    {
        var held = state.Find(id);
        if (held is null || string.Equals(held.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string role = ReferenceEquals(held, state.Current) ? "current secret" : "earlier secret (kept after a replacement)";
        return new StoreException(
            SsoSecretFailure.SecretIdConflict,
            Path,
            $"The store '{Path}' holds master secret {id} as its {role} (fingerprint {held.Fingerprint}), and {from} holds a different secret under the same id (fingerprint {fingerprint}). Two secrets never share an id: one of them was not made by New-SsoMasterSecret. A backup sealed to recovery keys can be written by anyone who has the recovery public key line. Nothing was changed.");
    }

    /// <summary>
    /// A ring that is full refuses a new secret (<see cref="SsoSecretFailure.KeyRingFull"/>): no secret is ever dropped
    /// to make room. Installing a secret the ring already holds needs no room; <paramref name="id"/> null is a new secret.
    /// </summary>
    internal void RequireRoom(StoreState state, Guid? id, string consequence)
    {
        if (state.CountAfterInstalling(id) <= StoreState.MaxSecrets)
        {
            return;
        }

        var oldest = state.Earlier[state.Earlier.Count - 1];
        throw new StoreException(
            SsoSecretFailure.KeyRingFull,
            Path,
            $"The key ring of the store '{Path}' holds {state.Count} master secrets, as many as it can ({StoreState.MaxSecrets}): the current one and {state.Earlier.Count} earlier ones, which values may still need. SsoSecret never drops one to make room; {consequence}. The oldest earlier secret is {oldest.Id} (replaced {oldest.Replaced:u}).")
        {
            RecommendedAction = $"Rewrap the values under the current secret (Update-SsoProtectedData), then retire earlier secrets no value needs: Remove-SsoPreviousSecret -SecretId {oldest.Id} -StorePath '{Path}'.",
        };
    }

    /// <summary>
    /// Backup-SsoMasterSecret's transaction, for a backup of <paramref name="secretId"/> sealed before (without the
    /// lock). Under the lock: puts the backup at its path and records it in the store, with the secret it holds, even
    /// if another process replaced the store's secret meanwhile (a secret retired meanwhile gets no record: the file is
    /// kept, as a backup of a secret the store no longer holds). A busy store fails the call before
    /// the backup is put in place. If the record cannot be written, the backup stays (it is complete and verified) and
    /// the failure is <see cref="SsoSecretFailure.BackupNotRecorded"/>, naming it.
    /// </summary>
    internal BackupRecord RecordBackup(PreparedBackup prepared, Guid secretId)
    {
        using var heldLock = Lock();
        var committed = prepared.Commit(keepReplaced: false);
        committed.Keep();
        var record = new BackupRecord(prepared.Header.Created, secretId, prepared.Path);
        try
        {
            using var latest = Read();
            if (latest.Record(record))
            {
                Write(heldLock, latest);
            }
        }
        catch (StoreException e)
        {
            throw new StoreException(
                SsoSecretFailure.BackupNotRecorded,
                prepared.Path,
                $"The backup '{prepared.Path}' of master secret {secretId} was written, read back and verified, and is good to keep; but the store could not record it, so Get-SsoMasterSecret does not show it as the last backup. {e.Message}",
                e);
        }

        return record;
    }

    /// <summary>Retire without what it did to the vault (for callers that do not report it).</summary>
    internal List<Guid> Retire(IReadOnlyCollection<Guid> ids, out StoreState after) => Retire(ids, out after, out _);

    /// <summary>
    /// Remove-SsoPreviousSecret's transaction: under the lock, drops the earlier secrets named (and agreed to retire)
    /// from the key ring, all of them or none. An id that is the current secret fails the call
    /// (<see cref="SsoSecretFailure.SecretIsCurrent"/>: another process may have restored it meanwhile); an id the
    /// ring does not hold (any more) is left out of the result. First, every vault entry under a secret to retire is
    /// moved to the current secret (<paramref name="vaultMoved"/> of them), or the retirement is refused
    /// (<see cref="SsoSecretFailure.VaultEntryStranded"/>). Returns the ids retired. On a master, with
    /// <paramref name="confirmations"/> (the session form's), every replica of its list must have confirmed holding its
    /// ring, or nothing is retired (<see cref="SsoSecretFailure.ReplicaNotReady"/>).
    /// </summary>
    internal List<Guid> Retire(IReadOnlyCollection<Guid> ids, out StoreState after, out int vaultMoved, IReadOnlyDictionary<string, string>? confirmations = null)
    {
        vaultMoved = 0;
        using var heldLock = Lock();
        after = Read();
        try
        {
            RefuseOnReplica(after, "retire a secret");
            if (confirmations is not null && after.Environment is { Role: StoreRole.Master } && Unconfirmed(after, confirmations) is { Count: > 0 } missing)
            {
                throw NotConfirmed(missing, $"Master secret(s) {string.Join(", ", ids)} were not retired");
            }

            foreach (var id in ids)
            {
                if (after.Current is not null && after.Current.Id == id)
                {
                    throw CurrentNotRetired(id);
                }

                if (after.Staged is not null && after.Staged.Id == id)
                {
                    throw RoleConflict($"Master secret {id} is the staged secret of the master '{Path}': it is activated (Enable-SsoStagedSecret), never retired. Nothing was retired.");
                }
            }

            var held = new HashSet<Guid>();
            foreach (var id in ids)
            {
                if (after.Find(id) is not null)
                {
                    held.Add(id);
                }
            }

            if (held.Count > 0)
            {
                vaultMoved = RewrapVaultBeforeRetire(heldLock, after, held);
            }

            var retired = new List<Guid>();
            foreach (var id in ids)
            {
                if (after.Retire(id))
                {
                    retired.Add(id);
                }
            }

            if (retired.Count > 0)
            {
                Write(heldLock, after);
            }

            return retired;
        }
        catch
        {
            after.Dispose();
            throw;
        }
    }

    /// <summary>The failure of a retirement that names the current secret.</summary>
    internal StoreException CurrentNotRetired(Guid id) => new(
        SsoSecretFailure.SecretIsCurrent,
        Path,
        $"Master secret {id} is the current secret of the store '{Path}': new values and backups use it, and it is never retired. Nothing was retired.");

    /// <summary>
    /// Another process installed or replaced the secret between the caller's look at the store and its change: what
    /// was agreed to replace is no longer there, so nothing is replaced, -Force or not.
    /// </summary>
    private void CheckUnchanged(StoreState state, Guid? expectedCurrent, string consequence)
    {
        if (state.Current is null || state.Current.Id == expectedCurrent)
        {
            return;
        }

        Guid now = state.Current.Id;
        throw new StoreException(
            SsoSecretFailure.MasterSecretExists,
            Path,
            expectedCurrent is null
                ? $"Another process installed master secret {now} in the store '{Path}' while this command ran; {consequence}."
                : $"Another process replaced master secret {expectedCurrent} with {now} in the store '{Path}' while this command ran; {consequence}.")
        {
            RecommendedAction = "Check the store's secret (Get-SsoMasterSecret), then run the command again if it should still be replaced.",
        };
    }
}
