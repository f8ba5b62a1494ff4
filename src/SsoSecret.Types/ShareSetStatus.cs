using System;
using System.Collections.Generic;

namespace SsoSecret;

/// <summary>
/// One share as given to a combine: where it sits in its split. Groups and members are numbered from 1, as people
/// count (SLIP-0039's group and member indices are one less). Nothing here is secret.
/// </summary>
public sealed class GivenShare
{
    /// <summary>Creates the description of a given share.</summary>
    public GivenShare(int position, int groupNumber, int memberNumber, int memberThreshold, bool isDuplicate)
    {
        Position = position;
        GroupNumber = groupNumber;
        MemberNumber = memberNumber;
        MemberThreshold = memberThreshold;
        IsDuplicate = isDuplicate;
    }

    /// <summary>The share's position in the order given, from 1.</summary>
    public int Position { get; }

    /// <summary>The share's group, from 1.</summary>
    public int GroupNumber { get; }

    /// <summary>The share's member number within its group, from 1.</summary>
    public int MemberNumber { get; }

    /// <summary>How many members of this share's group recover the group.</summary>
    public int MemberThreshold { get; }

    /// <summary>The very same share was given earlier; it is ignored.</summary>
    public bool IsDuplicate { get; }
}

/// <summary>The progress of one group of a split for which at least one share was given.</summary>
public sealed class ShareGroupStatus
{
    /// <summary>Creates the status of a group.</summary>
    public ShareGroupStatus(int groupNumber, int memberThreshold, int membersGiven)
    {
        GroupNumber = groupNumber;
        MemberThreshold = memberThreshold;
        MembersGiven = membersGiven;
    }

    /// <summary>The group, from 1.</summary>
    public int GroupNumber { get; }

    /// <summary>How many distinct members of this group recover it.</summary>
    public int MemberThreshold { get; }

    /// <summary>How many distinct members of this group were given.</summary>
    public int MembersGiven { get; }

    /// <summary>How many more distinct members of this group are needed to complete it (0 when complete).</summary>
    public int MembersNeeded => Math.Max(0, MemberThreshold - MembersGiven);

    /// <summary>Enough members of this group were given.</summary>
    public bool IsComplete => MembersGiven >= MemberThreshold;
}

/// <summary>
/// What a set of shares holds and what it still lacks, as custodians need to see it: which shares were given,
/// which groups are complete and how many more shares and groups are needed. Nothing here is secret.
/// </summary>
public sealed class ShareSetStatus
{
    /// <summary>Creates the status.</summary>
    public ShareSetStatus(
        int identifier,
        bool extendable,
        int iterationExponent,
        int groupThreshold,
        int groupCount,
        IReadOnlyList<GivenShare> shares,
        IReadOnlyList<ShareGroupStatus> groups)
    {
        Identifier = identifier;
        Extendable = extendable;
        IterationExponent = iterationExponent;
        GroupThreshold = groupThreshold;
        GroupCount = groupCount;
        Shares = shares;
        Groups = groups;

        int complete = 0;
        var stillNeeded = new List<int>();
        foreach (var group in groups)
        {
            if (group.IsComplete)
            {
                complete++;
            }
            else
            {
                stillNeeded.Add(group.MembersNeeded);
            }
        }

        CompleteGroups = complete;
        GroupsNeeded = Math.Max(0, groupThreshold - complete);

        // A group of which no share was seen needs at least one share (its member threshold is not known yet).
        for (int i = groups.Count; i < groupCount; i++)
        {
            stillNeeded.Add(1);
        }

        stillNeeded.Sort();
        int minimum = 0;
        for (int i = 0; i < GroupsNeeded && i < stillNeeded.Count; i++)
        {
            minimum += stillNeeded[i];
        }

        MinimumSharesNeeded = minimum;
    }

    /// <summary>The split's 15-bit random identifier (encoded in the first two words of every share).</summary>
    public int Identifier { get; }

    /// <summary>The split's extendable flag.</summary>
    public bool Extendable { get; }

    /// <summary>The split's iteration exponent: the passphrase encryption runs 10000 × 2^e PBKDF2 iterations.</summary>
    public int IterationExponent { get; }

    /// <summary>How many complete groups recover the secret.</summary>
    public int GroupThreshold { get; }

    /// <summary>How many groups the split has.</summary>
    public int GroupCount { get; }

    /// <summary>Every share given, in the order given.</summary>
    public IReadOnlyList<GivenShare> Shares { get; }

    /// <summary>Every group of which at least one share was given, in group order.</summary>
    public IReadOnlyList<ShareGroupStatus> Groups { get; }

    /// <summary>How many groups are complete.</summary>
    public int CompleteGroups { get; }

    /// <summary>How many more complete groups are needed (0 when the set is complete).</summary>
    public int GroupsNeeded { get; }

    /// <summary>
    /// The fewest further shares that could complete the set: the smallest shortfalls of the incomplete groups, a
    /// group of which no share was seen counting as one (its threshold is not known until one of its shares is).
    /// </summary>
    public int MinimumSharesNeeded { get; }

    /// <summary>Enough shares were given to recover the secret.</summary>
    public bool IsComplete => GroupsNeeded == 0;
}
