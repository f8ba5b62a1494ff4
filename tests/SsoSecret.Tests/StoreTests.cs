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
            using var state = new StoreState { Current = current, Previous = previous, LastBackup = new BackupRecord(DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000), current.Id, "/backups/ü.bak") };
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
        string temporary = AtomicFile.WriteTemporary(path, new byte[] { 1 });
        Assert.False(AtomicFile.CommitNew(temporary, path));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
        Assert.True(File.Exists(temporary));
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
        string temporary = AtomicFile.WriteTemporary(path, new byte[] { 1 });
        Assert.False(AtomicFile.CommitNew(temporary, path));
        Assert.False(File.Exists(Path.Combine(_folder, "nowhere")));
        Assert.NotNull(new FileInfo(path).LinkTarget);
    }

    [Fact]
    public void CommitNewPutsTheFileInPlaceAndRemovesTheTemporaryName()
    {
        string path = Path.Combine(_folder, "new.bin");
        string temporary = AtomicFile.WriteTemporary(path, new byte[] { 1, 2 });
        Assert.True(AtomicFile.CommitNew(temporary, path));
        Assert.Equal(new byte[] { 1, 2 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void GenerateInstallsTheNewSecretWithItsBackupAndKeepsTheOldOneAsPrevious()
    {
        var store = new MasterSecretStore(StorePath);
        Guid first;
        using (var state = store.Generate(null, s => new BackupRecord(DateTimeOffset.UtcNow, s.Id, "/b/1.bak")))
        {
            first = state.Current!.Id;
            Assert.Equal(MasterSecretStore.GeneratedSecretLength, state.Current.Secret.Length);
            Assert.Equal("/b/1.bak", state.LastBackupOfCurrent!.Path);
        }

        using (var state = store.Generate(first, s => new BackupRecord(DateTimeOffset.UtcNow, s.Id, "/b/2.bak")))
        {
            Assert.NotEqual(first, state.Current!.Id);
            Assert.Equal(first, state.Previous!.Id);
        }

        using var read = store.Read();
        Assert.Equal("/b/2.bak", read.LastBackupOfCurrent!.Path);
        Assert.Equal(first, read.Previous!.Id);
    }

    [Fact]
    public void GenerateRefusesWhenAnotherSecretWasInstalledMeanwhileAndWritesNoBackup()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => new BackupRecord(DateTimeOffset.UtcNow, s.Id, "/b/1.bak")))
        {
        }

        bool called = false;
        var e = Assert.Throws<StoreException>(() => store.Generate(null, s => { called = true; return new BackupRecord(DateTimeOffset.UtcNow, s.Id, "x"); }));
        Assert.Equal(SsoSecretFailure.MasterSecretExists, e.Failure);
        Assert.Contains("installed master secret", e.Message);
        Assert.False(called);
        e = Assert.Throws<StoreException>(() => store.Generate(Guid.NewGuid(), s => { called = true; return new BackupRecord(DateTimeOffset.UtcNow, s.Id, "x"); }));
        Assert.Contains("replaced master secret", e.Message);
        Assert.False(called);
    }

    [Fact]
    public void AFailedBackupInGenerateLeavesTheStoreAsItWas()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => new BackupRecord(DateTimeOffset.UtcNow, s.Id, "/b/1.bak")))
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
    public void RestoreInstallsOnceAndReportsASecretAlreadyHeld()
    {
        var store = new MasterSecretStore(StorePath);
        using var restored = NewSecret(5);
        Assert.True(store.Restore(restored, null, new BackupRecord(DateTimeOffset.UtcNow, restored.Id, "/b/r.bak"), out var after));
        using (after)
        {
            Assert.Equal(restored.Id, after.Current!.Id);
            Assert.Equal("/b/r.bak", after.LastBackupOfCurrent!.Path);
        }

        Assert.False(store.Restore(restored, null, new BackupRecord(DateTimeOffset.UtcNow, restored.Id, "/b/r.bak"), out var again));
        again.Dispose();
        Assert.Equal(new byte[32].Select(_ => (byte)5), restored.Secret);

        using var other = NewSecret(6);
        var e = Assert.Throws<StoreException>(() => store.Restore(other, null, new BackupRecord(DateTimeOffset.UtcNow, other.Id, "/b/o.bak"), out _));
        Assert.Equal(SsoSecretFailure.MasterSecretExists, e.Failure);
        Assert.True(store.Restore(other, restored.Id, new BackupRecord(DateTimeOffset.UtcNow, other.Id, "/b/o.bak"), out var replaced));
        using (replaced)
        {
            Assert.Equal(restored.Id, replaced.Previous!.Id);
        }
    }

    [Fact]
    public void RecordBackupTakesTheLockBeforeTheBackupIsWritten()
    {
        var store = new MasterSecretStore(StorePath);
        using (store.Generate(null, s => new BackupRecord(DateTimeOffset.UtcNow, s.Id, "/b/1.bak")))
        {
        }

        var impatient = new MasterSecretStore(StorePath, TimeSpan.FromMilliseconds(200));
        bool called = false;
        using (store.Lock())
        {
            var e = Assert.Throws<StoreException>(() => impatient.RecordBackup(() => { called = true; return new BackupRecord(DateTimeOffset.UtcNow, Guid.Empty, "x"); }));
            Assert.Equal(SsoSecretFailure.StoreBusy, e.Failure);
        }

        Assert.False(called);
        Guid id;
        using (var state = store.Read())
        {
            id = state.Current!.Id;
        }

        store.RecordBackup(() => new BackupRecord(DateTimeOffset.UtcNow, id, "/b/again.bak"));
        using var read = store.Read();
        Assert.Equal("/b/again.bak", read.LastBackupOfCurrent!.Path);
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
