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
from synwave_tunables import tunables  # noqa: E402

SERVER_IP = "48.0.0.1"
PORT = 80


class SynwaveConnectClose(object):
    def get_profile(self, tunables_list=None, **kwargs):
        t = tunables({"cps": 10000.0, "clients": 255}, tunables_list, kwargs)
        cps = t["cps"]
        clients = t["clients"]

        # The client program: no command. TRex connects, then closes
        # (FIN) at the program's end.
        prog_c = ASTFProgram()
        # TRex needs a server side in the template; with
        # --astf-client-mask 0x1 it never runs (synwave is the server).
        prog_s = ASTFProgram()
        prog_s.wait_for_peer_close()

        last = "16.0.%d.%d" % (clients // 256, clients % 256)
        ip_gen_c = ASTFIPGenDist(ip_range=["16.0.0.1", last], distribution="seq")
        ip_gen_s = ASTFIPGenDist(ip_range=[SERVER_IP, SERVER_IP], distribution="seq")
        ip_gen = ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="1.0.0.0"),
                           dist_client=ip_gen_c,
                           dist_server=ip_gen_s)

        temp_c = ASTFTCPClientTemplate(program=prog_c, ip_gen=ip_gen, port=PORT, cps=cps)
        temp_s = ASTFTCPServerTemplate(program=prog_s, assoc=ASTFAssociationRule(port=PORT))
        template = ASTFTemplate(client_template=temp_c, server_template=temp_s,
                                tg_name="connect_close")
        return ASTFProfile(default_ip_gen=ip_gen, templates=template)


def register():
    return SynwaveConnectClose()
