using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Makes a recovery key: an X25519 key pair whose private key is written to a password-protected file, and whose public
/// key (one line of text) seals backups that only the private key opens.
/// </summary>
[Cmdlet(VerbsCommon.New, "SsoRecoveryKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoRecoveryKeyInfo))]
public sealed class NewSsoRecoveryKeyCommand : SsoSecretCommandBase
{
    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    /// <summary>The key file to write (the private key, password-protected). Relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The key file's password. Without it (or -Credential), it is asked for twice.</summary>
    [Parameter(ParameterSetName = PasswordSet)]
    public SecureString? Password { get; set; }

    /// <summary>The key file's password as a credential; the user name is ignored.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A reminder of the password, stored readable in the key file (at most 512 characters).</summary>
    [Parameter]
    [AllowEmptyString]
    public string? PasswordHint { get; set; }

    /// <summary>The Argon2id cost profile of the key file's password: Interactive, Moderate (default) or Sensitive.</summary>
    [Parameter]
    public KdfProfile KdfProfile { get; set; } = KdfParameters.DefaultProfile;

    /// <summary>Explicit Argon2id parameters (for example from Measure-SsoKdf); no weaker than Interactive.</summary>
    [Parameter]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary>Writes the armored text form instead of the binary form.</summary>
    [Parameter]
    public SwitchParameter Armor { get; set; }

    /// <summary>Replaces an existing file (once the new one is proven good) without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var kdf = KdfChoice.Choose(this, KdfProfile, KdfParameters);
            string path = PathHelper.ResolveLiteral(this, Path);
            CheckTarget(path);
            if (!ShouldChange(path, "Write a new recovery key (a password-protected private key)", Force))
            {
                return;
            }

            string? hint = PasswordHint;
            if (hint is not null)
            {
                Passwords.CheckHint(hint);
            }

            using var password = Passwords.New(this, Password ?? Credential?.Password, path, ref hint, PasswordParameters, "the recovery key");
            var (privateKey, _) = Crypto.Primitives.X25519NewKeyPair();
            try
            {
                var header = KdfRunner.Run(this, "Writing the recovery key " + path, kdf, () => IO.RecoveryFiles.WriteKeyFile(path, privateKey, hint ?? string.Empty, password.Bytes, kdf, Armor, Force));
                WriteVerbose($"The recovery key '{path}' was written, read back and verified; its public key's fingerprint is {header.PublicKey.Fingerprint}.");
                WriteObject(Output.RecoveryKeyInfo(header, path));
            }
            finally
            {
                Memory.Zero(privateKey);
            }
        },
        terminating: true);

    private void CheckTarget(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            throw new RecoveryKeyException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder; give the path of the key file to write.", path)
            {
                RecommendedAction = "Add a file name to the path.",
            };
        }

        string? folder = System.IO.Path.GetDirectoryName(path);
        if (folder is null || !System.IO.Directory.Exists(folder))
        {
            throw new RecoveryKeyException(SsoSecretFailure.FolderNotFound, $"The folder of '{path}' does not exist.", path);
        }

        if (!Force && System.IO.File.Exists(path))
        {
            throw new RecoveryKeyException(SsoSecretFailure.FileExists, $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.", path);
        }
    }
}
