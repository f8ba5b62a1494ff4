namespace SsoSecret;

/// <summary>
/// A password-sealed file (a backup, a recovery key file) whose structure the reader has checked: its bytes, its
/// header, and where the header ends (the authenticated data of its AEAD). A format with more to say extends it (a
/// version 2 backup adds its recipients).
/// </summary>
internal class ParsedFile<THeader>
{
    internal ParsedFile(byte[] data, THeader header, int headerLength)
    {
        Data = data;
        Header = header;
        HeaderLength = headerLength;
    }

    internal byte[] Data { get; }

    internal THeader Header { get; }

    internal int HeaderLength { get; }
}
