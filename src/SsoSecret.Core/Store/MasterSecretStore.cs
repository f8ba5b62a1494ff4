using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Store;

namespace SsoSecret;

/// <summary>
/// The embedded "master secret server": one folder that holds the current master secret, the previous one, and the
/// record of the last backup. Every change is atomic and made under an inter-process lock; on Unix the folder is
/// owner-only (0700, files 0600) and a store open to others is refused; on Windows the secret bytes are protected
/// with DPAPI (machine scope).
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
        Path = System.IO.Path.GetFullPath(path);
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
    /// whole, so a reader sees the old state or the new one.
    /// </summary>
    internal StoreState Read()
    {
        CheckNotAFile();
        if (!Directory.Exists(Path) || !File.Exists(FilePath))
        {
            return new StoreState();
        }

        CheckPermissions();
        byte[] data;
        try
        {
            data = File.ReadAllBytes(FilePath);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StoreException(SsoSecretFailure.StoreInsecure, FilePath, $"The store file '{FilePath}' cannot be read by this account ({e.GetType().Name}). Run as the account that owns the store.");
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

    /// <summary>
    /// Creates the folder if needed (owner-only on Unix), checks its permissions and takes the inter-process lock.
    /// Every change happens while the returned lock is held.
    /// </summary>
    internal StoreLock Lock()
    {
        CheckNotAFile();
        EnsureFolder();
        CheckPermissions();
        string lockPath = System.IO.Path.Combine(Path, LockFileName);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (UnixFileMode.IsUnix)
                {
                    UnixFileMode.Set(lockPath, UnixFileMode.OwnerOnlyFile);
                }

                // The store file is written only under this lock, so a temporary file of it found now was left by a
                // process that was killed while writing: the store file itself still holds the old state, whole.
                AtomicFile.RemoveStaleTemporaries(FilePath, TimeSpan.Zero);
                return new StoreLock(stream);
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
                throw new StoreException(
                    SsoSecretFailure.StoreBusy,
                    Path,
                    $"The secret store '{Path}' is in use by another process, which held its lock for more than {LockTimeout.TotalSeconds:0.#} seconds. Try again when it has finished (the wait is set by ${LockTimeoutVariable}).");
            }
        }
    }

    /// <summary>Replaces the store file atomically. The caller holds the lock.</summary>
    internal void Write(StoreLock heldLock, StoreState state)
    {
        if (heldLock.IsReleased)
        {
            throw new InvalidOperationException("The store lock must be held to write the store.");
        }

        var data = StoreFile.Serialize(state);
        try
        {
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

    /// <summary>
    /// New-SsoMasterSecret's transaction. Under the lock: checks that the store still holds the secret the caller saw
    /// (<paramref name="expectedCurrent"/>, null for none), generates a new secret, has <paramref name="writeBackup"/>
    /// write and verify its backup, and only then installs it (the replaced one kept as the previous secret). The lock
    /// is held from the check to the install, so a backup is never written for a secret that is then not installed
    /// because another process got in between. Returns the new state; the caller disposes it.
    /// </summary>
    internal StoreState Generate(Guid? expectedCurrent, Func<StoredSecret, BackupRecord> writeBackup)
    {
        using var heldLock = Lock();
        var state = Read();
        try
        {
            CheckUnchanged(state, expectedCurrent, "nothing was changed and no backup was written");
            var now = DateTimeOffset.UtcNow;
            var secret = new StoredSecret(Guid.NewGuid(), TruncateToMilliseconds(now), Primitives.RandomBytes(GeneratedSecretLength));
            BackupRecord backup;
            try
            {
                backup = writeBackup(secret);
            }
            catch
            {
                secret.Dispose();
                throw;
            }

            state.Install(secret, backup, now);
            Write(heldLock, state);
            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Restore-SsoMasterSecret's transaction. Under the lock: if the store already holds this secret, nothing changes
    /// (false); otherwise, if it still holds what the caller saw and agreed to replace (<paramref name="expectedCurrent"/>),
    /// installs <paramref name="restored"/> with <paramref name="source"/> as its last backup (true). The store keeps its
    /// own copy of the secret; the caller still owns (and disposes) <paramref name="restored"/>.
    /// </summary>
    internal bool Restore(StoredSecret restored, Guid? expectedCurrent, BackupRecord source, out StoreState after)
    {
        using var heldLock = Lock();
        after = Read();
        try
        {
            if (after.Current is not null && after.Current.Id == restored.Id && after.Current.SameSecretAs(restored.Secret))
            {
                return false;
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
    /// Backup-SsoMasterSecret's transaction: takes the lock first (a busy store then fails the call before any file is
    /// written), has <paramref name="writeBackup"/> write and verify the backup, and records it in the store. The
    /// record names the secret the backup holds, even if another process replaced the store's secret meanwhile.
    /// </summary>
    internal BackupRecord RecordBackup(Func<BackupRecord> writeBackup)
    {
        using var heldLock = Lock();
        var record = writeBackup();
        using var latest = Read();
        latest.LastBackup = record;
        Write(heldLock, latest);
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

    private void EnsureFolder()
    {
        if (Directory.Exists(Path))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path);
            if (UnixFileMode.IsUnix)
            {
                UnixFileMode.Set(Path, UnixFileMode.OwnerOnlyDirectory);
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(Path, "its folder cannot be created", e);
        }
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

    /// <summary>Refuses a store that others can read or write, as ssh refuses an open private key.</summary>
    internal void CheckPermissions()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        int folderMode = UnixFileMode.Get(Path);
        if ((folderMode & UnixFileMode.GroupAndOther) != 0)
        {
            throw new StoreException(
                SsoSecretFailure.StoreInsecure,
                Path,
                $"The secret store folder '{Path}' is open to other users (mode {Convert.ToString(folderMode & 0xFFF, 8)}). Restrict it to its owner with: chmod 700 '{Path}'");
        }

        foreach (string name in new[] { FileName, LockFileName })
        {
            string file = System.IO.Path.Combine(Path, name);
            if (!File.Exists(file))
            {
                continue;
            }

            int fileMode = UnixFileMode.Get(file);
            if ((fileMode & UnixFileMode.GroupAndOther) != 0)
            {
                throw new StoreException(
                    SsoSecretFailure.StoreInsecure,
                    file,
                    $"The secret store file '{file}' is open to other users (mode {Convert.ToString(fileMode & 0xFFF, 8)}). Restrict it to its owner with: chmod 600 '{file}'");
            }
        }
    }
}

/// <summary>The inter-process lock on a store, held while it is changed.</summary>
internal sealed class StoreLock : IDisposable
{
    private FileStream? _stream;

    internal StoreLock(FileStream stream)
    {
        _stream = stream;
    }

    internal bool IsReleased => _stream is null;

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }
}
