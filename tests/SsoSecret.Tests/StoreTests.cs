using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using SsoSecret.IO;
using UnixFileMode = SsoSecret.IO.UnixFileMode;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>The secret store: its file, its permissions, its lock and its atomic writes.</summary>
public sealed class StoreTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string StorePath => Path.Combine(_folder, "store");

    private static StoredSecret NewSecret(byte fill) => new(Guid.NewGuid(), DateTimeOffset.FromUnixTimeMilliseconds(1_760_000_000_123), Enumerable.Repeat(fill, 32).ToArray());

    [Fact]
    public void ReadingAMissingStoreGivesAnEmptyStateAndCreatesNothing()
    {
        var store = new MasterSecretStore(StorePath);
        using var state = store.Read();
        Assert.Null(state.Current);
        Assert.False(Directory.Exists(StorePath));
    }

    [Fact]
    public void WhatIsWrittenIsReadBack()
    {
        var store = new MasterSecretStore(StorePath);
        var current = NewSecret(7);
        var previous = NewSecret(9).AsReplaced(DateTimeOffset.FromUnixTimeMilliseconds(1_770_000_000_000));
        using (var held = store.Lock())
        {
            using var state = new StoreState { Current = current, Earlier = { previous } };
            state.Record(new BackupRecord(DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000), current.Id, "/backups/ü.bak"));
            store.Write(held, state);
        }

        using var read = store.Read();
        Assert.Equal(current.Id, read.Current!.Id);
        Assert.Equal(Enumerable.Repeat((byte)7, 32), read.Current.Secret);
        Assert.Equal(current.Created, read.Current.Created);
        Assert.Equal(previous.Id, read.Previous!.Id);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_770_000_000_000), read.Previous.Replaced);
        Assert.Equal("/backups/ü.bak", read.LastBackupOfCurrent!.Path);
        Assert.Equal(current.Fingerprint, read.Current.Fingerprint);
    }

    [Fact]
    public void TheFolderAndFilesAreOwnerOnlyOnUnix()
    {
        if (!UnixFileMode.IsUnix)
        {
            return; // Windows protects the secret with DPAPI instead; these bits do not exist there.
        }

        var store = new MasterSecretStore(StorePath);
        using (var held = store.Lock())
        {
            using var state = new StoreState { Current = NewSecret(1) };
            store.Write(held, state);
        }

        Assert.Equal(0x1C0, UnixFileMode.Get(StorePath) & 0xFFF);
        Assert.Equal(0x180, UnixFileMode.Get(store.FilePath) & 0xFFF);
        Assert.Equal(0x180, UnixFileMode.Get(Path.Combine(StorePath, MasterSecretStore.LockFileName)) & 0xFFF);
        Assert.Equal(new[] { MasterSecretStore.FileName, MasterSecretStore.LockFileName }.OrderBy(n => n), Directory.GetFiles(StorePath).Select(Path.GetFileName).OrderBy(n => n));
    }

    [Theory]
    [InlineData(false, 0x1ED)] // folder 0755
    [InlineData(false, 0x1C8)] // folder 0710
    [InlineData(true, 0x1A4)]  // file 0644
    [InlineData(true, 0x182)]  // file 0602
    public void AStoreOpenToOthersIsRefusedNamingTheFix(bool file, int mode)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = new MasterSecretStore(StorePath);
        using (var held = store.Lock())
        {
            using var state = new StoreState { Current = NewSecret(1) };
            store.Write(held, state);
        }

        string target = file ? store.FilePath : StorePath;
        UnixFileMode.Set(target, mode);
        var e = Assert.Throws<StoreException>(() => store.Read());
        Assert.Equal(SsoSecretFailure.StoreInsecure, e.Failure);
        Assert.Equal(target, e.Path);
        Assert.Contains(file ? "chmod 600" : "chmod 700", e.Message);
        Assert.Equal(SsoSecretFailure.StoreInsecure, Assert.Throws<StoreException>(() => store.Lock()).Failure);
    }

    [Fact]
    public void ADamagedStoreFileIsReportedAsDamaged()
    {
        var store = new MasterSecretStore(StorePath);
        using (var held = store.Lock())
        {
            using var state = new StoreState { Current = NewSecret(1) };
            store.Write(held, state);
        }

        var bytes = File.ReadAllBytes(store.FilePath);
        for (int i = 0; i < bytes.Length; i += 7)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            File.WriteAllBytes(store.FilePath, damaged);
            Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => store.Read()).Failure);
        }

        File.WriteAllBytes(store.FilePath, bytes.Take(bytes.Length - 1).ToArray());
        Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => store.Read()).Failure);
    }

    [Fact]
    public void ASecondLockerWaitsAndThenGetsBusy()
    {
        var store = new MasterSecretStore(StorePath, TimeSpan.FromSeconds(10));
        var impatient = new MasterSecretStore(StorePath, TimeSpan.FromMilliseconds(300));
        using (store.Lock())
        {
            var watch = Stopwatch.StartNew();
            var e = Assert.Throws<StoreException>(() => impatient.Lock());
            Assert.Equal(SsoSecretFailure.StoreBusy, e.Failure);
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {watch.Elapsed}");
        }

        using (impatient.Lock())
        {
            // Free again once released.
        }
    }

    [Fact]
    public void AStorePathThatIsAFileIsUnavailable()
    {
        string file = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(file, "x");
        var store = new MasterSecretStore(file);
        Assert.Equal(SsoSecretFailure.StoreUnavailable, Assert.Throws<StoreException>(() => store.Read()).Failure);
        Assert.Equal(SsoSecretFailure.StoreUnavailable, Assert.Throws<StoreException>(() => store.Lock()).Failure);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void WritingWithoutTheLockIsRefused()
    {
        var store = new MasterSecretStore(StorePath);
        var held = store.Lock();
        held.Dispose();
        using var state = new StoreState();
        Assert.Throws<InvalidOperationException>(() => store.Write(held, state));
    }

    [Fact]
    public void AtomicWritesReplaceWholeAndLeaveNoTemporaryFiles()
    {
        string path = Path.Combine(_folder, "file.bin");
        AtomicFile.Write(path, new byte[] { 1, 2, 3 });
        AtomicFile.Write(path, new byte[] { 4, 5 });
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void CommitWithoutOverwriteNeverReplacesAFile()
    {
        string path = Path.Combine(_folder, "kept.bin");
        File.WriteAllBytes(path, new byte[] { 9 });
        using var temporary = Temporary(path, new byte[] { 1 });
        Assert.Null(temporary.CommitNew());
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
        Assert.True(File.Exists(Path.Combine(_folder, temporary.Name)));
    }

    [Fact]
    public void CommitWithoutOverwriteNeverReplacesALinkEvenADanglingOne()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string path = Path.Combine(_folder, "link.bin");
        File.CreateSymbolicLink(path, Path.Combine(_folder, "nowhere"));
        using var temporary = Temporary(path, new byte[] { 1 });
        Assert.Null(temporary.CommitNew());
        Assert.False(File.Exists(Path.Combine(_folder, "nowhere")));
        Assert.NotNull(new FileInfo(path).LinkTarget);
    }

    [Fact]
    public void CommitNewPutsTheFileInPlaceAndRemovesTheTemporaryName()
    {
        string path = Path.Combine(_folder, "new.bin");
        using (var temporary = Temporary(path, new byte[] { 1, 2 }))
        {
            Assert.NotNull(temporary.CommitNew());
        }

        Assert.Equal(new byte[] { 1, 2 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    private static TemporaryFile Temporary(string path, byte[] content)
    {
        var temporary = TemporaryFile.Create(path);
        temporary.Write(content);
        return temporary;
    }

    private static readonly byte[] s_password = System.Text.Encoding.UTF8.GetBytes("store tests password");

    /// <summary>Seals a backup with a tiny KDF (through the internal API): these tests are about the store, not the KDF.</summary>
    private static PreparedBackup Seal(string path, StoredSecret secret, bool overwrite = false) =>
        PreparedBackup.Prepare(path, secret.Secret, secret.Id, string.Empty, s_password, new KdfParameters(64, 1, 1), armor: false, overwrite, allowBelowFloor: true);

    private string Backup(string name) => Path.Combine(_folder, name);

    private string[] Leftovers() => Directory.GetFiles(_folder, ".*").Concat(Directory.Exists(StorePath) ? Directory.GetFiles(StorePath, ".*") : Array.Empty<string>()).ToArray();

    [Fact]
    public void GenerateInstallsTheNewSecretWithItsBackupAndKeepsTheOldOneAsPrevious()
    {
        var store = new MasterSecretStore(StorePath);
        Guid first;
        using (var state = store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
            first = state.Current!.Id;
            Assert.Equal(MasterSecretStore.GeneratedSecretLength, state.Current.Secret.Length);
            Assert.Equal(Backup("1.bak"), state.LastBackupOfCurrent!.Path);
            Assert.Equal(first, BackupEnvelope.ReadHeader(File.ReadAllBytes(Backup("1.bak"))).SecretId);
        }

        using (var state = store.Generate(first, s => Seal(Backup("2.bak"), s)))
        {
            Assert.NotEqual(first, state.Current!.Id);
            Assert.Equal(first, state.Previous!.Id);
        }

        using var read = store.Read();
        Assert.Equal(Backup("2.bak"), read.LastBackupOfCurrent!.Path);
        Assert.Equal(first, read.Previous!.Id);
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void ARestoreOfAnotherSecretUnderAnIdTheStoreHoldsIsRefusedAndChangesNothing()
    {
        var store = new MasterSecretStore(StorePath);
        Guid first, second;
        using (var state = store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
            first = state.Current!.Id;
        }

        using (var state = store.Generate(first, s => Seal(Backup("2.bak"), s)))
        {
            second = state.Current!.Id;
        }

        byte[] before = File.ReadAllBytes(Path.Combine(StorePath, MasterSecretStore.FileName));
        foreach (var id in new[] { second, first })
        {
            // Her own secret under the id of the store's current secret, then of its previous one.
            using var forged = new StoredSecret(id, DateTimeOffset.UtcNow, Enumerable.Repeat((byte)0x5A, 32).ToArray());
            var e = Assert.Throws<StoreException>(() => store.Restore(forged, second, source: null, out _));
            Assert.Equal(SsoSecretFailure.SecretIdConflict, e.Failure);
            Assert.Contains($"holds master secret {id} as its {(id == second ? "current secret" : "earlier secret")}", e.Message);
            Assert.Contains(forged.Fingerprint, e.Message);
        }

        Assert.Equal(before, File.ReadAllBytes(Path.Combine(StorePath, MasterSecretStore.FileName)));
    }

    [Fact]
    public void GenerateRefusesWhenAnotherSecretWasInstalledMeanwhileAndPutsNoBackupInPlace()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
        }

        byte[] before = File.ReadAllBytes(store.FilePath);
        var e = Assert.Throws<StoreException>(() => store.Generate(null, s => Seal(Backup("x.bak"), s)));
        Assert.Equal(SsoSecretFailure.MasterSecretExists, e.Failure);
        Assert.Contains("installed master secret", e.Message);
        e = Assert.Throws<StoreException>(() => store.Generate(Guid.NewGuid(), s => Seal(Backup("y.bak"), s)));
        Assert.Contains("replaced master secret", e.Message);

        // The backups were sealed before the lock was taken, and discarded: nothing at their paths, no temporary file.
        Assert.False(File.Exists(Backup("x.bak")));
        Assert.False(File.Exists(Backup("y.bak")));
        Assert.Empty(Leftovers());
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
    }

    [Fact]
    public void AFailedSealInGenerateLeavesTheStoreAsItWas()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
        }

        byte[] before = File.ReadAllBytes(store.FilePath);
        Guid current;
        using (var state = store.Read())
        {
            current = state.Current!.Id;
        }

        Assert.Throws<BackupException>(() => store.Generate(current, s => throw new BackupException(SsoSecretFailure.WriteFailed, "disk full")));
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
    }

    [Fact]
    public void AGenerationWhoseStoreWriteFailsRemovesItsBackup()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
        }

        byte[] before = File.ReadAllBytes(store.FilePath);
        Guid current;
        using (var state = store.Read())
        {
            current = state.Current!.Id;
        }

        using (FailStoreWrites(store))
        {
            var e = Assert.Throws<StoreException>(() => store.Generate(current, s => Seal(Backup("new.bak"), s)));
            Assert.Equal(SsoSecretFailure.StoreUnavailable, e.Failure);
            Assert.Contains("the new secret was not installed, and its backup '" + Backup("new.bak") + "' was removed", e.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.False(File.Exists(Backup("new.bak")), "a backup of a secret that was never installed is not left behind");
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void AGenerationWhoseStoreWriteFailsPutsTheFileItReplacedBack()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => Seal(Backup("same.bak"), s)))
        {
        }

        byte[] oldBackup = File.ReadAllBytes(Backup("same.bak"));
        Guid current;
        using (var state = store.Read())
        {
            current = state.Current!.Id;
        }

        using (FailStoreWrites(store))
        {
            var e = Assert.Throws<StoreException>(() => store.Generate(current, s => Seal(Backup("same.bak"), s, overwrite: true)));
            Assert.Contains("the file it replaced is back in place", e.Message);
        }

        Assert.Equal(oldBackup, File.ReadAllBytes(Backup("same.bak")));
        Assert.Empty(Leftovers());

        // And when the write works, the replaced file is not kept.
        using (store.Generate(current, s => Seal(Backup("same.bak"), s, overwrite: true)))
        {
        }

        Assert.NotEqual(oldBackup, File.ReadAllBytes(Backup("same.bak")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void ABackupWhoseRecordCannotBeWrittenIsKeptAndNamed()
    {
        var store = new MasterSecretStore(StorePath);
        Guid id;
        using (var state = store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
            id = state.Current!.Id;
        }

        using var current = store.Read();
        using (FailStoreWrites(store))
        {
            using var prepared = Seal(Backup("2.bak"), current.Current!);
            var e = Assert.Throws<StoreException>(() => store.RecordBackup(prepared, id));
            Assert.Equal(SsoSecretFailure.BackupNotRecorded, e.Failure);
            Assert.Equal(Backup("2.bak"), e.Path);
            Assert.Contains($"The backup '{Backup("2.bak")}' of master secret {id} was written, read back and verified", e.Message);
        }

        Assert.Equal(id, BackupEnvelope.ReadHeader(File.ReadAllBytes(Backup("2.bak"))).SecretId);
        using var read = store.Read();
        Assert.Equal(Backup("1.bak"), read.LastBackupOfCurrent!.Path);

        // A second try at the same path is refused, and the refusal says what the file is.
        var again = Assert.Throws<BackupException>(() => Seal(Backup("2.bak"), current.Current!));
        Assert.Equal(SsoSecretFailure.BackupExists, again.Failure);
        Assert.Contains($"It is an SsoSecret backup of master secret {id}", again.Message);
    }

    [Fact]
    public void RecordBackupPutsTheBackupInPlaceOnlyUnderTheLock()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => Seal(Backup("1.bak"), s)))
        {
        }

        using var current = store.Read();
        var impatient = new MasterSecretStore(StorePath, TimeSpan.FromMilliseconds(200));
        using (var prepared = Seal(Backup("busy.bak"), current.Current!))
        {
            using (store.Lock())
            {
                var e = Assert.Throws<StoreException>(() => impatient.RecordBackup(prepared, current.Current!.Id));
                Assert.Equal(SsoSecretFailure.StoreBusy, e.Failure);
            }
        }

        Assert.False(File.Exists(Backup("busy.bak")));
        Assert.Empty(Leftovers());
        using (var prepared = Seal(Backup("again.bak"), current.Current!))
        {
            store.RecordBackup(prepared, current.Current!.Id);
        }

        using var read = store.Read();
        Assert.Equal(Backup("again.bak"), read.LastBackupOfCurrent!.Path);
    }

    /// <summary>Makes this store's writes fail as a full disk does, until disposed.</summary>
    private static IDisposable FailStoreWrites(MasterSecretStore store) => new StoreWriteFailure(store.FilePath);

    private sealed class StoreWriteFailure : IDisposable
    {
        private readonly string _path;

        internal StoreWriteFailure(string path)
        {
            _path = path;
            MasterSecretStore.BeforeWrite += Fail;
        }

        public void Dispose() => MasterSecretStore.BeforeWrite -= Fail;

        private void Fail(string path)
        {
            if (path == _path)
            {
                throw new IOException("No space left on device (simulated)");
            }
        }
    }

    [Fact]
    public void RequireCurrentNamesTheEmptyStore()
    {
        var store = new MasterSecretStore(StorePath);
        using var state = store.Read();
        var e = Assert.Throws<StoreException>(() => store.RequireCurrent(state));
        Assert.Equal(SsoSecretFailure.NoMasterSecret, e.Failure);
        Assert.Equal("SsoSecret.NoMasterSecret", e.ErrorId);
        Assert.Equal(store.Path, e.Path);
    }

    [Fact]
    public void TheDefaultPathFollowsThePlatformRules()
    {
        string path = MasterSecretStore.DefaultPath();
        if (OperatingSystem.IsWindows())
        {
            Assert.EndsWith(Path.Combine("SsoSecret"), path);
        }
        else if (UnixFileMode.IsRoot)
        {
            Assert.Equal("/var/lib/ssosecret", path);
        }
        else
        {
            Assert.EndsWith("ssosecret", path);
        }
    }
}
