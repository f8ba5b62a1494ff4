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

Describe 'The table views' {
    It 'heads every column with a property of the type shown (or the start of one; a note in brackets aside), so Select-Object <header> works' {
        $folder = Split-Path $ModulePath
        $views = foreach ($file in Get-ChildItem -LiteralPath $folder -Filter '*.Format.ps1xml') {
            ([xml](Get-Content -LiteralPath $file.FullName -Raw)).Configuration.ViewDefinitions.View | Where-Object { $_.TableControl }
        }
        $views | Should -Not -BeNullOrEmpty
        $checked = 0
        foreach ($view in $views) {
            $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
            $items = @($view.TableControl.TableRowEntries.TableRowEntry[0].TableColumnItems.TableColumnItem)
            foreach ($typeName in @($view.ViewSelectedBy.TypeName) -notlike 'Deserialized.*') {
                $type = $typeName -as [type]
                $type | Should -Not -BeNullOrEmpty -Because "view $($view.Name) names the type $typeName"
                $properties = @($type.GetProperties().Name) + @((Get-TypeData $typeName).Members.Keys)
                for ($i = 0; $i -lt $headers.Count; $i++) {
                    $label = if ($headers[$i].Label) { $headers[$i].Label } else { $items[$i].PropertyName }
                    $name = $label -replace '\s*\(.*\)$', ''
                    @($properties | Where-Object { $_ -clike "$name*" }) | Should -Not -BeNullOrEmpty -Because "the column '$label' of view $($view.Name) should name a property of $typeName"
                    $checked++
                }
            }
        }
        $checked | Should -BeGreaterThan 20
    }
}
