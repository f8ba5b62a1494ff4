using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Crypto;

namespace SsoSecret.Recovery;

/// <summary>How a master secret is split: <see cref="GroupThreshold"/> complete groups of <see cref="Groups"/> recover it.</summary>
internal sealed class SharePlan
{
    internal SharePlan(int groupThreshold, IReadOnlyList<GroupPlan> groups)
    {
        GroupThreshold = groupThreshold;
        Groups = groups;
    }

    internal int GroupThreshold { get; }

    internal IReadOnlyList<GroupPlan> Groups { get; }

    /// <summary>The usual k-of-n custodians: one group of <paramref name="count"/> shares of which <paramref name="threshold"/> recover.</summary>
    internal static SharePlan Single(int threshold, int count) => new(1, new[] { new GroupPlan(threshold, count) });
}

/// <summary>A master secret recovered from shares. Dispose zeroes the secret.</summary>
internal sealed class RecoveredSecret : IDisposable
{
    internal RecoveredSecret(Guid id, byte[] secret, ShareSetStatus status)
    {
        Id = id;
        Secret = secret;
        Fingerprint = SecretFingerprint.Compute(secret);
        Status = status;
    }

    internal Guid Id { get; }

    internal byte[] Secret { get; }

    /// <summary>The secret's fingerprint: what a caller compares with a backup's header or a store.</summary>
    internal byte[] Fingerprint { get; }

    internal ShareSetStatus Status { get; }

    public void Dispose() => Memory.Zero(Secret);
}

/// <summary>
/// SsoSecret's k-of-n custodians: a stored master secret (its GUID and 16 to 64 secret bytes) split into SLIP-0039
/// shares, and shares combined back into the same GUID and secret. The SLIP-0039 master secret is SsoSecret's
/// share payload: version, secret length, GUID, secret, padding and a check, laid out in docs/recovery-shares.md.
/// </summary>
internal static class SecretShares
{
    internal const byte Version = 1;
    internal const int MinSecretLength = 16;
    internal const int MaxSecretLength = 64;
    internal const int IdLength = 16;
    internal const int CheckLength = 4;

    internal const int VersionOffset = 0;
    internal const int SecretLengthOffset = 1;
    internal const int IdOffset = 2;
    internal const int SecretOffset = 18;

    /// <summary>Payload bytes besides the secret and its padding: version, length, GUID, check.</summary>
    internal const int FixedLength = SecretOffset + CheckLength;

    internal const int MinPayloadLength = FixedLength + MinSecretLength;
    internal const int MaxPayloadLength = FixedLength + MaxSecretLength;

    /// <summary>SsoSecret writes e = 1, as the SLIP-0039 reference implementation does by default.</summary>
    internal const int DefaultIterationExponent = 1;

    /// <summary>SsoSecret writes extendable shares, as the current SLIP-0039 reference implementation does by default.</summary>
    internal const bool Extendable = true;

    /// <summary>The check's label has no version in it, so that any reader can tell a wrong passphrase from a newer payload.</summary>
    private static readonly byte[] s_checkLabel = Encoding.ASCII.GetBytes("SsoSecret recovery shares\0");

    /// <summary>Splits a master secret into mnemonics, one list per group of the plan.</summary>
    internal static List<List<string>> Split(
        Guid id,
        byte[] secret,
        SharePlan plan,
        byte[]? passphrase = null,
        int iterationExponent = DefaultIterationExponent,
        RandomSource? random = null)
    {
        var payload = Encode(id, secret);
        try
        {
            return Slip39.Split(plan.GroupThreshold, plan.Groups, payload, passphrase ?? Array.Empty<byte>(), iterationExponent, Extendable, random);
        }
        finally
        {
            Memory.Zero(payload);
        }
    }

    /// <summary>
    /// Combines shares into the master secret, or returns null when they are valid but too few
    /// (<paramref name="status"/> says which shares were given and what is missing). Every other problem throws
    /// <see cref="ShareException"/>.
    /// </summary>
    internal static RecoveredSecret? TryCombine(
        IReadOnlyList<string> shares,
        byte[]? passphrase,
        out ShareSetStatus status,
        int maxIterationExponent = Slip39.DefaultMaxIterationExponent)
    {
        var payload = Slip39.TryCombine(shares, passphrase ?? Array.Empty<byte>(), out status, maxIterationExponent);
        if (payload is null)
        {
            return null;
        }

        try
        {
            var secret = Decode(payload, out var id);
            return new RecoveredSecret(id, secret, status);
        }
        finally
        {
            Memory.Zero(payload);
        }
    }

