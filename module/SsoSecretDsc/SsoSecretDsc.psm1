<#
    Class-based DSC resources for SsoSecret: SsoMasterSecret, SsoMasterSecretBackup and SsoReplica.

    The root module of SsoSecretDsc, a module of its own: the DSC engines find class resources by parsing the RootModule
    script named in a module's manifest (and by creating the classes through that module), so the classes live here
    rather than in SsoSecret, whose root module is a loader. They do their work through SsoSecret's cmdlets (the
    manifest's RequiredModules), so a DSC run behaves exactly as the commands do at the prompt: the same checks, the
    same verified writes, the same error ids. docs/guide-dsc.md explains them.

    What an engine needs besides: an ordinary "not in the desired state" leaves no error record behind (not in $Error
    either); a real failure throws with the module's error id; Get() never returns the credential.

    Credential stays a [pscredential] property, and on purpose has no argument transformation attribute: the engines
    resolve every attribute of a [DscProperty()] when they parse this file, in a session where no type of ours is
    loaded, so a custom attribute would hide both resources from them. The engines convert credentials themselves,
    keyed on that declared type: DSC v3's PowerShell adapter turns { "username", "password" } into a PSCredential for
    a property declared [pscredential], and the Windows PowerShell LCM reads MSFT_Credential from the MOF.

    Written for Windows PowerShell 5.1 as well as PowerShell 7: no syntax newer than 5.1 (no ?., ??, ternaries).
    The functions below are private: the manifest exports no functions (FunctionsToExport = @()).
#>

enum SsoSecretEnsure {
    Present
    Absent
}

# Why a backup is not in the desired state: the Reason property of SsoMasterSecretBackup.Get(). Set() repairs Missing,
# Empty, WrongPassword, Damaged, Tampered, AnotherSecret, TooOld and HintChanged by writing a fresh backup. It refuses
# the reasons below, because the file may be something worth keeping that this module cannot judge: not a backup at
# all, a backup in a newer format, a backup that asks for more KDF memory than allowed, or a file it cannot read.
$script:RefusedReasons = @('NotABackup', 'UnsupportedVersion', 'KdfLimitExceeded', 'Unreadable')

function Get-SsoSecretCmdlet {
    <#
        SsoSecret's cmdlet by name. The resources run wherever this module was imported: at the prompt, by a DSC
        engine inside another module's scope or in a runspace of its own, or with `using module` on this file alone.
        So the cmdlet comes from the SsoSecret this module was imported with (its manifest's RequiredModules), else
        from an SsoSecret already loaded, and only when there is none is SsoSecret imported, by name through
        $env:PSModulePath, into this module's scope.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.CmdletInfo])]
    param([Parameter(Mandatory = $true)] [string] $Name)

    $candidates = @($ExecutionContext.SessionState.Module.RequiredModules | Where-Object { $_.Name -eq 'SsoSecret' }) +
        @(Get-Module -Name SsoSecret -All | Sort-Object -Property Version -Descending)
    foreach ($module in $candidates) {
        if ($module.ExportedCmdlets.ContainsKey($Name)) {
            return $module.ExportedCmdlets[$Name]
        }
    }

    $module = Import-Module -Name SsoSecret -PassThru -ErrorAction Stop -Verbose:$false
    $module.ExportedCmdlets[$Name]
}

function Remove-SsoDscHandledError {
    <#
        Takes the records of an error this module caught and handled back out of $Error. An engine may count what is
        in $Error as failures, and a handled error is an answer, not a failure: "the store holds no master secret" is
        how Test() learns that the store is not in the desired state. Only the records of that very exception go.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [System.Management.Automation.ErrorRecord] $Record)

    $errors = $global:Error
    for ($i = $errors.Count - 1; $i -ge 0; $i--) {
        $entry = $errors[$i]
        $exception = $entry
        if ($entry -is [System.Management.Automation.ErrorRecord]) { $exception = $entry.Exception }
        if ([object]::ReferenceEquals($exception, $Record.Exception)) {
            $errors.RemoveAt($i)
        }
    }
}

function Get-SsoDscUtcNow {
    # The clock that backup ages are measured against. A function of its own so that tests can move it (Pester Mock).
    [CmdletBinding()]
    [OutputType([datetime])]
    param()

    [datetime]::UtcNow
}

