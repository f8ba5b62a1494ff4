using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SsoSecret.Codec;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Store;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret;

/// <summary>Which key an environment key file holds.</summary>
internal enum EnvironmentKeyKind : byte
{
    /// <summary>A replica's host key: an X25519 private key.</summary>
    ReplicaHost = 1,

    /// <summary>A master's environment key: an Ed25519 private key and the environment's id.</summary>
    Master = 2,
}

/// <summary>What an environment key file holds, its private key opened (zeroed on dispose).</summary>
internal sealed class EnvironmentKeyContent : IDisposable
{
    internal EnvironmentKeyContent(EnvironmentKeyKind kind, DateTimeOffset created, Guid environmentId, byte[] publicKey, byte[] privateKey)
    {
        Kind = kind;
        Created = created;
        EnvironmentId = environmentId;
        PublicKey = publicKey;
        PrivateKey = privateKey;
    }

    internal EnvironmentKeyKind Kind { get; }

    internal DateTimeOffset Created { get; }

    /// <summary>The environment's id (a master key); <see cref="Guid.Empty"/> for a replica's host key.</summary>
    internal Guid EnvironmentId { get; }

    internal byte[] PublicKey { get; }

    internal byte[] PrivateKey { get; }

    /// <summary>The replica host key pair; the content keeps its own private key (dispose both).</summary>
    internal ReplicaHostKey ToReplicaHostKey() => new((byte[])PrivateKey.Clone());

    /// <summary>The master environment key; the content keeps its own private key (dispose both).</summary>
    internal MasterEnvironmentKey ToMasterKey() => new(EnvironmentId, (byte[])PrivateKey.Clone());

    public void Dispose() => Memory.Zero(PrivateKey);
}

/// <summary>
/// The environment key file, format version 1 (docs/environment-format.md, "The key files"): a replica's host key or
/// a master's environment key, its private key as it is in an owner-only file (Linux, macOS) or a DPAPI blob with
/// machine scope (Windows, as the store keeps its secrets), its public key readable. Written the way the store writes:
/// a new file born owner-only beside its target, read back and checked through the same descriptor, then linked into
/// place only where no file is (a key is never replaced).
/// </summary>
internal static class EnvironmentKeyFile
{
    internal const int FormatVersion = 1;
    internal const byte ProtectionNone = 0;
    internal const byte ProtectionDpapiMachine = 1;

    internal const int VersionOffset = 8;
    internal const int KindOffset = 10;
    internal const int ProtectionOffset = 11;
    internal const int CreatedOffset = 12;
    internal const int EnvironmentIdOffset = 20;
    internal const int PublicKeyOffset = 36;
    internal const int PrivateLengthOffset = 68;
    internal const int PrivateOffset = 70;

    internal const int KeyLength = 32;

    /// <summary>The longest private part: a DPAPI blob of a 32-byte key is a few hundred bytes.</summary>
    internal const int MaxPrivateLength = 4096;

    internal const int FixedOverhead = PrivateOffset + Primitives.Sha256Length;
    internal const int MinLength = FixedOverhead + KeyLength;
    internal const int MaxLength = FixedOverhead + MaxPrivateLength;

    /// <summary>The usual names of the files in the store folder.</summary>
    internal const string ReplicaHostKeyName = "replica-host.key";
    internal const string MasterKeyName = "environment.key";

    /// <summary><c>\x89SSE\r\n\x1A\n</c>: a backup's magic with E (environment) for O.</summary>
    internal static readonly byte[] Magic = { 0x89, 0x53, 0x53, 0x45, 0x0D, 0x0A, 0x1A, 0x0A };

    private static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>A replica host key's file bytes. <paramref name="dpapi"/>: null for the platform's own choice (DPAPI on Windows).</summary>
    internal static byte[] Encode(ReplicaHostKey key, DateTimeOffset created, bool? dpapi = null) =>
        Encode(EnvironmentKeyKind.ReplicaHost, created, Guid.Empty, key.PublicKey.Bytes, key.PrivateKey, dpapi ?? IsWindows);

    /// <summary>A master environment key's file bytes.</summary>
    internal static byte[] Encode(MasterEnvironmentKey key, DateTimeOffset created, bool? dpapi = null) =>
        Encode(EnvironmentKeyKind.Master, created, key.EnvironmentId, key.Identity.PublicKey, key.PrivateKey, dpapi ?? IsWindows);

    private static byte[] Encode(EnvironmentKeyKind kind, DateTimeOffset created, Guid environmentId, byte[] publicKey, byte[] privateKey, bool dpapi)
    {
        long createdSeconds = created.ToUnixTimeSeconds();
        if (createdSeconds < 0 || createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(created), "The creation time must be between 1970 and 9999.");
        }

