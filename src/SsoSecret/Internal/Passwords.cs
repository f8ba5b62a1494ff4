using System;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace SsoSecret.Internal;

/// <summary>
/// Where a command's password comes from: -Password, -Credential, or the host's prompt, with the rules a new backup
/// password must meet. Built around the cmdlet, as SecretStore's Utils.PromptForPassword(cmdlet) is.
/// </summary>
internal static class Passwords
{
    /// <summary>The shortest password a new backup accepts, in Unicode code points.</summary>
    internal const int MinimumCharacters = 8;

    /// <summary>
    /// The password that opens an existing backup, as UTF-8 bytes: the one given, else asked for through the host after
    /// the hint is shown (as ssoconfig -restoreSecret prints its "Password reminder").
    /// </summary>
    internal static PasswordBytes Existing(PSCmdlet cmdlet, SecureString? given, string target, string? hint)
    {
        if (given is null)
        {
            if (!string.IsNullOrEmpty(hint))
            {
                HostText.WriteLine(cmdlet, "Password reminder : " + hint);
            }

            given = Prompt.ReadSecure(cmdlet, $"Password for '{target}'", target);
        }
        else if (!string.IsNullOrEmpty(hint))
        {
            cmdlet.WriteVerbose("Password reminder : " + hint);
        }

        return ToBytes(given);
    }

    /// <summary>
    /// The password for a new backup, checked: the one given, or asked for twice through the host, followed by the
    /// hint when none was given. Returns the bytes; <paramref name="hint"/> is the hint to use.
    /// </summary>
    internal static PasswordBytes New(PSCmdlet cmdlet, SecureString? given, string target, ref string? hint, string what = "the backup")
    {
        if (hint is not null)
        {
            CheckHint(hint);
        }

        if (given is null)
        {
            var first = Prompt.ReadSecure(cmdlet, $"New password for {what} '{target}' (at least {MinimumCharacters} characters)", target);
            var second = Prompt.ReadSecure(cmdlet, "Confirm the password", target);
            using (var a = ToBytes(first))
            using (var b = ToBytes(second))
            {
                if (!a.SameAs(b))
                {
                    throw new SsoSecretException(SsoSecretFailure.PasswordMismatch, "The two passwords differ.", target);
                }
            }

            if (hint is null)
            {
                hint = Prompt.ReadLine(cmdlet, $"Password reminder (a hint shown when {what} is opened; it must not contain the password)", target);
                CheckHint(hint);
            }

            given = first;
        }

        hint ??= string.Empty;
        var bytes = ToBytes(given, hint);
        try
        {
            if (bytes.Characters < MinimumCharacters)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.WeakPassword,
                    bytes.Characters == 0 ? "The password is empty. A backup needs a password." : $"The password is shorter than {MinimumCharacters} characters.",
                    target)
                {
                    RecommendedAction = $"Choose a password of at least {MinimumCharacters} characters; a passphrase of several words is best.",
                };
            }

            if (bytes.HintRevealsPassword)
            {
                // The hint holds the password, and the error record would carry it along in its invocation
                // information ($Error, ConvertTo-Json, Export-Clixml, remoting): withhold it there.
                if (cmdlet.MyInvocation.BoundParameters.ContainsKey("PasswordHint"))
                {
                    cmdlet.MyInvocation.BoundParameters["PasswordHint"] = "(withheld: it contains the password)";
                }

                throw new SsoSecretException(
                    SsoSecretFailure.HintRevealsPassword,
                    "The password hint contains the password. Anyone who reads the backup's header would read the password.",
                    target);
            }

            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a hint a backup cannot store, with its own failure (too long, or not printable text).</summary>
    internal static void CheckHint(string hint)
    {
        if (PasswordHint.Check(hint) is HintProblem problem)
        {
            throw new SsoSecretException(problem.Failure, problem.Message);
        }
    }

    private static PasswordBytes ToBytes(SecureString password, string? hint = null)
    {
        try
        {
            return PasswordBytes.From(password, hint);
        }
        catch (ArgumentException e)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidPassword, e.Message);
        }
    }
}

/// <summary>Asking the person at the host, or failing at once with a clear error when nobody can answer.</summary>
internal static class Prompt
{
    /// <summary>True when the host can ask the user something without hanging.</summary>
    internal static bool CanPrompt(PSCmdlet cmdlet)
    {
        var host = cmdlet.Host;
        if (host?.UI is null)
        {
            return false;
        }

        // A console host whose input is a pipe or a file would read the password from it, or wait forever.
        return !(string.Equals(host.Name, "ConsoleHost", StringComparison.Ordinal) && Console.IsInputRedirected);
    }

    /// <summary>
    /// True for the exceptions a host throws when it cannot ask: a console that is not interactive or has no console
    /// (InvalidOperationException, HostException), a host that does not implement prompting (NotImplementedException),
    /// and a runspace made without a host, where PowerShell's own ShouldProcess and ShouldContinue dereference the
    /// missing host UI (NullReferenceException).
    /// </summary>
    internal static bool HostCannotAsk(Exception e) =>
        e is InvalidOperationException || e is HostException || e is NotImplementedException || e is NullReferenceException;

    internal static SecureString ReadSecure(PSCmdlet cmdlet, string prompt, string target) => Ask(cmdlet, target, () =>
    {
        cmdlet.Host.UI.Write(prompt + ": ");
        return cmdlet.Host.UI.ReadLineAsSecureString();
    });

    internal static string ReadLine(PSCmdlet cmdlet, string prompt, string target) => Ask(cmdlet, target, () =>
    {
        cmdlet.Host.UI.Write(prompt + ": ");
        return cmdlet.Host.UI.ReadLine() ?? string.Empty;
    });

    private static T Ask<T>(PSCmdlet cmdlet, string target, Func<T> ask)
    {
        if (!CanPrompt(cmdlet))
        {
            throw Required(target);
        }

        try
        {
            return ask();
        }
        catch (Exception e) when (HostCannotAsk(e))
        {
            throw Required(target);
        }
    }

    private static SsoSecretException Required(string target) => new(
        SsoSecretFailure.PasswordRequired,
        "A password is needed, and this session cannot ask for one (it is not interactive).",
        target);
}

/// <summary>Lines for the person at the host, as ssoconfig prints them: on the information stream, tagged PSHOST.</summary>
internal static class HostText
{
    internal static void WriteLine(Cmdlet cmdlet, string message) =>
        cmdlet.WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST" });
}