function New-SsoDscError {
    # An error record with a stable id, for the refusals the resources make themselves.
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)] [string] $ErrorId,
        [Parameter(Mandatory = $true)] [string] $Message,
        [Parameter(Mandatory = $true)] [System.Management.Automation.ErrorCategory] $Category,
        [object] $Target
    )

    $exception = New-Object -TypeName System.InvalidOperationException -ArgumentList $Message
    New-Object -TypeName System.Management.Automation.ErrorRecord -ArgumentList $exception, $ErrorId, $Category, $Target
}

function Assert-SsoDscPath {
    # DSC runs with a current location nobody chose (C:\Windows\System32 for the LCM): a relative path would land there.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Property,
        [AllowEmptyString()] [AllowNull()] [string] $Path,
        [switch] $Optional
    )

    if ([string]::IsNullOrEmpty($Path)) {
        if ($Optional) { return }
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscPropertyRequired' -Category InvalidArgument -Target $Property `
                -Message "The property $Property is required.")
    }

    if (-not [System.IO.Path]::IsPathRooted($Path)) {
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscRelativePath' -Category InvalidArgument -Target $Path `
                -Message "$Property '$Path' is a relative path. DSC resources need absolute paths, because the current location of a DSC run is not chosen by you.")
    }
}

function Assert-SsoDscPresent {
    # Neither resource ever deletes anything: a master secret or its backup, once lost, cannot be made again.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Resource,
        [Parameter(Mandatory = $true)] [SsoSecretEnsure] $Ensure,
        [string] $Target
    )

    if ($Ensure -ne [SsoSecretEnsure]::Present) {
        $what = if ($Resource -eq 'SsoMasterSecret') { 'a master secret' } else { 'a master secret backup' }
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscAbsentNotSupported' -Category InvalidArgument -Target $Target `
                -Message "$Resource does not support Ensure = 'Absent': SsoSecret never deletes $what, because a lost secret cannot be recovered. Remove it by hand if you really mean to.")
    }
}

function Assert-SsoDscCredential {
    [CmdletBinding()]
    param([AllowNull()] [pscredential] $Credential, [string] $Resource)

    if ($null -eq $Credential) {
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscPropertyRequired' -Category InvalidArgument -Target 'Credential' `
                -Message "$Resource needs the Credential property: its password protects the backup (the user name is ignored).")
    }
}

function Get-SsoDscMasterSecret {
    # The store's secret (SsoMasterSecretInfo), or $null when the store holds none. Other failures propagate.
    [CmdletBinding()]
    param([AllowEmptyString()] [AllowNull()] [string] $StorePath)

    $parameters = @{ ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue' }
    if (-not [string]::IsNullOrEmpty($StorePath)) { $parameters.StorePath = $StorePath }
    $getSecret = Get-SsoSecretCmdlet -Name 'Get-SsoMasterSecret'
    try {
        & $getSecret @parameters
    }
    catch {
        if ($_.FullyQualifiedErrorId -like 'SsoSecret.NoMasterSecret,*') {
            Remove-SsoDscHandledError -Record $_
            return $null
        }

        throw
    }
}

function Get-SsoDscBackupState {
    <#
        Everything SsoMasterSecretBackup knows about one backup file: whether it exists, what its header says, and the
        first reason it is not in the desired state ('Compliant' when it is). Runs the KDF once (the password check).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Path,
        [Parameter(Mandatory = $true)] [pscredential] $Credential,
        [AllowEmptyString()] [AllowNull()] [string] $StorePath,
        # Untyped on purpose: [string] would turn $null (not configured) into '' (configured empty).
        [AllowNull()] $PasswordHint,
        [int] $MaximumAge
    )

    $state = [ordered]@{
        Exists               = [System.IO.File]::Exists($Path) -or [System.IO.Directory]::Exists($Path)
        Reason               = 'Compliant'
        Message              = ''
        SecretId             = $null
        Fingerprint          = $null
        Created              = $null
        PasswordHint         = $null
        MatchesCurrentSecret = $null
    }

    if (-not $state.Exists) {
        $state.Reason = 'Missing'
        $state.Message = "The backup file '$Path' does not exist."
        return [pscustomobject]$state
    }

    $current = Get-SsoDscMasterSecret -StorePath $StorePath

    $parameters = @{ LiteralPath = $Path; Credential = $Credential; Detailed = $true; ErrorAction = 'Stop' }
    if (-not [string]::IsNullOrEmpty($StorePath)) { $parameters.StorePath = $StorePath }
    $testBackup = Get-SsoSecretCmdlet -Name 'Test-SsoSecretBackup'
    $result = & $testBackup @parameters

    if ($null -ne $result.SecretId) { $state.SecretId = $result.SecretId.ToString() }
    $state.Fingerprint = $result.Fingerprint
    $state.Created = $result.Created
    $state.PasswordHint = $result.PasswordHint
    $state.MatchesCurrentSecret = $result.MatchesCurrentSecret
    $state.Message = $result.Message

    $status = $result.Status.ToString()
    if ($status -eq 'NotABackup' -and [System.IO.File]::Exists($Path) -and (New-Object System.IO.FileInfo $Path).Length -eq 0) {
        # A 0-byte file is what a failed write leaves behind; nothing in it is worth keeping.
        $state.Reason = 'Empty'
    }
    elseif ($status -ne 'Valid') {
        $state.Reason = $status
    }
    elseif ($null -eq $current) {
        $state.Reason = 'NoMasterSecret'
        $state.Message = 'The secret store holds no master secret, so the backup cannot be compared with it.'
    }
    elseif (-not $result.MatchesCurrentSecret) {
        $state.Reason = 'AnotherSecret'
        $state.Message = "The backup holds master secret $($result.SecretId), not the store's current secret $($current.SecretId)."
    }
    else {
        $age = (Get-SsoDscUtcNow) - $result.Created
        if ($age -ge [timespan]::FromDays($MaximumAge)) {
            $state.Reason = 'TooOld'
            $state.Message = [string]::Format([System.Globalization.CultureInfo]::InvariantCulture,
                'The backup was written {0:u} ({1:0.0} days ago); MaximumAge is {2} days.', $result.Created, $age.TotalDays, $MaximumAge)
        }
        elseif ($null -ne $PasswordHint -and -not [string]::Equals($PasswordHint, $result.PasswordHint, [System.StringComparison]::Ordinal)) {
            $state.Reason = 'HintChanged'
            $state.Message = 'The backup holds another password hint than the one configured.'
        }
    }

    [pscustomobject]$state
}

