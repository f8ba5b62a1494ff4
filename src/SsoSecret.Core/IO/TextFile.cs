using System;
using System.IO;
using System.Text.RegularExpressions;

namespace SsoSecret.IO;

/// <summary>
/// Files of protected values and recovery shares: written whole or not at all, as backups are; an existing file is
/// replaced only when asked. (A config file rewritten in place: <see cref="InPlaceFile"/>.)
/// </summary>
internal static class TextFile
{
    /// <summary>Every protected text in a file's content (the format's prefix, a version and base64url).</summary>
    internal static readonly Regex ProtectedText = new(@"(?<![A-Za-z0-9_-])ssodata[0-9]{1,11}\.[A-Za-z0-9_-]+", RegexOptions.CultureInvariant);

    /// <summary>The failure of a write that would replace an existing file without -Force.</summary>
    internal static SsoSecretException Exists(string path) => new(
        SsoSecretFailure.FileExists,
        $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.",
        path)
    {
        RecommendedAction = "Choose another path, or pass -Force to replace the file.",
    };

    /// <summary>
    /// Writes a new file atomically (temporary file, flush, rename, each relative to the folder opened once); without
    /// <paramref name="overwrite"/> an existing name is never replaced, even one that appeared a moment ago. Returns
    /// what was written, for <see cref="Remove"/>. A failure to write is <see cref="SsoSecretFailure.WriteFailed"/>.
    /// </summary>
    internal static WrittenFile Write(string path, byte[] content, bool overwrite)
    {
        try
        {
            using var temporary = PreparedBackup.Begin(path, overwrite, () => Exists(path));
            temporary.Write(content);
            var written = new WrittenFile(path, temporary.Status);
            var committed = overwrite ? temporary.Commit(keepReplaced: false) : temporary.CommitNew() ?? throw Exists(path);
            committed.Keep();
            return written;
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new SsoSecretException(SsoSecretFailure.WriteFailed, $"The file '{path}' could not be written; nothing was put in place: {e.Message}", path, e);
        }
    }

    /// <summary>Removes a file <see cref="Write"/> wrote, only while its name still holds that file (Unix: the same inode). Best effort.</summary>
    internal static void Remove(WrittenFile file)
    {
        try
        {
            using var folder = OpenFolder.Open(Path.GetDirectoryName(file.Path)!);
            folder.RemoveIfSame(Path.GetFileName(file.Path), file.Status);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A file <see cref="TextFile.Write"/> wrote: its path, and on Unix its device and inode.</summary>
internal sealed class WrittenFile
{
    internal WrittenFile(string path, PosixFileStatus? status)
    {
        Path = path;
        Status = status;
    }

    internal string Path { get; }

    internal PosixFileStatus? Status { get; }
}
