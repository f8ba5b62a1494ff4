#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, benchmarks and demonstrates SsoSecret.

.DESCRIPTION
    -Task Build  assembles the importable modules at out/SsoSecret and out/SsoSecretDsc (the product: the two folders
                 a user copies side by side into a PSModulePath folder, nothing else needed at run time; the DSC
                 resources are a module of their own, which requires SsoSecret).
    -Task Test   builds, then runs every xunit suite, the fuzz corpus replay and every Pester suite at once (the
                 Pester ones in two separate pwsh -NoProfile -NonInteractive processes that import out/SsoSecret,
                 one for the suites that start processes of their own and the DSC suite, one for the others), shows each run's
                 output when it ends, lists the tests that took 10 s or more, and ends with one line
                 "Tests: N passed, N failed" summing them all. Exits non-zero on any failure.
    -Task Demo   builds, then runs the main job against a local store in out/demo: generate a master secret,
                 back it up, verify the backup, restore it. Prompts when a person runs it; runs unattended
                 otherwise.
    -Task Bench  builds, then runs the performance benchmark (tools/Bench.ps1): every figure beside its baseline
                 measured in the same run (the reference argon2 program, libsodium, pwsh, Get-FileHash), as ratios.
                 Needs: apt-get install argon2 libsodium23.
    -Task Fuzz   fuzzes the backup reader for -FuzzSeconds (default 300) with the harness in tests/Fuzz: under
                 afl-fuzz (Debian package afl++) through SharpFuzz when afl-fuzz is on the PATH, else with the harness's
                 built-in mutator (-FuzzEngine Afl|Builtin to choose). Seeds: tests/Fuzz/corpus and the golden files;
                 findings go to out/fuzz/findings and are replayed at the end. Exits non-zero on any finding.
                 -Task Test does not fuzz, but builds the harness and replays the corpus through it.
    -Task Fleet  builds, then runs the fleet suite alone (tests/Pester/Fleet.Tests.ps1; tests/Fleet/README.md): real hosts
                 in network namespaces, each with its own sshd, reached with PowerShell remoting over SSH. Needs Linux,
                 root and OpenSSH's sshd (apt-get install openssh-server); says why and fails when the machine lacks
                 them. -Task Test runs the same suite where the machine allows it, and skips it (saying why) elsewhere.
    -Task Soak   builds, then runs one suite (-SoakSuite, default Concurrency: tests/Pester/Concurrency.Tests.ps1)
                 -SoakRuns times in a row (default 100), each run in a new pwsh, while other suites (-SoakBeside, default
                 the Backup- and Restore-SsoMasterSecret suites) run over and over beside it, so that every run meets a
                 loaded machine, and the suites' effects on each other show (-SoakSuite Fleet -SoakBeside OtherUser
                 found that useradd broke the fleet's hosts).
                 Prints each run's result and time, keeps the log of every failed run in out/soak, and ends with
                 "Soak: N of M runs passed". Exits non-zero when any run failed, or any completed run of the suites
                 beside it.
    -Task Windows builds, then runs the Windows suite (tests/Windows) under Wine: the module's cmdlets on Windows paths,
                 through a PowerShell 7.6 host built for Windows (tools/WindowsHost), one process a test file. Sets up
                 and keeps in out/windows what it needs: Wine (apt-get, as root on Debian or Ubuntu; elsewhere it skips,
                 saying why), a Wine prefix and the host. Ends with "Windows (Wine): N passed, N failed, N skipped";
                 exits non-zero on any failure. tests/Windows/Invoke-WindowsLane.ps1 says how a crash of Wine's own is
                 told from a failing test.
    -Task Clean  removes out/ and the projects' bin/ and obj/ folders.

    A fresh machine needs only the .NET SDK: run "dotnet tool restore" first (it brings PowerShell 7.6.9 as a
    local tool); this script restores everything else (NuGet packages, Pester) itself.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Fuzz', 'Fleet', 'Soak', 'Windows', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # -Task Fuzz: how long to fuzz, and with which engine (Auto: afl-fuzz when it is installed, else Builtin).
    [ValidateRange(1, 604800)]
    [int] $FuzzSeconds = 300,

    [ValidateSet('Auto', 'Afl', 'Builtin')]
    [string] $FuzzEngine = 'Auto',

    # -Task Soak: which suite (a file name without .Tests.ps1) runs how many times, and which suites run beside it.
    [string] $SoakSuite = 'Concurrency',

    [ValidateRange(1, 100000)]
    [int] $SoakRuns = 100,

    [string[]] $SoakBeside = @('Backup-SsoMasterSecret', 'Restore-SsoMasterSecret')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# The tool versions the build itself chooses, in one place. (PowerShell's is in .config/dotnet-tools.json, which
