using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// On an environment's master: removes a replica from the master's list of replicas (the replicas it has sealed its
/// ring to, each of which must confirm before a staged secret is activated or a secret retired through the sessions),
/// for a replica that left the environment or was rebuilt with a new host key. The replica's own store is not touched,
/// and a later sync to it lists it again.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SsoReplica", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SsoEnvironmentInfo))]
public sealed class RemoveSsoReplicaCommand : StoreCommandBase
{
    /// <summary>The replica's fingerprint (eight groups of four hex digits), as the master's Replicas or the replica's HostFingerprint show it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("HostFingerprint")]
    [ValidateNotNullOrEmpty]
    public string[] Fingerprint { get; set; } = System.Array.Empty<string>();

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            foreach (var fingerprint in Fingerprint)
            {
                if (!ShouldProcess(store.Path, $"Remove the replica {fingerprint} from the master's list of replicas: activations and retirements stop waiting for its confirmation"))
                {
                    continue;
                }

                var removed = store.ForgetReplica(fingerprint);
                if (removed is null)
                {
                    WriteWarning($"The master '{store.Path}' does not list the replica {fingerprint}; nothing was removed for it.");
                }
                else
                {
                    WriteVerbose($"Removed the replica {removed.Fingerprint} ({removed.Text}) from the list of the master '{store.Path}'.");
                }
            }

            WriteObject(EnvironmentOutput.Info(store));
        },
        terminating: true);
}
