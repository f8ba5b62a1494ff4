using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Threading.Tasks;

namespace SsoSecret.Internal;

/// <summary>
/// Runs KDF-bound work on a worker thread and, once it has taken longer than a second, reports progress from the
/// pipeline thread (the only one a cmdlet may write from). The work itself is not slowed.
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
        var progress = new ProgressRecord(0x550, activity, kdf.ToString());
        bool shown = false;
        // Task.WaitAny does not throw when the work fails (Task.Wait would wrap the failure in an AggregateException);
        // GetResult below rethrows the work's own exception, so callers see it as it was thrown.
        while (Task.WaitAny(new Task[] { task }, 100) < 0)
        {
            if (watch.Elapsed >= s_progressDelay)
            {
                progress.StatusDescription = string.Format(CultureInfo.InvariantCulture, "Deriving the key ({0}): {1:0.0} s", kdf, watch.Elapsed.TotalSeconds);
                cmdlet.WriteProgress(progress);
                shown = true;
            }
        }

        if (shown)
        {
            progress.RecordType = ProgressRecordType.Completed;
            cmdlet.WriteProgress(progress);
        }

        cmdlet.WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0}: done in {1:0} ms.", activity, watch.Elapsed.TotalMilliseconds));
        return task.GetAwaiter().GetResult();
    }
}
