using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Joins stores to an environment as replicas. With -MasterSession and -Session (on the administrator's machine): reads
/// the master's identity through its session, shows its fingerprint for the administrator to confirm (or checks it
/// against -MasterFingerprint), then joins every replica through its session. With -EnvironmentId and
/// -MasterPublicKey (on the replica itself, as the first form does remotely): makes the host key here, pins the master.
/// </summary>
[Cmdlet(VerbsCommon.Join, "SsoEnvironment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(SsoEnvironmentInfo))]
public sealed class JoinSsoEnvironmentCommand : EnvironmentCommandBase
{
    private const string SessionSet = "Session";
    private const string LocalSet = "Local";

    /// <summary>The session to the master secret server.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public PSSession? MasterSession { get; set; }

    /// <summary>The sessions to the hosts to join as replicas.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SessionSet)]
    [ValidateNotNullOrEmpty]
    public PSSession[] Session { get; set; } = Array.Empty<PSSession>();

    /// <summary>The environment's id (on the replica itself).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    public Guid EnvironmentId { get; set; }

    /// <summary>The master's public key line, ssosecret-master1... (on the replica itself).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string MasterPublicKey { get; set; } = string.Empty;

    /// <summary>
    /// The master's fingerprint, read on the master: the master identity is pinned only if its fingerprint is this one
    /// (SsoSecret.FingerprintMismatch otherwise), without a question.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MasterFingerprint { get; set; }

    /// <summary>Pin the master without a question (unattended use); -MasterFingerprint is the safer way.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many hosts are joined at once (32 by default, as Invoke-Command's).</summary>
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateRange(1, int.MaxValue)]
    public int ThrottleLimit { get; set; } = SessionFanOut.DefaultThrottleLimit;

    /// <inheritdoc/>
    private protected override int Throttle => ThrottleLimit;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == LocalSet)
        {
            Run(JoinHere, terminating: true);
            return;
        }

        PSObject? master = null;
        Run(
            () =>
            {
                master = Remote.Wait(EnvironmentSync.DescribeAsync(Remote, MasterSession!, StorePath));
                if (EnvironmentRemote.Property<string>(master, "Role") != "Master")
                {
                    throw new SsoSecretException(SsoSecretFailure.EnvironmentRoleConflict, $"{EnvironmentRemote.Name(MasterSession!)}: the store is not the master of an environment; make it one with Initialize-SsoEnvironment there.", EnvironmentRemote.Name(MasterSession!));
                }
            },
            terminating: true);

        string fingerprint = EnvironmentRemote.Property<string>(master!, "MasterFingerprint")!;
        string masterHost = EnvironmentRemote.Name(MasterSession!);
        var hosts = Session.Select(EnvironmentRemote.Name).ToList();
        Run(
            () =>
            {
                if (MasterFingerprint is not null && !SameFingerprint(MasterFingerprint, fingerprint))
                {
                    throw new SsoSecretException(SsoSecretFailure.FingerprintMismatch, $"The master {masterHost} shows the fingerprint {fingerprint}, not {MasterFingerprint.Trim()}. Nothing was pinned.", masterHost);
                }
            },
            terminating: true);

        string question = $"The master {masterHost} of environment {EnvironmentRemote.Property<Guid>(master!, "EnvironmentId"):D} shows the fingerprint\n    {fingerprint}\nCompare all eight groups with the fingerprint shown on the master's own console. Pin this master on {string.Join(", ", hosts)}?";
        bool go = false;
        Run(() => go = MasterFingerprint is not null ? ShouldProcess(string.Join(", ", hosts), $"Join environment of master {fingerprint}") : Confirm("Pin the master", string.Join(", ", hosts), $"Join environment of master {fingerprint}", question, Force, ConfirmImpact.Medium, Refused), terminating: true);
        if (!go)
        {
            return;
        }

        // Every host joins at once; what each said is written here, in the sessions' order.
        var parameters = new Dictionary<string, object?>
        {
            ["EnvironmentId"] = EnvironmentRemote.Property<Guid>(master!, "EnvironmentId"),
            ["MasterPublicKey"] = EnvironmentRemote.Property<string>(master!, "MasterPublicKey"),
            ["MasterFingerprint"] = MasterFingerprint ?? fingerprint,
            ["StorePath"] = StorePath,
        };
        foreach (var joined in Remote.ForEach(Session, session => Remote.InvokeAsync(session, "Join-SsoEnvironment", parameters)))
        {
            Run(() => WriteObject(joined.Take(), enumerateCollection: true), terminating: false);
        }
    }

    // The replica's side: the identity read from the line, its fingerprint computed here and compared, then pinned.
    private void JoinHere()
    {
        var identity = MasterIdentity.Parse(EnvironmentId, MasterPublicKey);
        var store = OpenStore();
        string action = $"Join environment {identity.EnvironmentId:D} as a replica of master {identity.Fingerprint}";
        if (MasterFingerprint is not null)
        {
            if (!SameFingerprint(MasterFingerprint, identity.Fingerprint))
            {
                throw new SsoSecretException(
                    SsoSecretFailure.FingerprintMismatch,
                    $"The master identity given has the fingerprint {identity.Fingerprint} here, not {MasterFingerprint.Trim()}: the key was altered on its way, or another master was named. Nothing was pinned.",
                    store.Path);
            }

            if (!ShouldProcess(store.Path, action))
            {
                return;
            }
        }
        else if (!Confirm(
            "Pin the master",
            store.Path,
            action,
            $"This replica ({System.Environment.MachineName}) would pin the master of environment {identity.EnvironmentId:D} with the fingerprint\n    {identity.Fingerprint}\nCompare all eight groups with the fingerprint shown on the master. Pin it?",
            Force,
            ConfirmImpact.Medium,
            Refused))
        {
            return;
        }

        var host = store.Join(identity, out bool created);
        WriteVerbose(created
            ? $"The store '{store.Path}' joined environment {identity.EnvironmentId:D}; its host key's fingerprint is {host.Fingerprint}."
            : $"The store '{store.Path}' was a replica of this master already; its host key's fingerprint is {host.Fingerprint}.");
        WriteObject(EnvironmentOutput.Info(store));
    }

    private static bool SameFingerprint(string given, string computed) =>
        string.Equals(given.Trim(), computed, StringComparison.OrdinalIgnoreCase);

    private SsoSecretException Refused() => new(
        SsoSecretFailure.ConfirmationRequired,
        "Pinning a master needs the administrator to compare its fingerprint, and this session cannot ask. Nothing was pinned.")
    {
        RecommendedAction = "Pass -MasterFingerprint with the fingerprint read on the master (or -Force to pin without comparing).",
    };
}
