using System;
using System.Globalization;

namespace SsoSecret;

/// <summary>The named Argon2id cost profiles a backup can be written with.</summary>
public enum KdfProfile
{
    /// <summary>64 MiB, 3 passes, 4 lanes: RFC 9106's recommendation where memory is tight, and the floor.</summary>
    Interactive,

    /// <summary>256 MiB, 3 passes, 4 lanes: the default.</summary>
    Moderate,

    /// <summary>1 GiB, 4 passes, 4 lanes.</summary>
    Sensitive,
}

/// <summary>Argon2id cost parameters, as recorded in a backup's header.</summary>
public sealed class KdfParameters : IEquatable<KdfParameters>
{
    /// <summary>The most lanes a backup may ask for.</summary>
    public const int MaxParallelism = 16;

    /// <summary>Creates parameters; the numbers are checked against Argon2's own rules.</summary>
    public KdfParameters(int memoryKiB, int iterations, int parallelism)
    {
        if (parallelism < 1 || parallelism > MaxParallelism)
        {
            throw new ArgumentOutOfRangeException(nameof(parallelism), parallelism, $"Parallelism must be between 1 and {MaxParallelism}.");
        }

        if (iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Iterations must be at least 1.");
        }

        if (memoryKiB < 8 * parallelism)
        {
            throw new ArgumentOutOfRangeException(nameof(memoryKiB), memoryKiB, "Memory must be at least 8 KiB for each lane.");
        }

        MemoryKiB = memoryKiB;
        Iterations = iterations;
        Parallelism = parallelism;
    }

    /// <summary>Memory in KiB (Argon2's m).</summary>
    public int MemoryKiB { get; }

    /// <summary>Passes over the memory (Argon2's t).</summary>
    public int Iterations { get; }

    /// <summary>Lanes (Argon2's p).</summary>
    public int Parallelism { get; }

    /// <summary>Memory in MiB, for display.</summary>
    public double MemoryMiB => MemoryKiB / 1024.0;

    /// <summary>The work the parameters ask for, in KiB-passes: what the reader's time limit is set on.</summary>
    public long Work => (long)MemoryKiB * Iterations;

    /// <summary>The parameters of a named profile.</summary>
    public static KdfParameters FromProfile(KdfProfile profile) => profile switch
    {
        KdfProfile.Interactive => new KdfParameters(64 * 1024, 3, 4),
        KdfProfile.Moderate => new KdfParameters(256 * 1024, 3, 4),
        KdfProfile.Sensitive => new KdfParameters(1024 * 1024, 4, 4),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unknown KDF profile."),
    };

    /// <summary>The profile used when none is named.</summary>
    public static KdfProfile DefaultProfile => KdfProfile.Moderate;

    /// <summary>
    /// True when these parameters are at least as strong as the <see cref="KdfProfile.Interactive"/> floor: no less
    /// memory and no fewer passes.
    /// </summary>
    public bool MeetsFloor
    {
        get
        {
            var floor = FromProfile(KdfProfile.Interactive);
            return MemoryKiB >= floor.MemoryKiB && Iterations >= floor.Iterations;
        }
    }

    /// <inheritdoc/>
    public bool Equals(KdfParameters? other) =>
        other is not null && other.MemoryKiB == MemoryKiB && other.Iterations == Iterations && other.Parallelism == Parallelism;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as KdfParameters);

    /// <inheritdoc/>
    public override int GetHashCode() => (MemoryKiB * 31 + Iterations) * 31 + Parallelism;

    /// <summary>For example "Argon2id m=256 MiB t=3 p=4".</summary>
    public override string ToString()
    {
        string memory = MemoryKiB % 1024 == 0
            ? (MemoryKiB / 1024).ToString(CultureInfo.InvariantCulture) + " MiB"
            : MemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB";
        return string.Format(CultureInfo.InvariantCulture, "Argon2id m={0} t={1} p={2}", memory, Iterations, Parallelism);
    }
}

/// <summary>
/// What a reader is willing to spend on a backup's KDF. The numbers in a backup's header are chosen by whoever wrote
/// the file, so they are checked against these limits before any memory is allocated.
/// </summary>
public sealed class KdfLimits
{
    /// <summary>Limits no larger than the <see cref="KdfProfile.Sensitive"/> profile: the default.</summary>
    public static KdfLimits Default { get; } = new(KdfParameters.FromProfile(KdfProfile.Sensitive).MemoryKiB, KdfParameters.FromProfile(KdfProfile.Sensitive).Work);

    /// <summary>Creates limits.</summary>
    public KdfLimits(int maxMemoryKiB, long maxWork)
    {
        MaxMemoryKiB = maxMemoryKiB;
        MaxWork = maxWork;
    }

    /// <summary>The most KDF memory, in KiB, a reader allocates.</summary>
    public int MaxMemoryKiB { get; }

    /// <summary>The most work (memory in KiB times passes) a reader does: this bounds the time.</summary>
    public long MaxWork { get; }

    /// <summary>Limits that allow <paramref name="maxMemoryMiB"/> MiB, and the work of 4 passes over it.</summary>
    public static KdfLimits FromMemoryMiB(int maxMemoryMiB)
    {
        if (maxMemoryMiB < 1 || maxMemoryMiB > 16 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMemoryMiB), maxMemoryMiB, "The memory limit must be between 1 MiB and 16 GiB.");
        }

        int kib = maxMemoryMiB * 1024;
        return new KdfLimits(kib, Math.Max(Default.MaxWork, (long)kib * 4));
    }

    /// <summary>True when the parameters are within these limits.</summary>
    public bool Allows(KdfParameters kdf) => kdf.MemoryKiB <= MaxMemoryKiB && kdf.Work <= MaxWork;
}
