using System;
using System.Globalization;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SsoSecret.IO;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret;

/// <summary>The store's inter-process lock: how long a writer waits for it, and what it finds once it holds it.</summary>
internal sealed partial class MasterSecretStore
{
    /// <summary>
    /// Creates the folder if needed (owner-only), checks its permissions and takes the inter-process lock. Every change
    /// happens while the returned lock is held.
    /// </summary>
    internal StoreLock Lock() => UnixFileMode.IsUnix ? LockUnix() : LockWindows();

    internal TimeSpan LockTimeout { get; }

    private static TimeSpan DefaultLockTimeout()
    {
        string? text = Environment.GetEnvironmentVariable(LockTimeoutVariable);
        if (!string.IsNullOrEmpty(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.FromSeconds(30);
    }

    private string LockPath => System.IO.Path.Combine(Path, LockFileName);

    private StoreException Busy() => new(
        SsoSecretFailure.StoreBusy,
        Path,
        $"The secret store '{Path}' is in use by another process, which held its lock for more than {LockTimeout.TotalSeconds:0.#} seconds. Try again when it has finished (the wait is set by ${LockTimeoutVariable}).");

    // The store and vault files are written only under the lock, so a temporary file of one found while the lock is held
    // was left by a process that was killed while writing.
    private void RemoveStaleTemporaries()
    {
        try
        {
            using var folder = OpenFolder.Open(Path);
            AtomicFile.RemoveStaleTemporaries(folder, FileName, TimeSpan.Zero);
            AtomicFile.RemoveStaleTemporaries(folder, VaultFileName, TimeSpan.Zero);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }
    }
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
