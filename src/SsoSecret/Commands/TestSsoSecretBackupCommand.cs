using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>Checks backups without restoring or writing anything: integrity, and with a password that it opens and holds the current secret.</summary>
[Cmdlet(VerbsDiagnostic.Test, "SsoSecretBackup", DefaultParameterSetName = PathSet)]
[OutputType(typeof(bool))]
[OutputType(typeof(SsoSecretBackupTestResult))]
public sealed class TestSsoSecretBackupCommand : BackupFileCommandBase, IDisposable
{
    private const string TextSet = "Text";

    private readonly ArmoredTextInput _text = new();
    private PasswordBytes? _password;
    private bool _storeRead;
    private StoreState? _state;
    private bool _warned;
    private string? _keyPath;
    private byte[]? _keyData;
    private RecoveryKeyHeader? _keyHeader;
    private UnlockedRecoveryKey? _key;
    private BackupException? _unread;

    /// <summary>
    /// A backup's armored text instead of files (Backup-SsoMasterSecret -Armor's output, as kept in a password manager):
    /// one string, or its lines. It is tested as one backup.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[] ArmoredText { get; set; } = Array.Empty<string>();

    /// <summary>The backup password: with it, the test also proves that the password opens each backup.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary>The backup password as a credential; the user name is ignored.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Outputs a result object per file instead of a Boolean.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <summary>The most KDF memory a backup may ask for, in MiB (default: 1024, the Sensitive profile).</summary>
    [Parameter]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <summary>The secret store whose current secret the backups are compared with (with a password). Without it: $env:SSOSECRET_STORE, else the platform default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>A recovery key file: with it, the test also proves that the key opens each backup sealed to recovery keys.</summary>
    [Parameter]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? RecoveryKeyPath { get; set; }

