using System;

namespace SsoSecret;

// These two types depend on nothing but System, so that they can move to SsoSecret.Types (the public types scripts
// name) without change when the cmdlet layer exposes them.

/// <summary>
/// The distinct ways reading protected data (docs/protected-data-format.md) can fail. Each maps to its own error id in
/// the cmdlets. The first three are found without any secret; the last three need the store's key ring.
/// </summary>
public enum ProtectedDataFailure
{
    /// <summary>The text is not protected data at all: it does not start with <c>ssodata</c> and a version number.</summary>
    NotProtectedData,

    /// <summary>Protected data of a format version this reader does not know.</summary>
    UnsupportedVersion,

    /// <summary>Damage found without any key: cut short, a changed character, bad base64url, a checksum mismatch.</summary>
    Damaged,

    /// <summary>The value was protected under a master secret that the key ring does not hold (see <see cref="ProtectedDataException.SecretId"/>).</summary>
    UnknownSecret,

    /// <summary>
    /// The key derived for the purpose given does not match the value's key commitment: the value was protected for
    /// another purpose (or, deliberately altered, names another secret the ring holds).
    /// </summary>
    WrongPurpose,

    /// <summary>Secret and purpose are right, but the ciphertext or its tag was altered.</summary>
    Tampered,
}

/// <summary>
/// Protected data could not be read. <see cref="Failure"/> says why. The message never holds plaintext, a secret or a
/// derived key; it names the secret id a value needs when that is the problem.
/// </summary>
public sealed class ProtectedDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProtectedDataException(ProtectedDataFailure failure, string message, Guid? secretId = null, string? foundVersion = null)
        : base(message)
    {
        Failure = failure;
        SecretId = secretId;
        FoundVersion = foundVersion;
    }

    /// <summary>Why the value could not be read.</summary>
    public ProtectedDataFailure Failure { get; }

    /// <summary>
    /// The id of the master secret the value was protected under, once it is known to be intact (outcomes
    /// <see cref="ProtectedDataFailure.UnknownSecret"/>, <see cref="ProtectedDataFailure.WrongPurpose"/> and
    /// <see cref="ProtectedDataFailure.Tampered"/>); null otherwise.
    /// </summary>
    public Guid? SecretId { get; }

    /// <summary>For <see cref="ProtectedDataFailure.UnsupportedVersion"/>: the version number the text names, as written (at most 10 digits, then "...").</summary>
    public string? FoundVersion { get; }
}
