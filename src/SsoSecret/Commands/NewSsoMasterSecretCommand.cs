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
            string ring;
            using (var before = store.Read())
            {
                store.RefuseOnReplica(before, "generate a secret");
                replacing = before.Current?.Id;
                CheckBackupTarget(path, before, writing: null, becomesPrevious: true);
                store.RequireRoom(before, null, "nothing was changed and no backup was written");
                ring = RingText.Install(before, installing: null);
            }

            if (replacing is null)
            {
                if (!ShouldChange(store.Path, $"Generate a master secret and write its backup to '{path}'.{ring}", Force))
                {
                    return;
                }
            }
            else if (!ConfirmReplacement(
                store.Path,
                $"Replace master secret {replacing} with a new one and write its backup to '{path}'.{ring}",
                $"The store '{store.Path}' holds master secret {replacing}. Replace it with a new one, its backup written to '{path}'?{ring}",
                Force,
                ConfirmImpact.Medium,
                () => new StoreException(SsoSecretFailure.MasterSecretExists, store.Path, $"The store '{store.Path}' already holds master secret {replacing}; it was not replaced. Replacing it takes -Force (or an answer at a prompt).")))
            {
                return;
            }

            string hint = string.Empty;
            using var password = recipients is null ? ObtainNewPassword(path, out hint) : null;
            using var state = store.Generate(replacing, secret =>
            {
                WriteVerbose($"Generated master secret {secret.Id} (fingerprint {secret.Fingerprint}).");
                return recipients is null ? SealBackup(path, secret, password!, hint, kdf!) : SealRecipientBackup(path, secret, recipients);
            }, out var vault);
            WriteVerbose($"Installed master secret {state.Current!.Id} in '{store.Path}'; its backup '{path}' was written and verified. The key ring holds {state.Count} secret(s): {string.Join(", ", System.Linq.Enumerable.Select(state.Ring, s => s.Id))}.");
            RingText.ReportVault(this, vault, state.Current!.Id);
            if (PassThru)
            {
                WriteObject(Output.SecretInfo(state, store));
            }
        },
        terminating: true);
}
