#!/bin/sh
# suite.sh - run prebuilt Go test binaries inside the VM, each in its
# package directory (as go test does), and fail if any fails.
#
#   integration/vm/run.sh -- integration/vm/suite.sh PKGDIR=BINARY... [-- TEST FLAGS]
#
# Example: suite.sh ipvs=bin/vmtest/ipvs.test -- -test.v
set -u
root=$(pwd)
pairs=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	pairs="$pairs $1"
	shift
done
[ $# -gt 0 ] && shift # the -- before test flags
rc=0
for p in $pairs; do
	dir=${p%%=*} bin=${p#*=}
	case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
	echo "=== $dir"
	start=$(date +%s)
	if (cd "$root/$dir" && "$bin" -test.count=1 -test.timeout=240s "$@"); then
		echo "ok   $dir $(($(date +%s) - start))s"
	else
		echo "FAIL $dir $(($(date +%s) - start))s"
		rc=1
	fi
done
exit $rc
