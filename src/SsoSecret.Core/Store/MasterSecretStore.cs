using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Store;

namespace SsoSecret;

/// <summary>
/// The embedded "master secret server": one folder that holds the current master secret, the previous one, and the
/// record of the last backup. Every change is atomic and made under an inter-process lock; on Unix the folder is
/// owner-only (0700, files 0600, each born with its mode), and a store that another user could read, write or replace
/// is refused (<see cref="StorePathCheck"/>); on Windows the secret bytes are protected with DPAPI (machine scope).
/// </summary>
internal sealed class MasterSecretStore
{
    internal const string FileName = "master-secret.dat";
    internal const string LockFileName = "store.lock";
    internal const string PathVariable = "SSOSECRET_STORE";
    internal const string LockTimeoutVariable = "SSOSECRET_LOCK_TIMEOUT_SECONDS";

    /// <summary>The length of a generated master secret, in bytes.</summary>
    internal const int GeneratedSecretLength = 32;

    internal MasterSecretStore(string path, TimeSpan? lockTimeout = null)
    {
        string full = System.IO.Path.GetFullPath(path);
        // "/srv/store/" and "/srv/store" are one store; a root ("/", "C:\") keeps its separator.
        Path = full.Length > 1 && System.IO.Path.GetPathRoot(full) != full ? full.TrimEnd('/', '\\') : full;
        LockTimeout = lockTimeout ?? DefaultLockTimeout();
    }

    /// <summary>The store folder.</summary>
    internal string Path { get; }

    internal string FilePath => System.IO.Path.Combine(Path, FileName);

    internal TimeSpan LockTimeout { get; }

