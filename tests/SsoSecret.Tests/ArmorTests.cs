using System;
using System.Linq;
using System.Text;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>The armored form is strict: RFC 7468 lines, canonical base64, nothing outside but white space.</summary>
public sealed class ArmorTests
{
    private static readonly byte[] s_binary = System.IO.File.ReadAllBytes(TestPaths.Golden("v1-binary.bak"));
    private static readonly string s_armored = Armor.Encode(s_binary);

    private static SsoSecretFailure? Read(string text)
    {
        try
        {
            BackupEnvelope.ReadHeader(Encoding.ASCII.GetBytes(text));
            return null;
        }
        catch (BackupException e)
        {
            return e.Failure;
        }
    }

    [Fact]
    public void TheWriterUses64CharacterLinesAndEndsWithOneNewline()
    {
        var lines = s_armored.Split('\n');
        Assert.Equal(Armor.BeginLine, lines[0]);
        Assert.Equal(string.Empty, lines[^1]);
        Assert.Equal(Armor.EndLine, lines[^2]);
        Assert.All(lines.Skip(1).Take(lines.Length - 4), l => Assert.Equal(64, l.Length));
        Assert.Equal(s_binary, Armor.Decode(Encoding.ASCII.GetBytes(s_armored)));
    }

    [Fact]
    public void CrLfAndSurroundingWhiteSpaceAreAccepted()
    {
        Assert.Null(Read(s_armored.Replace("\n", "\r\n")));
        Assert.Null(Read("\n\n  \t" + s_armored + "\n\n   "));
    }

    [Theory]
    [InlineData("Some text before\n")]
    [InlineData("-----BEGIN SSOSECRET BACKUP----- \n")]
    public void TextBeforeTheBlockIsRefused(string prefix)
    {
        Assert.NotNull(Read(prefix + s_armored));
    }

    [Fact]
    public void TextAfterTheBlockIsDamage()
    {
        Assert.Equal(SsoSecretFailure.DamagedBackup, Read(s_armored + "trailing words\n"));
    }

    [Fact]
    public void ShortLinesAreDamage()
    {
        var lines = s_armored.Split('\n').ToList();
        lines[1] = lines[1].Substring(0, 63);
        Assert.Equal(SsoSecretFailure.DamagedBackup, Read(string.Join("\n", lines)));
    }

    [Fact]
    public void NonCanonicalBase64IsDamage()
    {
        // The binary form is 220 bytes: 220 mod 3 = 1, so the last group has 4 unused bits that must be zero.
        var lines = s_armored.Split('\n').ToList();
        int last = lines.Count - 3;
        string line = lines[last];
        char final = line[^3];
        string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char sibling = alphabet[alphabet.IndexOf(final) ^ 1];
        lines[last] = line.Substring(0, line.Length - 3) + sibling + "==";
        Assert.Equal(SsoSecretFailure.DamagedBackup, Read(string.Join("\n", lines)));
    }

    [Theory]
    [InlineData("-----END SSOSECRET BACKUP-----", "")]
    [InlineData("-----END SSOSECRET BACKUP-----", "-----END SSOSECRET BACKUP")]
    [InlineData("-----BEGIN SSOSECRET BACKUP-----", "-----BEGIN SSOSECRET BACKUP-----\n")]
    public void BrokenEncapsulationIsDamage(string find, string replace)
    {
        Assert.Equal(SsoSecretFailure.DamagedBackup, Read(s_armored.Replace(find, replace)));
    }

    [Fact]
    public void NonAsciiInsideTheBlockIsDamage()
    {
        Assert.Equal(SsoSecretFailure.DamagedBackup, Read(s_armored.Replace("AAAA", "AA\u00e9A")));
    }

    // Header lines (docs/envelope-format.md, "Armored form"): written for people, checked for form, never used.
    private static readonly byte[] s_armoredGolden = System.IO.File.ReadAllBytes(TestPaths.Golden("v1-armored.bak"));
    private static readonly byte[] s_hinted = Armor.Decode(s_armoredGolden);
    private static readonly string s_withHeaders = Armor.EncodeBackup(s_hinted);

    private static SsoSecretFailure? ReadUtf8(string text) => ReadBytes(Encoding.UTF8.GetBytes(text));

    private static SsoSecretFailure? ReadBytes(byte[] data)
    {
        try
        {
            Assert.Equal(s_hinted, Armor.Decode(data));
            return null;
        }
        catch (BackupException e)
        {
            return e.Failure;
        }
    }

