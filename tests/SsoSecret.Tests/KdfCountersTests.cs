using System.Linq;
using SsoSecret.Crypto;
using SsoSecret.Crypto.Managed;
using SsoSecret.Diagnostics;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The tests that read KdfCounters, which are the process's: every derivation of any test records its implementation
/// there, so these run in a collection of their own that runs alone (a parallel test once wrote its own provider's
/// name between a derivation here and the assertion).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KdfCountersCollection
{
    internal const string Name = "KdfCounters";
}

[Collection(KdfCountersCollection.Name)]
public sealed class KdfCountersTests
{
    [Fact]
    public void EveryDerivationIsCountedWithItsImplementation()
    {
        foreach (var provider in TestArgon2.All.Append(ManagedArgon2.Instance))
        {
            using (Argon2.Use(provider))
            {
                Assert.Same(provider, Argon2.Active.Provider);
                int before = KdfCounters.Runs;
                Primitives.Argon2id(Bytes(8, 1), Bytes(16, 2), new KdfParameters(64, 1, 1), 32);
                Assert.True(KdfCounters.Runs > before);
                Assert.Equal(provider.Name, KdfCounters.LastImplementation);
            }
        }
    }

    private static byte[] Bytes(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i * 31)).ToArray();
}
