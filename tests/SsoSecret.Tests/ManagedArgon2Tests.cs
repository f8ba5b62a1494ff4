using System;
using System.Linq;
using SsoSecret.Crypto;
using SsoSecret.Crypto.Managed;
using SsoSecret.Diagnostics;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The managed vectorized Argon2id (Crypto/Managed): at every vector width this processor runs (AVX2, 128-bit, scalar),
/// bit for bit the same as BouncyCastle and the native libargon2 (where present) on RFC 9106's vector, the golden files,
/// the specification's vectors and 1,000 random parameter sets; and how the process's choice takes it.
/// </summary>
public sealed class ManagedArgon2Tests
{
    /// <summary>Every compression level this processor can run: the widest is the one the module uses.</summary>
    public static TheoryData<string> Levels()
    {
        var data = new TheoryData<string>();
        foreach (var level in Enum.GetValues<CompressionLevel>().Where(Argon2Compression.IsSupported))
        {
            data.Add(level.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void EveryLevelPassesTheSelfTest(string level) => Assert.Null(Argon2SelfTest.Run(new ManagedArgon2(Enum.Parse<CompressionLevel>(level))));

    [Fact]
    public void TheModuleUsesTheWidestVectorsThisProcessorHas()
    {
        var expected = System.Runtime.Intrinsics.X86.Avx2.IsSupported ? CompressionLevel.Avx2
            : System.Runtime.Intrinsics.X86.Sse2.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported ? CompressionLevel.Vector128
            : CompressionLevel.Scalar;
        Assert.Equal(expected, ManagedArgon2.Instance.Level);
        Assert.Same(ManagedArgon2.Instance, Argon2.ManagedProvider);
        Assert.Equal("Managed", ManagedArgon2.Instance.Name);
        Assert.Matches(@"^SsoSecret's managed Argon2id \((AVX2|SSE2|AdvSIMD|scalar), \.NET \d+\.\d+\.\d+\)$", ManagedArgon2.Instance.Description);
    }

    /// <summary>
    /// 1,000 random parameter sets within the formats' bounds (p = 1..16, m from the least allowed, 8p KiB, to 4 MiB,
    /// t = 1..4, passwords of 0..300 bytes, salts of 8..64 bytes, outputs of 4..200 bytes, now and then K and X), seeded so
    /// that a failure is found again: the module's level, BouncyCastle and the native library where present give one tag (the
    /// narrower levels and the native library, every fourth set).
    /// </summary>
    [Fact]
    public void AThousandRandomParameterSetsGiveTheSameTagEverywhere()
    {
        var random = new Random(20260917);
        var levels = Enum.GetValues<CompressionLevel>().Where(Argon2Compression.IsSupported).Select(level => new ManagedArgon2(level)).ToArray();
        for (int i = 0; i < 1000; i++)
        {
            int p = random.Next(1, KdfParameters.MaxParallelism + 1);
            int m = random.Next(8) == 0 ? random.Next(8 * p, 4096) : random.Next(8 * p, (8 * p) + 200);
            var kdf = new KdfParameters(m, random.Next(1, 5), p);
            var password = RandomBytes(random, random.Next(0, 301));
            var salt = RandomBytes(random, random.Next(8, 65));
            byte[]? secret = random.Next(8) == 0 ? RandomBytes(random, random.Next(1, 33)) : null;
            byte[]? associatedData = random.Next(8) == 0 ? RandomBytes(random, random.Next(1, 65)) : null;
            int length = random.Next(5) == 0 ? random.Next(4, 201) : 32;

            var expected = Hash(BouncyCastleArgon2.Instance, password, salt, secret, associatedData, kdf, length);
            string what = $"case {i}: {kdf}, password {password.Length} B, salt {salt.Length} B, K {secret?.Length ?? 0} B, X {associatedData?.Length ?? 0} B, tag {length} B";

            // The module's level every time; every fourth set, the narrower levels (which only a processor without AVX2
            // runs) and the native library (which starts a thread per lane and slice: 12 s for all 1,000 sets here).
            bool all = i % 4 == 0;
            var managed = all ? levels : levels.Where(provider => provider.Level == Argon2Compression.Best);
            foreach (var provider in managed.Cast<Argon2Provider>().Concat(TestArgon2.Native is null || !all ? Array.Empty<Argon2Provider>() : new Argon2Provider[] { TestArgon2.Native }))
            {
                var actual = Hash(provider, password, salt, secret, associatedData, kdf, length);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{what}: BouncyCastle {Hex.Encode(expected)}, {provider.Description} {Hex.Encode(actual)}");
            }
        }
    }

    /// <summary>The profiles' own memory sizes: Interactive (64 MiB) against BouncyCastle, Moderate (256 MiB) against the native library where present.</summary>
    [Fact]
    public void TheInteractiveProfileGivesBouncyCastlesTag()
    {
        var kdf = KdfParameters.FromProfile(KdfProfile.Interactive);
        Assert.Equal(Hex.Encode(Hash(BouncyCastleArgon2.Instance, Bytes(28, 1), Bytes(16, 2), null, null, kdf, 32)), Hex.Encode(Hash(ManagedArgon2.Instance, Bytes(28, 1), Bytes(16, 2), null, null, kdf, 32)));
    }

    [NativeArgon2Fact]
    public void TheModerateProfileGivesTheNativeLibrarysTag()
    {
        var kdf = KdfParameters.FromProfile(KdfProfile.Moderate);
        Assert.Equal(Hex.Encode(Hash(TestArgon2.Native!, Bytes(28, 3), Bytes(16, 4), null, null, kdf, 32)), Hex.Encode(Hash(ManagedArgon2.Instance, Bytes(28, 3), Bytes(16, 4), null, null, kdf, 32)));
    }

    [Fact]
    public void TheGoldenFilesAndTheDocumentedVectorsOpen() => Argon2ProviderTests.OpenGoldenFilesAndVectors(ManagedArgon2.Instance);

    /// <summary>A backup written with the managed implementation opens with BouncyCastle, and the other way round.</summary>
    [Fact]
    public void ABackupWrittenByOneOpensWithTheOther() => Argon2ProviderTests.AssertBackupsCross(ManagedArgon2.Instance, BouncyCastleArgon2.Instance);

    // ---------------------------------------------------------------------------------------------------------
    // The choice
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void WithoutALibraryTheDefaultIsManagedAndSaysWhy()
    {
        var selection = Argon2.Select(null, new[] { "/nonexistent/libargon2.so.1" }, Argon2.LoadNative, ManagedArgon2.Instance);
        Assert.Same(ManagedArgon2.Instance, selection.Provider);
        Assert.Equal("Managed", selection.Name);
        Assert.Equal($"no native libargon2 can be used ('/nonexistent/libargon2.so.1' does not exist); {ManagedArgon2.Instance.Description} passed its self-test", selection.Reason);
    }

    [Fact]
    public void AWorkingNativeLibraryComesBeforeTheManagedCode()
    {
        var native = new Fake("Native", "fake libargon2", BouncyCastleArgon2.Instance.Hash);
        var selection = Argon2.Select(null, new[] { "fake" }, _ => (native, string.Empty), ManagedArgon2.Instance);
        Assert.Same(native, selection.Provider);
        Assert.Equal("fake libargon2 passed its self-test", selection.Reason);
    }

    [Theory]
    [InlineData("Managed")]
    [InlineData(" managed ")]
    public void TheSettingManagedLoadsNoLibrary(string setting)
    {
        var selection = Argon2.Select(setting, new[] { "libargon2.so.1" }, _ => throw new InvalidOperationException("no library may be loaded"), ManagedArgon2.Instance);
        Assert.Same(ManagedArgon2.Instance, selection.Provider);
        Assert.Equal($"$env:SSOSECRET_KDF is 'Managed'; {ManagedArgon2.Instance.Description} passed its self-test", selection.Reason);
    }

    /// <summary>Windows PowerShell 5.1's engine (.NET Standard 2.0) has no managed implementation: Managed is refused there, saying why.</summary>
    [Fact]
    public void ManagedIsRefusedWhereTheEngineHasNone()
    {
        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("Managed", Array.Empty<string>(), _ => (null, "unused"), managed: null));
        Assert.StartsWith("$env:SSOSECRET_KDF is 'Managed', but the managed vectorized Argon2id needs .NET 8 or later (PowerShell 7.4 or later)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AManagedImplementationThatFailsItsSelfTestIsNeverUsed()
    {
        var wrong = new Fake("Managed", "broken managed Argon2id", (password, salt, secret, associatedData, kdf, output) => Array.Fill(output, (byte)0x42));
        var selection = Argon2.Select(null, Array.Empty<string>(), _ => (null, "unused"), wrong);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Equal("no native libargon2 can be used (no libargon2 is looked for on this platform unless $env:SSOSECRET_ARGON2_LIBRARY names one); "
            + "broken managed Argon2id failed its self-test (RFC 9106 section 5.3: gave 4242424242424242..., expected 0d640df58d78766c...)", selection.Reason);

        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("Managed", Array.Empty<string>(), _ => (null, "unused"), wrong));
        Assert.Contains("broken managed Argon2id failed its self-test (RFC 9106 section 5.3", e.Message, StringComparison.Ordinal);
    }


    // ---------------------------------------------------------------------------------------------------------

    private static byte[] Hash(Argon2Provider provider, byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, int length)
    {
        var output = new byte[length];
        provider.Hash((byte[])password.Clone(), (byte[])salt.Clone(), (byte[]?)secret?.Clone(), (byte[]?)associatedData?.Clone(), kdf, output);
        return output;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var data = new byte[length];
        random.NextBytes(data);
        return data;
    }

    private static byte[] Bytes(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i * 31)).ToArray();

    /// <summary>A stand-in implementation whose answers the test decides.</summary>
    private sealed class Fake : Argon2Provider
    {
        private readonly Action<byte[], byte[], byte[]?, byte[]?, KdfParameters, byte[]> _hash;

        internal Fake(string name, string description, Action<byte[], byte[], byte[]?, byte[]?, KdfParameters, byte[]> hash)
        {
            Name = name;
            Description = description;
            _hash = hash;
        }

        internal override string Name { get; }

        internal override string Description { get; }

        internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output) => _hash(password, salt, secret, associatedData, kdf, output);
    }
}
