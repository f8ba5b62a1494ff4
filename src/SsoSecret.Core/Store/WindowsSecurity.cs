using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace SsoSecret.Store;

/// <summary>
/// The Win32 calls behind the Windows store's access control (advapi32): the calling account's SID, a folder created
/// with a security descriptor, and a folder's or file's owner and DACL read as SDDL. Every failure is an
/// <see cref="IOException"/> that names the call and the Windows error, never a raw <see cref="Win32Exception"/>.
/// Windows only.
/// </summary>
internal static class WindowsSecurity
{
    private const int OwnerSecurityInformation = 0x1;
    private const int DaclSecurityInformation = 0x4;
    private const int SeFileObject = 1;
    private const int SddlRevision1 = 1;
    private const int TokenQuery = 0x8;
    private const int TokenUserClass = 1;

    /// <summary>The SID of the account this process runs as ("S-1-5-21-...").</summary>
    internal static string CurrentUserSid()
    {
        if (!OpenProcessToken(GetCurrentProcess(), TokenQuery, out IntPtr token))
        {
            throw Failure("OpenProcessToken", "this process");
        }

        try
        {
            GetTokenInformation(token, TokenUserClass, IntPtr.Zero, 0, out int length);
            IntPtr buffer = Marshal.AllocHGlobal(length);
            try
            {
                if (!GetTokenInformation(token, TokenUserClass, buffer, length, out _))
                {
                    throw Failure("GetTokenInformation", "this process");
                }

                // TOKEN_USER starts with SID_AND_ATTRIBUTES, whose first field is the SID's address.
                IntPtr sid = Marshal.ReadIntPtr(buffer);
                if (!ConvertSidToStringSid(sid, out IntPtr text))
                {
                    throw Failure("ConvertSidToStringSid", "this process");
                }

                try
                {
                    return Marshal.PtrToStringUni(text)!;
                }
                finally
                {
                    LocalFree(text);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
        finally
        {
            CloseHandle(token);
        }
    }

    /// <summary>Creates a folder born with the security descriptor <paramref name="sddl"/>. False when it exists already.</summary>
    internal static bool CreateFolder(string path, string sddl)
    {
        if (!ConvertStringSecurityDescriptorToSecurityDescriptor(sddl, SddlRevision1, out IntPtr descriptor, out _))
        {
            throw Failure("ConvertStringSecurityDescriptorToSecurityDescriptor", path);
        }

        try
        {
            var attributes = new SecurityAttributes { Length = Marshal.SizeOf<SecurityAttributes>(), Descriptor = descriptor, InheritHandle = false };
            if (CreateDirectory(path, ref attributes))
            {
                return true;
            }

            int error = Marshal.GetLastWin32Error();
            if (error == 183 /* ERROR_ALREADY_EXISTS */)
            {
                return false;
            }

            throw Failure("CreateDirectory", path, error);
        }
        finally
        {
            LocalFree(descriptor);
        }
    }

    /// <summary>The owner and DACL of a file or folder, as SDDL ("O:...D:...").</summary>
    internal static string ReadSddl(string path)
    {
        int error = GetNamedSecurityInfo(path, SeFileObject, OwnerSecurityInformation | DaclSecurityInformation, out _, out _, out _, out _, out IntPtr descriptor);
        if (error != 0)
        {
            throw Failure("GetNamedSecurityInfo", path, error);
        }

        try
        {
            if (!ConvertSecurityDescriptorToStringSecurityDescriptor(descriptor, SddlRevision1, OwnerSecurityInformation | DaclSecurityInformation, out IntPtr text, out _))
            {
                throw Failure("ConvertSecurityDescriptorToStringSecurityDescriptor", path);
            }

            try
            {
                return Marshal.PtrToStringUni(text)!;
            }
            finally
            {
                LocalFree(text);
            }
        }
        finally
        {
            LocalFree(descriptor);
        }
    }

    private static IOException Failure(string call, string path, int? error = null)
    {
        int code = error ?? Marshal.GetLastWin32Error();
        return new IOException($"{call} failed for '{path}': {new Win32Exception(code).Message} (Windows error {code}).");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SecurityAttributes
    {
        public int Length;
        public IntPtr Descriptor;
        [MarshalAs(UnmanagedType.Bool)]
        public bool InheritHandle;
    }

    [DllImport("advapi32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool OpenProcessToken(IntPtr process, int access, out IntPtr token);

    [DllImport("advapi32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetTokenInformation(IntPtr token, int informationClass, IntPtr information, int length, out int returned);

    [DllImport("advapi32.dll", EntryPoint = "ConvertSidToStringSidW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool ConvertSidToStringSid(IntPtr sid, out IntPtr text);

    [DllImport("advapi32.dll", EntryPoint = "ConvertStringSecurityDescriptorToSecurityDescriptorW", SetLastError = true, CharSet = CharSet.Unicode)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool ConvertStringSecurityDescriptorToSecurityDescriptor(string sddl, int revision, out IntPtr descriptor, out int size);

    [DllImport("advapi32.dll", EntryPoint = "ConvertSecurityDescriptorToStringSecurityDescriptorW", SetLastError = true, CharSet = CharSet.Unicode)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool ConvertSecurityDescriptorToStringSecurityDescriptor(IntPtr descriptor, int revision, int information, out IntPtr text, out int length);

    [DllImport("advapi32.dll", EntryPoint = "GetNamedSecurityInfoW", CharSet = CharSet.Unicode)]
    private static extern int GetNamedSecurityInfo(string name, int type, int information, out IntPtr owner, out IntPtr group, out IntPtr dacl, out IntPtr sacl, out IntPtr descriptor);

    [DllImport("kernel32.dll", EntryPoint = "CreateDirectoryW", SetLastError = true, CharSet = CharSet.Unicode)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CreateDirectory(string path, ref SecurityAttributes attributes);

    [DllImport("kernel32.dll")]
    private static extern IntPtr GetCurrentProcess();

    [DllImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CloseHandle(IntPtr handle);

    [DllImport("kernel32.dll")]
    private static extern IntPtr LocalFree(IntPtr memory);
}
