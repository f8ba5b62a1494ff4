using System.Management.Automation;

namespace SsoSecret.Commands;

/// <summary>
/// Makes a damaged vault usable again without losing anything: the damaged file is kept beside it, byte for byte
/// (vault.dat.damaged-&lt;UTC time&gt;), and the vault is written again with its intact entries. What the damage held is
/// then set again from its source, or imported from an export (Import-SsoVault). An intact vault is left as it is.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "SsoVault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SsoVaultRepairResult))]
public sealed class RepairSsoVaultCommand : StoreCommandBase
{
    /// <summary>Repairs without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            var check = store.RepairVault(check: true);
            if (check is null)
            {
                WriteVerbose($"The vault of '{store.Path}' is intact (or there is none); nothing was changed.");
                return;
            }

            string action = $"Keep the damaged vault file as '{check.DamagedCopy}' and write the vault again with its {check.Kept.Count} intact entries; the damage ({string.Join("; ", check.Damage)}) stays in the copy only.";
            if (!ShouldChange(store.Path, action, Force))
            {
                return;
            }

            var repair = store.RepairVault(check: false);
            if (repair is null)
            {
                WriteVerbose($"The vault of '{store.Path}' was repaired meanwhile; nothing was changed.");
                return;
            }

            WriteWarning($"Entries in the damaged part of the vault were not kept: set them again from their sources, or import them from an export (Import-SsoVault). The damaged file is kept as '{repair.DamagedCopy}'.");
            WriteObject(new SsoVaultRepairResult
            {
                StorePath = store.Path,
                DamagedCopy = repair.DamagedCopy,
                Kept = repair.Kept.ToArray(),
                Damage = repair.Damage.ToArray(),
            });
        },
        terminating: true);
}
