using System;
using System.Globalization;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Shows the store's master secret: id, fingerprint, age and last backup. Never the secret itself.</summary>
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
            var info = Output.SecretInfo(state, store.Path);
            if (info.LastBackupTime is null)
            {
                WriteWarning($"The master secret {info.SecretId} has never been backed up. If it is lost, everything it protects is lost: run Backup-SsoMasterSecret now.");
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

            WriteObject(info);
        },
        terminating: true);
}
