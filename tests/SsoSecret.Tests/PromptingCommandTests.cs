using System;
using System.Collections.Generic;
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
public sealed class PromptingCommandTests : IDisposable
{
    private const string Password = "Tr0ub4dor&3 horse";
    private readonly string _folder = TestPaths.NewTemporaryFolder();
    private readonly ScriptedHost _host = new();
    private readonly Runspace _runspace;

    public PromptingCommandTests()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(BackupSsoMasterSecretCommand).Assembly.Location);
        _runspace = RunspaceFactory.CreateRunspace(_host, state);
        _runspace.Open();
    }

    public void Dispose()
    {
        _runspace.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private string Store => Path.Combine(_folder, "store");

    private string File(string name) => Path.Combine(_folder, name);

    private (List<PSObject> Output, List<ErrorRecord> Errors) Invoke(string script)
    {
        using var ps = PowerShell.Create(_runspace);
        ps.AddScript(script);
        try
        {
            var output = ps.Invoke().ToList();
            return (output, ps.Streams.Error.ToList());
        }
        catch (RuntimeException e)
        {
            return (new List<PSObject>(), new List<ErrorRecord> { e.ErrorRecord });
        }
    }

    private void Answer(params string[] answers)
    {
        foreach (string answer in answers)
        {
            _host.Answers.Enqueue(answer);
        }
    }

    [Fact]
    public void NewAsksThePasswordTwiceThenTheHint()
    {
        Answer(Password, Password, "the usual, with a horse");
        var (output, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PassThru");
        Assert.Empty(errors);
        var info = Assert.IsType<SsoMasterSecretInfo>(Assert.Single(output).BaseObject);
        Assert.Empty(_host.Answers);
        Assert.Contains("Confirm the password", _host.Transcript);
        Assert.DoesNotContain(Password, _host.Transcript);

        var header = BackupEnvelope.ReadHeader(System.IO.File.ReadAllBytes(File("a.bak")));
        Assert.Equal("the usual, with a horse", header.Hint);
        Assert.Equal(info.SecretId, header.SecretId);
    }

    [Fact]
    public void DifferentPasswordsAreAMismatchAndNothingIsWritten()
    {
        Answer(Password, Password + "!");
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.StartsWith("SsoSecret.PasswordMismatch,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.False(System.IO.File.Exists(File("a.bak")));
        Assert.False(System.IO.File.Exists(Path.Combine(Store, MasterSecretStore.FileName)));
    }

    [Fact]
    public void ATypedHintThatContainsThePasswordIsRefused()
    {
        Answer(Password, Password, "it is " + Password.ToUpperInvariant());
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");
        Assert.StartsWith("SsoSecret.HintRevealsPassword,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.DoesNotContain(Password, errors[0].ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RestoreShowsTheReminderBeforeAskingThePassword()
    {
        Answer(Password, Password, "horse and battery");
        Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive");

        Answer(Password);
        _host.Choices.Enqueue(true); // ConfirmImpact High: the restore is confirmed
        var (output, errors) = Invoke($"Restore-SsoMasterSecret '{File("a.bak")}' -StorePath '{Path.Combine(_folder, "other")}' -PassThru");
        Assert.Empty(errors);
        Assert.Single(output);
        string transcript = _host.Transcript;
        int reminder = transcript.LastIndexOf("Password reminder : horse and battery", StringComparison.Ordinal);
        int prompt = transcript.LastIndexOf("Password for", StringComparison.Ordinal);
        Assert.True(reminder >= 0 && prompt > reminder, transcript);
    }

    [Fact]
    public void ReplacingASecretAsksAndANoKeepsIt()
    {
        Answer(Password, Password, "h");
        var (first, _) = Invoke($"New-SsoMasterSecret -BackupPath '{File("a.bak")}' -StorePath '{Store}' -KdfProfile Interactive -PassThru");
        var original = (SsoMasterSecretInfo)first[0].BaseObject;

        _host.Choices.Enqueue(false);
        var (_, errors) = Invoke($"New-SsoMasterSecret -BackupPath '{File("b.bak")}' -StorePath '{Store}' -KdfProfile Interactive -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force)");
        Assert.StartsWith("SsoSecret.MasterSecretExists,", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.False(System.IO.File.Exists(File("b.bak")));

        _host.Choices.Enqueue(true);
        var (output, errors2) = Invoke($"New-SsoMasterSecret -BackupPath '{File("b.bak")}' -StorePath '{Store}' -KdfProfile Interactive -Password (ConvertTo-SecureString '{Password}' -AsPlainText -Force) -PassThru");
        Assert.Empty(errors2);
        var replaced = (SsoMasterSecretInfo)output[0].BaseObject;
        Assert.NotEqual(original.SecretId, replaced.SecretId);
        Assert.Equal(original.SecretId, replaced.PreviousSecretId);
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
}
