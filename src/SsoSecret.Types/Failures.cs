using System;

namespace SsoSecret;

/// <summary>
/// Every way an SsoSecret command can fail, one member per meaning. A failure's error id is "SsoSecret." followed by
/// the member's name (<see cref="SsoSecretException.ErrorId"/>); about_SsoSecret documents each one, and the tests
/// check that it does.
/// </summary>
public enum SsoSecretFailure
{
    /// <summary>The store holds no master secret.</summary>
    NoMasterSecret,

    /// <summary>The store holds a (different) master secret, and it was not replaced.</summary>
    MasterSecretExists,

    /// <summary>The backup file to write exists, and -Force was not given.</summary>
    BackupExists,

    /// <summary>The backup file to read does not exist.</summary>
    BackupNotFound,

    /// <summary>The password does not open the backup.</summary>
    WrongPassword,

    /// <summary>The backup was changed or cut short after it was written (found without the password).</summary>
    DamagedBackup,

    /// <summary>The password is right, but the authenticated content was altered.</summary>
    TamperedBackup,

    /// <summary>The file is not an SsoSecret backup.</summary>
    NotABackup,

    /// <summary>A backup (or recovery key file) of a format version this module does not read.</summary>
    UnsupportedVersion,

    /// <summary>The backup asks for more KDF memory or work than the reader allows.</summary>
    KdfLimitExceeded,

    /// <summary>A password is needed, and the session cannot ask for one.</summary>
    PasswordRequired,

    /// <summary>The two passwords typed at the prompt differ.</summary>
    PasswordMismatch,

    /// <summary>A new backup's password is empty or too short.</summary>
    WeakPassword,

    /// <summary>The password cannot be used (it holds an unpaired surrogate character).</summary>
    InvalidPassword,

    /// <summary>The password hint is too long.</summary>
    HintTooLong,

    /// <summary>The password hint holds a control character or an unpaired surrogate.</summary>
    InvalidHint,

    /// <summary>The password hint contains the password.</summary>
    HintRevealsPassword,

    /// <summary>Two parameters that exclude each other were both given.</summary>
    ConflictingParameters,

    /// <summary>A path is on a provider other than the file system.</summary>
    PathNotFileSystem,

    /// <summary>A path names a folder where a file was expected.</summary>
    PathIsFolder,

    /// <summary>The folder a file is to be written in does not exist.</summary>
    FolderNotFound,

    /// <summary>The store folder or a store file is open to other users, or cannot be read by this account.</summary>
    StoreInsecure,

    /// <summary>Another process held the store's lock for longer than the wait.</summary>
    StoreBusy,

    /// <summary>The store file is damaged, of an unknown version, or unreadable on this machine.</summary>
    StoreDamaged,

    /// <summary>The store cannot be used: its path is a file, or its folder or files cannot be created or written.</summary>
    StoreUnavailable,

    /// <summary>KDF parameters weaker than the floor for a backup.</summary>
    WeakKdf,

    /// <summary>A KDF measurement target that cannot be met (not a positive time).</summary>
    InvalidTargetTime,

    /// <summary>
    /// The Argon2id implementation asked for cannot run: $env:SSOSECRET_KDF is Native without a libargon2 that passes
    /// its self-test, or has an unknown value.
    /// </summary>
    KdfUnavailable,

    /// <summary>A backup could not be written and verified; the path was left as it was.</summary>
    WriteFailed,

    /// <summary>A file exists but cannot be read.</summary>
    ReadFailed,

    /// <summary>A change needs a confirmation, and the session cannot ask for one.</summary>
    ConfirmationRequired,

    /// <summary>The text is not protected data.</summary>
    NotProtectedData,

    /// <summary>Protected data damaged or altered in a way found without any key (a changed character, cut short).</summary>
    DamagedProtectedData,

    /// <summary>Protected data made under a master secret the store does not hold.</summary>
    UnknownSecret,

    /// <summary>Protected data made for another purpose.</summary>
    WrongPurpose,

    /// <summary>Protected data whose encrypted content was altered (secret and purpose are right).</summary>
    TamperedProtectedData,

    /// <summary>A purpose that breaks the rules (empty, too long, control characters, spaces at either end).</summary>
    InvalidPurpose,

    /// <summary>A value too large to protect.</summary>
    ValueTooLarge,

    /// <summary>Input of a type a command does not take.</summary>
    UnsupportedInput,

    /// <summary>An opened value is not UTF-8 text, so it cannot be returned as a string or a SecureString.</summary>
    ValueNotText,

