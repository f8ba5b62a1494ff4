using System;
using System.Collections.Generic;

namespace SsoSecret;

/// <summary>What a backup tells without its password.</summary>
public sealed class BackupHeader
{
    internal BackupHeader(
        int version,
        DateTimeOffset created,
        string hint,
        Guid secretId,
        byte[] fingerprint,
        KdfParameters? kdf,
        int secretLength,
        bool armored,
        IReadOnlyList<string>? recipients = null)
    {
        Version = version;
        Created = created;
        Hint = hint;
        SecretId = secretId;
        FingerprintBytes = fingerprint;
        Kdf = kdf;
        SecretLength = secretLength;
        Armored = armored;
        Recipients = recipients ?? Array.Empty<string>();
    }

    /// <summary>The format version of the envelope.</summary>
    public int Version { get; }

    /// <summary>When the backup was written (UTC, whole seconds).</summary>
    public DateTimeOffset Created { get; }

    /// <summary>What opens the backup: a password (version 1) or recovery keys (version 2).</summary>
    public SsoSecretBackupKind Kind => Version == RecipientEnvelope.FormatVersion ? SsoSecretBackupKind.Recipients : SsoSecretBackupKind.Password;

    /// <summary>The password hint (reminder); may be empty. A backup sealed to recovery keys has none.</summary>
    public string Hint { get; }

    /// <summary>The id of the secret in the backup.</summary>
    public Guid SecretId { get; }

    internal byte[] FingerprintBytes { get; }

    /// <summary>The secret's non-secret fingerprint, as lower-case hex.</summary>
    public string Fingerprint => SecretFingerprint.ToHex(FingerprintBytes);

    /// <summary>The Argon2id parameters the backup's key is derived with; null for a backup sealed to recovery keys.</summary>
    public KdfParameters? Kdf { get; }

    /// <summary>For a backup sealed to recovery keys, the fingerprints (hex) of their public keys, in the file's order.</summary>
    public IReadOnlyList<string> Recipients { get; }

    /// <summary>The secret's length in bytes.</summary>
    public int SecretLength { get; }

    /// <summary>True when the backup was read from its armored (text) form.</summary>
    public bool Armored { get; }
}
