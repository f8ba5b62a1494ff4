using System;

namespace SsoSecret;

/// <summary>What opens a backup.</summary>
public enum SsoSecretBackupKind
{
    /// <summary>A password (format version 1: Argon2id).</summary>
    Password,

    /// <summary>Any one of the recovery keys it is sealed to (format version 2: X25519 recipients).</summary>
    Recipients,
}

/// <summary>What <c>New-SsoRecoveryKey</c> and <c>Get-SsoRecoveryKey</c> tell about a recovery key. Never the private key.</summary>
public sealed class SsoRecoveryKeyInfo
{
    /// <summary>The recovery key file (the password-protected private key); empty for a public key line read alone.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>
    /// The public key line (<c>ssosecret-recipient1...</c>): give it to Backup-SsoMasterSecret -Recipient. It is not
    /// secret: it can seal backups, never open them.
    /// </summary>
    public string PublicKey { get; internal set; } = string.Empty;

    /// <summary>The public key's fingerprint, as backups sealed to it show it (Get-SsoSecretBackupInfo's Recipients).</summary>
    public string Fingerprint { get; internal set; } = string.Empty;

    /// <summary>When the key was made (UTC); null for a public key line read alone.</summary>
    public DateTime? Created { get; internal set; }

    /// <summary>The reminder of the key file's password.</summary>
    public string PasswordHint { get; internal set; } = string.Empty;

    /// <summary>The Argon2id parameters of the key file's password; null for a public key line read alone.</summary>
    public KdfParameters? Kdf { get; internal set; }

    /// <summary>True for the armored (text) form.</summary>
    public bool Armored { get; internal set; }
}
