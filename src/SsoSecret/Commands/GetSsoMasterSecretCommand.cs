using System;
using System.Globalization;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Shows the store's key ring: the current master secret (id, fingerprint, age, backups) and the earlier ones kept
/// after replacements. Never a secret itself.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SsoMasterSecret")]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class GetSsoMasterSecretCommand : StoreCommandBase
{
    /// <summary>How old the last backup may be before the command warns, as ENTSSO nags about an unsaved secret.</summary>
    internal static readonly TimeSpan BackupWarningAge = TimeSpan.FromDays(30);

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            using var state = store.Read();
            store.RequireCurrent(state);
            var info = Output.SecretInfo(state, store);
            if (info.LastBackupTime is null)
            {
                WriteWarning($"No backup of the current master secret {info.SecretId} is recorded in this store. If it is lost, everything it protects is lost: back it up now (Backup-SsoMasterSecret).");
            }
            else if (DateTime.UtcNow - info.LastBackupTime.Value > BackupWarningAge)
            {
                WriteWarning(string.Format(
                    CultureInfo.InvariantCulture,
                    "The master secret {0} was last backed up {1:0} days ago ({2:u}). Back it up again with Backup-SsoMasterSecret.",
                    info.SecretId,
                    (DateTime.UtcNow - info.LastBackupTime.Value).TotalDays,
                    info.LastBackupTime.Value));
            }

            foreach (var earlier in info.PreviousSecrets)
            {
                if (earlier.LastBackupTime is null)
                {
                    WriteWarning($"No backup of the earlier master secret {earlier.SecretId} (replaced {earlier.Replaced:u}) is recorded in this store. Values still protected under it are lost with this store: back it up (Backup-SsoMasterSecret -SecretId {earlier.SecretId} -Path <file>), or rewrap them and retire it.");
                }
            }

            WriteObject(info);
        },
        terminating: true);
}
