using System;
using System.Collections.Generic;
using System.IO;
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

    /// <summary>
    /// What the values are for. Several purposes may be given: each value is opened for the one it was protected for
    /// among them (a value never opens for a purpose not named), so a config file holding values of several purposes is
    /// rewrapped in one call.
    /// </summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyString]
    [ValidateCount(1, 64)]
    public string[] Purpose { get; set; } = Array.Empty<string>();

    /// <inheritdoc/>
    private protected override string[] Purposes => Purpose;

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

    /// <summary>The most protected values one file rewritten in place may hold.</summary>
    internal const int MaxValues = 100_000;

    /// <summary>The largest file rewritten in place.</summary>
    internal const int MaxFileLength = 16 * 1024 * 1024;

    /// <summary>
    /// Rewraps every protected value in a file, or none: the first value that does not open (a purpose not named, an
    /// unknown secret, damage) leaves the file as it was and is reported with its line. The file is read and replaced
    /// as <see cref="IO.InPlaceFile"/> says (its folder checked, links resolved, owner, mode and attributes kept, a
    /// change made meanwhile never overwritten). Linear in the file's length and number of values.
    /// </summary>
    private void UpdateFile(string path)
    {
        using var file = IO.InPlaceFile.Open(
            path,
            MaxFileLength,
            length => new SsoSecretException(SsoSecretFailure.ValueTooLarge, $"The file '{path}' is {length} bytes long; files of more than 16 MiB are not rewritten in place.", path));
        if (file.RealPath != path)
        {
            WriteVerbose($"'{path}' leads to '{file.RealPath}', which is the file rewritten.");
        }

        string content = DecodeText(path, file.Content);
        var matches = IO.TextFile.ProtectedText.Matches(content);
        if (matches.Count > MaxValues)
        {
            throw new SsoSecretException(
                SsoSecretFailure.TooManyValues,
                $"The file '{path}' holds {matches.Count} protected values; at most {MaxValues} are rewritten in one file. It was left as it was.",
                path);
        }

        var replaced = new StringBuilder(content.Length + (matches.Count * 8));
        var from = new List<Guid>();
        int last = 0;
        int line = 1;
        int counted = 0;
        int rewrapped = 0;
        foreach (System.Text.RegularExpressions.Match match in matches)
        {
            // Lines are counted from the previous value on, never from the top again: linear in the file's length.
            for (; counted < match.Index; counted++)
            {
                if (content[counted] == '\n')
                {
                    line++;
                }
            }

            string where = $"'{path}', line {line}";
            RewrapResult? result = null;
            RunForValue(() => result = ProtectedData.Rewrap(Ring, Purpose, match.Value), where);
            if (result is null)
            {
                WriteVerbose($"'{path}' was left as it was.");
                return;
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
            file.Replace(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(replaced.ToString()));
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

    internal static string DecodeText(string path, byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"The file '{path}' is not UTF-8 text; only text files are rewritten in place.", path);
        }
    }
}
