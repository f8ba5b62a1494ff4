using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using SsoSecret.Crypto;

namespace SsoSecret.Recovery;

/// <summary>Gives <paramref name="length"/> random bytes. The default is the module's cryptographic generator; test vectors pass a seeded one.</summary>
internal delegate byte[] RandomSource(int length);

/// <summary>One group of a split: <see cref="MemberThreshold"/> of its <see cref="MemberCount"/> member shares recover it.</summary>
internal readonly struct GroupPlan
{
    internal GroupPlan(int memberThreshold, int memberCount)
    {
        MemberThreshold = memberThreshold;
        MemberCount = memberCount;
    }

    internal int MemberThreshold { get; }

    internal int MemberCount { get; }
}

/// <summary>
/// SLIP-0039, Shamir's secret sharing for mnemonic codes (satoshilabs/slips slip-0039.md, with the extendable flag
/// of the current text): the two-level split of an encrypted master secret into groups and members, the share
/// digest, the Feistel encryption with PBKDF2-HMAC-SHA256, and the combination of shares with every check the
/// specification asks for. docs/recovery-shares.md describes how SsoSecret uses it.
/// </summary>
internal static class Slip39
{
    internal const int DigestLength = 4;
    internal const byte DigestIndex = 254;
    internal const byte SecretIndex = 255;
    internal const int BaseIterations = 10000;
    internal const int Rounds = 4;

    /// <summary>
    /// The most iteration exponent a reader accepts unless told otherwise: 4 rounds of 2500·2^10 PBKDF2 iterations,
    /// seconds of work. A forged share with e = 15 would ask for minutes; SsoSecret writes e = 1.
    /// </summary>
    internal const int DefaultMaxIterationExponent = 10;

    /// <summary>At most 16 groups of 16 members can be told apart; more shares than that cannot all be distinct.</summary>
    internal const int MaxShares = Slip39Share.MaxCount * Slip39Share.MaxCount;

    private static readonly byte[] s_saltPrefix = Encoding.ASCII.GetBytes(Slip39Share.Customization);

    /// <summary>
    /// Splits a master secret: encrypts it under the passphrase, splits the encrypted secret among the groups with
    /// the group threshold, and each group's share among its members. Returns the mnemonics, one list per group.
    /// </summary>
    internal static List<List<string>> Split(
        int groupThreshold,
        IReadOnlyList<GroupPlan> groups,
        byte[] masterSecret,
        byte[] passphrase,
        int iterationExponent,
        bool extendable,
        RandomSource? random = null)
    {
        random ??= Primitives.RandomBytes;
        CheckPlan(groupThreshold, groups, masterSecret.Length, iterationExponent);
        CheckPassphrase(passphrase);

        var idBytes = Take(random, 2);
        int identifier = ((idBytes[0] << 8) | idBytes[1]) & Slip39Share.MaxIdentifier;
        var encrypted = Encrypt(masterSecret, passphrase, iterationExponent, identifier, extendable);
        var groupShares = SplitSecret(groupThreshold, groups.Count, encrypted, random);
        Memory.Zero(encrypted);
        var result = new List<List<string>>(groups.Count);
        try
        {
            for (int g = 0; g < groups.Count; g++)
            {
                var memberShares = SplitSecret(groups[g].MemberThreshold, groups[g].MemberCount, groupShares[g], random);
                var mnemonics = new List<string>(memberShares.Count);
                for (int m = 0; m < memberShares.Count; m++)
                {
                    var share = new Slip39Share(identifier, extendable, iterationExponent, g, groupThreshold, groups.Count, m, groups[g].MemberThreshold, memberShares[m]);
                    mnemonics.Add(share.ToMnemonic());
                    Memory.Zero(memberShares[m]);
                }

                result.Add(mnemonics);
            }
        }
        finally
        {
            groupShares.ForEach(Memory.Zero);
        }

        return result;
    }

