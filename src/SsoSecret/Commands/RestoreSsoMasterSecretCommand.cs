using System;
using System.Linq;
using System.Management.Automation;
using System.Security;
using SsoSecret.Internal;
using SsoSecret.Recovery;

namespace SsoSecret.Commands;

/// <summary>Installs the master secret from a backup into the store, as ssoconfig -restoreSecret.</summary>
[Cmdlet(VerbsData.Restore, "SsoMasterSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = PathSet)]
[OutputType(typeof(SsoMasterSecretInfo))]
public sealed class RestoreSsoMasterSecretCommand : StoreCommandBase
{
    private const string PathSet = "Path";
    private const string PathCredentialSet = "PathCredential";
    private const string LiteralPathSet = "LiteralPath";
    private const string LiteralPathCredentialSet = "LiteralPathCredential";
    private const string SharePathSet = "SharePath";
    private const string ShareSet = "Share";
    private const string TextSet = "Text";
    private const string TextCredentialSet = "TextCredential";

    private readonly ArmoredTextInput _text = new();

    /// <summary>
    /// The backup file; wildcards are expanded, and must match one file. A string or a FileInfo; relative to the current
    /// location. Text piped here that starts with the armor's BEGIN line is the backup's armored text itself.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathCredentialSet)]
    [Alias("FullName")]
    [FileSystemPathTransformation(EscapeWildcards = true)]
    [SupportsWildcards]
    [AllowEmptyString]
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// The backup's armored text instead of a file (Backup-SsoMasterSecret -Armor's output, pasted from a password
    /// manager): one string, or its lines.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [Parameter(Mandatory = true, ParameterSetName = TextCredentialSet)]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[] ArmoredText { get; set; } = Array.Empty<string>();

    /// <summary>The backup file, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathCredentialSet)]
    [Alias("PSPath", "LP")]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>The backup password. Without it (or -Credential), the hint is shown and the password asked for.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SecureString? Password { get; set; }

    /// <summary>The backup password as a credential; the user name is ignored.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathCredentialSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathCredentialSet)]
    [Parameter(Mandatory = true, ParameterSetName = TextCredentialSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Replaces a different secret in the store without asking (it is kept as the previous secret), and skips the confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Outputs the store's secret information after the restore.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The most KDF memory the backup may ask for, in MiB (default: 1024, the Sensitive profile).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = PathCredentialSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = LiteralPathCredentialSet)]
    [Parameter(ParameterSetName = TextSet)]
    [Parameter(ParameterSetName = TextCredentialSet)]
    [ValidateRange(1, 16384)]
    public int MaximumKdfMemoryMiB { get; set; }

    /// <summary>For a backup sealed to recovery keys: the recovery key file (its private key) that opens it.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = PathCredentialSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = LiteralPathCredentialSet)]
    [Parameter(ParameterSetName = TextSet)]
    [Parameter(ParameterSetName = TextCredentialSet)]
    [FileSystemPathTransformation]
    [ValidateNotNullOrEmpty]
    public string? RecoveryKeyPath { get; set; }

    /// <summary>
    /// Recovery share files (sheets written by Split-SsoMasterSecret, or files of a share's words) to restore the secret
    /// from, instead of a backup; wildcards are expanded. Too few, at a prompt, and the others are asked for.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = SharePathSet)]
    [FileSystemPathTransformation(EscapeWildcards = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] SharePath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Recovery shares as their words, one string per share, instead of a backup. Too few (even none: -Share @()), at a
    /// prompt, and the others are asked for, each typed in turn.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ShareSet)]
    [AllowEmptyCollection]
    public string[] Share { get; set; } = Array.Empty<string>();

    /// <summary>The SLIP-0039 passphrase the shares were made with, if any (asked for at a prompt when the shares need one).</summary>
    [Parameter(ParameterSetName = SharePathSet)]
    [Parameter(ParameterSetName = ShareSet)]
    public SecureString? Passphrase { get; set; }

    /// <summary>The recovery key file's password. Without it, the key's hint is shown and the password asked for.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = PathCredentialSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = LiteralPathCredentialSet)]
    [Parameter(ParameterSetName = TextSet)]
    [Parameter(ParameterSetName = TextCredentialSet)]
    public SecureString? RecoveryKeyPassword { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Run(
        () =>
        {
            if (ParameterSetName is SharePathSet or ShareSet)
            {
                RestoreFromShares();
                return;
            }

            // Armored text (given, or piped where a path goes) is collected whole, and restored once it has all come.
            if (ParameterSetName is TextSet or TextCredentialSet)
            {
                foreach (string piece in ArmoredText)
                {
                    _text.Add(piece);
                }

                return;
            }

            if (ParameterSetName is PathSet or PathCredentialSet && _text.TakePiped(Path))
            {
                return;
            }

            RestoreBackup(BackupPath());
        },
        terminating: true);

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_text.HasText)
        {
            Run(() => RestoreBackup(path: null), terminating: true);
        }
    }

    /// <summary>Restores from a backup file (<paramref name="path"/>), or from the armored text given (null).</summary>
    private void RestoreBackup(string? path)
    {
            if (RecoveryKeyPassword is not null && RecoveryKeyPath is null)
            {
                throw new SsoSecretException(SsoSecretFailure.ConflictingParameters, "-RecoveryKeyPassword is the password of the key file given with -RecoveryKeyPath, and -RecoveryKeyPath is missing.");
            }

            var store = OpenStore();
            using (var early = store.Read())
            {
                // Reading the store first finds an insecure or damaged store, or a replica, before the backup is read.
                store.RefuseOnReplica(early, "restore a secret");
            }

            // A backup given as text is named so in messages and prompts, and is no file to record as the last backup.
            string name = path ?? ArmoredTextInput.Name;
            string described = path is null ? ArmoredTextInput.Name : $"the backup '{path}'";
            var data = path is null ? _text.ToBytes() : IO.BackupFile.Read(path);
            var header = path is null ? BackupEnvelope.ReadHeader(data) : IO.BackupFile.ReadHeader(data, path);
            var seen = Before(store, header.SecretId, header.Fingerprint, described);
            var (currentId, currentFingerprint) = (seen.Id, seen.Fingerprint);
            string? caution = header.Kind == SsoSecretBackupKind.Recipients
                ? $"{(path is null ? "The armored text" : $"The backup '{path}'")} is sealed to recovery keys: anyone who has a recovery public key line can write such a backup, so it proves nothing about who wrote it. Its secret's fingerprint is {header.Fingerprint}; {(currentFingerprint is null ? "the store holds no secret" : "the store's current secret's is " + currentFingerprint)}. Restore it only if that fingerprint is one you recorded."
                : null;
            if (caution is not null)
            {
                WriteVerbose(caution);
            }

            var limits = KdfLimitParameter.Limits(MaximumKdfMemoryMiB);
            var recoveryKey = RecoveryKeyPath is not null || header.Kind == SsoSecretBackupKind.Recipients ? ReadRecoveryKey(header, name) : null;
            byte[] Open(byte[] password) => path is null ? BackupEnvelope.Open(data, password, limits, out _) : IO.BackupFile.Open(data, password, limits, path);
            if (recoveryKey is null && !limits.Allows(header.Kdf!))
            {
                // The reader refuses it before any KDF runs; refused here before the password is asked for.
                Open(Array.Empty<byte>());
            }

            // What would happen is decided from the header (the secret's id and fingerprint), readable without the
            // password: -WhatIf says it without asking one or running the KDF, and the questions come before the
            // password. Opening the backup then proves the header (it is authenticated), and what was decided is
            // checked again against the opened secret and the store as it is then.
            bool replaceConfirmed = false;
            if (currentId == header.SecretId && string.Equals(currentFingerprint, header.Fingerprint, StringComparison.OrdinalIgnoreCase))
            {
                if (IsWhatIf())
                {
                    HostText.WriteLine(this, $"What if: the store '{store.Path}' already holds master secret {header.SecretId} (fingerprint {header.Fingerprint}); nothing would be changed.");
                    return;
                }
            }
            else if (!Confirm(store.Path, path is null ? ArmoredTextInput.Name : $"'{path}'", seen, header.SecretId, header.Fingerprint, ref replaceConfirmed, caution))
            {
                return;
            }

            byte[] secret = recoveryKey is not null
                ? OpenWithRecoveryKey(data, name, recoveryKey.Value, limits)
                : Passwords.Open(
                    this,
                    Password ?? Credential?.Password,
                    name,
                    header.Hint,
                    password => KdfRunner.Run(this, "Opening " + described, header.Kdf!, () => Open(password.Bytes)),
                    PasswordParameters);

            using var restored = new StoredSecret(header.SecretId, header.Created, secret);
            // The file it came from is a backup of it, proven good just now: it is recorded as the last backup. Text is
            // no file: nothing is recorded.
            Install(store, restored, currentId, replaceConfirmed, path is null ? ArmoredTextInput.Name : $"'{path}'", path is null ? null : new BackupRecord(header.Created, restored.Id, path));
    }

    /// <summary>
    /// Restores from recovery shares: the shares given (and, at a prompt, those typed, with what was given and what is
    /// still needed shown before each), combined; then asked about and installed as a backup's secret is. Shares carry
    /// no creation time: the restored secret's Created is the time of the restore, and a backup recorded earlier of the
    /// same secret stays recorded.
    /// </summary>
    private void RestoreFromShares()
    {
        const string From = "the recovery shares";
        var store = OpenStore();
        using (var early = store.Read())
        {
            // An insecure or damaged store, or a replica, is found before any share is asked for.
            store.RefuseOnReplica(early, "restore a secret");
        }

        var gathered = new ShareRecovery(this, store.Path);
        if (ParameterSetName == SharePathSet)
        {
            foreach (string given in SharePath)
            {
                foreach (string file in PathHelper.ResolveFiles(this, given))
                {
                    gathered.AddFile(file);
                }
            }
        }
        else
        {
            foreach (string words in Share)
            {
                gathered.AddWords(words);
            }
        }

        using var recovered = gathered.Combine(Passphrase);
        string fingerprint = SecretFingerprint.ToHex(recovered.Fingerprint);
        WriteVerbose(ShareInput.Describe(recovered.Status) + $" They hold master secret {recovered.Id} (fingerprint {fingerprint}).");
        var seen = Before(store, recovered.Id, fingerprint, From);
        var (currentId, currentFingerprint) = (seen.Id, seen.Fingerprint);
        bool replaceConfirmed = false;
        if (currentId == recovered.Id && string.Equals(currentFingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            if (IsWhatIf())
            {
                HostText.WriteLine(this, $"What if: the store '{store.Path}' already holds master secret {recovered.Id} (fingerprint {fingerprint}); nothing would be changed.");
                return;
            }
        }
        else if (!Confirm(store.Path, From, seen, recovered.Id, fingerprint, ref replaceConfirmed))
        {
            return;
        }

        using var restored = new StoredSecret(recovered.Id, DateTimeOffset.UtcNow, (byte[])recovered.Secret.Clone());
        Install(store, restored, currentId, replaceConfirmed, From, record: null);
    }

    /// <summary>
    /// Installs the opened secret, unless the store holds it already. What was decided before it was opened is checked
    /// again against the store as it is now: a store that changed meanwhile is asked about again.
    /// </summary>
    private void Install(MasterSecretStore store, StoredSecret restored, Guid? currentId, bool replaceConfirmed, string from, BackupRecord? record)
    {
        Guid? confirmedCurrent;
        using (var current = store.Read())
        {
            confirmedCurrent = current.Current?.Id;
            if (store.IdConflict(current, restored.Id, restored.Fingerprint, from) is StoreException conflict)
            {
                throw conflict;
            }

            if (current.Current is not null && current.Current.Id == restored.Id && current.Current.SameSecretAs(restored.Secret))
            {
                HostText.WriteLine(this, $"The store already holds master secret {restored.Id} (fingerprint {restored.Fingerprint}); nothing was changed.");
                if (PassThru)
                {
                    WriteObject(Output.SecretInfo(current, store));
                }

                return;
            }

            // Not what was decided before (the store changed meanwhile): asked about what it holds now.
            if ((confirmedCurrent != currentId || (confirmedCurrent is not null && !replaceConfirmed))
                && !Confirm(store.Path, from, Seen.Of(current, restored.Id), restored.Id, restored.Fingerprint, ref replaceConfirmed))
            {
                return;
            }
        }

        if (!store.Restore(restored, confirmedCurrent, record, out var after, out var vault))
        {
            HostText.WriteLine(this, $"The store already holds master secret {restored.Id}; nothing was changed.");
        }

        RingText.ReportVault(this, vault, restored.Id);

        using (after)
        {
            WriteVerbose($"The operation completed successfully: master secret {restored.Id} restored into '{store.Path}'.");
            if (PassThru)
            {
                WriteObject(Output.SecretInfo(after, store));
            }
        }
    }

    /// <summary>
    /// Asks before the change: into an empty store, only when the caller asks for questions (-Confirm, or a
    /// $ConfirmPreference of Medium or lower), since nothing is replaced; over a different secret, one question
    /// (<see cref="SsoSecretCommandBase.ConfirmReplacement"/>: No by default, and a No changes nothing), unless -Force.
    /// Both say what the key ring keeps. False under -WhatIf, or when the answer is No.
    /// </summary>
    private bool Confirm(string storePath, string from, Seen seen, Guid restoredId, string fingerprint, ref bool replaceConfirmed, string? caution = null)
    {
        string warning = caution is null ? string.Empty : " " + caution;
        if (seen.Id is null)
        {
            return ShouldChange(storePath, $"Restore master secret {restoredId} (fingerprint {fingerprint}) from {from}.{seen.Ring}{warning}", Force, ConfirmImpact.Medium);
        }

        string action = $"Replace master secret {seen.Id} (fingerprint {seen.Fingerprint}) with {restoredId} (fingerprint {fingerprint}) from {from}.{seen.Ring}{warning}";
        if (!ConfirmReplacement(
            storePath,
            action,
            $"The store '{storePath}' holds master secret {seen.Id} (fingerprint {seen.Fingerprint}), not the one in {from}: {restoredId} (fingerprint {fingerprint}). Make {restoredId} the current secret?{seen.Ring}{warning}",
            Force,
            ConfirmImpact.High,
            () => new StoreException(
                SsoSecretFailure.MasterSecretExists,
                storePath,
                $"The store '{storePath}' holds master secret {seen.Id}, not {restoredId} from {from}; it was not replaced. Replacing it takes -Force (or an answer at a prompt).")))
        {
            return false;
        }

        replaceConfirmed = true;
        return true;
    }

    /// <summary>
    /// The store as the caller saw it before anything was asked: its current secret's id and fingerprint, and what
    /// installing the restored secret would do to its key ring.
    /// </summary>
    private readonly struct Seen
    {
        private Seen(Guid? id, string? fingerprint, string ring)
        {
            Id = id;
            Fingerprint = fingerprint;
            Ring = ring;
        }

        internal Guid? Id { get; }

        internal string? Fingerprint { get; }

        internal string Ring { get; }

        internal static Seen Of(StoreState state, Guid restoredId) =>
            new(state.Current?.Id, state.Current?.Fingerprint, RingText.Install(state, restoredId));
    }

    /// <summary>
    /// The store as it is before anything is asked; a store whose key ring holds the secret to restore's id with other
    /// bytes is refused at once (<see cref="SsoSecretFailure.SecretIdConflict"/>), and a full ring too
    /// (<see cref="SsoSecretFailure.KeyRingFull"/>), before any password or question.
    /// </summary>
    private static Seen Before(MasterSecretStore store, Guid restoredId, string fingerprint, string from)
    {
        using var before = store.Read();
        if (store.IdConflict(before, restoredId, fingerprint, from) is StoreException conflict)
        {
            throw conflict;
        }

        if (before.Current?.Id != restoredId)
        {
            store.RequireRoom(before, restoredId, "nothing was changed");
        }

        return Seen.Of(before, restoredId);
    }

    /// <summary>The one backup file this call names: -LiteralPath as it is, or -Path's wildcards matching one file.</summary>
    private string BackupPath()
    {
        if (ParameterSetName is PathSet or PathCredentialSet && Path.Length == 0)
        {
            throw new SsoSecretException(SsoSecretFailure.BackupNotFound, "No backup was given: -Path is empty.", Path);
        }

        if (ParameterSetName is LiteralPathSet or LiteralPathCredentialSet)
        {
            return PathHelper.ResolveLiteral(this, LiteralPath);
        }

        var files = PathHelper.ResolveFiles(this, Path);
        if (files.Count > 1)
        {
            const int Shown = 5;
            string names = string.Join(", ", files.Take(Shown).Select(f => "'" + System.IO.Path.GetFileName(f) + "'")) + (files.Count > Shown ? ", ..." : string.Empty);
            throw new SsoSecretException(
                SsoSecretFailure.AmbiguousPath,
                $"The path '{Path}' matches {files.Count} files ({names}); Restore-SsoMasterSecret restores one backup.",
                Path);
        }

        return files[0];
    }

    /// <summary>
    /// For a backup sealed to recovery keys, or with -RecoveryKeyPath: reads the key file and checks the kinds and
    /// fingerprints, before any question and before the key's password is asked for, so a wrong key or a password
    /// backup costs no KDF run (and -WhatIf asks for nothing).
    /// </summary>
    private (string Path, byte[] Data, RecoveryKeyHeader Header)? ReadRecoveryKey(BackupHeader header, string path)
    {
        if (Password is not null || Credential is not null)
        {
            if (RecoveryKeyPath is not null)
            {
                throw new SsoSecretException(
                    SsoSecretFailure.ConflictingParameters,
                    "Give either a backup password (-Password, -Credential) or -RecoveryKeyPath, not both; the key file's password is -RecoveryKeyPassword.");
            }

            throw RecoveryKeys.NeedsRecoveryKey(header, path);
        }

        if (RecoveryKeyPath is null)
        {
            throw RecoveryKeys.NeedsRecoveryKey(header, path);
        }

        string keyPath = PathHelper.ResolveLiteral(this, RecoveryKeyPath);
        var (keyData, keyHeader) = RecoveryKeys.Read(keyPath);
        RecoveryKeys.CheckSealedTo(header, path, keyHeader);
        return (keyPath, keyData, keyHeader);
    }

    /// <summary>Unlocks the recovery key (its password given, or asked for) and opens the backup with it.</summary>
    private byte[] OpenWithRecoveryKey(byte[] data, string path, (string Path, byte[] Data, RecoveryKeyHeader Header) recoveryKey, KdfLimits limits)
    {
        using var key = RecoveryKeys.Unlock(this, recoveryKey.Path, recoveryKey.Data, recoveryKey.Header, RecoveryKeyPassword, limits);
        WriteVerbose($"Opening the backup with recovery key {recoveryKey.Header.PublicKey.Fingerprint}.");
        return IO.RecoveryFiles.OpenBackup(data, key.PrivateKey, path);
    }
}
