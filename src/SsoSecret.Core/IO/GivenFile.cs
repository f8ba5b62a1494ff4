using System;
using System.IO;

namespace SsoSecret.IO;

/// <summary>
/// Reads a file a command was given other than a backup (a value to protect, a file of protected values, a config file
/// to rewrap, a recovery share, a recovery key): a regular file only, as a backup is (a FIFO, a device or a socket is
/// refused before it is opened, so a read never waits on a pipe), and never more than its bound. A folder, a missing
/// file, a special file and an unreadable file each fail with their own id (PathIsFolder, FileNotFound,
/// NotARegularFile, ReadFailed). A link is followed.
/// </summary>
internal static class GivenFile
{
    /// <summary>
    /// Reads <paramref name="path"/>, named <paramref name="noun"/> in messages ("file", "recovery key file"). A file
    /// longer than <paramref name="maxLength"/> fails with <paramref name="tooLarge"/>'s exception (given the length)
    /// when there is one; without it, at most <paramref name="maxLength"/> + 1 bytes are read, for a reader that
    /// refuses what is too long itself. <paramref name="make"/> makes the failures (an SsoSecretException by default).
    /// </summary>
    internal static byte[] Read(
        string path,
        string noun,
        string folderAdvice,
        long maxLength,
        Func<long, Exception>? tooLarge = null,
        Func<SsoSecretFailure, string, Exception?, SsoSecretException>? make = null)
    {
        make ??= (failure, message, cause) => new SsoSecretException(failure, message, path, cause);
        if (Directory.Exists(path))
        {
            throw make(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder; {folderAdvice}.", null);
        }

        int cap = (int)Math.Min(int.MaxValue - 1, maxLength) + 1;
        try
        {
            if (!UnixFileMode.IsUnix)
            {
                if (!File.Exists(path))
                {
                    throw make(SsoSecretFailure.FileNotFound, $"The {noun} '{path}' does not exist.", null);
                }

                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                CheckLength(stream.Length, maxLength, tooLarge);
                return Bounded(RegularFile.ReadBounded(stream, cap), maxLength, tooLarge);
            }

            switch (RegularFile.Open(path, followLinks: true, out var handle, out var status))
            {
                case RegularFile.Outcome.Missing:
                    throw make(SsoSecretFailure.FileNotFound, $"The {noun} '{path}' does not exist.", null);
                case RegularFile.Outcome.NotRegular:
                    throw make(
                        SsoSecretFailure.NotARegularFile,
                        $"'{path}' is {Posix.Describe(status.Type)}, not a {noun}. SsoSecret reads only regular files, so that a read never waits on a pipe or reads from a device; it was not opened.",
                        null);
                default:
                    using (handle)
                    {
                        CheckLength(status.Size, maxLength, tooLarge);
                        return Bounded(RegularFile.Read(handle!, cap), maxLength, tooLarge);
                    }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw make(SsoSecretFailure.ReadFailed, $"The {noun} '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static void CheckLength(long length, long maxLength, Func<long, Exception>? tooLarge)
    {
        if (tooLarge is not null && length > maxLength)
        {
            throw tooLarge(length);
        }
    }

    // A file that grew after its length was read is still refused: the read stops one byte past the bound.
    private static byte[] Bounded(byte[] data, long maxLength, Func<long, Exception>? tooLarge)
    {
        CheckLength(data.Length, maxLength, tooLarge);
        return data;
    }
}
