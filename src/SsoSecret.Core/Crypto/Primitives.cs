using System;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
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
    internal const int X25519KeyLength = 32;
    internal const int Ed25519KeyLength = 32;
    internal const int Ed25519SignatureLength = 64;

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

    /// <summary>SHA-256 of <paramref name="first"/> then <paramref name="second"/>, without a copy of both.</summary>
    internal static byte[] Sha256(byte[] first, byte[] second)
    {
        var digest = new Sha256Digest();
        digest.BlockUpdate(first, 0, first.Length);
        digest.BlockUpdate(second, 0, second.Length);
        var output = new byte[Sha256Length];
        digest.DoFinal(output, 0);
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

    /// <summary>A new X25519 key pair (RFC 7748) from BouncyCastle's generator: (private key, public key), 32 bytes each.</summary>
    internal static (byte[] PrivateKey, byte[] PublicKey) X25519NewKeyPair()
    {
        var generator = new X25519KeyPairGenerator();
        generator.Init(new X25519KeyGenerationParameters(s_random));
        var pair = generator.GenerateKeyPair();
        return (((X25519PrivateKeyParameters)pair.Private).GetEncoded(), ((X25519PublicKeyParameters)pair.Public).GetEncoded());
    }

    /// <summary>The X25519 public key of a private key: X25519(private key, base point).</summary>
    internal static byte[] X25519PublicKey(byte[] privateKey) =>
        new X25519PrivateKeyParameters(privateKey, 0).GeneratePublicKey().GetEncoded();

    /// <summary>
    /// The X25519 shared secret of a private key and a public key (BouncyCastle's X25519Agreement). Null when the
    /// result is all zeros: the public key is a point of small order, and the "shared" secret would be known to all.
    /// </summary>
    internal static byte[]? X25519(byte[] privateKey, byte[] publicKey)
    {
        var agreement = new X25519Agreement();
        agreement.Init(new X25519PrivateKeyParameters(privateKey, 0));
        var shared = new byte[agreement.AgreementSize];
        try
        {
            agreement.CalculateAgreement(new X25519PublicKeyParameters(publicKey, 0), shared, 0);
            return shared;
        }
        catch (InvalidOperationException)
        {
            // BouncyCastle refuses an all-zero result ("X25519 agreement failed").
            Memory.Zero(shared);
            return null;
        }
    }

    /// <summary>A new Ed25519 key pair (RFC 8032) from BouncyCastle's generator: (private key, the 32-byte seed; public key).</summary>
    internal static (byte[] PrivateKey, byte[] PublicKey) Ed25519NewKeyPair()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(s_random));
        var pair = generator.GenerateKeyPair();
        return (((Ed25519PrivateKeyParameters)pair.Private).GetEncoded(), ((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
    }

    /// <summary>The Ed25519 public key of a private key (its 32-byte seed, RFC 8032 section 5.1.5).</summary>
    internal static byte[] Ed25519PublicKey(byte[] privateKey) =>
        new Ed25519PrivateKeyParameters(privateKey, 0).GeneratePublicKey().GetEncoded();

    /// <summary>Ed25519 (RFC 8032, "pure": no context, no prehash) signature of a message: 64 bytes.</summary>
    internal static byte[] Ed25519Sign(byte[] privateKey, byte[] message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(privateKey, 0));
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    /// <summary>
    /// Verifies an Ed25519 signature (RFC 8032 section 5.1.7, as BouncyCastle checks it: S below the group order, R and
    /// the public key points on the curve). False for any failure, including a public key that is no point.
    /// </summary>
    internal static bool Ed25519Verify(byte[] publicKey, byte[] message, byte[] signature)
    {
        if (signature.Length != Ed25519SignatureLength || publicKey.Length != Ed25519KeyLength)
        {
            return false;
        }

        Ed25519PublicKeyParameters key;
        try
        {
            key = new Ed25519PublicKeyParameters(publicKey, 0);
        }
        catch (ArgumentException)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(false, key);
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(signature);
    }

    /// <summary>
    /// True when 32 bytes are the canonical encoding of an Ed25519 point of the prime-order subgroup, not of small
    /// order (BouncyCastle's full validation): the public key of some key pair.
    /// </summary>
    internal static bool Ed25519IsValidPublicKey(byte[] publicKey) =>
        publicKey.Length == Ed25519KeyLength && Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.ValidatePublicKeyFull(publicKey, 0);

    /// <summary>Compares two ranges in time that depends on their length only (BouncyCastle's comparison).</summary>
    internal static bool FixedTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length) =>
        Org.BouncyCastle.Utilities.Arrays.FixedTimeEquals(length, a, aOffset, b, bOffset);
}
