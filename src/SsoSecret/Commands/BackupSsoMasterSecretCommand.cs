using System;
using System.IO;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Backs up the store's master secret (or, with -SecretId, an earlier secret of its key ring) to a password-protected
/// file, verified before it is kept.
/// </summary>
[Cmdlet(VerbsData.Backup, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoSecretBackupInfo))]
public sealed class BackupSsoMasterSecretCommand : BackupWriterCommandBase, IDisposable
{
    private MasterSecretStore? _store;
    private PasswordBytes? _password;
    private string _hint = string.Empty;

    /// <summary>The backup file to write. A string or a FileInfo; relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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
            var recipients = Recipients();
            var kdf = recipients is null ? ChooseKdf() : null;
            string path = PathHelper.ResolveLiteral(this, Path);
            var store = _store!;
            using var state = store.Read();
            var secret = store.RequireCurrent(state);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(SecretId)) && SecretId != secret.Id)
            {
                secret = state.Find(SecretId) ?? throw new StoreException(
                    SsoSecretFailure.SecretNotInStore,
                    store.Path,
                    $"The key ring of the store '{store.Path}' holds no master secret {SecretId}: it holds {string.Join(", ", System.Linq.Enumerable.Select(state.Ring, s => s.Id))}. Nothing was written.");
            }

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

    /// <inheritdoc/>
    public void Dispose()
    {
        _password?.Dispose();
        _password = null;
    }
}
