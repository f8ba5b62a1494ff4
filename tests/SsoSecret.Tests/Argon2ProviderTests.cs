using System;
using System.Threading;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SsoSecret.Crypto;
using SsoSecret.Diagnostics;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The Argon2id implementations: every one gives the same bytes on every input class the envelope uses (the profiles,
/// p = 1..16, odd memory sizes, passwords from empty to long, the golden files and the specification's vectors), and
/// the process's choice between them follows $env:SSOSECRET_KDF and the self-test. The tests that need the native
/// libargon2 skip, saying why, on a machine without it; the choice is tested there too, through fakes and the override.
/// </summary>
public sealed class Argon2ProviderTests
{
    // ---------------------------------------------------------------------------------------------------------
    // The same output from every provider
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>The Interactive and Moderate profiles, and the Sensitive profile's 1 GiB in one pass (a quarter of its time).</summary>
    [NativeArgon2Theory]
    [InlineData(KdfProfile.Interactive)]
    [InlineData(KdfProfile.Moderate)]
    [InlineData(KdfProfile.Sensitive)]
    public void TheProvidersAgreeOnEveryProfilesMemory(KdfProfile profile)
    {
        var kdf = KdfParameters.FromProfile(profile);
        AssertAgree(Bytes(28, 1), Bytes(16, 2), profile == KdfProfile.Sensitive ? new KdfParameters(kdf.MemoryKiB, 1, kdf.Parallelism) : kdf);
    }

    /// <summary>The Sensitive profile as it is (1 GiB, 4 passes): half a minute of BouncyCastle on a busy 2-core machine, so only on request.</summary>
    [SlowNativeArgon2Fact]
    [Trait("Category", "Slow")]
    public void TheProvidersAgreeOnTheSensitiveProfile()
    {
        AssertAgree(Bytes(28, 1), Bytes(16, 2), KdfParameters.FromProfile(KdfProfile.Sensitive));
    }

    /// <summary>For p = 1..16: the least memory allowed (8p KiB), an odd size just above it, and an odd size that no lane count divides.</summary>
    public static TheoryData<int, int, int> LanesAndOddMemory()
    {
        var data = new TheoryData<int, int, int>();
        for (int p = 1; p <= KdfParameters.MaxParallelism; p++)
        {
            int t = 1 + (p % 3);
            data.Add(p, 8 * p, t);
            data.Add(p, 8 * p + 1, t);
            data.Add(p, 24 * p + 5, t);
            data.Add(p, 4099, t);
        }

        return data;
    }

    [NativeArgon2Theory]
    [MemberData(nameof(LanesAndOddMemory))]
    public void TheProvidersAgreeOnEveryLaneCountAndOddMemorySize(int parallelism, int memoryKiB, int iterations)
    {
        AssertAgree(Bytes(20, (byte)parallelism), Bytes(16, (byte)memoryKiB), new KdfParameters(memoryKiB, iterations, parallelism));
    }

    /// <summary>Password lengths around Blake2b's 64- and 128-byte blocks, up to a 64 KiB one (a SecureString's longest, in UTF-8 terms).</summary>
    [NativeArgon2Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(1000)]
    [InlineData(65536)]
    public void TheProvidersAgreeOnEveryPasswordLength(int length)
    {
        AssertAgree(Bytes(length, 7), Bytes(16, 9), new KdfParameters(256, 2, 2));
    }

    [NativeArgon2Fact]
    public void TheProvidersAgreeOnRandomInputs()
    {
        var random = new Random(20261130);
        for (int i = 0; i < 60; i++)
        {
            int p = random.Next(1, KdfParameters.MaxParallelism + 1);
            var kdf = new KdfParameters(random.Next(8 * p, 3000), random.Next(1, 5), p);
            var password = new byte[random.Next(0, 300)];
            var salt = new byte[16];
            random.NextBytes(password);
            random.NextBytes(salt);
            AssertAgree(password, salt, kdf);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Known answers, the golden files and the specification's vectors, through each provider
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void BouncyCastlePassesTheSelfTest() => Assert.Null(Argon2SelfTest.Run(BouncyCastleArgon2.Instance));

    [NativeArgon2Fact]
    public void TheNativeLibraryPassesTheSelfTest() => Assert.Null(Argon2SelfTest.Run(TestArgon2.Native!));

    /// <summary>The self-test's known answers are RFC 9106's and docs/envelope-format.md's, read from the document itself.</summary>
    [Fact]
    public void TheSelfTestVectorsAreTheRfcsAndTheSpecifications()
    {
        var rfc = Argon2SelfTest.Rfc9106;
        Assert.Equal(Enumerable.Repeat((byte)0x01, 32), rfc.Password);
        Assert.Equal(Enumerable.Repeat((byte)0x02, 16), rfc.Salt);
        Assert.Equal(Enumerable.Repeat((byte)0x03, 8), rfc.Secret!);
        Assert.Equal(Enumerable.Repeat((byte)0x04, 12), rfc.AssociatedData!);
        Assert.Equal(new KdfParameters(32, 3, 4), rfc.Kdf);
        Assert.Equal("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", rfc.Expected);

        var documented = EnvelopeSpecificationTests.ReadVectors()["Vector 1 (binary)"];
        var envelope = Argon2SelfTest.EnvelopeVector1;
        Assert.Equal(documented.Fields["password (UTF-8)"], Hex.Encode(envelope.Password));
        Assert.Equal(documented.Fields["salt"], Hex.Encode(envelope.Salt));
        Assert.Equal(SpecVectors.ParseKdf(documented.Fields["kdf"]), envelope.Kdf);
        Assert.Equal(documented.Fields["argon2id output"], envelope.Expected);
        Assert.Null(envelope.Secret);
        Assert.Null(envelope.AssociatedData);
    }

    [Fact]
    public void TheGoldenFilesAndTheDocumentedVectorsOpenWithBouncyCastle() => OpenGoldenFilesAndVectors(BouncyCastleArgon2.Instance);

    [NativeArgon2Fact]
    public void TheGoldenFilesAndTheDocumentedVectorsOpenWithTheNativeLibrary() => OpenGoldenFilesAndVectors(TestArgon2.Native!);

    /// <summary>A backup written with one provider opens with the other, both ways.</summary>
    [NativeArgon2Fact]
    public void ABackupWrittenByOneProviderOpensWithTheOther() => AssertBackupsCross(BouncyCastleArgon2.Instance, TestArgon2.Native!);

    /// <summary>A backup written with <paramref name="one"/> opens with <paramref name="other"/>, and the other way round; a wrong password is still wrong.</summary>
    internal static void AssertBackupsCross(Argon2Provider one, Argon2Provider other)
    {
        var secret = Bytes(32, 0x5a);
        var password = Encoding.UTF8.GetBytes("cross provider p\u00e4ssword");
        var kdf = new KdfParameters(65536, 3, 4);
        foreach (var (writer, reader) in new (Argon2Provider, Argon2Provider)[] { (one, other), (other, one) })
        {
            byte[] data;
            using (Argon2.Use(writer))
            using (var sealedBackup = BackupEnvelope.Seal(secret, Guid.NewGuid(), DateTimeOffset.UtcNow, "hint", password, kdf))
            {
                data = (byte[])sealedBackup.Data.Clone();
            }

            var counting = new CountingArgon2(reader);
            using (Argon2.Use(counting))
            {
                Assert.Equal(secret, BackupEnvelope.Open(data, password, KdfLimits.Default, out _));
                Assert.Equal(1, counting.Calls);
                var wrong = Assert.ThrowsAny<BackupException>(() => BackupEnvelope.Open(data, Encoding.UTF8.GetBytes("another password"), KdfLimits.Default, out _));
                Assert.Equal(SsoSecretFailure.WrongPassword, wrong.Failure);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The choice
    // ---------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("BouncyCastle")]
    [InlineData("bouncycastle")]
    [InlineData(" BOUNCYCASTLE ")]
    public void TheSettingBouncyCastleLoadsNoLibrary(string setting)
    {
        var selection = Argon2.Select(setting, new[] { "libargon2.so.1" }, _ => throw new InvalidOperationException("no library may be loaded"), managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Equal("BouncyCastle", selection.Name);
        Assert.Contains("$env:SSOSECRET_KDF", selection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fast")]
    [InlineData("libargon2")]
    [InlineData("Native,BouncyCastle")]
    public void AnUnknownSettingIsRefusedWithTheChoices(string setting)
    {
        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select(setting, Array.Empty<string>(), _ => (null, "unused"), managed: null));
        Assert.Contains($"'{setting}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Auto (or nothing), Native, Managed or BouncyCastle", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Auto")]
    [InlineData("auto")]
    public void WithoutALibraryTheDefaultIsBouncyCastleAndSaysWhy(string? setting)
    {
        var none = Argon2.Select(setting, Array.Empty<string>(), _ => throw new InvalidOperationException("nothing to load"), managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, none.Provider);
        Assert.Contains("no libargon2 is looked for on this platform unless $env:SSOSECRET_ARGON2_LIBRARY names one", none.Reason, StringComparison.Ordinal);

        var missing = Argon2.Select(setting, new[] { "/nonexistent/libargon2.so.1" }, Argon2.LoadNative, managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, missing.Provider);
        Assert.Equal("no native libargon2 can be used ('/nonexistent/libargon2.so.1' does not exist)", missing.Reason);
    }

    [Fact]
    public void WithoutALibraryNativeIsRefusedAndSaysWhy()
    {
        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("Native", new[] { "/nonexistent/libargon2.so.1" }, Argon2.LoadNative, managed: null));
        Assert.StartsWith("$env:SSOSECRET_KDF is 'Native', but no native Argon2id can be used: '/nonexistent/libargon2.so.1' does not exist.", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install libargon2-1", e.Message, StringComparison.Ordinal);

        var none = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("native", Array.Empty<string>(), Argon2.LoadNative, managed: null));
        Assert.Contains("no libargon2 is looked for on this platform", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryThatGivesWrongAnswersIsNeverUsed()
    {
        var wrong = new FakeArgon2((password, salt, secret, associatedData, kdf, output) => Array.Fill(output, (byte)0x42));
        var selection = Argon2.Select(null, new[] { "fake" }, _ => (wrong, string.Empty), managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Equal("no native libargon2 can be used (fake libargon2 failed its self-test (RFC 9106 section 5.3: gave 4242424242424242..., expected 0d640df58d78766c...))", selection.Reason);

        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("Native", new[] { "fake" }, _ => (wrong, string.Empty), managed: null));
        Assert.Contains("fake libargon2 failed its self-test (RFC 9106 section 5.3", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Right on the RFC's tiny vector, wrong at the envelope's memory size: the second vector is what catches it.</summary>
    [Fact]
    public void ALibraryWrongOnlyAtTheEnvelopesMemorySizeFailsTheSecondVector()
    {
        var subtle = new FakeArgon2((password, salt, secret, associatedData, kdf, output) =>
        {
            BouncyCastleArgon2.Instance.Hash(password, salt, secret, associatedData, kdf, output);
            if (kdf.MemoryKiB >= 65536)
            {
                output[31] ^= 1;
            }
        });
        var selection = Argon2.Select("Auto", new[] { "fake" }, _ => (subtle, string.Empty), managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Contains("failed its self-test (docs/envelope-format.md vector 1: gave 853b272a44db1421..., expected 853b272a44db1421...)", selection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryThatReportsAnErrorFailsTheSelfTest()
    {
        var failing = new FakeArgon2((password, salt, secret, associatedData, kdf, output) => throw new KdfUnavailableException("libargon2 at fake failed: error -22 (Memory allocation error)."));
        var selection = Argon2.Select(null, new[] { "fake" }, _ => (failing, string.Empty), managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Contains("failed its self-test (RFC 9106 section 5.3: libargon2 at fake failed: error -22", selection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFirstCandidateThatLoadsAndPassesIsChosen()
    {
        var good = new FakeArgon2(BouncyCastleArgon2.Instance.Hash);
        var tried = new List<string>();
        var selection = Argon2.Select("Native", new[] { "/opt/homebrew/lib/libargon2.1.dylib", "/usr/local/lib/libargon2.1.dylib", "third" }, candidate =>
        {
            tried.Add(candidate);
            return candidate == "/opt/homebrew/lib/libargon2.1.dylib" ? (null, $"'{candidate}' does not exist") : (good, string.Empty);
        }, managed: null);
        Assert.Same(good, selection.Provider);
        Assert.Equal(new[] { "/opt/homebrew/lib/libargon2.1.dylib", "/usr/local/lib/libargon2.1.dylib" }, tried);
        Assert.Equal("$env:SSOSECRET_KDF is 'Native'; fake libargon2 passed its self-test", selection.Reason);
    }

    [Fact]
    public void TheLibraryOverrideIsTheOnlyCandidate()
    {
        Assert.Equal(new[] { "/tmp/libargon2-test.so" }, Argon2.Candidates(" /tmp/libargon2-test.so "));
        var usual = Argon2.Candidates("  ");
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(new[] { "libargon2.so.1" }, usual);
        }
        else if (OperatingSystem.IsMacOS())
        {
            Assert.Equal(new[] { "/opt/homebrew/lib/libargon2.1.dylib", "/usr/local/lib/libargon2.1.dylib" }, usual);
        }
        else
        {
            Assert.Empty(usual);
        }
    }

    [Fact]
    public void ALibraryWithoutArgon2CtxIsNotLibargon2()
    {
        Assert.True(File.Exists(TestArgon2.LibraryWithoutArgon2), TestArgon2.LibraryWithoutArgon2);
        var selection = Argon2.Select(null, new[] { TestArgon2.LibraryWithoutArgon2 }, Argon2.LoadNative, managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Equal($"no native libargon2 can be used ('{TestArgon2.LibraryWithoutArgon2}' has no argon2_ctx function: it is not libargon2)", selection.Reason);
    }

    [Fact]
    public void AFileThatIsNoLibraryCannotBeLoaded()
    {
        string folder = TestPaths.NewTemporaryFolder();
        string path = Path.Combine(folder, "libargon2.so.1");
        File.WriteAllText(path, "not a shared library");
        var selection = Argon2.Select(null, new[] { path }, Argon2.LoadNative, managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.StartsWith($"no native libargon2 can be used ('{path}' could not be loaded (", selection.Reason, StringComparison.Ordinal);
    }

    /// <summary>A real shared library that exports argon2_ctx and answers wrongly (tests/Fixtures/BadArgon2), loaded as the module loads one.</summary>
    [BadArgon2Fact]
    public void ARealLibraryThatGivesWrongAnswersFailsTheSelfTest()
    {
        string path = TestArgon2.BadLibrary!;
        var selection = Argon2.Select(null, new[] { path }, Argon2.LoadNative, managed: null);
        Assert.Same(BouncyCastleArgon2.Instance, selection.Provider);
        Assert.Equal($"no native libargon2 can be used (libargon2 (native) at {path} failed its self-test (RFC 9106 section 5.3: gave 4242424242424242..., expected 0d640df58d78766c...))", selection.Reason);
        var e = Assert.Throws<KdfUnavailableException>(() => Argon2.Select("Native", new[] { path }, Argon2.LoadNative, managed: null));
        Assert.Contains("failed its self-test", e.Message, StringComparison.Ordinal);
    }

    [NativeArgon2Fact]
    public void TheSystemLibraryIsChosenByDefault()
    {
        var selection = Argon2.Select(null, Argon2.Candidates(Environment.GetEnvironmentVariable(Argon2.LibraryVariable)), Argon2.LoadNative, Argon2.ManagedProvider);
        Assert.Equal("Native", selection.Name);
        Assert.Matches("^libargon2 \\(native\\) at .*libargon2.* passed its self-test$", selection.Reason);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running
    // ---------------------------------------------------------------------------------------------------------

    [NativeArgon2Fact]
    public void ANativeFailureZeroesTheOutputAndSaysWhy()
    {
        var output = Enumerable.Repeat((byte)0xff, 32).ToArray();
        var e = Assert.Throws<KdfUnavailableException>(() => TestArgon2.Native!.Hash(Bytes(8, 1), Bytes(4, 2), null, null, new KdfParameters(64, 1, 1), output));
        Assert.Matches("^libargon2 at .* failed: error -6 \\(Salt is too short\\)\\.$", e.Message);
        Assert.All(output, b => Assert.Equal(0, b));
    }


    [Fact]
    public void UseRestoresThePreviousChoice()
    {
        var fake = new FakeArgon2((password, salt, secret, associatedData, kdf, output) => { });
        var outer = Argon2.Active;
        using (Argon2.Use(fake))
        {
            using (Argon2.Use(BouncyCastleArgon2.Instance))
            {
                Assert.Same(BouncyCastleArgon2.Instance, Argon2.Active.Provider);
            }

            Assert.Same(fake, Argon2.Active.Provider);
            Assert.Equal("chosen by the caller (a test)", Argon2.Active.Reason);
        }

        Assert.Same(outer.Provider, Argon2.Active.Provider);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void AssertAgree(byte[] password, byte[] salt, KdfParameters kdf)
    {
        var expected = new byte[32];
        var actual = new byte[32];
        BouncyCastleArgon2.Instance.Hash((byte[])password.Clone(), (byte[])salt.Clone(), null, null, kdf, expected);
        TestArgon2.Native!.Hash((byte[])password.Clone(), (byte[])salt.Clone(), null, null, kdf, actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{kdf}, password of {password.Length} bytes: BouncyCastle {Hex.Encode(expected)}, native {Hex.Encode(actual)}");
    }

    internal static void OpenGoldenFilesAndVectors(Argon2Provider provider)
    {
        // Counted here, not through KdfCounters.LastImplementation: that is the process's, and a test of another class
        // running at the same time records its own provider there (this assertion failed once so).
        var counting = new CountingArgon2(provider);
        using var scope = Argon2.Use(counting);
        var binary = BackupEnvelope.Open(File.ReadAllBytes(TestPaths.Golden("v1-binary.bak")), Encoding.UTF8.GetBytes(GoldenFileTests.BinaryPassword), KdfLimits.Default, out _);
        Assert.Equal(Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray(), binary);
        var armored = BackupEnvelope.Open(File.ReadAllBytes(TestPaths.Golden("v1-armored.bak")), Encoding.UTF8.GetBytes(GoldenFileTests.ArmoredPassword), KdfLimits.Default, out _);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)((i * 7 + 3) % 256)).ToArray(), armored);
        Assert.Equal(2, counting.Calls);

        foreach (var (name, v) in EnvelopeSpecificationTests.ReadVectors())
        {
            var password = Hex.Decode(v.Fields["password (UTF-8)"]);
            var kdf = SpecVectors.ParseKdf(v.Fields["kdf"]);
            Assert.Equal(v.Fields["argon2id output"], Hex.Encode(Primitives.Argon2id(password, Hex.Decode(v.Fields["salt"]), kdf, 32)));
            Assert.Equal(v.Fields["secret"], Hex.Encode(BackupEnvelope.Open(Hex.Decode(v.FileHex), password, KdfLimits.Default, out _)));
        }
    }

    private static byte[] Bytes(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i * 31)).ToArray();

    /// <summary>A provider that counts the derivations it runs and hands each to <c>inner</c>.</summary>
    internal sealed class CountingArgon2 : Argon2Provider
    {
        private readonly Argon2Provider _inner;
        private int _calls;

        internal CountingArgon2(Argon2Provider inner)
        {
            _inner = inner;
        }

        internal int Calls => Volatile.Read(ref _calls);

        internal override string Name => _inner.Name;

        internal override string Description => _inner.Description;

        internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output)
        {
            Interlocked.Increment(ref _calls);
            _inner.Hash(password, salt, secret, associatedData, kdf, output);
        }
    }

    /// <summary>A stand-in for a native library, whose answers the test decides.</summary>
    private sealed class FakeArgon2 : Argon2Provider
    {
        private readonly HashFunction _hash;

        internal FakeArgon2(HashFunction hash)
        {
            _hash = hash;
        }

        internal override string Name => NativeArgon2.ProviderName;

        internal override string Description => "fake libargon2";

        internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output) => _hash(password, salt, secret, associatedData, kdf, output);
    }

    private delegate void HashFunction(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output);
}
