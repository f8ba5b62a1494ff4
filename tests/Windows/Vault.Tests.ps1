# The store's vault on Windows (under Wine): named secrets in a DPAPI store, through the functions SecretManagement
# calls (SsoSecret.VaultExtension, with an advanced function's $PSCmdlet as the extension's functions pass it; the real
# SecretManagement is not in the lane), the vault file under the store's own ACL, a rotation that moves the entries,
# and an export imported into a new store on Windows paths.

BeforeAll {
    . (Join-Path $PSScriptRoot 'WindowsHelpers.ps1')

    $script:Made = New-WorkSecret
    $script:VaultFile = Join-Path $Made.Store 'vault.dat'
    $script:Login = [pscredential]::new('CONTOSO\svc-billing', (ConvertTo-SecureString 'Wine-vault-Pässword-1' -AsPlainText -Force))
}

AfterAll {
    Restore-WindowsTestEnvironment
}

Describe 'On Windows, the vault' {
    It 'keeps entries of every type in the DPAPI store, and gives them back' {
        Invoke-Vault Set $Made.Store 'billing/db' $Login
        Invoke-Vault Set $Made.Store 'billing/settings' @{ endpoint = 'https://billing.contoso.example'; key = [byte[]](1, 2, 3) }
        $credential = Invoke-Vault Get $Made.Store 'billing/db'
        $credential.UserName | Should -Be 'CONTOSO\svc-billing'
        $credential.GetNetworkCredential().Password | Should -Be 'Wine-vault-Pässword-1'
        $settings = Invoke-Vault Get $Made.Store 'billing/settings'
        $settings.endpoint | Should -Be 'https://billing.contoso.example'
        $settings.key | Should -Be ([byte[]](1, 2, 3))
        @(Invoke-Vault Info $Made.Store).Name | Should -Be @('billing/db', 'billing/settings')
        Invoke-Vault Test $Made.Store | Should -BeTrue
        (Get-SsoMasterSecret -StorePath $Made.Store).VaultEntries | Should -Be 2
        [System.IO.File]::ReadAllText($VaultFile) | Should -Not -Match 'Wine-vault'
    }

    It 'has a file open to this account and SYSTEM only, as the store file' {
        $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
        $sddl = Get-Sddl $VaultFile
        $sddl | Should -Match "^O:$me"
        $sids = @([regex]::Matches($sddl, '\(A;[^;]*;[^;]*;;;([^)]+)\)') | ForEach-Object { $_.Groups[1].Value })
        $sids | Should -Not -BeNullOrEmpty
        foreach ($sid in $sids) { $sid | Should -BeIn @($me, 'SY', 'BA', 'S-1-5-18', 'S-1-5-32-544') -Because "the vault file must not be open to $sid" }
    }

    It 'moves its entries to a new secret, and a retirement leaves every entry open' {
        $first = (Get-SsoMasterSecret -StorePath $Made.Store).SecretId
        New-SsoMasterSecret -BackupPath "$(New-WorkPath 'rotated').bak" -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf -Force
        $after = Get-SsoMasterSecret -StorePath $Made.Store
        $after.VaultEntries | Should -Be 2
        ($after.PreviousSecrets | Where-Object SecretId -EQ $first).VaultEntries | Should -Be 0
        Remove-SsoPreviousSecret -SecretId $first -StorePath $Made.Store -Force
        (Invoke-Vault Get $Made.Store 'billing/db').GetNetworkCredential().Password | Should -Be 'Wine-vault-Pässword-1'
    }

    It 'is exported, and imported into a new store restored from the backup, on drive-letter paths' {
        $export = "$(New-WorkPath 'vault').ssovault"
        Export-SsoVault -Path $export -StorePath $Made.Store
        $backup = "$(New-WorkPath 'current').bak"
        Backup-SsoMasterSecret -Path $backup -StorePath $Made.Store -Password $Password -KdfParameters $TinyKdf
        $fresh = New-WorkPath 'fresh'
        Restore-SsoMasterSecret -Path $backup -Password $Password -StorePath $fresh
        $import = Import-SsoVault -Path $export -StorePath $fresh
        $import.Added | Should -Be @('billing/db', 'billing/settings')
        (Invoke-Vault Get $fresh 'billing/settings').endpoint | Should -Be 'https://billing.contoso.example'
        Test-Path -LiteralPath (Join-Path $fresh 'vault.dat') | Should -BeTrue
    }

    It 'is refused with StoreInsecure once its file is open to Everyone' {
        $item = Get-Item -LiteralPath $VaultFile -Force
        $acl = [System.IO.FileSystemAclExtensions]::GetAccessControl($item)
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new([System.Security.Principal.SecurityIdentifier]'S-1-1-0', 'ReadAndExecute', 'None', 'None', 'Allow'))
        [System.IO.FileSystemAclExtensions]::SetAccessControl($item, $acl)
        $refusal = Get-Refusal { Invoke-Vault Get $Made.Store 'billing/db' -ErrorAction Stop }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'SsoSecret.StoreInsecure*'
        $refusal.Exception.Message | Should -Match 'Everyone'
    }
}
