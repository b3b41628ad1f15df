#!/usr/bin/env bash
# Resident memory of `synwave serve --cookies always` under a SYN flood
# over veth: one AF_XDP sender (examples/xsk_flood tx) on core 0 for SECS
# seconds (default 30), serve on core 1; serve's VmRSS sampled every
# second. Prints the samples and the spread after a warm-up of WARM
# seconds (default 5). Root.
#
# Usage: sudo tools/flood-memory.sh [SECS] [WARM]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30} warm=${2:-5}
[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces, XDP)" >&2; exit 1; }
tools/install-test-deps.sh
cargo build --release --quiet
cargo build --release --quiet --example xsk_flood
name=swm$$
out=$(mktemp -d)
trap 'kill $serve 2>/dev/null || true; tools/netns.sh down $name; rm -rf "$out"' EXIT
tools/netns.sh up "$name" >/dev/null
a=${name}a b=${name}b
mac_b=$(ip -n "$b" link show "$b" | awk '/ether/ {print $2}')
ip netns exec "$b" taskset -c 1 target/release/synwave serve --iface "$b" --ip 10.99.0.3 --port 80 \
    --cores 1 --cookies always --duration $((secs + 4)) --quiet --json "$out/serve.json" >/dev/null 2>&1 &
serve=$!
sleep 1
ip netns exec "$a" taskset -c 0 target/release/examples/xsk_flood tx "$a" 10.99.1.1 10.99.0.3 "$mac_b" "$secs" \
    >"$out/tx.txt" &
flood=$!
for s in $(seq "$secs"); do
    sleep 1
    echo "$s $(awk '/VmRSS/ {print $2}' /proc/$serve/status)"
done | tee "$out/rss.txt"
wait $flood
wait $serve || true
python3 - "$out/rss.txt" "$warm" "$out/serve.json" "$out/tx.txt" <<'PY'
import json, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
warm = int(sys.argv[2])
after = [kb for s, kb in rows if s > warm]
lo, hi = min(after), max(after)
c = json.load(open(sys.argv[3]))["counters"]
print(open(sys.argv[4]).read().strip())
print(f"serve: {c['syn_rx']} SYNs, {c['cookie_sent']} cookie SYN-ACKs, records at the end {c['records']}")
print(f"VmRSS after {warm} s: {lo} to {hi} KiB, spread {100 * (hi - lo) / lo:.2f} % of the lowest")
PY
