using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Vault;
using Xunit;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret.Tests;

/// <summary>
/// The sealed ring, the key lines and the key files (docs/environment-format.md) beyond the page's vectors: round trips,
/// the replica's refusals in the page's order, what a relaying machine that holds only public keys can and cannot do,
/// a changed byte anywhere, and bounds.
/// </summary>
public sealed class EnvironmentTests : IDisposable
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.FromUnixTimeSeconds(1772323200);

    private readonly MasterEnvironmentKey _master = MasterEnvironmentKey.Generate();
    private readonly ReplicaHostKey _replica = ReplicaHostKey.Generate();
    private readonly ReplicaHostKey _otherReplica = ReplicaHostKey.Generate();

    public void Dispose()
    {
        _master.Dispose();
        _replica.Dispose();
        _otherReplica.Dispose();
    }

    private static RingSecret Secret(RingSecretState state, int length = 32, long replaced = 1767225600123, Guid? id = null) => new(
        id ?? Guid.NewGuid(),
        state,
        DateTimeOffset.FromUnixTimeMilliseconds(1764547200000),
        state == RingSecretState.Earlier ? DateTimeOffset.FromUnixTimeMilliseconds(replaced) : null,
        Primitives.RandomBytes(length));

    private static EnvironmentRing FourSecrets() => new(new[]
    {
        Secret(RingSecretState.Active),
        Secret(RingSecretState.Staged),
        Secret(RingSecretState.Earlier, replaced: 1767225600123),
        Secret(RingSecretState.Earlier, length: 16, replaced: 1764547200000),
    });

    // Version 1 (the ring alone) unless a vault is given; the store always seals version 2.
    private byte[] Seal(EnvironmentRing ring, long generation = 5, byte[]? vault = null) => SealedRing.Seal(ring, vault, generation, s_now, _master, _replica.PublicKey);

    private OpenedRing Open(byte[] file, HeldRing? held = null, ReplicaHostKey? host = null, MasterIdentity? pin = null) =>
        SealedRing.Open(file, host ?? _replica, pin ?? _master.Identity, held);

    private static SsoSecretFailure FailureOf(Action action) => Assert.ThrowsAny<SsoSecretException>(action).Failure;

    /// <summary>Each byte before the checksum changed in turn (its top bit), the checksum made again: the failure <paramref name="expected"/> gives for its offset.</summary>
    private void AssertEachFlippedByte(byte[] file, Func<int, SsoSecretFailure> expected)
    {
        for (int i = 0; i < file.Length - 32; i++)
        {
            var changed = (byte[])file.Clone();
            changed[i] ^= 0x80;
            Rechecksum(changed);
            var failure = expected(i);
            Assert.True(failure == FailureOf(() => Open(changed)), $"byte {i}: expected {failure}");
        }
    }

    private static void Rechecksum(byte[] file) =>
        Buffer.BlockCopy(Primitives.Sha256(file, 0, file.Length - 32), 0, file, file.Length - 32, 32);

    [Fact]
    public void ARingRoundTripsWithEverySecretAndState()
    {
        using var ring = FourSecrets();
        var file = Seal(ring, generation: 42);
        using var opened = Open(file);
        Assert.Equal(42, opened.Header.Generation);
        Assert.Equal(_master.EnvironmentId, opened.Header.EnvironmentId);
        Assert.Equal(s_now, opened.Header.Created);
        Assert.Equal(ring.Secrets.Count, opened.Ring.Secrets.Count);
        for (int i = 0; i < ring.Secrets.Count; i++)
        {
            Assert.Equal(ring.Secrets[i].Id, opened.Ring.Secrets[i].Id);
            Assert.Equal(ring.Secrets[i].State, opened.Ring.Secrets[i].State);
            Assert.Equal(ring.Secrets[i].Created, opened.Ring.Secrets[i].Created);
            Assert.Equal(ring.Secrets[i].Replaced, opened.Ring.Secrets[i].Replaced);
            Assert.Equal(ring.Secrets[i].Secret, opened.Ring.Secrets[i].Secret);
        }

        Assert.Same(opened.Ring.Secrets[0], opened.Ring.Active);
        Assert.Same(opened.Ring.Secrets[1], opened.Ring.Staged);

        // Held: a newer generation installs; the same generation and digest is the same ring.
        using var newer = Open(file, new HeldRing(41, new byte[32]));
        Assert.False(newer.SameAsHeld);
        using var same = Open(file, new HeldRing(42, opened.Header.Digest));
        Assert.True(same.SameAsHeld);
    }

    [Fact]
    public void TheSmallestAndTheLargestRingsRoundTrip()
    {
        using var smallest = new EnvironmentRing(new[] { Secret(RingSecretState.Active, length: 16) });
        var small = Seal(smallest);
        Assert.Equal(SealedRingLayout.V1.MinLength, small.Length);
        using (var opened = Open(small))
        {
            Assert.Null(opened.Ring.Staged);
        }

        var secrets = new List<RingSecret> { Secret(RingSecretState.Active, length: 1024) };
        for (int i = 1; i < EnvironmentRing.MaxSecrets; i++)
        {
            secrets.Add(Secret(RingSecretState.Earlier, length: 1024, replaced: 1767225600123 - i));
        }

        using var largest = new EnvironmentRing(secrets);
        var large = Seal(largest);
        Assert.Equal(SealedRingLayout.V1.MaxLength - 8, large.Length); // the active secret has no replaced time
        using var openedLarge = Open(large);
        Assert.Equal(32, openedLarge.Ring.Secrets.Count);
    }

    [Fact]
    public void AWriterRefusesARingTheReaderWouldRefuseBeforeSealingIt()
    {
        var id = Guid.NewGuid();
        var cases = new List<RingSecret[]>
        {
            new[] { Secret(RingSecretState.Active, id: id), Secret(RingSecretState.Earlier, id: id) },
            new[] { Secret(RingSecretState.Earlier) },
            new[] { Secret(RingSecretState.Staged) },
            new[] { Secret(RingSecretState.Active), Secret(RingSecretState.Staged), Secret(RingSecretState.Staged) },
            new[] { Secret(RingSecretState.Active), Secret(RingSecretState.Earlier), Secret(RingSecretState.Staged) },
            new[] { Secret(RingSecretState.Active), Secret(RingSecretState.Active) },
            new[] { Secret(RingSecretState.Active), Secret(RingSecretState.Earlier, replaced: 1), Secret(RingSecretState.Earlier, replaced: 2) },
            new[] { Secret(RingSecretState.Active, length: 15) },
            Enumerable.Range(0, 33).Select(i => Secret(i == 0 ? RingSecretState.Active : RingSecretState.Earlier, length: 16, replaced: 1000 - i)).ToArray(),
        };
        foreach (var secrets in cases)
        {
            using var ring = new EnvironmentRing(secrets);
            Assert.Equal(SsoSecretFailure.InvalidRing, FailureOf(() => Seal(ring)));
        }
    }

    /// <summary>Each pair fails two checks; the replica reports the earlier one in the page's order.</summary>
    [Fact]
    public void TheReplicaRefusesInThePagesOrder()
    {
        using var ring = FourSecrets();
        var file = Seal(ring, generation: 5);
        var digest = SealedRing.ReadHeader(file).Digest;
        using var stranger = MasterEnvironmentKey.Generate(_master.EnvironmentId);
        var otherEnvironment = new MasterIdentity(Guid.NewGuid(), _master.Identity.PublicKey);
        var tampered = (byte[])file.Clone();
        tampered[SealedRing.CreatedOffset + 7] ^= 1;
        Rechecksum(tampered);
        var damaged = (byte[])tampered.Clone();
        damaged[300] ^= 1;

        // Damage before the recipient.
        Assert.Equal(SsoSecretFailure.DamagedSealedRing, FailureOf(() => Open(damaged, host: _otherReplica)));
        // The recipient before the pin.
        Assert.Equal(SsoSecretFailure.WrongReplica, FailureOf(() => Open(file, host: _otherReplica, pin: stranger.Identity)));
        // The environment, then the key, before the signature.
        Assert.Equal(SsoSecretFailure.UnknownMaster, FailureOf(() => Open(tampered, pin: otherEnvironment)));
        Assert.Equal(SsoSecretFailure.UnknownMaster, FailureOf(() => Open(tampered, pin: stranger.Identity)));
        // The signature before replay and fork.
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(tampered, new HeldRing(6, digest))));
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(tampered, new HeldRing(5, new byte[32]))));
        // Replay, fork.
        Assert.Equal(SsoSecretFailure.StaleRing, FailureOf(() => Open(file, new HeldRing(6, digest))));
        Assert.Equal(SsoSecretFailure.ForkedRing, FailureOf(() => Open(file, new HeldRing(5, new byte[32]))));

        // A ring the master wrote wrongly is refused after replay and fork.
        var bad = EnvironmentRing.EncodeUnchecked(new[] { Secret(RingSecretState.Earlier) });
        var badFile = SealedRing.SealBody(bad, null, 5, s_now, _master, _replica.PublicKey);
        var badDigest = SealedRing.ReadHeader(badFile).Digest;
        Assert.Equal(SsoSecretFailure.StaleRing, FailureOf(() => Open(badFile, new HeldRing(6, badDigest))));
        Assert.Equal(SsoSecretFailure.ForkedRing, FailureOf(() => Open(badFile, new HeldRing(5, digest))));
        Assert.Equal(SsoSecretFailure.InvalidRing, FailureOf(() => Open(badFile, new HeldRing(5, badDigest))));
        Assert.Equal(SsoSecretFailure.InvalidRing, FailureOf(() => Open(badFile)));
    }

    /// <summary>
    /// The relaying machine holds the master's public line and the replicas' public lines, and every ring it relayed.
    /// Nothing it can make from them is accepted.
    /// </summary>
    [Fact]
    public void ARelayHoldingOnlyPublicKeysCannotMakeARingTheReplicaAccepts()
    {
        using var genuineRing = FourSecrets();
        var genuine = Seal(genuineRing, generation: 5);
        var pin = MasterIdentity.Parse(_master.EnvironmentId, _master.Identity.PublicKeyLine);
        var replicaLine = ReplicaPublicKey.Parse(_replica.PublicKey.Text);

        // 1. Sealing its own ring to the replica's line (X25519 alone would allow this), signed with its own key.
        using var relayKey = MasterEnvironmentKey.Generate(_master.EnvironmentId);
        using var chosen = FourSecrets(); // secrets it knows, in a ring of the genuine one's shape and length
        var own = SealedRing.Seal(chosen, null, 6, s_now, relayKey, replicaLine);
        Assert.Equal(SsoSecretFailure.UnknownMaster, FailureOf(() => Open(own, pin: pin)));

        // 2. The same, with the master's public key written over its own in the header.
        var forged = (byte[])own.Clone();
        Buffer.BlockCopy(pin.PublicKey, 0, forged, SealedRing.MasterKeyOffset, 32);
        Rechecksum(forged);
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(forged, pin: pin)));

        // 3. The genuine signature moved onto its own ciphertext (same header, same length).
        var spliced = (byte[])forged.Clone();
        Assert.Equal(genuine.Length, spliced.Length);
        int signature = SealedRing.SignatureOffset(SealedRing.ReadHeader(genuine).BodyLength);
        Buffer.BlockCopy(genuine, signature, spliced, signature, 64);
        Rechecksum(spliced);
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(spliced, pin: pin)));

        // 4. A genuine ring for one replica re-aimed at another (the stanza's fingerprint rewritten).
        var reaimed = (byte[])genuine.Clone();
        Buffer.BlockCopy(_otherReplica.PublicKey.FingerprintBytes, 0, reaimed, SealedRing.StanzaOffset + 1, 16);
        Rechecksum(reaimed);
        Assert.Equal(SsoSecretFailure.WrongReplica, FailureOf(() => Open(genuine, host: _otherReplica, pin: pin)));
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(reaimed, host: _otherReplica, pin: pin)));

        // 5. A genuine ring renumbered past what the replica holds, or replayed after a newer one.
        var renumbered = (byte[])genuine.Clone();
        BigEndian.WriteUInt64(renumbered, SealedRing.GenerationOffset, 9);
        Rechecksum(renumbered);
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(renumbered, pin: pin)));
        Assert.Equal(SsoSecretFailure.StaleRing, FailureOf(() => Open(genuine, new HeldRing(6, new byte[32]), pin: pin)));

        // 6. Its own key pinned in place of the master's needs the replica to trust its line: the fingerprint differs.
        Assert.NotEqual(pin.Fingerprint, relayKey.Identity.Fingerprint);

        // What it relays it can check with public keys only, and it catches each forgery before the replica does.
        Assert.Equal(5, SealedRing.Verify(genuine, pin, replicaLine).Generation);
        Assert.Equal(SsoSecretFailure.UnknownMaster, FailureOf(() => SealedRing.Verify(own, pin)));
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => SealedRing.Verify(forged, pin)));
        Assert.Equal(SsoSecretFailure.WrongReplica, FailureOf(() => SealedRing.Verify(genuine, pin, _otherReplica.PublicKey)));
    }

    [Fact]
    public void AFlippedByteAnywhereIsRefusedAsDamageOrAsANewerVersion()
    {
        using var ring = FourSecrets();
        var file = Seal(ring);
        for (int i = 0; i < file.Length; i++)
        {
            var changed = (byte[])file.Clone();
            changed[i] ^= 0x01;
            var expected = i == SealedRing.VersionOffset || i == SealedRing.VersionOffset + 1 ? SsoSecretFailure.UnsupportedVersion : SsoSecretFailure.DamagedSealedRing;
            Assert.True(expected == FailureOf(() => Open(changed)), $"byte {i}");
        }
    }

    /// <summary>A byte changed by someone who also recomputes the checksum: each region of the file has its own outcome.</summary>
    [Fact]
    public void AFlippedByteWithTheChecksumRecomputedIsRefusedByTheCheckOfItsField()
    {
        using var ring = FourSecrets();
        var file = Seal(ring);
        int signature = SealedRing.SignatureOffset(SealedRing.ReadHeader(file).BodyLength);
        AssertEachFlippedByte(file, i => i switch
        {
            < 8 => SsoSecretFailure.DamagedSealedRing,                                   // magic
            < 10 => SsoSecretFailure.UnsupportedVersion,                                 // version
            < 12 => SsoSecretFailure.DamagedSealedRing,                                  // flags
            < 28 => SsoSecretFailure.UnknownMaster,                                      // environment id
            SealedRing.GenerationOffset => SsoSecretFailure.DamagedSealedRing,           // generation's top bit: above 2^63 - 1
            < 36 => SsoSecretFailure.TamperedSealedRing,                                 // generation
            < 40 => SsoSecretFailure.DamagedSealedRing,                                  // created: past 9999
            < 44 => SsoSecretFailure.TamperedSealedRing,                                 // created
            < 76 => SsoSecretFailure.UnknownMaster,                                      // master public key
            < 108 => SsoSecretFailure.TamperedSealedRing,                                // digest
            < 110 => SsoSecretFailure.DamagedSealedRing,                                 // L: the length no longer adds up
            SealedRing.StanzaOffset => SsoSecretFailure.UnsupportedVersion,              // stanza type
            < SealedRing.StanzaOffset + 17 => SsoSecretFailure.WrongReplica,             // replica fingerprint
            _ => SsoSecretFailure.TamperedSealedRing,                                    // ephemeral, wrapped key, body, signature
        });

        Assert.True(signature < file.Length - 32);
    }

    /// <summary>Version 2 (with a vault): the same, for its own layout; the vault digest and length have theirs.</summary>
    [Fact]
    public void AFlippedByteOfAVersion2RingWithTheChecksumRecomputedIsRefusedByTheCheckOfItsField()
    {
        using var ring = FourSecrets();
        var vault = VaultFile.Serialize(Array.Empty<VaultEntry>(), "empty");
        var file = Seal(ring, vault: vault);
        int stanza = SealedRingLayout.V2.StanzaOffset;
        AssertEachFlippedByte(file, i => i switch
        {
            < 8 => SsoSecretFailure.DamagedSealedRing,                                   // magic
            < 10 => SsoSecretFailure.UnsupportedVersion,                                 // version
            < 12 => SsoSecretFailure.DamagedSealedRing,                                  // flags
            < 28 => SsoSecretFailure.UnknownMaster,                                      // environment id
            SealedRing.GenerationOffset => SsoSecretFailure.DamagedSealedRing,           // generation's top bit
            < 36 => SsoSecretFailure.TamperedSealedRing,                                 // generation
            < 40 => SsoSecretFailure.DamagedSealedRing,                                  // created: past 9999
            < 44 => SsoSecretFailure.TamperedSealedRing,                                 // created
            < 76 => SsoSecretFailure.UnknownMaster,                                      // master public key
            < 108 => SsoSecretFailure.TamperedSealedRing,                                // ring digest
            < 110 => SsoSecretFailure.DamagedSealedRing,                                 // L
            < 142 => SsoSecretFailure.TamperedSealedRing,                                // vault digest
            < 146 => SsoSecretFailure.DamagedSealedRing,                                 // V: out of bounds, or the length no longer adds up
            _ when i == stanza => SsoSecretFailure.UnsupportedVersion,                   // stanza type
            _ when i < stanza + 17 => SsoSecretFailure.WrongReplica,                     // replica fingerprint
            _ => SsoSecretFailure.TamperedSealedRing,                                    // ephemeral, wrapped key, payload, signature
        });

        // Whole, it opens to the ring and the vault; a version 1 ring's version field set to 2 is refused on its length.
        using (var opened = Open(file))
        {
            Assert.Equal(vault, opened.Vault);
        }

        var v1 = Seal(ring);
        BigEndian.WriteUInt16(v1, SealedRing.VersionOffset, 2);
        Rechecksum(v1);
        Assert.Equal(SsoSecretFailure.DamagedSealedRing, FailureOf(() => Open(v1)));
    }

    [Fact]
    public void AVersion2RingOnlyInstallsItsVaultWhenTheReplicaHoldsAnother()
    {
        using var ring = FourSecrets();
        var vault = VaultFile.Serialize(Array.Empty<VaultEntry>(), "empty");
        var file = Seal(ring, 6, vault);
        var header = SealedRing.ReadHeader(file);
        using (var newer = Open(file, new HeldRing(5, new byte[32], header.VaultDigest)))
        {
            Assert.False(newer.SameAsHeld);
            Assert.True(newer.VaultSameAsHeld);
        }

        using (var lost = Open(file, new HeldRing(6, header.Digest, new byte[32])))
        {
            Assert.True(lost.SameAsHeld);
            Assert.False(lost.VaultSameAsHeld);
        }

        // The replay and fork checks come first, whatever the vault.
        Assert.Equal(SsoSecretFailure.StaleRing, FailureOf(() => Open(file, new HeldRing(7, header.Digest, header.VaultDigest))));
        Assert.Equal(SsoSecretFailure.ForkedRing, FailureOf(() => Open(file, new HeldRing(6, new byte[32], header.VaultDigest))));
    }

    [Fact]
    public void BoundsAreRefusedBeforeAnythingIsAllocated()
    {
        // Longer than the largest ring: refused on its length (the caller reads at most MaxLength + 1 bytes).
        var huge = new byte[SealedRing.MaxLength + 1];
        Buffer.BlockCopy(SealedRing.Magic, 0, huge, 0, 8);
        huge[9] = 1;
        Assert.Equal(SsoSecretFailure.DamagedSealedRing, FailureOf(() => SealedRing.ReadHeader(huge)));

        // A body length field out of bounds, the checksum recomputed: refused at the fields.
        using var ring = FourSecrets();
        var file = Seal(ring);
        var longBody = (byte[])file.Clone();
        BigEndian.WriteUInt16(longBody, SealedRing.BodyLengthOffset, 0xFFFF);
        Rechecksum(longBody);
        Assert.Equal(SsoSecretFailure.DamagedSealedRing, FailureOf(() => Open(longBody)));

        // A ring of 33 secrets, or a secret longer than 1024 bytes, sealed by a faulty master: InvalidRing.
        var thirtyThree = EnvironmentRing.EncodeUnchecked(Enumerable.Range(0, 33).Select(i => Secret(i == 0 ? RingSecretState.Active : RingSecretState.Earlier, length: 16, replaced: 1000 - i)).ToArray());
        Assert.Equal(SsoSecretFailure.InvalidRing, FailureOf(() => Open(SealedRing.SealBody(thirtyThree, null, 5, s_now, _master, _replica.PublicKey))));
        var body = EnvironmentRing.EncodeUnchecked(new[] { Secret(RingSecretState.Active, length: 64) });
        BigEndian.WriteUInt16(body, 1 + 16 + 1 + 8, 1025);
        Assert.Equal(SsoSecretFailure.InvalidRing, FailureOf(() => Open(SealedRing.SealBody(body, null, 5, s_now, _master, _replica.PublicKey))));

        // The largest input a replica reads costs a bounded amount of memory to refuse.
        var largest = new byte[SealedRingLayout.V1.MaxLength];
        Buffer.BlockCopy(file, 0, largest, 0, SealedRing.SealedBodyOffset);
        BigEndian.WriteUInt16(largest, SealedRing.BodyLengthOffset, EnvironmentRing.MaxBodyLength);
        Rechecksum(largest);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, FailureOf(() => Open(largest)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024);
    }

    [Fact]
    public void PublicKeyLinesRoundTripAndRefuseWhatNoKeyPairHas()
    {
        Assert.Equal(_replica.PublicKey, ReplicaPublicKey.Parse("  " + _replica.PublicKey.Text.ToUpperInvariant() + "\r\n"));
        Assert.Equal(_master.Identity, MasterIdentity.Parse(_master.EnvironmentId, _master.Identity.PublicKeyLine));
        Assert.Equal(76, _replica.PublicKey.Text.Length);
        Assert.Equal(75, _master.Identity.PublicKeyLine.Length);
        Assert.Matches("^[0-9a-f]{4}(-[0-9a-f]{4}){7}$", _replica.PublicKey.Fingerprint);

        string line = _replica.PublicKey.Text;
        var refused = new[]
        {
            string.Empty,
            line.Substring(0, line.Length - 1) + (line[^1] == 'q' ? 'p' : 'q'),       // mistyped
            line.Substring(0, 20) + line.Substring(21),                                 // a character missing
            line.Substring(0, 20).ToUpperInvariant() + line.Substring(20),             // mixed case
            new RecoveryPublicKey(_replica.PublicKey.Bytes).Text,                       // a recovery key's line
            _master.Identity.PublicKeyLine,                                             // a master's line
            EnvironmentKeyLine.Encode(ReplicaPublicKey.Prefix, Hex.Decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882bcf")), // top bit
            EnvironmentKeyLine.Encode(ReplicaPublicKey.Prefix, new byte[32]),           // small order
        };
        foreach (var text in refused)
        {
            Assert.Equal(SsoSecretFailure.InvalidEnvironmentKey, FailureOf(() => ReplicaPublicKey.Parse(text)));
        }

        Assert.Equal(SsoSecretFailure.InvalidEnvironmentKey, FailureOf(() => MasterIdentity.Parse(_master.EnvironmentId, line)));
        Assert.Equal(SsoSecretFailure.InvalidEnvironmentKey, FailureOf(() => MasterIdentity.Parse(Guid.Empty, _master.Identity.PublicKeyLine)));
        var other = EnvironmentKeyLine.Encode(MasterIdentity.Prefix, Hex.Decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")); // y = p: not canonical
        Assert.Equal(SsoSecretFailure.InvalidEnvironmentKey, FailureOf(() => MasterIdentity.Parse(_master.EnvironmentId, other)));
    }

    [Fact]
    public void AKeyFileIsWrittenOwnerOnlyNeverReplacedAndReadBack()
    {
        string folder = TestPaths.NewTemporaryFolder();
        try
        {
            var content = EnvironmentKeyFile.Encode(_replica, s_now);
            EnvironmentKeyFile.Write(folder, EnvironmentKeyFile.ReplicaHostKeyName, content, EnvironmentKeyKind.ReplicaHost);
            string path = Path.Combine(folder, EnvironmentKeyFile.ReplicaHostKeyName);
            if (UnixFileMode.IsUnix)
            {
                Assert.Equal(UnixFileMode.OwnerOnlyFile, Posix.StatLink(path)!.Value.Permissions);
            }

            Assert.Single(Directory.GetFileSystemEntries(folder)); // no temporary file left
            var read = EnvironmentKeyFile.Read(folder, EnvironmentKeyFile.ReplicaHostKeyName)!;
            using (var opened = EnvironmentKeyFile.Decode(read, EnvironmentKeyKind.ReplicaHost))
            using (var host = opened.ToReplicaHostKey())
            {
                Assert.Equal(_replica.PublicKey, host.PublicKey);
                Assert.Equal(s_now, opened.Created);
            }

            // Never replaced, and nothing left behind.
            using var another = ReplicaHostKey.Generate();
            Assert.Equal(SsoSecretFailure.FileExists, FailureOf(() => EnvironmentKeyFile.Write(folder, EnvironmentKeyFile.ReplicaHostKeyName, EnvironmentKeyFile.Encode(another, s_now), EnvironmentKeyKind.ReplicaHost)));
            Assert.Single(Directory.GetFileSystemEntries(folder));
            Assert.Equal(read, EnvironmentKeyFile.Read(folder, EnvironmentKeyFile.ReplicaHostKeyName));

            // A file that does not decode as the kind given is never put in place.
            Assert.Equal(SsoSecretFailure.DamagedEnvironmentKey, FailureOf(() => EnvironmentKeyFile.Write(folder, EnvironmentKeyFile.MasterKeyName, content, EnvironmentKeyKind.Master)));
            Assert.Single(Directory.GetFileSystemEntries(folder));
            Assert.Null(EnvironmentKeyFile.Read(folder, EnvironmentKeyFile.MasterKeyName));

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite | System.IO.UnixFileMode.GroupRead);
                Assert.Equal(SsoSecretFailure.StoreInsecure, FailureOf(() => EnvironmentKeyFile.Read(folder, EnvironmentKeyFile.ReplicaHostKeyName)));
                string link = Path.Combine(folder, EnvironmentKeyFile.MasterKeyName);
                File.CreateSymbolicLink(link, path);
                Assert.Equal(SsoSecretFailure.StoreFileNotRegular, FailureOf(() => EnvironmentKeyFile.Read(folder, EnvironmentKeyFile.MasterKeyName)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AKeyFileIsRefusedForEveryChangeAndForTheOtherKind()
    {
        var replicaFile = EnvironmentKeyFile.Encode(_replica, s_now, dpapi: false);
        var masterFile = EnvironmentKeyFile.Encode(_master, s_now, dpapi: false);
        Assert.Equal(EnvironmentKeyFile.MinLength, replicaFile.Length);
        using (var master = EnvironmentKeyFile.Decode(masterFile, EnvironmentKeyKind.Master))
        using (var key = master.ToMasterKey())
        {
            Assert.Equal(_master.Identity, key.Identity);
        }

        Assert.Equal(SsoSecretFailure.DamagedEnvironmentKey, FailureOf(() => EnvironmentKeyFile.Decode(replicaFile, EnvironmentKeyKind.Master)));
        Assert.Equal(SsoSecretFailure.DamagedEnvironmentKey, FailureOf(() => EnvironmentKeyFile.Decode(masterFile, EnvironmentKeyKind.ReplicaHost)));
        Assert.Equal(SsoSecretFailure.DamagedEnvironmentKey, FailureOf(() => EnvironmentKeyFile.Decode(new byte[EnvironmentKeyFile.MaxLength + 1], EnvironmentKeyKind.Master)));

        foreach (var (file, kind) in new[] { (replicaFile, EnvironmentKeyKind.ReplicaHost), (masterFile, EnvironmentKeyKind.Master) })
        {
            for (int i = 0; i < file.Length; i++)
            {
                var changed = (byte[])file.Clone();
                changed[i] ^= 0x01;
                bool version = i == EnvironmentKeyFile.VersionOffset || i == EnvironmentKeyFile.VersionOffset + 1;
                var expected = version ? SsoSecretFailure.UnsupportedVersion : SsoSecretFailure.DamagedEnvironmentKey;
                Assert.True(expected == FailureOf(() => EnvironmentKeyFile.Decode(changed, kind)), $"{kind} byte {i}");

                // With the checksum recomputed, every field's check still refuses it (a private key changed no longer matches its
                // public key), except a creation time still in range and a master's environment id still not all zero: only the
                // checksum guards those, and whoever can rewrite the file owns the store anyway (a ring sealed under another id is
                // refused by every replica as UnknownMaster).
                bool created = i >= EnvironmentKeyFile.CreatedOffset && i < EnvironmentKeyFile.CreatedOffset + 8;
                bool masterId = kind == EnvironmentKeyKind.Master && i >= EnvironmentKeyFile.EnvironmentIdOffset && i < EnvironmentKeyFile.EnvironmentIdOffset + 16;
                // X25519 ignores the low three bits of a private key's first byte (RFC 7748 clamps them): the same key.
                bool clamped = kind == EnvironmentKeyKind.ReplicaHost && i == EnvironmentKeyFile.PrivateOffset;
                if (i < file.Length - 32 && !version && !created && !masterId && !clamped)
                {
                    Rechecksum(changed);
                    Assert.True(SsoSecretFailure.DamagedEnvironmentKey == FailureOf(() => EnvironmentKeyFile.Decode(changed, kind)), $"{kind} byte {i}, checksum recomputed");
                }
            }
        }
    }
}
