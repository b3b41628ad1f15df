#!/usr/bin/env bash
# Instructions per connection, per side, of the engine's poll loop
# (examples/engine_loop.rs under callgrind): a figure that the machine's
# noise does not move. Usage: tools/instructions.sh [POLLS] (default 20000)
# Run from the repository root; builds the example in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
polls=${1:-20000}
command -v valgrind >/dev/null || { echo "tools/instructions.sh needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --quiet --example engine_loop
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| scenario (request/response bytes, close) | generator | responder | total |"
echo "|---|---|---|---|"
for sc in "client-fin 0 0" "client-fin 64 256" "server-fin 64 256" "rst 0 0"; do
    # shellcheck disable=SC2086
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" target/release/examples/engine_loop "$polls" $sc >"$out/stdout" 2>/dev/null
    conns=$(awk '{s += $2} END {print s}' "$out/stdout")
    read -r g r < <(callgrind_annotate --inclusive=yes "$out/cg" 2>/dev/null |
        awk '/generator_poll/ {gsub(",", "", $1); g=$1} /responder_poll/ {gsub(",", "", $1); r=$1} END {print g, r}')
    set -- $sc
    printf '| %s/%s, %s | %d | %d | %d |\n' "$2" "$3" "$1" $((g / conns)) $((r / conns)) $(((g + r) / conns))
done
echo
echo "($polls polls per side in each of two phases, warm-up and measured, both counted; $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD))"
