using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using SsoSecret.Crypto;

namespace SsoSecret.Fuzz;

/// <summary>An input the reader handled in a way its contract forbids. Any other exception is a finding too.</summary>
internal sealed class FuzzFindingException : Exception
{
    internal FuzzFindingException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// What every engine runs on every input: the backup reader, with the oracle that its contract gives. The reader may
/// answer only with <see cref="BackupException"/>; it may succeed only on content that is byte for byte a known
/// seed's; and it stays within its allocation bounds. Each input is read twice: as it is, and (when it is a binary
/// backup, or armor around one, long enough to hold a checksum) with its checksum recomputed, so that a mutation
/// reaches the checks behind the checksum: fields, the KDF limits, the key commitment and the AEAD.
/// </summary>
internal static class FuzzTarget
{
    /// <summary>1 MiB of KDF memory at most, so that mutated seeds that pass every check run a fast KDF.</summary>
    internal static readonly KdfLimits Limits = new(1024, 4096);

    internal static readonly byte[] Password = Encoding.UTF8.GetBytes("fuzzing password \u2713");

    private const long ParseAllocationBound = 2L * 1024 * 1024;

    // Parse bound, KDF memory, and BouncyCastle's Argon2 churn (about 4.5 KiB per lane segment; at most
    // MaxWork / 8 lane passes of 4 segments). See tests/SsoSecret.Tests/ReaderFuzzTests.cs.
    private static readonly long s_openAllocationBound = ParseAllocationBound + Limits.MaxMemoryKiB * 1024L + Limits.MaxWork / 8 * 4 * 8 * 1024;

    private static readonly List<(string Name, byte[] Binary)> s_seeds = MakeSeeds();

    /// <summary>The deterministic seeds (binary form), written to the corpus by "write-seeds".</summary>
    internal static IReadOnlyList<(string Name, byte[] Binary)> Seeds => s_seeds;

    private static List<(string Name, byte[] Binary)> MakeSeeds()
    {
        var seeds = new List<(string, byte[])>();
        void Add(string name, int secretLength, string hint, KdfParameters kdf, byte saltStart)
        {
            var secret = Enumerable.Range(0, secretLength).Select(i => (byte)(i * 7 + 1)).ToArray();
            var salt = Enumerable.Range(saltStart, 16).Select(i => (byte)i).ToArray();
            using var sealedBackup = BackupEnvelope.Seal(
                secret,
                Guid.Parse("0f0e0d0c-0b0a-4908-8706-050403020100"),
                new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
                hint,
                Password,
                kdf,
                salt,
                allowBelowFloor: true);
            seeds.Add((name, (byte[])sealedBackup.Data.Clone()));
        }

        Add("seed-tiny", 32, "fuzz seed", new KdfParameters(64, 1, 1), 0x10);
        Add("seed-four-lanes", 16, string.Empty, new KdfParameters(32, 2, 4), 0x20);
        Add("seed-unicode-hint", 64, "Pferd " + char.ConvertFromUtf32(0x1F434) + " \u2014 Batterie", new KdfParameters(128, 1, 2), 0x30);
        return seeds;
    }

    /// <summary>
    /// The Argon2id implementations every input goes through: BouncyCastle, and the native libargon2 when it is this
    /// process's choice (present and self-tested; $env:SSOSECRET_KDF = 'BouncyCastle' leaves it out).
    /// </summary>
    internal static readonly IReadOnlyList<Argon2Provider> Providers = Argon2.Selection.Provider is NativeArgon2 native
        ? new Argon2Provider[] { BouncyCastleArgon2.Instance, native }
        : new Argon2Provider[] { BouncyCastleArgon2.Instance };

    /// <summary>
    /// Runs the reader on the input and on its checksum-fixed variant, once with each of <see cref="Providers"/>, which
    /// must give the same outcomes. Returns the two outcomes.
    /// </summary>
    internal static string Run(byte[] input)
    {
        string? first = null;
        foreach (var provider in Providers)
        {
            using var scope = Argon2.Use(provider);
            string outcome = Check(input);
            var fixedUp = WithChecksumRecomputed(input);
            outcome = fixedUp is null ? outcome : outcome + " / checksum recomputed: " + Check(fixedUp);
            if (first is not null && outcome != first)
            {
                throw new FuzzFindingException($"{provider.Name} gave '{outcome}', {Providers[0].Name} gave '{first}'");
            }

            first = outcome;
        }

        return first!;
    }

    private static string Check(byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        SsoSecretFailure? headerFailure = null;
        try
        {
            BackupEnvelope.ReadHeader(input);
        }
        catch (BackupException e)
        {
            headerFailure = e.Failure;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (input.Length <= BackupEnvelope.MaxInputLength + 1 && allocated > ParseAllocationBound)
        {
            throw new FuzzFindingException($"reading the header allocated {allocated} bytes");
        }

        before = GC.GetAllocatedBytesForCurrentThread();
        byte[]? secret = null;
        SsoSecretFailure? openFailure = null;
        try
        {
            secret = BackupEnvelope.Open(input, Password, Limits, out _);
        }
        catch (BackupException e)
        {
            openFailure = e.Failure;
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (input.Length <= BackupEnvelope.MaxInputLength + 1 && allocated > s_openAllocationBound)
        {
            throw new FuzzFindingException($"opening allocated {allocated} bytes");
        }

        if (headerFailure is not null && headerFailure != openFailure)
        {
            throw new FuzzFindingException($"the header check said {headerFailure}, opening said {openFailure?.ToString() ?? "success"}");
        }

        if (openFailure is not null)
        {
            if (!Enum.IsDefined(openFailure.Value))
            {
                throw new FuzzFindingException($"undefined failure {openFailure}");
            }

            return openFailure.Value.ToString();
        }

        var content = Armor.LooksArmored(input) && !StartsWithMagic(input) ? Armor.Decode(input) : input;
        if (!s_seeds.Any(s => s.Binary.AsSpan().SequenceEqual(content)))
        {
            throw new FuzzFindingException("content that is not a known seed opened");
        }

        if (secret is null || secret.Length < BackupEnvelope.MinSecretLength)
        {
            throw new FuzzFindingException("opening succeeded without a secret");
        }

        return "opened";
    }

    /// <summary>The input with its checksum recomputed, or null when it is neither a binary backup nor armor around one.</summary>
    internal static byte[]? WithChecksumRecomputed(byte[] input)
    {
        if (input.Length > BackupEnvelope.MaxInputLength)
        {
            return null;
        }

        bool armored = !StartsWithMagic(input);
        byte[] binary;
        if (armored)
        {
            try
            {
                binary = Armor.Decode(input);
            }
            catch (BackupException)
            {
                return null;
            }
        }
        else
        {
            binary = (byte[])input.Clone();
        }

        if (!StartsWithMagic(binary) || binary.Length < BackupEnvelope.MinLength)
        {
            return null;
        }

        var checksum = Primitives.Sha256(binary, 0, binary.Length - Primitives.Sha256Length);
        Buffer.BlockCopy(checksum, 0, binary, binary.Length - Primitives.Sha256Length, Primitives.Sha256Length);
        return armored ? Encoding.ASCII.GetBytes(Armor.Encode(binary)) : binary;
    }

    private static bool StartsWithMagic(byte[] data) =>
        data.Length >= BackupEnvelope.Magic.Length && data.AsSpan(0, BackupEnvelope.Magic.Length).SequenceEqual(BackupEnvelope.Magic);
}
