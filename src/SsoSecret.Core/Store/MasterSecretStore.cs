using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using SsoSecret.Crypto;
using SsoSecret.IO;
using SsoSecret.Store;

namespace SsoSecret;

/// <summary>
/// The embedded "master secret server": one folder that holds the current master secret, the previous one, and the
/// record of the last backup. Every change is atomic and made under an inter-process lock; on Unix the folder is
/// owner-only (0700, files 0600) and a store open to others is refused; on Windows the secret bytes are protected
/// with DPAPI (machine scope).
/// </summary>
internal sealed class MasterSecretStore
{
    internal const string FileName = "master-secret.dat";
    internal const string LockFileName = "store.lock";
    internal const string PathVariable = "SSOSECRET_STORE";
    internal const string LockTimeoutVariable = "SSOSECRET_LOCK_TIMEOUT_SECONDS";

    private const int StoreVersion = 1;
    private const byte ProtectionNone = 0;
    private const byte ProtectionDpapiMachine = 1;
    private static readonly byte[] s_magic = Encoding.ASCII.GetBytes("SSOSTORE");

    internal MasterSecretStore(string path, TimeSpan? lockTimeout = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        LockTimeout = lockTimeout ?? DefaultLockTimeout();
    }

    /// <summary>The store folder.</summary>
    internal string Path { get; }

    internal string FilePath => System.IO.Path.Combine(Path, FileName);

    internal TimeSpan LockTimeout { get; }

