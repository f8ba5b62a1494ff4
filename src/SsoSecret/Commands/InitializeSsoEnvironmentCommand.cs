using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Makes the store the master secret server of a new environment: an environment id and an Ed25519 environment key
/// (made here, its private half in the store folder, never leaving it), generation 1 of its ring. Run on the master.
/// </summary>
[Cmdlet(VerbsData.Initialize, "SsoEnvironment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SsoEnvironmentInfo))]
public sealed class InitializeSsoEnvironmentCommand : StoreCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            if (!ShouldProcess(store.Path, "Make this store the master of a new environment"))
            {
                return;
            }

            var identity = store.MakeMaster(out bool created);
            WriteVerbose(created
                ? $"The store '{store.Path}' is now the master of environment {identity.EnvironmentId:D}, fingerprint {identity.Fingerprint}."
                : $"The store '{store.Path}' was the master of environment {identity.EnvironmentId:D} already, fingerprint {identity.Fingerprint}.");
            WriteObject(EnvironmentOutput.Info(store));
        },
        terminating: true);
}