    /// <summary>As <see cref="TryCombine"/>, but too few shares throw <see cref="ShareFailure.TooFewShares"/> with the status.</summary>
    internal static RecoveredSecret Combine(IReadOnlyList<string> shares, byte[]? passphrase, int maxIterationExponent = Slip39.DefaultMaxIterationExponent) =>
        TryCombine(shares, passphrase, out var status, maxIterationExponent) ?? throw Slip39.TooFew(status);

    /// <summary>
    /// The custodians' drill: checks that the shares are valid and recover a master secret, and returns only its
    /// GUID and fingerprint (to compare with a store or a backup header). The secret is zeroed before this returns.
    /// </summary>
    internal static (Guid Id, byte[] Fingerprint, ShareSetStatus Status) Check(IReadOnlyList<string> shares, byte[]? passphrase, int maxIterationExponent = Slip39.DefaultMaxIterationExponent)
    {
        using var recovered = Combine(shares, passphrase, maxIterationExponent);
        return (recovered.Id, recovered.Fingerprint, recovered.Status);
    }

    /// <summary>The payload: the SLIP-0039 master secret that holds the GUID and the secret.</summary>
    internal static byte[] Encode(Guid id, byte[] secret)
    {
        if (secret.Length < MinSecretLength || secret.Length > MaxSecretLength)
        {
            throw new ShareException(ShareFailure.InvalidPlan, $"Only a master secret of {MinSecretLength} to {MaxSecretLength} bytes can be split into shares; this one has {secret.Length}.");
        }

        int padding = secret.Length % 2;
        var payload = new byte[FixedLength + secret.Length + padding];
        payload[VersionOffset] = Version;
        payload[SecretLengthOffset] = (byte)secret.Length;
        Codec.BigEndian.WriteGuid(payload, IdOffset, id);
        Buffer.BlockCopy(secret, 0, payload, SecretOffset, secret.Length);
        var check = ComputeCheck(payload);
        Buffer.BlockCopy(check, 0, payload, payload.Length - CheckLength, CheckLength);
        return payload;
    }

    /// <summary>Reads a payload, with the checks of docs/recovery-shares.md in their order.</summary>
    internal static byte[] Decode(byte[] payload, out Guid id)
    {
        // SLIP-0039 gives at least 16 bytes, so the check is always there to compare.
        var check = ComputeCheck(payload);
        bool checkMatches = Primitives.FixedTimeEquals(check, 0, payload, payload.Length - CheckLength, CheckLength);
        if (!checkMatches)
        {
            throw new ShareException(
                ShareFailure.WrongPassphrase,
                "The shares combine, but not to an SsoSecret master secret: the share passphrase is wrong (if one was set when the shares were made), or these shares were not made by SsoSecret.");
        }

        if (payload[VersionOffset] != Version)
        {
            throw new ShareException(
                ShareFailure.UnsupportedVersion,
                $"The shares hold an SsoSecret payload of version {payload[VersionOffset]}; this version of SsoSecret reads version {Version}. Use a newer SsoSecret.");
        }

        int length = payload[SecretLengthOffset];
        int padding = length % 2;
        if (length < MinSecretLength || length > MaxSecretLength || payload.Length != FixedLength + length + padding
            || (padding == 1 && payload[SecretOffset + length] != 0))
        {
            throw new ShareException(ShareFailure.InvalidPayload, "The shares hold a malformed SsoSecret payload (its check matches, so the writer was faulty or the shares were forged).");
        }

        id = Codec.BigEndian.ReadGuid(payload, IdOffset);
        var secret = new byte[length];
        Buffer.BlockCopy(payload, SecretOffset, secret, 0, length);
        return secret;
    }

    /// <summary>The first 4 bytes of SHA-256 over the label and everything before the check.</summary>
    internal static byte[] ComputeCheck(byte[] payload)
    {
        int covered = payload.Length - CheckLength;
        var input = new byte[s_checkLabel.Length + covered];
        try
        {
            Buffer.BlockCopy(s_checkLabel, 0, input, 0, s_checkLabel.Length);
            Buffer.BlockCopy(payload, 0, input, s_checkLabel.Length, covered);
            var digest = Primitives.Sha256(input, 0, input.Length);
            var check = new byte[CheckLength];
            Buffer.BlockCopy(digest, 0, check, 0, CheckLength);
            return check;
        }
        finally
        {
            Memory.Zero(input);
        }
    }
}
