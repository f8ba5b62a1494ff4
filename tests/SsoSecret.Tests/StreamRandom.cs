using System;
using System.Collections.Generic;
using SsoSecret.Crypto;

namespace SsoSecret.Tests;

/// <summary>
/// The deterministic random source of docs/recovery-shares.md's test vectors: the stream
/// SHA-256(seed || 00000000) || SHA-256(seed || 00000001) || ... (a 4-byte big-endian counter), each request taking
/// the next bytes. Property tests use it too, so a failing case replays from its seed.
/// </summary>
internal sealed class StreamRandom
{
    private readonly byte[] _seed;
    private readonly List<byte> _buffered = new();
    private uint _counter;

    internal StreamRandom(byte[] seed)
    {
        _seed = (byte[])seed.Clone();
    }

    /// <summary>Every request so far, in order, as its length: the tests check the documented order of draws.</summary>
    internal List<int> Requests { get; } = new();

    internal byte[] Next(int length)
    {
        Requests.Add(length);
        while (_buffered.Count < length)
        {
            var input = new byte[_seed.Length + 4];
            Buffer.BlockCopy(_seed, 0, input, 0, _seed.Length);
            input[_seed.Length] = (byte)(_counter >> 24);
            input[_seed.Length + 1] = (byte)(_counter >> 16);
            input[_seed.Length + 2] = (byte)(_counter >> 8);
            input[_seed.Length + 3] = (byte)_counter;
            _counter++;
            _buffered.AddRange(Primitives.Sha256(input, 0, input.Length));
        }

        var result = _buffered.GetRange(0, length).ToArray();
        _buffered.RemoveRange(0, length);
        return result;
    }
}
