using System;
using System.ComponentModel;
using System.Threading;

namespace SsoSecret.Diagnostics;

/// <summary>
/// How many times this process has run Argon2id, how long the last run took and which implementation ran it: read by
/// the benchmark (tools/Bench.ps1), which checks that each command runs the KDF once and subtracts the KDF's own time
/// from a command's. This assembly is loaded where scripts see it, so the benchmark reads these without reflection.
/// A diagnostic, not part of the module's interface: it may change in any version.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KdfCounters
{
    private static int s_runs;
    private static long s_lastTicks;
    private static string? s_lastImplementation;

    /// <summary>Argon2id runs in this process (the native library's load-time self-test not counted).</summary>
    public static int Runs => Volatile.Read(ref s_runs);

    /// <summary>How long the last run took.</summary>
    public static TimeSpan LastDuration => TimeSpan.FromTicks(Interlocked.Read(ref s_lastTicks));

    /// <summary>The implementation of the last run: BouncyCastle or Native; null before the first.</summary>
    public static string? LastImplementation => Volatile.Read(ref s_lastImplementation);

    internal static void Record(string implementation, TimeSpan duration)
    {
        Interlocked.Exchange(ref s_lastTicks, duration.Ticks);
        Volatile.Write(ref s_lastImplementation, implementation);
        Interlocked.Increment(ref s_runs);
    }
}
