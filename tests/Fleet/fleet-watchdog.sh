#!/bin/sh
# The watchdog of one fleet: tears it down (fleet-down.sh) when the process that made it ends, however it ends
# (a test that failed, Ctrl+C, a kill -9 of the test runner), or when its deadline passes, whichever comes first.
# Start-SsoFleet starts it detached (setsid) before it makes anything, so no fleet outlives its owner or its deadline.
#
#   fleet-watchdog.sh <run folder> <owner pid> <owner start time> <deadline, seconds since the epoch>
#
# The deadline given is the making's; once the fleet is ready, the file 'deadline' in the run folder (seconds since the
# epoch) replaces it, read at every turn.
#
# The owner's start time (field 22 of /proc/<pid>/stat) tells the owner from a later process given the same pid.
set -u
run="$1"; owner="$2"; started="$3"; deadline="$4"
here=$(dirname "$0")

owner_alive() {
    [ -r "/proc/$owner/stat" ] || return 1
    # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    now_started=$(sed 's/^.*) //' "/proc/$owner/stat" 2>/dev/null | cut -d' ' -f20)
    [ "$now_started" = "$started" ]
}

while [ -d "$run" ] && owner_alive; do
    if [ -r "$run/deadline" ]; then
        ready=$(cat "$run/deadline" 2>/dev/null)
        case "$ready" in ''|*[!0-9]*) ;; *) deadline="$ready" ;; esac
    fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 1
done

exec sh "$here/fleet-down.sh" "$run"
