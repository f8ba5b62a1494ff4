using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto.Digests;

namespace SsoSecret.Crypto.Managed;

/// <summary>
/// SsoSecret's own Argon2id (RFC 9106, version 0x13), for .NET 8 and later: the compression function on the processor's
/// vector units (<see cref="Argon2Compression"/>), the lanes of each slice on threads of their own, the memory in one
/// allocation (<see cref="Argon2Memory"/>, huge pages where the system gives them) that is wiped after use. BLAKE2b itself
/// (the initial hash H0 and the variable-length hash H') is BouncyCastle's. Like every implementation it is used only
/// after it passed <see cref="Argon2SelfTest"/>.
/// </summary>
[SkipLocalsInit]
internal sealed unsafe class ManagedArgon2 : Argon2Provider
{
    internal const string ProviderName = "Managed";

    private const int BlockBytes = 1024;
    private const int SyncPoints = 4;
    private const int AddressesInBlock = 128;
    private const int Argon2Id = 2;
    private const int Version13 = 0x13;

    private readonly CompressionLevel _level;

    internal ManagedArgon2(CompressionLevel level)
    {
        if (!Argon2Compression.IsSupported(level))
        {
            throw new PlatformNotSupportedException($"This processor cannot run the {level} compression.");
        }

        _level = level;
    }

    /// <summary>The implementation at the widest vectors this processor has.</summary>
    internal static ManagedArgon2 Instance { get; } = new(Argon2Compression.Best);

    internal override string Name => ProviderName;

    internal override string Description => $"SsoSecret's managed Argon2id ({LevelName}, .NET {Environment.Version})";

    internal CompressionLevel Level => _level;

    private string LevelName => _level switch
    {
        CompressionLevel.Avx2 => "AVX2",
        CompressionLevel.Vector128 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "AdvSIMD" : "SSE2",
        _ => "scalar",
    };

