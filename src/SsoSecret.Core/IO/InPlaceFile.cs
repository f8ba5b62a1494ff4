using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SsoSecret.IO;

/// <summary>
/// A file read to be rewritten in place (a config file whose protected values are rewrapped), and its replacement.
/// On Unix, the rules the secret store's path follows (<see cref="PathRule"/>) apply to the file's folder: every folder
/// and link on the way belongs to the caller or root, and no folder on it lets another user rename what it holds (unless
/// sticky). A symbolic link given is followed to its target, whose folder is checked by the same rules; a file with more
/// than one hard link is refused. The folder is then opened once and everything else is relative to it and to the open
/// files: the file is read through its descriptor, the new file is created beside it (O_EXCL, O_NOFOLLOW) and given the
/// original's owner, group, mode and extended attributes (a POSIX ACL among them) through its own descriptor, written,
/// read back, and renamed over the original only if the original is still the file that was read, unchanged (same inode,
/// size, times and content); else nothing is replaced (<see cref="SsoSecretFailure.FileChanged"/>).
/// </summary>
internal sealed class InPlaceFile : IDisposable
{
    private const int MaxLinks = 40;

    private readonly OpenFolder? _folder;
    private readonly string _name;
    private FileStream? _original;
    private readonly PosixFileStatus _status;

    private InPlaceFile(string path, string realPath, OpenFolder? folder, string name, FileStream original, PosixFileStatus status, byte[] content)
    {
        Path = path;
        RealPath = realPath;
        _folder = folder;
        _name = name;
        _original = original;
        _status = status;
        Content = content;
    }

    /// <summary>A test's hook, called with the file's real path just before the check that it is unchanged.</summary>
    internal static event Action<string>? BeforeReplace;

    /// <summary>The path as given.</summary>
    internal string Path { get; }

    /// <summary>The file actually rewritten: the target of a link given, with no link on its path (Unix).</summary>
    internal string RealPath { get; }

    /// <summary>The content read.</summary>
    internal byte[] Content { get; }

