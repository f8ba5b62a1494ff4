using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SsoSecret.Loader;

/// <summary>
/// The load context that holds SsoSecret's cmdlets and their dependencies on PowerShell 7. It serves the assemblies
/// of the module's bin folder itself and leaves everything else (PowerShell, the .NET libraries) to the default
/// context, as "Resolving PowerShell module assembly dependency conflicts" in PowerShell's documentation describes.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    private static readonly object s_sync = new();
    private static LoadContext? s_instance;
    private static Assembly? s_module;

    private readonly string _folder;

    private LoadContext(string folder)
        : base("SsoSecret", isCollectible: false)
    {
        _folder = folder;
    }

    /// <summary>
    /// Loads the cmdlet assembly from <paramref name="folder"/> into the module's own context (once per process) and
    /// returns it, for Import-Module -Assembly.
    /// </summary>
    public static Assembly Initialize(string folder)
    {
        lock (s_sync)
        {
            if (s_module is null)
            {
                string full = Path.GetFullPath(folder);
                s_instance = new LoadContext(full);
                s_module = s_instance.LoadFromAssemblyPath(Path.Combine(full, "SsoSecret.dll"));
            }

            return s_module;
        }
    }

    /// <summary>The assembly of the types scripts name; it lives in the default context, shared by both.</summary>
    internal const string SharedTypesAssembly = "SsoSecret.Types";

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
        if (string.Equals(assemblyName.Name, SharedTypesAssembly, StringComparison.Ordinal))
        {
            // One copy for both contexts, so [SsoSecret.KdfParameters] in a script is the type the cmdlets take.
            return Default.LoadFromAssemblyPath(candidate);
        }

        // Only the module's own files; a name it does not ship falls through to the default context.
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
