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
# The two templates go to two addresses of the same `synwave serve`
# (48.0.0.1 for the real clients, 48.0.0.2 for the flood): the same
# workers, listener, SYN queue and cookies take both. TRex refuses two
# server templates on port 80 alone, so each server side is associated
# with its own address.
#
#   synwave serve --iface IF --ip 48.0.0.1-48.0.0.2 --port 80 --cookies always
#   (on the DUT/router: route 17.0.0.0/16 to a discard interface)
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_syn_flood.py -m 1 -d 60 -t flood_cps=1000000,legit_cps=10000
#
# With synwave directly attached to TRex (no router), synwave answers the
# source MAC of each SYN, so the flood's SYN-ACKs do reach TRex and the
# flood's flows complete as real connections (--peer-mac moves only the
# frames synwave originates, not its answers); for a flood that never
# completes there, use `synwave gen` with a syn-only spoofed template
# (profiles/).
#
# Tunables (-t --help lists them): flood_cps (default 100000), legit_cps
# (default 1000). See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_trex import SERVER_IP, connect_then_close, ip_gen, template  # noqa: E402
from synwave_trex import tunables as read_tunables  # noqa: E402

FLOOD_SERVER_IP = "48.0.0.2"


class SynwaveSynFlood(object):
    def get_profile(self, tunables=None, **kwargs):
        t = read_tunables({"flood_cps": 100000.0, "legit_cps": 1000.0}, tunables, kwargs)
        legit_ips = ip_gen("16.0.0.1", "16.0.0.255")
        # Flood flows: SYN, then give up after keepinit seconds (no SYN-ACK
        # ever returns). keepinit is a profile-wide TCP setting; the legit
        # flows (handshake, then FIN) complete long before it.
        c_glob_info = ASTFGlobalInfo()
        c_glob_info.tcp.keepinit = 2
        flood = template(connect_then_close(),
                         ip_gen("17.0.0.1", "17.0.255.254", "rand", server=FLOOD_SERVER_IP),
                         t["flood_cps"], "flood", server=FLOOD_SERVER_IP)
        legit = template(connect_then_close(), legit_ips, t["legit_cps"], "legit", server=SERVER_IP)
        return ASTFProfile(default_ip_gen=legit_ips, templates=[flood, legit],
                           default_c_glob_info=c_glob_info)


def register():
    return SynwaveSynFlood()
