using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Brings the master's ring to its replicas, through their sessions: for each replica, its host public line is read,
/// the master seals its ring to it, this machine checks the sealed bytes (whole, for that replica, signed by the
/// master: SealedRing.Verify) and hands them to the replica, which opens and installs them. This machine holds public
/// lines and sealed bytes only. A replica that fails is reported with its id and name; the others go on.
/// </summary>
[Cmdlet(VerbsData.Sync, "SsoEnvironment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SsoRingSyncResult))]
public sealed class SyncSsoEnvironmentCommand : StoreCommandBase
{
    /// <summary>The session to the master secret server.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public PSSession? MasterSession { get; set; }

    /// <summary>The sessions to the replicas.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public PSSession[] Session { get; set; } = Array.Empty<PSSession>();

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        MasterIdentity? identity = null;
        Run(() => identity = EnvironmentSync.ReadMaster(MasterSession!, StorePath, out _), terminating: true);
        foreach (var session in Session)
        {
            Run(
                () =>
                {
                    var (data, header) = EnvironmentSync.Seal(MasterSession!, identity!, session, StorePath);
                    if (ShouldProcess(EnvironmentRemote.Name(session), $"Install ring generation {header.Generation} (digest {header.DigestHex})"))
                    {
                        WriteObject(EnvironmentSync.Install(session, data, StorePath), enumerateCollection: true);
                    }
                },
                terminating: false);
        }
    }
}
