using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;
using SsoSecret.Recovery;

namespace SsoSecret.Commands;

/// <summary>
/// The custodians' drill: checks recovery shares without restoring anything: every share valid, and enough of them
/// restore the master secret (its id and fingerprint, compared with the store's).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SsoSecretShare", DefaultParameterSetName = PathSet)]
[OutputType(typeof(bool))]
[OutputType(typeof(SsoSecretShareTestResult))]
public sealed class TestSsoSecretShareCommand : SsoSecretCommandBase
{
    private const string PathSet = "Path";
    private const string ShareSet = "Share";

    private readonly List<string> _shares = new();
    private readonly List<string> _sources = new();

    /// <summary>Share files (sheets written by Split-SsoMasterSecret, or files of words); wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName")]
    [FileSystemPathTransformation(EscapeWildcards = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Shares as their words, one string per share.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ShareSet)]
    [ValidateNotNullOrEmpty]
    public string[] Share { get; set; } = Array.Empty<string>();

    /// <summary>The SLIP-0039 passphrase the shares were made with, if any.</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }

    /// <summary>Outputs a result object (which shares, what is missing, the secret's id and fingerprint) instead of a Boolean.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ShareSet)
        {
            foreach (string share in Share)
            {
                _shares.Add(ShareSheet.ReadWords(share));
                _sources.Add($"share {_shares.Count}");
            }

            return;
        }

        foreach (string given in Path)
        {
            Run(
                () =>
                {
                    foreach (string file in PathHelper.ResolveFiles(this, given))
                    {
                        _shares.Add(ShareInput.ReadFile(file));
                        _sources.Add(file);
                    }
                },
                terminating: false);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var result = Check();
        WriteVerbose(result.Message);
        if (!result.IsValid && !Detailed)
        {
            WriteWarning(result.Message);
        }

        WriteObject(Detailed ? result : result.IsValid);
    }

    private SsoSecretShareTestResult Check()
    {
        var result = new SsoSecretShareTestResult { SharesGiven = _shares.Count };
        try
        {
            using var passphrase = Passphrase is null ? null : SplitSsoMasterSecretCommand.PassphraseBytes(Passphrase);
            using var recovered = SecretShares.TryCombine(_shares, passphrase?.Bytes, out var status);
            Describe(result, status);
            if (recovered is null)
            {
                result.Failure = SsoSecretFailure.TooFewShares;
                result.Message = ShareInput.Describe(status);
                return result;
            }

            result.IsValid = true;
            result.SecretId = recovered.Id;
            result.Fingerprint = SecretFingerprint.ToHex(recovered.Fingerprint);
            result.MatchesCurrentSecret = MatchesStore(recovered);
            result.Message = ShareInput.Describe(status) + $" They restore master secret {recovered.Id} (fingerprint {result.Fingerprint})"
                + (result.MatchesCurrentSecret switch
                {
                    true => ", the store's current secret.",
                    false => ", which is not the store's current secret.",
                    _ => "; the store holds no secret to compare it with.",
                });
        }
        catch (SsoSecretException e)
        {
            result.Failure = e.Failure;
            result.Message = e is ShareException { ShareNumber: int n } && n >= 1 && n <= _sources.Count ? $"{_sources[n - 1]}: {e.Message}" : e.Message;
            if (e is ShareException { Status: ShareSetStatus status })
            {
                Describe(result, status);
            }
        }

        return result;
    }

    private static void Describe(SsoSecretShareTestResult result, ShareSetStatus status)
    {
        result.SplitId = status.Identifier;
        result.ShareNumbers = status.Shares.Where(s => !s.IsDuplicate).Select(s => s.MemberNumber).ToArray();
        result.SharesNeeded = status.MinimumSharesNeeded;
        if (status.GroupCount == 1 && status.Groups.Count == 1)
        {
            result.Threshold = status.Groups[0].MemberThreshold;
        }
    }

    private bool? MatchesStore(RecoveredSecret recovered)
    {
        try
        {
            using var state = OpenStore().Read();
            return state.Current is null ? null : state.Current.Id == recovered.Id && state.Current.SameSecretAs(recovered.Secret);
        }
        catch (StoreException e)
        {
            WriteWarning("The secret store could not be read, so the shares are not compared with its secret: " + e.Message);
            return null;
        }
    }
}
