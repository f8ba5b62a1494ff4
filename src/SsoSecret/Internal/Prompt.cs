using System;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Security;

namespace SsoSecret.Internal;

/// <summary>
/// Asking the person at the host, or failing at once with a clear error when nobody can answer.
/// </summary>
/// <remarks>
/// Who is at the other end, found by experiment with pwsh 7.6.9 on Linux (the probe printed Host.Name, the host's
/// classes, RawUI, $PSSenderInfo, [Environment]::UserInteractive, Console.IsInputRedirected, the process's arguments
/// and the runspace the command runs in):
/// <list type="table">
/// <item><term>interactive console</term><description>ConsoleHost, input a terminal, the console's own runspace: a
/// person answers. Ask.</description></item>
/// <item><term>pwsh -NonInteractive</term><description>ConsoleHost; the host itself throws at once
/// (InvalidOperationException / HostException). Fail.</description></item>
/// <item><term>input redirected (a pipe, a file, cron, systemd: stdin /dev/null)</term><description>ConsoleHost would
/// read the password from the pipe, or wait for ever. Do not ask.</description></item>
/// <item><term>Start-Job</term><description>ServerRemoteHost in a child pwsh started with -s (server mode over its
/// standard input and output). Its UI and RawUI look like a console's (the parent's window size is forwarded),
/// $PSSenderInfo says http://localhost as for SSH remoting, and the parent's -NonInteractive is not passed on. A
/// question goes to the parent, which holds it and marks the job Blocked until someone runs Receive-Job: in a
/// scheduler nobody does, and the job never ends. The -s argument is what tells it apart: do not ask.</description></item>
/// <item><term>Start-ThreadJob, ForEach-Object -Parallel, a runspace made without a host</term><description>
/// "Default Host", whose UI throws at once. Fail.</description></item>
/// <item><term>Start-ThreadJob -StreamingHost $Host</term><description>ConsoleHost, but the command runs in the job's
/// runspace, not the console's: a question would race the prompt in front for the keyboard. Do not ask.</description></item>
/// <item><term>Enter-PSSession, Invoke-Command (SSH, WinRM)</term><description>ServerRemoteHost in a pwsh started with
/// -sshs (or wsmprovhost): the question goes to the client's host. An interactive client (Enter-PSSession at a
/// console, Invoke-Command typed at one) asks the person; a client that cannot ask (-NonInteractive, input
/// redirected) throws at once, and the error comes back as a RemoteException. Ask.</description></item>
/// <item><term>Invoke-Command -AsJob, a disconnected session</term><description>The same host, runspace and history as
/// a synchronous Invoke-Command, but the client holds a question, and the job stays Blocked until Receive-Job (even a
/// harmless probe of the client blocks it). What tells them apart is internal to PowerShell: see
/// <see cref="RemoteClientAnswers"/>. Do not ask.</description></item>
/// </list>
/// [Environment]::UserInteractive is true on Linux and macOS whatever the session, and false in a WinRM session where a
/// person may well be at the other end, so it is used only for the console host (Windows services and scheduled tasks).
/// </remarks>
internal static class Prompt
{
    /// <summary>True when the host can ask the user something, and a person is there to answer it.</summary>
    internal static bool CanPrompt(PSCmdlet cmdlet) => WhyNot(cmdlet) is null;

    /// <summary>Why this command cannot ask (for the error message), or null when it can.</summary>
    internal static string? WhyNot(PSCmdlet cmdlet)
    {
        var host = cmdlet.Host;
        // A runspace made without a host gets PowerShell's "Default Host", whose UI throws on every question.
        if (host?.UI is null || string.Equals(host.Name, "Default Host", StringComparison.Ordinal))
        {
            return "this session has no user interface (a runspace without a host, or a thread job)";
        }

        if (InJobServerProcess)
        {
            return "it runs in a background job (Start-Job), whose questions wait until someone runs Receive-Job";
        }

        if (string.Equals(host.Name, "ServerRemoteHost", StringComparison.Ordinal) && !RemoteClientAnswers())
        {
            return "its remote client would hold the question, as Invoke-Command -AsJob and disconnected sessions do";
        }

        if (string.Equals(host.Name, "ConsoleHost", StringComparison.Ordinal))
        {
            if (Console.IsInputRedirected)
            {
                return "its input is redirected, so the answer would be read from a pipe or a file";
            }

            if (!Environment.UserInteractive)
            {
                return "it runs without a user session (a service or a scheduled task)";
            }

            if (!RunsInConsoleRunspace(host))
            {
                return "it runs in a runspace of its own (a thread job), not at the console's prompt";
            }
        }

        return null;
    }

