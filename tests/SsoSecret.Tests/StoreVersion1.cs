using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SsoSecret.Tests;

/// <summary>
/// Writes store files of version 1 (docs/store-format.md, "Version 1, and its migration"), which the module no longer
/// writes but still reads: what a store made by an earlier SsoSecret holds. Written from the page, protection 0.
/// </summary>
internal static class StoreVersion1
{
    internal sealed record Secret(Guid Id, DateTimeOffset Created, byte[] Bytes, DateTimeOffset? Replaced = null);

    internal static byte[] Write(Secret? current, Secret? previous, (DateTimeOffset Time, Guid SecretId, string Path)? lastBackup)
    {
        var body = new List<byte>();
        body.AddRange(Encoding.ASCII.GetBytes("SSOSTORE"));
        body.AddRange(new byte[] { 0, 1, 0 });
        body.Add((byte)((current is null ? 0 : 1) | (previous is null ? 0 : 2) | (lastBackup is null ? 0 : 4)));
        if (current is not null)
        {
            AddSecret(body, current, withReplaced: false);
        }

        if (previous is not null)
        {
            AddSecret(body, previous, withReplaced: true);
        }

        if (lastBackup is { } backup)
        {
            body.AddRange(Int64(backup.Time.ToUnixTimeMilliseconds()));
            body.AddRange(Guid16(backup.SecretId));
            var path = Encoding.UTF8.GetBytes(backup.Path);
            body.Add((byte)(path.Length >> 8));
            body.Add((byte)path.Length);
            body.AddRange(path);
        }

        var bytes = body.ToArray();
        return bytes.Concat(System.Security.Cryptography.SHA256.HashData(bytes)).ToArray();
    }

    private static void AddSecret(List<byte> body, Secret secret, bool withReplaced)
    {
        body.AddRange(Guid16(secret.Id));
        body.AddRange(Int64(secret.Created.ToUnixTimeMilliseconds()));
        if (withReplaced)
        {
            body.AddRange(Int64(secret.Replaced!.Value.ToUnixTimeMilliseconds()));
        }

        body.Add((byte)(secret.Bytes.Length >> 8));
        body.Add((byte)secret.Bytes.Length);
        body.AddRange(secret.Bytes);
    }

    private static byte[] Int64(long value) => Enumerable.Range(0, 8).Select(i => (byte)(value >> (56 - (8 * i)))).ToArray();

    // RFC 9562 order: the order of the canonical text form.
    private static byte[] Guid16(Guid id) => Convert.FromHexString(id.ToString("N"));
}
