using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using SsoSecret.Recovery;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// SsoSecret's k-of-n custodians: properties of split and combine over random secrets, GUIDs and plans, and every
/// typed failure of a combine.
/// </summary>
public sealed class SecretSharesTests
{
    /// <summary>Cases per property: each case runs PBKDF2 a few times, so the count stays modest.</summary>
    private const int Cases = 25;

    private static readonly Gen<byte[]> s_secret = Gen.Byte.Array[SecretShares.MinSecretLength, SecretShares.MaxSecretLength];
    private static readonly Gen<Guid> s_id = Gen.Byte.Array[16].Select(b => new Guid(b));
    private static readonly Gen<byte[]> s_seed = Gen.Byte.Array[8];

    /// <summary>A group of up to <paramref name="max"/> members; threshold 1 only with one member, as SLIP-0039 advises.</summary>
    private static Gen<GroupPlan> GroupOf(int max) =>
        Gen.Int[1, max].SelectMany(n => n == 1 ? Gen.Const(new GroupPlan(1, 1)) : Gen.Int[2, n].Select(k => new GroupPlan(k, n)));

    [Fact]
    public void EveryKSubsetRecoversTheSecretAndItsIdAndKMinusOneAreTooFew()
    {
        Gen.Select(s_secret, s_id, GroupOf(5), s_seed).Sample(
            (secret, id, group, seed) =>
            {
                var shares = Split(id, secret, SharePlan.Single(group.MemberThreshold, group.MemberCount), seed).Single();
                Assert.Equal(group.MemberCount, shares.Count);
                foreach (var subset in Subsets(shares, group.MemberThreshold))
                {
                    using var recovered = SecretShares.Combine(subset, null);
                    Assert.Equal(id, recovered.Id);
                    Assert.Equal(secret, recovered.Secret);
                    Assert.Equal(SecretFingerprint.Compute(secret), recovered.Fingerprint);
                }

                if (group.MemberThreshold > 1)
                {
                    foreach (var subset in Subsets(shares, group.MemberThreshold - 1))
                    {
                        Assert.Null(SecretShares.TryCombine(subset, null, out var status));
                        Assert.Equal(1, status.MinimumSharesNeeded);
                        Assert.Equal(1, Assert.Single(status.Groups).MembersNeeded);
                        var error = Assert.Throws<ShareException>(() => SecretShares.Combine(subset, null));
                        Assert.Equal(ShareFailure.TooFewShares, error.Outcome);
                        Assert.Equal(1, error.Status!.MinimumSharesNeeded);
                    }
                }
            },
            iter: Cases,
            print: c => $"secret {Hex.Encode(c.Item1)}, id {c.Item2}, {c.Item3.MemberThreshold}-of-{c.Item3.MemberCount}, seed {Hex.Encode(c.Item4)}");
    }

