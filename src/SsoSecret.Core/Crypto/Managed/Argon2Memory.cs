using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace SsoSecret.Crypto.Managed;

/// <summary>
/// The memory of one derivation, in one allocation outside the garbage collector's heap: on Linux a mapping aligned to
/// 2 MiB and marked for transparent huge pages (<see cref="HugePageMapping"/>, as the native path has it); on Windows
/// large pages where the account holds the "Lock pages in memory" privilege (SeLockMemoryPrivilege), else ordinary
/// pages; elsewhere, or when those fail, an aligned block from the C heap. Wiped before it is given back, as libargon2
/// wipes its own.
/// </summary>
internal sealed unsafe class Argon2Memory : IDisposable
{
    private const nuint CacheLine = 64;
    private readonly Kind _kind;
    private readonly long _size;
    private byte* _pointer;

    private Argon2Memory(byte* pointer, long size, Kind kind)
    {
        _pointer = pointer;
        _size = size;
        _kind = kind;
    }

    private enum Kind
    {
        Heap,
        Mapping,
        WindowsPages,
    }

    /// <summary>The first word.</summary>
    internal ulong* Words => (ulong*)_pointer;

    /// <summary>Allocates <paramref name="size"/> bytes; an <see cref="OutOfMemoryException"/> when the system has not that much.</summary>
    internal static Argon2Memory Allocate(long size)
    {
        IntPtr mapped = HugePageMapping.TryMap(size);
        if (mapped != IntPtr.Zero)
        {
            return new Argon2Memory((byte*)mapped, size, Kind.Mapping);
        }

        if (OperatingSystem.IsWindows())
        {
            byte* pages = WindowsLargePages.TryAllocate(size, out long allocated);
            if (pages is not null)
            {
                return new Argon2Memory(pages, allocated, Kind.WindowsPages);
            }
        }

        return new Argon2Memory((byte*)NativeMemory.AlignedAlloc((nuint)size, CacheLine), size, Kind.Heap);
    }

    /// <summary>Wipes the memory, then frees it.</summary>
    public void Dispose()
    {
        byte* pointer = _pointer;
        if (pointer is null)
        {
            return;
        }

        _pointer = null;
        for (long done = 0; done < _size;)
        {
            int chunk = (int)Math.Min(_size - done, 1 << 30);
            new Span<byte>(pointer + done, chunk).Clear();
            done += chunk;
        }

        // The wipe above must not be seen as a dead store before the free.
        Thread.MemoryBarrier();
        switch (_kind)
        {
            case Kind.Mapping:
                HugePageMapping.Release((IntPtr)pointer, _size);
                break;
            case Kind.WindowsPages:
                WindowsLargePages.Free(pointer);
                break;
            default:
                NativeMemory.AlignedFree(pointer);
                break;
        }
    }

    /// <summary>
    /// Large pages on Windows: the privilege is enabled in the process's token once, when the account holds it (nothing
    /// changes when it does not), and each allocation asks for large pages, falling back to ordinary memory when the
    /// system cannot give them (not held, or no contiguous physical memory left).
    /// </summary>
    private static class WindowsLargePages
    {
        private const uint MemCommit = 0x1000;
        private const uint MemReserve = 0x2000;
        private const uint MemRelease = 0x8000;
        private const uint MemLargePages = 0x20000000;
        private const uint PageReadWrite = 0x04;
        private const uint TokenAdjustPrivileges = 0x20;
        private const uint TokenQuery = 0x08;
        private const uint PrivilegeEnabled = 0x2;
        private const int ErrorNotAllAssigned = 1300;

        private static readonly Lazy<long> s_minimum = new(EnableAndMeasure);

        internal static byte* TryAllocate(long size, out long allocated)
        {
            allocated = 0;
            long page = s_minimum.Value;
            if (page <= 0)
            {
                return null;
            }

            long rounded = (size + page - 1) / page * page;
            var pointer = VirtualAlloc(IntPtr.Zero, (nuint)rounded, MemCommit | MemReserve | MemLargePages, PageReadWrite);
            if (pointer == IntPtr.Zero)
            {
                return null;
            }

            allocated = rounded;
            return (byte*)pointer;
        }

        internal static void Free(byte* pointer) => VirtualFree((IntPtr)pointer, 0, MemRelease);

        /// <summary>The large page size when the privilege is held and now enabled, else 0 (no large pages).</summary>
        private static long EnableAndMeasure()
        {
            try
            {
                long minimum = (long)GetLargePageMinimum();
                if (minimum <= 0 || !OpenProcessToken(GetCurrentProcess(), TokenAdjustPrivileges | TokenQuery, out IntPtr token))
                {
                    return 0;
                }

                try
                {
                    if (!LookupPrivilegeValue(null, "SeLockMemoryPrivilege", out long luid))
                    {
                        return 0;
                    }

                    var privileges = new TokenPrivileges { Count = 1, Luid = luid, Attributes = PrivilegeEnabled };
                    bool adjusted = AdjustTokenPrivileges(token, false, ref privileges, 0, IntPtr.Zero, IntPtr.Zero);
                    return adjusted && Marshal.GetLastWin32Error() != ErrorNotAllAssigned ? minimum : 0;
                }
                finally
                {
                    CloseHandle(token);
                }
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return 0;
            }
        }

        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        private struct TokenPrivileges
        {
            public uint Count;
            public long Luid;
            public uint Attributes;
        }

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern IntPtr VirtualAlloc(IntPtr address, nuint size, uint type, uint protect);

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool VirtualFree(IntPtr address, nuint size, uint type);

        [DllImport("kernel32.dll")]
        private static extern nuint GetLargePageMinimum();

        [DllImport("kernel32.dll")]
        private static extern IntPtr GetCurrentProcess();

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool CloseHandle(IntPtr handle);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool OpenProcessToken(IntPtr process, uint access, out IntPtr token);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode, EntryPoint = "LookupPrivilegeValueW")]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool LookupPrivilegeValue(string? system, string name, out long luid);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool AdjustTokenPrivileges(IntPtr token, [MarshalAs(UnmanagedType.Bool)] bool disableAll, ref TokenPrivileges state, uint length, IntPtr previous, IntPtr returned);
    }
}
