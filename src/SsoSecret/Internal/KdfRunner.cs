using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Threading.Tasks;

namespace SsoSecret.Internal;

/// <summary>
/// Runs KDF-bound work on a worker thread and, once it has taken longer than a second, reports progress from the
/// pipeline thread (the only one a cmdlet may write from): the time spent, and the time left from an estimate of the
/// run's cost (<see cref="KdfEstimate"/>). The work itself is not slowed.
/// </summary>
internal static class KdfRunner
{
    private static readonly TimeSpan s_progressDelay = TimeSpan.FromSeconds(1);

    internal static T Run<T>(Cmdlet cmdlet, string activity, KdfParameters kdf, Func<T> work)
    {
        // The implementation is chosen (and a native one self-tested) here, at the first derivation of the process.
        var implementation = Crypto.Argon2.Active;
        cmdlet.WriteVerbose($"Deriving the key with {kdf}, implementation {implementation.Name}: {implementation.Reason}.");
        var watch = Stopwatch.StartNew();
        var task = Task.Run(work);
        TimeSpan? estimate = null;
        ProgressRecord? progress = null;
        // Task.WaitAny does not throw when the work fails (Task.Wait would wrap the failure in an AggregateException);
        // GetResult below rethrows the work's own exception, so callers see it as it was thrown.
        while (Task.WaitAny(new Task[] { task }, 100) < 0)
        {
            if (watch.Elapsed >= s_progressDelay)
            {
                estimate ??= KdfEstimate.For(kdf);

                // A new record each time: a host or a PowerShell.Streams.Progress collection keeps the ones it gets.
                progress = new ProgressRecord(0x550, activity, kdf.ToString());
                Describe(progress, kdf, watch.Elapsed, estimate.Value);
                cmdlet.WriteProgress(progress);
            }
        }

        if (progress is not null)
        {
            cmdlet.WriteProgress(new ProgressRecord(0x550, activity, progress.StatusDescription) { RecordType = ProgressRecordType.Completed });
        }

        var result = task.GetAwaiter().GetResult();
        KdfEstimate.Record(kdf, watch.Elapsed);
        cmdlet.WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0}: done in {1:0} ms.", activity, watch.Elapsed.TotalMilliseconds));
        return result;
    }

    /// <summary>Fills in the progress of a run <paramref name="elapsed"/> into a run estimated to take <paramref name="estimate"/>.</summary>
    internal static void Describe(ProgressRecord progress, KdfParameters kdf, TimeSpan elapsed, TimeSpan estimate)
    {
        if (estimate > TimeSpan.Zero && elapsed < estimate)
        {
            progress.PercentComplete = Math.Min(99, (int)(elapsed.TotalSeconds * 100 / estimate.TotalSeconds));
            progress.SecondsRemaining = (int)Math.Ceiling((estimate - elapsed).TotalSeconds);
            progress.StatusDescription = string.Format(
                CultureInfo.InvariantCulture, "Deriving the key ({0}): {1:0.0} s of about {2:0.0} s", kdf, elapsed.TotalSeconds, estimate.TotalSeconds);
        }
        else
        {
            // Longer than the estimate (a busy machine): nearly done, for all anyone can tell.
            progress.PercentComplete = 99;
            progress.SecondsRemaining = 0;
            progress.StatusDescription = string.Format(
                CultureInfo.InvariantCulture, "Deriving the key ({0}): {1:0.0} s (estimated about {2:0.0} s)", kdf, elapsed.TotalSeconds, estimate.TotalSeconds);
        }
    }
}
