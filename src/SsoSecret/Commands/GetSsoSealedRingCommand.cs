using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Reads a sealed ring file's header and proves it with public keys only, installing nothing: on a replica, that it is
/// sealed to this replica's host key and signed by the master it pinned; on the master, that it is signed by its own
/// environment key. What a replica (or its DSC resource, SsoReplica) needs to know whether the published ring is newer
/// than the one it holds, before it installs anything.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SsoSealedRing")]
[OutputType(typeof(SsoSealedRing))]
public sealed class GetSsoSealedRingCommand : StoreCommandBase
{
    private MasterIdentity? _master;
    private ReplicaPublicKey? _replica;

    /// <summary>The sealed ring file (Export-SsoSealedRing -Path). A FileInfo (Get-ChildItem) binds by its FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void BeginProcessing() => Run(
        () =>
        {
            // Whom the signature is checked against: the store's own part in its environment, read once.
            var store = OpenStore();
            using var state = store.Read();
            switch (state.Environment)
            {
                case { Role: StoreRole.Replica } replica:
                    _master = replica.Pinned!;
                    _replica = store.HostPublicKey() ?? throw new StoreException(
                        SsoSecretFailure.EnvironmentRoleConflict,
                        store.Path,
                        $"The store '{store.Path}' is a replica, but its host key file is missing: no ring sealed to it can be checked or opened. Join the environment again from a new store.");
                    break;
                case { Role: StoreRole.Master } master:
                    _master = store.MasterKeyIdentity() ?? throw new StoreException(
                        SsoSecretFailure.EnvironmentRoleConflict,
                        store.Path,
                        $"The store '{store.Path}' is the master of environment {master.EnvironmentId:D}, but its environment key file is missing: there is no key to check a signature against. Restore it from its backup.");
                    break;
                default:
                    throw new StoreException(
                        SsoSecretFailure.EnvironmentRoleConflict,
                        store.Path,
                        $"The store '{store.Path}' is in no environment: it pins no master whose signature a sealed ring could be checked against. Read the file on a replica that joined the environment, or on its master.");
            }
        },
        terminating: true);

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        // One file that fails is written as an error, and the next piped file is read.
        try
        {
            string path = PathHelper.ResolveLiteral(this, Path);
            var data = SealedRingFile.Read(path);
            var header = SealedRingFile.At(path, () => SealedRing.Verify(data, _master!, _replica));
            WriteObject(SealedRingFile.Output(header, data));
        }
        catch (SsoSecretException e)
        {
            WriteError(ErrorCatalog.ToRecord(e));
        }
    }
}
