using System.IO;
using System.Management.Automation;
using SsoSecret.Internal;
using SsoSecret.IO;

namespace SsoSecret.Commands;

/// <summary>
/// Writes a copy of the store's vault (its named secrets, served to SecretManagement) to a file: the backup of the
/// vault, as Backup-SsoMasterSecret's files are the backups of the key ring. The values stay protected under the
/// master secrets, so the file opens only in a store that holds them (Import-SsoVault); entry names, types, times
/// and metadata are readable in it.
/// </summary>
[Cmdlet(VerbsData.Export, "SsoVault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSsoVaultCommand : StoreCommandBase
{
    /// <summary>The file to write. An existing file is replaced only with -Force.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Replaces an existing file (atomically: the old file stays whole until the new one is in place).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the file written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            var store = OpenStore();
            string path = PathHelper.ResolveLiteral(this, Path);
            PathHelper.CheckWriteTarget(path, Force, Exists);
            byte[] data = store.ExportVault(out int entries);
            if (!ShouldChange(path, $"Write the vault of '{store.Path}' ({entries} entries) to the file '{path}'.", Force))
            {
                return;
            }

            using (var temporary = TemporaryFile.Create(path))
            {
                temporary.Write(data);
                if (Force)
                {
                    temporary.Commit(keepReplaced: false).Keep();
                }
                else if (temporary.CommitNew() is CommittedFile committed)
                {
                    committed.Keep();
                }
                else
                {
                    throw Exists(path);
                }
            }

            WriteVerbose($"Wrote the vault of '{store.Path}' ({entries} entries) to '{path}'.");
            if (PassThru)
            {
                WriteObject(new FileInfo(path));
            }
        },
        terminating: false);

    private static SsoSecretException Exists(string path) => new(SsoSecretFailure.FileExists, $"The file '{path}' exists; it was not replaced.", path)
    {
        RecommendedAction = "Choose another path, or pass -Force to replace the file.",
    };
}
