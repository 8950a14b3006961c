#!/usr/bin/env python3
"""check_layers.py COMPILE_COMMANDS ROOT - no layer reaches past its neighbour.

The arrows of the README (api -> usecase -> domain, store, events) are held
in two ways, and this test proves both:

  * Each layer's CMake library exposes only its own directory of headers, so
    a file that includes a header of a layer it may not use does not compile.
  * What an include path cannot hide (libraries in /usr/include, such as
    librdkafka or ulfius) is held by RULES: every #include of every file of
    service/ and api/ must be one its layer may use.

The probes in this directory (probe_<layer>_*.c), each an #include its layer
must not have, are compiled with the flags of a source of that layer (from
compile_commands.json); every one must be refused, by the compiler or by the
rules. A probe that gets through is a boundary not enforced: the test fails.
And no two files of service/, api/ and tests/ have the same name.
"""
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# Where each layer lives, and what of ours it may include (its own directory first).
LAYERS = {
    "base": ["service/base"],
    "domain": ["service/domain", "service/base"],
    "common": ["service/common", "service/base"],
    "auth": ["service/auth", "service/common", "service/base"],
    "store": ["service/store", "service/domain", "service/common", "service/base"],
    "events": ["service/events", "service/domain", "service/common", "service/base"],
    "usecase": ["service/usecase", "service/store", "service/events", "service/auth",
                "service/domain", "service/common", "service/base"],
    "api": ["api", "service/usecase", "service/domain", "service/common", "service/base"],
    # main.c and the apikey command put the layers together
    "main": ["service", "service/usecase", "service/store", "service/events", "service/auth",
             "service/domain", "service/common", "service/base", "api"],
}
# The libraries that do I/O, and the layer that owns each.
IO_LIBS = {"libpq-fe.h": "store", "librdkafka/": "events", "ulfius.h": "api",
           "microhttpd.h": "api", "rhonabwy.h": "auth", "curl/": None}
# The domain computes: the C library's pure headers, JSON and hashing only.
DOMAIN_SYSTEM = {"ctype.h", "limits.h", "stdarg.h", "stdbool.h", "stddef.h", "stdint.h",
                 "inttypes.h", "stdio.h", "stdlib.h", "string.h", "strings.h", "time.h",
                 "math.h", "errno.h", "jansson.h", "gnutls/crypto.h", "gnutls/gnutls.h"}


def layer_of(rel):
    d = os.path.dirname(rel)
    for layer, dirs in LAYERS.items():
        if dirs[0] == d:
            return layer
    return None


def our_headers(root):
    """{file name: directory relative to root} of every header of service/ and api/."""
    found = {}
    for top in ("service", "api"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith(".h"):
                    found.setdefault(f, []).append(os.path.relpath(dirpath, root))
    return found


def violations(headers, layer, text):
    """What a file of layer, of this text, includes that the layer may not."""
    found = []
    for kind, name in INCLUDE.findall(text):
        base = os.path.basename(name)
        if kind == '"' and base in headers:
            where = headers[base][0]
            if where not in LAYERS[layer]:
                found.append('"%s" (%s): %s may not include the %s layer'
                             % (name, where, layer, layer_of(os.path.join(where, base))))
            elif "/" in name:
                found.append('"%s": include it by its name, from its library\'s include path'
                             % name)
            continue
        owner = [o for lib, o in IO_LIBS.items()
                 if name == lib or (lib.endswith("/") and name.startswith(lib))]
        if owner and owner[0] != layer and layer != "main":
            found.append("<%s>: %s may not use that library (%s)"
                         % (name, layer, "the %s layer's" % owner[0] if owner[0] else "tests only"))
        elif layer == "domain" and name not in DOMAIN_SYSTEM:
            found.append("<%s>: the domain does no I/O; not among the headers it may use" % name)
    return found


def flags_of(entry):
    """The compiler and flags of a compile_commands entry, without -o, -c and the source."""
    argv = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c" and os.path.realpath(os.path.join(entry["directory"], a)) != \
                os.path.realpath(entry["file"]):
            out.append(a)
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        commands = json.load(f)
    root = os.path.realpath(sys.argv[2])
    headers = our_headers(root)
    failures, files = [], 0
    names = {}
    for top in ("service", "api", "tests"):
        for dirpath, _, found in os.walk(os.path.join(root, top)):
            for n in found:
                if n.endswith((".c", ".h")):
                    names.setdefault(n, []).append(os.path.relpath(dirpath, root))
    for name, dirs in sorted(names.items()):
        if len(dirs) > 1:
            failures.append("%s is in %s: a file name says which file it is, once"
                            % (name, ", ".join(sorted(dirs))))
    for top in ("service", "api"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                layer = layer_of(rel)
                if layer is None:
                    failures.append("%s is in no layer: add its directory to LAYERS" % rel)
                    continue
                files += 1
                with open(os.path.join(root, rel), encoding="utf-8") as f:
                    for v in violations(headers, layer, f.read()):
                        failures.append("%s: %s" % (rel, v))
    # the flags each layer is compiled with
    flags = {}
    for entry in commands:
        rel = os.path.relpath(os.path.realpath(entry["file"]), root)
        layer = layer_of(rel)
        if layer is not None and layer not in flags:
            flags[layer] = (flags_of(entry), entry["directory"])
    probes = sorted(p for p in os.listdir(HERE) if re.fullmatch(r"probe_[a-z]+_\w+\.c", p))
    refused = 0
    for probe in probes:
        layer = probe.split("_")[1]
        if layer not in flags:
            failures.append("%s: no source of the %s layer in %s" % (probe, layer, sys.argv[1]))
            continue
        argv, cwd = flags[layer]
        with open(os.path.join(HERE, probe), encoding="utf-8") as f:
            text = f.read()
        r = subprocess.run(argv + ["-fsyntax-only", os.path.join(HERE, probe)], cwd=cwd,
                           capture_output=True, text=True)
        missing = re.search(r"fatal error: (\S+): No such file or directory", r.stderr)
        if r.returncode != 0 and missing:
            how = "does not compile: %s is not on %s's include path" % (missing.group(1), layer)
        elif r.returncode != 0:
            failures.append("%s fails for another reason than its include:\n%s" % (probe, r.stderr))
            continue
        else:
            found = violations(headers, layer, text)
            if not found:
                failures.append("%s compiles and the rules let %s include it: that boundary is "
                                "not enforced" % (probe, layer))
                continue
            how = "compiles, refused by the rules: " + found[0]
        refused += 1
        print("refused %-30s %s" % (probe, how))
    if files < 60 or len(flags) < 7 or len(probes) < 8:
        failures.append("only %d files, %d layers compiled, %d probes: is %s this tree's build?"
                        % (files, len(flags), len(probes), sys.argv[1]))
    for f in failures:
        print("FAIL", f)
    print("layers: %d files of service/ and api/ checked, %d of %d probes refused, %d failures"
          % (files, refused, len(probes), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
