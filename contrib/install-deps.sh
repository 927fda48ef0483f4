#!/usr/bin/env bash
# install-deps.sh - install the Debian packages lvsd's tests need, if any is
# missing. `make test` and `.ci/run` call it; it is a no-op when everything
# is there. Run as root (it uses apt-get).
set -euo pipefail

packages=(
	iproute2 iputils-ping iputils-arping procps psmisc curl ca-certificates
	keepalived  # the reference peer for interop tests, and genhash
	ipvsadm nginx-light tcpdump busybox-static
	qemu-system-x86 kmod cpio xz-utils zstd  # the IPVS VM lab (integration/vm)
	frr  # the BGP router of the scale-out lab (integration/bgp_test.go)
)

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
