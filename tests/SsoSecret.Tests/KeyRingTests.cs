using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SsoSecret.IO;
using SsoSecret.Store;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The store's key ring (docs/store-format.md, "The key ring and its rules"), through MasterSecretStore's transactions:
/// nothing drops a secret but a retirement by id, a full ring refuses, records keep their order, and a version 1 store
/// becomes version 2 in place, losing nothing.
/// </summary>
public sealed class KeyRingTests : IDisposable
{
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("correct horse battery staple");
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string StorePath => Path.Combine(_folder, "store");

    private string Backup(string name) => Path.Combine(_folder, name);

    private static PreparedBackup Seal(string path, StoredSecret secret) =>
        PreparedBackup.Prepare(path, secret.Secret, secret.Id, string.Empty, s_password, new KdfParameters(64, 1, 1), armor: false, overwrite: false, allowBelowFloor: true);

    private Guid Generate(MasterSecretStore store, string backup)
    {
        using var before = store.Read();
        using var after = store.Generate(before.Current?.Id, s => Seal(Backup(backup), s));
        return after.Current!.Id;
    }

    [Fact]
    public void RotationsKeepEverySecretAndEveryValueProtectedUnderOneStillOpens()
    {
        var store = new MasterSecretStore(StorePath);
        var values = new List<string>();
        var ids = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(Generate(store, $"{i}.bak"));
            using var state = store.Read();
            values.Add(ProtectedData.Protect(state.KeyRing(store.Path), "app/db", Encoding.UTF8.GetBytes($"value {i}")));
        }

