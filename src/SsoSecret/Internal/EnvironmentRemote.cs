using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace SsoSecret.Internal;

/// <summary>
/// What the administrator's commands run on the hosts of an environment, through their PSSessions: SsoSecret's own
/// commands (Get-SsoEnvironment, Join-SsoEnvironment, Export-SsoSealedRing, Import-SsoSealedRing), through
/// <see cref="SessionFanOut"/>, every host at once.
/// Only public values and sealed bytes come back: the hosts' commands output nothing else. A host's SsoSecret failure
/// comes back with its id (SsoSecret.StaleRing, ...) and the host's name in its message; a host that cannot be reached
/// is <see cref="SsoSecretFailure.HostUnreachable"/>.
/// </summary>
internal static class EnvironmentRemote
{
    /// <summary>The name a session's host goes by in messages and output.</summary>
    internal static string Name(PSSession session) => session.ComputerName;

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
    internal static SsoSecretException FromHost(string host, ErrorRecord record, Exception? inner)
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
