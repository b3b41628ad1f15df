"""Loads a TRex ASTF profile with the stand-in `trex.astf.api` and prints
what it declares as JSON: `python3 load_profile.py PROFILE.py [NAME=VALUE ...]`
(the tunables, as `t-rex-64 -t` passes them)."""

import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

path, tunables = sys.argv[1], sys.argv[2:]
spec = importlib.util.spec_from_file_location("profile", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
profile = module.register().get_profile(tunables)

out = {"templates": [], "c_glob_info": {}}
if profile.c_glob_info is not None:
    out["c_glob_info"] = profile.c_glob_info.tcp.values
for t in profile.templates:
    c, s = t.client_template, t.server_template
    out["templates"].append({
        "name": t.tg_name,
        "port": c.port,
        "server_port": s.assoc.port if s.assoc is not None else None,
        "cps": c.cps,
        "clients": c.ip_gen.dist_client.ip_range,
        "client_distribution": c.ip_gen.dist_client.distribution,
        "servers": c.ip_gen.dist_server.ip_range,
        "client_program": c.program.commands,
    })
print(json.dumps(out))
