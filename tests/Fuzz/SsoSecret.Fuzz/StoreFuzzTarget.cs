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
    private const long AllocationBound = 8L * 1024 * 1024;

    // docs/store-format.md's version 3 vectors.
    private const string MasterVector =
        "53534f53544f524500030003046f1c9a4e2b3d4c5e8f701a2b3c4d5e6f0000019b76daa87b0020a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8"
        + "b9babbbcbdbebf020000019b76daabe8002a2f7661722f6261636b7570732f73736f2f6d61737465722d7365637265742d323032362d30312e62616b0000019b"
        + "76daa9f400322f6d6e742f6f6666736974652f73736f2f6dc3bc6c6c65722f6d61737465722d7365637265742d323032362d30312e62616b9a8b7c6d5e4f4a3b"
        + "8c2d1e0f9a8b7c6d0000019ca6b1d8180020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f000b5e8c3a9d7f4e21a6b4c8d2e0"
        + "f1a3b50000019ad73584000000019b76daa87b0020030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc010000019ad73587e8002a"
        + "2f7661722f6261636b7570732f73736f2f6d61737465722d7365637265742d323032352d31322e62616b3d2c1b0a4f5e4a6b9c8d7e6f5a4b3c2d0000019a3cb6"
        + "bc000000019ad73584000010f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00013c9e1f2a7b4d4e8f9a6b5c3d2e1f0a9b000000000000000746be9d8cf2bd860d7c5c"
        + "ecb871cf5125b2922acc59540ca72ad727c5bd245672";

    private const string ReplicaVector =
        "53534f53544f524500030003046f1c9a4e2b3d4c5e8f701a2b3c4d5e6f0000019b76daa87b0020a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8"
        + "b9babbbcbdbebf009a8b7c6d5e4f4a3b8c2d1e0f9a8b7c6d0000019ca6b1d8180020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d"
        + "5e5f000b5e8c3a9d7f4e21a6b4c8d2e0f1a3b50000019ad73584000000019b76daa87b0020030a11181f262d343b424950575e656c737a81888f969da4abb2b9"
        + "c0c7ced5dc003d2c1b0a4f5e4a6b9c8d7e6f5a4b3c2d0000019a3cb6bc000000019ad73584000010f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00023c9e1f2a7b4d"
        + "4e8f9a6b5c3d2e1f0a9bd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00000000000000070000019ca6b1ef889ae2bdc0ff41"
        + "a066a10d716caa469beb5bdc267fa70da5c9b85b8303030fcf0f";

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
        var full = new StoreState { Current = current, Earlier = { Secret(16, 0x03, 2).AsReplaced(created.AddDays(1)), Secret(24, 0x05, 5).AsReplaced(created) } };
        full.Record(new BackupRecord(created.AddSeconds(1), current.Id, "/var/backups/sso/m\u00e4ster-secret \u2713.bak"));
        full.Record(new BackupRecord(created, full.Earlier[0].Id, "C:\\Backups\\a.bak"));
        Add("store-full", full);
        Add("store-largest-secret", new StoreState { Current = Secret(BackupEnvelope.MaxSecretLength, 0x11, 3), Earlier = { Secret(BackupEnvelope.MaxSecretLength, 0x22, 4).AsReplaced(created) } });
        Add("store-earlier-only", new StoreState { Earlier = { Secret(16, 0x33, 6).AsReplaced(created) } });

        // Version 3 (an environment's master and replicas): the vectors of docs/store-format.md ("Version 3, a master",
        // "Version 3, a replica"), and a replica that just joined (the pin, no ring).
        seeds.Add(("store-v3-master", Convert.FromHexString(MasterVector)));
        seeds.Add(("store-v3-replica", Convert.FromHexString(ReplicaVector)));
        var pinned = new MasterIdentity(new Guid("3c9e1f2a-7b4d-4e8f-9a6b-5c3d2e1f0a9b"), Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        Add("store-v3-replica-joined", new StoreState { Environment = StoreEnvironment.Replica(pinned, 0, created) });

        // Version 1, as an earlier SsoSecret wrote it: the vector of docs/store-format.md ("Version 1").
        seeds.Add(("store-version-1", Convert.FromHexString(
            "53534f53544f5245000100076f1c9a4e2b3d4c5e8f701a2b3c4d5e6f0000019b76daa87b0020a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9"
            + "babbbcbdbebf0b5e8c3a9d7f4e21a6b4c8d2e0f1a3b50000019ad73584000000019b76daa87b0020030a11181f262d343b424950575e656c737a81888f969da4"
            + "abb2b9c0c7ced5dc0000019b76daabe86f1c9a4e2b3d4c5e8f701a2b3c4d5e6f00222f7661722f6261636b7570732f73736f2f6d61737465722d736563726574"
            + "2e62616b2de93fcaee95b6736076cea4ca237a22fa523799991d27c59be83489386fd52b")));
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
        int version = 0;
        try
        {
            state = StoreFile.Deserialize(input, "fuzz", out version);
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
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && version == StoreFile.Version && !again.AsSpan().SequenceEqual(input))
            {
                throw new FuzzFindingException("the store reader accepted a file that is not the canonical form of what it read");
            }

            if (version == StoreFile.Version1)
            {
                // A version 1 file becomes version 2 when written, holding the same ring.
                using var migrated = StoreFile.Deserialize(again, "migrated");
                if (!System.Linq.Enumerable.SequenceEqual(System.Linq.Enumerable.Select(state.Ring, s => (s.Id, s.Fingerprint, s.Replaced, s.Backups.Count)), System.Linq.Enumerable.Select(migrated.Ring, s => (s.Id, s.Fingerprint, s.Replaced, s.Backups.Count))))
                {
                    throw new FuzzFindingException("a version 1 file read, but version 2 writes back another ring");
                }
            }

            foreach (var secret in state.Ring)
            {
                if (secret is not null && (secret.Secret.Length < BackupEnvelope.MinSecretLength || secret.Secret.Length > BackupEnvelope.MaxSecretLength))
                {
                    throw new FuzzFindingException($"the store reader accepted a secret of {secret.Secret.Length} bytes");
                }
            }

            if (state.Earlier.Exists(e => e.Replaced is null))
            {
                throw new FuzzFindingException("the store reader accepted an earlier secret without its replacement time");
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
