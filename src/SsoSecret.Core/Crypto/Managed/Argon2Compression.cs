using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SsoSecret.Crypto.Managed;

/// <summary>How the compression function runs: the widest vectors the processor has.</summary>
internal enum CompressionLevel
{
    /// <summary>Plain 64-bit arithmetic, for a processor with none of the vector units below.</summary>
    Scalar,

    /// <summary>128-bit vectors: SSE2 (with SSSE3's byte shuffle where present) on x64, AdvSIMD on arm64.</summary>
    Vector128,

    /// <summary>256-bit vectors: AVX2 on x64.</summary>
    Avx2,
}

/// <summary>
/// Argon2's compression function G (RFC 9106 section 3.5) over 1 KiB blocks held as 128 ulongs: R = X xor Y, then the
/// permutation P (section 3.6: BLAKE2b's round with the multiplication of BlaMka) on R's 8 rows of 16 words, then on its 8
/// columns, and the result xor R. The layouts of the two vector paths are those of the reference implementation's
/// opt.c (phc-winner-argon2, blamka-round-opt.h): with AVX2, two rows (or two column pairs) at a time in eight 256-bit
/// registers; with 128-bit vectors, one row (or one column pair) in eight 128-bit registers.
/// </summary>
internal static unsafe class Argon2Compression
{
    internal const int Words = 128;

    /// <summary>The widest level this processor runs.</summary>
    internal static CompressionLevel Best { get; } =
        Avx2.IsSupported ? CompressionLevel.Avx2
        : Sse2.IsSupported || AdvSimd.Arm64.IsSupported ? CompressionLevel.Vector128
        : CompressionLevel.Scalar;

    /// <summary>Whether this processor can run <paramref name="level"/>.</summary>
    internal static bool IsSupported(CompressionLevel level) => level switch
    {
        CompressionLevel.Avx2 => Avx2.IsSupported,
        CompressionLevel.Vector128 => Sse2.IsSupported || AdvSimd.Arm64.IsSupported,
        _ => true,
    };

    /// <summary>
    /// The next block from the previous one (<paramref name="state"/>, which is left holding the result) and the
    /// reference block: <c>next = G(state, reference)</c>, or <c>next = G(state, reference) xor next</c> with
    /// <paramref name="xor"/> (the passes after the first). <paramref name="scratch"/> is 128 words of the caller's.
    /// </summary>
    internal static void Fill(CompressionLevel level, ulong* state, ulong* reference, ulong* next, bool xor, ulong* scratch)
    {
        if (level == CompressionLevel.Avx2)
        {
            FillAvx2(state, reference, next, xor, scratch);
            return;
        }

        // R = state xor reference (kept in state, which P turns in place); scratch = R, or R xor next.
        for (int i = 0; i < Words; i++)
        {
            ulong r = state[i] ^ reference[i];
            state[i] = r;
            scratch[i] = xor ? r ^ next[i] : r;
        }

        Permute(level, state);

        for (int i = 0; i < Words; i++)
        {
            ulong value = state[i] ^ scratch[i];
            state[i] = value;
            next[i] = value;
        }
    }

    /// <summary><see cref="Fill"/> with the xors 4 words at a time too (the JIT does not vectorize the loops above).</summary>
    private static void FillAvx2(ulong* state, ulong* reference, ulong* next, bool xor, ulong* scratch)
    {
        var s = (Vector256<ulong>*)state;
        var x = (Vector256<ulong>*)scratch;
        if (xor)
        {
            for (int i = 0; i < Words / 4; i++)
            {
                var r = s[i] ^ Avx.LoadVector256(reference + (4 * i));
                s[i] = r;
                x[i] = r ^ Avx.LoadVector256(next + (4 * i));
            }
        }
        else
        {
            for (int i = 0; i < Words / 4; i++)
            {
                var r = s[i] ^ Avx.LoadVector256(reference + (4 * i));
                s[i] = r;
                x[i] = r;
            }
        }

        PermuteAvx2(state);

        for (int i = 0; i < Words / 4; i++)
        {
            var value = s[i] ^ x[i];
            s[i] = value;
            Avx.Store(next + (4 * i), value);
        }
    }

