using System;
using System.Collections.Generic;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret;

/// <summary>What protected text tells without any key (reader steps 1 to 8 of docs/protected-data-format.md).</summary>
internal sealed class ProtectedDataHeader
{
    internal ProtectedDataHeader(int version, Guid secretId, int plaintextLength)
    {
        Version = version;
        SecretId = secretId;
        PlaintextLength = plaintextLength;
    }

    /// <summary>The format version (1).</summary>
    internal int Version { get; }

    /// <summary>The id of the master secret the value was protected under.</summary>
    internal Guid SecretId { get; }

    /// <summary>The plaintext's length in bytes (not secret: the text's length tells it).</summary>
    internal int PlaintextLength { get; }
}

/// <summary>The result of <see cref="ProtectedData.Rewrap(ProtectedDataKeyRing, string, string)"/>.</summary>
internal sealed class RewrapResult
{
    internal RewrapResult(string text, Guid fromSecretId, bool rewritten, string purpose = "")
    {
        Text = text;
        FromSecretId = fromSecretId;
        Rewritten = rewritten;
        Purpose = purpose;
    }

    /// <summary>The purpose the value opened for.</summary>
    internal string Purpose { get; }

    /// <summary>The value under the ring's current secret (the input itself, white space trimmed, when it already was).</summary>
    internal string Text { get; }

    /// <summary>The secret the input was protected under.</summary>
    internal Guid FromSecretId { get; }

    /// <summary>False when the input was already under the current secret and is returned as it was.</summary>
    internal bool Rewritten { get; }
}

/// <summary>
/// Protected data, format version 1: a value encrypted under a master secret for one purpose, as one line of ASCII
/// text. docs/protected-data-format.md is its specification; this class follows it section by section, and the tests
/// hold the two together (the page's vectors are recomputed from its own text, and a second implementation written
/// from the page alone, tests/Interop/protected-data.mjs, reads and writes values with this one).
/// </summary>
internal static class ProtectedData
{
    internal const int FormatVersion = 1;

    /// <summary>What every protected text starts with, before its version number.</summary>
    internal const string FormatName = "ssodata";

    /// <summary>The text's prefix in version 1: format name, version, separator.</summary>
    internal const string Prefix = "ssodata1.";

    internal const int SecretIdLength = 16;
    internal const int SaltLength = 16;
    internal const int CommitmentLength = 32;
    internal const int ChecksumLength = 4;
    internal const int MinSecretLength = 16;
    internal const int MaxSecretLength = 1024;

    /// <summary>
    /// The largest plaintext: 16 KiB. The text of the largest value (21,967 characters) then still fits a Windows
    /// environment variable (32,767 characters), a Windows command line and every config format; see the page.
    /// </summary>
    internal const int MaxPlaintextLength = 16 * 1024;

    internal const int MaxPurposeBytes = 256;

    // Offsets in the decoded body (docs/protected-data-format.md, "Layout").
    internal const int SecretIdOffset = 0;
    internal const int SaltOffset = 16;
    internal const int CommitmentOffset = 32;
    internal const int CiphertextOffset = 64;

    /// <summary>The body's bytes that are not plaintext: id, salt, commitment, tag and checksum.</summary>
    internal const int Overhead = CiphertextOffset + Primitives.TagLength + ChecksumLength;
    internal const int MinBodyLength = Overhead;
    internal const int MaxBodyLength = Overhead + MaxPlaintextLength;

    internal const int MinEncodedLength = MinBodyLength / 3 * 4 + (MinBodyLength % 3 == 0 ? 0 : MinBodyLength % 3 + 1);
    internal const int MaxEncodedLength = MaxBodyLength / 3 * 4 + (MaxBodyLength % 3 == 0 ? 0 : MaxBodyLength % 3 + 1);
    internal const int MinTextLength = 9 + MinEncodedLength;
    internal const int MaxTextLength = 9 + MaxEncodedLength;

    /// <summary>The header the key schedule and the AEAD bind: the prefix's 9 ASCII bytes, the secret id and the salt.</summary>
    internal const int HeaderLength = 9 + SecretIdLength + SaltLength;

    private const int OkmLength = Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength + CommitmentLength;

    private static readonly byte[] s_prefixBytes = Encoding.ASCII.GetBytes(Prefix);
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("SsoSecret protected data v1\0");

