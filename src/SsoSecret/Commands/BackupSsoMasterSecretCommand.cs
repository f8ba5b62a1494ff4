using System;
using System.IO;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Backs up the store's master secret (or, with -SecretId, an earlier secret of its key ring) to a password-protected
/// file, verified before it is kept; or, with -Armor and no -Path, writes the backup's armored text to the output (for
/// a password manager), verified before it is written.
/// </summary>
[Cmdlet(VerbsData.Backup, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoSecretBackupInfo))]
[OutputType(typeof(string))]
public sealed class BackupSsoMasterSecretCommand : BackupWriterCommandBase, IDisposable
{
    private MasterSecretStore? _store;
    private PasswordBytes? _password;
    private string _hint = string.Empty;

    /// <summary>The backup file to write. A string or a FileInfo; relative to the current location. Without it, -Armor writes the backup's text to the output.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// The secret of the store's key ring to back up: the current one by default; an earlier one (kept after a
    /// replacement) by its id, as Get-SsoMasterSecret lists them (PreviousSecrets).
    /// </summary>
    [Parameter]
    public Guid SecretId { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing() => Run(() => _store = OpenStore(), terminating: true);

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            if (Path.Length == 0)
            {
                WriteText();
                return;
            }

            var recipients = Recipients();
            var kdf = recipients is null ? ChooseKdf() : null;
            string path = PathHelper.ResolveLiteral(this, Path);
            var store = _store!;
            using var state = store.Read();
            var secret = Chosen(store, state);
            CheckBackupTarget(path, state, secret.Id, becomesPrevious: false);

            if (!ShouldChange(path, $"Back up master secret {secret.Id} (fingerprint {secret.Fingerprint}), the store's {RingText.Role(state, secret)}", Force))
            {
                return;
            }

            // Asked for once, for every file of the pipeline; a backup sealed to recovery keys needs none.
            if (recipients is null)
            {
                _password ??= ObtainNewPassword(path, out _hint);
            }

            // Sealed (the KDF) without the store's lock; put in place and recorded under it, in milliseconds.
            using var prepared = recipients is null ? SealBackup(path, secret, _password!, _hint, kdf!) : SealRecipientBackup(path, secret, recipients);
            try
            {
                store.RecordBackup(prepared, secret.Id);
            }
            catch (StoreException e) when (e.Failure == SsoSecretFailure.BackupNotRecorded)
            {
                // Half done, and said so: the backup is there and good, its record is not. The output names it too.
                if (PassThru)
                {
                    WriteObject(Output.BackupInfo(prepared.Header, path, new FileInfo(path).Length));
                }

                throw;
            }

            WriteVerbose($"The backup '{path}' was written, read back and verified.");
            if (PassThru)
            {
                WriteObject(Output.BackupInfo(prepared.Header, path, new FileInfo(path).Length));
            }
        },
        terminating: false);

    /// <summary>The secret to back up: the current one, or the secret of the ring -SecretId names (<see cref="SsoSecretFailure.SecretNotInStore"/>).</summary>
    private StoredSecret Chosen(MasterSecretStore store, StoreState state)
    {
        var current = store.RequireCurrent(state);
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(SecretId)) || SecretId == current.Id)
        {
            return current;
        }

        return state.Find(SecretId) ?? throw new StoreException(
            SsoSecretFailure.SecretNotInStore,
            store.Path,
            $"The key ring of the store '{store.Path}' holds no master secret {SecretId}: it holds {string.Join(", ", System.Linq.Enumerable.Select(state.Ring, s => s.Id))}. Nothing was written.");
    }

    /// <summary>
    /// Without -Path: the backup's armored text, sealed, decoded and proven as a written file is, then written to the
    /// output as one string. No file is written, so the store records no backup.
    /// </summary>
    private void WriteText()
    {
        if (!Armor)
        {
            throw new SsoSecretException(
                SsoSecretFailure.PathRequired,
                "No backup file was given. Backup-SsoMasterSecret writes a file (-Path), or, with -Armor and no -Path, the backup's armored text to the output.");
        }

        if (PassThru)
        {
            throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "-PassThru describes a backup file; without -Path the output is the backup's text itself. Drop -PassThru.");
        }

        const string Target = "the output";
        var recipients = Recipients();
        var kdf = recipients is null ? ChooseKdf() : null;
        var store = _store!;
        using var state = store.Read();
        var current = Chosen(store, state);
        if (!ShouldChange(Target, $"Write a backup of master secret {current.Id} (fingerprint {current.Fingerprint}), the store's {RingText.Role(state, current)}, as armored text to the output", Force))
        {
            return;
        }

        if (recipients is null)
        {
            _password ??= ObtainNewPassword("the armored text", out _hint);
        }

        var password = _password;
        var (text, _) = recipients is null
            ? KdfRunner.Run(this, "Writing the backup's armored text", kdf!, () => IO.PreparedBackup.SealText(current.Secret, current.Id, _hint, password!.Bytes, kdf!, TestSupport.WaiveKdfFloor))
            : IO.PreparedBackup.SealTextForRecipients(current.Secret, current.Id, recipients);
        WriteVerbose("The backup's armored text was sealed, decoded and verified. No file was written, so the store records no backup: "
            + "keep the text where it cannot be lost (a password manager, a printed page), and check a copy of it with Test-SsoSecretBackup -ArmoredText.");
        WriteObject(text);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _password?.Dispose();
        _password = null;
    }
}
