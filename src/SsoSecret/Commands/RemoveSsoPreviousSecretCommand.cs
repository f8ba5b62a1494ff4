using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Retires the previous master secret the store kept after a replacement: values still protected under it no longer
/// open. The current secret is never removed.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SsoPreviousSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class RemoveSsoPreviousSecretCommand : SsoSecretCommandBase
{
    /// <summary>Retires the previous secret without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the store's secret information afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => Run(
        () =>
        {
            var store = OpenStore();
            System.Guid previous;
            using (var state = store.Read())
            {
                store.RequireCurrent(state);
                if (state.Previous is null)
                {
                    WriteWarning($"The store '{store.Path}' holds no previous secret; nothing was removed.");
                    if (PassThru)
                    {
                        WriteObject(Output.SecretInfo(state, store.Path));
                    }

                    return;
                }

                previous = state.Previous.Id;
            }

            string action = $"Retire the previous master secret {previous}: values still protected under it will no longer open (a backup of it can restore it)";
            if (!ShouldChange(store.Path, action, Force))
            {
                return;
            }

            bool removed = store.RetirePrevious(previous, out var after);
            using (after)
            {
                WriteVerbose(removed
                    ? $"Retired the previous master secret {previous} from '{store.Path}'."
                    : $"The store '{store.Path}' no longer held a previous secret; nothing was removed.");
                if (PassThru)
                {
                    WriteObject(Output.SecretInfo(after, store.Path));
                }
            }
        },
        terminating: true);
}
