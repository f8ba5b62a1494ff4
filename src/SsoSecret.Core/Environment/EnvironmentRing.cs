using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>What a secret of an environment's ring is for (docs/environment-format.md, "The ring").</summary>
internal enum RingSecretState : byte
{
    /// <summary>Protects new values and opens values; exactly one per ring, its first secret.</summary>
    Active = 1,

    /// <summary>Opens values, protects none yet: distributed ahead of its activation. At most one, the second secret.</summary>
    Staged = 2,

    /// <summary>A secret the active one replaced: opens values. The most recently replaced first.</summary>
    Earlier = 3,
}

/// <summary>One secret of an environment's ring. The bytes are the secret itself: zeroed on dispose.</summary>
internal sealed class RingSecret : IDisposable
{
    internal RingSecret(Guid id, RingSecretState state, DateTimeOffset created, DateTimeOffset? replaced, byte[] secret)
    {
        Id = id;
        State = state;
        Created = created;
        Replaced = replaced;
        Secret = secret;
    }

    internal Guid Id { get; }

    internal RingSecretState State { get; }

    internal DateTimeOffset Created { get; }

    /// <summary>For an earlier secret: when it stopped being the active one. Null for the active and the staged secret.</summary>
    internal DateTimeOffset? Replaced { get; }

    internal byte[] Secret { get; }

    public void Dispose() => Memory.Zero(Secret);
}

/// <summary>
/// The master's key ring as it travels to the replicas: the active secret, a staged one (optional), the earlier ones.
/// The body encoding (<see cref="Encode"/>) is canonical: one ring, one byte string, so that a replica tells a fork
/// from the ring it holds by the digest alone. Backup records stay on the master: they name its files.
/// </summary>
internal sealed class EnvironmentRing : IDisposable
{
    /// <summary>The most secrets a ring holds, as the store's ring.</summary>
    internal const int MaxSecrets = StoreState.MaxSecrets;

    internal const int MinSecretLength = BackupEnvelope.MinSecretLength;
    internal const int MaxSecretLength = BackupEnvelope.MaxSecretLength;

    /// <summary>An entry without its secret: id, state, created, L.</summary>
    internal const int EntryOverhead = 16 + 1 + 8 + 2;

    /// <summary>The smallest body: the count and one active secret of 16 bytes.</summary>
    internal const int MinBodyLength = 1 + EntryOverhead + MinSecretLength;

    /// <summary>The largest body: 32 earlier-shaped entries (8 more bytes each) of 1024-byte secrets.</summary>
    internal const int MaxBodyLength = 1 + MaxSecrets * (EntryOverhead + 8 + MaxSecretLength);

    private static readonly byte[] s_digestLabel = Encoding.ASCII.GetBytes("SsoSecret ring v1 digest\0");
    private static readonly byte[] s_confirmationLabel = Encoding.ASCII.GetBytes("SsoSecret ring confirmation v1\0");

    private static readonly long s_minMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long s_maxMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    internal EnvironmentRing(IEnumerable<RingSecret> secrets)
    {
        Secrets = new List<RingSecret>(secrets);
    }

    /// <summary>The secrets in the ring's order: active, staged (if any), earlier (the most recently replaced first).</summary>
    internal IReadOnlyList<RingSecret> Secrets { get; }

    internal RingSecret Active => Secrets[0];

    internal RingSecret? Staged => Secrets.Count > 1 && Secrets[1].State == RingSecretState.Staged ? Secrets[1] : null;

    /// <summary>
    /// The ring's body bytes (docs/environment-format.md, "The ring"). A ring that breaks a rule is refused
    /// (<see cref="SsoSecretFailure.InvalidRing"/>) before anything is written: a master never seals one.
    /// </summary>
    internal byte[] Encode()
    {
        var body = EncodeUnchecked(Secrets);
        try
        {
            // The reader is the one statement of the rules: what it refuses, the writer refuses.
            Decode(body, reason => new EnvironmentException(SsoSecretFailure.InvalidRing, $"The ring cannot be sealed: {reason}. Nothing was sealed.")).Dispose();
            return body;
        }
        catch
        {
            Memory.Zero(body);
            throw;
        }
    }

    /// <summary>The body bytes of any list of secrets, rules unchecked: what a faulty master would write (tests, vectors).</summary>
    internal static byte[] EncodeUnchecked(IReadOnlyList<RingSecret> secrets)
    {
        using var writer = new ByteWriter();
        writer.Byte((byte)secrets.Count);
        foreach (var secret in secrets)
        {
            writer.Guid(secret.Id);
            writer.Byte((byte)secret.State);
            writer.Int64(secret.Created.ToUnixTimeMilliseconds());
            if (secret.State == RingSecretState.Earlier)
            {
                writer.Int64((secret.Replaced ?? throw new ArgumentException("An earlier secret has a replaced time.", nameof(secrets))).ToUnixTimeMilliseconds());
            }

            writer.UInt16(secret.Secret.Length);
            writer.Bytes(secret.Secret);
        }

        return writer.ToArray();
    }

    /// <summary>
    /// Reads a body, checking every rule in the order docs/environment-format.md gives; any failure is
    /// <see cref="SsoSecretFailure.InvalidRing"/> (the body was signed by the master: only a faulty master writes one).
    /// </summary>
    internal static EnvironmentRing Decode(byte[] body) => Decode(body, Invalid);

