using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SsoSecret.IO;
using SsoSecret.Store;
using SsoSecret.Vault;
using UnixFileMode = SsoSecret.IO.UnixFileMode;
using Xunit;

namespace SsoSecret.Tests;

/// <summary>
/// The store in an environment (docs/store-format.md, version 3) through MasterSecretStore's transactions: a master's
/// generation goes up with every change of its ring or its vault and never with anything else; a replica joins empty,
/// installs only rings its pinned master sealed to it (with the master's vault), never an older one, and refuses to
/// generate, restore or retire a secret or to change its vault; the
/// key files are born owner-only in the store folder; values protected on either side open on the other.
/// </summary>
public sealed class StoreEnvironmentTests : IDisposable
{
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("correct horse battery staple");
    private readonly string _folder = TestPaths.NewTemporaryFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private MasterSecretStore Store(string name) => new(Path.Combine(_folder, name));

    private string Backup(string name) => Path.Combine(_folder, name);

    private static PreparedBackup Seal(string path, StoredSecret secret) =>
        PreparedBackup.Prepare(path, secret.Secret, secret.Id, string.Empty, s_password, new KdfParameters(64, 1, 1), armor: false, overwrite: false, allowBelowFloor: true);

    private Guid Generate(MasterSecretStore store, string backup)
    {
        using var before = store.Read();
        using var after = store.Generate(before.Current?.Id, s => Seal(Backup(backup), s));
        return after.Current!.Id;
    }

    private static long Generation(MasterSecretStore store)
    {
        using var state = store.Read();
        return state.Environment!.Generation;
    }

    private static string Confirmation(MasterSecretStore replica)
    {
        using var state = replica.Read();
        return MasterSecretStore.RingConfirmationHex(state, replica.HostPublicKey())!;
    }

    private static int FileVersion(MasterSecretStore store)
    {
        StoreFile.Deserialize(File.ReadAllBytes(store.FilePath), store.FilePath, out int version).Dispose();
        return version;
    }

    [Fact]
    public void AMastersGenerationGoesUpWithEveryChangeOfItsRingAndOnlyThen()
    {
        var master = Store("master");
        Assert.Equal(SsoSecretFailure.NoMasterSecret, Assert.Throws<StoreException>(() => master.MakeMaster(out _)).Failure);
        var first = Generate(master, "1.bak");
        Assert.Equal(2, FileVersion(master));

        var identity = master.MakeMaster(out bool created);
        Assert.True(created);
        Assert.Equal(3, FileVersion(master));
        Assert.Equal(1, Generation(master));
        Assert.Equal(identity, master.MakeMaster(out bool again));
        Assert.False(again);
        Assert.Equal(1, Generation(master));

        Generate(master, "2.bak");
        Assert.Equal(2, Generation(master));

        // A backup record is not a change of the ring: the generation stays.
        using (var state = master.Read())
        {
            using var prepared = Seal(Backup("3.bak"), state.Current!);
            master.RecordBackup(prepared, state.Current!.Id);
        }

        Assert.Equal(2, Generation(master));
        master.Retire(new[] { first }, out var after).Count.Equals(1);
        after.Dispose();
        Assert.Equal(3, Generation(master));
        using var read = master.Read();
        Assert.Equal(identity.EnvironmentId, read.Environment!.EnvironmentId);
    }

