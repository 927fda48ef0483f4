#!/usr/bin/env bash
# test.sh DEB - test the lvsd Debian package on this (throwaway CI) machine,
# as root: lintian reports no error (nor warning), dpkg -i installs it,
# /usr/sbin/lvsd runs, both man pages render without a groff warning, the
# unit passes systemd-analyze verify, the example conffile is valid, and
# dpkg --purge leaves none of its files behind. `make test-deb`.
set -euo pipefail
DEB=${1:?usage: test.sh DEB}
[ "$(id -u)" = 0 ] || { echo "test-deb: run as root (dpkg -i)"; exit 1; }
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

echo "test-deb: lintian $DEB"
rc=0
out=$(lintian --fail-on error,warning "$DEB" 2>&1) || rc=$?
out=$(echo "$out" | grep -v '^running with root privileges' || true)
[ "$rc" = 0 ] || fail "lintian (exit $rc): $out"
[ -z "$out" ] || echo "$out"

if dpkg-query -W -f='${Status}' lvsd 2>/dev/null | grep -q installed; then
	fail "lvsd is already installed on this machine; dpkg --purge lvsd first"
fi
files=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\.||' | grep -v '/$')
before=$(mktemp)
trap 'rm -f "$before"; dpkg --purge lvsd >/dev/null 2>&1 || true' EXIT
for d in /etc/lvsd /var/lib/lvsd /run/lvsd; do [ ! -e "$d" ] || echo "$d" >>"$before"; done

echo "test-deb: dpkg -i"
dpkg -i "$DEB" >/dev/null
for f in $files; do [ -e "$f" ] || fail "$f not installed"; done
# (not `tee /dev/stderr`: opening it truncates a log that stderr is redirected to)
v=$(/usr/sbin/lvsd version) || fail "lvsd version"
printf '%s\n' "$v"
printf '%s\n' "$v" | grep -q '^commit:' || fail "lvsd version"
/usr/sbin/lvsd check -f /etc/lvsd/lvsd.toml || fail "the shipped /etc/lvsd/lvsd.toml is not valid"
for m in /usr/share/man/man8/lvsd.8.gz /usr/share/man/man5/lvsd.toml.5.gz; do
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null) || fail "man -l $m"
	[ -z "$warn" ] || fail "man -l $m: $warn"
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>/dev/null | sed 's/.\x08//g' | grep -q "SEE ALSO" || fail "man -l $m renders nothing"
done
echo "test-deb: man -l renders lvsd(8) and lvsd.toml(5)"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/lvsd.service || fail "systemd-analyze verify lvsd.service"
	echo "test-deb: systemd-analyze verify lvsd.service: ok"
fi
bash -c 'source /usr/share/bash-completion/completions/lvsd; COMP_WORDS=(lvsd chec); COMP_CWORD=1; _lvsd; [ "${COMPREPLY[*]}" = check ]' ||
	fail "bash completion"

# What a user does after writing the configuration (offline here: systemctl
# enable only makes the symlink), and what the daemon makes at run time.
wants=/etc/systemd/system/multi-user.target.wants/lvsd.service
if command -v systemctl >/dev/null && [ ! -e "$wants" ]; then
	systemctl enable lvsd.service >/dev/null 2>&1 || true
	[ -L "$wants" ] || fail "systemctl enable lvsd did not make $wants"
fi
mkdir -p /var/lib/lvsd /run/lvsd && touch /run/lvsd/state.json

echo "test-deb: dpkg --purge"
dpkg --purge lvsd >/dev/null
for f in $files /etc/lvsd /var/lib/lvsd /run/lvsd $wants; do
	if [ -e "$f" ] && ! grep -qx "$f" "$before"; then fail "$f left after purge"; fi
done
if dpkg-query -W lvsd >/dev/null 2>&1; then fail "dpkg still knows lvsd"; fi
echo "test-deb: ok ($(basename "$DEB"))"
