using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Shows the store's part in an environment: master, replica or none; the master's fingerprint and public key line; a
/// replica's host public key line; the ring's generation, digest and secrets (ids and fingerprints, never the secrets).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SsoEnvironment")]
[OutputType(typeof(SsoEnvironmentInfo))]
public sealed class GetSsoEnvironmentCommand : StoreCommandBase
{
    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(() => WriteObject(EnvironmentOutput.Info(OpenStore())), terminating: true);
}
