using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>The module's stable error ids. Scripts and tests match on these, so they never change.</summary>
internal static class ErrorIds
{
    internal const string NoMasterSecret = "SsoSecret.NoMasterSecret";
    internal const string MasterSecretExists = "SsoSecret.MasterSecretExists";
    internal const string BackupExists = "SsoSecret.BackupExists";
    internal const string BackupNotFound = "SsoSecret.BackupNotFound";
    internal const string WrongPassword = "SsoSecret.WrongPassword";
    internal const string DamagedBackup = "SsoSecret.DamagedBackup";
    internal const string TamperedBackup = "SsoSecret.TamperedBackup";
    internal const string NotABackup = "SsoSecret.NotABackup";
    internal const string UnsupportedVersion = "SsoSecret.UnsupportedVersion";
    internal const string KdfLimitExceeded = "SsoSecret.KdfLimitExceeded";
    internal const string PasswordRequired = "SsoSecret.PasswordRequired";
    internal const string PasswordMismatch = "SsoSecret.PasswordMismatch";
    internal const string WeakPassword = "SsoSecret.WeakPassword";
    internal const string InvalidPassword = "SsoSecret.InvalidPassword";
    internal const string HintTooLong = "SsoSecret.HintTooLong";
    internal const string InvalidHint = "SsoSecret.InvalidHint";
    internal const string HintRevealsPassword = "SsoSecret.HintRevealsPassword";
    internal const string PathNotFileSystem = "SsoSecret.PathNotFileSystem";
    internal const string PathIsFolder = "SsoSecret.PathIsFolder";
    internal const string StoreInsecure = "SsoSecret.StoreInsecure";
    internal const string StoreBusy = "SsoSecret.StoreBusy";
    internal const string StoreDamaged = "SsoSecret.StoreDamaged";
    internal const string StoreUnavailable = "SsoSecret.StoreUnavailable";
    internal const string WeakKdf = "SsoSecret.WeakKdf";
    internal const string KdfUnavailable = "SsoSecret.KdfUnavailable";
    internal const string WriteFailed = "SsoSecret.WriteFailed";
    internal const string ReadFailed = "SsoSecret.ReadFailed";
    internal const string ConfirmationRequired = "SsoSecret.ConfirmationRequired";

    internal static (string Id, ErrorCategory Category, string Action) For(BackupFailure failure) => failure switch
    {
        BackupFailure.NotABackup => (NotABackup, ErrorCategory.InvalidData, "Check that the path names an SsoSecret backup file."),
        BackupFailure.UnsupportedVersion => (UnsupportedVersion, ErrorCategory.InvalidData, "Open the backup with the SsoSecret version that wrote it, or a newer one."),
        BackupFailure.Damaged => (DamagedBackup, ErrorCategory.InvalidData, "The file was changed or cut short after it was written. Use another copy of the backup."),
        BackupFailure.WrongPassword => (WrongPassword, ErrorCategory.AuthenticationError, "Check the password against the backup's hint (Get-SsoSecretBackupInfo) and try again."),
        BackupFailure.Tampered => (TamperedBackup, ErrorCategory.SecurityError, "The password is right but the content was altered: do not trust this copy; use another copy of the backup."),
        BackupFailure.KdfLimitExceeded => (KdfLimitExceeded, ErrorCategory.LimitsExceeded, "If you trust the file, raise the limit with -MaximumKdfMemoryMiB."),
        _ => (DamagedBackup, ErrorCategory.InvalidData, string.Empty),
    };

    internal static SsoSecretBackupStatus StatusFor(BackupFailure failure) => failure switch
    {
        BackupFailure.NotABackup => SsoSecretBackupStatus.NotABackup,
        BackupFailure.UnsupportedVersion => SsoSecretBackupStatus.UnsupportedVersion,
        BackupFailure.WrongPassword => SsoSecretBackupStatus.WrongPassword,
        BackupFailure.Tampered => SsoSecretBackupStatus.Tampered,
        BackupFailure.KdfLimitExceeded => SsoSecretBackupStatus.KdfLimitExceeded,
        _ => SsoSecretBackupStatus.Damaged,
    };

    internal static (string Id, ErrorCategory Category) For(StoreFailure failure) => failure switch
    {
        StoreFailure.Insecure => (StoreInsecure, ErrorCategory.SecurityError),
        StoreFailure.Busy => (StoreBusy, ErrorCategory.ResourceBusy),
        StoreFailure.NoSecret => (NoMasterSecret, ErrorCategory.ObjectNotFound),
        StoreFailure.Unavailable => (StoreUnavailable, ErrorCategory.ResourceUnavailable),
        _ => (StoreDamaged, ErrorCategory.InvalidData),
    };
}