[DscResource()]
class SsoMasterSecret {
    # The secret store folder (absolute path).
    [DscProperty(Key)]
    [string] $StorePath

    # Present: the store holds a master secret. Absent is refused: a master secret is never deleted.
    [DscProperty()]
    [SsoSecretEnsure] $Ensure = [SsoSecretEnsure]::Present

    # Where Set() writes the backup of a secret it generates (absolute path; an existing file is never overwritten).
    [DscProperty(Mandatory)]
    [string] $BackupPath

    # The backup's password (the user name is ignored).
    [DscProperty(Mandatory)]
    [pscredential] $Credential

    # The password reminder written, readable, into the backup.
    [DscProperty()]
    [string] $PasswordHint

    # The Argon2id cost of the backup: Interactive, Moderate (the module's default) or Sensitive.
    [DscProperty()]
    [ValidateSet('Interactive', 'Moderate', 'Sensitive')]
    [string] $KdfProfile

    [DscProperty(NotConfigurable)]
    [string] $SecretId

    [DscProperty(NotConfigurable)]
    [string] $Fingerprint

    [DscProperty(NotConfigurable)]
    [Nullable[datetime]] $Created

    [DscProperty(NotConfigurable)]
    [Nullable[datetime]] $LastBackupTime

    [DscProperty(NotConfigurable)]
    [string] $LastBackupPath

    [DscProperty(NotConfigurable)]
    [bool] $HasPreviousSecret

    # Compliant, or NoMasterSecret.
    [DscProperty(NotConfigurable)]
    [string] $Reason

    [SsoMasterSecret] Get() {
        Assert-SsoDscPath -Property 'StorePath' -Path $this.StorePath
        $info = Get-SsoDscMasterSecret -StorePath $this.StorePath

        $result = [SsoMasterSecret]::new()
        $result.StorePath = $this.StorePath
        $result.BackupPath = $this.BackupPath
        $result.PasswordHint = $this.PasswordHint
        if (-not [string]::IsNullOrEmpty($this.KdfProfile)) { $result.KdfProfile = $this.KdfProfile }
        # Never hand the password back: Get() output is logged, serialized and shown.
        $result.Credential = $null
        if ($null -eq $info) {
            $result.Ensure = [SsoSecretEnsure]::Absent
            $result.Reason = 'NoMasterSecret'
        }
        else {
            $result.Ensure = [SsoSecretEnsure]::Present
            $result.Reason = 'Compliant'
            $result.SecretId = $info.SecretId.ToString()
            $result.Fingerprint = $info.Fingerprint
            $result.Created = $info.Created
            $result.LastBackupTime = $info.LastBackupTime
            $result.LastBackupPath = $info.LastBackupPath
            $result.HasPreviousSecret = $info.HasPreviousSecret
        }

        return $result
    }

