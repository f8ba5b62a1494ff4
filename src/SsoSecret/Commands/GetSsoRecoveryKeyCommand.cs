using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Reads what a recovery key file tells without its password (the public key line, its fingerprint, the hint), or what
/// a public key line tells (its fingerprint, and whether it is a valid key).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SsoRecoveryKey", DefaultParameterSetName = PathSet)]
[OutputType(typeof(SsoRecoveryKeyInfo))]
public sealed class GetSsoRecoveryKeyCommand : BackupFileCommandBase
{
    private const string PublicKeySet = "PublicKey";

    /// <summary>Public key lines (ssosecret-recipient1...) to check and show the fingerprints of; no file is read.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PublicKeySet)]
    [AllowEmptyString]
    public string[] PublicKey { get; set; } = System.Array.Empty<string>();

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == PublicKeySet)
        {
            foreach (string line in PublicKey)
            {
                try
                {
                    WriteObject(Output.PublicKeyInfo(RecoveryPublicKey.Parse(line ?? string.Empty)));
                }
                catch (SsoSecretException e) when (e.Failure == SsoSecretFailure.InvalidRecipient)
                {
                    // Each line on its own; and a value that is not a key at all (a password pasted in the wrong place?)
                    // is withheld from the record's bound parameters, as -Recipient's is.
                    if (!RecoveryPublicKey.LooksLikeKey(line ?? string.Empty))
                    {
                        MyInvocation.BoundParameters[nameof(PublicKey)] = "(withheld: a value that is not a recovery public key)";
                    }

                    WriteError(ErrorCatalog.ToRecord(e, line is not null && RecoveryPublicKey.LooksLikeKey(line) ? line : null));
                }
            }

            return;
        }

        foreach (string path in InputFiles())
        {
            Run(() => WriteObject(Output.RecoveryKeyInfo(RecoveryKeys.Read(path).Header, path)), terminating: false);
        }
    }
}