        byte[] stored = dpapi ? Dpapi.Protect(privateKey) : privateKey;
        if (stored.Length > MaxPrivateLength)
        {
            throw new InvalidOperationException($"DPAPI returned {stored.Length} bytes, more than a key file holds ({MaxPrivateLength}).");
        }

        int length = FixedOverhead + stored.Length;
        var data = new byte[length];
        Buffer.BlockCopy(Magic, 0, data, 0, Magic.Length);
        BigEndian.WriteUInt16(data, VersionOffset, FormatVersion);
        data[KindOffset] = (byte)kind;
        data[ProtectionOffset] = dpapi ? ProtectionDpapiMachine : ProtectionNone;
        BigEndian.WriteUInt64(data, CreatedOffset, (ulong)createdSeconds);
        BigEndian.WriteGuid(data, EnvironmentIdOffset, environmentId);
        Buffer.BlockCopy(publicKey, 0, data, PublicKeyOffset, KeyLength);
        BigEndian.WriteUInt16(data, PrivateLengthOffset, stored.Length);
        Buffer.BlockCopy(stored, 0, data, PrivateOffset, stored.Length);
        var checksum = Primitives.Sha256(data, 0, length - Primitives.Sha256Length);
        Buffer.BlockCopy(checksum, 0, data, length - Primitives.Sha256Length, Primitives.Sha256Length);
        return data;
    }

    /// <summary>
    /// Reads a key file's bytes, checking them in the order docs/environment-format.md gives, and opens its private key
    /// (DPAPI on Windows). A file of the other kind is refused. Every failure is
    /// <see cref="SsoSecretFailure.DamagedEnvironmentKey"/>, except a version this one does not read
    /// (<see cref="SsoSecretFailure.UnsupportedVersion"/>). The caller disposes the content.
    /// </summary>
    internal static EnvironmentKeyContent Decode(byte[] data, EnvironmentKeyKind expected)
    {
        if (data.Length > MaxLength)
        {
            throw Damaged($"it is {data.Length} bytes long or more, longer than the largest key file ({MaxLength} bytes)");
        }

        if (data.Length < VersionOffset + 2 || !Primitives.FixedTimeEquals(data, 0, Magic, 0, Magic.Length))
        {
            throw Damaged("it does not start as an environment key file does: it is not one");
        }

        int version = BigEndian.ReadUInt16(data, VersionOffset);
        if (version != FormatVersion)
        {
            throw new EnvironmentException(
                SsoSecretFailure.UnsupportedVersion,
                $"The environment key file is of format version {version}, which this version of SsoSecret does not read (it reads version {FormatVersion}).");
        }

        if (data.Length < MinLength)
        {
            throw Damaged($"it is {data.Length} bytes long, shorter than the smallest key file ({MinLength} bytes)");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - Primitives.Sha256Length);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - Primitives.Sha256Length, Primitives.Sha256Length))
        {
            throw Damaged("its checksum does not match its content");
        }

        byte kind = data[KindOffset];
        if (kind != (byte)EnvironmentKeyKind.ReplicaHost && kind != (byte)EnvironmentKeyKind.Master)
        {
            throw Damaged($"its kind {kind} is neither 1 (a replica's host key) nor 2 (a master's environment key)");
        }

        byte protection = data[ProtectionOffset];
        if (protection != ProtectionNone && protection != ProtectionDpapiMachine)
        {
            throw Damaged($"its protection {protection} is neither 0 nor 1");
        }

        if (protection == ProtectionDpapiMachine && !IsWindows)
        {
            throw Damaged("its private key is protected with Windows DPAPI, which opens only on the Windows machine that wrote it");
        }

        ulong createdSeconds = BigEndian.ReadUInt64(data, CreatedOffset);
        if (createdSeconds > BackupEnvelope.MaxCreatedSeconds)
        {
            throw Damaged("its creation time is out of range");
        }

        var environmentId = BigEndian.ReadGuid(data, EnvironmentIdOffset);
        if (kind == (byte)EnvironmentKeyKind.ReplicaHost ? environmentId != Guid.Empty : environmentId == Guid.Empty)
        {
            throw Damaged(kind == (byte)EnvironmentKeyKind.ReplicaHost
                ? "a replica's host key file holds an environment id, where it has 16 zero bytes"
                : "a master's key file holds the all-zero environment id");
        }

        var publicKey = Memory.Slice(data, PublicKeyOffset, KeyLength);
        if (kind == (byte)EnvironmentKeyKind.ReplicaHost ? RecoveryPublicKey.Problem(publicKey) is not null : !Primitives.Ed25519IsValidPublicKey(publicKey))
        {
            throw Damaged("its public key is not the public key of any key pair");
        }

        int privateLength = BigEndian.ReadUInt16(data, PrivateLengthOffset);
        if (protection == ProtectionNone ? privateLength != KeyLength : privateLength < 1 || privateLength > MaxPrivateLength)
        {
            throw Damaged($"its private part is {privateLength} bytes long, which protection {protection} never is");
        }

        if (data.Length != FixedOverhead + privateLength)
        {
            throw Damaged($"it is {data.Length} bytes long, but its fields add up to {FixedOverhead + privateLength}");
        }

        if (kind != (byte)expected)
        {
            throw Damaged(expected == EnvironmentKeyKind.ReplicaHost
                ? "it holds a master's environment key, where a replica's host key is needed"
                : "it holds a replica's host key, where a master's environment key is needed");
        }

        var stored = Memory.Slice(data, PrivateOffset, privateLength);
        byte[] privateKey;
        if (protection == ProtectionDpapiMachine)
        {
            try
            {
                privateKey = Dpapi.Unprotect(stored);
            }
            catch (DpapiException e)
            {
                throw new EnvironmentException(
                    SsoSecretFailure.DamagedEnvironmentKey,
                    $"The environment key file is intact, but DPAPI cannot open its private key (a file made on another machine, or its protected part altered): {e.Message}",
                    null,
                    e);
            }

            if (privateKey.Length != KeyLength)
            {
                Memory.Zero(privateKey);
                throw Damaged($"its private key opens to {privateKey.Length} bytes, not {KeyLength}");
            }
        }
        else
        {
            privateKey = stored;
        }

        var derived = kind == (byte)EnvironmentKeyKind.ReplicaHost ? Primitives.X25519PublicKey(privateKey) : Primitives.Ed25519PublicKey(privateKey);
        if (!Primitives.FixedTimeEquals(derived, 0, publicKey, 0, KeyLength))
        {
            Memory.Zero(privateKey);
            throw Damaged("its private key is not the private key of its public key");
        }

        return new EnvironmentKeyContent((EnvironmentKeyKind)kind, DateTimeOffset.FromUnixTimeSeconds((long)createdSeconds), environmentId, publicKey, privateKey);
    }

    /// <summary>
    /// Writes a key file as <paramref name="name"/> in <paramref name="folder"/> (the store's folder, checked by the
    /// caller): a new file born owner-only (Unix: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, through the folder's
    /// descriptor; Windows: the folder's protected DACL, inherited), written, flushed, read back and decoded through the
    /// same descriptor, then linked to its name only if the name is free. An existing key is never replaced
    /// (<see cref="SsoSecretFailure.FileExists"/>); an I/O failure is <see cref="SsoSecretFailure.WriteFailed"/>, and
    /// leaves nothing behind.
    /// </summary>
    internal static void Write(string folder, string name, byte[] content, EnvironmentKeyKind kind)
    {
        string path = Path.Combine(folder, name);
        try
        {
            using var open = OpenFolder.Open(folder);
            using var temporary = TemporaryFile.Create(open, name, ownsFolder: false);
            temporary.Write(content);
            var written = temporary.ReadBack(MaxLength + 1);
            try
            {
                if (written.Length != content.Length || !Primitives.FixedTimeEquals(written, 0, content, 0, content.Length))
                {
                    throw new IOException("The key file read back differs from what was written.");
                }

                Decode(written, kind).Dispose();
            }
            finally
            {
                Memory.Zero(written);
            }

            var committed = temporary.CommitNew() ?? throw new EnvironmentException(
                SsoSecretFailure.FileExists,
                $"The key file '{path}' exists already. A key is never replaced: its public key is pinned or sealed to.",
                path);
            committed.Keep();
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new EnvironmentException(
                SsoSecretFailure.WriteFailed,
                $"The key file '{path}' could not be written and verified; nothing was left in its place: {e.Message}",
                path,
                e);
        }
    }

    /// <summary>
    /// Reads the key file <paramref name="name"/> of <paramref name="folder"/>, at most <see cref="MaxLength"/> + 1 bytes;
    /// null when there is none. On Unix it is opened relative to the folder's descriptor without following a link,
    /// and its open descriptor is checked as the store's own files are: a regular file, owned by the caller or root,
    /// open to nobody else (<see cref="StorePathCheck.RequireStoreFile"/>).
    /// </summary>
    internal static byte[]? Read(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        try
        {
            if (!UnixFileMode.IsUnix)
            {
                if (!File.Exists(path))
                {
                    return null;
                }

                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                return RegularFile.ReadBounded(stream, MaxLength + 1);
            }

            using var open = OpenFolder.Open(folder);
            var outcome = open.OpenRegular(name, out SafeFileHandle? handle, out var status);
            if (outcome == RegularFile.Outcome.Missing)
            {
                return null;
            }

            using (handle)
            {
                StorePathCheck.RequireStoreFile(path, status, folder);
                return RegularFile.Read(handle!, MaxLength + 1);
            }
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw new EnvironmentException(SsoSecretFailure.ReadFailed, $"The key file '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    private static EnvironmentException Damaged(string reason) => new(
        SsoSecretFailure.DamagedEnvironmentKey,
        $"The environment key file is damaged: {reason}.");
}
