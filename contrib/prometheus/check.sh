#!/usr/bin/env bash
# check.sh - promtool check rules and promtool test rules on lvsd's alerting
# rules (make test-prometheus). promtool comes from Debian's prometheus
# package; when it is not installed, the package is only downloaded and
# promtool extracted into bin/ (no Prometheus server is installed or started).
set -euo pipefail
cd "$(dirname "$0")"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMTOOL" ]; then
	cache=../../bin/promtool-deb
	PROMTOOL=$cache/usr/bin/promtool
	if [ ! -x "$PROMTOOL" ]; then
		mkdir -p "$cache"
		(cd "$cache" && rm -f prometheus_*.deb &&
			{ apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; } &&
			dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool && rm -f prometheus_*.deb)
	fi
fi
"$PROMTOOL" check rules lvsd-alerts.yml
"$PROMTOOL" test rules lvsd-alerts_test.yml
