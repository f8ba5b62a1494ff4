using System;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What every SsoSecret command shares: how failures become error records, and how a change is confirmed. The store
/// parameter lives in <see cref="StoreCommandBase"/>, for the commands that use a store. Everything else lives in
/// helpers built around the cmdlet (Internal/): paths, passwords and prompts, KDF progress, outputs.
/// </summary>
public abstract class SsoSecretCommandBase : PSCmdlet
{
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

    /// <summary>
    /// Asks whether to make a change. -WhatIf always wins; -Force without an explicit -Confirm skips the question, so
    /// unattended callers need no -Confirm:$false. A question this session cannot ask, or that nobody would answer (a
    /// background job), becomes a clear error at once, never a job blocked on it. <paramref name="impact"/> is the
    /// change's own impact when it is lower than the command's (restoring into an empty store replaces nothing).
    /// </summary>
    private protected bool ShouldChange(string target, string action, bool force, ConfirmImpact? impact = null)
    {
        bool confirmBound = MyInvocation.BoundParameters.ContainsKey("Confirm");
        if (IsWhatIf())
        {
            ShouldProcess(target, action);
            return false;
        }

        if (force && !confirmBound)
        {
            return true;
        }

        if (!WouldConfirm(impact ?? CommandImpact()))
        {
            // ShouldProcess would not ask, but it also writes the change to the verbose stream.
            WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\".");
            return true;
        }

        if (Prompt.WhyNot(this) is string reason)
        {
            throw ConfirmationRequired(target, action, reason);
        }

        try
        {
            return ShouldProcess(target, action);
        }
        catch (Exception e) when (Prompt.HostCannotAsk(e))
        {
            throw ConfirmationRequired(target, action, "the host is not interactive");
        }
    }

    /// <summary>
    /// The one question before replacing a master secret, as ssh-keygen's "Overwrite (y/n)?": Yes or No, No the default,
    /// and a No is an answer, not an error (false: the caller changes nothing). -WhatIf shows the change (false);
    /// -Force without -Confirm skips the question. Where nobody can answer, the change is refused: with
    /// <see cref="SsoSecretFailure.ConfirmationRequired"/> when the session's confirmation rules would have asked
    /// (-Confirm, or <paramref name="impact"/> at or above $ConfirmPreference), else with <paramref name="refused"/>
    /// (replacing a secret is never done unasked without -Force).
    /// </summary>
    private protected bool ConfirmReplacement(string target, string action, string question, bool force, ConfirmImpact impact, Func<SsoSecretException> refused) =>
        Confirm("Replace the master secret", target, action, question, force, impact, refused);

    /// <summary>
    /// <see cref="ConfirmReplacement"/>'s question under another caption: Yes or No, No the default; -Force without
    /// -Confirm skips it; where nobody can answer, <paramref name="refused"/> (or ConfirmationRequired under -Confirm).
    /// </summary>
    private protected bool Confirm(string caption, string target, string action, string question, bool force, ConfirmImpact impact, Func<SsoSecretException> refused)
    {
        if (IsWhatIf())
        {
            ShouldProcess(target, action);
            return false;
        }

        bool confirmAsked = MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm) && LanguagePrimitives.IsTrue(confirm);
        if (force && !confirmAsked)
        {
            WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\".");
            return true;
        }

        string? reason = Prompt.WhyNot(this);
        int answer = -1;
        if (reason is null)
        {
            try
            {
                var choices = new System.Collections.ObjectModel.Collection<System.Management.Automation.Host.ChoiceDescription>
                {
                    new("&Yes", "Make the change: " + action),
                    new("&No", "Change nothing (the default)."),
                };
                answer = Host.UI.PromptForChoice(caption, question, choices, 1);
            }
            catch (Exception e) when (Prompt.HostCannotAsk(e))
            {
                reason = "the host is not interactive";
            }
        }

        if (reason is not null)
        {
            if (confirmAsked || (!MyInvocation.BoundParameters.ContainsKey("Confirm") && WouldConfirm(impact)))
            {
                throw ConfirmationRequired(target, action, reason);
            }

            throw refused();
        }

        if (answer != 0)
        {
            HostText.WriteLine(this, "Nothing was changed.");
            return false;
        }

        WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\".");
        return true;
    }

    /// <summary>
    /// True when ShouldProcess would ask: -Confirm given as true, or (without -Confirm) an impact at or above
    /// $ConfirmPreference. The same rule as PowerShell's own, decided here so that a question nobody can answer is
    /// refused before it is asked.
    /// </summary>
    private protected bool WouldConfirm(ConfirmImpact impact)
    {
        if (MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm))
        {
            return LanguagePrimitives.IsTrue(confirm);
        }

        var preference = ConfirmImpact.High;
        if (GetVariableValue("ConfirmPreference") is object value && LanguagePrimitives.TryConvertTo(value, out ConfirmImpact chosen))
        {
            preference = chosen;
        }

        return preference != ConfirmImpact.None && impact >= preference;
    }

    private ConfirmImpact CommandImpact() =>
        GetType().GetCustomAttributes(typeof(CmdletAttribute), inherit: true) is { Length: > 0 } attributes
            ? ((CmdletAttribute)attributes[0]).ConfirmImpact
            : ConfirmImpact.Medium;

    private SsoSecretException ConfirmationRequired(string target, string action, string reason) => new(
        SsoSecretFailure.ConfirmationRequired,
        $"This change needs a confirmation, and this session cannot ask for it: {reason}. The change: {action} on '{target}'.",
        target)
    {
        // Not every command that asks has -Force (Split-SsoMasterSecret has not): the advice names only what it has.
        RecommendedAction = MyInvocation.MyCommand.Parameters.ContainsKey("Force")
            ? "Pass -Force (or -Confirm:$false) to make the change without a question."
            : "Pass -Confirm:$false to make the change without a question.",
    };

    /// <summary>The parameters that give a command's password without a question, for the advice of PasswordRequired.</summary>
    private protected const string PasswordParameters = "-Password <SecureString> or -Credential <PSCredential>";

    private protected bool IsWhatIf() => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value)
        ? LanguagePrimitives.IsTrue(value)
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
}
