#!/usr/bin/env bash
# Instructions per connection, per side, of the engine's poll loop
# (examples/engine_loop.rs under callgrind): a figure that the machine's
# noise does not move.
#
# Usage: tools/instructions.sh [POLLS] [RUNS]   (defaults 20000 and 5)
#
# The tables' hash keys are drawn from addresses, which under valgrind
# depend on the binary and on the size of the environment; a key decides
# how long some probe runs are, moving a side's figure by a few percent.
# So each scenario runs RUNS times under `env -i` with environments of
# different sizes (the same sizes for every build), from a copy of the
# binary at a path of fixed length, and the table gives the median of the runs; the
# spread (lowest-highest total) says how much the keys move it.
set -euo pipefail
cd "$(dirname "$0")/.."
polls=${1:-20000} runs=${2:-5}
[[ $polls =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ && $runs -ge 1 ]] ||
    { echo "usage: $0 [POLLS] [RUNS ≥ 1]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "tools/instructions.sh needs valgrind (apt-get install valgrind)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "tools/instructions.sh needs python3" >&2; exit 1; }
cargo build --release --quiet --example engine_loop
work=$(mktemp -d /tmp/synwave-instructions.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The same path length for every build (the binary's name is in argv).
bin=$work/engine-loop
cp target/release/examples/engine_loop "$bin"
echo "| scenario (request/response bytes, close) | generator | responder | total | spread of totals |"
echo "|---|---|---|---|---|"
for sc in "client-fin 0 0" "client-fin 64 256" "server-fin 64 256" "rst 0 0"; do
    : >"$work/rows"
    for ((i = 0; i < runs; i++)); do
        pad=$(printf '%*s' $((i * 96)) '')
        # shellcheck disable=SC2086
        (cd / && env -i PATH=/usr/bin:/bin SW_PAD="$pad" valgrind --tool=callgrind \
            --callgrind-out-file="$work/cg" "$bin" "$polls" $sc >"$work/stdout" 2>/dev/null)
        conns=$(awk '{s += $2} END {print s}' "$work/stdout")
        callgrind_annotate --inclusive=yes "$work/cg" 2>/dev/null |
            awk -v c="$conns" '/generator_poll/ {gsub(",", "", $1); g=$1}
                /responder_poll/ {gsub(",", "", $1); r=$1}
                END {printf "%.1f %.1f\n", g / c, r / c}' >>"$work/rows"
    done
    set -- $sc
    python3 - "$1" "$2" "$3" "$work/rows" <<'PY'
import statistics, sys
close, req, resp, path = sys.argv[1:]
rows = [tuple(map(float, l.split())) for l in open(path)]
g = statistics.median(r[0] for r in rows)
r = statistics.median(r[1] for r in rows)
totals = [a + b for a, b in rows]
print(f"| {req}/{resp}, {close} | {g:,.0f} | {r:,.0f} | {statistics.median(totals):,.0f} | {min(totals):,.0f}–{max(totals):,.0f} |")
PY
done
echo
echo "($polls polls per side in each of two phases, warm-up and measured, both counted; median of $runs runs; $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD))"