    /// <summary>
    /// Reads the shares and reports what they are and what is missing, without combining anything. Throws
    /// <see cref="ShareException"/> for a share that cannot be read or shares that cannot belong together; too few
    /// shares is not a failure here.
    /// </summary>
    internal static ShareSetStatus Analyze(IReadOnlyList<string> mnemonics)
    {
        var set = Read(mnemonics);
        set.Clear();
        return set.Status;
    }

    /// <summary>
    /// Combines the shares into the master secret, or returns null when they are valid but too few
    /// (<paramref name="status"/> says what is missing). Every other problem throws <see cref="ShareException"/>.
    /// </summary>
    /// <remarks>
    /// SLIP-0039 asks for exactly the group threshold of groups and exactly the member threshold of each group's
    /// shares. This reader also accepts more: it recovers from the lowest-numbered complete groups and members, and
    /// checks that every further share, and every further complete group, lies on the same polynomial. Surplus
    /// shares are thus a stronger check, never a way around one.
    /// </remarks>
    internal static byte[]? TryCombine(
        IReadOnlyList<string> mnemonics,
        byte[] passphrase,
        out ShareSetStatus status,
        int maxIterationExponent = DefaultMaxIterationExponent)
    {
        CheckPassphrase(passphrase);
        var set = Read(mnemonics);
        status = set.Status;
        try
        {
            return Combine(set, passphrase, maxIterationExponent);
        }
        finally
        {
            set.Clear();
        }
    }

    private static byte[]? Combine(ShareSet set, byte[] passphrase, int maxIterationExponent)
    {
        var status = set.Status;
        if (set.First.IterationExponent > maxIterationExponent)
        {
            throw new ShareException(
                ShareFailure.IterationLimitExceeded,
                $"The shares ask for iteration exponent {set.First.IterationExponent} (10000 × 2^{set.First.IterationExponent} PBKDF2 iterations); this reader allows at most {maxIterationExponent}.");
        }

        if (!status.IsComplete)
        {
            return null;
        }

        var encrypted = RecoverEncryptedSecret(set);
        try
        {
            return Decrypt(encrypted, passphrase, set.First.IterationExponent, set.First.Identifier, set.First.Extendable);
        }
        finally
        {
            Memory.Zero(encrypted);
        }
    }

    /// <summary>As <see cref="TryCombine"/>, but too few shares throw <see cref="ShareFailure.TooFewShares"/> with the status.</summary>
    internal static byte[] Combine(IReadOnlyList<string> mnemonics, byte[] passphrase, int maxIterationExponent = DefaultMaxIterationExponent) =>
        TryCombine(mnemonics, passphrase, out var status, maxIterationExponent) ?? throw TooFew(status);

    internal static ShareException TooFew(ShareSetStatus status)
    {
        var text = new StringBuilder("Not enough shares: ");
        if (status.GroupCount == 1)
        {
            var group = status.Groups[0];
            text.Append($"{group.MembersGiven} of the {group.MemberThreshold} needed were given");
        }
        else
        {
            text.Append($"{status.CompleteGroups} of the {status.GroupThreshold} groups needed are complete");
            foreach (var group in status.Groups.Where(g => !g.IsComplete))
            {
                text.Append($"; group {group.GroupNumber} has {group.MembersGiven} of its {group.MemberThreshold}");
            }
        }

        text.Append(status.MinimumSharesNeeded == 1 ? ". At least 1 more share is needed." : $". At least {status.MinimumSharesNeeded} more shares are needed.");
        return new ShareException(ShareFailure.TooFewShares, text.ToString(), status: status);
    }

    /// <summary>The encryption of the master secret: a 4-round Feistel network with PBKDF2-HMAC-SHA256 as round function.</summary>
    internal static byte[] Encrypt(byte[] masterSecret, byte[] passphrase, int iterationExponent, int identifier, bool extendable) =>
        Feistel(masterSecret, passphrase, iterationExponent, identifier, extendable, decrypt: false);

    internal static byte[] Decrypt(byte[] encrypted, byte[] passphrase, int iterationExponent, int identifier, bool extendable) =>
        Feistel(encrypted, passphrase, iterationExponent, identifier, extendable, decrypt: true);

