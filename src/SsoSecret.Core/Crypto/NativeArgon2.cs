using System;
using System.Runtime.InteropServices;

namespace SsoSecret.Crypto;

/// <summary>
/// Argon2id from a native libargon2 (the reference implementation of the Password Hashing Competition, as packaged by
/// the system), called through <c>argon2_ctx</c>. Nothing is downloaded: the library is the one the system has, and it
/// is used only after it passed <see cref="Argon2SelfTest"/>.
/// </summary>
internal sealed class NativeArgon2 : Argon2Provider
{
    internal const string ProviderName = "Native";
    internal const string ContextFunction = "argon2_ctx";

    private const int Argon2Id = 2;
    private const uint Version13 = 0x13;

    private readonly Argon2Context _argon2Ctx;
    private readonly ErrorMessage? _errorMessage;

    private NativeArgon2(string path, Argon2Context argon2Ctx, ErrorMessage? errorMessage)
    {
        LibraryPath = path;
        _argon2Ctx = argon2Ctx;
        _errorMessage = errorMessage;
    }

    // int argon2_ctx(argon2_context *context, argon2_type type);  const char *argon2_error_message(int error_code);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Argon2Context(ref Context context, int type);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ErrorMessage(int code);

    /// <summary>The library file (or, when the system loader found it by name and cannot tell where, that name).</summary>
    internal string LibraryPath { get; }

    internal override string Name => ProviderName;

    internal override string Description => "libargon2 (native) at " + LibraryPath;

    /// <summary>
    /// Loads libargon2 from a path or a name the system loader resolves. Returns null, with the reason, when it cannot
    /// be loaded or is not libargon2 (no <c>argon2_ctx</c>). Loading runs no code of the library's but its initializers.
    /// </summary>
    internal static NativeArgon2? TryLoad(string nameOrPath, out string reason)
    {
        IntPtr handle;
        try
        {
            handle = NativeLibraryLoader.Load(nameOrPath);
        }
        catch (Exception e) when (e is DllNotFoundException || e is BadImageFormatException || e is ArgumentException)
        {
            reason = $"'{nameOrPath}' could not be loaded ({FirstLine(e.Message)})";
            return null;
        }

        var context = NativeLibraryLoader.GetExport(handle, ContextFunction);
        if (context == IntPtr.Zero)
        {
            reason = $"'{nameOrPath}' has no {ContextFunction} function: it is not libargon2";
            return null;
        }

        var message = NativeLibraryLoader.GetExport(handle, "argon2_error_message");
        string path = System.IO.Path.IsPathRooted(nameOrPath) ? nameOrPath : NativeLibraryLoader.FindLoadedPath("libargon2") ?? nameOrPath;
        reason = string.Empty;
        return new NativeArgon2(
            path,
            Marshal.GetDelegateForFunctionPointer<Argon2Context>(context),
            message == IntPtr.Zero ? null : Marshal.GetDelegateForFunctionPointer<ErrorMessage>(message));
    }