    [Fact]
    public void AnyThresholdOfGroupsWithTheirThresholdsRecoversAndOneShareLessDoesNot()
    {
        var plans = Gen.Int[1, 4].SelectMany(g => Gen.Select(Gen.Int[1, g], GroupOf(3).Array[g], (gt, groups) => new SharePlan(gt, groups)));
        Gen.Select(s_secret, s_id, plans, s_seed, Gen.Int).Sample(
            (secret, id, plan, seed, choice) =>
            {
                var groups = Split(id, secret, plan, seed);
                var pick = new Random(choice);
                var chosenGroups = Enumerable.Range(0, groups.Count).OrderBy(_ => pick.Next()).Take(plan.GroupThreshold).ToList();
                var chosen = chosenGroups
                    .Select(g => groups[g].OrderBy(_ => pick.Next()).Take(plan.Groups[g].MemberThreshold).ToList())
                    .ToList();
                var all = chosen.SelectMany(s => s).OrderBy(_ => pick.Next()).ToList();
                using (var recovered = SecretShares.Combine(all, null))
                {
                    Assert.Equal(id, recovered.Id);
                    Assert.Equal(secret, recovered.Secret);
                    Assert.True(recovered.Status.IsComplete);
                }

                // One share less: from a group that needs more than one, else a whole group less.
                int shortGroup = Enumerable.Range(0, chosen.Count).FirstOrDefault(i => chosen[i].Count > 1, -1);
                var fewer = shortGroup >= 0
                    ? all.Where(s => s != chosen[shortGroup][0]).ToList()
                    : all.Where(s => s != chosen[0][0]).ToList();
                if (fewer.Count == 0)
                {
                    Assert.Equal(ShareFailure.NoShares, Assert.Throws<ShareException>(() => SecretShares.Combine(fewer, null)).Outcome);
                    return;
                }

                Assert.Null(SecretShares.TryCombine(fewer, null, out var status));
                Assert.False(status.IsComplete);
                if (shortGroup >= 0)
                {
                    var group = Assert.Single(status.Groups, g => g.GroupNumber == chosenGroups[shortGroup] + 1);
                    Assert.Equal(1, group.MembersNeeded);
                    Assert.Equal(1, status.GroupsNeeded);
                }
                else
                {
                    Assert.Equal(1, status.GroupsNeeded);
                    Assert.Equal(plan.GroupThreshold - 1, status.CompleteGroups);
                }

                Assert.Equal(fewer.Count, status.Shares.Count);
            },
            iter: Cases,
            print: c => $"GT {c.Item3.GroupThreshold}, groups {string.Join(",", c.Item3.Groups.Select(g => $"{g.MemberThreshold}/{g.MemberCount}"))}, seed {Hex.Encode(c.Item4)}, choice {c.Item5}");
    }

    [Fact]
    public void SharesOfTwoSplitsAreRefusedAsMixed()
    {
        Gen.Select(s_secret, s_id, GroupOf(5).Where(g => g.MemberThreshold >= 2), s_seed, s_seed, Gen.Bool).Sample(
            (secret, id, group, seedA, seedB, sameSecret) =>
            {
                var plan = SharePlan.Single(group.MemberThreshold, group.MemberCount);
                var a = Split(id, secret, plan, seedA).Single();
                var otherSecret = sameSecret ? secret : secret.Select(b => (byte)~b).ToArray();
                var b = Split(id, otherSecret, plan, seedB).Single();

                // k-1 of one split and the last member of the other: k shares, k distinct member numbers.
                var mixed = a.Take(group.MemberThreshold - 1).Append(b[group.MemberCount - 1]).ToList();
                var error = Assert.Throws<ShareException>(() => SecretShares.Combine(mixed, null));
                if (Slip39Share.Parse(a[0], 1).Identifier != Slip39Share.Parse(b[0], 1).Identifier)
                {
                    Assert.Equal(ShareFailure.MixedSplits, error.Outcome);
                    Assert.Equal(ShareMismatch.Identifier, error.Mismatch);
                    Assert.Equal(group.MemberThreshold, error.ShareNumber);
                }
            },
            iter: Cases);
    }

    [Fact]
    public void UpToThreeChangedWordsAreAlwaysCaughtByTheChecksum()
    {
        var share = Split(Guid.NewGuid(), new byte[32], SharePlan.Single(1, 1), new byte[] { 1 }).Single().Single();
        var words = share.Split(' ');
        Gen.Select(Gen.Int[0, words.Length - 1].Array[1, 3], Gen.Int[1, 1023].Array[3]).Sample(
            (positions, shifts) =>
            {
                var changed = (string[])words.Clone();
                var distinct = positions.Distinct().ToList();
                for (int i = 0; i < distinct.Count; i++)
                {
                    int index = Slip39WordList.IndexOf(changed[distinct[i]]);
                    changed[distinct[i]] = Slip39WordList.Word((index + shifts[i]) % Slip39WordList.Count);
                }

                var error = Assert.Throws<ShareException>(() => SecretShares.Combine(new[] { string.Join(" ", changed) }, null));
                Assert.Equal(ShareFailure.InvalidChecksum, error.Outcome);
                Assert.Equal(1, error.ShareNumber);
            },
            iter: 500);
    }

