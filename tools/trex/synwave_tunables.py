# Tunables of synwave's TRex profiles, in either form TRex passes them:
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
