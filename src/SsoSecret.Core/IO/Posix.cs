using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SsoSecret.IO;

/// <summary>What kind of file system entry a path names.</summary>
internal enum PosixFileType
{
    Other,
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}

/// <summary>The parts of a stat(2) answer SsoSecret decides on.</summary>
internal readonly struct PosixFileStatus
{
    internal PosixFileStatus(int mode, uint owner, ulong device, ulong inode, long size, uint group = 0, uint links = 1, long modified = 0, long changed = 0)
    {
        Mode = mode;
        Owner = owner;
        Group = group;
        Device = device;
        Inode = inode;
        Size = size;
        Links = links;
        Modified = modified;
        Changed = changed;
    }

    /// <summary>st_mode: the type bits and the permission bits.</summary>
    internal int Mode { get; }

    /// <summary>The permission bits (the low 12 bits of st_mode: set-id, sticky, rwx for owner, group, others).</summary>
    internal int Permissions => Mode & 0xFFF;

    internal uint Owner { get; }

    /// <summary>The owning group (st_gid).</summary>
    internal uint Group { get; }

    internal ulong Device { get; }

    internal ulong Inode { get; }

    internal long Size { get; }

    /// <summary>How many names (hard links) the file has (st_nlink).</summary>
    internal uint Links { get; }

    /// <summary>When the content was last changed (st_mtime), in nanoseconds since 1970.</summary>
    internal long Modified { get; }

    /// <summary>When the file's content or status was last changed (st_ctime, which no call can set back), in nanoseconds since 1970.</summary>
    internal long Changed { get; }

    internal PosixFileType Type => (Mode & 0xF000) switch
    {
        0x8000 => PosixFileType.Regular,
        0x4000 => PosixFileType.Directory,
        0xA000 => PosixFileType.SymbolicLink,
        0x1000 => PosixFileType.Fifo,
        0x2000 => PosixFileType.CharacterDevice,
        0x6000 => PosixFileType.BlockDevice,
        0xC000 => PosixFileType.Socket,
        _ => PosixFileType.Other,
    };

    /// <summary>True when both name the same file (device and inode).</summary>
    internal bool SameFileAs(PosixFileStatus other) => Device == other.Device && Inode == other.Inode;

    /// <summary>True when both are the same file, unchanged between the two looks: size, content time and status time.</summary>
    internal bool UnchangedFrom(PosixFileStatus other) =>
        SameFileAs(other) && Size == other.Size && Modified == other.Modified && Changed == other.Changed && Links == other.Links;
}

/// <summary>A system call that failed, with its errno.</summary>
internal sealed class PosixException : IOException
{
    internal PosixException(string call, string path, int errno)
        : base($"{call} '{path}': {Describe(errno)} (errno {errno})")
    {
        Errno = errno;
    }

    internal int Errno { get; }

    internal static string Describe(int errno) => new Win32Exception(errno).Message;
}

/// <summary>
/// The Unix system calls that .NET Standard 2.0 (and even .NET 10) does not offer: files created with their final mode
/// in the same call (open and mkdir with a mode, O_EXCL), opened without following a link (O_NOFOLLOW) or without
/// waiting on a pipe (O_NONBLOCK), a file's owner (stat), advisory locks (flock). Linux (glibc or musl, x64 or arm64)
/// and macOS. Never called on Windows.
/// </summary>
/// <remarks>
/// The flag values differ between Linux on x64, Linux on arm64 and macOS; each is chosen once. stat(2) answers in a
/// structure whose layout differs by platform, so Linux uses statx(2), whose layout is the same on every architecture,
/// and macOS the 64-bit-inode stat structure.
/// </remarks>
internal static class Posix
{
    internal static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
    private static readonly bool s_isArm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 || RuntimeInformation.ProcessArchitecture == Architecture.Arm;

    internal static readonly int ReadOnly = 0;
    internal static readonly int WriteOnly = 1;
    internal static readonly int ReadWrite = 2;
    internal static readonly int Create = IsMacOS ? 0x200 : 0x40;
    internal static readonly int Exclusive = IsMacOS ? 0x800 : 0x80;
    internal static readonly int NoControllingTerminal = IsMacOS ? 0x20000 : 0x100;
    internal static readonly int NonBlocking = IsMacOS ? 0x4 : 0x800;
    internal static readonly int NoFollow = IsMacOS ? 0x100 : s_isArm ? 0x8000 : 0x20000;
    internal static readonly int Directory = IsMacOS ? 0x100000 : s_isArm ? 0x4000 : 0x10000;
    internal static readonly int CloseOnExec = IsMacOS ? 0x1000000 : 0x80000;

