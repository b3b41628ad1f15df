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

# 3. The raw AF_XDP ceiling under a SYN flood: one AF_XDP sender on core
#    0 (examples/xsk_flood tx: SYNs from cycling source ports) toward a
#    receive-only AF_XDP socket on core 1 (xsk_flood rx: count and
#    recycle), then toward synwave serve on core 1 (cookie SYN-ACK for
#    each), SECS seconds each.
cargo build --release --quiet --example xsk_flood
flood=target/release/examples/xsk_flood
mac_b=$(ip -n "$b" link show "$b" | awk '/ether/ {print $2}')
echo
echo "| SYN flood, ${secs} s, one AF_XDP sender | sent | received | received/s | answered |"
echo "|---|---|---|---|---|"
for r in $(seq "$rounds"); do
    ip netns exec "$b" taskset -c 1 $flood rx "$b" 10.99.0.3 $((secs + 2)) >"$out/rx.txt" &
    sleep 1
    sent=$(ip netns exec "$a" taskset -c 0 $flood tx "$a" 10.99.1.1 10.99.0.3 "$mac_b" "$secs" | awk '{print $2}')
    wait
    got=$(awk '{print $2}' "$out/rx.txt"); rate=$(awk '{print $(NF-1)}' "$out/rx.txt")
    echo "| receive-only AF_XDP socket (round $r) | $sent | $got | $rate | — |"
    rm -f "$out/flood.json"
    ip netns exec "$b" taskset -c 1 $bin serve --iface "$b" --ip 10.99.0.3 --port 80 --cores 1 \
        --duration $((secs + 2)) --quiet --json "$out/flood.json" >/dev/null 2>&1 &
    sleep 1
    sent=$(ip netns exec "$a" taskset -c 0 $flood tx "$a" 10.99.1.1 10.99.0.3 "$mac_b" "$secs" | awk '{print $2}')
    wait || true
    [ -s "$out/flood.json" ] || { echo "| synwave serve (round $r) | $sent | serve wrote no summary | | |"; continue; }
    python3 - "$out/flood.json" "$sent" "$secs" "$r" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
sent, secs = int(sys.argv[2]), float(sys.argv[3])
print(f"| synwave serve, cookies always (round {sys.argv[4]}) | {sent} | {c['syn_rx']} ({c['syn_rx']/sent:.1%}) | {c['syn_rx']/secs:,.0f} | {c['cookie_sent']} SYN-ACKs |")
PY
done
