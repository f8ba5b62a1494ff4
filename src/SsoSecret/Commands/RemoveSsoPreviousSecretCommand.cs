using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Retires earlier master secrets of the store's key ring, each named by its id: values still protected under them no
/// longer open. The only command that drops a secret from the ring; the current secret is never retired, and files
/// given with -ProtectedDataPath are searched first for values that still need a secret named.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SsoPreviousSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LocalSet)]
[OutputType(typeof(SsoMasterSecretInfo), typeof(SsoRingSyncResult))]
public sealed class RemoveSsoPreviousSecretCommand : EnvironmentCommandBase
{
    private const string LocalSet = "Local";
    private const string SessionSet = "Session";

    private readonly List<Guid> _ids = new();
    private readonly List<string> _checked = new();

    /// <summary>
    /// The earlier secrets to retire, by id (Get-SsoMasterSecret lists them as PreviousSecrets; they bind from the
    /// pipeline by their SecretId property).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public Guid[] SecretId { get; set; } = Array.Empty<Guid>();

    /// <summary>
    /// Files of protected values (configuration files, value files) to search before retiring: a value in them
    /// protected under a secret named refuses the retirement (SsoSecret.SecretStillInUse), since it would no longer
    /// open. Wildcards are allowed.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = LocalSet)]
    [Alias("FullName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ProtectedDataPath { get; set; }

    /// <summary>Retires without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the store's secret information afterwards.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// On an environment's master: each replica's confirmation that it holds the master's ring (its RingConfirmation,
    /// by its fingerprint), as the session form gathers them; with it, nothing is retired unless every replica of the
    /// master's list confirmed (SsoSecret.ReplicaNotReady).
    /// </summary>
    [Parameter(ParameterSetName = LocalSet)]
    public System.Collections.Hashtable? Confirmation { get; set; }

    /// <summary>
    /// An environment's master, through its session (on the administrator's machine): the secrets are retired there
    /// only if every replica of -Session holds the master's ring (else SsoSecret.ReplicaNotReady, naming each), and the
    /// ring without them is then brought to every replica.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public System.Management.Automation.Runspaces.PSSession? MasterSession { get; set; }

    /// <summary>The sessions to every replica of the master's environment.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
    [ValidateNotNullOrEmpty]
    public System.Management.Automation.Runspaces.PSSession[] Session { get; set; } = Array.Empty<System.Management.Automation.Runspaces.PSSession>();

    /// <summary>How many replicas are worked on at once (32 by default, as Invoke-Command's).</summary>
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateRange(1, int.MaxValue)]
    public int ThrottleLimit { get; set; } = SessionFanOut.DefaultThrottleLimit;

    /// <inheritdoc/>
    private protected override int Throttle => ThrottleLimit;

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            foreach (var id in SecretId)
            {
                if (!_ids.Contains(id))
                {
                    _ids.Add(id);
                }
            }

            foreach (string given in ProtectedDataPath ?? Array.Empty<string>())
            {
                foreach (string file in PathHelper.ResolveFiles(this, given))
                {
                    if (!_checked.Contains(file))
                    {
                        _checked.Add(file);
                    }
                }
            }
        },
        terminating: true);

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (ParameterSetName == SessionSet)
        {
            RetireThroughSessions();
            return;
        }

        RetireHere();
    }

    // An environment's retirement, from the administrator's machine: refused while any replica lags (it may still
    // protect values under a secret to retire), then done on the master, then the ring brought to every replica.
    private void RetireThroughSessions()
    {
        MasterIdentity? identity = null;
        System.Collections.Hashtable? confirmations = null;
        string masterName = Internal.EnvironmentRemote.Name(MasterSession!);
        Run(
            () =>
            {
                identity = EnvironmentSync.ReadMaster(Remote, MasterSession!, StorePath, out var master);

                // Every replica described at once; every one that lags is named, in the sessions' order.
                var lagging = EnvironmentSync.NotReady(Remote, Session, identity, master, StorePath, string.Empty, out _, out confirmations);
                if (lagging.Count > 0)
                {
                    throw new SsoSecretException(
                        SsoSecretFailure.ReplicaNotReady,
                        $"Nothing was retired: {lagging.Count} replica(s) do not hold the master's ring, and may still protect values under a secret to retire. {string.Join(" ", lagging.Select(l => l.TrimEnd('.') + "."))}",
                        string.Join(", ", lagging.Select(l => l.Substring(0, l.IndexOf(':')))));
                }
            },
            terminating: true);

        if (!ShouldChange(masterName, $"Retire master secret(s) {string.Join(", ", _ids)} on the master {masterName}, then on its {Session.Length} replica(s): values still protected under them will no longer open anywhere.", Force))
        {
            return;
        }

        Run(
            () => Remote.Wait(Remote.InvokeAsync(MasterSession!, "Remove-SsoPreviousSecret", new Dictionary<string, object?> { ["SecretId"] = _ids.ToArray(), ["Force"] = true, ["Confirmation"] = confirmations, ["StorePath"] = StorePath })),
            terminating: true);
        BringRing(MasterSession!, identity!, Session, _ => true);
    }

    private void RetireHere() => Run(
        () =>
        {
            var store = OpenStore();
            var retiring = new List<Guid>();
            var descriptions = new List<string>();
            using (var state = store.Read())
            {
                store.RefuseOnReplica(state, "retire a secret");
                store.RequireCurrent(state);
                if (state.Environment is { Role: StoreRole.Master } && Confirmation is null)
                {
                    WriteWarning($"The store '{store.Path}' is the master of an environment: retired here, without -MasterSession and -Session, no replica is checked, and a replica that lags may still protect values under a secret retired. Bring the ring to the replicas with Sync-SsoEnvironment.");
                }

                foreach (var id in _ids)
                {
                    if (state.Current!.Id == id)
                    {
                        throw store.CurrentNotRetired(id);
                    }

                    if (state.Find(id) is not StoredSecret secret)
                    {
                        WriteWarning($"The key ring of the store '{store.Path}' holds no master secret {id} (retired already, or never held here); nothing to retire for it.");
                        continue;
                    }

                    retiring.Add(id);
                    descriptions.Add(Describe(secret));
                    if (secret.LastBackup is null)
                    {
                        WriteWarning($"No backup of master secret {id} is recorded in the store '{store.Path}'. Once it is retired, values still protected under it open only if a backup of it exists elsewhere.");
                    }
                }

                RequireNotInUse(retiring);
                if (retiring.Count == 0)
                {
                    if (PassThru)
                    {
                        WriteObject(Output.SecretInfo(state, store));
                    }

                    return;
                }
            }

            var inVault = store.VaultCounts(store.ReadVault());
            int vaultEntries = retiring.Sum(id => inVault.TryGetValue(id, out int n) ? n : 0);
            string moving = vaultEntries == 0 ? string.Empty : $" First, the {vaultEntries} vault entr{(vaultEntries == 1 ? "y" : "ies")} protected under {(retiring.Count == 1 ? "it" : "them")} {(vaultEntries == 1 ? "is" : "are")} moved to the current secret.";
            string action = $"Retire {string.Join("; ", descriptions)} from the key ring: values still protected under {(retiring.Count == 1 ? "it" : "them")} will no longer open.{moving} Backups are not touched: a backup of a retired secret can restore it.";
            if (!ShouldChange(store.Path, action, Force))
            {
                return;
            }

            var retired = store.Retire(retiring, out var after, out int moved, EnvironmentOutput.Confirmations(Confirmation));
            using (after)
            {
                if (moved > 0)
                {
                    WriteVerbose($"Moved {moved} vault entr{(moved == 1 ? "y" : "ies")} to the current master secret {after.Current!.Id} before the retirement.");
                }

                foreach (var id in retiring)
                {
                    WriteVerbose(retired.Contains(id)
                        ? $"Retired master secret {id} from the key ring of '{store.Path}'."
                        : $"The key ring of '{store.Path}' no longer held master secret {id} (another process retired it meanwhile); nothing was retired for it.");
                }

                WriteVerbose($"The key ring holds {after.Count} secret(s): {string.Join(", ", after.Ring.Select(s => s.Id))}.");
                if (PassThru)
                {
                    WriteObject(Output.SecretInfo(after, store));
                }
            }
        },
        terminating: true);

    private static string Describe(StoredSecret secret)
    {
        string backup = secret.LastBackup is BackupRecord last ? $"last backed up {last.Time:u} to '{last.Path}'" : "no backup recorded";
        return $"master secret {secret.Id} (fingerprint {secret.Fingerprint}, replaced {secret.Replaced:u}, {backup})";
    }

    /// <summary>
    /// Searches the files given with -ProtectedDataPath: a value protected under a secret to retire refuses the whole
    /// retirement (<see cref="SsoSecretFailure.SecretStillInUse"/>), naming each file and how many of its values need
    /// which secret. Only the values' headers are read: no key is used.
    /// </summary>
    private void RequireNotInUse(List<Guid> retiring)
    {
        if (retiring.Count == 0 || _checked.Count == 0)
        {
            return;
        }

        var found = new List<string>();
        string? firstFound = null;
        int values = 0;
        foreach (string file in _checked)
        {
            var bytes = IO.GivenFile.Read(
                file,
                "file of protected values",
                "give the files that hold protected values",
                UpdateSsoProtectedDataCommand.MaxFileLength,
                length => new SsoSecretException(SsoSecretFailure.ValueTooLarge, $"The file '{file}' is {length} bytes long; files of more than 16 MiB are not searched for protected values.", file));
            string content = UpdateSsoProtectedDataCommand.DecodeText(file, bytes);
            var counts = new Dictionary<Guid, int>();
            foreach (System.Text.RegularExpressions.Match match in IO.TextFile.ProtectedText.Matches(content))
            {
                values++;
                Guid id;
                try
                {
                    id = ProtectedData.ReadHeader(match.Value).SecretId;
                }
                catch (ProtectedDataException)
                {
                    continue; // not a value this module reads: it names no secret
                }

                if (retiring.Contains(id))
                {
                    counts[id] = counts.TryGetValue(id, out int n) ? n + 1 : 1;
                }
            }

            if (counts.Count > 0)
            {
                firstFound ??= file;
                found.AddRange(counts.Select(c => $"'{file}': {c.Value} value(s) under {c.Key}"));
            }
        }

        WriteVerbose($"Searched {_checked.Count} file(s), {values} protected value(s), for values under {string.Join(", ", retiring)}.");
        if (firstFound is not null)
        {
            throw new StoreException(
                SsoSecretFailure.SecretStillInUse,
                firstFound,
                $"Values protected under a secret to retire are still in use: {string.Join("; ", found)}. Retired, it would no longer open them. Nothing was retired.");
        }
    }
}
