using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SsoSecret.IO;

/// <summary>
/// Reads and writes the files of recovery keys: key files, and backups sealed to recovery keys. Writes follow the
/// discipline of <see cref="BackupFile.Write"/>: a temporary file beside the target, read back and proven, then renamed
/// into place (without overwrite, only if the name is still free at that instant); whatever fails, the target keeps
/// what it had and no temporary file is left.
/// </summary>
internal static class RecoveryFiles
{
    /// <summary>Reads a recovery key file, never more than the reader looks at (plus one byte).</summary>
    internal static byte[] ReadKeyFile(string path) => GivenFile.Read(
        path,
        "recovery key file",
        "give a recovery key file",
        BackupEnvelope.MaxInputLength,
        make: (failure, message, cause) => new RecoveryKeyException(failure, message, path, cause));

    /// <summary>Reads a key file's header; a failure names the file.</summary>
    internal static RecoveryKeyHeader ReadKeyHeader(byte[] data, string path)
    {
        try
        {
            return RecoveryKeyFile.ReadHeader(data);
        }
        catch (RecoveryKeyException e)
        {
            throw e.At(path);
        }
    }

    /// <summary>Opens a key file with its password; a failure names the file. Returns the private key.</summary>
    internal static byte[] OpenKeyFile(byte[] data, byte[] password, KdfLimits limits, string path)
    {
        try
        {
            return RecoveryKeyFile.Open(data, password, limits, out _);
        }
        catch (RecoveryKeyException e)
        {
            throw e.At(path);
        }
    }

    /// <summary>Opens a backup with a recovery key's private key; a failure names the backup file.</summary>
    internal static byte[] OpenBackup(byte[] data, byte[] privateKey, string path)
    {
        try
        {
            return BackupEnvelope.OpenWithRecoveryKey(data, privateKey, out _);
        }
        catch (BackupException e)
        {
            throw e.At(path);
        }
    }

    /// <summary>Seals a private key under a password and writes it, proven, to <paramref name="path"/>. Returns its header.</summary>
    internal static RecoveryKeyHeader WriteKeyFile(
        string path,
        byte[] privateKey,
        string hint,
        byte[] password,
        KdfParameters kdf,
        bool armor,
        bool overwrite)
    {
        using var sealedKey = RecoveryKeyFile.Seal(privateKey, DateTimeOffset.UtcNow, hint, password, kdf);
        byte[] content = armor ? Encoding.ASCII.GetBytes(Armor.Encode(sealedKey.Data, RecoveryKeyFile.ArmorLabel)) : sealedKey.Data;
        RecoveryKeyHeader? header = null;
        WriteProven(
            path,
            content,
            overwrite,
            written =>
            {
                RecoveryKeyFile.VerifyWritten(written, sealedKey, privateKey);
                header = RecoveryKeyFile.ReadHeader(written);
            },
            () => new RecoveryKeyException(
                SsoSecretFailure.FileExists,
                $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.",
                path));
        return header!;
    }

    /// <summary>
    /// The write discipline: temporary file, read back, <paramref name="prove"/>, commit. An I/O failure or a failed
    /// proof becomes <see cref="SsoSecretFailure.WriteFailed"/>; the target exists and may not be replaced:
    /// <paramref name="exists"/>.
    /// </summary>
    private static void WriteProven(string path, byte[] content, bool overwrite, Action<byte[]> prove, Func<SsoSecretException> exists)
    {
        try
        {
            using var temporary = PreparedBackup.Begin(path, overwrite, exists);
            temporary.Write(content);
            prove(temporary.ReadBack(BackupEnvelope.MaxInputLength + 1));
            var committed = overwrite ? temporary.Commit(keepReplaced: false) : temporary.CommitNew() ?? throw exists();
            committed.Keep();
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException
            || (e is SsoSecretException s && s.Failure != SsoSecretFailure.BackupExists && s.Failure != SsoSecretFailure.FileExists))
        {
            throw new BackupException(
                SsoSecretFailure.WriteFailed,
                $"The file '{path}' could not be written and verified; the path was left as it was: {e.Message}",
                path,
                e);
        }
    }
}
