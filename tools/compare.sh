#!/usr/bin/env bash
# synwave against the peers a user would otherwise pick, side by side in
# one run on this machine: each case for SECS seconds (default 10), REPS
# times (default 3), medians and ratios.
#
#   bench-1      synwave bench, 1 worker per side (in memory)
#   bench-all    synwave bench, nproc/2 workers per side
#   gen-serve    synwave gen → synwave serve over veth (AF_XDP)
#   gen-linux    synwave gen → the Linux kernel (accept-and-close server)
#   linux-serve  Linux kernel clients (connect + RST) → synwave serve
#   linux-linux  the same Linux clients → the Linux accept-and-close server
#   xdp-ceiling  the raw AF_XDP ceiling of the veth: one sender, a socket
#                that reflects every frame (examples/xsk_flood), frames/s
#   xdp-rx       the same sender, a socket that only receives and recycles
#                (native XDP mode, as testpmd's driver attaches on veth)
#   testpmd      the same sender, DPDK's dpdk-testpmd receiving and dropping
#                (rxonly) through its net_af_xdp driver, frames/s; runs where
#                both are installed (Debian: apt-get install dpdk-dev
#                librte-net-af-xdp23), otherwise the table says why not
# The frame-rate cases note frames received of frames sent: where they
# are equal the one sender, not the receiver, set the figure.
#
# CPU use is the busy share of all cores over each case (/proc/stat).
# Writes OUT.json and OUT.md (default target/compare/compare-DATE) and
# prints the table. Root (namespaces, XDP); about
# REPS × 9 × (SECS + 3) seconds plus the build.
#
# Usage: sudo tools/compare.sh [SECS] [REPS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10} reps=${2:-3}
out=${3:-target/compare/compare-$(date -u +%Y%m%dT%H%M%SZ)}
[[ $secs =~ ^[0-9]+$ && $reps =~ ^[0-9]+$ && $secs -ge 2 && $reps -ge 1 ]] ||
    { echo "usage: $0 [SECS ≥ 2] [REPS ≥ 1] [OUT]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces, XDP)" >&2; exit 1; }
tools/install-test-deps.sh
cargo build --release --quiet
cargo build --release --quiet --example accept_close --example connect_close --example xsk_flood
bin=target/release/synwave ex=target/release/examples
mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
name=swc$$
trap 'tools/netns.sh down $name >/dev/null 2>&1; rm -rf "$work" "/var/run/dpdk/$name"' EXIT
tools/netns.sh up "$name" >/dev/null
a=${name}a b=${name}b
mac_b=$(ip -n "$b" link show "$b" | awk '/ether/ {print $2}')
for ns in "$a" "$b"; do
    ip netns exec "$ns" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
        net.ipv4.ip_local_port_range="1024 65535"
done
# The testpmd case runs where DPDK's testpmd and its AF_XDP driver are
# installed (Debian: apt-get install dpdk-dev librte-net-af-xdp23).
if ! command -v dpdk-testpmd >/dev/null; then
    tp="not installed (Debian: apt-get install dpdk-dev librte-net-af-xdp23)"
elif ! ls /usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so* >/dev/null 2>&1 &&
     ! ls /usr/local/lib*/dpdk/pmds-*/librte_net_af_xdp.so* >/dev/null 2>&1 &&
     ! ls /usr/local/lib*/*/dpdk/pmds-*/librte_net_af_xdp.so* >/dev/null 2>&1; then
    tp="installed without its net_af_xdp driver (Debian: librte-net-af-xdp23)"
else
    tp=run
fi
workers=$(( $(nproc) / 2 )); [ $workers -ge 1 ] || workers=1
results="$work/results.jsonl"
: >"$results"

