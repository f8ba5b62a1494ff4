using System;
using System.IO;
using System.Text;

namespace SsoSecret.IO;

/// <summary>Reads and writes backup files: bounded reads, and writes that are verified before they are kept.</summary>
internal static class BackupFile
{
    /// <summary>How old a temporary file beside a backup must be before a write to the same path removes it.</summary>
    internal static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Reads a backup file for its reader (the envelope's, or the vault's for a vault export), never more than
    /// <paramref name="maxLength"/> + 1 bytes: a larger file is refused by the reader without being read whole. A folder, a missing file, something
    /// that is not a regular file (a FIFO, a device, a socket: refused before it is opened, so a read never waits on
    /// a pipe) or an unreadable file is a <see cref="BackupException"/> of its own failure. A link is followed.
    /// </summary>
    internal static byte[] Read(string path, int maxLength = BackupEnvelope.MaxInputLength)
    {
        if (Directory.Exists(path))
        {
            throw new BackupException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder, not a backup file.", path);
        }

        if (!UnixFileMode.IsUnix)
        {
            if (!File.Exists(path))
            {
                throw NotFound(path);
            }

            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                return RegularFile.ReadBounded(stream, maxLength + 1);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw ReadFailed(path, e);
            }
        }

        try
        {
            switch (RegularFile.Open(path, followLinks: true, out var handle, out var status))
            {
                case RegularFile.Outcome.Missing:
                    throw NotFound(path);
                case RegularFile.Outcome.NotRegular:
                    throw NotRegular(path, status.Type);
                default:
                    using (handle)
                    {
                        return RegularFile.Read(handle!, maxLength + 1);
                    }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw ReadFailed(path, e);
        }
    }

    private static BackupException NotFound(string path) =>
        new(SsoSecretFailure.BackupNotFound, $"The backup file '{path}' does not exist.", path);

    private static BackupException ReadFailed(string path, Exception e) =>
        new(SsoSecretFailure.ReadFailed, $"The backup file '{path}' cannot be read: {e.Message}", path, e);

    /// <summary>The failure of a backup path that names a FIFO, a device, a socket or another special file.</summary>
    internal static BackupException NotRegular(string path, PosixFileType type) => new(
        SsoSecretFailure.NotARegularFile,
        $"'{path}' is {Posix.Describe(type)}, not a backup file. SsoSecret reads backups only from regular files, so that a read never waits on a pipe or reads from a device; it was not opened.",
        path);

    /// <summary>Reads a backup's header (<see cref="BackupEnvelope.ReadHeader"/>); a failure names the file.</summary>
    internal static BackupHeader ReadHeader(byte[] data, string path)
    {
        try
        {
            return BackupEnvelope.ReadHeader(data);
        }
        catch (BackupException e)
        {
            throw e.At(path);
        }
    }

    /// <summary>Opens a backup (<see cref="BackupEnvelope.Open"/>); a failure names the file.</summary>
    internal static byte[] Open(byte[] data, byte[] password, KdfLimits limits, string path)
    {
        try
        {
            return BackupEnvelope.Open(data, password, limits, out _);
        }
        catch (BackupException e)
        {
            throw e.At(path);
        }
    }

    /// <summary>
    /// The failure of a write that would replace an existing file without -Force. When the file is an SsoSecret backup,
    /// the message says which secret it holds: a backup an earlier run wrote but could not record in the store is
    /// then recognized as such, not just "in the way".
    /// </summary>
    internal static BackupException Exists(string path) => new(
        SsoSecretFailure.BackupExists,
        $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.{DescribeExisting(path)}",
        path);

    /// <summary>" It is a backup of master secret ... ." for a readable backup; empty for anything else.</summary>
    private static string DescribeExisting(string path)
    {
        try
        {
            var header = BackupEnvelope.ReadHeader(Read(path));
            return $" It is an SsoSecret backup of master secret {header.SecretId} (fingerprint {header.Fingerprint}) written {header.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z: "
                + "if an earlier command wrote it and could not record it in the store, it is a good backup (prove it with Test-SsoSecretBackup -Password); "
                + "keep it, or pass -Force to replace it with a new one.";
        }
        catch (BackupException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// Seals the secret and writes it to <paramref name="path"/>: <see cref="PreparedBackup.Prepare"/>, then the commit
    /// (without <paramref name="overwrite"/>, only if the name is still free at that instant). Whatever fails, the target
    /// keeps what it had, and no temporary file is left. Returns the header of the backup as written.
    /// </summary>
    internal static BackupHeader Write(
        string path,
        byte[] secret,
        Guid secretId,
        string hint,
        byte[] password,
        KdfParameters kdf,
        bool armor,
        bool overwrite,
        bool allowBelowFloor = false)
    {
        using var prepared = PreparedBackup.Prepare(path, secret, secretId, hint, password, kdf, armor, overwrite, allowBelowFloor);
        prepared.Commit(keepReplaced: false).Keep();
        return prepared.Header;
    }
}
