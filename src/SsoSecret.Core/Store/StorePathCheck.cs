using System;
using System.Collections.Generic;
using SsoSecret.IO;

namespace SsoSecret.Store;

/// <summary>
/// Who can change what the store path leads to (Unix). The rule, as ssh's StrictModes applies it to a user's keys, with
/// the one exception a shared folder such as /tmp needs:
/// <list type="number">
/// <item>Every entry the path goes through, from "/" to the store folder (every folder, every symbolic link, and the
/// folders a link leads to), is owned by the calling user or by root. Otherwise <see cref="SsoSecretFailure.StoreNotOwned"/>:
/// its owner could replace the store, or put a folder of their own in its place.</item>
/// <item>Every folder that holds one of those entries is writable by nobody but its owner (no group or other write bit),
/// or is sticky (mode 1000, as /tmp): in a sticky folder only an entry's owner (or root) can rename or remove it,
/// and by rule 1 the entry is the caller's or root's. Otherwise <see cref="SsoSecretFailure.StorePathInsecure"/>.</item>
/// <item>The store folder itself is open to nobody else (no group or other bit: <see cref="SsoSecretFailure.StoreInsecure"/>),
/// and its files (<c>master-secret.dat</c>, <c>store.lock</c>) are regular files, never links
/// (<see cref="SsoSecretFailure.StoreFileNotRegular"/>), owned by the caller or root, and open to nobody else.</item>
/// </list>
/// Together: no other user can rename, replace or write anything the store's path resolves to, so a check made once
/// still holds when the files are opened a moment later. Windows has no such check (its protection is DPAPI and ACLs).
/// </summary>
internal static class StorePathCheck
{
    private const int MaxLinks = 40;
    private const int WritableByOthers = 0x12; // 0022
    private const int Sticky = 0x200;         // 01000

    /// <summary>
    /// Walks <paramref name="folder"/> (absolute) from "/" as the kernel resolves it, applying rules 1 and 2 to every
    /// entry. Returns the store folder's resolved path and status, or null when the path (or a part of it) does not exist.
    /// A path that runs into something other than a folder is <see cref="SsoSecretFailure.StoreUnavailable"/>.
    /// </summary>
    internal static (string RealPath, PosixFileStatus Status)? Walk(string folder)
    {
        uint me = Posix.EffectiveUserId;
        var rootStatus = Posix.StatLink("/") ?? throw new InvalidOperationException("'/' cannot be examined.");
        RequireTrustedOwner("/", rootStatus, me, $"The folder '/' on the path of the secret store '{folder}'", insideStore: false);
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
                currentStatus = Posix.StatLink(current) ?? throw Unavailable(folder, $"'{current}' disappeared while it was being checked");
                continue;
            }

            string next = current == "/" ? "/" + name : current + "/" + name;
            // Checked even when the entry is missing: another user could create it there before this process does.
            RequireHolderSafe(current, currentStatus, next, folder);
            var status = Posix.StatLink(next);
            if (status is null)
            {
                return null;
            }

            bool last = pending.Count == 0 && status.Value.Type == PosixFileType.Directory;
            RequireTrustedOwner(
                next,
                status.Value,
                me,
                last ? $"The secret store folder '{next}'" : $"The {Kind(status.Value.Type)} '{next}' on the path of the secret store '{folder}'",
                insideStore: last);
            switch (status.Value.Type)
            {
                case PosixFileType.SymbolicLink:
                    if (++links > MaxLinks)
                    {
                        throw Unavailable(folder, $"its path goes through more than {MaxLinks} symbolic links");
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
                        ? new StoreException(SsoSecretFailure.StoreUnavailable, folder, $"The secret store path '{folder}' is a file ({Posix.Describe(status.Value.Type)}); a store is a folder. Give the path of a folder (it is created if missing).")
                        : Unavailable(folder, $"'{next}' on its path is {Posix.Describe(status.Value.Type)}, not a folder");
            }
        }

