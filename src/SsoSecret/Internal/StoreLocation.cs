using System;
using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>
/// Which store a command uses: its -StorePath, else $env:SSOSECRET_STORE, else the platform default. Shared by
/// <see cref="Commands.StoreCommandBase"/> and Test-SsoSecretBackup, whose base class is the one for backup files.
/// </summary>
internal static class StoreLocation
{
    internal static MasterSecretStore Open(PSCmdlet cmdlet, string? storePath)
    {
        string? chosen = storePath;
        string source = "-StorePath";
        if (string.IsNullOrEmpty(chosen))
        {
            chosen = Environment.GetEnvironmentVariable(MasterSecretStore.PathVariable);
            source = "$env:" + MasterSecretStore.PathVariable;
        }

        string path;
        if (string.IsNullOrEmpty(chosen))
        {
            path = MasterSecretStore.DefaultPath();
            source = "the platform default";
        }
        else
        {
            path = PathHelper.ResolveLiteral(cmdlet, chosen!);
        }

        cmdlet.WriteVerbose($"Secret store: {path} (from {source}).");
        return new MasterSecretStore(path);
    }
}
