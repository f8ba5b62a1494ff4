using System.Collections.Generic;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>What the commands that read many backup files share: -Path with wildcards and -LiteralPath.</summary>
public abstract class BackupFileCommandBase : SsoSecretCommandBase
{
    private protected const string PathSet = "Path";
    private protected const string LiteralPathSet = "LiteralPath";

    /// <summary><para type="description">Backup files; wildcards are expanded. Strings or FileInfo objects, relative to the current location.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName")]
    [FileSystemPathTransformation(EscapeWildcards = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    /// <summary><para type="description">Backup files, taken exactly as written (no wildcards).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    /// <summary>
    /// The files the call names: wildcards expanded for -Path, folders among the matches left out. A name that
    /// matches nothing is returned as it is (unresolved), so the caller reports it as missing.
    /// </summary>
    private protected IEnumerable<string> InputFiles()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string path in literal ? LiteralPath : Path)
        {
            var files = new List<string>();
            Run(() => files.AddRange(Resolve(path, literal)), allErrorsTerminating: false);
            foreach (string file in files)
            {
                yield return file;
            }
        }
    }

    private List<string> Resolve(string path, bool literal)
    {
        if (literal)
        {
            return new List<string> { ResolveLiteralPath(path, terminating: false) };
        }

        if (!WildcardPattern.ContainsWildcardCharacters(path))
        {
            // Escaped wildcard characters (a piped FileInfo, or 'a`[1`].bak' typed) stand for themselves.
            return new List<string> { ResolveLiteralPath(WildcardPattern.Unescape(path), terminating: false) };
        }

        try
        {
            var resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
            CheckFileSystem(provider, path, terminating: false);
            var files = new List<string>();
            foreach (string item in resolved)
            {
                if (!System.IO.Directory.Exists(item))
                {
                    files.Add(item);
                }
            }

            if (files.Count == 0)
            {
                files.Add(ResolveLiteralPath(WildcardPattern.Unescape(path), terminating: false));
            }

            return files;
        }
        catch (ItemNotFoundException)
        {
            return new List<string> { ResolveLiteralPath(WildcardPattern.Unescape(path), terminating: false) };
        }
    }
}
