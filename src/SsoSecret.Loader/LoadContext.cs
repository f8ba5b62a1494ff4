using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SsoSecret.Loader;

/// <summary>
/// The load context that holds SsoSecret's engine (SsoSecret.Core) and its dependencies (BouncyCastle above all) on
/// PowerShell 7, so that another module's copy of the same assembly, of any version, loaded before or after, can
/// neither break SsoSecret nor be broken by it. The cmdlets themselves (SsoSecret.dll, the module's root) and the types
/// scripts name (SsoSecret.Types.dll) stay in the default context, where PowerShell finds them without a script
/// module around them: a binary root module imports about 100 ms faster than a .psm1 that loads one. This is the
/// "engine in its own context" pattern of "Resolving PowerShell module assembly dependency conflicts" in PowerShell's
/// documentation: the engine and its dependencies live in a folder of their own (bin/isolated), where neither
/// PowerShell's probing nor the default context looks, and the default context is given the engine only, through its
/// Resolving event.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    /// <summary>The engine: the one assembly the default context is given from this context.</summary>
    public const string EngineAssembly = "SsoSecret.Core";

    /// <summary>The types shared with scripts, which this context takes from the default context.</summary>
    internal const string SharedTypesAssembly = "SsoSecret.Types";

    private static readonly object s_sync = new();
    private static LoadContext? s_instance;

    private readonly string _folder;
    private readonly string _sharedFolder;

    private LoadContext(string folder, string sharedFolder)
        : base("SsoSecret", isCollectible: false)
    {
        _folder = folder;
        _sharedFolder = sharedFolder;
    }

    /// <summary>
    /// Creates the context for the engine in <paramref name="folder"/> (once per process: a later import, -Force or in
    /// another runspace, finds it made), loads the engine into it, and lets the default context resolve the engine's
    /// name to it. <paramref name="sharedFolder"/> holds SsoSecret.Types.dll, shared with the default context.
    /// </summary>
    public static void Install(string folder, string sharedFolder)
    {
        lock (s_sync)
        {
            if (s_instance is not null)
            {
                return;
            }

            var context = new LoadContext(Path.GetFullPath(folder), Path.GetFullPath(sharedFolder));
            var engine = context.LoadFromAssemblyPath(Path.Combine(context._folder, EngineAssembly + ".dll"));
            Default.Resolving += (_, name) => string.Equals(name.Name, EngineAssembly, StringComparison.Ordinal) ? engine : null;
            s_instance = context;
        }
    }

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (string.Equals(assemblyName.Name, SharedTypesAssembly, StringComparison.Ordinal))
        {
            // One copy of the shared types, the default context's: an exception or an output object made here is the
            // type a script names.
            foreach (var loaded in Default.Assemblies)
            {
                if (string.Equals(loaded.GetName().Name, SharedTypesAssembly, StringComparison.Ordinal))
                {
                    return loaded;
                }
            }

            return Default.LoadFromAssemblyPath(Path.Combine(_sharedFolder, SharedTypesAssembly + ".dll"));
        }

        // The engine's own dependencies come from its folder; everything else (the .NET libraries) from the default context.
        string candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
