# Shared by synwave's TRex profiles. Tunables, in either form TRex passes them:
# `-t cps=1000,body=100` (older TRex: keyword arguments, or NAME=VALUE
# strings) and `-t --cps 1000 --body 100` (newer TRex: a list for
# argparse).


def tunables(defaults, tunables=None, kwargs=None):
    """`defaults` (name → value) overridden by what TRex passed; each
    value converted to its default's type. An unknown tunable is an error
    that lists the known ones; keyword arguments TRex adds of its own
    are left alone."""
    given = dict((k, v) for k, v in (kwargs or {}).items() if k in defaults)
    items = list(tunables or [])
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("--"):
            name = item[2:]
            if "=" in name:
                name, value = name.split("=", 1)
            else:
                i += 1
                value = items[i] if i < len(items) else ""
        else:
            name, _, value = item.partition("=")
        given[name.replace("-", "_")] = value
        i += 1
    out = dict(defaults)
    for name, value in given.items():
        if name not in defaults:
            raise ValueError("unknown tunable %r; known: %s" % (name, ", ".join(sorted(defaults))))
        out[name] = type(defaults[name])(value)
    return out


# What every profile builds the same way: the server address, the client
# address generator, and a template whose server side TRex needs but, with
# --astf-client-mask 0x1, never runs (synwave serves).
from trex.astf.api import (ASTFAssociationRule, ASTFIPGen, ASTFIPGenDist,  # noqa: E402
                           ASTFIPGenGlobal, ASTFProgram, ASTFTCPClientTemplate,
                           ASTFTCPServerTemplate, ASTFTemplate)

SERVER_IP = "48.0.0.1"
PORT = 80


def ip_gen(first, last, distribution="seq"):
    """Clients `first`–`last` toward SERVER_IP."""
    return ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="1.0.0.0"),
                     dist_client=ASTFIPGenDist(ip_range=[first, last], distribution=distribution),
                     dist_server=ASTFIPGenDist(ip_range=[SERVER_IP, SERVER_IP], distribution="seq"))


def clients(count):
    """The last of `count` client addresses from 16.0.0.1."""
    return "16.0.%d.%d" % (count // 256, count % 256)


def template(prog_c, ips, cps, name, prog_s=None):
    """A client template on PORT at `cps`, named `name`; `prog_s` (by
    default: wait for the client's close) is the unused server side."""
    if prog_s is None:
        prog_s = ASTFProgram()
        prog_s.wait_for_peer_close()
    return ASTFTemplate(
        client_template=ASTFTCPClientTemplate(program=prog_c, ip_gen=ips, port=PORT, cps=cps),
        server_template=ASTFTCPServerTemplate(program=prog_s, assoc=ASTFAssociationRule(port=PORT)),
        tg_name=name)
