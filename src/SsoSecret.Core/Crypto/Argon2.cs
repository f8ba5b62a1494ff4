using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using SsoSecret.Diagnostics;

namespace SsoSecret.Crypto;

/// <summary>
/// Which Argon2id implementation this process runs, chosen once, at the first derivation: a native libargon2 when the
/// system has one and it passes <see cref="Argon2SelfTest"/>, else the managed vectorized one (on .NET 8 and later:
/// PowerShell 7.4+) when it passes the same test, else BouncyCastle. <c>$env:SSOSECRET_KDF</c> forces a choice
/// (BouncyCastle; Managed or Native to require that one); <c>$env:SSOSECRET_ARGON2_LIBRARY</c> names the library file
/// to use instead of the platform's usual place.
/// </summary>
internal static class Argon2
{
    internal const string ProviderVariable = "SSOSECRET_KDF";
    internal const string LibraryVariable = "SSOSECRET_ARGON2_LIBRARY";
    internal const string Auto = "Auto";
    internal const string ManagedName = "Managed";

    private static readonly object s_lock = new();
    private static readonly AsyncLocal<Argon2Selection?> s_override = new();
    private static Argon2Selection? s_selection;

    /// <summary>
    /// The process's choice, made (library loaded, self-test run) on first use and kept. A choice that cannot be made
    /// (a forced Native without a working library, an unknown setting) throws <see cref="KdfUnavailableException"/>
    /// and is not kept, so that a corrected setting takes effect at the next call.
    /// </summary>
    internal static Argon2Selection Selection
    {
        get
        {
            var selection = Volatile.Read(ref s_selection);
            if (selection is not null)
            {
                return selection;
            }

            lock (s_lock)
            {
                s_selection ??= Select(Environment.GetEnvironmentVariable(ProviderVariable), Candidates(Environment.GetEnvironmentVariable(LibraryVariable)), LoadNative, ManagedProvider);
                return s_selection;
            }
        }
    }

    /// <summary>The managed vectorized implementation, where this build of the engine has one (.NET 8 and later), else null.</summary>
    internal static Argon2Provider? ManagedProvider =>
#if NET8_0_OR_GREATER
        Managed.ManagedArgon2.Instance;
#else
        null;
#endif

    /// <summary>What the calls on this logical thread run: <see cref="Use"/>'s provider, else the process's choice.</summary>
    internal static Argon2Selection Active => s_override.Value ?? Selection;

    /// <summary>Argon2id of the password, as the envelope calls it (no K, no X), counted in <see cref="KdfCounters"/>.</summary>
    internal static byte[] Derive(byte[] password, byte[] salt, KdfParameters kdf, int outputLength)
    {
        var provider = Active.Provider;
        var output = new byte[outputLength];
        var watch = Stopwatch.StartNew();
        provider.Hash(password, salt, null, null, kdf, output);
        KdfCounters.Record(provider.Name, watch.Elapsed);
        return output;
    }

    /// <summary>
    /// Runs this logical thread's derivations (and the tasks it starts) with the given provider until disposed: for
    /// the tests and the fuzz harness, which run the same inputs through every provider in one process.
    /// </summary>
    internal static IDisposable Use(Argon2Provider provider)
    {
        var previous = s_override.Value;
        s_override.Value = new Argon2Selection(provider, "chosen by the caller (a test)");
        return new Restore(previous);
    }

    /// <summary>Where a native library is looked for: the override when set, else the platform's usual place.</summary>
    internal static IReadOnlyList<string> Candidates(string? libraryOverride)
    {
        if (!string.IsNullOrWhiteSpace(libraryOverride))
        {
            return new[] { libraryOverride!.Trim() };
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            // Debian, Ubuntu (libargon2-1), Fedora (libargon2), Alpine (argon2-libs): found by the system loader by name.
            return new[] { "libargon2.so.1" };
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            // Homebrew (argon2): Apple silicon, then Intel. Full paths only: nothing from the current folder.
            return new[] { "/opt/homebrew/lib/libargon2.1.dylib", "/usr/local/lib/libargon2.1.dylib" };
        }

        // Windows has no system libargon2, and a bare name would be searched for in the current folder too: only a
        // library the user names is loaded.
        return Array.Empty<string>();
    }

