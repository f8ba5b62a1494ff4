using System;

namespace SsoSecret;

/// <summary>The distinct ways reading a backup can fail. Each maps to its own error id in the cmdlets.</summary>
public enum BackupFailure
{
    /// <summary>The data does not start like an SsoSecret backup (binary magic or armor line).</summary>
    NotABackup,

    /// <summary>An SsoSecret backup of a format version this reader does not know.</summary>
    UnsupportedVersion,

    /// <summary>Damage found without the password: truncated, extended, a checksum mismatch, a malformed field.</summary>
    Damaged,

    /// <summary>The key derived from the password does not match the backup's key commitment.</summary>
    WrongPassword,

    /// <summary>The password is right, but the authenticated content was altered.</summary>
    Tampered,

    /// <summary>The backup asks for more KDF memory or work than the reader allows.</summary>
    KdfLimitExceeded,
}

/// <summary>A backup could not be read. <see cref="Failure"/> says why; the message never holds secret material.</summary>
public sealed class BackupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupException(BackupFailure failure, string message)
        : base(message)
    {
        Failure = failure;
    }

    /// <summary>Why the backup could not be read.</summary>
    public BackupFailure Failure { get; }
}
