using System;
using System.IO;

namespace SsoSecret.IO;

/// <summary>
/// Writes files so that a reader, or a crash, only ever sees the old content or the whole new content: the bytes go
/// to a temporary file in the same folder (<see cref="TemporaryFile"/>), are flushed to the disk and read back through
/// the same descriptor, and the file is then renamed (or linked) to its name, every step relative to the folder opened
/// once (<see cref="OpenFolder"/>).
/// </summary>
internal static class AtomicFile
{
    private const int RandomPartLength = 12;

    /// <summary>
    /// A temporary file's name for <paramref name="targetName"/>: "." + the target's name (its first 48 characters) +
    /// "." + 12 lower-case hex digits + ".tmp". A process killed before the rename leaves it behind;
    /// <see cref="RemoveStaleTemporaries"/> recognizes exactly this pattern.
    /// </summary>
    internal static string TemporaryName(string targetName) => "." + NamePrefix(targetName) + "." + RandomPart() + ".tmp";

    /// <summary>The name a replaced file is kept under until a commit is kept or undone: ".&lt;name&gt;.&lt;12 hex digits&gt;.replaced".</summary>
    internal static string AsideName(string targetName) => "." + NamePrefix(targetName) + "." + RandomPart() + ".replaced";

    private static string RandomPart() => Guid.NewGuid().ToString("N").Substring(0, RandomPartLength);

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
    /// Removes temporary files that a killed process left behind for <paramref name="targetName"/> in
    /// <paramref name="folder"/>: regular files whose names are of exactly that pattern, last written more than
    /// <paramref name="minimumAge"/> ago. Best effort: a file that cannot be listed or removed is left alone.
    /// </summary>
    internal static int RemoveStaleTemporaries(OpenFolder folder, string targetName, TimeSpan minimumAge)
    {
        // The same (possibly shortened) name TemporaryName uses; a long name's prefix may be shared by another
        // target's temporary files, which are then removed too, but only when stale like these.
        string prefix = "." + NamePrefix(targetName) + ".";
        int removed = 0;
        foreach (string name in folder.List(prefix))
        {
            if (!IsTemporaryName(name, prefix))
            {
                continue;
            }

            try
            {
                PosixFileStatus? status = null;
                if (UnixFileMode.IsUnix)
                {
                    status = folder.Stat(name);
                    if (status is null || status.Value.Type != PosixFileType.Regular)
                    {
                        continue;
                    }
                }

                DateTime written = status is PosixFileStatus known
                    ? new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(known.Modified / 100)
                    : File.GetLastWriteTimeUtc(folder.Combine(name));
                if (minimumAge > TimeSpan.Zero && DateTime.UtcNow - written < minimumAge)
                {
                    continue;
                }

                if (folder.RemoveIfSame(name, status))
                {
                    removed++;
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
            }
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
        using var temporary = TemporaryFile.Create(path);
        temporary.Write(content);
        temporary.Commit(keepReplaced: false).Keep();
    }
}

/// <summary>
/// A new file beside its target, written and read back through one descriptor, then put at the target's name: replacing
/// what is there (<see cref="Commit"/>) or only where nothing is (<see cref="CommitNew"/>). After the rename or link the
/// target's name is looked at again, relative to the folder: it must be the file this process wrote, else the write
/// fails (another account renamed something over the temporary name in a folder it can write). Disposing it before a
/// commit removes the temporary file, only while its name is still that file.
/// </summary>
internal sealed class TemporaryFile : IDisposable
{
    private readonly bool _ownsFolder;
    private FileStream? _stream;
    private bool _committed;

    private TemporaryFile(OpenFolder folder, bool ownsFolder, string targetName, string name, FileStream stream)
    {
        Folder = folder;
        _ownsFolder = ownsFolder;
        TargetName = targetName;
        Name = name;
        _stream = stream;
        Status = UnixFileMode.IsUnix ? Posix.Stat(stream.SafeFileHandle, folder.Combine(name)) : null;
    }

    /// <summary>A test's hook, called with the temporary file's full path after each step that changes it (made, owner, mode, written).</summary>
    internal static event Action<string>? AfterStep;

    /// <summary>The folder, opened once.</summary>
    internal OpenFolder Folder { get; }

    /// <summary>The name the file is committed to.</summary>
    internal string TargetName { get; }

    /// <summary>The target's full path, for messages.</summary>
    internal string TargetPath => Folder.Combine(TargetName);

    /// <summary>The temporary file's own name in the folder.</summary>
    internal string Name { get; }

    /// <summary>The temporary file as it was created (Unix: device and inode identify it); null on Windows.</summary>
    internal PosixFileStatus? Status { get; }

    /// <summary>The open file (read and write).</summary>
    internal FileStream Stream => _stream ?? throw new ObjectDisposedException(nameof(TemporaryFile));

    /// <summary>Creates a temporary file beside <paramref name="path"/>, opening (and owning) its folder.</summary>
    internal static TemporaryFile Create(string path)
    {
        string? directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory))
        {
            throw new ArgumentException("The path has no folder.", nameof(path));
        }

        var folder = OpenFolder.Open(directory);
        try
        {
            return Create(folder, Path.GetFileName(path), ownsFolder: true);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Creates a temporary file for <paramref name="targetName"/> in an open folder.</summary>
    internal static TemporaryFile Create(OpenFolder folder, string targetName, bool ownsFolder)
    {
        string name = AtomicFile.TemporaryName(targetName);
        var stream = folder.CreateNew(name);
        var made = new TemporaryFile(folder, ownsFolder, targetName, name, stream);
        made.Step();
        return made;
    }

    /// <summary>Writes the content and flushes it to the disk.</summary>
    internal void Write(byte[] content)
    {
        Stream.Write(content, 0, content.Length);
        Stream.Flush(flushToDisk: true);
        Step();
    }

    /// <summary>Reads the file back from its start through the same descriptor, at most <paramref name="cap"/> bytes.</summary>
    internal byte[] ReadBack(int cap)
    {
        Stream.Seek(0, SeekOrigin.Begin);
        return RegularFile.ReadBounded(Stream, cap);
    }

    /// <summary>Runs the test hook after a step.</summary>
    internal void Step() => AfterStep?.Invoke(Folder.Combine(Name));

    /// <summary>
    /// Puts the file at its target's name, replacing whatever the name holds (a file, or a link, which is replaced, never
    /// followed). With <paramref name="keepReplaced"/> what it replaces is kept under a hidden name beside it (a hard link
    /// made before the rename, so the name never goes missing) until the returned commit is kept or undone: a process
    /// killed in between leaves it as ".&lt;name&gt;.&lt;12 hex digits&gt;.replaced", which nothing removes but the
    /// commit that made it, so a replaced file is never lost. <paramref name="requireMetadata"/>: on Windows, fail rather
    /// than give the new file less than the replaced one's security descriptor and attributes.
    /// </summary>
    internal CommittedFile Commit(bool keepReplaced, bool requireMetadata = false)
    {
        CloseStream();
        RequireTemporaryInPlace();
        string? aside = null;
        PosixFileStatus? asideStatus = null;
        if (keepReplaced)
        {
            if (UnixFileMode.IsUnix)
            {
                if (Folder.Stat(TargetName) is not null)
                {
                    aside = AtomicFile.AsideName(TargetName);
                    if (Folder.Link(TargetName, aside))
                    {
                        asideStatus = Folder.Stat(aside);
                    }
                    else
                    {
                        aside = null; // removed meanwhile: nothing to keep
                    }
                }
            }
            else if (File.Exists(TargetPath))
            {
                aside = AtomicFile.AsideName(TargetName);
                File.Replace(Folder.Combine(Name), TargetPath, Folder.Combine(aside), ignoreMetadataErrors: true);
                return Committed(aside, null);
            }
        }

        try
        {
            Folder.Rename(Name, TargetName, requireMetadata);
        }
        catch
        {
            if (aside is not null)
            {
                Folder.RemoveIfSame(aside, asideStatus); // the rename failed: the old file is still at its name
            }

            throw;
        }

        var committed = Committed(aside, asideStatus);
        RequireInPlace();
        return committed;
    }

    /// <summary>
    /// Puts the file at its target's name only if the name is free at that instant (a hard link, which fails on any
    /// existing name, even one that appeared a moment ago; then the temporary name is removed). Null, with nothing
    /// changed, when the name exists.
    /// </summary>
    internal CommittedFile? CommitNew()
    {
        CloseStream();
        RequireTemporaryInPlace();
        if (!Folder.LinkNew(Name, TargetName))
        {
            return null;
        }

        var committed = Committed(null, null);
        RequireInPlace();
        Folder.RemoveIfSame(Name, Status);
        return committed;
    }

    private CommittedFile Committed(string? aside, PosixFileStatus? asideStatus)
    {
        _committed = true;
        return new CommittedFile(Folder, _ownsFolder, TargetName, Status, aside, asideStatus);
    }

    // Before the rename or link: the temporary name must still be the file written here, never something another
    // account renamed over it (a link, a FIFO) in a folder it can write; nothing is then put in place.
    private void RequireTemporaryInPlace()
    {
        if (Status is PosixFileStatus written && !(Folder.Stat(Name) is PosixFileStatus now && now.SameFileAs(written)))
        {
            throw new IOException($"The temporary file '{Folder.Combine(Name)}' was replaced by another file while it was being written; the folder '{Folder.Path}' can be changed by another account. Nothing was put in place.");
        }
    }

    // After it, the name must hold the file written here: in a folder another account can write, it could have renamed a file
    // of its own over the temporary name, which the rename (or link) then put in place instead.
    private void RequireInPlace()
    {
        if (Status is PosixFileStatus written && !(Folder.Stat(TargetName) is PosixFileStatus now && now.SameFileAs(written)))
        {
            throw new IOException($"Another file was put in place of the one written while it was being written; the folder '{Folder.Path}' can be changed by another account.");
        }
    }

    private void CloseStream()
    {
        if (_committed)
        {
            throw new InvalidOperationException("The file was committed already.");
        }

        _stream?.Dispose();
        _stream = null;
    }

    /// <summary>Closes the file; before a commit, also removes it (only while its name is still this file).</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_committed)
        {
            Folder.RemoveIfSame(Name, Status);
            if (_ownsFolder)
            {
                Folder.Dispose();
            }

            _committed = true;
        }
    }
}

/// <summary>
/// A file put in place that can still be taken back: <see cref="Undo"/> restores what the name held before (the file
/// kept aside, or nothing), <see cref="Keep"/> makes it final (the file kept aside is removed). Either one releases the
/// folder.
/// </summary>
internal sealed class CommittedFile
{
    private readonly OpenFolder _folder;
    private readonly bool _ownsFolder;
    private readonly string _name;
    private readonly PosixFileStatus? _written;
    private PosixFileStatus? _asideStatus;

