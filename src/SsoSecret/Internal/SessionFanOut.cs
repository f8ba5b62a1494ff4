using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace SsoSecret.Internal;

/// <summary>What one host's work came to: its value, or the failure it met.</summary>
/// <typeparam name="T">What the work makes.</typeparam>
internal readonly struct Outcome<T>
{
    internal Outcome(T value, Exception? failure)
    {
        Value = value;
        Failure = failure;
    }

    internal T Value { get; }

    internal Exception? Failure { get; }

    /// <summary>The value, or the failure thrown again as the work threw it.</summary>
    internal T Take()
    {
        if (Failure is not null)
        {
            ExceptionDispatchInfo.Capture(Failure).Throw();
        }

        return Value;
    }
}

/// <summary>
/// The administrator's commands' calls to the hosts of an environment, through their sessions, in parallel: each
/// session is its own runspace on its own host, so one pipeline runs on each at once (never two on one runspace: a
/// session given twice, or the master's among the replicas, waits its turn), at most <c>ThrottleLimit</c> hosts at a
/// time. The calls are remote pipelines started with BeginInvoke; nothing blocks a thread while a host works. Only
/// the pipeline thread waits (<see cref="Wait{T}"/>, <see cref="ForEach{TItem, T}"/>), and the command writes what
/// came back there, in the sessions' order: no worker calls WriteObject, WriteError or ShouldProcess.
/// <see cref="Stop"/> (the command's StopProcessing, Ctrl+C) ends the waiting at once and stops every remote pipeline
/// still running.
/// </summary>
internal sealed class SessionFanOut : IDisposable
{
    /// <summary>How many hosts are worked on at once unless -ThrottleLimit says otherwise: Invoke-Command's default.</summary>
    internal const int DefaultThrottleLimit = 32;

    private readonly SemaphoreSlim _throttle;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly HashSet<PowerShell> _running = new();
    private readonly List<PowerShell> _made = new();
    private readonly Dictionary<Runspace, SemaphoreSlim> _turns = new();
    private readonly List<IAsyncResult> _stops = new();
    private readonly ManualResetEventSlim _stopsAsked = new();

    internal SessionFanOut(int throttleLimit) => _throttle = new SemaphoreSlim(Math.Max(1, throttleLimit));

    /// <summary>How long the pipeline thread, once stopped, waits for the hosts to confirm that their pipelines stopped.</summary>
    internal static readonly TimeSpan StopConfirmation = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Stops (from StopProcessing's thread): the waiting ends with PipelineStoppedException, once every remote pipeline
    /// still running was asked to stop and its host confirmed it (or <see cref="StopConfirmation"/> passed), so that
    /// the sessions serve the next command.
    /// </summary>
    internal void Stop()
    {
        PowerShell[] running;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            running = _running.ToArray();
        }

        try
        {
            foreach (var shell in running)
            {
                try
                {
                    var stopping = shell.BeginStop(null, null);
                    lock (_gate)
                    {
                        _stops.Add(stopping);
                    }
                }
                catch (Exception e) when (e is InvalidOperationException || e is ObjectDisposedException)
                {
                    // It ended meanwhile.
                }
            }
        }
        finally
        {
            _stopsAsked.Set();
        }
    }

    /// <summary>Runs one SsoSecret command on the session's host: its output, or its first error as the host's failure.</summary>
    internal async Task<Collection<PSObject>> InvokeAsync(PSSession session, string command, IDictionary<string, object?> parameters)
    {
        var (output, errors) = await RunAsync(session, command, parameters, null).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            throw EnvironmentRemote.FromHost(EnvironmentRemote.Name(session), errors[0], null);
        }

