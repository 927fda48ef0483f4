#!/bin/sh
# One script for notify_master/backup/fault/stop (contrib/examples/nopreempt-pair-*.toml):
# the state is its argument. Keeps the current state in a file for monitoring and logs it.
# Usage: notify-state.sh MASTER|BACKUP|FAULT|STOP
set -u
state=${1:?usage: notify-state.sh MASTER|BACKUP|FAULT|STOP}
dir=${LVSD_STATE_DIR:-/run/lvsd}
mkdir -p "$dir"
printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$state" >"$dir/vrrp-state.tmp" &&
	mv "$dir/vrrp-state.tmp" "$dir/vrrp-state"
logger -t lvsd-notify "state $state"
case $state in
MASTER) ;; # e.g. start a service that must run on the master only
BACKUP | FAULT | STOP) ;; # e.g. stop it
*) echo "notify-state.sh: unknown state $state" >&2; exit 2 ;;
esac
