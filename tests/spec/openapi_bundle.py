#!/usr/bin/env python3
"""openapi_bundle.py - openapi.yaml, made from its sources in api/openapi/.

The API description is written as a tree a person can review: the root
api/openapi/openapi.yaml (info with the conventions, tags, the list of paths
and the names of the components), one file per path under paths/, and one per
component under components/<kind>/ (schemas, responses, parameters, headers,
examples). A file refers to a component by its file (a relative $ref such as
../components/schemas/Case.yaml); the root gives every component file its name.

openapi.yaml at the top level is what clients read and capad serves: this
script bundles the tree into that one self-contained document, each file's
$ref to a component becoming #/components/<kind>/<Name>, each path's file
inlined. It is never edited by hand.

  openapi_bundle.py --write   regenerate openapi.yaml
  openapi_bundle.py --check   exit 1 when openapi.yaml is not the bundle of api/openapi/

Run from any directory; paths are of the repository.
"""
import os
import re
import sys

import yaml

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCE = os.path.join(ROOT, "api", "openapi")
TARGET = os.path.join(ROOT, "openapi.yaml")
HEADER = ("# Generated from api/openapi/ by tests/spec/openapi_bundle.py --write: edit those\n"
          "# files, not this one (a test checks that it is their bundle).\n")
COMPONENT = re.compile(r"^(?:\.\./)*components/([A-Za-z]+)/([^/#]+)\.yaml(?:#/(.*))?$")


class Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, as the sources write them."""


Dumper.add_representer(
    str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def relink(node, where, names):
    """node with every $ref to a component file as #/components/<kind>/<Name>."""
    if isinstance(node, list):
        return [relink(v, where, names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
            target = os.path.normpath(os.path.join(os.path.dirname(where), v.split("#")[0]))
            m = COMPONENT.match(os.path.relpath(target, SOURCE) + ("#" + v.split("#", 1)[1]
                                                                    if "#" in v else ""))
            if m is None or (m.group(1), m.group(2)) not in names:
                raise SystemExit("%s: $ref %s is not a component the root names"
                                 % (os.path.relpath(where, ROOT), v))
            out[k] = "#/components/%s/%s%s" % (m.group(1), m.group(2),
                                                "/" + m.group(3) if m.group(3) else "")
        elif k == "$ref" and isinstance(v, str) and v.startswith("#"):
            raise SystemExit("%s: $ref %s points into the file itself; refer to the component's "
                             "file instead" % (os.path.relpath(where, ROOT), v))
        else:
            out[k] = relink(v, where, names)
    return out


def bundle():
    root_file = os.path.join(SOURCE, "openapi.yaml")
    root = load(root_file)
    components = root.get("components", {})
    names = set()
    for kind, entries in components.items():
        for name, entry in entries.items():
            if isinstance(entry, dict) and set(entry) == {"$ref"}:
                expected = "components/%s/%s.yaml" % (kind, name)
                if entry["$ref"] != expected:
                    raise SystemExit("api/openapi/openapi.yaml: components/%s/%s must be "
                                     "{$ref: %s}" % (kind, name, expected))
                names.add((kind, name))
    out = {}
    for key, value in root.items():
        if key == "paths":
            out["paths"] = {}
            for p, item in value.items():
                f = os.path.join(SOURCE, item["$ref"])
                out["paths"][p] = relink(load(f), f, names)
        elif key == "components":
            out["components"] = {}
            for kind, entries in value.items():
                out["components"][kind] = {}
                for name, entry in entries.items():
                    if (kind, name) in names:
                        f = os.path.join(SOURCE, entry["$ref"])
                        out["components"][kind][name] = relink(load(f), f, names)
                    else:
                        out["components"][kind][name] = relink(entry, root_file, names)
        else:
            out[key] = relink(value, root_file, names)
    # every file of the tree is used: a file no one names is a component forgotten
    used = {os.path.normpath(os.path.join(SOURCE, i["$ref"])) for i in root.get("paths", {}).values()}
    used |= {os.path.normpath(os.path.join(SOURCE, "components", k, n + ".yaml")) for k, n in names}
    for dirpath, _, files in os.walk(SOURCE):
        for f in files:
            full = os.path.normpath(os.path.join(dirpath, f))
            if full != os.path.normpath(root_file) and full not in used:
                raise SystemExit("%s is in no path and no component of the root"
                                 % os.path.relpath(full, ROOT))
    return HEADER + yaml.dump(out, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("--write", "--check"):
        raise SystemExit(__doc__)
    text = bundle()
    if sys.argv[1] == "--write":
        with open(TARGET, "w", encoding="utf-8") as f:
            f.write(text)
        return 0
    with open(TARGET, encoding="utf-8") as f:
        if f.read() != text:
            print("openapi.yaml is not the bundle of api/openapi/: edit the sources and run "
                  "tests/spec/openapi_bundle.py --write", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
