using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SsoSecret.Recovery;

namespace SsoSecret.Internal;

/// <summary>Recovery shares as commands take them: share sheets (files) or the words themselves.</summary>
internal static class ShareInput
{
    /// <summary>The most a share file is read: a sheet is under 1 KiB.</summary>
    private const int MaxFileLength = 64 * 1024;

    /// <summary>A share's words from a share sheet (Split-SsoMasterSecret's file) or a file of words.</summary>
    internal static string ReadFile(string path) => ShareSheet.ReadWords(Encoding.UTF8.GetString(IO.GivenFile.Read(
        path,
        "recovery share file",
        "give a recovery share's file",
        MaxFileLength,
        length => new ShareException(ShareFailure.InvalidLength, $"The file '{path}' is {length} bytes long; a recovery share's file is never longer than {MaxFileLength} bytes."))));

    /// <summary>
    /// What a status says to a person: the distinct shares accepted (a share given twice counts once) and how many are
    /// still needed, as "k of n still needed". The shares are named as their sheets name them ("share 2"), never by an
    /// order of typing, which a person would read as a share's number.
    /// </summary>
    internal static string Describe(ShareSetStatus status)
    {
        var names = new List<string>();
        var again = new List<string>();
        foreach (var share in status.Shares)
        {
            (share.IsDuplicate ? again : names).Add(Name(share, status));
        }

        string repeated = again.Count == 0 ? string.Empty : $"; given again and counted once: {string.Join(", ", again)}";
        string accepted = $"Split {status.Identifier}: {names.Count} {(names.Count == 1 ? "share" : "shares")} accepted ({string.Join(", ", names)}{repeated}).";
        if (status.IsComplete)
        {
            return accepted + " That is enough to restore the secret.";
        }

        if (status.GroupCount == 1 && status.Groups.Count == 1)
        {
            var group = status.Groups[0];
            return accepted + $" {group.MembersNeeded} of {group.MemberThreshold} still needed.";
        }

        return accepted + $" {status.CompleteGroups} of the {status.GroupThreshold} groups needed {(status.CompleteGroups == 1 ? "is" : "are")} complete; at least {status.MinimumSharesNeeded} more {(status.MinimumSharesNeeded == 1 ? "share is" : "shares are")} still needed.";
    }

    /// <summary>A share as its sheet names it: "share 2", or "group 1 share 2" in a split of several groups.</summary>
    internal static string Name(GivenShare share, ShareSetStatus? status = null) =>
        status is not null && status.GroupCount == 1
            ? $"share {share.MemberNumber}"
            : $"group {share.GroupNumber} share {share.MemberNumber}";
}