    /// <summary>Another process changed the store's secrets while the command ran; nothing was changed.</summary>
    StoreChanged,

    /// <summary>A file to write (other than a backup) exists, and -Force was not given.</summary>
    FileExists,

    /// <summary>A file to read (other than a backup) does not exist.</summary>
    FileNotFound,

    /// <summary>Not enough recovery shares to restore the secret.</summary>
    TooFewShares,

    /// <summary>More recovery shares than a split can have.</summary>
    TooManyShares,

    /// <summary>A recovery share is mistyped or damaged: a word not in the list, a wrong checksum, a wrong length.</summary>
    DamagedShare,

    /// <summary>Recovery shares of different splits were given together.</summary>
    MixedShares,

    /// <summary>Recovery shares that do not agree: one was altered or forged, or two claim the same place.</summary>
    InconsistentShares,

    /// <summary>The shares combine, but not with this passphrase (or they are not SsoSecret's shares).</summary>
    WrongPassphrase,

    /// <summary>A passphrase SLIP-0039 cannot take (only printable ASCII).</summary>
    InvalidPassphrase,

    /// <summary>A split that cannot be made (thresholds and counts out of range, or a secret too long for shares).</summary>
    InvalidSharePlan,

    /// <summary>A path with wildcards matches several files where the command takes one.</summary>
    AmbiguousPath,

    /// <summary>
    /// The store folder, a store file, or a folder or link on the store's path belongs to another user (neither the
    /// caller nor root), who could replace what the store holds.
    /// </summary>
    StoreNotOwned,

    /// <summary>A folder on the store's path lets other users rename or replace what it holds (writable by them, not sticky).</summary>
    StorePathInsecure,

    /// <summary>A store file or the lock file is a symbolic link, a FIFO, a device or another special file.</summary>
    StoreFileNotRegular,

    /// <summary>A file given to read (a backup, a value, a share, a key) is a FIFO, a device, a socket or another special file, which is never opened.</summary>
    NotARegularFile,

    /// <summary>The backup was written and verified, but the store could not record it.</summary>
    BackupNotRecorded,

    /// <summary>The recovery key does not open the backup: the backup is not sealed to it.</summary>
    WrongRecoveryKey,

    /// <summary>A file given as a recovery key is not an SsoSecret recovery key file.</summary>
    NotARecoveryKey,

    /// <summary>The recovery key file was changed, cut short or altered after it was written.</summary>
    DamagedRecoveryKey,

    /// <summary>A recovery public key (-Recipient) is mistyped, or is not a recovery public key.</summary>
    InvalidRecipient,

    /// <summary>A password and recovery keys were both given for one backup: a backup is sealed to one or the other.</summary>
    RecipientsWithPassword,

    /// <summary>The backup opens with recovery keys and was given a password, or the other way round.</summary>
    BackupKindMismatch,

    /// <summary>
    /// A folder or link on the path of a file to rewrite in place belongs to another user (neither the caller nor root),
    /// who could swap what the path leads to while the file is rewritten.
    /// </summary>
    PathNotOwned,

    /// <summary>A folder on the path of a file to rewrite in place lets other users rename or replace what it holds (writable by them, not sticky).</summary>
    PathInsecure,

    /// <summary>The file to rewrite in place has more than one name (hard link): its other names would keep the old content.</summary>
    FileHasLinks,

    /// <summary>The file changed while it was being rewritten; it was left with the other change, and nothing was replaced.</summary>
    FileChanged,

    /// <summary>The file to rewrite carries extended attributes (or an ACL) that the new file cannot be given; it was left as it was.</summary>
    AttributesNotCopied,

    /// <summary>A file holds more protected values than a rewrite in place takes.</summary>
    TooManyValues,

    /// <summary>
    /// Windows: the store file is intact, but DPAPI cannot open the master secret in it (a store made on another machine
    /// or Windows installation, or its protected part altered).
    /// </summary>
    StoreUnprotectFailed,

    /// <summary>
    /// A restore whose secret has the id of a secret the store's key ring holds but other bytes: two secrets
    /// never share an id, so one of them was not made by SsoSecret (a forged backup).
    /// </summary>
    SecretIdConflict,

    /// <summary>
    /// The file a backup would replace (-Force) is a backup of another secret the store's key ring still holds
    /// (current or earlier): it may be that secret's only backup, so it is never overwritten.
    /// </summary>
    BackupStillNeeded,

