using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What the commands that work on an environment through sessions share (Join-SsoEnvironment, Sync-SsoEnvironment,
/// Enable-SsoStagedSecret, Get-SsoEnvironmentHealth, Remove-SsoPreviousSecret): their calls to the hosts, every
/// replica at once (<see cref="SessionFanOut"/>), stopped by Ctrl+C; and the results written on the pipeline thread,
/// in the sessions' order.
/// </summary>
public abstract class EnvironmentCommandBase : StoreCommandBase, IDisposable
{
    private readonly object _gate = new();
    private SessionFanOut? _remote;
    private bool _stopping;

    /// <summary>How many hosts are worked on at once (the command's -ThrottleLimit).</summary>
    private protected abstract int Throttle { get; }

    /// <summary>The calls to the hosts of this command.</summary>
    private protected SessionFanOut Remote
    {
        get
        {
            lock (_gate)
            {
                if (_remote is null)
                {
                    _remote = new SessionFanOut(Throttle);
                    if (_stopping)
                    {
                        _remote.Stop();
                    }
                }

                return _remote;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _remote?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Ctrl+C: the waiting ends, and the remote pipelines still running are stopped.</summary>
    protected override void StopProcessing()
    {
        SessionFanOut? remote;
        lock (_gate)
        {
            _stopping = true;
            remote = _remote;
        }

        remote?.Stop();
        base.StopProcessing();
    }

    /// <summary>
    /// Writes the replicas' results of a sync in the sessions' order: each install's output, or its failure as a
    /// non-terminating error with the host named (a failure that concerns the whole call stops the command there).
    /// Deliveries that were not installed and did not fail (declined by ShouldProcess) write nothing.
    /// </summary>
    private protected void Report(IEnumerable<EnvironmentSync.Delivery> deliveries)
    {
        foreach (var delivery in deliveries)
        {
            if (delivery.Failure is null && delivery.Installed is null)
            {
                continue;
            }

            Run(
                () =>
                {
                    if (delivery.Failure is not null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(delivery.Failure).Throw();
                    }

                    WriteObject(delivery.Installed, enumerateCollection: true);
                },
                terminating: false);
        }
    }

    /// <summary>
    /// Brings the master's ring to <paramref name="sessions"/> and writes what came of it: sealed for all (one call on
    /// the master), checked here, installed on all at once, reported in their order. <paramref name="install"/> is
    /// asked on the pipeline thread for each replica whose ring was sealed and checked (ShouldProcess, for one). As
    /// when the replicas were taken one after another, a failure that concerns the whole call stops the command at
    /// that replica: the ones before it are installed, none after it.
    /// </summary>
    private protected void BringRing(PSSession master, MasterIdentity identity, IReadOnlyList<PSSession> sessions, Func<EnvironmentSync.Delivery, bool> install)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var deliveries = EnvironmentSync.Seal(Remote, master, identity, sessions, StorePath, out var describing);
        WriteVerbose($"{sessions.Count} replica(s) described at once in {describing.TotalMilliseconds:0} ms; their rings sealed by the master in one call and checked here in {(watch.Elapsed - describing).TotalMilliseconds:0} ms: {deliveries.Count(d => d.Failure is null)} ready.");
        int until = EnvironmentSync.UntilWholeCallFailure(deliveries);
        var chosen = new List<EnvironmentSync.Delivery>();
        for (int i = 0; i < until; i++)
        {
            if (deliveries[i].Failure is null && install(deliveries[i]))
            {
                chosen.Add(deliveries[i]);
            }
        }

        if (chosen.Count > 0)
        {
            watch.Restart();
            EnvironmentSync.Install(Remote, chosen, StorePath);
            WriteVerbose($"{chosen.Count} replica(s) installed their rings at once, in {watch.ElapsedMilliseconds} ms.");
        }

        Report(deliveries.Take(Math.Min(until + 1, deliveries.Length)));
    }
}
