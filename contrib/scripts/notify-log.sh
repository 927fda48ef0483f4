#!/bin/sh
# Generic notify script (contrib/examples/priority-from-state.toml). lvsd appends, as keepalived:
#   TYPE NAME STATE PRIORITY   e.g. INSTANCE VI_1 MASTER 249
# and this script appends one line per transition to a log.
set -u
[ $# -ge 4 ] || { echo "usage: notify-log.sh TYPE NAME STATE PRIORITY" >&2; exit 2; }
type=$1 name=$2 state=$3 prio=$4
printf '%s %s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$type" "$name" "$state" "$prio" \
	>>"${LVSD_NOTIFY_LOG:-/var/log/lvsd-notify.log}"