    /// <summary>
    /// True for the exceptions a host throws when it cannot ask: a console that is not interactive or has no console
    /// (InvalidOperationException, HostException), a host that does not implement prompting (NotImplementedException),
    /// a remote client that cannot ask (its failure comes back as a RemoteException), and a runspace made without a
    /// host, where PowerShell's own ShouldProcess and ShouldContinue dereference the missing host UI
    /// (NullReferenceException).
    /// </summary>
    internal static bool HostCannotAsk(Exception e) =>
        e is InvalidOperationException || e is HostException || e is NotImplementedException || e is NullReferenceException
        || e is RemoteException;

    /// <summary>
    /// Reads a masked line. Ctrl+C ends the command at once, as it does Read-Host -AsSecureString: pwsh 7.6's console
    /// host, when Ctrl+C is pressed at a masked prompt, stops the pipeline and returns null instead of throwing (found
    /// at a real terminal), so the command would otherwise go on to its next question and read the next line typed.
    /// </summary>
    /// <remarks><paramref name="answeredBy"/> names the parameters that give the answer without a question (such as
    /// "-Password &lt;SecureString&gt;"): the advice of the error when this session cannot ask.</remarks>
    internal static SecureString ReadSecure(PSCmdlet cmdlet, string prompt, string target, string answeredBy) => Ask(cmdlet, target, answeredBy, () =>
    {
        cmdlet.Host.UI.Write(prompt + ": ");
        return Answered(cmdlet, cmdlet.Host.UI.ReadLineAsSecureString());
    });

    /// <summary>Reads a line that is shown as it is typed; Ctrl+C ends the command at once.</summary>
    internal static string ReadLine(PSCmdlet cmdlet, string prompt, string target, string answeredBy) => Ask(cmdlet, target, answeredBy, () =>
    {
        cmdlet.Host.UI.Write(prompt + ": ");
        return Answered(cmdlet, cmdlet.Host.UI.ReadLine());
    });

    /// <summary>
    /// Reads a line that is not a secret to the person typing it but must stay off the record: a recovery share's words
    /// (20 or 33 words, too many to type blind). At a local console they are shown as typed, written to the console
    /// itself, never through the host, so no transcript (Start-Transcript) and no host log records them; elsewhere (a
    /// remote session, another host) the host's own recording cannot be avoided, so they are read masked.
    /// </summary>
    internal static string ReadOffTheRecord(PSCmdlet cmdlet, string prompt, string target, string answeredBy) => Ask(cmdlet, target, answeredBy, () =>
    {
        cmdlet.Host.UI.Write(prompt + ": ");
        if (string.Equals(cmdlet.Host.Name, "ConsoleHost", StringComparison.Ordinal) && !Console.IsInputRedirected && !Console.IsOutputRedirected)
        {
            return ConsoleLine.Read();
        }

        using var masked = Answered(cmdlet, cmdlet.Host.UI.ReadLineAsSecureString());
        return new System.Net.NetworkCredential(string.Empty, masked).Password;
    });

    /// <summary>The answer read, or the stop that Ctrl+C asked for: no answer, or a pipeline that is stopping.</summary>
    private static T Answered<T>(PSCmdlet cmdlet, T? answer)
        where T : class
    {
        if (answer is null || cmdlet.Stopping)
        {
            (answer as IDisposable)?.Dispose();
            throw new PipelineStoppedException();
        }

        return answer;
    }

    /// <summary>
    /// True in a pwsh (or Windows PowerShell) started in server mode, "-s" or "-servermode": how Start-Job runs its
    /// jobs (as does Windows PowerShell's Start-Job). SSH remoting starts pwsh with -sshs, WinRM with wsmprovhost.
    /// </summary>
    private static bool InJobServerProcess { get; } = FindServerModeArgument(Environment.GetCommandLineArgs());

