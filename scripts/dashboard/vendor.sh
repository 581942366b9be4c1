#!/usr/bin/env bash
# Re-fetches the dashboard's charting library (uPlot, MIT) from the npm
# registry at the pinned version, checks every file against the pinned
# SHA-256 sums in scripts/dashboard/uplot.sha256, and writes them to
# cmd/tocsin/internal/dashboard/assets/vendor/. The files are committed:
# a fresh clone builds with no npm and no network; this script is only
# for upgrading (change VERSION, run it with UPDATE_SUMS=1, review the
# diff) or for checking that the committed files are what npm serves.
#
#   make dashboard-vendor              fetch, check the sums, copy
#   UPDATE_SUMS=1 make dashboard-vendor  fetch, rewrite the sums, copy
set -euo pipefail
VERSION=1.6.32
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUMS="$ROOT/scripts/dashboard/uplot.sha256"
DEST="$ROOT/cmd/tocsin/internal/dashboard/assets/vendor"
FILES="uPlot.iife.min.js uPlot.min.css LICENSE"

command -v npm >/dev/null 2>&1 || { echo "dashboard-vendor: npm is needed to re-fetch uPlot" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$TMP" && npm pack --silent "uplot@$VERSION" >/dev/null && tar xzf "uplot-$VERSION.tgz")
mkdir -p "$TMP/out"
cp "$TMP/package/dist/uPlot.iife.min.js" "$TMP/package/dist/uPlot.min.css" "$TMP/package/LICENSE" "$TMP/out/"
if [ "${UPDATE_SUMS:-0}" = 1 ]; then
  (cd "$TMP/out" && sha256sum $FILES) > "$SUMS"
  echo "dashboard-vendor: wrote $SUMS for uplot@$VERSION"
else
  (cd "$TMP/out" && sha256sum --quiet -c "$SUMS") || {
    echo "dashboard-vendor: uplot@$VERSION from npm does not match $SUMS" >&2
    exit 1
  }
fi
mkdir -p "$DEST"
for f in $FILES; do cp "$TMP/out/$f" "$DEST/$f"; done
echo "uplot@$VERSION" > "$DEST/VERSION"
(cd "$DEST" && sha256sum --quiet -c "$SUMS")
echo "dashboard-vendor: $DEST holds uplot@$VERSION (checksums match)"
