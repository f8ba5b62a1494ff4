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

    /// <summary>Every backup of the current secret the store records (the newest first, at most four, each path once).</summary>
    public SsoBackupRecordInfo[] Backups { get; internal set; } = Array.Empty<SsoBackupRecordInfo>();

    /// <summary>True when the store's key ring holds earlier secrets (kept after replacements, until retired).</summary>
    public bool HasPreviousSecret { get; internal set; }

    /// <summary>The most recently replaced earlier secret's id, if one is kept.</summary>
    public Guid? PreviousSecretId { get; internal set; }

    /// <summary>When the most recently replaced earlier secret was replaced (UTC), if one is kept.</summary>
    public DateTime? PreviousSecretReplaced { get; internal set; }

    /// <summary>
    /// Every earlier secret of the key ring, the most recently replaced first: values protected under them still
    /// open, and nothing drops them but Remove-SsoPreviousSecret -SecretId.
    /// </summary>
    public SsoPreviousSecretInfo[] PreviousSecrets { get; internal set; } = Array.Empty<SsoPreviousSecretInfo>();

    /// <summary>
    /// How many entries of the store's vault (SecretManagement's Get-Secret) this secret protects; null when the vault
    /// file cannot be read at all (Test-SecretVault tells why).
    /// </summary>
    public int? VaultEntries { get; internal set; }
}

/// <summary>An earlier master secret of the store's key ring: kept after a replacement, until retired by name.</summary>
public sealed class SsoPreviousSecretInfo
{
    /// <summary>The secret's id (Remove-SsoPreviousSecret -SecretId and Backup-SsoMasterSecret -SecretId take it from the pipeline).</summary>
    public Guid SecretId { get; internal set; }

    /// <summary>The secret's non-secret fingerprint (hex).</summary>
    public string Fingerprint { get; internal set; } = string.Empty;

    /// <summary>When the secret was generated (UTC).</summary>
    public DateTime Created { get; internal set; }

    /// <summary>When it stopped being the current secret (UTC).</summary>
    public DateTime Replaced { get; internal set; }

    /// <summary>When it was last backed up (UTC), as this store records; null when no backup of it is recorded.</summary>
    public DateTime? LastBackupTime { get; internal set; }

    /// <summary>Where it was last backed up, as this store records; null when no backup of it is recorded.</summary>
    public string? LastBackupPath { get; internal set; }

    /// <summary>Every backup of it the store records (the newest first).</summary>
    public SsoBackupRecordInfo[] Backups { get; internal set; } = Array.Empty<SsoBackupRecordInfo>();

    /// <summary>The store folder.</summary>
    public string StorePath { get; internal set; } = string.Empty;

    /// <summary>How many entries of the store's vault this secret still protects (Remove-SsoPreviousSecret moves them to the current secret before it retires it); null when the vault file cannot be read at all.</summary>
    public int? VaultEntries { get; internal set; }
}

/// <summary>A backup the store records: when it was written (its own time) and where. The file may have moved since.</summary>
public sealed class SsoBackupRecordInfo
{
    /// <summary>When the backup was written (UTC).</summary>
    public DateTime Time { get; internal set; }

    /// <summary>The backup file's path, as it was written.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The id of the secret it holds.</summary>
    public Guid SecretId { get; internal set; }
}

/// <summary>What a backup file tells without its password (<c>Get-SsoSecretBackupInfo</c>).</summary>
public sealed class SsoSecretBackupInfo
{
    /// <summary>The backup file.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The backup file's name (the last part of <see cref="Path"/>), as the table view shows it.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

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

    /// <summary>The backup file's name (the last part of <see cref="Path"/>), as the table view shows it.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

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
    internal SsoKdfMeasurement(string name, KdfParameters kdf, TimeSpan duration, string implementation, string implementationReason)
    {
        Name = name;
        Kdf = kdf;
        Duration = duration;
        Implementation = implementation;
        ImplementationReason = implementationReason;
    }

    /// <summary>The profile's name, or "Proposed".</summary>
    public string Name { get; }

    /// <summary>The parameters timed; pass them to -KdfParameters of the backup commands.</summary>
    public KdfParameters Kdf { get; }