    [Fact]
    public void AShareIsReadInAnyLetterCaseAndSpacing()
    {
        var id = Guid.NewGuid();
        var secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var share = Split(id, secret, SharePlan.Single(1, 1), new byte[] { 2 }).Single().Single();
        var messy = "  " + string.Join("\t \r\n", share.ToUpperInvariant().Split(' ')) + "\n";
        using var recovered = SecretShares.Combine(new[] { messy }, null);
        Assert.Equal(id, recovered.Id);
        Assert.Equal(secret, recovered.Secret);
    }

    [Fact]
    public void ADuplicateShareIsIgnoredAndReported()
    {
        var secret = new byte[32];
        var shares = Split(Guid.NewGuid(), secret, SharePlan.Single(2, 3), new byte[] { 3 }).Single();
        var given = new List<string> { shares[0], shares[0], shares[2] };
        using var recovered = SecretShares.Combine(given, null);
        Assert.Equal(secret, recovered.Secret);
        Assert.Equal(new[] { false, true, false }, recovered.Status.Shares.Select(s => s.IsDuplicate));
        Assert.Equal(new[] { 1, 1, 3 }, recovered.Status.Shares.Select(s => s.MemberNumber));

        Assert.Null(SecretShares.TryCombine(new[] { shares[1], shares[1] }, null, out var status));
        Assert.Equal(1, status.MinimumSharesNeeded);
    }

    [Fact]
    public void SurplusSharesMustAgreeWithTheOthers()
    {
        var id = Guid.NewGuid();
        var secret = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var shares = Split(id, secret, SharePlan.Single(2, 4), new byte[] { 4 }).Single();
        using (var recovered = SecretShares.Combine(shares, null))
        {
            Assert.Equal(secret, recovered.Secret);
        }

        // Members 1 and 2 recover; an altered member 4 is a surplus that disagrees.
        var surplusAltered = new[] { shares[0], shares[1], Alter(shares[3]) };
        var error = Assert.Throws<ShareException>(() => SecretShares.Combine(surplusAltered, null));
        Assert.Equal(ShareFailure.InconsistentShares, error.Outcome);

        // An altered member 1 is among those that recover: the digest catches it.
        var usedAltered = new[] { Alter(shares[0]), shares[1], shares[3] };
        Assert.Equal(ShareFailure.InvalidDigest, Assert.Throws<ShareException>(() => SecretShares.Combine(usedAltered, null)).Outcome);

        // Two different shares with the same member number conflict.
        var conflict = new[] { shares[0], Alter(shares[0]) };
        var conflictError = Assert.Throws<ShareException>(() => SecretShares.Combine(conflict, null));
        Assert.Equal(ShareFailure.ConflictingShare, conflictError.Outcome);
        Assert.Equal(2, conflictError.ShareNumber);
    }

    [Fact]
    public void SurplusGroupsMustAgreeWithTheOthers()
    {
        var id = Guid.NewGuid();
        var plan = new SharePlan(1, new[] { new GroupPlan(1, 1), new GroupPlan(2, 2), new GroupPlan(1, 1) });
        var groups = Split(id, new byte[16], plan, new byte[] { 5 });
        using (var recovered = SecretShares.Combine(groups.SelectMany(g => g).ToList(), null))
        {
            Assert.Equal(id, recovered.Id);
        }

        // Group 1 alone recovers; group 3, complete but altered (a 1-of-1 group has no digest), disagrees with it.
        var thirdAltered = new[] { groups[0][0], Alter(groups[2][0]) };
        Assert.Equal(ShareFailure.InconsistentShares, Assert.Throws<ShareException>(() => SecretShares.Combine(thirdAltered, null)).Outcome);

        // A group of two members with one altered fails its own digest first.
        var secondAltered = new[] { groups[0][0], Alter(groups[1][0]), groups[1][1] };
        Assert.Equal(ShareFailure.InvalidDigest, Assert.Throws<ShareException>(() => SecretShares.Combine(secondAltered, null)).Outcome);

        // Alone, an altered share of a 1-of-1 group recovers a wrong payload: the payload's check names it.
        Assert.Equal(ShareFailure.WrongPassphrase, Assert.Throws<ShareException>(() => SecretShares.Combine(new[] { Alter(groups[0][0]) }, null)).Outcome);
    }

