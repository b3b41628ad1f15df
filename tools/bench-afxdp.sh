#!/usr/bin/env bash
# synwave over AF_XDP on a veth pair, side by side in one run, in both XDP
# modes (native and generic; veth has no zero-copy, so copy mode):
#   1. connections/s: synwave gen → synwave serve, and the same gen →
#      the Linux kernel's TCP stack (examples/accept_close, an
#      accept-and-close server) in the other namespace; the ratio
#      synwave / Linux for each mode;
#   2. the raw AF_XDP ceiling under a SYN load: one AF_XDP sender
#      (examples/xsk_flood tx) toward a receive-only socket, toward a
#      reflecting socket (one frame back per frame in, no TCP: the
#      receive/transmit ceiling), and toward synwave serve (one cookie
#      SYN-ACK per SYN); serve's share of the reflecting ceiling.
# Each case runs SECS seconds (default 10), ROUNDS times (default 1);
# the sender or gen is pinned to core 0, the receiver or server to core 1.
# Prints markdown tables. Root; both cores busy; takes about
# ROUNDS × 12 × (SECS + 2) seconds.
#
# Usage: sudo tools/bench-afxdp.sh [SECS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10} rounds=${2:-1}
[[ $secs =~ ^[0-9]+$ && $rounds =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECS] [ROUNDS]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces, XDP)" >&2; exit 1; }
tools/install-test-deps.sh
command -v ethtool >/dev/null || { echo "$0: needs ethtool (apt-get install ethtool)" >&2; exit 1; }
cargo build --release --quiet
cargo build --release --quiet --example accept_close --example xsk_flood
bin=target/release/synwave
flood=target/release/examples/xsk_flood
name=swb$$
out=$(mktemp -d)
trap 'tools/netns.sh down $name; rm -rf "$out"' EXIT
tools/netns.sh up "$name" >/dev/null
a=${name}a b=${name}b
src=10.99.1.1-10.99.1.250
mac_b=$(ip -n "$b" link show "$b" | awk '/ether/ {print $2}')
ip netns exec "$b" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"

# gen MODE DST_IP JSON: synwave gen on core 0 for SECS seconds.
gen() {
    rm -f "$3"
    ip netns exec "$a" $bin gen --iface "$a" --src-ip $src --dst "$2:80" --cores 0 --xdp-mode "$1" \
        --duration "$secs" --concurrency 256 --quiet --json "$3" >/dev/null 2>&1 || true
}
# serve MODE JSON: synwave serve on core 1, cookies always, from now
# until the case ends.
serve() {
    rm -f "$2"
    ip netns exec "$b" taskset -c 1 $bin serve --iface "$b" --ip 10.99.0.3 --port 80 --cores 1 \
        --xdp-mode "$1" --cookies always --duration $((secs + 3)) --quiet --json "$2" >/dev/null 2>&1 &
    sleep 1
}
# row LABEL GEN_JSON: one line of the connections table.
row() { python3 - "$1" "$2" <<'PY'
import json, os, sys
if not os.path.exists(sys.argv[2]):
    print(f"| {sys.argv[1]} | gen wrote no summary | | | | |"); sys.exit()
j = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]} | {j['setups_per_sec']:,.0f} | {j['pps_rx']+j['pps_tx']:,.0f} | {j['failed']} | {j['retransmits']} | {j['rtt_us']['p50']} / {j['rtt_us']['p99']} |")
PY
}
# ratio SYNWAVE_JSON LINUX_JSON
ratio() { python3 - "$1" "$2" <<'PY'
import json, os, sys
if not all(os.path.exists(f) for f in sys.argv[1:]):
    print("| ratio synwave / Linux | n/a (a run wrote no summary) | | | | |"); sys.exit()
s, k = (json.load(open(f)) for f in sys.argv[1:])
if k["setups_per_sec"] <= 0 or k["failed"] or s["failed"]:
    print("| ratio synwave / Linux | n/a (a run failed connections) | | | | |"); sys.exit()
print(f"| ratio synwave / Linux | **{s['setups_per_sec'] / k['setups_per_sec']:.2f}×** | | | | |")
PY
}

echo
echo "| gen → server (${secs} s, concurrency 256, handshake + FIN close) | setups/s | gen frames/s (rx + tx) | failed | retransmits | handshake µs p50 / p99 |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
    for mode in native generic; do
        serve "$mode" "$out/serve.json"
        gen "$mode" 10.99.0.3 "$out/gen-sw.json"
        wait || true
        row "synwave serve, $mode XDP (round $r)" "$out/gen-sw.json"
        ip netns exec "$b" taskset -c 1 target/release/examples/accept_close 10.99.0.2:80 2 $((secs + 3)) \
            >"$out/kernel.txt" 2>/dev/null &
        sleep 1
        gen "$mode" 10.99.0.2 "$out/gen-linux.json"
        wait || true
        row "Linux accept-and-close, gen $mode XDP, $(cat "$out/kernel.txt") (round $r)" "$out/gen-linux.json"
        ratio "$out/gen-sw.json" "$out/gen-linux.json"
    done
done

# flood KIND MODE: the SYN sender on core 0 for SECS seconds; prints the
# frames it sent.
flood() {
    ip netns exec "$a" taskset -c 0 $flood tx "$a" 10.99.1.1 10.99.0.3 "$mac_b" "$secs" "$1" | awk '{print $2}'
}
echo
echo "| SYN load, ${secs} s, one AF_XDP sender | sent | received | received/s | sent back | share of the reflecting ceiling |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
    for mode in native generic; do
        ceiling=0
        for kind in rx reflect; do
            ip netns exec "$b" taskset -c 1 $flood $kind "$b" 10.99.0.3 $((secs + 2)) "$mode" >"$out/rx.txt" &
            sleep 1
            sent=$(flood "$mode")
            wait || true
            read -r got rate back < <(awk '{print $2, $(NF-4), $(NF-2)}' "$out/rx.txt")
            label=$([ $kind = rx ] && echo "receive-only AF_XDP socket" || echo "reflecting AF_XDP socket")
            [ $kind = reflect ] && ceiling=$got
            echo "| $label, $mode XDP (round $r) | $sent | $got | $rate | $back | |"
        done
        serve "$mode" "$out/flood.json"
        sent=$(flood "$mode")
        wait || true
        if [ ! -s "$out/flood.json" ]; then
            echo "| synwave serve, $mode XDP (round $r) | $sent | serve wrote no summary | | | |"
            continue
        fi
        python3 - "$out/flood.json" "$sent" "$secs" "$r" "$mode" "$ceiling" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
# Both over the sender's SECS seconds: SYNs taken by serve against frames
# taken by the reflecting socket.
sent, secs, ceiling = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[6])
rate = c["syn_rx"] / secs
share = f"**{c['syn_rx'] / ceiling:.1%}**" if ceiling > 0 else "n/a"
print(f"| synwave serve, cookies always, {sys.argv[5]} XDP (round {sys.argv[4]}) | {sent} | {c['syn_rx']} | {rate:,.0f} | {c['cookie_sent']} SYN-ACKs | {share} |")
PY
    done
done
