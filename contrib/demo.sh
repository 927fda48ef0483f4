#!/usr/bin/env bash
# demo.sh - a live VRRP failover between two lvsd nodes, in network
# namespaces created here and removed on exit. Run as root: `make demo`.
#
#   namespace sw : bridge br0 (multicast snooping off)
#   namespace n1 : eth0 10.99.0.1/24   lvsd, priority 200 (state MASTER)
#   namespace n2 : eth0 10.99.0.2/24   lvsd, priority 100
#   namespace cl : eth0 10.99.0.10/24  a client that talks to the VIP
#   VIP 10.99.0.100, VRID 51, VRRPv2, advert_int 1 s, PASS authentication
set -euo pipefail

LVSD=${1:-bin/lvsd}
[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces)"; exit 1; }
[ -x "$LVSD" ] || { echo "demo: $LVSD not found (make build)"; exit 1; }
LVSD=$(readlink -f "$LVSD")

P="lvdemo$$-"
VIP=10.99.0.100
DIR=$(mktemp -d /tmp/lvsd-demo.XXXXXX)
declare -A IP=([n1]=10.99.0.1 [n2]=10.99.0.2 [cl]=10.99.0.10)
declare -A MAC=([n1]=02:99:00:00:00:01 [n2]=02:99:00:00:00:02 [cl]=02:99:00:00:00:0a)
declare -A PID=()

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }

