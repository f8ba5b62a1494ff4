using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using SsoSecret.Codec;
using SsoSecret.Crypto;

namespace SsoSecret.Store;

/// <summary>
/// The store file's format: version 2 (the key ring) is written; version 1 (a current and one previous secret, one
/// backup record) is still read, and becomes version 2 at the store's next write. docs/store-format.md is its
/// specification; this class follows it, and the tests hold the two together.
/// </summary>
internal static class StoreFile
{
    internal const int Version = 2;
    internal const int Version1 = 1;

    /// <summary>Version 3: version 2's ring with a staged secret and the store's part in an environment.</summary>
    internal const int Version3 = 3;
    internal const byte ProtectionNone = 0;
    internal const byte ProtectionDpapiMachine = 1;
    internal const byte FirstIsCurrent = 1;

    /// <summary>Version 3's flag: the second entry is the staged secret (laid out as the current one).</summary>
    internal const byte SecondIsStaged = 2;

    /// <summary>Version 3's environment section, after the entries: role (1) then its fields.</summary>
    internal const int MasterSectionLength = 1 + 16 + 8;
    internal const int ReplicaSectionLength = 1 + 16 + 32 + 8 + 8;

    // Version 1's presence bits.
    internal const byte HasCurrent = 1;
    internal const byte HasPrevious = 2;
    internal const byte HasLastBackup = 4;

    /// <summary>
    /// The largest store file a reader reads: a full ring of DPAPI-protected secrets of the largest size, each with
    /// its full count of records of the longest path, with room.
    /// </summary>
    internal const int MaxLength = 1024 * 1024;

    internal static readonly byte[] Magic = Encoding.ASCII.GetBytes("SSOSTORE");

    /// <summary>
    /// The file's bytes for a state (version 2). Secrets are DPAPI-protected on Windows. The caller zeroes the result.
    /// A state the reader would refuse (a bug elsewhere) is refused here first, so that no write ever replaces a
    /// readable store with one that is not: the ring's rules are checked as the reader checks them.
    /// </summary>
    internal static byte[] Serialize(StoreState state)
    {
        if (Unreadable(state) is string why)
        {
            throw new InvalidOperationException($"The store state breaks the store file's rules ({why}); nothing was written.");
        }

        return SerializeUnchecked(state);
    }

