using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Changes a backup's password without restoring it (as ssh-keygen -p and cryptsetup luksChangeKey do): opens it with
/// the current password and writes it anew under the new one, the store untouched. The file is replaced only once the
/// new one is proven good, or the new one is written beside it (-Destination).
/// </summary>
[Cmdlet(VerbsCommon.Set, "SsoSecretBackupPassword", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SsoSecretBackupInfo))]
public sealed class SetSsoSecretBackupPasswordCommand : SsoSecretCommandBase
{
    private const string NewPasswordParameter = "-NewPassword <SecureString>";

    /// <summary>The backup file. A string or a FileInfo; relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The backup's current password. Without it, the hint is shown and the password asked for.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary>The new password. Without it, it is asked for twice, followed by the new hint.</summary>
    [Parameter]
    public SecureString? NewPassword { get; set; }

    /// <summary>The new password's reminder, stored readable in the backup (at most 512 characters).</summary>
    [Parameter]
    [AllowEmptyString]
    public string? PasswordHint { get; set; }

    /// <summary>The Argon2id cost profile for the new password (default: the backup's present parameters).</summary>
    [Parameter]
    public KdfProfile KdfProfile { get; set; } = KdfParameters.DefaultProfile;

    /// <summary>Explicit Argon2id parameters for the new password; no weaker than Interactive.</summary>
    [Parameter]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary>Writes the backup under the new password to this file, and leaves the original as it is.</summary>
    [Parameter]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>Makes the change without asking; with -Destination, also replaces an existing file there.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the information of the backup written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The most KDF memory the backup may ask for, in MiB (default: 1024, the Sensitive profile).</summary>
    [Parameter]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            string path = PathHelper.ResolveLiteral(this, Path);
            var data = IO.BackupFile.Read(path);
            var header = IO.BackupFile.ReadHeader(data, path);
            if (header.Kind != SsoSecretBackupKind.Password)
            {
                throw new BackupException(
                    SsoSecretFailure.BackupKindMismatch,
                    $"The backup '{path}' is sealed to recovery keys ({string.Join(", ", header.Recipients)}); it has no password to change.",
                    path)
                {
                    RecommendedAction = "To protect the secret with a password, write a password backup with Backup-SsoMasterSecret.",
                };
            }

            string target = Destination is null ? path : PathHelper.ResolveLiteral(this, Destination);
            bool inPlace = string.Equals(System.IO.Path.GetFullPath(target), System.IO.Path.GetFullPath(path), StringComparison.Ordinal);
            if (!inPlace)
            {
                PathHelper.CheckWriteTarget(target, Force);
            }

            var kdf = NewKdf(header.Kdf!);
            string action = inPlace
                ? $"Change the password of the backup of master secret {header.SecretId} (the file is replaced once the new one is verified; other copies keep the old password)"
                : $"Write the backup of master secret {header.SecretId} from '{path}' under a new password";
            if (!ShouldChange(target, action, Force))
            {
                return;
            }

            // A new password given is checked before the KDF runs; one to be typed is asked for after the current one
            // is proven, as ssh-keygen -p does (nobody types a new password twice for a file the old one cannot open).
            string? hint = PasswordHint;
            using var given = NewPassword is null ? null : Passwords.New(this, NewPassword, target, ref hint, NewPasswordParameter);
            if (given is null && !Prompt.CanPrompt(this))
            {
                throw new SsoSecretException(SsoSecretFailure.PasswordRequired, "A new password is needed, and this session cannot ask for one (it is not interactive).", target)
                {
                    RecommendedAction = $"Pass {NewPasswordParameter}.",
                };
            }

            var limits = KdfLimitParameter.Limits(MaximumKdfMemoryMiB);
            byte[] secret = Passwords.Open(
                this,
                Password,
                path,
                header.Hint,
                current => KdfRunner.Run(this, "Opening the backup " + path, header.Kdf!, () => IO.BackupFile.Open(data, current.Bytes, limits, path)),
                "-Password <SecureString>");

            try
            {
                using var typed = given is null ? Passwords.New(this, null, target, ref hint, NewPasswordParameter) : null;
                var password = given ?? typed!;
                var written = KdfRunner.Run(
                    this,
                    "Writing the backup " + target,
                    kdf,
                    () => IO.BackupFile.Write(target, secret, header.SecretId, hint ?? string.Empty, password.Bytes, kdf, header.Armored, overwrite: inPlace || Force));
                WriteVerbose(inPlace
                    ? $"The backup '{path}' now opens with the new password only; other copies of it still open with the old one."
                    : $"The backup '{target}' was written under the new password; '{path}' still opens with the old one.");
                if (PassThru)
                {
                    WriteObject(Output.BackupInfo(written, target, new FileInfo(target).Length));
                }
            }
            finally
            {
                Memory.Zero(secret);
            }
        },
        terminating: true);

    /// <summary>The new password's KDF parameters: those given, else the backup's own (or the default, if they are below today's floor).</summary>
    private KdfParameters NewKdf(KdfParameters present)
    {
        if (KdfParameters is not null || MyInvocation.BoundParameters.ContainsKey(nameof(KdfProfile)))
        {
            return KdfChoice.Choose(this, KdfProfile, KdfParameters);
        }

        if (present.MeetsFloor)
        {
            return present;
        }

        var chosen = KdfParameters.FromProfile(KdfParameters.DefaultProfile);
        WriteVerbose($"The backup's KDF parameters ({present}) are below the floor for a new backup; the new password uses {chosen}.");
        return chosen;
    }
}