    /// <summary>
    /// The store's key ring holds as many secrets as it can (32): a new secret is refused, never made room for by
    /// dropping one. Retire earlier secrets no value needs (Remove-SsoPreviousSecret -SecretId).
    /// </summary>
    KeyRingFull,

    /// <summary>The secret named to retire is the store's current secret, which is never retired.</summary>
    SecretIsCurrent,

    /// <summary>The secret named (Backup-SsoMasterSecret -SecretId) is not in the store's key ring.</summary>
    SecretNotInStore,

    /// <summary>
    /// A secret named to retire still protects values in the files given (-ProtectedDataPath): retiring it would lose
    /// them. Nothing was retired.
    /// </summary>
    SecretStillInUse,

    /// <summary>A backup path is longer than the store can record (4096 bytes of UTF-8).</summary>
    PathTooLong,

    /// <summary>
    /// Backup-SsoMasterSecret was given neither a file (-Path) nor -Armor, which writes the backup's armored text to
    /// the output instead of a file.
    /// </summary>
    PathRequired,

    /// <summary>The vault file is damaged where no single entry can be named (its header, its framing, its checksum), or an entry asked for may be in the damaged part.</summary>
    VaultDamaged,

    /// <summary>A vault entry is damaged, or its value does not open for its name and type: the message names the entry and the damage.</summary>
    VaultEntryDamaged,

    /// <summary>A vault entry's name breaks the rules of docs/vault-format.md (empty, too long, a control character, a space at an end, an unpaired surrogate).</summary>
    InvalidSecretName,

    /// <summary>A value the vault cannot hold: a type other than byte[], string, SecureString, PSCredential or Hashtable (of those), or text that is not Unicode.</summary>
    UnsupportedSecretType,

    /// <summary>Metadata the vault cannot hold: a value other than a string, an Int32 or a DateTime, or too many or too long keys or values.</summary>
    InvalidMetadata,

    /// <summary>The vault holds as many entries as it can, or its file would grow past its bound.</summary>
    VaultFull,

    /// <summary>An import names an entry the vault holds with a different value: nothing was imported.</summary>
    VaultEntryConflict,

    /// <summary>The vault holds no entry of that name (Remove-Secret, Set-SecretInfo).</summary>
    VaultEntryNotFound,

    /// <summary>The vault holds entries that need a master secret the operation would retire, and they could not be moved to the current secret.</summary>
    VaultEntryStranded,

    /// <summary>
    /// A sealed ring (the master's key ring sealed to one replica) is cut short, extended, altered, or not a sealed ring
    /// at all: found without any key, from its length, its checksum or its fields.
    /// </summary>
    DamagedSealedRing,

    /// <summary>A sealed ring is sealed to another replica's host key, not to this replica's.</summary>
    WrongReplica,

    /// <summary>
    /// A sealed ring comes from a master or an environment this replica did not pin when it joined (another environment
    /// id, or another master public key).
    /// </summary>
    UnknownMaster,

    /// <summary>
    /// A sealed ring names the pinned master, but its signature does not verify: its bytes were changed after the
    /// master signed them (and its checksum recomputed).
    /// </summary>
    TamperedSealedRing,

    /// <summary>A sealed ring of an older generation than the ring the replica holds (a replay): it is never installed.</summary>
    StaleRing,

    /// <summary>
    /// A sealed ring of the generation the replica holds, with other content: the master issued two rings of one
    /// generation (a master restored from an older state, or a second master with the same key).
    /// </summary>
    ForkedRing,

    /// <summary>
    /// A sealed ring signed by the pinned master that breaks the ring's rules (it does not open, its digest does not
    /// match, an id twice, no active secret, ...): written by a faulty master.
    /// </summary>
    InvalidRing,

    /// <summary>A replica's host public key line or a master's environment public key line is not one.</summary>
    InvalidEnvironmentKey,

    /// <summary>
    /// A host key file or master environment key file is damaged, of another kind, or cannot be opened (Windows: DPAPI
    /// cannot open its private key).
    /// </summary>
    DamagedEnvironmentKey,

    /// <summary>
    /// The store is a replica of an environment: its key ring comes only from its master, so it does not generate,
    /// restore or retire a secret of its own.
    /// </summary>
    StoreIsReplica,

    /// <summary>
    /// The store's part in an environment does not allow the operation: a replica asked to become a master, a master
    /// asked to join, a replica pinned to another master, a store with secrets of its own asked to join, a ring sealed
    /// by a store that is not a master or installed on one that is not a replica, or a missing key file.
    /// </summary>
    EnvironmentRoleConflict,