    [Fact]
    public void TooFewSharesSaysHowManyMoreInItsMessage()
    {
        var shares = Split(Guid.NewGuid(), new byte[32], SharePlan.Single(3, 5), new byte[] { 10 }).Single();
        var error = Assert.Throws<ShareException>(() => SecretShares.Combine(shares.Take(1).ToList(), null));
        Assert.Equal("Not enough shares: 1 of the 3 needed were given. At least 2 more shares are needed.", error.Message);
        Assert.Equal(2, error.Status!.MinimumSharesNeeded);
    }

    [Fact]
    public void ThePassphraseIsNeededAndAWrongOneIsNamed()
    {
        var id = Guid.NewGuid();
        var secret = new byte[33];
        secret[32] = 7;
        var passphrase = Encoding.ASCII.GetBytes("four custodians, one vault");
        var shares = Split(id, secret, SharePlan.Single(2, 2), new byte[] { 6 }, passphrase).Single();
        using (var recovered = SecretShares.Combine(shares, passphrase))
        {
            Assert.Equal(secret, recovered.Secret);
        }

        var wrong = Assert.Throws<ShareException>(() => SecretShares.Combine(shares, Encoding.ASCII.GetBytes("four custodians, one vault.")));
        Assert.Equal(ShareFailure.WrongPassphrase, wrong.Outcome);
        Assert.Equal(ShareFailure.WrongPassphrase, Assert.Throws<ShareException>(() => SecretShares.Combine(shares, null)).Outcome);
        Assert.DoesNotContain("custodians", wrong.Message);
    }

    [Fact]
    public void AWalletsSharesAreNotTakenForAMasterSecret()
    {
        // Official vector 4: a valid 2-of-3 SLIP-0039 set of a 16-byte wallet seed, with its own passphrase.
        var vector = Slip39VectorTests.Load().Single(v => v.Number == 4);
        var error = Assert.Throws<ShareException>(() => SecretShares.Combine(vector.Mnemonics, Encoding.ASCII.GetBytes("TREZOR")));
        Assert.Equal(ShareFailure.WrongPassphrase, error.Outcome);
    }

    [Fact]
    public void APayloadOfAnotherVersionOrMalformedIsNamed()
    {
        var good = SecretShares.Encode(Guid.NewGuid(), new byte[32]);

        var newer = (byte[])good.Clone();
        newer[SecretShares.VersionOffset] = 2;
        Reseal(newer);
        Assert.Equal(ShareFailure.UnsupportedVersion, CombinePayload(newer).Outcome);

        var shortLength = (byte[])good.Clone();
        shortLength[SecretShares.SecretLengthOffset] = 30;
        Reseal(shortLength);
        Assert.Equal(ShareFailure.InvalidPayload, CombinePayload(shortLength).Outcome);

        var odd = SecretShares.Encode(Guid.NewGuid(), new byte[31]);
        odd[SecretShares.SecretOffset + 31] = 1;
        Reseal(odd);
        Assert.Equal(ShareFailure.InvalidPayload, CombinePayload(odd).Outcome);

        var tooLong = new byte[SecretShares.MaxPayloadLength + 2];
        tooLong[SecretShares.VersionOffset] = 1;
        tooLong[SecretShares.SecretLengthOffset] = 66;
        Reseal(tooLong);
        Assert.Equal(ShareFailure.InvalidPayload, CombinePayload(tooLong).Outcome);

        var damaged = (byte[])good.Clone();
        damaged[SecretShares.IdOffset] ^= 1;
        Assert.Equal(ShareFailure.WrongPassphrase, CombinePayload(damaged).Outcome);
    }

