using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// The environment's health table: one row for the master and one per replica, through their sessions: the ring each
/// holds (generation, digest, secrets, active and staged), its last sync, and whether it agrees with the master. A
/// replica that cannot be reached is a row that says so, not a failure of the table.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SsoEnvironmentHealth")]
[OutputType(typeof(SsoEnvironmentHealth))]
public sealed class GetSsoEnvironmentHealthCommand : ReplicaSessionsCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        PSObject? master = null;
        Run(
            () => EnvironmentSync.ReadMaster(Remote, MasterSession!, StorePath, out master),
            terminating: true);
        _masterFingerprint = EnvironmentRemote.Property<string>(master!, "MasterFingerprint");
        var masterRow = Row(EnvironmentRemote.Name(MasterSession!), master!);
        masterRow.Status = "Master";
        masterRow.AgreesWithMaster = true;
        WriteObject(masterRow);

        // Every replica asked at once; the rows are written here, in the sessions' order.
        var described = EnvironmentSync.DescribeAll(Remote, Session, StorePath);
        var reached = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int unreachable = 0;
        for (int i = 0; i < Session.Length; i++)
        {
            if (described[i].Failure is null && EnvironmentRemote.Property<string>(described[i].Value, "HostFingerprint") is string fingerprint)
            {
                reached.Add(fingerprint);
            }
            else if (described[i].Failure is not null)
            {
                unreachable++;
            }

            WriteObject(Compare(EnvironmentRemote.Name(Session[i]), described[i], masterRow));
        }

        // The replicas the master has sealed its ring to that no session reached: a row each, by fingerprint, so that
        // a server left out of -Session shows here (an activation would wait for it).
        foreach (var fingerprint in EnvironmentRemote.Property<string[]>(master!, "Replicas") ?? Array.Empty<string>())
        {
            if (!reached.Contains(fingerprint))
            {
                WriteObject(new SsoEnvironmentHealth
                {
                    ComputerName = fingerprint,
                    Role = "Replica",
                    Status = "NotChecked",
                    Reason = unreachable > 0
                        ? "the master has sealed its ring to this replica (by its host key's fingerprint), and no session reached it: it may be one of the hosts that could not be reached"
                        : "the master has sealed its ring to this replica (by its host key's fingerprint), but no session of -Session is it: add its session, or take it off the master's list (Remove-SsoReplica) if it left",
                });
            }
        }
    }

    private SsoEnvironmentHealth Compare(string name, Outcome<PSObject> described, SsoEnvironmentHealth master)
    {
        if (described.Failure is SsoSecretException e)
        {
            return new SsoEnvironmentHealth { ComputerName = name, Status = "Unreachable", Reason = e.Message };
        }

        var info = described.Take();

        var row = Row(name, info);
        string? pinned = EnvironmentRemote.Property<string>(info, "MasterFingerprint");
        (row.Status, row.Reason) = row.Role switch
        {
            "Replica" when pinned != _masterFingerprint => ("OtherEnvironment", $"pinned to master {pinned}"),
            "Replica" when row.Generation > 0 && master.ActiveSecretId is Guid active && row.ActiveSecretId != active && Array.TrueForAll(row.Secrets, s => !s.StartsWith(active.ToString(), StringComparison.Ordinal)) => ("Stale", $"it does not hold the master's active secret {active}: values protected on the master now do not open there until it syncs"),
            "Replica" when row.Generation == master.Generation && row.RingDigest == master.RingDigest && row.VaultDigest != master.VaultDigest => ("Behind", "the master's ring, but not its vault: sync it to install the master's vault"),
            "Replica" when row.Generation == master.Generation && row.RingDigest == master.RingDigest => ("InSync", (string?)null),
            "Replica" when row.Generation == master.Generation => ("Forked", "the master's generation with other content"),
            "Replica" when row.Generation > master.Generation => ("Forked", $"generation {row.Generation}, newer than the master's {master.Generation}"),
            "Replica" => ("Behind", row.Generation == 0 ? "no ring installed yet" : $"generation {row.Generation} of the master's {master.Generation}"),
            "Master" => ("OtherEnvironment", "a master of its own"),
            _ => ("NotJoined", "a store of its own"),
        };
        row.AgreesWithMaster = row.Status == "InSync";
        return row;
    }

    private string? _masterFingerprint;

    private static SsoEnvironmentHealth Row(string name, PSObject info) => new()
    {
        ComputerName = name,
        Role = EnvironmentRemote.Property<string>(info, "Role") ?? "Unknown",
        Generation = EnvironmentRemote.Property<long>(info, "Generation"),
        RingDigest = EnvironmentRemote.Property<string>(info, "RingDigest"),
        VaultDigest = EnvironmentRemote.Property<string>(info, "VaultDigest"),
        ActiveSecretId = EnvironmentRemote.Property<Guid?>(info, "ActiveSecretId"),
        StagedSecretId = EnvironmentRemote.Property<Guid?>(info, "StagedSecretId"),
        Secrets = EnvironmentRemote.Property<string[]>(info, "Secrets") ?? Array.Empty<string>(),
        LastSync = EnvironmentRemote.Property<DateTime?>(info, "LastSync"),
    };
}