    [Fact]
    public void AReplicaInstallsItsMastersRingAndValuesOpenBothWays()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        Generate(master, "2.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out bool joined);
        Assert.True(joined);
        Assert.Equal(hostKey, replica.Join(identity, out bool again));
        Assert.False(again);
        using (var empty = replica.Read())
        {
            Assert.Equal((0, 0L), (empty.Count, empty.Environment!.Generation));
            Assert.Equal(identity, empty.Environment.Pinned);
        }

        var sealedRing = master.SealRing(hostKey, out long generation);
        Assert.Equal(1, generation);
        var header = replica.InstallRing(sealedRing, out bool installed);
        Assert.True(installed);
        Assert.Equal(1, header.Generation);

        using (var m = master.Read())
        using (var r = replica.Read())
        {
            Assert.Equal(m.Ring.Select(s => (s.Id, s.Fingerprint, s.Created, s.Replaced)), r.Ring.Select(s => (s.Id, s.Fingerprint, s.Created, s.Replaced)));
            Assert.Equal(m.RingDigest(), r.RingDigest());
            Assert.Equal(1, r.Environment!.Generation);
            Assert.Empty(r.Ring.SelectMany(s => s.Backups));

            // A value protected on either side opens on the other.
            var onMaster = ProtectedData.Protect(m.KeyRing(master.Path), "app/db", Encoding.UTF8.GetBytes("from the master"));
            var onReplica = ProtectedData.Protect(r.KeyRing(replica.Path), "app/db", Encoding.UTF8.GetBytes("from the replica"));
            Assert.Equal("from the master", Encoding.UTF8.GetString(ProtectedData.Unprotect(r.KeyRing(replica.Path), "app/db", onMaster)));
            Assert.Equal("from the replica", Encoding.UTF8.GetString(ProtectedData.Unprotect(m.KeyRing(master.Path), "app/db", onReplica)));
        }

        // The same ring again installs nothing; a newer one installs; the older one is then a replay.
        replica.InstallRing(sealedRing, out bool same);
        Assert.False(same);
        Generate(master, "3.bak");
        var newer = master.SealRing(hostKey, out long two);
        Assert.Equal(2, two);
        replica.InstallRing(newer, out bool installedNewer);
        Assert.True(installedNewer);
        Assert.Equal(SsoSecretFailure.StaleRing, Assert.Throws<EnvironmentException>(() => replica.InstallRing(sealedRing, out _)).Failure);
        Assert.Equal(2, Generation(replica));
        Assert.Equal(3, FileVersion(replica));
    }

    [Fact]
    public void AStagedSecretTravelsOpensAndProtectsNothingUntilItIsActivated()
    {
        var master = Store("master");
        var own = Store("own");
        Generate(master, "1.bak");
        Generate(own, "own.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);
        replica.InstallRing(master.SealRing(hostKey, out _), out _);

        // Only a master stages, with its backup; a store of its own is refused and writes no backup.
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => own.Stage(s => Seal(Backup("own-staged.bak"), s))).Failure);
        Assert.False(File.Exists(Backup("own-staged.bak")));
        Guid old;
        Guid staged;
        using (var after = master.Stage(s => Seal(Backup("staged.bak"), s)))
        {
            old = after.Current!.Id;
            staged = after.Staged!.Id;
            Assert.Equal(2, after.Environment!.Generation);
            Assert.Equal(Backup("staged.bak"), Assert.Single(after.Staged.Backups).Path);
        }

        Assert.True(File.Exists(Backup("staged.bak")));
        Assert.Equal(SsoSecretFailure.SecretAlreadyStaged, Assert.Throws<StoreException>(() => master.Stage(s => Seal(Backup("again.bak"), s))).Failure);
        Assert.False(File.Exists(Backup("again.bak")));

        // Distributed: the replica holds it staged; both sides still protect under the old secret, and open either.
        replica.InstallRing(master.SealRing(hostKey, out long two), out _);
        Assert.Equal(2, two);
        string onReplica;
        using (var m = master.Read())
        using (var r = replica.Read())
        {
            Assert.Equal(staged, r.Staged!.Id);
            Assert.Equal(old, m.KeyRing(master.Path).Current.Id);
            Assert.Equal(old, r.KeyRing(replica.Path).Current.Id);
            onReplica = ProtectedData.Protect(r.KeyRing(replica.Path), "app/db", Encoding.UTF8.GetBytes("during"));
        }

