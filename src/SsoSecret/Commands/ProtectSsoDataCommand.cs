using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// Protects values under the store's current master secret, for a purpose, as one line of ASCII text each, without
/// the caller ever seeing the secret.
/// </summary>
[Cmdlet(VerbsSecurity.Protect, "SsoData", DefaultParameterSetName = ValueSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
public sealed class ProtectSsoDataCommand : ProtectedDataCommandBase
{
    private const string ValueSet = "Value";
    private const string FileSet = "File";

    private readonly List<string> _texts = new();
    private int _count;

    /// <summary>The value: a SecureString, a string, a byte array or a PSCredential (its password).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ValueSet)]
    [AllowEmptyString]
    public object? InputObject { get; set; }

    /// <summary>A file whose bytes are the value (at most 16 KiB).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [Alias("PSPath")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>What the values are for (for example 'billing/db-password'); a value opens only for its own purpose.</summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyString]
    public string Purpose { get; set; } = string.Empty;

    /// <inheritdoc/>
    private protected override string[] Purposes => new[] { Purpose };

    /// <summary>Writes the protected text to this file (one line per value) instead of the output.</summary>
    [Parameter]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>With -OutFile: replaces an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        _count++;
        string where = ParameterSetName == FileSet ? $"The file '{LiteralPath}'" : $"Value {_count}";
        RunForValue(
            () =>
            {
                byte[] plaintext = ParameterSetName == FileSet ? ReadValueFile(PathHelper.ResolveLiteral(this, LiteralPath)) : DataValue.ToBytes(InputObject, where);
                try
                {
                    if (OutFile is null && IsWhatIf())
                    {
                        // -WhatIf tells what would be written to the output, and writes nothing there either.
                        ShouldProcess(where, $"Protect the value for the purpose '{Purpose}' and write the protected text to the output");
                        return;
                    }

                    string text = ProtectedData.Protect(Ring, Purpose, plaintext);
                    if (OutFile is null)
                    {
                        WriteObject(text);
                    }
                    else
                    {
                        _texts.Add(text);
                    }
                }
                finally
                {
                    Memory.Zero(plaintext);
                }
            },
            where);
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (OutFile is null || _texts.Count == 0)
        {
            return;
        }

        Run(
            () =>
            {
                string path = PathHelper.ResolveLiteral(this, OutFile);
                PathHelper.CheckWriteTarget(path, Force, IO.TextFile.Exists);
                if (!ShouldChange(path, $"Write {_texts.Count} protected value(s) for the purpose '{Purpose}'", Force))
                {
                    return;
                }

                var content = Encoding.ASCII.GetBytes(string.Join("\n", _texts) + "\n");
                IO.TextFile.Write(path, content, Force);
                WriteVerbose($"Wrote {_texts.Count} protected value(s) to '{path}'.");
            },
            terminating: true);
    }

    private static byte[] ReadValueFile(string path) => IO.GivenFile.Read(
        path,
        "file",
        "give the file that holds the value",
        ProtectedData.MaxPlaintextLength,
        length => new SsoSecretException(
            SsoSecretFailure.ValueTooLarge,
            $"The file '{path}' is {length} bytes long; protected data holds at most {ProtectedData.MaxPlaintextLength} bytes.",
            path));
}
