<#
    Class-based DSC resources for SsoSecret: SsoMasterSecret and SsoMasterSecretBackup.

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
