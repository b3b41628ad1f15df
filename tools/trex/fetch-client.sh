#!/usr/bin/env bash
# Fetches TRex's own Python client, which holds the ASTF profile compiler
# that TRex's astf-sim runs (trex.astf.sim), so that the profiles here can
# be compiled on a machine without TRex (tools/trex/astf-sim.sh, and
# tests/trex_astf_sim.rs in CI).
#
# What it fetches: the wheel lbr-trex-client 3.4.0 from PyPI, the TRex
# v3.04 client packaged by CESNET (Apache-2.0), pinned by its SHA-256,
# unpacked into DIR (default target/trex-client). Nothing is installed
# into Python. Needs python3 with pip (Debian: python3-pip), and PyPI.
#
# Usage: tools/trex/fetch-client.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-target/trex-client}
wheel=lbr_trex_client-3.4.0-py3-none-any.whl
sha256=a9c01c51a2f7b3ebe5eeb78e863285524d8f19e66c5361a6f8b720f8c8aac188
have() { [ -f "$dir/lbr_trex_client/interactive/trex/astf/sim.py" ]; }
have && exit 0
# One fetch at a time (tests run in parallel): the others wait, then find it.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
have && exit 0
python3 -m pip --version >/dev/null 2>&1 ||
    { echo "$0: needs pip for python3 (Debian: apt-get install python3-pip)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "lbr-trex-client==3.4.0 --hash=sha256:$sha256" >"$tmp/requirements.txt"
echo "fetching TRex's Python client ($wheel, pinned by hash) into $dir" >&2
python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$tmp/requirements.txt" -d "$tmp" ||
    { echo "$0: could not fetch lbr-trex-client 3.4.0 from PyPI (see pip's words above)" >&2; exit 1; }
rm -rf "$dir.part"
python3 -m zipfile -e "$tmp/$wheel" "$dir.part"
rm -rf "$dir"
mv "$dir.part" "$dir"
