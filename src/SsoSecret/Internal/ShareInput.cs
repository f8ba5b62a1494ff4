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

    /// <summary>What a status says to a person: the shares given and what is still missing.</summary>
    internal static string Describe(ShareSetStatus status)
    {
        var numbers = new List<string>();
        foreach (var share in status.Shares)
        {
            numbers.Add(share.IsDuplicate ? $"{share.MemberNumber} (again)" : share.MemberNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        string given = $"Shares given: {string.Join(", ", numbers)} of split {status.Identifier}.";
        if (status.IsComplete)
        {
            return given + " That is enough to restore the secret.";
        }

        if (status.GroupCount == 1 && status.Groups.Count == 1)
        {
            var group = status.Groups[0];
            return given + $" {group.MemberThreshold} are needed: {group.MembersNeeded} more.";
        }

        return given + $" {status.CompleteGroups} of the {status.GroupThreshold} groups needed are complete; at least {status.MinimumSharesNeeded} more shares are needed.";
    }
}
