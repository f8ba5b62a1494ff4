using System;
using System.IO;
using System.Linq;
using SsoSecret.IO;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>What a killed writer leaves behind, and what is cleaned up: exactly the module's own temporary files.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Touch(string name, TimeSpan age)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, "left behind");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    [Fact]
    public void OnlyTheTargetsOwnTemporaryFilesOfTheExactPatternAreRemoved()
    {
        string target = Path.Combine(_folder, "backup.bak");
        var old = TimeSpan.FromHours(1);
        string ours = Touch(".backup.bak.0123456789ab.tmp", old);
        var kept = new[]
        {
            Touch(".backup.bak.0123456789AB.tmp", old),   // upper-case hex: not a name the module makes
            Touch(".backup.bak.0123456789a.tmp", old),    // 11 digits
            Touch(".backup.bak.0123456789abc.tmp", old),  // 13 digits
            Touch(".backup.bak.0123456789ag.tmp", old),   // not hex
            Touch(".other.bak.0123456789ab.tmp", old),    // another target
            Touch("backup.bak.0123456789ab.tmp", old),    // not hidden
            Touch(".backup.bak.0123456789ab.tmp.keep", old),
            Touch("backup.bak", old),
        };

        Assert.Equal(1, RemoveStale(target, TimeSpan.FromMinutes(10)));
        Assert.False(File.Exists(ours));
        Assert.All(kept, path => Assert.True(File.Exists(path), path));
    }

    [Fact]
    public void ARecentTemporaryFileIsLeftToTheProcessThatMayBeWritingIt()
    {
        string target = Path.Combine(_folder, "backup.bak");
        string recent = Touch(".backup.bak.aaaaaaaaaaaa.tmp", TimeSpan.FromMinutes(1));
        string stale = Touch(".backup.bak.bbbbbbbbbbbb.tmp", TimeSpan.FromMinutes(11));
        Assert.Equal(1, RemoveStale(target, BackupFile.StaleTemporaryAge));
        Assert.True(File.Exists(recent));
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void TakingTheStoreLockRemovesTheStoresTemporaryFilesWhateverTheirAge()
    {
        var store = new MasterSecretStore(Path.Combine(_folder, "store"));
        using (store.Lock())
        {
        }

        string leftover = Path.Combine(store.Path, "." + MasterSecretStore.FileName + ".0123456789ab.tmp");
        File.WriteAllText(leftover, "partial");
        using (store.Lock())
        {
            Assert.False(File.Exists(leftover));
        }

        Assert.Equal(new[] { MasterSecretStore.LockFileName }, Directory.GetFiles(store.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AMissingFolderCannotBeOpened()
    {
        Assert.Throws<DirectoryNotFoundException>(() => OpenFolder.Open(Path.Combine(_folder, "missing")));
    }

    private static int RemoveStale(string target, TimeSpan minimumAge)
    {
        using var folder = OpenFolder.Open(Path.GetDirectoryName(target)!);
        return AtomicFile.RemoveStaleTemporaries(folder, Path.GetFileName(target), minimumAge);
    }
}