    [bool] Test() {
        Assert-SsoDscPresent -Resource 'SsoMasterSecret' -Ensure $this.Ensure -Target $this.StorePath
        Assert-SsoDscPath -Property 'StorePath' -Path $this.StorePath
        $info = Get-SsoDscMasterSecret -StorePath $this.StorePath
        if ($null -eq $info) {
            Write-Verbose "The secret store '$($this.StorePath)' holds no master secret."
            return $false
        }

        Write-Verbose "The secret store '$($this.StorePath)' holds master secret $($info.SecretId)."
        return $true
    }

    [void] Set() {
        Assert-SsoDscPresent -Resource 'SsoMasterSecret' -Ensure $this.Ensure -Target $this.StorePath
        Assert-SsoDscPath -Property 'StorePath' -Path $this.StorePath
        Assert-SsoDscPath -Property 'BackupPath' -Path $this.BackupPath
        Assert-SsoDscCredential -Credential $this.Credential -Resource 'SsoMasterSecret'

        $info = Get-SsoDscMasterSecret -StorePath $this.StorePath
        if ($null -ne $info) {
            # Never replace a secret: everything encrypted under it would need re-encrypting.
            Write-Verbose "The secret store '$($this.StorePath)' already holds master secret $($info.SecretId); it is left as it is."
            return
        }

        # No -Force: an existing file at BackupPath may be the only backup of a lost secret, so the cmdlet refuses
        # to overwrite it (SsoSecret.BackupExists) and the secret is not generated.
        $parameters = @{
            BackupPath  = $this.BackupPath
            Credential  = $this.Credential
            StorePath   = $this.StorePath
            Confirm     = $false
            PassThru    = $true
            ErrorAction = 'Stop'
        }
        if ($null -ne $this.PasswordHint) { $parameters.PasswordHint = $this.PasswordHint }
        if (-not [string]::IsNullOrEmpty($this.KdfProfile)) { $parameters.KdfProfile = $this.KdfProfile }

        $newSecret = Get-SsoSecretCmdlet -Name 'New-SsoMasterSecret'
        $installed = & $newSecret @parameters
        Write-Verbose "Generated master secret $($installed.SecretId) in '$($this.StorePath)'; its backup '$($this.BackupPath)' was written and verified."
    }
}

[DscResource()]
class SsoMasterSecretBackup {
    # The backup file (absolute path).
    [DscProperty(Key)]
    [string] $Path

    # The backup's password (the user name is ignored).
    [DscProperty(Mandatory)]
    [pscredential] $Credential

    # The secret store folder (absolute path). Empty: $env:SSOSECRET_STORE, else the platform default, as the cmdlets.
    [DscProperty()]
    [string] $StorePath

    # The password reminder. When set, a backup holding another hint is rewritten (Reason HintChanged).
    [DscProperty()]
    [string] $PasswordHint

    # The Argon2id cost of backups that Set() writes. Existing backups are not judged by it.
    [DscProperty()]
    [ValidateSet('Interactive', 'Moderate', 'Sensitive')]
    [string] $KdfProfile

    # The most days a backup may age, measured from the Created time inside the backup (not the file's time stamp).
    # 0 means any backup is too old.
    [DscProperty()]
    [ValidateRange(0, 36500)]
    [int] $MaximumAge = 30

    # Present: the file is a good, fresh backup of the current secret. Absent is refused: a backup is never deleted.
    [DscProperty()]
    [SsoSecretEnsure] $Ensure = [SsoSecretEnsure]::Present

    # Compliant, or why not: Missing, Empty, WrongPassword, Damaged, Tampered, NotABackup, UnsupportedVersion,
    # KdfLimitExceeded, Unreadable, NoMasterSecret, AnotherSecret, TooOld, HintChanged.
    [DscProperty(NotConfigurable)]
    [string] $Reason

    # The same, in words.
    [DscProperty(NotConfigurable)]
    [string] $Message

    [DscProperty(NotConfigurable)]
    [string] $SecretId

