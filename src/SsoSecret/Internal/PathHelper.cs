using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace SsoSecret.Internal;

/// <summary>
/// Turns the paths users give into file system paths, relative to PowerShell's current location (never the process's
/// working folder), and refuses paths on other providers.
/// </summary>
internal static class PathHelper
{
    /// <summary>Resolves a path that need not exist (no wildcards), as -LiteralPath does.</summary>
    internal static string ResolveLiteral(PSCmdlet cmdlet, string path)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException || e is ProviderNotFoundException || e is NotSupportedException || e is ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.PathNotFileSystem, $"The path '{path}' is not a file system path: {e.Message}", path);
        }

        CheckFileSystem(provider, path);
        return resolved;
    }

    /// <summary>
    /// Resolves a path that may hold wildcards to the files it matches, folders left out. A path that matches nothing
    /// is returned as it is (unresolved), so the caller reports it as missing.
    /// </summary>
    internal static List<string> ResolveFiles(PSCmdlet cmdlet, string path)
    {
        if (!WildcardPattern.ContainsWildcardCharacters(path))
        {
            // Escaped wildcard characters (a piped FileInfo, or 'a`[1`].bak' typed) stand for themselves.
            return new List<string> { ResolveLiteral(cmdlet, WildcardPattern.Unescape(path)) };
        }

        try
        {
            var resolved = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
            CheckFileSystem(provider, path);
            var files = new List<string>();
            foreach (string item in resolved)
            {
                if (!Directory.Exists(item))
                {
                    files.Add(item);
                }
            }

            if (files.Count == 0)
            {
                files.Add(ResolveLiteral(cmdlet, WildcardPattern.Unescape(path)));
            }

            return files;
        }
        catch (ItemNotFoundException)
        {
            return new List<string> { ResolveLiteral(cmdlet, WildcardPattern.Unescape(path)) };
        }
    }

    /// <summary>
    /// Refuses a backup target that is a folder or sits in a missing folder, and (without <paramref name="force"/>) one
    /// that exists.
    /// </summary>
    internal static void CheckWriteTarget(string path, bool force) => CheckWriteTarget(path, force, IO.BackupFile.Exists);

    /// <summary>
    /// Refuses a target that is a folder or sits in a missing folder, and (without <paramref name="force"/>) one that
    /// exists, with the failure <paramref name="exists"/> makes.
    /// </summary>
    internal static void CheckWriteTarget(string path, bool force, Func<string, SsoSecretException> exists)
    {
        if (Directory.Exists(path))
        {
            throw new BackupException(SsoSecretFailure.PathIsFolder, $"'{path}' is a folder; give the path of the file to write.", path)
            {
                RecommendedAction = "Add a file name to the path.",
            };
        }

        string? folder = Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder))
        {
            throw new BackupException(SsoSecretFailure.FolderNotFound, $"The folder of '{path}' does not exist.", path);
        }

        if (!force && File.Exists(path))
        {
            throw exists(path);
        }
    }

    private static void CheckFileSystem(ProviderInfo provider, string path)
    {
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            throw new SsoSecretException(
                SsoSecretFailure.PathNotFileSystem,
                $"The path '{path}' is on the {provider.Name} provider; SsoSecret reads and writes files on the file system only.",
                path);
        }
    }
}
