using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SsoSecret.Recovery;

/// <summary>
/// One SLIP-0039 share and its mnemonic form. Field values are as SLIP-0039 stores them, except that the thresholds
/// and the group count are the real numbers (1 to 16), not the number less one that the mnemonic encodes.
/// </summary>
internal sealed class Slip39Share
{
    internal const int RadixBits = 10;
    internal const int IdentifierBits = 15;
    internal const int MaxIdentifier = (1 << IdentifierBits) - 1;
    internal const int MaxIterationExponent = 15;
    internal const int MaxCount = 16;

    /// <summary>Identifier, extendable flag and iteration exponent (2 words), the group and member fields (2 words), the checksum (3 words).</summary>
    internal const int MetadataWords = 2 + 2 + Rs1024.ChecksumWords;

    /// <summary>SLIP-0039's minimum secret (128 bits).</summary>
    internal const int MinValueLength = 16;

    /// <summary>
    /// This implementation's maximum secret (1024 bits). SLIP-0039 has no maximum; a bound keeps every length a
    /// share controls small, and SsoSecret's payload is at most 86 bytes.
    /// </summary>
    internal const int MaxValueLength = 128;

    internal const int MinWords = MetadataWords + (MinValueLength * 8 + RadixBits - 1) / RadixBits;
    internal const int MaxWords = MetadataWords + (MaxValueLength * 8 + RadixBits - 1) / RadixBits;

    /// <summary>A mnemonic longer than this many characters is refused before it is split into words.</summary>
    internal const int MaxMnemonicLength = 4096;

    internal const string Customization = "shamir";
    internal const string ExtendableCustomization = "shamir_extendable";

    internal Slip39Share(
        int identifier,
        bool extendable,
        int iterationExponent,
        int groupIndex,
        int groupThreshold,
        int groupCount,
        int memberIndex,
        int memberThreshold,
        byte[] value)
    {
        Identifier = identifier;
        Extendable = extendable;
        IterationExponent = iterationExponent;
        GroupIndex = groupIndex;
        GroupThreshold = groupThreshold;
        GroupCount = groupCount;
        MemberIndex = memberIndex;
        MemberThreshold = memberThreshold;
        Value = value;
    }

    internal int Identifier { get; }

    internal bool Extendable { get; }

    internal int IterationExponent { get; }

    /// <summary>The group's x-coordinate, 0 to 15.</summary>
    internal int GroupIndex { get; }

    internal int GroupThreshold { get; }

    internal int GroupCount { get; }

    /// <summary>The member's x-coordinate within its group, 0 to 15.</summary>
    internal int MemberIndex { get; }

    internal int MemberThreshold { get; }

    /// <summary>Where the share was in the list given to a combine (from 1); 0 for a share being written.</summary>
    internal int Position { get; set; }

    /// <summary>The share value: one byte per byte of the shared secret.</summary>
    internal byte[] Value { get; }

    /// <summary>The words of this share, separated by single spaces.</summary>
    internal string ToMnemonic()
    {
        var data = new List<int>(MaxWords);
        int idExp = (Identifier << 5) | ((Extendable ? 1 : 0) << 4) | IterationExponent;
        data.Add(idExp >> RadixBits);
        data.Add(idExp & 1023);
        int parameters = (GroupIndex << 16) | ((GroupThreshold - 1) << 12) | ((GroupCount - 1) << 8) | (MemberIndex << 4) | (MemberThreshold - 1);
        data.Add(parameters >> RadixBits);
        data.Add(parameters & 1023);

        // The value, big-endian, left-padded with zero bits to a whole number of 10-bit words.
        int valueWords = (Value.Length * 8 + RadixBits - 1) / RadixBits;
        int accumulator = 0;
        int bits = valueWords * RadixBits - Value.Length * 8;
        foreach (byte b in Value)
        {
            accumulator = (accumulator << 8) | b;
            bits += 8;
            if (bits >= RadixBits)
            {
                bits -= RadixBits;
                data.Add((accumulator >> bits) & 1023);
                accumulator &= (1 << bits) - 1;
            }
        }

        data.AddRange(Rs1024.Create(Extendable ? ExtendableCustomization : Customization, data));
        var text = new StringBuilder(data.Count * 9);
        for (int i = 0; i < data.Count; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(Slip39WordList.Word(data[i]));
        }

        return text.ToString();
    }

