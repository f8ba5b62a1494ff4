using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Commands;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The cmdlets in-process, in a runspace whose host is a scripted user: the prompting flows that a non-interactive
/// Pester session cannot reach (password twice, hint, reminder before the password, confirmations).
/// </summary>
public sealed class PromptingCommandTests : ScriptedRunspaceTests
{
    private const string Password = "Tr0ub4dor&3 horse";

    /// <summary>A backup of a new secret in <see cref="Store"/>, written with <see cref="Password"/> and the given hint.</summary>
    private string NewBackup(string name, string hint = "horse and battery")
    {
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File(name)}' -StorePath '{Store}' -KdfProfile Interactive -PasswordHint '{hint}' -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force)");
        Assert.Empty(errors);
        return File(name);
    }

    [Fact]
    public void NewAsksThePasswordTwiceThenTheHint()
    {
        Answer(Password, Password, "the usual, with a horse");
        var (output, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PassThru");
        Assert.Empty(errors);
        var info = Assert.IsType<SsoMasterSecretInfo>(Assert.Single(output).BaseObject);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("Confirm the password", ScriptHost.Transcript);
        Assert.DoesNotContain(Password, ScriptHost.Transcript);

        var header = BackupEnvelope.ReadHeader(System.IO.File.ReadAllBytes(File("a.bak")));
        Assert.Equal("the usual, with a horse", header.Hint);
        Assert.Equal(info.SecretId, header.SecretId);
    }

    [Fact]
    public void DifferentPasswordsThreeTimesAreAMismatchAndNothingIsWritten()
    {
        Answer(Password, Password + "!", Password, "x" + Password, Password, Password.ToUpperInvariant());
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.StartsWith("SsoSecret.PasswordMismatch,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("The two passwords differ. Try again (2 tries left).", ScriptHost.Transcript);
        Assert.Contains("The two passwords differ. Try again (1 try left).", ScriptHost.Transcript);
        Assert.Equal(3, CountOf(ScriptHost.Transcript, "Confirm the password"));
        Assert.False(System.IO.File.Exists(File("a.bak")));
        Assert.False(System.IO.File.Exists(Path.Combine(Store, MasterSecretStore.FileName)));
    }

    [Fact]
    public void AMistypedConfirmationIsAskedAgainAndTheSecondPairIsTheBackupsPassword()
    {
        Answer(Password, Password + "!", Password, Password, "the usual");
        var (output, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PassThru");
        Assert.Empty(errors);
        Assert.Single(output);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("The two passwords differ. Try again (2 tries left).", ScriptHost.Transcript);
        Assert.DoesNotContain(Password, ScriptHost.Transcript);
        Assert.Equal("the usual", BackupEnvelope.ReadHeader(System.IO.File.ReadAllBytes(File("a.bak"))).Hint);
        var (opened, openErrors) = Invoke($"Test-SsoSecretBackup -LiteralPath '{File("a.bak")}' -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force)");
        Assert.Empty(openErrors);
        Assert.True((bool)Assert.Single(opened).BaseObject);
    }

    [Fact]
    public void ATooShortTypedPasswordIsAskedAgainOnBackup()
    {
        NewBackup("first.bak");
        Answer("short", "short", Password, Password, "the usual");
        var (_, errors) = Invoke($"Backup-SsoMasterSecret '{File("b.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.Empty(errors);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("The password is shorter than 8 characters. Try again (2 tries left).", ScriptHost.Transcript);
        Assert.True(System.IO.File.Exists(File("b.bak")));
    }

    [Fact]
    public void ATypedHintThatCannotBeStoredIsAskedAgain()
    {
        Answer(Password, Password, "it is " + Password.ToUpperInvariant(), "line one\nline two", "the usual");
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.Empty(errors);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("The password hint contains the password.", ScriptHost.Transcript);
        Assert.Contains("Try again (1 try left).", ScriptHost.Transcript);
        Assert.Equal("the usual", BackupEnvelope.ReadHeader(System.IO.File.ReadAllBytes(File("a.bak"))).Hint);
    }

    [Fact]
    public void APasswordGivenAsAParameterIsNeverAskedAgain()
    {
        Answer(Password, Password, "unused");
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PasswordHint h -Password (ConvertTo-SecureString 'short' -AsPlainText -Force)");
        Assert.StartsWith("SsoSecret.WeakPassword,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.Equal(3, ScriptHost.Answers.Count);
        Assert.DoesNotContain("Try again", ScriptHost.Transcript);
    }

    [Fact]
    public void ATypedHintThatContainsThePasswordIsRefused()
    {
        // Three typed hints that give the password away: the last refusal is the command's error.
        Answer(Password, Password, "it is " + Password.ToUpperInvariant(), Password + "!", "x" + Password);
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.StartsWith("SsoSecret.HintRevealsPassword,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.Empty(ScriptHost.Answers);
        Assert.DoesNotContain(Password, errors[0].ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Password, ScriptHost.Transcript, StringComparison.OrdinalIgnoreCase);
        Assert.False(System.IO.File.Exists(File("a.bak")));
    }

    [Fact]
    public void RestoreShowsTheReminderBeforeAskingThePassword()
    {
        Answer(Password, Password, "horse and battery");
        Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");

        // Into an empty store nothing is replaced: no confirmation is asked (the host has no choice to give).
        Answer(Password);
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{File("a.bak")}' -StorePath '{File("other")}' -PassThru");
        Assert.Empty(errors);
        Assert.Single(output);
        string transcript = ScriptHost.Transcript;
        int reminder = transcript.LastIndexOf("Password reminder : horse and battery", StringComparison.Ordinal);
        int prompt = transcript.LastIndexOf("Password for", StringComparison.Ordinal);
        Assert.True(reminder >= 0 && prompt > reminder, transcript);
    }

    [Fact]
    public void ReplacingASecretAsksOneQuestionAndANoKeepsItWithoutAnError()
    {
        Answer(Password, Password, "h");
        var (first, _) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PassThru");
        var original = (SsoMasterSecretInfo)first[0].BaseObject;

        ScriptHost.Choices.Enqueue(false);
        var (none, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("b.bak")}' -StorePath '{Store}' -KdfProfile Interactive -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force) -PassThru");
        Assert.Empty(errors);
        Assert.Empty(none);
        Assert.Empty(ScriptHost.Choices);
        Assert.False(System.IO.File.Exists(File("b.bak")));
        Assert.Contains("Nothing was changed.", ScriptHost.Transcript);
        Assert.Contains($"The key ring keeps master secret {original.SecretId} as an earlier secret", ScriptHost.Transcript);

        ScriptHost.Choices.Enqueue(true);
        var (output, errors2) = Invoke($"New-SsoMasterSecret -BackupPath '{File("b.bak")}' -StorePath '{Store}' -KdfProfile Interactive -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force) -PassThru");
        Assert.Empty(errors2);
        var replaced = (SsoMasterSecretInfo)output[0].BaseObject;
        Assert.NotEqual(original.SecretId, replaced.SecretId);
        Assert.Equal(original.SecretId, replaced.PreviousSecretId);
    }

    [Fact]
    public void AWrongTypedPasswordOnRestoreIsAskedAgainAndTheKdfRunsPerTry()
    {
        string backup = NewBackup("a.bak");
        Answer("incorrect mule battery clip", Password);
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{File("other")}' -PassThru -Verbose", out var verbose);
        Assert.Empty(errors);
        Assert.Single(output);
        Assert.Empty(ScriptHost.Answers);
        Assert.Contains("That password does not open the backup. Try again (2 tries left).", ScriptHost.Transcript);
        Assert.Equal(1, CountOf(ScriptHost.Transcript, "Password reminder : horse and battery"));
        Assert.Equal(2, verbose.Count(v => v.StartsWith("Deriving the key", StringComparison.Ordinal)));
    }

    [Fact]
    public void ThreeWrongTypedPasswordsFailAndTheAdvicePointsAtTheReminderJustShown()
    {
        string backup = NewBackup("a.bak");
        string other = File("other");
        Answer("wrong password one", "wrong password two", "wrong password three", "never asked");
        var (_, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{other}'");
        var error = Assert.Single(errors);
        Assert.StartsWith("SsoSecret.WrongPassword,", error.FullyQualifiedErrorId);
        Assert.IsType<WrongPasswordException>(error.Exception);
        Assert.Equal("never asked", Assert.Single(ScriptHost.Answers));
        Assert.Contains("reminder shown above the prompt", error.ErrorDetails.RecommendedAction);
        Assert.Contains("horse and battery", error.ErrorDetails.RecommendedAction);
        Assert.DoesNotContain("Get-SsoSecretBackupInfo", error.ErrorDetails.RecommendedAction);
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void AWrongPasswordGivenAsAParameterFailsAtOnceWithTheUsualAdvice()
    {
        string backup = NewBackup("a.bak");
        Answer(Password);
        var (_, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{File("other")}' -Password (ConvertTo-SecureString 'incorrect mule' -AsPlainText -Force)");
        var error = Assert.Single(errors);
        Assert.StartsWith("SsoSecret.WrongPassword,", error.FullyQualifiedErrorId);
        Assert.Single(ScriptHost.Answers);
        Assert.DoesNotContain("Try again", ScriptHost.Transcript);
        Assert.Contains("Get-SsoSecretBackupInfo", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void RestoreWhatIfAsksNoPasswordAndRunsNoKdf()
    {
        string backup = NewBackup("a.bak");
        string other = File("other");
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{other}' -WhatIf -Verbose", out var verbose);
        Assert.Empty(errors);
        Assert.Empty(output);
        Assert.DoesNotContain("Password for", ScriptHost.Transcript);
        Assert.DoesNotContain(verbose, v => v.StartsWith("Deriving the key", StringComparison.Ordinal));
        Assert.Contains("What if: Performing the operation \"Restore master secret", ScriptHost.Transcript);
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void ReplacingOnRestoreAsksOneQuestionBeforeThePassword()
    {
        string backup = NewBackup("a.bak");
        string other = File("other");
        NewStoreWithAnotherSecret(other);
        ScriptHost.Choices.Enqueue(true);
        Answer(Password);
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{other}' -PassThru");
        Assert.Empty(errors);
        Assert.Empty(ScriptHost.Choices);
        var info = (SsoMasterSecretInfo)Assert.Single(output).BaseObject;
        Assert.True(info.HasPreviousSecret);
        string transcript = ScriptHost.Transcript;
        Assert.Equal(1, CountOf(transcript, "Replace the master secret"));
        int question = transcript.IndexOf("Make ", StringComparison.Ordinal);
        int prompt = transcript.IndexOf("Password for", StringComparison.Ordinal);
        Assert.True(question >= 0 && prompt > question, transcript);
    }

    [Fact]
    public void ADeclinedReplacementOnRestoreAsksNoPasswordAndIsNoError()
    {
        string backup = NewBackup("a.bak");
        string other = File("other");
        NewStoreWithAnotherSecret(other);
        ScriptHost.Choices.Enqueue(false);
        Answer(Password);
        var (_, errors) = Invoke($"Restore-SsoMasterSecret '{backup}' -StorePath '{other}'");
        Assert.Empty(errors);
        Assert.Empty(ScriptHost.Choices);
        Assert.Contains("Nothing was changed.", ScriptHost.Transcript);
        Assert.Single(ScriptHost.Answers);
        Assert.DoesNotContain("Password for", ScriptHost.Transcript);
    }

    [Fact]
    public void AHostWithoutAUserInterfaceGetsPasswordRequiredAtOnce()
    {
        using var ps = PowerShell.Create(InitialSessionState.CreateDefault2());
        ps.AddCommand("Import-Module").AddArgument(typeof(BackupSsoMasterSecretCommand).Assembly.Location).AddStatement();
        ps.AddCommand("New-SsoMasterSecret").AddParameter("BackupPath", File("x.bak")).AddParameter("StorePath", Store).AddParameter("KdfProfile", KdfProfile.Interactive);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string id;
        try
        {
            ps.Invoke();
            id = Assert.Single(ps.Streams.Error).FullyQualifiedErrorId;
        }
        catch (RuntimeException e)
        {
            id = e.ErrorRecord.FullyQualifiedErrorId;
        }

        Assert.StartsWith("SsoSecret.PasswordRequired,", id);
        // "At once": no prompt waited on. A loaded 2-core machine can take many seconds to import the module.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"took {watch.Elapsed}");
        Assert.False(System.IO.File.Exists(File("x.bak")));
    }

    private void NewStoreWithAnotherSecret(string store)
    {
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File(Guid.NewGuid().ToString("N") + ".bak")}' -StorePath '{store}' -KdfProfile Interactive -PasswordHint h -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force)");
        Assert.Empty(errors);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
