using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Installs a sealed ring on a replica (run on the replica): opened with its host key, checked against the master it
/// pinned and the ring it holds (an older ring is never installed), then the ring and its generation replace the
/// store's in one write. The ring comes as bytes (-SealedRing) or from a file the master published (-Path).
/// </summary>
[Cmdlet(VerbsData.Import, "SsoSealedRing", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = DataSet)]
[OutputType(typeof(SsoRingSyncResult))]
public sealed class ImportSsoSealedRingCommand : StoreCommandBase
{
    private const string DataSet = "Data";
    private const string FileSet = "File";

    /// <summary>The sealed ring's bytes (the Data of Export-SsoSealedRing's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = DataSet)]
    [Alias("Data")]
    [ValidateNotNullOrEmpty]
    public byte[] SealedRing { get; set; } = System.Array.Empty<byte>();

    /// <summary>A sealed ring file (Export-SsoSealedRing -Path): read whole, never more than the largest sealed ring.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FileSet)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            byte[] data = SealedRing;
            string? path = null;
            if (ParameterSetName == FileSet)
            {
                path = PathHelper.ResolveLiteral(this, Path);
                data = SealedRingFile.Read(path);
            }

            string from = path is null ? string.Empty : $" from '{path}'";

            if (!ShouldProcess(store.Path, $"Install the master's sealed ring{from}"))
            {
                return;
            }

            bool installed = false;
            bool vaultInstalled = false;
            var header = path is null
                ? store.InstallRing(data, out installed, out vaultInstalled)
                : SealedRingFile.At(path, () => store.InstallRing(data, out installed, out vaultInstalled));
            WriteVerbose(installed
                ? $"Installed ring generation {header.Generation} (digest {header.DigestHex}){from} in '{store.Path}'."
                : $"The store '{store.Path}' holds ring generation {header.Generation} already; no ring was installed.");
            if (vaultInstalled)
            {
                WriteVerbose($"Installed the master's vault (digest {header.VaultDigestHex}) in '{store.Path}'.");
            }

            WriteObject(EnvironmentOutput.SyncResult(store, installed, vaultInstalled));
        },
        terminating: false);
}
