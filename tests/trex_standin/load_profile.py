"""Loads a TRex ASTF profile with the stand-in `trex.astf.api` and prints
what it declares as JSON:
`python3 load_profile.py PROFILE.py [NAME=VALUE ...| --NAME VALUE ...]`.

The tunables reach get_profile as TRex's ASTFProfile.load_py and
astf-sim hand them over: the older form (`-t a=1,b=2`) as keyword
arguments (numbers converted, as TRex's decode_tunables does) and also as
the list ["--a", "1", "--b", "2"]; the newer form (`-t --a 1 --b 2`) as
the list alone, in `tunables=`."""

import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def number(val):
    try:
        return float(val) if "." in val else int(val, 0)
    except ValueError:
        return val


path, args = sys.argv[1], sys.argv[2:]
kwargs = {}
if args and "=" in args[0]:
    tunables = []
    for token in ",".join(args).split(","):
        name, val = token.split("=", 1)
        kwargs[name] = number(val)
        tunables += ["--" + name, val]
else:
    tunables = args
spec = importlib.util.spec_from_file_location("profile", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
profile = module.register().get_profile(tunables=tunables, **kwargs)

out = {"templates": [], "c_glob_info": {}}
if profile.c_glob_info is not None:
    out["c_glob_info"] = profile.c_glob_info.tcp.values
for t in profile.templates:
    c, s = t.client_template, t.server_template
    out["templates"].append({
        "name": t.tg_name,
        "port": c.port,
        "server_port": s.assoc.port,
        "server_assoc_ips": [s.assoc.ip_start, s.assoc.ip_end],
        "cps": c.cps,
        "clients": c.ip_gen.dist_client.ip_range,
        "client_distribution": c.ip_gen.dist_client.distribution,
        "servers": c.ip_gen.dist_server.ip_range,
        "client_program": c.program.commands,
    })
print(json.dumps(out))
