# TRex ASTF profile: HTTP/1.1 request and response against
# `synwave serve --response http`.
#
# Each TRex client flow sends one GET with `Connection: close`, reads the
# whole response (synwave's header plus --response-bytes of body), and
# closes: the program ends after its `recv`. synwave closes first with
# --response http (its FIN rides on the last data segment); TRex's close
# then answers it, and synwave holds TIME-WAIT. The client must not call
# `wait_for_peer_close()`: TRex returns from it only on a FIN without
# data, so against a FIN carried with the data (synwave's, or a Linux
# server's under TCP_CORK) every flow would wait until TRex's keepalive
# dropped it.
#
#   synwave serve --iface IF --ip 48.0.0.1 --port 80 --response http --response-bytes 100
#   ./t-rex-64 --astf --astf-client-mask 0x1 -f synwave_http.py -m 1 -d 60 -t cps=50000,body=100
#
# Tunables (-t --help lists them): cps (default 10000), body (the
# --response-bytes given to synwave; default 0, as serve's), clients (1 to
# 65535, default 255), expect (the bytes each client reads before it
# closes; default 0: synwave's response for `body`; set it to run the
# profile against another server, e.g. nginx). See docs/trex.md.

import os
import sys

from trex.astf.api import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synwave_trex import SERVER_IP, clients, ip_gen, template  # noqa: E402
from synwave_trex import tunables as read_tunables  # noqa: E402

HTTP_REQ = ("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: trex\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n" % SERVER_IP).encode("ascii")


def synwave_response(body):
    """The response `synwave serve --response http --response-bytes BODY`
    sends (src/http.rs)."""
    head = ("HTTP/1.1 200 OK\r\nServer: synwave\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % body)
    return head.encode("ascii") + b"r" * body


class SynwaveHttp(object):
    def get_profile(self, tunables=None, **kwargs):
        t = read_tunables({"cps": 10000.0, "body": 0, "clients": 255, "expect": 0},
                          tunables, kwargs)
        response = synwave_response(t["body"])

        prog_c = ASTFProgram()
        prog_c.send(HTTP_REQ)
        prog_c.recv(t["expect"] or len(response))
        # The unused server side answers as synwave would.
        prog_s = ASTFProgram()
        prog_s.recv(len(HTTP_REQ))
        prog_s.send(response)

        ips = ip_gen("16.0.0.1", clients(t["clients"]))
        return ASTFProfile(default_ip_gen=ips,
                           templates=template(prog_c, ips, t["cps"], "http", prog_s))


def register():
    return SynwaveHttp()
