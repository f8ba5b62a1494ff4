using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Seals the master's key ring to one replica's host public key and signs it with the environment key (run on the
/// master). The output holds the sealed bytes, which only that replica opens, and the header anyone can read.
/// </summary>
[Cmdlet(VerbsData.Export, "SsoSealedRing")]
[OutputType(typeof(SsoSealedRing))]
public sealed class ExportSsoSealedRingCommand : StoreCommandBase
{
    /// <summary>The replica's host public key line (ssosecret-replica1...), as Get-SsoEnvironment shows it on the replica.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("HostPublicKey")]
    [ValidateNotNullOrEmpty]
    public string ReplicaPublicKey { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var replica = SsoSecret.ReplicaPublicKey.Parse(ReplicaPublicKey);
            var store = OpenStore();
            var data = store.SealRing(replica, out _);
            var header = SealedRing.ReadHeader(data);
            WriteObject(new SsoSealedRing
            {
                EnvironmentId = header.EnvironmentId,
                Generation = header.Generation,
                MasterFingerprint = new MasterIdentity(header.EnvironmentId, header.MasterPublicKey).Fingerprint,
                ReplicaFingerprint = header.ReplicaFingerprint,
                RingDigest = header.DigestHex,
                Created = header.Created.UtcDateTime,
                Data = data,
            });
        },
        terminating: false);
}
