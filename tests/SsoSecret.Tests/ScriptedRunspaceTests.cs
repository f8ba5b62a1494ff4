using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Commands;

namespace SsoSecret.Tests;

/// <summary>
/// What the in-process prompting tests share (PromptingCommandTests, RecoveryPromptingTests): a temporary folder, a
/// runspace with the module whose host is a scripted user, a way to run a script there, and the user's answers.
/// </summary>
public abstract class ScriptedRunspaceTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder();
    private readonly Runspace _runspace;

    private protected ScriptedRunspaceTests()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(BackupSsoMasterSecretCommand).Assembly.Location);
        _runspace = RunspaceFactory.CreateRunspace(ScriptHost, state);
        _runspace.Open();
    }

    /// <summary>The user at the other end: answers prompts from a queue, records what the commands wrote to it.</summary>
    private protected ScriptedHost ScriptHost { get; } = new();

    private protected string Store => Path.Combine(_folder, "store");

    private protected string File(string name) => Path.Combine(_folder, name);

    /// <summary>Runs a script; a terminating error comes back as the only error.</summary>
    private protected (List<PSObject> Output, List<ErrorRecord> Errors) Invoke(string script) => Invoke(script, out _);

    private protected (List<PSObject> Output, List<ErrorRecord> Errors) Invoke(string script, out List<string> verbose)
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
        finally
        {
            verbose = ps.Streams.Verbose.Select(v => v.Message).ToList();
        }
    }

    /// <summary>Queues what the user types, in order.</summary>
    private protected void Answer(params string[] answers)
    {
        foreach (string answer in answers)
        {
            ScriptHost.Answers.Enqueue(answer);
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _runspace.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
