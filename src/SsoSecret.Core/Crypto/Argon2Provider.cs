using System;

namespace SsoSecret.Crypto;

/// <summary>
/// One implementation of Argon2id, version 0x13 (RFC 9106). Every implementation gives the same bytes for the same
/// inputs: the test suite proves it on every input class the envelope uses, and a native or managed one proves it again at load
/// (<see cref="Argon2SelfTest"/>) before it is used.
/// </summary>
internal abstract class Argon2Provider
{
    /// <summary>The short name <c>$env:SSOSECRET_KDF</c> takes and <c>Measure-SsoKdf</c> shows: BouncyCastle, Managed or Native.</summary>
    internal abstract string Name { get; }

    /// <summary>What runs, in words (with the library's path for a native one).</summary>
    internal abstract string Description { get; }

    /// <summary>
    /// Fills <paramref name="output"/> with Argon2id of the password. <paramref name="secret"/> (K) and
    /// <paramref name="associatedData"/> (X) are null for the envelope; the self-test's RFC vector uses them.
    /// </summary>
    internal abstract void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output);
}

/// <summary>The KDF cannot run as configured: a required implementation is missing or failed its self-test, or a setting is wrong.</summary>
internal sealed class KdfUnavailableException : SsoSecretException
{
    internal KdfUnavailableException(string message)
        : base(SsoSecretFailure.KdfUnavailable, message)
    {
    }
}
