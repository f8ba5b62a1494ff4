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
    /// Reads a backup file, never more than <see cref="BackupEnvelope.MaxInputLength"/> + 1 bytes: a larger file is
    /// refused by the envelope reader without being read whole.
    /// </summary>
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

        if (total == buffer.Length)
        {
            return buffer;
        }

        var result = new byte[total];
        Buffer.BlockCopy(buffer, 0, result, 0, total);
        return result;
    }

    /// <summary>
    /// Seals the secret and writes it to <paramref name="path"/>: a temporary file beside it first, read back and
    /// opened with the keys the seal derived, and only then renamed into place. Whatever fails, the target keeps
    /// what it had, and no temporary file is left. Returns the header of the backup as written.
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
            throw new IOException($"The file '{path}' already exists.");
        }

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
            AtomicFile.Commit(temporary, path, overwrite);
            return header;
        }
        catch
        {
            AtomicFile.TryDelete(temporary);
            throw;
        }
    }
}