    [Fact]
    public void TheWriterPutsTheHeaderLinesBeforeTheBase64()
    {
        var header = BackupEnvelope.ReadHeader(s_hinted);
        var lines = s_withHeaders.Split('\n');
        Assert.Equal(Armor.BeginLine, lines[0]);
        Assert.Equal("Created: " + header.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), lines[1]);
        Assert.Equal("Secret-Id: 0b5e8c3a-9d7f-4e21-a6b4-c8d2e0f1a3b5", lines[2]);
        Assert.Equal("Fingerprint: " + header.Fingerprint, lines[3]);
        Assert.Equal("Hint: Pferd " + char.ConvertFromUtf32(0x1F434) + " \u2014 Batterie", lines[4]);
        Assert.Equal(string.Empty, lines[5]);
        Assert.Equal(64, lines[6].Length);
        Assert.Null(ReadUtf8(s_withHeaders));
        Assert.True(BackupEnvelope.ReadHeader(Encoding.UTF8.GetBytes(s_withHeaders)).Armored);
    }

    [Fact]
    public void ABackupWithoutAHintHasNoHintLine()
    {
        var text = Armor.EncodeBackup(Rehint(string.Empty));
        Assert.DoesNotContain("Hint:", text, StringComparison.Ordinal);
        Assert.Equal(string.Empty, text.Split('\n')[4]);
    }

    [Fact]
    public void TheValuesAreNeverUsed_EditedRemovedOrUnknownLinesChangeNothing()
    {
        Assert.Null(ReadUtf8(s_withHeaders.Replace("Hint: Pferd", "Hint: not what the file says, Pferd")));
        Assert.Null(ReadUtf8(s_withHeaders.Replace("Secret-Id: 0b5e8c3a", "Secret-Id: ffffffff")));
        Assert.Null(ReadUtf8(s_withHeaders.Replace("Created: ", "Comment: kept in the vault, entry 7\nCreated: ")));
        Assert.Null(ReadUtf8(s_withHeaders.Replace("Fingerprint: ", "Fingerprint: \nFingerprint: ")));
        Assert.Null(ReadUtf8(s_withHeaders.Replace("\n", "\r\n")));
        // Without any header line (and so without the empty line): the form written before there were header lines.
        var lines = s_withHeaders.Split('\n').ToList();
        lines.RemoveRange(1, 5);
        Assert.Null(ReadUtf8(string.Join("\n", lines)));
        Assert.Null(ReadBytes(s_armoredGolden));
    }

    [Theory]
    [InlineData("no empty line after the header lines", "Batterie\n\n", "Batterie\n")]
    [InlineData("two empty lines", "\n\niVNT", "\n\n\niVNT")]
    [InlineData("a name with a space", "Secret-Id:", "Secret Id:")]
    [InlineData("a name that starts with a digit", "Secret-Id:", "1Secret-Id:")]
    [InlineData("no space after the colon", "Secret-Id: ", "Secret-Id:")]
    [InlineData("an empty name", "Secret-Id:", ":")]
    [InlineData("a tab in a value", "Hint: Pferd", "Hint: Pf\terd")]
    [InlineData("a control character in a value", "Hint: Pferd", "Hint: Pf\u0085erd")]
    [InlineData("a lone CR in a header line", "Hint: Pferd", "Hint: Pf\rerd")]
    [InlineData("an empty line where there are no header lines", "-----\nCreated", "-----\n\nCreated")]
    public void AHeaderLineOutOfFormIsDamage(string what, string find, string replace)
    {
        Assert.True(s_withHeaders.Contains(find, StringComparison.Ordinal), what);
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadUtf8(s_withHeaders.Replace(find, replace)));
    }

    [Fact]
    public void HeaderLinesWithNothingAfterThemAreDamage()
    {
        var lines = s_withHeaders.Split('\n').ToList();
        int end = lines.IndexOf(Armor.EndLine);
        lines.RemoveRange(6, end - 6);
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadUtf8(string.Join("\n", lines)));
        lines.RemoveAt(5);
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadUtf8(string.Join("\n", lines)));
    }

    [Fact]
    public void AHeaderLineThatIsNotUtf8OrTooLongIsDamage()
    {
        var bytes = Encoding.UTF8.GetBytes(s_withHeaders);
        int at = Array.IndexOf(bytes, (byte)'P', Encoding.UTF8.GetBytes(s_withHeaders).AsSpan().IndexOf(Encoding.ASCII.GetBytes("Hint: ")));
        bytes[at] = 0xC3; // a lead byte followed by 'f': not UTF-8
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadBytes(bytes));
        string longest = "Comment: " + new string('x', Armor.MaxHeaderLineBytes - 9);
        Assert.Null(ReadUtf8(s_withHeaders.Replace("Created: ", longest + "\nCreated: ")));
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadUtf8(s_withHeaders.Replace("Created: ", longest + "x\nCreated: ")));
    }

    [Fact]
    public void NonAsciiOutsideTheHeaderLinesIsStillDamage()
    {
        var lines = s_withHeaders.Split('\n');
        Assert.Equal(SsoSecretFailure.DamagedBackup, ReadUtf8(s_withHeaders.Replace(lines[6], lines[6].Substring(0, 63) + "\u00e9")));
    }

    /// <summary>A backup sealed here with the given hint (the Interactive profile, a zero salt).</summary>
    private static byte[] Rehint(string hint)
    {
        using var sealedBackup = BackupEnvelope.Seal(new byte[32], Guid.NewGuid(), DateTimeOffset.FromUnixTimeSeconds(1767225600), hint, Encoding.UTF8.GetBytes("correct horse battery staple"), new KdfParameters(65536, 3, 4), new byte[16]);
        return sealedBackup.Data;
    }
}
