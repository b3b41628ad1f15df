#!/usr/bin/env bash
# TRex against synwave and against the Linux servers a user would compare
# it with, on the same veth pair, one case after the other: for each
# server, TRex's highest clean rate (connections/s), and the ratios.
#
#   cc-synwave    TRex connect + close (synwave_connect_close.py) → synwave serve
#   cc-linux      the same → the Linux kernel (examples/accept_close)
#   http-synwave  TRex HTTP GET, 100-byte body (synwave_http.py) → synwave serve --response http
#   http-nginx    the same → nginx (return 200 with a 100-byte body; the
#                 profile's `expect` set to nginx's response length)
#
# TRex (software mode, one core: core 1) runs in namespace B through
# net_af_packet (tools/trex/live.py); each server runs in namespace A on
# core 0, owning 48.0.0.1. Every trial gets a new pair of namespaces and
# a new server: TRex starts its flows from the same addresses and ports
# each time, and a server that closed first still holds them in
# TIME-WAIT from the trial before. A rate is clean when TRex opened at least 95 %
# of what it asked for and every flow connected and closed with no
# retransmission, drop or port receive error (the same rule as
# tests/trex_live.rs). Rates go up the list RATES until one is not clean.
#
# Writes OUT.json and OUT.md (default target/trex-bench/bench-DATE) and
# prints the table. Root; TRex as tools/install-test-deps.sh unpacks it
# (or TREX_DIR); nginx for the nginx case. About (rates tried) × (SECS +
# 9) seconds.
#
# Usage: sudo tools/trex/bench.sh [SECS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
out=${2:-target/trex-bench/bench-$(date -u +%Y%m%dT%H%M%SZ)}
rates=${RATES:-"1000 2000 5000 10000 20000 30000 40000 50000 60000 70000 80000 100000 120000 150000"}
[[ $secs =~ ^[0-9]+$ && $secs -ge 2 ]] || { echo "usage: $0 [SECS ≥ 2] [OUT]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces, XDP)" >&2; exit 1; }
tools/install-test-deps.sh
cargo build --release --quiet
cargo build --release --quiet --example accept_close
bin=$PWD/target/release/synwave ex=$PWD/target/release/examples
mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
name= a= b=
server=
stop_server() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=
    fi
}
trials=0
new_pair() {  # a new pair of namespaces for the next trial
    [ -n "$name" ] && tools/netns.sh down "$name" >/dev/null 2>&1
    trials=$((trials + 1))
    name=swtb$$x$trials a=${name}a b=${name}b
    tools/netns.sh up "$name" >/dev/null
}
trap 'stop_server; [ -n "$name" ] && tools/netns.sh down $name >/dev/null 2>&1; rm -rf "$work"' EXIT
results=$work/results.jsonl
: >"$results"

# The kernel of namespace A as the server: 48.0.0.1 on its veth end,
# TRex's clients routed back through TRex's port address, full checksums.
kernel_address() {
    ip -n "$a" addr add 48.0.0.1/24 dev "$a"
    ip -n "$a" route add 16.0.0.0/8 via 48.0.0.254
    ip netns exec "$a" ethtool -K "$a" tx off >/dev/null
    ip netns exec "$a" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
}

# trial CASE PROFILE TUNABLES RATE: one TRex run; appends its verdict.
trial() {
    local case=$1 profile=$2 tunables=$3 rate=$4
    ip netns exec "$b" tools/trex/live.py --iface "$b" --ip 48.0.0.254 --gw 48.0.0.1 \
        --profile "tools/trex/$profile" --duration "$secs" --tunables "$tunables" \
        >"$work/trex.json" 2>>"$work/trex.err" || true
    python3 - "$case" "$rate" "$secs" "$work/trex.json" >>"$results" <<'PY'
import json, sys
case, rate, secs, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    t = json.load(open(path))
except Exception as e:
    t = {"client": {}, "port": {}, "rc": -1}
c, port = t.get("client", {}), t.get("port", {})
g = lambda k: int(c.get(k, 0))
flows = g("tcps_connattempt")
why = []
if t.get("rc") != 0:
    why.append("TRex ended with %s" % t.get("rc"))
if flows * 100 < rate * secs * 95:
    why.append("opened %d of %d" % (flows, rate * secs))
if g("tcps_connects") != flows or g("tcps_closed") != flows:
    why.append("connected %d, closed %d of %d" % (g("tcps_connects"), g("tcps_closed"), flows))
for k in ("tcps_drops", "tcps_conndrops", "tcps_timeoutdrop", "tcps_keepdrops",
          "tcps_rexmttimeo", "tcps_rexmttimeo_syn", "tcps_sndrexmitpack"):
    if g(k):
        why.append("%s %d" % (k, g(k)))
if int(port.get("ierrors", 0)):
    why.append("ierrors %d" % int(port["ierrors"]))
print(json.dumps({"case": case, "rate": rate, "flows": flows, "clean": not why,
                  "why": "; ".join(why)}))
PY
    tail -n1 "$results" | python3 -c "import json,sys; r=json.load(sys.stdin); print('  %s at %d/s: %s' % (r['case'], r['rate'], 'clean' if r['clean'] else r['why']))" >&2
}

