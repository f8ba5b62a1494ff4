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

    /// <summary>
    /// On an environment's master: the new secret is staged, not made current. It travels to the replicas with the
    /// ring (Sync-SsoEnvironment) and opens values everywhere, but protects none until Enable-SsoStagedSecret
    /// activates it once every replica holds it.
    /// </summary>
    [Parameter]
    public SwitchParameter Stage { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var recipients = Recipients();
            var kdf = recipients is null ? ChooseKdf() : null;
            string path = PathHelper.ResolveLiteral(this, BackupPath);
            var store = OpenStore();
            if (Stage)
            {
                StageSecret(store, path, recipients, kdf);
                return;
            }

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

    // The first phase of a staged rotation: the master's new secret, with its verified backup, added as staged.
    private void StageSecret(MasterSecretStore store, string path, System.Collections.Generic.List<RecoveryPublicKey>? recipients, KdfParameters? kdf)
    {
        using (var before = store.Read())
        {
            store.RefuseOnReplica(before, "stage a secret");
            if (before.Environment is not { Role: StoreRole.Master })
            {
                throw new StoreException(SsoSecretFailure.EnvironmentRoleConflict, store.Path, $"The store '{store.Path}' is not the master of an environment: -Stage makes a secret for an environment's replicas. Without an environment, New-SsoMasterSecret makes the secret current at once.");
            }

            if (before.Staged is { } staged)
            {
                throw new StoreException(SsoSecretFailure.SecretAlreadyStaged, store.Path, $"The master '{store.Path}' holds staged secret {staged.Id} already. Nothing was changed and no backup was written.");
            }

            CheckBackupTarget(path, before, writing: null, becomesPrevious: false);
            store.RequireRoom(before, null, "nothing was changed and no backup was written");
        }

        if (!ShouldChange(store.Path, $"Stage a new master secret (it opens values and protects none until it is activated) and write its backup to '{path}'.", Force))
        {
            return;
        }

        string hint = string.Empty;
        using var password = recipients is null ? ObtainNewPassword(path, out hint) : null;
        using var state = store.Stage(secret =>
        {
            WriteVerbose($"Generated master secret {secret.Id} (fingerprint {secret.Fingerprint}), to be staged.");
            return recipients is null ? SealBackup(path, secret, password!, hint, kdf!) : SealRecipientBackup(path, secret, recipients);
        });
        WriteVerbose($"Staged master secret {state.Staged!.Id} in '{store.Path}' (generation {state.Environment!.Generation}); its backup '{path}' was written and verified. Sync-SsoEnvironment brings it to the replicas; Enable-SsoStagedSecret activates it.");
        if (PassThru)
        {
            WriteObject(Output.SecretInfo(state, store));
        }
    }
}
