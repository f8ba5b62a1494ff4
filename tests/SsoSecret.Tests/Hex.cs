using System;
using System.Text;

namespace SsoSecret.Tests;

internal static class Hex
{
    internal static byte[] Decode(string hex)
    {
        hex = hex.Replace(" ", string.Empty).Replace("\n", string.Empty).Replace("\r", string.Empty);
        return Convert.FromHexString(hex);
    }

    internal static string Encode(byte[] data) => Convert.ToHexString(data).ToLowerInvariant();
}