# busy: the busy and total jiffies of all cores now.
busy() { awk '/^cpu / {t=0; for (i=2; i<=NF; i++) t+=$i; print t-$5-$6, t}' /proc/stat; }
# record CASE REP CPS PPS NOTE BUSY0 TOTAL0: one result line.
record() {
    read -r b1 t1 < <(busy)
    python3 - "$@" "$b1" "$t1" >>"$results" <<'PY'
import json, sys
case, rep, cps, pps, note, b0, t0, b1, t1 = sys.argv[1:]
cpu = 100.0 * (int(b1) - int(b0)) / max(1, int(t1) - int(t0))
print(json.dumps({"case": case, "rep": int(rep), "cps": float(cps), "pps": float(pps),
                  "cpu_pct": round(cpu, 1), "note": note}))
PY
}
# field JSON EXPR: a figure from a synwave summary (0 when missing).
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo 0; }
serve() {  # serve JSON: synwave serve in namespace B (10.99.0.3) for the case
    rm -f "$1"
    ip netns exec "$b" $bin serve --iface "$b" --ip 10.99.0.3 --port 80 --cores 1 --cookies always \
        --duration $((secs + 3)) --quiet --json "$1" >/dev/null 2>&1 &
    sleep 1
}
linux_server() {  # accept-and-close on namespace B's kernel address for the case
    ip netns exec "$b" taskset -c 1 $ex/accept_close 10.99.0.2:80 2 $((secs + 3)) >/dev/null 2>&1 &
    sleep 1
}
gen() {  # gen DST JSON: synwave gen in namespace A
    rm -f "$2"
    ip netns exec "$a" $bin gen --iface "$a" --src-ip 10.99.1.1-10.99.1.250 --dst "$1:80" --cores 0 \
        --duration "$secs" --concurrency 256 --quiet --json "$2" >/dev/null 2>&1 || true
}
flood() {  # the one sender of the frame-rate cases: SYNs from namespace A for SECS; prints frames sent
    ip netns exec "$a" taskset -c 0 $ex/xsk_flood tx "$a" 10.99.1.1 10.99.0.3 "$mac_b" "$secs" generic |
        awk '{print $2}'
}
clients() {  # clients DST: Linux clients in namespace A; prints "connects secs"
    ip netns exec "$a" taskset -c 0 $ex/connect_close "$1:80" 4 "$secs" | awk '{print $2, $6}'
}

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r)" | tee "$work/machine.txt"
for rep in $(seq "$reps"); do
    echo "round $rep of $reps" >&2
    for c in bench-1 bench-all; do
        w=$([ $c = bench-1 ] && echo 1 || echo "$workers")
        # On 2 cores "all workers" is 1 per side: the same case.
        [ $c = bench-all ] && [ "$workers" = 1 ] && continue
        read -r b0 t0 < <(busy)
        $bin bench --workers "$w" --duration "$secs" --json "$work/b.json" >/dev/null 2>&1 || true
        record "$c" "$rep" "$(field "$work/b.json" "j['setups_per_sec']")" \
            "$(field "$work/b.json" "j['pps_rx']")" "$w worker(s) per side" "$b0" "$t0"
    done

    read -r b0 t0 < <(busy); serve "$work/s.json"; gen 10.99.0.3 "$work/g.json"; wait || true
    record gen-serve "$rep" "$(field "$work/g.json" "j['setups_per_sec']")" \
        "$(field "$work/g.json" "j['pps_rx'] + j['pps_tx']")" \
        "failed $(field "$work/g.json" "j['failed']")" "$b0" "$t0"

    read -r b0 t0 < <(busy); linux_server; gen 10.99.0.2 "$work/g.json"; wait || true
    record gen-linux "$rep" "$(field "$work/g.json" "j['setups_per_sec']")" \
        "$(field "$work/g.json" "j['pps_rx'] + j['pps_tx']")" \
        "failed $(field "$work/g.json" "j['failed']")" "$b0" "$t0"

    # Namespace A's kernel needs an address of its own for the Linux
    # clients (synwave gen owns none there), and checksums computed in
    # software: veth hands AF_XDP the frames as the kernel left them.
    ip -n "$a" addr add 10.99.0.4/24 dev "$a"
    ip netns exec "$a" ethtool -K "$a" tx off >/dev/null
    read -r b0 t0 < <(busy); serve "$work/s.json"; read -r n s < <(clients 10.99.0.3); wait || true
    record linux-serve "$rep" "$(python3 -c "print($n / $s)")" \
        "$(field "$work/s.json" "j['pps_rx'] + j['pps_tx']")" "$n connects" "$b0" "$t0"

    read -r b0 t0 < <(busy); linux_server; read -r n s < <(clients 10.99.0.2); wait || true
    record linux-linux "$rep" "$(python3 -c "print($n / $s)")" 0 "$n connects" "$b0" "$t0"
    ip -n "$a" addr del 10.99.0.4/24 dev "$a"
    ip netns exec "$a" ethtool -K "$a" tx on >/dev/null

    read -r b0 t0 < <(busy)
    ip netns exec "$b" taskset -c 1 $ex/xsk_flood reflect "$b" 10.99.0.3 $((secs + 2)) generic >"$work/x.txt" &
    sleep 1
    sent=$(flood) || true
    wait || true
    got=$(awk '{print $2}' "$work/x.txt" 2>/dev/null || echo 0)
    record xdp-ceiling "$rep" 0 "$(python3 -c "print(${got:-0} / $secs)")" \
        "reflected ${got:-0} of ${sent:-?} sent (SYN load)" "$b0" "$t0"

    # The receive-only ceiling, in native XDP mode as testpmd's driver
    # attaches on veth: synwave's own AF_XDP socket (io::afxdp) counting
    # and recycling every frame, then testpmd's.
    read -r b0 t0 < <(busy)
    ip netns exec "$b" taskset -c 1 $ex/xsk_flood rx "$b" 10.99.0.3 $((secs + 2)) native >"$work/x.txt" &
    sleep 1
    sent=$(flood) || true
    wait || true
    got=$(awk '{print $2}' "$work/x.txt" 2>/dev/null || echo 0)
    record xdp-rx "$rep" 0 "$(python3 -c "print(${got:-0} / $secs)")" \
        "received ${got:-0} of ${sent:-?} sent (SYN load)" "$b0" "$t0"

    # testpmd: DPDK's net_af_xdp driver receiving and dropping (rxonly)
    # on namespace B's veth, both of its lcores on core 1. Its closing
    # "Accumulated forward statistics" give the frames taken.
    [ "$tp" = run ] || continue
    read -r b0 t0 < <(busy)
    ip netns exec "$b" dpdk-testpmd --lcores 0@1,1@1 --no-pci --no-huge \
        -m 256 --file-prefix "$name" --log-level 'lib.eal:error' \
        --vdev "net_af_xdp0,iface=$b,start_queue=0,queue_count=1" -- \
        --forward-mode=rxonly --auto-start --stats-period 1 --nb-cores=1 --total-num-mbufs=16384 \
        </dev/null >"$work/tp.txt" 2>&1 &
    tp_pid=$!
    # Its start (memory, the XDP program) takes a few seconds: wait for
    # its first statistics, up to 30 s, before sending.
    for _ in $(seq 300); do
        grep -q "Port statistics" "$work/tp.txt" 2>/dev/null && break
        kill -0 $tp_pid 2>/dev/null || break
        sleep 0.1
    done
    sent=$(flood) || true
    kill -INT $tp_pid 2>/dev/null || true
    wait $tp_pid || true
    got=$(awk '/Accumulated forward statistics/ {f=1} f && /RX-total:/ {print $NF; exit}' "$work/tp.txt")
    [ -n "$got" ] || { echo "dpdk-testpmd gave no statistics; its output:" >&2; tail -20 "$work/tp.txt" >&2; got=0; }
    record testpmd "$rep" 0 "$(python3 -c "print($got / $secs)")" \
        "received $got of ${sent:-?} sent (rxonly, SYN load)" "$b0" "$t0"
