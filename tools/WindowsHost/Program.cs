using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Microsoft.PowerShell;

namespace SsoSecret.WindowsHost;

/// <summary>
/// Runs a script file in a runspace made from <see cref="InitialSessionState.CreateDefault"/> (ExecutionPolicy Bypass)
/// and returns its exit code: the value it gave to <c>exit</c>, 1 when it stopped on a terminating error, else 0.
/// Every stream of the script goes to standard output as text, line by line as it comes, so that a log shows how far a
/// run got when Wine hangs and <c>timeout</c> ends it. Usage: WindowsHost.exe script.ps1 [argument...]
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("Usage: WindowsHost.exe <script.ps1> [argument...]");
            return 2;
        }

        var state = InitialSessionState.CreateDefault();
        state.ExecutionPolicy = ExecutionPolicy.Bypass;
        using var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        using var shell = PowerShell.Create(runspace);

        // CreateDefault() has Get-Acl built in, so the Microsoft.PowerShell.Security module that pwsh imports is never
        // imported here, and the type data it brings (Sddl, Owner, Access on a security descriptor) would be missing.
        // (An entry in the session state's Types is not enough: it is not loaded. Update-TypeData is.)
        shell.AddCommand("Update-TypeData").AddParameter("AppendPath", Path.Combine(AppContext.BaseDirectory, "Modules", "Microsoft.PowerShell.Security", "Security.types.ps1xml"));
        shell.Invoke();
        shell.Commands.Clear();

        // Output, errors, warnings, verbose and debug messages merged and turned into text by Out-String, as a console
        // shows them; Write-Host (the information stream) written as it comes, its -NoNewline kept, so that Pester's
        // lines read as at a console. $LASTEXITCODE is left by the script's exit (or a native command).
        shell.AddScript(
            "param([string] $Script, [hashtable] $Named, [object[]] $Positional) " +
            "$global:LASTEXITCODE = 0; " +
            "& $Script @Named @Positional 2>&1 3>&1 4>&1 5>&1 | Out-String -Stream -Width 240");
        var (named, positional) = ParseArguments(args[1..]);
        shell.AddParameter("Script", args[0]);
        shell.AddParameter("Named", named);
        shell.AddParameter("Positional", positional);

        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (sender, e) =>
        {
            var line = ((PSDataCollection<PSObject>)sender!)[e.Index];
            Console.Out.WriteLine(line?.ToString());
            Console.Out.Flush();
        };

        shell.Streams.Information.DataAdded += (sender, e) =>
        {
            var record = ((PSDataCollection<InformationRecord>)sender!)[e.Index];
            if (record.MessageData is HostInformationMessage message && message.NoNewLine == true)
            {
                Console.Out.Write(message.Message);
            }
            else
            {
                Console.Out.WriteLine(record.MessageData?.ToString());
            }

            Console.Out.Flush();
        };

        try
        {
            shell.Invoke(null, output);
        }
        catch (RuntimeException e)
        {
            Console.Out.WriteLine($"The script stopped: {e.ErrorRecord}");
            Console.Out.WriteLine(e.ErrorRecord.ScriptStackTrace);
            return 1;
        }

        foreach (var error in shell.Streams.Error)
        {
            Console.Out.WriteLine(error.ToString());
        }

        return runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : 0;
    }

    /// <summary>
    /// The script's arguments as pwsh -File reads them: "-Name value" is a named parameter, "-Name" followed by another
    /// "-..." or by nothing is a switch, anything else is positional. (Splatting an array would pass "-Name" as a value.)
    /// </summary>
    private static (Hashtable Named, object[] Positional) ParseArguments(string[] args)
    {
        var named = new Hashtable(StringComparer.OrdinalIgnoreCase);
        var positional = new List<object>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.Length > 1 && arg[0] == '-' && !char.IsDigit(arg[1]))
            {
                string name = arg.Substring(1).TrimEnd(':');
                if (i + 1 < args.Length && !(args[i + 1].Length > 1 && args[i + 1][0] == '-' && !char.IsDigit(args[i + 1][1])))
                {
                    named[name] = args[++i];
                }
                else
                {
                    named[name] = true;
                }
            }
            else
            {
                positional.Add(arg);
            }
        }

        return (named, positional.ToArray());
    }
}
