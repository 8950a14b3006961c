#!/usr/bin/env python3
"""check_roles.py CAPAD OPENAPI - the role matrix written in openapi.yaml is the
one capad enforces.

capad's route table is the matrix the service enforces (`capad routes`
prints it); every operation of openapi.yaml states it as x-capa-roles (a list
of roles, or "public" with `security: []`). Both must name the same
operations with the same roles, and every operation that needs a credential
must document 401, 403 and 429.
"""
import json
import subprocess
import sys

import yaml

METHODS = ("get", "put", "post", "patch", "delete")


def main():
    capad, spec_path = sys.argv[1], sys.argv[2]
    routes = json.loads(subprocess.run([capad, "routes"], check=True, capture_output=True,
                                       text=True).stdout)
    enforced = {(r["method"].lower(), r["path"]): r["roles"] for r in routes}
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    documented = {}
    failures = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            roles = op.get("x-capa-roles")
            documented[(method, path)] = roles
            where = "%s %s" % (method.upper(), path)
            if roles == "public":
                if op.get("security") != []:
                    failures.append("%s: public but not security: []" % where)
                continue
            for status in ("401", "403", "429"):
                if status not in op.get("responses", {}):
                    failures.append("%s: needs a credential but documents no %s" % (where, status))
    for key in sorted(set(enforced) | set(documented)):
        where = "%s %s" % (key[0].upper(), key[1])
        if key not in documented:
            failures.append("%s: capad serves it, openapi.yaml does not describe it" % where)
        elif key not in enforced:
            failures.append("%s: openapi.yaml describes it, capad does not serve it" % where)
        elif documented[key] != enforced[key]:
            failures.append("%s: openapi.yaml says roles %s, capad enforces %s"
                            % (where, documented[key], enforced[key]))
    for f in failures:
        print("FAIL", f)
    print("role matrix: %d operations, %d failures" % (len(enforced), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
