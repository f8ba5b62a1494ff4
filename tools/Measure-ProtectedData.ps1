<#
.SYNOPSIS
    Measures what one protect, unprotect, rewrap and header read of protected data costs in the Core, per call.
.DESCRIPTION
    For maintainers: a Stopwatch loop (no BenchmarkDotNet) over the Core's own methods, compiled into a small C# loop
    so that PowerShell's own overhead is not in the figure. Each figure is the median of -Runs runs of -Iterations
    calls, after a warm-up; beside it, HKDF-SHA256 alone (the key derivation every call makes) as the floor. This is
    information, not a goal check: the goal for the commands (issue 11) belongs in build.ps1 -Task Bench.
    Run after a build: dotnet pwsh ./tools/Measure-ProtectedData.ps1
#>
param(
    [string] $ModuleFolder = (Join-Path $PSScriptRoot '../out/SsoSecret'),
    [int] $Iterations = 20000,
    [int] $Runs = 5,
    [int] $ValueLength = 20
)

$ErrorActionPreference = 'Stop'
$bin = Join-Path $ModuleFolder 'bin'
[void][System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $bin 'isolated/BouncyCastle.Cryptography.dll')).Path)
$core = [System.Reflection.Assembly]::LoadFrom((Resolve-Path (Join-Path $bin 'isolated/SsoSecret.Core.dll')).Path)

Add-Type -TypeDefinition @'
using System;
using System.Diagnostics;
using System.Linq;
using System.Linq.Expressions;
using System.Reflection;

public static class ProtectedDataTiming
{
    private const BindingFlags Any = BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    // The Core's types are internal: compiled expressions call them without reflection on every call.
    public static double[] Measure(Assembly core, string operation, int iterations, int runs, int valueLength)
    {
        var pd = core.GetType("SsoSecret.ProtectedData", true);
        var keyType = core.GetType("SsoSecret.ProtectedDataKey", true);
        var ringType = core.GetType("SsoSecret.ProtectedDataKeyRing", true);
        var current = Activator.CreateInstance(keyType, Any, null, new object[] { Guid.NewGuid(), Enumerable.Repeat((byte)1, 32).ToArray() }, null);
        var previous = Activator.CreateInstance(keyType, Any, null, new object[] { Guid.NewGuid(), Enumerable.Repeat((byte)2, 32).ToArray() }, null);
        var keys = Array.CreateInstance(keyType, 1);
        keys.SetValue(previous, 0);
        var ring = Activator.CreateInstance(ringType, Any, null, new object[] { current, keys }, null);
        var previousOnly = Activator.CreateInstance(ringType, Any, null, new object[] { previous, Array.CreateInstance(keyType, 0) }, null);

        var r = Expression.Parameter(typeof(object));
        var s = Expression.Parameter(typeof(string));
        var b = Expression.Parameter(typeof(byte[]));
        var protect = Expression.Lambda<Func<object, string, byte[], string>>(
            Expression.Call(pd.GetMethod("Protect", Any, null, new[] { ringType, typeof(string), typeof(byte[]) }, null), Expression.Convert(r, ringType), s, b), r, s, b).Compile();
        var t = Expression.Parameter(typeof(string));
        var unprotect = Expression.Lambda<Func<object, string, string, byte[]>>(
            Expression.Call(pd.GetMethod("Unprotect", Any, null, new[] { ringType, typeof(string), typeof(string) }, null), Expression.Convert(r, ringType), s, t), r, s, t).Compile();
        var rewrap = Expression.Lambda<Func<object, string, string, object>>(
            Expression.Call(pd.GetMethod("Rewrap", Any), Expression.Convert(r, ringType), s, t), r, s, t).Compile();
        var readHeader = Expression.Lambda<Func<string, object>>(Expression.Call(pd.GetMethod("ReadHeader", Any), t), t).Compile();
        var primitives = core.GetType("SsoSecret.Crypto.Primitives", true);
        var ikm = Expression.Parameter(typeof(byte[]));
        var salt = Expression.Parameter(typeof(byte[]));
        var info = Expression.Parameter(typeof(byte[]));
        var hkdf = Expression.Lambda<Func<byte[], byte[], byte[], byte[]>>(
            Expression.Call(primitives.GetMethod("HkdfSha256", Any), ikm, salt, info, Expression.Constant(76)), ikm, salt, info).Compile();

        var value = new byte[valueLength];
        string text = protect(ring, "billing/db-password", value);
        string underPrevious = protect(previousOnly, "billing/db-password", value);
        var secret = new byte[32];
        var saltBytes = new byte[16];
        var infoBytes = new byte[88];
        Action call = operation switch
        {
            "Protect" => () => protect(ring, "billing/db-password", value),
            "Unprotect" => () => unprotect(ring, "billing/db-password", text),
            "Rewrap" => () => rewrap(ring, "billing/db-password", underPrevious),
            "ReadHeader" => () => readHeader(text),
            "HKDF-SHA256 alone" => () => hkdf(secret, saltBytes, infoBytes),
            _ => throw new ArgumentException(operation),
        };

        // Warm up for half a second at least, so that tiered compilation has finished with every method measured.
        var warmUp = Stopwatch.StartNew();
        for (int i = 0; i < iterations / 5 || warmUp.ElapsedMilliseconds < 500; i++)
        {
            call();
        }

        // Wall time per call in the first half, the process's CPU time per call in the second: on a shared machine the
        // wall time includes waiting for a core, the CPU time does not.
        var perCall = new double[2 * runs];
        var process = Process.GetCurrentProcess();
        for (int run = 0; run < runs; run++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                call();
            }

            perCall[run] = watch.Elapsed.TotalMilliseconds * 1000 / iterations;
            process.Refresh();
            perCall[runs + run] = (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / iterations;
        }

        return perCall;
    }
}
'@

function Median([double[]] $values) { ($values | Sort-Object)[[int][math]::Floor($values.Count / 2)] }

foreach ($operation in 'HKDF-SHA256 alone', 'Protect', 'Unprotect', 'Rewrap', 'ReadHeader') {
    $measured = [ProtectedDataTiming]::Measure($core, $operation, $Iterations, $Runs, $ValueLength)
    $wall = $measured[0..($Runs - 1)]
    $cpu = $measured[$Runs..(2 * $Runs - 1)]
    [pscustomobject]@{
        Operation           = $operation
        'Wall median (µs)'  = [math]::Round((Median $wall), 2)
        'Wall min (µs)'     = [math]::Round(($wall | Measure-Object -Minimum).Minimum, 2)
        'CPU median (µs)'   = [math]::Round((Median $cpu), 2)
        Calls               = "$Runs x $Iterations"
        'Value (bytes)'     = $ValueLength
    }
}
