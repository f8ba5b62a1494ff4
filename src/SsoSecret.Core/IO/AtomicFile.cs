using System;
using System.IO;

namespace SsoSecret.IO;

/// <summary>
/// Writes files so that a reader, or a crash, only ever sees the old content or the whole new content: the bytes go
/// to a temporary file in the same folder, are flushed to the disk, and the file is then renamed over the target.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Creates a temporary file beside <paramref name="path"/>, owner-only on Unix, holding the bytes.</summary>
    internal static string WriteTemporary(string path, byte[] content)
    {
        string directory = Path.GetDirectoryName(path) ?? throw new ArgumentException("The path has no folder.", nameof(path));
        string temporary = Path.Combine(directory, "." + NamePrefix(Path.GetFileName(path)) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // The file is empty until its permissions are narrowed, so no other user ever reads a byte of it.
                if (UnixFileMode.IsUnix)
                {
                    UnixFileMode.Set(temporary, UnixFileMode.OwnerOnlyFile);
                }

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
    /// Moves a finished temporary file to its place. Without <paramref name="overwrite"/> an existing target is never
    /// replaced, even one that appeared a moment ago: the move itself fails.
    /// </summary>
    internal static void Commit(string temporary, string path, bool overwrite)
    {
        if (overwrite && File.Exists(path))
        {
            File.Replace(temporary, path, destinationBackupFileName: null, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(temporary, path);
        }
    }

    /// <summary>Writes the whole file atomically (temporary file, flush, rename), replacing what was there.</summary>
    internal static void Write(string path, byte[] content)
    {
        string temporary = WriteTemporary(path, content);
        try
        {
            Commit(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
