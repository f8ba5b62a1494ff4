using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Security;
using System.Threading.Tasks;
using Microsoft.PowerShell.Commands;
using SsoSecret.Internal;

namespace SsoSecret.Commands;

/// <summary>What every SsoSecret command shares: the store, paths, passwords, prompts, progress and errors.</summary>
public abstract class SsoSecretCommandBase : PSCmdlet
{
    private const int MinimumPasswordCharacters = 8;
    private static readonly TimeSpan s_progressDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <para type="description">The secret store folder. Without it: $env:SSOSECRET_STORE, else the platform default.</para>
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>Runs one step, turning the module's failures into error records: written, or thrown when terminating.</summary>
    private protected void Run(Action step, bool allErrorsTerminating)
    {
        try
        {
            step();
        }
        catch (Exception e) when (Translate(e) is SsoSecretErrorException error)
        {
            if (allErrorsTerminating || error.Terminating)
            {
                ThrowTerminatingError(error.Record);
            }
            else
            {
                WriteError(error.Record);
            }
        }
    }

    /// <summary>Maps the library's exceptions to error records; anything else (a bug) passes through unchanged.</summary>
    private static SsoSecretErrorException? Translate(Exception e) => e switch
    {
        SsoSecretErrorException known => known,
        StoreException store => StoreError(store),
        Crypto.KdfUnavailableException kdf => SsoSecretErrorException.Create(
            ErrorIds.KdfUnavailable, kdf.Message, ErrorCategory.ResourceUnavailable, null, "Fix or remove $env:SSOSECRET_KDF and $env:SSOSECRET_ARGON2_LIBRARY, as the message says.", terminating: true, inner: kdf),
        _ => null,
    };

    private protected static SsoSecretErrorException StoreError(StoreException e)
    {
        var (id, category) = ErrorIds.For(e.Failure);
        string action = e.Failure switch
        {
            StoreFailure.Insecure => "Restrict the store to its owner, as the message says.",
            StoreFailure.Busy => "Wait for the other SsoSecret command to finish, then try again.",
            StoreFailure.NoSecret => "Create a secret with New-SsoMasterSecret, or restore one with Restore-SsoMasterSecret.",
            StoreFailure.Unavailable => "Check the store path (-StorePath or $env:SSOSECRET_STORE) and its permissions.",
            _ => "Restore the master secret from a backup into a new store.",
        };
        return SsoSecretErrorException.Create(id, e.Message, category, e.Path, action, terminating: true, inner: e);
    }

    private protected static SsoSecretErrorException BackupError(BackupException e, string path)
    {
        var (id, category, action) = ErrorIds.For(e.Failure);
        return SsoSecretErrorException.Create(id, $"{e.Message} File: '{path}'.", category, path, action, inner: e);
    }

    private protected static SsoSecretErrorException NoSecretError(string storePath) => SsoSecretErrorException.Create(
        ErrorIds.NoMasterSecret,
        $"The secret store '{storePath}' holds no master secret.",
        ErrorCategory.ObjectNotFound,
        storePath,
        "Create one with New-SsoMasterSecret -BackupPath <file>, or restore one with Restore-SsoMasterSecret <file>.",
        terminating: true);

    /// <summary>
    /// Another process installed or replaced the secret between this command's look at the store and its change:
    /// what was agreed to replace is no longer there, so nothing is replaced, -Force or not.
    /// </summary>
    private protected static SsoSecretErrorException ChangedMeanwhileError(string storePath, Guid? seen, Guid now, string consequence) => SsoSecretErrorException.Create(
        ErrorIds.MasterSecretExists,
        seen is null
            ? $"Another process installed master secret {now} in the store '{storePath}' while this command ran; {consequence}."
            : $"Another process replaced master secret {seen} with {now} in the store '{storePath}' while this command ran; {consequence}.",
        ErrorCategory.ResourceExists,
        storePath,
        "Check the store's secret (Get-SsoMasterSecret), then run the command again if it should still be replaced.",
        terminating: true);

