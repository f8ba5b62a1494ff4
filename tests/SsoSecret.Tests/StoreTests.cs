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
        Assert.Equal(StoreFailure.Insecure, e.Failure);
        Assert.Equal(target, e.Path);
        Assert.Contains(file ? "chmod 600" : "chmod 700", e.Message);
        Assert.Equal(StoreFailure.Insecure, Assert.Throws<StoreException>(() => store.Lock()).Failure);
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
            Assert.Equal(StoreFailure.Damaged, Assert.Throws<StoreException>(() => store.Read()).Failure);
        }

        File.WriteAllBytes(store.FilePath, bytes.Take(bytes.Length - 1).ToArray());
        Assert.Equal(StoreFailure.Damaged, Assert.Throws<StoreException>(() => store.Read()).Failure);
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
            Assert.Equal(StoreFailure.Busy, e.Failure);
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
        Assert.Equal(StoreFailure.Unavailable, Assert.Throws<StoreException>(() => store.Read()).Failure);
        Assert.Equal(StoreFailure.Unavailable, Assert.Throws<StoreException>(() => store.Lock()).Failure);
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
        Assert.ThrowsAny<IOException>(() => AtomicFile.Commit(temporary, path, overwrite: false));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
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
