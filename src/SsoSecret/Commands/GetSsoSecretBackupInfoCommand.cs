using System.IO;
using System.Management.Automation;

namespace SsoSecret.Commands;

/// <summary>
/// <para type="synopsis">Reads what a backup tells without its password: version, creation time, hint, secret id, fingerprint, KDF parameters.</para>
/// </summary>
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
                    var data = ReadBackupFile(path);
                    try
                    {
                        WriteObject(ToInfo(BackupEnvelope.ReadHeader(data), path, new FileInfo(path).Length));
                    }
                    catch (BackupException e)
                    {
                        throw BackupError(e, path);
                    }
                },
                allErrorsTerminating: false);
        }
    }
}
