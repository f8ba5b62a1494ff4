using System.Management.Automation;
using System.Reflection;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;

namespace OtherCrypto;

/// <summary>Hashes a string with the BouncyCastle this module ships, and says which BouncyCastle that is.</summary>
[Cmdlet(VerbsCommon.Get, "OtherCryptoHash")]
public sealed class GetOtherCryptoHashCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Text { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        var digest = new Sha256Digest();
        var input = Encoding.UTF8.GetBytes(Text);
        digest.BlockUpdate(input, 0, input.Length);
        var output = new byte[32];
        digest.DoFinal(output, 0);
        var version = typeof(Sha256Digest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var result = new PSObject();
        result.Properties.Add(new PSNoteProperty("Hash", System.BitConverter.ToString(output).Replace("-", string.Empty).ToLowerInvariant()));
        result.Properties.Add(new PSNoteProperty("BouncyCastleVersion", version));
        WriteObject(result);
    }
}
