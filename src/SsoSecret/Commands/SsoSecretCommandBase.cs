using System;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What every SsoSecret command shares: the store it works on, and how failures become error records. Everything
/// else lives in helpers built around the cmdlet (Internal/): paths, passwords and prompts, KDF progress, outputs.
/// </summary>
public abstract class SsoSecretCommandBase : PSCmdlet
{
    /// <summary>The secret store folder. Without it: $env:SSOSECRET_STORE, else the platform default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>
    /// Runs one step, turning the module's failures into error records: thrown when they concern the whole call (or
    /// <paramref name="terminating"/> says every failure does), written otherwise so a pipeline goes on with the next
    /// item. Anything else (a bug) passes through unchanged.
    /// </summary>
    private protected void Run(Action step, bool terminating)
    {
        try
        {
            step();
        }
        catch (SsoSecretException e)
        {
            var record = ErrorCatalog.ToRecord(e);
            if (terminating || ErrorCatalog.ConcernsWholeCall(e.Failure))
            {
                ThrowTerminatingError(record);
            }

            WriteError(record);
        }
    }

    /// <summary>The store this call works on: -StorePath, else $env:SSOSECRET_STORE, else the platform default.</summary>
    private protected MasterSecretStore OpenStore()
    {
        string? chosen = StorePath;
        string source = "-StorePath";
        if (string.IsNullOrEmpty(chosen))
        {
            chosen = Environment.GetEnvironmentVariable(MasterSecretStore.PathVariable);
            source = "$env:" + MasterSecretStore.PathVariable;
        }

        string path;
        if (string.IsNullOrEmpty(chosen))
        {
            path = MasterSecretStore.DefaultPath();
            source = "the platform default";
        }
        else
        {
            path = PathHelper.ResolveLiteral(this, chosen!);
        }

        WriteVerbose($"Secret store: {path} (from {source}).");
        return new MasterSecretStore(path);
    }

    /// <summary>
    /// Asks whether to make a change. -WhatIf always wins; -Force without an explicit -Confirm skips the question, so
    /// unattended callers need no -Confirm:$false; a question the host cannot ask becomes a clear error.
    /// </summary>
    private protected bool ShouldChange(string target, string action, bool force)
    {
        if (force && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
        {
            if (IsWhatIf())
            {
                ShouldProcess(target, action);
                return false;
            }

            return true;
        }

        try
        {
            return ShouldProcess(target, action);
        }
        catch (Exception e) when (Prompt.HostCannotAsk(e))
        {
            throw new SsoSecretException(
                SsoSecretFailure.ConfirmationRequired,
                $"This change needs confirmation, and this session cannot ask for it: {action} on '{target}'.",
                target);
        }
    }

    /// <summary>Asks before replacing something of value; false when the host cannot ask.</summary>
    private protected bool ConfirmReplace(string query, string caption)
    {
        try
        {
            return Prompt.CanPrompt(this) && ShouldContinue(query, caption);
        }
        catch (Exception e) when (Prompt.HostCannotAsk(e))
        {
            return false;
        }
    }

    private bool IsWhatIf() => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value)
        ? LanguagePrimitives.IsTrue(value)
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
}
