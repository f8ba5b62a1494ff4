using System.Reflection;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace SsoSecret.Crypto;

/// <summary>BouncyCastle's Argon2id (managed code): present everywhere, the default where no native library passes its self-test.</summary>
internal sealed class BouncyCastleArgon2 : Argon2Provider
{
    internal const string ProviderName = "BouncyCastle";

    internal static BouncyCastleArgon2 Instance { get; } = new();

    private BouncyCastleArgon2()
    {
    }

    internal override string Name => ProviderName;

    internal override string Description { get; } = "BouncyCastle " + PackageVersion() + " (managed)";

    /// <summary>The package's version (2.7.0): its assembly version stays 2.0.0.0 across releases.</summary>
    private static string PackageVersion()
    {
        var assembly = typeof(Argon2BytesGenerator).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return version is null ? assembly.GetName().Version?.ToString(3) ?? "?" : version.Split('+')[0];
    }

    /// <remarks>
    /// Lanes run in parallel when there is more than one: BouncyCastle runs them one after another unless it is given a
    /// task factory. Its memory (one object per 1 KiB block) is the garbage collector's to free and is not wiped.
    /// </remarks>
    internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output)
    {
        var builder = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithSalt(salt)
            .WithMemoryAsKB(kdf.MemoryKiB)
            .WithIterations(kdf.Iterations)
            .WithParallelism(kdf.Parallelism);
        if (secret is not null)
        {
            builder.WithSecret(secret);
        }

        if (associatedData is not null)
        {
            builder.WithAdditional(associatedData);
        }

        var generator = kdf.Parallelism > 1 ? new Argon2BytesGenerator(Task.Factory) : new Argon2BytesGenerator();
        generator.Init(builder.Build());
        generator.GenerateBytes(password, output);
    }
}
