using System;
using System.IO;
using System.Linq;
using SsoSecret.Commands;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The prompting flows of recovery keys and password changes, in a runspace whose host is a scripted user: what is
/// asked, in which order, and what is never asked (a wrong key is refused before its password is).
/// </summary>
public sealed class RecoveryPromptingTests : ScriptedRunspaceTests
{
    private const string KeyPassword = "key file passphrase 1";
    private const string BackupPassword = "backup passphrase 22";
    private const string NewPassword = "a new passphrase 333";

    private static string Secure(string text) => $"(ConvertTo-SecureString '{text}' -AsPlainText -Force)";

    /// <summary>A key made at the prompt (password twice, then its hint); returns its public key line.</summary>
    private string NewKey(string name, string hint)
    {
        Answer(KeyPassword, KeyPassword, hint);
        var (output, errors) = Invoke($"New-SsoRecoveryKey -Path '{File(name)}' -KdfProfile Interactive");
        Assert.Empty(errors);
        return ((SsoRecoveryKeyInfo)Assert.Single(output).BaseObject).PublicKey;
    }

    [Fact]
    public void NewRecoveryKeyAsksThePasswordTwiceThenTheHint()
    {
        string publicKey = NewKey("a.key", "the ops safe");
        Assert.Empty(ScriptHost.Answers);
        string transcript = ScriptHost.Transcript;
        int first = transcript.IndexOf("New password for the recovery key", StringComparison.Ordinal);
        int confirm = transcript.IndexOf("Confirm the password", StringComparison.Ordinal);
        int hint = transcript.IndexOf("Password reminder (a hint shown when the recovery key is opened", StringComparison.Ordinal);
        Assert.True(first >= 0 && confirm > first && hint > confirm, transcript);
        Assert.DoesNotContain(KeyPassword, transcript);
        Assert.StartsWith("ssosecret-recipient1", publicKey);
        Assert.Equal("the ops safe", RecoveryKeyFile.ReadHeader(System.IO.File.ReadAllBytes(File("a.key"))).Hint);
    }

