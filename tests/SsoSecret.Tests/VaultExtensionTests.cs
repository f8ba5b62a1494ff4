using System;
using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Text;
using SsoSecret.Vault;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// What the extension vault gives SecretManagement for bytes the format reads but PowerShell cannot hold as they are
/// (docs/vault-format.md, "What SsoSecret returns"), and the keys it compares as the vault compares names.
/// </summary>
public sealed class VaultExtensionTests
{
    [Theory]
    [InlineData((int)VaultSecretType.String)]
    [InlineData((int)VaultSecretType.SecureString)]
    public void TextThatIsNotUtf8IsAnEntryDamaged(int typeNumber)
    {
        var type = (VaultSecretType)typeNumber;
        var e = Assert.Throws<VaultException>(() => VaultExtension.ToObject(type, new byte[] { 0x61, 0xc3, 0x28 }, "app/text"));
        Assert.Equal(SsoSecretFailure.VaultEntryDamaged, e.Failure);
        Assert.Contains("'app/text'", e.Message);
    }

    [Fact]
    public void ACredentialWithAnEmptyUserNameIsAnEntryDamaged()
    {
        var e = Assert.Throws<VaultException>(() => VaultExtension.ToObject(VaultSecretType.PSCredential, VaultValue.Credential(Array.Empty<byte>(), Encoding.UTF8.GetBytes("pw")), "app/login"));
        Assert.Equal(SsoSecretFailure.VaultEntryDamaged, e.Failure);
        Assert.Contains("user name is empty", e.Message);
        Assert.DoesNotContain("pw", e.Message.Replace("PSCredential", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void AHashtableKeepsKeysThatDifferBeyondAsciiCase()
    {
        var table = new Hashtable { ["É"] = "upper", ["é"] = "lower", ["Key"] = new byte[] { 1, 2 } };
        byte[] bytes = VaultExtension.ToBytes(table, "app/table", out var type);
        Assert.Equal(VaultSecretType.Hashtable, type);
        var back = Assert.IsType<Hashtable>(VaultExtension.ToObject(type, bytes, "app/table"));
        Assert.Equal(3, back.Count);
        Assert.Equal("upper", back["É"]);
        Assert.Equal("lower", back["é"]);

        // ASCII letters compare without case, as PowerShell's own hashtables do.
        Assert.Equal(new byte[] { 1, 2 }, back["KEY"]);
    }

    [Fact]
    public void AHashtableWithKeysTheVaultTakesForOneIsRefused()
    {
        var table = new Hashtable(StringComparer.Ordinal) { ["Token"] = "a", ["token"] = "b" };
        var e = Assert.Throws<SsoSecretException>(() => VaultExtension.ToBytes(table, "app/table", out _));
        Assert.Equal(SsoSecretFailure.UnsupportedSecretType, e.Failure);
    }

    [Fact]
    public void EveryTypeRoundTrips()
    {
        using var secure = new NetworkCredential(string.Empty, "s3cret-ü").SecurePassword;
        var credential = new PSCredential("CONTOSO\\svc", new NetworkCredential(string.Empty, "pw-€").SecurePassword);
        foreach (object value in new object[] { new byte[] { 0, 255 }, "text 🎉", secure, credential })
        {
            byte[] bytes = VaultExtension.ToBytes(value, "v", out var type);
            object back = VaultExtension.ToObject(type, bytes, "v");
            switch (back)
            {
                case byte[] data:
                    Assert.Equal((byte[])value, data);
                    break;
                case string text:
                    Assert.Equal(value, text);
                    break;
                case System.Security.SecureString s:
                    Assert.Equal("s3cret-ü", new NetworkCredential(string.Empty, s).Password);
                    break;
                case PSCredential c:
                    Assert.Equal(("CONTOSO\\svc", "pw-€"), (c.UserName, c.GetNetworkCredential().Password));
                    break;
                default:
                    Assert.Fail($"unexpected {back.GetType()}");
                    break;
            }
        }
    }
}
