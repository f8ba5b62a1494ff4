using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace SsoSecret.IO;

/// <summary>
/// Reads files that must be regular files: never opens (and so never waits on) a FIFO, a device or a socket, and with
/// <c>followLinks: false</c> never follows a symbolic link either. On Unix the file is opened non-blocking and checked
/// through its open descriptor (fstat), so a name swapped between a check and the open is caught too.
/// </summary>
internal static class RegularFile
{
    /// <summary>What <see cref="Open(string, bool, out SafeFileHandle?, out PosixFileStatus)"/> found at a path.</summary>
    internal enum Outcome
    {
        Opened,
        Missing,
        NotRegular,
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading if it is a regular file (a link followed only when
    /// <paramref name="followLinks"/>). <paramref name="status"/> is the file's status when it was opened or refused, or
    /// the link's own when a link was refused. Unix only. The path's folder is opened once, and the look and the open
    /// are made relative to that descriptor (fstatat, openat), so the folders on the path are resolved once, not once
    /// for each call; what decides is the open file's own status, as always.
    /// </summary>
    internal static Outcome Open(string path, bool followLinks, out SafeFileHandle? handle, out PosixFileStatus status)
    {
        // "/srv/x/" names the entry x of /srv, as "/srv/x" does.
        string trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        string name = System.IO.Path.GetFileName(trimmed);
        string? parent = System.IO.Path.GetDirectoryName(trimmed);
        OpenFolder folder;
        try
        {
            folder = OpenFolder.Open(string.IsNullOrEmpty(parent) ? "." : parent!);
        }
        catch (DirectoryNotFoundException)
        {
            handle = null;
            status = default;
            return Outcome.Missing;
        }

        using (folder)
        {
            if (name.Length == 0)
            {
                // The root itself: a folder, never a regular file.
                status = Posix.Stat(folder.Handle, path);
                handle = null;
                return Outcome.NotRegular;
            }

            return Open(
                path,
                () => Posix.StatAt(folder.Handle, name, followLinks),
                () => Posix.OpenAt(folder.Handle, name, Posix.ReadOnly | Posix.NonBlocking | (followLinks ? 0 : Posix.NoFollow)),
                out handle,
                out status);
        }
    }

    /// <summary>
    /// The one way a regular file is opened for reading, by a path (<see cref="Open(string, bool, out SafeFileHandle?, out PosixFileStatus)"/>)
    /// or relative to an open folder (<see cref="OpenFolder.OpenRegular"/>): <paramref name="look"/> (stat or fstatat)
    /// refuses anything but a regular file before any open, since opening a FIFO would wait for a writer and a device
    /// could be anything; <paramref name="open"/> opens it non-blocking; and the open descriptor's own status (fstat)
    /// decides, so an entry swapped between the look and the open is caught. <paramref name="shown"/> names it in errors.
    /// </summary>
    internal static Outcome Open(string shown, Func<PosixFileStatus?> look, Func<SafeFileHandle> open, out SafeFileHandle? handle, out PosixFileStatus status)
    {
        handle = null;
        var before = look();
        if (before is null)
        {
            status = default;
            return Outcome.Missing;
        }

        status = before.Value;
        if (status.Type != PosixFileType.Regular)
        {
            return Outcome.NotRegular;
        }

        SafeFileHandle opened;
        try
        {
            opened = open();
        }
        catch (PosixException e) when (e.Errno == Posix.ENOENT)
        {
            return Outcome.Missing;
        }
        catch (PosixException e) when (e.Errno == Posix.ELOOP || e.Errno == Posix.ENXIO)
        {
            // Replaced by a link or a socket between the look and the open: said as what it is now.
            status = look() ?? status;
            return Outcome.NotRegular;
        }

        status = Posix.Stat(opened, shown);
        if (status.Type != PosixFileType.Regular)
        {
            opened.Dispose();
            return Outcome.NotRegular;
        }

        handle = opened;
        return Outcome.Opened;
    }

    /// <summary>Reads at most <paramref name="cap"/> bytes from an open file, from its start.</summary>
    internal static byte[] Read(SafeFileHandle handle, int cap)
    {
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        return ReadBounded(stream, cap);
    }

    /// <summary>Reads at most <paramref name="cap"/> bytes of a stream (a file's length is a hint, never trusted).</summary>
    internal static byte[] ReadBounded(Stream stream, int cap)
    {
        long length = stream.CanSeek ? stream.Length : cap;
        var buffer = new byte[(int)Math.Min(cap, Math.Max(0, length))];
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total == buffer.Length ? buffer : Memory.Slice(buffer, 0, total);
    }
}
