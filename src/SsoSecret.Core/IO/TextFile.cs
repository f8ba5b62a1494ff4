using System.IO;
using System.Text.RegularExpressions;

namespace SsoSecret.IO;

/// <summary>
/// Files of protected values (and the config files that hold them): written whole or not at all, as backups are; an
/// existing file is replaced only when asked, and a file rewritten in place keeps its permissions.
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
    /// Writes a new file atomically (temporary file, flush, rename); without <paramref name="overwrite"/> an existing
    /// name is never replaced, even one that appeared a moment ago.
    /// </summary>
    internal static void Write(string path, byte[] content, bool overwrite)
    {
        string temporary = AtomicFile.WriteTemporary(path, content);
        try
        {
            if (overwrite)
            {
                AtomicFile.Commit(temporary, path);
            }
            else if (!AtomicFile.CommitNew(temporary, path))
            {
                throw Exists(path);
            }
        }
        finally
        {
            if (File.Exists(temporary))
            {
                AtomicFile.TryDelete(temporary);
            }
        }
    }

    /// <summary>
    /// Replaces a file's content atomically, keeping its owner, group and permission bits (on Unix): a config file an
    /// application reads as its owner or through its group stays readable by it, even when root rewrites it. An owner
    /// or group this process cannot give the new file (another user's file, rewritten by someone who may write its
    /// folder but is not root) fails the rewrite, with the file left as it was. The new content is read back before it
    /// is put in place.
    /// </summary>
    internal static void Rewrite(string path, byte[] content)
    {
        string temporary = AtomicFile.WriteTemporary(path, content);
        try
        {
            if (UnixFileMode.IsUnix && Posix.StatFollow(path) is PosixFileStatus original)
            {
                var made = Posix.StatFollow(temporary) ?? throw new IOException($"The temporary file '{temporary}' vanished.");
                if (made.Owner != original.Owner || made.Group != original.Group)
                {
                    // Before the mode: chown clears the set-id bits.
                    Posix.ChangeOwner(temporary, original.Owner, original.Group);
                }

                UnixFileMode.Set(temporary, original.Permissions);
            }

            var written = File.ReadAllBytes(temporary);
            if (written.Length != content.Length || !Crypto.Primitives.FixedTimeEquals(written, 0, content, 0, content.Length))
            {
                throw new IOException($"The new content of '{path}' read back differs from what was written.");
            }

            AtomicFile.Commit(temporary, path);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                AtomicFile.TryDelete(temporary);
            }
        }
    }
}