cleanup() {
	set +e
	for n in "${!PID[@]}"; do kill -9 "${PID[$n]}" 2>/dev/null; wait "${PID[$n]}" 2>/dev/null; done
	for n in n1 n2 cl sw; do
		if ip netns list | grep -qw "${P}$n"; then
			for p in $(ip netns pids "${P}$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			ip netns del "${P}$n"
		fi
	done
	rm -rf "$DIR"
	echo
	echo "demo: namespaces ${P}* and $DIR removed"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# owner [NODES...]: which of the nodes (default n1 n2) have the VIP
owner() {
	local o="" nodes=("$@")
	[ ${#nodes[@]} -gt 0 ] || nodes=(n1 n2)
	for n in "${nodes[@]}"; do
		if ip -n "${P}$n" -o addr show dev eth0 | grep -q " $VIP/"; then o="$o $n"; fi
	done
	echo "${o# }"
}
# wait_owner NODE [NODES...]: poll (about every 20 ms, at most 20 s) until
# NODE alone of NODES (default n1 n2) has the VIP
wait_owner() {
	local want=$1 deadline
	shift
	deadline=$(($(date +%s) + 20))
	while [ "$(date +%s)" -lt $deadline ]; do
		[ "$(owner "$@")" = "$want" ] && return 0
		sleep 0.01
	done
	echo "demo: $want did not take the VIP (owner: '$(owner "$@")')"
	exit 1
}
# kill_lvsd NODE SIGNAL: signal lvsd on NODE and reap it quietly
kill_lvsd() {
	kill "-$2" "${PID[$1]}"
	wait "${PID[$1]}" 2>/dev/null && STATUS=0 || STATUS=$?
	unset "PID[$1]"
}
client_mac() { ip -n "${P}cl" neigh show "$VIP" | awk '{print $5}'; }
who_is() { case "$1" in "${MAC[n1]}") echo n1 ;; "${MAC[n2]}") echo n2 ;; *) echo "?" ;; esac; }
start_lvsd() {
	ip netns exec "${P}$1" "$LVSD" run -f "$DIR/$1.toml" --socket "$DIR/$1.sock" --state-file "$DIR/$1.state" >>"$DIR/$1.log" 2>&1 &
	PID[$1]=$!
}

bold "Building the lab: bridge + namespaces n1, n2 (lvsd) and cl (client)"
ip netns add "${P}sw"
ip -n "${P}sw" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "${P}sw" link set br0 up
for n in n1 n2 cl; do
	ip netns add "${P}$n"
	ip netns exec "${P}$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip link add eth0 netns "${P}$n" address "${MAC[$n]}" type veth peer name "p-$n" netns "${P}sw"
	ip -n "${P}sw" link set "p-$n" master br0 up
	ip -n "${P}$n" link set lo up
	ip -n "${P}$n" addr add "${IP[$n]}/24" dev eth0
	ip -n "${P}$n" link set eth0 up
	say "$n: eth0 ${IP[$n]} ${MAC[$n]}"
done

for n in n1 n2; do
	prio=100 state=BACKUP
	[ $n = n1 ] && prio=200 state=MASTER
	cat >"$DIR/$n.toml" <<EOF
[[vrrp_instance]]
name = "VI_1"
state = "$state"
interface = "eth0"
virtual_router_id = 51
priority = $prio
advert_int = 1
authentication = { auth_type = "PASS", auth_pass = "s3cr3t" }
virtual_ipaddress = ["$VIP/24 dev eth0"]
EOF
done
say "config of n1 ($DIR/n1.toml):"
sed 's/^/      /' "$DIR/n1.toml"

bold "Starting lvsd on n1 (priority 200) and n2 (priority 100)"
t0=$(now)
start_lvsd n1
start_lvsd n2
wait_owner n1
say "n1 owns $VIP after $(elapsed "$t0" "$(now)") s (state MASTER starts as backup and becomes master when it"
say "  hears nobody for its Master_Down_Interval = 3 x 1 s + (256-200)/256 s = 3.219 s, as keepalived does)"
ip netns exec "${P}cl" ping -c1 -W1 -q "$VIP" >/dev/null
say "client: ping $VIP ok; its ARP entry says $VIP is at $(client_mac) = $(who_is "$(client_mac)")"
say "lvsd status --socket $DIR/n2.sock (the backup):"
"$LVSD" status --socket "$DIR/n2.sock" 2>&1 | sed 's/^/      /' || true

bold "Killing the master: kill -9 lvsd on n1 and pull its cable"
ip -n "${P}n1" link set eth0 down
t1=$(now)
kill_lvsd n1 9
wait_owner n2 n2
t2=$(now)
say "n2 owns $VIP $(elapsed "$t1" "$t2") s after the kill (n1, dead, still has the address on its unplugged eth0)"
say "  (RFC 3768: Master_Down_Interval = 3 x 1 s + (256-100)/256 s = 3.609 s after n1's last advert,"
say "   which left up to 1 s before the kill)"
sleep 0.5
say "client: its ARP entry now says $VIP is at $(client_mac) = $(who_is "$(client_mac)") (gratuitous ARP from n2)"
ip netns exec "${P}cl" ping -c1 -W1 -q "$VIP" >/dev/null && say "client: ping $VIP ok (answered by n2)"
say "lvsd status on n2:"
"$LVSD" status --socket "$DIR/n2.sock" 2>&1 | grep -E "VRRP instance|VI_1" | sed 's/^/      /' || true

bold "The old master comes back and preempts"
ip -n "${P}n1" addr del "$VIP/24" dev eth0 2>/dev/null || true # a crashed node keeps its VIP; lvsd would remove it too
ip -n "${P}n1" link set eth0 up
t3=$(now)
start_lvsd n1
wait_owner n1
say "n1 owns $VIP again $(elapsed "$t3" "$(now)") s after its restart (it listens for Master_Down_Interval, then preempts n2)"
sleep 0.5
say "client: $VIP is at $(client_mac) = $(who_is "$(client_mac)")"

bold "Graceful stop of the master (SIGTERM): it sends priority 0, n2 takes over after its skew time"
t4=$(now)
kill_lvsd n1 TERM
wait_owner n2
say "n2 owns $VIP $(elapsed "$t4" "$(now)") s after SIGTERM (skew time (256-100)/256 = 0.609 s); n1 removed it"
say "lvsd on n1 exited with status $STATUS"

sleep 0.3
for n in n1 n2; do
	bold "What lvsd logged on $n (state changes)"
	grep -E "entering|stopped|lvsd running" "$DIR/$n.log" | sed 's/^/   /'
done
