using System;
using System.Collections.Generic;

namespace SsoSecret;

/// <summary>One master secret in a key ring: its id and its bytes (borrowed, never copied or zeroed by the ring).</summary>
internal sealed class ProtectedDataKey
{
    internal ProtectedDataKey(Guid id, byte[] secret)
    {
        if (id == Guid.Empty)
        {
            throw new ArgumentException("A master secret's id is never the nil GUID.", nameof(id));
        }

        if (secret is null)
        {
            throw new ArgumentNullException(nameof(secret));
        }

        if (secret.Length < ProtectedData.MinSecretLength || secret.Length > ProtectedData.MaxSecretLength)
        {
            throw new ArgumentException($"A master secret must be {ProtectedData.MinSecretLength} to {ProtectedData.MaxSecretLength} bytes long.", nameof(secret));
        }

        Id = id;
        Secret = secret;
    }

    internal Guid Id { get; }

    internal byte[] Secret { get; }
}

/// <summary>
/// The master secrets a reader may use: the current one, which <see cref="ProtectedData.Protect(ProtectedDataKeyRing, string, byte[])"/>
/// and <see cref="ProtectedData.Rewrap(ProtectedDataKeyRing, string, string)"/> write under, and the previous ones, which still open what was written under
/// them (as ASP.NET Core Data Protection keeps retired keys in its ring, and ENTSSO keeps the old secret while it
/// re-encrypts). A secret that is not in the ring gives <see cref="ProtectedDataFailure.UnknownSecret"/>.
/// </summary>
/// <remarks>
/// The ring borrows the secret arrays: it neither copies nor zeroes them, so that their owner (the store's state)
/// remains the one place that zeroes them, and a ring costs nothing to build for each call.
/// </remarks>
internal sealed class ProtectedDataKeyRing
{
    private readonly ProtectedDataKey[] _keys;

    /// <summary>Creates a ring of <paramref name="current"/> and any number of previous secrets, each id at most once.</summary>
    internal ProtectedDataKeyRing(ProtectedDataKey current, params ProtectedDataKey[] previous)
    {
        if (current is null)
        {
            throw new ArgumentNullException(nameof(current));
        }

        var keys = new List<ProtectedDataKey> { current };
        foreach (var key in previous ?? Array.Empty<ProtectedDataKey>())
        {
            if (key is null)
            {
                throw new ArgumentNullException(nameof(previous));
            }

            if (keys.Exists(k => k.Id == key.Id))
            {
                throw new ArgumentException($"The key ring holds the secret id {key.Id} twice.", nameof(previous));
            }

            keys.Add(key);
        }

        _keys = keys.ToArray();
    }

    /// <summary>The secret new values are protected under.</summary>
    internal ProtectedDataKey Current => _keys[0];

    /// <summary>Every secret of the ring, the current one first.</summary>
    internal IReadOnlyList<ProtectedDataKey> Keys => _keys;

    /// <summary>The secret with this id, or null when the ring does not hold it.</summary>
    internal ProtectedDataKey? Find(Guid id)
    {
        foreach (var key in _keys)
        {
            if (key.Id == id)
            {
                return key;
            }
        }

        return null;
    }
}
