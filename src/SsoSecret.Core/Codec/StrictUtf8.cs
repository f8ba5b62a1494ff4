using System.Text;

namespace SsoSecret.Codec;

/// <summary>UTF-8 that refuses what has no UTF-8 form (unpaired surrogates) and invalid bytes, and writes no BOM.</summary>
internal static class StrictUtf8
{
    internal static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