    /// <summary>Protects <paramref name="plaintext"/> under the ring's current secret. The caller zeroes the plaintext.</summary>
    internal static string Protect(ProtectedDataKeyRing ring, string purpose, byte[] plaintext) =>
        ring is null ? throw new ArgumentNullException(nameof(ring)) : Protect(ring.Current.Id, ring.Current.Secret, purpose, plaintext);

    /// <summary>
    /// Protects <paramref name="plaintext"/> (at most <see cref="MaxPlaintextLength"/> bytes) under the master secret
    /// <paramref name="secretId"/>, for <paramref name="purpose"/>. <paramref name="salt"/> is for test vectors only:
    /// a writer takes 16 fresh random bytes for every value. The caller zeroes the plaintext.
    /// </summary>
    internal static string Protect(Guid secretId, byte[] secret, string purpose, byte[] plaintext, byte[]? salt = null)
    {
        var key = new ProtectedDataKey(secretId, secret);
        byte[] purposeBytes = PurposeBytes(purpose);
        if (plaintext is null)
        {
            throw new ArgumentNullException(nameof(plaintext));
        }

        if (plaintext.Length > MaxPlaintextLength)
        {
            throw new ArgumentException($"The value is {plaintext.Length} bytes long; protected data holds at most {MaxPlaintextLength} bytes.", nameof(plaintext));
        }

        salt ??= Primitives.RandomBytes(SaltLength);
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"The salt must be {SaltLength} bytes.", nameof(salt));
        }

        var body = new byte[Overhead + plaintext.Length];
        BigEndian.WriteGuid(body, SecretIdOffset, key.Id);
        Buffer.BlockCopy(salt, 0, body, SaltOffset, SaltLength);
        byte[] header = Header(body);
        using (var keys = DeriveKeys(key.Secret, header, purposeBytes))
        {
            Buffer.BlockCopy(keys.Commitment, 0, body, CommitmentOffset, CommitmentLength);
            byte[] sealedData = Primitives.ChaChaSeal(keys.Key, keys.Nonce, header, plaintext);
            Buffer.BlockCopy(sealedData, 0, body, CiphertextOffset, sealedData.Length);
        }

        byte[] checksum = Primitives.Sha256(body, 0, body.Length - ChecksumLength);
        Buffer.BlockCopy(checksum, 0, body, body.Length - ChecksumLength, ChecksumLength);
        return Base64Url.Encode(Prefix, body);
    }

    /// <summary>
    /// Reads what a text tells without any key (its version and the secret id it needs), checking everything that
    /// can be checked without one. Throws <see cref="ProtectedDataException"/> with the first three outcomes only.
    /// </summary>
    internal static ProtectedDataHeader ReadHeader(string text) => Parse(text).Header;

    /// <summary>Opens a value with the ring's secret it names, for <paramref name="purpose"/>. The caller zeroes the result.</summary>
    internal static byte[] Unprotect(ProtectedDataKeyRing ring, string purpose, string text) => Unprotect(ring, purpose, text, out _);

    /// <summary>
    /// Opens a value: the checks of <see cref="ReadHeader"/>, then the secret (unknown secret), the key commitment
    /// (wrong purpose) and the AEAD (tampered). Returns the plaintext, which the caller zeroes; on any failure no
    /// plaintext leaves this method and what was decrypted is zeroed.
    /// </summary>
    internal static byte[] Unprotect(ProtectedDataKeyRing ring, string purpose, string text, out ProtectedDataHeader header)
    {
        if (ring is null)
        {
            throw new ArgumentNullException(nameof(ring));
        }

        // The purpose is the caller's input, not the text's: a purpose that breaks the rules is an argument error,
        // found before the text is looked at.
        byte[] purposeBytes = PurposeBytes(purpose);
        var parsed = Parse(text);
        header = parsed.Header;
        return Open(ring, purposeBytes, parsed);
    }

    /// <summary>
    /// <see cref="Rewrap(ProtectedDataKeyRing, string, string)"/> for the first of <paramref name="purposes"/> the value
    /// opens for (the key commitment tells, before any decryption): a value never opens for a purpose the caller did
    /// not name. A value that opens for none fails as <see cref="ProtectedDataFailure.WrongPurpose"/>.
    /// </summary>
    internal static RewrapResult Rewrap(ProtectedDataKeyRing ring, IReadOnlyList<string> purposes, string text)
    {
        for (int i = 0; ; i++)
        {
            try
            {
                var result = Rewrap(ring, purposes[i], text);
                return new RewrapResult(result.Text, result.FromSecretId, result.Rewritten, purposes[i]);
            }
            catch (ProtectedDataException e) when (e.Outcome == ProtectedDataFailure.WrongPurpose && i < purposes.Count - 1)
            {
            }
            catch (ProtectedDataException e) when (e.Outcome == ProtectedDataFailure.WrongPurpose && purposes.Count > 1)
            {
                throw new ProtectedDataException(
                    ProtectedDataFailure.WrongPurpose,
                    $"The value does not open for any of the {purposes.Count} purposes given: it was protected for another purpose (purposes are compared exactly, case included), or it was altered on purpose. It names the master secret {e.SecretId}.",
                    e.SecretId);
            }
        }
    }

    /// <summary>
    /// Re-protects a value under the ring's current secret, for the same purpose, without handing its plaintext to
    /// the caller: the plaintext is zeroed here. The new text is opened again and compared with the plaintext
    /// before it is returned, so a caller that replaces the old text with it replaces it with a proven value. A value
    /// already under the current secret is opened (so damage is found now, not after the old secret is gone) and
    /// returned as it was.
    /// </summary>
    internal static RewrapResult Rewrap(ProtectedDataKeyRing ring, string purpose, string text)
    {
        if (ring is null)
        {
            throw new ArgumentNullException(nameof(ring));
        }

        byte[] purposeBytes = PurposeBytes(purpose);
        var parsed = Parse(text);
        byte[] plaintext = Open(ring, purposeBytes, parsed);
        byte[]? check = null;
        try
        {
            var from = parsed.Header.SecretId;
            if (from == ring.Current.Id)
            {
                return new RewrapResult(parsed.Text, from, rewritten: false);
            }

            string rewrapped = Protect(ring.Current.Id, ring.Current.Secret, purpose, plaintext);
            check = Open(ring, purposeBytes, Parse(rewrapped));
            if (check.Length != plaintext.Length || !Primitives.FixedTimeEquals(check, 0, plaintext, 0, plaintext.Length))
            {
                throw new InvalidOperationException("The rewrapped value did not open to the original value; nothing was returned.");
            }

            return new RewrapResult(rewrapped, from, rewritten: true);
        }
        finally
        {
            Memory.Zero(plaintext);
            Memory.Zero(check);
        }
    }

    /// <summary>
    /// Checks a purpose against the rules of docs/protected-data-format.md ("Purpose"): 1 to 256 bytes of UTF-8, no
    /// unpaired surrogate, no control character, no line or paragraph separator, no space at either end. Returns
    /// what is wrong, or null. The purpose is never normalized: its exact code points are what it is.
    /// </summary>
    internal static string? CheckPurpose(string? purpose)
    {
        if (purpose is null || purpose.Length == 0)
        {
            return "The purpose is empty; give what the value is for, such as 'billing/db-password'.";
        }

        int first = -1;
        int last = -1;
        for (int i = 0; i < purpose.Length; i++)
        {
            int codePoint = purpose[i];
            if (char.IsHighSurrogate(purpose[i]) && i + 1 < purpose.Length && char.IsLowSurrogate(purpose[i + 1]))
            {
                codePoint = char.ConvertToUtf32(purpose[i], purpose[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(purpose[i]))
            {
                return "The purpose holds an unpaired surrogate character, which is not text.";
            }

            if (codePoint <= 0x1F || (codePoint >= 0x7F && codePoint <= 0x9F))
            {
                return $"The purpose holds a control character (U+{codePoint:X4}); use printable text only.";
            }

            if (codePoint == 0x2028 || codePoint == 0x2029)
            {
                return $"The purpose holds a line or paragraph separator (U+{codePoint:X4}); use one line of printable text.";
            }

            if (first < 0)
            {
                first = codePoint;
            }

            last = codePoint;
        }

        if (IsSpace(first) || IsSpace(last))
        {
            return "The purpose begins or ends with a space; a purpose is compared exactly, so remove it.";
        }

        int byteCount = StrictUtf8.Encoding.GetByteCount(purpose);
        if (byteCount > MaxPurposeBytes)
        {
            return $"The purpose is {byteCount} bytes long in UTF-8; at most {MaxPurposeBytes} are allowed.";
        }

        return null;
    }

    /// <summary>The purpose's UTF-8 bytes, after <see cref="CheckPurpose"/>; an <see cref="ArgumentException"/> when it breaks a rule.</summary>
    internal static byte[] PurposeBytes(string purpose)
    {
        if (CheckPurpose(purpose) is string problem)
        {
            throw new ArgumentException(problem, nameof(purpose));
        }

        return StrictUtf8.Encoding.GetBytes(purpose);
    }

    /// <summary>The HKDF info of the key schedule: the label, the header and the purpose.</summary>
    internal static byte[] KeyScheduleInfo(byte[] header, byte[] purposeBytes)
    {
        var info = new byte[s_label.Length + header.Length + purposeBytes.Length];
        Buffer.BlockCopy(s_label, 0, info, 0, s_label.Length);
        Buffer.BlockCopy(header, 0, info, s_label.Length, header.Length);
        Buffer.BlockCopy(purposeBytes, 0, info, s_label.Length + header.Length, purposeBytes.Length);
        return info;
    }

    /// <summary>
    /// The key schedule: HKDF-SHA256 with the master secret as input key, the value's salt as HKDF salt, and the label,
    /// header and purpose as info, giving the AEAD key, its nonce and the key commitment.
    /// </summary>
    internal static DerivedKeys DeriveKeys(byte[] secret, byte[] header, byte[] purposeBytes)
    {
        var salt = new byte[SaltLength];
        Buffer.BlockCopy(header, HeaderLength - SaltLength, salt, 0, SaltLength);
        byte[]? okm = null;
        try
        {
            okm = Primitives.HkdfSha256(secret, salt, KeyScheduleInfo(header, purposeBytes), OkmLength);
            return new DerivedKeys(
                Slice(okm, 0, Primitives.ChaChaKeyLength),
                Slice(okm, Primitives.ChaChaKeyLength, Primitives.ChaChaNonceLength),
                Slice(okm, Primitives.ChaChaKeyLength + Primitives.ChaChaNonceLength, CommitmentLength));
        }
        finally
        {
            Memory.Zero(okm);
        }
    }

    /// <summary>The header of a body: the prefix's bytes, then the body's secret id and salt.</summary>
    internal static byte[] Header(byte[] body)
    {
        var header = new byte[HeaderLength];
        Buffer.BlockCopy(s_prefixBytes, 0, header, 0, s_prefixBytes.Length);
        Buffer.BlockCopy(body, SecretIdOffset, header, s_prefixBytes.Length, SecretIdLength + SaltLength);
        return header;
    }

    /// <summary>Reader steps 9 to 11: the secret, the key commitment, the AEAD.</summary>
    private static byte[] Open(ProtectedDataKeyRing ring, byte[] purposeBytes, ParsedText parsed)
    {
        var id = parsed.Header.SecretId;
        var key = ring.Find(id);
        if (key is null)
        {
            throw new ProtectedDataException(
                ProtectedDataFailure.UnknownSecret,
                $"The value was protected under the master secret {id}, which this store does not hold (it was retired or replaced, or it belongs to another store). "
                + $"A backup of the secret {id} holds it (a backup's header names its secret id, readable without the password).",
                id);
        }

        byte[] body = parsed.Body;
        byte[] header = Header(body);
        using var keys = DeriveKeys(key.Secret, header, purposeBytes);
        if (!Primitives.FixedTimeEquals(keys.Commitment, 0, body, CommitmentOffset, CommitmentLength))
        {
            throw new ProtectedDataException(
                ProtectedDataFailure.WrongPurpose,
                $"The value does not open for the purpose given: it was protected for another purpose (purposes are compared exactly, case included), or it was altered on purpose. It names the master secret {id}.",
                id);
        }

        int sealedLength = body.Length - CiphertextOffset - ChecksumLength;
        byte[]? plaintext = Primitives.ChaChaOpen(keys.Key, keys.Nonce, header, body, CiphertextOffset, sealedLength);
        if (plaintext is null)
        {
            throw new ProtectedDataException(
                ProtectedDataFailure.Tampered,
                $"The value was altered after it was protected: secret and purpose are right, but its authentication tag does not match. Do not trust this copy. It names the master secret {id}.",
                id);
        }

        return plaintext;
    }

    /// <summary>Reader steps 1 to 8: everything that needs no key. Nothing is allocated before the length is known to be within bounds.</summary>
    private static ParsedText Parse(string text)
    {
        if (text is null)
        {
            throw new ArgumentNullException(nameof(text));
        }

        // Step 1: white space around the text (a line ending from a file, an indented here-string) is not part of it.
        int start = 0;
        int end = text.Length;
        while (start < end && IsTrimmed(text[start]))
        {
            start++;
        }

        while (end > start && IsTrimmed(text[end - 1]))
        {
            end--;
        }

        // Step 2: the format name and a digit.
        if (end - start < FormatName.Length + 1
            || string.CompareOrdinal(text, start, FormatName, 0, FormatName.Length) != 0
            || !IsAsciiDigit(text[start + FormatName.Length]))
        {
            throw new ProtectedDataException(
                ProtectedDataFailure.NotProtectedData,
                $"The text is not SsoSecret protected data: protected data starts with '{FormatName}' and a version number, such as '{Prefix}'.");
        }

        // Step 3: the version number (at most 11 digits are looked at: a longer number is no version this reader knows).
        int digitsStart = start + FormatName.Length;
        int position = digitsStart;
        while (position < end && IsAsciiDigit(text[position]) && position - digitsStart < 11)
        {
            position++;
        }

        int digits = position - digitsStart;
        if (digits != 1 || text[digitsStart] != '1')
        {
            string found = digits > 10 ? text.Substring(digitsStart, 10) + "..." : text.Substring(digitsStart, digits);
            throw new ProtectedDataException(
                ProtectedDataFailure.UnsupportedVersion,
                $"The text is SsoSecret protected data of format version {found}; this version of SsoSecret reads version {FormatVersion}. Use the SsoSecret version that wrote it, or a newer one.",
                foundVersion: found);
        }

        if (position == end || text[position] != '.')
        {
            throw Damaged($"its prefix '{Prefix}' is cut short or broken");
        }

        // Step 4: the encoded body's length, before anything is decoded or allocated.
        int bodyStart = position + 1;
        int encodedLength = end - bodyStart;
        if (encodedLength < MinEncodedLength || encodedLength > MaxEncodedLength || encodedLength % 4 == 1)
        {
            throw Damaged($"it is {end - start} characters long, which no protected value is (they are {MinTextLength} to {MaxTextLength} characters, and a base64url length)");
        }

        // Step 5: the alphabet.
        int invalid = Base64Url.IndexOfInvalid(text, bodyStart, encodedLength);
        if (invalid >= 0)
        {
            throw Damaged($"character {invalid - start + 1} is not a base64url character");
        }

        // Step 6: decode; the last character's unused bits must be zero.
        var body = new byte[Base64Url.DecodedLength(encodedLength)];
        if (!Base64Url.TryDecode(text, bodyStart, encodedLength, body))
        {
            throw Damaged("its last character is not canonical base64url");
        }

        // Step 7: the checksum, which tells accidental damage (a changed or lost character) from everything that needs a key.
        byte[] checksum = Primitives.Sha256(body, 0, body.Length - ChecksumLength);
        if (!Primitives.FixedTimeEquals(checksum, 0, body, body.Length - ChecksumLength, ChecksumLength))
        {
            throw Damaged("its checksum does not match its content (a character was changed, lost or added)");
        }

        // Step 8: the secret id.
        var secretId = BigEndian.ReadGuid(body, SecretIdOffset);
        if (secretId == Guid.Empty)
        {
            throw Damaged("its secret id is the nil GUID, which no master secret has");
        }

        string trimmed = start == 0 && end == text.Length ? text : text.Substring(start, end - start);
        return new ParsedText(trimmed, body, new ProtectedDataHeader(FormatVersion, secretId, body.Length - Overhead));
    }

    private static ProtectedDataException Damaged(string reason) =>
        new(ProtectedDataFailure.Damaged, "The protected value is damaged: " + reason + ". Use another copy of it.");

    private static bool IsTrimmed(char c) => c == ' ' || c == '\t' || c == '\r' || c == '\n';

    private static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';

    /// <summary>
    /// The space separators (Unicode general category Zs), listed rather than asked of the runtime's Unicode tables,
    /// so that every implementation and every runtime draws the same line.
    /// </summary>
    private static bool IsSpace(int codePoint) =>
        codePoint == 0x20 || codePoint == 0xA0 || codePoint == 0x1680 || (codePoint >= 0x2000 && codePoint <= 0x200A)
        || codePoint == 0x202F || codePoint == 0x205F || codePoint == 0x3000;

    private static byte[] Slice(byte[] data, int offset, int length)
    {
        var slice = new byte[length];
        Buffer.BlockCopy(data, offset, slice, 0, length);
        return slice;
    }

    private sealed class ParsedText
    {
        internal ParsedText(string text, byte[] body, ProtectedDataHeader header)
        {
            Text = text;
            Body = body;
            Header = header;
        }

        /// <summary>The text without the white space around it.</summary>
        internal string Text { get; }

        internal byte[] Body { get; }

        internal ProtectedDataHeader Header { get; }
    }
}
