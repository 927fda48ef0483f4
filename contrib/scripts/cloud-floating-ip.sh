#!/bin/sh
# notify_master script for a floating IP in a cloud without multicast or gratuitous ARP
# (contrib/examples/cloud-floating-ip-*.toml): ask the provider's API to move the floating IP
# to this node. Tries up to TRIES times (10), DELAY seconds apart (3), and does nothing when
# the provider says this node already holds the address.
#
# Usage: cloud-floating-ip.sh FLOATING_IP
#
# Settings come from the environment or from /etc/lvsd/cloud-floating-ip.env (mode 0600, it
# holds a secret):
#   CLOUD_API     base URL of the provider's API, e.g. https://api.example-cloud.com/v1
#   CLOUD_TOKEN   API token allowed to reassign the floating IP
#   THIS_NODE_ID  the provider's id of this server (or of its network interface)
#   TRIES, DELAY  optional: attempts and seconds between them
#
# The two functions marked PROVIDER API CALL are the only provider-specific parts: adapt the
# URL, the JSON and the way the current holder is read to your provider's API.
set -u

ip=${1:?usage: cloud-floating-ip.sh FLOATING_IP}
env_file=${CLOUD_ENV_FILE:-/etc/lvsd/cloud-floating-ip.env}
# shellcheck disable=SC1090
[ -r "$env_file" ] && . "$env_file"
: "${CLOUD_API:?CLOUD_API not set}" "${CLOUD_TOKEN:?CLOUD_TOKEN not set}" "${THIS_NODE_ID:?THIS_NODE_ID not set}"
tries=${TRIES:-10}
delay=${DELAY:-3}

log() { logger -t lvsd-floating-ip -- "$*" 2>/dev/null; echo "lvsd-floating-ip: $*" >&2; }

# holder prints the id of the node that holds the floating IP now.
holder() {
	# ---- PROVIDER API CALL: who holds the floating IP? ----
	curl -fsS --max-time 5 \
		-H "Authorization: Bearer $CLOUD_TOKEN" \
		"$CLOUD_API/floating_ips/$ip" |
		sed -n 's/.*"assigned_to"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# assign asks the provider to move the floating IP to this node.
assign() {
	# ---- PROVIDER API CALL: move the floating IP here ----
	curl -fsS --max-time 10 -X POST \
		-H "Authorization: Bearer $CLOUD_TOKEN" \
		-H "Content-Type: application/json" \
		-d "{\"assign_to\": \"$THIS_NODE_ID\"}" \
		"$CLOUD_API/floating_ips/$ip/assign" >/dev/null
}

attempts=0
while :; do
	current=$(holder)
	if [ "$current" = "$THIS_NODE_ID" ]; then
		if [ "$attempts" -eq 0 ]; then
			log "$ip is already held by this node ($THIS_NODE_ID): nothing to do"
		else
			log "$ip moved to this node ($THIS_NODE_ID) after $attempts attempt(s)"
		fi
		exit 0
	fi
	if [ "$attempts" -ge "$tries" ]; then
		break
	fi
	attempts=$((attempts + 1))
	log "moving $ip from ${current:-unknown} to $THIS_NODE_ID (attempt $attempts of $tries)"
	assign || log "attempt $attempts: the API refused or did not answer"
	sleep "$delay"
done
log "giving up: $ip not moved to $THIS_NODE_ID after $tries attempts"
exit 1
