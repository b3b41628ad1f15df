# TRex ASTF profile: handshake + FIN close against `synwave serve`.
#
# Each TRex client flow opens a connection to port 80, sends nothing, and
# closes with FIN as soon as the handshake is done (an ASTF program with
# no command). synwave serve (default --close client-fin) answers the FIN
# with its own: three-way handshake, four-way close, client TIME-WAIT.
#
#   synwave serve --iface IF --ip 48.0.0.1 --port 80 --cookies always
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_connect_close.py -m 1 -d 60 -t cps=100000
#
# Tunables (-t name=value,...): cps (connections/s per profile multiplier
# unit, default 10000), clients (client addresses, default 255).
# See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_trex import clients, ip_gen, template, tunables  # noqa: E402


class SynwaveConnectClose(object):
    def get_profile(self, tunables_list=None, **kwargs):
        t = tunables({"cps": 10000.0, "clients": 255}, tunables_list, kwargs)
        # The client program: no command. TRex connects, then closes
        # (FIN) at the program's end.
        ips = ip_gen("16.0.0.1", clients(t["clients"]))
        return ASTFProfile(default_ip_gen=ips,
                           templates=template(ASTFProgram(), ips, t["cps"], "connect_close"))


def register():
    return SynwaveConnectClose()
