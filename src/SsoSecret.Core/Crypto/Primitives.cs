using System;
using System.Threading;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace SsoSecret.Crypto;

/// <summary>
/// The only place the module touches cryptographic primitives. Every one of them is BouncyCastle's:
/// nothing here is hand-written, this class only fixes the parameters the envelope uses.
/// </summary>
internal static class Primitives
{
    internal const int Sha256Length = 32;
    internal const int ChaChaKeyLength = 32;
    internal const int ChaChaNonceLength = 12;
    internal const int TagLength = 16;
    internal const int X25519KeyLength = 32;

    private static readonly SecureRandom s_random = new();
    private static int s_argon2Runs;

    private static long s_lastArgon2Ticks;

    /// <summary>How many times this process has run Argon2id: the benchmark checks that each command runs it once.</summary>
    internal static int Argon2Runs => Volatile.Read(ref s_argon2Runs);

    /// <summary>How long the last Argon2id run took: the benchmark subtracts it from a command's time, per call.</summary>
    internal static TimeSpan LastArgon2Duration => TimeSpan.FromTicks(Interlocked.Read(ref s_lastArgon2Ticks));

    /// <summary>Fills a new array with bytes from a cryptographic random generator.</summary>
    internal static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        s_random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Argon2id, version 0x13, no secret key K and no associated data X.</summary>
    /// <remarks>
    /// Lanes run in parallel when there is more than one: BouncyCastle runs them one after another unless it is
    /// given a task factory, and at p=4 the parallel run is close to the native reference implementation.
    /// </remarks>
    internal static byte[] Argon2id(byte[] password, byte[] salt, KdfParameters kdf, int outputLength)
    {
        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithSalt(salt)
            .WithMemoryAsKB(kdf.MemoryKiB)
            .WithIterations(kdf.Iterations)
            .WithParallelism(kdf.Parallelism)
            .Build();
        Interlocked.Increment(ref s_argon2Runs);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var generator = kdf.Parallelism > 1 ? new Argon2BytesGenerator(Task.Factory) : new Argon2BytesGenerator();
        generator.Init(parameters);
        var output = new byte[outputLength];
        generator.GenerateBytes(password, output);
        Interlocked.Exchange(ref s_lastArgon2Ticks, watch.Elapsed.Ticks);
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

    /// <summary>Compares two ranges in time that depends on their length only (BouncyCastle's comparison).</summary>
    internal static bool FixedTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length) =>
        Org.BouncyCastle.Utilities.Arrays.FixedTimeEquals(length, a, aOffset, b, bOffset);
}
