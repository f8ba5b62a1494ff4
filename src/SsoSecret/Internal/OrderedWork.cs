using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace SsoSecret.Internal;

/// <summary>
/// Runs a command's per-value work on the thread pool while the pipeline delivers the next values, and hands the
/// results back in the order the values came, on the pipeline's thread (where WriteObject and WriteError must be
/// called). At most <see cref="MaxPending"/> values are in flight, so a long pipeline holds a bounded number of
/// results. Results that are never taken (the pipeline stopped, an error stopped the command) are passed to the
/// discard action when this is disposed, after their work has finished: a result holding a secret is zeroed, never
/// left to the garbage collector.
/// </summary>
/// <typeparam name="TItem">What the pipeline thread keeps beside each value (its place, for messages).</typeparam>
/// <typeparam name="TResult">What the work makes.</typeparam>
internal sealed class OrderedWork<TItem, TResult> : IDisposable
{
    /// <summary>How many values may be in flight; with more, <see cref="TryTake"/> waits for the oldest even when not asked to.</summary>
    internal const int MaxPending = 256;

    private readonly Queue<(TItem Item, Task<TResult> Work)> _pending = new();
    private readonly Action<TResult> _discard;

    internal OrderedWork(Action<TResult> discard) => _discard = discard ?? throw new ArgumentNullException(nameof(discard));

    /// <summary>Values started and not yet taken.</summary>
    internal int Count => _pending.Count;

    /// <summary>Starts <paramref name="work"/> for one value.</summary>
    internal void Add(TItem item, Func<TResult> work) => _pending.Enqueue((item, Task.Run(work)));

    /// <summary>
    /// Takes the oldest value when its work is done, or when <paramref name="wait"/> is true or too many values are in
    /// flight (then it waits for it). <paramref name="outcome"/> returns the result or throws what the work threw, as
    /// the work itself would have; the caller owns the result from then on.
    /// </summary>
    internal bool TryTake(bool wait, out TItem item, out Func<TResult> outcome)
    {
        if (_pending.Count == 0 || !(wait || _pending.Count > MaxPending || _pending.Peek().Work.IsCompleted))
        {
            item = default!;
            outcome = null!;
            return false;
        }

        var (taken, work) = _pending.Dequeue();
        item = taken;
        outcome = () => work.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Waits for the work of every value not taken and discards its result.</summary>
    public void Dispose()
    {
        while (_pending.Count > 0)
        {
            var (_, work) = _pending.Dequeue();
            try
            {
                _discard(work.GetAwaiter().GetResult());
            }
            catch (Exception)
            {
                // A value that failed made nothing to discard.
            }
        }
    }
}