    /// <summary>
    /// The choice for a setting of <c>$env:SSOSECRET_KDF</c> (null, Auto, BouncyCastle, Managed or Native, in any case),
    /// the candidate libraries, loaded with <paramref name="load"/>, and the managed implementation (null where there is
    /// none). Every native candidate, and the managed implementation, must pass the self-test.
    /// </summary>
    internal static Argon2Selection Select(string? setting, IReadOnlyList<string> candidates, Func<string, (Argon2Provider? Provider, string Reason)> load, Argon2Provider? managed)
    {
        string mode = string.IsNullOrWhiteSpace(setting) ? Auto : setting!.Trim();
        string variable = "$env:" + ProviderVariable;
        if (string.Equals(mode, BouncyCastleArgon2.ProviderName, StringComparison.OrdinalIgnoreCase))
        {
            return new Argon2Selection(BouncyCastleArgon2.Instance, $"{variable} is '{setting!.Trim()}'");
        }

        if (string.Equals(mode, ManagedName, StringComparison.OrdinalIgnoreCase))
        {
            if (managed is null)
            {
                throw new KdfUnavailableException(
                    $"{variable} is 'Managed', but the managed vectorized Argon2id needs .NET 8 or later (PowerShell 7.4 or later), and this is "
                    + $"{RuntimeInformation.FrameworkDescription}. Remove {variable} to use BouncyCastle.");
            }

            string? failure = Argon2SelfTest.Run(managed);
            if (failure is not null)
            {
                throw new KdfUnavailableException($"{variable} is 'Managed', but {managed.Description} failed its self-test ({failure}). Remove {variable} to use another implementation.");
            }

            return new Argon2Selection(managed, $"{variable} is 'Managed'; {managed.Description} passed its self-test");
        }

        bool required = string.Equals(mode, NativeArgon2.ProviderName, StringComparison.OrdinalIgnoreCase);
        if (!required && !string.Equals(mode, Auto, StringComparison.OrdinalIgnoreCase))
        {
            throw new KdfUnavailableException($"{variable} is '{setting}', which is not a KDF implementation: use Auto (or nothing), Native, Managed or BouncyCastle.");
        }

        var problems = new List<string>();
        foreach (string candidate in candidates)
        {
            var (provider, reason) = load(candidate);
            if (provider is null)
            {
                problems.Add(reason);
                continue;
            }

            string? failure = Argon2SelfTest.Run(provider);
            if (failure is null)
            {
                string passed = $"{provider.Description} passed its self-test";
                return new Argon2Selection(provider, required ? $"{variable} is 'Native'; {passed}" : passed);
            }

            problems.Add($"{provider.Description} failed its self-test ({failure})");
        }

        string why = candidates.Count == 0
            ? $"no libargon2 is looked for on this platform unless $env:{LibraryVariable} names one"
            : string.Join("; ", problems);
        if (required)
        {
            throw new KdfUnavailableException(
                $"{variable} is 'Native', but no native Argon2id can be used: {why}. Install libargon2 (Debian, Ubuntu: apt-get install libargon2-1; "
                + $"macOS: brew install argon2), or name the library with $env:{LibraryVariable}, or remove {variable} to use "
                + (managed is null ? "BouncyCastle." : "the managed Argon2id."));
        }

        string noNative = "no native libargon2 can be used (" + why + ")";
        if (managed is not null)
        {
            string? failure = Argon2SelfTest.Run(managed);
            if (failure is null)
            {
                return new Argon2Selection(managed, $"{noNative}; {managed.Description} passed its self-test");
            }

            noNative += $"; {managed.Description} failed its self-test ({failure})";
        }

        return new Argon2Selection(BouncyCastleArgon2.Instance, noNative);
    }

    /// <summary>Loads a candidate library as the process's choice does (a full path that does not exist is not handed to the loader).</summary>
    internal static (Argon2Provider? Provider, string Reason) LoadNative(string candidate)
    {
        if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
        {
            return (null, $"'{candidate}' does not exist");
        }

        var provider = NativeArgon2.TryLoad(candidate, out string reason);
        return (provider, reason);
    }

    private sealed class Restore : IDisposable
    {
        private readonly Argon2Selection? _previous;

        internal Restore(Argon2Selection? previous)
        {
            _previous = previous;
        }

        public void Dispose() => s_override.Value = _previous;
    }
}

/// <summary>An Argon2id implementation and why it was chosen, in words (for <c>Measure-SsoKdf</c> and verbose output).</summary>
internal sealed class Argon2Selection
{
    internal Argon2Selection(Argon2Provider provider, string reason)
    {
        Provider = provider;
        Reason = reason;
    }

    internal Argon2Provider Provider { get; }

    internal string Reason { get; }

    /// <summary>BouncyCastle, Managed or Native.</summary>
    internal string Name => Provider.Name;
}