    /// <remarks>
    /// The password, salt and output arrays are pinned while the library reads or writes them, so the garbage
    /// collector leaves no copy behind; the output is zeroed when the library fails. libargon2 wipes its own memory
    /// before it frees it.
    /// </remarks>
    internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output)
    {
        var pins = new GCHandle[5];
        try
        {
            var context = new Context
            {
                Out = Pin(output, ref pins[0]),
                OutLength = (uint)output.Length,
                Password = Pin(password, ref pins[1]),
                PasswordLength = (uint)password.Length,
                Salt = Pin(salt, ref pins[2]),
                SaltLength = (uint)salt.Length,
                Secret = Pin(secret, ref pins[3]),
                SecretLength = (uint)(secret?.Length ?? 0),
                AssociatedData = Pin(associatedData, ref pins[4]),
                AssociatedDataLength = (uint)(associatedData?.Length ?? 0),
                TimeCost = (uint)kdf.Iterations,
                MemoryCost = (uint)kdf.MemoryKiB,
                Lanes = (uint)kdf.Parallelism,
                Threads = (uint)kdf.Parallelism,
                Version = Version13,
                Allocate = LargePages.Allocate,
                Free = LargePages.Free,
                Flags = 0,
            };
            int result = _argon2Ctx(ref context, Argon2Id);
            if (result != 0)
            {
                Memory.Zero(output);
                throw new KdfUnavailableException($"libargon2 at {LibraryPath} failed: error {result} ({Message(result)}).");
            }
        }
        finally
        {
            foreach (var pin in pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
    }

    private static IntPtr Pin(byte[]? data, ref GCHandle handle)
    {
        if (data is null)
        {
            return IntPtr.Zero;
        }

        handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        return handle.AddrOfPinnedObject();
    }

    private string Message(int code)
    {
        var text = _errorMessage is null ? IntPtr.Zero : _errorMessage(code);
        return text == IntPtr.Zero ? "no message" : Marshal.PtrToStringAnsi(text) ?? "no message";
    }

    private static string FirstLine(string message)
    {
        // .NET's message for a library that is missing is long and ends with the system loader's own words.
        int colon = message.LastIndexOf(": ", StringComparison.Ordinal);
        string text = colon >= 0 && colon + 2 < message.Length ? message.Substring(colon + 2) : message;
        int end = text.IndexOfAny(new[] { '\r', '\n' });
        return (end >= 0 ? text.Substring(0, end) : text).Trim();
    }

    /// <summary>argon2.h's <c>argon2_context</c>: the same layout on every platform (pointers, then 32-bit fields).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Context
    {
        public IntPtr Out;
        public uint OutLength;
        public IntPtr Password;
        public uint PasswordLength;
        public IntPtr Salt;
        public uint SaltLength;
        public IntPtr Secret;
        public uint SecretLength;
        public IntPtr AssociatedData;
        public uint AssociatedDataLength;
        public uint TimeCost;
        public uint MemoryCost;
        public uint Lanes;
        public uint Threads;
        public uint Version;
        public IntPtr Allocate;
        public IntPtr Free;
        public uint Flags;
    }

    /// <summary>
    /// The library's memory, from the module rather than from malloc: on Linux (x64, arm64) a mapping aligned to 2 MiB and
    /// marked for transparent huge pages (<see cref="HugePageMapping"/>). Elsewhere (or when the mapping fails) the
    /// library allocates with malloc as usual.
    /// </summary>
    private static class LargePages
    {
        private static readonly AllocateCallback s_allocate = AllocateMapping;
        private static readonly FreeCallback s_free = FreeMapping;

        // int (*allocate_fptr)(uint8_t **memory, size_t bytes_to_allocate);  void (*deallocate_fptr)(uint8_t *memory, size_t bytes_to_allocate);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int AllocateCallback(out IntPtr memory, UIntPtr bytes);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void FreeCallback(IntPtr memory, UIntPtr bytes);

        internal static IntPtr Allocate { get; } = HugePageMapping.Supported ? Marshal.GetFunctionPointerForDelegate(s_allocate) : IntPtr.Zero;

        internal static IntPtr Free { get; } = HugePageMapping.Supported ? Marshal.GetFunctionPointerForDelegate(s_free) : IntPtr.Zero;

        private static int AllocateMapping(out IntPtr memory, UIntPtr bytes)
        {
            memory = HugePageMapping.TryMap((long)bytes.ToUInt64());
            return memory == IntPtr.Zero ? -22 : 0; // ARGON2_MEMORY_ALLOCATION_ERROR: the library then reports it
        }

        // libargon2 has wiped the memory before it calls this; unmapped pages go back to the kernel.
        private static void FreeMapping(IntPtr memory, UIntPtr bytes) => HugePageMapping.Release(memory, (long)bytes.ToUInt64());
    }
}