    [Fact]
    public void AMistypedConfirmationOfAKeyPasswordWritesNoKey()
    {
        // Three tries, as for a backup's password: each confirmation mistyped.
        Answer(KeyPassword, KeyPassword + "x", KeyPassword, KeyPassword + "y", KeyPassword, KeyPassword + "z");
        var (_, errors) = Invoke($"New-SsoRecoveryKey -Path '{File("b.key")}' -KdfProfile Interactive");
        Assert.StartsWith("SsoSecret.PasswordMismatch,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.Contains("The two passwords differ. Try again (1 try left).", ScriptHost.Transcript);
        Assert.False(System.IO.File.Exists(File("b.key")));
    }

    [Fact]
    public void RestoreWithARecoveryKeyShowsTheKeysReminderThenAsksItsPassword()
    {
        string publicKey = NewKey("a.key", "envelope 3 in the safe");
        var (_, backupErrors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -Recipient '{publicKey}' -StorePath '{Store}'");
        Assert.Empty(backupErrors);
        Assert.Empty(ScriptHost.Answers);

        Answer(KeyPassword);
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{File("a.bak")}' -RecoveryKeyPath '{File("a.key")}' -StorePath '{File("other")}' -Force -PassThru");
        Assert.Empty(errors);
        Assert.Single(output);
        string transcript = ScriptHost.Transcript;
        int reminder = transcript.LastIndexOf("Password reminder : envelope 3 in the safe", StringComparison.Ordinal);
        int prompt = transcript.LastIndexOf($"Password for '{File("a.key")}'", StringComparison.Ordinal);
        Assert.True(reminder >= 0 && prompt > reminder, transcript);
    }

    [Fact]
    public void AKeyTheBackupIsNotSealedToIsRefusedBeforeItsPasswordIsAsked()
    {
        string sealedTo = NewKey("a.key", "a");
        NewKey("b.key", "b");
        Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -Recipient '{sealedTo}' -StorePath '{Store}'");
        int before = ScriptHost.Transcript.Length;

        var (_, errors) = Invoke($"Restore-SsoMasterSecret '{File("a.bak")}' -RecoveryKeyPath '{File("b.key")}' -StorePath '{File("other")}' -Force");
        Assert.StartsWith("SsoSecret.WrongRecoveryKey,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.DoesNotContain("Password for", ScriptHost.Transcript.Substring(before));
    }

    [Fact]
    public void TestAsksTheKeysPasswordOnceForEveryBackupSealedToIt()
    {
        string publicKey = NewKey("a.key", "a");
        Invoke($"New-SsoMasterSecret -BackupPath '{File("1.bak")}' -Recipient '{publicKey}' -StorePath '{Store}'");
        var (_, backupErrors) = Invoke($"'{File("2.bak")}', '{File("3.bak")}' | Backup-SsoMasterSecret -Recipient '{publicKey}' -StorePath '{Store}'");
        Assert.Empty(backupErrors);
        int before = ScriptHost.Transcript.Length;

        Answer(KeyPassword);
        var (output, errors) = Invoke($"Test-SsoSecretBackup '{File("1.bak")}', '{File("2.bak")}', '{File("3.bak")}' -RecoveryKeyPath '{File("a.key")}' -StorePath '{Store}' -Detailed");
        Assert.Empty(errors);
        Assert.All(output, o => Assert.True(((SsoSecretBackupTestResult)o.BaseObject).RecoveryKeyVerified));
        Assert.Equal(3, output.Count);
        string asked = ScriptHost.Transcript.Substring(before);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(asked, "Password for '"));
    }

    [Fact]
    public void APasswordChangeAsksTheCurrentPasswordAfterTheHintThenTheNewOneTwiceThenTheNewHint()
    {
        var (_, newErrors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("p.bak")}' -Password {Secure(BackupPassword)} -PasswordHint 'the old hint' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.Empty(newErrors);
        int before = ScriptHost.Transcript.Length;

        Answer(BackupPassword, NewPassword, NewPassword, "the new hint");
        ScriptHost.Choices.Enqueue(true); // the confirmation (ConfirmImpact Medium is below the default $ConfirmPreference, so none is asked)
        var (_, errors) = Invoke($"Set-SsoSecretBackupPassword '{File("p.bak")}'");
        Assert.Empty(errors);
        Assert.Empty(ScriptHost.Answers);
        string transcript = ScriptHost.Transcript.Substring(before);
        int[] order =
        {
            transcript.IndexOf("Password reminder : the old hint", StringComparison.Ordinal),
            transcript.IndexOf($"Password for '{File("p.bak")}'", StringComparison.Ordinal),
            transcript.IndexOf("New password for the backup", StringComparison.Ordinal),
            transcript.IndexOf("Confirm the password", StringComparison.Ordinal),
            transcript.IndexOf("Password reminder (a hint shown when the backup is opened", StringComparison.Ordinal),
        };
        Assert.True(order[0] >= 0 && order.Zip(order.Skip(1)).All(p => p.First < p.Second), transcript);
        Assert.DoesNotContain(NewPassword, transcript);

        var header = BackupEnvelope.ReadHeader(System.IO.File.ReadAllBytes(File("p.bak")));
        Assert.Equal("the new hint", header.Hint);
        Assert.NotNull(BackupEnvelope.Open(System.IO.File.ReadAllBytes(File("p.bak")), System.Text.Encoding.UTF8.GetBytes(NewPassword), KdfLimits.Default, out _));
    }

    [Fact]
    public void AWrongCurrentPasswordAtThePromptNeverAsksForTheNewOne()
    {
        Invoke($"New-SsoMasterSecret -BackupPath '{File("p.bak")}' -Password {Secure(BackupPassword)} -PasswordHint 'h' -StorePath '{Store}' -KdfProfile Interactive");
        var before = System.IO.File.ReadAllBytes(File("p.bak"));
        int start = ScriptHost.Transcript.Length;

        // Three tries at the current password, all wrong: the new one is never asked for.
        Answer("not the password at all", "nor is this one", "nor this");
        var (_, errors) = Invoke($"Set-SsoSecretBackupPassword '{File("p.bak")}'");
        Assert.StartsWith("SsoSecret.WrongPassword,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.DoesNotContain("New password", ScriptHost.Transcript.Substring(start));
        Assert.Equal(before, System.IO.File.ReadAllBytes(File("p.bak")));
    }
}
