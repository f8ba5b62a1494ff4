using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace SsoSecret.IO;

/// <summary>
/// A folder opened once, that every file operation of a write is made relative to. On Unix it is a descriptor of the
/// folder (open(2) with O_DIRECTORY), and each operation an *at call on it (openat, fstatat, renameat, linkat,
/// unlinkat): a folder renamed, or swapped for a link to another folder, after it was opened changes nothing this
/// process does, since no path is resolved again. On Windows it is the folder's path (Windows has no such calls in
/// .NET Standard; files are opened without sharing delete, so an open file cannot be renamed away).
/// </summary>
internal sealed class OpenFolder : IDisposable
{
    private SafeFileHandle? _handle;

    private OpenFolder(string path, SafeFileHandle? handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The folder's path as it was given (for messages, and the only handle on Windows).</summary>
    internal string Path { get; }

    /// <summary>The folder's descriptor (Unix).</summary>
    internal SafeFileHandle Handle => _handle ?? throw new ObjectDisposedException(nameof(OpenFolder));

    /// <summary>
    /// Opens the folder <paramref name="path"/> (links on its path followed, as any path given to a command is). A
    /// missing folder throws <see cref="DirectoryNotFoundException"/>.
    /// </summary>
    internal static OpenFolder Open(string path)
    {
        if (!UnixFileMode.IsUnix)
        {
            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException($"The folder '{path}' does not exist.");
            }

            return new OpenFolder(path, null);
        }

        try
        {
            return new OpenFolder(path, Posix.Open(path, Posix.ReadOnly | Posix.Directory));
        }
        catch (PosixException e) when (e.Errno == Posix.ENOENT || e.Errno == Posix.ENOTDIR)
        {
            throw new DirectoryNotFoundException($"The folder '{path}' does not exist.", e);
        }
    }

