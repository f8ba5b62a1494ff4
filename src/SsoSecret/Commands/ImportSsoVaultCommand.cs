using System.Management.Automation;
using SsoSecret.Internal;
using SsoSecret.IO;
using SsoSecret.Vault;

namespace SsoSecret.Commands;

/// <summary>
/// Brings a vault export (Export-SsoVault) into the store's vault: on a new server after the key ring's backups are
/// restored, or to bring back entries removed by mistake. Every entry must open with the store's key ring, and an
/// entry the vault already holds must hold the same value; otherwise nothing is imported. Never replaces a value.
/// </summary>
[Cmdlet(VerbsData.Import, "SsoVault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SsoVaultImportResult))]
public sealed class ImportSsoVaultCommand : StoreCommandBase
{
    /// <summary>The vault export to import.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            string path = PathHelper.ResolveLiteral(this, Path);
            byte[] data = BackupFile.Read(path, VaultFile.MaxLength);
            var source = VaultFile.Deserialize(data, path);
            var check = store.ImportVault(source, path, check: true);
            if (!ShouldChange(store.Path, $"Import {check.Added.Count} entries from '{path}' into the vault of '{store.Path}' ({check.Unchanged.Count} it holds already with the same value).", force: false, check.Added.Count == 0 ? ConfirmImpact.None : null))
            {
                return;
            }

            var result = check.Added.Count == 0 ? check : store.ImportVault(source, path, check: false);
            WriteVerbose($"Imported {result.Added.Count} entries from '{path}' into the vault of '{store.Path}'; {result.Unchanged.Count} were there already.");
            WriteObject(new SsoVaultImportResult
            {
                Path = path,
                StorePath = store.Path,
                Added = result.Added.ToArray(),
                Unchanged = result.Unchanged.ToArray(),
            });
        },
        terminating: false);
}
