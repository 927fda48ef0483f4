#!/bin/busybox sh
# /init of the lvsd test VM (PID 1). Mounts the pseudo filesystems, loads the
# modules listed in /etc/modules, mounts the host's control directory (9p tag
# "ctl") at /run/vm and each shared directory at its host path, runs
# /run/vm/cmd.sh, writes its status to /run/vm/exit-code and powers off.
# Whatever fails, it ends in a poweroff, never a hang.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb

die() {
	echo "vm-init: $*" >&2
	poweroff -f
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/netns /run/vm
# "ip netns" bind-mounts namespaces: needs shared propagation.
mount --make-rshared /
hostname vm
ip link set lo up

for m in $(cat /etc/modules); do
	modprobe "$m" || echo "vm-init: modprobe $m failed" >&2
done

o=trans=virtio,version=9p2000.L,msize=512000,cache=none,access=any
mount -t 9p -o "$o" ctl /run/vm || die "cannot mount the 9p control share"
while read -r tag path; do
	mkdir -p "$path" && mount -t 9p -o "$o" "$tag" "$path" || die "cannot mount $path"
done </run/vm/shares

/bin/sh /run/vm/cmd.sh </dev/null
echo $? >/run/vm/exit-code
sync
poweroff -f
