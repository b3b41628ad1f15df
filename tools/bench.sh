#!/usr/bin/env bash
# Runs the criterion micro-benchmarks and the virtual-time `synwave sim`
# pinned to one core, and prints markdown tables (medians) with the machine
# they ran on, ready for docs/benchmarks.md.
#
# Usage: tools/bench.sh [CORE]   (default: the last core)
# Single passes on a shared VM swing by up to 2x: every figure is a median
# of three passes, and comparisons are only meaningful within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
core=${1:-$(( $(nproc) - 1 ))}
pin=(taskset -c "$core")
command -v taskset >/dev/null || pin=()
command -v python3 >/dev/null || { echo "tools/bench.sh needs python3 (apt-get install python3)" >&2; exit 1; }

cargo build --release --quiet
cargo bench --no-run --quiet 2>/dev/null

results=$(mktemp)
json=$(mktemp)
trap 'rm -f "$results" "$json"' EXIT
for _ in 1 2 3; do
    rm -rf target/criterion
    "${pin[@]}" cargo bench --quiet --bench wire --bench cookie -- \
        --warm-up-time 2 --measurement-time 5 >/dev/null 2>&1
    for f in target/criterion/*/new/estimates.json; do
        python3 - "$f" >>"$results" <<'PY'
import json, sys
f = sys.argv[1]
name = json.load(open(f.replace("estimates.json", "benchmark.json")))["full_id"]
print(name, json.load(open(f))["median"]["point_estimate"])
PY
    done
done

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r); pinned to core $core; $(date -u +%Y-%m-%d)."
echo
echo "| criterion benchmark | median of 3 passes | pass medians |"
echo "|---|---|---|"
python3 - "$results" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, ns = line.rsplit(" ", 1)
    runs[name].append(float(ns))
for name in sorted(runs):
    v = runs[name]
    print(f"| `{name}` | {statistics.median(v):.1f} ns | {', '.join(f'{x:.1f}' for x in v)} ns |")
PY

echo
echo "| \`synwave sim --connections 1000000\` | median connections/s | median frames/s |"
echo "|---|---|---|"
for args in "--close client-fin --cookies always" "--close server-fin --cookies never" "--close rst --cookies on-overload" "--close client-fin --cookies always --loss 1"; do
    : >"$results"
    for _ in 1 2 3; do
        # shellcheck disable=SC2086
        "${pin[@]}" target/release/synwave sim --connections 1000000 $args --json "$json" >/dev/null 2>&1
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["setups_per_sec"], d["pps"])' "$json" >>"$results"
    done
    python3 - "$args" "$results" <<'PY'
import sys, statistics
rows = [tuple(map(float, l.split())) for l in open(sys.argv[2])]
cps = statistics.median(r[0] for r in rows)
pps = statistics.median(r[1] for r in rows)
print(f"| `{sys.argv[1]}` | {cps:,.0f} | {pps:,.0f} |")
PY
done

if command -v valgrind >/dev/null; then
    # Instructions are a figure the machine's noise does not move.
    cargo build --release --quiet --example syn_loop
    echo
    echo "| SYN → cookie SYN-ACK through \`Endpoint::on_frame\` | instructions per SYN (callgrind, 100,000 SYNs, loop and refill included) |"
    echo "|---|---|"
    for mode in prediction general; do
        arg=$([ "$mode" = general ] && echo general || true)
        # shellcheck disable=SC2086
        n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/syn_loop 100000 $arg 2>&1 |
            awk '/Collected/ {print $4}')
        echo "| $mode path | $(( n / 100000 )) |"
    done
fi

