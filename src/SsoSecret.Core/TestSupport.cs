namespace SsoSecret;

/// <summary>
/// Switches for the module's own test suites, and nothing else. No parameter, environment variable or file turns them
/// on: a test sets them by reflection inside its own process (the Core assembly lives in the module's load context),
/// which any code running in the process could do anyway. They make tests cheaper, never weaker in what they check.
/// </summary>
internal static class TestSupport
{
    /// <summary>
    /// Lets New- and Backup-SsoMasterSecret write backups with KDF parameters below the Interactive floor (for example
    /// 64 KiB), for suites that test the store, locks and files, not the KDF: on a loaded 2-core machine one Interactive
    /// derivation can take seconds, and the concurrency suite runs hundreds.
    /// </summary>
    internal static bool WaiveKdfFloor { get; set; }

    /// <summary>
    /// The Windows store check reads a store folder's DACL as protected (no entries inherited from above) and judges the
    /// rest of it (owner, every entry) as it is. For the Windows lane only, which runs under Wine: Wine builds every
    /// security descriptor from the Unix mode bits (owner, SYSTEM, and Everyone when others may read) and keeps no DACL
    /// flags, so a folder it made with the store's protected DACL still reads as inheriting, and every store would be
    /// StoreInsecure there. Real Windows keeps the flag, and the unit tests of StoreAcl judge it.
    /// </summary>
    internal static bool AssumeProtectedFolderDacl { get; set; }
}