    internal CommittedFile(OpenFolder folder, bool ownsFolder, string name, PosixFileStatus? written, string? aside, PosixFileStatus? asideStatus)
    {
        _folder = folder;
        _ownsFolder = ownsFolder;
        _name = name;
        _written = written;
        Aside = aside;
        _asideStatus = asideStatus;
    }

    internal string Path => _folder.Combine(_name);

    /// <summary>The name in the folder the file this commit replaced is kept under until <see cref="Keep"/> or <see cref="Undo"/>; null for none.</summary>
    internal string? Aside { get; private set; }

    /// <summary>Makes the commit final: the replaced file kept aside is removed.</summary>
    internal void Keep()
    {
        if (Aside is not null)
        {
            _folder.RemoveIfSame(Aside, _asideStatus);
            Aside = null;
        }

        Release();
    }

    /// <summary>
    /// Takes the commit back: the replaced file is renamed back over the name; with none, the committed file is removed,
    /// but only while the name still holds it (on Unix: the same device and inode), never a file put there since.
    /// </summary>
    internal void Undo()
    {
        try
        {
            if (Aside is not null)
            {
                _folder.Rename(Aside, _name);
                Aside = null;
                return;
            }

            _folder.RemoveIfSame(_name, _written);
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        if (_ownsFolder)
        {
            _folder.Dispose();
        }
    }
}