        return output;
    }

    /// <summary>Runs one SsoSecret command on the host and returns its one output object.</summary>
    internal async Task<PSObject> InvokeOneAsync(PSSession session, string command, IDictionary<string, object?> parameters) =>
        (await InvokeAsync(session, command, parameters).ConfigureAwait(false)).FirstOrDefault()
        ?? throw EnvironmentRemote.Unreachable(EnvironmentRemote.Name(session), $"{command} returned nothing");

    /// <summary>
    /// Runs one SsoSecret command on the session's host, with <paramref name="input"/> piped to it (one call for many
    /// values): its output and every error it wrote. A failure of the whole call (a terminating error, the host gone)
    /// is thrown: the host's SsoSecret failure with its id, else <see cref="SsoSecretFailure.HostUnreachable"/>.
    /// </summary>
    internal async Task<(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors)> RunAsync(PSSession session, string command, IDictionary<string, object?> parameters, IEnumerable<object>? input)
    {
        string host = EnvironmentRemote.Name(session);
        var runspace = session.Runspace;
        RequireOpened(host, runspace);
        var turn = Turn(runspace!);
        await turn.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            RequireOpened(host, runspace);
            return await Start(host, runspace!, command, parameters, input).ConfigureAwait(false);
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every item at once (at most the throttle limit at a time), waits on the
    /// pipeline thread until all have finished, and returns what each came to, in the items' order.
    /// </summary>
    internal Outcome<T>[] ForEach<TItem, T>(IReadOnlyList<TItem> items, Func<TItem, Task<T>> work)
    {
        var tasks = items.Select(item => Throttled(() => work(item))).ToArray();
        WaitAll(tasks);
        return tasks.Select(task => task.Status == TaskStatus.RanToCompletion
            ? new Outcome<T>(task.Result, null)
            : new Outcome<T>(default!, task.Exception?.InnerException ?? new OperationCanceledException())).ToArray();
    }

    /// <summary>Waits on the pipeline thread for one call; its value, or what it threw.</summary>
    internal T Wait<T>(Task<T> task)
    {
        WaitAll(new Task[] { task });
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Disposes the calls' pipelines that have ended (one still stopping is left to end on its own).</summary>
    public void Dispose()
    {
        PowerShell[] made;
        lock (_gate)
        {
            made = _made.Where(shell => !_running.Contains(shell)).ToArray();
            _made.Clear();
        }

        foreach (var shell in made)
        {
            shell.Dispose();
        }

        // Once stopped, calls that never started may still wake on these; they go with the garbage collector then.
        if (!_stop.IsCancellationRequested)
        {
            _stop.Dispose();
            _stopsAsked.Dispose();
            _throttle.Dispose();
        }
    }

    private static void RequireOpened(string host, Runspace? runspace)
    {
        if (runspace is null || runspace.RunspaceStateInfo.State != RunspaceState.Opened)
        {
            throw EnvironmentRemote.Unreachable(host, $"its session is {runspace?.RunspaceStateInfo.State.ToString() ?? "gone"}");
        }
    }

    private void WaitAll(Task[] tasks)
    {
        try
        {
            Task.WaitAll(tasks, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped: below.
        }
        catch (AggregateException)
        {
            // The failures are each task's own, taken by the caller.
        }

        if (_stop.IsCancellationRequested)
        {
            AwaitStopped();
            throw new PipelineStoppedException();
        }
    }

    // On the pipeline thread, once stopped: until every remote pipeline asked to stop has stopped, within a bound.
    private void AwaitStopped()
    {
        var until = DateTime.UtcNow + StopConfirmation;
        if (!_stopsAsked.Wait(StopConfirmation))
        {
            return;
        }

        IAsyncResult[] stops;
        lock (_gate)
        {
            stops = _stops.ToArray();
        }

        foreach (var stopping in stops)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !stopping.AsyncWaitHandle.WaitOne(left))
            {
                return;
            }
        }
    }

    private async Task<T> Throttled<T>(Func<Task<T>> work)
    {
        await _throttle.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            _throttle.Release();
        }
    }

    // One pipeline at a time on a runspace.
    private SemaphoreSlim Turn(Runspace runspace)
    {
        lock (_gate)
        {
            if (!_turns.TryGetValue(runspace, out var turn))
            {
                turn = new SemaphoreSlim(1, 1);
                _turns.Add(runspace, turn);
            }

            return turn;
        }
    }

    private Task<(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors)> Start(string host, Runspace runspace, string command, IDictionary<string, object?> parameters, IEnumerable<object>? input)
    {
        var shell = PowerShell.Create();
        shell.Runspace = runspace;
        shell.AddCommand("SsoSecret\\" + command);
        foreach (var parameter in parameters)
        {
            if (parameter.Value is not null)
            {
                shell.AddParameter(parameter.Key, parameter.Value);
            }
        }

        PSDataCollection<object>? piped = null;
        if (input is not null)
        {
            piped = new PSDataCollection<object>();
            foreach (var item in input)
            {
                piped.Add(item);
            }

            piped.Complete();
        }

        var output = new PSDataCollection<PSObject>();
        var done = new TaskCompletionSource<(Collection<PSObject>, IReadOnlyList<ErrorRecord>)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _made.Add(shell);
            if (_stop.IsCancellationRequested)
            {
                done.SetCanceled();
                return done.Task;
            }

            _running.Add(shell);
        }

        try
        {
            shell.BeginInvoke(piped, output, null, ended => Finish(host, shell, ended, output, done), null);
        }
        catch (Exception e)
        {
            Ended(shell);
            done.TrySetException(Translate(host, e));
        }

        return done.Task;
    }

    // On the thread the remote pipeline ended on: its output and errors, or its failure; nothing is written from here.
    private void Finish(string host, PowerShell shell, IAsyncResult ended, PSDataCollection<PSObject> output, TaskCompletionSource<(Collection<PSObject>, IReadOnlyList<ErrorRecord>)> done)
    {
        try
        {
            shell.EndInvoke(ended);
            var items = output.ReadAll();

            // As Invoke-Command marks what comes back: the host's name, shown by the formatter beside the module's view.
            foreach (var item in items)
            {
                if (item.Properties["PSComputerName"] is null)
                {
                    item.Properties.Add(new PSNoteProperty("PSComputerName", host));
                    item.Properties.Add(new PSNoteProperty("PSShowComputerName", true));
                }
            }

            done.TrySetResult((items, shell.Streams.Error.ReadAll()));
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            done.TrySetCanceled();
        }
        catch (Exception e)
        {
            done.TrySetException(Translate(host, e));
        }
        finally
        {
            Ended(shell);
        }
    }

    private void Ended(PowerShell shell)
    {
        lock (_gate)
        {
            _running.Remove(shell);
        }
    }

    private static Exception Translate(string host, Exception e) => e switch
    {
        PSRemotingTransportException or InvalidRunspaceStateException or PSRemotingDataStructureException => EnvironmentRemote.Unreachable(host, e.Message),
        PipelineStoppedException => EnvironmentRemote.Unreachable(host, "its pipeline was stopped there"),
        RuntimeException { ErrorRecord: not null } runtime => EnvironmentRemote.FromHost(host, runtime.ErrorRecord, e),
        _ => e,
    };
}
