using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using SsoSecret.Codec;

namespace SsoSecret.Internal;

/// <summary>
/// A password as UTF-8 bytes, made from a SecureString without ever becoming a managed string: the characters are
/// copied out of unmanaged memory into an array that is zeroed as soon as the bytes exist. Dispose zeroes the bytes.
/// </summary>
internal sealed class PasswordBytes : IDisposable
{
    private PasswordBytes(byte[] bytes, int characters, bool hintRevealsPassword)
    {
        Bytes = bytes;
        Characters = characters;
        HintRevealsPassword = hintRevealsPassword;
    }

    /// <summary>The UTF-8 bytes that go into the KDF.</summary>
    internal byte[] Bytes { get; }

    /// <summary>The password's length in Unicode code points.</summary>
    internal int Characters { get; }

    /// <summary>True when the hint given to <see cref="From"/> contains the password (ignoring case).</summary>
    internal bool HintRevealsPassword { get; }

    /// <summary>Converts a SecureString; an unpaired surrogate throws <see cref="ArgumentException"/>.</summary>
    internal static PasswordBytes From(SecureString password, string? hint = null)
    {
        char[] chars = new char[password.Length];
        IntPtr unmanaged = IntPtr.Zero;
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(password);
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            byte[] bytes;
            try
            {
                bytes = StrictUtf8.Encoding.GetBytes(chars);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException("The password holds an unpaired surrogate character, which has no UTF-8 form.");
            }

            return new PasswordBytes(bytes, CountCodePoints(chars), hint is not null && Contains(hint, chars));
        }
        finally
        {
            if (unmanaged != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
            }

            Memory.Zero(chars);
        }
    }

    /// <summary>True when both passwords are the same (compared in fixed time over their bytes).</summary>
    internal bool SameAs(PasswordBytes other) =>
        Bytes.Length == other.Bytes.Length && Crypto.Primitives.FixedTimeEquals(Bytes, 0, other.Bytes, 0, Bytes.Length);

    public void Dispose() => Memory.Zero(Bytes);

    private static int CountCodePoints(char[] chars)
    {
        int count = 0;
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }

            count++;
        }

        return count;
    }

    /// <summary>Case-insensitive search for the password in the hint, without making a string of the password.</summary>
    private static bool Contains(string hint, char[] password)
    {
        if (password.Length == 0 || password.Length > hint.Length)
        {
            return false;
        }

        for (int start = 0; start + password.Length <= hint.Length; start++)
        {
            int i = 0;
            while (i < password.Length && char.ToUpperInvariant(hint[start + i]) == char.ToUpperInvariant(password[i]))
            {
                i++;
            }

            if (i == password.Length)
            {
                return true;
            }
        }

        return false;
    }
}
