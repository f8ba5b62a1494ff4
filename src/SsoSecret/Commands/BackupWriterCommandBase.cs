using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What the commands that write a backup share (New- and Backup-SsoMasterSecret): the password, hint, KDF and form
/// parameters, declared once, and the steps that use them. A derived command declares only its own parameters;
/// PowerShell lists a derived class's parameters before its base's, so the file path comes first and the shared
/// ones follow in this order.
/// </summary>
public abstract class BackupWriterCommandBase : StoreCommandBase
{
    private protected const string PasswordSet = "Password";
    private protected const string CredentialSet = "Credential";

    /// <summary>The backup password. Without it (or -Credential), it is asked for twice.</summary>
    [Parameter(ParameterSetName = PasswordSet)]
    public SecureString? Password { get; set; }

    /// <summary>The backup password as a credential; the user name is ignored.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A reminder of the password, stored readable in the backup (at most 512 characters).</summary>
    [Parameter]
    [AllowEmptyString]
    public string? PasswordHint { get; set; }

    /// <summary>The Argon2id cost profile: Interactive, Moderate (default) or Sensitive.</summary>
    [Parameter]
    public KdfProfile KdfProfile { get; set; } = KdfParameters.DefaultProfile;

    /// <summary>Explicit Argon2id parameters (for example from Measure-SsoKdf); no weaker than Interactive.</summary>
    [Parameter]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary>Writes the armored text form instead of the binary form.</summary>
    [Parameter]
    public SwitchParameter Armor { get; set; }

    /// <summary>Replaces what exists without asking; each command's help says what (and keeps it until the new one is proven).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs what was written (each command's help says which object).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Recovery public keys (ssosecret-recipient1..., from New-SsoRecoveryKey) to seal the backup to instead of a
    /// password: any one of their private keys opens it. Excludes -Password, -Credential and -PasswordHint.
    /// </summary>
    [Parameter]
    public string[]? Recipient { get; set; }

    private bool _recipientsRead;
    private List<RecoveryPublicKey>? _recipients;

    /// <summary>
    /// The recovery keys of -Recipient, read once per call; null without -Recipient. A password parameter beside it is
    /// refused: a backup is sealed to a password or to recovery keys, never both (docs/envelope-format-v2.md says why).
    /// </summary>
    private protected List<RecoveryPublicKey>? Recipients()
    {
        if (!_recipientsRead)
        {
            _recipientsRead = true;
            if (Recipient is not null)
            {
                foreach (string name in new[] { nameof(Password), nameof(Credential), nameof(PasswordHint) })
                {
                    if (MyInvocation.BoundParameters.ContainsKey(name))
                    {
                        throw new SsoSecretException(
                            SsoSecretFailure.RecipientsWithPassword,
                            $"-Recipient and -{name} were both given. A backup is sealed either to a password or to recovery keys, never to both: "
                            + "a password backup proves who wrote it, and anyone with a public key could rewrite a backup that mixed the two.");
                    }
                }

                // The KDF parameters harden a password; a backup sealed to recovery keys derives no key from one. They are
                // let pass (a $PSDefaultParameterValues entry for them must not break -Recipient), and said to be unused.
                foreach (string name in new[] { nameof(KdfProfile), nameof(KdfParameters) })
                {
                    if (MyInvocation.BoundParameters.ContainsKey(name))
                    {
                        WriteVerbose($"-{name} does not apply to a backup sealed to recovery keys (no key is derived from a password); it is not used.");
                    }
                }

                _recipients = RecoveryKeys.Parse(this, Recipient);
            }
        }

        return _recipients;
    }

    /// <summary>
    /// Seals a backup of a stored secret to recovery keys into a verified temporary file beside <paramref name="path"/>
    /// (no KDF: milliseconds). As with a password backup, the store's transaction commits it, under the store's lock.
    /// </summary>
    private protected IO.PreparedBackup SealRecipientBackup(string path, StoredSecret secret, IReadOnlyList<RecoveryPublicKey> recipients)
    {
        WriteVerbose($"Sealing the backup to {recipients.Count} recovery key(s): {string.Join(", ", System.Linq.Enumerable.Select(recipients, r => r.Fingerprint))}.");
        return IO.PreparedBackup.PrepareForRecipients(path, secret.Secret, secret.Id, recipients, Armor, Force);
    }

