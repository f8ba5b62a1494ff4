using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using SsoSecret.IO;
using Xunit;
using UnixFileMode = SsoSecret.IO.UnixFileMode;

namespace SsoSecret.Tests;

/// <summary>
/// A file rewritten in place, and every write, under the races of issue 23, made deterministic with the module's hooks
/// (TemporaryFile.AfterStep, InPlaceFile.BeforeReplace, PreparedBackup.BeforeCommit): what another account could do
/// between two system calls is done there by this process. The hooks are process-wide, so each handler acts only on
/// paths in this test's folder (xunit runs other classes meanwhile). Unix only: Windows has no descriptors here.
/// </summary>
public sealed class InPlaceFileTests : IDisposable
{
    private const int Max = 16 * 1024 * 1024;
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Folder(string name)
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string Write(string path, string content)
    {
        File.WriteAllText(path, content);
        return path;
    }

    private static InPlaceFile Open(string path) => InPlaceFile.Open(path, Max, length => new IOException($"too large: {length}"));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static SsoSecretException Failure(Action action) => Assert.ThrowsAny<SsoSecretException>(action);

    [Fact]
    public void ALinkRenamedOverTheTemporaryFileIsNeverChangedAndNothingIsPutInPlace()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string app = Folder("app");
        string config = Write(Path.Combine(app, "config.json"), "old");
        UnixFileMode.Set(config, 0x1A4); // 0644: a chmod by name would open the victim to everyone
        if (UnixFileMode.IsRoot)
        {
            Posix.ChangeOwner(config, 65534, 65534); // and a chown by name would give it away
        }

        string victim = Write(Path.Combine(Folder("elsewhere"), "victim"), "root's");
        UnixFileMode.Set(victim, UnixFileMode.OwnerOnlyFile);
        var victimBefore = Posix.StatLink(victim)!.Value;

        bool swapped = false;
        void Swap(string temporary)
        {
            if (!swapped && temporary.StartsWith(app + "/", StringComparison.Ordinal))
            {
                swapped = true;
                string link = Path.Combine(app, "link");
                File.CreateSymbolicLink(link, victim);
                File.Move(link, temporary, overwrite: true);
            }
        }

        TemporaryFile.AfterStep += Swap;
        try
        {
            using var file = Open(config);
            var failure = Failure(() => file.Replace(Bytes("new")));
            Assert.Equal(SsoSecretFailure.WriteFailed, failure.Failure);
            Assert.Contains("was replaced by another file", failure.Message);
        }
        finally
        {
            TemporaryFile.AfterStep -= Swap;
        }

