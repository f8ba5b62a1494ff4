using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading.Tasks;

namespace SsoSecret.Internal;

/// <summary>
/// The steps the administrator's commands take through the hosts' sessions (Sync-SsoEnvironment,
/// Enable-SsoStagedSecret, Remove-SsoPreviousSecret): describe the hosts, read the master's identity, have the master
/// seal its ring for every replica in one call and check each sealed ring here with public keys only, install them on
/// the replicas. The replicas are worked on at once (<see cref="SessionFanOut"/>). Nothing here ever holds a secret.
/// </summary>
internal static class EnvironmentSync
{
    /// <summary>A host's Get-SsoEnvironment, through its session.</summary>
    internal static Task<PSObject> DescribeAsync(SessionFanOut remote, PSSession session, string? storePath) =>
        remote.InvokeOneAsync(session, "Get-SsoEnvironment", new Dictionary<string, object?> { ["StorePath"] = storePath });

    /// <summary>Every host's Get-SsoEnvironment, all at once; in the sessions' order.</summary>
    internal static Outcome<PSObject>[] DescribeAll(SessionFanOut remote, IReadOnlyList<PSSession> sessions, string? storePath) =>
        remote.ForEach(sessions, session => DescribeAsync(remote, session, storePath));

    /// <summary>The master's identity as its session reports it, checked to be a master and consistent with its fingerprint.</summary>
    internal static MasterIdentity ReadMaster(SessionFanOut remote, PSSession session, string? storePath, out PSObject described)
    {
        string name = EnvironmentRemote.Name(session);
        described = remote.Wait(DescribeAsync(remote, session, storePath));
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
    /// Why each replica is not ready for a step that needs the master's ring on every replica (Enable-SsoStagedSecret,
    /// Remove-SsoPreviousSecret), as "host: why", described all at once, in the sessions' order; those ready are in
    /// <paramref name="ready"/>. <paramref name="behind"/> says what a replica of another generation lacks.
    /// </summary>
    internal static List<string> NotReady(SessionFanOut remote, IReadOnlyList<PSSession> sessions, MasterIdentity identity, PSObject master, string? storePath, string behind, out List<PSSession> ready) =>
        NotReady(remote, sessions, identity, master, storePath, behind, out ready, out _);

    /// <summary>
    /// As the overload above; <paramref name="confirmations"/> gets each ready replica's RingConfirmation by its host
    /// fingerprint, for the master to check (docs/environment-format.md, "Confirmations"): a table this machine relays
    /// and cannot forge.
    /// </summary>
    internal static List<string> NotReady(SessionFanOut remote, IReadOnlyList<PSSession> sessions, MasterIdentity identity, PSObject master, string? storePath, string behind, out List<PSSession> ready, out System.Collections.Hashtable confirmations)
    {
        confirmations = new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase);
        long generation = EnvironmentRemote.Property<long>(master, "Generation");
        string? digest = EnvironmentRemote.Property<string>(master, "RingDigest");
        var described = DescribeAll(remote, sessions, storePath);
        var notReady = new List<string>();
        ready = new List<PSSession>();
        for (int i = 0; i < sessions.Count; i++)
        {
            string name = EnvironmentRemote.Name(sessions[i]);
            if (described[i].Failure is SsoSecretException failure)
            {
                notReady.Add($"{name}: {failure.Message}");
                continue;
            }

            var replica = described[i].Take();
            string? why = NotAReplicaOf(replica, identity);
            if (why is null && (EnvironmentRemote.Property<long>(replica, "Generation") != generation || EnvironmentRemote.Property<string>(replica, "RingDigest") != digest))
            {
                why = $"it holds generation {EnvironmentRemote.Property<long>(replica, "Generation")}, not the master's {generation}{behind}; sync it first";
            }

            if (why is null)
            {
                ready.Add(sessions[i]);
                if (EnvironmentRemote.Property<string>(replica, "HostFingerprint") is string fingerprint && EnvironmentRemote.Property<string>(replica, "RingConfirmation") is string confirmation)
                {
                    confirmations[fingerprint] = confirmation;
                }
            }
            else
            {
                notReady.Add($"{name}: {why}");
            }
        }

        return notReady;
    }

    /// <summary>
    /// The master's ring sealed for every replica of <paramref name="sessions"/>, checked here: each replica described
    /// (all at once), the master asked once for all the sealed rings (Export-SsoSealedRing with every replica's host
    /// public key line piped to it; each ring matched to its replica by the replica fingerprint it names), and each
    /// checked: whole, sealed to that replica's host key, signed by <paramref name="identity"/> (steps 1 to 9 of
    /// docs/environment-format.md). One delivery per session, in their order, with its sealed ring or its failure.
    /// </summary>
    internal static Delivery[] Seal(SessionFanOut remote, PSSession master, MasterIdentity identity, IReadOnlyList<PSSession> sessions, string? storePath, out TimeSpan describing)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var deliveries = sessions.Select(session => new Delivery(session)).ToArray();
        var described = DescribeAll(remote, sessions, storePath);
        describing = watch.Elapsed;
        var keys = new ReplicaPublicKey?[sessions.Count];
        for (int i = 0; i < deliveries.Length; i++)
        {
            var delivery = deliveries[i];
            try
            {
                var replica = described[i].Take();
                if (NotAReplicaOf(replica, identity) is string why)
                {
                    throw new SsoSecretException(SsoSecretFailure.EnvironmentRoleConflict, $"{delivery.Name}: {why}. Nothing was sent.", delivery.Name);
                }

                keys[i] = ReplicaPublicKey.Parse(EnvironmentRemote.Property<string>(replica, "HostPublicKey")!);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                delivery.Failure = e;
            }
        }

