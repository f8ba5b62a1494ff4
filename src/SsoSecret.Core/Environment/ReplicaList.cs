using System;
using System.Collections.Generic;
using System.Text;

namespace SsoSecret;

/// <summary>
/// The master's list of its replicas (docs/environment-format.md, "The master's list of replicas"): the host public key
/// line of every replica it has sealed its ring to, in the order it first did, one per line after a header line. A
/// staged secret is activated, and a secret retired through the sessions, only when every replica of this list
/// confirms that it holds the master's ring, so that a replica left out of the sessions is not passed over silently.
/// </summary>
internal static class ReplicaList
{
    internal const string FileName = "replicas.txt";

    internal const string Header = "ssosecret-replicas v1";

    internal const int MaxReplicas = 4096;

    /// <summary>The header line and the largest list, each line with its LF.</summary>
    internal const int MaxLength = (21 + 1) + (MaxReplicas * (76 + 1));

    /// <summary>Reads a list; any departure from the format is <see cref="SsoSecretFailure.StoreDamaged"/>.</summary>
    internal static List<ReplicaPublicKey> Parse(byte[] data, string path)
    {
        if (data.Length > MaxLength)
        {
            throw Damaged(path, $"it is longer than the longest list ({MaxLength} bytes)");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(data);
        }
        catch (ArgumentException)
        {
            throw Damaged(path, "it is not UTF-8 text");
        }

        if (!text.EndsWith("\n", StringComparison.Ordinal))
        {
            throw Damaged(path, "its last line does not end with a line feed");
        }

        var lines = text.Substring(0, text.Length - 1).Split('\n');
        if (lines[0] != Header)
        {
            throw Damaged(path, $"its first line is not '{Header}'");
        }

        var replicas = new List<ReplicaPublicKey>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 1; i < lines.Length; i++)
        {
            ReplicaPublicKey key;
            try
            {
                key = ReplicaPublicKey.Parse(lines[i]);
            }
            catch (EnvironmentException e)
            {
                throw Damaged(path, $"line {i + 1} is not a replica's public key line ({e.Message})");
            }

            if (key.Text != lines[i] || !seen.Add(key.Text))
            {
                throw Damaged(path, $"line {i + 1} is {(key.Text != lines[i] ? "not in the line's lower-case form" : "a replica listed before")}");
            }

            replicas.Add(key);
        }

        if (replicas.Count > MaxReplicas)
        {
            throw Damaged(path, $"it lists more than {MaxReplicas} replicas");
        }

        return replicas;
    }

    internal static byte[] Serialize(IReadOnlyList<ReplicaPublicKey> replicas)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var replica in replicas)
        {
            text.Append(replica.Text).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static StoreException Damaged(string path, string reason) => new(
        SsoSecretFailure.StoreDamaged,
        path,
        $"The master's list of replicas '{path}' is damaged: {reason}.")
    {
        RecommendedAction = "Restore the file from a copy, or remove it and sync every replica again (each sync lists the replica it reaches).",
    };
}