# search CASE PROFILE TUNABLES-PREFIX START: rates up the list until one
# is not clean; START (a function) starts the server in a new pair.
search() {
    local case=$1 profile=$2 prefix=$3 start=$4
    for rate in $rates; do
        new_pair
        $start
        trial "$case" "$profile" "${prefix}cps=$rate" "$rate"
        stop_server
        tail -n1 "$results" | grep -q '"clean": true' || break
    done
}

serve_cc() {
    ip netns exec "$a" "$bin" serve --iface "$a" --ip 48.0.0.1 --port 80 --cores 0 \
        --duration "$long" --quiet >/dev/null 2>&1 &
    server=$!; sleep 1
}
serve_http() {
    ip netns exec "$a" "$bin" serve --iface "$a" --ip 48.0.0.1 --port 80 --cores 0 \
        --response http --response-bytes 100 --duration "$long" --quiet >/dev/null 2>&1 &
    server=$!; sleep 1
}
linux_cc() {
    kernel_address
    ip netns exec "$a" taskset -c 0 "$ex/accept_close" 48.0.0.1:80 2 "$long" >/dev/null 2>&1 &
    server=$!; sleep 1
}
linux_nginx() {
    kernel_address
    nginx_start
}

nginx_start() {  # nginx in namespace A on 48.0.0.1:80, a 100-byte body
    local d=$work/nginx
    mkdir -p "$d"
    local body
    body=$(printf 'r%.0s' $(seq 100))
    cat >"$d/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $d/nginx.pid; error_log $d/error.log;
events { worker_connections 65536; }
http { access_log off; keepalive_timeout 0; default_type text/plain;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  server { listen 48.0.0.1:80 backlog=65535; location / { return 200 "$body"; } } }
EOF
    ip netns exec "$a" taskset -c 0 nginx -p "$d" -c "$d/nginx.conf" &
    server=$!
    sleep 1
}

# The bytes nginx answers the profile's request with.
nginx_response_length() {
    ip netns exec "$a" python3 - <<'PY'
import socket
req = (b"GET / HTTP/1.1\r\nHost: 48.0.0.1\r\nUser-Agent: trex\r\n"
       b"Accept: */*\r\nConnection: close\r\n\r\n")
s = socket.create_connection(("48.0.0.1", 80), timeout=5)
s.sendall(req)
n = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    n += len(b)
print(n)
PY
}

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r)" | tee "$work/machine.txt"

long=$((secs + 30))

echo "cc-synwave" >&2
search cc-synwave synwave_connect_close.py "" serve_cc
echo "http-synwave" >&2
search http-synwave synwave_http.py "body=100," serve_http
echo "cc-linux" >&2
search cc-linux synwave_connect_close.py "" linux_cc
PATH=$PATH:/usr/sbin
if command -v nginx >/dev/null; then
    echo "http-nginx" >&2
    # nginx's response to the profile's request, measured once.
    new_pair
    linux_nginx
    expect=$(nginx_response_length)
    stop_server
    search http-nginx synwave_http.py "body=100,expect=$expect," linux_nginx
else
    echo '{"case": "http-nginx", "rate": 0, "flows": 0, "clean": false, "why": "nginx not installed"}' >>"$results"
fi

python3 - "$results" "$work/machine.txt" "$secs" "$out" <<'PY'
import json, sys
results, machine, secs, out = sys.argv[1], open(sys.argv[2]).read().strip(), int(sys.argv[3]), sys.argv[4]
runs = [json.loads(l) for l in open(results)]
what = {
    "cc-synwave": "TRex connect + close → synwave serve",
    "cc-linux": "TRex connect + close → Linux accept-and-close",
    "http-synwave": "TRex HTTP (100-byte body) → synwave serve --response http",
    "http-nginx": "TRex HTTP (100-byte body) → nginx",
}
best, stop = {}, {}
for r in runs:
    if r["clean"]:
        best[r["case"]] = max(best.get(r["case"], 0), r["rate"])
    else:
        stop[r["case"]] = "%d/s: %s" % (r["rate"], r["why"]) if r["rate"] else r["why"]
lines = ["Machine: %s. TRex v3.08, software mode, one core; each rate %d s." % (machine, secs), "",
         "| case | highest clean rate (connections/s) | first rate not clean |", "|---|---|---|"]
for case, text in what.items():
    lines.append("| %s | %s | %s |" % (text, "{:,}".format(best[case]) if case in best else "none",
                                        stop.get(case, "none up to the last rate tried")))
def ratio(x, y):
    return "%.2f×" % (best[x] / best[y]) if best.get(x) and best.get(y) else "n/a"
lines += ["", "| ratio | value |", "|---|---|",
          "| synwave / Linux (connect + close) | **%s** |" % ratio("cc-synwave", "cc-linux"),
          "| synwave / nginx (HTTP) | **%s** |" % ratio("http-synwave", "http-nginx"), "",
          "A rate is clean when TRex opened at least 95 % of the flows it asked for and every one "
          "connected and closed with no retransmission, drop or port receive error. A case that is "
          "clean at the last rate tried is bound by TRex (one core), not by the server."]
text = "\n".join(lines)
print(text)
open(out + ".md", "w").write(text + "\n")
json.dump({"machine": machine, "secs": secs, "runs": runs}, open(out + ".json", "w"), indent=1)
print("\nwrote %s.json and %s.md" % (out, out), file=sys.stderr)
PY
