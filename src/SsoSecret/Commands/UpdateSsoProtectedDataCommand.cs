using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Rewraps protected values under the store's current master secret (after a rotation), for the same purpose,
/// without ever returning or showing their plaintext; in files, in place, all of a file or nothing.
/// </summary>
[Cmdlet(VerbsData.Update, "SsoProtectedData", DefaultParameterSetName = TextSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(string), ParameterSetName = new[] { TextSet })]
[OutputType(typeof(SsoProtectedFileUpdate), ParameterSetName = new[] { FileSet })]
public sealed class UpdateSsoProtectedDataCommand : ProtectedDataCommandBase
{
    private const string TextSet = "Text";
    private const string FileSet = "File";

    private int _count;

    /// <summary>Protected text; the output is the same value under the current secret (unchanged when it already was).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Files (a config file, or what Protect-SsoData -OutFile wrote) whose protected values are rewrapped in place.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FileSet)]
    [Alias("PSPath", "FullName")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>With -LiteralPath: outputs what was done to each file.</summary>
    [Parameter(ParameterSetName = FileSet)]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == FileSet)
        {
            foreach (string given in LiteralPath)
            {
                Run(() => UpdateFile(PathHelper.ResolveLiteral(this, given)), terminating: false);
            }

            return;
        }

        foreach (string text in InputObject)
        {
            _count++;
            string where = $"Value {_count}";
            RunForValue(
                () =>
                {
                    var result = ProtectedData.Rewrap(Ring, Purpose, text);
                    WriteVerbose(result.Rewritten
                        ? $"{where}: rewrapped from master secret {result.FromSecretId} to {Ring.Current.Id}."
                        : $"{where}: already under the current master secret {Ring.Current.Id}.");
                    WriteObject(result.Text);
                },
                where);
        }
    }

    /// <summary>
    /// Rewraps every protected value in a file, or none: the first value that does not open (another purpose, an
    /// unknown secret, damage) leaves the file as it was and is reported with its line.
    /// </summary>
    private void UpdateFile(string path)
    {
        string content = ReadText(path);
        var matches = IO.TextFile.ProtectedText.Matches(content).Cast<System.Text.RegularExpressions.Match>().ToList();
        var replaced = new StringBuilder(content.Length);
        var from = new List<Guid>();
        int last = 0;
        int rewrapped = 0;
        bool failed = false;
        foreach (var match in matches)
        {
            string where = $"'{path}', line {LineOf(content, match.Index)}";
            RewrapResult? result = null;
            RunForValue(() => result = ProtectedData.Rewrap(Ring, Purpose, match.Value), where);
            if (result is null)
            {
                failed = true;
                break;
            }

            replaced.Append(content, last, match.Index - last).Append(result.Text);
            last = match.Index + match.Length;
            if (result.Rewritten)
            {
                rewrapped++;
                if (!from.Contains(result.FromSecretId))
                {
                    from.Add(result.FromSecretId);
                }
            }
        }

        if (failed)
        {
            WriteVerbose($"'{path}' was left as it was.");
            return;
        }

        if (matches.Count == 0)
        {
            WriteWarning($"'{path}' holds no protected value; it was left as it was.");
        }
        else if (rewrapped > 0)
        {
            if (!ShouldProcess(path, $"Rewrap {rewrapped} of {matches.Count} protected value(s) under master secret {Ring.Current.Id}"))
            {
                return;
            }

            replaced.Append(content, last, content.Length - last);
            try
            {
                IO.TextFile.Rewrite(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(replaced.ToString()));
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new SsoSecretException(SsoSecretFailure.WriteFailed, $"The file '{path}' could not be rewritten; it was left as it was: {e.Message}", path, e);
            }

            WriteVerbose($"'{path}': {rewrapped} of {matches.Count} value(s) rewrapped under master secret {Ring.Current.Id}.");
        }
        else
        {
            WriteVerbose($"'{path}': every value is under the current master secret already; the file was left as it was.");
        }

        if (PassThru)
        {
            WriteObject(new SsoProtectedFileUpdate { Path = path, Values = matches.Count, Rewrapped = rewrapped, SecretId = Ring.Current.Id, FromSecretIds = from.ToArray() });
        }
    }

    private static string ReadText(string path)
    {
        var bytes = IO.GivenFile.Read(
            path,
            "file",
            "give a file that holds protected values",
            16L * 1024 * 1024,
            length => new SsoSecretException(SsoSecretFailure.ValueTooLarge, $"The file '{path}' is {length} bytes long; files of more than 16 MiB are not rewritten in place.", path));
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"The file '{path}' is not UTF-8 text; only text files are rewritten in place.", path);
        }
    }

    private static int LineOf(string content, int index)
    {
        int line = 1;
        for (int i = 0; i < index; i++)
        {
            if (content[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }
}
