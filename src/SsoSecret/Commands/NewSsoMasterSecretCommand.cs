using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Crypto;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// <para type="synopsis">Generates a new master secret and writes its backup in one step, as ssoconfig -generateSecret.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class NewSsoMasterSecretCommand : SsoSecretCommandBase
{
    /// <summary>The length of a generated master secret, in bytes.</summary>
    internal const int SecretLength = 32;

    private const string PasswordSet = "Password";
    private const string CredentialSet = "Credential";

    /// <summary><para type="description">The backup file written with the new secret. Relative to the current location.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string BackupPath { get; set; } = string.Empty;

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

    /// <summary><para type="description">The Argon2id cost profile of the backup: Interactive, Moderate (default) or Sensitive.</para></summary>
    [Parameter]
    public KdfProfile KdfProfile { get; set; } = KdfParameters.DefaultProfile;

    /// <summary><para type="description">Explicit Argon2id parameters; no weaker than Interactive.</para></summary>
    [Parameter]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary><para type="description">Writes the backup in the armored text form.</para></summary>
    [Parameter]
    public SwitchParameter Armor { get; set; }

    /// <summary>
    /// <para type="description">Replaces an existing secret without asking (it is kept as the previous secret) and an existing backup file.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var kdf = ChooseKdf(KdfProfile, KdfParameters, MyInvocation.BoundParameters.ContainsKey(nameof(KdfProfile)));
            string path = ResolveLiteralPath(BackupPath, terminating: true);
            var store = OpenStore();
            Guid? replacing;
            using (var before = store.Read())
            {
                replacing = before.Current?.Id;
            }

            CheckTarget(path, Force);
            string action = replacing is null
                ? $"Generate a master secret and write its backup to '{path}'"
                : $"Replace master secret {replacing} with a new one (the old one is kept as the previous secret) and write its backup to '{path}'";
            if (!ShouldChange(store.Path, action, Force))
            {
                return;
            }

            if (replacing is not null && !Force && !ConfirmReplace(
                $"The store already holds master secret {replacing}. Replace it? The old secret is kept as the previous secret.",
                "Replace the master secret"))
            {
                throw ExistsError(store.Path, replacing.Value);
            }

            string? hint = PasswordHint;
            using var password = ObtainNewPassword(Password, Credential, path, ref hint);

            // The lock is held from the check to the install: no other process can install a secret in between, so
            // a backup is never written for a secret that is then not installed.
            using var heldLock = store.Lock();
            using var state = store.Read();
            if (state.Current is not null && state.Current.Id != replacing)
            {
                // Another process installed a secret since this command looked (and asked): what was agreed to replace
                // is no longer there, so nothing is replaced, -Force or not.
                throw ChangedMeanwhileError(store.Path, replacing, state.Current.Id, "nothing was changed and no backup was written");
            }

            var now = DateTimeOffset.UtcNow;
            var secret = new StoredSecret(Guid.NewGuid(), new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, now.Millisecond, TimeSpan.Zero), Primitives.RandomBytes(SecretLength));
            WriteVerbose($"Generated master secret {secret.Id} (fingerprint {secret.Fingerprint}).");
            var header = WriteBackup(path, secret, password, hint ?? string.Empty, kdf, Armor, Force);

            state.Install(secret, new BackupRecord(header.Created, secret.Id, path), now);
            store.Write(heldLock, state);
            WriteVerbose($"Installed master secret {secret.Id} in '{store.Path}'; its backup '{path}' was written and verified.");
            WriteObject(ToInfo(state, store.Path));
        },
        allErrorsTerminating: true);

    private static SsoSecretErrorException ExistsError(string storePath, Guid existing) => SsoSecretErrorException.Create(
        ErrorIds.MasterSecretExists,
        $"The store '{storePath}' already holds master secret {existing}; it was not replaced.",
        ErrorCategory.ResourceExists,
        storePath,
        "Pass -Force to replace it (the old secret is kept as the previous secret), or confirm when asked.",
        terminating: true);
}
