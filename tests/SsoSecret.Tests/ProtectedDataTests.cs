using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using SsoSecret.Codec;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// Protected data (docs/protected-data-format.md) through the Core API: round trips at every size, purpose isolation and
/// the purpose rules, every outcome with its secret id, the key ring and rewrap, every single-character change and
/// every truncation of a valid text, and bounded allocation for huge inputs.
/// </summary>
public sealed class ProtectedDataTests
{
    private const string Purpose = "billing/db-password";

    private static readonly Guid s_currentId = Guid.Parse("6f1c9a4e-2b3d-4c5e-8f70-1a2b3c4d5e6f");
    private static readonly Guid s_previousId = Guid.Parse("0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5");
    private static readonly byte[] s_currentSecret = Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_previousSecret = Enumerable.Range(0, 32).Select(i => (byte)((i * 7 + 3) % 256)).ToArray();

    private static ProtectedDataKey Current => new(s_currentId, s_currentSecret);

    private static ProtectedDataKey Previous => new(s_previousId, s_previousSecret);

    private static ProtectedDataKeyRing Ring => new(Current, Previous);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    // ---------------------------------------------------------------------------------------------------------
    // Round trips
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Every size up to 1,100 bytes, then the sizes around every multiple of 64 up to the maximum: every remainder of
    /// base64 (3), Poly1305 (16) and ChaCha20 (64) blocks, at every scale, and both ends.
    /// </summary>
    [Fact]
    public void SizesFromZeroToTheMaximumRoundTrip()
    {
        var ring = Ring;
        var source = Enumerable.Range(0, ProtectedData.MaxPlaintextLength).Select(i => (byte)(i * 31 + 7)).ToArray();
        var sizes = Enumerable.Range(0, 1101)
            .Concat(Enumerable.Range(1, ProtectedData.MaxPlaintextLength / 64).SelectMany(k => new[] { 64 * k - 1, 64 * k, 64 * k + 1 }))
            .Where(size => size <= ProtectedData.MaxPlaintextLength)
            .Distinct()
            .ToList();
        Assert.Contains(ProtectedData.MaxPlaintextLength, sizes);
        Assert.Contains(ProtectedData.MaxPlaintextLength - 1, sizes);
        foreach (int size in sizes)
        {
            var plaintext = source.AsSpan(0, size).ToArray();
            string text = ProtectedData.Protect(ring, Purpose, plaintext);
            Assert.Equal(9 + Base64Url.EncodedLength(ProtectedData.Overhead + size), text.Length);
            var opened = ProtectedData.Unprotect(ring, Purpose, text, out var header);
            if (!opened.AsSpan().SequenceEqual(plaintext))
            {
                Assert.Fail($"size {size}: the value did not round-trip");
            }

            Assert.Equal(size, header.PlaintextLength);
            Assert.Equal(s_currentId, header.SecretId);
        }
    }

