using System;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Installs the master secret from a backup into the store, as ssoconfig -restoreSecret.</summary>
[Cmdlet(VerbsData.Restore, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class RestoreSsoMasterSecretCommand : SsoSecretCommandBase
{
    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    /// <summary>The backup file. A string or a FileInfo; relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The backup password. Without it (or -Credential), the hint is shown and the password asked for.</summary>
    [Parameter(ParameterSetName = PasswordSet)]
    public SecureString? Password { get; set; }

    /// <summary>The backup password as a credential; the user name is ignored.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Replaces a different secret in the store without asking (it is kept as the previous secret), and skips the confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the store's secret information after the restore.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The most KDF memory the backup may ask for, in MiB (default: 1024, the Sensitive profile).</summary>
    [Parameter]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <summary>For a backup sealed to recovery keys: the recovery key file (its private key) that opens it.</summary>
    [Parameter]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? RecoveryKeyPath { get; set; }

    /// <summary>The recovery key file's password. Without it, the key's hint is shown and the password asked for.</summary>
    [Parameter]
    public SecureString? RecoveryKeyPassword { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            if (RecoveryKeyPassword is not null && RecoveryKeyPath is null)
            {
                throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "-RecoveryKeyPassword is the password of the key file given with -RecoveryKeyPath, and -RecoveryKeyPath is missing.");
            }

            string path = PathHelper.ResolveLiteral(this, Path);
            var store = OpenStore();
            using (store.Read())
            {
                // Reading the store first finds an insecure or damaged store before the password is asked for.
            }

            var data = IO.BackupFile.Read(path);
            var header = IO.BackupFile.ReadHeader(data, path);
            byte[] secret;
            if (RecoveryKeyPath is not null || header.Kind == SsoSecretBackupKind.Recipients)
            {
                secret = OpenWithRecoveryKey(data, header, path);
            }
            else
            {
                using var password = Passwords.Existing(this, Password ?? Credential?.Password, path, header.Hint);
                var limits = KdfLimitParameter.Limits(MaximumKdfMemoryMiB);
                secret = KdfRunner.Run(this, "Opening the backup " + path, header.Kdf!, () => IO.BackupFile.Open(data, password.Bytes, limits, path));
            }

            using var restored = new StoredSecret(header.SecretId, header.Created, secret);
            Guid? confirmedCurrent;
            using (var current = store.Read())
            {
                confirmedCurrent = current.Current?.Id;
                if (current.Current is not null && current.Current.Id == restored.Id && current.Current.SameSecretAs(restored.Secret))
                {
                    HostText.WriteLine(this, $"The store already holds master secret {restored.Id} (fingerprint {restored.Fingerprint}); nothing was changed.");
                    if (PassThru)
                    {
                        WriteObject(Output.SecretInfo(current, store.Path));
                    }

                    return;
                }

                string action = current.Current is null
                    ? $"Restore master secret {restored.Id} (fingerprint {restored.Fingerprint}) from '{path}'"
                    : $"Replace master secret {current.Current.Id} with {restored.Id} from '{path}' (the replaced one is kept as the previous secret)";
                if (!ShouldChange(store.Path, action, Force))
                {
                    return;
                }

                if (current.Current is not null && !Force && !ConfirmReplace(
                    $"The store holds master secret {current.Current.Id}, not the one in the backup ({restored.Id}). Replace it? The replaced secret is kept as the previous secret.",
                    "Replace the master secret"))
                {
                    throw new StoreException(
                        SsoSecretFailure.MasterSecretExists,
                        store.Path,
                        $"The store '{store.Path}' holds master secret {current.Current.Id}, not {restored.Id} from the backup; it was not replaced.");
                }
            }

            // The file it came from is a backup of it, proven good just now: it is recorded as the last backup.
            if (!store.Restore(restored, confirmedCurrent, new BackupRecord(header.Created, restored.Id, path), out var after))
            {
                HostText.WriteLine(this, $"The store already holds master secret {restored.Id}; nothing was changed.");
            }

            using (after)
            {
                WriteVerbose($"The operation completed successfully: master secret {restored.Id} restored into '{store.Path}'.");
                if (PassThru)
                {
                    WriteObject(Output.SecretInfo(after, store.Path));
                }
            }
        },
        terminating: true);

    /// <summary>
    /// Opens a backup sealed to recovery keys with -RecoveryKeyPath: the kinds and fingerprints are checked before the
    /// key's password is asked for, so a wrong key or a password backup costs no KDF run.
    /// </summary>
    private byte[] OpenWithRecoveryKey(byte[] data, BackupHeader header, string path)
    {
        if (Password is not null || Credential is not null)
        {
            if (RecoveryKeyPath is not null)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.ConflictingParameters,
                    "Give either a backup password (-Password, -Credential) or -RecoveryKeyPath, not both; the key file's password is -RecoveryKeyPassword.");
            }

            throw RecoveryKeys.NeedsRecoveryKey(header, path);
        }

        if (RecoveryKeyPath is null)
        {
            throw RecoveryKeys.NeedsRecoveryKey(header, path);
        }

        string keyPath = PathHelper.ResolveLiteral(this, RecoveryKeyPath);
        var (keyData, keyHeader) = RecoveryKeys.Read(keyPath);
        RecoveryKeys.CheckSealedTo(header, path, keyHeader);
        var limits = KdfLimitParameter.Limits(MaximumKdfMemoryMiB);
        using var key = RecoveryKeys.Unlock(this, keyPath, keyData, keyHeader, RecoveryKeyPassword, limits);
        WriteVerbose($"Opening the backup with recovery key {keyHeader.PublicKey.Fingerprint}.");
        return IO.RecoveryFiles.OpenBackup(data, key.PrivateKey, path);
    }
}