    /// <summary>
    /// The platform default: %ProgramData%\SsoSecret on Windows; /var/lib/ssosecret for root, else
    /// $XDG_DATA_HOME/ssosecret or ~/.local/share/ssosecret, on Linux and macOS.
    /// </summary>
    internal static string DefaultPath()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SsoSecret");
        }

        if (UnixFileMode.IsRoot)
        {
            return "/var/lib/ssosecret";
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg))
        {
            return System.IO.Path.Combine(xdg, "ssosecret");
        }

        string home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".local", "share", "ssosecret");
    }

    private static TimeSpan DefaultLockTimeout()
    {
        string? text = Environment.GetEnvironmentVariable(LockTimeoutVariable);
        if (!string.IsNullOrEmpty(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// Reads the store. A missing folder or file is an empty store. Reads need no lock: writes replace the file
    /// whole, so a reader sees the old state or the new one. On Unix the store is checked first (ownership along its
    /// path, modes, regular files: <see cref="StorePathCheck"/>), and the store file is opened without following a
    /// link and read at most <see cref="StoreFile.MaxLength"/> + 1 bytes.
    /// </summary>
    internal StoreState Read()
    {
        byte[]? data = UnixFileMode.IsUnix ? ReadUnix() : ReadWindows();
        if (data is null)
        {
            return new StoreState();
        }

        try
        {
            return StoreFile.Deserialize(data, FilePath);
        }
        finally
        {
            Memory.Zero(data);
        }
    }

    private byte[]? ReadUnix()
    {
        if (CheckUnix() is null)
        {
            return null;
        }

        RegularFile.Outcome outcome;
        SafeFileHandle? handle;
        PosixFileStatus status;
        try
        {
            outcome = RegularFile.Open(FilePath, followLinks: false, out handle, out status);
        }
        catch (PosixException e) when (e.Errno == Posix.EACCES)
        {
            throw CannotRead(e);
        }
        catch (PosixException e)
        {
            throw Unavailable(FilePath, "its file cannot be opened", e);
        }

        if (outcome == RegularFile.Outcome.Missing)
        {
            return null;
        }

        using (handle)
        {
            // Checked again on the open file itself: what was read is what was checked.
            StorePathCheck.RequireStoreFile(FilePath, status, Path);
            try
            {
                return RegularFile.Read(handle!, StoreFile.MaxLength + 1);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw Unavailable(FilePath, "its file cannot be read", e);
            }
        }
    }

    private byte[]? ReadWindows()
    {
        CheckNotAFile();
        if (!Directory.Exists(Path))
        {
            return null;
        }

        CheckWindows();
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read);
            return RegularFile.ReadBounded(stream, StoreFile.MaxLength + 1);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CannotRead(e);
        }
    }

    private StoreException CannotRead(Exception e) =>
        new(SsoSecretFailure.StoreInsecure, FilePath, $"The store file '{FilePath}' cannot be read by this account ({e.GetType().Name}). Run as the account that owns the store.");

    /// <summary>
    /// Checks the store on Unix (<see cref="StorePathCheck"/>: its path, its folder, its two files as they are named).
    /// Returns the folder's resolved path, or null when the folder does not exist.
    /// </summary>
    private string? CheckUnix()
    {
        (string RealPath, PosixFileStatus Status)? folder;
        try
        {
            folder = StorePathCheck.Walk(Path);
        }
        catch (PosixException e)
        {
            // A folder on the path this account cannot search, for example.
            throw Unavailable(Path, "its path cannot be examined", e);
        }

        if (folder is null)
        {
            return null;
        }

        // Messages name the path as the caller gave it; where links lead elsewhere, the folder's own path.
        string shown = folder.Value.RealPath == Path ? Path : folder.Value.RealPath;
        StorePathCheck.RequireFolderPrivate(shown, folder.Value.Status);
        foreach (string file in new[] { FilePath, LockPath })
        {
            PosixFileStatus? status;
            try
            {
                status = Posix.StatLink(file);
            }
            catch (PosixException e) when (e.Errno == Posix.EACCES)
            {
                throw CannotRead(e); // another account's store folder
            }

            if (status is not null)
            {
                StorePathCheck.RequireStoreFile(file, status.Value, Path);
            }
        }

        return folder.Value.RealPath;
    }

    private string LockPath => System.IO.Path.Combine(Path, LockFileName);

    /// <summary>
    /// Creates the folder if needed (owner-only on Unix), checks its permissions and takes the inter-process lock.
    /// Every change happens while the returned lock is held.
    /// </summary>
    internal StoreLock Lock()
    {
        if (!UnixFileMode.IsUnix)
        {
            return LockWindows();
        }

        if (CheckUnix() is null)
        {
            CreateFolderUnix();
            if (CheckUnix() is null)
            {
                throw new StoreException(SsoSecretFailure.StoreUnavailable, Path, $"The secret store at '{Path}' cannot be used: its folder was created but is gone.");
            }
        }

        SafeFileHandle handle;
        try
        {
            // Born 0600 if it is created now; never a link followed; a FIFO opened without waiting (and then refused).
            handle = Posix.Open(LockPath, Posix.ReadWrite | Posix.Create | Posix.NoFollow | Posix.NonBlocking, UnixFileMode.OwnerOnlyFile);
        }
        catch (PosixException e) when (e.Errno == Posix.ELOOP || e.Errno == Posix.ENXIO)
        {
            StorePathCheck.RequireStoreFile(LockPath, Posix.StatLink(LockPath) ?? default, Path);
            throw Unavailable(LockPath, "its lock file cannot be opened", e);
        }
        catch (PosixException e)
        {
            throw Unavailable(LockPath, "its lock file cannot be opened", e);
        }

        try
        {
            var status = Posix.Stat(handle, LockPath);
            StorePathCheck.RequireStoreFile(LockPath, status, Path);
            if (status.Permissions != UnixFileMode.OwnerOnlyFile && status.Owner == Posix.EffectiveUserId)
            {
                // Created just now under a umask that took owner bits away: owner-only already, now read-write too.
                Posix.SetMode(handle, LockPath, UnixFileMode.OwnerOnlyFile);
            }

            var deadline = DateTime.UtcNow + LockTimeout;
            while (!Posix.TryLockExclusive(handle, LockPath))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw Busy();
                }

                Thread.Sleep(50);
            }

            // The store file is written only under this lock, so a temporary file of it found now was left by a
            // process that was killed while writing: the store file itself still holds the old state, whole.
            RemoveStaleTemporaries();
            var held = new StoreLock(handle);
            handle = null!;
            return held;
        }
        catch (PosixException e)
        {
            throw Unavailable(LockPath, "its lock file cannot be locked", e);
        }
        finally
        {
            handle?.Dispose();
        }
    }

    private StoreLock LockWindows()
    {
        CheckNotAFile();
        EnsureFolderWindows();
        CheckWindows();
        string lockPath = LockPath;
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                RemoveStaleTemporaries();
                return new StoreLock(stream.SafeFileHandle, stream);
            }
            catch (UnauthorizedAccessException e)
            {
                throw Unavailable(lockPath, "its lock file cannot be opened", e);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException)
            {
                throw Busy();
            }
        }
    }

    private StoreException Busy() => new(
        SsoSecretFailure.StoreBusy,
        Path,
        $"The secret store '{Path}' is in use by another process, which held its lock for more than {LockTimeout.TotalSeconds:0.#} seconds. Try again when it has finished (the wait is set by ${LockTimeoutVariable}).");

    /// <summary>
    /// Creates the store folder and any missing folder above it. The store folder is born 0700 (mkdir with that mode),
    /// the folders above it 0755 (never writable by others); a folder another process creates meanwhile is taken as it
    /// is, and checked like any other.
    /// </summary>
    private void CreateFolderUnix()
    {
        var missing = new Stack<string>();
        try
        {
            for (string? folder = Path; folder is not null && Posix.StatLink(folder) is null; folder = System.IO.Path.GetDirectoryName(folder))
            {
                missing.Push(folder);
            }

            while (missing.Count > 0)
            {
                string folder = missing.Pop();
                Posix.MakeDirectory(folder, missing.Count == 0 ? UnixFileMode.OwnerOnlyDirectory : 0x1ED /* 0755 */);
            }
        }
        catch (PosixException e)
        {
            throw Unavailable(Path, "its folder cannot be created", e);
        }
    }

    // The store file is written only under the lock, so a temporary file of it found while the lock is held was left by a
    // process that was killed while writing.
    private void RemoveStaleTemporaries()
    {
        try
        {
            using var folder = OpenFolder.Open(Path);
            AtomicFile.RemoveStaleTemporaries(folder, System.IO.Path.GetFileName(FilePath), TimeSpan.Zero);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A test's hook, called with the store file's path before each write; it may throw as a full disk does.</summary>
    internal static event Action<string>? BeforeWrite;

    /// <summary>Replaces the store file atomically. The caller holds the lock.</summary>
    internal void Write(StoreLock heldLock, StoreState state)
    {
        if (heldLock.IsReleased)
        {
            throw new InvalidOperationException("The store lock must be held to write the store.");
        }

        byte[] data;
        try
        {
            data = StoreFile.Serialize(state);
        }
        catch (DpapiException e)
        {
            throw Unavailable(FilePath, "Windows could not protect the master secret with DPAPI (the store was left as it was)", e);
        }

        try
        {
            BeforeWrite?.Invoke(FilePath);
            AtomicFile.Write(FilePath, data);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(FilePath, "it could not be written (the store was left as it was)", e);
        }
        finally
        {
            Memory.Zero(data);
        }
    }

    /// <summary>A new master secret: a new id, now, and <see cref="GeneratedSecretLength"/> random bytes.</summary>
    internal static StoredSecret NewSecret()
    {
        var now = DateTimeOffset.UtcNow;
        return new StoredSecret(Guid.NewGuid(), TruncateToMilliseconds(now), Primitives.RandomBytes(GeneratedSecretLength));
    }

    /// <summary>
    /// New-SsoMasterSecret's transaction. Generates a new secret and has <paramref name="sealBackup"/> seal its backup
    /// (the KDF, seconds) before the lock is taken. Then, under the lock (milliseconds): checks that the store still
    /// holds the secret the caller saw (<paramref name="expectedCurrent"/>, null for none); puts the backup at its path
    /// (a file it replaces with -Force kept aside); installs the secret (the replaced one kept as the previous secret)
    /// and writes the store. If that write fails, the backup's commit is undone (the replaced file is put back): a
    /// backup of a secret that was never installed is never left behind. Returns the new state; the caller disposes it.
    /// </summary>
    internal StoreState Generate(Guid? expectedCurrent, Func<StoredSecret, PreparedBackup> sealBackup)
    {
        var secret = NewSecret();
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
                CheckUnchanged(state, expectedCurrent, "nothing was changed and no backup was written");
                var committed = prepared.Commit(keepReplaced: true);
                var now = DateTimeOffset.UtcNow;
                state.Install(secret, new BackupRecord(prepared.Header.Created, secret.Id, prepared.Path), now);
                secret = null;
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

    /// <summary>
    /// Restore-SsoMasterSecret's transaction. Under the lock: if the store already holds this secret, nothing changes
    /// (false); otherwise, if it still holds what the caller saw and agreed to replace (<paramref name="expectedCurrent"/>),
    /// installs <paramref name="restored"/> with <paramref name="source"/> as its last backup (true; null for recovery shares, which are no file). The store keeps its
    /// own copy of the secret; the caller still owns (and disposes) <paramref name="restored"/>.
    /// </summary>
    internal bool Restore(StoredSecret restored, Guid? expectedCurrent, BackupRecord? source, out StoreState after)
    {
        using var heldLock = Lock();
        after = Read();
        try
        {
            if (after.Current is not null && after.Current.Id == restored.Id && after.Current.SameSecretAs(restored.Secret))
            {
                return false;
            }

            if (IdConflict(after, restored.Id, restored.Fingerprint, "the secret to restore") is StoreException conflict)
            {
                throw conflict;
            }

            CheckUnchanged(after, expectedCurrent, "nothing was changed");
            after.Install(new StoredSecret(restored.Id, restored.Created, (byte[])restored.Secret.Clone()), source, DateTimeOffset.UtcNow);
            Write(heldLock, after);
            return true;
        }
        catch
        {
            after.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The failure of a restore whose secret has the id of a secret the store holds (current or previous) with other
    /// bytes (another fingerprint), or null. Ids are identities: two secrets never share one, so one of the two was not
    /// made by New-SsoMasterSecret; a backup sealed to recovery keys can be written by anyone who has the public key line.
    /// </summary>
    internal StoreException? IdConflict(StoreState state, Guid id, string fingerprint, string from)
    {
        foreach (var (held, role) in new[] { (state.Current, "current"), (state.Previous, "previous") })
        {
            if (held is not null && held.Id == id && !string.Equals(held.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
            {
                return new StoreException(
                    SsoSecretFailure.SecretIdConflict,
                    Path,
                    $"The store '{Path}' holds master secret {id} as its {role} secret (fingerprint {held.Fingerprint}), and {from} holds a different secret under the same id (fingerprint {fingerprint}). Two secrets never share an id: one of them was not made by New-SsoMasterSecret. A backup sealed to recovery keys can be written by anyone who has the recovery public key line. Nothing was changed.");
            }
        }

        return null;
    }

    /// <summary>
    /// Backup-SsoMasterSecret's transaction, for a backup of <paramref name="secretId"/> sealed before (without the
    /// lock). Under the lock: puts the backup at its path and records it in the store. The record names the secret the
    /// backup holds, even if another process replaced the store's secret meanwhile. A busy store fails the call before
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
            latest.LastBackup = record;
            Write(heldLock, latest);
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

    /// <summary>
    /// Remove-SsoPreviousSecret's transaction: under the lock, forgets the previous secret, if it is still the one the
    /// caller saw and agreed to retire (<paramref name="expectedPrevious"/>). Returns false when the store holds no
    /// previous secret any more. The current secret is never touched.
    /// </summary>
    internal bool RetirePrevious(Guid expectedPrevious, out StoreState after)
    {
        using var heldLock = Lock();
        after = Read();
        try
        {
            if (after.Previous is null)
            {
                return false;
            }

            if (after.Previous.Id != expectedPrevious)
            {
                throw new StoreException(
                    SsoSecretFailure.StoreChanged,
                    Path,
                    $"Another process changed the previous secret of the store '{Path}' (from {expectedPrevious} to {after.Previous.Id}) while this command ran; nothing was retired.")
                {
                    RecommendedAction = "Check the store (Get-SsoMasterSecret), then run the command again if the previous secret should still be retired.",
                };
            }

            after.Previous.Dispose();
            after.Previous = null;
            Write(heldLock, after);
            return true;
        }
        catch
        {
            after.Dispose();
            throw;
        }
    }

    /// <summary>The current secret, or <see cref="SsoSecretFailure.NoMasterSecret"/>.</summary>
    internal StoredSecret RequireCurrent(StoreState state) => state.Current ?? throw new StoreException(
        SsoSecretFailure.NoMasterSecret,
        Path,
        $"The secret store '{Path}' holds no master secret.")
    {
        RecommendedAction = "Create one with New-SsoMasterSecret -BackupPath <file>, or restore one with Restore-SsoMasterSecret <file>.",
    };

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

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>
    /// Creates the store folder on Windows, born with the store's own protected DACL (<see cref="StoreAcl.FolderSddl"/>):
    /// full control for this account, SYSTEM and Administrators (a store under the user's profile: this account alone),
    /// nothing inherited from the folders above; the files made in it inherit exactly that. Missing folders above it
    /// are created as usual.
    /// </summary>
    private void EnsureFolderWindows()
    {
        if (Directory.Exists(Path))
        {
            return;
        }

        try
        {
            string? parent = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(parent))
            {
                Directory.CreateDirectory(parent);
            }

            WindowsSecurity.CreateFolder(Path, StoreAcl.FolderSddl(WindowsSecurity.CurrentUserSid(), IsPerUserWindows()));
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(Path, "its folder cannot be created", e);
        }
    }

    // A store under the calling account's own profile is that account's alone.
    private bool IsPerUserWindows()
    {
        string profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile).TrimEnd('\\', '/');
        return profile.Length > 0 && System.IO.Path.GetFullPath(Path).StartsWith(profile + "\\", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Checks the Windows store as modes are checked on Unix: the folder's and its files' owner and DACL
    /// (<see cref="StoreAcl.Judge"/>). Another principal with any access, a folder that inherits its parent's entries,
    /// or no DACL: <see cref="SsoSecretFailure.StoreInsecure"/>, with the icacls line that fixes it; an owner other than
    /// this account, SYSTEM or Administrators: <see cref="SsoSecretFailure.StoreNotOwned"/>.
    /// </summary>
    private void CheckWindows()
    {
        string user;
        bool perUser = IsPerUserWindows();
        try
        {
            user = WindowsSecurity.CurrentUserSid();
            CheckWindowsEntry(Path, user, isFolder: true, perUser);
            foreach (string file in new[] { FilePath, LockPath })
            {
                if (File.Exists(file))
                {
                    CheckWindowsEntry(file, user, isFolder: false, perUser);
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
        {
            throw Unavailable(Path, "its permissions cannot be read", e);
        }
    }

    private void CheckWindowsEntry(string entry, string user, bool isFolder, bool perUser)
    {
        string sddl = WindowsSecurity.ReadSddl(entry);
        if (isFolder && TestSupport.AssumeProtectedFolderDacl && !Sddl.Parse(sddl).DaclProtected)
        {
            sddl = sddl.Replace("D:", "D:P");
        }

        var verdict = StoreAcl.Judge(sddl, user, isFolder, perUser);
        string subject = isFolder ? $"The secret store folder '{entry}'" : $"The secret store file '{entry}'";
        if (verdict.ForeignOwner is string owner)
        {
            throw new StoreException(
                SsoSecretFailure.StoreNotOwned,
                entry,
                $"{subject} belongs to {StoreAcl.Describe(owner)}, not to this account ({user}), SYSTEM or Administrators: that account could change who may read the master secret.")
            {
                RecommendedAction = $"Do not use this store: another account could have written it. Restore the master secret from a backup you trust into a new store (Restore-SsoMasterSecret -StorePath).",
            };
        }

        if (verdict.IsSecure)
        {
            return;
        }

        string why = verdict.NoDacl
            ? "has no access control list, so every account may read and change it"
            : verdict.Others.Count > 0
                ? $"gives access to {string.Join(", ", verdict.Others.ConvertAll(StoreAcl.Describe))}"
                : "takes its permissions from the folders above it (inheritance is on), so a change there opens it";
        throw new StoreException(
            SsoSecretFailure.StoreInsecure,
            entry,
            $"{subject} {why}. A store is open only to the account that made it, SYSTEM and Administrators{(perUser ? " (under a user profile: that account alone)" : string.Empty)}: the master secret is protected with machine-scope DPAPI, which any account that can read the file can open.")
        {
            RecommendedAction = $"Give the store its own permissions (as an administrator): {StoreAcl.Fix(Path, user, perUser, verdict.Others)}",
        };
    }

    private void CheckNotAFile()
    {
        if (File.Exists(Path))
        {
            throw new StoreException(SsoSecretFailure.StoreUnavailable, Path, $"The secret store path '{Path}' is a file; a store is a folder. Give the path of a folder (it is created if missing).");
        }
    }

    private static StoreException Unavailable(string path, string what, Exception e) =>
        new(SsoSecretFailure.StoreUnavailable, path, $"The secret store at '{path}' cannot be used: {what}: {e.Message}");
}

/// <summary>The inter-process lock on a store, held while it is changed (flock on Unix, a file opened without sharing on Windows).</summary>
internal sealed class StoreLock : IDisposable
{
    private SafeFileHandle? _handle;
    private IDisposable? _owner;

    internal StoreLock(SafeFileHandle handle, IDisposable? owner = null)
    {
        _handle = handle;
        _owner = owner;
    }

    internal bool IsReleased => _handle is null;

    public void Dispose()
    {
        _owner?.Dispose();
        _handle?.Dispose();
        _owner = null;
        _handle = null;
    }
}
