using System;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace SsoSecret.Crypto;

/// <summary>
/// The only place the module touches cryptographic primitives. Every one of them is BouncyCastle's, except Argon2id,
/// which is a native libargon2 where the system has one that passes its self-test (see <see cref="Crypto.Argon2"/>):
/// nothing here is hand-written, this class only fixes the parameters the envelope uses.
/// </summary>
internal static class Primitives
{
    internal const int Sha256Length = 32;
    internal const int ChaChaKeyLength = 32;
    internal const int ChaChaNonceLength = 12;
    internal const int TagLength = 16;

    private static readonly SecureRandom s_random = new();

    /// <summary>Fills a new array with bytes from a cryptographic random generator.</summary>
    internal static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        s_random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Argon2id, version 0x13, no secret key K and no associated data X, by the process's implementation (<see cref="Crypto.Argon2"/>).</summary>
    internal static byte[] Argon2id(byte[] password, byte[] salt, KdfParameters kdf, int outputLength) =>
        Crypto.Argon2.Derive(password, salt, kdf, outputLength);

    /// <summary>PBKDF2 (RFC 8018) with HMAC-SHA256, <paramref name="length"/> bytes of output (SLIP-0039's Feistel round function).</summary>
    internal static byte[] Pbkdf2Sha256(byte[] password, byte[] salt, int iterations, int length)
    {
        var generator = new Pkcs5S2ParametersGenerator(new Sha256Digest());
        generator.Init(password, salt, iterations);
        var key = (KeyParameter)generator.GenerateDerivedMacParameters(length * 8);
        return key.GetKey();
    }

    /// <summary>HMAC-SHA256 (RFC 2104) of <paramref name="message"/> under <paramref name="key"/> (SLIP-0039's share digest).</summary>
    internal static byte[] HmacSha256(byte[] key, byte[] message)
    {
        var mac = new HMac(new Sha256Digest());
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(message, 0, message.Length);
        var output = new byte[mac.GetMacSize()];
        mac.DoFinal(output, 0);
        return output;
    }

    /// <summary>HKDF-SHA256 (RFC 5869), extract then expand.</summary>
    internal static byte[] HkdfSha256(byte[] ikm, byte[]? salt, byte[] info, int length)
    {
        var hkdf = new HkdfBytesGenerator(new Sha256Digest());
        hkdf.Init(new HkdfParameters(ikm, salt, info));
        var output = new byte[length];
        hkdf.GenerateBytes(output, 0, length);
        return output;
    }

    internal static byte[] Sha256(byte[] data, int offset, int length)
    {
        var digest = new Sha256Digest();
        digest.BlockUpdate(data, offset, length);
        var output = new byte[Sha256Length];
        digest.DoFinal(output, 0);
        return output;
    }

    /// <summary>ChaCha20-Poly1305 (RFC 8439) encryption: returns ciphertext followed by the 16-byte tag.</summary>
    internal static byte[] ChaChaSeal(byte[] key, byte[] nonce, byte[] associatedData, byte[] plaintext)
    {
        var cipher = new ChaCha20Poly1305();
        cipher.Init(true, new AeadParameters(new KeyParameter(key), TagLength * 8, nonce, associatedData));
        var output = new byte[cipher.GetOutputSize(plaintext.Length)];
        int written = cipher.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        cipher.DoFinal(output, written);
        return output;
    }

    /// <summary>
    /// ChaCha20-Poly1305 decryption. Returns null when the tag does not verify; no plaintext is returned then, and
    /// what was produced before the check is zeroed.
    /// </summary>
    internal static byte[]? ChaChaOpen(byte[] key, byte[] nonce, byte[] associatedData, byte[] sealedData, int offset, int length)
    {
        if (length < TagLength)
        {
            return null;
        }

        var cipher = new ChaCha20Poly1305();
        cipher.Init(false, new AeadParameters(new KeyParameter(key), TagLength * 8, nonce, associatedData));
        var output = new byte[cipher.GetOutputSize(length)];
        try
        {
            int written = cipher.ProcessBytes(sealedData, offset, length, output, 0);
            cipher.DoFinal(output, written);
            return output;
        }
        catch (InvalidCipherTextException)
        {
            Memory.Zero(output);
            return null;
        }
    }

    /// <summary>Compares two ranges in time that depends on their length only (BouncyCastle's comparison).</summary>
    internal static bool FixedTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length) =>
        Org.BouncyCastle.Utilities.Arrays.FixedTimeEquals(length, a, aOffset, b, bOffset);
}