    private static byte[] Feistel(byte[] input, byte[] passphrase, int iterationExponent, int identifier, bool extendable, bool decrypt)
    {
        int half = input.Length / 2;
        var left = new byte[half];
        var right = new byte[half];
        Buffer.BlockCopy(input, 0, left, 0, half);
        Buffer.BlockCopy(input, half, right, 0, half);

        // Extendable shares leave the identifier out of the salt, so further share sets of the same encrypted secret
        // can carry new identifiers.
        int prefixLength = extendable ? 0 : s_saltPrefix.Length + 2;
        var salt = new byte[prefixLength + half];
        if (!extendable)
        {
            Buffer.BlockCopy(s_saltPrefix, 0, salt, 0, s_saltPrefix.Length);
            salt[s_saltPrefix.Length] = (byte)(identifier >> 8);
            salt[s_saltPrefix.Length + 1] = (byte)identifier;
        }

        var password = new byte[1 + passphrase.Length];
        Buffer.BlockCopy(passphrase, 0, password, 1, passphrase.Length);
        int iterations = (BaseIterations << iterationExponent) / Rounds;
        try
        {
            for (int step = 0; step < Rounds; step++)
            {
                password[0] = (byte)(decrypt ? Rounds - 1 - step : step);
                Buffer.BlockCopy(right, 0, salt, prefixLength, half);
                var f = Crypto.Primitives.Pbkdf2Sha256(password, salt, iterations, half);
                for (int i = 0; i < half; i++)
                {
                    f[i] ^= left[i];
                }

                Memory.Zero(left);
                left = right;
                right = f;
            }

            var output = new byte[input.Length];
            Buffer.BlockCopy(right, 0, output, 0, half);
            Buffer.BlockCopy(left, 0, output, half, half);
            return output;
        }
        finally
        {
            Memory.Zero(left);
            Memory.Zero(right);
            Memory.Zero(salt);
            Memory.Zero(password);
        }
    }

    /// <summary>
    /// SplitSecret(T, N, S) of SLIP-0039: T−2 random shares, a digest share at x = 254 and the secret at x = 255
    /// define the polynomial; shares 0 to N−1 are its values. With T = 1 every share is the secret itself.
    /// </summary>
    internal static List<byte[]> SplitSecret(int threshold, int count, byte[] secret, RandomSource random)
    {
        var shares = new List<byte[]>(count);
        if (threshold == 1)
        {
            for (int i = 0; i < count; i++)
            {
                shares.Add((byte[])secret.Clone());
            }

            return shares;
        }

        int randomCount = threshold - 2;
        var xs = new List<byte>(threshold);
        var ys = new List<byte[]>(threshold);
        for (int i = 0; i < randomCount; i++)
        {
            var value = Take(random, secret.Length);
            xs.Add((byte)i);
            ys.Add(value);
            shares.Add((byte[])value.Clone());
        }

        var randomPart = Take(random, secret.Length - DigestLength);
        var digestShare = new byte[secret.Length];
        var mac = Crypto.Primitives.HmacSha256(randomPart, secret);
        Buffer.BlockCopy(mac, 0, digestShare, 0, DigestLength);
        Buffer.BlockCopy(randomPart, 0, digestShare, DigestLength, randomPart.Length);
        Memory.Zero(mac);
        Memory.Zero(randomPart);
        xs.Add(DigestIndex);
        ys.Add(digestShare);
        xs.Add(SecretIndex);
        ys.Add(secret);
        try
        {
            for (int i = randomCount; i < count; i++)
            {
                shares.Add(Gf256.Interpolate(xs, ys, (byte)i));
            }
        }
        finally
        {
            // Everything but the caller's secret (the last point) was made here.
            for (int i = 0; i < ys.Count - 1; i++)
            {
                Memory.Zero(ys[i]);
            }
        }

        return shares;
    }

