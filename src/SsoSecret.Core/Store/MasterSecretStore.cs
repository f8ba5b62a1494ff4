using System;
using System.IO;
using System.Runtime.InteropServices;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Store;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret;

/// <summary>
/// The embedded "master secret server": one folder that holds the key ring (the current master secret, the earlier
/// ones not retired, and where each was backed up: docs/store-format.md). Every change is atomic and made under an
/// inter-process lock (StoreLock.cs), as a transaction (MasterSecretStore.Transactions.cs); on Unix the folder is
/// owner-only (0700, files 0600, each born with its mode), and a store that another user could read, write or replace
/// is refused (MasterSecretStore.Unix.cs); on Windows the folder has its own protected DACL and the secret bytes are
/// protected with DPAPI (MasterSecretStore.Windows.cs).
/// </summary>
internal sealed partial class MasterSecretStore
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

    /// <summary>
    /// Reads the store. A missing folder or file is an empty store. Reads need no lock: writes replace the file
    /// whole, so a reader sees the old state or the new one. On Unix the store is checked first (ownership along its
    /// path, modes, regular files: <see cref="StorePathCheck"/>), and the store file is opened without following a
    /// link and read at most <see cref="StoreFile.MaxLength"/> + 1 bytes.
    /// </summary>
    internal StoreState Read()
    {
        byte[]? data = ReadStoreFile(FilePath, StoreFile.MaxLength);
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

    private byte[]? ReadStoreFile(string file, int maxLength) => UnixFileMode.IsUnix ? ReadUnix(file, maxLength) : ReadWindows(file, maxLength);

    private StoreException CannotRead(Exception e) =>
        new(SsoSecretFailure.StoreInsecure, FilePath, $"The store file '{FilePath}' cannot be read by this account ({e.GetType().Name}). Run as the account that owns the store.");

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

    /// <summary>The current secret, or <see cref="SsoSecretFailure.NoMasterSecret"/>.</summary>
    internal StoredSecret RequireCurrent(StoreState state) => state.Current ?? throw new StoreException(
        SsoSecretFailure.NoMasterSecret,
        Path,
        $"The secret store '{Path}' holds no master secret.")
    {
        RecommendedAction = "Create one with New-SsoMasterSecret -BackupPath <file>, or restore one with Restore-SsoMasterSecret <file>.",
    };

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    private static StoreException Unavailable(string path, string what, Exception e) =>
        new(SsoSecretFailure.StoreUnavailable, path, $"The secret store at '{path}' cannot be used: {what}: {e.Message}");
}
