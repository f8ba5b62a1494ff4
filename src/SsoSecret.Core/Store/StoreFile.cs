using System;
using System.Runtime.InteropServices;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret.Store;

/// <summary>
/// The store file's format, version 1. docs/store-format.md is its specification; this class follows it, and the
/// tests hold the two together.
/// </summary>
internal static class StoreFile
{
    internal const int Version = 1;
    internal const byte ProtectionNone = 0;
    internal const byte ProtectionDpapiMachine = 1;
    internal const byte HasCurrent = 1;
    internal const byte HasPrevious = 2;
    internal const byte HasLastBackup = 4;

    /// <summary>The largest store file a reader reads: two DPAPI-protected secrets of the largest size and the longest path, with room.</summary>
    internal const int MaxLength = 128 * 1024;

    internal static readonly byte[] Magic = Encoding.ASCII.GetBytes("SSOSTORE");

    /// <summary>The file's bytes for a state. Secrets are DPAPI-protected on Windows. The caller zeroes the result.</summary>
    internal static byte[] Serialize(StoreState state)
    {
        bool dpapi = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        using var writer = new ByteWriter();
        writer.Bytes(Magic);
        writer.UInt16(Version);
        writer.Byte(dpapi ? ProtectionDpapiMachine : ProtectionNone);
        writer.Byte((byte)((state.Current is null ? 0 : HasCurrent) | (state.Previous is null ? 0 : HasPrevious) | (state.LastBackup is null ? 0 : HasLastBackup)));
        if (state.Current is not null)
        {
            WriteSecret(writer, state.Current, dpapi, withReplaced: false);
        }

        if (state.Previous is not null)
        {
            WriteSecret(writer, state.Previous, dpapi, withReplaced: true);
        }

        if (state.LastBackup is not null)
        {
            writer.Int64(state.LastBackup.Time.ToUnixTimeMilliseconds());
            writer.Guid(state.LastBackup.SecretId);
            var path = StrictUtf8.Encoding.GetBytes(state.LastBackup.Path);
            if (path.Length > ushort.MaxValue)
            {
                throw new ArgumentException("The last backup's path is longer than a store file can record.", nameof(state));
            }

            writer.UInt16(path.Length);
            writer.Bytes(path);
        }

        var body = writer.ToArray();
        try
        {
            var checksum = Primitives.Sha256(body, 0, body.Length);
            var result = new byte[body.Length + checksum.Length];
            Buffer.BlockCopy(body, 0, result, 0, body.Length);
            Buffer.BlockCopy(checksum, 0, result, body.Length, checksum.Length);
            return result;
        }
        finally
        {
            Memory.Zero(body);
        }
    }

