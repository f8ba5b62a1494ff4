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
    /// Reads a backup file for the envelope reader, never more than <see cref="BackupEnvelope.MaxInputLength"/> + 1
    /// bytes: a larger file is refused by the reader without being read whole. A folder, a missing file or an
    /// unreadable one is a <see cref="BackupException"/> of its own failure.
    /// </summary>
    internal static byte[] Read(string path)
    {
        if (Directory.Exists(path))
        {
            throw new BackupException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder, not a backup file.", path);
        }

        if (!File.Exists(path))
        {
            throw new BackupException(SsoSecretFailure.BackupNotFound, $"The backup file '{path}' does not exist.", path);
        }

        try
        {
            return ReadBounded(path);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new BackupException(SsoSecretFailure.ReadFailed, $"The backup file '{path}' cannot be read: {e.Message}", path, e);
        }
    }

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

    /// <summary>The failure of a write that would replace an existing file without -Force.</summary>
    internal static BackupException Exists(string path) => new(
        SsoSecretFailure.BackupExists,
        $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.",
        path);

    /// <summary>
    /// Seals the secret and writes it to <paramref name="path"/>: a temporary file beside it first, read back and
    /// opened with the keys the seal derived, and only then renamed into place (without <paramref name="overwrite"/>,
    /// only if the name is still free at that instant). Whatever fails, the target keeps what it had, and no temporary
    /// file is left. Returns the header of the backup as written.
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
        if (!overwrite && File.Exists(path))
        {
            throw Exists(path);
        }

        try
        {
            // A temporary file of this target left by a killed process is removed once it is older than any write takes
            // (a write keeps it for milliseconds): a recent one may belong to another process writing the same path.
            AtomicFile.RemoveStaleTemporaries(path, StaleTemporaryAge);

            using var sealedBackup = BackupEnvelope.Seal(secret, secretId, DateTimeOffset.UtcNow, hint, password, kdf, allowBelowFloor: allowBelowFloor);
            byte[] content = armor ? Encoding.ASCII.GetBytes(Armor.Encode(sealedBackup.Data)) : sealedBackup.Data;
            string temporary = AtomicFile.WriteTemporary(path, content);
            try
            {
                var written = ReadBounded(temporary);
                BackupEnvelope.VerifyWritten(written, sealedBackup, secret);
                var header = BackupEnvelope.ReadHeader(written);
                if (overwrite)
                {
                    AtomicFile.Commit(temporary, path);
                }
                else if (!AtomicFile.CommitNew(temporary, path))
                {
                    throw Exists(path);
                }

                return header;
            }
            finally
            {
                // Gone after a commit; removed after any failure.
                if (File.Exists(temporary))
                {
                    AtomicFile.TryDelete(temporary);
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || (e is BackupException b && b.Failure != SsoSecretFailure.BackupExists))
        {
            throw new BackupException(
                SsoSecretFailure.WriteFailed,
                $"The backup '{path}' could not be written and verified; the path was left as it was: {e.Message}",
                path,
                e);
        }
    }

    /// <summary>Reads at most <see cref="BackupEnvelope.MaxInputLength"/> + 1 bytes of a file.</summary>
    internal static byte[] ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        int cap = BackupEnvelope.MaxInputLength + 1;
        var buffer = new byte[(int)Math.Min(cap, Math.Max(0, stream.Length))];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total == buffer.Length ? buffer : Memory.Slice(buffer, 0, total);
    }
}
