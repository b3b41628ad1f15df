#!/usr/bin/env python3
"""Runs a real TRex (ASTF, software mode, one core) on one veth end
through DPDK's net_af_packet driver, and prints its counters as JSON.

Run it inside the namespace that holds the veth end:

    ip netns exec NS tools/trex/live.py --iface IF --profile P.py \\
        --ip 48.0.0.254 --gw 48.0.0.1 --duration 10 --tunables cps=1000

TRex needs two ports; the one not on the veth is a `dummy`. With
`--side client` (the default) the veth is port 0 and TRex plays the
clients of the profile (`--astf-client-mask 0x1`); with `--side server`
the veth is port 1 and TRex only accepts (`--astf-server-only`).
`--ip` is TRex's own address on the veth, `--gw` the address it resolves
by ARP and sends every flow to (synwave's).

TRex is found in --trex, else $TREX_DIR, else target/trex/trex-v3.08
(tools/install-test-deps.sh unpacks it there from ../shared/trex).
Without one the script exits with status 3 and says where it looked.

The JSON: {"client": {counter: n}, "server": {counter: n}, "port":
{opackets, ipackets, ierrors, oerrors}, "rc": TRex's exit status,
"log": the path of TRex's full output}. Counters are the integer rows
of TRex's final table (only non-zero ones are printed by TRex; a missing
counter is 0). TRex's "drop" lines are tx - rx, not losses: a real
receive loss is the port's `ierrors`.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMES = 16384  # af_packet ring: the default 256 loses frames above ~50 k conn/s


def trex_dir(given):
    """The TRex folder holding t-rex-64, or None, with the place tried: the
    one named (--trex, then $TREX_DIR) when one is, else the unpacked one."""
    d = given or os.environ.get("TREX_DIR") or os.path.join(REPO, "target/trex/trex-v3.08")
    return (d if os.access(os.path.join(d, "t-rex-64"), os.X_OK) else None), d


def config(iface, side, ip, gw, gw_mac, core):
    """TRex's YAML config: the veth end and a dummy port."""
    veth = '"--vdev=net_af_packet0,iface=%s,blocksz=4096,framesz=2048,framecnt=%d"' % (iface, FRAMES)
    ports = [veth, '"dummy"'] if side == "client" else ['"dummy"', veth]
    # The dummy port's address only has to differ from the veth's.
    dummy = {"ip": "198.18.0.1", "default_gw": "198.18.0.2"}
    real = {"ip": ip, "default_gw": gw}
    if gw_mac:
        real = {"dest_mac": '"%s"' % gw_mac}
    info = [real, dummy] if side == "client" else [dummy, real]
    lines = [
        "- port_limit: 2",
        "  version: 2",
        "  interfaces: [%s]" % ", ".join(ports),
        "  low_end: true",
        "  low_end_core: %d" % core,
        "  port_info:",
    ]
    for p in info:
        lines.append("    - {%s}" % ", ".join("%s: %s" % kv for kv in p.items()))
    return "\n".join(lines) + "\n"


ROW = re.compile(r"^\s*(\w+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|")
PORT = re.compile(r"^\s*(opackets|ipackets|ierrors|oerrors)\s*\|\s*(\d+)\s*$")


def parse(text):
    """The final counter table and the last per-port figures of TRex's
    output."""
    client, server, port = {}, {}, {}
    tail = text[text.rfind("summary stats"):] if "summary stats" in text else ""
    for line in tail.splitlines():
        m = ROW.match(line)
        if m:
            client[m.group(1)] = int(m.group(2))
            server[m.group(1)] = int(m.group(3))
    for line in text.splitlines():
        m = PORT.match(line)
        if m:
            port[m.group(1)] = int(m.group(2))
    return client, server, port


def run(cmd, cwd, out, limit):
    """Runs TRex in a process group of its own (t-rex-64 is a script that
    starts _t-rex-64), and ends the whole group at `limit` seconds or when
    this script is told to stop: SIGINT first (TRex prints its counters
    and stops), SIGKILL 10 s later. Returns TRex's status (124: stopped
    at the limit)."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(*_):
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                return
            try:
                p.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                pass

    def on_signal(signum, _frame):
        stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        stop()
        return 124
    finally:
        # Whatever TRex left behind in its group ends with it.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iface", required=True, help="the veth end TRex takes")
    ap.add_argument("--profile", required=True, help="an ASTF profile (.py)")
    ap.add_argument("--ip", required=True, help="TRex's own address on the veth")
    ap.add_argument("--gw", required=True, help="the address TRex sends every flow to")
    ap.add_argument("--gw-mac", help="the gateway's MAC, fixed (no ARP: TRex answers from the first frame)")
    ap.add_argument("--side", choices=["client", "server"], default="client")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of traffic")
    ap.add_argument("--mult", default="1", help="TRex's -m (rate multiplier)")
    ap.add_argument("--tunables", default="", help="TRex's -t, e.g. cps=1000,body=100")
    ap.add_argument("--core", type=int, default=1, help="the core TRex runs on")
    ap.add_argument("--trex", help="TRex's folder (default: $TREX_DIR, then target/trex/trex-v3.08)")
    ap.add_argument("--log", help="where TRex's output goes (default: a temporary folder); "
                    "'-Per port stats table' in it says TRex runs")
    ap.add_argument("--timeout", type=float, default=0, help="seconds before TRex is stopped (default: duration + 60)")
    a = ap.parse_args()

    d, tried = trex_dir(a.trex)
    if d is None:
        print("no TRex at %s (no t-rex-64 there): run tools/install-test-deps.sh, or set TREX_DIR "
              "to the TRex folder that holds t-rex-64" % tried, file=sys.stderr)
        return 3
    work = tempfile.mkdtemp(prefix="synwave-trex.")
    cfg = os.path.join(work, "trex_cfg.yaml")
    with open(cfg, "w") as f:
        f.write(config(a.iface, a.side, a.ip, a.gw, a.gw_mac, a.core))
    cmd = ["./t-rex-64", "--astf", "-f", os.path.abspath(a.profile), "-m", a.mult,
           "-d", str(a.duration), "--cfg", cfg, "--software", "-c", "1",
           "--tso-disable", "--lro-disable"]
    cmd += ["--astf-client-mask", "0x1"] if a.side == "client" else ["--astf-server-only"]
    if a.tunables:
        cmd += ["-t", a.tunables]
    log = a.log or os.path.join(work, "trex.log")
    limit = a.timeout or a.duration + 60
    with open(log, "w") as out:
        rc = run(cmd, d, out, limit)
    with open(log, errors="replace") as f:
        text = f.read()
    client, server, port = parse(text)
    json.dump({"client": client, "server": server, "port": port, "rc": rc, "log": log,
               "command": " ".join(cmd)}, sys.stdout)
    print()
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
