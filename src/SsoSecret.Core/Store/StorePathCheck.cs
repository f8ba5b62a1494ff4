using System;
using SsoSecret.IO;

namespace SsoSecret.Store;

/// <summary>
/// Who can change what the store path leads to (Unix). Rules 1 and 2 are <see cref="PathRule"/>'s (shared with files
/// rewritten in place), worded for the store:
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
    /// <summary>
    /// Walks <paramref name="folder"/> (absolute) from "/" as the kernel resolves it, applying rules 1 and 2 to every
    /// entry (<see cref="PathRule.Walk"/>). Returns the store folder's resolved path and status, or null when the path
    /// (or a part of it) does not exist. A path that runs into something other than a folder is
    /// <see cref="SsoSecretFailure.StoreUnavailable"/>.
    /// </summary>
    internal static (string RealPath, PosixFileStatus Status)? Walk(string folder) => PathRule.Walk(folder, new StoreSubject(folder));

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

        if (!PathRule.IsTrustedOwner(status))
        {
            throw NotOwned(file, status, $"The secret store file '{file}'", insideStore: true);
        }
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

    private static StoreException NotOwned(string path, PosixFileStatus status, string subject, bool insideStore)
    {
        uint me = Posix.EffectiveUserId;
        return new StoreException(
            SsoSecretFailure.StoreNotOwned,
            path,
            $"{subject} belongs to {Posix.DescribeUser(status.Owner)}, not to this account ({Posix.DescribeUser(me)}) or root: that user could replace what the store holds, for example with a secret they know. SsoSecret uses a store only when every file, folder and link on its path belongs to the account that runs it or to root.")
        {
            RecommendedAction = insideStore
                ? $"Do not use this store: another account could have written it. Use a store folder in a folder you own (the default is {MasterSecretStore.DefaultPath()}), and restore the master secret into it from a backup you trust (Restore-SsoMasterSecret -StorePath)."
                : $"Choose a store path that does not go through '{path}': every folder and link on it must belong to you or to root.",
        };
    }

    /// <summary>The store's wording of the path rule's failures (ids StoreNotOwned, StorePathInsecure, StoreUnavailable).</summary>
    private sealed class StoreSubject : PathSubject
    {
        private readonly string _store;

        internal StoreSubject(string store) => _store = store;

        internal override Exception NotOwned(string entry, PosixFileStatus status, bool isEnd) => StorePathCheck.NotOwned(
            entry,
            status,
            isEnd ? $"The secret store folder '{entry}'" : entry == "/" ? $"The folder '/' on the path of the secret store '{_store}'" : $"The {PathRule.Kind(status.Type)} '{entry}' on the path of the secret store '{_store}'",
            insideStore: isEnd);

        internal override Exception HolderInsecure(string holder, PosixFileStatus holderStatus, string entry) => new StoreException(
            SsoSecretFailure.StorePathInsecure,
            holder,
            $"The folder '{holder}' on the path of the secret store '{_store}' can be written by other users (mode {Posix.Octal(holderStatus.Permissions)}) and is not sticky: any of them could rename '{entry}' and put a folder of their own in its place.")
        {
            RecommendedAction = $"Keep the store below folders that only their owner can write. If '{holder}' is yours to change: chmod go-w '{holder}' (or chmod +t '{holder}' for a shared folder such as /tmp, where only an entry's owner can rename it).",
        };

        internal override Exception Unavailable(string reason) =>
            new StoreException(SsoSecretFailure.StoreUnavailable, _store, $"The secret store at '{_store}' cannot be used: {reason}.");

        internal override Exception EndNotAFolder(string entry, PosixFileType type) =>
            new StoreException(SsoSecretFailure.StoreUnavailable, _store, $"The secret store path '{_store}' is a file ({Posix.Describe(type)}); a store is a folder. Give the path of a folder (it is created if missing).");
    }
}