    /// <summary>Why the reader would refuse the file of this state, or null (docs/store-format.md, reader steps 4 to 6).</summary>
    internal static string? Unreadable(StoreState state)
    {
        if (state.Count > StoreState.MaxSecrets)
        {
            return $"more than {StoreState.MaxSecrets} secrets";
        }

        if (state.Staged is not null && (state.Current is null || state.Environment is null))
        {
            return "a staged secret without a current secret or outside an environment";
        }

        if (EnvironmentProblem(state) is string environment)
        {
            return environment;
        }

        var ids = new HashSet<Guid>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? replaced = null;
        foreach (var secret in state.Ring)
        {
            if (!ids.Add(secret.Id))
            {
                return $"secret id {secret.Id} twice";
            }

            if (ReferenceEquals(secret, state.Staged))
            {
                if (secret.Replaced is not null)
                {
                    return "a staged secret with a replaced time";
                }
            }
            else if (!ReferenceEquals(secret, state.Current))
            {
                if (secret.Replaced is null || (replaced is not null && secret.Replaced > replaced))
                {
                    return "earlier secrets out of the order they were replaced";
                }

                replaced = secret.Replaced;
            }

            if (secret.Backups.Count > StoreState.MaxBackupsPerSecret)
            {
                return $"more than {StoreState.MaxBackupsPerSecret} backup records for one secret";
            }

            for (int i = 0; i < secret.Backups.Count; i++)
            {
                int length = StrictUtf8.Encoding.GetByteCount(secret.Backups[i].Path);
                if ((i > 0 && secret.Backups[i].Time > secret.Backups[i - 1].Time) || !paths.Add(secret.Backups[i].Path) || length == 0 || length > StoreState.MaxPathBytes)
                {
                    return "backup records out of order, repeated, or of a path of 0 or more than 4096 bytes";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Why the reader would refuse the environment section of this state, or null (docs/store-format.md, version 3,
    /// reader step 6a): a master holds a current secret and a generation of 1 or more; a replica's pin is a master key,
    /// and it holds a ring (a current secret) exactly when its held generation is 1 or more.
    /// </summary>
    internal static string? EnvironmentProblem(StoreState state)
    {
        if (state.Environment is not { } environment)
        {
            return null;
        }

        if (environment.EnvironmentId == Guid.Empty)
        {
            return "an environment id of all zero";
        }

        if (environment.Role == StoreRole.Master)
        {
            if (environment.Generation < 1)
            {
                return "a master's generation below 1";
            }

            return state.Current is null ? "a master without a current secret" : null;
        }

        if (environment.Role != StoreRole.Replica)
        {
            return "an unknown role";
        }

        if (environment.MasterPublicKey is null || !Primitives.Ed25519IsValidPublicKey(environment.MasterPublicKey))
        {
            return "a replica's pinned master key that is not an Ed25519 public key of any key pair";
        }

        if (environment.Generation < 0)
        {
            return "a replica's held generation below 0";
        }

        if ((environment.Generation == 0) != (state.Count == 0) || (state.Count > 0 && state.Current is null))
        {
            return environment.Generation == 0 ? "a replica that holds secrets but no ring's generation" : "a replica that holds a ring's generation but no current secret";
        }

        return null;
    }

    /// <summary>The file's bytes for any state, even one the reader refuses: for tests of the reader.</summary>
    internal static byte[] SerializeUnchecked(StoreState state)
    {
        bool dpapi = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        using var writer = new ByteWriter();
        writer.Bytes(Magic);

        // A store outside an environment is written as version 2, which SsoSecret before version 3 still reads; an
        // environment's store (master or replica) needs version 3.
        bool version3 = state.Environment is not null || state.Staged is not null;
        writer.UInt16(version3 ? Version3 : Version);
        writer.Byte(dpapi ? ProtectionDpapiMachine : ProtectionNone);
        writer.Byte((byte)((state.Current is null ? 0 : FirstIsCurrent) | (state.Staged is null ? 0 : SecondIsStaged)));
        writer.Byte((byte)state.Count);
        foreach (var secret in state.Ring)
        {
            WriteSecret(writer, secret, dpapi, withReplaced: !ReferenceEquals(secret, state.Current) && !ReferenceEquals(secret, state.Staged));
        }

        if (state.Environment is { } environment)
        {
            writer.Byte((byte)environment.Role);
            writer.Guid(environment.EnvironmentId);
            if (environment.Role == StoreRole.Replica)
            {
                writer.Bytes(environment.MasterPublicKey ?? new byte[32]);
                writer.Int64(environment.Generation);
                writer.Int64((environment.Synced ?? DateTimeOffset.FromUnixTimeMilliseconds(0)).ToUnixTimeMilliseconds());
            }
            else
            {
                writer.Int64(environment.Generation);
            }
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
    /// Reads a store file of version 2, or of version 1 (as the version 2 state it becomes). Every failure is
    /// <see cref="SsoSecretFailure.StoreDamaged"/> (or, on Windows, <see cref="SsoSecretFailure.StoreUnprotectFailed"/>),
    /// naming <paramref name="path"/>.
    /// </summary>
    internal static StoreState Deserialize(byte[] data, string path) => Deserialize(data, path, out _);

    /// <summary>As <see cref="Deserialize(byte[], string)"/>; <paramref name="version"/> is the file's version (1 or 2).</summary>
    internal static StoreState Deserialize(byte[] data, string path, out int version)
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

        version = reader.UInt16();
        if (version != Version && version != Version1 && version != Version3)
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

        var state = new StoreState();
        try
        {
            try
            {
                if (version == Version1)
                {
                    ReadVersion1(reader, protection, state, path);
                }
                else
                {
                    ReadRing(reader, protection, state, path, version);
                }

                if (version == Version3)
                {
                    ReadEnvironment(reader, state, path);
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

    // Versions 2 and 3: flags, count, then each secret of the ring with its backup records (version 3: the staged
    // secret second, laid out as the current one).
    private static void ReadRing(ByteReader reader, byte protection, StoreState state, string path, int version)
    {
        byte flags = reader.Byte();
        byte defined = version == Version3 ? (byte)(FirstIsCurrent | SecondIsStaged) : FirstIsCurrent;
        if ((flags & ~defined) != 0)
        {
            throw Damaged(path, "it holds data this version does not define");
        }

        int count = reader.Byte();
        if (count > StoreState.MaxSecrets)
        {
            throw Damaged(path, $"its key ring holds {count} secrets, more than {StoreState.MaxSecrets}");
        }

        if ((flags & FirstIsCurrent) != 0 && count == 0)
        {
            throw Damaged(path, "it announces a current secret but holds none");
        }

        bool staged = (flags & SecondIsStaged) != 0;
        if (staged && ((flags & FirstIsCurrent) == 0 || count < 2))
        {
            throw Damaged(path, "it announces a staged secret without a current secret before it");
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            bool isCurrent = i == 0 && (flags & FirstIsCurrent) != 0;
            bool isStaged = i == 1 && staged;
            var secret = ReadSecret(reader, protection, withReplaced: !isCurrent && !isStaged);
            if (state.Find(secret.Id) is not null)
            {
                secret.Dispose();
                throw Damaged(path, $"its key ring holds secret id {secret.Id} twice");
            }

            if (isCurrent)
            {
                state.Current = secret;
            }
            else if (isStaged)
            {
                state.Staged = secret;
            }
            else
            {
                var before = state.Earlier.Count == 0 ? null : state.Earlier[state.Earlier.Count - 1].Replaced;
                state.Earlier.Add(secret);
                if (before is not null && secret.Replaced > before)
                {
                    throw Damaged(path, "its earlier secrets are not in the order they were replaced (the most recent first)");
                }
            }

            int records = reader.Byte();
            if (records > StoreState.MaxBackupsPerSecret)
            {
                throw Damaged(path, $"a secret has {records} backup records, more than {StoreState.MaxBackupsPerSecret}");
            }

            for (int r = 0; r < records; r++)
            {
                var time = Time(reader);
                int length = reader.UInt16();
                if (length == 0 || length > StoreState.MaxPathBytes)
                {
                    throw Damaged(path, $"a backup record's path is {length} bytes long, outside 1 to {StoreState.MaxPathBytes}");
                }

                string backupPath = Utf8Path(reader.Bytes(length), path);
                if (r > 0 && secret.Backups[r - 1].Time < time)
                {
                    throw Damaged(path, "a secret's backup records are not the newest first");
                }

                if (!paths.Add(backupPath))
                {
                    throw Damaged(path, "it records two backups at one path");
                }

                secret.Backups.Add(new BackupRecord(time, secret.Id, backupPath));
            }
        }
    }

    // Version 3's environment section, after the ring: the role, then a master's environment id and generation, or
    // a replica's pin (environment id, master public key), held generation and time of its last install.
    private static void ReadEnvironment(ByteReader reader, StoreState state, string path)
    {
        byte role = reader.Byte();
        if (role != (byte)StoreRole.Master && role != (byte)StoreRole.Replica)
        {
            throw Damaged(path, $"its environment role is {role}, neither a master (1) nor a replica (2)");
        }

        var environmentId = reader.Guid();
        if (role == (byte)StoreRole.Master)
        {
            state.Environment = StoreEnvironment.Master(environmentId, reader.Int64());
        }
        else
        {
            var masterKey = reader.Bytes(32);
            long held = reader.Int64();
            var synced = Time(reader);
            state.Environment = StoreEnvironment.ReplicaUnchecked(environmentId, masterKey, held, synced);
        }

        if (EnvironmentProblem(state) is string problem)
        {
            throw Damaged(path, $"its environment section holds {problem}");
        }
    }

    // Version 1: the presence byte, then the current secret, the previous one and the last backup, as it announces.
    // The previous secret becomes the ring's one earlier secret; the last backup becomes a record of the secret it
    // names, if the file holds that secret (else it recorded a secret already gone, and goes too).
    private static void ReadVersion1(ByteReader reader, byte protection, StoreState state, string path)
    {
        byte presence = reader.Byte();
        if ((presence & ~(HasCurrent | HasPrevious | HasLastBackup)) != 0)
        {
            throw Damaged(path, "it holds data this version does not define");
        }

        if ((presence & HasCurrent) != 0)
        {
            state.Current = ReadSecret(reader, protection, withReplaced: false);
        }

        if ((presence & HasPrevious) != 0)
        {
            var previous = ReadSecret(reader, protection, withReplaced: true);
            if (state.Current is not null && state.Current.Id == previous.Id)
            {
                bool same = state.Current.SameSecretAs(previous.Secret);
                previous.Dispose();
                if (!same)
                {
                    throw Damaged(path, $"it holds two different secrets under one id, {state.Current.Id} (a version 1 store into which a backup forged under that id was restored): restore the master secret from a backup you trust into a new store");
                }
            }
            else
            {
                state.Earlier.Add(previous);
            }
        }

        if ((presence & HasLastBackup) != 0)
        {
            var time = Time(reader);
            var id = reader.Guid();
            string backupPath = Utf8Path(reader.Bytes(reader.UInt16()), path);
            if (backupPath.Length > 0 && StrictUtf8.Encoding.GetByteCount(backupPath) <= StoreState.MaxPathBytes)
            {
                state.Record(new BackupRecord(time, id, backupPath));
            }
        }
    }

    private static string Utf8Path(byte[] bytes, string path)
    {
        try
        {
            return StrictUtf8.Encoding.GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw Damaged(path, "a backup record's path is not valid UTF-8");
        }
    }

    private static void WriteSecret(ByteWriter writer, StoredSecret secret, bool dpapi, bool withReplaced)
    {
        writer.Guid(secret.Id);
        writer.Int64(secret.Created.ToUnixTimeMilliseconds());
        if (withReplaced)
        {
            writer.Int64((secret.Replaced ?? throw new ArgumentException("An earlier secret has a replaced time.", nameof(secret))).ToUnixTimeMilliseconds());
        }

        var bytes = dpapi ? Dpapi.Protect(secret.Secret) : secret.Secret;
        writer.UInt16(bytes.Length);
        writer.Bytes(bytes);
        if (secret.Backups.Count > StoreState.MaxBackupsPerSecret)
        {
            throw new ArgumentException($"A secret has at most {StoreState.MaxBackupsPerSecret} backup records.", nameof(secret));
        }

        writer.Byte((byte)secret.Backups.Count);
        foreach (var backup in secret.Backups)
        {
            writer.Int64(backup.Time.ToUnixTimeMilliseconds());
            var path = StrictUtf8.Encoding.GetBytes(backup.Path);
            if (path.Length == 0 || path.Length > StoreState.MaxPathBytes)
            {
                throw new ArgumentException($"A backup record's path is 1 to {StoreState.MaxPathBytes} bytes of UTF-8.", nameof(secret));
            }

            writer.UInt16(path.Length);
            writer.Bytes(path);
        }
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
