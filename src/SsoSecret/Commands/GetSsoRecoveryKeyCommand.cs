using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Reads what a recovery key file tells without its password: the public key line, its fingerprint, the hint.</summary>
[Cmdlet(VerbsCommon.Get, "SsoRecoveryKey", DefaultParameterSetName = PathSet)]
[OutputType(typeof(SsoRecoveryKeyInfo))]
public sealed class GetSsoRecoveryKeyCommand : BackupFileCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputFiles())
        {
            Run(() => WriteObject(Output.RecoveryKeyInfo(RecoveryKeys.Read(path).Header, path)), terminating: false);
        }
    }
}
