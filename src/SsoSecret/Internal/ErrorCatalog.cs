using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>
/// How each failure becomes an error record: its category, whether it stops the whole call, and the usual advice.
/// The ids themselves come from <see cref="SsoSecretFailure"/> ("SsoSecret." + name) and never change.
/// </summary>
internal static class ErrorCatalog
{
    /// <summary>The error record for a failure: the exception itself (scripts catch it by type), its id and category.</summary>
    internal static ErrorRecord ToRecord(SsoSecretException e, object? target = null)
    {
        var record = new ErrorRecord(e, e.ErrorId, Category(e.Failure), target ?? e.Path);

        // The advice is on the exception too ($Error[0].Exception.RecommendedAction, a catch block's $_.Exception).
        e.RecommendedAction ??= Action(e.Failure);
        record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction };
        return record;
    }

    /// <summary>
    /// True for failures about the whole call (the store, the password, the parameters, a confirmation): they stop the
    /// command even where failures about one of several files do not.
    /// </summary>
    internal static bool ConcernsWholeCall(SsoSecretFailure failure) => failure switch
    {
        SsoSecretFailure.BackupExists or SsoSecretFailure.BackupNotFound or SsoSecretFailure.WrongPassword
            or SsoSecretFailure.DamagedBackup or SsoSecretFailure.TamperedBackup or SsoSecretFailure.NotABackup
            or SsoSecretFailure.UnsupportedVersion or SsoSecretFailure.KdfLimitExceeded or SsoSecretFailure.PathNotFileSystem
            or SsoSecretFailure.PathIsFolder or SsoSecretFailure.FolderNotFound or SsoSecretFailure.WriteFailed
            or SsoSecretFailure.ReadFailed or SsoSecretFailure.NotProtectedData or SsoSecretFailure.DamagedProtectedData
            or SsoSecretFailure.UnknownSecret or SsoSecretFailure.WrongPurpose or SsoSecretFailure.TamperedProtectedData
            or SsoSecretFailure.UnsupportedInput or SsoSecretFailure.ValueTooLarge or SsoSecretFailure.ValueNotText
            or SsoSecretFailure.FileExists or SsoSecretFailure.FileNotFound
            or SsoSecretFailure.NotARegularFile or SsoSecretFailure.WrongRecoveryKey
            or SsoSecretFailure.BackupKindMismatch or SsoSecretFailure.NotARecoveryKey or SsoSecretFailure.DamagedRecoveryKey
            or SsoSecretFailure.PathNotOwned or SsoSecretFailure.PathInsecure or SsoSecretFailure.FileHasLinks or SsoSecretFailure.FileChanged
            or SsoSecretFailure.AttributesNotCopied or SsoSecretFailure.TooManyValues
            or SsoSecretFailure.DamagedSealedRing or SsoSecretFailure.WrongReplica or SsoSecretFailure.UnknownMaster
            or SsoSecretFailure.TamperedSealedRing or SsoSecretFailure.StaleRing or SsoSecretFailure.ForkedRing
            or SsoSecretFailure.InvalidRing or SsoSecretFailure.HostUnreachable or SsoSecretFailure.FingerprintMismatch => false,
        _ => true,
    };

    internal static ErrorCategory Category(SsoSecretFailure failure) => failure switch
    {
        SsoSecretFailure.NoMasterSecret or SsoSecretFailure.BackupNotFound or SsoSecretFailure.FolderNotFound
            or SsoSecretFailure.FileNotFound or SsoSecretFailure.UnknownSecret => ErrorCategory.ObjectNotFound,
        SsoSecretFailure.MasterSecretExists or SsoSecretFailure.BackupExists or SsoSecretFailure.FileExists => ErrorCategory.ResourceExists,
        SsoSecretFailure.WrongPurpose => ErrorCategory.AuthenticationError,
        SsoSecretFailure.TamperedProtectedData => ErrorCategory.SecurityError,
        SsoSecretFailure.NotProtectedData or SsoSecretFailure.DamagedProtectedData or SsoSecretFailure.ValueNotText => ErrorCategory.InvalidData,
        SsoSecretFailure.ValueTooLarge => ErrorCategory.LimitsExceeded,
        SsoSecretFailure.StoreChanged => ErrorCategory.ResourceUnavailable,
        SsoSecretFailure.UnsupportedInput => ErrorCategory.InvalidType,
        SsoSecretFailure.WrongPassword or SsoSecretFailure.WrongRecoveryKey => ErrorCategory.AuthenticationError,
        SsoSecretFailure.NotARecoveryKey or SsoSecretFailure.DamagedRecoveryKey => ErrorCategory.InvalidData,
        SsoSecretFailure.TamperedBackup or SsoSecretFailure.StoreInsecure or SsoSecretFailure.HintRevealsPassword
            or SsoSecretFailure.StoreNotOwned or SsoSecretFailure.StorePathInsecure or SsoSecretFailure.StoreFileNotRegular
            or SsoSecretFailure.PathNotOwned or SsoSecretFailure.PathInsecure => ErrorCategory.SecurityError,
        SsoSecretFailure.FileHasLinks or SsoSecretFailure.AttributesNotCopied => ErrorCategory.InvalidArgument,
        SsoSecretFailure.FileChanged => ErrorCategory.ResourceBusy,
        SsoSecretFailure.StoreUnprotectFailed => ErrorCategory.InvalidData,
        SsoSecretFailure.SecretIdConflict => ErrorCategory.SecurityError,
        SsoSecretFailure.BackupStillNeeded => ErrorCategory.ResourceExists,
        SsoSecretFailure.KeyRingFull => ErrorCategory.LimitsExceeded,
        SsoSecretFailure.SecretIsCurrent or SsoSecretFailure.SecretStillInUse => ErrorCategory.InvalidOperation,
        SsoSecretFailure.SecretNotInStore => ErrorCategory.ObjectNotFound,
        SsoSecretFailure.PathTooLong => ErrorCategory.InvalidArgument,
        SsoSecretFailure.VaultDamaged or SsoSecretFailure.VaultEntryDamaged => ErrorCategory.InvalidData,
        SsoSecretFailure.InvalidSecretName or SsoSecretFailure.InvalidMetadata => ErrorCategory.InvalidArgument,
        SsoSecretFailure.UnsupportedSecretType => ErrorCategory.InvalidType,
        SsoSecretFailure.VaultFull => ErrorCategory.LimitsExceeded,
        SsoSecretFailure.VaultEntryConflict => ErrorCategory.ResourceExists,
        SsoSecretFailure.VaultEntryNotFound => ErrorCategory.ObjectNotFound,
        SsoSecretFailure.VaultEntryStranded => ErrorCategory.InvalidOperation,
        SsoSecretFailure.TooManyValues => ErrorCategory.LimitsExceeded,
        SsoSecretFailure.NotARegularFile => ErrorCategory.InvalidArgument,
        SsoSecretFailure.DamagedSealedRing or SsoSecretFailure.InvalidRing or SsoSecretFailure.DamagedEnvironmentKey => ErrorCategory.InvalidData,
        SsoSecretFailure.WrongReplica => ErrorCategory.AuthenticationError,
        SsoSecretFailure.UnknownMaster or SsoSecretFailure.TamperedSealedRing or SsoSecretFailure.ForkedRing => ErrorCategory.SecurityError,
        SsoSecretFailure.StaleRing => ErrorCategory.InvalidOperation,
        SsoSecretFailure.StoreIsReplica or SsoSecretFailure.EnvironmentRoleConflict => ErrorCategory.InvalidOperation,
        SsoSecretFailure.FingerprintMismatch => ErrorCategory.SecurityError,
        SsoSecretFailure.HostUnreachable => ErrorCategory.ConnectionError,
        SsoSecretFailure.SecretAlreadyStaged => ErrorCategory.ResourceExists,
        SsoSecretFailure.ReplicaNotReady => ErrorCategory.ResourceUnavailable,
        SsoSecretFailure.InvalidEnvironmentKey => ErrorCategory.InvalidArgument,
        SsoSecretFailure.DamagedBackup or SsoSecretFailure.NotABackup or SsoSecretFailure.UnsupportedVersion or SsoSecretFailure.StoreDamaged => ErrorCategory.InvalidData,
        SsoSecretFailure.KdfLimitExceeded => ErrorCategory.LimitsExceeded,
        SsoSecretFailure.PasswordRequired or SsoSecretFailure.ConfirmationRequired => ErrorCategory.InvalidOperation,
        SsoSecretFailure.StoreBusy => ErrorCategory.ResourceBusy,
        SsoSecretFailure.StoreUnavailable or SsoSecretFailure.KdfUnavailable => ErrorCategory.ResourceUnavailable,
        SsoSecretFailure.WriteFailed or SsoSecretFailure.BackupNotRecorded => ErrorCategory.WriteError,
        SsoSecretFailure.ReadFailed => ErrorCategory.ReadError,
        _ => ErrorCategory.InvalidArgument,
    };

    /// <summary>The usual advice for a failure; a thrower that knows better sets its own.</summary>
    internal static string Action(SsoSecretFailure failure) => failure switch
    {
        SsoSecretFailure.NoMasterSecret => "Create one with New-SsoMasterSecret -BackupPath <file>, or restore one with Restore-SsoMasterSecret <file>.",
        SsoSecretFailure.MasterSecretExists => "Pass -Force to replace it (the old secret is kept as the previous secret), or confirm when asked.",
        SsoSecretFailure.BackupExists => "Choose another path, or pass -Force to replace the file once the new backup is proven good.",
        SsoSecretFailure.BackupNotFound => "Check the path; relative paths are relative to the current PowerShell location.",
        SsoSecretFailure.WrongPassword => "Check the password against the backup's hint (Get-SsoSecretBackupInfo) and try again.",
        SsoSecretFailure.DamagedBackup => "The file was changed or cut short after it was written. Use another copy of the backup.",
        SsoSecretFailure.TamperedBackup => "The password is right but the content was altered: do not trust this copy; use another copy of the backup.",
        SsoSecretFailure.NotABackup => "Check that the path names an SsoSecret backup file.",
        SsoSecretFailure.UnsupportedVersion => "Open the backup with the SsoSecret version that wrote it, or a newer one.",
        SsoSecretFailure.KdfLimitExceeded => "If you trust the file, raise the limit with -MaximumKdfMemoryMiB.",
        SsoSecretFailure.PasswordRequired => "Pass the password as a parameter (the command's help names it), or run the command at a prompt.",
        SsoSecretFailure.PasswordMismatch => "Run the command again and type the same password twice.",
        SsoSecretFailure.WeakPassword => "Choose a longer password; a passphrase of several words is best.",
        SsoSecretFailure.InvalidPassword => "Type the password again.",
        SsoSecretFailure.HintTooLong => $"Shorten the hint to at most {PasswordHint.MaxCharacters} characters.",
        SsoSecretFailure.InvalidHint => "Use printable text in the hint.",
        SsoSecretFailure.HintRevealsPassword => "Give a hint that reminds you of the password without containing it.",
        SsoSecretFailure.ConflictingParameters => "Drop one of the two parameters.",
        SsoSecretFailure.PathNotFileSystem => "Give a path on a file system drive.",
        SsoSecretFailure.PathIsFolder => "Give the path of a file, not of a folder.",
        SsoSecretFailure.FolderNotFound => "Create the folder first, or choose another path.",
        SsoSecretFailure.StoreInsecure => "Restrict the store to its owner, as the message says.",
        SsoSecretFailure.StoreBusy => "Wait for the other SsoSecret command to finish, then try again.",
        SsoSecretFailure.StoreDamaged => "Restore the master secret from a backup into a new store.",
        SsoSecretFailure.StoreUnavailable => "Check the store path (-StorePath or $env:SSOSECRET_STORE) and its permissions.",
        SsoSecretFailure.WeakKdf => "Use at least the Interactive profile's memory and passes.",
        SsoSecretFailure.InvalidTargetTime => "Give a positive time such as 00:00:02.",
        SsoSecretFailure.KdfUnavailable => "Install libargon2, name it with $env:SSOSECRET_ARGON2_LIBRARY, or remove $env:SSOSECRET_KDF, as the message says.",
        SsoSecretFailure.WriteFailed => "Check the folder's free space and permissions, then try again.",
        SsoSecretFailure.ReadFailed => "Check the file's permissions.",
        SsoSecretFailure.ConfirmationRequired => "Pass -Force (or -Confirm:$false) to make the change without a question.",
        SsoSecretFailure.NotProtectedData => "Give the text Protect-SsoData wrote (it starts with 'ssodata1.').",
        SsoSecretFailure.DamagedProtectedData => "The text was changed or cut short after it was written; use another copy of it.",
        SsoSecretFailure.UnknownSecret => "Restore a backup of the master secret the message names, then rewrap the value with Update-SsoProtectedData.",
        SsoSecretFailure.WrongPurpose => "Give the purpose the value was protected for.",
        SsoSecretFailure.TamperedProtectedData => "Do not trust this copy of the value; use another copy of it.",
        SsoSecretFailure.InvalidPurpose => "Give one line of printable text, 1 to 256 bytes, such as 'billing/db-password'.",
        SsoSecretFailure.ValueTooLarge => "Protect a random key instead, and encrypt the large data with it.",
        SsoSecretFailure.UnsupportedInput => "Give a SecureString, a string, a byte array or a PSCredential.",
        SsoSecretFailure.ValueNotText => "Use -AsByteArray to get the value's bytes.",
        SsoSecretFailure.StoreChanged => "Check the store (Get-SsoMasterSecret), then run the command again.",
        SsoSecretFailure.FileExists => "Choose another path, or pass -Force to replace the file.",
        SsoSecretFailure.FileNotFound => "Check the path; relative paths are relative to the current PowerShell location.",
        SsoSecretFailure.AmbiguousPath => "Name one file: a narrower -Path, or -LiteralPath.",
        SsoSecretFailure.StoreNotOwned => "Keep the store in a folder that only you (or root) own, as the message says; do not use a store another account could have written.",
        SsoSecretFailure.StorePathInsecure => "Keep the store below folders that other users cannot write, as the message says.",
        SsoSecretFailure.StoreFileNotRegular => "Remove the entry the message names (rm removes a link itself, not its target), then restore the master secret from a backup if the store needs it.",
        SsoSecretFailure.NotARegularFile => "Give the path of a regular file; SsoSecret never reads from a FIFO, a device or a socket.",
        SsoSecretFailure.BackupNotRecorded => "The backup is good: keep it. Free space or fix the store's folder, then run Backup-SsoMasterSecret again to record a backup in the store.",
        SsoSecretFailure.WrongRecoveryKey => "Use a recovery key file whose fingerprint (Get-SsoRecoveryKey) is among the backup's recipients (Get-SsoSecretBackupInfo).",
        SsoSecretFailure.NotARecoveryKey => "Check that the path names a recovery key file written by New-SsoRecoveryKey.",
        SsoSecretFailure.DamagedRecoveryKey => "Use another copy of the recovery key file.",
        SsoSecretFailure.InvalidRecipient => "Copy the public key line (ssosecret-recipient1...) again from New-SsoRecoveryKey or Get-SsoRecoveryKey.",
        SsoSecretFailure.RecipientsWithPassword => "Give either -Recipient or a password (-Password, -Credential, -PasswordHint), not both; to have both, write two backups.",
        SsoSecretFailure.BackupKindMismatch => "Give a password for a password backup, and a recovery key file for a backup sealed to recovery keys (Restore-SsoMasterSecret -RecoveryKeyPath, Test-SsoSecretBackup -RecoveryKeyPath; Get-SsoSecretBackupInfo shows its Kind).",
        SsoSecretFailure.PathNotOwned => "Keep the file in a folder that only you (or root) own, as the message says, or run the command as the account that owns the folder.",
        SsoSecretFailure.PathInsecure => "Keep the file below folders that other users cannot write (chmod go-w, or chmod +t for a shared folder), as the message says.",
        SsoSecretFailure.FileHasLinks => "Rewrite the file through a single name: remove its other hard links (find / -samefile <file>), or copy it to a file of its own.",
        SsoSecretFailure.FileChanged => "Another program changed the file meanwhile; check its content, then run the command again.",
        SsoSecretFailure.AttributesNotCopied => "Remove the extended attributes the message names (or copy the file without them), then run the command again.",
        SsoSecretFailure.TooManyValues => "Split the values over several files.",
        SsoSecretFailure.BackupStillNeeded => "Write the new backup to another path (a dated name such as master-secret-2027-01.bak); reuse this one only after the secret it holds is retired (Remove-SsoPreviousSecret).",
        SsoSecretFailure.SecretIdConflict => "Keep the store as it is, and find out where the backup came from: restore only a backup whose fingerprint matches one you recorded (Get-SsoMasterSecret shows the store's).",
        SsoSecretFailure.KeyRingFull => "Rewrap the values under the current secret (Update-SsoProtectedData), then retire earlier secrets no value needs (Remove-SsoPreviousSecret -SecretId; Get-SsoMasterSecret lists them).",
        SsoSecretFailure.SecretIsCurrent => "Retire only earlier secrets: (Get-SsoMasterSecret).PreviousSecrets lists them. The current secret is replaced by New-SsoMasterSecret -Force, never removed.",
        SsoSecretFailure.SecretNotInStore => "Give the id of a secret of the store's key ring: Get-SsoMasterSecret shows the current one and lists the earlier ones (PreviousSecrets).",
        SsoSecretFailure.SecretStillInUse => "Rewrap the files the message names under the current secret (Update-SsoProtectedData -LiteralPath <file> -Purpose <purpose>), then retire the secret.",
        SsoSecretFailure.PathTooLong => "Give a shorter path for the backup (at most 4096 bytes of UTF-8).",
        SsoSecretFailure.StoreUnprotectFailed => "Restore the master secret from a backup into this machine's store, or use the store on the machine that made it.",
        SsoSecretFailure.PathRequired => "Give Backup-SsoMasterSecret -Path <file>, or -Armor to write the backup's text to the output (for a password manager).",
        SsoSecretFailure.VaultDamaged => "Repair the vault (Repair-SsoVault keeps the damaged file aside and a vault of its intact entries), then set again or import (Import-SsoVault -Path <file>) what it lost.",
        SsoSecretFailure.VaultEntryDamaged => "Set the entry again from its source (Set-Secret of SecretManagement), or import the vault's last export (Import-SsoVault -Path <file>).",
        SsoSecretFailure.InvalidSecretName => "Give a name of 1 to 200 bytes of printable text, with no space at either end.",
        SsoSecretFailure.UnsupportedSecretType => "Give a byte array, a string, a SecureString, a PSCredential, or a hashtable of those with string keys.",
        SsoSecretFailure.InvalidMetadata => "Give metadata values that are strings, Int32 numbers or DateTimes, at most 32 of them, with keys of printable text.",
        SsoSecretFailure.VaultFull => "Remove entries no one needs (Remove-Secret of SecretManagement).",
        SsoSecretFailure.VaultEntryConflict => "Remove the vault's own entry (Remove-Secret of SecretManagement) if the export's value should win, then import again.",
        SsoSecretFailure.VaultEntryNotFound => "List the vault's entries with Get-SecretInfo.",
        SsoSecretFailure.VaultEntryStranded => "Set those entries again (Set-Secret of SecretManagement) or remove them (Remove-Secret of SecretManagement), then retire again.",
        SsoSecretFailure.DamagedSealedRing => "The ring was damaged on its way from the master: send it again from the master.",
        SsoSecretFailure.WrongReplica => "Send the replica the ring the master sealed to its own host key (its fingerprint is in the message).",
        SsoSecretFailure.UnknownMaster => "Install rings only from the master this replica joined. If the environment really has a new master, join the replica to it again, confirming the new master's fingerprint on the master itself.",
        SsoSecretFailure.TamperedSealedRing => "Do not install this ring, and find out what altered it on its way; send a new ring from the master.",
        SsoSecretFailure.StaleRing => "Send the replica the master's current ring; an older ring is never installed.",
        SsoSecretFailure.ForkedRing => "Do not install this ring. Find out why the master issued two rings of one generation (a master restored from an older state, or a second master with its key), then have the master issue a new generation.",
        SsoSecretFailure.InvalidRing => "Update SsoSecret on the master, and check that nobody but the master holds its environment key.",
        SsoSecretFailure.InvalidEnvironmentKey => "Copy the public key line again from the machine that made the key.",
        SsoSecretFailure.DamagedEnvironmentKey => "Make a new key on this machine and join it to the environment again; a key file is never copied between machines.",
        SsoSecretFailure.StoreIsReplica => "Run the command on the environment's master, then bring its ring to the replicas.",
        SsoSecretFailure.EnvironmentRoleConflict => "Check the store's role: only a master seals its ring, only an empty store joins, and a replica installs rings of the master it pinned.",
        SsoSecretFailure.FingerprintMismatch => "Read the master's fingerprint on the master itself, then run Join-SsoEnvironment -MasterFingerprint again; never pin a key whose fingerprint differs.",
        SsoSecretFailure.HostUnreachable => "Open a new session to the host and run the command again; check that SsoSecret is installed there.",
        SsoSecretFailure.SecretAlreadyStaged => "Activate the staged secret with Enable-SsoStagedSecret once every replica holds it, then stage the next one.",
        SsoSecretFailure.ReplicaNotReady => "Bring the replicas named back and sync them (Sync-SsoEnvironment), then run the step again; or pass -Force to go past them, and sync them when they return.",
        _ => "See about_SsoSecret.",
    };

    /// <summary>What Test-SsoSecretBackup reports for a failure to read or open a backup.</summary>
    internal static SsoSecretBackupStatus Status(SsoSecretFailure failure) => failure switch
    {
        SsoSecretFailure.NotABackup => SsoSecretBackupStatus.NotABackup,
        SsoSecretFailure.UnsupportedVersion => SsoSecretBackupStatus.UnsupportedVersion,
        SsoSecretFailure.WrongPassword => SsoSecretBackupStatus.WrongPassword,
        SsoSecretFailure.TamperedBackup => SsoSecretBackupStatus.Tampered,
        SsoSecretFailure.KdfLimitExceeded => SsoSecretBackupStatus.KdfLimitExceeded,
        SsoSecretFailure.BackupNotFound => SsoSecretBackupStatus.NotFound,
        SsoSecretFailure.PathIsFolder => SsoSecretBackupStatus.NotABackup,
        SsoSecretFailure.ReadFailed => SsoSecretBackupStatus.Unreadable,
        SsoSecretFailure.NotARegularFile => SsoSecretBackupStatus.NotABackup,
        SsoSecretFailure.WrongRecoveryKey => SsoSecretBackupStatus.WrongRecoveryKey,
        SsoSecretFailure.BackupKindMismatch => SsoSecretBackupStatus.KindMismatch,
        _ => SsoSecretBackupStatus.Damaged,
    };
}