    /// <summary>How long one KDF run took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The memory the run used, in MiB.</summary>
    public double MemoryMiB => Kdf.MemoryMiB;

    /// <summary>The passes over memory of the run.</summary>
    public int Iterations => Kdf.Iterations;

    /// <summary>The lanes of the run.</summary>
    public int Parallelism => Kdf.Parallelism;

    /// <summary>The Argon2id implementation that ran: Native (a system libargon2) or BouncyCastle; the backup commands run the same.</summary>
    public string Implementation { get; }

    /// <summary>Why that implementation runs in this process, in words (see $env:SSOSECRET_KDF).</summary>
    public string ImplementationReason { get; }
}

/// <summary>What Update-SsoProtectedData -PassThru tells about one file it rewrapped in place. Never a value.</summary>
public sealed class SsoProtectedFileUpdate
{
    /// <summary>The file.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>How many protected values the file holds.</summary>
    public int Values { get; internal set; }

    /// <summary>How many of them were rewrapped (the others were under the current secret already).</summary>
    public int Rewrapped { get; internal set; }

    /// <summary>The master secret every value is now protected under.</summary>
    public Guid SecretId { get; internal set; }

    /// <summary>The secrets the rewrapped values were under before.</summary>
    public Guid[] FromSecretIds { get; internal set; } = Array.Empty<Guid>();
}

/// <summary>One recovery share Split-SsoMasterSecret wrote. Never the share's words.</summary>
public sealed class SsoSecretShareInfo
{
    /// <summary>The share's file.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The share's number, 1 to <see cref="Count"/>.</summary>
    public int ShareNumber { get; internal set; }

    /// <summary>How many shares the split made.</summary>
    public int Count { get; internal set; }

    /// <summary>How many shares restore the secret.</summary>
    public int Threshold { get; internal set; }

    /// <summary>The split's identifier (the same in every share of one split).</summary>
    public int SplitId { get; internal set; }

    /// <summary>The master secret's id.</summary>
    public Guid SecretId { get; internal set; }

    /// <summary>The master secret's fingerprint.</summary>
    public string Fingerprint { get; internal set; } = string.Empty;
}

/// <summary>What Test-SsoSecretShare -Detailed found: the shares given, what they are, and what is missing.</summary>
public sealed class SsoSecretShareTestResult
{
    /// <summary>True when the shares are valid and enough of them restore a master secret.</summary>
    public bool IsValid { get; internal set; }

    /// <summary>The failure, when they are not (TooFewShares, DamagedShare, MixedShares, ...).</summary>
    public SsoSecretFailure? Failure { get; internal set; }

    /// <summary>How many shares were given (duplicates included).</summary>
    public int SharesGiven { get; internal set; }

    /// <summary>The share numbers given, as their sheets name them (1-based).</summary>
    public int[] ShareNumbers { get; internal set; } = Array.Empty<int>();

    /// <summary>How many shares restore the secret (of a one-group split; for two levels see the message).</summary>
    public int? Threshold { get; internal set; }

    /// <summary>How many more shares are needed at the least.</summary>
    public int SharesNeeded { get; internal set; }

    /// <summary>The split's identifier, when the shares could be read.</summary>
    public int? SplitId { get; internal set; }

    /// <summary>The restored secret's id, when enough valid shares were given.</summary>
    public Guid? SecretId { get; internal set; }

    /// <summary>The restored secret's fingerprint, when enough valid shares were given.</summary>
    public string? Fingerprint { get; internal set; }

    /// <summary>Whether they hold the store's current secret; null when that could not be checked.</summary>
    public bool? MatchesCurrentSecret { get; internal set; }

    /// <summary>What was found, in words.</summary>
    public string Message { get; internal set; } = string.Empty;
}

/// <summary>What Import-SsoVault did: the entries it added to the store's vault, and those it held already with the same value.</summary>
public sealed class SsoVaultImportResult
{
    /// <summary>The vault export imported.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The store whose vault received the entries.</summary>
    public string StorePath { get; internal set; } = string.Empty;