    /// <summary>The recovery key file's password. Without it, the key's hint is shown and the password asked for.</summary>
    [Parameter]
    public SecureString? RecoveryKeyPassword { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        Run(
            () =>
            {
                if (Password is not null && Credential is not null)
                {
                    throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "Give either -Password or -Credential, not both.");
                }

                var given = Password ?? Credential?.Password;
                if (given is not null)
                {
                    _password = Passwords.Given(given);
                }

                if (RecoveryKeyPassword is not null && RecoveryKeyPath is null)
                {
                    throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "-RecoveryKeyPassword is the password of the key file given with -RecoveryKeyPath, and -RecoveryKeyPath is missing.");
                }

                if (RecoveryKeyPath is not null)
                {
                    // Read (not unlocked) at once, so a missing or damaged key file stops the call before any backup is read.
                    _keyPath = PathHelper.ResolveLiteral(this, RecoveryKeyPath);
                    (_keyData, _keyHeader) = RecoveryKeys.Read(_keyPath);
                }
            },
            terminating: true);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == TextSet)
        {
            // Collected whole (given at once, or line by line), and tested once it has all come.
            foreach (string piece in ArmoredText)
            {
                _text.Add(piece);
            }

            return;
        }

        foreach (string path in InputFiles())
        {
            Report(path, () => IO.BackupFile.Read(path));
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_text.HasText)
        {
            Report(ArmoredTextInput.Name, _text.ToBytes);
        }
    }

    /// <summary>Tests one backup, read by <paramref name="read"/>, and writes its result.</summary>
    private void Report(string path, Func<byte[]> read)
    {
        // Test reports every failure of a backup in its result; what escapes it concerns the key file, and the call.
        SsoSecretBackupTestResult? result = null;
        Run(() => result = Test(path, read), terminating: true);
        if (result is null)
        {
            return;
        }

        WriteVerbose($"{path}: {result.Status}. {result.Message}");
        if (!Detailed && _unread is not null)
        {
            // A file that could not be read was not tested: a bare False would read as "a bad backup" (a mistyped
            // path above all). -Detailed says it in its Status (NotFound, Unreadable).
            WriteError(ErrorCatalog.ToRecord(_unread));
            _unread = null;
        }
        else if (!Detailed && _password is null && !_warned)
        {
            // A bare True reads as "verified". Said once per call, before the first result, on the warning stream:
            // the person who misreads it would not have asked for -Verbose.
            _warned = true;
            WriteWarning("Without a password, Test-SsoSecretBackup checks only that each file is an intact backup (its structure and checksum), "
                + "not that a password opens it. Give -Password or -Credential to prove that, and -Detailed for a result that names each file.");
        }

        WriteObject(Detailed ? result : result.IsValid);
    }

    private SsoSecretBackupTestResult Test(string path, Func<byte[]> read)
    {
        var result = new SsoSecretBackupTestResult { Path = path };
        try
        {
            var data = read();
            var header = BackupEnvelope.ReadHeader(data);
            result.FormatVersion = header.Version;
            result.SecretId = header.SecretId;
            result.Fingerprint = header.Fingerprint;
            result.Created = header.Created.UtcDateTime;
            result.PasswordHint = header.Hint;
            result.Kdf = header.Kdf;
            result.Kind = header.Kind;
            result.Status = SsoSecretBackupStatus.Valid;
            result.Message = "The backup is intact (checked without a password).";
            byte[] secret;
            if (header.Kind == SsoSecretBackupKind.Recipients)
            {
                result.Message = "The backup is intact (checked without a recovery key).";
                if (_keyHeader is null)
                {
                    if (_password is not null)
                    {
                        throw RecoveryKeys.NeedsRecoveryKey(header, path);
                    }

                    return result;
                }

                RecoveryKeys.CheckSealedTo(header, path, _keyHeader);
                var key = UnlockedKey();
                secret = IO.RecoveryFiles.OpenBackup(data, key.PrivateKey, path);
                result.RecoveryKeyVerified = true;
            }
            else
            {
                if (_password is null)
                {
                    if (_keyHeader is not null)
                    {
                        RecoveryKeys.CheckSealedTo(header, path, _keyHeader);
                    }

                    return result;
                }

                var limits = KdfLimitParameter.Limits(MaximumKdfMemoryMiB);
                var password = _password;
                secret = KdfRunner.Run(this, "Testing the backup " + path, header.Kdf!, () => BackupEnvelope.Open(data, password.Bytes, limits, out _));
                result.PasswordVerified = true;
            }

            try
            {
                var current = CurrentState()?.Current;
                result.MatchesCurrentSecret = current is null ? null : current.Id == header.SecretId && current.SameSecretAs(secret);
                bool sameIdOtherSecret = current is not null && current.Id == header.SecretId && result.MatchesCurrentSecret == false;
                result.Message = "The backup is intact and opens with the " + (result.RecoveryKeyVerified ? "recovery key" : "password")
                    + (result.MatchesCurrentSecret switch
                    {
                        true => "; it holds the store's current secret.",
                        false when sameIdOtherSecret => $"; but it holds a different secret under the id of the store's current secret ({header.SecretId}): it was not made from this store's secret (anyone with a recovery public key line can write a backup). Do not restore it.",
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
            result.Status = ErrorCatalog.Status(e.Failure);
            result.Message = e.Message;
            if (e.Failure is SsoSecretFailure.BackupNotFound or SsoSecretFailure.ReadFailed)
            {
                _unread = e;
            }
        }

        return result;
    }

    /// <summary>The recovery key, unlocked once per call when the first backup sealed to it is met (its password asked then).</summary>
    private UnlockedRecoveryKey UnlockedKey() =>
        _key ??= RecoveryKeys.Unlock(this, _keyPath!, _keyData!, _keyHeader!, RecoveryKeyPassword, KdfLimitParameter.Limits(MaximumKdfMemoryMiB));

    /// <summary>The store's state, read once per call; a store that cannot be read gives a warning, not a failure.</summary>
    private StoreState? CurrentState()
    {
        if (!_storeRead)
        {
            _storeRead = true;
            try
            {
                _state = StoreLocation.Open(this, StorePath).Read();
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
        _key?.Dispose();
        _key = null;
    }
}
