using System;
using System.Management.Automation;
using System.Security;
using SsoSecret.Codec;

namespace SsoSecret.Internal;

/// <summary>
/// The values Protect-SsoData takes and Unprotect-SsoData returns, as bytes: a SecureString or a PSCredential's password
/// (UTF-8, never turned into a managed string), a string (UTF-8), or bytes as they are.
/// </summary>
internal static class DataValue
{
    /// <summary>The value's bytes; the caller zeroes them.</summary>
    internal static byte[] ToBytes(object? input, string where)
    {
        object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
        byte[] bytes = value switch
        {
            SecureString secure => FromSecure(secure, where),
            PSCredential credential => FromSecure(credential.Password, where),
            string text => FromString(text, where),
            byte[] data => (byte[])data.Clone(),
            null => throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"{where}: the value is null; give a SecureString, a string, a byte array or a PSCredential."),
            byte => throw new SsoSecretException(
                SsoSecretFailure.UnsupportedInput,
                $"{where}: a single byte was given, most likely a byte array that the pipeline unrolled into its bytes.")
            {
                RecommendedAction = "Pass the array whole: Protect-SsoData -InputObject $bytes, or ,$bytes | Protect-SsoData.",
            },
            _ => throw new SsoSecretException(
                SsoSecretFailure.UnsupportedInput,
                $"{where}: a value of type {value.GetType().FullName} cannot be protected; give a SecureString, a string, a byte array or a PSCredential."),
        };

        if (bytes.Length > ProtectedData.MaxPlaintextLength)
        {
            int length = bytes.Length;
            Memory.Zero(bytes);
            throw new SsoSecretException(
                SsoSecretFailure.ValueTooLarge,
                $"{where}: the value is {length} bytes long; protected data holds at most {ProtectedData.MaxPlaintextLength} bytes.")
            {
                RecommendedAction = "Protect a random key instead, and encrypt the large data with it.",
            };
        }

        return bytes;
    }

    /// <summary>A SecureString of the value's UTF-8 text, made without a managed string; the bytes stay the caller's.</summary>
    internal static SecureString ToSecureString(byte[] bytes, string where)
    {
        char[] chars = Decode(bytes, where);
        try
        {
            // One copy into the SecureString's own buffer (AppendChar per character costs more than the decryption).
            SecureString secure;
            unsafe
            {
                fixed (char* first = chars)
                {
                    secure = chars.Length == 0 ? new SecureString() : new SecureString(first, chars.Length);
                }
            }

            secure.MakeReadOnly();
            return secure;
        }
        finally
        {
            Memory.Zero(chars);
        }
    }

    /// <summary>The value's UTF-8 text as a string (what -AsPlainText asks for).</summary>
    internal static string ToText(byte[] bytes, string where)
    {
        char[] chars = Decode(bytes, where);
        try
        {
            return new string(chars);
        }
        finally
        {
            Memory.Zero(chars);
        }
    }

    private static char[] Decode(byte[] bytes, string where)
    {
        try
        {
            return StrictUtf8.Encoding.GetChars(bytes);
        }
        catch (ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.ValueNotText, $"{where}: the value is not UTF-8 text, so it cannot be returned as a string or a SecureString.")
            {
                RecommendedAction = "Use -AsByteArray to get its bytes.",
            };
        }
    }

    private static byte[] FromSecure(SecureString secure, string where)
    {
        try
        {
            using var bytes = PasswordBytes.From(secure);
            return (byte[])bytes.Bytes.Clone();
        }
        catch (ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"{where}: the SecureString holds an unpaired surrogate character, which has no UTF-8 form.");
        }
    }

    private static byte[] FromString(string text, string where)
    {
        try
        {
            return StrictUtf8.Encoding.GetBytes(text);
        }
        catch (ArgumentException)
        {
            throw new SsoSecretException(SsoSecretFailure.UnsupportedInput, $"{where}: the string holds an unpaired surrogate character, which has no UTF-8 form.");
        }
    }
}
