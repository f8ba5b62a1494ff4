#!/bin/sh
# Tears down one fleet made by SsoSecretFleet.psm1 (Start-SsoFleet): everything listed in its run folder, and the
# folder itself. Used by Stop-SsoFleet and by the watchdog (fleet-watchdog.sh), so there is one way to clean up.
#
#   fleet-down.sh <run folder>          e.g. /run/ssosecret-fleet/3fa9c1
#
# Start-SsoFleet writes each thing to the run folder's lists *before* it makes it, so a half-made fleet is torn down
# as completely as a whole one. Every step ignores what is already gone: running this twice is harmless.
#   namespaces  one network namespace name a line; its processes are killed and the namespace deleted (which also
#               deletes the veth pair whose end is inside it)
#   links       one interface name a line in the root namespace (the bridge, the veths' outer ends)
# It touches nothing else: only names from those lists, and only below /run/ssosecret-fleet.
set -u
run="${1:?usage: fleet-down.sh <run folder>}"
case "$run" in
    /run/ssosecret-fleet/*) ;;
    *) echo "fleet-down.sh: '$run' is not a fleet run folder" >&2; exit 2 ;;
esac
[ -d "$run" ] || exit 0

if [ -f "$run/namespaces" ]; then
    while read -r ns; do
        case "$ns" in ssofleet-*) ;; *) continue ;; esac
        if [ -e "/run/netns/$ns" ]; then
            # Everything running inside: the host's sshd, its sessions' pwsh, anything a test started there.
            pids=$(ip netns pids "$ns" 2>/dev/null)
            [ -n "$pids" ] && kill -9 $pids 2>/dev/null
            ip netns delete "$ns" 2>/dev/null
        fi
    done < "$run/namespaces"
fi

# sshd daemons whose namespace is gone already (a teardown interrupted half-way): by their pid files, and only if the
# process is still that sshd (the pid file's process runs with this run folder's config).
for pidfile in "$run"/h*/sshd.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null)
    case "$pid" in ''|*[!0-9]*) continue ;; esac
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$run/"; then
        kill -9 "$pid" 2>/dev/null
    fi
done

if [ -f "$run/links" ]; then
    while read -r link; do
        case "$link" in sf*) ;; *) continue ;; esac
        ip link show "$link" >/dev/null 2>&1 && ip link delete "$link" 2>/dev/null
    done < "$run/links"
fi

rm -rf "$run"
# The shared root of the run folders goes when it is empty (another fleet's run folder keeps it).
rmdir /run/ssosecret-fleet 2>/dev/null
exit 0
