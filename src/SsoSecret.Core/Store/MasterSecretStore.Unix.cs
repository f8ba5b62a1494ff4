using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using SsoSecret.IO;
using SsoSecret.Store;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret;

/// <summary>
/// The store's folder on Linux and macOS: checked along its path (<see cref="StorePathCheck"/>), created owner-only,
/// its file read without following a link, and the lock (flock).
/// </summary>
internal sealed partial class MasterSecretStore
{
    /// <summary>Reads one of the store's files (the store file or the vault file), at most <paramref name="maxLength"/> + 1 bytes; null when the folder or the file is missing.</summary>
    private byte[]? ReadUnix(string file, int maxLength)
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
            outcome = RegularFile.Open(file, followLinks: false, out handle, out status);
        }
        catch (PosixException e) when (e.Errno == Posix.EACCES)
        {
            throw CannotRead(e);
        }
        catch (PosixException e)
        {
            throw Unavailable(file, "its file cannot be opened", e);
        }

        if (outcome == RegularFile.Outcome.Missing)
        {
            return null;
        }

        using (handle)
        {
            // Checked again on the open file itself: what was read is what was checked.
            StorePathCheck.RequireStoreFile(file, status, Path);
            try
            {
                return RegularFile.Read(handle!, maxLength + 1);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw Unavailable(file, "its file cannot be read", e);
            }
        }
    }

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
        foreach (string file in new[] { FilePath, LockPath, VaultPath })
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

    /// <summary>
    /// Unix: creates the folder if needed (owner-only), checks it (<see cref="CheckUnix"/>) and takes the lock, an
    /// flock on store.lock (born 0600, never a link followed).
    /// </summary>
    private StoreLock LockUnix()
    {
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
}