        var lines = keys.Where(key => key is not null).Select(key => key!.Text).Distinct(StringComparer.Ordinal).ToList();
        if (lines.Count == 0)
        {
            return deliveries;
        }

        // One call on the master for every replica: its single runspace seals them one after the other there.
        Collection<PSObject> sealedRings;
        IReadOnlyList<ErrorRecord> errors;
        try
        {
            (sealedRings, errors) = remote.Wait(remote.RunAsync(
                master,
                "Export-SsoSealedRing",
                new Dictionary<string, object?> { ["StorePath"] = storePath },
                lines.Select(ReplicaInput).ToList()));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            for (int i = 0; i < deliveries.Length; i++)
            {
                if (keys[i] is not null)
                {
                    deliveries[i].Failure = e;
                }
            }

            return deliveries;
        }

        var byReplica = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var ring in sealedRings)
        {
            if (EnvironmentRemote.Property<string>(ring, "ReplicaFingerprint") is string fingerprint && EnvironmentRemote.Property<byte[]>(ring, "Data") is byte[] data)
            {
                byReplica[fingerprint] = data;
            }
        }

        string masterName = EnvironmentRemote.Name(master);
        for (int i = 0; i < deliveries.Length; i++)
        {
            var delivery = deliveries[i];
            if (keys[i] is not ReplicaPublicKey key)
            {
                continue;
            }

            if (!byReplica.TryGetValue(key.Fingerprint, out var data))
            {
                delivery.Failure = errors.Count > 0
                    ? EnvironmentRemote.FromHost(masterName, errors[0], null)
                    : EnvironmentRemote.Unreachable(masterName, $"Export-SsoSealedRing returned no sealed ring for the replica {delivery.Name} ({key.Fingerprint})");
                continue;
            }

            try
            {
                delivery.Header = SealedRing.Verify(data, identity, key);
                delivery.Data = data;
            }
            catch (SsoSecretException e)
            {
                delivery.Failure = new SsoSecretException(e.Failure, $"{delivery.Name}: the ring the master sealed for it does not verify here: {e.Message} Nothing was sent.", delivery.Name, e);
            }
        }

        return deliveries;
    }

    // What Export-SsoSealedRing binds -ReplicaPublicKey from (ValueFromPipelineByPropertyName): that property only.
    private static object ReplicaInput(string line)
    {
        var item = new PSObject();
        item.Properties.Add(new PSNoteProperty("ReplicaPublicKey", line));
        return item;
    }

    /// <summary>
    /// How many deliveries, in the sessions' order, a command goes through before a failure that concerns the whole
    /// call stops it (as the replicas taken one after another did: the ones before it were installed, none after).
    /// </summary>
    internal static int UntilWholeCallFailure(IReadOnlyList<Delivery> deliveries)
    {
        for (int i = 0; i < deliveries.Count; i++)
        {
            if (deliveries[i].Failure is Exception e && (e is not SsoSecretException failure || ErrorCatalog.ConcernsWholeCall(failure.Failure)))
            {
                return i;
            }
        }

        return deliveries.Count;
    }

    /// <summary>The replicas install their sealed rings, all at once; each delivery gets its result or its failure.</summary>
    internal static void Install(SessionFanOut remote, IReadOnlyList<Delivery> deliveries, string? storePath)
    {
        var installed = remote.ForEach(
            deliveries,
            delivery => remote.InvokeAsync(delivery.Session, "Import-SsoSealedRing", new Dictionary<string, object?> { ["SealedRing"] = delivery.Data, ["StorePath"] = storePath }));
        for (int i = 0; i < deliveries.Count; i++)
        {
            deliveries[i].Installed = installed[i].Failure is null ? installed[i].Value : null;
            deliveries[i].Failure = installed[i].Failure;
        }
    }

    /// <summary>One replica's part in a sync: its sealed ring (checked), then what its install came to, or its failure.</summary>
    internal sealed class Delivery
    {
        internal Delivery(PSSession session) => Session = session;

        internal PSSession Session { get; }

        internal string Name => EnvironmentRemote.Name(Session);

        internal byte[]? Data { get; set; }

        internal SealedRingHeader? Header { get; set; }

        internal Exception? Failure { get; set; }

        internal Collection<PSObject>? Installed { get; set; }
    }
}
