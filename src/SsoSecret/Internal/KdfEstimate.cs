using System;
using System.Diagnostics;
using SsoSecret.Crypto;

namespace SsoSecret.Internal;

/// <summary>
/// How long a KDF run should take on this machine, for the progress bar's time remaining. Argon2id's cost grows with
/// its work (memory times passes), divided among its lanes, which run in parallel on as many processors as there are
/// (BouncyCastle and the native libargon2 alike, <see cref="Crypto.Argon2"/>). The last run in this process (a backup written or opened, or Measure-SsoKdf)
/// gives the time, and the estimate scales it to the parameters at hand. Before any run has finished, a quick
/// calibration gives it instead: eight passes over 2 MiB with the run's own lanes, a twelfth of the Interactive
/// profile's work and next to none of its memory (measured on a busy 2-core machine, the time per KiB-pass of 2 MiB
/// over 8 passes and of 64 MiB over 3 passes agree within the run-to-run noise; only a first pass costs more). It is
/// run only once a KDF has taken long enough to show progress, so a short run pays nothing for it; it then shares the
/// machine with that run, each taking about half, so its time is halved.
/// </summary>
internal static class KdfEstimate
{
    private const int CalibrationMemoryKiB = 2 * 1024;
    private const int CalibrationIterations = 8;

    private static readonly object s_lock = new();
    private static KdfParameters? s_lastKdf;
    private static TimeSpan s_lastElapsed;

    /// <summary>Records a finished run: it is what the next estimates scale.</summary>
    internal static void Record(KdfParameters kdf, TimeSpan elapsed)
    {
        if (elapsed > TimeSpan.Zero)
        {
            lock (s_lock)
            {
                s_lastKdf = kdf;
                s_lastElapsed = elapsed;
            }
        }
    }

    /// <summary>The estimate for <paramref name="kdf"/> from the last recorded run, or null when none was recorded.</summary>
    internal static TimeSpan? Known(KdfParameters kdf)
    {
        lock (s_lock)
        {
            return s_lastKdf is null ? null : Scale(s_lastKdf, s_lastElapsed, kdf, Environment.ProcessorCount);
        }
    }

    /// <summary>
    /// The estimate for <paramref name="kdf"/>, called while that run is under way; calibrates first when no run was
    /// recorded yet in this process.
    /// </summary>
    internal static TimeSpan For(KdfParameters kdf)
    {
        if (Known(kdf) is TimeSpan known)
        {
            return known;
        }

        var calibration = new KdfParameters(CalibrationMemoryKiB, CalibrationIterations, kdf.Parallelism);
        var password = Primitives.RandomBytes(16);
        var salt = Primitives.RandomBytes(16);
        var output = new byte[32];
        var watch = Stopwatch.StartNew();

        // The provider itself, not Primitives.Argon2id: a calibration derives no key, so it stays out of KdfCounters
        // (the benchmark checks that each command runs the KDF exactly once), as the native library's self-test does.
        Crypto.Argon2.Active.Provider.Hash(password, salt, null, null, calibration, output);
        Memory.Zero(output);
        var alone = TimeSpan.FromTicks(watch.Elapsed.Ticks / 2);
        Record(calibration, alone);
        return Scale(calibration, alone, kdf, Environment.ProcessorCount);
    }

    /// <summary>
    /// A run of <paramref name="measured"/> that took <paramref name="elapsed"/>, scaled to <paramref name="target"/>
    /// on a machine of <paramref name="processors"/> processors: by the work each lane does where the lanes run side
    /// by side.
    /// </summary>
    internal static TimeSpan Scale(KdfParameters measured, TimeSpan elapsed, KdfParameters target, int processors) =>
        TimeSpan.FromSeconds(elapsed.TotalSeconds * Cost(target, processors) / Cost(measured, processors));

    private static double Cost(KdfParameters kdf, int processors) => (double)kdf.Work / Math.Max(1, Math.Min(kdf.Parallelism, processors));
}
