using System;

namespace SsoSecret;

/// <summary>What <c>Get-SsoMasterSecret</c> and friends tell about the store's master secret. Never the secret itself.</summary>
public sealed class SsoMasterSecretInfo
{
    /// <summary>The secret's id.</summary>
    public Guid SecretId { get; internal set; }

    /// <summary>The secret's non-secret fingerprint (hex).</summary>
    public string Fingerprint { get; internal set; } = string.Empty;

    /// <summary>When the secret was generated (UTC).</summary>
    public DateTime Created { get; internal set; }

    /// <summary>The store folder.</summary>
    public string StorePath { get; internal set; } = string.Empty;

    /// <summary>When the current secret was last backed up (UTC), or null if it never was.</summary>
    public DateTime? LastBackupTime { get; internal set; }

    /// <summary>Where the current secret was last backed up, or null.</summary>
    public string? LastBackupPath { get; internal set; }

    /// <summary>True when the store holds a previous secret (kept after a replacement).</summary>
    public bool HasPreviousSecret { get; internal set; }

    /// <summary>The previous secret's id, if one is kept.</summary>
    public Guid? PreviousSecretId { get; internal set; }

    /// <summary>When the previous secret was replaced (UTC), if one is kept.</summary>
    public DateTime? PreviousSecretReplaced { get; internal set; }
}

/// <summary>What a backup file tells without its password (<c>Get-SsoSecretBackupInfo</c>).</summary>
public sealed class SsoSecretBackupInfo
{
    /// <summary>The backup file.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The envelope's format version.</summary>
    public int FormatVersion { get; internal set; }

    /// <summary>What opens the backup: a password (version 1), or any one of its recovery keys (version 2).</summary>
    public SsoSecretBackupKind Kind { get; internal set; }

    /// <summary>For a backup sealed to recovery keys: the fingerprints of their public keys (Get-SsoRecoveryKey shows a key's).</summary>
    public string[] Recipients { get; internal set; } = System.Array.Empty<string>();

    /// <summary>When the backup was written (UTC).</summary>
    public DateTime Created { get; internal set; }

    /// <summary>The password hint (reminder).</summary>
    public string PasswordHint { get; internal set; } = string.Empty;

    /// <summary>The id of the secret in the backup.</summary>
    public Guid SecretId { get; internal set; }

    /// <summary>The secret's non-secret fingerprint (hex).</summary>
    public string Fingerprint { get; internal set; } = string.Empty;

    /// <summary>The secret's length in bytes.</summary>
    public int SecretLength { get; internal set; }

    /// <summary>The Argon2id parameters of a password backup; null for a backup sealed to recovery keys.</summary>
    public KdfParameters? Kdf { get; internal set; }

    /// <summary>True for the armored (text) form.</summary>
    public bool Armored { get; internal set; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; internal set; }
}

/// <summary>The outcome of checking one backup (<c>Test-SsoSecretBackup</c>).</summary>
public enum SsoSecretBackupStatus
{
    /// <summary>The backup is intact (and, when a password or recovery key was given, opens with it).</summary>
    Valid,

    /// <summary>The password does not open the backup.</summary>
    WrongPassword,

    /// <summary>The file is damaged (found without the password).</summary>
    Damaged,

    /// <summary>The password is right, but the content was altered.</summary>
    Tampered,

    /// <summary>The file is not an SsoSecret backup.</summary>
    NotABackup,

    /// <summary>A backup of a format version this module does not read.</summary>
    UnsupportedVersion,

    /// <summary>The file does not exist.</summary>
    NotFound,

    /// <summary>The backup asks for more KDF memory or work than allowed.</summary>
    KdfLimitExceeded,

    /// <summary>The file exists but cannot be read (permissions).</summary>
    Unreadable,

    /// <summary>The backup is not sealed to the recovery key given.</summary>
    WrongRecoveryKey,

    /// <summary>
    /// What was given cannot open this kind of backup: a password for a backup sealed to recovery keys, or only a
    /// recovery key for a password backup.
    /// </summary>
    KindMismatch,
}

/// <summary>The detailed result of <c>Test-SsoSecretBackup -Detailed</c>.</summary>
public sealed class SsoSecretBackupTestResult
{
    /// <summary>The backup file.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The outcome.</summary>
    public SsoSecretBackupStatus Status { get; internal set; }

    /// <summary>True when <see cref="Status"/> is Valid.</summary>
    public bool IsValid => Status == SsoSecretBackupStatus.Valid;

    /// <summary>True when a password was given and it opened the backup.</summary>
    public bool PasswordVerified { get; internal set; }

    /// <summary>True when a recovery key was given and it opened the backup.</summary>
    public bool RecoveryKeyVerified { get; internal set; }

    /// <summary>What opens the backup, when the header could be read.</summary>
    public SsoSecretBackupKind? Kind { get; internal set; }

    /// <summary>Whether the backup holds the store's current secret; null when that could not be checked.</summary>
    public bool? MatchesCurrentSecret { get; internal set; }

    /// <summary>The secret's id, when the header could be read.</summary>
    public Guid? SecretId { get; internal set; }

    /// <summary>The secret's fingerprint, when the header could be read.</summary>
    public string? Fingerprint { get; internal set; }

    /// <summary>When the backup was written (UTC), when the header could be read.</summary>
    public DateTime? Created { get; internal set; }

    /// <summary>The password hint, when the header could be read.</summary>
    public string? PasswordHint { get; internal set; }

    /// <summary>The KDF parameters, when the header could be read.</summary>
    public KdfParameters? Kdf { get; internal set; }

    /// <summary>The format version, when it could be read.</summary>
    public int? FormatVersion { get; internal set; }

    /// <summary>What was found, in words.</summary>
    public string Message { get; internal set; } = string.Empty;
}

/// <summary>One timing of Argon2id on this machine (<c>Measure-SsoKdf</c>).</summary>
public sealed class SsoKdfMeasurement
{
    internal SsoKdfMeasurement(string name, KdfParameters kdf, TimeSpan duration)
    {
        Name = name;
        Kdf = kdf;
        Duration = duration;
    }

    /// <summary>The profile's name, or "Proposed".</summary>
    public string Name { get; }

    /// <summary>The parameters timed; pass them to -KdfParameters of the backup commands.</summary>
    public KdfParameters Kdf { get; }

    /// <summary>How long one KDF run took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The memory the run used, in MiB.</summary>
    public double MemoryMiB => Kdf.MemoryMiB;
}
