using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The Argon2id implementations the tests can run here: BouncyCastle always, and the native libargon2 when the machine
/// has one that passes the self-test (looked for as the module does; $env:SSOSECRET_ARGON2_LIBRARY=/nonexistent makes
/// this machine one without the library).
/// </summary>
internal static class TestArgon2
{
    private static readonly Lazy<(NativeArgon2? Provider, string Reason)> s_native = new(FindNative);
    private static readonly Lazy<(string? Path, string Reason)> s_badLibrary = new(BuildBadLibrary);

    /// <summary>The working native provider, or null (see <see cref="NativeUnavailableReason"/>).</summary>
    internal static NativeArgon2? Native => s_native.Value.Provider;

    internal static string NativeUnavailableReason => s_native.Value.Reason;

    /// <summary>Every provider present: BouncyCastle first.</summary>
    internal static IReadOnlyList<Argon2Provider> All =>
        Native is null ? new Argon2Provider[] { BouncyCastleArgon2.Instance } : new Argon2Provider[] { BouncyCastleArgon2.Instance, Native };

    /// <summary>A library that exports argon2_ctx and gives wrong answers (tests/Fixtures/BadArgon2), built here with cc; null without a compiler.</summary>
    internal static string? BadLibrary => s_badLibrary.Value.Path;

    internal static string BadLibraryUnavailableReason => s_badLibrary.Value.Reason;

    /// <summary>A native library every .NET installation has, which is not libargon2 (it has no argon2_ctx).</summary>
    internal static string LibraryWithoutArgon2 =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Path.Combine(Environment.SystemDirectory, "kernel32.dll")
        : Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "libSystem.Native.dylib" : "libSystem.Native.so");

    private static (NativeArgon2?, string) FindNative()
    {
        var reasons = new List<string>();
        var candidates = Argon2.Candidates(Environment.GetEnvironmentVariable(Argon2.LibraryVariable));
        foreach (string candidate in candidates)
        {
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                reasons.Add($"'{candidate}' does not exist");
                continue;
            }

            var provider = NativeArgon2.TryLoad(candidate, out string reason);
            if (provider is null)
            {
                reasons.Add(reason);
                continue;
            }

            string? failure = Argon2SelfTest.Run(provider);
            if (failure is null)
            {
                return (provider, string.Empty);
            }

            reasons.Add(provider.Description + " failed its self-test: " + failure);
        }

        return (null, "no native libargon2 on this machine (" + (reasons.Count == 0 ? "none is looked for on this platform" : string.Join("; ", reasons))
            + "); install libargon2-1 (Debian, Ubuntu) or argon2 (Homebrew) to run this test");
    }

    private static (string?, string) BuildBadLibrary()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return (null, "the wrong-answer library is built with cc, which Windows has not");
        }

        string source = Path.Combine(TestPaths.RepositoryRoot, "tests", "Fixtures", "BadArgon2", "bad-argon2.c");
        string output = Path.Combine(TestPaths.NewTemporaryFolder(), RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "libbadargon2.dylib" : "libbadargon2.so");
        try
        {
            using var compiler = Process.Start(new ProcessStartInfo("cc", $"-shared -fPIC -o \"{output}\" \"{source}\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string errors = compiler.StandardError.ReadToEnd();
            compiler.WaitForExit();
            return compiler.ExitCode == 0 && File.Exists(output) ? (output, string.Empty) : (null, "cc could not build the wrong-answer library: " + errors.Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "no C compiler (cc) to build the wrong-answer library tests/Fixtures/BadArgon2 (apt-get install gcc)");
        }
    }
}

/// <summary>A fact that needs the native libargon2: skipped, with the reason, on a machine without one.</summary>
public sealed class NativeArgon2FactAttribute : FactAttribute
{
    public NativeArgon2FactAttribute()
    {
        if (TestArgon2.Native is null)
        {
            Skip = TestArgon2.NativeUnavailableReason;
        }
    }
}

/// <summary>A theory that needs the native libargon2: skipped, with the reason, on a machine without one.</summary>
public sealed class NativeArgon2TheoryAttribute : TheoryAttribute
{
    public NativeArgon2TheoryAttribute()
    {
        if (TestArgon2.Native is null)
        {
            Skip = TestArgon2.NativeUnavailableReason;
        }
    }
}

/// <summary>A slow fact that needs the native libargon2: runs only when $env:SSOSECRET_SLOW_TESTS is 1.</summary>
public sealed class SlowNativeArgon2FactAttribute : FactAttribute
{
    public SlowNativeArgon2FactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SSOSECRET_SLOW_TESTS") != "1")
        {
            Skip = "slow (the 1 GiB Sensitive profile through both providers): set $env:SSOSECRET_SLOW_TESTS = '1' to run it";
        }
        else if (TestArgon2.Native is null)
        {
            Skip = TestArgon2.NativeUnavailableReason;
        }
    }
}

/// <summary>A fact that needs the wrong-answer library built from tests/Fixtures/BadArgon2: skipped without a C compiler.</summary>
public sealed class BadArgon2FactAttribute : FactAttribute
{
    public BadArgon2FactAttribute()
    {
        if (TestArgon2.BadLibrary is null)
        {
            Skip = TestArgon2.BadLibraryUnavailableReason;
        }
    }
}
