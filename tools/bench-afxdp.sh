#!/usr/bin/env bash
# synwave gen over AF_XDP on a veth pair, side by side in one run:
#   1. gen → synwave serve (in the other namespace)
#   2. gen → the Linux kernel's TCP stack (examples/accept_close, an
#      accept-and-close server) in the other namespace
# each SECS seconds (default 10), gen pinned to core 0 and the server to
# core 1; prints a markdown table with the ratio. Root; both cores busy.
#
# Usage: sudo tools/bench-afxdp.sh [SECS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10} rounds=${2:-1}
cargo build --release --quiet
cargo build --release --quiet --example accept_close
bin=target/release/synwave
name=swb$$
out=$(mktemp -d)
trap 'tools/netns.sh down $name; rm -rf "$out"' EXIT
tools/netns.sh up "$name" >/dev/null
a=${name}a b=${name}b
src=10.99.1.1-10.99.1.250
ip netns exec "$b" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535

row() { python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]} | {j['setups_per_sec']:,.0f} | {j['pps_rx']+j['pps_tx']:,.0f} | {j['failed']} | {j['retransmits']} | {j['rtt_us']['p50']} / {j['rtt_us']['p99']} |")
PY
}
echo "| gen → server (${secs} s, concurrency 256) | setups/s | gen frames/s (rx + tx) | failed | retransmits | handshake µs p50 / p99 |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
    ip netns exec "$b" taskset -c 1 $bin serve --iface "$b" --ip 10.99.0.3 --port 80 --cores 1 \
        --duration $((secs + 4)) --quiet --json "$out/serve.json" >/dev/null 2>&1 &
    sleep 1
    ip netns exec "$a" $bin gen --iface "$a" --src-ip $src --dst 10.99.0.3:80 --cores 0 \
        --duration "$secs" --concurrency 256 --quiet --json "$out/gen-sw.json" >/dev/null 2>&1 || true
    wait
    row "synwave serve (round $r)" "$out/gen-sw.json"
    ip netns exec "$b" taskset -c 1 target/release/examples/accept_close 10.99.0.2:80 2 $((secs + 4)) \
        >"$out/kernel.txt" 2>/dev/null &
    sleep 1
    ip netns exec "$a" $bin gen --iface "$a" --src-ip $src --dst 10.99.0.2:80 --cores 0 \
        --duration "$secs" --concurrency 256 --quiet --json "$out/gen-linux.json" >/dev/null 2>&1 || true
    wait
    row "Linux accept-and-close, $(cat "$out/kernel.txt") (round $r)" "$out/gen-linux.json"
    python3 - "$out/gen-sw.json" "$out/gen-linux.json" <<'PY'
import json, sys
s, k = (json.load(open(f))["setups_per_sec"] for f in sys.argv[1:])
print(f"| ratio synwave / Linux (round) | **{s / max(k, 1e-9):.2f}×** | | | | |")
PY
done
