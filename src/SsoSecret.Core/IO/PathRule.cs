using System;
using System.Collections.Generic;

namespace SsoSecret.IO;

/// <summary>
/// How one use of the path rule words its failures: the secret store (StoreNotOwned, StorePathInsecure) or a file to
/// rewrite in place (PathNotOwned, PathInsecure).
/// </summary>
internal abstract class PathSubject
{
    /// <summary>Rule 1 failed: <paramref name="entry"/> belongs to another user. <paramref name="isEnd"/>: it is the folder walked to.</summary>
    internal abstract Exception NotOwned(string entry, PosixFileStatus status, bool isEnd);

    /// <summary>Rule 2 failed: <paramref name="holder"/>, which holds <paramref name="entry"/>, lets other users rename in it.</summary>
    internal abstract Exception HolderInsecure(string holder, PosixFileStatus holderStatus, string entry);

    /// <summary>The path cannot be walked (too many links, something vanished, a file on the way).</summary>
    internal abstract Exception Unavailable(string reason);

    /// <summary>The path walked to is not a folder.</summary>
    internal abstract Exception EndNotAFolder(string entry, PosixFileType type);
}

/// <summary>
/// Who can change what a path leads to (Unix): the rule, as ssh's StrictModes applies it to a user's keys, with the
/// one exception a shared folder such as /tmp needs. One implementation for the secret store's path and for the folder
/// of a file rewritten in place:
/// <list type="number">
/// <item>Every entry the path goes through, from "/" to the folder (every folder, every symbolic link, and the
/// folders a link leads to), is owned by the calling user or by root. Otherwise its owner could replace what is below
/// it, or put a folder of their own in its place.</item>
/// <item>Every folder that holds one of those entries is writable by nobody but its owner (no group or other write bit),
/// or is sticky (mode 1000, as /tmp): in a sticky folder only an entry's owner (or root) can rename or remove it,
/// and by rule 1 the entry is the caller's or root's.</item>
/// </list>
/// Together: no other user can rename, replace or write anything the path resolves to, so a check made once still
/// holds when the files are opened a moment later.
/// </summary>
internal static class PathRule
{
    private const int MaxLinks = 40;
    private const int WritableByOthers = 0x12; // 0022
    private const int Sticky = 0x200;         // 01000

    /// <summary>True for an entry owned by this process's user or by root (rule 1).</summary>
    internal static bool IsTrustedOwner(PosixFileStatus status) => status.Owner == 0 || status.Owner == Posix.EffectiveUserId;

    /// <summary>True for a folder in which only its owner (and root) can rename entries, or only an entry's owner can (sticky): rule 2.</summary>
    internal static bool IsHolderSafe(PosixFileStatus holder) => (holder.Permissions & WritableByOthers) == 0 || (holder.Permissions & Sticky) != 0;

    /// <summary>
    /// Walks <paramref name="folder"/> (absolute) from "/" as the kernel resolves it, applying rules 1 and 2 to every
    /// entry. Returns the folder's resolved path (no link in it) and status, or null when the path (or a part of it)
    /// does not exist.
    /// </summary>
    internal static (string RealPath, PosixFileStatus Status)? Walk(string folder, PathSubject subject)
    {
        var rootStatus = Posix.StatLink("/") ?? throw new InvalidOperationException("'/' cannot be examined.");
        if (!IsTrustedOwner(rootStatus))
        {
            throw subject.NotOwned("/", rootStatus, isEnd: false);
        }

        string current = "/";
        var currentStatus = rootStatus;
        var pending = new Stack<string>();
        Push(pending, folder);
        int links = 0;
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (name.Length == 0 || name == ".")
            {
                continue;
            }

            if (name == "..")
            {
                // current is a resolved folder (no links in it), so its parent is its parent by name.
                int slash = current.LastIndexOf('/');
                current = slash <= 0 ? "/" : current.Substring(0, slash);
                currentStatus = Posix.StatLink(current) ?? throw subject.Unavailable($"'{current}' disappeared while it was being checked");
                continue;
            }

            string next = current == "/" ? "/" + name : current + "/" + name;
            // Checked even when the entry is missing: another user could create it there before this process does.
            RequireHolderSafe(current, currentStatus, next, subject);
            var status = Posix.StatLink(next);
            if (status is null)
            {
                return null;
            }

            bool last = pending.Count == 0 && status.Value.Type == PosixFileType.Directory;
            if (!IsTrustedOwner(status.Value))
            {
                throw subject.NotOwned(next, status.Value, last);
            }

            switch (status.Value.Type)
            {
                case PosixFileType.SymbolicLink:
                    if (++links > MaxLinks)
                    {
                        throw subject.Unavailable($"its path goes through more than {MaxLinks} symbolic links");
                    }

                    string target = Posix.ReadLink(next);
                    if (target.StartsWith("/", StringComparison.Ordinal))
                    {
                        current = "/";
                        currentStatus = rootStatus;
                    }

                    Push(pending, target);
                    break;
                case PosixFileType.Directory:
                    current = next;
                    currentStatus = status.Value;
                    break;
                default:
                    throw pending.Count == 0
                        ? subject.EndNotAFolder(next, status.Value.Type)
                        : subject.Unavailable($"'{next}' on its path is {Posix.Describe(status.Value.Type)}, not a folder");
            }
        }

        return (current, currentStatus);
    }

    /// <summary>Rule 2 for one entry's holder.</summary>
    internal static void RequireHolderSafe(string holder, PosixFileStatus holderStatus, string entry, PathSubject subject)
    {
        if (!IsHolderSafe(holderStatus))
        {
            throw subject.HolderInsecure(holder, holderStatus, entry);
        }
    }

    /// <summary>"folder", "symbolic link" or "file", for messages.</summary>
    internal static string Kind(PosixFileType type) => type switch
    {
        PosixFileType.Directory => "folder",
        PosixFileType.SymbolicLink => "symbolic link",
        _ => "file",
    };

    private static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
