# TRex ASTF profile: HTTP/1.1 request and response against
# `synwave serve --response http`.
#
# Each TRex client flow sends one GET with `Connection: close`, reads the
# whole response (synwave's header plus --response-bytes of body), and
# waits for synwave's FIN (serve closes first with --response http).
#
#   synwave serve --iface IF --ip 48.0.0.1 --port 80 --response http --response-bytes 100
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_http.py -m 1 -d 60 -t cps=50000,body=100
#
# Tunables: cps (default 10000), body (the --response-bytes given to
# synwave, default 100), clients (default 255). See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_tunables import tunables  # noqa: E402

SERVER_IP = "48.0.0.1"
PORT = 80

HTTP_REQ = (b"GET / HTTP/1.1\r\nHost: 48.0.0.1\r\nUser-Agent: trex\r\n"
            b"Accept: */*\r\nConnection: close\r\n\r\n")


def synwave_response(body):
    """The response `synwave serve --response http --response-bytes BODY`
    sends (src/http.rs)."""
    head = ("HTTP/1.1 200 OK\r\nServer: synwave\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % body)
    return head.encode("ascii") + b"r" * body


class SynwaveHttp(object):
    def get_profile(self, tunables_list=None, **kwargs):
        t = tunables({"cps": 10000.0, "body": 100, "clients": 255}, tunables_list, kwargs)
        cps = t["cps"]
        body = t["body"]
        clients = t["clients"]
        response = synwave_response(body)

        prog_c = ASTFProgram()
        prog_c.send(HTTP_REQ)
        prog_c.recv(len(response))
        prog_c.wait_for_peer_close()

        # Unused with --astf-client-mask 0x1 (synwave serves), required by
        # the template.
        prog_s = ASTFProgram()
        prog_s.recv(len(HTTP_REQ))
        prog_s.send(response)

        last = "16.0.%d.%d" % (clients // 256, clients % 256)
        ip_gen_c = ASTFIPGenDist(ip_range=["16.0.0.1", last], distribution="seq")
        ip_gen_s = ASTFIPGenDist(ip_range=[SERVER_IP, SERVER_IP], distribution="seq")
        ip_gen = ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="1.0.0.0"),
                           dist_client=ip_gen_c,
                           dist_server=ip_gen_s)

        temp_c = ASTFTCPClientTemplate(program=prog_c, ip_gen=ip_gen, port=PORT, cps=cps)
        temp_s = ASTFTCPServerTemplate(program=prog_s, assoc=ASTFAssociationRule(port=PORT))
        template = ASTFTemplate(client_template=temp_c, server_template=temp_s, tg_name="http")
        return ASTFProfile(default_ip_gen=ip_gen, templates=template)


def register():
    return SynwaveHttp()
