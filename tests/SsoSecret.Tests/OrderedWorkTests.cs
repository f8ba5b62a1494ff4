using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using SsoSecret.Internal;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// OrderedWork: Unprotect-SsoData decrypts on the thread pool and writes on the pipeline's thread. Results come back
/// in the order the values came whatever order the work finishes in, failures come back as what the work threw, and
/// nothing made is left unzeroed when the pipeline stops early.
/// </summary>
public class OrderedWorkTests
{
    [Fact]
    public void ResultsComeBackInTheOrderTheValuesCameWhateverOrderTheWorkFinishes()
    {
        var random = new Random(7);
        var taken = new List<int>();
        using (var work = new OrderedWork<int, int>(_ => { }))
        {
            for (int i = 0; i < 2000; i++)
            {
                int value = i;
                int delay = random.Next(0, 3) == 0 ? random.Next(0, 3) : 0;
                work.Add(value, () =>
                {
                    if (delay > 0)
                    {
                        Thread.Sleep(delay);
                    }

                    return value * 2;
                });
                while (work.TryTake(wait: false, out int item, out var outcome))
                {
                    Assert.Equal(item * 2, outcome());
                    taken.Add(item);
                }
            }

            while (work.TryTake(wait: true, out int item, out var outcome))
            {
                Assert.Equal(item * 2, outcome());
                taken.Add(item);
            }
        }

        Assert.Equal(2000, taken.Count);
        for (int i = 0; i < taken.Count; i++)
        {
            Assert.Equal(i, taken[i]);
        }
    }

    [Fact]
    public void AFailureComesBackAsTheExceptionTheWorkThrewInItsPlace()
    {
        using var work = new OrderedWork<string, string>(_ => { });
        work.Add("first", () => "one");
        work.Add("second", () => throw new ProtectedDataException(ProtectedDataFailure.Damaged, "damaged"));
        work.Add("third", () => "three");

        Assert.True(work.TryTake(wait: true, out string item, out var outcome));
        Assert.Equal(("first", "one"), (item, outcome()));
        Assert.True(work.TryTake(wait: true, out item, out outcome));
        Assert.Equal("second", item);
        var thrown = Assert.Throws<ProtectedDataException>(() => outcome());
        Assert.Equal(ProtectedDataFailure.Damaged, thrown.Outcome);
        Assert.True(work.TryTake(wait: true, out item, out outcome));
        Assert.Equal(("third", "three"), (item, outcome()));
        Assert.False(work.TryTake(wait: true, out _, out _));
    }

    [Fact]
    public void WithoutWaitingTheOldestIsTakenOnlyWhenDoneOrWhenTooManyAreInFlight()
    {
        using var gate = new ManualResetEventSlim(false);
        using var work = new OrderedWork<int, int>(_ => { });
        work.Add(0, () =>
        {
            gate.Wait();
            return 0;
        });
        for (int i = 1; i <= OrderedWork<int, int>.MaxPending - 1; i++)
        {
            int value = i;
            work.Add(value, () => value);
        }

        // The oldest is still running, and no more than MaxPending are in flight: nothing is taken, later results wait.
        Assert.Equal(OrderedWork<int, int>.MaxPending, work.Count);
        Assert.False(work.TryTake(wait: false, out _, out _));

        // One more: then the oldest is waited for.
        work.Add(OrderedWork<int, int>.MaxPending, () => OrderedWork<int, int>.MaxPending);
        ThreadPool.QueueUserWorkItem(_ =>
        {
            Thread.Sleep(100);
            gate.Set();
        });
        Assert.True(work.TryTake(wait: false, out int item, out var outcome));
        Assert.Equal((0, 0), (item, outcome()));
        Assert.Equal(OrderedWork<int, int>.MaxPending, work.Count);
    }

    [Fact]
    public void DisposeWaitsForTheWorkStillRunningAndDiscardsEveryResultNotTaken()
    {
        var discarded = new ConcurrentBag<byte[]>();
        var made = new ConcurrentBag<byte[]>();
        using var gate = new ManualResetEventSlim(false);
        var work = new OrderedWork<int, byte[]>(result =>
        {
            Memory.Zero(result);
            discarded.Add(result);
        });
        for (int i = 0; i < 50; i++)
        {
            int value = i;
            work.Add(value, () =>
            {
                if (value == 40)
                {
                    gate.Wait();
                }

                if (value % 10 == 9)
                {
                    throw new InvalidOperationException("this value failed");
                }

                var result = new byte[] { 1, 2, 3, (byte)value };
                made.Add(result);
                return result;
            });
        }

        // Three are taken (and the caller zeroes them); the pipeline then stops while value 40 is still running.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(work.TryTake(wait: true, out _, out var outcome));
            Memory.Zero(outcome());
        }

        ThreadPool.QueueUserWorkItem(_ =>
        {
            Thread.Sleep(200);
            gate.Set();
        });
        work.Dispose();

        // Every result not taken was discarded, the one that was still running included; the failed ones made nothing.
        Assert.Equal(50 - 3 - 5, discarded.Count);
        Assert.Equal(50 - 5, made.Count);
        Assert.All(made, result => Assert.All(result, b => Assert.Equal(0, b)));
        Assert.Equal(0, work.Count);
    }
}
