using System;
using System.Management.Automation;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// What the commands that use the master secret on data share (Protect-, Unprotect-SsoData, Update-SsoProtectedData):
/// the purposes, and the store's key ring, read once per call (not once per piped value) and zeroed at the end.
/// </summary>
public abstract class ProtectedDataCommandBase : StoreCommandBase, IDisposable
{
    private StoreState? _state;
    private ProtectedDataKeyRing? _ring;

    /// <summary>The purposes the command's -Purpose names (one, or for Update-SsoProtectedData several); each is checked in BeginProcessing.</summary>
    private protected abstract string[] Purposes { get; }

    /// <summary>The store's current and previous secrets; read in BeginProcessing.</summary>
    private protected ProtectedDataKeyRing Ring => _ring ?? throw new InvalidOperationException("The key ring is read in BeginProcessing.");

    /// <summary>The store's path, for messages.</summary>
    private protected string StoreFolder { get; private set; } = string.Empty;

    /// <inheritdoc/>
    protected override void BeginProcessing() => Run(
        () =>
        {
            foreach (string purpose in Purposes)
            {
                if (ProtectedData.CheckPurpose(purpose) is string problem)
                {
                    throw new SsoSecretException(SsoSecretFailure.InvalidPurpose, problem);
                }
            }

            var store = OpenStore();
            StoreFolder = store.Path;
            _state = store.Read();
            _ring = _state.KeyRing(store.Path);
            WriteVerbose(_ring.Keys.Count > 1
                ? $"Master secrets: {_ring.Current.Id} (current) and {_ring.Keys[1].Id} (previous)."
                : $"Master secret: {_ring.Current.Id}.");
        },
        terminating: true);

    /// <summary>
    /// Runs one value's work, turning the format's outcomes into error records that name the value's place (a piped
    /// value's number, or a file) and, for an unknown secret, the backup a person needs.
    /// </summary>
    private protected void RunForValue(Action step, string where) => Run(
        () =>
        {
            try
            {
                step();
            }
            catch (ProtectedDataException e) when (e.Outcome == ProtectedDataFailure.UnknownSecret && e.SecretId is Guid id)
            {
                throw new ProtectedDataException(
                    e.Outcome,
                    $"{where}: the value was protected under master secret {id}, which the store '{StoreFolder}' does not hold (it holds {string.Join(" and ", RingIds())}). It opens only with that secret.",
                    id)
                {
                    RecommendedAction = $"Find a backup of master secret {id} (Get-SsoSecretBackupInfo shows each backup's SecretId) and restore it, then rewrap the value with Update-SsoProtectedData.",
                };
            }
            catch (ProtectedDataException e)
            {
                throw new ProtectedDataException(e.Outcome, $"{where}: {e.Message}", e.SecretId, e.FoundVersion);
            }
        },
        terminating: false);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Zeroes the key ring. A command that uses the ring on other threads waits for them first, then calls this.</summary>
    private protected virtual void Dispose(bool disposing)
    {
        _ring = null;
        _state?.Dispose();
        _state = null;
    }

    private string[] RingIds()
    {
        var ids = new string[Ring.Keys.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Ring.Keys[i].Id.ToString();
        }

        return ids;
    }
}
