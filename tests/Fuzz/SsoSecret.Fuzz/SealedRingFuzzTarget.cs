using System;
using System.Collections.Generic;
using System.Linq;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.Vault;

namespace SsoSecret.Fuzz;

/// <summary>
/// The replica's reader of a sealed ring (SealedRing.Open, docs/environment-format.md, versions 1 and 2) under the
/// oracle discipline of the other readers: it may answer only with an <see cref="EnvironmentException"/> of the page's
/// outcomes, or with a ring (and, in version 2, an intact vault) whose digests are the header's; it stays within its
/// allocation bound. Each input is read as it is; with its checksum recomputed and signed again with the fuzzer's own
/// master key (the key the replica pinned), so that mutations reach the checks behind the signature; and, sealed by
/// that master as a ring body and as a vault, so that arbitrary bytes reach the replica's last checks (the ring's
/// rules, the vault's reader), where only InvalidRing may refuse them.
/// </summary>
internal static class SealedRingFuzzTarget
{
    /// <summary>What one read may allocate, over a few times the input (the payload, the ring, the vault's copies).</summary>
    private const long AllocationBound = 4L * 1024 * 1024;

    private static readonly SsoSecretFailure[] s_outcomes =
    {
        SsoSecretFailure.DamagedSealedRing, SsoSecretFailure.UnsupportedVersion, SsoSecretFailure.WrongReplica, SsoSecretFailure.UnknownMaster,
        SsoSecretFailure.TamperedSealedRing, SsoSecretFailure.StaleRing, SsoSecretFailure.ForkedRing, SsoSecretFailure.InvalidRing,
    };

