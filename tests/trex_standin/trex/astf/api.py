"""A minimal stand-in for TRex's `trex.astf.api`, for tests only: the
classes and methods synwave's profiles (tools/trex/) use, with TRex's
parameter names, recording what the profile declares. A name or keyword
TRex does not have fails here too (AttributeError, TypeError); what TRex
checks beyond that, `astf-sim` checks (docs/trex.md)."""


class ASTFProgram(object):
    def __init__(self, file=None, side="c", commands=None, stream=True, s_delay=None, udp_mtu=None):
        self.commands = []

    def send(self, buf, size=0, fill=None):
        if not isinstance(buf, (bytes, str)):
            raise TypeError("send takes bytes or str")
        self.commands.append(("send", len(buf)))

    def recv(self, bytes, clear=False):
        self.commands.append(("recv", int(bytes)))

    def connect(self):
        self.commands.append(("connect",))

    def wait_for_peer_close(self):
        self.commands.append(("wait_for_peer_close",))

    def reset(self):
        self.commands.append(("reset",))

    def delay(self, usec):
        self.commands.append(("delay", int(usec)))


class ASTFIPGenDist(object):
    def __init__(self, ip_range, distribution="seq", per_core_distribution=None):
        if len(ip_range) != 2:
            raise ValueError("ip_range is [first, last]")
        if distribution not in ("seq", "rand"):
            raise ValueError("distribution is seq or rand")
        self.ip_range = list(ip_range)
        self.distribution = distribution


class ASTFIPGenGlobal(object):
    def __init__(self, ip_offset="1.0.0.0"):
        self.ip_offset = ip_offset


class ASTFIPGen(object):
    def __init__(self, dist_client, dist_server, glob=ASTFIPGenGlobal()):
        self.dist_client = dist_client
        self.dist_server = dist_server
        self.glob = glob


class ASTFAssociationRule(object):
    def __init__(self, port=80, ip_start=None, ip_end=None, l7_map=None):
        if (ip_start is None) != (ip_end is None):
            raise ValueError("ip_start and ip_end go together")
        self.port, self.ip_start, self.ip_end, self.l7_map = port, ip_start, ip_end, l7_map

    def is_port_only(self):
        return self.ip_start is None and self.l7_map is None


class _Params(object):
    """`glob_info.tcp.NAME = value`, as TRex's ASTFGlobalInfo takes."""

    def __init__(self, allowed):
        object.__setattr__(self, "_allowed", allowed)
        object.__setattr__(self, "values", {})

    def __setattr__(self, name, value):
        if name not in self._allowed:
            raise AttributeError("no TRex parameter " + name)
        self.values[name] = value


class ASTFGlobalInfo(object):
    def __init__(self):
        self.tcp = _Params({"mss", "initwnd", "rxbufsize", "txbufsize", "rexmtthresh",
                            "do_rfc1323", "keepinit", "keepidle", "keepintvl",
                            "blackhole", "delay_ack_msec", "no_delay"})


class ASTFTCPClientTemplate(object):
    def __init__(self, ip_gen, cluster=None, program=None, port=80, cps=1, glob_info=None,
                 limit=None, cont=None):
        if not isinstance(program, ASTFProgram) or not isinstance(ip_gen, ASTFIPGen):
            raise TypeError("program and ip_gen")
        self.ip_gen, self.program, self.port, self.cps = ip_gen, program, port, cps


class ASTFTCPServerTemplate(object):
    def __init__(self, program=None, assoc=None, glob_info=None):
        if not isinstance(program, ASTFProgram):
            raise TypeError("program")
        self.program = program
        self.assoc = assoc if assoc is not None else ASTFAssociationRule()


class ASTFTemplate(object):
    def __init__(self, client_template=None, server_template=None, tg_name=None):
        if not isinstance(client_template, ASTFTCPClientTemplate):
            raise TypeError("client_template")
        if not isinstance(server_template, ASTFTCPServerTemplate):
            raise TypeError("server_template")
        if tg_name is not None and not (0 < len(tg_name) <= 20):
            raise ValueError("tg_name is empty or too long")
        self.client_template, self.server_template, self.tg_name = (
            client_template, server_template, tg_name)


class ASTFProfile(object):
    def __init__(self, default_ip_gen, default_c_glob_info=None, default_s_glob_info=None,
                 templates=None, cap_list=None):
        if templates is None:
            raise ValueError("templates")
        self.default_ip_gen = default_ip_gen
        self.c_glob_info = default_c_glob_info
        self.templates = templates if isinstance(templates, list) else [templates]
        # As TRex: a server template bound by port alone must be the only
        # one on its port.
        ports = []
        for t in self.templates:
            assoc = t.server_template.assoc
            if assoc.is_port_only():
                if assoc.port in ports:
                    raise ValueError("Two server template with port %d" % assoc.port)
                ports.append(assoc.port)
