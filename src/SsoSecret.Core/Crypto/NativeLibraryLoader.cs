using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SsoSecret.Crypto;

/// <summary>
/// Loads a native library and finds its exports, from a netstandard2.0 assembly that runs on PowerShell 7 (.NET, where
/// <c>System.Runtime.InteropServices.NativeLibrary</c> exists but netstandard2.0 cannot name it) and on Windows
/// PowerShell 5.1 (.NET Framework, where only LoadLibrary and GetProcAddress exist).
/// </summary>
internal static class NativeLibraryLoader
{
    // NativeLibrary (.NET Core 3.0+) is reached by reflection: it uses the platform's own loader (dlopen on Linux, glibc
    // or musl, and macOS; LoadLibraryEx on Windows) and needs no guess at which libc exports dlopen.
    private static readonly Type? s_nativeLibrary = typeof(Marshal).Assembly.GetType("System.Runtime.InteropServices.NativeLibrary");
    private static readonly MethodInfo? s_load = s_nativeLibrary?.GetMethod("Load", new[] { typeof(string) });
    private static readonly MethodInfo? s_tryGetExport = s_nativeLibrary?.GetMethod("TryGetExport", new[] { typeof(IntPtr), typeof(string), typeof(IntPtr).MakeByRefType() });

    /// <summary>Loads the library (a file path or a name the system loader resolves). Throws <see cref="DllNotFoundException"/> with the loader's reason.</summary>
    internal static IntPtr Load(string nameOrPath)
    {
        if (s_load is not null)
        {
            try
            {
                return (IntPtr)s_load.Invoke(null, new object[] { nameOrPath })!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new DllNotFoundException(e.InnerException.Message, e.InnerException);
            }
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            // .NET Framework: the full path given is loaded as it is, with its own folder searched for its dependencies.
            const uint LoadWithAlteredSearchPath = 0x00000008;
            var handle = LoadLibraryEx(nameOrPath, IntPtr.Zero, Path.IsPathRooted(nameOrPath) ? LoadWithAlteredSearchPath : 0);
            if (handle == IntPtr.Zero)
            {
                throw new DllNotFoundException($"LoadLibraryEx failed with error {Marshal.GetLastWin32Error()}.");
            }

            return handle;
        }

        throw new DllNotFoundException("This runtime cannot load native libraries by path.");
    }

    /// <summary>The address of an exported function, or <see cref="IntPtr.Zero"/> when the library has no such export.</summary>
    internal static IntPtr GetExport(IntPtr library, string name)
    {
        if (s_tryGetExport is not null)
        {
            var arguments = new object[] { library, name, IntPtr.Zero };
            return (bool)s_tryGetExport.Invoke(null, arguments)! ? (IntPtr)arguments[2] : IntPtr.Zero;
        }

        return GetProcAddress(library, name);
    }

    /// <summary>
    /// Where the system loader found a library it was given by name (Linux: from /proc/self/maps), for the reason
    /// <c>Measure-SsoKdf</c> shows; null when it cannot tell.
    /// </summary>
    internal static string? FindLoadedPath(string fileNamePrefix)
    {
        const string maps = "/proc/self/maps";
        try
        {
            if (!File.Exists(maps))
            {
                return null;
            }

            foreach (string line in File.ReadLines(maps))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && Path.GetFileName(line.Substring(slash)).StartsWith(fileNamePrefix, StringComparison.Ordinal))
                {
                    return line.Substring(slash).Trim();
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }

        return null;
    }

    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern IntPtr LoadLibraryEx(string fileName, IntPtr reserved, uint flags);

    [DllImport("kernel32.dll", CharSet = CharSet.Ansi, BestFitMapping = false, ExactSpelling = true, SetLastError = true)]
    private static extern IntPtr GetProcAddress(IntPtr module, string procName);
}