        // Activated on the master: the staged secret is current, the old one the newest earlier secret; the
        // generation goes up; a wrong id is refused.
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => master.Activate(old, out _)).Failure);
        using (var activated = master.Activate(staged, out _))
        {
            Assert.Equal(staged, activated.Current!.Id);
            Assert.Null(activated.Staged);
            Assert.Equal(old, activated.Previous!.Id);
            Assert.Equal(3, activated.Environment!.Generation);
            Assert.Equal(Backup("staged.bak"), activated.LastBackupOfCurrent!.Path);
        }

        string onMaster;
        using (var m = master.Read())
        {
            onMaster = ProtectedData.Protect(m.KeyRing(master.Path), "app/db", Encoding.UTF8.GetBytes("after"));
            Assert.Equal("during", Encoding.UTF8.GetString(ProtectedData.Unprotect(m.KeyRing(master.Path), "app/db", onReplica)));
        }

        // The replica, synced, opens the value the master protected under the activated secret.
        replica.InstallRing(master.SealRing(hostKey, out _), out _);
        using var synced = replica.Read();
        Assert.Equal(staged, synced.Current!.Id);
        Assert.Equal("after", Encoding.UTF8.GetString(ProtectedData.Unprotect(synced.KeyRing(replica.Path), "app/db", onMaster)));
        Assert.Equal("during", Encoding.UTF8.GetString(ProtectedData.Unprotect(synced.KeyRing(replica.Path), "app/db", onReplica)));
    }

    [Fact]
    public void AStagedSecretIsNeverRetiredAndTheMastersVaultReachesItsReplicaWithEachRing()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);

        // A vault change on the master raises its generation; the ring brings the vault to the replica.
        long before = Generation(master);
        master.SetVaultEntry("db", VaultSecretType.String, Encoding.UTF8.GetBytes("the master's"), null);
        Assert.Equal(before + 1, Generation(master));
        var firstRing = master.SealRing(hostKey, out _);
        replica.InstallRing(firstRing, out bool installed, out bool vaultInstalled);
        Assert.True(installed && vaultInstalled);
        Assert.Equal("the master's", Encoding.UTF8.GetString(replica.OpenVaultEntry("db", out _)!));
        Assert.Equal(master.VaultDigestHex(out _), replica.VaultDigestHex(out int entries));
        Assert.Equal(1, entries);

        // The replica's vault is the master's: changed nowhere else.
        Assert.Equal(SsoSecretFailure.StoreIsReplica, Assert.Throws<StoreException>(() => replica.SetVaultEntry("own", VaultSecretType.String, Encoding.UTF8.GetBytes("x"), null)).Failure);
        Assert.Equal(SsoSecretFailure.StoreIsReplica, Assert.Throws<StoreException>(() => replica.RemoveVaultEntry("db")).Failure);
        Assert.Equal(SsoSecretFailure.StoreIsReplica, Assert.Throws<StoreException>(() => replica.SetVaultMetadata("db", Array.Empty<KeyValuePair<string, VaultMetadataValue>>())).Failure);

        Guid first;
        using (var r = replica.Read())
        {
            first = r.Current!.Id;
        }

        Guid staged;
        using (var s = master.Stage(secret => Seal(Backup("staged.bak"), secret)))
        {
            staged = s.Staged!.Id;
        }

        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => master.Retire(new[] { staged }, out _)).Failure);
        replica.InstallRing(master.SealRing(hostKey, out _), out installed, out vaultInstalled);
        Assert.True(installed);
        Assert.False(vaultInstalled);    // staging changed the ring, not the vault

        // Activation moves the master's entries to the new secret, a vault change: the replica gets the moved vault.
        master.Activate(staged, out var moved).Dispose();
        Assert.Equal(1, moved.Moved);
        replica.InstallRing(master.SealRing(hostKey, out _), out _, out vaultInstalled);
        Assert.True(vaultInstalled);
        Assert.Equal(staged, replica.VaultCounts(replica.ReadVault()).Single().Key);

        // The master retires the first secret; the entry, moved already, still opens on the replica after the next install.
        master.Retire(new[] { first }, out var after).Count.Equals(1);
        after.Dispose();
        replica.InstallRing(master.SealRing(hostKey, out _), out _);
        Assert.Equal("the master's", Encoding.UTF8.GetString(replica.OpenVaultEntry("db", out _)!));

        // An older ring, and the older vault in it, is a replay.
        Assert.Equal(SsoSecretFailure.StaleRing, Assert.Throws<EnvironmentException>(() => replica.InstallRing(firstRing, out _)).Failure);

        // The replica's copy lost: the same generation brings the master's vault again, and it is no fork.
        File.Delete(replica.VaultPath);
        Assert.Null(replica.OpenVaultEntry("db", out _));
        replica.InstallRing(master.SealRing(hostKey, out _), out installed, out vaultInstalled);
        Assert.False(installed);
        Assert.True(vaultInstalled);
        Assert.Equal("the master's", Encoding.UTF8.GetString(replica.OpenVaultEntry("db", out _)!));
    }

    [Fact]
    public void AStagedSecretIsActivatedOnlyWhenEveryReplicaOfTheMastersListConfirmsHoldingIt()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var first = Store("first");
        var second = Store("second");
        var firstKey = first.Join(identity, out _);
        var secondKey = second.Join(identity, out _);
        first.InstallRing(master.SealRing(firstKey, out _), out _);
        second.InstallRing(master.SealRing(secondKey, out _), out _);
        first.InstallRing(master.SealRing(firstKey, out _), out _);
        Assert.Equal(new[] { firstKey.Fingerprint, secondKey.Fingerprint }, master.ReadReplicas().Select(r => r.Fingerprint));
        Assert.Equal($"{ReplicaList.Header}\n{firstKey.Text}\n{secondKey.Text}\n", File.ReadAllText(master.ReplicaListPath));

        Guid staged;
        using (var s = master.Stage(secret => Seal(Backup("staged.bak"), secret)))
        {
            staged = s.Staged!.Id;
        }

        // Their confirmations are of the ring before the stage: good for nothing now.
        var stale = new Dictionary<string, string> { [firstKey.Fingerprint] = Confirmation(first)!, [secondKey.Fingerprint] = Confirmation(second)! };
        var refused = Assert.Throws<StoreException>(() => master.Activate(staged, stale, false, out _, out _));
        Assert.Equal(SsoSecretFailure.ReplicaNotReady, refused.Failure);
        Assert.Contains(firstKey.Fingerprint, refused.Message);
        Assert.Contains(secondKey.Fingerprint, refused.Message);

        // The first synced: its confirmation counts; the second's is missing, and a forged one (another ring's) fails.
        first.InstallRing(master.SealRing(firstKey, out _), out _);
        var confirmations = new Dictionary<string, string> { [firstKey.Fingerprint] = Confirmation(first)! };
        refused = Assert.Throws<StoreException>(() => master.Activate(staged, confirmations, false, out _, out _));
        Assert.DoesNotContain(firstKey.Fingerprint, refused.Message);
        Assert.Contains(secondKey.Fingerprint, refused.Message);
        confirmations[secondKey.Fingerprint] = Confirmation(first)!;    // the first's, under the second's name
        Assert.Equal(SsoSecretFailure.ReplicaNotReady, Assert.Throws<StoreException>(() => master.Activate(staged, confirmations, false, out _, out _)).Failure);
        confirmations[secondKey.Fingerprint] = new string('0', 64);
        Assert.Equal(SsoSecretFailure.ReplicaNotReady, Assert.Throws<StoreException>(() => master.Activate(staged, confirmations, false, out _, out _)).Failure);
        using (var unchanged = master.Read())
        {
            Assert.Equal(staged, unchanged.Staged!.Id);
        }

        // Once the second holds it too, the master activates; both confirmations, in upper case, count.
        second.InstallRing(master.SealRing(secondKey, out _), out _);
        confirmations[secondKey.Fingerprint] = Confirmation(second)!.ToUpperInvariant();
        master.Activate(staged, confirmations, false, out _, out var passed).Dispose();
        Assert.Empty(passed);

        // A retirement given confirmations needs them of the ring as it is now (after the activation).
        Guid earlier;
        using (var now = master.Read())
        {
            earlier = now.Earlier[0].Id;
        }

        Assert.Equal(SsoSecretFailure.ReplicaNotReady, Assert.Throws<StoreException>(() => master.Retire(new[] { earlier }, out _, out _, confirmations)).Failure);

        // The second leaves: off the list, the first alone confirms, and -Force would pass a missing one.
        Assert.Equal(secondKey, master.ForgetReplica(secondKey.Fingerprint.ToUpperInvariant()));
        Assert.Null(master.ForgetReplica(secondKey.Fingerprint));
        first.InstallRing(master.SealRing(firstKey, out _), out _);
        var retired = master.Retire(new[] { earlier }, out var after, out _, new Dictionary<string, string> { [firstKey.Fingerprint] = Confirmation(first)! });
        after.Dispose();
        Assert.Equal(new[] { earlier }, retired);
        Assert.Equal(new[] { firstKey.Fingerprint }, master.ReadReplicas().Select(r => r.Fingerprint));
    }

    [Fact]
    public void ADamagedListOfReplicasIsRefusedAndNothingIsSealed()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);
        master.SealRing(hostKey, out _);
        foreach (var damaged in new[]
        {
            $"ssosecret-replicas v2\n{hostKey.Text}\n",
            $"ssosecret-replicas v1\n{hostKey.Text}",
            $"ssosecret-replicas v1\n{hostKey.Text}\n{hostKey.Text}\n",
            $"ssosecret-replicas v1\n{hostKey.Text.ToUpperInvariant()}\n",
            $"ssosecret-replicas v1\n{hostKey.Text.Substring(0, 70)}qqqqqq\n",
        })
        {
            File.WriteAllText(master.ReplicaListPath, damaged);
            Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => master.SealRing(hostKey, out _)).Failure);
            Assert.Equal(SsoSecretFailure.StoreDamaged, Assert.Throws<StoreException>(() => master.ReadReplicas()).Failure);
        }
    }

    [Fact]
    public void AStoreWithVaultEntriesOfItsOwnIsNotJoinedAndADamagedMasterVaultIsSentToNoReplica()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);

        // A store whose vault holds entries (under secrets it no longer holds, say) would lose them at the first sync.
        var other = Store("other");
        Generate(other, "other.bak");
        other.SetVaultEntry("mine", VaultSecretType.String, Encoding.UTF8.GetBytes("mine"), null);
        File.Delete(other.FilePath);
        var conflict = Assert.Throws<StoreException>(() => other.Join(identity, out _));
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, conflict.Failure);
        Assert.Contains("1 vault entry of its own", conflict.Message);

        // The master's vault damaged: nothing is sealed, and the failure says to repair it.
        master.SetVaultEntry("db", VaultSecretType.String, Encoding.UTF8.GetBytes("v"), null);
        var data = File.ReadAllBytes(master.VaultPath);
        data[20] ^= 0x01;
        File.WriteAllBytes(master.VaultPath, data);
        var refused = Assert.Throws<VaultException>(() => master.SealRing(hostKey, out _));
        Assert.Equal(SsoSecretFailure.VaultDamaged, refused.Failure);
        Assert.Contains("Repair-SsoVault", refused.RecommendedAction);
    }

    [Fact]
    public void AReplicaRefusesATamperedRingAndOneSealedToAnother()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var other = Store("other");
        var hostKey = replica.Join(identity, out _);
        var otherKey = other.Join(identity, out _);

        var sealedRing = master.SealRing(hostKey, out _);
        var tampered = (byte[])sealedRing.Clone();
        tampered[SealedRing.GenerationOffset + 7] ^= 2;
        System.Security.Cryptography.SHA256.HashData(tampered.AsSpan(0, tampered.Length - 32)).CopyTo(tampered, tampered.Length - 32);
        Assert.Equal(SsoSecretFailure.TamperedSealedRing, Assert.Throws<EnvironmentException>(() => replica.InstallRing(tampered, out _)).Failure);
        Assert.Equal(SsoSecretFailure.WrongReplica, Assert.Throws<EnvironmentException>(() => replica.InstallRing(master.SealRing(otherKey, out _), out _)).Failure);
        using var state = replica.Read();
        Assert.Equal((0, 0L), (state.Count, state.Environment!.Generation));
    }

    [Fact]
    public void AReplicaNeverGeneratesRestoresOrRetiresASecret()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        Generate(master, "2.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);
        replica.InstallRing(master.SealRing(hostKey, out _), out _);
        using var before = replica.Read();
        var fileBefore = File.ReadAllBytes(replica.FilePath);

        var generate = Assert.Throws<StoreException>(() => replica.Generate(before.Current!.Id, s => Seal(Backup("replica.bak"), s)));
        Assert.Equal(SsoSecretFailure.StoreIsReplica, generate.Failure);
        Assert.Contains(identity.Fingerprint, generate.Message);
        Assert.False(File.Exists(Backup("replica.bak")));

        using var restored = new StoredSecret(Guid.NewGuid(), DateTimeOffset.UtcNow, Enumerable.Repeat((byte)5, 32).ToArray());
        Assert.Equal(SsoSecretFailure.StoreIsReplica, Assert.Throws<StoreException>(() => replica.Restore(restored, before.Current!.Id, null, out _)).Failure);
        Assert.Equal(SsoSecretFailure.StoreIsReplica, Assert.Throws<StoreException>(() => replica.Retire(new[] { before.Earlier[0].Id }, out _)).Failure);
        Assert.Equal(fileBefore, File.ReadAllBytes(replica.FilePath));
    }

    [Fact]
    public void RolesDoNotMix()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var own = Store("own");
        Generate(own, "own.bak");

        // A master does not join; a store with secrets of its own does not join; a replica does not become a master,
        // nor join another master; a replica does not seal, a master does not install.
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => master.Join(identity, out _)).Failure);
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => own.Join(identity, out _)).Failure);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => replica.MakeMaster(out _)).Failure);
        using var stranger = MasterEnvironmentKey.Generate();
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => replica.Join(stranger.Identity, out _)).Failure);
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => replica.SealRing(hostKey, out _)).Failure);
        Assert.Equal(SsoSecretFailure.EnvironmentRoleConflict, Assert.Throws<StoreException>(() => master.InstallRing(master.SealRing(hostKey, out _), out _)).Failure);
        Assert.Equal(2, FileVersion(own));
    }

    [Fact]
    public void KeyFilesAreBornOwnerOnlyInTheStoreFolderAndKeptAcrossCalls()
    {
        var master = Store("master");
        Generate(master, "1.bak");
        var identity = master.MakeMaster(out _);
        var replica = Store("replica");
        var hostKey = replica.Join(identity, out _);
        string masterKey = Path.Combine(master.Path, EnvironmentKeyFile.MasterKeyName);
        string hostKeyFile = Path.Combine(replica.Path, EnvironmentKeyFile.ReplicaHostKeyName);
        Assert.True(File.Exists(masterKey));
        Assert.True(File.Exists(hostKeyFile));
        if (UnixFileMode.IsUnix)
        {
            Assert.Equal(0x180, UnixFileMode.Get(masterKey) & 0xFFF);
            Assert.Equal(0x180, UnixFileMode.Get(hostKeyFile) & 0xFFF);
        }

        // The key is the one the file holds: a second store object reads the same identity and host key.
        Assert.Equal(identity, new MasterSecretStore(master.Path).MakeMaster(out _));
        Assert.Equal(hostKey, new MasterSecretStore(replica.Path).Join(identity, out _));
    }
}