    /// <summary>The store this call works on: -StorePath, else $env:SSOSECRET_STORE, else the platform default.</summary>
    private protected MasterSecretStore OpenStore()
    {
        string? chosen = StorePath;
        string source = "-StorePath";
        if (string.IsNullOrEmpty(chosen))
        {
            chosen = Environment.GetEnvironmentVariable(MasterSecretStore.PathVariable);
            source = "$env:" + MasterSecretStore.PathVariable;
        }

        string path;
        if (string.IsNullOrEmpty(chosen))
        {
            path = MasterSecretStore.DefaultPath();
            source = "the platform default";
        }
        else
        {
            path = ResolveLiteralPath(chosen!, terminating: true);
        }

        WriteVerbose($"Secret store: {path} (from {source}).");
        return new MasterSecretStore(path);
    }

    /// <summary>
    /// Resolves a path that need not exist, relative to PowerShell's current location, and refuses paths on providers
    /// other than the file system.
    /// </summary>
    private protected string ResolveLiteralPath(string path, bool terminating)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException || e is ProviderNotFoundException || e is NotSupportedException || e is ArgumentException)
        {
            throw SsoSecretErrorException.Create(
                ErrorIds.PathNotFileSystem,
                $"The path '{path}' is not a file system path: {e.Message}",
                ErrorCategory.InvalidArgument,
                path,
                "Give a path on a file system drive.",
                terminating);
        }

        CheckFileSystem(provider, path, terminating);
        return resolved;
    }

    private protected static void CheckFileSystem(ProviderInfo provider, string path, bool terminating)
    {
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            throw SsoSecretErrorException.Create(
                ErrorIds.PathNotFileSystem,
                $"The path '{path}' is on the {provider.Name} provider; SsoSecret reads and writes files on the file system only.",
                ErrorCategory.InvalidArgument,
                path,
                "Give a path on a file system drive.",
                terminating);
        }
    }

    /// <summary>The password as UTF-8 bytes, from -Password or -Credential, or asked for through the host.</summary>
    private protected PasswordBytes ObtainPassword(SecureString? password, PSCredential? credential, string target, string? hint)
    {
        var given = password ?? credential?.Password;
        if (given is null)
        {
            if (!string.IsNullOrEmpty(hint))
            {
                WriteHostLine("Password reminder : " + hint);
            }

            given = PromptSecure($"Password for '{target}'", target);
        }
        else if (!string.IsNullOrEmpty(hint))
        {
            WriteVerbose("Password reminder : " + hint);
        }

        return ToBytes(given, null);
    }

    /// <summary>
    /// The password for a new backup, checked: from -Password or -Credential, or asked for twice through the host,
    /// followed by the hint when none was given. Returns the hint to use.
    /// </summary>
    private protected PasswordBytes ObtainNewPassword(SecureString? password, PSCredential? credential, string target, ref string? hint)
    {
        if (hint is not null)
        {
            CheckHint(hint);
        }

        var given = password ?? credential?.Password;
        if (given is null)
        {
            var first = PromptSecure($"New password for the backup '{target}' (at least {MinimumPasswordCharacters} characters)", target);
            var second = PromptSecure("Confirm the password", target);
            using (var a = ToBytes(first, null))
            using (var b = ToBytes(second, null))
            {
                if (!a.SameAs(b))
                {
                    throw SsoSecretErrorException.Create(
                        ErrorIds.PasswordMismatch,
                        "The two passwords differ.",
                        ErrorCategory.InvalidArgument,
                        target,
                        "Run the command again and type the same password twice.",
                        terminating: true);
                }
            }

            if (hint is null)
            {
                hint = PromptLine("Password reminder (a hint shown when the backup is opened; it must not contain the password)", target);
                CheckHint(hint);
            }

            given = first;
        }

        hint ??= string.Empty;
        var bytes = ToBytes(given, hint);
        try
        {
            if (bytes.Characters < MinimumPasswordCharacters)
            {
                throw SsoSecretErrorException.Create(
                    ErrorIds.WeakPassword,
                    bytes.Characters == 0
                        ? "The password is empty. A backup needs a password."
                        : $"The password is shorter than {MinimumPasswordCharacters} characters.",
                    ErrorCategory.InvalidArgument,
                    target,
                    $"Choose a password of at least {MinimumPasswordCharacters} characters; a passphrase of several words is best.",
                    terminating: true);
            }

            if (bytes.HintRevealsPassword)
            {
                // The hint holds the password, and the error record would carry it along in its invocation
                // information ($Error, ConvertTo-Json, Export-Clixml, remoting): withhold it there.
                WithholdBoundParameter("PasswordHint");
                throw SsoSecretErrorException.Create(
                    ErrorIds.HintRevealsPassword,
                    "The password hint contains the password. Anyone who reads the backup's header would read the password.",
                    ErrorCategory.InvalidArgument,
                    target,
                    "Give a hint that reminds you of the password without containing it.",
                    terminating: true);
            }

            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    private void WithholdBoundParameter(string name)
    {
        if (MyInvocation.BoundParameters.ContainsKey(name))
        {
            MyInvocation.BoundParameters[name] = "(withheld: it contains the password)";
        }
    }

    private static void CheckHint(string hint)
    {
        string? problem = BackupEnvelope.CheckHint(hint);
        if (problem is not null)
        {
            bool tooLong = problem.Contains("at most") || problem.Contains("bytes in UTF-8");
            throw SsoSecretErrorException.Create(
                tooLong ? ErrorIds.HintTooLong : ErrorIds.InvalidHint,
                problem,
                ErrorCategory.InvalidArgument,
                null,
                tooLong ? $"Shorten the hint to at most {BackupEnvelope.MaxHintCharacters} characters." : "Use printable text in the hint.",
                terminating: true);
        }
    }

    private static PasswordBytes ToBytes(SecureString password, string? hint)
    {
        try
        {
            return PasswordBytes.From(password, hint);
        }
        catch (ArgumentException e)
        {
            throw SsoSecretErrorException.Create(ErrorIds.InvalidPassword, e.Message, ErrorCategory.InvalidArgument, null, "Type the password again.", terminating: true);
        }
    }

    /// <summary>True when the host can ask the user something without hanging.</summary>
    private bool CanPrompt()
    {
        if (Host?.UI is null)
        {
            return false;
        }

        // A console host whose input is a pipe or a file would read the password from it, or wait forever.
        return !(string.Equals(Host.Name, "ConsoleHost", StringComparison.Ordinal) && Console.IsInputRedirected);
    }

    private SecureString PromptSecure(string prompt, string target)
    {
        return Prompt(() =>
        {
            Host.UI.Write(prompt + ": ");
            return Host.UI.ReadLineAsSecureString();
        }, target);
    }

    private string PromptLine(string prompt, string target)
    {
        return Prompt(() =>
        {
            Host.UI.Write(prompt + ": ");
            return Host.UI.ReadLine() ?? string.Empty;
        }, target);
    }

    private T Prompt<T>(Func<T> ask, string target)
    {
        var required = SsoSecretErrorException.Create(
            ErrorIds.PasswordRequired,
            "A password is needed, and this session cannot ask for one (it is not interactive).",
            ErrorCategory.InvalidOperation,
            target,
            "Pass -Password <SecureString> or -Credential <PSCredential>.",
            terminating: true);
        if (!CanPrompt())
        {
            throw required;
        }

        try
        {
            return ask();
        }
        catch (Exception e) when (e is PSInvalidOperationException || e is System.Management.Automation.Host.HostException || e is NotImplementedException || e is PSNotImplementedException || e is InvalidOperationException)
        {
            throw required;
        }
    }

    /// <summary>Writes a line to the host, as ssoconfig prints the password reminder.</summary>
    private protected void WriteHostLine(string message)
    {
        WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST" });
    }

    /// <summary>
    /// Asks whether to make a change. -WhatIf always wins; -Force without an explicit -Confirm skips the question,
    /// so unattended callers need no -Confirm:$false; a question the host cannot ask becomes a clear error.
    /// </summary>
    private protected bool ShouldChange(string target, string action, bool force)
    {
        if (force && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
        {
            if (IsWhatIf())
            {
                ShouldProcess(target, action);
                return false;
            }

            return true;
        }

        try
        {
            return ShouldProcess(target, action);
        }
        catch (Exception e) when (e is PSInvalidOperationException || e is System.Management.Automation.Host.HostException || e is NotImplementedException || e is PSNotImplementedException || e is NullReferenceException)
        {
            throw SsoSecretErrorException.Create(
                ErrorIds.ConfirmationRequired,
                $"This change needs confirmation, and this session cannot ask for it: {action} on '{target}'.",
                ErrorCategory.InvalidOperation,
                target,
                "Pass -Force (or -Confirm:$false) to make the change without a question.",
                terminating: true);
        }
    }

    /// <summary>Asks before replacing something of value; false when the host cannot ask.</summary>
    private protected bool ConfirmReplace(string query, string caption)
    {
        try
        {
            return CanPrompt() && ShouldContinue(query, caption);
        }
        catch (Exception e) when (e is PSInvalidOperationException || e is System.Management.Automation.Host.HostException || e is NotImplementedException || e is PSNotImplementedException || e is NullReferenceException)
        {
            return false;
        }
    }

    private bool IsWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value))
        {
            return LanguagePrimitives.IsTrue(value);
        }

        return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
    }

    /// <summary>
    /// Runs the KDF-bound work on a worker thread and, once it has taken longer than a second, reports progress from
    /// the pipeline thread (the only one allowed to write). The work itself is not slowed.
    /// </summary>
    private protected T RunKdf<T>(string activity, KdfParameters kdf, Func<T> work)
    {
        // The implementation is chosen (and a native one self-tested) here, on the first derivation of the process.
        var implementation = Crypto.Argon2.Active;
        WriteVerbose($"Deriving the key with {kdf}, implementation {implementation.Name}: {implementation.Reason}.");
        var watch = Stopwatch.StartNew();
        var task = Task.Run(work);
        var progress = new ProgressRecord(0x550, activity, kdf.ToString());
        bool shown = false;
        // Task.WaitAny does not throw when the work fails (Task.Wait would wrap the failure in an AggregateException);
        // GetResult below rethrows the work's own exception, so callers see a BackupException as it was thrown.
        while (Task.WaitAny(new Task[] { task }, 100) < 0)
        {
            if (watch.Elapsed >= s_progressDelay)
            {
                progress.StatusDescription = string.Format(CultureInfo.InvariantCulture, "Deriving the key ({0}): {1:0.0} s", kdf, watch.Elapsed.TotalSeconds);
                WriteProgress(progress);
                shown = true;
            }
        }

        if (shown)
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0}: done in {1:0} ms.", activity, watch.Elapsed.TotalMilliseconds));

        return task.GetAwaiter().GetResult();
    }

    private protected static SsoMasterSecretInfo ToInfo(StoreState state, string storePath)
    {
        var current = state.Current ?? throw new InvalidOperationException("The store holds no secret.");
        var backup = state.LastBackupOfCurrent;
        return new SsoMasterSecretInfo
        {
            SecretId = current.Id,
            Fingerprint = current.Fingerprint,
            Created = current.Created.UtcDateTime,
            StorePath = storePath,
            LastBackupTime = backup?.Time.UtcDateTime,
            LastBackupPath = backup?.Path,
            HasPreviousSecret = state.Previous is not null,
            PreviousSecretId = state.Previous?.Id,
            PreviousSecretReplaced = state.Previous?.Replaced?.UtcDateTime,
        };
    }

    private protected static SsoSecretBackupInfo ToInfo(BackupHeader header, string path, long length) => new()
    {
        Path = path,
        FormatVersion = header.Version,
        Created = header.Created.UtcDateTime,
        PasswordHint = header.Hint,
        SecretId = header.SecretId,
        Fingerprint = header.Fingerprint,
        SecretLength = header.SecretLength,
        Kdf = header.Kdf,
        Armored = header.Armored,
        Length = length,
    };

    /// <summary>The KDF parameters for a new backup: explicit ones (no weaker than the floor) or a profile's.</summary>
    private protected static KdfParameters ChooseKdf(KdfProfile profile, KdfParameters? parameters, bool profileGiven)
    {
        if (parameters is null)
        {
            return KdfParameters.FromProfile(profile);
        }

        if (profileGiven)
        {
            throw SsoSecretErrorException.Create(
                ErrorIds.WeakKdf,
                "Give either -KdfProfile or -KdfParameters, not both.",
                ErrorCategory.InvalidArgument,
                parameters,
                "Drop one of the two parameters.",
                terminating: true);
        }

        if (!parameters.MeetsFloor)
        {
            var floor = KdfParameters.FromProfile(KdfProfile.Interactive);
            throw SsoSecretErrorException.Create(
                ErrorIds.WeakKdf,
                $"The KDF parameters ({parameters}) are weaker than the Interactive profile ({floor}), the floor for a backup.",
                ErrorCategory.InvalidArgument,
                parameters,
                $"Use at least {floor.MemoryKiB / 1024} MiB and {floor.Iterations} passes.",
                terminating: true);
        }

        return parameters;
    }

    /// <summary>Refuses a backup target that is a folder, sits in a missing folder, or exists (without -Force).</summary>
    private protected static void CheckTarget(string path, bool force)
    {
        if (Directory.Exists(path))
        {
            throw SsoSecretErrorException.Create(ErrorIds.PathIsFolder, $"'{path}' is a folder; give the path of the backup file to write.", ErrorCategory.InvalidArgument, path, "Add a file name to the path.");
        }

        string? folder = System.IO.Path.GetDirectoryName(path);
        if (folder is null || !Directory.Exists(folder))
        {
            throw SsoSecretErrorException.Create(ErrorIds.WriteFailed, $"The folder of '{path}' does not exist.", ErrorCategory.ObjectNotFound, path, "Create the folder first, or choose another path.");
        }

        if (!force && File.Exists(path))
        {
            throw BackupExistsError(path);
        }
    }

    private static SsoSecretErrorException BackupExistsError(string path) => SsoSecretErrorException.Create(
        ErrorIds.BackupExists,
        $"The file '{path}' already exists. SsoSecret never overwrites a file unless told to.",
        ErrorCategory.ResourceExists,
        path,
        "Choose another path, or pass -Force to replace the file once the new backup is proven good.");

    /// <summary>Writes a verified backup of a stored secret, mapping every failure to a clear error.</summary>
    private protected BackupHeader WriteBackup(string path, StoredSecret secret, PasswordBytes password, string hint, KdfParameters kdf, bool armor, bool force)
    {
        try
        {
            return RunKdf(
                "Writing the backup " + path,
                kdf,
                () => IO.BackupFile.Write(path, secret.Secret, secret.Id, hint, password.Bytes, kdf, armor, force));
        }
        catch (IOException) when (!force && File.Exists(path))
        {
            throw BackupExistsError(path);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is BackupException)
        {
            throw SsoSecretErrorException.Create(
                ErrorIds.WriteFailed,
                $"The backup '{path}' could not be written and verified; the path was left as it was: {e.Message}",
                ErrorCategory.WriteError,
                path,
                "Check the folder's free space and permissions, then try again.",
                inner: e);
        }
    }

    /// <summary>Reads a backup file for the envelope reader, mapping a missing file or a folder to clear errors.</summary>
    private protected static byte[] ReadBackupFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw SsoSecretErrorException.Create(ErrorIds.PathIsFolder, $"'{path}' is a folder, not a backup file.", ErrorCategory.InvalidArgument, path, "Give the path of a backup file.");
        }

        if (!File.Exists(path))
        {
            throw SsoSecretErrorException.Create(ErrorIds.BackupNotFound, $"The backup file '{path}' does not exist.", ErrorCategory.ObjectNotFound, path, "Check the path.");
        }

        try
        {
            return IO.BackupFile.ReadBounded(path);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw SsoSecretErrorException.Create(ErrorIds.ReadFailed, $"The backup file '{path}' cannot be read: {e.Message}", ErrorCategory.ReadError, path, "Check the file's permissions.", inner: e);
        }
    }
}