    /// <summary>Applies P to the 8 rows, then to the 8 columns, of <paramref name="block"/>, in place.</summary>
    internal static void Permute(CompressionLevel level, ulong* block)
    {
        switch (level)
        {
            case CompressionLevel.Avx2:
                PermuteAvx2(block);
                break;
            case CompressionLevel.Vector128:
                PermuteVector128(block);
                break;
            default:
                PermuteScalar(block);
                break;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // AVX2: the block is 32 vectors of 4 words. Rows: vectors 8i..8i+7 are rows 2i and 2i+1 (A0 = 8i, A1 = 8i+4, B0 =
    // 8i+1, ...), each row the usual BLAKE2b layout, its diagonals by rotating B, C and D across the lanes. Columns:
    // vectors i, 4+i, ..., 28+i hold the column pairs 2i and 2i+1, whose diagonals need the blends of DIAGONALIZE_2.
    // ---------------------------------------------------------------------------------------------------------------

    private static void PermuteAvx2(ulong* block)
    {
        var v = (Vector256<ulong>*)block;
        for (int i = 0; i < 4; i++)
        {
            RoundAvx2Rows(v + (8 * i));
        }

        for (int i = 0; i < 4; i++)
        {
            RoundAvx2Columns(v + i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundAvx2Rows(Vector256<ulong>* v)
    {
        Vector256<ulong> a0 = v[0], a1 = v[4], b0 = v[1], b1 = v[5], c0 = v[2], c1 = v[6], d0 = v[3], d1 = v[7];
        GAvx2(ref a0, ref a1, ref b0, ref b1, ref c0, ref c1, ref d0, ref d1);

        b0 = Avx2.Permute4x64(b0, 0x39);
        c0 = Avx2.Permute4x64(c0, 0x4E);
        d0 = Avx2.Permute4x64(d0, 0x93);
        b1 = Avx2.Permute4x64(b1, 0x39);
        c1 = Avx2.Permute4x64(c1, 0x4E);
        d1 = Avx2.Permute4x64(d1, 0x93);

        GAvx2(ref a0, ref a1, ref b0, ref b1, ref c0, ref c1, ref d0, ref d1);

        v[0] = a0;
        v[4] = a1;
        v[1] = Avx2.Permute4x64(b0, 0x93);
        v[5] = Avx2.Permute4x64(b1, 0x93);
        v[2] = Avx2.Permute4x64(c0, 0x4E);
        v[6] = Avx2.Permute4x64(c1, 0x4E);
        v[3] = Avx2.Permute4x64(d0, 0x39);
        v[7] = Avx2.Permute4x64(d1, 0x39);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundAvx2Columns(Vector256<ulong>* v)
    {
        Vector256<ulong> a0 = v[0], a1 = v[4], b0 = v[8], b1 = v[12], c0 = v[16], c1 = v[20], d0 = v[24], d1 = v[28];
        GAvx2(ref a0, ref a1, ref b0, ref b1, ref c0, ref c1, ref d0, ref d1);

        // DIAGONALIZE_2
        var t1 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0xCC).AsUInt64();
        var t2 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0x33).AsUInt64();
        b1 = Avx2.Permute4x64(t1, 0xB1);
        b0 = Avx2.Permute4x64(t2, 0xB1);
        (c0, c1) = (c1, c0);
        t1 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0xCC).AsUInt64();
        t2 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0x33).AsUInt64();
        d0 = Avx2.Permute4x64(t1, 0xB1);
        d1 = Avx2.Permute4x64(t2, 0xB1);

        GAvx2(ref a0, ref a1, ref b0, ref b1, ref c0, ref c1, ref d0, ref d1);

        // UNDIAGONALIZE_2
        t1 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0xCC).AsUInt64();
        t2 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0x33).AsUInt64();
        v[8] = Avx2.Permute4x64(t1, 0xB1);
        v[12] = Avx2.Permute4x64(t2, 0xB1);
        t1 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0x33).AsUInt64();
        t2 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0xCC).AsUInt64();
        v[24] = Avx2.Permute4x64(t1, 0xB1);
        v[28] = Avx2.Permute4x64(t2, 0xB1);
        v[0] = a0;
        v[4] = a1;
        v[16] = c1;
        v[20] = c0;
    }

    /// <summary>Four G's on each of two register sets (G1_AVX2 then G2_AVX2 of blamka-round-opt.h).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GAvx2(
        ref Vector256<ulong> a0, ref Vector256<ulong> a1, ref Vector256<ulong> b0, ref Vector256<ulong> b1,
        ref Vector256<ulong> c0, ref Vector256<ulong> c1, ref Vector256<ulong> d0, ref Vector256<ulong> d1)
    {
        var rotate24 = Vector256.Create((byte)3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
        var rotate16 = Vector256.Create((byte)2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);

        a0 = BlaMkaAvx2(a0, b0);
        a1 = BlaMkaAvx2(a1, b1);
        d0 = Avx2.Shuffle((d0 ^ a0).AsUInt32(), 0xB1).AsUInt64();
        d1 = Avx2.Shuffle((d1 ^ a1).AsUInt32(), 0xB1).AsUInt64();
        c0 = BlaMkaAvx2(c0, d0);
        c1 = BlaMkaAvx2(c1, d1);
        b0 = Avx2.Shuffle((b0 ^ c0).AsByte(), rotate24).AsUInt64();
        b1 = Avx2.Shuffle((b1 ^ c1).AsByte(), rotate24).AsUInt64();

        a0 = BlaMkaAvx2(a0, b0);
        a1 = BlaMkaAvx2(a1, b1);
        d0 = Avx2.Shuffle((d0 ^ a0).AsByte(), rotate16).AsUInt64();
        d1 = Avx2.Shuffle((d1 ^ a1).AsByte(), rotate16).AsUInt64();
        c0 = BlaMkaAvx2(c0, d0);
        c1 = BlaMkaAvx2(c1, d1);
        b0 ^= c0;
        b1 ^= c1;
        b0 = Avx2.ShiftRightLogical(b0, 63) ^ Avx2.Add(b0, b0);
        b1 = Avx2.ShiftRightLogical(b1, 63) ^ Avx2.Add(b1, b1);
    }

    /// <summary>BlaMka's x + y + 2 * lo32(x) * lo32(y), lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> BlaMkaAvx2(Vector256<ulong> x, Vector256<ulong> y)
    {
        var product = Avx2.Multiply(x.AsUInt32(), y.AsUInt32());
        return Avx2.Add(Avx2.Add(x, y), Avx2.Add(product, product));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 128-bit vectors: the block is 64 vectors of 2 words. Row i is vectors 8i..8i+7 (A0, A1, B0, B1, C0, C1, D0, D1);
    // column pair i is vectors i, 8+i, ..., 56+i. The diagonals take the high word of one vector and the low word of
    // the next (DIAGONALIZE of blamka-round-opt.h).
    // ---------------------------------------------------------------------------------------------------------------

    private static void PermuteVector128(ulong* block)
    {
        var v = (Vector128<ulong>*)block;
        for (int i = 0; i < 8; i++)
        {
            RoundVector128(v + (8 * i), 1);
        }

        for (int i = 0; i < 8; i++)
        {
            RoundVector128(v + i, 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundVector128(Vector128<ulong>* v, int stride)
    {
        Vector128<ulong> a0 = v[0], a1 = v[stride], b0 = v[2 * stride], b1 = v[3 * stride];
        Vector128<ulong> c0 = v[4 * stride], c1 = v[5 * stride], d0 = v[6 * stride], d1 = v[7 * stride];
        GVector128(ref a0, ref a1, ref b0, ref b1, ref c0, ref c1, ref d0, ref d1);

        // DIAGONALIZE: B = (5, 6), (7, 4); C swapped; D = (15, 12), (13, 14).
        var tb = b0;
        var td = d0;
        b0 = HighLow(b0, b1);
        b1 = HighLow(b1, tb);
        d0 = HighLow(d1, td);
        d1 = HighLow(td, d1);
        GVector128(ref a0, ref a1, ref b0, ref b1, ref c1, ref c0, ref d0, ref d1);

        // UNDIAGONALIZE
        v[0] = a0;
        v[stride] = a1;
        v[2 * stride] = HighLow(b1, b0);
        v[3 * stride] = HighLow(b0, b1);
        v[4 * stride] = c0;
        v[5 * stride] = c1;
        v[6 * stride] = HighLow(d0, d1);
        v[7 * stride] = HighLow(d1, d0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GVector128(
        ref Vector128<ulong> a0, ref Vector128<ulong> a1, ref Vector128<ulong> b0, ref Vector128<ulong> b1,
        ref Vector128<ulong> c0, ref Vector128<ulong> c1, ref Vector128<ulong> d0, ref Vector128<ulong> d1)
    {
        a0 = BlaMka128(a0, b0);
        a1 = BlaMka128(a1, b1);
        d0 = Rotate32(d0 ^ a0);
        d1 = Rotate32(d1 ^ a1);
        c0 = BlaMka128(c0, d0);
        c1 = BlaMka128(c1, d1);
        b0 = RotateBytes(b0 ^ c0, 3);
        b1 = RotateBytes(b1 ^ c1, 3);

        a0 = BlaMka128(a0, b0);
        a1 = BlaMka128(a1, b1);
        d0 = RotateBytes(d0 ^ a0, 2);
        d1 = RotateBytes(d1 ^ a1, 2);
        c0 = BlaMka128(c0, d0);
        c1 = BlaMka128(c1, d1);
        b0 ^= c0;
        b1 ^= c1;
        b0 = Vector128.ShiftRightLogical(b0, 63) ^ (b0 + b0);
        b1 = Vector128.ShiftRightLogical(b1, 63) ^ (b1 + b1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> BlaMka128(Vector128<ulong> x, Vector128<ulong> y)
    {
        Vector128<ulong> product;
        if (Sse2.IsSupported)
        {
            product = Sse2.Multiply(x.AsUInt32(), y.AsUInt32());
        }
        else if (AdvSimd.IsSupported)
        {
            product = AdvSimd.MultiplyWideningLower(AdvSimd.ExtractNarrowingLower(x).AsUInt32(), AdvSimd.ExtractNarrowingLower(y).AsUInt32());
        }
        else
        {
            var low = Vector128.Create(0xFFFFFFFFUL);
            product = (x & low) * (y & low);
        }

        return x + y + product + product;
    }

    /// <summary>Each word rotated right by 32 bits: its two halves swapped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Rotate32(Vector128<ulong> x) =>
        Sse2.IsSupported ? Sse2.Shuffle(x.AsUInt32(), 0xB1).AsUInt64() : Vector128.Shuffle(x.AsUInt32(), Vector128.Create(1u, 0, 3, 2)).AsUInt64();

    /// <summary>Each word rotated right by 24 (<paramref name="bytes"/> = 3) or 16 (2) bits: a byte shuffle where there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> RotateBytes(Vector128<ulong> x, int bytes)
    {
        if (Ssse3.IsSupported || AdvSimd.IsSupported)
        {
            var mask = bytes == 3
                ? Vector128.Create((byte)3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10)
                : Vector128.Create((byte)2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
            return Vector128.Shuffle(x.AsByte(), mask).AsUInt64();
        }

        int bits = bytes * 8;
        return Vector128.ShiftRightLogical(x, bits) | Vector128.ShiftLeft(x, 64 - bits);
    }

    /// <summary>(a's high word, b's low word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> HighLow(Vector128<ulong> a, Vector128<ulong> b)
    {
        if (Ssse3.IsSupported)
        {
            return Ssse3.AlignRight(b.AsByte(), a.AsByte(), 8).AsUInt64();
        }

        if (AdvSimd.IsSupported)
        {
            return AdvSimd.ExtractVector128(a, b, 1);
        }

        return Sse2.IsSupported ? Sse2.UnpackHigh(a, Sse2.UnpackLow(b, b)) : Vector128.Create(a.GetElement(1), b.GetElement(0));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Scalar: RFC 9106's G and P as written.
    // ---------------------------------------------------------------------------------------------------------------

    private static void PermuteScalar(ulong* block)
    {
        for (int i = 0; i < 8; i++)
        {
            ulong* row = block + (16 * i);
            PScalar(row, row + 1, row + 2, row + 3, row + 4, row + 5, row + 6, row + 7, row + 8, row + 9, row + 10, row + 11, row + 12, row + 13, row + 14, row + 15);
        }

        for (int i = 0; i < 8; i++)
        {
            ulong* c = block + (2 * i);
            PScalar(c, c + 1, c + 16, c + 17, c + 32, c + 33, c + 48, c + 49, c + 64, c + 65, c + 80, c + 81, c + 96, c + 97, c + 112, c + 113);
        }
    }

    private static void PScalar(
        ulong* v0, ulong* v1, ulong* v2, ulong* v3, ulong* v4, ulong* v5, ulong* v6, ulong* v7,
        ulong* v8, ulong* v9, ulong* v10, ulong* v11, ulong* v12, ulong* v13, ulong* v14, ulong* v15)
    {
        GScalar(v0, v4, v8, v12);
        GScalar(v1, v5, v9, v13);
        GScalar(v2, v6, v10, v14);
        GScalar(v3, v7, v11, v15);
        GScalar(v0, v5, v10, v15);
        GScalar(v1, v6, v11, v12);
        GScalar(v2, v7, v8, v13);
        GScalar(v3, v4, v9, v14);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GScalar(ulong* a, ulong* b, ulong* c, ulong* d)
    {
        *a = BlaMka(*a, *b);
        *d = BitOperations.RotateRight(*d ^ *a, 32);
        *c = BlaMka(*c, *d);
        *b = BitOperations.RotateRight(*b ^ *c, 24);
        *a = BlaMka(*a, *b);
        *d = BitOperations.RotateRight(*d ^ *a, 16);
        *c = BlaMka(*c, *d);
        *b = BitOperations.RotateRight(*b ^ *c, 63);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BlaMka(ulong x, ulong y) => x + y + (2 * (ulong)(uint)x * (uint)y);
}
