using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using SsoSecret.IO;
using Xunit;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret.Tests;

/// <summary>
/// The store path rule (StorePathCheck): every entry on the path owned by the caller or root, no folder on it writable
/// by others unless sticky, the store's files regular and never followed. Files are given to another owner with
/// chown, so most of these need root (as CI runs); without root they return at once. tests/Pester/OtherUser.Tests.ps1
/// does the same with a real second account through the built module.
/// </summary>
public sealed class StoreOwnershipTests : IDisposable
{
    private const uint Nobody = 65534;
    private readonly string _folder = TestPaths.NewTemporaryFolder();
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public StoreOwnershipTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        if (UnixFileMode.IsUnix)
        {
            UnixFileMode.Set(_folder, 0x1ED); // 0755: a temporary folder's mode depends on the umask
        }
    }

    public void Dispose()
    {
        Run("chmod", "-R", "u+rwx", _folder);
        Directory.Delete(_folder, recursive: true);
    }

    private static bool CanChown => UnixFileMode.IsRoot;

    private string StorePath => Path.Combine(_folder, "store");

    private static void Run(string program, params string[] arguments)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var info = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }

    private MasterSecretStore NewStore()
    {
        var store = new MasterSecretStore(StorePath);
        using (var held = store.Lock())
        {
            using var state = new StoreState { Current = new StoredSecret(Guid.NewGuid(), DateTimeOffset.UtcNow, Enumerable.Repeat((byte)3, 32).ToArray()) };
            store.Write(held, state);
        }

        return store;
    }

    private static StoreException Refused(MasterSecretStore store, SsoSecretFailure failure)
    {
        var e = Assert.Throws<StoreException>(() => store.Read());
        Assert.Equal(failure, e.Failure);
        var locked = Assert.Throws<StoreException>(() => store.Lock());
        Assert.Equal(failure, locked.Failure);
        return e;
    }

    [Theory]
    [InlineData("")]
    [InlineData(MasterSecretStore.FileName)]
    [InlineData(MasterSecretStore.LockFileName)]
    public void AStoreFolderOrFileOfAnotherUserIsRefusedNamingItAndItsOwner(string name)
    {
        if (!CanChown)
        {
            return;
        }

        var store = NewStore();
        string target = name.Length == 0 ? StorePath : Path.Combine(StorePath, name);
        Run("chown", Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture), target);
        var e = Refused(store, SsoSecretFailure.StoreNotOwned);
        Assert.Equal(target, e.Path);
        Assert.Contains($"'{target}' belongs to {Posix.DescribeUser(Nobody)}", e.Message);
        Assert.Contains("not to this account", e.Message);
        Assert.DoesNotContain("chmod", e.Message);
        Assert.Contains("Do not use this store", e.RecommendedAction);
    }

    [Fact]
    public void AFolderAboveTheStoreOwnedByAnotherUserIsRefused()
    {
        if (!CanChown)
        {
            return;
        }

        string above = Path.Combine(_folder, "theirs");
        Directory.CreateDirectory(above);
        var store = new MasterSecretStore(Path.Combine(above, "store"));
        Run("chown", "65534", above);
        var e = Assert.Throws<StoreException>(() => store.Lock());
        Assert.Equal(SsoSecretFailure.StoreNotOwned, e.Failure);
        Assert.Equal(above, e.Path);
        Assert.Contains($"The folder '{above}' on the path of the secret store", e.Message);
        Assert.False(Directory.Exists(Path.Combine(above, "store")), "nothing is created below another user's folder");
        Assert.Equal(SsoSecretFailure.StoreNotOwned, Assert.Throws<StoreException>(() => store.Read()).Failure);
    }

    [Theory]
    [InlineData(0x1FF, false)] // 0777
    [InlineData(0x1F8, false)] // 0770
    [InlineData(0x3FF, true)]  // 1777, as /tmp
    [InlineData(0x3F8, true)]  // 1770
    public void AFolderAboveTheStoreThatOthersCanWriteIsRefusedUnlessSticky(int mode, bool accepted)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string shared = Path.Combine(_folder, "shared");
        Directory.CreateDirectory(shared);
        UnixFileMode.Set(shared, mode);
        var store = new MasterSecretStore(Path.Combine(shared, "store"));
        if (accepted)
        {
            // Sticky: others may add entries but not rename or remove this one, which is the caller's.
            using (store.Lock())
            {
            }

            using var state = store.Read();
            Assert.Null(state.Current);
            return;
        }

        var e = Assert.Throws<StoreException>(() => store.Lock());
        Assert.Equal(SsoSecretFailure.StorePathInsecure, e.Failure);
        Assert.Equal(shared, e.Path);
        Assert.Contains($"(mode {Convert.ToString(mode, 8)}) and is not sticky", e.Message);
        Assert.Contains($"chmod go-w '{shared}'", e.RecommendedAction);
        Assert.False(Directory.Exists(store.Path));
    }

    [Fact]
    public void InAStickyFolderAStoreOfAnotherUserIsStillRefused()
    {
        if (!CanChown)
        {
            return;
        }

        string shared = Path.Combine(_folder, "tmp");
        Directory.CreateDirectory(shared);
        UnixFileMode.Set(shared, 0x3FF);
        var store = new MasterSecretStore(Path.Combine(shared, "store"));
        Directory.CreateDirectory(store.Path);
        UnixFileMode.Set(store.Path, UnixFileMode.OwnerOnlyDirectory);
        Run("chown", "65534", store.Path);
        Assert.Equal(store.Path, Refused(store, SsoSecretFailure.StoreNotOwned).Path);
    }

    [Fact]
    public void ALinkOnThePathIsFollowedOnlyWhenItsOwnerIsTrusted()
    {
        if (!CanChown)
        {
            return;
        }

        var real = NewStore();
        string link = Path.Combine(_folder, "link");
        File.CreateSymbolicLink(link, real.Path);
        var viaLink = new MasterSecretStore(link);
        using (var state = viaLink.Read())
        {
            Assert.NotNull(state.Current);
        }

        // The same link, owned by another user who could point it anywhere, at any moment.
        Run("chown", "-h", "65534", link);
        var e = Refused(viaLink, SsoSecretFailure.StoreNotOwned);
        Assert.Equal(link, e.Path);
        Assert.Contains($"The symbolic link '{link}' on the path of the secret store", e.Message);
    }

    [Theory]
    [InlineData(MasterSecretStore.FileName)]
    [InlineData(MasterSecretStore.LockFileName)]
    public void AStoreFileThatIsALinkIsNeverFollowedNorAdvisedAChmod(string name)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = NewStore();
        string target = Path.Combine(_folder, "shadow");
        File.WriteAllText(target, "root:*:19000:0:99999:7:::\n");
        UnixFileMode.Set(target, 0x1A0); // 0640, as /etc/shadow
        string file = Path.Combine(StorePath, name);
        File.Delete(file);
        File.CreateSymbolicLink(file, target);

        var e = Refused(store, SsoSecretFailure.StoreFileNotRegular);
        Assert.Equal(file, e.Path);
        Assert.Contains($"'{file}' is a symbolic link (to '{target}')", e.Message);
        Assert.DoesNotContain("chmod", e.Message);
        Assert.Contains($"rm '{file}'", e.Message);
        Assert.Equal(0x1A0, UnixFileMode.Get(target) & 0xFFF);
        Assert.Equal("root:*:19000:0:99999:7:::\n", File.ReadAllText(target));
    }

    [Theory]
    [InlineData(MasterSecretStore.FileName)]
    [InlineData(MasterSecretStore.LockFileName)]
    public void AStoreFileThatIsAFifoIsRefusedWithoutWaiting(string name)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = NewStore();
        string file = Path.Combine(StorePath, name);
        File.Delete(file);
        Run("mkfifo", "-m", "600", file);
        var e = Refused(store, SsoSecretFailure.StoreFileNotRegular);
        Assert.Contains("is a FIFO (named pipe), not a regular file", e.Message);
    }

    [Fact]
    public void ANewStoreIsCreatedOwnerOnlyWithTheFoldersAboveIt()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = new MasterSecretStore(Path.Combine(_folder, "a", "b", "store"));
        using (store.Lock())
        {
        }

        Assert.Equal(UnixFileMode.OwnerOnlyDirectory, UnixFileMode.Get(store.Path) & 0xFFF);
        Assert.Equal(0, UnixFileMode.Get(Path.Combine(_folder, "a", "b")) & 0x12); // never writable by others
        Assert.Equal(UnixFileMode.OwnerOnlyFile, UnixFileMode.Get(Path.Combine(store.Path, MasterSecretStore.LockFileName)) & 0xFFF);
    }

    [Fact]
    public void AStoreFileLargerThanAStoreFileEverIsRefusedWithoutBeingReadWhole()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = NewStore();
        using (var stream = new FileStream(store.FilePath, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(1L << 32); // 4 GiB, sparse
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<StoreException>(() => store.Read());
        Assert.Equal(SsoSecretFailure.StoreDamaged, e.Failure);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4L * 1024 * 1024, "the file was not read whole");
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("device")]
    [InlineData("socket")]
    public void ABackupPathThatIsNotARegularFileIsRefusedBeforeItIsOpened(string kind)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string path = Path.Combine(_folder, "special.bak");
        System.Net.Sockets.Socket? socket = null;
        switch (kind)
        {
            case "fifo":
                Run("mkfifo", path);
                break;
            case "device":
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            default:
                socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                break;
        }

        try
        {
            var e = Assert.Throws<BackupException>(() => BackupFile.Read(path));
            Assert.Equal(SsoSecretFailure.NotARegularFile, e.Failure);
            Assert.Contains(kind == "device" ? "a character device" : kind == "fifo" ? "a FIFO (named pipe)" : "a socket", e.Message);
        }
        finally
        {
            socket?.Dispose();
        }
    }

    [Fact]
    public void ANameCreatedByAnotherProcessInTheGapBeforeTheCommitIsNeverReplaced()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        var store = NewStore();
        using var state = store.Read();
        string path = Path.Combine(_folder, "raced.bak");
        Action<string> hook = p =>
        {
            if (p == path)
            {
                // Another process creates the target after the early existence check, before the commit.
                Run("/bin/sh", "-c", "printf theirs > \"$0\"", path);
            }
        };
        PreparedBackup.BeforeCommit += hook;
        try
        {
            using var prepared = PreparedBackup.Prepare(path, state.Current!.Secret, state.Current.Id, string.Empty, Encoding.UTF8.GetBytes("race password"), new KdfParameters(64, 1, 1), false, false, allowBelowFloor: true);
            var e = Assert.Throws<BackupException>(() => store.RecordBackup(prepared, state.Current.Id));
            Assert.Equal(SsoSecretFailure.BackupExists, e.Failure);
        }
        finally
        {
            PreparedBackup.BeforeCommit -= hook;
        }

        Assert.Equal("theirs", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(_folder, ".*"));
        using var after = store.Read();
        Assert.All(after.Ring, s => Assert.Empty(s.Backups));
    }

    [Fact]
    public void ATightRaceForOneNameHasExactlyOneWinnerEveryRound()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        // Another process creates round-N.bak (O_EXCL: bash's noclobber) the moment it reads a line from a FIFO, while
        // this one commits its own round-N.bak after a delay that varies from round to round. Exactly one of the two may
        // get the name, and the loser must leave the winner's file as it is. The other process answers on a second FIFO,
        // so neither side spins while it waits (on a loaded 2-core machine a spinning shell slows everything).
        int rounds = 200;
        string go = Path.Combine(_folder, "go.fifo");
        string done = Path.Combine(_folder, "done.fifo");
        Run("mkfifo", go, done);
        string script = "set -C; exec 3<\"$0/go.fifo\" 4>\"$0/done.fifo\"; i=1; while read -r _ <&3; do "
            + "if { printf theirs > \"$0/round-$i.bak\"; } 2>/dev/null; then echo won >&4; else echo lost >&4; fi; i=$((i+1)); done";
        var info = new ProcessStartInfo("/bin/bash") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(_folder);
        using var other = Process.Start(info)!;
        int won = 0;
        int lost = 0;
        var random = new Random(1234);
        try
        {
            // The same order of opens as the shell's (go, then done): each open waits for the other end.
            using var toOther = new StreamWriter(new FileStream(go, FileMode.Open, FileAccess.Write)) { AutoFlush = true };
            using var fromOther = new StreamReader(new FileStream(done, FileMode.Open, FileAccess.Read));
            for (int i = 1; i <= rounds; i++)
            {
                string path = Path.Combine(_folder, $"round-{i}.bak");
                using var temporary = TemporaryFile.Create(path);
                temporary.Write(Encoding.ASCII.GetBytes("ours"));
                toOther.WriteLine("go");

                // 0 to 3 ms, spun: sometimes this process gets there first, sometimes the other.
                var spin = Stopwatch.StartNew();
                double delay = random.NextDouble() * 3;
                while (spin.Elapsed.TotalMilliseconds < delay)
                {
                }

                var made = temporary.CommitNew();
                made?.Keep();
                bool committed = made is not null;
                bool theyWon = fromOther.ReadLine() == "won";
                string content = File.ReadAllText(path);
                Assert.True(committed != theyWon, $"round {i}: this process committed={committed}, the other created={theyWon}: exactly one may");
                Assert.Equal(committed ? "ours" : "theirs", content);
                if (committed)
                {
                    won++;
                }
                else
                {
                    lost++;
                }
            }
        }
        finally
        {
            if (!other.HasExited)
            {
                other.Kill();
            }

            other.WaitForExit();
        }

        Assert.Equal(rounds, won + lost);
        _output.WriteLine($"{rounds} rounds: this process won {won}, the other {lost}.");
    }
}
