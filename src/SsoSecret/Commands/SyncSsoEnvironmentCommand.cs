using System;
using System.Collections.Generic;
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
        Run(() => identity = ReadMaster(MasterSession!, StorePath), terminating: true);
        foreach (var session in Session)
        {
            Run(() => SyncOne(identity!, session), terminating: false);
        }
    }

    /// <summary>The master's identity as its session reports it, checked to be a master and consistent with its fingerprint.</summary>
    internal static MasterIdentity ReadMaster(PSSession session, string? storePath)
    {
        string name = EnvironmentRemote.Name(session);
        var master = EnvironmentRemote.InvokeOne(session, "Get-SsoEnvironment", new Dictionary<string, object?> { ["StorePath"] = storePath });
        if (EnvironmentRemote.Property<string>(master, "Role") != "Master")
        {
            throw new SsoSecretException(SsoSecretFailure.EnvironmentRoleConflict, $"{name}: the store is not the master of an environment; make it one with Initialize-SsoEnvironment there.", name);
        }

        var identity = MasterIdentity.Parse(EnvironmentRemote.Property<Guid>(master, "EnvironmentId"), EnvironmentRemote.Property<string>(master, "MasterPublicKey")!);
        if (EnvironmentRemote.Property<string>(master, "MasterFingerprint") != identity.Fingerprint)
        {
            throw new SsoSecretException(SsoSecretFailure.FingerprintMismatch, $"{name}: the master reports a fingerprint that is not its key's.", name);
        }

        return identity;
    }

    private void SyncOne(MasterIdentity identity, PSSession session)
    {
        string name = EnvironmentRemote.Name(session);
        var replica = EnvironmentRemote.InvokeOne(session, "Get-SsoEnvironment", new Dictionary<string, object?> { ["StorePath"] = StorePath });
        if (EnvironmentRemote.Property<string>(replica, "Role") != "Replica" || EnvironmentRemote.Property<string>(replica, "MasterFingerprint") != identity.Fingerprint)
        {
            throw new SsoSecretException(
                SsoSecretFailure.EnvironmentRoleConflict,
                $"{name}: the store is not a replica of master {identity.Fingerprint} (role {EnvironmentRemote.Property<string>(replica, "Role")}, pinned {EnvironmentRemote.Property<string>(replica, "MasterFingerprint") ?? "nothing"}); join it with Join-SsoEnvironment first. Nothing was sent.",
                name);
        }

        var hostKey = ReplicaPublicKey.Parse(EnvironmentRemote.Property<string>(replica, "HostPublicKey")!);
        var exported = EnvironmentRemote.InvokeOne(MasterSession!, "Export-SsoSealedRing", new Dictionary<string, object?> { ["ReplicaPublicKey"] = hostKey.Text, ["StorePath"] = StorePath });
        var data = EnvironmentRemote.Property<byte[]>(exported, "Data")!;

        // Steps 1 to 9 of the replica's checks, here, with public keys only: what is relayed is whole, for this
        // replica, and signed by the master this machine asked.
        SealedRingHeader header;
        try
        {
            header = SealedRing.Verify(data, identity, hostKey);
        }
        catch (SsoSecretException e)
        {
            throw new SsoSecretException(e.Failure, $"{name}: the ring the master sealed for it does not verify here: {e.Message} Nothing was sent.", name, e);
        }

        if (!ShouldProcess(name, $"Install ring generation {header.Generation} (digest {header.DigestHex})"))
        {
            return;
        }

        foreach (var result in EnvironmentRemote.Invoke(session, "Import-SsoSealedRing", new Dictionary<string, object?> { ["SealedRing"] = data, ["StorePath"] = StorePath }))
        {
            WriteObject(result);
        }
    }
}
