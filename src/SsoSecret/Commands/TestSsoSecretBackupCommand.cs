using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>
/// <para type="synopsis">Checks backups without restoring or writing anything: integrity, and with a password that it opens and holds the current secret.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SsoSecretBackup", DefaultParameterSetName = PathSet)]
[OutputType(typeof(bool))]
[OutputType(typeof(SsoSecretBackupTestResult))]
public sealed class TestSsoSecretBackupCommand : BackupFileCommandBase, IDisposable
{
    private PasswordBytes? _password;
    private bool _storeRead;
    private StoreState? _state;

    /// <summary><para type="description">The backup password: with it, the test also proves that the password opens each backup.</para></summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary><para type="description">The backup password as a credential; the user name is ignored.</para></summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary><para type="description">Outputs a result object per file instead of a Boolean.</para></summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <summary><para type="description">The most KDF memory a backup may ask for, in MiB (default: 1024, the Sensitive profile).</para></summary>
    [Parameter]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (Password is not null && Credential is not null)
        {
            ThrowTerminatingError(SsoSecretErrorException.Create(
                ErrorIds.InvalidPassword,
                "Give either -Password or -Credential, not both.",
                ErrorCategory.InvalidArgument,
                null).Record);
        }

        var given = Password ?? Credential?.Password;
        if (given is not null)
        {
            Run(() => _password = ObtainPassword(given, null, "backup", null), allErrorsTerminating: true);
        }
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputFiles())
        {
            var result = Test(path);
            WriteVerbose($"{path}: {result.Status}. {result.Message}");
            WriteObject(Detailed ? result : result.IsValid);
        }
    }

    private SsoSecretBackupTestResult Test(string path)
    {
        var result = new SsoSecretBackupTestResult { Path = path };
        if (Directory.Exists(path))
        {
            result.Status = SsoSecretBackupStatus.NotABackup;
            result.Message = "The path is a folder.";
            return result;
        }

        if (!File.Exists(path))
        {
            result.Status = SsoSecretBackupStatus.NotFound;
            result.Message = "The file does not exist.";
            return result;
        }

        byte[] data;
        try
        {
            data = IO.BackupFile.ReadBounded(path);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            result.Status = SsoSecretBackupStatus.NotFound;
            result.Message = "The file cannot be read: " + e.Message;
            return result;
        }

        try
        {
            var header = BackupEnvelope.ReadHeader(data);
            result.FormatVersion = header.Version;
            result.SecretId = header.SecretId;
            result.Fingerprint = header.Fingerprint;
            result.Created = header.Created.UtcDateTime;
            result.PasswordHint = header.Hint;
            result.Kdf = header.Kdf;
            result.Status = SsoSecretBackupStatus.Valid;
            result.Message = "The backup is intact (checked without a password).";
            if (_password is null)
            {
                return result;
            }

            var limits = MaximumKdfMemoryMiB > 0 ? KdfLimits.FromMemoryMiB(MaximumKdfMemoryMiB) : KdfLimits.Default;
            var password = _password;
            var secret = RunKdf("Testing the backup " + path, header.Kdf, () => BackupEnvelope.Open(data, password.Bytes, limits, out _));
            try
            {
                result.PasswordVerified = true;
                var current = CurrentState()?.Current;
                result.MatchesCurrentSecret = current is null ? null : current.Id == header.SecretId && current.SameSecretAs(secret);
                result.Message = "The backup is intact and opens with the password"
                    + (result.MatchesCurrentSecret switch
                    {
                        true => "; it holds the store's current secret.",
                        false => "; it does not hold the store's current secret.",
                        _ => "; the store holds no secret to compare it with.",
                    });
            }
            finally
            {
                Memory.Zero(secret);
            }
        }
        catch (BackupException e)
        {
            result.Status = ErrorIds.StatusFor(e.Failure);
            result.Message = e.Message;
        }

        return result;
    }

    /// <summary>The store's state, read once per call; a store that cannot be read gives a warning, not a failure.</summary>
    private StoreState? CurrentState()
    {
        if (!_storeRead)
        {
            _storeRead = true;
            try
            {
                _state = OpenStore().Read();
            }
            catch (StoreException e)
            {
                WriteWarning("The secret store could not be read, so the backups are not compared with its secret: " + e.Message);
            }
        }

        return _state;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _password?.Dispose();
        _password = null;
        _state?.Dispose();
        _state = null;
    }
}