    /// <summary>
    /// Opens and reads <paramref name="path"/> (absolute). Fails with PathIsFolder, FileNotFound, NotARegularFile,
    /// PathNotOwned, PathInsecure, FileHasLinks, ReadFailed, or <paramref name="tooLarge"/>'s exception for a file longer
    /// than <paramref name="maxLength"/>.
    /// </summary>
    internal static InPlaceFile Open(string path, int maxLength, Func<long, Exception> tooLarge)
    {
        if (Directory.Exists(path))
        {
            throw new SsoSecretException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder; give a file that holds protected values.", path);
        }

        try
        {
            return UnixFileMode.IsUnix ? OpenUnix(path, maxLength, tooLarge) : OpenWindows(path, maxLength, tooLarge);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new SsoSecretException(SsoSecretFailure.ReadFailed, $"The file '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    private static InPlaceFile OpenUnix(string path, int maxLength, Func<long, Exception> tooLarge)
    {
        var subject = new RewriteSubject(path);
        string folderPath = System.IO.Path.GetDirectoryName(path) ?? "/";
        string name = System.IO.Path.GetFileName(path);
        for (int links = 0; ; links++)
        {
            var walked = PathRule.Walk(folderPath, subject) ?? throw Missing(path);
            var folder = OpenFolder.OpenChecked(walked.RealPath, walked.Status);
            try
            {
                string entry = folder.Combine(name);
                var status = folder.Stat(name) ?? throw Missing(path);
                PathRule.RequireHolderSafe(walked.RealPath, walked.Status, entry, subject);
                switch (status.Type)
                {
                    case PosixFileType.SymbolicLink:
                        if (!PathRule.IsTrustedOwner(status))
                        {
                            throw subject.NotOwned(entry, status, isEnd: false);
                        }

                        if (links >= MaxLinks)
                        {
                            throw subject.Unavailable($"it leads through more than {MaxLinks} symbolic links");
                        }

                        // The folder holding the link is the caller's or root's and nobody else can rename in it, so
                        // the link read now is the link that was checked.
                        string target = Posix.ReadLink(entry);
                        string absolute = target.StartsWith("/", StringComparison.Ordinal) ? target : walked.RealPath.TrimEnd('/') + "/" + target;
                        folderPath = System.IO.Path.GetDirectoryName(absolute) ?? "/";
                        name = System.IO.Path.GetFileName(absolute);
                        if (name.Length == 0 || name == "." || name == "..")
                        {
                            throw new SsoSecretException(SsoSecretFailure.PathIsFolder, $"'{path}' leads to a folder ('{target}'); give a file that holds protected values.", path);
                        }

                        folder.Dispose();
                        continue;
                    case PosixFileType.Directory:
                        throw new SsoSecretException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder; give a file that holds protected values.", path);
                }

                var outcome = folder.OpenRegular(name, out var handle, out status);
                if (outcome == RegularFile.Outcome.Missing)
                {
                    throw Missing(path);
                }

                if (outcome == RegularFile.Outcome.NotRegular)
                {
                    throw new SsoSecretException(
                        SsoSecretFailure.NotARegularFile,
                        $"'{path}' is {Posix.Describe(status.Type)}, not a file. SsoSecret reads only regular files, so that a read never waits on a pipe or reads from a device; it was not opened.",
                        path);
                }

                return Read(path, entry, folder, name, new FileStream(handle!, FileAccess.Read, 1), status, _ => status.Links, maxLength, tooLarge);
            }
            catch
            {
                folder.Dispose();
                throw;
            }
        }
    }

    private static InPlaceFile OpenWindows(string path, int maxLength, Func<long, Exception> tooLarge)
    {
        if (!File.Exists(path))
        {
            throw Missing(path);
        }

        if ((File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0)
        {
            throw new SsoSecretException(
                SsoSecretFailure.NotARegularFile,
                $"'{path}' is a link (a reparse point). On Windows SsoSecret rewrites only the file itself: give the path of the file the link leads to.",
                path);
        }

        var folder = OpenFolder.Open(System.IO.Path.GetDirectoryName(path)!);
        try
        {
            // FileShare.Delete: File.Replace renames the new file over this one while it is open here (ReplaceFile asks for
            // DELETE access to it); without it, every rewrite failed with a sharing violation (found by the Windows lane).
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            return Read(path, path, folder, System.IO.Path.GetFileName(path), stream, default, opened => WindowsLinkCount(opened.SafeFileHandle), maxLength, tooLarge);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    // The file opened: refused when it has other names, else read whole (the stream is closed on a failure).
    private static InPlaceFile Read(string path, string realPath, OpenFolder folder, string name, FileStream stream, PosixFileStatus status, Func<FileStream, uint> links, int maxLength, Func<long, Exception> tooLarge)
    {
        try
        {
            uint count = links(stream);
            if (count > 1)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.FileHasLinks,
                    $"The file '{realPath}' has {count} names (hard links). Rewritten in place it would get a new inode, and its other names would keep the old values; it was left as it was.",
                    path);
            }

            var content = ReadAll(stream, stream.Length, maxLength, tooLarge);
            return new InPlaceFile(path, realPath, folder, name, stream, status, content);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static byte[] ReadAll(FileStream stream, long length, int maxLength, Func<long, Exception> tooLarge)
    {
        if (length > maxLength)
        {
            throw tooLarge(length);
        }

        var content = RegularFile.ReadBounded(stream, maxLength + 1);
        if (content.Length > maxLength)
        {
            throw tooLarge(content.Length);
        }

        return content;
    }

    /// <summary>
    /// Replaces the file with <paramref name="content"/>, keeping its owner, group, permission bits and extended
    /// attributes (Unix; on Windows, File.Replace keeps the original's security descriptor and attributes, and fails
    /// rather than drop them). An owner this process cannot give (another user's file, rewritten by someone who is not
    /// root) is <see cref="SsoSecretFailure.WriteFailed"/>; an attribute it cannot copy
    /// <see cref="SsoSecretFailure.AttributesNotCopied"/>; a file changed since it was read
    /// <see cref="SsoSecretFailure.FileChanged"/>. In each case the file is left as it was.
    /// </summary>
    internal void Replace(byte[] content)
    {
        var folder = _folder ?? throw new ObjectDisposedException(nameof(InPlaceFile));
        try
        {
            using var temporary = TemporaryFile.Create(folder, _name, ownsFolder: false);
            if (UnixFileMode.IsUnix)
            {
                var handle = temporary.Stream.SafeFileHandle;
                string shown = folder.Combine(temporary.Name);
                var made = temporary.Status!.Value;
                if (made.Owner != _status.Owner || made.Group != _status.Group)
                {
                    // Before the mode: chown clears the set-id bits.
                    Posix.SetOwner(handle, shown, _status.Owner, _status.Group);
                    temporary.Step();
                }

                Posix.SetMode(handle, shown, _status.Permissions);
                temporary.Step();
                CopyAttributes(handle, shown);
                var now = Posix.Stat(handle, shown);
                if (now.Permissions != _status.Permissions || now.Owner != _status.Owner || now.Group != _status.Group)
                {
                    throw new IOException($"The new file could not be given the original's owner and mode (it has {Posix.Octal(now.Permissions)}, uid {now.Owner}, gid {now.Group}).");
                }
            }

            temporary.Write(content);
            var written = temporary.ReadBack(content.Length + 1);
            if (written.Length != content.Length || !Crypto.Primitives.FixedTimeEquals(written, 0, content, 0, content.Length))
            {
                throw new IOException($"The new content of '{RealPath}' read back differs from what was written.");
            }

            BeforeReplace?.Invoke(RealPath);
            RequireUnchanged();
            temporary.Commit(keepReplaced: false, requireMetadata: true).Keep();
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new SsoSecretException(SsoSecretFailure.WriteFailed, $"The file '{Path}' could not be rewritten; it was left as it was: {e.Message}", Path, e);
        }
    }

    // The file must still be the one read, unchanged: the same file at its name, of the same size and times (Unix), and
    // the same content (times are coarse: a write within the same tick keeps them).
    private void RequireUnchanged()
    {
        var original = _original ?? throw new ObjectDisposedException(nameof(InPlaceFile));
        bool same;
        if (UnixFileMode.IsUnix)
        {
            same = _folder!.Stat(_name) is PosixFileStatus atName && atName.SameFileAs(_status)
                && Posix.Stat(original.SafeFileHandle, RealPath).UnchangedFrom(_status);
        }
        else
        {
            same = File.Exists(RealPath);
        }

        if (same)
        {
            original.Seek(0, SeekOrigin.Begin);
            var now = RegularFile.ReadBounded(original, Content.Length + 1);
            same = now.Length == Content.Length && Crypto.Primitives.FixedTimeEquals(now, 0, Content, 0, Content.Length);
        }

        if (!same)
        {
            throw new SsoSecretException(
                SsoSecretFailure.FileChanged,
                $"The file '{Path}' changed while it was being rewritten (another program wrote, replaced or renamed it); nothing was replaced, and it keeps that program's change.",
                Path);
        }
    }

    // Copies every extended attribute of the original (on Linux a POSIX ACL is one: system.posix_acl_access) to the new
    // file, and removes any the new file got that the original lacks (an ACL inherited from the folder's default ACL).
    private void CopyAttributes(SafeFileHandle target, string shown)
    {
        var source = _original!.SafeFileHandle;
        if (Posix.HasMacAcl(source))
        {
            throw NotCopied("an access control list (ACL)");
        }

        var names = Posix.ListAttributes(source, RealPath);
        var failed = new List<string>();
        foreach (string name in names)
        {
            var value = Posix.GetAttribute(source, RealPath, name);
            if (value is not null && Posix.SetAttribute(target, name, value) != 0)
            {
                failed.Add(name);
            }
        }

        foreach (string name in Posix.ListAttributes(target, shown))
        {
            if (Array.IndexOf(names, name) < 0 && Posix.RemoveAttribute(target, name) != 0)
            {
                failed.Add(name);
            }
        }

        if (failed.Count > 0)
        {
            throw NotCopied("the extended attribute(s) " + string.Join(", ", failed));
        }
    }

    private SsoSecretException NotCopied(string what) => new(
        SsoSecretFailure.AttributesNotCopied,
        $"The file '{Path}' carries {what} that SsoSecret cannot give the new file; it was left as it was, so that nothing that reads it through them loses access.",
        Path);

    private static SsoSecretException Missing(string path) => new(SsoSecretFailure.FileNotFound, $"The file '{path}' does not exist.", path);

    /// <inheritdoc/>
    public void Dispose()
    {
        _original?.Dispose();
        _original = null;
        _folder?.Dispose();
    }

    private static uint WindowsLinkCount(SafeFileHandle handle)
    {
        // BY_HANDLE_FILE_INFORMATION: nNumberOfLinks is the 11th DWORD (offset 40).
        var buffer = new byte[52];
        if (!GetFileInformationByHandle(handle, buffer))
        {
            throw new IOException($"The file's information cannot be read (Windows error {Marshal.GetLastWin32Error()}).");
        }

        return BitConverter.ToUInt32(buffer, 40);
    }

    [DllImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetFileInformationByHandle(SafeFileHandle file, byte[] information);

    /// <summary>The rewrite's wording of the path rule's failures (ids PathNotOwned, PathInsecure).</summary>
    private sealed class RewriteSubject : PathSubject
    {
        private readonly string _file;

        internal RewriteSubject(string file) => _file = file;

        internal override Exception NotOwned(string entry, PosixFileStatus status, bool isEnd)
        {
            string owner = Posix.DescribeUser(status.Owner);
            return new SsoSecretException(
                SsoSecretFailure.PathNotOwned,
                $"The {PathRule.Kind(status.Type)} '{entry}' on the path of '{_file}' belongs to {owner}, not to this account ({Posix.DescribeUser(Posix.EffectiveUserId)}) or root: that user could swap what the path leads to while the file is rewritten, and have this command write, or change the owner and mode of, a file elsewhere. SsoSecret rewrites a file in place only when every folder and link on its path belongs to the account that runs it or to root; it was left as it was.",
                _file)
            {
                RecommendedAction = $"Run the command as {owner}, the owner of '{entry}' (its values open with that account's store only if it holds the master secret), or keep the file in a folder that belongs to you or to root.",
            };
        }

        internal override Exception HolderInsecure(string holder, PosixFileStatus holderStatus, string entry) => new SsoSecretException(
            SsoSecretFailure.PathInsecure,
            $"The folder '{holder}' on the path of '{_file}' can be written by other users (mode {Posix.Octal(holderStatus.Permissions)}) and is not sticky: any of them could rename '{entry}' and put something of their own in its place while the file is rewritten. It was left as it was.",
            _file)
        {
            RecommendedAction = $"Keep the file below folders that only their owner can write. If '{holder}' is yours to change: chmod go-w '{holder}' (or chmod +t '{holder}' for a shared folder, where only an entry's owner can rename it).",
        };

        internal override Exception Unavailable(string reason) =>
            new SsoSecretException(SsoSecretFailure.ReadFailed, $"The file '{_file}' cannot be rewritten: {reason}.", _file);

        internal override Exception EndNotAFolder(string entry, PosixFileType type) =>
            new SsoSecretException(SsoSecretFailure.FileNotFound, $"The file '{_file}' does not exist: '{entry}' on its path is {Posix.Describe(type)}, not a folder.", _file);
    }
}