    /// <summary>The names of the entries added.</summary>
    public string[] Added { get; internal set; } = Array.Empty<string>();

    /// <summary>The names of the entries the vault held already with the same type and value (left as they were).</summary>
    public string[] Unchanged { get; internal set; } = Array.Empty<string>();
}

/// <summary>What Repair-SsoVault did: where the damaged file is kept, the entries the vault kept, and the damage found.</summary>
public sealed class SsoVaultRepairResult
{
    /// <summary>The store whose vault was repaired.</summary>
    public string StorePath { get; internal set; } = string.Empty;

    /// <summary>The damaged vault file, kept byte for byte beside the new one.</summary>
    public string DamagedCopy { get; internal set; } = string.Empty;

    /// <summary>The names of the intact entries, kept in the vault.</summary>
    public string[] Kept { get; internal set; } = Array.Empty<string>();

    /// <summary>The damage found (where, which entry as far as its name reads, what), left in the copy only.</summary>
    public string[] Damage { get; internal set; } = Array.Empty<string>();
}

/// <summary>
/// A store's part in an environment (Get-SsoEnvironment, Initialize-SsoEnvironment, Join-SsoEnvironment): its role, the
/// master's identity, its host key's public line, and its ring's generation, digest and secrets. Public values only.
/// </summary>
public sealed class SsoEnvironmentInfo
{
    /// <summary>The machine that answered ([Environment]::MachineName).</summary>
    public string ComputerName { get; internal set; } = string.Empty;

    /// <summary>Master, Replica, or None (a store of its own).</summary>
    public string Role { get; internal set; } = "None";

    /// <summary>The environment's id; null for a store of its own.</summary>
    public Guid? EnvironmentId { get; internal set; }

    /// <summary>The master's fingerprint (its environment id and public key), eight groups of four hex digits: the master's own, or the one a replica pinned.</summary>
    public string? MasterFingerprint { get; internal set; }

    /// <summary>The master's public key line (ssosecret-master1...).</summary>
    public string? MasterPublicKey { get; internal set; }

    /// <summary>A replica's host public key line (ssosecret-replica1...), which the master seals to.</summary>
    public string? HostPublicKey { get; internal set; }

    /// <summary>A replica's host key fingerprint.</summary>
    public string? HostFingerprint { get; internal set; }

    /// <summary>A master's ring generation, or the generation of the ring a replica holds (0: none yet).</summary>
    public long Generation { get; internal set; }

    /// <summary>The ring digest (hex) of the ring the store holds; null when it holds none.</summary>
    public string? RingDigest { get; internal set; }

    /// <summary>
    /// The vault digest (hex) of the vault the store holds (docs/environment-format.md): a master's vault is sent to its
    /// replicas with its ring, so an in-sync replica shows the master's.
    /// </summary>
    public string? VaultDigest { get; internal set; }

    /// <summary>How many entries the store's vault holds.</summary>
    public int VaultEntries { get; internal set; }

    /// <summary>
    /// A master: the fingerprints of the replicas it has sealed its ring to (its list, docs/environment-format.md), each
    /// of which must confirm before a staged secret is activated.
    /// </summary>
    public string[] Replicas { get; internal set; } = System.Array.Empty<string>();

    /// <summary>
    /// A replica that holds a ring: its confirmation, for its master, that it holds the ring of its generation (hex; a
    /// MAC only a holder of the ring's secrets can make, good for this replica and this generation only).
    /// </summary>
    public string? RingConfirmation { get; internal set; }

    /// <summary>The active (current) secret's id.</summary>
    public Guid? ActiveSecretId { get; internal set; }

    /// <summary>The staged secret's id, if one is staged.</summary>
    public Guid? StagedSecretId { get; internal set; }

    /// <summary>Every secret of the ring, in the ring's order, as "id state fingerprint".</summary>
    public string[] Secrets { get; internal set; } = Array.Empty<string>();

    /// <summary>A replica's last install of a ring (before its first, its join), UTC.</summary>
    public DateTime? LastSync { get; internal set; }

    /// <summary>The store folder.</summary>
    public string StorePath { get; internal set; } = string.Empty;
}