done

python3 - "$results" "$work/machine.txt" "$out" "$secs" "$reps" "$tp" "$workers" <<'PY'
import json, statistics, sys
path, machine, out, secs, reps, testpmd, workers = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
names = {
    "bench-1": "synwave bench, 1 worker per side (in memory)",
    "bench-all": "synwave bench, all workers (in memory)",
    "gen-serve": "synwave gen → synwave serve (veth, AF_XDP)",
    "gen-linux": "synwave gen → Linux accept-and-close",
    "linux-serve": "Linux clients → synwave serve",
    "linux-linux": "Linux clients → Linux accept-and-close",
    "xdp-ceiling": "raw AF_XDP ceiling (reflecting socket)",
    "xdp-rx": "raw AF_XDP receive-only (synwave's io::afxdp, native)",
    "testpmd": "dpdk-testpmd net_af_xdp rxonly (native)",
}
frames_only = ("xdp-ceiling", "xdp-rx", "testpmd")
cases = {}
for r in rows:
    cases.setdefault(r["case"], []).append(r)
med = {c: {k: statistics.median(x[k] for x in rs) for k in ("cps", "pps", "cpu_pct")}
       for c, rs in cases.items()}
def ratio(a, b):
    return round(med[a]["cps"] / med[b]["cps"], 2) if a in med and b in med and med[b]["cps"] > 0 else None
