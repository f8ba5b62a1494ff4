using System;
using System.Linq;

namespace SsoSecret.Internal;

/// <summary>What a change does to the store's key ring, in the words -WhatIf, -Verbose and the questions use.</summary>
internal static class RingText
{
    private const int NamedAtMost = 3;

    /// <summary>
    /// What installing a secret (<paramref name="installing"/>; null for a new one) does to the ring as
    /// <paramref name="before"/> holds it: which secret becomes current, which are kept, and that none is retired;
    /// empty for the first secret of an empty ring (nothing to keep). Starts with a space when not empty, to follow a
    /// sentence.
    /// </summary>
    internal static string Install(StoreState before, Guid? installing)
    {
        int after = before.CountAfterInstalling(installing);
        var current = before.Current;
        bool back = installing is Guid id && before.Earlier.Exists(e => e.Id == id);
        var others = before.Earlier.Where(e => e.Id != installing).Select(e => e.Id).ToList();
        string kept = others.Count == 0
            ? string.Empty
            : $" and its {others.Count} other earlier secret(s) ({string.Join(", ", others.Take(NamedAtMost))}{(others.Count > NamedAtMost ? ", ..." : string.Empty)})";
        string returning = back ? $"Master secret {installing}, an earlier secret of the key ring, becomes current again. " : string.Empty;
        if (current is null)
        {
            return others.Count == 0 ? string.Empty : $" {returning}The key ring then holds {after} secrets: the new current one{kept}; none is retired.";
        }

        return $" {returning}The key ring keeps master secret {current.Id} as an earlier secret (values protected under it still open){kept}: {after} secrets in all; none is retired.";
    }

    /// <summary>
    /// Says what a new current secret did to the vault: how many entries were moved to it (verbose), or, as a warning,
    /// why entries were left under an earlier secret (which the ring keeps, so they still open).
    /// </summary>
    internal static void ReportVault(System.Management.Automation.Cmdlet cmdlet, VaultRewrap vault, Guid current)
    {
        if (vault.Moved > 0)
        {
            cmdlet.WriteVerbose($"Moved {vault.Moved} vault entr{(vault.Moved == 1 ? "y" : "ies")} to master secret {current}.");
        }

        if (vault.LeftBecause is string why)
        {
            cmdlet.WriteWarning($"The vault's entries were not all moved to master secret {current}: {why}. They still open, since the key ring keeps the earlier secrets; Remove-SsoPreviousSecret moves them before it retires a secret, or refuses.");
        }
    }

    /// <summary>The role of a secret in the ring, for messages.</summary>
    internal static string Role(StoreState state, StoredSecret secret) =>
        ReferenceEquals(secret, state.Current) ? "current secret" : $"earlier secret (replaced {secret.Replaced:u})";
}
