using System.IO;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Seals the master's key ring to one replica's host public key and signs it with the environment key (run on the
/// master). The output holds the sealed bytes, which only that replica opens, and the header anyone can read. With
/// -Path the sealed ring goes to a file instead (a folder: its &lt;replica fingerprint&gt;.ssring), written atomically,
/// where a replica pulls it from (Import-SsoSealedRing -Path, the SsoReplica DSC resource).
/// </summary>
[Cmdlet(VerbsData.Export, "SsoSealedRing", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = DataSet)]
[OutputType(typeof(SsoSealedRing), ParameterSetName = new[] { DataSet })]
[OutputType(typeof(FileInfo), ParameterSetName = new[] { FileSet })]
public sealed class ExportSsoSealedRingCommand : StoreCommandBase
{
    /// <summary>The file name extension of a published sealed ring.</summary>
    internal const string Extension = ".ssring";

    private const string DataSet = "Data";
    private const string FileSet = "File";

    /// <summary>The replica's host public key line (ssosecret-replica1...), as Get-SsoEnvironment shows it on the replica.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("HostPublicKey")]
    [ValidateNotNullOrEmpty]
    public string ReplicaPublicKey { get; set; } = string.Empty;

    /// <summary>
    /// The file to write the sealed ring to, or an existing folder, where it is written as
    /// &lt;replica fingerprint&gt;.ssring. An existing sealed ring there is replaced; any other file is not.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>With -Path: outputs the file written.</summary>
    [Parameter(ParameterSetName = FileSet)]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var replica = SsoSecret.ReplicaPublicKey.Parse(ReplicaPublicKey);
            var store = OpenStore();
            if (ParameterSetName == FileSet)
            {
                WriteFile(store, replica);
                return;
            }

            var data = store.SealRing(replica, out _);
            WriteObject(SealedRingFile.Output(SealedRing.ReadHeader(data), data));
        },
        terminating: false);

    // The ring is sealed before the question, so that -WhatIf says which generation would be written, and a store that
    // is no master fails under -WhatIf too. The sealed ring is public-key sealed and signed: a newer one replaces an
    // older one at its place without a question; a file that is not a sealed ring is never replaced.
    private void WriteFile(MasterSecretStore store, ReplicaPublicKey replica)
    {
        string target = PathHelper.ResolveLiteral(this, Path);
        if (Directory.Exists(target))
        {
            target = System.IO.Path.Combine(target, replica.Fingerprint + Extension);
        }

        PathHelper.CheckWriteTarget(target, force: true);
        if (File.Exists(target))
        {
            var existing = IO.GivenFile.Read(target, "file", "give the path of the sealed ring file to write", SealedRing.MaxLength);
            if (existing.Length < SealedRing.Magic.Length || !Crypto.Primitives.FixedTimeEquals(existing, 0, SealedRing.Magic, 0, SealedRing.Magic.Length))
            {
                throw new SsoSecretException(SsoSecretFailure.FileExists, $"The file '{target}' exists and is not a sealed ring; it was not replaced.", target)
                {
                    RecommendedAction = "Choose another path (a folder writes <replica fingerprint>.ssring in it), or move the file away.",
                };
            }
        }

        var data = store.SealRing(replica, out long generation);
        string action = $"Write the master's ring (generation {generation}) sealed to replica {replica.Fingerprint}";
        if (!ShouldProcess(target, action))
        {
            return;
        }

        IO.TextFile.Write(target, data, overwrite: true);
        WriteVerbose($"Wrote the ring of '{store.Path}' (generation {generation}) sealed to replica {replica.Fingerprint} to '{target}'.");
        if (PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }
}