# `dotnet tool restore` reads; the libraries' are in Directory.Packages.props.)
$script:Versions = @{
    Pester = '6.2.0'   # downloaded by restoring tools/TestTools/TestTools.csproj, which is given this version
}

$script:Root = $PSScriptRoot
$script:Out = Join-Path $Root 'out'
$script:ModuleOut = Join-Path $Out 'SsoSecret'
$script:DscModuleOut = Join-Path $Out 'SsoSecretDsc'
$script:ResultsDir = Join-Path $Out 'TestResults'

function Invoke-Native {
    # Runs a native command (first argument) with the rest as its arguments, and stops the build when it fails.
    # A plain function on purpose: advanced parameter binding would claim arguments such as -o or -c.
    $command, $rest = $args
    $rest = @($rest)  # one argument would otherwise be a string, which splatting does not pass as it is
    & $command @rest
    if ($LASTEXITCODE -ne 0) {
        throw "'$command $($rest -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Publish-Project([string] $Project, [string] $Output, [string] $Framework) {
    # Every project is published the same way: the chosen configuration, quiet, warnings as errors; a project with
    # several target frameworks is published once for each one asked for.
    $frameworkArguments = @(if ($Framework) { '-f', $Framework })
    Invoke-Native dotnet publish (Join-Path $Root $Project) -c $Configuration -o $Output @frameworkArguments --nologo -v quiet '-p:TreatWarningsAsErrors=true'
}

function Invoke-ChildPwsh {
    # Runs a script in a new pwsh process (-NoProfile; the arguments after the script are its own); its exit code is
    # then $LASTEXITCODE. A new process, so this session never loads the module it has just assembled. Its output
    # goes to the host; with -Interactive it is not redirected at all (the terminal stays the child's, where it asks
    # its questions), so the call's output must not be captured.
    param([string] $Script, [string[]] $Arguments = @(), [switch] $Interactive)
    $pwsh = @(Get-ChildPwsh)
    $all = @($pwsh | Select-Object -Skip 1) + @('-NoProfile') + @(if (-not $Interactive) { '-NonInteractive' }) + @('-File', $Script) + $Arguments
    if ($Interactive) {
        & $pwsh[0] @all
    }
    else {
        & $pwsh[0] @all | Out-Host
    }
}

function Build-Module {
    $publish = Join-Path $Out 'publish'
    if (Test-Path -LiteralPath $publish) { Remove-Item -LiteralPath $publish -Recurse -Force }
    Publish-Project 'src/SsoSecret/SsoSecret.csproj' $publish
    Publish-Project 'src/SsoSecret.Loader/SsoSecret.Loader.csproj' $publish
    $publishModern = Join-Path $publish 'net8.0'
    Publish-Project 'src/SsoSecret.Core/SsoSecret.Core.csproj' $publishModern 'net8.0'

    if (Test-Path -LiteralPath $ModuleOut) { Remove-Item -LiteralPath $ModuleOut -Recurse -Force }
    # bin/ holds the cmdlets (the root module), the types scripts name and the loader; bin/isolated the engine and
    # BouncyCastle for .NET Standard 2.0 (Windows PowerShell 5.1 loads them from there), and bin/isolated/net8.0 the
    # engine for .NET 8 with BouncyCastle's .NET 6 build, which the loader serves to a load context of their own on
    # PowerShell 7 (src/SsoSecret.Loader).
    $bin = New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'bin')
    $isolated = New-Item -ItemType Directory -Path (Join-Path $bin 'isolated')
    $isolatedModern = New-Item -ItemType Directory -Path (Join-Path $isolated 'net8.0')
    foreach ($assembly in 'SsoSecret.dll', 'SsoSecret.Types.dll', 'SsoSecret.Loader.dll') {
        Copy-Item -LiteralPath (Join-Path $publish $assembly) $bin
    }
    foreach ($assembly in 'SsoSecret.Core.dll', 'BouncyCastle.Cryptography.dll') {
        Copy-Item -LiteralPath (Join-Path $publish $assembly) $isolated
        Copy-Item -LiteralPath (Join-Path $publishModern $assembly) $isolatedModern
    }
    Copy-Item -LiteralPath (Join-Path $Root 'SsoSecret.psd1') $ModuleOut
    # module/ holds SsoSecret's own files, its extension vault and the DSC module in folders of their own.
    Get-ChildItem -LiteralPath (Join-Path $Root 'module') -File | Copy-Item -Destination $ModuleOut
    # SsoSecret.Extension: the SecretManagement extension vault's functions, a nested module in a folder of its own.
    Copy-Item -LiteralPath (Join-Path $Root 'module/SsoSecret.Extension') $ModuleOut -Recurse
    if (Test-Path -LiteralPath $DscModuleOut) { Remove-Item -LiteralPath $DscModuleOut -Recurse -Force }
    Copy-Item -LiteralPath (Join-Path $Root 'module/SsoSecretDsc') $DscModuleOut -Recurse

    # Help: docs/en-US/*.md into en-US/SsoSecret.dll-Help.xml and about_SsoSecret.help.txt, checked against the cmdlets.
    Invoke-ChildPwsh (Join-Path $Root 'tools/New-SsoSecretHelp.ps1') '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-DocsPath', (Join-Path $Root 'docs/en-US'), '-OutputPath', (Join-Path $ModuleOut 'en-US')
    if ($LASTEXITCODE -ne 0) { throw "The help could not be built (exit code $LASTEXITCODE)." }

    # The manifest must load and list exactly the cmdlets the assembly exports.
    $manifest = Test-ModuleManifest (Join-Path $ModuleOut 'SsoSecret.psd1')
    Write-Host "Built $($manifest.Name) $($manifest.Version) at $ModuleOut"

    # The DSC module's RequiredModules must find this SsoSecret as an installed module would: out/ on the module path.
    $modulePath = $env:PSModulePath
    try {
        $env:PSModulePath = $Out + [System.IO.Path]::PathSeparator + $modulePath
        $dsc = Test-ModuleManifest (Join-Path $DscModuleOut 'SsoSecretDsc.psd1')
    }
    finally {
        $env:PSModulePath = $modulePath
    }
    if ($dsc.Version -ne $manifest.Version) {
        throw "SsoSecretDsc $($dsc.Version) and SsoSecret $($manifest.Version) must have the same version."
    }
    Write-Host "Built $($dsc.Name) $($dsc.Version) at $DscModuleOut"
}

