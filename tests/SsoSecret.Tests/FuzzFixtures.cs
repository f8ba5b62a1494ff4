using System;
using System.Collections.Generic;
using System.Text;

namespace SsoSecret.Tests;

/// <summary>
/// A valid backup that the reader fuzz tests mutate (ReaderFuzzTests for version 1, RecipientReaderFuzzTests for
/// version 2): its binary form, the file as written (the binary form or its armor), the secret it holds and the key
/// that opens it.
/// </summary>
internal sealed class FuzzOriginal
{
    internal FuzzOriginal(string name, byte[] binary, bool armored, byte[] secret, byte[] key)
    {
        Name = name;
        Binary = binary;
        Armored = armored;
        Input = Encode(binary);
        Secret = secret;
        Key = key;
    }

    internal string Name { get; }

    /// <summary>The binary form.</summary>
    internal byte[] Binary { get; }

    internal bool Armored { get; }

    /// <summary>The file as written: the binary form, or its armor.</summary>
    internal byte[] Input { get; }

    internal byte[] Secret { get; }

    /// <summary>
    /// What opens it: the password (version 1), or the private key of the last stanza (version 2: the one a mutation of
    /// the earlier stanzas must not let through).
    /// </summary>
    internal byte[] Key { get; }

    /// <summary>The file form of a (possibly edited) binary form: armored again when the original was.</summary>
    internal byte[] Encode(byte[] binary) => Armored ? Encoding.ASCII.GetBytes(Armor.Encode(binary)) : binary;

    public override string ToString() => Name;
}

/// <summary>The field edits the reader fuzz tests share (backup and store readers).</summary>
internal static class FuzzEdits
{
    /// <summary>
    /// Edits the field <paramref name="name"/> (<paramref name="size"/> bytes at <paramref name="offset"/>) of
    /// <paramref name="data"/> in place, as <paramref name="how"/> picks: 0 sets it to <paramref name="interesting"/>
    /// (big-endian, cut to the field's size; fields over 8 bytes get random bytes instead), 1 flips the bit
    /// <paramref name="position"/> picks, 2 fills it with <paramref name="random"/>. Returns what was done, for the
    /// case's name. An empty field is left as it is.
    /// </summary>
    internal static string EditField(byte[] data, string name, int offset, int size, int how, ulong interesting, byte[] random, int position)
    {
        if (size == 0)
        {
            return $"empty field {name} left as it is";
        }

        if (how == 0 && size <= 8)
        {
            for (int i = 0; i < size; i++)
            {
                data[offset + i] = (byte)(interesting >> (8 * (size - 1 - i)));
            }

            return $"{name} set to {interesting} (in {size} bytes)";
        }

        if (how == 1)
        {
            int at = position % size;
            data[offset + at] ^= (byte)(1 << (position % 8));
            return $"{name} byte {at} bit {position % 8} flipped";
        }

        for (int i = 0; i < size; i++)
        {
            data[offset + i] = random[i % random.Length];
        }

        return $"{name} set to random bytes";
    }

    /// <summary>
    /// Up to <paramref name="count"/> byte-level edits of <paramref name="input"/>, the kind of damage a disk, a transfer
    /// or an editor does (bit flips, set bytes, truncation, insertion, deletion, appending, swapping two bytes), each
    /// chosen and placed by one of <paramref name="picks"/>; inserted and appended bytes come from
    /// <paramref name="bytes"/>. Returns the steps taken and the result; no checksum is recomputed.
    /// </summary>
    internal static (string Description, byte[] Output) ApplyRaw(byte[] input, int count, int[] picks, byte[] bytes)
    {
        var data = new List<byte>(input);
        var steps = new List<string>();
        for (int k = 0; k < count; k++)
        {
            // CsCheck favours small numbers (they shrink well); mixing spreads the edits over the whole file.
            int pick = Mix(picks[k] + (k + 1) * 0x5BD1E995);
            int position = data.Count == 0 ? 0 : (pick >> 3) % data.Count;
            switch (pick & 7)
            {
                case 0:
                case 1:
                    if (data.Count > 0)
                    {
                        int bit = 1 << ((pick >> 20) & 7);
                        data[position] ^= (byte)bit;
                        steps.Add($"flip bit {bit:x2} at {position}");
                    }

                    break;
                case 2:
                    if (data.Count > 0)
                    {
                        data[position] = bytes[k % bytes.Length];
                        steps.Add($"set {position} to {bytes[k % bytes.Length]:x2}");
                    }

                    break;
                case 3:
                    data.RemoveRange(position, data.Count - position);
                    steps.Add($"truncate to {position}");
                    break;
                case 4:
                    data.InsertRange(position, bytes);
                    steps.Add($"insert {bytes.Length} bytes at {position}");
                    break;
                case 5:
                    int remove = Math.Min(1 + ((pick >> 20) % 40), data.Count - position);
                    data.RemoveRange(position, remove);
                    steps.Add($"delete {remove} bytes at {position}");
                    break;
                case 6:
                    data.AddRange(bytes);
                    steps.Add($"append {bytes.Length} bytes");
                    break;
                default:
                    // Swap two bytes: same length, same byte histogram.
                    if (data.Count > 1)
                    {
                        int other = (pick >> 11) % data.Count;
                        (data[position], data[other]) = (data[other], data[position]);
                        steps.Add($"swap {position} and {other}");
                    }

                    break;
            }
        }

        return (string.Join(", ", steps), data.ToArray());
    }

    private static int Mix(int value)
    {
        uint h = (uint)value * 2654435761u;
        h ^= h >> 15;
        h *= 0x2C1B3C6Du;
        h ^= h >> 12;
        return (int)(h & int.MaxValue);
    }
}