    internal const int ENOENT = 2;
    internal const int ENXIO = 6;
    internal const int EACCES = 13;
    internal const int EEXIST = 17;
    internal const int ENOTDIR = 20;
    internal const int EISDIR = 21;
    internal const int ENOSPC = 28;
    internal static readonly int ELOOP = IsMacOS ? 62 : 40;
    internal static readonly int EWOULDBLOCK = IsMacOS ? 35 : 11;
    internal static readonly int EOPNOTSUPP = IsMacOS ? 102 : 95;

    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    /// <summary>The effective user id of this process.</summary>
    internal static uint EffectiveUserId => GetEffectiveUserId();

    /// <summary>
    /// open(2) with a mode, as a handle that closes the descriptor. Throws <see cref="PosixException"/> with the errno.
    /// O_CLOEXEC and O_NOCTTY are always added: a child process never inherits a store file, and a device is never
    /// made this process's terminal.
    /// </summary>
    internal static SafeFileHandle Open(string path, int flags, int mode = 0)
    {
        int descriptor;
        int errno = 0;
        do
        {
            if (IsMacOS && (flags & Create) != 0)
            {
                // open(2) is variadic, and on macOS for arm64 a variadic argument travels on the stack, where a
                // P/Invoke call does not put it: the mode open reads there is undefined. A umask that takes away
                // every bit outside the mode makes the file no wider than the mode whatever open reads; the caller
                // then sets the exact mode on the descriptor. The umask is the process's, so it is changed under a lock
                // and put back at once (another thread's file created meanwhile is at most narrower).
                lock (s_umaskLock)
                {
                    int saved = SetUmask(~mode & 0x1FF);
                    descriptor = OpenCall(path, flags | CloseOnExec | NoControllingTerminal, mode);
                    errno = Marshal.GetLastWin32Error();
                    SetUmask(saved);
                }
            }
            else
            {
                descriptor = OpenCall(path, flags | CloseOnExec | NoControllingTerminal, mode);
                errno = Marshal.GetLastWin32Error();
            }
        }
        while (descriptor < 0 && errno == EINTR);

        if (descriptor < 0)
        {
            throw new PosixException("open", path, errno);
        }

        return new SafeFileHandle((IntPtr)descriptor, ownsHandle: true);
    }