/// <summary>
/// The master's ring sealed to one replica (Export-SsoSealedRing): the sealed bytes, which only that replica's host key
/// opens, and the header anyone can read. Never the ring's secrets.
/// </summary>
public sealed class SsoSealedRing
{
    /// <summary>The environment's id.</summary>
    public Guid EnvironmentId { get; internal set; }

    /// <summary>The ring's generation.</summary>
    public long Generation { get; internal set; }

    /// <summary>The master's fingerprint.</summary>
    public string MasterFingerprint { get; internal set; } = string.Empty;

    /// <summary>The fingerprint of the replica it is sealed to.</summary>
    public string ReplicaFingerprint { get; internal set; } = string.Empty;

    /// <summary>The ring digest (hex).</summary>
    public string RingDigest { get; internal set; } = string.Empty;

    /// <summary>When it was sealed (UTC).</summary>
    public DateTime Created { get; internal set; }

    /// <summary>The sealed ring's bytes (docs/environment-format.md).</summary>
    public byte[] Data { get; internal set; } = Array.Empty<byte>();
}

/// <summary>What a replica did with a sealed ring (Import-SsoSealedRing, Sync-SsoEnvironment).</summary>
public sealed class SsoRingSyncResult
{
    /// <summary>The replica that installed it.</summary>
    public string ComputerName { get; internal set; } = string.Empty;

    /// <summary>True when the ring was installed; false when the replica held it already.</summary>
    public bool Installed { get; internal set; }

    /// <summary>The generation the replica now holds.</summary>
    public long Generation { get; internal set; }

    /// <summary>The ring digest (hex) the replica now holds.</summary>
    public string RingDigest { get; internal set; } = string.Empty;

    /// <summary>True when the master's vault was installed with the ring (it differed from the replica's).</summary>
    public bool VaultInstalled { get; internal set; }

    /// <summary>The vault digest (hex) the replica now holds.</summary>
    public string? VaultDigest { get; internal set; }

    /// <summary>The active secret's id.</summary>
    public Guid? ActiveSecretId { get; internal set; }

    /// <summary>The staged secret's id, if one is staged.</summary>
    public Guid? StagedSecretId { get; internal set; }
}

/// <summary>One host of an environment as Get-SsoEnvironmentHealth sees it, compared with the master.</summary>
public sealed class SsoEnvironmentHealth
{
    /// <summary>The host, as its session names it.</summary>
    public string ComputerName { get; internal set; } = string.Empty;

    /// <summary>Master, Replica, None, or Unknown (not reached).</summary>
    public string Role { get; internal set; } = "Unknown";

    /// <summary>
    /// Master; InSync (the master's generation and digest); Stale (its ring lacks the master's active secret: activated
    /// past it with -Force, or never synced since); Behind (an older generation, no ring yet, or the master's ring without its vault); Forked (the
    /// master's generation with other content); OtherEnvironment (pinned to another master); NotJoined; Unreachable; NotChecked (a replica of the master's list that no session reached, named by its fingerprint).
    /// </summary>
    public string Status { get; internal set; } = "Unreachable";

    /// <summary>True when the host holds exactly the master's ring (and for the master itself).</summary>
    public bool AgreesWithMaster { get; internal set; }

    /// <summary>The generation the host holds.</summary>
    public long? Generation { get; internal set; }

    /// <summary>The ring digest (hex) the host holds.</summary>
    public string? RingDigest { get; internal set; }

    /// <summary>The vault digest (hex) the host holds.</summary>
    public string? VaultDigest { get; internal set; }

    /// <summary>The active secret's id.</summary>
    public Guid? ActiveSecretId { get; internal set; }

    /// <summary>The staged secret's id.</summary>
    public Guid? StagedSecretId { get; internal set; }

    /// <summary>Every secret of the host's ring as "id state fingerprint".</summary>
    public string[] Secrets { get; internal set; } = Array.Empty<string>();

    /// <summary>A replica's last sync (UTC).</summary>
    public DateTime? LastSync { get; internal set; }

    /// <summary>Why the host is not in sync, or could not be asked.</summary>
    public string? Reason { get; internal set; }
}