    [Fact]
    public void TheIterationLimitIsCheckedBeforeAnyWork()
    {
        var shares = Split(Guid.NewGuid(), new byte[16], SharePlan.Single(1, 1), new byte[] { 7 }, iterationExponent: 3).Single();
        var error = Assert.Throws<ShareException>(() => SecretShares.Combine(shares, null, maxIterationExponent: 2));
        Assert.Equal(ShareFailure.IterationLimitExceeded, error.Outcome);
        using var recovered = SecretShares.Combine(shares, null, maxIterationExponent: 3);
        Assert.Equal(new byte[16], recovered.Secret);
    }

    [Fact]
    public void BadInputsAreRefusedEachWithItsOwnFailure()
    {
        var shares = Split(Guid.NewGuid(), new byte[32], SharePlan.Single(2, 3), new byte[] { 8 }).Single();
        var words = shares[0].Split(' ');

        Assert.Equal(ShareFailure.NoShares, Refused(Array.Empty<string>()).Outcome);
        Assert.Equal(ShareFailure.TooManyShares, Refused(Enumerable.Repeat(shares[0], Slip39.MaxShares + 1).ToList()).Outcome);

        var badWord = (string[])words.Clone();
        badWord[4] = "zzzz";
        var wordError = Refused(new[] { shares[1], string.Join(" ", badWord) });
        Assert.Equal((ShareFailure.InvalidWord, 2, 5), (wordError.Outcome, wordError.ShareNumber, wordError.WordNumber));
        Assert.DoesNotContain("zzzz", wordError.Message);

        var missingWord = string.Join(" ", words.Where((_, i) => i != 10));
        Assert.Equal(ShareFailure.InvalidLength, Refused(new[] { missingWord }).Outcome);
        Assert.Equal(ShareFailure.InvalidLength, Refused(new[] { string.Join(" ", words.Take(19)) }).Outcome);
        Assert.Equal(ShareFailure.InvalidLength, Refused(new[] { new string(' ', Slip39Share.MaxMnemonicLength) + shares[0] }).Outcome);

        var swapped = (string[])words.Clone();
        (swapped[7], swapped[8]) = (swapped[8], swapped[7]);
        Assert.Equal(ShareFailure.InvalidChecksum, Refused(new[] { string.Join(" ", swapped) }).Outcome);

        var nonAscii = new byte[] { (byte)'p', 0xC3, 0xA4 };
        Assert.Equal(ShareFailure.InvalidPassphrase, Assert.Throws<ShareException>(() => SecretShares.Combine(shares, nonAscii)).Outcome);
        Assert.Equal(ShareFailure.InvalidPassphrase, Assert.Throws<ShareException>(() => SecretShares.Split(Guid.NewGuid(), new byte[32], SharePlan.Single(2, 3), nonAscii)).Outcome);
    }

    [Theory]
    [InlineData(0, 1, 1, 32)]
    [InlineData(2, 1, 1, 32)]
    [InlineData(1, 1, 2, 32)]
    [InlineData(1, 3, 2, 32)]
    [InlineData(1, 2, 17, 32)]
    [InlineData(1, 0, 1, 32)]
    [InlineData(1, 1, 1, 15)]
    [InlineData(1, 1, 1, 65)]
    public void AnImpossiblePlanIsRefused(int groupThreshold, int memberThreshold, int memberCount, int secretLength)
    {
        var plan = new SharePlan(groupThreshold, new[] { new GroupPlan(memberThreshold, memberCount) });
        var error = Assert.Throws<ShareException>(() => SecretShares.Split(Guid.NewGuid(), new byte[secretLength], plan));
        Assert.Equal(ShareFailure.InvalidPlan, error.Outcome);
    }