    /// <summary>
    /// Opens a folder whose path was checked (no link on it, nobody else can change it) and proves it is the folder the
    /// check saw (same device and inode); else <see cref="IOException"/>.
    /// </summary>
    internal static OpenFolder OpenChecked(string realPath, PosixFileStatus expected)
    {
        var handle = Posix.Open(realPath, Posix.ReadOnly | Posix.Directory | Posix.NoFollow);
        try
        {
            if (!Posix.Stat(handle, realPath).SameFileAs(expected))
            {
                throw new IOException($"The folder '{realPath}' was replaced while it was being checked.");
            }

            return new OpenFolder(realPath, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The full path of an entry of this folder, for messages (and for every call on Windows).</summary>
    internal string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The entry <paramref name="name"/> itself (a link not followed); null when there is none.</summary>
    internal PosixFileStatus? Stat(string name) => Posix.StatAt(Handle, name);

    /// <summary>True when the folder holds an entry of that name (a file, a folder, a link, even a dangling one).</summary>
    internal bool Holds(string name) =>
        UnixFileMode.IsUnix ? Stat(name) is not null : File.Exists(Combine(name)) || Directory.Exists(Combine(name));

    /// <summary>
    /// Creates a new file, open for reading and writing, born owner-only on Unix (O_CREAT | O_EXCL | O_NOFOLLOW, mode
    /// 0600, then exactly 0600 through the descriptor): it never opens an existing file or follows a link at the name.
    /// </summary>
    internal FileStream CreateNew(string name)
    {
        if (!UnixFileMode.IsUnix)
        {
            return new FileStream(Combine(name), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }

        var handle = Posix.OpenAt(Handle, name, Posix.ReadWrite | Posix.Create | Posix.Exclusive | Posix.NoFollow, UnixFileMode.OwnerOnlyFile);
        try
        {
            Posix.SetMode(handle, Combine(name), UnixFileMode.OwnerOnlyFile);
            return new FileStream(handle, FileAccess.ReadWrite, 1);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the entry <paramref name="name"/> for reading if it is a regular file, never through a link
    /// (O_NOFOLLOW) and never waiting on a FIFO (refused before it is opened, and O_NONBLOCK); the status is the
    /// open file's own (fstat). Unix only.
    /// </summary>
    internal RegularFile.Outcome OpenRegular(string name, out SafeFileHandle? handle, out PosixFileStatus status) => RegularFile.Open(
        Combine(name),
        () => Stat(name),
        () => Posix.OpenAt(Handle, name, Posix.ReadOnly | Posix.NonBlocking | Posix.NoFollow),
        out handle,
        out status);

    /// <summary>
    /// Renames the entry <paramref name="from"/> over <paramref name="to"/>, replacing what that name holds (never
    /// followed). On Windows the replaced file's security descriptor and attributes go to the new one (File.Replace);
    /// with <paramref name="requireMetadata"/> a replacement that cannot keep them fails instead.
    /// </summary>
    internal void Rename(string from, string to, bool requireMetadata = false)
    {
        if (UnixFileMode.IsUnix)
        {
            Posix.RenameAt(Handle, from, to);
        }
        else if (File.Exists(Combine(to)))
        {
            File.Replace(Combine(from), Combine(to), destinationBackupFileName: null, ignoreMetadataErrors: !requireMetadata);
        }
        else
        {
            File.Move(Combine(from), Combine(to));
        }

        Sync();
    }

    /// <summary>
    /// Gives the entry <paramref name="from"/> the new name <paramref name="to"/>, which must not exist: false, and
    /// nothing changed, when it does (even if it appeared a moment ago: a hard link fails on any existing name). The
    /// name <paramref name="from"/> is left; the caller removes it. On a file system without hard links (FAT, some
    /// network shares): a check, then a rename.
    /// </summary>
    internal bool LinkNew(string from, string to)
    {
        if (!UnixFileMode.IsUnix)
        {
            try
            {
                File.Move(Combine(from), Combine(to));
                return true;
            }
            catch (IOException) when (File.Exists(Combine(to)) || Directory.Exists(Combine(to)))
            {
                return false;
            }
        }

        int errno = Posix.LinkAt(Handle, from, to);
        if (errno == Posix.EEXIST)
        {
            return false;
        }

        if (errno != 0)
        {
            if (Array.IndexOf(s_noHardLinks, errno) < 0)
            {
                throw new PosixException("linkat", Combine(to), errno);
            }

            if (Holds(to))
            {
                return false;
            }

            Posix.RenameAt(Handle, from, to);
        }

        Sync();
        return true;
    }

    /// <summary>
    /// Gives the entry <paramref name="from"/> a second name <paramref name="to"/> (a hard link; Unix). False when
    /// <paramref name="from"/> is gone.
    /// </summary>
    internal bool Link(string from, string to)
    {
        int errno = Posix.LinkAt(Handle, from, to);
        if (errno == Posix.ENOENT)
        {
            return false;
        }

        if (errno != 0)
        {
            throw new PosixException("linkat", Combine(to), errno);
        }

        return true;
    }

    /// <summary>
    /// Removes the entry <paramref name="name"/>, but only while it is still the file <paramref name="expected"/> (on
    /// Unix: the same device and inode); never a file put there since. Best effort: false when it was not removed.
    /// </summary>
    internal bool RemoveIfSame(string name, PosixFileStatus? expected)
    {
        try
        {
            if (!UnixFileMode.IsUnix)
            {
                File.Delete(Combine(name));
                return true;
            }

            var now = Stat(name);
            if (now is null || (expected is not null && !now.Value.SameFileAs(expected.Value)) || now.Value.Type == PosixFileType.Directory)
            {
                return false;
            }

            return Posix.UnlinkAt(Handle, name) == 0;
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Flushes the folder itself to the disk (fsync on its descriptor), so that a rename into it survives a power loss
    /// as the file's content does. Best effort. Windows has no equivalent for a folder; NTFS journals the rename.
    /// </summary>
    internal void Sync()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        try
        {
            Posix.Sync(Handle, Path);
        }
        catch (PosixException)
        {
        }
    }

    /// <summary>
    /// The names of the folder's entries that start with <paramref name="prefix"/> (listed by its path; best effort). The
    /// prefix is compared here, exactly, not given to the system as a pattern: a pattern's meaning differs between
    /// platforms (8.3 names on Windows, and Wine finds nothing for ".name.*").
    /// </summary>
    internal string[] List(string prefix)
    {
        try
        {
            var found = new System.Collections.Generic.List<string>();
            foreach (string entry in Directory.EnumerateFileSystemEntries(Path))
            {
                string name = System.IO.Path.GetFileName(entry);
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    found.Add(name);
                }
            }

            return found.ToArray();
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    // EPERM, EXDEV, EMLINK, and ENOTSUP on Linux (95) and macOS (45, and EOPNOTSUPP 102): the file system has no hard links.
    private static readonly int[] s_noHardLinks = { 1, 18, 31, 95, 45, 102 };
}
