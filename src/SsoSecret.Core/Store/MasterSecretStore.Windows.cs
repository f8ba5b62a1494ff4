using System;
using System.IO;
using System.Threading;
using SsoSecret.IO;
using SsoSecret.Store;

namespace SsoSecret;

/// <summary>
/// The store's folder on Windows: created with its own protected DACL (<see cref="StoreAcl"/>), checked like modes
/// on Unix, its file read whole, and the lock (a file opened without sharing).
/// </summary>
internal sealed partial class MasterSecretStore
{
    private byte[]? ReadWindows(string file, int maxLength)
    {
        CheckNotAFile();
        if (!Directory.Exists(Path))
        {
            return null;
        }

        CheckWindows();
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            return RegularFile.ReadBounded(stream, maxLength + 1);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CannotRead(e);
        }
    }

    private StoreLock LockWindows()
    {
        CheckNotAFile();
        EnsureFolderWindows();
        CheckWindows();
        string lockPath = LockPath;
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                RemoveStaleTemporaries();
                return new StoreLock(stream.SafeFileHandle, stream);
            }
            catch (UnauthorizedAccessException e)
            {
                throw Unavailable(lockPath, "its lock file cannot be opened", e);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException)
            {
                throw Busy();
            }
        }
    }

    /// <summary>
    /// Creates the store folder on Windows, born with the store's own protected DACL (<see cref="StoreAcl.FolderSddl"/>):
    /// full control for this account, SYSTEM and Administrators (a store under the user's profile: this account alone),
    /// nothing inherited from the folders above; the files made in it inherit exactly that. Missing folders above it
    /// are created as usual.
    /// </summary>
    private void EnsureFolderWindows()
    {
        if (Directory.Exists(Path))
        {
            return;
        }

        try
        {
            string? parent = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(parent))
            {
                Directory.CreateDirectory(parent);
            }

            WindowsSecurity.CreateFolder(Path, StoreAcl.FolderSddl(WindowsSecurity.CurrentUserSid(), IsPerUserWindows()));
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(Path, "its folder cannot be created", e);
        }
    }

    // A store under the calling account's own profile is that account's alone.
    private bool IsPerUserWindows()
    {
        string profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile).TrimEnd('\\', '/');
        return profile.Length > 0 && System.IO.Path.GetFullPath(Path).StartsWith(profile + "\\", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Checks the Windows store as modes are checked on Unix: the folder's and its files' owner and DACL
    /// (<see cref="StoreAcl.Judge"/>). Another principal with any access, a folder that inherits its parent's entries,
    /// or no DACL: <see cref="SsoSecretFailure.StoreInsecure"/>, with the icacls line that fixes it; an owner other than
    /// this account, SYSTEM or Administrators: <see cref="SsoSecretFailure.StoreNotOwned"/>.
    /// </summary>
    private void CheckWindows()
    {
        string user;
        bool perUser = IsPerUserWindows();
        try
        {
            user = WindowsSecurity.CurrentUserSid();
            CheckWindowsEntry(Path, user, isFolder: true, perUser);
            foreach (string file in new[] { FilePath, LockPath, VaultPath })
            {
                if (File.Exists(file))
                {
                    CheckWindowsEntry(file, user, isFolder: false, perUser);
                }
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException)
        {
            throw Unavailable(Path, "its permissions cannot be read", e);
        }
    }

    private void CheckWindowsEntry(string entry, string user, bool isFolder, bool perUser)
    {
        string sddl = WindowsSecurity.ReadSddl(entry);
        if (isFolder && TestSupport.AssumeProtectedFolderDacl && !Sddl.Parse(sddl).DaclProtected)
        {
            sddl = sddl.Replace("D:", "D:P");
        }

        var verdict = StoreAcl.Judge(sddl, user, isFolder, perUser);
        string subject = isFolder ? $"The secret store folder '{entry}'" : $"The secret store file '{entry}'";
        if (verdict.ForeignOwner is string owner)
        {
            throw new StoreException(
                SsoSecretFailure.StoreNotOwned,
                entry,
                $"{subject} belongs to {StoreAcl.Describe(owner)}, not to this account ({user}), SYSTEM or Administrators: that account could change who may read the master secret.")
            {
                RecommendedAction = $"Do not use this store: another account could have written it. Restore the master secret from a backup you trust into a new store (Restore-SsoMasterSecret -StorePath).",
            };
        }

        if (verdict.IsSecure)
        {
            return;
        }

        string why = verdict.NoDacl
            ? "has no access control list, so every account may read and change it"
            : verdict.Others.Count > 0
                ? $"gives access to {string.Join(", ", verdict.Others.ConvertAll(StoreAcl.Describe))}"
                : "takes its permissions from the folders above it (inheritance is on), so a change there opens it";
        throw new StoreException(
            SsoSecretFailure.StoreInsecure,
            entry,
            $"{subject} {why}. A store is open only to the account that made it, SYSTEM and Administrators{(perUser ? " (under a user profile: that account alone)" : string.Empty)}: the master secret is protected with machine-scope DPAPI, which any account that can read the file can open.")
        {
            RecommendedAction = $"Give the store its own permissions (as an administrator): {StoreAcl.Fix(Path, user, perUser, verdict.Others)}",
        };
    }

    private void CheckNotAFile()
    {
        if (File.Exists(Path))
        {
            throw new StoreException(SsoSecretFailure.StoreUnavailable, Path, $"The secret store path '{Path}' is a file; a store is a folder. Give the path of a folder (it is created if missing).");
        }
    }
}
