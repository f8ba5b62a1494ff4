BeforeAll {
    $script:ModulePath = $env:SSOSECRET_TEST_MODULE
    Import-Module $ModulePath -Force
}

Describe 'The SsoSecret module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $manifest = Import-PowerShellDataFile $ModulePath
        $exported = (Get-Command -Module SsoSecret).Name | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $exported | Should -Contain 'Backup-SsoMasterSecret'
    }

    It 'declares both editions and PowerShell 5.1' {
        $manifest = Import-PowerShellDataFile $ModulePath
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $manifest.PowerShellVersion | Should -Be '5.1'
    }

    It 'imports from any current location in a new process' {
        Push-Location ([System.IO.Path]::GetTempPath())
        try {
            $pwsh = Join-Path $PSHOME 'pwsh.dll'
            $names = & dotnet $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; (Get-Command -Module SsoSecret).Name"
            $LASTEXITCODE | Should -Be 0
            $names | Should -Contain 'Restore-SsoMasterSecret'
        }
        finally {
            Pop-Location
        }
    }
}
