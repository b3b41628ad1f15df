# TRex ASTF profile: a SYN flood against `synwave serve`, mixed with
# real connections.
#
# An ASTF client flow always answers the server's SYN-ACK, so a flood of
# SYNs that never complete needs clients whose answers never come back
# to TRex: the "flood" template's clients (17.0.0.0/16) are addresses the
# DUT routes to a black hole, and their flows give up after
# keepinit seconds (TRex retries each SYN, then drops the flow). The
# "legit" template (16.0.0.0/24, routed back to TRex) does handshake +
# FIN close at the same time, so TRex's own counters show whether real
# clients still get through.
#
#   synwave serve --iface IF --ip 48.0.0.1 --port 80 --cookies always
#   (on the DUT/router: route 17.0.0.0/16 to a discard interface)
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_syn_flood.py -m 1 -d 60 -t flood_cps=1000000,legit_cps=10000
#
# With synwave directly attached to TRex (no router), synwave answers the
# source MAC of each SYN, so the flood's SYN-ACKs do reach TRex; then run
# synwave with --peer-mac set to a MAC nobody has, or use
# `synwave gen` with a syn-only spoofed template instead (profiles/).
#
# Tunables: flood_cps (default 100000), legit_cps (default 1000).
# See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_trex import ip_gen, template, tunables  # noqa: E402


class SynwaveSynFlood(object):
    def get_profile(self, tunables_list=None, **kwargs):
        t = tunables({"flood_cps": 100000.0, "legit_cps": 1000.0}, tunables_list, kwargs)
        legit_ips = ip_gen("16.0.0.1", "16.0.0.255")
        # Flood flows: SYN, then give up after keepinit seconds (no SYN-ACK
        # ever returns). keepinit is a profile-wide TCP setting; the legit
        # flows (handshake, then FIN) complete long before it.
        c_glob_info = ASTFGlobalInfo()
        c_glob_info.tcp.keepinit = 2
        flood = template(ASTFProgram(), ip_gen("17.0.0.1", "17.0.255.254", "rand"),
                         t["flood_cps"], "flood")
        legit = template(ASTFProgram(), legit_ips, t["legit_cps"], "legit")
        return ASTFProfile(default_ip_gen=legit_ips, templates=[flood, legit],
                           default_c_glob_info=c_glob_info)


def register():
    return SynwaveSynFlood()
