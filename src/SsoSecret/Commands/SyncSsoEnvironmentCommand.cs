using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Brings the master's ring to its replicas, through their sessions, all at once: every replica's host public line is
/// read, the master seals its ring to each (one call on the master for all of them), this machine checks the sealed
/// bytes (whole, for that replica, signed by the master: SealedRing.Verify) and hands them to the replicas, which open
/// and install them. This machine holds public lines and sealed bytes only. A replica that fails is reported with its
/// id and name; the others go on.
/// </summary>
[Cmdlet(VerbsData.Sync, "SsoEnvironment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SsoRingSyncResult))]
public sealed class SyncSsoEnvironmentCommand : ReplicaSessionsCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        MasterIdentity? identity = null;
        Run(() => identity = EnvironmentSync.ReadMaster(Remote, MasterSession!, StorePath, out _), terminating: true);
        BringRing(
            MasterSession!,
            identity!,
            Session,
            delivery => ShouldProcess(delivery.Name, $"Install ring generation {delivery.Header!.Generation} (digest {delivery.Header.DigestHex})"));
    }
}