    [DscProperty(NotConfigurable)]
    [string] $Fingerprint

    # When the backup was written (UTC), from its header.
    [DscProperty(NotConfigurable)]
    [Nullable[datetime]] $Created

    [DscProperty(NotConfigurable)]
    [Nullable[bool]] $MatchesCurrentSecret

    [SsoMasterSecretBackup] Get() {
        $state = $this.Evaluate()

        $result = [SsoMasterSecretBackup]::new()
        $result.Path = $this.Path
        $result.StorePath = $this.StorePath
        # Never hand the password back: Get() output is logged, serialized and shown.
        $result.Credential = $null
        $result.PasswordHint = if ($null -ne $state.PasswordHint) { $state.PasswordHint } else { $this.PasswordHint }
        if (-not [string]::IsNullOrEmpty($this.KdfProfile)) { $result.KdfProfile = $this.KdfProfile }
        $result.MaximumAge = $this.MaximumAge
        $result.Ensure = if ($state.Exists) { [SsoSecretEnsure]::Present } else { [SsoSecretEnsure]::Absent }
        $result.Reason = $state.Reason
        $result.Message = $state.Message
        $result.SecretId = $state.SecretId
        $result.Fingerprint = $state.Fingerprint
        $result.Created = $state.Created
        $result.MatchesCurrentSecret = $state.MatchesCurrentSecret
        return $result
    }

    [bool] Test() {
        Assert-SsoDscPresent -Resource 'SsoMasterSecretBackup' -Ensure $this.Ensure -Target $this.Path
        $state = $this.Evaluate()
        Write-Verbose "Backup '$($this.Path)': $($state.Reason). $($state.Message)"
        return $state.Reason -eq 'Compliant'
    }