    [Fact]
    public void TheTextIsOneLineOfTheDocumentedCharacters()
    {
        string text = ProtectedData.Protect(Ring, Purpose, Utf8("correct horse battery staple"));
        Assert.StartsWith("ssodata1.", text, StringComparison.Ordinal);
        Assert.All(text.Substring(9), c => Assert.True(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_', $"character '{c}'"));
        Assert.Equal(148, ProtectedData.Protect(Ring, Purpose, new byte[20]).Length);
    }

    [Fact]
    public void APlaintextLongerThanTheMaximumIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => ProtectedData.Protect(Ring, Purpose, new byte[ProtectedData.MaxPlaintextLength + 1]));
        Assert.Contains(ProtectedData.MaxPlaintextLength.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EachValueHasItsOwnSaltAndTheInputsAreLeftAlone()
    {
        var plaintext = Utf8("same value");
        var secretCopy = (byte[])s_currentSecret.Clone();
        var texts = Enumerable.Range(0, 50).Select(_ => ProtectedData.Protect(Ring, Purpose, plaintext)).ToList();
        Assert.Equal(50, texts.Distinct().Count());
        Assert.Equal(50, texts.Select(t => t.Substring(9 + 21, 22)).Distinct().Count());
        Assert.All(texts, t => Assert.Equal(plaintext, ProtectedData.Unprotect(Ring, Purpose, t)));
        Assert.Equal(Utf8("same value"), plaintext);
        Assert.Equal(secretCopy, s_currentSecret);
    }

    [Fact]
    public void WhiteSpaceAroundTheTextIsIgnoredAndInsideItIsDamage()
    {
        string text = ProtectedData.Protect(Ring, Purpose, Utf8("v"));
        Assert.Equal(Utf8("v"), ProtectedData.Unprotect(Ring, Purpose, " \t\r\n" + text + "\r\n \t"));
        Assert.Equal(Failure(text.Insert(40, " ")), ProtectedDataFailure.Damaged);
        Assert.Equal(Failure(text.Insert(40, "\n")), ProtectedDataFailure.Damaged);

        // Only the four documented characters are white space: a no-break space or a form feed is not trimmed.
        Assert.Equal(ProtectedDataFailure.NotProtectedData, Failure("\u00a0" + text));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(text + "\f"));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(text + "\u00a0"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Purposes
    // ---------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Billing/db-password")]
    [InlineData("billing/db-passwor")]
    [InlineData("billing/db-password/")]
    [InlineData("billing/db-password2")]
    [InlineData("billing/db_password")]
    [InlineData("billing")]
    [InlineData("billing/db-pass word")]
    public void AValueOpensForItsOwnPurposeOnly(string other)
    {
        string text = ProtectedData.Protect(Ring, Purpose, Utf8("secret"));
        Assert.Equal(Utf8("secret"), ProtectedData.Unprotect(Ring, Purpose, text));
        var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, other, text));
        Assert.Equal(ProtectedDataFailure.WrongPurpose, e.Outcome);
        Assert.Equal(s_currentId, e.SecretId);
    }

    [Fact]
    public void PurposesAreNotNormalized()
    {
        // é as one code point and as e + combining acute: two purposes, as the page says.
        string composed = "caf\u00e9/key";
        string decomposed = "cafe\u0301/key";
        string text = ProtectedData.Protect(Ring, composed, Utf8("x"));
        Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, decomposed, text)).Outcome);
        Assert.Equal(Utf8("x"), ProtectedData.Unprotect(Ring, composed, text));
    }

    public static TheoryData<string, string> BadPurposes()
    {
        var data = new TheoryData<string, string>
        {
            { string.Empty, "empty" },
            { new string('a', ProtectedData.MaxPurposeBytes + 1), "257 bytes" },
            { new string('\u20ac', 85) + "ab", "257 bytes of three-byte characters" },
            { "a\tb", "tab" },
            { "a\nb", "line feed" },
            { "a\u0000b", "NUL" },
            { "a\u007fb", "DEL" },
            { "a\u0085b", "C1 control" },
            { "a\u009fb", "last C1 control" },
            { "a\u2028b", "line separator" },
            { "a\u2029b", "paragraph separator" },
        };
        foreach (char space in new[] { ' ', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u202f', '\u205f', '\u3000' })
        {
            data.Add(space + "billing", $"U+{(int)space:X4} first");
            data.Add("billing" + space, $"U+{(int)space:X4} last");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadPurposes))]
    public void APurposeThatBreaksARuleIsTheCallersErrorBeforeTheTextIsRead(string purpose, string why)
    {
        Assert.NotNull(ProtectedData.CheckPurpose(purpose));
        Assert.Throws<ArgumentException>(() => ProtectedData.Protect(Ring, purpose, Utf8("x")));

        // Before the text: a text that is not protected data at all still gets the purpose's error.
        Assert.Throws<ArgumentException>(() => ProtectedData.Unprotect(Ring, purpose, "not protected"));
        Assert.Throws<ArgumentException>(() => ProtectedData.Rewrap(Ring, purpose, "not protected"));
        Assert.False(string.IsNullOrEmpty(why));
    }

    /// <summary>Unpaired surrogates, built here: xunit's theory data would turn them into U+FFFD on the way.</summary>
    [Fact]
    public void APurposeWithAnUnpairedSurrogateIsRefused()
    {
        foreach (string purpose in new[] { "a\ud800b", "a\udc00", "\ud83d", "\udc34\ud83d", "ok\ud83d\ud83d\udc34" })
        {
            Assert.Contains("surrogate", ProtectedData.CheckPurpose(purpose), StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => ProtectedData.Protect(Ring, purpose, Utf8("x")));
            Assert.Throws<ArgumentException>(() => ProtectedData.Unprotect(Ring, purpose, "not protected"));
        }
    }

    [Theory]
    [InlineData("a")]
    [InlineData("billing/db-password")]
    [InlineData("a b")]
    [InlineData("Geh\u00e4lter/Kennwort \u2014 \U0001F434")]
    [InlineData("\ufeffbom first")]
    [InlineData("\u200bzero width space is not a space separator\u200b")]
    [InlineData("x\u00a0inside\u3000is fine\u00a0x")]
    public void PurposesWithinTheRulesWork(string purpose)
    {
        Assert.Null(ProtectedData.CheckPurpose(purpose));
        string text = ProtectedData.Protect(Ring, purpose, Utf8("v"));
        Assert.Equal(Utf8("v"), ProtectedData.Unprotect(Ring, purpose, text));
    }

    [Fact]
    public void ThePurposeMayBeExactly256Bytes()
    {
        foreach (string purpose in new[] { new string('a', 256), new string('\u20ac', 85) + "a", string.Concat(Enumerable.Repeat("\U0001F434", 64)) })
        {
            Assert.Equal(256, Encoding.UTF8.GetByteCount(purpose));
            string text = ProtectedData.Protect(Ring, purpose, Utf8("v"));
            Assert.Equal(Utf8("v"), ProtectedData.Unprotect(Ring, purpose, text));
            Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, "b" + purpose.Substring(char.IsSurrogate(purpose[0]) ? 2 : 1), text)).Outcome);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Outcomes
    // ---------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("correct horse battery staple")]
    [InlineData("ssodata")]
    [InlineData("ssodata.")]
    [InlineData("ssodatabase=prod")]
    [InlineData("SSODATA1.AAAA")]
    [InlineData("ssoData1.AAAA")]
    [InlineData("ssodata\u0661.AAAA")]
    [InlineData("xssodata1.")]
    [InlineData("-----BEGIN SSOSECRET BACKUP-----")]
    public void TextThatIsNotProtectedDataSaysSo(string text)
    {
        Assert.Equal(ProtectedDataFailure.NotProtectedData, Failure(text));
        Assert.Equal(ProtectedDataFailure.NotProtectedData, Assert.Throws<ProtectedDataException>(() => ProtectedData.ReadHeader(text)).Outcome);
    }

    [Theory]
    [InlineData("ssodata2.AAAA", "2")]
    [InlineData("ssodata0.AAAA", "0")]
    [InlineData("ssodata01.AAAA", "01")]
    [InlineData("ssodata10.AAAA", "10")]
    [InlineData("ssodata2", "2")]
    [InlineData("ssodata1234567890", "1234567890")]
    [InlineData("ssodata12345678901.", "1234567890...")]
    [InlineData("ssodata99999999999999999999999999999999", "9999999999...")]
    public void AnotherVersionIsUnsupportedAndNamed(string text, string version)
    {
        var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, text));
        Assert.Equal(ProtectedDataFailure.UnsupportedVersion, e.Outcome);
        Assert.Equal(version, e.FoundVersion);
        Assert.Contains("version " + version, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesUnderThePreviousSecretOpenAndUnknownSecretsAreNamed()
    {
        string underPrevious = ProtectedData.Protect(new ProtectedDataKeyRing(Previous), Purpose, Utf8("old"));
        Assert.Equal(Utf8("old"), ProtectedData.Unprotect(Ring, Purpose, underPrevious));
        Assert.Equal(s_previousId, ProtectedData.ReadHeader(underPrevious).SecretId);

        // After the previous secret is retired, the value names the secret it needs.
        var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(new ProtectedDataKeyRing(Current), Purpose, underPrevious));
        Assert.Equal(ProtectedDataFailure.UnknownSecret, e.Outcome);
        Assert.Equal(s_previousId, e.SecretId);
        Assert.Contains(s_previousId.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("backup", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForgedFieldsWithARecomputedChecksumGiveTheDocumentedOutcomes()
    {
        string text = ProtectedData.Protect(Ring, Purpose, Utf8("correct horse battery staple"));
        var body = Decode(text);

        // A forged id naming the other secret of the ring: WrongPurpose (the id is in the key schedule).
        var forged = (byte[])body.Clone();
        BigEndian.WriteGuid(forged, 0, s_previousId);
        var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, Reseal(forged)));
        Assert.Equal((ProtectedDataFailure.WrongPurpose, (Guid?)s_previousId), (e.Outcome, e.SecretId));

        // Even when the two ids had the same secret bytes.
        var twins = new ProtectedDataKeyRing(Current, new ProtectedDataKey(s_previousId, s_currentSecret));
        Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(twins, Purpose, Reseal(forged))).Outcome);

        // A forged id naming a secret nobody holds: UnknownSecret, naming the forged id.
        var stranger = Guid.NewGuid();
        BigEndian.WriteGuid(forged, 0, stranger);
        e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, Reseal(forged)));
        Assert.Equal((ProtectedDataFailure.UnknownSecret, (Guid?)stranger), (e.Outcome, e.SecretId));

        // Salt, commitment: WrongPurpose. Ciphertext, tag: Tampered. Every byte of each.
        for (int i = ProtectedData.SaltOffset; i < body.Length - ProtectedData.ChecksumLength; i++)
        {
            var changed = (byte[])body.Clone();
            changed[i] ^= 0x40;
            var expected = i < ProtectedData.CiphertextOffset ? ProtectedDataFailure.WrongPurpose : ProtectedDataFailure.Tampered;
            e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, Reseal(changed)));
            Assert.True(expected == e.Outcome, $"byte {i}: {e.Outcome}, expected {expected}");
            Assert.Equal(s_currentId, e.SecretId);
        }

        // A nil id: Damaged, before any key.
        var nil = (byte[])body.Clone();
        Array.Clear(nil, 0, 16);
        Assert.Equal(ProtectedDataFailure.Damaged, Assert.Throws<ProtectedDataException>(() => ProtectedData.ReadHeader(Reseal(nil))).Outcome);
    }

    [Fact]
    public void AValueTooLongOrOfABadLengthIsDamaged()
    {
        string text = ProtectedData.Protect(Ring, Purpose, Utf8("v"));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(text + "AAAA"));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(text + "A"));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure("ssodata1." + new string('A', ProtectedData.MaxEncodedLength + 2)));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure("ssodata1." + new string('A', ProtectedData.MinEncodedLength - 1)));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure("ssodata1." + new string('A', ProtectedData.MinEncodedLength + 1)));

        // The longest and shortest encoded lengths reach the checksum.
        Assert.Equal(ProtectedDataFailure.Damaged, Failure("ssodata1." + new string('A', ProtectedData.MaxEncodedLength)));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure("ssodata1." + new string('A', ProtectedData.MinEncodedLength)));
    }

    [Fact]
    public void PaddingAndTheStandardAlphabetAreDamage()
    {
        // A fixed salt, the first of 0, 1, 2, ... whose text holds a '-' or a '_' (a random one has neither in about
        // 1.5% of values, and then the standard alphabet changes nothing): the same value in every run.
        string text = string.Empty;
        for (byte seed = 0; text.IndexOfAny(new[] { '-', '_' }) < 0; seed++)
        {
            var salt = new byte[ProtectedData.SaltLength];
            salt[0] = seed;
            text = ProtectedData.Protect(s_currentId, s_currentSecret, Purpose, Utf8("correct horse battery staple"), salt);
        }

        var body = Decode(text);
        string standard = "ssodata1." + Convert.ToBase64String(body);
        Assert.Contains('=', standard);
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(standard));
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(text + "=="));
        string alphabet = text.Replace('-', '+').Replace('_', '/');
        Assert.NotEqual(text, alphabet);
        Assert.Equal(ProtectedDataFailure.Damaged, Failure(alphabet));
    }

    [Fact]
    public void ExceptionMessagesHoldNeitherPlaintextNorSecret()
    {
        var plaintext = Utf8("Very-Secret-Plaintext-123");
        string text = ProtectedData.Protect(Ring, Purpose, plaintext);
        var body = Decode(text);
        var tampered = (byte[])body.Clone();
        tampered[70] ^= 1;
        var failures = new List<ProtectedDataException>
        {
            Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(new ProtectedDataKeyRing(Previous), Purpose, text)),
            Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, "other", text)),
            Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, Reseal(tampered))),
            Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, text.Substring(0, 60))),
        };
        foreach (var e in failures)
        {
            string all = e.ToString();
            Assert.DoesNotContain("Very-Secret", all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Hex.Encode(s_currentSecret), all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(s_currentSecret), all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(s_currentSecret), all, StringComparison.Ordinal);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Every change of a valid text
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>The characters every position is changed to: the whole alphabet and the characters that matter.</summary>
    private const string Replacements = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. \t\r\n\0\u00e9\u0661\uffff";

    public static TheoryData<int> Sizes => new() { 0, 1, 2, 28, 100 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EverySingleCharacterChangeIsADocumentedFailureAndNeverPlaintext(int size)
    {
        var plaintext = Enumerable.Range(0, size).Select(i => (byte)(i + 1)).ToArray();
        string text = ProtectedData.Protect(Ring, Purpose, plaintext);
        int cases = 0;
        for (int i = 0; i < text.Length; i++)
        {
            foreach (char c in Replacements)
            {
                if (c == text[i])
                {
                    continue;
                }

                string changed = text.Substring(0, i) + c + text.Substring(i + 1);
                var failure = Failure(changed);
                cases++;
                Assert.True(failure is not null, $"position {i} set to U+{(int)c:X4} opened");
                Assert.True(Expected(i, c, text.Length).Contains(failure!.Value), $"position {i} set to U+{(int)c:X4}: {failure}");
            }
        }

        Assert.Equal(text.Length * Replacements.Length - text.Count(Replacements.Contains), cases);
    }

    /// <summary>What a single change at <paramref name="i"/> to <paramref name="c"/> must give (page, reader steps 1 to 7).</summary>
    private static ProtectedDataFailure[] Expected(int i, char c, int length)
    {
        bool digit = c is >= '0' and <= '9';
        if (i < 7)
        {
            return new[] { ProtectedDataFailure.NotProtectedData };
        }

        if (i == 7)
        {
            // The version digit: another digit is another version; anything else is not protected data.
            return new[] { digit ? ProtectedDataFailure.UnsupportedVersion : ProtectedDataFailure.NotProtectedData };
        }

        if (i == 8)
        {
            // The full stop: a digit makes the version 1x; anything else breaks version 1's prefix.
            return new[] { digit ? ProtectedDataFailure.UnsupportedVersion : ProtectedDataFailure.Damaged };
        }

        // In the body every change is damage found without a key: alphabet, length (white space trimmed at the end),
        // canonical bits or the checksum. Nothing reaches the key ring.
        return new[] { ProtectedDataFailure.Damaged };
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EveryTruncationDeletionAndInsertionFails(int size)
    {
        var plaintext = Enumerable.Range(0, size).Select(i => (byte)(i + 1)).ToArray();
        string text = ProtectedData.Protect(Ring, Purpose, plaintext);
        for (int length = 0; length < text.Length; length++)
        {
            var failure = Failure(text.Substring(0, length));
            var expected = length < 8 ? ProtectedDataFailure.NotProtectedData : ProtectedDataFailure.Damaged;
            Assert.True(failure == expected, $"cut to {length}: {failure}");
        }

        for (int i = 0; i < text.Length; i++)
        {
            var failure = Failure(text.Remove(i, 1));
            var expected = i < 8 ? ProtectedDataFailure.NotProtectedData
                : i == 8 && text[9] is >= '0' and <= '9' ? ProtectedDataFailure.UnsupportedVersion
                : ProtectedDataFailure.Damaged;
            Assert.True(failure == expected, $"character {i} deleted: {failure}");
        }

        for (int i = 9; i <= text.Length; i++)
        {
            foreach (char c in "Aa0-_")
            {
                Assert.True(Failure(text.Insert(i, c.ToString())) == ProtectedDataFailure.Damaged, $"'{c}' inserted at {i}");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Key ring and rewrap
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void TheKeyRingRefusesWhatCannotBeASecret()
    {
        Assert.Throws<ArgumentException>(() => new ProtectedDataKey(Guid.Empty, new byte[32]));
        Assert.Throws<ArgumentException>(() => new ProtectedDataKey(Guid.NewGuid(), new byte[ProtectedData.MinSecretLength - 1]));
        Assert.Throws<ArgumentException>(() => new ProtectedDataKey(Guid.NewGuid(), new byte[ProtectedData.MaxSecretLength + 1]));
        Assert.Throws<ArgumentException>(() => new ProtectedDataKeyRing(Current, new ProtectedDataKey(s_currentId, s_previousSecret)));
        Assert.Throws<ArgumentException>(() => ProtectedData.Protect(Guid.Empty, s_currentSecret, Purpose, Utf8("x")));

        // The edges are allowed.
        foreach (int length in new[] { ProtectedData.MinSecretLength, ProtectedData.MaxSecretLength })
        {
            var ring = new ProtectedDataKeyRing(new ProtectedDataKey(Guid.NewGuid(), Enumerable.Repeat((byte)9, length).ToArray()));
            Assert.Equal(Utf8("x"), ProtectedData.Unprotect(ring, Purpose, ProtectedData.Protect(ring, Purpose, Utf8("x"))));
        }
    }

    [Fact]
    public void RewrapWithSeveralPurposesOpensEachValueForItsOwnAndNeverForOneNotNamed()
    {
        var previous = new ProtectedDataKeyRing(Previous);
        string db = ProtectedData.Protect(previous, "app/db", Utf8("db"));
        string api = ProtectedData.Protect(previous, "app/api", Utf8("api"));
        string other = ProtectedData.Protect(previous, "app/other", Utf8("other"));
        var purposes = new[] { "app/db", "app/api" };
        var currentOnly = new ProtectedDataKeyRing(Current);

        var first = ProtectedData.Rewrap(Ring, purposes, db);
        Assert.Equal("app/db", first.Purpose);
        Assert.Equal(Utf8("db"), ProtectedData.Unprotect(currentOnly, "app/db", first.Text));
        var second = ProtectedData.Rewrap(Ring, purposes, api);
        Assert.Equal("app/api", second.Purpose);
        Assert.Equal(Utf8("api"), ProtectedData.Unprotect(currentOnly, "app/api", second.Text));

        var refused = Assert.Throws<ProtectedDataException>(() => ProtectedData.Rewrap(Ring, purposes, other));
        Assert.Equal(ProtectedDataFailure.WrongPurpose, refused.Outcome);
        Assert.Contains("any of the 2 purposes given", refused.Message);
        // Damage is not a wrong purpose: the next purpose is not tried for it.
        Assert.Equal(ProtectedDataFailure.UnknownSecret, Assert.Throws<ProtectedDataException>(() => ProtectedData.Rewrap(currentOnly, purposes, db)).Outcome);
    }

    [Fact]
    public void RewrapCarriesAValueToTheCurrentSecret()
    {
        string old = ProtectedData.Protect(new ProtectedDataKeyRing(Previous), Purpose, Utf8("db password"));
        var result = ProtectedData.Rewrap(Ring, Purpose, old);
        Assert.True(result.Rewritten);
        Assert.Equal(s_previousId, result.FromSecretId);
        Assert.Equal(s_currentId, ProtectedData.ReadHeader(result.Text).SecretId);
        Assert.NotEqual(old, result.Text);

        // The new text opens without the previous secret, for the same purpose only.
        var currentOnly = new ProtectedDataKeyRing(Current);
        Assert.Equal(Utf8("db password"), ProtectedData.Unprotect(currentOnly, Purpose, result.Text));
        Assert.Equal(ProtectedDataFailure.WrongPurpose, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(currentOnly, "other", result.Text)).Outcome);
        Assert.Equal(ProtectedDataFailure.UnknownSecret, Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(currentOnly, Purpose, old)).Outcome);

        // A value already under the current secret is proven and returned as it was (without the white space).
        var again = ProtectedData.Rewrap(Ring, Purpose, "  " + result.Text + "\n");
        Assert.False(again.Rewritten);
        Assert.Equal(result.Text, again.Text);
        Assert.Equal(s_currentId, again.FromSecretId);
    }

    [Fact]
    public void RewrapFailsWithTheReadersOutcomeAndReturnsNothing()
    {
        string old = ProtectedData.Protect(new ProtectedDataKeyRing(Previous), Purpose, Utf8("db password"));
        var tampered = Decode(old);
        tampered[ProtectedData.CiphertextOffset] ^= 1;
        var cases = new (ProtectedDataKeyRing Ring, string Purpose, string Text, ProtectedDataFailure Expected)[]
        {
            (Ring, "other", old, ProtectedDataFailure.WrongPurpose),
            (new ProtectedDataKeyRing(Current), Purpose, old, ProtectedDataFailure.UnknownSecret),
            (Ring, Purpose, Reseal(tampered), ProtectedDataFailure.Tampered),
            (Ring, Purpose, old.Substring(0, old.Length - 2), ProtectedDataFailure.Damaged),
            (Ring, Purpose, "plain", ProtectedDataFailure.NotProtectedData),
            (Ring, Purpose, "ssodata2.x", ProtectedDataFailure.UnsupportedVersion),
        };
        foreach (var c in cases)
        {
            Assert.Equal(c.Expected, Assert.Throws<ProtectedDataException>(() => ProtectedData.Rewrap(c.Ring, c.Purpose, c.Text)).Outcome);
        }

        // Rewrap hands out text only: its result type has no member that could carry the plaintext.
        Assert.All(typeof(RewrapResult).GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic),
            p => Assert.Contains(p.PropertyType, new[] { typeof(string), typeof(Guid), typeof(bool) }));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Resource bounds
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void HugeInputsAreRefusedWithoutAllocatingForThem()
    {
        const int huge = 8 * 1024 * 1024;
        var inputs = new (string Text, ProtectedDataFailure Expected)[]
        {
            ("ssodata1." + new string('A', huge), ProtectedDataFailure.Damaged),
            ("ssodata1." + new string('!', huge), ProtectedDataFailure.Damaged),
            (new string('x', huge), ProtectedDataFailure.NotProtectedData),
            (new string(' ', huge), ProtectedDataFailure.NotProtectedData),
            (new string(' ', huge) + "ssodata1." + new string('A', 200) + new string('\n', huge), ProtectedDataFailure.Damaged),
            ("ssodata" + new string('7', huge), ProtectedDataFailure.UnsupportedVersion),
            ("ssodata1" + new string('.', huge), ProtectedDataFailure.Damaged),
        };
        foreach (var (text, expected) in inputs)
        {
            // Warm the path up, so that what is measured is the read itself.
            Failure(text);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ProtectedDataException>(() => ProtectedData.Unprotect(Ring, Purpose, text));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(expected, e.Outcome);
            Assert.True(allocated < 64 * 1024, $"{expected}: {allocated} bytes allocated for a text of {text.Length} characters");
        }
    }

    [Fact]
    public void TheLongestTextsAllocateWithinABound()
    {
        var plaintext = new byte[ProtectedData.MaxPlaintextLength];
        string text = ProtectedData.Protect(Ring, Purpose, plaintext);
        string damaged = text.Substring(0, text.Length - 1) + (text[^1] == 'A' ? 'Q' : 'A');
        ProtectedData.Unprotect(Ring, Purpose, text);
        Failure(damaged);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ProtectedData.Unprotect(Ring, Purpose, text);
        long opened = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Failure(damaged);
        long refused = GC.GetAllocatedBytesForCurrentThread() - before;

        // The body (16,468 bytes), the plaintext (16,384) and the AEAD's own buffers: a few times the maximum, no more.
        Assert.True(opened < 4 * ProtectedData.MaxBodyLength + 64 * 1024, $"opening the longest value allocated {opened} bytes");
        Assert.True(refused < 2 * ProtectedData.MaxBodyLength + 64 * 1024, $"refusing a damaged longest value allocated {refused} bytes");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>The outcome of opening <paramref name="text"/> with the ring and the purpose; null when it opened.</summary>
    private static ProtectedDataFailure? Failure(string text)
    {
        try
        {
            ProtectedData.Unprotect(Ring, Purpose, text);
            return null;
        }
        catch (ProtectedDataException e)
        {
            return e.Outcome;
        }
    }

    internal static byte[] Decode(string text)
    {
        string encoded = text.Substring(9);
        var body = new byte[Base64Url.DecodedLength(encoded.Length)];
        Assert.True(Base64Url.TryDecode(encoded, 0, encoded.Length, body));
        return body;
    }

    /// <summary>Recomputes the checksum of an edited body, as a forger would, and writes its text.</summary>
    internal static string Reseal(byte[] body)
    {
        var sum = Crypto.Primitives.Sha256(body, 0, body.Length - ProtectedData.ChecksumLength);
        Buffer.BlockCopy(sum, 0, body, body.Length - ProtectedData.ChecksumLength, ProtectedData.ChecksumLength);
        return Base64Url.Encode("ssodata1.", body);
    }
}