    /// <summary>
    /// Reads a mnemonic: words separated by white space, in any letter case. The checks run in the order
    /// docs/recovery-shares.md gives; <paramref name="position"/> (from 1) names the share in a failure.
    /// </summary>
    internal static Slip39Share Parse(string mnemonic, int position)
    {
        if (mnemonic is null || mnemonic.Length > MaxMnemonicLength)
        {
            throw Fail(ShareFailure.InvalidLength, position, $"Share {position} is longer than any share ({MaxMnemonicLength} characters at most).");
        }

        var tokens = mnemonic.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var words = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int index = Slip39WordList.IndexOf(FoldAsciiCase(tokens[i]));
            if (index < 0)
            {
                // The word itself is not shown: it is part of a secret share.
                throw new ShareException(
                    ShareFailure.InvalidWord,
                    $"Word {i + 1} of share {position} is not a SLIP-0039 word. Check its spelling against the written share.",
                    shareNumber: position,
                    wordNumber: i + 1);
            }

            words[i] = index;
        }

        if (words.Length < MinWords || words.Length > MaxWords)
        {
            throw Fail(ShareFailure.InvalidLength, position, $"Share {position} has {words.Length} words; a share has {MinWords} to {MaxWords}. A word may be missing or doubled.");
        }

        int valueWords = words.Length - MetadataWords;
        int padding = valueWords * RadixBits % 16;
        if (padding > 8)
        {
            throw Fail(ShareFailure.InvalidLength, position, $"Share {position} has {words.Length} words, a length no share has. A word may be missing or doubled.");
        }

        bool extendable = ((words[1] >> 4) & 1) != 0;
        if (!Rs1024.Verify(extendable ? ExtendableCustomization : Customization, words))
        {
            throw Fail(ShareFailure.InvalidChecksum, position, $"Share {position} does not pass its checksum: a word is mistyped, missing or out of order.");
        }

        int idExp = (words[0] << RadixBits) | words[1];
        int parameters = (words[2] << RadixBits) | words[3];
        int groupIndex = (parameters >> 16) & 15;
        int groupThreshold = ((parameters >> 12) & 15) + 1;
        int groupCount = ((parameters >> 8) & 15) + 1;
        int memberIndex = (parameters >> 4) & 15;
        int memberThreshold = (parameters & 15) + 1;
        if (groupThreshold > groupCount)
        {
            throw Fail(ShareFailure.InvalidThreshold, position, $"Share {position} says {groupThreshold} groups of {groupCount} are needed, which no split can be.");
        }

        int valueLength = (valueWords * RadixBits - padding) / 8;
        var value = new byte[valueLength];
        int accumulator = 0;
        int bits = 0;
        int skip = padding;
        int written = 0;
        for (int i = 4; i < 4 + valueWords; i++)
        {
            accumulator = (accumulator << RadixBits) | words[i];
            bits += RadixBits;
            if (skip > 0)
            {
                // The padding sits in the top bits of the first value word (it is at most 8 bits, a word is 10).
                bits -= skip;
                if ((accumulator >> bits) != 0)
                {
                    Memory.Zero(value);
                    throw Fail(ShareFailure.InvalidPadding, position, $"Share {position} has non-zero padding bits: it was not written by a SLIP-0039 implementation, or was altered.");
                }

                accumulator &= (1 << bits) - 1;
                skip = 0;
            }

            while (bits >= 8)
            {
                bits -= 8;
                value[written++] = (byte)(accumulator >> bits);
                accumulator &= (1 << bits) - 1;
            }
        }

        return new Slip39Share(idExp >> 5, extendable, idExp & 15, groupIndex, groupThreshold, groupCount, memberIndex, memberThreshold, value);
    }

    private static ShareException Fail(ShareFailure failure, int position, string message) =>
        new(failure, message, shareNumber: position);

    /// <summary>Lower-cases ASCII letters only: "ÄRMED" must not become a word by a culture's case rules.</summary>
    private static string FoldAsciiCase(string token)
    {
        var chars = token.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] >= 'A' && chars[i] <= 'Z')
            {
                chars[i] = (char)(chars[i] + ('a' - 'A'));
            }
        }

        return new string(chars);
    }

    internal static string Describe(int groupIndex, int memberIndex) =>
        string.Format(CultureInfo.InvariantCulture, "group {0}, member {1}", groupIndex + 1, memberIndex + 1);
}