    [void] Set() {
        Assert-SsoDscPresent -Resource 'SsoMasterSecretBackup' -Ensure $this.Ensure -Target $this.Path
        $state = $this.Evaluate()
        if ($state.Reason -eq 'Compliant') {
            Write-Verbose "Backup '$($this.Path)' is in the desired state; nothing to do."
            return
        }

        if ($script:RefusedReasons -contains $state.Reason) {
            throw (New-SsoDscError -ErrorId 'SsoSecret.DscBackupNotReplaced' -Category ResourceExists -Target $this.Path `
                    -Message "'$($this.Path)' was not replaced ($($state.Reason): $($state.Message)). SsoSecret overwrites only its own backups that it can check. Move the file away, or choose another Path.")
        }

        Write-Verbose "Backup '$($this.Path)': $($state.Reason). Writing a fresh backup; an existing file is replaced only once the new one is proven good."
        # Backup-SsoMasterSecret -Force writes the new backup beside the old file, reads it back, verifies it, and
        # only then replaces the old file. A store without a secret fails here with SsoSecret.NoMasterSecret.
        $parameters = @{
            Path        = $this.Path
            Credential  = $this.Credential
            Force       = $state.Exists
            Confirm     = $false
            ErrorAction = 'Stop'
        }
        if (-not [string]::IsNullOrEmpty($this.StorePath)) { $parameters.StorePath = $this.StorePath }
        if ($null -ne $this.PasswordHint) { $parameters.PasswordHint = $this.PasswordHint }
        if (-not [string]::IsNullOrEmpty($this.KdfProfile)) { $parameters.KdfProfile = $this.KdfProfile }

        $backup = Get-SsoSecretCmdlet -Name 'Backup-SsoMasterSecret'
        & $backup @parameters
    }

    hidden [object] Evaluate() {
        Assert-SsoDscPath -Property 'Path' -Path $this.Path
        Assert-SsoDscPath -Property 'StorePath' -Path $this.StorePath -Optional
        Assert-SsoDscCredential -Credential $this.Credential -Resource 'SsoMasterSecretBackup'
        return Get-SsoDscBackupState -Path $this.Path -Credential $this.Credential -StorePath $this.StorePath `
            -PasswordHint $this.PasswordHint -MaximumAge $this.MaximumAge
    }
}

function Get-SsoDscReplicaState {
    <#
        Everything SsoReplica knows about one store and the ring published for it, changing nothing: the store's part in
        an environment (Get-SsoEnvironment), and, for a replica pinned to the configured master, the published ring's
        header proven with public keys only (Get-SsoSealedRing: sealed to this replica's host key, signed by the pinned
        master), compared with the ring the store holds. Reason is 'Compliant' or the first reason why not. A published
        file that the module refuses (damaged, tampered, another replica's, another master's, older than the held
        ring, forked) is a reason too, named by the module's failure (its error id without 'SsoSecret.'), never
        compliant; Set() then fails with that id.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $StorePath,
        [Parameter(Mandatory = $true)] [guid] $EnvironmentId,
        [Parameter(Mandatory = $true)] [string] $MasterPublicKey,
        [Parameter(Mandatory = $true)] [string] $SealedRingPath
    )

    $getEnvironment = Get-SsoSecretCmdlet -Name 'Get-SsoEnvironment'
    $environment = & $getEnvironment -StorePath $StorePath -ErrorAction Stop
    $state = [ordered]@{
        Role                = $environment.Role
        HostPublicKey       = $environment.HostPublicKey
        ReplicaFingerprint  = $environment.HostFingerprint
        Generation          = $environment.Generation
        Synced              = $environment.LastSync
        RingConfirmation    = $environment.RingConfirmation
        PublishedRing       = $null
        PublishedGeneration = $null
        Reason              = 'Compliant'
        Message             = ''
    }

    if ($environment.Role -eq 'Master') {
        $state.Reason = 'IsMaster'
        $state.Message = "The store '$StorePath' is the master of environment $($environment.EnvironmentId); a master never becomes a replica."
        return [pscustomobject]$state
    }

    if ($environment.Role -ne 'Replica') {
        if ($null -ne $environment.ActiveSecretId) {
            $state.Reason = 'HasOwnSecrets'
            $state.Message = "The store '$StorePath' holds master secrets of its own; a replica's ring comes only from its master, so it does not join."
        }
        else {
            $state.Reason = 'NotJoined'
            $state.Message = "The store '$StorePath' is not yet a replica of environment $EnvironmentId."
        }
        return [pscustomobject]$state
    }

    # The pin: the environment id, and the key line (Bech32m, canonical in lower case; the reader takes either case).
    $configuredKey = $MasterPublicKey.Trim().ToLowerInvariant()
    if ($environment.EnvironmentId -ne $EnvironmentId -or $environment.MasterPublicKey -ne $configuredKey) {
        $state.Reason = 'PinnedElsewhere'
        $state.Message = "The store '$StorePath' is a replica of environment $($environment.EnvironmentId), pinned to master $($environment.MasterFingerprint), not to the configured master of environment $EnvironmentId."
        return [pscustomobject]$state
    }

    $file = Get-SsoDscPublishedRingPath -SealedRingPath $SealedRingPath -ReplicaFingerprint $environment.HostFingerprint
    $state.PublishedRing = $file
    if (-not [System.IO.File]::Exists($file) -and -not [System.IO.Directory]::Exists($file)) {
        $state.Reason = 'NoRingPublished'
        $folder = Split-Path -Path $file -Parent
        $why = if ([System.IO.Directory]::Exists($folder)) { "'$file' does not exist" } else { "the folder '$folder' does not exist or cannot be reached from here" }
        $state.Message = "No ring is published for this replica: $why. Export-SsoSealedRing -Path on the master writes it, for the host public key $($environment.HostPublicKey)."
        return [pscustomobject]$state
    }

    $getRing = Get-SsoSecretCmdlet -Name 'Get-SsoSealedRing'
    try {
        $published = & $getRing -Path $file -StorePath $StorePath -ErrorAction Stop
    }
    catch {
        if ($_.FullyQualifiedErrorId -notlike 'SsoSecret.*') { throw }
        Remove-SsoDscHandledError -Record $_
        $state.Reason = ($_.FullyQualifiedErrorId -split ',')[0].Substring('SsoSecret.'.Length)
        $state.Message = $_.Exception.Message
        return [pscustomobject]$state
    }

    $state.PublishedGeneration = $published.Generation
    if ($published.Generation -gt $environment.Generation) {
        $state.Reason = 'Behind'
        $state.Message = "The replica holds ring generation $($environment.Generation); generation $($published.Generation) is published in '$file'."
    }
    elseif ($published.Generation -lt $environment.Generation) {
        $state.Reason = 'StaleRing'
        $state.Message = "The ring published in '$file' is of generation $($published.Generation), older than generation $($environment.Generation) that the replica holds: an old ring replayed, or the master went back. It is never installed."
    }
    elseif ($published.RingDigest -ne $environment.RingDigest) {
        $state.Reason = 'ForkedRing'
        $state.Message = "The ring published in '$file' is of generation $($published.Generation), the generation the replica holds, with other content: the master issued two rings of one generation. It is never installed."
    }
    else {
        $state.Message = "The replica holds ring generation $($environment.Generation), the ring published in '$file'."
    }

    [pscustomobject]$state
}

function Get-SsoDscPublishedRingPath {
    # The ring published for this replica: SealedRingPath itself when it names a file, else <fingerprint>.ssring in it.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)] [string] $SealedRingPath,
        [Parameter(Mandatory = $true)] [string] $ReplicaFingerprint
    )

