#!/usr/bin/env bash
# Runs the criterion micro-benchmarks and the in-memory `synwave bench`
# pinned to one core, and prints a markdown table (median of each) with the
# machine it ran on, ready for docs/benchmarks.md.
#
# Usage: tools/bench.sh [CORE]   (default: the last core)
# Figures on a shared VM vary run to run; compare only within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
core=${1:-$(( $(nproc) - 1 ))}
pin=(taskset -c "$core")
command -v taskset >/dev/null || pin=()

cargo build --release --quiet
cargo bench --no-run --quiet 2>/dev/null
"${pin[@]}" cargo bench --quiet --bench wire --bench cookie -- \
    --warm-up-time 2 --measurement-time 5 >/dev/null 2>&1

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r); pinned to core $core."
echo
echo "| criterion benchmark | median |"
echo "|---|---|"
for f in target/criterion/*/new/estimates.json; do
    name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1].replace("new/estimates.json","new/benchmark.json")))["full_id"])' "$f")
    ns=$(python3 -c 'import json,sys; print("%.1f ns" % json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$f")
    echo "| \`$name\` | $ns |"
done
echo
echo "| \`synwave bench\` (1,000,000 connections, 3 runs) | median conn/s | median frames/s |"
echo "|---|---|---|"
for args in "--close client-fin --cookies always" "--close server-fin --cookies never" "--close client-fin --cookies always --loss 1"; do
    rates=()
    for _ in 1 2 3; do
        "${pin[@]}" target/release/synwave bench --connections 1000000 $args --json /tmp/synwave-bench.$$.json >/dev/null 2>&1
        rates+=("$(python3 -c 'import json; d=json.load(open("/tmp/synwave-bench.'$$'.json")); print(int(d["setups_per_sec"]), int(d["pps"]))')")
    done
    python3 - "$args" "${rates[@]}" <<'PY'
import sys, statistics
args = sys.argv[1]
pairs = [tuple(map(int, r.split())) for r in sys.argv[2:]]
cps = statistics.median(p[0] for p in pairs)
pps = statistics.median(p[1] for p in pairs)
print(f"| `{args}` | {cps:,.0f} | {pps:,.0f} |")
PY
done
rm -f /tmp/synwave-bench.$$.json