    /// <summary>
    /// At join, the master's fingerprint given (or confirmed on the master) differs from the fingerprint of the master
    /// identity the replica was asked to pin: the key was altered on its way, or the wrong master was named.
    /// </summary>
    FingerprintMismatch,

    /// <summary>A host of the environment could not be reached through its session (closed, broken, or its module missing).</summary>
    HostUnreachable,

    /// <summary>The master holds a staged secret already: it is activated before another is staged.</summary>
    SecretAlreadyStaged,

    /// <summary>
    /// A step of a staged rotation needs every replica to hold the master's ring, and some do not (unreachable, behind,
    /// or pinned elsewhere): the step was not taken. -Force takes it past them, and they are stale until they sync.
    /// </summary>
    ReplicaNotReady,
}

/// <summary>
/// The exception every SsoSecret failure raises; an error record's <c>Exception</c>. Scripts catch it (or one of the
/// families derived from it) by type: <c>catch [SsoSecret.SsoSecretException] { $_.Exception.Failure }</c>. Its
/// message never holds a secret or a password.
/// </summary>
public class SsoSecretException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SsoSecretException(SsoSecretFailure failure, string message, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Path = path;
    }

    /// <summary>What failed.</summary>
    public SsoSecretFailure Failure { get; }

    /// <summary>The stable error id: "SsoSecret." and the failure's name, as in the error record.</summary>
    public string ErrorId => "SsoSecret." + Failure;

    /// <summary>The file or folder concerned, when there is one.</summary>
    public string? Path { get; }

    /// <summary>What to do about it: the thrower's own advice, or, once the error is reported, the failure's usual advice (the same as the error record's ErrorDetails.RecommendedAction).</summary>
    public string? RecommendedAction { get; set; }
}

/// <summary>A backup file could not be read, opened or written.</summary>
public class BackupException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public BackupException(SsoSecretFailure failure, string message, string? path = null, Exception? innerException = null)
        : base(failure, message, path, innerException)
    {
    }

    /// <summary>The same failure, naming the file it concerns.</summary>
    public virtual BackupException At(string path) => new(Failure, WithFile(Message, path), path, this) { RecommendedAction = RecommendedAction };

    /// <summary>The message with the file it concerns.</summary>
    protected static string WithFile(string message, string path) => $"{message} File: '{path}'.";
}

/// <summary>The password does not open the backup. The file itself is intact.</summary>
public sealed class WrongPasswordException : BackupException
{
    /// <summary>Creates the exception.</summary>
    public WrongPasswordException(string message, string? path = null, Exception? innerException = null)
        : base(SsoSecretFailure.WrongPassword, message, path, innerException)
    {
    }

    /// <inheritdoc/>
    public override BackupException At(string path) => new WrongPasswordException(WithFile(Message, path), path, this) { RecommendedAction = RecommendedAction };
}

/// <summary>A recovery key file could not be read, opened or written.</summary>
public class RecoveryKeyException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public RecoveryKeyException(SsoSecretFailure failure, string message, string? path = null, Exception? innerException = null)
        : base(failure, message, path, innerException)
    {
    }

    /// <summary>The same failure, naming the file it concerns.</summary>
    public RecoveryKeyException At(string path) => new(Failure, $"{Message} File: '{path}'.", path, this) { RecommendedAction = RecommendedAction };
}

/// <summary>A sealed ring, a host key or a master environment key was refused (an environment of a master and its replicas).</summary>
public class EnvironmentException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public EnvironmentException(SsoSecretFailure failure, string message, string? path = null, Exception? innerException = null)
        : base(failure, message, path, innerException)
    {
    }
}

/// <summary>The secret store refused an operation. The message names the path and what to do.</summary>
public sealed class StoreException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public StoreException(SsoSecretFailure failure, string path, string message, Exception? innerException = null)
        : base(failure, message, path, innerException)
    {
    }
}

/// <summary>
/// The store's vault (its named secrets, docs/vault-format.md) refused an operation, or an entry could not be read.
/// <see cref="EntryName"/> is the entry concerned, when there is one. The message never holds a value.
/// </summary>
public sealed class VaultException : SsoSecretException
{
    /// <summary>Creates the exception.</summary>
    public VaultException(SsoSecretFailure failure, string message, string? entryName = null, string? path = null, Exception? innerException = null)
        : base(failure, message, path, innerException)
    {
        EntryName = entryName;
    }

    /// <summary>The name of the vault entry concerned, or null.</summary>
    public string? EntryName { get; }
}
