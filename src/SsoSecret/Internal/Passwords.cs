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
    /// How many times a password typed at the prompt may be tried, as passwd and sudo allow: a mistyped confirmation
    /// or a wrong password is asked again, up to this many tries in all. A password passed as a parameter is used once.
    /// </summary>
    internal const int Tries = 3;

    /// <summary>A password given as a parameter, as UTF-8 bytes.</summary>
    internal static PasswordBytes Given(SecureString given) => ToBytes(given);

    /// <summary>
    /// Opens an existing backup with its password: the one given, tried once; else typed at the prompt after the hint
    /// is shown (as ssoconfig -restoreSecret prints its "Password reminder"), and asked again when
    /// <paramref name="open"/> finds it wrong, up to <see cref="Tries"/> times. <paramref name="open"/> runs the KDF
    /// (the key commitment tells a wrong password only after it), once per try.
    /// </summary>
    internal static T Open<T>(PSCmdlet cmdlet, SecureString? given, string target, string? hint, Func<PasswordBytes, T> open, string answeredBy, string what = "the backup")
    {
        // A blank hint (white space only, which older versions stored) reminds of nothing: it is not shown.
        bool hasHint = !string.IsNullOrWhiteSpace(hint);
        if (given is not null)
        {
            if (hasHint)
            {
                cmdlet.WriteVerbose("Password reminder : " + hint);
            }

            using var bytes = ToBytes(given);
            return open(bytes);
        }

        if (hasHint)
        {
            HostText.WriteLine(cmdlet, "Password reminder : " + hint);
        }

        for (int attempt = 1; ; attempt++)
        {
            using var typed = Prompt.ReadSecure(cmdlet, $"Password for '{target}'", target, answeredBy);
            using var bytes = ToBytes(typed);
            try
            {
                return open(bytes);
            }
            catch (SsoSecretException e) when (e.Failure == SsoSecretFailure.WrongPassword)
            {
                if (attempt < Tries)
                {
                    HostText.WriteLine(cmdlet, $"That password does not open {what}. " + TryAgain(attempt));
                    continue;
                }

                // The reminder was just shown above the prompt: pointing at Get-SsoSecretBackupInfo would send the
                // person to read it again elsewhere.
                e.RecommendedAction = hasHint
                    ? $"Check the password against the reminder shown above the prompt (\"{hint}\"), then run the command again."
                    : "The backup has no password reminder. Check the password (its case, the keyboard layout), then run the command again.";
                throw;
            }
        }
    }

    /// <summary>
    /// The password for a new backup, checked: the one given, or typed twice at the prompt (asked again, up to
    /// <see cref="Tries"/> times, when the two differ or the password is too short), followed by the hint when none
    /// was given (asked again when it cannot be stored). Returns the bytes; <paramref name="hint"/> is the hint to use.
    /// </summary>
    internal static PasswordBytes New(PSCmdlet cmdlet, SecureString? given, string target, ref string? hint, string answeredBy, string what = "the backup")
    {
        if (hint is not null)
        {
            CheckHint(hint);
        }

        if (given is not null)
        {
            var bytes = ToBytes(given, hint ?? string.Empty);
            try
            {
                CheckNew(cmdlet, bytes, target);
                hint ??= string.Empty;
                return bytes;
            }
            catch
            {
                bytes.Dispose();
                throw;
            }
        }

        SecureString? password = null;
        try
        {
            password = TypeNew(cmdlet, target, hint, answeredBy, what);
            hint ??= TypeHint(cmdlet, password, target, what);
            return ToBytes(password, hint);
        }
        finally
        {
            password?.Dispose();
        }
    }

    private static SecureString TypeNew(PSCmdlet cmdlet, string target, string? hint, string answeredBy, string what)
    {
        for (int attempt = 1; ; attempt++)
        {
            SecureString? first = Prompt.ReadSecure(cmdlet, $"New password for {what} '{target}' (at least {MinimumCharacters} characters)", target, answeredBy);
            try
            {
                // A password that cannot be used is refused before it is typed a second time.
                using var a = ToBytes(first, hint);
                CheckNew(cmdlet, a, target);
                using var second = Prompt.ReadSecure(cmdlet, "Confirm the password", target, answeredBy);
                using (var b = ToBytes(second))
                {
                    if (!a.SameAs(b))
                    {
                        throw new SsoSecretException(SsoSecretFailure.PasswordMismatch, "The two passwords differ.", target);
                    }
                }

                var chosen = first;
                first = null;
                return chosen;
            }
            catch (SsoSecretException e) when (attempt < Tries && e.Failure is SsoSecretFailure.PasswordMismatch or SsoSecretFailure.WeakPassword
                or SsoSecretFailure.InvalidPassword or SsoSecretFailure.HintRevealsPassword)
            {
                HostText.WriteLine(cmdlet, e.Message + " " + TryAgain(attempt));
            }
            finally
            {
                first?.Dispose();
            }
        }
    }

    private static string TypeHint(PSCmdlet cmdlet, SecureString password, string target, string what)
    {
        for (int attempt = 1; ; attempt++)
        {
            string typed = Prompt.ReadLine(cmdlet, $"Password reminder (a hint shown when {what} is opened; it must not contain the password)", target, "-PasswordHint <String>");
            try
            {
                CheckHint(typed);
                using (var bytes = ToBytes(password, typed))
                {
                    CheckNew(cmdlet, bytes, target);
                }

                return typed;
            }
            catch (SsoSecretException e) when (attempt < Tries && e.Failure is SsoSecretFailure.HintTooLong or SsoSecretFailure.InvalidHint
                or SsoSecretFailure.HintRevealsPassword)
            {
                HostText.WriteLine(cmdlet, e.Message + " " + TryAgain(attempt));
            }
        }
    }

    /// <summary>Refuses a new backup password that is too short, or that the hint gives away.</summary>
    private static void CheckNew(PSCmdlet cmdlet, PasswordBytes bytes, string target)
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
    }

    internal static string TryAgain(int attempt)
    {
        int left = Tries - attempt;
        return $"Try again ({left} {(left == 1 ? "try" : "tries")} left).";
    }

    /// <summary>
    /// Refuses a hint a backup cannot store, with its own failure (too long, or not printable text), and a hint of
    /// white space only: it would be stored, and show a blank reminder when the backup is opened. An empty hint means
    /// none.
    /// </summary>
    internal static void CheckHint(string hint)
    {
        if (PasswordHint.Check(hint) is HintProblem problem)
        {
            throw new SsoSecretException(problem.Failure, problem.Message);
        }

        if (hint.Length > 0 && string.IsNullOrWhiteSpace(hint))
        {
            throw new SsoSecretException(
                SsoSecretFailure.InvalidHint,
                "The password hint is only white space, which would show a blank reminder. Give a hint in words, or none (an empty hint).")
            {
                RecommendedAction = "Give -PasswordHint a reminder in words, or '' for none.",
            };
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

/// <summary>Lines for the person at the host, as ssoconfig prints them: on the information stream, tagged PSHOST.</summary>
internal static class HostText
{
    internal static void WriteLine(Cmdlet cmdlet, string message) =>
        cmdlet.WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST" });
}