    /// <summary>
    /// RecoverSecret(T, shares) of SLIP-0039: interpolates the secret at x = 255 and the digest share at x = 254 and
    /// checks the digest. With T = 1 the share is the secret.
    /// </summary>
    internal static byte[] RecoverSecret(int threshold, IReadOnlyList<byte> xs, IReadOnlyList<byte[]> ys, string where)
    {
        if (threshold == 1)
        {
            return (byte[])ys[0].Clone();
        }

        var secret = Gf256.Interpolate(xs, ys, SecretIndex);
        var digestShare = Gf256.Interpolate(xs, ys, DigestIndex);
        var randomPart = new byte[digestShare.Length - DigestLength];
        Buffer.BlockCopy(digestShare, DigestLength, randomPart, 0, randomPart.Length);
        var mac = Crypto.Primitives.HmacSha256(randomPart, secret);
        bool good = Primitives.FixedTimeEquals(mac, 0, digestShare, 0, DigestLength);
        Memory.Zero(mac);
        Memory.Zero(randomPart);
        Memory.Zero(digestShare);
        if (!good)
        {
            Memory.Zero(secret);
            throw new ShareException(
                ShareFailure.InvalidDigest,
                $"The shares of {where} do not recover a consistent secret (the SLIP-0039 digest does not match): one of them was altered or forged.");
        }

        return secret;
    }

    private static byte[] Take(RandomSource random, int length)
    {
        var bytes = random(length);
        if (bytes.Length != length)
        {
            throw new InvalidOperationException("The random source gave the wrong number of bytes.");
        }

        return bytes;
    }

    /// <summary>Recovers the encrypted master secret from a complete set, checking every surplus share and group.</summary>
    private static byte[] RecoverEncryptedSecret(ShareSet set)
    {
        var groupXs = new List<byte>();
        var groupYs = new List<byte[]>();
        try
        {
            foreach (var group in set.Groups.Values)
            {
                if (group.Members.Count < group.MemberThreshold)
                {
                    continue;
                }

                var members = group.Members.Values.ToList();
                var xs = members.Take(group.MemberThreshold).Select(s => (byte)s.MemberIndex).ToList();
                var ys = members.Take(group.MemberThreshold).Select(s => s.Value).ToList();
                var groupSecret = RecoverSecret(group.MemberThreshold, xs, ys, "group " + (group.Index + 1).ToString(CultureInfo.InvariantCulture));
                groupXs.Add((byte)group.Index);
                groupYs.Add(groupSecret);
                foreach (var surplus in members.Skip(group.MemberThreshold))
                {
                    CheckOnPolynomial(xs, ys, (byte)surplus.MemberIndex, surplus.Value, $"share {surplus.Position} ({Slip39Share.Describe(group.Index, surplus.MemberIndex)})");
                }
            }

            int threshold = set.First.GroupThreshold;
            var chosenXs = groupXs.Take(threshold).ToList();
            var chosenYs = groupYs.Take(threshold).ToList();
            var encrypted = RecoverSecret(threshold, chosenXs, chosenYs, "the groups");
            for (int i = threshold; i < groupXs.Count; i++)
            {
                CheckOnPolynomial(chosenXs, chosenYs, groupXs[i], groupYs[i], "group " + (groupXs[i] + 1).ToString(CultureInfo.InvariantCulture));
            }

            return encrypted;
        }
        finally
        {
            groupYs.ForEach(Memory.Zero);
        }
    }

    private static void CheckOnPolynomial(IReadOnlyList<byte> xs, IReadOnlyList<byte[]> ys, byte x, byte[] y, string what)
    {
        var expected = Gf256.Interpolate(xs, ys, x);
        bool same = Primitives.FixedTimeEquals(expected, 0, y, 0, y.Length);
        Memory.Zero(expected);
        if (!same)
        {
            throw new ShareException(
                ShareFailure.InconsistentShares,
                $"More shares than needed were given, and {what} does not agree with the others: a share was altered or forged.");
        }
    }

