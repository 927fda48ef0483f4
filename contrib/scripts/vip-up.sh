#!/bin/sh
# notify_master script (contrib/examples/ucarp-floating-ip-*.toml), ucarp's --upscript:
# lvsd has already added the address; announce it and start what serves it.
# Usage: vip-up.sh INTERFACE ADDRESS
set -u
iface=${1:?usage: vip-up.sh INTERFACE ADDRESS}
addr=${2:?usage: vip-up.sh INTERFACE ADDRESS}
logger -t lvsd-vip "up: $addr on $iface"
# Start the service that listens on the address here, e.g.:
# systemctl start postgresql