    internal override void Hash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, byte[] output)
    {
        int lanes = kdf.Parallelism;
        int segmentLength = Math.Max(kdf.MemoryKiB, 2 * SyncPoints * lanes) / (SyncPoints * lanes);
        int laneLength = segmentLength * SyncPoints;
        var shape = new Shape(_level, lanes, laneLength, segmentLength, kdf.Iterations);

        // H0 and, after it, the 8 bytes of a first block's index (H0 || LE32(0 or 1) || LE32(lane)).
        var seed = new byte[64 + 8];
        var block = new byte[BlockBytes];
        try
        {
            InitialHash(password, salt, secret, associatedData, kdf, output.Length, lanes, seed);
            using var memory = Argon2Memory.Allocate((long)laneLength * lanes * BlockBytes);
            shape.Memory = memory.Words;

            for (int lane = 0; lane < lanes; lane++)
            {
                for (int index = 0; index < 2; index++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(seed.AsSpan(64), index);
                    BinaryPrimitives.WriteInt32LittleEndian(seed.AsSpan(68), lane);
                    VariableHash(seed, block);
                    Marshal.Copy(block, 0, (IntPtr)shape.Block(lane, index), BlockBytes);
                }
            }

            for (int pass = 0; pass < kdf.Iterations; pass++)
            {
                for (int slice = 0; slice < SyncPoints; slice++)
                {
                    if (lanes == 1)
                    {
                        FillSegment(shape, pass, 0, slice);
                    }
                    else
                    {
                        // The lanes of a slice are independent (each reads only slices already finished in the others).
                        int p = pass, s = slice;
                        Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = lanes }, lane => FillSegment(shape, p, lane, s));
                    }
                }
            }

            // The last block of every lane, xored together, hashed to the output's length.
            fixed (byte* final = block)
            {
                var words = (ulong*)final;
                Buffer.MemoryCopy(shape.Block(0, laneLength - 1), final, BlockBytes, BlockBytes);
                for (int lane = 1; lane < lanes; lane++)
                {
                    ulong* last = shape.Block(lane, laneLength - 1);
                    for (int i = 0; i < Argon2Compression.Words; i++)
                    {
                        words[i] ^= last[i];
                    }
                }
            }

            VariableHash(block, output);
        }
        finally
        {
            shape.Memory = null;
            Memory.Zero(seed);
            Memory.Zero(block);
        }
    }

    /// <summary>H0 = BLAKE2b-512(p, T, m, t, v, y, P, S, K, X), the lengths and numbers little-endian 32-bit (RFC 9106 section 3.2).</summary>
    private static void InitialHash(byte[] password, byte[] salt, byte[]? secret, byte[]? associatedData, KdfParameters kdf, int outputLength, int lanes, byte[] h0)
    {
        var digest = new Blake2bDigest(512);
        var number = new byte[4];
        void Add(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, value);
            digest.BlockUpdate(number, 0, 4);
        }

        void AddBytes(byte[]? data)
        {
            Add(data?.Length ?? 0);
            if (data is { Length: > 0 })
            {
                digest.BlockUpdate(data, 0, data.Length);
            }
        }

        Add(lanes);
        Add(outputLength);
        Add(kdf.MemoryKiB);
        Add(kdf.Iterations);
        Add(Version13);
        Add(Argon2Id);
        AddBytes(password);
        AddBytes(salt);
        AddBytes(secret);
        AddBytes(associatedData);
        digest.DoFinal(h0, 0);
    }

    /// <summary>H' (RFC 9106 section 3.3): BLAKE2b of LE32(length) || input, extended 32 bytes at a time past 64.</summary>
    private static void VariableHash(byte[] input, byte[] output)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, output.Length);
        if (output.Length <= 64)
        {
            var digest = new Blake2bDigest(output.Length * 8);
            digest.BlockUpdate(length, 0, 4);
            digest.BlockUpdate(input, 0, input.Length);
            digest.DoFinal(output, 0);
            return;
        }

        var v = new byte[64];
        try
        {
            var full = new Blake2bDigest(512);
            full.BlockUpdate(length, 0, 4);
            full.BlockUpdate(input, 0, input.Length);
            full.DoFinal(v, 0);
            Buffer.BlockCopy(v, 0, output, 0, 32);
            int position = 32;
            while (output.Length - position > 64)
            {
                full.BlockUpdate(v, 0, 64);
                full.DoFinal(v, 0);
                Buffer.BlockCopy(v, 0, output, position, 32);
                position += 32;
            }

            var last = new Blake2bDigest((output.Length - position) * 8);
            last.BlockUpdate(v, 0, 64);
            last.DoFinal(output, position);
        }
        finally
        {
            Memory.Zero(v);
        }
    }

    /// <summary>One segment of one lane (RFC 9106 section 3.4), as the reference implementation's opt.c fills it.</summary>
    private static void FillSegment(Shape shape, int pass, int lane, int slice)
    {
        // The previous block (kept here, so it is never read back), the 128 addresses of Argon2i, their input, scratch.
        ulong* state = stackalloc ulong[Argon2Compression.Words];
        ulong* addresses = stackalloc ulong[Argon2Compression.Words];
        ulong* input = stackalloc ulong[Argon2Compression.Words];
        ulong* scratch = stackalloc ulong[Argon2Compression.Words];
        try
        {
            FillSegment(shape, pass, lane, slice, state, addresses, input, scratch);
        }
        finally
        {
            new Span<ulong>(state, Argon2Compression.Words).Clear();
            new Span<ulong>(addresses, Argon2Compression.Words).Clear();
            new Span<ulong>(scratch, Argon2Compression.Words).Clear();
        }
    }

    private static void FillSegment(Shape shape, int pass, int lane, int slice, ulong* state, ulong* addresses, ulong* input, ulong* scratch)
    {
        var level = shape.Level;
        int laneLength = shape.LaneLength;
        int segmentLength = shape.SegmentLength;
        bool dataIndependent = pass == 0 && slice < SyncPoints / 2;
        if (dataIndependent)
        {
            new Span<ulong>(input, Argon2Compression.Words).Clear();
            input[0] = (ulong)pass;
            input[1] = (ulong)lane;
            input[2] = (ulong)slice;
            input[3] = (ulong)laneLength * (ulong)shape.Lanes;
            input[4] = (ulong)shape.Passes;
            input[5] = Argon2Id;
        }

        int start = 0;
        if (pass == 0 && slice == 0)
        {
            start = 2; // the first two blocks of each lane are made from H0
            if (dataIndependent)
            {
                NextAddresses(level, addresses, input, scratch);
            }
        }

        int current = (slice * segmentLength) + start; // the index in the lane
        int previous = current == 0 ? laneLength - 1 : current - 1;
        Buffer.MemoryCopy(shape.Block(lane, previous), state, BlockBytes, BlockBytes);
        for (int i = start; i < segmentLength; i++, current++)
        {
            ulong random;
            if (dataIndependent)
            {
                if (i % AddressesInBlock == 0)
                {
                    NextAddresses(level, addresses, input, scratch);
                }

                random = addresses[i % AddressesInBlock];
            }
            else
            {
                random = state[0]; // the previous block's first word
            }

            int referenceLane = pass == 0 && slice == 0 ? lane : (int)((random >> 32) % (ulong)shape.Lanes);
            int referenceIndex = ReferenceIndex(shape, pass, slice, i, (uint)random, referenceLane == lane);
            Argon2Compression.Fill(level, state, shape.Block(referenceLane, referenceIndex), shape.Block(lane, current), pass != 0, scratch);
        }
    }

    /// <summary>The next 128 addresses of Argon2i: G(0, G(0, input)) with the input's counter advanced, where G(0, X) = P(X) xor X.</summary>
    private static void NextAddresses(CompressionLevel level, ulong* addresses, ulong* input, ulong* scratch)
    {
        input[6]++;
        Buffer.MemoryCopy(input, addresses, BlockBytes, BlockBytes);
        Argon2Compression.Permute(level, addresses);
        for (int i = 0; i < Argon2Compression.Words; i++)
        {
            addresses[i] ^= input[i];
        }

        Buffer.MemoryCopy(addresses, scratch, BlockBytes, BlockBytes);
        Argon2Compression.Permute(level, addresses);
        for (int i = 0; i < Argon2Compression.Words; i++)
        {
            addresses[i] ^= scratch[i];
        }
    }

    /// <summary>Which block of the reference lane (RFC 9106 section 3.4.1.2, the reference code's index_alpha).</summary>
    private static int ReferenceIndex(Shape shape, int pass, int slice, int index, uint random, bool sameLane)
    {
        int segmentLength = shape.SegmentLength;
        long areaSize;
        if (pass == 0)
        {
            areaSize = slice == 0 ? index - 1
                : sameLane ? (slice * segmentLength) + index - 1
                : (slice * segmentLength) + (index == 0 ? -1 : 0);
        }
        else
        {
            areaSize = sameLane ? shape.LaneLength - segmentLength + index - 1
                : shape.LaneLength - segmentLength + (index == 0 ? -1 : 0);
        }

        ulong relative = (ulong)random * random >> 32;
        relative = (ulong)areaSize - 1 - ((ulong)areaSize * relative >> 32);
        ulong startPosition = pass != 0 && slice != SyncPoints - 1 ? (ulong)((slice + 1) * segmentLength) : 0;
        return (int)((startPosition + relative) % (ulong)shape.LaneLength);
    }

    /// <summary>The shape of one derivation and its memory.</summary>
    private sealed class Shape
    {
        internal Shape(CompressionLevel level, int lanes, int laneLength, int segmentLength, int passes)
        {
            Level = level;
            Lanes = lanes;
            LaneLength = laneLength;
            SegmentLength = segmentLength;
            Passes = passes;
        }

        internal CompressionLevel Level { get; }

        internal int Lanes { get; }

        internal int LaneLength { get; }

        internal int SegmentLength { get; }

        internal int Passes { get; }

        internal ulong* Memory { get; set; }

        /// <summary>Block <paramref name="index"/> of lane <paramref name="lane"/>.</summary>
        internal ulong* Block(int lane, int index) => Memory + ((((long)lane * LaneLength) + index) * Argon2Compression.Words);
    }
}
