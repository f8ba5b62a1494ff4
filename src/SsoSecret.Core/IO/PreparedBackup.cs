using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SsoSecret.IO;

/// <summary>
/// A backup sealed, written to a temporary file beside its target, read back and proven to open, but not yet at its
/// path. Sealing (the KDF: seconds) happens here, before any store lock is taken; <see cref="Commit"/> (milliseconds)
/// runs under the lock, so a store is never held for the length of a KDF. Disposing it removes the temporary file if it
/// was not committed.
/// </summary>
internal sealed class PreparedBackup : IDisposable
{
    private TemporaryFile? _temporary;

    private PreparedBackup(string path, TemporaryFile temporary, BackupHeader header, bool overwrite)
    {
        Path = path;
        _temporary = temporary;
        Header = header;
        Overwrite = overwrite;
    }

    /// <summary>The backup's path.</summary>
    internal string Path { get; }

    /// <summary>The header of the backup as written.</summary>
    internal BackupHeader Header { get; }

    /// <summary>True when the commit replaces what the path holds (-Force).</summary>
    internal bool Overwrite { get; }

    /// <summary>
    /// A test's hook, called with the path just before the commit: the moment another process could create the target
    /// after the early existence check. Null in the product.
    /// </summary>
    internal static event Action<string>? BeforeCommit;

    /// <summary>
    /// Seals the secret and writes it to a temporary file beside <paramref name="path"/>, reads it back and opens it with
    /// the keys the seal derived. Without <paramref name="overwrite"/>, a path that exists already is refused first
    /// (<see cref="SsoSecretFailure.BackupExists"/>; the commit checks again, atomically). Any failure to write is
    /// <see cref="SsoSecretFailure.WriteFailed"/>, with the path left as it was and no temporary file left.
    /// </summary>
    internal static PreparedBackup Prepare(
        string path,
        byte[] secret,
        Guid secretId,
        string hint,
        byte[] password,
        KdfParameters kdf,
        bool armor,
        bool overwrite,
        bool allowBelowFloor = false) => PrepareSealed(path, armor, overwrite, () =>
        {
            var sealedBackup = BackupEnvelope.Seal(secret, secretId, DateTimeOffset.UtcNow, hint, password, kdf, allowBelowFloor: allowBelowFloor);
            return (sealedBackup, sealedBackup.Data, written => BackupEnvelope.VerifyWritten(written, sealedBackup, secret));
        });

    /// <summary>
    /// As <see cref="Prepare"/>, for a backup
    /// sealed to recovery keys (format version 2): no KDF runs, and the written copy is proven with the file key the
    /// seal kept, without any private key.
    /// </summary>
    internal static PreparedBackup PrepareForRecipients(
        string path,
        byte[] secret,
        Guid secretId,
        IReadOnlyList<RecoveryPublicKey> recipients,
        bool armor,
        bool overwrite) => PrepareSealed(path, armor, overwrite, () =>
        {
            var sealedBackup = RecipientEnvelope.Seal(secret, secretId, DateTimeOffset.UtcNow, recipients);
            return (sealedBackup, sealedBackup.Data, written => RecipientEnvelope.VerifyWritten(written, sealedBackup, secret));
        });

    /// <summary>
    /// Seals the secret into a backup's armored text, for the output rather than a file: proven as a written file is
    /// (the text decoded, compared with what was sealed and opened with the keys the seal derived), so a text that
    /// leaves the command opens. Returns the text (without its final line feed) and its header.
    /// </summary>
    internal static (string Text, BackupHeader Header) SealText(byte[] secret, Guid secretId, string hint, byte[] password, KdfParameters kdf, bool allowBelowFloor = false)
    {
        using var sealedBackup = BackupEnvelope.Seal(secret, secretId, DateTimeOffset.UtcNow, hint, password, kdf, allowBelowFloor: allowBelowFloor);
        return Proven(sealedBackup.Data, written => BackupEnvelope.VerifyWritten(written, sealedBackup, secret));
    }

