#!/usr/bin/env bash
# install-deps.sh - install the Debian packages lvsd's tests need, if any is
# missing. `make test` and `.ci/run` call it; it is a no-op when everything
# is there. Run as root (it uses apt-get).
#
#   install-deps.sh        the packages of the whole test suite (make test)
#   install-deps.sh demo   only what `make demo` runs (ip, ping, sysctl)
set -euo pipefail

packages=(
	iproute2 iputils-ping iputils-arping procps psmisc curl ca-certificates
	keepalived  # the reference peer for interop tests, and genhash
	ucarp  # the CARP interop peer (integration/carp_ucarp_test.go)
	ipvsadm nginx-light tcpdump busybox-static
	qemu-system-x86 kmod cpio xz-utils zstd  # the IPVS VM lab (integration/vm)
	lintian man-db  # make test-deb: the Debian package's lint, man -l of its pages
	python3-aiosmtpd dnsmasq-base socat  # real servers for smtp_check, dns_check, udp_check tests
	frr  # the BGP router of the scale-out lab (integration/bgp_test.go)
	nftables  # faults for the chaos suite (packet loss, partitions) and vrrp_strict's rules
	gdb  # stops a new lvsd mid-upgrade (integration/ops_upgrade_fail_test.go)
	snmpd snmp snmptrapd  # the AgentX master, snmpwalk and the trap receiver of the SNMP tests (cmd/lvsd/internal/snmp)
)
demo_packages=(iproute2 iputils-ping procps) # contrib/demo.sh
case "${1:-}" in
"") ;;
demo) packages=("${demo_packages[@]}") ;;
*) echo "install-deps: unknown subset \"$1\" (want: demo, or nothing for the test suite)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (a parallel job) holds the lists lock: wait for it.
for i in $(seq 60); do apt-get update -qq && break; [ "$i" -lt 60 ] || exit 1; sleep 5; done
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
