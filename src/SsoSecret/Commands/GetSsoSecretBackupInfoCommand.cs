using System.IO;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Reads what a backup tells without its password: version, creation time, hint, secret id, fingerprint, KDF parameters.</summary>
[Cmdlet(VerbsCommon.Get, "SsoSecretBackupInfo", DefaultParameterSetName = PathSet)]
[OutputType(typeof(SsoSecretBackupInfo))]
public sealed class GetSsoSecretBackupInfoCommand : BackupFileCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputFiles())
        {
            Run(
                () =>
                {
                    var data = IO.BackupFile.Read(path);
                    WriteObject(Output.BackupInfo(IO.BackupFile.ReadHeader(data, path), path, new FileInfo(path).Length));
                },
                terminating: false);
        }
    }
}
