namespace SsoSecret.Internal;

/// <summary>
/// The reader's KDF limits from a command's -MaximumKdfMemoryMiB (0 when the parameter was not given). Each command
/// that opens backups declares the parameter itself, so its help stays its own; the rule lives here.
/// </summary>
internal static class KdfLimitParameter
{
    internal static KdfLimits Limits(int maximumKdfMemoryMiB) =>
        maximumKdfMemoryMiB > 0 ? KdfLimits.FromMemoryMiB(maximumKdfMemoryMiB) : KdfLimits.Default;
}
