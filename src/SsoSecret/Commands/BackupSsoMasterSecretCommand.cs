using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// <para type="synopsis">Backs up the store's master secret to a password-protected file, verified before it is kept.</para>
/// </summary>
[Cmdlet(VerbsData.Backup, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoSecretBackupInfo))]
public sealed class BackupSsoMasterSecretCommand : SsoSecretCommandBase, IDisposable
{
    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    private PasswordBytes? _password;
    private string? _hint;

    /// <summary><para type="description">The backup file to write. A string or a FileInfo; relative to the current location.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary><para type="description">The backup password. Without it (or -Credential), it is asked for twice.</para></summary>
    [Parameter(ParameterSetName = PasswordSet)]
    public SecureString? Password { get; set; }

    /// <summary><para type="description">The backup password as a credential; the user name is ignored.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary><para type="description">A reminder of the password, stored readable in the backup (at most 512 characters).</para></summary>
    [Parameter]
    [AllowEmptyString]
    public string? PasswordHint { get; set; }

    /// <summary><para type="description">The Argon2id cost profile: Interactive, Moderate (default) or Sensitive.</para></summary>
    [Parameter]
    public KdfProfile KdfProfile { get; set; } = KdfParameters.DefaultProfile;

    /// <summary><para type="description">Explicit Argon2id parameters (for example from Measure-SsoKdf); no weaker than Interactive.</para></summary>
    [Parameter]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary><para type="description">Writes the armored text form instead of the binary form.</para></summary>
    [Parameter]
    public SwitchParameter Armor { get; set; }

    /// <summary><para type="description">Replaces an existing file (only once the new backup is proven good).</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Outputs the backup's information.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var kdf = ChooseKdf(KdfProfile, KdfParameters, MyInvocation.BoundParameters.ContainsKey(nameof(KdfProfile)));
            string path = ResolveLiteralPath(Path, terminating: false);
            var store = OpenStore();
            using var state = store.Read();
            var current = state.Current ?? throw NoSecretError(store.Path);
            CheckTarget(path, Force);

            if (!ShouldChange(path, $"Back up master secret {current.Id} (fingerprint {current.Fingerprint})", Force))
            {
                return;
            }

            if (_password is null)
            {
                _hint = PasswordHint;
                _password = ObtainNewPassword(Password, Credential, path, ref _hint);
            }

            // The lock is taken before the file is written, as New-SsoMasterSecret does: a busy store then fails the
            // call with nothing written, rather than after a backup was written that the call reports as failed.
            using var heldLock = store.Lock();
            var header = WriteBackup(path, current, _password, _hint ?? string.Empty, kdf, Armor, Force);

            // Record the backup. The secret may have been replaced before the lock was taken: the record names the
            // secret the backup holds.
            using (var latest = store.Read())
            {
                latest.LastBackup = new BackupRecord(header.Created, current.Id, path);
                store.Write(heldLock, latest);
            }

            WriteVerbose($"The backup '{path}' was written, read back and verified.");
            if (PassThru)
            {
                WriteObject(ToInfo(header, path, new FileInfo(path).Length));
            }
        },
        allErrorsTerminating: false);

    /// <inheritdoc/>
    public void Dispose()
    {
        _password?.Dispose();
        _password = null;
    }
}