    private static EnvironmentRing Decode(byte[] body, Func<string, EnvironmentException> invalid)
    {
        if (body.Length < MinBodyLength || body.Length > MaxBodyLength)
        {
            throw invalid($"its body is {body.Length} bytes long, outside {MinBodyLength} to {MaxBodyLength}");
        }

        var reader = new ByteReader(body, reason => invalid($"its body {reason}"));
        int count = reader.Byte();
        if (count < 1 || count > MaxSecrets)
        {
            throw invalid($"it holds {count} secrets, not 1 to {MaxSecrets}");
        }

        var secrets = new List<RingSecret>(count);
        try
        {
            var ids = new HashSet<Guid>();
            DateTimeOffset? lastReplaced = null;
            for (int i = 0; i < count; i++)
            {
                var id = reader.Guid();
                if (!ids.Add(id))
                {
                    throw invalid($"it holds the id {id} twice");
                }

                int stateByte = reader.Byte();
                var expected = i == 0 ? "1 (active)" : i == 1 ? "2 (staged) or 3 (earlier)" : "3 (earlier)";
                bool allowed = i == 0 ? stateByte == 1 : i == 1 ? stateByte == 2 || stateByte == 3 : stateByte == 3;
                if (!allowed)
                {
                    throw invalid(i == 0 && stateByte != 1
                        ? $"its first secret has the state {stateByte}, not 1: a ring has no active secret unless its first secret is"
                        : $"its secret {i + 1} has the state {stateByte}, not {expected}");
                }

                var state = (RingSecretState)stateByte;
                var created = Time(reader.Int64(), $"the creation time of its secret {i + 1}", invalid);
                DateTimeOffset? replaced = null;
                if (state == RingSecretState.Earlier)
                {
                    replaced = Time(reader.Int64(), $"the replaced time of its secret {i + 1}", invalid);
                    if (lastReplaced is DateTimeOffset before && replaced > before)
                    {
                        throw invalid($"its secret {i + 1} was replaced later than the earlier secret before it: earlier secrets go the most recently replaced first");
                    }

                    lastReplaced = replaced;
                }

                int length = reader.UInt16();
                if (length < MinSecretLength || length > MaxSecretLength)
                {
                    throw invalid($"its secret {i + 1} is {length} bytes long, outside {MinSecretLength} to {MaxSecretLength}");
                }

                secrets.Add(new RingSecret(id, state, created, replaced, reader.Bytes(length)));
            }

            if (!reader.AtEnd)
            {
                throw invalid("its body has bytes after its last secret");
            }

            return new EnvironmentRing(secrets);
        }
        catch
        {
            foreach (var secret in secrets)
            {
                secret.Dispose();
            }

            throw;
        }
    }

    /// <summary><c>SHA-256("SsoSecret ring v1 digest" || 0x00 || body)</c>: the ring's content, readable without a key.</summary>
    /// <summary>
    /// A replica's confirmation that it holds the ring of <paramref name="body"/> as generation
    /// <paramref name="generation"/> of <paramref name="environmentId"/> (docs/environment-format.md, "Confirmations"):
    /// HMAC-SHA256 under a key HKDF derives from the body, so that only a holder of the ring's secrets can make it, over
    /// the environment id, the generation and the replica's fingerprint, so that it is good for that replica and that
    /// generation only.
    /// </summary>
    internal static byte[] Confirmation(byte[] body, Guid environmentId, long generation, byte[] replicaFingerprint)
    {
        if (replicaFingerprint.Length != EnvironmentFingerprint.Length)
        {
            throw new ArgumentException("A replica's fingerprint is 16 bytes.", nameof(replicaFingerprint));
        }

        var key = Primitives.HkdfSha256(body, null, s_confirmationLabel, Primitives.Sha256Length);
        var message = new byte[16 + 8 + EnvironmentFingerprint.Length];
        BigEndian.WriteGuid(message, 0, environmentId);
        BigEndian.WriteUInt64(message, 16, (ulong)generation);
        Buffer.BlockCopy(replicaFingerprint, 0, message, 24, EnvironmentFingerprint.Length);
        try
        {
            return Primitives.HmacSha256(key, message);
        }
        finally
        {
            Memory.Zero(key);
        }
    }

    internal static byte[] Digest(byte[] body)
    {
        var input = new byte[s_digestLabel.Length + body.Length];
        try
        {
            Buffer.BlockCopy(s_digestLabel, 0, input, 0, s_digestLabel.Length);
            Buffer.BlockCopy(body, 0, input, s_digestLabel.Length, body.Length);
            return Primitives.Sha256(input, 0, input.Length);
        }
        finally
        {
            Memory.Zero(input);
        }
    }

    public void Dispose()
    {
        foreach (var secret in Secrets)
        {
            secret.Dispose();
        }
    }

    private static DateTimeOffset Time(long milliseconds, string what, Func<string, EnvironmentException> invalid)
    {
        if (milliseconds < s_minMilliseconds || milliseconds > s_maxMilliseconds)
        {
            throw invalid($"{what} is out of range");
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }

    internal static EnvironmentException Invalid(string reason) => new(
        SsoSecretFailure.InvalidRing,
        $"The sealed ring is signed by the master this replica pinned, but it breaks the ring's rules: {reason}. Nothing was installed.");
}
