using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using SsoSecret.Crypto;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Times Argon2id on this machine, per profile, and proposes parameters that take about a given time, as cryptsetup benchmarks its KDF.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "SsoKdf", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(SsoKdfMeasurement))]
public sealed class MeasureSsoKdfCommand : SsoSecretCommandBase
{
    private const string ProfileSet = "Profile";
    private const string TargetSet = "Target";
    private const string ParametersSet = "Parameters";
    private const int MaximumIterations = 64;

    /// <summary>The profiles to time (default: all three).</summary>
    [Parameter(ParameterSetName = ProfileSet, Position = 0)]
    public KdfProfile[] Profile { get; set; } = { KdfProfile.Interactive, KdfProfile.Moderate, KdfProfile.Sensitive };

    /// <summary>Times these explicit parameters (any valid ones: a measurement writes nothing).</summary>
    [Parameter(ParameterSetName = ParametersSet, Mandatory = true)]
    [KdfParametersTransformation]
    public KdfParameters? KdfParameters { get; set; }

    /// <summary>Proposes parameters whose KDF takes about this long here (at least the Interactive floor).</summary>
    [Parameter(ParameterSetName = TargetSet, Mandatory = true)]
    public TimeSpan TargetTime { get; set; }

    /// <summary>The most memory a proposal may use, in MiB (default 1024, the Sensitive profile; at least 64).</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [ValidateRange(64, 16384)]
    public int MaximumMemoryMiB { get; set; } = 1024;

    /// <summary>Lanes for a proposal (default 4, as the profiles).</summary>
    [Parameter(ParameterSetName = TargetSet)]
    [ValidateRange(1, KdfParameters.MaxParallelism)]
    public int Parallelism { get; set; } = 4;

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (ParameterSetName == ProfileSet)
        {
            Run(
                () =>
                {
                    foreach (var profile in Profile)
                    {
                        WriteObject(Measure(profile.ToString(), KdfParameters.FromProfile(profile)));
                    }
                },
                terminating: true);
            return;
        }

        if (ParameterSetName == ParametersSet)
        {
            Run(() => WriteObject(Measure("Custom", KdfParameters!)), terminating: true);
            return;
        }

        Run(() => WriteObject(Propose()), terminating: true);
    }

    private SsoKdfMeasurement Propose()
    {
        var floor = KdfParameters.FromProfile(KdfProfile.Interactive);
        if (TargetTime <= TimeSpan.Zero)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidTargetTime, $"The target time must be positive; {TargetTime} is not.");
        }

        // One pass over the most memory allowed tells the cost of a pass here; then passes are added up to the target,
        // or, when even the floor's passes take too long, memory is taken away (never below the floor).
        int memoryKiB = MaximumMemoryMiB * 1024;
        var onePass = Time(new KdfParameters(memoryKiB, 1, Parallelism));
        double passes = TargetTime.TotalMilliseconds / Math.Max(1, onePass.TotalMilliseconds);
        int iterations;
        if (passes >= floor.Iterations)
        {
            iterations = (int)Math.Min(MaximumIterations, Math.Round(passes));
        }
        else
        {
            iterations = floor.Iterations;
            long scaled = (long)(memoryKiB * passes / floor.Iterations);
            memoryKiB = (int)Math.Max(floor.MemoryKiB, scaled / 1024 * 1024);
        }

        var proposal = new KdfParameters(memoryKiB, iterations, Parallelism);
        var measured = Time(proposal);
        if (measured > TargetTime + TargetTime)
        {
            WriteWarning($"Even the floor ({proposal}) takes {measured.TotalSeconds:0.0} s here, more than twice the target.");
        }

        return Measured("Proposed", proposal, measured);
    }

    private SsoKdfMeasurement Measure(string name, KdfParameters kdf) => Measured(name, kdf, Time(kdf));

    /// <summary>The measurement, with the implementation that ran it (the process's choice, made by the first run).</summary>
    private static SsoKdfMeasurement Measured(string name, KdfParameters kdf, TimeSpan duration)
    {
        var implementation = Argon2.Active;
        return new SsoKdfMeasurement(name, kdf, duration, implementation.Name, implementation.Reason);
    }

    private TimeSpan Time(KdfParameters kdf)
    {
        var password = Primitives.RandomBytes(16);
        var salt = Primitives.RandomBytes(16);
        return KdfRunner.Run(this, "Measuring Argon2id", kdf, () =>
        {
            var watch = Stopwatch.StartNew();
            Memory.Zero(Primitives.Argon2id(password, salt, kdf, 32));
            return watch.Elapsed;
        });
    }
}
