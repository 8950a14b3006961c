#!/usr/bin/env python3
"""check_problems.py CAPAD OPENAPI - the problem types written in openapi.yaml
are the ones capad answers with.

capad's error table (service/base/err_table.h) is the one source of each error's
status and problem type; `capad problems` prints it. openapi.yaml documents
them as the table in the Problem schema's description (slug, status,
meaning). Both must name the same slugs with the same statuses and meanings,
and every problem type the document names elsewhere (examples, extension
schemas) must be one capad has, under a response of its status.
"""
import json
import re
import subprocess
import sys

import yaml

BASE = "https://capa.example.org/problems/"
ROW = re.compile(r"^\| `([a-z-]+)` \| (\d{3}) \| (.*) \|$")


def normal(meaning):
    """A meaning as the table and the spec both can write it: no markup, no
    cross-reference, no capital or full stop."""
    text = re.sub(r"\s*\(see `\w+`\)", "", meaning).replace("`", "").strip().rstrip(".")
    return text[:1].lower() + text[1:]


def walk(node, status, found):
    """Every problem type URI under node, with the response status it is under."""
    if isinstance(node, dict):
        for key, value in node.items():
            under = key if isinstance(key, str) and re.fullmatch(r"[1-5]\d\d", key) else status
            walk(value, under, found)
    elif isinstance(node, list):
        for value in node:
            walk(value, status, found)
    elif isinstance(node, str) and node.startswith(BASE):
        found.append((node[len(BASE):], status))


def main():
    capad, spec_path = sys.argv[1], sys.argv[2]
    table = json.loads(subprocess.run([capad, "problems"], check=True, capture_output=True,
                                      text=True).stdout)
    served = {}
    for row in table:
        served.setdefault(row["slug"], []).append(row)
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    failures = []
    documented = {}
    for line in spec["components"]["schemas"]["Problem"]["description"].splitlines():
        m = ROW.match(line)
        if m:
            if m.group(1) in documented:
                failures.append("%s: documented twice" % m.group(1))
            documented[m.group(1)] = (int(m.group(2)), normal(m.group(3)))
    for slug in sorted(set(served) | set(documented)):
        if slug not in documented:
            failures.append("%s: capad answers with it, openapi.yaml does not document it" % slug)
            continue
        if slug not in served:
            failures.append("%s: openapi.yaml documents it, capad has no such error" % slug)
            continue
        status, meaning = documented[slug]
        for row in served[slug]:
            if row["status"] != status:
                failures.append("%s: openapi.yaml says %d, capad answers %s with %d"
                                % (slug, status, row["code"], row["status"]))
        if meaning not in (normal(row["meaning"]) for row in served[slug]):
            failures.append("%s: openapi.yaml means \"%s\", capad's table \"%s\""
                            % (slug, meaning, normal(served[slug][-1]["meaning"])))
    found = []
    walk(spec, None, found)
    for slug, status in found:
        if slug not in served:
            failures.append("%s: named in openapi.yaml, capad has no such problem" % slug)
        elif status is not None and int(status) not in (r["status"] for r in served[slug]):
            failures.append("%s: documented under a %s response, capad answers it with %d"
                            % (slug, status, served[slug][0]["status"]))
    for f in failures:
        print("FAIL", f)
    print("problem types: %d errors, %d slugs, %d named in the spec, %d failures"
          % (len(table), len(served), len(found), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
