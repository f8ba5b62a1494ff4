using System.Collections.Generic;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>What the commands that read many backup files share: -Path with wildcards and -LiteralPath.</summary>
public abstract class BackupFileCommandBase : SsoSecretCommandBase
{
    private protected const string PathSet = "Path";
    private protected const string LiteralPathSet = "LiteralPath";

    /// <summary>Backup files; wildcards are expanded. Strings or FileInfo objects, relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName")]
    [FileSystemPathTransformation(EscapeWildcards = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    /// <summary>Backup files, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    /// <summary>
    /// The files the call names: wildcards expanded for -Path, folders among the matches left out. A name that
    /// matches nothing is returned as it is, so the caller reports it as missing; a path that cannot be resolved is
    /// reported here, and the others go on.
    /// </summary>
    private protected IEnumerable<string> InputFiles()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string path in literal ? LiteralPath : Path)
        {
            var files = new List<string>();
            Run(() => files.AddRange(literal ? new List<string> { PathHelper.ResolveLiteral(this, path) } : PathHelper.ResolveFiles(this, path)), terminating: false);
            foreach (string file in files)
            {
                yield return file;
            }
        }
    }
}