    if ([System.IO.File]::Exists($SealedRingPath)) { return $SealedRingPath }
    Join-Path -Path $SealedRingPath -ChildPath ($ReplicaFingerprint + '.ssring')
}

function Assert-SsoDscReplicaProperty {
    # The properties SsoReplica needs, checked before anything is read: absolute paths, a GUID, a key line.
    [CmdletBinding()]
    [OutputType([guid])]
    param([Parameter(Mandatory = $true)] [object] $Resource)

    Assert-SsoDscPath -Property 'StorePath' -Path $Resource.StorePath
    Assert-SsoDscPath -Property 'SealedRingPath' -Path $Resource.SealedRingPath
    if ([string]::IsNullOrEmpty($Resource.MasterPublicKey)) {
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscPropertyRequired' -Category InvalidArgument -Target 'MasterPublicKey' `
                -Message 'The property MasterPublicKey is required: the master''s public key line (ssosecret-master1...), as Get-SsoEnvironment shows it on the master.')
    }

    $id = [guid]::Empty
    if (-not [guid]::TryParse([string]$Resource.EnvironmentId, [ref]$id) -or $id -eq [guid]::Empty) {
        throw (New-SsoDscError -ErrorId 'SsoSecret.DscInvalidEnvironmentId' -Category InvalidArgument -Target $Resource.EnvironmentId `
                -Message "EnvironmentId '$($Resource.EnvironmentId)' is not an environment id: give the GUID that Get-SsoEnvironment shows on the master (EnvironmentId).")
    }

    $id
}

[DscResource()]
class SsoReplica {
    # The secret store folder (absolute path) that is to be a replica.
    [DscProperty(Key)]
    [string] $StorePath

    # The environment's id (a GUID), as Get-SsoEnvironment shows it on the master.
    [DscProperty(Mandatory)]
    [string] $EnvironmentId

    # The master's public key line (ssosecret-master1...). Its fingerprint was confirmed on the master by whoever wrote
    # the configuration: this line is the pin, taken without a question.
    [DscProperty(Mandatory)]
    [string] $MasterPublicKey

    # Where the master publishes the sealed rings (absolute path): a folder, from which the ring
    # <ReplicaFingerprint>.ssring is read, or the sealed ring file itself.
    [DscProperty(Mandatory)]
    [string] $SealedRingPath

    # None, Replica or Master.
    [DscProperty(NotConfigurable)]
    [string] $Role

    # This replica's host public key line: hand it to the master, which publishes the ring sealed to it.
    [DscProperty(NotConfigurable)]
    [string] $HostPublicKey

    # This replica's host key fingerprint: the published ring's file name is <ReplicaFingerprint>.ssring.
    [DscProperty(NotConfigurable)]
    [string] $ReplicaFingerprint

    # The generation of the ring the store holds (0: none yet).
    [DscProperty(NotConfigurable)]
    [long] $Generation

    # The generation of the ring published for this replica, once its signature is proven.
    [DscProperty(NotConfigurable)]
    [Nullable[long]] $PublishedGeneration

    # The last time a ring was installed or found current (UTC); before the first, the join.
    [DscProperty(NotConfigurable)]
    [Nullable[datetime]] $Synced

    # The replica's confirmation, for its master, that it holds its ring (a MAC only a holder of the ring can make): the
    # master activates a staged secret only with one from every replica it has sealed its ring to
    # (Enable-SsoStagedSecret -Confirmation, on the master).
    [DscProperty(NotConfigurable)]
    [string] $RingConfirmation

    # Compliant, or why not: NotJoined, HasOwnSecrets, IsMaster, PinnedElsewhere, NoRingPublished, Behind, StaleRing,
    # ForkedRing, or another refusal of the published file by the module (DamagedSealedRing, TamperedSealedRing,
    # WrongReplica, UnknownMaster, UnsupportedVersion, NotARegularFile, ReadFailed, PathIsFolder, ...).
    [DscProperty(NotConfigurable)]
    [string] $Reason

    # The same, in words.
    [DscProperty(NotConfigurable)]
    [string] $Message

    [SsoReplica] Get() {
        $state = $this.Evaluate()
        $result = [SsoReplica]::new()
        $result.StorePath = $this.StorePath
        $result.EnvironmentId = $this.EnvironmentId
        $result.MasterPublicKey = $this.MasterPublicKey
        $result.SealedRingPath = $this.SealedRingPath
        $result.Role = $state.Role
        $result.HostPublicKey = $state.HostPublicKey
        $result.ReplicaFingerprint = $state.ReplicaFingerprint
        $result.Generation = $state.Generation
        $result.PublishedGeneration = $state.PublishedGeneration
        $result.Synced = $state.Synced
        $result.RingConfirmation = $state.RingConfirmation
        $result.Reason = $state.Reason
        $result.Message = $state.Message
        return $result
    }

    [bool] Test() {
        $state = $this.Evaluate()
        Write-Verbose "Replica '$($this.StorePath)': $($state.Reason). $($state.Message)"
        return $state.Reason -eq 'Compliant'
    }

    [void] Set() {
        $id = Assert-SsoDscReplicaProperty -Resource $this
        $state = Get-SsoDscReplicaState -StorePath $this.StorePath -EnvironmentId $id -MasterPublicKey $this.MasterPublicKey -SealedRingPath $this.SealedRingPath
        if ($state.Reason -eq 'Compliant') {
            Write-Verbose "Replica '$($this.StorePath)' holds the published ring (generation $($state.Generation)); nothing to do."
            return
        }

        if (@('NotJoined', 'HasOwnSecrets', 'IsMaster', 'PinnedElsewhere') -contains $state.Reason) {
            # Join-SsoEnvironment refuses, with SsoSecret.EnvironmentRoleConflict, a master, a replica of another master
            # and a store with secrets of its own: a pin is never changed silently. -Force: the configuration is the
            # administrator's confirmation of the master's fingerprint.
            $join = Get-SsoSecretCmdlet -Name 'Join-SsoEnvironment'
            $joined = & $join -StorePath $this.StorePath -EnvironmentId $id -MasterPublicKey $this.MasterPublicKey -Force -Confirm:$false -ErrorAction Stop
            Write-Verbose "The store '$($this.StorePath)' joined environment $id as a replica of master $($joined.MasterFingerprint); its host public key is $($joined.HostPublicKey)."
            $state = Get-SsoDscReplicaState -StorePath $this.StorePath -EnvironmentId $id -MasterPublicKey $this.MasterPublicKey -SealedRingPath $this.SealedRingPath
            if (@('NotJoined', 'HasOwnSecrets', 'IsMaster', 'PinnedElsewhere') -contains $state.Reason) {
                throw (New-SsoDscError -ErrorId 'SsoSecret.EnvironmentRoleConflict' -Category InvalidOperation -Target $this.StorePath `
                        -Message "The store '$($this.StorePath)' was joined, but is still not a replica of the configured master ($($state.Reason)): $($state.Message)")
            }
        }

        if ($state.Reason -eq 'NoRingPublished') {
            # Joined, and nothing more a replica can do: the master seals its ring to this host key once it knows it.
            Write-Warning "$($state.Message) The replica installs it at its next run."
            return
        }

        if ($state.Reason -eq 'Compliant') { return }

        # Behind, or a file the module refuses: Import-SsoSealedRing checks it again and installs it, or fails with its
        # id (SsoSecret.StaleRing, SsoSecret.TamperedSealedRing, ...) and leaves the store as it was.
        $import = Get-SsoSecretCmdlet -Name 'Import-SsoSealedRing'
        $result = & $import -Path $state.PublishedRing -StorePath $this.StorePath -Confirm:$false -ErrorAction Stop
        Write-Verbose "Replica '$($this.StorePath)': installed ring generation $($result.Generation) from '$($state.PublishedRing)'."
    }

    hidden [object] Evaluate() {
        $id = Assert-SsoDscReplicaProperty -Resource $this
        return Get-SsoDscReplicaState -StorePath $this.StorePath -EnvironmentId $id -MasterPublicKey $this.MasterPublicKey -SealedRingPath $this.SealedRingPath
    }
}
