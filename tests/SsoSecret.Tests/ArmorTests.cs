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
}
