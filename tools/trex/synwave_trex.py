# Shared by synwave's TRex profiles. Tunables, in either form TRex passes them.
# TRex's ASTFProfile.load_py calls get_profile(tunables=[...], **kwargs):
# `-t cps=1000,body=100` arrives both as keyword arguments (cps=1000,
# body=100) and as the list ["--cps", "1000", "--body", "100"];
# `-t --cps 1000 --body 100` (TRex 2.89 and later) as the list only.
# `-t --help` lists the tunables.


def tunables(defaults, tunables=None, kwargs=None):
    """`defaults` (name → value) overridden by what TRex passed; each
    value converted to its default's type. An unknown tunable is an error
    that lists the known ones; keyword arguments TRex adds of its own
    are left alone. `--help` prints the tunables and their defaults and
    exits, as an argparse profile does (TRex then loads nothing)."""
    given = dict((k, v) for k, v in (kwargs or {}).items() if k in defaults)
    items = list(tunables or [])
    if "--help" in items or "-h" in items:
        print("tunables (-t NAME=VALUE,... or -t --NAME VALUE ...):")
        for name in sorted(defaults):
            print("  --%s (default %s)" % (name, defaults[name]))
        raise SystemExit(0)
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


def ip_gen(first, last, distribution="seq", server=SERVER_IP):
    """Clients `first`–`last` toward `server`."""
    return ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="1.0.0.0"),
                     dist_client=ASTFIPGenDist(ip_range=[first, last], distribution=distribution),
                     dist_server=ASTFIPGenDist(ip_range=[server, server], distribution="seq"))


def clients(count):
    """The last of `count` client addresses from 16.0.0.1 (1 to 65,535)."""
    if not 1 <= count <= 65535:
        raise ValueError("clients is %d; give 1 to 65535 client addresses" % count)
    return "16.0.%d.%d" % (count // 256, count % 256)


def template(prog_c, ips, cps, name, prog_s=None, server=None):
    """A client template on PORT at `cps`, named `name`; `prog_s` (by
    default: wait for the client's close) is the unused server side. With
    `server`, the server side is associated with that address and PORT
    only, so that templates to different addresses share PORT (TRex
    refuses two server templates with PORT alone)."""
    if prog_s is None:
        prog_s = ASTFProgram()
        prog_s.wait_for_peer_close()
    if server is None:
        assoc = ASTFAssociationRule(port=PORT)
    else:
        assoc = ASTFAssociationRule(port=PORT, ip_start=server, ip_end=server)
    return ASTFTemplate(
        client_template=ASTFTCPClientTemplate(program=prog_c, ip_gen=ips, port=PORT, cps=cps),
        server_template=ASTFTCPServerTemplate(program=prog_s, assoc=assoc),
        tg_name=name)


def connect_then_close():
    """A client program that waits for the handshake, then closes with FIN
    (the program's end): `connect()`, as TRex's own connect-and-reset
    example uses it."""
    prog = ASTFProgram()
    prog.connect()
    return prog