        return (current, currentStatus);
    }

    /// <summary>
    /// Rule 3 for a file of the store, from its lstat or fstat: a regular file, owned by the caller or root, open to
    /// nobody else. The advice never names a chmod through a link: a link is refused before its mode is looked at.
    /// </summary>
    internal static void RequireStoreFile(string file, PosixFileStatus status, string store)
    {
        if (status.Type != PosixFileType.Regular)
        {
            string what = Posix.Describe(status.Type);
            string target = string.Empty;
            if (status.Type == PosixFileType.SymbolicLink)
            {
                try
                {
                    target = $" (to '{Posix.ReadLink(file)}')";
                }
                catch (PosixException)
                {
                }
            }

            throw new StoreException(
                SsoSecretFailure.StoreFileNotRegular,
                file,
                $"The secret store file '{file}' is {what}{target}, not a regular file. SsoSecret never follows a link in its store, and never reads or changes what one points to. Remove the entry itself (rm '{file}' removes a link, not its target), then restore the master secret from a backup if the store '{store}' needs it.");
        }

        RequireTrustedOwner(file, status, Posix.EffectiveUserId, $"The secret store file '{file}'", insideStore: true);
        if ((status.Permissions & UnixFileMode.GroupAndOther) != 0)
        {
            throw new StoreException(
                SsoSecretFailure.StoreInsecure,
                file,
                $"The secret store file '{file}' is open to other users (mode {Posix.Octal(status.Permissions)}). Restrict it to its owner with: chmod 600 '{file}'");
        }
    }

    /// <summary>Rule 3 for the store folder: open to nobody but its owner.</summary>
    internal static void RequireFolderPrivate(string folder, PosixFileStatus status)
    {
        if ((status.Permissions & UnixFileMode.GroupAndOther) != 0)
        {
            throw new StoreException(
                SsoSecretFailure.StoreInsecure,
                folder,
                $"The secret store folder '{folder}' is open to other users (mode {Posix.Octal(status.Permissions)}). Restrict it to its owner with: chmod 700 '{folder}'");
        }
    }

    private static void RequireTrustedOwner(string path, PosixFileStatus status, uint me, string subject, bool insideStore)
    {
        if (status.Owner == me || status.Owner == 0)
        {
            return;
        }

        throw new StoreException(
            SsoSecretFailure.StoreNotOwned,
            path,
            $"{subject} belongs to {Posix.DescribeUser(status.Owner)}, not to this account ({Posix.DescribeUser(me)}) or root: that user could replace what the store holds, for example with a secret they know. SsoSecret uses a store only when every file, folder and link on its path belongs to the account that runs it or to root.")
        {
            RecommendedAction = insideStore
                ? $"Do not use this store: another account could have written it. Use a store folder in a folder you own (the default is {MasterSecretStore.DefaultPath()}), and restore the master secret into it from a backup you trust (Restore-SsoMasterSecret -StorePath)."
                : $"Choose a store path that does not go through '{path}': every folder and link on it must belong to you or to root.",
        };
    }

    private static string Kind(PosixFileType type) => type switch
    {
        PosixFileType.Directory => "folder",
        PosixFileType.SymbolicLink => "symbolic link",
        _ => "file",
    };

    private static void RequireHolderSafe(string holder, PosixFileStatus holderStatus, string entry, string store)
    {
        if ((holderStatus.Permissions & WritableByOthers) == 0 || (holderStatus.Permissions & Sticky) != 0)
        {
            return;
        }

        throw new StoreException(
            SsoSecretFailure.StorePathInsecure,
            holder,
            $"The folder '{holder}' on the path of the secret store '{store}' can be written by other users (mode {Posix.Octal(holderStatus.Permissions)}) and is not sticky: any of them could rename '{entry}' and put a folder of their own in its place.")
        {
            RecommendedAction = $"Keep the store below folders that only their owner can write. If '{holder}' is yours to change: chmod go-w '{holder}' (or chmod +t '{holder}' for a shared folder such as /tmp, where only an entry's owner can rename it).",
        };
    }

    private static StoreException Unavailable(string store, string reason) =>
        new(SsoSecretFailure.StoreUnavailable, store, $"The secret store at '{store}' cannot be used: {reason}.");

    private static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
