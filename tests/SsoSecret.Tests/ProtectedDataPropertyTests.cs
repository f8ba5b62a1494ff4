using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using SsoSecret.Codec;
using Xunit;
using Xunit.Abstractions;

namespace SsoSecret.Tests;

/// <summary>
/// Property tests of protected data: random secrets, purposes and values round-trip and stay isolated by purpose;
/// random edits of valid texts (changes, insertions, deletions, truncations, white space) never open unless the text
/// is the same once trimmed, and end in a key-less outcome; forged bodies with a recomputed checksum end in exactly
/// the outcome the page predicts for the field that changed; random text never gets another exception type.
/// </summary>
public sealed class ProtectedDataPropertyTests
{
    /// <summary>Cases per property (2,500; $env:SSOSECRET_PROPERTY_ITERATIONS for a longer run; $env:CsCheck_Seed replays one).</summary>
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("SSOSECRET_PROPERTY_ITERATIONS"), out int iterations) && iterations > 0 ? iterations : 2500;

    private static readonly ProtectedDataKey s_current = new(Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f"), Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray());
    private static readonly ProtectedDataKey s_previous = new(Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5"), Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray());
    private static readonly ProtectedDataKeyRing s_ring = new(s_current, s_previous);

    private static readonly ProtectedDataFailure[] s_keyless = { ProtectedDataFailure.NotProtectedData, ProtectedDataFailure.UnsupportedVersion, ProtectedDataFailure.Damaged };

    /// <summary>Pieces purposes are made of: ASCII, separators, spaces, a combining mark, characters of two, three and four UTF-8 bytes.</summary>
    private static readonly Gen<string> s_purpose = Gen.OneOf("a", "Z", "0", "9", "/", "-", "_", ".", ":", " ", "\u00a0", "\u00e9", "e\u0301", "\u20ac", "\u65e5", "\U0001F434")
        .Array[1, 40]
        .Select(pieces => string.Concat(pieces))
        .Where(p => ProtectedData.CheckPurpose(p) is null);

    private static readonly Gen<byte[]> s_plaintext = Gen.Frequency(
        (8, Gen.Byte.Array[0, 300]),
        (1, Gen.Byte.Array[0, ProtectedData.MaxPlaintextLength]));

    private static readonly Gen<ProtectedDataKey> s_key = Gen.Select(Gen.Byte.Array[16, 1024], Gen.Guid, (secret, id) => new ProtectedDataKey(id == Guid.Empty ? Guid.NewGuid() : id, secret));

    /// <summary>Valid texts the edits start from: values of several sizes under the ring's current secret.</summary>
    private static readonly IReadOnlyList<(string Text, byte[] Plaintext)> s_originals = new[] { 0, 1, 2, 5, 28, 100, 1000 }
        .Select(size =>
        {
            var plaintext = Enumerable.Range(0, size).Select(i => (byte)(i * 13 + 1)).ToArray();
            return (ProtectedData.Protect(s_ring, "p", plaintext), plaintext);
        })
        .ToList();

    private readonly ITestOutputHelper _output;

    public ProtectedDataPropertyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void RandomValuesRoundTripAndOpenForTheirPurposeOnly()
    {
        Gen.Select(s_key, s_purpose, s_purpose, s_plaintext).Sample(
            (key, purpose, other, plaintext) =>
            {
                var ring = new ProtectedDataKeyRing(key);
                string text = ProtectedData.Protect(ring, purpose, plaintext);
                Assert.Equal(plaintext, ProtectedData.Unprotect(ring, purpose, text, out var header));
                Assert.Equal(key.Id, header.SecretId);
                Assert.Equal(plaintext.Length, header.PlaintextLength);
                if (other != purpose)
                {
                    var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(ring, other, text));
                    Assert.Equal(ProtectedDataFailure.WrongPurpose, e.Outcome);
                }
            },
            iter: Iterations / 5,
            print: t => $"secret {t.Item1.Secret.Length} bytes, purpose '{t.Item2}', other '{t.Item3}', {t.Item4.Length} bytes");
    }

    [Fact]
    public void RewrapAlwaysLandsUnderTheCurrentSecretWithTheSameValue()
    {
        Gen.Select(Gen.Bool, s_purpose, s_plaintext).Sample(
            (underPrevious, purpose, plaintext) =>
            {
                string text = ProtectedData.Protect(underPrevious ? new ProtectedDataKeyRing(s_previous) : new ProtectedDataKeyRing(s_current), purpose, plaintext);
                var result = ProtectedData.Rewrap(s_ring, purpose, text);
                Assert.Equal(underPrevious, result.Rewritten);
                Assert.True(underPrevious ? text != result.Text : text == result.Text);
                Assert.Equal(plaintext, ProtectedData.Unprotect(new ProtectedDataKeyRing(s_current), purpose, result.Text));
            },
            iter: Iterations / 5);
    }

    /// <summary>One edit of a text: what it did, and the text after it.</summary>
    private static readonly Gen<Func<string, (string Description, string Text)>> s_edit = Gen.OneOf(
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Char["ABCXYZabcxyz019-_=+/. \t\r\n\0\u00e9\uffff"], (position, c) => new Func<string, (string, string)>(t =>
        {
            if (t.Length == 0)
            {
                return ("nothing to change", t);
            }

            int i = position % t.Length;
            return ($"set {i} to U+{(int)c:X4}", t.Substring(0, i) + c + t.Substring(i + 1));
        })),
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Char["Aa0-_ \n=."], (position, c) => new Func<string, (string, string)>(t =>
        {
            int i = position % (t.Length + 1);
            return ($"insert U+{(int)c:X4} at {i}", t.Insert(i, c.ToString()));
        })),
        Gen.Int[0, int.MaxValue].Select(position => new Func<string, (string, string)>(t =>
        {
            if (t.Length == 0)
            {
                return ("nothing to delete", t);
            }

            int i = position % t.Length;
            return ($"delete {i}", t.Remove(i, 1));
        })),
        Gen.Int[0, int.MaxValue].Select(position => new Func<string, (string, string)>(t =>
        {
            int i = position % (t.Length + 1);
            return ($"cut to {i}", t.Substring(0, i));
        })),
        Gen.Int[0, int.MaxValue].Select(position => new Func<string, (string, string)>(t =>
        {
            if (t.Length < 2)
            {
                return ("nothing to swap", t);
            }

            int i = position % (t.Length - 1);
            return ($"swap {i} and {i + 1}", t.Substring(0, i) + t[i + 1] + t[i] + t.Substring(i + 2));
        })));

    [Fact]
    public void EditedTextsNeverOpenUnlessOnlyTheWhiteSpaceAroundThemChanged()
    {
        var outcomes = new Dictionary<string, int>();
        Gen.Select(Gen.Int[0, s_originals.Count - 1], s_edit.Array[1, 4]).Sample(
            (index, edits) =>
            {
                var (original, plaintext) = s_originals[index];
                string text = original;
                var steps = new List<string>();
                foreach (var edit in edits)
                {
                    var (description, edited) = edit(text);
                    steps.Add(description);
                    text = edited;
                }

                string key;
                if (text.Trim(' ', '\t', '\r', '\n') == original)
                {
                    Assert.Equal(plaintext, ProtectedData.Unprotect(s_ring, "p", text));
                    key = "opened (text unchanged)";
                }
                else
                {
                    ProtectedDataException? e = null;
                    try
                    {
                        var opened = ProtectedData.Unprotect(s_ring, "p", text);
                        Assert.Fail($"{string.Join("; ", steps)}: an altered text opened to {opened.Length} bytes");
                    }
                    catch (ProtectedDataException caught)
                    {
                        e = caught;
                    }

                    // Raw edits never pass the checksum to the key ring (a 32-bit collision aside).
                    Assert.True(s_keyless.Contains(e!.Outcome), $"{string.Join("; ", steps)}: {e.Outcome}");
                    key = e.Outcome.ToString();
                }

                lock (outcomes)
                {
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            },
            iter: Iterations,
            print: t => $"original {t.Item1}, {t.Item2.Length} edits");
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(outcomes.Keys.Count(k => !k.StartsWith("opened", StringComparison.Ordinal)) >= 2, "the edits reach more than one outcome");
    }

    [Fact]
    public void ForgedBodiesGiveTheOutcomeOfTheFieldThatChanged()
    {
        var outcomes = new Dictionary<ProtectedDataFailure, int>();
        var edit = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte[1, 255], (position, xor) => (position, xor));
        Gen.Select(Gen.Int[0, s_originals.Count - 1], edit.Array[1, 3], Gen.Int[0, 9]).Sample(
            (index, edits, idSwap) =>
            {
                var body = ProtectedDataTests.Decode(s_originals[index].Text);
                var forged = (byte[])body.Clone();
                int editable = body.Length - ProtectedData.ChecksumLength;
                foreach (var (position, xor) in edits)
                {
                    forged[position % editable] ^= xor;
                }

                // Now and then the id becomes the other secret of the ring, or the nil GUID.
                if (idSwap == 0)
                {
                    BigEndian.WriteGuid(forged, 0, s_previous.Id);
                }
                else if (idSwap == 1)
                {
                    Array.Clear(forged, 0, 16);
                }

                bool Changed(int from, int to) => !forged.AsSpan(from, to - from).SequenceEqual(body.AsSpan(from, to - from));
                var id = BigEndian.ReadGuid(forged, 0);
                ProtectedDataFailure? expected =
                    id == Guid.Empty ? ProtectedDataFailure.Damaged
                    : Changed(0, 16) ? (s_ring.Find(id) is null ? ProtectedDataFailure.UnknownSecret : ProtectedDataFailure.WrongPurpose)
                    : Changed(16, 64) ? ProtectedDataFailure.WrongPurpose
                    : Changed(64, editable) ? ProtectedDataFailure.Tampered
                    : null;

                string text = ProtectedDataTests.Reseal(forged);
                if (expected is null)
                {
                    Assert.Equal(s_originals[index].Plaintext, ProtectedData.Unprotect(s_ring, "p", text));
                    return;
                }

                var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(s_ring, "p", text));
                Assert.Equal(expected, e.Outcome);
                if (e.Outcome != ProtectedDataFailure.Damaged)
                {
                    Assert.Equal(id, e.SecretId);
                }

                lock (outcomes)
                {
                    outcomes[e.Outcome] = outcomes.GetValueOrDefault(e.Outcome) + 1;
                }
            },
            iter: Iterations);
        _output.WriteLine(string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.Equal(4, outcomes.Count);
    }

    [Fact]
    public void RandomTextGetsOnlyDocumentedOutcomes()
    {
        var text = Gen.OneOf(
            Gen.String[Gen.Char["ssodat1.ABCxyz09-_ \n=+/\u00e9"], 0, 60],
            Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].Array[ProtectedData.MinEncodedLength - 2, 400].Select(cs => "ssodata1." + new string(cs)),
            Gen.Byte.Array[ProtectedData.MinBodyLength, 400].Select(bytes => "ssodata1." + Base64Url.Encode(string.Empty, bytes)),
            Gen.String.Select(s => "ssodata" + s));
        text.Sample(
            t =>
            {
                var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(s_ring, "p", t));
                Assert.Contains(e.Outcome, s_keyless);
                Assert.Equal(e.Outcome, Assert.Throws<ProtectedDataException>(() => ProtectedData.ReadHeader(t)).Outcome);
            },
            iter: Iterations,
            print: t => t.Length > 80 ? t.Substring(0, 80) + "..." : t);
    }
}
