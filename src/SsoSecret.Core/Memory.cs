using System;

namespace SsoSecret;

/// <summary>Helpers that keep secrets in memory for as short a time as possible.</summary>
internal static class Memory
{
    /// <summary>Overwrites an array with zeros; null is ignored so callers can use it in finally blocks.</summary>
    internal static void Zero(byte[]? data)
    {
        if (data is not null)
        {
            Array.Clear(data, 0, data.Length);
        }
    }

    internal static void Zero(char[]? data)
    {
        if (data is not null)
        {
            Array.Clear(data, 0, data.Length);
        }
    }

    /// <summary>A copy of part of an array.</summary>
    internal static byte[] Slice(byte[] data, int offset, int length)
    {
        var slice = new byte[length];
        Buffer.BlockCopy(data, offset, slice, 0, length);
        return slice;
    }
}