        using var read = store.Read();
        Assert.Equal(ids.AsEnumerable().Reverse(), read.Ring.Select(s => s.Id));
        Assert.Equal(4, read.Earlier.Count);
        Assert.True(read.Earlier.Zip(read.Earlier.Skip(1)).All(p => p.First.Replaced >= p.Second.Replaced));
        var ring = read.KeyRing(store.Path);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.Equal($"value {i}", Encoding.UTF8.GetString(ProtectedData.Unprotect(ring, "app/db", values[i])));
        }

        // Each secret keeps the record of its own backup.
        Assert.All(read.Ring.Select((s, i) => (s, i)), p => Assert.Equal(Backup($"{4 - p.i}.bak"), Assert.Single(p.s.Backups).Path));
    }

    [Fact]
    public void AFullRingRefusesANewSecretBeforeAnythingIsWrittenAndDropsNothing()
    {
        var store = new MasterSecretStore(StorePath);
        for (int i = 0; i < StoreState.MaxSecrets; i++)
        {
            Generate(store, $"{i}.bak");
        }

        byte[] before = File.ReadAllBytes(store.FilePath);
        var e = Assert.Throws<StoreException>(() => Generate(store, "one-too-many.bak"));
        Assert.Equal(SsoSecretFailure.KeyRingFull, e.Failure);
        Assert.Contains($"holds {StoreState.MaxSecrets} master secrets", e.Message);
        Assert.Contains("Remove-SsoPreviousSecret -SecretId", e.RecommendedAction);
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
        Assert.False(File.Exists(Backup("one-too-many.bak")));

        // A restore of a secret the ring does not hold is refused too; one it holds needs no room.
        using var outsider = MasterSecretStore.NewSecret();
        using (var state = store.Read())
        {
            Assert.Equal(SsoSecretFailure.KeyRingFull, Assert.Throws<StoreException>(() => store.Restore(outsider, state.Current!.Id, null, out _)).Failure);
            var oldest = state.Earlier[^1];
            using var again = new StoredSecret(oldest.Id, oldest.Created, (byte[])oldest.Secret.Clone());
            Assert.True(store.Restore(again, state.Current!.Id, null, out var after));
            using (after)
            {
                Assert.Equal(oldest.Id, after.Current!.Id);
                Assert.Equal(StoreState.MaxSecrets, after.Count);
            }
        }
    }

    [Fact]
    public void RestoringAnEarlierSecretMakesItCurrentAgainWithItsRecordsAndKeepsTheOneItReplaces()
    {
        var store = new MasterSecretStore(StorePath);
        var first = Generate(store, "1.bak");
        var second = Generate(store, "2.bak");
        StoredSecret copy;
        using (var state = store.Read())
        {
            var earlier = state.Find(first)!;
            copy = new StoredSecret(earlier.Id, DateTimeOffset.UtcNow, (byte[])earlier.Secret.Clone());
        }

        using (copy)
        {
            Assert.True(store.Restore(copy, second, new BackupRecord(DateTimeOffset.FromUnixTimeMilliseconds(1_000), first, Backup("old-copy.bak")), out var after));
            using (after)
            {
                Assert.Equal(new[] { first, second }, after.Ring.Select(s => s.Id));
                Assert.Null(after.Current!.Replaced);
                // Its records stay, the older one after the newer (by the backups' own times).
                Assert.Equal(new[] { Backup("1.bak"), Backup("old-copy.bak") }, after.Current.Backups.Select(b => b.Path));
            }
        }
    }

    [Fact]
    public void RecordsAreTheNewestFirstEachPathOnceAndAtMostFourPerSecret()
    {
        using var state = new StoreState { Current = MasterSecretStore.NewSecret() };
        var id = state.Current!.Id;
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
        for (int i = 0; i < 6; i++)
        {
            Assert.True(state.Record(new BackupRecord(t.AddDays(i), id, $"/b/{i}.bak")));
        }

        Assert.Equal(new[] { "/b/5.bak", "/b/4.bak", "/b/3.bak", "/b/2.bak" }, state.Current.Backups.Select(b => b.Path));
        state.Record(new BackupRecord(t.AddDays(-1), id, "/b/4.bak"));
        Assert.Equal(new[] { "/b/5.bak", "/b/3.bak", "/b/2.bak", "/b/4.bak" }, state.Current.Backups.Select(b => b.Path));

        // A backup of another secret at a recorded path takes that path's record: the file now holds that secret.
        using var other = MasterSecretStore.NewSecret();
        state.Install(other, new BackupRecord(t.AddDays(9), other.Id, "/b/3.bak"), t.AddDays(9));
        Assert.Equal(new[] { "/b/5.bak", "/b/2.bak", "/b/4.bak" }, state.Earlier[0].Backups.Select(b => b.Path));
        Assert.Equal("/b/3.bak", Assert.Single(state.Current!.Backups).Path);
        Assert.False(state.Record(new BackupRecord(t, Guid.NewGuid(), "/b/x.bak")));

        using var again = StoreFile.Deserialize(StoreFile.Serialize(state), "x");
        Assert.Equal(state.Ring.SelectMany(s => s.Backups).Select(b => (b.SecretId, b.Path, b.Time)), again.Ring.SelectMany(s => s.Backups).Select(b => (b.SecretId, b.Path, b.Time)));
    }

    [Fact]
    public void AClockSetBackNeverWritesEarlierSecretsOutOfOrder()
    {
        using var state = new StoreState();
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
        state.Install(MasterSecretStore.NewSecret(), null, t);
        state.Install(MasterSecretStore.NewSecret(), null, t.AddDays(2));
        state.Install(MasterSecretStore.NewSecret(), null, t.AddDays(1)); // the clock went back a day
        Assert.Equal(t.AddDays(2), state.Earlier[0].Replaced);
        using var read = StoreFile.Deserialize(StoreFile.Serialize(state), "x");
        Assert.Equal(2, read.Earlier.Count);
    }

    [Fact]
    public void RetirementDropsOnlyTheSecretsNamedAndNeverTheCurrentOne()
    {
        var store = new MasterSecretStore(StorePath);
        var ids = Enumerable.Range(0, 4).Select(i => Generate(store, $"{i}.bak")).ToList();
        byte[] before = File.ReadAllBytes(store.FilePath);
        var e = Assert.Throws<StoreException>(() => store.Retire(new[] { ids[0], ids[3] }, out _));
        Assert.Equal(SsoSecretFailure.SecretIsCurrent, e.Failure);
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));

        var retired = store.Retire(new[] { ids[1], Guid.NewGuid() }, out var after);
        using (after)
        {
            Assert.Equal(new[] { ids[1] }, retired);
            Assert.Equal(new[] { ids[3], ids[2], ids[0] }, after.Ring.Select(s => s.Id));
        }

        // Nothing to retire: the file is not even rewritten.
        before = File.ReadAllBytes(store.FilePath);
        Assert.Empty(store.Retire(new[] { ids[1] }, out var unchanged));
        unchanged.Dispose();
        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
    }

    [Fact]
    public void AVersion1StoreIsReadAsItIsAndBecomesVersion2AtTheNextWriteLosingNothing()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_764_547_200_000);
        var current = new StoreVersion1.Secret(Guid.NewGuid(), created.AddDays(30), Enumerable.Repeat((byte)0xC1, 32).ToArray());
        var previous = new StoreVersion1.Secret(Guid.NewGuid(), created, Enumerable.Repeat((byte)0xB1, 32).ToArray(), created.AddDays(30));
        var store = new MasterSecretStore(StorePath);
        using (store.Lock())
        {
        }

        byte[] v1 = StoreVersion1.Write(current, previous, (created.AddDays(30).AddSeconds(1), current.Id, "/var/backups/sso/master.bak"));
        File.WriteAllBytes(store.FilePath, v1);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(store.FilePath, System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite);
        }

        string valueOld = ProtectedData.Protect(previous.Id, previous.Bytes, "app/db", Encoding.UTF8.GetBytes("old"));
        string valueCurrent = ProtectedData.Protect(current.Id, current.Bytes, "app/db", Encoding.UTF8.GetBytes("current"));

        // Read: the ring it becomes; the file itself unchanged.
        using (var state = store.Read())
        {
            Assert.Equal(new[] { current.Id, previous.Id }, state.Ring.Select(s => s.Id));
            Assert.Equal("/var/backups/sso/master.bak", state.Current!.LastBackup!.Path);
        }

        Assert.Equal(v1, File.ReadAllBytes(store.FilePath));

        // The next write: version 2, the rotation's new secret added, nothing lost.
        var newest = Generate(store, "next.bak");
        var written = File.ReadAllBytes(store.FilePath);
        Assert.Equal(StoreFile.Version, (written[8] << 8) | written[9]);
        using var after = store.Read();
        Assert.Equal(new[] { newest, current.Id, previous.Id }, after.Ring.Select(s => s.Id));
        Assert.Equal(previous.Replaced, after.Earlier[1].Replaced);
        Assert.Equal("/var/backups/sso/master.bak", after.Earlier[0].LastBackup!.Path);
        var ring = after.KeyRing(store.Path);
        Assert.Equal("old", Encoding.UTF8.GetString(ProtectedData.Unprotect(ring, "app/db", valueOld)));
        Assert.Equal("current", Encoding.UTF8.GetString(ProtectedData.Unprotect(ring, "app/db", valueCurrent)));
    }

    [Fact]
    public void AVersion1StoreWithTwoSecretsUnderOneIdIsDamageThatSaysWhy()
    {
        var id = Guid.NewGuid();
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_764_547_200_000);
        var v1 = StoreVersion1.Write(
            new StoreVersion1.Secret(id, created, Enumerable.Repeat((byte)0x5A, 32).ToArray()),
            new StoreVersion1.Secret(id, created, Enumerable.Repeat((byte)0x11, 32).ToArray(), created),
            null);
        var e = Assert.Throws<StoreException>(() => StoreFile.Deserialize(v1, "v1"));
        Assert.Equal(SsoSecretFailure.StoreDamaged, e.Failure);
        Assert.Contains("two different secrets under one id", e.Message);

        // The same secret twice under its id is one secret.
        var same = StoreVersion1.Write(
            new StoreVersion1.Secret(id, created, Enumerable.Repeat((byte)0x5A, 32).ToArray()),
            new StoreVersion1.Secret(id, created, Enumerable.Repeat((byte)0x5A, 32).ToArray(), created),
            null);
        using var state = StoreFile.Deserialize(same, "v1");
        Assert.Equal(1, state.Count);
    }
}
