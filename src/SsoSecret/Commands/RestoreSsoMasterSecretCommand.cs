using System;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// <para type="synopsis">Installs the master secret from a backup into the store, as ssoconfig -restoreSecret.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class RestoreSsoMasterSecretCommand : SsoSecretCommandBase
{
    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    /// <summary><para type="description">The backup file. A string or a FileInfo; relative to the current location.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary><para type="description">The backup password. Without it (or -Credential), the hint is shown and the password asked for.</para></summary>
    [Parameter(ParameterSetName = PasswordSet)]
    public SecureString? Password { get; set; }

    /// <summary><para type="description">The backup password as a credential; the user name is ignored.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary><para type="description">Replaces a different secret in the store without asking (it is kept as the previous secret), and skips the confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Outputs the store's secret information after the restore.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary><para type="description">The most KDF memory the backup may ask for, in MiB (default: 1024, the Sensitive profile).</para></summary>
    [Parameter]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            string path = ResolveLiteralPath(Path, terminating: true);
            var store = OpenStore();
            using (var before = store.Read())
            {
                // Reading the store first finds an insecure or damaged store before the password is asked for.
            }

            var data = ReadBackupFile(path);
            BackupHeader header;
            try
            {
                header = BackupEnvelope.ReadHeader(data);
            }
            catch (BackupException e)
            {
                throw BackupError(e, path);
            }

            var limits = MaximumKdfMemoryMiB > 0 ? KdfLimits.FromMemoryMiB(MaximumKdfMemoryMiB) : KdfLimits.Default;
            byte[] secret;
            using (var password = ObtainPassword(Password, Credential, path, header.Hint))
            {
                try
                {
                    secret = RunKdf("Opening the backup " + path, header.Kdf, () => BackupEnvelope.Open(data, password.Bytes, limits, out _));
                }
                catch (BackupException e)
                {
                    throw BackupError(e, path);
                }
            }

            using var restored = new StoredSecret(header.SecretId, header.Created, secret);
            Guid? confirmedCurrent;
            using (var current = store.Read())
            {
                confirmedCurrent = current.Current?.Id;
                if (current.Current is not null && current.Current.Id == restored.Id && current.Current.SameSecretAs(restored.Secret))
                {
                    WriteHostLine($"The store already holds master secret {restored.Id} (fingerprint {restored.Fingerprint}); nothing was changed.");
                    if (PassThru)
                    {
                        WriteObject(ToInfo(current, store.Path));
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
                    throw ExistsError(store.Path, current.Current.Id, restored.Id);
                }
            }

            using var heldLock = store.Lock();
            using var state = store.Read();
            if (state.Current is not null && state.Current.SameSecretAs(restored.Secret) && state.Current.Id == restored.Id)
            {
                WriteHostLine($"The store already holds master secret {restored.Id}; nothing was changed.");
                return;
            }

            // Another process may have installed a secret since the question was asked: replace only what was confirmed
            // (or, with -Force, what was there when the command looked), never a secret this command has not seen.
            if (state.Current is not null && state.Current.Id != confirmedCurrent)
            {
                throw ChangedMeanwhileError(store.Path, confirmedCurrent, state.Current.Id, "nothing was changed");
            }

            // The creation time of a restored secret is the time its backup was written: the secret's own creation
            // time is not in the envelope. The file it came from is a backup of it, proven good just now: it is
            // recorded as the last backup.
            state.Install(
                new StoredSecret(restored.Id, header.Created, (byte[])restored.Secret.Clone()),
                new BackupRecord(header.Created, restored.Id, path),
                DateTimeOffset.UtcNow);
            store.Write(heldLock, state);
            WriteVerbose($"The operation completed successfully: master secret {restored.Id} restored into '{store.Path}'.");
            if (PassThru)
            {
                WriteObject(ToInfo(state, store.Path));
            }
        },
        allErrorsTerminating: true);

    private static SsoSecretErrorException ExistsError(string storePath, Guid existing, Guid restored) => SsoSecretErrorException.Create(
        ErrorIds.MasterSecretExists,
        $"The store '{storePath}' holds master secret {existing}, not {restored} from the backup; it was not replaced.",
        ErrorCategory.ResourceExists,
        storePath,
        "Pass -Force to replace it (the replaced secret is kept as the previous secret), or confirm when asked.",
        terminating: true);
}