    /// <summary>
    /// Reads a store file. Every failure is <see cref="SsoSecretFailure.StoreDamaged"/>, naming <paramref name="path"/>.
    /// </summary>
    internal static StoreState Deserialize(byte[] data, string path)
    {
        var reader = new ByteReader(data, reason => Damaged(path, reason));
        if (data.Length > MaxLength)
        {
            throw Damaged(path, $"it is {data.Length} bytes long, more than a store file ever is ({MaxLength})");
        }

        if (data.Length < Magic.Length + 4 + Primitives.Sha256Length)
        {
            throw Damaged(path, "it is cut short");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - Primitives.Sha256Length);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - Primitives.Sha256Length, Primitives.Sha256Length))
        {
            throw Damaged(path, "its checksum does not match its content");
        }

        reader.Limit = data.Length - Primitives.Sha256Length;
        for (int i = 0; i < Magic.Length; i++)
        {
            if (reader.Byte() != Magic[i])
            {
                throw Damaged(path, "it is not an SsoSecret store file");
            }
        }

        int version = reader.UInt16();
        if (version != Version)
        {
            throw Damaged(path, $"it is of store version {version}, which this version of SsoSecret does not read");
        }

        byte protection = reader.Byte();
        if (protection != ProtectionNone && protection != ProtectionDpapiMachine)
        {
            throw Damaged(path, "its protection mode is unknown");
        }

        if (protection == ProtectionDpapiMachine && !RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            // Refused whatever the file holds, as the specification says: a Windows store without a secret in it is
            // still not a store this machine could have written (the fuzzer found it read when it held no secret).
            throw Damaged(path, "its secrets are protected with Windows DPAPI, which only the Windows machine that wrote them can open");
        }

        byte presence = reader.Byte();
        if ((presence & ~(HasCurrent | HasPrevious | HasLastBackup)) != 0)
        {
            throw Damaged(path, "it holds data this version does not define");
        }

        var state = new StoreState();
        try
        {
            try
            {
                if ((presence & HasCurrent) != 0)
                {
                    state.Current = ReadSecret(reader, protection, withReplaced: false);
                }

                if ((presence & HasPrevious) != 0)
                {
                    state.Previous = ReadSecret(reader, protection, withReplaced: true);
                }
            }
            catch (DpapiException e)
            {
                throw new StoreException(
                    SsoSecretFailure.StoreUnprotectFailed,
                    path,
                    $"The secret store file '{path}' is intact (its checksum matches), but Windows cannot open the master secret protected in it: {e.Message} It was made on another machine or by another Windows installation (a copied store, a restored disk image, a reinstalled system), or its protected part was altered.",
                    e)
                {
                    RecommendedAction = $"A store opens only on the machine that wrote it. Restore the master secret from a backup into this machine's store (Restore-SsoMasterSecret <backup> -StorePath '{System.IO.Path.GetDirectoryName(path)}' -Force), or use the store on the machine that made it.",
                };
            }

            if ((presence & HasLastBackup) != 0)
            {
                var time = Time(reader);
                var id = reader.Guid();
                var pathBytes = reader.Bytes(reader.UInt16());
                string backupPath;
                try
                {
                    backupPath = StrictUtf8.Encoding.GetString(pathBytes);
                }
                catch (ArgumentException)
                {
                    throw Damaged(path, "its last backup's path is not valid UTF-8");
                }

                state.LastBackup = new BackupRecord(time, id, backupPath);
            }

            if (!reader.AtEnd)
            {
                throw Damaged(path, "it holds data this version does not define");
            }

            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static void WriteSecret(ByteWriter writer, StoredSecret secret, bool dpapi, bool withReplaced)
    {
        writer.Guid(secret.Id);
        writer.Int64(secret.Created.ToUnixTimeMilliseconds());
        if (withReplaced)
        {
            writer.Int64((secret.Replaced ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());
        }

        var bytes = dpapi ? Dpapi.Protect(secret.Secret) : secret.Secret;
        writer.UInt16(bytes.Length);
        writer.Bytes(bytes);
    }

    private static StoredSecret ReadSecret(ByteReader reader, byte protection, bool withReplaced)
    {
        var id = reader.Guid();
        var created = Time(reader);
        DateTimeOffset? replaced = withReplaced ? Time(reader) : null;
        var bytes = reader.Bytes(reader.UInt16());
        if (protection == ProtectionDpapiMachine)
        {
            var clear = Dpapi.Unprotect(bytes);
            Memory.Zero(bytes);
            bytes = clear;
        }

        if (bytes.Length < BackupEnvelope.MinSecretLength || bytes.Length > BackupEnvelope.MaxSecretLength)
        {
            Memory.Zero(bytes);
            throw reader.Damaged($"it holds a secret of {bytes.Length} bytes, outside {BackupEnvelope.MinSecretLength} to {BackupEnvelope.MaxSecretLength}");
        }

        return new StoredSecret(id, created, bytes, replaced);
    }

    private static DateTimeOffset Time(ByteReader reader)
    {
        long value = reader.Int64();
        try
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(value);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw reader.Damaged("it holds a time out of range");
        }
    }

    private static StoreException Damaged(string path, string reason) => new(
        SsoSecretFailure.StoreDamaged,
        path,
        $"The secret store file '{path}' is damaged: {reason}. Restore the master secret from a backup into a new store (Restore-SsoMasterSecret -StorePath).");
}
