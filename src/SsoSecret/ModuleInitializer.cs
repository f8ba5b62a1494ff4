using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace SsoSecret;

/// <summary>
/// Runs when PowerShell imports the module (SsoSecret.dll is its root module), before any command runs: it makes the
/// engine (SsoSecret.Core, with BouncyCastle) loadable. The engine is built twice: for .NET Standard 2.0 in bin/isolated
/// and for .NET 8 (with the vectorized managed Argon2id) in bin/isolated/net8.0. On PowerShell 7 the .NET 8 engine goes
/// to a load context of its own (SsoSecret.Loader); on Windows PowerShell 5.1, which has no load contexts and runs on
/// .NET Framework, the .NET Standard one is loaded from bin/isolated as it is asked for.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    /// <summary>The folder below bin that holds the engine and its dependencies.</summary>
    internal const string IsolatedFolder = "isolated";

    /// <summary>The folder below <see cref="IsolatedFolder"/> that holds the .NET 8 engine, PowerShell 7's.</summary>
    internal const string ModernFolder = "net8.0";

    private static int s_installed;

    /// <inheritdoc/>
    public void OnImport()
    {
        // Once per process: a later import (-Force, another runspace) finds the engine loadable already.
        if (Interlocked.Exchange(ref s_installed, 1) == 1)
        {
            return;
        }

        string bin = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        string folder = Path.Combine(bin, IsolatedFolder);
        if (!Directory.Exists(folder))
        {
            // A flat layout (the engine beside the cmdlets, as the test projects build it): loaded as any dependency is.
            return;
        }

        if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
        {
            AppDomain.CurrentDomain.AssemblyResolve += (_, e) =>
            {
                string candidate = Path.Combine(folder, new AssemblyName(e.Name).Name + ".dll");
                return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
            };
            return;
        }

        // SsoSecret.Loader targets .NET 8 (AssemblyLoadContext); this assembly targets .NET Standard 2.0, so it calls it
        // through reflection, once.
        var loader = Assembly.LoadFrom(Path.Combine(bin, "SsoSecret.Loader.dll"));
        var install = loader.GetType("SsoSecret.Loader.LoadContext", throwOnError: true)!.GetMethod("Install", BindingFlags.Public | BindingFlags.Static)!;
        string modern = Path.Combine(folder, ModernFolder);
        install.Invoke(null, new object[] { Directory.Exists(modern) ? modern : folder, bin });
    }
}
