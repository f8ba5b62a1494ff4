using System.Management.Automation;

namespace SsoSecret.Internal;

/// <summary>
/// The KDF parameters a command writes with, from its -KdfProfile and -KdfParameters: explicit parameters (no weaker
/// than the floor, and not together with a profile), or a profile's. Each writing command declares the two
/// parameters itself, so that its help stays its own; the rule lives here.
/// </summary>
internal static class KdfChoice
{
    internal static KdfParameters Choose(PSCmdlet cmdlet, KdfProfile profile, KdfParameters? parameters)
    {
        if (parameters is null)
        {
            return KdfParameters.FromProfile(profile);
        }

        if (cmdlet.MyInvocation.BoundParameters.ContainsKey("KdfProfile"))
        {
            throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "Give either -KdfProfile or -KdfParameters, not both.");
        }

        if (!parameters.MeetsFloor && !TestSupport.WaiveKdfFloor)
        {
            var floor = KdfParameters.FromProfile(KdfProfile.Interactive);
            throw new SsoSecretException(
                SsoSecretFailure.WeakKdf,
                $"The KDF parameters ({parameters}) are weaker than the Interactive profile ({floor}), the floor for a backup.")
            {
                RecommendedAction = $"Use at least {floor.MemoryKiB / 1024} MiB and {floor.Iterations} passes.",
            };
        }

        return parameters;
    }
}
