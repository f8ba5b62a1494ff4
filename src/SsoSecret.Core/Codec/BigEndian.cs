using System;
using System.IO;

namespace SsoSecret.Codec;

/// <summary>
/// The one byte codec of SsoSecret's file formats (backup envelope, store file): unsigned big-endian integers and
/// GUIDs in RFC 9562 byte order (the order of their canonical text form).
/// </summary>
internal static class BigEndian
{
    internal const int GuidLength = 16;

    internal static void WriteUInt16(byte[] data, int offset, int value)
    {
        data[offset] = (byte)(value >> 8);
        data[offset + 1] = (byte)value;
    }

    internal static void WriteUInt32(byte[] data, int offset, uint value)
    {
        for (int i = 0; i < 4; i++)
        {
            data[offset + i] = (byte)(value >> (24 - 8 * i));
        }
    }

    internal static void WriteUInt64(byte[] data, int offset, ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            data[offset + i] = (byte)(value >> (56 - 8 * i));
        }
    }

    internal static int ReadUInt16(byte[] data, int offset) => (data[offset] << 8) | data[offset + 1];

    internal static uint ReadUInt32(byte[] data, int offset)
    {
        uint value = 0;
        for (int i = 0; i < 4; i++)
        {
            value = (value << 8) | data[offset + i];
        }

        return value;
    }

    internal static ulong ReadUInt64(byte[] data, int offset)
    {
        ulong value = 0;
        for (int i = 0; i < 8; i++)
        {
            value = (value << 8) | data[offset + i];
        }

        return value;
    }

    /// <summary>Writes a GUID in RFC 9562 (big-endian) byte order: the order of its canonical text form.</summary>
    internal static void WriteGuid(byte[] data, int offset, Guid id)
    {
        // Guid.ToByteArray stores the first three fields little-endian; the canonical order is big-endian throughout.
        var bytes = id.ToByteArray();
        data[offset] = bytes[3];
        data[offset + 1] = bytes[2];
        data[offset + 2] = bytes[1];
        data[offset + 3] = bytes[0];
        data[offset + 4] = bytes[5];
        data[offset + 5] = bytes[4];
        data[offset + 6] = bytes[7];
        data[offset + 7] = bytes[6];
        Buffer.BlockCopy(bytes, 8, data, offset + 8, 8);
    }

    internal static Guid ReadGuid(byte[] data, int offset)
    {
        var bytes = new byte[GuidLength];
        bytes[0] = data[offset + 3];
        bytes[1] = data[offset + 2];
        bytes[2] = data[offset + 1];
        bytes[3] = data[offset];
        bytes[4] = data[offset + 5];
        bytes[5] = data[offset + 4];
        bytes[6] = data[offset + 7];
        bytes[7] = data[offset + 6];
        Buffer.BlockCopy(data, offset + 8, bytes, 8, 8);
        return new Guid(bytes);
    }
}

/// <summary>Appends big-endian fields to a growing buffer (for formats whose length is not known in advance).</summary>
internal sealed class ByteWriter : IDisposable
{
    private readonly MemoryStream _stream = new();
    private readonly byte[] _scratch = new byte[BigEndian.GuidLength];

    internal void Byte(byte value) => _stream.WriteByte(value);

    internal void UInt16(int value)
    {
        BigEndian.WriteUInt16(_scratch, 0, value);
        _stream.Write(_scratch, 0, 2);
    }

    internal void UInt32(uint value)
    {
        BigEndian.WriteUInt32(_scratch, 0, value);
        _stream.Write(_scratch, 0, 4);
    }

    internal void Int64(long value)
    {
        BigEndian.WriteUInt64(_scratch, 0, (ulong)value);
        _stream.Write(_scratch, 0, 8);
    }

    internal void Guid(Guid value)
    {
        BigEndian.WriteGuid(_scratch, 0, value);
        _stream.Write(_scratch, 0, BigEndian.GuidLength);
    }

    internal void Bytes(byte[] value) => _stream.Write(value, 0, value.Length);

    /// <summary>The bytes written so far. The caller owns (and zeroes) the copy.</summary>
    internal byte[] ToArray() => _stream.ToArray();

    /// <summary>Zeroes the internal buffer, which may have held secret bytes.</summary>
    public void Dispose()
    {
        var buffer = _stream.GetBuffer();
        Array.Clear(buffer, 0, buffer.Length);
        _stream.Dispose();
    }
}

/// <summary>
/// Reads big-endian fields in order, never past <see cref="Limit"/>: an overrun is reported through the format's own
/// failure (the factory given), so a cut-short file is a damaged file, not an exception of the runtime.
/// </summary>
internal sealed class ByteReader
{
    private readonly byte[] _data;
    private readonly Func<string, Exception> _damaged;
    private int _position;

    internal ByteReader(byte[] data, Func<string, Exception> damaged)
    {
        _data = data;
        _damaged = damaged;
        Limit = data.Length;
    }

    /// <summary>The end of the readable part (a checksum after it is not a field).</summary>
    internal int Limit { get; set; }

    internal bool AtEnd => _position == Limit;

    /// <summary>The offset of the next field.</summary>
    internal int Position => _position;

    internal byte Byte()
    {
        Need(1);
        return _data[_position++];
    }

    internal int UInt16()
    {
        Need(2);
        int value = BigEndian.ReadUInt16(_data, _position);
        _position += 2;
        return value;
    }

    internal uint UInt32()
    {
        Need(4);
        uint value = BigEndian.ReadUInt32(_data, _position);
        _position += 4;
        return value;
    }

    internal long Int64()
    {
        Need(8);
        long value = (long)BigEndian.ReadUInt64(_data, _position);
        _position += 8;
        return value;
    }

    internal Guid Guid()
    {
        Need(BigEndian.GuidLength);
        var id = BigEndian.ReadGuid(_data, _position);
        _position += BigEndian.GuidLength;
        return id;
    }

    internal byte[] Bytes(int length)
    {
        Need(length);
        var bytes = Memory.Slice(_data, _position, length);
        _position += length;
        return bytes;
    }

    internal Exception Damaged(string reason) => _damaged(reason);

    private void Need(int count)
    {
        if (count > Limit - _position)
        {
            throw _damaged("it is cut short");
        }
    }
}
