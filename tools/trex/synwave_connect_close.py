# TRex ASTF profile: handshake + FIN close against `synwave serve`.
#
# Each TRex client flow opens a connection to port 80, sends nothing, and
# closes with FIN as soon as the handshake is done (an ASTF program of one
# `connect()`: TRex closes at the program's end). synwave serve (default
# --close client-fin) answers the FIN with its own: three-way handshake,
# four-way close, client TIME-WAIT.
#
#   synwave serve --iface IF --ip 48.0.0.1 --port 80 --cookies always
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_connect_close.py -m 1 -d 60 -t cps=100000
#
# Tunables (-t name=value,... or -t --name value ...; -t --help lists
# them): cps (connections/s per profile multiplier unit, default 10000),
# clients (client addresses, 1 to 65535, default 255).
# See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_trex import clients, connect_then_close, ip_gen, template  # noqa: E402
from synwave_trex import tunables as read_tunables  # noqa: E402


class SynwaveConnectClose(object):
    def get_profile(self, tunables=None, **kwargs):
        t = read_tunables({"cps": 10000.0, "clients": 255}, tunables, kwargs)
        ips = ip_gen("16.0.0.1", clients(t["clients"]))
        return ASTFProfile(default_ip_gen=ips,
                           templates=template(connect_then_close(), ips, t["cps"], "connect_close"))


def register():
    return SynwaveConnectClose()
