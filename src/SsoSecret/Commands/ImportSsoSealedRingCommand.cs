using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Installs a sealed ring on a replica (run on the replica): opened with its host key, checked against the master it
/// pinned and the ring it holds (an older ring is never installed), then the ring and its generation replace the
/// store's in one write.
/// </summary>
[Cmdlet(VerbsData.Import, "SsoSealedRing", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(SsoRingSyncResult))]
public sealed class ImportSsoSealedRingCommand : StoreCommandBase
{
    /// <summary>The sealed ring's bytes (the Data of Export-SsoSealedRing's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Data")]
    [ValidateNotNullOrEmpty]
    public byte[] SealedRing { get; set; } = System.Array.Empty<byte>();

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            if (!ShouldProcess(store.Path, "Install the master's sealed ring"))
            {
                return;
            }

            var header = store.InstallRing(SealedRing, out bool installed, out bool vaultInstalled);
            WriteVerbose(installed
                ? $"Installed ring generation {header.Generation} (digest {header.DigestHex}) in '{store.Path}'."
                : $"The store '{store.Path}' holds ring generation {header.Generation} already; no ring was installed.");
            if (vaultInstalled)
            {
                WriteVerbose($"Installed the master's vault (digest {header.VaultDigestHex}) in '{store.Path}'.");
            }

            WriteObject(EnvironmentOutput.SyncResult(store, installed, vaultInstalled));
        },
        terminating: false);
}
