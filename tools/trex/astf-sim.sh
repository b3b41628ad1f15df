#!/usr/bin/env bash
# TRex's astf-sim without TRex: runs TRex's own profile compiler
# (`python3 -m trex.astf.sim`, what astf-sim runs) from TRex's Python
# client, fetched on first use (tools/trex/fetch-client.sh). It loads a
# profile as TRex does (register(), get_profile(tunables=..., **kwargs)),
# builds it, and with --json prints the JSON that TRex loads; --stat
# prints TRex's expected usage. The packet-level simulation (pcap
# output) needs TRex's bp-sim binary, that is TRex itself.
#
# Usage: tools/trex/astf-sim.sh -f PROFILE.py --json [-t NAME=VALUE,...]
#        tools/trex/astf-sim.sh -f PROFILE.py --json -t --NAME VALUE ...
# Environment: SYNWAVE_TREX_CLIENT, where the client is (default
# target/trex-client of this checkout).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=${SYNWAVE_TREX_CLIENT:-$repo/target/trex-client}
"$repo/tools/trex/fetch-client.sh" "$dir"
w=$dir/lbr_trex_client
path=$w/interactive
# TRex 3.04's loader reloads the profile module with imp.reload; Python
# 3.12 removed the imp module. Where it is gone, a two-line stand-in
# gives importlib's reload under that name.
if ! python3 -c 'import imp' 2>/dev/null; then
    mkdir -p "$dir/compat"
    printf '# imp for TRex 3.04 on Python 3.12+: only reload is used.\nfrom importlib import reload  # noqa: F401\n' \
        >"$dir/compat/imp.py"
    path=$dir/compat:$path
fi
export PYTHONDONTWRITEBYTECODE=1 TREX_EXT_LIBS=$w/external_libs PYTHONPATH=$path
exec python3 -W ignore -m trex.astf.sim -p "$w" "$@"
