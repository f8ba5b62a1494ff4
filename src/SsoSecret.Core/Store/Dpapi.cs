using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace SsoSecret.Store;

/// <summary>A DPAPI call that failed, with the Windows error; the store turns it into its own failure.</summary>
internal sealed class DpapiException : Exception
{
    internal DpapiException(string call, int error)
        : base($"{call} failed: {new Win32Exception(error).Message} (Windows error {error}).")
    {
        Error = error;
    }

    internal int Error { get; }
}

/// <summary>
/// Windows DPAPI with machine scope, as ENTSSO protects its copy of the master secret in the registry: the bytes on
/// disk open only on this machine.
/// </summary>
internal static class Dpapi
{
    private const int CryptProtectUiForbidden = 0x1;
    private const int CryptProtectLocalMachine = 0x4;

    internal static byte[] Protect(byte[] data) => Transform(data, protect: true);

    internal static byte[] Unprotect(byte[] data) => Transform(data, protect: false);

    private static byte[] Transform(byte[] data, bool protect)
    {
        var input = new DataBlob();
        var output = new DataBlob();
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            input.Size = data.Length;
            input.Data = handle.AddrOfPinnedObject();
            bool ok = protect
                ? CryptProtectData(ref input, "SsoSecret master secret", IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, CryptProtectUiForbidden | CryptProtectLocalMachine, ref output)
                : CryptUnprotectData(ref input, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, CryptProtectUiForbidden, ref output);
            if (!ok)
            {
                int error = Marshal.GetLastWin32Error();
                throw new DpapiException(protect ? "CryptProtectData" : "CryptUnprotectData", error);
            }

            var result = new byte[output.Size];
            Marshal.Copy(output.Data, result, 0, output.Size);
            return result;
        }
        finally
        {
            handle.Free();
            if (output.Data != IntPtr.Zero)
            {
                // Zero DPAPI's copy of the clear bytes before handing the memory back.
                for (int i = 0; i < output.Size; i++)
                {
                    Marshal.WriteByte(output.Data, i, 0);
                }

                LocalFree(output.Data);
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DataBlob
    {
        public int Size;
        public IntPtr Data;
    }

    [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    private static extern bool CryptProtectData(ref DataBlob dataIn, string description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, ref DataBlob dataOut);

    [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    private static extern bool CryptUnprotectData(ref DataBlob dataIn, IntPtr description, IntPtr entropy, IntPtr reserved, IntPtr prompt, int flags, ref DataBlob dataOut);

    [DllImport("kernel32.dll")]
    private static extern IntPtr LocalFree(IntPtr memory);
}