    internal static bool FindServerModeArgument(string[] arguments)
    {
        // The first argument is the program (pwsh, or pwsh.dll under dotnet).
        for (int i = 1; i < arguments.Length; i++)
        {
            string name = arguments[i].TrimStart('-', '/');
            if (name.Length < arguments[i].Length
                && (string.Equals(name, "s", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "servermode", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the client of this remote session (SSH, WinRM) holds a person's console, or waits for the command and
    /// so answers its questions at once, if only to refuse them; false for a client that holds its questions, as a job
    /// does (Invoke-Command -AsJob, a disconnected session), and when this cannot be told.
    /// </summary>
    /// <remarks>
    /// The remote side sees the same host, runspace and history in all these cases. Two things differ, found by
    /// experiment and read from PowerShell's internals (no public API says them; if a later PowerShell renames them,
    /// this returns false, and such a session fails with PasswordRequired instead of waiting):
    /// a command typed at Enter-PSSession (or Enter-PSHostProcess) runs in a pipeline that does not capture native
    /// commands' standard error (Pipeline.RedirectShellErrorOutputPipe is false; every Invoke-Command sets it), and a
    /// synchronous Invoke-Command turns on remote debugging, which leaves the debugger's UnhandledBreakpointMode at
    /// Wait; -AsJob does not. (A session that served a synchronous Invoke-Command keeps that mode: an -AsJob through
    /// that same PSSession afterwards is not told apart.)
    /// </remarks>
    private static bool RemoteClientAnswers()
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null)
        {
            return false;
        }

        try
        {
            object? pipeline = s_currentlyRunningPipeline?.Invoke(runspace, null);
            if (pipeline is not null && s_redirectShellErrorOutputPipe?.GetValue(pipeline) is bool redirected && !redirected)
            {
                return true;
            }

            object? mode = runspace.Debugger is Debugger debugger ? s_unhandledBreakpointMode?.GetValue(debugger) : null;
            return string.Equals(mode?.ToString(), "Wait", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is TargetInvocationException || e is MemberAccessException || e is ArgumentException || e is InvalidOperationException)
        {
            return false;
        }
    }

    private const BindingFlags AnyInstance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly MethodInfo? s_currentlyRunningPipeline = typeof(Runspace).GetMethod("GetCurrentlyRunningPipeline", AnyInstance, null, Type.EmptyTypes, null);

    private static readonly PropertyInfo? s_redirectShellErrorOutputPipe =
        typeof(Runspace).Assembly.GetType("System.Management.Automation.Runspaces.Pipeline")?.GetProperty("RedirectShellErrorOutputPipe", AnyInstance);

    private static readonly PropertyInfo? s_unhandledBreakpointMode = typeof(Debugger).GetProperty("UnhandledBreakpointMode", AnyInstance);

    private static bool RunsInConsoleRunspace(PSHost host)
    {
        try
        {
            return host is not IHostSupportsInteractiveSession session || session.Runspace is null || ReferenceEquals(session.Runspace, Runspace.DefaultRunspace);
        }
        catch (Exception e) when (e is NotImplementedException || e is PSNotImplementedException || e is InvalidOperationException)
        {
            return true;
        }
    }

    private static T Ask<T>(PSCmdlet cmdlet, string target, string answeredBy, Func<T> ask)
    {
        if (WhyNot(cmdlet) is string reason)
        {
            throw Required(target, reason, answeredBy);
        }

        try
        {
            return ask();
        }
        catch (Exception e) when (HostCannotAsk(e))
        {
            throw Required(target, e is RemoteException ? "the client of this remote session cannot ask" : "the host is not interactive", answeredBy);
        }
    }

    private static SsoSecretException Required(string target, string reason, string answeredBy) => new(
        SsoSecretFailure.PasswordRequired,
        $"A password is needed, and this session cannot ask for one: {reason}.",
        target)
    {
        RecommendedAction = $"Pass {answeredBy}.",
    };
}

/// <summary>
/// A line read from the console key by key and echoed there, past the host: what is typed reaches neither the host's
/// transcript nor its history. Enter ends it, Backspace takes back a character (across a wrapped line too), other
/// control keys are ignored, and Ctrl+C ends the command as it does at a masked prompt.
/// </summary>
internal static class ConsoleLine
{
    internal static string Read()
    {
        var line = new System.Text.StringBuilder();
        bool treatControlCAsInput = Console.TreatControlCAsInput;
        try
        {
            Console.TreatControlCAsInput = true;
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.C && (key.Modifiers & ConsoleModifiers.Control) != 0)
                {
                    Console.WriteLine();
                    throw new PipelineStoppedException();
                }

                if (key.Key == ConsoleKey.Enter)
                {
                    Console.WriteLine();
                    return line.ToString();
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (line.Length > 0)
                    {
                        line.Length--;
                        EraseOne();
                    }
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    line.Append(key.KeyChar);
                    Console.Write(key.KeyChar);
                }
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlCAsInput;
        }
    }

    private static void EraseOne()
    {
        if (Console.CursorLeft > 0)
        {
            Console.Write("\b \b");
            return;
        }

        // The character is the last of the line above: the cursor moves up to it, as a terminal does not on \b.
        int column = Console.BufferWidth - 1;
        int row = Math.Max(0, Console.CursorTop - 1);
        Console.SetCursorPosition(column, row);
        Console.Write(' ');
        Console.SetCursorPosition(column, row);
    }
}
