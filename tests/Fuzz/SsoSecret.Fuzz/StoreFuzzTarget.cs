using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using SsoSecret.Crypto;
using SsoSecret.Store;

namespace SsoSecret.Fuzz;

/// <summary>
/// The store file reader (StoreFile.Deserialize, docs/store-format.md) under the same oracle discipline as the backup
/// reader: it may answer only with <see cref="StoreException"/> of <see cref="SsoSecretFailure.StoreDamaged"/>; it stays
/// within its allocation bound; and it accepts only canonical files: whatever it reads, writing the state it read gives
/// the input back byte for byte (so no two files mean the same state, and nothing in a file is silently ignored). The
/// store file has no authentication beyond its checksum, so a file with its checksum recomputed may well be read; the
/// round trip is what success must prove. Each input is read as it is and with its checksum recomputed.
/// </summary>
internal static class StoreFuzzTarget
{
    /// <summary>What one read may allocate: the input is at most 128 KiB; the states it builds are smaller.</summary>
    private const long AllocationBound = 2L * 1024 * 1024;

    private static readonly List<(string Name, byte[] Data)> s_seeds = MakeSeeds();

    /// <summary>The deterministic store seeds, written to the corpus by "write-seeds".</summary>
    internal static IReadOnlyList<(string Name, byte[] Data)> Seeds => s_seeds;

    private static List<(string Name, byte[] Data)> MakeSeeds()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
        StoredSecret Secret(int length, byte start, int id) =>
            new(new Guid(id, 0x2b3d, 0x4c5e, 0x8f, 0x70, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f), created, Enumerable.Range(0, length).Select(i => (byte)(start + i)).ToArray());
        var seeds = new List<(string, byte[])>();
        void Add(string name, StoreState state)
        {
            using (state)
            {
                seeds.Add((name, StoreFile.Serialize(state)));
            }
        }

        Add("store-empty", new StoreState());
        Add("store-current", new StoreState { Current = Secret(32, 0xa0, 1) });
        var current = Secret(32, 0xa0, 1);
        Add("store-full", new StoreState
        {
            Current = current,
            Previous = Secret(16, 0x03, 2).AsReplaced(created.AddDays(1)),
            LastBackup = new BackupRecord(created.AddSeconds(1), current.Id, "/var/backups/sso/m\u00e4ster-secret \u2713.bak"),
        });
        Add("store-largest-secret", new StoreState { Current = Secret(BackupEnvelope.MaxSecretLength, 0x11, 3), Previous = Secret(BackupEnvelope.MaxSecretLength, 0x22, 4).AsReplaced(created) });
        Add("store-backup-only", new StoreState { LastBackup = new BackupRecord(created, Guid.Empty, "C:\\Backups\\a.bak") });
        return seeds;
    }

    /// <summary>Runs the reader on the input and on its checksum-fixed variant. Returns the two outcomes.</summary>
    internal static string Run(byte[] input)
    {
        string outcome = Check(input);
        var fixedUp = WithChecksumRecomputed(input);
        return fixedUp is null ? outcome : outcome + " / checksum recomputed: " + Check(fixedUp);
    }

    /// <summary>The oracle for one input: the outcome's name, or a <see cref="FuzzFindingException"/>.</summary>
    internal static string Check(byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        StoreState? state = null;
        try
        {
            state = StoreFile.Deserialize(input, "fuzz");
        }
        catch (StoreException e)
        {
            if (e.Failure != SsoSecretFailure.StoreDamaged)
            {
                throw new FuzzFindingException($"the store reader failed with {e.Failure}, not StoreDamaged");
            }

            CheckAllocation(before, input);
            return "StoreDamaged";
        }

        using (state)
        {
            CheckAllocation(before, input);

            // On Windows the writer protects each secret with DPAPI, whose bytes differ at every call: there the round
            // trip cannot be compared byte for byte (the fuzzer runs on Linux).
            var again = StoreFile.Serialize(state);
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && !again.AsSpan().SequenceEqual(input))
            {
                throw new FuzzFindingException("the store reader accepted a file that is not the canonical form of what it read");
            }

            foreach (var secret in new[] { state.Current, state.Previous })
            {
                if (secret is not null && (secret.Secret.Length < BackupEnvelope.MinSecretLength || secret.Secret.Length > BackupEnvelope.MaxSecretLength))
                {
                    throw new FuzzFindingException($"the store reader accepted a secret of {secret.Secret.Length} bytes");
                }
            }

            if (state.Previous is not null && state.Previous.Replaced is null)
            {
                throw new FuzzFindingException("the store reader accepted a previous secret without its replacement time");
            }

            return "read";
        }
    }

    private static void CheckAllocation(long before, byte[] input)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (input.Length <= StoreFile.MaxLength + 1 && allocated > AllocationBound)
        {
            throw new FuzzFindingException($"reading a store file of {input.Length} bytes allocated {allocated} bytes");
        }
    }

    /// <summary>The input with its checksum recomputed, or null when it is too short to hold one or does not start like a store file.</summary>
    internal static byte[]? WithChecksumRecomputed(byte[] input)
    {
        if (input.Length < StoreFile.Magic.Length + 4 + Primitives.Sha256Length || input.Length > StoreFile.MaxLength || !input.AsSpan(0, StoreFile.Magic.Length).SequenceEqual(StoreFile.Magic))
        {
            return null;
        }

        var copy = (byte[])input.Clone();
        var checksum = Primitives.Sha256(copy, 0, copy.Length - Primitives.Sha256Length);
        Buffer.BlockCopy(checksum, 0, copy, copy.Length - Primitives.Sha256Length, Primitives.Sha256Length);
        return copy;
    }

    /// <summary>True when the input starts like a store file (its magic), so the mutator aims at the store's fields.</summary>
    internal static bool LooksLikeStore(byte[] input) =>
        input.Length >= StoreFile.Magic.Length && input.AsSpan(0, StoreFile.Magic.Length).SequenceEqual(StoreFile.Magic);
}
