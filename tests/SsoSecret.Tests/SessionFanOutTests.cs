using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using SsoSecret.Internal;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// SessionFanOut: the environment's commands work on every replica at once and write on the pipeline's thread. What
/// each host's work came to comes back in the hosts' order whatever order the work finishes in, a failure comes back
/// in its place, no more than the throttle limit run at once, and a stop ends the waiting. (The remote calls
/// themselves are proved on real hosts: tests/Pester/FleetScale.Tests.ps1.)
/// </summary>
public class SessionFanOutTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OutcomesComeBackInTheItemsOrderWhateverOrderTheWorkFinishes()
    {
        var gates = Enumerable.Range(0, 16).Select(_ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var fanOut = new SessionFanOut(SessionFanOut.DefaultThrottleLimit);
        var started = new CountdownEvent(gates.Length);
        var finisher = Task.Run(() =>
        {
            Assert.True(started.Wait(Bound));
            for (int i = gates.Length - 1; i >= 0; i--)
            {
                gates[i].SetResult(i * 10);
            }
        });

        var outcomes = await Task.Run(() => fanOut.ForEach(Enumerable.Range(0, gates.Length).ToList(), i =>
        {
            started.Signal();
            return gates[i].Task;
        }));

        await finisher.WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, gates.Length).Select(i => i * 10), outcomes.Select(o => o.Take()));
        Assert.All(outcomes, o => Assert.Null(o.Failure));
    }

    [Fact]
    public void AFailureComesBackInItsPlaceAsTheWorkThrewIt()
    {
        using var fanOut = new SessionFanOut(SessionFanOut.DefaultThrottleLimit);
        var outcomes = fanOut.ForEach(new[] { 1, 2, 3 }, async i =>
        {
            await Task.Yield();
            return i == 2 ? throw new SsoSecretException(SsoSecretFailure.HostUnreachable, "h3: gone.", "h3") : i;
        });

        Assert.Equal(1, outcomes[0].Take());
        Assert.Equal(3, outcomes[2].Take());
        var failure = Assert.IsType<SsoSecretException>(outcomes[1].Failure);
        Assert.Equal(SsoSecretFailure.HostUnreachable, failure.Failure);
        Assert.Same(failure, Assert.Throws<SsoSecretException>(() => outcomes[1].Take()));
    }

    [Fact]
    public async Task NoMoreThanTheThrottleLimitRunAtOnceAndThatManyDo()
    {
        const int Limit = 3;
        const int Count = 10;
        var gates = Enumerable.Range(0, Count).Select(_ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var started = new BlockingCollection<int>();
        int running = 0;
        int most = 0;
        using var fanOut = new SessionFanOut(Limit);

        // Each work is let go only once as many as may run are running: so the limit is reached, and never passed.
        var releaser = Task.Run(() =>
        {
            for (int released = 0; released < Count; released++)
            {
                Assert.True(started.TryTake(out int next, Bound));
                var until = DateTime.UtcNow + Bound;
                while (Volatile.Read(ref running) < Math.Min(Limit, Count - released))
                {
                    Assert.True(DateTime.UtcNow < until, "the work did not start");
                    Thread.Sleep(1);
                }

                gates[next].SetResult(true);
            }
        });

        var outcomes = await Task.Run(() => fanOut.ForEach(Enumerable.Range(0, Count).ToList(), async i =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            started.Add(i);
            await gates[i].Task.ConfigureAwait(false);
            Interlocked.Decrement(ref running);
            return i;
        }));

        await releaser.WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, Count), outcomes.Select(o => o.Take()));
        Assert.Equal(Limit, most);
    }

    [Fact]
    public async Task AStopEndsTheWaitingWithPipelineStopped()
    {
        var never = new TaskCompletionSource<int>();
        var started = new CountdownEvent(4);
        using var fanOut = new SessionFanOut(SessionFanOut.DefaultThrottleLimit);
        var stopper = Task.Run(() =>
        {
            Assert.True(started.Wait(Bound));
            fanOut.Stop();
        });

        await Assert.ThrowsAsync<PipelineStoppedException>(() => Task.Run(() => fanOut.ForEach(new[] { 1, 2, 3, 4 }, _ =>
        {
            started.Signal();
            return never.Task;
        })));
        await stopper.WaitAsync(Bound);

        // Stopped, it starts nothing more.
        Assert.Throws<PipelineStoppedException>(() => fanOut.ForEach(new[] { 1 }, i => Task.FromResult(i)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
