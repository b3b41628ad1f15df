#!/usr/bin/env bash
# Two network namespaces joined by a veth pair, for running synwave on a
# real (virtual) interface next to a Linux kernel TCP stack.
#
#   tools/netns.sh up NAME [QUEUES]   create NAMEa and NAMEb (QUEUES rx/tx
#                                     queues per veth end, default 1)
#   tools/netns.sh down NAME          remove them (and the veth pair)
#
# Layout (NET defaults to 10.99.0; set SW_NET to change it):
#   namespace NAMEa: veth NAMEa, no kernel address: synwave owns NET.1
#                    (or any other address of the /16 but NET.2)
#   namespace NAMEb: veth NAMEb, kernel address NET.2/24, the /16 on-link;
#                    IPv6 NET6::2/64 (NET6 defaults to fd00:99; SW_NET6
#                    changes it), the /64 on-link: synwave owns NET6::1
#                    (or any other address of the /64 but ::2)
# Transmit checksum offload is turned off on NAMEb (ethtool), so frames the
# kernel sends carry full checksums: veth hands XDP the frame as the
# kernel built it, and with offload on its TCP checksum holds only the
# pseudo-header sum.
#
# Examples:
#   sudo tools/netns.sh up sw1
#   sudo ip netns exec sw1a synwave serve --iface sw1a --ip 10.99.0.1 --port 80
#   sudo ip netns exec sw1b curl http://10.99.0.1/
#   sudo tools/netns.sh down sw1
set -euo pipefail

usage() { echo "usage: $0 up NAME [QUEUES] | down NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 name=$2 queues=${3:-1}
net=${SW_NET:-10.99.0}
net6=${SW_NET6:-fd00:99}
[ ${#name} -le 14 ] || { echo "NAME '$name' is too long: at most 14 characters (interface names)" >&2; exit 2; }
command -v ip >/dev/null || { echo "needs ip (iproute2): apt-get install iproute2" >&2; exit 1; }

case $cmd in
up)
    [[ $queues =~ ^[0-9]+$ ]] && [ "$queues" -ge 1 ] || { echo "QUEUES must be 1 or more" >&2; exit 2; }
    ip netns add "${name}a"
    ip netns add "${name}b"
    ip link add "${name}a" numtxqueues "$queues" numrxqueues "$queues" netns "${name}a" \
        type veth peer name "${name}b" numtxqueues "$queues" numrxqueues "$queues" netns "${name}b"
    for s in a b; do
        ip -n "${name}$s" link set lo up
        ip -n "${name}$s" link set "${name}$s" up
    done
    ip -n "${name}b" addr add "$net.2/24" dev "${name}b"
    # The rest of the /16 is on the link too: synwave may take source
    # addresses from it (gen --src-ip 10.99.1.1-10.99.1.250), which the
    # kernel then resolves by ARP and answers directly.
    ip -n "${name}b" route add "${net%.*}.0.0/16" dev "${name}b"
    # IPv6 at once (no duplicate address detection to wait for), where
    # the kernel has it.
    if [ -e /proc/net/if_inet6 ]; then
        ip -n "${name}b" addr add "$net6::2/64" dev "${name}b" nodad
    fi
    if command -v ethtool >/dev/null; then
        ip netns exec "${name}b" ethtool -K "${name}b" tx off >/dev/null
    else
        echo "warning: no ethtool: ${name}b keeps transmit checksum offload (apt-get install ethtool)" >&2
    fi
    ;;
down)
    ip netns del "${name}a" 2>/dev/null || true
    ip netns del "${name}b" 2>/dev/null || true
    ;;
*) usage ;;
esac
