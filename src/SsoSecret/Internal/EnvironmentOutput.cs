using System;
using System.Linq;

namespace SsoSecret.Internal;

/// <summary>The environment's output objects, made from a store. Public values only: ids, fingerprints, lines, digests.</summary>
internal static class EnvironmentOutput
{
    /// <summary>The store's part in an environment, as Get-SsoEnvironment shows it.</summary>
    internal static SsoEnvironmentInfo Info(MasterSecretStore store)
    {
        using var state = store.Read();
        var info = new SsoEnvironmentInfo
        {
            ComputerName = System.Environment.MachineName,
            StorePath = store.Path,
            ActiveSecretId = state.Current?.Id,
            StagedSecretId = state.Staged?.Id,
            Secrets = Secrets(state),
        };
        var digest = state.RingDigest();
        info.RingDigest = digest is null ? null : SecretFingerprint.ToHex(digest);
        info.VaultDigest = store.VaultDigestHex(out int entries);
        info.VaultEntries = entries;
        switch (state.Environment)
        {
            case { Role: StoreRole.Master } master:
                var identity = store.MasterKeyIdentity();
                info.Role = "Master";
                info.EnvironmentId = master.EnvironmentId;
                info.Generation = master.Generation;
                info.MasterFingerprint = identity?.Fingerprint;
                info.MasterPublicKey = identity?.PublicKeyLine;
                info.Replicas = store.ReadReplicas().Select(r => r.Fingerprint).ToArray();
                break;
            case { Role: StoreRole.Replica } replica:
                var host = store.HostPublicKey();
                info.Role = "Replica";
                info.EnvironmentId = replica.EnvironmentId;
                info.Generation = replica.Generation;
                info.MasterFingerprint = replica.Pinned!.Fingerprint;
                info.MasterPublicKey = replica.Pinned.PublicKeyLine;
                info.HostPublicKey = host?.Text;
                info.HostFingerprint = host?.Fingerprint;
                info.LastSync = replica.Synced?.UtcDateTime;
                info.RingConfirmation = MasterSecretStore.RingConfirmationHex(state, host);
                break;
        }

        return info;
    }

    /// <summary>-Confirmation's table (replica fingerprint = confirmation), as the store reads it; null when none was given.</summary>
    internal static System.Collections.Generic.Dictionary<string, string>? Confirmations(System.Collections.Hashtable? table)
    {
        if (table is null)
        {
            return null;
        }

        var confirmations = new System.Collections.Generic.Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            string? key = entry.Key is System.Management.Automation.PSObject k ? k.BaseObject?.ToString() : entry.Key?.ToString();
            string? value = entry.Value is System.Management.Automation.PSObject v ? v.BaseObject?.ToString() : entry.Value?.ToString();
            if (!string.IsNullOrWhiteSpace(key) && value is not null)
            {
                confirmations[key!.Trim()] = value;
            }
        }

        return confirmations;
    }

    /// <summary>Every secret of the ring, in its order, as "id state fingerprint".</summary>
    internal static string[] Secrets(StoreState state) =>
        state.Ring.Select(s => $"{s.Id} {(ReferenceEquals(s, state.Current) ? "active" : ReferenceEquals(s, state.Staged) ? "staged" : "earlier")} {s.Fingerprint}").ToArray();

    /// <summary>What a replica holds after an install.</summary>
    internal static SsoRingSyncResult SyncResult(MasterSecretStore store, bool installed, bool vaultInstalled)
    {
        using var state = store.Read();
        var digest = state.RingDigest();
        return new SsoRingSyncResult
        {
            ComputerName = System.Environment.MachineName,
            Installed = installed,
            VaultInstalled = vaultInstalled,
            VaultDigest = store.VaultDigestHex(out _),
            Generation = state.Environment?.Generation ?? 0,
            RingDigest = digest is null ? string.Empty : SecretFingerprint.ToHex(digest),
            ActiveSecretId = state.Current?.Id,
            StagedSecretId = state.Staged?.Id,
        };
    }
}
