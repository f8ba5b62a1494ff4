using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace SsoSecret.Internal;

/// <summary>
/// The steps the administrator's commands take through the hosts' sessions (Sync-SsoEnvironment,
/// Enable-SsoStagedSecret): describe a host, read the master's identity, seal the ring for a replica and check it here
/// with public keys only, install it on the replica. Nothing here ever holds a secret.
/// </summary>
internal static class EnvironmentSync
{
    /// <summary>A host's Get-SsoEnvironment, through its session.</summary>
    internal static PSObject Describe(PSSession session, string? storePath) =>
        EnvironmentRemote.InvokeOne(session, "Get-SsoEnvironment", new Dictionary<string, object?> { ["StorePath"] = storePath });

    /// <summary>The master's identity as its session reports it, checked to be a master and consistent with its fingerprint.</summary>
    internal static MasterIdentity ReadMaster(PSSession session, string? storePath, out PSObject described)
    {
        string name = EnvironmentRemote.Name(session);
        described = Describe(session, storePath);
        if (EnvironmentRemote.Property<string>(described, "Role") != "Master")
        {
            throw new SsoSecretException(SsoSecretFailure.EnvironmentRoleConflict, $"{name}: the store is not the master of an environment; make it one with Initialize-SsoEnvironment there.", name);
        }

        var identity = MasterIdentity.Parse(EnvironmentRemote.Property<Guid>(described, "EnvironmentId"), EnvironmentRemote.Property<string>(described, "MasterPublicKey")!);
        if (EnvironmentRemote.Property<string>(described, "MasterFingerprint") != identity.Fingerprint)
        {
            throw new SsoSecretException(SsoSecretFailure.FingerprintMismatch, $"{name}: the master reports a fingerprint that is not its key's.", name);
        }

        return identity;
    }

    /// <summary>Why <paramref name="replica"/> (a host's description) is not a replica of <paramref name="identity"/>, or null.</summary>
    internal static string? NotAReplicaOf(PSObject replica, MasterIdentity identity) =>
        EnvironmentRemote.Property<string>(replica, "Role") != "Replica" || EnvironmentRemote.Property<string>(replica, "MasterFingerprint") != identity.Fingerprint
            ? $"the store is not a replica of master {identity.Fingerprint} (role {EnvironmentRemote.Property<string>(replica, "Role")}, pinned {EnvironmentRemote.Property<string>(replica, "MasterFingerprint") ?? "nothing"}); join it with Join-SsoEnvironment first"
            : null;

    /// <summary>
    /// The master's ring sealed for the replica of <paramref name="session"/>, checked here: whole, sealed to that
    /// replica's host key, signed by <paramref name="identity"/> (steps 1 to 9 of docs/environment-format.md).
    /// </summary>
    internal static (byte[] Data, SealedRingHeader Header) Seal(PSSession master, MasterIdentity identity, PSSession session, string? storePath)
    {
        string name = EnvironmentRemote.Name(session);
        var replica = Describe(session, storePath);
        if (NotAReplicaOf(replica, identity) is string why)
        {
            throw new SsoSecretException(SsoSecretFailure.EnvironmentRoleConflict, $"{name}: {why}. Nothing was sent.", name);
        }

        var hostKey = ReplicaPublicKey.Parse(EnvironmentRemote.Property<string>(replica, "HostPublicKey")!);
        var exported = EnvironmentRemote.InvokeOne(master, "Export-SsoSealedRing", new Dictionary<string, object?> { ["ReplicaPublicKey"] = hostKey.Text, ["StorePath"] = storePath });
        var data = EnvironmentRemote.Property<byte[]>(exported, "Data")!;
        try
        {
            return (data, SealedRing.Verify(data, identity, hostKey));
        }
        catch (SsoSecretException e)
        {
            throw new SsoSecretException(e.Failure, $"{name}: the ring the master sealed for it does not verify here: {e.Message} Nothing was sent.", name, e);
        }
    }

    /// <summary>The replica installs the sealed ring; its result comes back.</summary>
    internal static Collection<PSObject> Install(PSSession session, byte[] data, string? storePath) =>
        EnvironmentRemote.Invoke(session, "Import-SsoSealedRing", new Dictionary<string, object?> { ["SealedRing"] = data, ["StorePath"] = storePath });
}
