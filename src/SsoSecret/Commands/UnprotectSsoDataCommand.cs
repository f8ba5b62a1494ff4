using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Opens values that Protect-SsoData protected, for the same purpose, under the store's current or previous master
/// secret. Returns a SecureString by default.
/// </summary>
[Cmdlet(VerbsSecurity.Unprotect, "SsoData", DefaultParameterSetName = TextSet)]
[OutputType(typeof(SecureString), typeof(string), typeof(byte[]))]
public sealed class UnprotectSsoDataCommand : ProtectedDataCommandBase
{
    private const string TextSet = "Text";
    private const string FileSet = "File";

    private int _count;

    // The values' decryption runs on the thread pool while the pipeline delivers the next values (the crypto of a
    // value costs more than reading it); the results come back here in the values' order. Each result is a plaintext:
    // what is never written is zeroed.
    private OrderedWork<string, byte[]>? _work;

    /// <summary>Protected text, as Protect-SsoData wrote it (white space around it is ignored).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = System.Array.Empty<string>();

    /// <summary>Files of protected text (as Protect-SsoData -OutFile writes them): each non-blank line is one value.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FileSet)]
    [Alias("PSPath", "FullName")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    /// <summary>What the values are for (for example 'billing/db-password'); a value opens only for its own purpose.</summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyString]
    public string Purpose { get; set; } = string.Empty;

    /// <inheritdoc/>
    private protected override string[] Purposes => new[] { Purpose };

    /// <summary>Returns each value as a plain string instead of a SecureString.</summary>
    [Parameter]
    public SwitchParameter AsPlainText { get; set; }

    /// <summary>Returns each value's bytes (a byte array per value) instead of a SecureString.</summary>
    [Parameter]
    public SwitchParameter AsByteArray { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (AsPlainText && AsByteArray)
        {
            Run(() => throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "Give either -AsPlainText or -AsByteArray, not both."), terminating: true);
        }

        base.BeginProcessing();
        _work = new OrderedWork<string, byte[]>(Memory.Zero);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == FileSet)
        {
            foreach (string given in LiteralPath)
            {
                // A file that cannot be read is reported after the values before it.
                Write(wait: true);
                var values = new List<(string Text, string Where)>();
                Run(() => values.AddRange(ReadLines(PathHelper.ResolveLiteral(this, given))), terminating: false);
                foreach (var (text, where) in values)
                {
                    Open(text, where);
                }
            }

            return;
        }

        foreach (string text in InputObject)
        {
            _count++;
            Open(text, $"Value {_count}");
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing() => Write(wait: true);

    /// <inheritdoc/>
    private protected override void Dispose(bool disposing)
    {
        // The work still running uses the key ring: it finishes (and its plaintexts are zeroed) before the ring is.
        _work?.Dispose();
        _work = null;
        base.Dispose(disposing);
    }

    private OrderedWork<string, byte[]> Work => _work ?? throw new System.InvalidOperationException("The work queue is made in BeginProcessing.");

    private void Open(string text, string where)
    {
        var ring = Ring;
        string purpose = Purpose;
        Work.Add(where, () => ProtectedData.Unprotect(ring, purpose, text));
        Write(wait: false);
    }

    /// <summary>Writes the values whose decryption is done, in their order; with <paramref name="wait"/>, all of them.</summary>
    private void Write(bool wait)
    {
        while (Work.TryTake(wait, out string where, out var opened))
        {
            WriteValue(opened, where);
        }
    }

    private void WriteValue(System.Func<byte[]> opened, string where) => RunForValue(
        () =>
        {
            byte[] plaintext = opened();
            try
            {
                if (AsByteArray)
                {
                    WriteObject((byte[])plaintext.Clone());
                }
                else if (AsPlainText)
                {
                    WriteObject(DataValue.ToText(plaintext, where));
                }
                else
                {
                    WriteObject(DataValue.ToSecureString(plaintext, where));
                }
            }
            finally
            {
                Memory.Zero(plaintext);
            }
        },
        where);

    private static IEnumerable<(string Text, string Where)> ReadLines(string path)
    {
        var bytes = IO.GivenFile.Read(
            path,
            "file",
            "give a file of protected values",
            64L * ProtectedData.MaxTextLength,
            length => new SsoSecretException(
                SsoSecretFailure.ValueTooLarge,
                $"The file '{path}' is {length} bytes long, more than a file of protected values is ({64L * ProtectedData.MaxTextLength} bytes at most).",
                path));
        // As File.ReadAllLines reads it: UTF-8 (a byte order mark skipped), any line ending.
        string[] lines = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true).ReadToEnd()
            .Split(new[] { "\r\n", "\n", "\r" }, System.StringSplitOptions.None);

        var values = new List<(string, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length > 0)
            {
                values.Add((lines[i], $"'{path}', line {i + 1}"));
            }
        }

        return values;
    }
}
