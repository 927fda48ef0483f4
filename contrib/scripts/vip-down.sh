#!/bin/sh
# notify_backup/fault/stop script (contrib/examples/ucarp-floating-ip-*.toml), ucarp's
# --downscript: lvsd removes the address itself; stop what must not run on a backup.
# Usage: vip-down.sh INTERFACE ADDRESS
set -u
iface=${1:?usage: vip-down.sh INTERFACE ADDRESS}
addr=${2:?usage: vip-down.sh INTERFACE ADDRESS}
logger -t lvsd-vip "down: $addr on $iface"
# Stop the service that must run on the master only here, e.g.:
# systemctl stop postgresql