function Get-NuGetPackagesFolder {
    $line = (& dotnet nuget locals global-packages --list) | Select-Object -First 1
    if ($LASTEXITCODE -ne 0 -or $line -notmatch '^global-packages:\s*(.+)$') {
        throw "Cannot find the NuGet global packages folder ('dotnet nuget locals global-packages --list' said: $line)."
    }
    $Matches[1].Trim()
}

function Restore-TestTools {
    Invoke-Native dotnet restore (Join-Path $Root 'tools/TestTools/TestTools.csproj') --nologo -v quiet "-p:PesterVersion=$($Versions.Pester)"
    $pester = Join-Path (Get-NuGetPackagesFolder) "pester/$($Versions.Pester)/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $pester)) {
        throw "Pester $($Versions.Pester) was not found at $pester after the restore."
    }
    $pester
}

function Get-ChildPwsh {
    # The pwsh that runs this script, started again as a new process (as a .NET tool it is pwsh.dll under dotnet).
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path -LiteralPath $dll) { return @('dotnet', $dll) }
    @((Join-Path $PSHOME 'pwsh'))
}

function Start-TestJob([string] $Name, [string[]] $Command) {
    # Starts one test run as a process of its own, its output (stdout and stderr) going to out/TestResults/<name>.log,
    # so that several runs can share the machine without mixing their output.
    $log = Join-Path $ResultsDir "$Name.log"
    $info = [System.Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($argument in $Command | Select-Object -Skip 1) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $Root
    $process = [System.Diagnostics.Process]::Start($info)
    $file = [System.IO.File]::Create($log)
    [pscustomobject]@{
        Name    = $Name
        Process = $process
        Log     = $log
        File    = $file
        Copy    = [System.Threading.Tasks.Task]::WhenAll($process.StandardOutput.BaseStream.CopyToAsync($file), $process.StandardError.BaseStream.CopyToAsync($file))
        Watch   = [System.Diagnostics.Stopwatch]::StartNew()
        Exit    = $null
    }
}

function Complete-TestJob($Job) {
    # Waits for a run's process and for its output to reach its log, and notes its exit code and time.
    $Job.Process.WaitForExit()
    $Job.Copy.Wait()
    $Job.File.Dispose()
    $Job.Watch.Stop()
    $Job.Exit = $Job.Process.ExitCode
}

function Wait-TestJob($Job) {
    # Waits for a run, then shows its output as one block.
    Complete-TestJob $Job
    Write-Host ('===== {0}: exit code {1}, {2:0} s =====' -f $Job.Name, $Job.Exit, $Job.Watch.Elapsed.TotalSeconds)
    Get-Content -LiteralPath $Job.Log | Out-Host
}

function Get-XunitResult($Job) {
    $trx = Join-Path $ResultsDir 'xunit.trx'
    if (-not (Test-Path -LiteralPath $trx)) {
        throw "The xunit run wrote no results (dotnet test exit code $($Job.Exit))."
    }
    $run = ([xml](Get-Content -LiteralPath $trx -Raw)).TestRun
    $counters = $run.ResultSummary.Counters
    $result = [pscustomobject]@{
        Suite   = 'xunit'
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.total - [int]$counters.passed - [int]$counters.failed - [int]$counters.error - [int]$counters.timeout - [int]$counters.aborted
        Seconds = [int]$Job.Watch.Elapsed.TotalSeconds
        Slow    = @($run.Results.UnitTestResult | ForEach-Object { [pscustomobject]@{ Name = $_.testName; Seconds = [timespan]::Parse($_.duration).TotalSeconds } })
        Failures = @($run.Results.UnitTestResult | Where-Object outcome -ne 'Passed' | Where-Object outcome -ne 'NotExecuted' | ForEach-Object {
                # A result without ErrorInfo (an abort, a time-out) has no message to quote: strict mode would stop at it.
                $message = try { "$($_.Output.ErrorInfo.Message)" } catch { '' }
                [pscustomobject]@{ Name = $_.testName; Message = $message } })
    }
    if ($Job.Exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    $result
}

function Read-PesterCounts([string] $Json) {
    # What tests/Invoke-PesterSuites.ps1 wrote at the end of a run; $null when the run ended before it could.
    if (Test-Path -LiteralPath $Json) { Get-Content -LiteralPath $Json -Raw | ConvertFrom-Json }
}

function Get-PesterResult($Job, [string] $Json) {
    $counts = Read-PesterCounts $Json
    if (-not $counts) {
        throw "The Pester run $($Job.Name) wrote no results (exit code $($Job.Exit))."
    }
    $result = [pscustomobject]@{ Suite = $Job.Name; Passed = [int]$counts.Passed; Failed = [int]$counts.Failed; Skipped = [int]$counts.Skipped; Seconds = [int]$Job.Watch.Elapsed.TotalSeconds; Slow = @($counts.Tests) }
    Add-Member -InputObject $result -NotePropertyName Failures -NotePropertyValue @($counts.Failures)
    if ($Job.Exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    $result
}

function Build-TestFixtures {
    # "Another module" with an older BouncyCastle, for the dependency isolation tests.
    Publish-Project 'tests/Fixtures/OtherCrypto/OtherCrypto.csproj' (Join-Path $Out 'fixtures/OtherCrypto')
}

$script:FuzzProject = 'tests/Fuzz/SsoSecret.Fuzz/SsoSecret.Fuzz.csproj'
$script:FuzzCorpus = @((Join-Path $Root 'tests/Fuzz/corpus'), (Join-Path $Root 'tests/SsoSecret.Tests/TestData/golden'))

function Get-FuzzReplayResult($Job) {
    # The fuzzing harness built, and every corpus file (and the golden files) went through its oracles once.
    $summary = Get-Content -LiteralPath $Job.Log | Where-Object { $_ -like 'Fuzz corpus replay: *' } | Select-Object -Last 1
    $result = [pscustomobject]@{ Suite = 'Fuzz corpus'; Passed = 0; Failed = 1; Skipped = 0; Seconds = [int]$Job.Watch.Elapsed.TotalSeconds; Slow = @(); Failures = @() }
    if ($summary -match '^Fuzz corpus replay: (\d+) passed, (\d+) failed$') {
        $result.Passed = [int]$Matches[1]
        $result.Failed = [int]$Matches[2]
    }
    if ($Job.Exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    $result
}

function Invoke-Fuzz {
    $fuzzOut = Join-Path $Out 'fuzz'
    $seeds = Join-Path $fuzzOut 'input'
    $findings = Join-Path $fuzzOut 'findings'
    foreach ($folder in $seeds, $findings) {
        if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
        New-Item -ItemType Directory -Path $folder | Out-Null
    }
    foreach ($folder in $FuzzCorpus) {
        Get-ChildItem -LiteralPath $folder -File | Where-Object Extension -ne '.md' | Copy-Item -Destination $seeds
    }

    $engine = $FuzzEngine
    $afl = Get-Command afl-fuzz -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($engine -eq 'Auto') {
        $engine = if ($afl) { 'Afl' } else { 'Builtin' }
        if (-not $afl) {
            Write-Warning 'afl-fuzz is not installed (Debian: apt-get install afl++): fuzzing with the harness''s built-in mutator, which has no coverage feedback.'
        }
    }

    $bin = Join-Path $fuzzOut $engine.ToLowerInvariant()
    if (Test-Path -LiteralPath $bin) { Remove-Item -LiteralPath $bin -Recurse -Force }
    Publish-Project $FuzzProject $bin
    $harness = Join-Path $bin 'SsoSecret.Fuzz.dll'

    if ($engine -eq 'Afl') {
        if (-not $afl) { throw 'afl-fuzz is not installed (Debian: apt-get install afl++).' }
        # SharpFuzz instruments the reader's assembly (only ours: BouncyCastle's paths would drown the reader's).
        $tools = Join-Path $Out 'tools'
        $sharpfuzz = Join-Path $tools 'sharpfuzz'
        if (-not (Test-Path -LiteralPath $sharpfuzz)) {
            # The command-line tool has the same version as the SharpFuzz library the harness references.
            $sharpFuzzVersion = ([xml](Get-Content -LiteralPath (Join-Path $Root 'Directory.Packages.props') -Raw)).Project.ItemGroup.PackageVersion |
                Where-Object Include -eq 'SharpFuzz' | ForEach-Object Version
            Invoke-Native dotnet tool install SharpFuzz.CommandLine --version $sharpFuzzVersion --tool-path $tools
        }
        Invoke-Native $sharpfuzz (Join-Path $bin 'SsoSecret.Core.dll')

        # dotnet itself is not instrumented (SharpFuzz reports coverage itself); this machine's core dumps and CPU
        # governor are not the fuzzer's business; the machine is shared, so no CPU pinning and no full-screen UI.
        $env:AFL_SKIP_BIN_CHECK = '1'
        $env:AFL_NO_UI = '1'
        $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
        $env:AFL_SKIP_CPUFREQ = '1'
        $env:AFL_NO_AFFINITY = '1'
        Write-Host "Fuzzing with afl-fuzz for $FuzzSeconds s; findings in $findings"
        & $afl.Source -i $seeds -o $findings -t 10000 -m none -V $FuzzSeconds -- dotnet $harness afl | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "afl-fuzz failed with exit code $LASTEXITCODE." }
        $stats = Join-Path $findings 'default/fuzzer_stats'
        if (Test-Path -LiteralPath $stats) {
            Get-Content -LiteralPath $stats | Where-Object { $_ -match '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|run_time)\s' } | Out-Host
        }
        $crashes = @(Get-ChildItem -LiteralPath (Join-Path $findings 'default/crashes'), (Join-Path $findings 'default/hangs') -File -ErrorAction Ignore |
            Where-Object Name -ne 'README.txt')
    }
    else {
        $env:SSOSECRET_FUZZ_FINDINGS = $findings
        Write-Host "Fuzzing with the built-in mutator for $FuzzSeconds s; findings in $findings"
        & dotnet $harness mutate $FuzzSeconds $seeds | Out-Host
        $crashes = @(Get-ChildItem -LiteralPath $findings -File -Filter '*.bin')
    }

    if ($crashes.Count -gt 0) {
        Write-Host "$($crashes.Count) finding(s); replaying them (from an uninstrumented build):"
        $replay = Join-Path $fuzzOut 'replay'
        Publish-Project $FuzzProject $replay
        & dotnet (Join-Path $replay 'SsoSecret.Fuzz.dll') replay @($crashes.FullName) | Out-Host
        exit 1
    }
    Write-Host 'No findings.'
}

# The Pester suites run in two groups at the same time, beside xunit and the corpus replay: the suites that start
# processes of their own (and the DSC suite, to even out the two: about 10 minutes each on a loaded 2-core machine), and
# all the others. So the concurrency suite always runs with another suite loading the machine, as it must prove it can.
$script:FirstPesterGroup = 'Concurrency', 'CrashSafety', 'OtherUser', 'RewriteRace', 'BornOwnerOnly', 'Dsc'

function Invoke-Tests {
    $total = [System.Diagnostics.Stopwatch]::StartNew()
    Build-Module
    Build-TestFixtures
    $pester = Restore-TestTools
    New-Item -ItemType Directory -Path $ResultsDir -Force | Out-Null
    # Everything the runs need is built first, one build at a time (two builds of one project at once would collide).
    Invoke-Native dotnet build (Join-Path $Root 'tests/SsoSecret.Tests/SsoSecret.Tests.csproj') -c $Configuration --nologo -v quiet '-p:TreatWarningsAsErrors=true'
    $replay = Join-Path $Out 'fuzz/replay'
    Publish-Project $FuzzProject $replay
    Write-Host ('Built in {0:0} s; now xunit, the fuzz corpus replay and two groups of Pester suites run at once (logs in {1}).' -f $total.Elapsed.TotalSeconds, $ResultsDir)

    $trx = Join-Path $ResultsDir 'xunit.trx'
    Remove-Item -LiteralPath $trx -ErrorAction Ignore
    $pwsh = @(Get-ChildPwsh)
    $pesterJobs = @(
        @{ Name = 'Pester (group 1)'; Json = Join-Path $ResultsDir 'pester-1.json'; Filter = '-Include' }
        @{ Name = 'Pester (group 2)'; Json = Join-Path $ResultsDir 'pester-2.json'; Filter = '-Exclude' }
    )
    $jobs = @(
        Start-TestJob 'xunit' @('dotnet', 'test', (Join-Path $Root 'tests/SsoSecret.Tests/SsoSecret.Tests.csproj'), '-c', $Configuration, '--no-build', '--nologo',
            '--logger', 'console;verbosity=normal', '--logger', "trx;LogFileName=$trx", '--results-directory', $ResultsDir)
        Start-TestJob 'Fuzz corpus' (@('dotnet', (Join-Path $replay 'SsoSecret.Fuzz.dll'), 'replay') + $FuzzCorpus)
        foreach ($group in $pesterJobs) {
            Remove-Item -LiteralPath $group.Json -ErrorAction Ignore
            Start-TestJob $group.Name ($pwsh + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PesterSuites.ps1'),
                    '-PesterPath', $pester, '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-ResultPath', $group.Json,
                    '-FixturePath', (Join-Path $Out 'fixtures'), $group.Filter, ($FirstPesterGroup -join ',')))
        }
    )
    foreach ($job in $jobs) { Wait-TestJob $job }

    $results = @(
        Get-XunitResult $jobs[0]
        Get-FuzzReplayResult $jobs[1]
        for ($i = 0; $i -lt $pesterJobs.Count; $i++) { Get-PesterResult $jobs[2 + $i] $pesterJobs[$i].Json }
    )
    $results | Format-Table Suite, Passed, Failed, Skipped, Seconds -AutoSize | Out-String | Write-Host
    $slow = @($results | ForEach-Object Slow | Where-Object Seconds -ge 10 | Sort-Object Seconds -Descending)
    if ($slow.Count -gt 0) {
        Write-Host 'Tests that took 10 s or more:'
        $slow | ForEach-Object { Write-Host ('  {0,6:0.0} s  {1}' -f $_.Seconds, $_.Name) }
        Write-Host ''
    }
    $failures = @($results | ForEach-Object { foreach ($failure in $_.Failures) { [pscustomobject]@{ Suite = $_.Suite; Name = $failure.Name; Message = $failure.Message } } })
    if ($failures.Count -gt 0) {
        # Told again here, at the end, where a CI log is read: which test, and the start of its error.
        Write-Host 'Failed:'
        foreach ($failure in $failures) {
            $message = ($failure.Message -replace '\s+', ' ').Trim()
            if ($message.Length -gt 400) { $message = $message.Substring(0, 400) + '...' }
            Write-Host ('  [{0}] {1}' -f $failure.Suite, $failure.Name)
            if ($message) { Write-Host "      $message" }
        }
        Write-Host ''
    }
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    Write-Host ('All of it took {0:0} s.' -f $total.Elapsed.TotalSeconds)
    $line = "Tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Tool([string] $Script, [string] $WorkFolder, [switch] $Interactive) {
    # Builds, then runs a tool script against the built module; its exit code becomes this script's.
    Build-Module
    Invoke-ChildPwsh (Join-Path $Root $Script) '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-WorkFolder', (Join-Path $Out $WorkFolder) -Interactive:$Interactive
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Fleet {
    # The fleet suite alone, in a child pwsh -NonInteractive with a hard time limit (tests/Fleet/Invoke-FleetSuite.ps1).
    Build-Module
    $pester = Restore-TestTools
    & (Join-Path $Root 'tests/Fleet/Invoke-FleetSuite.ps1') -PesterPath $pester -ModulePath (Join-Path $ModuleOut 'SsoSecret.psd1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Windows {
    # The Windows lane (tests/Windows/Invoke-WindowsLane.ps1), given the built module, Pester, and how to publish the
    # Windows host (tools/WindowsHost, whose PowerShell SDK is the version Directory.Packages.props names).
    Build-Module
    $pester = Restore-TestTools
    $sdkVersion = ([xml](Get-Content -LiteralPath (Join-Path $Root 'Directory.Packages.props') -Raw)).Project.ItemGroup.PackageVersion |
        Where-Object Include -eq 'Microsoft.PowerShell.SDK' | ForEach-Object Version
    $hostProject = 'tools/WindowsHost/WindowsHost.csproj'
    & (Join-Path $Root 'tests/Windows/Invoke-WindowsLane.ps1') -WindowsFolder (Join-Path $Out 'windows') -ModuleFolder $ModuleOut `
        -PesterFolder (Split-Path $pester) `
        -SdkModules (Join-Path (Get-NuGetPackagesFolder) "microsoft.powershell.sdk/$sdkVersion/contentFiles/any/any/runtimes/win/lib/net10.0/Modules") `
        -PublishHost { param($Folder) Publish-Project 'tools/WindowsHost/WindowsHost.csproj' $Folder } `
        -HostSources @((Join-Path $Root $hostProject), (Join-Path $Root 'tools/WindowsHost/Program.cs'), (Join-Path $Root 'Directory.Packages.props'))
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Soak {
    # 'A,B' as one argument (what a shell passes for -SoakBeside A,B) names two suites too.
    $SoakBeside = @($SoakBeside | ForEach-Object { $_ -split ',' } | ForEach-Object Trim | Where-Object { $_ })
    foreach ($name in @($SoakSuite) + $SoakBeside) {
        if (-not (Test-Path -LiteralPath (Join-Path $Root "tests/Pester/$name.Tests.ps1"))) {
            throw "-Soak$(if ($name -eq $SoakSuite) { 'Suite' } else { 'Beside' }): there is no suite tests/Pester/$name.Tests.ps1."
        }
    }
    if ($SoakSuite -in $SoakBeside) { throw "-SoakBeside names the suite that is soaked ($SoakSuite)." }
    Build-Module
    Build-TestFixtures
    $pester = Restore-TestTools
    $soakDir = Join-Path $Out 'soak'
    Remove-Item -LiteralPath $soakDir -Recurse -Force -ErrorAction Ignore
    New-Item -ItemType Directory -Path $soakDir -Force | Out-Null
    $script:ResultsDir = $soakDir    # Start-TestJob's logs go here
    $pwsh = @(Get-ChildPwsh)
    $suiteRun = {
        param([string] $Name, [string] $Json, [string[]] $Suites)
        Remove-Item -LiteralPath $Json -ErrorAction Ignore    # a run that writes none has failed, not passed again
        Start-TestJob $Name ($pwsh + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PesterSuites.ps1'),
                '-PesterPath', $pester, '-ModulePath', (Join-Path $ModuleOut 'SsoSecret.psd1'), '-ResultPath', $Json,
                '-FixturePath', (Join-Path $Out 'fixtures'), '-Include', ($Suites -join ',')))
    }
    $passedRun = {
        # A run passed when it ended well and its counts say so: at least one test passed, none failed.
        param($Job, $Counts)
        $Job.Exit -eq 0 -and $Counts -and $Counts.Failed -eq 0 -and $Counts.Passed -gt 0
    }
    $besideJson = Join-Path $soakDir 'beside.json'
    $beside = & $suiteRun 'beside' $besideJson $SoakBeside
    $besideRuns = 1
    $besideFailures = 0
    $passed = 0
    $failedRuns = [System.Collections.Generic.List[int]]::new()
    $total = [System.Diagnostics.Stopwatch]::StartNew()
    Write-Host "Soak: $SoakRuns runs of the $SoakSuite suite, with $($SoakBeside -join ', ') running beside it (logs in $soakDir)."
    for ($run = 1; $run -le $SoakRuns; $run++) {
        $json = Join-Path $soakDir 'run.json'
        $job = & $suiteRun 'run' $json @($SoakSuite)
        while (-not $job.Process.WaitForExit(1000)) {
            if ($beside.Process.HasExited) {
                # The suites beside ended: start them again, so that the machine stays loaded for the whole run. Their
                # failures are counted and their log kept too: a failure there under this load is a finding as well.
                Complete-TestJob $beside
                if (-not (& $passedRun $beside (Read-PesterCounts $besideJson))) {
                    $besideFailures++
                    Copy-Item -LiteralPath $beside.Log (Join-Path $soakDir "failed-beside-$besideRuns.log")
                }
                $beside = & $suiteRun 'beside' $besideJson $SoakBeside
                $besideRuns++
            }
        }
        Complete-TestJob $job
        $counts = Read-PesterCounts $json
        $ok = & $passedRun $job $counts
        if ($ok) {
            $passed++
        }
        else {
            $failedRuns.Add($run)
            Copy-Item -LiteralPath $job.Log (Join-Path $soakDir "failed-run-$run.log")
        }
        Write-Host ('run {0,3}: {1} ({2} passed, {3} failed) in {4:0} s' -f $run, ($ok ? 'passed' : 'FAILED'), ($counts ? $counts.Passed : 0),
            ($counts ? $counts.Failed : '?'), $job.Watch.Elapsed.TotalSeconds)
    }
    # The suites beside are stopped where they are: their last run is not counted.
    if (-not $beside.Process.HasExited) { $beside.Process.Kill($true) }
    Complete-TestJob $beside
    Write-Host ('{0} runs in {1:0} min; the suites beside were started {2} times, and {3} of their completed runs failed{4}.' -f $SoakRuns,
        $total.Elapsed.TotalMinutes, $besideRuns, $besideFailures, ($besideFailures ? " (logs: $soakDir/failed-beside-N.log)" : ''))
    if ($failedRuns.Count -gt 0) { Write-Host "Failed runs: $($failedRuns -join ', ') (their logs: $soakDir/failed-run-N.log)" }
    Write-Host "Soak: $passed of $SoakRuns runs passed"
    if ($passed -ne $SoakRuns -or $besideFailures -gt 0) { exit 1 }
}

switch ($Task) {
    'Build' { Build-Module }
    'Test' { Invoke-Tests }
    'Demo' { Invoke-Tool 'tools/Demo.ps1' 'demo' -Interactive }
    'Bench' { Invoke-Tool 'tools/Bench.ps1' 'bench' }
    'Fuzz' { Invoke-Fuzz }
    'Fleet' { Invoke-Fleet }
    'Soak' { Invoke-Soak }
    'Windows' { Invoke-Windows }
    'Clean' {
        Remove-Item -LiteralPath $Out -Recurse -Force -ErrorAction Ignore
        Get-ChildItem -LiteralPath $Root -Directory -Recurse -Include bin, obj | Remove-Item -Recurse -Force
    }
}
