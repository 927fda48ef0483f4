#!/usr/bin/env bash
# run.sh - run one command inside a throw-away qemu VM that boots Debian's
# stock kernel (linux-image-amd64) with IPVS and its schedulers loaded.
#
#   integration/vm/run.sh [options] -- COMMAND [ARGS...]
#
# The working directory is shared into the VM over virtio-9p at the same
# absolute path and is the command's cwd, so a static test binary built on
# the host runs as is:
#
#   CGO_ENABLED=0 go test -c -o /tmp/ipvs.test ./ipvs
#   integration/vm/run.sh -- /tmp/ipvs.test -test.v
#   CGO_ENABLED=0 go test -exec "$PWD/integration/vm/run.sh --" ./ipvs
#
# The guest console goes to stdout; the exit status is the command's
# (124: timeout, 125: the VM died before reporting one). The VM has no NIC.
#
# Options:
#   --mem SIZE       guest memory (default 1G)
#   --smp N          guest CPUs (default 2)
#   --timeout SECS   kill the VM after SECS seconds (default 600) -> 124
#   --share DIR      share one more host directory at the same path
#   -e NAME[=VALUE]  environment variable for the command (repeatable)
#   --keepalived     also put the host's keepalived and genhash (Debian's
#                    package, installed on the host) with their libraries
#                    in the VM, at /usr/sbin/keepalived and /usr/bin/genhash;
#                    LVSD_VM_KEEPALIVED=1 does the same (for go test -exec)
#   --frr            also put the host's FRR zebra, bgpd (Debian frr, at
#                    /usr/lib/frr) and vtysh with their libraries in the
#                    VM (a router namespace for the ECMP test), with the
#                    frr user and the frr and frrvty groups;
#                    LVSD_VM_FRR=1 does the same
#   --prepare        only build the cached kernel + initramfs
#   -v               kernel messages and the qemu command line
#
# The kernel, busybox-static and ipvsadm are fetched with "apt-get download"
# (never installed on the host) and turned into an image cached under
# ${LVSD_VM_CACHE:-~/.cache/lvsd-vm}, keyed by the kernel version and a hash
# of this script, init.sh and the module list: edit any of them and the next
# run rebuilds it. Host needs: qemu-system-x86, apt, dpkg-deb, xz, flock,
# iproute2, dash (see .ci/run).
#
# --keepalived adds an uncompressed cpio archive (about 30 MB, cached beside
# the image, keyed by the binaries' hash) in front of the gzipped initramfs:
# the kernel unpacks concatenated archives in order, and an uncompressed one
# costs no decompression under emulation. Off by default.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${LVSD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/lvsd-vm}
KERNEL_META=${LVSD_VM_KERNEL:-linux-image-amd64}
QEMU=qemu-system-x86_64

# Modules loaded at boot; modules.dep adds their dependencies. crc32c_*:
# libcrc32c (nf_conntrack -> ip_vs) asks for the "crc32c" algorithm only as a
# soft dependency, which modules.dep does not list.
MODULES="virtio_pci 9pnet_virtio 9p crc32c_generic crc32c_intel
 ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
 ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_twos ip_vs_pe_sip
 nf_conntrack nf_nat veth bridge dummy macvlan ipip ip_gre fou
 sch_netem nf_tables nft_numgen"
# Guest userland from Debian packages (unpacked, not installed).
GUEST_DEBS="busybox-static ipvsadm libpopt0 libnl-3-200 libnl-genl-3-200"

