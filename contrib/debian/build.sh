#!/usr/bin/env bash
# build.sh OUTDIR - build the lvsd Debian package (make deb) into OUTDIR.
# Environment: VERSION (git describe), LDFLAGS (the Makefile's -X flags),
# GO. Everything the package holds is generated here from the source: the
# man pages and completions by the binary itself (lvsd man, lvsd
# completion), so they cannot drift from its flags.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bin/deb}
GO=${GO:-go}
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
ARCH=$($GO env GOARCH)

# Debian version from git: v1.2.3 -> 1.2.3, v1.2.3-4-gabcdef0 -> 1.2.3+git4.abcdef0,
# no tag -> 0.0~gitYYYYMMDDhhmmss.abcdef0; a modified tree adds +dirty.
debversion() {
	local d
	if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		d=${d#v}
		d=$(echo "$d" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+git\1.\2/')
	elif git rev-parse HEAD >/dev/null 2>&1; then
		d="0.0~git$(TZ=UTC git show -s --format=%cd --date=format-local:%Y%m%d%H%M%S HEAD).$(git rev-parse --short=7 HEAD)"
	else
		d="0.0~unknown"
	fi
	if git rev-parse HEAD >/dev/null 2>&1 && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
		d="$d+dirty"
	fi
	echo "$d"
}
DEBVERSION=${DEB_VERSION:-$(debversion)}
# Reproducible dates (man pages, changelog): the commit's time.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git show -s --format=%ct HEAD 2>/dev/null || date +%s)}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lvsd-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$OUT" "$STAGE/doc"

echo "deb: building lvsd $DEBVERSION ($ARCH)"
CGO_ENABLED=0 $GO build -trimpath -ldflags "-s -w ${LDFLAGS:-}" -o "$STAGE/lvsd" ./cmd/lvsd
"$STAGE/lvsd" man lvsd | gzip -9n >"$STAGE/lvsd.8.gz"
"$STAGE/lvsd" man lvsd.toml | gzip -9n >"$STAGE/lvsd.toml.5.gz"
"$STAGE/lvsd" completion bash >"$STAGE/lvsd.bash"
"$STAGE/lvsd" completion zsh >"$STAGE/_lvsd"
cp contrib/systemd/lvsd.service "$STAGE/lvsd.service"

# /usr/share/doc/lvsd: copyright, changelog, the examples and their scripts.
cp contrib/debian/copyright "$STAGE/doc/copyright"
{
	echo "lvsd ($DEBVERSION) unstable; urgency=medium"
	echo
	echo "  * Built from commit $(git rev-parse HEAD 2>/dev/null || echo unknown)."
	echo
	echo " -- lvsd developers <lvsd@example.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$STAGE/doc/changelog.gz"
mkdir -p "$STAGE/doc/examples/scripts" "$STAGE/doc/examples/cloud-floating-ip"
cp contrib/examples/*.toml contrib/examples/README.md "$STAGE/doc/examples/"
cp contrib/scripts/*.sh "$STAGE/doc/examples/scripts/"
cp contrib/cloud-floating-ip/*.toml contrib/cloud-floating-ip/*.sh contrib/cloud-floating-ip/README.md "$STAGE/doc/examples/cloud-floating-ip/"
mkdir -p "$STAGE/doc/examples/prometheus" "$STAGE/doc/examples/grafana"
cp contrib/prometheus/*.yml contrib/prometheus/README.md "$STAGE/doc/examples/prometheus/"
cp contrib/grafana/*.json "$STAGE/doc/examples/grafana/"
chmod -R u=rwX,go=rX "$STAGE/doc"

sed -e "s|@VERSION@|$DEBVERSION|g" -e "s|@ARCH@|$ARCH|g" -e "s|@STAGE@|$STAGE|g" \
	contrib/debian/nfpm.yaml >"$STAGE/nfpm.yaml"
rm -f "$OUT"/lvsd_*.deb
$GO run "$NFPM" package --config "$STAGE/nfpm.yaml" --packager deb --target "$OUT/"
ls "$OUT"/lvsd_*.deb
