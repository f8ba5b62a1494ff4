using System;

namespace SsoSecret;

/// <summary>
/// The outcomes of reading protected data, as docs/protected-data-format.md names them. Each is its own
/// <see cref="SsoSecretFailure"/> (and error id) in the cmdlets. The first three are found without any secret; the
/// last three need the store's key ring.
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
/// Protected data could not be read. <see cref="Outcome"/> is the format's outcome; <see cref="SsoSecretException.Failure"/>
/// the module's failure it is. The message never holds plaintext, a secret or a derived key; it names the secret id a
/// value needs when that is the problem.
/// </summary>
public sealed class ProtectedDataException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public ProtectedDataException(ProtectedDataFailure outcome, string message, Guid? secretId = null, string? foundVersion = null)
        : base(FailureOf(outcome), message)
    {
        Outcome = outcome;
        SecretId = secretId;
        FoundVersion = foundVersion;
    }

    /// <summary>Why the value could not be read, in the format's terms.</summary>
    public ProtectedDataFailure Outcome { get; }

    /// <summary>
    /// The id of the master secret the value was protected under, once it is known to be intact (outcomes
    /// <see cref="ProtectedDataFailure.UnknownSecret"/>, <see cref="ProtectedDataFailure.WrongPurpose"/> and
    /// <see cref="ProtectedDataFailure.Tampered"/>); null otherwise.
    /// </summary>
    public Guid? SecretId { get; }

    /// <summary>For <see cref="ProtectedDataFailure.UnsupportedVersion"/>: the version number the text names, as written (at most 10 digits, then "...").</summary>
    public string? FoundVersion { get; }

    /// <summary>The module's failure for each of the format's outcomes.</summary>
    public static SsoSecretFailure FailureOf(ProtectedDataFailure outcome) => outcome switch
    {
        ProtectedDataFailure.NotProtectedData => SsoSecretFailure.NotProtectedData,
        ProtectedDataFailure.UnsupportedVersion => SsoSecretFailure.UnsupportedVersion,
        ProtectedDataFailure.UnknownSecret => SsoSecretFailure.UnknownSecret,
        ProtectedDataFailure.WrongPurpose => SsoSecretFailure.WrongPurpose,
        ProtectedDataFailure.Tampered => SsoSecretFailure.TamperedProtectedData,
        _ => SsoSecretFailure.DamagedProtectedData,
    };
}
