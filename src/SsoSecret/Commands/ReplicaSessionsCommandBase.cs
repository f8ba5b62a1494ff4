using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// The parameters of the environment commands that take the master's session and the replicas' sessions in one
/// parameter set (Sync-SsoEnvironment, Get-SsoEnvironmentHealth). The commands with a second, local form declare
/// theirs in their own sets.
/// </summary>
public abstract class ReplicaSessionsCommandBase : EnvironmentCommandBase
{
    /// <summary>The session to the master secret server.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public PSSession? MasterSession { get; set; }

    /// <summary>The sessions to the replicas.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public PSSession[] Session { get; set; } = Array.Empty<PSSession>();

    /// <summary>How many replicas are worked on at once (32 by default, as Invoke-Command's).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int ThrottleLimit { get; set; } = SessionFanOut.DefaultThrottleLimit;

    /// <inheritdoc/>
    private protected override int Throttle => ThrottleLimit;
}
