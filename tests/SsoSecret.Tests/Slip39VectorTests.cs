using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SsoSecret.Recovery;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The official SLIP-0039 test vectors (trezor/python-shamir-mnemonic vectors.json, see TestData/slip39/README.md):
/// every valid set combines to the exact master secret under the passphrase "TREZOR", every invalid one is refused
/// with its own typed failure.
/// </summary>
public sealed class Slip39VectorTests
{
    private static readonly byte[] s_passphrase = Encoding.ASCII.GetBytes("TREZOR");

    /// <summary>Why each invalid vector is invalid, by its number in vectors.json.</summary>
    private static readonly Dictionary<int, (ShareFailure Failure, ShareMismatch? Mismatch)> s_expected = new()
    {
        [2] = (ShareFailure.InvalidChecksum, null),
        [3] = (ShareFailure.InvalidPadding, null),
        [5] = (ShareFailure.TooFewShares, null),
        [6] = (ShareFailure.MixedSplits, ShareMismatch.Identifier),
        [7] = (ShareFailure.MixedSplits, ShareMismatch.IterationExponent),
        [8] = (ShareFailure.MixedSplits, ShareMismatch.GroupThreshold),
        [9] = (ShareFailure.MixedSplits, ShareMismatch.GroupCount),
        [10] = (ShareFailure.InvalidThreshold, null),
        [11] = (ShareFailure.ConflictingShare, null),
        [12] = (ShareFailure.MixedSplits, ShareMismatch.MemberThreshold),
        [13] = (ShareFailure.InvalidDigest, null),
        [14] = (ShareFailure.TooFewShares, null),
        [15] = (ShareFailure.TooFewShares, null),
        [16] = (ShareFailure.TooFewShares, null),
        [21] = (ShareFailure.InvalidChecksum, null),
        [22] = (ShareFailure.InvalidPadding, null),
        [24] = (ShareFailure.TooFewShares, null),
        [25] = (ShareFailure.MixedSplits, ShareMismatch.Identifier),
        [26] = (ShareFailure.MixedSplits, ShareMismatch.IterationExponent),
        [27] = (ShareFailure.MixedSplits, ShareMismatch.GroupThreshold),
        [28] = (ShareFailure.MixedSplits, ShareMismatch.GroupCount),
        [29] = (ShareFailure.InvalidThreshold, null),
        [30] = (ShareFailure.ConflictingShare, null),
        [31] = (ShareFailure.MixedSplits, ShareMismatch.MemberThreshold),
        [32] = (ShareFailure.InvalidDigest, null),
        [33] = (ShareFailure.TooFewShares, null),
        [34] = (ShareFailure.TooFewShares, null),
        [35] = (ShareFailure.TooFewShares, null),
        [39] = (ShareFailure.InvalidLength, null),
        [40] = (ShareFailure.InvalidLength, null),
    };

    public static IEnumerable<object[]> Valid() => Load().Where(v => v.Secret.Length > 0).Select(v => new object[] { v.Number });

    public static IEnumerable<object[]> Invalid() => Load().Where(v => v.Secret.Length == 0).Select(v => new object[] { v.Number });

    [Fact]
    public void TheVectorFileIsTheOneDescribedInTheReadme()
    {
        var bytes = File.ReadAllBytes(VectorPath);
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(VectorPath)!, "README.md"));
        Assert.Contains(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), readme);
        Assert.Equal(45, Load().Count);
        Assert.Equal(s_expected.Keys.Order(), Invalid().Select(o => (int)o[0]).Order());
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void AValidVectorCombinesToItsMasterSecret(int number)
    {
        var vector = Load().Single(v => v.Number == number);
        Assert.Equal(vector.Secret, Hex.Encode(Slip39.Combine(vector.Mnemonics, s_passphrase)));

        // Each share reads back and writes out to the same words.
        for (int i = 0; i < vector.Mnemonics.Count; i++)
        {
            Assert.Equal(vector.Mnemonics[i], Slip39Share.Parse(vector.Mnemonics[i], i + 1).ToMnemonic());
        }
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void AnInvalidVectorIsRefusedWithItsOwnFailure(int number)
    {
        var vector = Load().Single(v => v.Number == number);
        var expected = s_expected[number];
        var error = Assert.Throws<ShareException>(() => Slip39.Combine(vector.Mnemonics, s_passphrase));
        Assert.Equal(expected.Failure, error.Outcome);
        Assert.Equal(expected.Mismatch, error.Mismatch);
        if (expected.Failure == ShareFailure.TooFewShares)
        {
            Assert.NotNull(error.Status);
            Assert.False(error.Status!.IsComplete);
            Assert.True(error.Status.MinimumSharesNeeded > 0);
        }
        else
        {
            Assert.Null(error.Status);
        }

        // No message holds a word of a share.
        foreach (var word in vector.Mnemonics.SelectMany(m => m.Split(' ')))
        {
            Assert.DoesNotContain(word, error.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void TooFewSharesSaysWhatIsMissing()
    {
        // Vector 16: the 2-of-6 group has 1 share and the group threshold is 2 of 4 groups.
        var vector = Load().Single(v => v.Number == 16);
        Assert.Null(Slip39.TryCombine(vector.Mnemonics, s_passphrase, out var status));
        Assert.Equal(2, status.GroupThreshold);
        Assert.Equal(4, status.GroupCount);
        Assert.Equal(1, status.CompleteGroups);
        Assert.Equal(1, status.GroupsNeeded);
        var incomplete = Assert.Single(status.Groups, g => !g.IsComplete);
        Assert.Equal(2, incomplete.MemberThreshold);
        Assert.Equal(1, incomplete.MembersGiven);
        Assert.Equal(1, incomplete.MembersNeeded);
        Assert.Equal(1, status.MinimumSharesNeeded);
        Assert.Equal(new[] { 1, 2 }, status.Shares.Select(s => s.Position));
    }

    [Fact]
    public void AVectorStatusListsTheSharesGiven()
    {
        // Vector 17: the 3-of-5 and the 2-of-6 group, complete.
        var vector = Load().Single(v => v.Number == 17);
        var status = Slip39.Analyze(vector.Mnemonics);
        Assert.True(status.IsComplete);
        Assert.Equal(0, status.MinimumSharesNeeded);
        Assert.Equal(new[] { (3, 3), (4, 2) }, status.Groups.Select(g => (g.GroupNumber, g.MembersGiven)));
        Assert.All(status.Shares, s => Assert.False(s.IsDuplicate));
    }

    internal static string VectorPath => Path.Combine(AppContext.BaseDirectory, "TestData", "slip39", "vectors.json");

    internal static List<Vector> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(VectorPath));
        var result = new List<Vector>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            string description = item[0].GetString()!;
            int number = int.Parse(description.Substring(0, description.IndexOf('.')));
            var mnemonics = item[1].EnumerateArray().Select(m => m.GetString()!).ToList();
            result.Add(new Vector(number, description, mnemonics, item[2].GetString()!));
        }

        return result;
    }

    internal sealed record Vector(int Number, string Description, List<string> Mnemonics, string Secret);
}
