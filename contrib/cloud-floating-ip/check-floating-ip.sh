#!/bin/sh
# vrrp_script for a floating IP in a cloud (see README.md): while this node is
# MASTER (the floating IP is configured on its interface), make sure the
# provider really routes the IP here. If it does not (someone moved it in the
# console, an earlier API call got lost), ask again, once, with the mover.
#
# Usage: check-floating-ip.sh FLOATING_IP [MOVER]
#   MOVER defaults to /etc/lvsd/scripts/cloud-floating-ip.sh (contrib/scripts/).
#
# Exit 0: not master (nothing to check), or the IP is (again) assigned here.
# Exit 1: master, and the provider still routes the IP elsewhere. With a
#         negative weight on the vrrp_script this hands mastership to the
#         peer after `fall` failures in a row, so that it can try.
#
# Settings: as the mover (CLOUD_API, CLOUD_TOKEN, THIS_NODE_ID from the
# environment or /etc/lvsd/cloud-floating-ip.env).
set -u

ip=${1:?usage: check-floating-ip.sh FLOATING_IP [MOVER]}
mover=${2:-/etc/lvsd/scripts/cloud-floating-ip.sh}

# Master <=> lvsd has put the floating IP on one of our interfaces.
if ! ip -o addr show to "$ip" 2>/dev/null | grep -q .; then
	exit 0
fi

# One attempt only (a check must finish within its timeout); the mover
# itself does nothing when the IP is already held here.
TRIES=1 DELAY=0 exec "$mover" "$ip"
