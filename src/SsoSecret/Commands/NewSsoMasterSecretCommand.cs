using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Generates a new master secret and writes its backup in one step, as ssoconfig -generateSecret.</summary>
[Cmdlet(VerbsCommon.New, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PasswordSet)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class NewSsoMasterSecretCommand : BackupWriterCommandBase
{
    /// <summary>The backup file written with the new secret. Relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string BackupPath { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var recipients = Recipients();
            var kdf = recipients is null ? ChooseKdf() : null;
            string path = PathHelper.ResolveLiteral(this, BackupPath);
            var store = OpenStore();
            System.Guid? replacing;
            using (var before = store.Read())
            {
                replacing = before.Current?.Id;
                PathHelper.CheckWriteTarget(path, Force);
                RequireNotStillNeeded(path, before, writing: null, becomesPrevious: true);
            }

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
                throw new StoreException(SsoSecretFailure.MasterSecretExists, store.Path, $"The store '{store.Path}' already holds master secret {replacing}; it was not replaced.");
            }

            string hint = string.Empty;
            using var password = recipients is null ? ObtainNewPassword(path, out hint) : null;
            using var state = store.Generate(replacing, secret =>
            {
                WriteVerbose($"Generated master secret {secret.Id} (fingerprint {secret.Fingerprint}).");
                return recipients is null ? SealBackup(path, secret, password!, hint, kdf!) : SealRecipientBackup(path, secret, recipients);
            });
            WriteVerbose($"Installed master secret {state.Current!.Id} in '{store.Path}'; its backup '{path}' was written and verified.");
            if (PassThru)
            {
                WriteObject(Output.SecretInfo(state, store.Path));
            }
        },
        terminating: true);
}