    [Fact]
    public void SeventeenGroupsAreRefused()
    {
        var plan = new SharePlan(1, Enumerable.Repeat(new GroupPlan(1, 1), 17).ToList());
        Assert.Equal(ShareFailure.InvalidPlan, Assert.Throws<ShareException>(() => SecretShares.Split(Guid.NewGuid(), new byte[32], plan)).Outcome);
    }

    [Fact]
    public void TheWordListIsTheSlip39List()
    {
        var words = Enumerable.Range(0, Slip39WordList.Count).Select(Slip39WordList.Word).ToList();
        Assert.Equal("academic", words[0]);
        Assert.Equal("zero", words[^1]);
        Assert.Equal(words.OrderBy(w => w, StringComparer.Ordinal), words);
        Assert.Equal(Slip39WordList.Count, words.Select(w => w[..4]).Distinct().Count());
        Assert.All(words, w => Assert.InRange(w.Length, 4, 8));
        var text = Encoding.ASCII.GetBytes(string.Join("\n", words) + "\n");
        Assert.Equal(Slip39WordList.Sha256Hex, Hex.Encode(Crypto.Primitives.Sha256(text, 0, text.Length)));
        Assert.Equal(-1, Slip39WordList.IndexOf("Academic"));
    }

    [Fact]
    public void TheConstantTimeMultiplicationMatchesTheTables()
    {
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                Assert.Equal(Gf256.MultiplyByTables((byte)a, (byte)b), Gf256.Multiply((byte)a, (byte)b));
            }
        }

        // FIPS 197 §4.2: {57} • {83} = {c1}.
        Assert.Equal(0xC1, Gf256.Multiply(0x57, 0x83));
    }

    private static List<List<string>> Split(Guid id, byte[] secret, SharePlan plan, byte[] seed, byte[]? passphrase = null, int iterationExponent = 0) =>
        SecretShares.Split(id, secret, plan, passphrase, iterationExponent, new StreamRandom(seed).Next);

    private static ShareException Refused(IReadOnlyList<string> shares) =>
        Assert.Throws<ShareException>(() => SecretShares.Combine(shares, null));

    /// <summary>Writes a valid check over a changed payload, as a faulty writer or a forger would.</summary>
    private static void Reseal(byte[] payload) =>
        Buffer.BlockCopy(SecretShares.ComputeCheck(payload), 0, payload, payload.Length - SecretShares.CheckLength, SecretShares.CheckLength);

    private static ShareException CombinePayload(byte[] payload)
    {
        var shares = Slip39.Split(1, new[] { new GroupPlan(1, 1) }, payload, Array.Empty<byte>(), 0, true, new StreamRandom(new byte[] { 9 }).Next).Single();
        return Refused(shares);
    }

    /// <summary>The same share with one byte of its value changed, written with a valid checksum.</summary>
    private static string Alter(string mnemonic)
    {
        var share = Slip39Share.Parse(mnemonic, 1);
        var value = (byte[])share.Value.Clone();
        value[value.Length / 2] ^= 0x5A;
        return new Slip39Share(share.Identifier, share.Extendable, share.IterationExponent, share.GroupIndex, share.GroupThreshold, share.GroupCount, share.MemberIndex, share.MemberThreshold, value).ToMnemonic();
    }

    private static IEnumerable<List<string>> Subsets(IReadOnlyList<string> items, int size)
    {
        if (size == 0)
        {
            yield return new List<string>();
            yield break;
        }

        for (int first = 0; first <= items.Count - size; first++)
        {
            foreach (var rest in Subsets(items.Skip(first + 1).ToList(), size - 1))
            {
                rest.Insert(0, items[first]);
                yield return rest;
            }
        }
    }
}
