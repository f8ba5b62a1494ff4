using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;

namespace SsoSecret.Internal;

/// <summary>
/// What the administrator's commands run on the hosts of an environment, through their PSSessions: SsoSecret's own
/// commands (Get-SsoEnvironment, Join-SsoEnvironment, Export-SsoSealedRing, Import-SsoSealedRing), one call at a time.
/// Only public values and sealed bytes come back: the hosts' commands output nothing else. A host's SsoSecret failure
/// comes back with its id (SsoSecret.StaleRing, ...) and the host's name in its message; a host that cannot be reached
/// is <see cref="SsoSecretFailure.HostUnreachable"/>.
/// </summary>
internal static class EnvironmentRemote
{
    /// <summary>The name a session's host goes by in messages and output.</summary>
    internal static string Name(PSSession session) => session.ComputerName;

    /// <summary>Runs one SsoSecret command on the session's host and returns its output.</summary>
    internal static Collection<PSObject> Invoke(PSSession session, string command, IDictionary<string, object?> parameters)
    {
        string host = Name(session);
        if (session.Runspace is null || session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
        {
            throw Unreachable(host, $"its session is {session.Runspace?.RunspaceStateInfo.State.ToString() ?? "gone"}");
        }

        using var shell = PowerShell.Create();
        shell.Runspace = session.Runspace;
        shell.AddCommand("SsoSecret\\" + command);
        foreach (var parameter in parameters)
        {
            if (parameter.Value is not null)
            {
                shell.AddParameter(parameter.Key, parameter.Value);
            }
        }

        Collection<PSObject> output;
        try
        {
            output = shell.Invoke();
        }
        catch (Exception e) when (e is PSRemotingTransportException || e is InvalidRunspaceStateException || e is PSRemotingDataStructureException)
        {
            throw Unreachable(host, e.Message);
        }
        catch (RuntimeException e) when (e.ErrorRecord is not null)
        {
            throw FromHost(host, e.ErrorRecord, e);
        }

        if (shell.Streams.Error.Count > 0)
        {
            throw FromHost(host, shell.Streams.Error[0], null);
        }

        // As Invoke-Command marks what comes back: the host's name, shown by the formatter beside the module's view.
        foreach (var item in output)
        {
            if (item.Properties["PSComputerName"] is null)
            {
                item.Properties.Add(new PSNoteProperty("PSComputerName", host));
                item.Properties.Add(new PSNoteProperty("PSShowComputerName", true));
            }
        }

        return output;
    }

    /// <summary>Runs one SsoSecret command on the host and returns its one output object.</summary>
    internal static PSObject InvokeOne(PSSession session, string command, IDictionary<string, object?> parameters) =>
        Invoke(session, command, parameters).FirstOrDefault() ?? throw Unreachable(Name(session), $"{command} returned nothing");

    /// <summary>A property of an object that came back from a host (live or deserialized), or null.</summary>
    internal static T? Property<T>(PSObject item, string name)
    {
        var value = item.Properties[name]?.Value;
        if (value is PSObject wrapped)
        {
            value = wrapped.BaseObject;
        }

        return value is null ? default : LanguagePrimitives.ConvertTo<T>(value);
    }

    internal static SsoSecretException Unreachable(string host, string why) => new(
        SsoSecretFailure.HostUnreachable,
        $"The host '{host}' could not be reached through its session: {why}.",
        host);

    // A host's failure: SsoSecret's own keeps its id; any other (SsoSecret missing there, say) is the host unreachable
    // for SsoSecret's purpose, with the host's message.
    private static SsoSecretException FromHost(string host, ErrorRecord record, Exception? inner)
    {
        string id = record.FullyQualifiedErrorId.Split(',')[0];
        string message = record.ErrorDetails?.Message ?? record.Exception?.Message ?? id;
        if (id.StartsWith("SsoSecret.", StringComparison.Ordinal)
            && Enum.TryParse(id.Substring("SsoSecret.".Length), out SsoSecretFailure failure)
            && Enum.IsDefined(typeof(SsoSecretFailure), failure))
        {
            return new SsoSecretException(failure, $"{host}: {message}", host, inner)
            {
                RecommendedAction = record.ErrorDetails?.RecommendedAction,
            };
        }

        return new SsoSecretException(SsoSecretFailure.HostUnreachable, $"{host}: SsoSecret could not run there ({id}): {message}", host, inner);
    }
}
