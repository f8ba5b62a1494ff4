# Who owns what a test run leaves on the machine: a process, named by a tag "<pid> <start time>" (the start time is
# field 22 of /proc/<pid>/stat, which tells the process from a later one given the same pid). The fleet harness
# (tests/Fleet/SsoSecretFleet.psm1: a fleet's run folder) and the OtherUser suite (its account) mark what they make
# with their tag, and remove what a dead owner left, never what a live one has. tests/Fleet/fleet-watchdog.sh reads
# the same field in shell. Linux only (/proc). Dot-sourced by both.

function Get-ProcessStartTime([int] $ProcessId) {
    # The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
    $stat = [System.IO.File]::ReadAllText("/proc/$ProcessId/stat")
    ($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[19]
}

function Get-OwnerTag {
    # This process's tag.
    "$PID $(Get-ProcessStartTime $PID)"
}

function Test-OwnerAlive([string] $Tag) {
    # Whether the process a tag names ("<pid> <start time>", as Get-OwnerTag writes it) still runs.
    if ($Tag -notmatch '^(\d+) (\d+)$') { throw "'$Tag' is not an owner tag (<pid> <start time>)." }
    $startTime = $Matches[2]
    try { (Get-ProcessStartTime ([int]$Matches[1])) -eq $startTime } catch { $false }
}
