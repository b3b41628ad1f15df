#!/usr/bin/env bash
# Unpacks the TRex that sits beside the repository (../shared/trex/
# trex-v3.08.tar.gz: TRex v3.08 built from source for Debian 12 x86-64,
# see its README.md) into DIR (default target/trex), checked against its
# SHA-256, so that tests/trex_live.rs and tools/trex/live.py find it at
# target/trex/trex-v3.08. A TRex of your own: set TREX_DIR to its folder
# (the one holding t-rex-64) instead; nothing is unpacked then.
#
# Usage: tools/trex/unpack.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-target/trex}
tarball=../shared/trex/trex-v3.08.tar.gz
sha256=c9a5796b153c2102dc5c5c10236671e023790d7dc56abbee4e76a2c9d578cab7
if [ -n "${TREX_DIR:-}" ]; then
    [ -x "$TREX_DIR/t-rex-64" ] && exit 0
    echo "$0: TREX_DIR=$TREX_DIR holds no t-rex-64: point it at TRex's scripts folder" >&2
    exit 1
fi
[ -x "$dir/trex-v3.08/t-rex-64" ] && exit 0
if [ ! -f "$tarball" ]; then
    echo "$0: no TRex at $tarball and TREX_DIR unset: the live TRex tests cannot run" >&2
    exit 1
fi
got=$(sha256sum "$tarball" | cut -d' ' -f1)
[ "$got" = "$sha256" ] ||
    { echo "$0: $tarball has SHA-256 $got, not $sha256: not unpacked" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp"
rm -rf "$dir/trex-v3.08"
mv "$tmp/trex-v3.08" "$dir/trex-v3.08"
echo "unpacked TRex v3.08 into $dir/trex-v3.08" >&2