    /// <summary>
    /// Creates a file that must not exist yet (O_CREAT | O_EXCL | O_NOFOLLOW), born with <paramref name="mode"/> less
    /// the umask, then set to exactly <paramref name="mode"/> (a umask can only take bits away, so the file is never
    /// wider than <paramref name="mode"/>, not even for an instant).
    /// </summary>
    internal static SafeFileHandle CreateExclusive(string path, int mode, int access = 1)
    {
        var handle = Open(path, access | Create | Exclusive | NoFollow, mode);
        try
        {
            SetMode(handle, path, mode);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>fchmod(2).</summary>
    internal static void SetMode(SafeFileHandle handle, string path, int mode)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (FileChangeMode(handle.DangerousGetHandle().ToInt32(), mode) != 0)
            {
                throw new PosixException("fchmod", path, Marshal.GetLastWin32Error());
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>chown(2): gives a file (this process's own, such as a temporary file) an owner and a group.</summary>
    internal static void ChangeOwner(string path, uint owner, uint group)
    {
        if (ChangeOwnerCall(path, owner, group) != 0)
        {
            throw new PosixException("chown", path, Marshal.GetLastWin32Error());
        }
    }

    /// <summary>
    /// mkdir(2) with a mode, then exactly that mode (see <see cref="CreateExclusive"/>). False when the name exists
    /// (as anything: the caller checks what it is).
    /// </summary>
    internal static bool MakeDirectory(string path, int mode)
    {
        if (MakeDirectoryCall(path, mode) != 0)
        {
            int errno = Marshal.GetLastWin32Error();
            if (errno == EEXIST)
            {
                return false;
            }

            throw new PosixException("mkdir", path, errno);
        }

        // The folder exists with mode & ~umask, never wider than mode; set exactly mode through a descriptor of the
        // folder itself, so that a name swapped meanwhile is never the one changed.
        using var handle = Open(path, ReadOnly | Directory | NoFollow);
        SetMode(handle, path, mode);
        return true;
    }

    /// <summary>lstat(2): the entry itself, a link not followed. Null when nothing has that name.</summary>
    internal static PosixFileStatus? StatLink(string path) => Stat(path, followLinks: false);

    /// <summary>stat(2): a link followed. Null when nothing has that name (or a link leads nowhere).</summary>
    internal static PosixFileStatus? StatFollow(string path) => Stat(path, followLinks: true);

    private static PosixFileStatus? Stat(string path, bool followLinks)
    {
        int errno = IsMacOS ? MacStat(path, followLinks, out var status) : LinuxStat(AtCurrentDirectory, path, followLinks ? 0 : AtSymlinkNoFollow, out status);
        if (errno == 0)
        {
            return status;
        }

        if (errno == ENOENT || errno == ENOTDIR)
        {
            return null;
        }

        throw new PosixException(followLinks ? "stat" : "lstat", path, errno);
    }

    /// <summary>fstat(2) of an open file.</summary>
    internal static PosixFileStatus Stat(SafeFileHandle handle, string path)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int descriptor = handle.DangerousGetHandle().ToInt32();
            int errno = IsMacOS ? MacFileStat(descriptor, out var status) : LinuxStat(descriptor, string.Empty, AtEmptyPath, out status);
            if (errno != 0)
            {
                throw new PosixException("fstat", path, errno);
            }

            return status;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // --------------------------------------------------------------------------------------------------------------
    // Calls relative to an open folder (openat, fstatat, renameat, linkat, unlinkat) and on an open file (fchown,
    // fsync, extended attributes): once a folder is checked and opened, nothing is resolved by its path again, so a
    // folder renamed or swapped for a link afterwards changes nothing that this process does.
    // --------------------------------------------------------------------------------------------------------------

    /// <summary>openat(2) relative to an open folder, O_CLOEXEC and O_NOCTTY added.</summary>
    internal static SafeFileHandle OpenAt(SafeFileHandle folder, string name, int flags, int mode = 0)
    {
        int descriptor = -1;
        int errno = 0;
        Use(folder, directory =>
        {
            do
            {
                if (IsMacOS && (flags & Create) != 0)
                {
                    // The variadic mode of openat on macOS for arm64: see Open.
                    lock (s_umaskLock)
                    {
                        int saved = SetUmask(~mode & 0x1FF);
                        descriptor = OpenAtCall(directory, name, flags | CloseOnExec | NoControllingTerminal, mode);
                        errno = Marshal.GetLastWin32Error();
                        SetUmask(saved);
                    }
                }
                else
                {
                    descriptor = OpenAtCall(directory, name, flags | CloseOnExec | NoControllingTerminal, mode);
                    errno = Marshal.GetLastWin32Error();
                }
            }
            while (descriptor < 0 && errno == EINTR);
            return 0;
        });

        if (descriptor < 0)
        {
            throw new PosixException("openat", name, errno);
        }

        return new SafeFileHandle((IntPtr)descriptor, ownsHandle: true);
    }

    /// <summary>
    /// fstatat(2): an entry of an open folder, a link not followed (AT_SYMLINK_NOFOLLOW) unless
    /// <paramref name="followLinks"/>. Null when missing (or, followed, a link that leads nowhere).
    /// </summary>
    internal static PosixFileStatus? StatAt(SafeFileHandle folder, string name, bool followLinks = false)
    {
        PosixFileStatus status = default;
        int errno = Use(folder, directory => IsMacOS ? MacStatAt(directory, name, followLinks, out status) : LinuxStat(directory, name, followLinks ? 0 : AtSymlinkNoFollow, out status));
        if (errno == 0)
        {
            return status;
        }

        if (errno == ENOENT || errno == ENOTDIR)
        {
            return null;
        }

        throw new PosixException("fstatat", name, errno);
    }

    /// <summary>renameat(2) within one open folder: the entry <paramref name="from"/> replaces <paramref name="to"/> (never followed).</summary>
    internal static void RenameAt(SafeFileHandle folder, string from, string to) =>
        Check(Use(folder, directory => RenameAtCall(directory, from, directory, to) == 0 ? 0 : Marshal.GetLastWin32Error()), "renameat", to);

    /// <summary>linkat(2) within one open folder, no flags (a link at <paramref name="from"/> is linked as itself). Returns the errno (0 on success).</summary>
    internal static int LinkAt(SafeFileHandle folder, string from, string to) =>
        Use(folder, directory => LinkAtCall(directory, from, directory, to, 0) == 0 ? 0 : Marshal.GetLastWin32Error());

    /// <summary>unlinkat(2) of a file entry of an open folder. Returns the errno (0 on success).</summary>
    internal static int UnlinkAt(SafeFileHandle folder, string name) =>
        Use(folder, directory => UnlinkAtCall(directory, name, 0) == 0 ? 0 : Marshal.GetLastWin32Error());

    /// <summary>fchown(2): the owner and group of an open file (root only, for another user's ids).</summary>
    internal static void SetOwner(SafeFileHandle file, string path, uint owner, uint group) =>
        Check(Use(file, descriptor => FileChangeOwner(descriptor, owner, group) == 0 ? 0 : Marshal.GetLastWin32Error()), "fchown", path);

    /// <summary>fsync(2) of an open file or folder.</summary>
    internal static void Sync(SafeFileHandle file, string path) =>
        Check(Use(file, descriptor => FileSync(descriptor) == 0 ? 0 : Marshal.GetLastWin32Error()), "fsync", path);

    /// <summary>The names of an open file's extended attributes (flistxattr(2)); on Linux a POSIX ACL is one of them.</summary>
    internal static string[] ListAttributes(SafeFileHandle file, string path)
    {
        var buffer = new byte[4096];
        while (true)
        {
            long length = Use(file, descriptor => (int)(IsMacOS ? MacListAttributes(descriptor, buffer, (UIntPtr)buffer.Length, 0) : LinuxListAttributes(descriptor, buffer, (UIntPtr)buffer.Length)).ToInt64(), out int errno);
            if (length >= 0)
            {
                var names = new System.Collections.Generic.List<string>();
                int start = 0;
                for (int i = 0; i < length; i++)
                {
                    if (buffer[i] == 0)
                    {
                        if (i > start)
                        {
                            names.Add(Encoding.UTF8.GetString(buffer, start, i - start));
                        }

                        start = i + 1;
                    }
                }

                return names.ToArray();
            }

            if (errno == ERANGE && buffer.Length < 1 << 20)
            {
                buffer = new byte[buffer.Length * 4];
                continue;
            }

            if (errno == EOPNOTSUPP || errno == ENOTSUP)
            {
                return Array.Empty<string>(); // the file system has no extended attributes
            }

            throw new PosixException("flistxattr", path, errno);
        }
    }

    /// <summary>The value of one extended attribute of an open file (fgetxattr(2)); null when it is gone.</summary>
    internal static byte[]? GetAttribute(SafeFileHandle file, string path, string name)
    {
        var buffer = new byte[4096];
        while (true)
        {
            long length = Use(file, descriptor => (int)(IsMacOS ? MacGetAttribute(descriptor, name, buffer, (UIntPtr)buffer.Length, 0, 0) : LinuxGetAttribute(descriptor, name, buffer, (UIntPtr)buffer.Length)).ToInt64(), out int errno);
            if (length >= 0)
            {
                return Memory.Slice(buffer, 0, (int)length);
            }

            if (errno == ERANGE && buffer.Length < 1 << 20)
            {
                buffer = new byte[buffer.Length * 4];
                continue;
            }

            if (errno == ENODATA)
            {
                return null;
            }

            throw new PosixException($"fgetxattr {name}", path, errno);
        }
    }

    /// <summary>Sets one extended attribute of an open file (fsetxattr(2)). Returns the errno (0 on success).</summary>
    internal static int SetAttribute(SafeFileHandle file, string name, byte[] value) =>
        Use(file, descriptor => (IsMacOS ? MacSetAttribute(descriptor, name, value, (UIntPtr)value.Length, 0, 0) : LinuxSetAttribute(descriptor, name, value, (UIntPtr)value.Length, 0)) == 0 ? 0 : Marshal.GetLastWin32Error());

    /// <summary>Removes one extended attribute of an open file (fremovexattr(2)). Returns the errno (0 on success).</summary>
    internal static int RemoveAttribute(SafeFileHandle file, string name) =>
        Use(file, descriptor => (IsMacOS ? MacRemoveAttribute(descriptor, name, 0) : LinuxRemoveAttribute(descriptor, name)) == 0 ? 0 : Marshal.GetLastWin32Error());

    /// <summary>macOS: true when an open file has an extended (NFSv4-style) ACL, which is not an extended attribute there.</summary>
    internal static bool HasMacAcl(SafeFileHandle file)
    {
        if (!IsMacOS)
        {
            return false;
        }

        IntPtr acl = IntPtr.Zero;
        Use(file, descriptor =>
        {
            acl = MacAclGetFd(descriptor, MacAclTypeExtended);
            return 0;
        });
        if (acl == IntPtr.Zero)
        {
            return false;
        }

        MacAclFree(acl);
        return true;
    }

    private static void Check(int errno, string call, string path)
    {
        if (errno != 0)
        {
            throw new PosixException(call, path, errno);
        }
    }

    private static int Use(SafeFileHandle handle, Func<int, int> call) => Use(handle, call, out _);

    // Runs a call with the handle's descriptor, the handle kept alive meanwhile; errno is read right after the call.
    private static int Use(SafeFileHandle handle, Func<int, int> call, out int errno)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int result = call(handle.DangerousGetHandle().ToInt32());
            errno = Marshal.GetLastWin32Error();
            return result;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>flock(2) LOCK_EX | LOCK_NB: true when taken, false when another open file holds it.</summary>
    internal static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (FileLock(handle.DangerousGetHandle().ToInt32(), LockExclusive | LockNonBlocking) == 0)
            {
                return true;
            }

            int errno = Marshal.GetLastWin32Error();
            if (errno == EWOULDBLOCK || errno == EINTR)
            {
                return false;
            }

            throw new PosixException("flock", path, errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>readlink(2): where a symbolic link points, as written in the link.</summary>
    internal static string ReadLink(string path)
    {
        var buffer = new byte[4096];
        long length = ReadLinkCall(path, buffer, (UIntPtr)buffer.Length).ToInt64();
        if (length < 0)
        {
            throw new PosixException("readlink", path, Marshal.GetLastWin32Error());
        }

        return Encoding.UTF8.GetString(buffer, 0, (int)Math.Min(length, buffer.Length));
    }

    /// <summary>The name of a user id (getpwuid), or null when the system does not know it.</summary>
    internal static string? UserName(uint uid)
    {
        try
        {
            IntPtr entry = GetPasswordEntry(uid);
            if (entry == IntPtr.Zero)
            {
                return null;
            }

            // pw_name is the first member of struct passwd on Linux and macOS.
            IntPtr name = Marshal.ReadIntPtr(entry);
            return name == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(name);
        }
        catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>"name (uid N)", or "uid N" for an id without a name.</summary>
    internal static string DescribeUser(uint uid) => UserName(uid) is string name ? $"{name} (uid {uid})" : $"uid {uid}";

    /// <summary>A readable name for a file type, for messages.</summary>
    internal static string Describe(PosixFileType type) => type switch
    {
        PosixFileType.Regular => "a regular file",
        PosixFileType.Directory => "a folder",
        PosixFileType.SymbolicLink => "a symbolic link",
        PosixFileType.Fifo => "a FIFO (named pipe)",
        PosixFileType.CharacterDevice => "a character device",
        PosixFileType.BlockDevice => "a block device",
        PosixFileType.Socket => "a socket",
        _ => "a special file",
    };

    /// <summary>A readable form of a mode's permission bits: 700, 1777.</summary>
    internal static string Octal(int permissions) => Convert.ToString(permissions & 0xFFF, 8);

    private const int EINTR = 4;
    private static readonly int ERANGE = 34;
    private static readonly int ENODATA = IsMacOS ? 93 /* ENOATTR */ : 61;
    private static readonly int ENOTSUP = IsMacOS ? 45 : 95;
    private const int MacAclTypeExtended = 0x100;

    private static readonly object s_umaskLock = new();

    // ------------------------------------------------------------------------------------------------------------
    // Linux: statx(2), one layout on every architecture. glibc 2.28+ and musl 1.2.5+ export statx(); older C
    // libraries reach the same system call through syscall(2).
    // ------------------------------------------------------------------------------------------------------------

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxSize = 256;

    private static bool s_statxMissing;

    private static int LinuxStat(int directory, string path, int flags, out PosixFileStatus status)
    {
        var buffer = new byte[StatxSize];
        int result;
        if (!s_statxMissing)
        {
            try
            {
                result = Statx(directory, path, flags, StatxBasicStats, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                s_statxMissing = true;
                result = StatxBySyscall(directory, path, flags, buffer);
            }
        }
        else
        {
            result = StatxBySyscall(directory, path, flags, buffer);
        }

        if (result != 0)
        {
            status = default;
            return Marshal.GetLastWin32Error();
        }

        // struct statx: stx_nlink at 16, stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28, stx_ino at 32, stx_size at
        // 40, stx_ctime at 96 and stx_mtime at 112 (each an i64 of seconds and a u32 of nanoseconds), stx_dev_major/minor
        // at 136/140.
        status = new PosixFileStatus(
            BitConverter.ToUInt16(buffer, 28),
            BitConverter.ToUInt32(buffer, 20),
            ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140),
            BitConverter.ToUInt64(buffer, 32),
            BitConverter.ToInt64(buffer, 40),
            BitConverter.ToUInt32(buffer, 24),
            BitConverter.ToUInt32(buffer, 16),
            Nanoseconds(BitConverter.ToInt64(buffer, 112), BitConverter.ToUInt32(buffer, 120)),
            Nanoseconds(BitConverter.ToInt64(buffer, 96), BitConverter.ToUInt32(buffer, 104)));
        return 0;
    }

    private static int StatxBySyscall(int directory, string path, int flags, byte[] buffer)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 332,
            Architecture.Arm64 => 291,
            Architecture.X86 => 383,
            Architecture.Arm => 397,
            _ => throw new PlatformNotSupportedException("SsoSecret cannot read file owners on this processor architecture."),
        };
        return SystemCall(number, directory, path, flags, StatxBasicStats, buffer);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPStr)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern int SystemCall(long number, int directory, [MarshalAs(UnmanagedType.LPStr)] string path, int flags, uint mask, byte[] buffer);

    // ------------------------------------------------------------------------------------------------------------
    // macOS: struct stat with 64-bit inodes (st_mode u16 at 4, st_nlink u16 at 6, st_ino at 8, st_uid at 16, st_gid at
    // 20, st_mtimespec at 48, st_ctimespec at 64 (each two i64: seconds, nanoseconds), st_size at 96; 144 bytes).
    // On x64 those calls are the $INODE64 entry points; on arm64 they are the plain names.
    // ------------------------------------------------------------------------------------------------------------

    private const int MacStatSize = 144;

    private static long Nanoseconds(long seconds, uint nanoseconds) => unchecked((seconds * 1_000_000_000L) + nanoseconds);

    private static int MacStat(string path, bool followLinks, out PosixFileStatus status)
    {
        var buffer = new byte[MacStatSize];
        int result;
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        result = followLinks
            ? (x64 ? MacStat64(path, buffer) : MacStatPlain(path, buffer))
            : (x64 ? MacLinkStat64(path, buffer) : MacLinkStatPlain(path, buffer));
        return MacResult(result, buffer, out status);
    }

    private static int MacStatAt(int directory, string name, bool followLinks, out PosixFileStatus status)
    {
        var buffer = new byte[MacStatSize];
        const int MacAtSymlinkNoFollow = 0x20;
        int flags = followLinks ? 0 : MacAtSymlinkNoFollow;
        int result = RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? MacStatAt64(directory, name, buffer, flags)
            : MacStatAtPlain(directory, name, buffer, flags);
        return MacResult(result, buffer, out status);
    }

    private static int MacFileStat(int descriptor, out PosixFileStatus status)
    {
        var buffer = new byte[MacStatSize];
        int result = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? MacFileStat64(descriptor, buffer) : MacFileStatPlain(descriptor, buffer);
        return MacResult(result, buffer, out status);
    }

    private static int MacResult(int result, byte[] buffer, out PosixFileStatus status)
    {
        if (result != 0)
        {
            status = default;
            return Marshal.GetLastWin32Error();
        }

        status = new PosixFileStatus(
            BitConverter.ToUInt16(buffer, 4),
            BitConverter.ToUInt32(buffer, 16),
            BitConverter.ToUInt32(buffer, 0),
            BitConverter.ToUInt64(buffer, 8),
            BitConverter.ToInt64(buffer, 96),
            BitConverter.ToUInt32(buffer, 20),
            BitConverter.ToUInt16(buffer, 6),
            Nanoseconds(BitConverter.ToInt64(buffer, 48), (uint)BitConverter.ToInt64(buffer, 56)),
            Nanoseconds(BitConverter.ToInt64(buffer, 64), (uint)BitConverter.ToInt64(buffer, 72)));
        return 0;
    }

    [DllImport("libc", EntryPoint = "stat$INODE64", SetLastError = true)]
    private static extern int MacStat64([MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)]
    private static extern int MacLinkStat64([MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)]
    private static extern int MacFileStat64(int descriptor, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstatat$INODE64", SetLastError = true)]
    private static extern int MacStatAt64(int directory, [MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer, int flags);

    [DllImport("libc", EntryPoint = "fstatat", SetLastError = true)]
    private static extern int MacStatAtPlain(int directory, [MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer, int flags);

    [DllImport("libc", EntryPoint = "flistxattr", SetLastError = true)]
    private static extern IntPtr MacListAttributes(int descriptor, byte[] buffer, UIntPtr size, int options);

    [DllImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static extern IntPtr MacGetAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name, byte[] value, UIntPtr size, uint position, int options);

    [DllImport("libc", EntryPoint = "fsetxattr", SetLastError = true)]
    private static extern int MacSetAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name, byte[] value, UIntPtr size, uint position, int options);

    [DllImport("libc", EntryPoint = "fremovexattr", SetLastError = true)]
    private static extern int MacRemoveAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name, int options);

    [DllImport("libc", EntryPoint = "acl_get_fd_np", SetLastError = true)]
    private static extern IntPtr MacAclGetFd(int descriptor, int type);

    [DllImport("libc", EntryPoint = "acl_free", SetLastError = true)]
    private static extern int MacAclFree(IntPtr acl);

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int MacStatPlain([MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern int MacLinkStatPlain([MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static extern int MacFileStatPlain(int descriptor, byte[] buffer);

    // ------------------------------------------------------------------------------------------------------------
    // Both. (LPStr is UTF-8 on every runtime that runs on Unix.)
    // ------------------------------------------------------------------------------------------------------------

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenCall([MarshalAs(UnmanagedType.LPStr)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAtCall(int directory, [MarshalAs(UnmanagedType.LPStr)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static extern int RenameAtCall(int fromDirectory, [MarshalAs(UnmanagedType.LPStr)] string from, int toDirectory, [MarshalAs(UnmanagedType.LPStr)] string to);

    [DllImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static extern int LinkAtCall(int fromDirectory, [MarshalAs(UnmanagedType.LPStr)] string from, int toDirectory, [MarshalAs(UnmanagedType.LPStr)] string to, int flags);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAtCall(int directory, [MarshalAs(UnmanagedType.LPStr)] string path, int flags);

    [DllImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static extern int FileChangeOwner(int descriptor, uint owner, uint group);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FileSync(int descriptor);

    [DllImport("libc", EntryPoint = "flistxattr", SetLastError = true)]
    private static extern IntPtr LinuxListAttributes(int descriptor, byte[] buffer, UIntPtr size);

    [DllImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static extern IntPtr LinuxGetAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name, byte[] value, UIntPtr size);

    [DllImport("libc", EntryPoint = "fsetxattr", SetLastError = true)]
    private static extern int LinuxSetAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name, byte[] value, UIntPtr size, int flags);

    [DllImport("libc", EntryPoint = "fremovexattr", SetLastError = true)]
    private static extern int LinuxRemoveAttribute(int descriptor, [MarshalAs(UnmanagedType.LPStr)] string name);

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern int MakeDirectoryCall([MarshalAs(UnmanagedType.LPStr)] string path, int mode);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int ChangeOwnerCall([MarshalAs(UnmanagedType.LPStr)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static extern int FileChangeMode(int descriptor, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int FileLock(int descriptor, int operation);

    [DllImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static extern IntPtr ReadLinkCall([MarshalAs(UnmanagedType.LPStr)] string path, byte[] buffer, UIntPtr size);

    [DllImport("libc", EntryPoint = "umask")]
    private static extern int SetUmask(int mask);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "getpwuid")]
    private static extern IntPtr GetPasswordEntry(uint uid);
}
