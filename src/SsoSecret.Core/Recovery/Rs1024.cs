using System.Collections.Generic;

namespace SsoSecret.Recovery;

/// <summary>
/// SLIP-0039's RS1024 checksum: a Reed-Solomon code over GF(1024) whose three check words detect any error in up to
/// three words. The customization string ("shamir", or "shamir_extendable" for extendable shares) is fed in first,
/// one ASCII value per symbol, so shares of one kind never verify as the other.
/// </summary>
internal static class Rs1024
{
    internal const int ChecksumWords = 3;

    private static readonly int[] s_generator =
    {
        0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009,
        0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120,
    };

    private static int Polymod(string customization, IReadOnlyList<int> values, int extraZeros)
    {
        int checksum = 1;
        void Feed(int value)
        {
            int top = checksum >> 20;
            checksum = ((checksum & 0xFFFFF) << 10) ^ value;
            for (int i = 0; i < 10; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    checksum ^= s_generator[i];
                }
            }
        }

        foreach (char c in customization)
        {
            Feed(c);
        }

        foreach (int value in values)
        {
            Feed(value);
        }

        for (int i = 0; i < extraZeros; i++)
        {
            Feed(0);
        }

        return checksum;
    }

    /// <summary>The three check words for the data words.</summary>
    internal static int[] Create(string customization, IReadOnlyList<int> data)
    {
        int polymod = Polymod(customization, data, ChecksumWords) ^ 1;
        return new[] { (polymod >> 20) & 1023, (polymod >> 10) & 1023, polymod & 1023 };
    }

    /// <summary>Whether the words (data words followed by the three check words) verify.</summary>
    internal static bool Verify(string customization, IReadOnlyList<int> words) => Polymod(customization, words, 0) == 1;
}
