using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;

namespace SsoSecret.Internal;

/// <summary>A recovery key's private key, unlocked from its file; zeroed on dispose.</summary>
internal sealed class UnlockedRecoveryKey : IDisposable
{
    internal UnlockedRecoveryKey(byte[] privateKey, RecoveryKeyHeader header, string path)
    {
        PrivateKey = privateKey;
        Header = header;
        Path = path;
    }

    internal byte[] PrivateKey { get; }

    internal RecoveryKeyHeader Header { get; }

    internal string Path { get; }

    public void Dispose() => Memory.Zero(PrivateKey);
}

/// <summary>
/// What the commands do with recovery keys: read the public keys given to -Recipient, and open a backup with the key
/// file given to -RecoveryKeyPath (its hint shown, its password given or asked for, its KDF run with progress).
/// </summary>
internal static class RecoveryKeys
{
    /// <summary>
    /// The recovery public keys of -Recipient: one key per string, white space around it ignored; empty strings and
    /// lines starting with '#' are skipped, so that <c>-Recipient (Get-Content recipients.txt)</c> works on a
    /// commented list. The same key given twice counts once.
    /// </summary>
    internal static List<RecoveryPublicKey> Parse(PSCmdlet cmdlet, IEnumerable<string> texts)
    {
        var keys = new List<RecoveryPublicKey>();
        foreach (string text in texts)
        {
            string trimmed = (text ?? string.Empty).Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("#", StringComparison.Ordinal))
            {
                continue;
            }

            if (!RecoveryPublicKey.LooksLikeKey(trimmed) && cmdlet.MyInvocation.BoundParameters.ContainsKey("Recipient"))
            {
                // Not a key at all, perhaps a password pasted into the wrong place: the error record would carry it on in
                // its invocation information ($Error, ConvertTo-Json, Export-Clixml, remoting). Withhold it there.
                cmdlet.MyInvocation.BoundParameters["Recipient"] = "(withheld: a value that is not a recovery public key)";
            }

            var key = RecoveryPublicKey.Parse(trimmed);
            if (keys.Contains(key))
            {
                cmdlet.WriteVerbose($"The recovery key {key.Fingerprint} is given more than once; the backup is sealed to it once.");
                continue;
            }

            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidRecipient, "-Recipient holds no recovery public key (only empty lines or comments).");
        }

        if (keys.Count > RecipientEnvelope.MaxRecipients)
        {
            throw new SsoSecretException(
                SsoSecretFailure.InvalidRecipient,
                $"-Recipient holds {keys.Count} recovery keys; a backup is sealed to at most {RecipientEnvelope.MaxRecipients}.")
            {
                RecommendedAction = $"Give at most {RecipientEnvelope.MaxRecipients} keys, or write a second backup for the others.",
            };
        }

        return keys;
    }

    /// <summary>Reads a key file and its header (no password needed).</summary>
    internal static (byte[] Data, RecoveryKeyHeader Header) Read(string path)
    {
        var data = IO.RecoveryFiles.ReadKeyFile(path);
        return (data, IO.RecoveryFiles.ReadKeyHeader(data, path));
    }

    /// <summary>
    /// Unlocks a key file: its password given, or asked for after its hint is shown, and its KDF run with progress.
    /// </summary>
    internal static UnlockedRecoveryKey Unlock(PSCmdlet cmdlet, string path, byte[] data, RecoveryKeyHeader header, SecureString? password, KdfLimits limits)
    {
        var privateKey = Passwords.Open(
            cmdlet,
            password,
            path,
            header.Hint,
            bytes => KdfRunner.Run(cmdlet, "Opening the recovery key " + path, header.Kdf, () => IO.RecoveryFiles.OpenKeyFile(data, bytes.Bytes, limits, path)),
            "-RecoveryKeyPassword <SecureString>",
            "the recovery key");
        return new UnlockedRecoveryKey(privateKey, header, path);
    }

    /// <summary>
    /// Refuses, before any password is asked for, a backup that the key cannot open: a password backup
    /// (<see cref="SsoSecretFailure.BackupKindMismatch"/>), or one not sealed to this key
    /// (<see cref="SsoSecretFailure.WrongRecoveryKey"/>): the fingerprints are readable on both sides.
    /// </summary>
    internal static void CheckSealedTo(BackupHeader backup, string backupPath, RecoveryKeyHeader key)
    {
        if (backup.Kind != SsoSecretBackupKind.Recipients)
        {
            throw new BackupException(
                SsoSecretFailure.BackupKindMismatch,
                $"The backup '{backupPath}' is protected by a password, not sealed to recovery keys: it opens with its password, not with a recovery key.",
                backupPath)
            {
                RecommendedAction = "Give the backup's password (-Password or -Credential) instead of -RecoveryKeyPath.",
            };
        }

        if (!Contains(backup.Recipients, key.PublicKey.Fingerprint))
        {
            throw RecipientEnvelope.WrongKey(key.PublicKey.Fingerprint, backup.Recipients).At(backupPath);
        }
    }

    /// <summary>The failure of a password (or nothing) given for a backup that opens with recovery keys.</summary>
    internal static BackupException NeedsRecoveryKey(BackupHeader backup, string backupPath) =>
        RecipientEnvelope.NeedsRecoveryKey(backup).At(backupPath);

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
