using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security;
using System.Text;
using SsoSecret.Internal;
using SsoSecret.Recovery;

namespace SsoSecret.Commands;

/// <summary>
/// Splits the store's master secret into recovery shares for custodians (SLIP-0039): any -Threshold of the -Count
/// shares restore it, fewer reveal nothing. Each share is written to its own file, to print or keep apart.
/// </summary>
[Cmdlet(VerbsCommon.Split, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SsoSecretShareInfo))]
public sealed class SplitSsoMasterSecretCommand : StoreCommandBase
{
    /// <summary>How many shares restore the secret (1 to 16).</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, 16)]
    public int Threshold { get; set; }

    /// <summary>How many shares to make (1 to 16; at least the threshold).</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, 16)]
    public int Count { get; set; }

    /// <summary>The folder the share files are written to (it must exist).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string OutFolder { get; set; } = string.Empty;

    /// <summary>An optional SLIP-0039 passphrase (printable ASCII): restoring then needs it as well as the shares.</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => Run(
        () =>
        {
            if (Threshold > Count)
            {
                throw new SsoSecretException(SsoSecretFailure.InvalidSharePlan, $"A threshold of {Threshold} needs at least {Threshold} shares; -Count is {Count}.");
            }

            if (Threshold == 1 && Count > 1)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.InvalidSharePlan,
                    "A threshold of 1 makes every share the whole secret; SLIP-0039 then allows one share only.")
                {
                    RecommendedAction = "Use -Count 1 and copy that share, or a threshold of 2 or more.",
                };
            }

            string folder = PathHelper.ResolveLiteral(this, OutFolder);
            if (!Directory.Exists(folder))
            {
                throw new SsoSecretException(SsoSecretFailure.FolderNotFound, $"The folder '{folder}' does not exist.", folder);
            }

            var store = OpenStore();
            using var state = store.Read();
            var current = store.RequireCurrent(state);
            if (current.Secret.Length > SecretShares.MaxSecretLength)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.InvalidSharePlan,
                    $"The master secret is {current.Secret.Length} bytes long; recovery shares hold at most {SecretShares.MaxSecretLength}.");
            }

            if (!ShouldChange(folder, $"Split master secret {current.Id} into {Count} recovery shares, any {Threshold} of which restore it", force: false))
            {
                return;
            }

            List<List<string>> groups;
            using (var passphrase = Passphrase is null ? null : PassphraseBytes(Passphrase))
            {
                groups = SecretShares.Split(current.Id, current.Secret, SharePlan.Single(Threshold, Count), passphrase?.Bytes);
            }

            var shares = groups[0];
            int splitId = Slip39Share.Parse(shares[0], 1).Identifier;
            var created = DateTimeOffset.UtcNow;
            var written = new List<IO.WrittenFile>();
            var infos = new List<SsoSecretShareInfo>();
            try
            {
                for (int i = 0; i < shares.Count; i++)
                {
                    string path = Path.Combine(folder, $"recovery-share-{splitId}-{i + 1}-of-{shares.Count}.txt");
                    string sheet = ShareSheet.Write(shares[i], i + 1, shares.Count, Threshold, current.Id, current.Fingerprint, created);
                    written.Add(IO.TextFile.Write(path, Encoding.ASCII.GetBytes(sheet), overwrite: false));
                    infos.Add(new SsoSecretShareInfo { Path = path, ShareNumber = i + 1, Count = shares.Count, Threshold = Threshold, SplitId = splitId, SecretId = current.Id, Fingerprint = current.Fingerprint });
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is SsoSecretException)
            {
                // A split is whole or absent: shares of a split that was not all written are removed.
                foreach (var file in written)
                {
                    IO.TextFile.Remove(file);
                }

                if (e is SsoSecretException known && known.Failure != SsoSecretFailure.WriteFailed)
                {
                    throw known;
                }

                throw new SsoSecretException(SsoSecretFailure.WriteFailed, $"The shares could not be written to '{folder}'; none was kept: {e.Message}", folder, e);
            }

            WriteVerbose($"Split master secret {current.Id} into {shares.Count} shares (split {splitId}), any {Threshold} of which restore it.");
            foreach (var info in infos)
            {
                WriteObject(info);
            }
        },
        terminating: true);

    /// <summary>The passphrase's bytes (SLIP-0039 takes printable ASCII; its reader says so otherwise).</summary>
    internal static PasswordBytes PassphraseBytes(SecureString passphrase)
    {
        try
        {
            return PasswordBytes.From(passphrase);
        }
        catch (ArgumentException e)
        {
            throw new SsoSecretException(SsoSecretFailure.InvalidPassphrase, e.Message);
        }
    }
}
