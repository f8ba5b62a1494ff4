using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SsoSecret.Crypto;

namespace SsoSecret.Recovery;

/// <summary>
/// The SLIP-0039 English word list: 1024 words, one per 10-bit value. It is embedded in the assembly and checked at
/// load against the SHA-256 below, so a damaged or edited list can never produce shares that no other SLIP-0039
/// implementation reads.
/// </summary>
internal static class Slip39WordList
{
    internal const int Count = 1024;

    /// <summary>SHA-256 of the list as published (one word a line, LF, a final LF).</summary>
    internal const string Sha256Hex = "bcc4555340332d169718aed8bf31dd9d5248cb7da6e5d355140ef4f1e601eec3";

    internal const string ResourceName = "SsoSecret.Recovery.slip39-wordlist.txt";

    private static readonly Lazy<Tables> s_tables = new(Load);

    internal static string Word(int index) => s_tables.Value.Words[index];

    /// <summary>The index of a word, or -1. Only lower-case ASCII words match: callers fold case first.</summary>
    internal static int IndexOf(string word) => s_tables.Value.Index.TryGetValue(word, out int index) ? index : -1;

    private static Tables Load()
    {
        byte[] bytes;
        using (var stream = typeof(Slip39WordList).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("The SLIP-0039 word list resource is missing from SsoSecret.Core."))
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }

        if (SecretFingerprint.ToHex(Primitives.Sha256(bytes, 0, bytes.Length)) != Sha256Hex)
        {
            throw new InvalidOperationException("The SLIP-0039 word list embedded in SsoSecret.Core is damaged (its SHA-256 does not match).");
        }

        var words = Encoding.ASCII.GetString(bytes).Split('\n');

        // The published list ends with a line feed, so the split leaves one empty string after the last word.
        if (words.Length != Count + 1 || words[Count].Length != 0)
        {
            throw new InvalidOperationException("The SLIP-0039 word list embedded in SsoSecret.Core does not have 1024 words.");
        }

        Array.Resize(ref words, Count);
        var index = new Dictionary<string, int>(Count, StringComparer.Ordinal);
        for (int i = 0; i < Count; i++)
        {
            index.Add(words[i], i);
        }

        return new Tables(words, index);
    }

    private sealed class Tables
    {
        internal Tables(string[] words, Dictionary<string, int> index)
        {
            Words = words;
            Index = index;
        }

        internal string[] Words { get; }

        internal Dictionary<string, int> Index { get; }
    }
}
