using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace SsoSecret.Recovery;

/// <summary>
/// The two primitives SLIP-0039 needs beyond those of <see cref="Crypto.Primitives"/>, both BouncyCastle's:
/// PBKDF2-HMAC-SHA256 (the Feistel round function) and HMAC-SHA256 (the share digest). Nothing here is
/// hand-written; this class only fixes the parameters SLIP-0039 uses.
/// </summary>
internal static class Slip39Crypto
{
    /// <summary>PBKDF2 (RFC 8018) with HMAC-SHA256, <paramref name="length"/> bytes of output.</summary>
    internal static byte[] Pbkdf2Sha256(byte[] password, byte[] salt, int iterations, int length)
    {
        var generator = new Pkcs5S2ParametersGenerator(new Sha256Digest());
        generator.Init(password, salt, iterations);
        var key = (KeyParameter)generator.GenerateDerivedMacParameters(length * 8);
        return key.GetKey();
    }

    /// <summary>HMAC-SHA256 (RFC 2104) of <paramref name="message"/> under <paramref name="key"/>.</summary>
    internal static byte[] HmacSha256(byte[] key, byte[] message)
    {
        var mac = new HMac(new Sha256Digest());
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(message, 0, message.Length);
        var output = new byte[mac.GetMacSize()];
        mac.DoFinal(output, 0);
        return output;
    }
}