    /// <summary>Parses every share, checks that they belong together, and sorts them into groups.</summary>
    private static ShareSet Read(IReadOnlyList<string> mnemonics)
    {
        if (mnemonics is null || mnemonics.Count == 0)
        {
            throw new ShareException(ShareFailure.NoShares, "No share was given.");
        }

        if (mnemonics.Count > MaxShares)
        {
            throw new ShareException(ShareFailure.TooManyShares, $"{mnemonics.Count} shares were given; a split has at most {MaxShares} distinct shares.");
        }

        var shares = new List<Slip39Share>(mnemonics.Count);
        try
        {
            for (int i = 0; i < mnemonics.Count; i++)
            {
                shares.Add(Slip39Share.Parse(mnemonics[i], i + 1));
            }

            return Sort(shares);
        }
        catch (ShareException)
        {
            shares.ForEach(s => Memory.Zero(s.Value));
            throw;
        }
    }

    private static ShareSet Sort(List<Slip39Share> shares)
    {
        var first = shares[0];
        for (int i = 1; i < shares.Count; i++)
        {
            var share = shares[i];
            ShareMismatch? mismatch =
                share.Identifier != first.Identifier ? ShareMismatch.Identifier
                : share.Extendable != first.Extendable ? ShareMismatch.Extendable
                : share.IterationExponent != first.IterationExponent ? ShareMismatch.IterationExponent
                : share.GroupThreshold != first.GroupThreshold ? ShareMismatch.GroupThreshold
                : share.GroupCount != first.GroupCount ? ShareMismatch.GroupCount
                : share.Value.Length != first.Value.Length ? ShareMismatch.Length
                : null;
            if (mismatch is not null)
            {
                throw new ShareException(
                    ShareFailure.MixedSplits,
                    $"Share {i + 1} is not from the same split as share 1 (its {Name(mismatch.Value)} differs). Shares of one split start with the same two words and have the same length.",
                    shareNumber: i + 1,
                    mismatch: mismatch);
            }
        }

        var groups = new SortedDictionary<int, ShareGroup>();
        var given = new List<GivenShare>(shares.Count);
        for (int i = 0; i < shares.Count; i++)
        {
            var share = shares[i];
            share.Position = i + 1;
            if (!groups.TryGetValue(share.GroupIndex, out var group))
            {
                group = new ShareGroup(share.GroupIndex, share.MemberThreshold);
                groups.Add(share.GroupIndex, group);
            }
            else if (group.MemberThreshold != share.MemberThreshold)
            {
                throw new ShareException(
                    ShareFailure.MixedSplits,
                    $"Share {i + 1} says group {share.GroupIndex + 1} needs {share.MemberThreshold} shares, but an earlier share of that group says {group.MemberThreshold}: they are not from the same split.",
                    shareNumber: i + 1,
                    mismatch: ShareMismatch.MemberThreshold);
            }

            bool duplicate = false;
            if (group.Members.TryGetValue(share.MemberIndex, out var earlier))
            {
                if (!Primitives.FixedTimeEquals(earlier.Value, 0, share.Value, 0, share.Value.Length))
                {
                    throw new ShareException(
                        ShareFailure.ConflictingShare,
                        $"Shares {earlier.Position} and {i + 1} are both {Slip39Share.Describe(share.GroupIndex, share.MemberIndex)} but differ: one of them was altered or forged.",
                        shareNumber: i + 1);
                }

                duplicate = true;
            }
            else
            {
                group.Members.Add(share.MemberIndex, share);
            }

            given.Add(new GivenShare(i + 1, share.GroupIndex + 1, share.MemberIndex + 1, share.MemberThreshold, duplicate));
        }

        var groupStatus = groups.Values.Select(g => new ShareGroupStatus(g.Index + 1, g.MemberThreshold, g.Members.Count)).ToList();
        var status = new ShareSetStatus(first.Identifier, first.Extendable, first.IterationExponent, first.GroupThreshold, first.GroupCount, given, groupStatus);
        return new ShareSet(first, shares, groups, status);
    }

