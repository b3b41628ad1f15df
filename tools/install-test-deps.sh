#!/usr/bin/env bash
# Installs the system tools the real-interface tests use, where missing:
# iproute2 (ip, namespaces, veth), ethtool (checksum offload off on the
# kernel's veth end), ping (iputils-ping: the kernel next to synwave still
# answers on its own addresses), tshark (decoding captures), ab (apache2-utils),
# nginx (HTTP peers), hping3 (a SYN flood), nft (nftables: the device under
# test of tests/search_device.rs limits new connections), python3 (loading the TRex
# profiles with a stand-in API) and pip for it; then it fetches TRex's
# own Python client (tools/trex/fetch-client.sh, pinned by hash, into
# target/trex-client), whose compiler tests/trex_astf_sim.rs runs on the
# profiles; and TRex's runtime libraries (libnuma1 libelf1 libpcap0.8
# libmnl0 zlib1g, pciutils) with the TRex beside the repository
# (../shared/trex) unpacked into target/trex (tools/trex/unpack.sh), for
# tests/trex_live.rs (TREX_DIR names a TRex of your own instead). Run as root on Debian or Ubuntu (CI does, from .ci/run);
# elsewhere it says what is missing and the tests that need it skip or
# fail with the same words.
set -euo pipefail
want=()
command -v ip >/dev/null || want+=(iproute2)
command -v ethtool >/dev/null || want+=(ethtool)
command -v ping >/dev/null || want+=(iputils-ping)
command -v tshark >/dev/null || want+=(tshark)
command -v ab >/dev/null || want+=(apache2-utils)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || want+=(nginx)
command -v hping3 >/dev/null || [ -x /usr/sbin/hping3 ] || want+=(hping3)
command -v python3 >/dev/null || want+=(python3)
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || want+=(nftables)
python3 -m pip --version >/dev/null 2>&1 || want+=(python3-pip)
# TRex's runtime libraries (its README), where a dynamic linker can tell.
for pkg in libnuma1 libelf1 libpcap0.8 libmnl0 zlib1g pciutils; do
    dpkg -s "$pkg" >/dev/null 2>&1 || ! command -v dpkg >/dev/null || want+=("$pkg")
done
install_missing() {
    [ ${#want[@]} -eq 0 ] && return
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing ${want[*]}: install them (apt-get install ${want[*]}) for the real-interface tests" >&2
        return
    fi
    echo "installing ${want[*]} for the real-interface tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null || true
    # No service starts from a package's install script: the tests start
    # their own peers, in their own namespaces.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}
install_missing
"$(dirname "$0")/trex/fetch-client.sh" ||
    echo "warning: TRex's Python client not fetched; tests/trex_astf_sim.rs will fail or skip saying why" >&2
"$(dirname "$0")/trex/unpack.sh" ||
    echo "warning: no TRex unpacked; tests/trex_live.rs will fail or skip saying why" >&2
