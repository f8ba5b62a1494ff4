using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>The building blocks against published vectors, through the calls the envelope makes.</summary>
public sealed class PrimitiveVectorTests
{
    [Fact]
    public void Argon2idMatchesRfc9106Section53()
    {
        // RFC 9106 §5.3 uses a secret value K and associated data X, which the envelope leaves empty; this drives the
        // same BouncyCastle generator with them to check the algorithm itself.
        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithSalt(Repeat(0x02, 16))
            .WithSecret(Repeat(0x03, 8))
            .WithAdditional(Repeat(0x04, 12))
            .WithMemoryAsKB(32)
            .WithIterations(3)
            .WithParallelism(4)
            .Build();
        var generator = new Argon2BytesGenerator();
        generator.Init(parameters);
        var tag = new byte[32];
        generator.GenerateBytes(Repeat(0x01, 32), tag);
        Assert.Equal("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", Hex.Encode(tag));
    }

    [Theory]
    // Outputs of the reference C implementation (Debian package argon2):
    //   echo -n "correct horse battery staple" | argon2 SsoSecretSalt123 -id -t 3 -k 65536 -p 4 -l 32 -r
    //   echo -n "123" | argon2 ABCDEFGHIJKLMNOP -id -v 13 -k 1024 -t 5 -r
    [InlineData("correct horse battery staple", "SsoSecretSalt123", 65536, 3, 4, "a0eeddae6110e5a84dc5ed38156ad6e1413a09d91c978c74e4b047bf2dc83aab")]
    [InlineData("123", "ABCDEFGHIJKLMNOP", 1024, 5, 1, "3c5d010180ba0cf5b6b858cba23b318e42d33088983c404598599c3b029ecac6")]
    public void Argon2idMatchesTheReferenceImplementation(string password, string salt, int memoryKiB, int iterations, int parallelism, string expected)
    {
        var output = Primitives.Argon2id(Encoding.UTF8.GetBytes(password), Encoding.ASCII.GetBytes(salt), new KdfParameters(memoryKiB, iterations, parallelism), 32);
        Assert.Equal(expected, Hex.Encode(output));
    }

    [Fact]
    public void ChaCha20Poly1305MatchesRfc8439Section282()
    {
        var key = Hex.Decode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        var nonce = Hex.Decode("070000004041424344454647");
        var aad = Hex.Decode("50515253c0c1c2c3c4c5c6c7");
        var plaintext = Encoding.ASCII.GetBytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        const string expected =
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
            + "1ae10b594f09e26a7e902ecbd0600691";

        var sealedData = Primitives.ChaChaSeal(key, nonce, aad, plaintext);
        Assert.Equal(expected, Hex.Encode(sealedData));

        var opened = Primitives.ChaChaOpen(key, nonce, aad, sealedData, 0, sealedData.Length);
        Assert.Equal(plaintext, opened);

        sealedData[^1] ^= 1;
        Assert.Null(Primitives.ChaChaOpen(key, nonce, aad, sealedData, 0, sealedData.Length));
        sealedData[^1] ^= 1;
        aad[0] ^= 1;
        Assert.Null(Primitives.ChaChaOpen(key, nonce, aad, sealedData, 0, sealedData.Length));
    }

    [Fact]
    public void HkdfSha256MatchesRfc5869TestCase1()
    {
        var ikm = Hex.Decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Hex.Decode("000102030405060708090a0b0c");
        var info = Hex.Decode("f0f1f2f3f4f5f6f7f8f9");
        var okm = Primitives.HkdfSha256(ikm, salt, info, 42);
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Hex.Encode(okm));
    }

    [Fact]
    public void HkdfSha256WithoutSaltMatchesRfc5869TestCase3()
    {
        // The envelope passes no salt, as test case 3 does.
        var okm = Primitives.HkdfSha256(Repeat(0x0b, 22), null, System.Array.Empty<byte>(), 42);
        Assert.Equal("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", Hex.Encode(okm));
    }

    [Fact]
    public void Sha256MatchesFips180Abc()
    {
        var data = Encoding.ASCII.GetBytes("xabcx");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex.Encode(Primitives.Sha256(data, 1, 3)));
    }

    private static byte[] Repeat(byte value, int count)
    {
        var data = new byte[count];
        System.Array.Fill(data, value);
        return data;
    }
}