    private static string Name(ShareMismatch mismatch) => mismatch switch
    {
        ShareMismatch.Identifier => "identifier",
        ShareMismatch.Extendable => "extendable flag",
        ShareMismatch.IterationExponent => "iteration exponent",
        ShareMismatch.GroupThreshold => "group threshold",
        ShareMismatch.GroupCount => "group count",
        ShareMismatch.MemberThreshold => "member threshold",
        _ => "length",
    };

    internal static void CheckPassphrase(byte[] passphrase)
    {
        foreach (byte b in passphrase)
        {
            if (b < 32 || b > 126)
            {
                throw new ShareException(ShareFailure.InvalidPassphrase, "The share passphrase may hold only printable ASCII characters (space to '~'), as SLIP-0039 requires.");
            }
        }
    }

    private static void CheckPlan(int groupThreshold, IReadOnlyList<GroupPlan> groups, int secretLength, int iterationExponent)
    {
        string? problem = null;
        if (groups.Count < 1 || groups.Count > Slip39Share.MaxCount)
        {
            problem = $"a split has 1 to {Slip39Share.MaxCount} groups, not {groups.Count}";
        }
        else if (groupThreshold < 1 || groupThreshold > groups.Count)
        {
            problem = $"the group threshold must be 1 to {groups.Count} (the number of groups), not {groupThreshold}";
        }
        else if (secretLength < Slip39Share.MinValueLength || secretLength > Slip39Share.MaxValueLength || secretLength % 2 != 0)
        {
            problem = $"the secret to split must be an even number of bytes from {Slip39Share.MinValueLength} to {Slip39Share.MaxValueLength}, not {secretLength}";
        }
        else if (iterationExponent < 0 || iterationExponent > Slip39Share.MaxIterationExponent)
        {
            problem = $"the iteration exponent must be 0 to {Slip39Share.MaxIterationExponent}, not {iterationExponent}";
        }
        else
        {
            for (int g = 0; g < groups.Count && problem is null; g++)
            {
                var group = groups[g];
                if (group.MemberCount < 1 || group.MemberCount > Slip39Share.MaxCount)
                {
                    problem = $"group {g + 1} must have 1 to {Slip39Share.MaxCount} members, not {group.MemberCount}";
                }
                else if (group.MemberThreshold < 1 || group.MemberThreshold > group.MemberCount)
                {
                    problem = $"the threshold of group {g + 1} must be 1 to {group.MemberCount} (its members), not {group.MemberThreshold}";
                }
                else if (group.MemberThreshold == 1 && group.MemberCount > 1)
                {
                    // SLIP-0039's advice, which its reference implementation enforces: shares of a 1-of-n group would
                    // be the same share with different numbers, so n copies of one share are the honest form.
                    problem = $"group {g + 1} has threshold 1, so it must have exactly 1 member (give copies of that share instead)";
                }
            }
        }

        if (problem is not null)
        {
            throw new ShareException(ShareFailure.InvalidPlan, "This split is not possible: " + problem + ".");
        }
    }

    private sealed class ShareGroup
    {
        internal ShareGroup(int index, int memberThreshold)
        {
            Index = index;
            MemberThreshold = memberThreshold;
        }

        internal int Index { get; }

        internal int MemberThreshold { get; }

        internal SortedDictionary<int, Slip39Share> Members { get; } = new();
    }

    private sealed class ShareSet
    {
        internal ShareSet(Slip39Share first, List<Slip39Share> all, SortedDictionary<int, ShareGroup> groups, ShareSetStatus status)
        {
            First = first;
            All = all;
            Groups = groups;
            Status = status;
        }

        internal Slip39Share First { get; }

        /// <summary>Every share read, duplicates included, so that all their values can be zeroed.</summary>
        internal List<Slip39Share> All { get; }

        internal SortedDictionary<int, ShareGroup> Groups { get; }

        internal ShareSetStatus Status { get; }

        internal void Clear()
        {
            foreach (var share in All)
            {
                Memory.Zero(share.Value);
            }
        }
    }
}