    /// <summary>
    /// The platform default: %ProgramData%\SsoSecret on Windows; /var/lib/ssosecret for root, else
    /// $XDG_DATA_HOME/ssosecret or ~/.local/share/ssosecret, on Linux and macOS.
    /// </summary>
    internal static string DefaultPath()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SsoSecret");
        }

        if (UnixFileMode.IsRoot)
        {
            return "/var/lib/ssosecret";
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg))
        {
            return System.IO.Path.Combine(xdg, "ssosecret");
        }

        string home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".local", "share", "ssosecret");
    }

    private static TimeSpan DefaultLockTimeout()
    {
        string? text = Environment.GetEnvironmentVariable(LockTimeoutVariable);
        if (!string.IsNullOrEmpty(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// Reads the store. A missing folder or file is an empty store. Reads need no lock: writes replace the file
    /// whole, so a reader sees the old state or the new one.
    /// </summary>
    internal StoreState Read()
    {
        CheckNotAFile();
        if (!Directory.Exists(Path) || !File.Exists(FilePath))
        {
            return new StoreState();
        }

        CheckPermissions();
        byte[] data;
        try
        {
            data = File.ReadAllBytes(FilePath);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StoreException(StoreFailure.Insecure, FilePath, $"The store file '{FilePath}' cannot be read by this account ({e.GetType().Name}). Run as the account that owns the store.");
        }

        try
        {
            return Deserialize(data);
        }
        finally
        {
            Memory.Zero(data);
        }
    }

    /// <summary>
    /// Creates the folder if needed (owner-only on Unix), checks its permissions and takes the inter-process lock.
    /// Every change happens while the returned lock is held.
    /// </summary>
    internal StoreLock Lock()
    {
        CheckNotAFile();
        EnsureFolder();
        CheckPermissions();
        string lockPath = System.IO.Path.Combine(Path, LockFileName);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (UnixFileMode.IsUnix)
                {
                    UnixFileMode.Set(lockPath, UnixFileMode.OwnerOnlyFile);
                }

                // The store file is written only under this lock, so a temporary file of it found now was left by a
                // process that was killed while writing: the store file itself still holds the old state, whole.
                AtomicFile.RemoveStaleTemporaries(FilePath, TimeSpan.Zero);
                return new StoreLock(stream);
            }
            catch (UnauthorizedAccessException e)
            {
                throw Unavailable(lockPath, "its lock file cannot be opened", e);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException)
            {
                throw new StoreException(
                    StoreFailure.Busy,
                    Path,
                    $"The secret store '{Path}' is in use by another process, which held its lock for more than {LockTimeout.TotalSeconds:0.#} seconds. Try again when it has finished (the wait is set by ${LockTimeoutVariable}).");
            }
        }
    }

    /// <summary>Replaces the store file atomically. The caller holds the lock.</summary>
    internal void Write(StoreLock heldLock, StoreState state)
    {
        if (heldLock.IsReleased)
        {
            throw new InvalidOperationException("The store lock must be held to write the store.");
        }

        var data = Serialize(state);
        try
        {
            AtomicFile.Write(FilePath, data);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(FilePath, "it could not be written (the store was left as it was)", e);
        }
        finally
        {
            Memory.Zero(data);
        }
    }

    private void EnsureFolder()
    {
        if (Directory.Exists(Path))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path);
            if (UnixFileMode.IsUnix)
            {
                UnixFileMode.Set(Path, UnixFileMode.OwnerOnlyDirectory);
            }
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Unavailable(Path, "its folder cannot be created", e);
        }
    }

    private void CheckNotAFile()
    {
        if (File.Exists(Path))
        {
            throw new StoreException(StoreFailure.Unavailable, Path, $"The secret store path '{Path}' is a file; a store is a folder. Give the path of a folder (it is created if missing).");
        }
    }

    private static StoreException Unavailable(string path, string what, Exception e) =>
        new(StoreFailure.Unavailable, path, $"The secret store at '{path}' cannot be used: {what}: {e.Message}");

    /// <summary>Refuses a store that others can read or write, as ssh refuses an open private key.</summary>
    internal void CheckPermissions()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        int folderMode = UnixFileMode.Get(Path);
        if ((folderMode & UnixFileMode.GroupAndOther) != 0)
        {
            throw new StoreException(
                StoreFailure.Insecure,
                Path,
                $"The secret store folder '{Path}' is open to other users (mode {Convert.ToString(folderMode & 0xFFF, 8)}). Restrict it to its owner with: chmod 700 '{Path}'");
        }

        foreach (string name in new[] { FileName, LockFileName })
        {
            string file = System.IO.Path.Combine(Path, name);
            if (!File.Exists(file))
            {
                continue;
            }

            int fileMode = UnixFileMode.Get(file);
            if ((fileMode & UnixFileMode.GroupAndOther) != 0)
            {
                throw new StoreException(
                    StoreFailure.Insecure,
                    file,
                    $"The secret store file '{file}' is open to other users (mode {Convert.ToString(fileMode & 0xFFF, 8)}). Restrict it to its owner with: chmod 600 '{file}'");
            }
        }
    }

    // Store file, version 1 (all integers big-endian):
    //   "SSOSTORE" | u16 version | u8 protection | u8 presence bits (1 current, 2 previous, 4 last backup)
    //   current:  guid(16) | i64 created (Unix ms) | u16 length | secret
    //   previous: guid(16) | i64 created | i64 replaced | u16 length | secret
    //   backup:   i64 time | guid(16) secret id | u16 length | path (UTF-8)
    //   SHA-256 of everything before it
    private static byte[] Serialize(StoreState state)
    {
        bool dpapi = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        using var stream = new MemoryStream();
        stream.Write(s_magic, 0, s_magic.Length);
        WriteUInt16(stream, StoreVersion);
        stream.WriteByte(dpapi ? ProtectionDpapiMachine : ProtectionNone);
        stream.WriteByte((byte)((state.Current is null ? 0 : 1) | (state.Previous is null ? 0 : 2) | (state.LastBackup is null ? 0 : 4)));
        if (state.Current is not null)
        {
            WriteSecret(stream, state.Current, dpapi, withReplaced: false);
        }

        if (state.Previous is not null)
        {
            WriteSecret(stream, state.Previous, dpapi, withReplaced: true);
        }

        if (state.LastBackup is not null)
        {
            WriteInt64(stream, state.LastBackup.Time.ToUnixTimeMilliseconds());
            WriteGuid(stream, state.LastBackup.SecretId);
            var path = Encoding.UTF8.GetBytes(state.LastBackup.Path);
            WriteUInt16(stream, path.Length);
            stream.Write(path, 0, path.Length);
        }

        var body = stream.ToArray();
        var checksum = Primitives.Sha256(body, 0, body.Length);
        var result = new byte[body.Length + checksum.Length];
        Buffer.BlockCopy(body, 0, result, 0, body.Length);
        Buffer.BlockCopy(checksum, 0, result, body.Length, checksum.Length);
        Memory.Zero(body);
        return result;
    }

    private static void WriteSecret(MemoryStream stream, StoredSecret secret, bool dpapi, bool withReplaced)
    {
        WriteGuid(stream, secret.Id);
        WriteInt64(stream, secret.Created.ToUnixTimeMilliseconds());
        if (withReplaced)
        {
            WriteInt64(stream, (secret.Replaced ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());
        }

        var bytes = dpapi ? Dpapi.Protect(secret.Secret) : secret.Secret;
        WriteUInt16(stream, bytes.Length);
        stream.Write(bytes, 0, bytes.Length);
    }

    private StoreState Deserialize(byte[] data)
    {
        var reader = new Reader(data, FilePath);
        if (data.Length < s_magic.Length + 4 + Primitives.Sha256Length)
        {
            throw reader.Damaged("it is cut short");
        }

        var checksum = Primitives.Sha256(data, 0, data.Length - Primitives.Sha256Length);
        if (!Primitives.FixedTimeEquals(checksum, 0, data, data.Length - Primitives.Sha256Length, Primitives.Sha256Length))
        {
            throw reader.Damaged("its checksum does not match its content");
        }

        reader.Limit = data.Length - Primitives.Sha256Length;
        for (int i = 0; i < s_magic.Length; i++)
        {
            if (reader.Byte() != s_magic[i])
            {
                throw reader.Damaged("it is not an SsoSecret store file");
            }
        }

        int version = reader.UInt16();
        if (version != StoreVersion)
        {
            throw reader.Damaged($"it is of store version {version}, which this version of SsoSecret does not read");
        }

        byte protection = reader.Byte();
        if (protection != ProtectionNone && protection != ProtectionDpapiMachine)
        {
            throw reader.Damaged("its protection mode is unknown");
        }

        byte presence = reader.Byte();
        var state = new StoreState();
        try
        {
            if ((presence & 1) != 0)
            {
                state.Current = ReadSecret(reader, protection, withReplaced: false);
            }

            if ((presence & 2) != 0)
            {
                state.Previous = ReadSecret(reader, protection, withReplaced: true);
            }

            if ((presence & 4) != 0)
            {
                var time = reader.Time();
                var id = reader.Guid();
                int length = reader.UInt16();
                state.LastBackup = new BackupRecord(time, id, Encoding.UTF8.GetString(reader.Bytes(length)));
            }

            if ((presence & ~7) != 0 || !reader.AtEnd)
            {
                throw reader.Damaged("it holds data this version does not define");
            }

            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static StoredSecret ReadSecret(Reader reader, byte protection, bool withReplaced)
    {
        var id = reader.Guid();
        var created = reader.Time();
        DateTimeOffset? replaced = withReplaced ? reader.Time() : null;
        var bytes = reader.Bytes(reader.UInt16());
        if (protection == ProtectionDpapiMachine)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                throw reader.Damaged("its secrets are protected with Windows DPAPI, which only the Windows machine that wrote them can open");
            }

            var clear = Dpapi.Unprotect(bytes);
            Memory.Zero(bytes);
            bytes = clear;
        }

        return new StoredSecret(id, created, bytes, replaced);
    }

    private static void WriteUInt16(Stream stream, int value)
    {
        stream.WriteByte((byte)(value >> 8));
        stream.WriteByte((byte)value);
    }

    private static void WriteInt64(Stream stream, long value)
    {
        for (int i = 7; i >= 0; i--)
        {
            stream.WriteByte((byte)(value >> (8 * i)));
        }
    }

    private static void WriteGuid(Stream stream, Guid id)
    {
        var bytes = new byte[16];
        BackupEnvelope.WriteGuid(bytes, 0, id);
        stream.Write(bytes, 0, bytes.Length);
    }

    /// <summary>A bounds-checked reader over the store file; every overrun is a damaged store.</summary>
    private sealed class Reader
    {
        private readonly byte[] _data;
        private readonly string _path;
        private int _position;

        internal Reader(byte[] data, string path)
        {
            _data = data;
            _path = path;
            Limit = data.Length;
        }

        internal int Limit { get; set; }

        internal bool AtEnd => _position == Limit;

        internal byte Byte()
        {
            Need(1);
            return _data[_position++];
        }

        internal int UInt16() => (Byte() << 8) | Byte();

        internal DateTimeOffset Time()
        {
            long value = 0;
            for (int i = 0; i < 8; i++)
            {
                value = (value << 8) | Byte();
            }

            try
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(value);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw Damaged("it holds a time out of range");
            }
        }

        internal Guid Guid()
        {
            Need(16);
            var id = BackupEnvelope.ReadGuid(_data, _position);
            _position += 16;
            return id;
        }

        internal byte[] Bytes(int length)
        {
            Need(length);
            var bytes = new byte[length];
            Buffer.BlockCopy(_data, _position, bytes, 0, length);
            _position += length;
            return bytes;
        }

        internal StoreException Damaged(string reason) => new(
            StoreFailure.Damaged,
            _path,
            $"The secret store file '{_path}' is damaged: {reason}. Restore the master secret from a backup into a new store (Restore-SsoMasterSecret -StorePath).");

        private void Need(int count)
        {
            if (count > Limit - _position)
            {
                throw Damaged("it is cut short");
            }
        }
    }
}

/// <summary>The inter-process lock on a store, held while it is changed.</summary>
internal sealed class StoreLock : IDisposable
{
    private FileStream? _stream;

    internal StoreLock(FileStream stream)
    {
        _stream = stream;
    }

    internal bool IsReleased => _stream is null;

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }
}