    /// <summary>As <see cref="SealText"/>, for a backup sealed to recovery keys.</summary>
    internal static (string Text, BackupHeader Header) SealTextForRecipients(byte[] secret, Guid secretId, IReadOnlyList<RecoveryPublicKey> recipients)
    {
        using var sealedBackup = RecipientEnvelope.Seal(secret, secretId, DateTimeOffset.UtcNow, recipients);
        return Proven(sealedBackup.Data, written => RecipientEnvelope.VerifyWritten(written, sealedBackup, secret));
    }

    private static (string Text, BackupHeader Header) Proven(byte[] data, Action<byte[]> verify)
    {
        string text = Armor.EncodeBackup(data);
        byte[] written = Encoding.UTF8.GetBytes(text);
        verify(written);
        return (text.TrimEnd('\n'), BackupEnvelope.ReadHeader(written));
    }

    private static PreparedBackup PrepareSealed(string path, bool armor, bool overwrite, Func<(IDisposable Sealed, byte[] Data, Action<byte[]> Verify)> seal)
    {
        TemporaryFile? temporary = null;
        try
        {
            // The folder is opened once; every step below (the existence check, the temporary file, the read back, the
            // commit) is relative to it, so a folder swapped meanwhile never redirects the write.
            temporary = Begin(path, overwrite);
            var (sealedBackup, data, verify) = seal();
            using (sealedBackup)
            {
                byte[] content = armor ? Encoding.UTF8.GetBytes(Armor.EncodeBackup(data)) : data;
                temporary.Write(content);
                var written = temporary.ReadBack(BackupEnvelope.MaxInputLength + 1);
                verify(written);
                var prepared = new PreparedBackup(path, temporary, BackupEnvelope.ReadHeader(written), overwrite);
                temporary = null;
                return prepared;
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || (e is BackupException b && b.Failure != SsoSecretFailure.BackupExists))
        {
            throw WriteFailed(path, e);
        }
        finally
        {
            temporary?.Dispose();
        }
    }

    /// <summary>
    /// Opens the folder of <paramref name="path"/>, refuses a name that exists unless <paramref name="overwrite"/>
    /// (<paramref name="exists"/>, or <see cref="SsoSecretFailure.BackupExists"/>), removes stale temporary files of the
    /// target and creates a new one. A temporary file of this target left by a killed process is removed once it is
    /// older than any write takes (a write keeps it for seconds at most): a recent one may belong to another process
    /// writing the same path.
    /// </summary>
    internal static TemporaryFile Begin(string path, bool overwrite, Func<SsoSecretException>? exists = null)
    {
        string? directory = System.IO.Path.GetDirectoryName(path);
        var folder = OpenFolder.Open(string.IsNullOrEmpty(directory) ? "." : directory);
        try
        {
            string name = System.IO.Path.GetFileName(path);
            if (!overwrite && folder.Holds(name))
            {
                throw exists?.Invoke() ?? BackupFile.Exists(path);
            }

            AtomicFile.RemoveStaleTemporaries(folder, name, BackupFile.StaleTemporaryAge);
            return TemporaryFile.Create(folder, name, ownsFolder: true);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Puts the backup at its path. Without -Force only if the name is still free at that instant (a hard link, which
    /// fails on any existing name, even one created a moment ago): else <see cref="SsoSecretFailure.BackupExists"/>,
    /// and nothing changed. With -Force it replaces what is there, kept aside until the returned commit is kept when
    /// <paramref name="keepReplaced"/> (so that a failed store write can put it back). The caller keeps or undoes it.
    /// </summary>
    internal CommittedFile Commit(bool keepReplaced)
    {
        var temporary = _temporary ?? throw new InvalidOperationException("The backup was committed or discarded already.");
        BeforeCommit?.Invoke(Path);
        try
        {
            var committed = Overwrite ? temporary.Commit(keepReplaced) : temporary.CommitNew() ?? throw BackupFile.Exists(Path);
            _temporary = null;
            return committed;
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw WriteFailed(Path, e);
        }
    }

    /// <summary>Removes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        _temporary?.Dispose();
        _temporary = null;
    }

    private static BackupException WriteFailed(string path, Exception e) => new(
        SsoSecretFailure.WriteFailed,
        $"The backup '{path}' could not be written and verified; the path was left as it was: {e.Message}",
        path,
        e);
}