log() { printf 'vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 125; }

# copy_bin ROOT SRC DEST [LIBPATH] - install an executable and its libraries.
copy_bin() {
	local root=$1 src=$2 dest=$3 libpath=${4:-} out lib
	install -D -m 0755 "$src" "$root$dest"
	out=$(LD_LIBRARY_PATH=$libpath ldd "$src" 2>&1) || return 0 # static
	case "$out" in *"not found"*) die "libraries missing for $src: $out" ;; esac
	for lib in $(printf '%s\n' "$out" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p'); do
		[ -e "$root/lib/x86_64-linux-gnu/${lib##*/}" ] ||
			install -D -m 0755 "$(readlink -f "$lib")" "$root/lib/x86_64-linux-gnu/${lib##*/}"
	done
}

# extract_vmlinux BZIMAGE OUT - the ELF kernel inside the bzImage: qemu boots
# it through the PVH entry point, which skips the self-decompression that
# costs ~3 s per boot under TCG. Debian compresses with xz.
extract_vmlinux() {
	local off
	for off in $(LC_ALL=C grep -aobUF "$(printf '\3757zXZ')" "$1" | cut -d: -f1 | head -n 5); do
		tail -c +"$((off + 1))" "$1" | xz -dc >"$2.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$2.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
			mv "$2.tmp" "$2"
			return 0
		fi
	done
	rm -f "$2.tmp"
	return 1
}

fetch_deb() { # fetch_deb DIR PKG - apt-get download into DIR
	(cd "$1" && apt-get download -qq -o APT::Sandbox::User=root "$2" >&2) || die "apt-get download $2 failed (apt-get update?)"
}

build_image() { # build_image OUT KERNELPKG
	local out=$1 kpkg=$2 work=$1/.work m line
	mkdir -p "$work/debs" "$work/k" "$work/u" "$work/root"
	log "building the VM image for $kpkg (once)"
	fetch_deb "$work/debs" "$kpkg"
	dpkg-deb -x "$work/debs/$kpkg"_*.deb "$work/k"
	local pkg
	for pkg in $GUEST_DEBS; do
		fetch_deb "$work/debs" "$pkg"
		dpkg-deb -x "$work/debs/$pkg"_*.deb "$work/u"
	done
	local mdir kver bb=$work/u/bin/busybox
	mdir=$(find "$work/k/lib/modules" "$work/k/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1 || true)
	kver=${mdir##*/}
	grep -q '^CONFIG_NET_9P_VIRTIO=[ym]' "$work/k/boot/config-$kver" || die "$kpkg has no virtio-9p (use the generic flavour)"
	# busybox modprobe reads plain .ko only (trixie compresses them).
	find "$mdir" -name '*.ko.xz' -exec xz -d {} +
	find "$mdir" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	"$bb" depmod -b "${mdir%/lib/modules/*}" "$kver"

	local root=$work/root
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,lib/modules/"$kver",lib64,proc,sys,dev,run,tmp,root,var}
	ln -s /run "$root/var/run"
	: >"$root/etc/modules"
	for m in $MODULES; do
		line=$(awk -v n="$m" -F: '{f=$1; sub(/.*\//, "", f); sub(/\.ko$/, "", f); gsub(/-/, "_", f); if (f == n) {print; exit}}' "$mdir/modules.dep")
		if [ -z "$line" ]; then
			grep -qE "/${m//_/[-_]}\.ko$" "$mdir/modules.builtin" || log "note: module $m is not in $kver"
			continue
		fi
		echo "$m" >>"$root/etc/modules"
		for f in $(echo "$line" | tr ':' ' '); do install -D -m 0644 "$mdir/$f" "$root/lib/modules/$kver/$f"; done
	done
	cp "$mdir"/modules.builtin* "$mdir"/modules.order "$root/lib/modules/$kver/" 2>/dev/null || true
	"$bb" depmod -b "$root" "$kver"

	# dash is /bin/sh: busybox's ash would run its own applets (ip) before PATH.
	copy_bin "$root" /bin/dash /bin/dash
	ln -s dash "$root/bin/sh"
	copy_bin "$root" /bin/bash /bin/bash
	copy_bin "$root" "$(readlink -f "$(command -v ip)")" /usr/sbin/ip # busybox ip lacks netns
	# tc (netem delay and jitter, with its distribution tables) and nft
	# (loss and partitions): the chaos suite in the VM (make chaos-vm)
	copy_bin "$root" "$(readlink -f "$(command -v tc)")" /usr/sbin/tc
	local tcdir
	for tcdir in /usr/lib/x86_64-linux-gnu/tc /usr/lib/tc; do
		[ ! -d "$tcdir" ] || { mkdir -p "$root$tcdir" && cp "$tcdir"/*.dist "$root$tcdir/"; }
	done
	if command -v nft >/dev/null; then
		copy_bin "$root" "$(readlink -f "$(command -v nft)")" /usr/sbin/nft
	else
		log "note: nft is not installed on the host (apt-get install nftables): the image has none"
	fi
	copy_bin "$root" "$work/u/sbin/ipvsadm" /usr/sbin/ipvsadm "$work/u/lib/x86_64-linux-gnu:$work/u/usr/lib/x86_64-linux-gnu"
	install -D -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$root/lib64/ld-linux-x86-64.so.2"
	install -m 0755 "$bb" "$root/bin/busybox"
	for m in $("$bb" --list); do
		[ -e "$root/bin/$m" ] || [ -e "$root/usr/sbin/$m" ] || ln -s busybox "$root/bin/$m"
	done
	ln -s ../bin/busybox "$root/sbin/modprobe" # the kernel's module auto-loader
	# frr, frrvty: FRR's daemons (--frr) look them up at start
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nfrr:x:100:101::/var/run/frr:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\nfrr:x:101:\nfrrvty:x:102:frr\n' >"$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
	printf 'tcp 6\nudp 17\nicmp 1\nsctp 132\n' >"$root/etc/protocols"
	install -m 0755 "$HERE/init.sh" "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -6 >"$out/initramfs.gz"
	cp "$work/k/boot/vmlinuz-$kver" "$out/vmlinuz"
	extract_vmlinux "$out/vmlinuz" "$out/vmlinux" || log "note: no vmlinux extracted, booting the bzImage (slower)"
	echo "$kver" >"$out/release"
	rm -rf "$work"
}

refresh_apt() { # apt-get update once per run, as root; false if not done
	[ "$(id -u)" = 0 ] && [ -z "${LVSD_VM_APT_UPDATED:-}" ] || return 1
	LVSD_VM_APT_UPDATED=1
	log "apt-get update (building the VM image)"
	apt-get update -qq >&2 || log "apt-get update failed; trying with the lists there are"
	return 0
}

prepare() { # sets IMG
	local kpkg key
	command -v "$QEMU" >/dev/null || die "$QEMU missing (apt-get install qemu-system-x86)"
	kpkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
	if [ -z "$kpkg" ] && refresh_apt; then prepare; return; fi
	[ -n "$kpkg" ] || die "apt does not resolve $KERNEL_META (run apt-get update)"
	key=$({
		echo "$kpkg $(apt-cache show --no-all-versions "$kpkg" | sed -n 's/^Version: //p') $MODULES $GUEST_DEBS"
		sed -n '/^MODULES=/,/^GUEST_DEBS=/p;/^build_image/,/^}/p' "${BASH_SOURCE[0]}"
		cat "$HERE/init.sh"
	} | sha256sum | cut -c1-12)
	IMG=$CACHE/$kpkg-$key
	[ -e "$IMG/ok" ] && return 0
	# A build downloads the kernel: fresh lists first, since stale ones can
	# name a kernel the mirror no longer has (then the key is recomputed).
	if refresh_apt; then prepare; return; fi
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9 # parallel first runs wait for one build
	if [ ! -e "$IMG/ok" ]; then
		rm -rf "$IMG.tmp" && mkdir -p "$IMG.tmp"
		build_image "$IMG.tmp" "$kpkg"
		touch "$IMG.tmp/ok" && rm -rf "$IMG" && mv "$IMG.tmp" "$IMG"
	fi
	exec 9>&-
}

# build_keepalived OUT BASE - an uncompressed cpio archive of the host's
# keepalived and genhash and the libraries they need that BASE (the gzipped
# initramfs) does not hold.
build_keepalived() {
	local out=$1 base=$2 root=$1.root src f
	rm -rf "$root" && mkdir -p "$root/etc/keepalived"
	for src in keepalived:/usr/sbin/keepalived genhash:/usr/bin/genhash; do
		f=$(command -v "${src%%:*}" || true)
		[ -n "$f" ] || die "--keepalived: ${src%%:*} is not installed on the host (apt-get install keepalived)"
		copy_bin "$root" "$f" "${src#*:}"
	done
	gzip -dc "$base" | cpio -it --quiet 2>/dev/null | sed -n 's|^\./||; s|^lib/x86_64-linux-gnu/|&|p' |
		while read -r f; do rm -f "$root/$f"; done
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$root"
}

# with_keepalived - sets INITRD to the image's initramfs with the keepalived
# archive in front (built once per keepalived binary).
with_keepalived() {
	local key ka
	command -v cpio >/dev/null || die "--keepalived needs cpio on the host"
	key=$({
		sha256sum "$(command -v keepalived)" "$(command -v genhash)" 2>/dev/null
		sed -n '/^build_keepalived/,/^}/p' "${BASH_SOURCE[0]}"
	} | sha256sum | cut -c1-12)
	ka=$IMG/initrd-keepalived-$key
	INITRD=$ka
	[ -s "$ka" ] && return 0
	exec 9>"$CACHE/.lock"
	flock 9
	if [ ! -s "$ka" ]; then
		log "adding keepalived to the VM image (once)"
		build_keepalived "$ka.cpio" "$IMG/initramfs.gz"
		cat "$ka.cpio" "$IMG/initramfs.gz" >"$ka.tmp" && mv "$ka.tmp" "$ka"
		rm -f "$ka.cpio"
	fi
	exec 9>&-
}

# with_frr - puts an uncompressed cpio archive of the host's FRR zebra,
# bgpd and vtysh (and the libraries the base image lacks) in front of
# INITRD, built once per set of binaries and base. vtysh is there for
# testenv.NeedFRR but fails on PAM in the VM: tests read the kernel route. The frr user and the
# frr and frrvty groups are in the base image's /etc/passwd and /etc/group.
with_frr() {
	local key out root f
	command -v cpio >/dev/null || die "--frr needs cpio on the host"
	for f in /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/bin/vtysh; do
		[ -x "$f" ] || die "--frr: $f is not installed on the host (apt-get install frr)"
	done
	key=$({
		sha256sum /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/bin/vtysh "$INITRD"
		sed -n '/^with_frr/,/^}/p' "${BASH_SOURCE[0]}"
	} | sha256sum | cut -c1-12)
	out=$IMG/initrd-frr-$key
	if [ ! -s "$out" ]; then
		exec 9>"$CACHE/.lock"
		flock 9
		if [ ! -s "$out" ]; then
			log "adding FRR to the VM image (once)"
			root=$out.root
			rm -rf "$root" && mkdir -p "$root/etc/frr" "$root/var/run/frr" "$root/var/tmp/frr"
			for f in /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/bin/vtysh; do
				copy_bin "$root" "$f" "$f"
			done
			gzip -dc "$IMG/initramfs.gz" | cpio -it --quiet 2>/dev/null | sed -n 's|^\./||; s|^lib/x86_64-linux-gnu/|&|p' |
				while read -r f; do rm -f "$root/$f"; done
			(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.cpio"
			cat "$out.cpio" "$INITRD" >"$out.tmp" && mv "$out.tmp" "$out"
			rm -rf "$root" "$out.cpio"
		fi
		exec 9>&-
	fi
	INITRD=$out
}

shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

kvm_usable() { # real KVM only: PVM (kvm_pvm) cannot boot a stock kernel
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]
}

main() {
	local mem=1G smp=2 timeout=600 verbose=0 prepare_only=0 shares=() envs=()
	local keepalived=${LVSD_VM_KEEPALIVED:-0}
	local frr=${LVSD_VM_FRR:-0}
	while [ $# -gt 0 ]; do
		case "$1" in
		--mem) mem=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--share) shares+=("$2"); shift 2 ;;
		-e) envs+=("$2"); shift 2 ;;
		-v) verbose=1; shift ;;
		--keepalived) keepalived=1; shift ;;
		--frr) frr=1; shift ;;
		--prepare) prepare_only=1; shift ;;
		-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
		--) shift; break ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
	done
	prepare
	INITRD=$IMG/initramfs.gz
	[ "$keepalived" != 1 ] || with_keepalived
	[ "$frr" != 1 ] || with_frr
	[ "$prepare_only" = 0 ] || { log "image $IMG"; exit 0; }
	[ $# -gt 0 ] || die "no command (run.sh [options] -- command [args...])"

	# go test -exec runs /tmp/go-build.../x.test: share the binary's directory.
	if [[ $1 == /* ]] && [ -f "$1" ]; then shares+=("$(dirname "$1")"); fi
	local ctl
	ctl=$(mktemp -d "${TMPDIR:-/tmp}/lvsd-vm.XXXXXX")
	# shellcheck disable=SC2064
	trap "[ -s '$ctl/qemu.pid' ] && kill \$(cat '$ctl/qemu.pid') 2>/dev/null; rm -rf '$ctl'" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	{
		echo "cd $(shq "$PWD") || exit 126"
		local e
		for e in ${envs[@]+"${envs[@]}"}; do
			case "$e" in
			*=*) echo "export $(shq "$e")" ;;
			*) [ -z "${!e+x}" ] || echo "export $(shq "$e=${!e}")" ;;
			esac
		done
		printf 'exec'
		for e in "$@"; do printf ' %s' "$(shq "$e")"; done
		echo
	} >"$ctl/cmd.sh"
	local virtfs=(-virtfs "local,path=$ctl,mount_tag=ctl,security_model=none,id=ctl") i=0 d
	: >"$ctl/shares"
	for d in $(for d in "$PWD" ${shares[@]+"${shares[@]}"}; do (cd "$d" && pwd -P); done | LC_ALL=C sort -u); do
		echo "sh$i $d" >>"$ctl/shares"
		virtfs+=(-virtfs "local,path=$d,mount_tag=sh$i,security_model=none,id=sh$i")
		i=$((i + 1))
	done
	local accel=(-accel tcg,thread=multi -cpu max)
	kvm_usable && accel=(-accel kvm -cpu host)
	local kernel=$IMG/vmlinuz
	[ -e "$IMG/vmlinux" ] && kernel=$IMG/vmlinux
	local append="console=ttyS0 panic=-1 rdinit=/init i8042.noaux i8042.nokbd i8042.nopnp 8250.nr_uarts=1 mitigations=off"
	if [ "$verbose" = 1 ]; then append="$append loglevel=7"; else append="$append quiet loglevel=3"; fi
	local cmd=("$QEMU" -nodefaults -no-user-config -display none -no-reboot "${accel[@]}"
		-smp "$smp" -m "$mem" -serial stdio -monitor none -nic none -pidfile "$ctl/qemu.pid"
		-kernel "$kernel" -initrd "$INITRD" -append "$append" "${virtfs[@]}")
	[ -e /usr/share/qemu/qboot.rom ] && cmd+=(-bios /usr/share/qemu/qboot.rom) # faster than SeaBIOS
	[ "$verbose" = 0 ] || log "${cmd[*]}"
	# Backgrounded so that a signal to this script is handled at once (the
	# EXIT trap then kills qemu by its pid file).
	{ timeout -k 5 "$timeout" "${cmd[@]}" </dev/null 2>&1 || echo $? >"$ctl/qemu.rc"; } |
		sed -u -e 's/\r$//' -e '/reboot: Power down$/d' &
	wait $! || true
	if [ -s "$ctl/exit-code" ]; then exit "$(cat "$ctl/exit-code")"; fi
	if [ "$(cat "$ctl/qemu.rc" 2>/dev/null)" = 124 ]; then log "timeout after ${timeout}s"; exit 124; fi
	log "the VM stopped without an exit code (kernel panic or init failure? rerun with -v)"
	exit 125
}

main "$@"