    /// <summary>
    /// Checks a backup's target before anything is asked or derived: a file there needs -Force
    /// (<see cref="PathHelper.CheckWriteTarget(string, bool)"/>); the store must be able to record the path
    /// (<see cref="SsoSecretFailure.PathTooLong"/>); and with -Force over an existing file, a backup of a secret of the
    /// key ring other than <paramref name="writing"/> (the secret the new backup holds; null for a new secret, which
    /// differs from every one) is never replaced: the file may be that secret's only backup
    /// (<see cref="SsoSecretFailure.BackupStillNeeded"/>). A file that is no backup, a backup of a secret the ring no
    /// longer holds, or a backup of the secret being written is replaced as -Force says. <paramref name="becomesPrevious"/>:
    /// the store's current secret is about to become an earlier one.
    /// </summary>
    private protected void CheckBackupTarget(string path, StoreState state, Guid? writing, bool becomesPrevious)
    {
        PathHelper.CheckWriteTarget(path, Force);
        int pathBytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (pathBytes > StoreState.MaxPathBytes)
        {
            throw new BackupException(
                SsoSecretFailure.PathTooLong,
                $"The backup path is {pathBytes} bytes long in UTF-8; the store records backup paths of at most {StoreState.MaxPathBytes} bytes, and a backup it cannot record is one nobody can find. Nothing was changed.",
                path);
        }

        if (!Force || !File.Exists(path))
        {
            return;
        }

        BackupHeader header;
        try
        {
            header = IO.BackupFile.ReadHeader(IO.BackupFile.Read(path), path);
        }
        catch (BackupException)
        {
            return; // not a backup this module can read: -Force replaces it, as for any file
        }

        if (header.SecretId == writing || state.Find(header.SecretId) is not StoredSecret held)
        {
            return;
        }

        string role = ReferenceEquals(held, state.Current) && becomesPrevious
            ? "current secret (this command makes it an earlier one)"
            : RingText.Role(state, held);
        throw new BackupException(
            SsoSecretFailure.BackupStillNeeded,
            $"The file '{path}' is a backup of master secret {header.SecretId} (fingerprint {header.Fingerprint}), which the store's key ring still holds as its {role}. SsoSecret never overwrites a backup of a secret the key ring holds, not even with -Force: it may be that secret's only backup, and values protected under it need it. Nothing was changed.",
            path)
        {
            RecommendedAction = $"Write the new backup to another path (a dated name such as master-secret-{DateTime.UtcNow:yyyy-MM}.bak). Reuse '{System.IO.Path.GetFileName(path)}' only after master secret {header.SecretId} is retired (Remove-SsoPreviousSecret -SecretId {header.SecretId}), once no value needs it.",
        };
    }

    /// <summary>The KDF parameters for the new backup: explicit ones (no weaker than the floor) or a profile's.</summary>
    private protected KdfParameters ChooseKdf() => KdfChoice.Choose(this, KdfProfile, KdfParameters);

    /// <summary>The new backup's password (given, or asked for twice) and its hint, checked.</summary>
    private protected PasswordBytes ObtainNewPassword(string target, out string hint)
    {
        string? chosen = PasswordHint;
        var password = Passwords.New(this, Password ?? Credential?.Password, target, ref chosen, PasswordParameters);
        hint = chosen ?? string.Empty;
        return password;
    }

    /// <summary>
    /// Seals a backup of a stored secret into a verified temporary file beside <paramref name="path"/>, showing progress
    /// while the KDF runs. Nothing is at the path yet: the store's transaction commits it, under the store's lock.
    /// </summary>
    private protected IO.PreparedBackup SealBackup(string path, StoredSecret secret, PasswordBytes password, string hint, KdfParameters kdf) => KdfRunner.Run(
        this,
        "Writing the backup " + path,
        kdf,
        () => IO.PreparedBackup.Prepare(path, secret.Secret, secret.Id, hint, password.Bytes, kdf, Armor, Force, allowBelowFloor: TestSupport.WaiveKdfFloor));
}