    private static readonly DateTimeOffset s_created = DateTimeOffset.FromUnixTimeSeconds(1772323200);
    private static readonly MasterEnvironmentKey s_master = new(Guid.Parse("3c9e1f2a-7b4d-4e8f-9a6b-5c3d2e1f0a9b"), Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    private static readonly ReplicaHostKey s_host = new(Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    private static readonly List<(string Name, byte[] Data)> s_seeds = MakeSeeds();

    /// <summary>The deterministic sealed ring seeds (version 1, version 2 with an empty vault and with the vault seeds' five entries), written by "write-seeds".</summary>
    internal static IReadOnlyList<(string Name, byte[] Data)> Seeds => s_seeds;

    private static List<(string Name, byte[] Data)> MakeSeeds()
    {
        using var ring = Ring();
        var fileKey = Enumerable.Range(0xc0, 32).Select(i => (byte)i).ToArray();
        var ephemeral = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        return new List<(string, byte[])>
        {
            ("ring-v1", SealedRing.Seal(ring, null, 7, s_created, s_master, s_host.PublicKey, fileKey, ephemeral)),
            ("ring-v2-empty-vault", SealedRing.Seal(ring, VaultFile.Serialize(new List<VaultEntry>(), "seed"), 8, s_created, s_master, s_host.PublicKey, fileKey, ephemeral)),
            ("ring-v2-vault", SealedRing.Seal(ring, VaultFuzzTarget.Seeds.First(s => s.Name == "vault-five").Data, 9, s_created, s_master, s_host.PublicKey, fileKey, ephemeral)),
        };
    }

    private static EnvironmentRing Ring() => new(new[]
    {
        new RingSecret(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), RingSecretState.Active, DateTimeOffset.FromUnixTimeMilliseconds(1767225600123), null, Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray()),
        new RingSecret(Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5"), RingSecretState.Earlier, DateTimeOffset.FromUnixTimeMilliseconds(1764547200000), DateTimeOffset.FromUnixTimeMilliseconds(1767225600123), Enumerable.Range(0x10, 16).Select(i => (byte)i).ToArray()),
    });

    /// <summary>Every variant of the input through the replica's reader. Returns their outcomes.</summary>
    internal static string Run(byte[] input)
    {
        var outcomes = new List<string> { Check(input) };
        if (ReSigned(input) is byte[] signed)
        {
            outcomes.Add("re-signed: " + Check(signed));
        }

        if (input.Length >= EnvironmentRing.MinBodyLength && input.Length <= EnvironmentRing.MaxBodyLength)
        {
            outcomes.Add("as a body: " + Check(SealedRing.SealBody(input, VaultFile.Serialize(new List<VaultEntry>(), "seed"), 10, s_created, s_master, s_host.PublicKey)));
        }

        if (input.Length >= SealedRing.MinVaultLength && input.Length <= 1024 * 1024)
        {
            using var ring = Ring();
            outcomes.Add("as a vault: " + Check(SealedRing.Seal(ring, input, 10, s_created, s_master, s_host.PublicKey)));
        }

        return string.Join(" / ", outcomes);
    }

    /// <summary>The oracle for one input: the outcome's name, or a <see cref="FuzzFindingException"/>.</summary>
    internal static string Check(byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var opened = SealedRing.Open(input, s_host, s_master.Identity, null);
            CheckAllocation(before, input);
            var body = opened.Ring.Encode();
            if (!EnvironmentRing.Digest(body).AsSpan().SequenceEqual(opened.Header.Digest))
            {
                throw new FuzzFindingException("the replica accepted a ring whose body is not the one its digest names");
            }

            if (opened.Header.Version == 2)
            {
                if (opened.Vault is null || !SealedRing.VaultDigest(opened.Vault).AsSpan().SequenceEqual(opened.Header.VaultDigest!))
                {
                    throw new FuzzFindingException("the replica accepted a version 2 ring without the vault its digest names");
                }

                if (!VaultFile.Deserialize(opened.Vault, "fuzz ring vault").IsIntact)
                {
                    throw new FuzzFindingException("the replica accepted a vault that is not intact");
                }
            }

            // The same ring held: the same ring and vault, nothing to install.
            using var again = SealedRing.Open(input, s_host, s_master.Identity, new HeldRing(opened.Header.Generation, opened.Header.Digest, opened.Header.VaultDigest));
            if (!again.SameAsHeld || !again.VaultSameAsHeld)
            {
                throw new FuzzFindingException("a ring opened with itself held was not the same as held");
            }

            return $"installed (version {opened.Header.Version})";
        }
        catch (EnvironmentException e)
        {
            if (Array.IndexOf(s_outcomes, e.Failure) < 0)
            {
                throw new FuzzFindingException($"the replica's reader failed with {e.Failure}, not one of the page's outcomes");
            }

            CheckAllocation(before, input);
            return e.Failure.ToString();
        }
    }

    /// <summary>
    /// The input signed again by the fuzzer's master (the checksum made again after), when it starts like a sealed ring
    /// of a version this reader knows and its lengths place the signature inside it; else null.
    /// </summary>
    internal static byte[]? ReSigned(byte[] input)
    {
        if (input.Length < SealedRing.MinLength || input.Length > SealedRing.MaxLength || !input.AsSpan(0, SealedRing.Magic.Length).SequenceEqual(SealedRing.Magic))
        {
            return null;
        }

        int version = BigEndian.ReadUInt16(input, SealedRing.VersionOffset);
        if (version != 1 && version != 2)
        {
            return null;
        }

        var layout = SealedRingLayout.Of(version);
        long payload = BigEndian.ReadUInt16(input, SealedRing.BodyLengthOffset) + (layout.HasVault ? BigEndian.ReadUInt32(input, SealedRing.VaultLengthOffset) : 0);
        long signatureOffset = layout.SealedBodyOffset + payload + Primitives.TagLength;
        if (signatureOffset + Primitives.Ed25519SignatureLength + Primitives.Sha256Length != input.Length)
        {
            return null;
        }

        var copy = (byte[])input.Clone();
        var signature = s_master.Sign(SealedRing.SignedMessage(copy, (int)signatureOffset));
        Buffer.BlockCopy(signature, 0, copy, (int)signatureOffset, Primitives.Ed25519SignatureLength);
        Buffer.BlockCopy(Primitives.Sha256(copy, 0, copy.Length - Primitives.Sha256Length), 0, copy, copy.Length - Primitives.Sha256Length, Primitives.Sha256Length);
        return copy;
    }

    /// <summary>True when the input starts like a sealed ring (its magic).</summary>
    internal static bool LooksLikeSealedRing(byte[] input) =>
        input.Length >= SealedRing.Magic.Length && input.AsSpan(0, SealedRing.Magic.Length).SequenceEqual(SealedRing.Magic);

    private static void CheckAllocation(long before, byte[] input)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBound + (12L * input.Length))
        {
            throw new FuzzFindingException($"reading a sealed ring of {input.Length} bytes allocated {allocated} bytes");
        }
    }

    private static byte[] Hex(string text) => Enumerable.Range(0, text.Length / 2).Select(i => Convert.ToByte(text.Substring(2 * i, 2), 16)).ToArray();
}