ratios = {
    "gen→serve / gen→Linux (server side)": ratio("gen-serve", "gen-linux"),
    "Linux→serve / Linux→Linux (server side)": ratio("linux-serve", "linux-linux"),
    "gen→serve / Linux→Linux (both ends)": ratio("gen-serve", "linux-linux"),
    "synwave AF_XDP rx / testpmd rxonly (frames/s)": (
        round(med["xdp-rx"]["pps"] / med["testpmd"]["pps"], 2)
        if "xdp-rx" in med and "testpmd" in med and med["testpmd"]["pps"] > 0 else None),
}
doc = {"machine": open(machine).read().strip(), "secs": int(secs), "reps": int(reps),
       "testpmd": testpmd, "runs": rows, "medians": med, "ratios": ratios}
json.dump(doc, open(out + ".json", "w"), indent=1)
lines = [f"Machine: {doc['machine']}. Each case {secs} s, {reps} repetitions, medians.", "",
         "| case | CPS (median) | CPS per run | pps | CPU use |", "|---|---|---|---|---|"]
not_run = {"bench-all": f"not run: all workers is {workers} per side on this machine "
                        "(nproc / 2), the row above", "testpmd": testpmd}
for c, label in names.items():
    if c not in cases:
        if c in not_run:
            lines.append(f"| {label} | {not_run[c]} | | | |")
        continue
    m = med[c]
    if c in frames_only:
        per = ", ".join(f"{x['pps']:,.0f} pps" for x in cases[c])
        lines.append(f"| {label} | — | {per} | {m['pps']:,.0f} | {m['cpu_pct']:.0f} % |")
        continue
    per = ", ".join(f"{x['cps']:,.0f}" for x in cases[c])
    lines.append(f"| {label} | {m['cps']:,.0f} | {per} | {m['pps']:,.0f} | {m['cpu_pct']:.0f} % |")
lines.append("")
lines.append("pps: frames per second through the case's synwave side (rx + tx; bench: received, both sides); "
             "CPU use: busy share of all cores. Linux clients close with RST (SO_LINGER 0) so that "
             "no TIME-WAIT holds their ports. Frame-rate cases (—): frames/s taken by the receiver from "
             "one sender (xsk_flood tx, core 0); each run's note in the JSON has frames received of "
             "frames sent, and where the two are equal the sender set the figure.")
lines += ["", "| ratio | value |", "|---|---|"]
lines += [f"| {k} | {'n/a' if v is None else f'**{v:.2f}×**'} |" for k, v in ratios.items()]
open(out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"\nwrote {out}.json and {out}.md", file=sys.stderr)
PY