        Assert.True(swapped);
        var victimAfter = Posix.StatLink(victim)!.Value;
        Assert.Equal(victimBefore.Owner, victimAfter.Owner);
        Assert.Equal(victimBefore.Group, victimAfter.Group);
        Assert.Equal(UnixFileMode.OwnerOnlyFile, victimAfter.Permissions);
        Assert.Equal("root's", File.ReadAllText(victim));
        Assert.Equal("old", File.ReadAllText(config));
        Assert.Equal(PosixFileType.Regular, Posix.StatLink(config)!.Value.Type);
    }

    [Fact]
    public void AFolderSwappedForALinkAfterTheCheckIsNotFollowed()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string app = Folder("app");
        string config = Write(Path.Combine(app, "config.json"), "old");
        string other = Folder("other");
        string precious = Write(Path.Combine(other, "config.json"), "precious");
        string moved = Path.Combine(_folder, "app-moved");

        void Swap(string path) => SwapForLink(path == config, app, moved, other);

        InPlaceFile.BeforeReplace += Swap;
        try
        {
            using var file = Open(config);
            file.Replace(Bytes("new"));
        }
        finally
        {
            InPlaceFile.BeforeReplace -= Swap;
        }

        Assert.Equal("precious", File.ReadAllText(precious));
        Assert.Equal("new", File.ReadAllText(Path.Combine(moved, "config.json")));
        Assert.Single(Directory.GetFiles(other));
        Assert.Single(Directory.GetFiles(moved));
    }

    [Fact]
    public void ABackupsFolderSwappedBeforeItsCommitIsNotFollowed()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string backups = Folder("backups");
        string other = Folder("other");
        string precious = Write(Path.Combine(other, "master.bak"), "precious");
        string moved = Path.Combine(_folder, "backups-moved");
        string target = Path.Combine(backups, "master.bak");

        void Swap(string path) => SwapForLink(path == target, backups, moved, other);

        PreparedBackup.BeforeCommit += Swap;
        try
        {
            var secret = new byte[32];
            using var prepared = PreparedBackup.Prepare(target, secret, Guid.NewGuid(), "hint", Bytes("a long enough password"), new KdfParameters(64, 1, 1), armor: false, overwrite: true, allowBelowFloor: true);
            prepared.Commit(keepReplaced: true).Keep();
        }
        finally
        {
            PreparedBackup.BeforeCommit -= Swap;
        }

        Assert.Equal("precious", File.ReadAllText(precious));
        Assert.True(File.Exists(Path.Combine(moved, "master.bak")));
        Assert.Single(Directory.GetFiles(other));
    }

    [Theory]
    [InlineData("append")]
    [InlineData("same length")]
    [InlineData("renamed over")]
    public void AFileChangedWhileItIsRewrittenIsNotReplaced(string how)
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string app = Folder("app");
        string config = Write(Path.Combine(app, "config.json"), "password = old");
        string theirs = how switch
        {
            "append" => "password = old\npassword2 = new",
            "same length" => "password = new",
            _ => "password = NEW, renamed",
        };

        void Change(string path)
        {
            if (path != config)
            {
                return;
            }

            if (how == "renamed over")
            {
                File.WriteAllText(config + ".new", theirs);
                File.Move(config + ".new", config, overwrite: true);
            }
            else
            {
                using var stream = new FileStream(config, FileMode.Open, FileAccess.Write);
                stream.SetLength(0);
                var bytes = Bytes(theirs);
                stream.Write(bytes, 0, bytes.Length);
            }
        }

        InPlaceFile.BeforeReplace += Change;
        try
        {
            using var file = Open(config);
            var failure = Failure(() => file.Replace(Bytes("password = rewrapped")));
            Assert.Equal(SsoSecretFailure.FileChanged, failure.Failure);
            Assert.Contains("changed while it was being rewritten", failure.Message);
        }
        finally
        {
            InPlaceFile.BeforeReplace -= Change;
        }

        Assert.Equal(theirs, File.ReadAllText(config));
        Assert.Equal(new[] { "config.json" }, Array.ConvertAll(Directory.GetFileSystemEntries(app), e => Path.GetFileName(e)!));
    }

    [Fact]
    public void AFileWithASecondHardLinkIsRefused()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string app = Folder("app");
        string config = Write(Path.Combine(app, "config.json"), "old");
        Assert.Equal(0, Link(config, Path.Combine(Folder("alternatives"), "config.json")));
        var failure = Failure(() => Open(config).Dispose());
        Assert.Equal(SsoSecretFailure.FileHasLinks, failure.Failure);
        Assert.Contains("has 2 names (hard links)", failure.Message);
    }

    [Fact]
    public void ALinkGivenIsFollowedToItsTargetWhichIsRewrittenAndTheLinkStays()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string target = Write(Path.Combine(Folder("opt"), "config.json"), "old");
        string link = Path.Combine(Folder("etc"), "config.json");
        File.CreateSymbolicLink(link, "../opt/config.json");
        using (var file = Open(link))
        {
            Assert.Equal(link, file.Path);
            Assert.Equal(target, file.RealPath);
            file.Replace(Bytes("new"));
        }

        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal("../opt/config.json", new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void OwnerModeExtendedAttributesAndAnAclAreKeptAndAnInheritedAclIsNot()
    {
        if (!UnixFileMode.IsUnix || Posix.IsMacOS)
        {
            return;
        }

        string app = Folder("app");
        string config = Write(Path.Combine(app, "config.json"), "old");
        string plain = Write(Path.Combine(app, "plain.json"), "old");
        UnixFileMode.Set(config, 0x1A0); // 0640
        UnixFileMode.Set(plain, 0x1A0);
        // user_obj rw, user 65534 r, group_obj r, mask r, other nothing: as setfacl -m u:nobody:r
        byte[] acl = Acl((0x01, 6, uint.MaxValue), (0x02, 4, 65534), (0x04, 4, uint.MaxValue), (0x10, 4, uint.MaxValue), (0x20, 0, uint.MaxValue));
        using (var handle = Posix.Open(config, Posix.ReadOnly))
        {
            Assert.Equal(0, Posix.SetAttribute(handle, "system.posix_acl_access", acl));
            Assert.Equal(0, Posix.SetAttribute(handle, "user.origin", Bytes("kept")));
        }

        // A default ACL on the folder gives every new file an ACL: the new plain.json must not keep one.
        using (var folder = Posix.Open(app, Posix.ReadOnly | Posix.Directory))
        {
            Assert.Equal(0, Posix.SetAttribute(folder, "system.posix_acl_default", acl));
        }

        var before = Posix.StatLink(config)!.Value;
        using (var file = Open(config))
        {
            file.Replace(Bytes("new"));
        }

        using (var file = Open(plain))
        {
            file.Replace(Bytes("new"));
        }

        var after = Posix.StatLink(config)!.Value;
        Assert.NotEqual(before.Inode, after.Inode);
        Assert.Equal(before.Permissions, after.Permissions);
        using (var handle = Posix.Open(config, Posix.ReadOnly))
        {
            Assert.Equal(acl, Posix.GetAttribute(handle, config, "system.posix_acl_access"));
            Assert.Equal(Bytes("kept"), Posix.GetAttribute(handle, config, "user.origin"));
        }

        using (var handle = Posix.Open(plain, Posix.ReadOnly))
        {
            Assert.Empty(Posix.ListAttributes(handle, plain));
        }

        Assert.Equal(0x1A0, Posix.StatLink(plain)!.Value.Permissions);
    }

    [Fact]
    public async Task AFifoRenamedOverABackupsTemporaryFileIsNeverReadNorPutInPlace()
    {
        if (!UnixFileMode.IsUnix)
        {
            return;
        }

        string backups = Folder("backups");
        string target = Path.Combine(backups, "master.bak");
        bool swapped = false;
        void Swap(string temporary)
        {
            if (!swapped && temporary.StartsWith(backups + "/", StringComparison.Ordinal))
            {
                swapped = true;
                string fifo = Path.Combine(backups, "fifo");
                Assert.Equal(0, MakeFifo(fifo, 0x1B6));
                File.Move(fifo, temporary, overwrite: true);
            }
        }

        TemporaryFile.AfterStep += Swap;
        try
        {
            var work = Task.Run(() =>
            {
                var secret = new byte[32];
                using var prepared = PreparedBackup.Prepare(target, secret, Guid.NewGuid(), "hint", Bytes("a long enough password"), new KdfParameters(64, 1, 1), armor: false, overwrite: false, allowBelowFloor: true);
                prepared.Commit(keepReplaced: false).Keep();
            });
            Assert.Same(work, await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(60))));
            var failure = await Assert.ThrowsAsync<BackupException>(() => work);
            Assert.Equal(SsoSecretFailure.WriteFailed, failure.Failure);
            Assert.Contains("was replaced by another file", failure.Message);
        }
        finally
        {
            TemporaryFile.AfterStep -= Swap;
        }

        Assert.True(swapped);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void AFileOfAnotherUsersFolderIsRefusedBeforeItIsRead()
    {
        if (!UnixFileMode.IsRoot)
        {
            return;
        }

        string theirs = Folder("theirs");
        string config = Write(Path.Combine(theirs, "config.json"), "old");
        Posix.ChangeOwner(theirs, 65534, 65534);
        var failure = Failure(() => Open(config).Dispose());
        Assert.Equal(SsoSecretFailure.PathNotOwned, failure.Failure);
        Assert.Contains($"The folder '{theirs}' on the path of '{config}' belongs to", failure.Message);

        Posix.ChangeOwner(theirs, 0, 0);
        UnixFileMode.Set(theirs, 0x1FF); // 0777, not sticky
        failure = Failure(() => Open(config).Dispose());
        Assert.Equal(SsoSecretFailure.PathInsecure, failure.Failure);
        UnixFileMode.Set(theirs, 0x3FF); // 1777: sticky, as /tmp
        Open(config).Dispose();
    }

    // What another account that owns the folder's parent can do at any moment: move the folder away and put a link to
    // another folder in its place.
    private static void SwapForLink(bool now, string folder, string movedTo, string linkTarget)
    {
        if (now)
        {
            Directory.Move(folder, movedTo);
            Directory.CreateSymbolicLink(folder, linkTarget);
        }
    }

    private static byte[] Acl(params (ushort Tag, ushort Permissions, uint Id)[] entries)
    {
        var acl = new byte[4 + (8 * entries.Length)];
        BitConverter.GetBytes(2u).CopyTo(acl, 0); // POSIX_ACL_XATTR_VERSION, little-endian as the kernel stores it
        for (int i = 0; i < entries.Length; i++)
        {
            BitConverter.GetBytes(entries[i].Tag).CopyTo(acl, 4 + (8 * i));
            BitConverter.GetBytes(entries[i].Permissions).CopyTo(acl, 6 + (8 * i));
            BitConverter.GetBytes(entries[i].Id).CopyTo(acl, 8 + (8 * i));
        }

        return acl;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string name);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, int mode);
}
