using System;
using System.IO;
using System.Runtime.InteropServices;

namespace SsoSecret.IO;

/// <summary>
/// Writes files so that a reader, or a crash, only ever sees the old content or the whole new content: the bytes go
/// to a temporary file in the same folder, are flushed to the disk, and the file is then renamed over the target.
/// </summary>
internal static class AtomicFile
{
    private const int RandomPartLength = 12;

    /// <summary>Creates a temporary file beside <paramref name="path"/>, owner-only on Unix, holding the bytes.</summary>
    /// <remarks>
    /// Its name is "." + the target's name (its first 48 characters) + "." + 12 lower-case hex digits + ".tmp". A process killed before the
    /// rename leaves it behind; <see cref="RemoveStaleTemporaries"/> recognizes exactly this pattern.
    /// </remarks>
    internal static string WriteTemporary(string path, byte[] content)
    {
        string directory = Path.GetDirectoryName(path) ?? throw new ArgumentException("The path has no folder.", nameof(path));
        string temporary = Path.Combine(directory, "." + NamePrefix(Path.GetFileName(path)) + "." + Guid.NewGuid().ToString("N").Substring(0, RandomPartLength) + ".tmp");
        try
        {
            using (var stream = CreateNew(temporary))
            {
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: true);
            }

            return temporary;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Creates a file that must not exist yet, for writing. On Unix it is born owner-only (0600: open(2) with O_CREAT,
    /// O_EXCL, O_NOFOLLOW and that mode), so no other user sees it, even empty, with a wider mode for an instant;
    /// O_EXCL never follows a link at the name, and never opens an existing file.
    /// </summary>
    internal static FileStream CreateNew(string path)
    {
        if (!UnixFileMode.IsUnix)
        {
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }

        var handle = Posix.CreateExclusive(path, UnixFileMode.OwnerOnlyFile);
        try
        {
            return new FileStream(handle, FileAccess.Write, 1);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The start of the target's name that goes into the temporary file's name. A file name may be as long as the
    /// file system allows (255 bytes on most); the temporary name adds 18 characters, so the whole target name
    /// would make a valid target impossible to write. 48 characters are at most 192 bytes in UTF-8.
    /// </summary>
    private static string NamePrefix(string name)
    {
        const int MaxCharacters = 48;
        if (name.Length <= MaxCharacters)
        {
            return name;
        }

        // Never cut a surrogate pair in two: half a character has no UTF-8 form.
        int length = char.IsHighSurrogate(name[MaxCharacters - 1]) ? MaxCharacters - 1 : MaxCharacters;
        return name.Substring(0, length);
    }

    /// <summary>
    /// Moves a finished temporary file to its place, replacing whatever the target name held (a file, or a link,
    /// which is replaced, never followed). The rename is atomic: a reader sees the old file or the new one.
    /// </summary>
    internal static void Commit(string temporary, string path)
    {
        if (UnixFileMode.IsUnix)
        {
            if (Rename(temporary, path) != 0)
            {
                throw new IOException($"The file '{path}' could not be put in place (errno {Marshal.GetLastWin32Error()}).");
            }
        }
        else if (File.Exists(path))
        {
            File.Replace(temporary, path, destinationBackupFileName: null, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(temporary, path);
        }

        SyncDirectory(Path.GetDirectoryName(path));
    }

    /// <summary>
    /// Moves a finished temporary file to a name that must not exist yet. Returns false, and leaves both as they were,
    /// when the name exists (as a file, a folder, a link, even a dangling one), even if it appeared a moment ago: the
    /// check and the move are one step (a hard link, which fails on an existing name, then the temporary name removed;
    /// on Windows, a move that does not replace).
    /// </summary>
    internal static bool CommitNew(string temporary, string path)
    {
        if (UnixFileMode.IsUnix)
        {
            if (Link(temporary, path) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                if (errno == EEXIST)
                {
                    return false;
                }

                if (Array.IndexOf(s_noHardLinks, errno) < 0)
                {
                    throw new IOException($"The file '{path}' could not be created (errno {errno}).");
                }

                // A file system without hard links (FAT, some network shares): check, then rename. Only there can a
                // file that appears in between be replaced.
                if (File.Exists(path) || Directory.Exists(path))
                {
                    return false;
                }

                if (Rename(temporary, path) != 0)
                {
                    throw new IOException($"The file '{path}' could not be created (errno {Marshal.GetLastWin32Error()}).");
                }

                SyncDirectory(Path.GetDirectoryName(path));
                return true;
            }

            TryDelete(temporary);
        }
        else
        {
            try
            {
                File.Move(temporary, path);
            }
            catch (IOException) when (File.Exists(path) || Directory.Exists(path))
            {
                return false;
            }
        }

        SyncDirectory(Path.GetDirectoryName(path));
        return true;
    }

    /// <summary>
    /// <see cref="CommitNew"/>, as a commit that can be undone: null when the name exists (nothing changed).
    /// </summary>
    internal static CommittedFile? CommitNewUndoable(string temporary, string path)
    {
        PosixFileStatus? written = UnixFileMode.IsUnix ? Posix.StatLink(temporary) : null;
        return CommitNew(temporary, path) ? new CommittedFile(path, written, aside: null) : null;
    }

    /// <summary>
    /// <see cref="Commit"/> (replacing whatever the name holds), but what it replaces is kept under a hidden name beside
    /// it (a hard link made before the rename, so the target name never goes missing) until the returned commit is
    /// kept or undone. A process killed in between leaves that file as ".&lt;name&gt;.&lt;12 hex digits&gt;.replaced":
    /// nothing ever removes it but the commit that made it, so a replaced file is never lost.
    /// </summary>
    internal static CommittedFile CommitKeepingReplaced(string temporary, string path)
    {
        string? aside = null;
        PosixFileStatus? written = null;
        if (UnixFileMode.IsUnix)
        {
            written = Posix.StatLink(temporary);
            if (Posix.StatLink(path) is not null)
            {
                aside = AsideName(path);
                if (LinkAt(AtCurrentDirectory, path, AtCurrentDirectory, aside, 0) != 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    if (errno != Posix.ENOENT)
                    {
                        throw new IOException($"The file '{path}' could not be kept aside before it is replaced (errno {errno}: {PosixException.Describe(errno)}).");
                    }

                    aside = null; // removed meanwhile: nothing to keep
                }
            }

            try
            {
                Commit(temporary, path);
            }
            catch
            {
                if (aside is not null)
                {
                    TryDelete(aside); // the rename failed: the old file is still at its name
                }

                throw;
            }
        }
        else if (File.Exists(path))
        {
            aside = AsideName(path);
            File.Replace(temporary, path, aside, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(temporary, path);
        }

        return new CommittedFile(path, written, aside);
    }

    private static string AsideName(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? ".", "." + NamePrefix(Path.GetFileName(path)) + "." + Guid.NewGuid().ToString("N").Substring(0, RandomPartLength) + ".replaced");

    /// <summary>Puts a file kept aside back at its name, replacing what is there (Unix: rename; Windows: replace or move).</summary>
    internal static void PutBack(string aside, string path)
    {
        if (UnixFileMode.IsUnix)
        {
            if (Rename(aside, path) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw new IOException($"The file '{path}' could not be put back from '{aside}' (errno {errno}: {PosixException.Describe(errno)}).");
            }
        }
        else if (File.Exists(path))
        {
            File.Replace(aside, path, destinationBackupFileName: null, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(aside, path);
        }

        SyncDirectory(Path.GetDirectoryName(path));
    }

    /// <summary>
    /// Removes temporary files that <see cref="WriteTemporary"/> made for <paramref name="path"/> and that a killed
    /// process left behind: names of exactly that pattern, last written more than <paramref name="minimumAge"/> ago.
    /// Best effort: a file that cannot be listed or removed is left alone.
    /// </summary>
    internal static int RemoveStaleTemporaries(string path, TimeSpan minimumAge)
    {
        string? directory = Path.GetDirectoryName(path);
        // The same (possibly shortened) name WriteTemporary uses; a long name's prefix may be shared by another
        // target's temporary files, which are then removed too, but only when stale like these.
        string prefix = "." + NamePrefix(Path.GetFileName(path)) + ".";
        int removed = 0;
        if (directory is null || !Directory.Exists(directory))
        {
            return removed;
        }

        try
        {
            foreach (string candidate in Directory.GetFiles(directory, prefix + "*.tmp"))
            {
                string name = Path.GetFileName(candidate);
                if (!IsTemporaryName(name, prefix))
                {
                    continue;
                }

                if (minimumAge > TimeSpan.Zero && DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) < minimumAge)
                {
                    continue;
                }

                if (TryDelete(candidate))
                {
                    removed++;
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }

        return removed;
    }

    private static bool IsTemporaryName(string name, string prefix)
    {
        if (name.Length != prefix.Length + RandomPartLength + 4 || !name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return false;
        }

        for (int i = prefix.Length; i < prefix.Length + RandomPartLength; i++)
        {
            char c = name[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the whole file atomically (temporary file, flush, rename), replacing what was there.</summary>
    internal static void Write(string path, byte[] content)
    {
        string temporary = WriteTemporary(path, content);
        try
        {
            Commit(temporary, path);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    internal static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return false;
    }

    /// <summary>
    /// On Unix, flushes the folder itself to the disk (fsync on the folder), so that a rename into it survives a power
    /// loss as the file's content does; .NET has no API for it. Best effort: a failure changes nothing else. Windows
    /// has no equivalent for a folder; NTFS journals the rename.
    /// </summary>
    private static void SyncDirectory(string? directory)
    {
        if (directory is null || !UnixFileMode.IsUnix)
        {
            return;
        }

        try
        {
            int descriptor = Open(directory, 0 /* O_RDONLY */);
            if (descriptor >= 0)
            {
                FileSync(descriptor);
                Close(descriptor);
            }
        }
        catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
        {
        }
    }

    private const int EEXIST = 17; // the same on Linux and macOS

    // EPERM, EXDEV, EMLINK, and ENOTSUP on Linux (95) and macOS (45, and EOPNOTSUPP 102): the file system has no hard links.
    private static readonly int[] s_noHardLinks = { 1, 18, 31, 95, 45, 102 };

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename([MarshalAs(UnmanagedType.LPStr)] string from, [MarshalAs(UnmanagedType.LPStr)] string to);

    private const int AtCurrentDirectory = -100;

    // linkat with no flags never follows a link at the old name (link(2) does on some systems): a link is kept as it is.
    [DllImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static extern int LinkAt(int fromDirectory, [MarshalAs(UnmanagedType.LPStr)] string existing, int toDirectory, [MarshalAs(UnmanagedType.LPStr)] string name, int flags);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPStr)] string existing, [MarshalAs(UnmanagedType.LPStr)] string name);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FileSync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}

/// <summary>
/// A file put in place that can still be taken back: <see cref="Undo"/> restores what the name held before (the file
/// kept aside, or nothing), <see cref="Keep"/> makes it final (the file kept aside is removed).
/// </summary>
internal sealed class CommittedFile
{
    private readonly PosixFileStatus? _written;

    internal CommittedFile(string path, PosixFileStatus? written, string? aside)
    {
        Path = path;
        _written = written;
        Aside = aside;
    }

    internal string Path { get; }

    /// <summary>Where the file this commit replaced is kept until <see cref="Keep"/> or <see cref="Undo"/>; null for none.</summary>
    internal string? Aside { get; private set; }

    /// <summary>Makes the commit final: the replaced file kept aside is removed.</summary>
    internal void Keep()
    {
        if (Aside is not null)
        {
            AtomicFile.TryDelete(Aside);
            Aside = null;
        }
    }

    /// <summary>
    /// Takes the commit back: the replaced file is renamed back over the name; with none, the committed file is removed,
    /// but only while the name still holds it (on Unix: the same device and inode), never a file put there since.
    /// </summary>
    internal void Undo()
    {
        if (Aside is not null)
        {
            AtomicFile.PutBack(Aside, Path);
            Aside = null;
            return;
        }

        if (_written is not null)
        {
            var now = Posix.StatLink(Path);
            if (now is null || !now.Value.SameFileAs(_written.Value))
            {
                return;
            }
        }

        File.Delete(Path);
    }
}
