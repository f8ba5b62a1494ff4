using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// The second phase of a staged rotation. With -MasterSession and -Session (on the administrator's machine): checks
/// that every replica holds the master's ring with its staged secret (fail closed: a replica unreachable, behind or
/// pinned elsewhere stops the step, naming it, with SsoSecret.ReplicaNotReady), then activates the staged secret on
/// the master and brings the new ring to every replica. -Force goes past the replicas that are not ready: they are
/// stale (Get-SsoEnvironmentHealth says so) until they sync. With -SecretId (on the master itself, as the first form
/// runs there): the staged secret becomes current, the earlier current one is kept until it is retired by name.
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "SsoStagedSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(SsoRingSyncResult), typeof(SsoEnvironmentInfo))]
public sealed class EnableSsoStagedSecretCommand : EnvironmentCommandBase
{
    private const string SessionSet = "Session";
    private const string LocalSet = "Local";

    /// <summary>The session to the master secret server.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public PSSession? MasterSession { get; set; }

    /// <summary>The sessions to every replica of the environment.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SessionSet)]
    [ValidateNotNullOrEmpty]
    public PSSession[] Session { get; set; } = Array.Empty<PSSession>();

    /// <summary>On the master itself: the staged secret to activate (it must be the staged one).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    public Guid SecretId { get; set; }

    /// <summary>
    /// On the master itself: each replica's confirmation that it holds the master's ring with the staged secret (its
    /// RingConfirmation, by its fingerprint), as the first form gathers them; every replica of the master's list must
    /// confirm (SsoSecret.ReplicaNotReady otherwise).
    /// </summary>
    [Parameter(ParameterSetName = LocalSet)]
    public System.Collections.Hashtable? Confirmation { get; set; }

    /// <summary>Activates past the replicas that do not hold the staged secret (or did not confirm it): they are stale until they sync.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many replicas are worked on at once (32 by default, as Invoke-Command's).</summary>
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateRange(1, int.MaxValue)]
    public int ThrottleLimit { get; set; } = SessionFanOut.DefaultThrottleLimit;

    /// <inheritdoc/>
    private protected override int Throttle => ThrottleLimit;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == LocalSet)
        {
            Run(ActivateHere, terminating: true);
            return;
        }

        MasterIdentity? identity = null;
        PSObject? master = null;
        Guid staged = Guid.Empty;
        var ready = new List<PSSession>();
        System.Collections.Hashtable? confirmations = null;
        Run(
            () =>
            {
                identity = EnvironmentSync.ReadMaster(Remote, MasterSession!, StorePath, out master);
                staged = EnvironmentRemote.Property<Guid?>(master, "StagedSecretId") ?? throw new SsoSecretException(
                    SsoSecretFailure.EnvironmentRoleConflict,
                    $"{EnvironmentRemote.Name(MasterSession!)}: the master holds no staged secret; stage one with New-SsoMasterSecret -Stage there, and sync it.",
                    EnvironmentRemote.Name(MasterSession!));

                // Every replica described at once; every one not ready is named, in the sessions' order.
                var notReady = EnvironmentSync.NotReady(Remote, Session, identity, master, StorePath, $" with staged secret {staged}", out ready, out confirmations);
                if (notReady.Count > 0 && !Force)
                {
                    throw new SsoSecretException(
                        SsoSecretFailure.ReplicaNotReady,
                        $"Staged secret {staged} was not activated: {notReady.Count} replica(s) do not hold it, and a value protected under it would not open there. {string.Join(" ", notReady.Select(n => n.TrimEnd('.') + "."))}",
                        string.Join(", ", notReady.Select(n => n.Substring(0, n.IndexOf(':')))));
                }

                foreach (var host in notReady)
                {
                    WriteWarning($"Activating past {host.Substring(0, host.IndexOf(':'))} (-Force): it is stale until it syncs. {host}");
                }
            },
            terminating: true);

        if (!ShouldProcess(EnvironmentRemote.Name(MasterSession!), $"Activate staged secret {staged} on the master, then on {ready.Count} replica(s)"))
        {
            return;
        }

        Run(
            () => Remote.Wait(Remote.InvokeOneAsync(MasterSession!, "Enable-SsoStagedSecret", new Dictionary<string, object?> { ["SecretId"] = staged, ["Confirmation"] = confirmations, ["Force"] = Force.IsPresent, ["StorePath"] = StorePath })),
            terminating: true);
        BringRing(MasterSession!, identity!, ready, _ => true);
    }

    // On the master: the staged secret becomes current.
    private void ActivateHere()
    {
        var store = OpenStore();
        if (!ShouldProcess(store.Path, $"Activate staged secret {SecretId}"))
        {
            return;
        }

        using var state = store.Activate(SecretId, EnvironmentOutput.Confirmations(Confirmation), Force, out var vault, out var passed);
        foreach (var replica in passed)
        {
            WriteWarning($"Activated past the replica {replica.Fingerprint} (-Force): it did not confirm that it holds the staged secret, and is stale until it syncs.");
        }

        WriteVerbose($"Master secret {SecretId} is now the current secret of '{store.Path}' (generation {state.Environment!.Generation}); the one it replaced stays until it is retired.");
        RingText.ReportVault(this, vault, state.Current!.Id);
        WriteObject(EnvironmentOutput.Info(store));
    }
}
