using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using SsoSecret.Commands;
using SsoSecret.Recovery;

namespace SsoSecret.Internal;

/// <summary>
/// Gathers recovery shares into the master secret, as a restore from custodians needs: the shares given (files or
/// words) first; then, when they are too few and a person is at the prompt, each further share typed in turn (shown as
/// typed at a local console, but kept off the transcript: see <see cref="Prompt.ReadOffTheRecord"/>), with the distinct
/// shares accepted and the count still needed shown before each question. A typed share that is mistyped, or of another
/// split, is refused and asked again; one given already is not counted twice; a wrong passphrase is asked again. Without a prompt, too few shares are <see cref="SsoSecretFailure.TooFewShares"/>, saying what is missing.
/// </summary>
internal sealed class ShareRecovery
{
    private readonly PSCmdlet _cmdlet;
    private readonly string _target;
    private readonly List<string> _shares = new();
    private readonly List<string> _sources = new();
    private int _typed;

    internal ShareRecovery(PSCmdlet cmdlet, string target)
    {
        _cmdlet = cmdlet;
        _target = target;
    }

    /// <summary>Adds each share read from a file (a share sheet, or a file of words).</summary>
    internal void AddFile(string path)
    {
        _shares.Add(ShareInput.ReadFile(path));
        _sources.Add(path);
    }

    /// <summary>Adds a share given as its words.</summary>
    internal void AddWords(string words)
    {
        _shares.Add(ShareSheet.ReadWords(words));
        _sources.Add($"share {_shares.Count}");
    }

    /// <summary>
    /// Combines the shares (asking for more, and for the passphrase, where a person can answer), or throws the
    /// failure of the shares, naming the file or the position of the share at fault.
    /// </summary>
    internal RecoveredSecret Combine(SecureString? passphrase)
    {
        bool canPrompt = Prompt.CanPrompt(_cmdlet);
        PasswordBytes? typedPassphrase = null;
        int passphraseTries = 0;
        try
        {
            while (true)
            {
                ShareSetStatus? status = null;
                if (_shares.Count > 0)
                {
                    try
                    {
                        using var given = passphrase is null ? null : SplitSsoMasterSecretCommand.PassphraseBytes(passphrase);
                        var recovered = SecretShares.TryCombine(_shares, (typedPassphrase ?? given)?.Bytes, out status);
                        if (recovered is not null)
                        {
                            return recovered;
                        }

                        if (_typed > 0 && status is not null && status.Shares.Count == _shares.Count && status.Shares[_shares.Count - 1] is { IsDuplicate: true } again)
                        {
                            // The share just typed was given already: it does not count twice, and is not kept.
                            _shares.RemoveAt(_shares.Count - 1);
                            _sources.RemoveAt(_sources.Count - 1);
                            _typed--;
                            HostText.WriteLine(_cmdlet, $"That share ({ShareInput.Name(again, status)}) was accepted already; it does not count twice. Type another share.");
                            continue;
                        }
                    }
                    catch (ShareException e) when (canPrompt && IsLastTyped(e) && e.Failure is SsoSecretFailure.DamagedShare or SsoSecretFailure.MixedShares)
                    {
                        // The share just typed is refused, and asked again; the shares before it stand.
                        _shares.RemoveAt(_shares.Count - 1);
                        _sources.RemoveAt(_sources.Count - 1);
                        _typed--;
                        // The failure names the share by its place among those given ("Share 3"), which reads as a sheet's number.
                        string place = $"Share {e.ShareNumber} ";
                        string why = e.Message.StartsWith(place, System.StringComparison.Ordinal) ? "The share typed " + e.Message.Substring(place.Length) : e.Message;
                        HostText.WriteLine(_cmdlet, why + " That share was not taken; type it again.");
                        continue;
                    }
                    catch (ShareException e) when (canPrompt && passphrase is null && e.Failure == SsoSecretFailure.WrongPassphrase && passphraseTries < Passwords.Tries)
                    {
                        passphraseTries++;
                        HostText.WriteLine(_cmdlet, passphraseTries == 1
                            ? "The shares combine, but not without a passphrase: the split was made with one."
                            : "That passphrase does not open the shares. " + Passwords.TryAgain(passphraseTries - 1));
                        typedPassphrase?.Dispose();
                        using var typed = Prompt.ReadSecure(_cmdlet, "Passphrase of the split", _target, "-Passphrase <SecureString>");
                        typedPassphrase = SplitSsoMasterSecretCommand.PassphraseBytes(typed);
                        continue;
                    }
                    catch (ShareException e)
                    {
                        throw Named(e);
                    }
                }

                string missing = status is null ? "No recovery share was given." : ShareInput.Describe(status);
                if (!canPrompt)
                {
                    throw new ShareException(ShareFailure.TooFewShares, missing, status: status);
                }

                HostText.WriteLine(_cmdlet, missing);
                string words = ReadShare();
                if (words.Length == 0)
                {
                    throw new ShareException(ShareFailure.TooFewShares, missing + " No more shares were typed; nothing was restored.", status: status);
                }

                _shares.Add(words);
                _typed++;
                _sources.Add($"typed share {_typed}");
            }
        }
        finally
        {
            typedPassphrase?.Dispose();
        }
    }

    private string ReadShare() =>
        ShareSheet.ReadWords(Prompt.ReadOffTheRecord(_cmdlet, "Words of the next share (20 or 33 words; an empty line to stop)", _target, "-SharePath or -Share with enough shares"));

    private bool IsLastTyped(ShareException e) => _typed > 0 && e.ShareNumber == _shares.Count;

    /// <summary>The failure with the share at fault named by its file (or its place), never by its words.</summary>
    private SsoSecretException Named(ShareException e) =>
        e.ShareNumber is int n && n >= 1 && n <= _sources.Count && !e.Message.Contains(_sources[n - 1])
            ? new ShareException(e.Outcome, $"{_sources[n - 1]}: {e.Message}", e.ShareNumber, e.WordNumber, e.Mismatch, e.Status)
            : e;
}
