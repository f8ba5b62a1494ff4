using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SsoSecret.IO;

/// <summary>
/// Unix permission bits. The module is built for netstandard2.0, which has no API for them; the runtimes that host
/// the module on Unix (.NET 8 and later, under PowerShell 7.4+) do, so they are reached by reflection.
/// </summary>
internal static class UnixFileMode
{
    internal const int OwnerOnlyFile = 0x180;      // 0600
    internal const int OwnerOnlyDirectory = 0x1C0; // 0700
    internal const int GroupAndOther = 0x3F;       // 0077

    private static readonly MethodInfo? s_get = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });
    private static readonly MethodInfo? s_set = s_get is null ? null : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), s_get.ReturnType });

    internal static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>The permission bits of a file or directory (the low 12 bits of st_mode).</summary>
    internal static int Get(string path)
    {
        var get = s_get ?? throw new PlatformNotSupportedException("This .NET runtime cannot read Unix file permissions; SsoSecret needs PowerShell 7.4 or later on Linux and macOS.");
        try
        {
            return Convert.ToInt32(get.Invoke(null, new object[] { path }), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    internal static void Set(string path, int mode)
    {
        var set = s_set ?? throw new PlatformNotSupportedException("This .NET runtime cannot set Unix file permissions; SsoSecret needs PowerShell 7.4 or later on Linux and macOS.");
        try
        {
            set.Invoke(null, new[] { path, Enum.ToObject(s_get!.ReturnType, mode) });
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    /// <summary>True when the process runs as root on Unix.</summary>
    internal static bool IsRoot => IsUnix && GetEffectiveUserId() == 0;
}
