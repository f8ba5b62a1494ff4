using System;
using SsoSecret.Crypto;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>The building blocks against their RFC test vectors, through the calls the envelope makes.</summary>
public sealed class PrimitiveVectorTests
{
    [Fact]
    public void HkdfSha256MatchesRfc5869TestCase1()
    {
        var ikm = Hex.Decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Hex.Decode("000102030405060708090a0b0c");
        var info = Hex.Decode("f0f1f2f3f4f5f6f7f8f9");
        var okm = Primitives.HkdfSha256(ikm, salt, info, 42);
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Hex.Encode(okm));
    }
}
