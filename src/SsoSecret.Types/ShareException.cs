using System;

namespace SsoSecret;

/// <summary>
/// The distinct ways splitting a secret into recovery shares, or combining shares, can fail. Each maps to its own
/// error id in the cmdlets. The order of the reader's checks is in docs/recovery-shares.md.
/// </summary>
public enum ShareFailure
{
    /// <summary>No share was given.</summary>
    NoShares,

    /// <summary>More shares were given than a split can have (16 groups of 16), or a share is far too long.</summary>
    TooManyShares,

    /// <summary>A word is not in the SLIP-0039 word list.</summary>
    InvalidWord,

    /// <summary>A share has a number of words no SLIP-0039 share has (too short, too long, or a length whose padding would exceed 8 bits).</summary>
    InvalidLength,

    /// <summary>A share's RS1024 checksum does not verify: a word was mistyped, swapped or left out.</summary>
    InvalidChecksum,

    /// <summary>A share's padding bits are not zero.</summary>
    InvalidPadding,

    /// <summary>A share says its group threshold is greater than its group count.</summary>
    InvalidThreshold,

    /// <summary>
    /// Shares of different splits were given together: a different identifier, extendable flag, iteration exponent,
    /// group threshold, group count, member threshold or length (<see cref="ShareException.Mismatch"/> says which).
    /// </summary>
    MixedSplits,

    /// <summary>Two different shares claim the same group and member index.</summary>
    ConflictingShare,

    /// <summary>Not enough shares to recover the secret; <see cref="ShareException.Status"/> says how many more are needed.</summary>
    TooFewShares,

    /// <summary>The shares of a group, or the groups, interpolate to a secret whose digest does not match: a share was altered or forged.</summary>
    InvalidDigest,

    /// <summary>More shares than needed were given and one of them does not agree with the others: a share was altered or forged.</summary>
    InconsistentShares,

    /// <summary>The shares ask for more PBKDF2 work (iteration exponent) than the reader allows.</summary>
    IterationLimitExceeded,

    /// <summary>The SLIP-0039 passphrase has a character outside printable ASCII (32 to 126).</summary>
    InvalidPassphrase,

    /// <summary>The requested split is not possible (thresholds, counts, secret length or iteration exponent out of range).</summary>
    InvalidPlan,

    /// <summary>
    /// The shares combine, but not to an SsoSecret master secret: the SLIP-0039 passphrase is wrong, or the shares
    /// were not made by SsoSecret (for example a wallet's seed shares).
    /// </summary>
    WrongPassphrase,

    /// <summary>The shares hold an SsoSecret payload of a version this reader does not know.</summary>
    UnsupportedVersion,

    /// <summary>The payload's check matches but its fields are malformed: the writer was faulty or the shares forged.</summary>
    InvalidPayload,
}

/// <summary>Which common parameter differs between shares reported as <see cref="ShareFailure.MixedSplits"/>.</summary>
public enum ShareMismatch
{
    /// <summary>The 15-bit random identifier (the first two words).</summary>
    Identifier,

    /// <summary>The extendable flag.</summary>
    Extendable,

    /// <summary>The iteration exponent.</summary>
    IterationExponent,

    /// <summary>The group threshold.</summary>
    GroupThreshold,

    /// <summary>The group count.</summary>
    GroupCount,

    /// <summary>The member threshold of two shares of the same group.</summary>
    MemberThreshold,

    /// <summary>The length of the share value (the number of words).</summary>
    Length,
}

/// <summary>
/// Recovery shares could not be made or combined. <see cref="Outcome"/> says why in SLIP-0039's terms;
/// <see cref="SsoSecretException.Failure"/> is the module's failure it is. The message and the properties never hold
/// a word of a share, a share value, a passphrase or the secret.
/// </summary>
public sealed class ShareException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public ShareException(
        ShareFailure failure,
        string message,
        int? shareNumber = null,
        int? wordNumber = null,
        ShareMismatch? mismatch = null,
        ShareSetStatus? status = null)
        : base(FailureOf(failure), message)
    {
        Outcome = failure;
        ShareNumber = shareNumber;
        WordNumber = wordNumber;
        Mismatch = mismatch;
        Status = status;
    }

    /// <summary>Why the shares could not be made or combined.</summary>
    public ShareFailure Outcome { get; }

    /// <summary>The position (1-based, in the order given) of the share at fault, when one share is.</summary>
    public int? ShareNumber { get; }

    /// <summary>The position (1-based) of the word at fault within that share, for <see cref="ShareFailure.InvalidWord"/>.</summary>
    public int? WordNumber { get; }

    /// <summary>The parameter that differs, for <see cref="ShareFailure.MixedSplits"/>.</summary>
    public ShareMismatch? Mismatch { get; }

    /// <summary>What was given and what is still missing, for <see cref="ShareFailure.TooFewShares"/>.</summary>
    public ShareSetStatus? Status { get; }

    /// <summary>The module's failure (and error id) for each of the outcomes.</summary>
    public static SsoSecretFailure FailureOf(ShareFailure outcome) => outcome switch
    {
        ShareFailure.NoShares or ShareFailure.TooFewShares => SsoSecretFailure.TooFewShares,
        ShareFailure.TooManyShares => SsoSecretFailure.TooManyShares,
        ShareFailure.InvalidWord or ShareFailure.InvalidLength or ShareFailure.InvalidChecksum or ShareFailure.InvalidPadding
            or ShareFailure.InvalidThreshold => SsoSecretFailure.DamagedShare,
        ShareFailure.MixedSplits => SsoSecretFailure.MixedShares,
        ShareFailure.IterationLimitExceeded => SsoSecretFailure.KdfLimitExceeded,
        ShareFailure.InvalidPassphrase => SsoSecretFailure.InvalidPassphrase,
        ShareFailure.InvalidPlan => SsoSecretFailure.InvalidSharePlan,
        ShareFailure.WrongPassphrase => SsoSecretFailure.WrongPassphrase,
        ShareFailure.UnsupportedVersion => SsoSecretFailure.UnsupportedVersion,
        _ => SsoSecretFailure.InconsistentShares,
    };
}
