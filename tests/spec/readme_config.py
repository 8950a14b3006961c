#!/usr/bin/env python3
"""readme_config.py - the README's table of CAPA_* variables, made from capad's.

The table between <!-- config-vars --> and <!-- /config-vars --> in README.md
is generated, never typed: one row per variable of `capad config vars` (the
cfg_vars table of service/common/config.c), with its default, what it accepts and
its one line of documentation.

  readme_config.py CAPAD --write [README.md]   regenerate the table in place
  readme_config.py CAPAD --check [README.md]   exit 1 when it is not capad's

Run from any directory; paths are of the repository.
"""
import json
import subprocess
import sys

from readme_block import ROOT, write_or_check


def either(words, last="or"):
    words = ["`%s`" % w for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " %s " % last + words[-1]


def accepts(var):
    if var["type"] == "integer":
        return "%d–%d" % (var["minimum"], var["maximum"])
    if var["type"] == "boolean":
        return either(["true", "false"])
    if var["type"] == "choice":
        return either(var["choices"])
    return var.get("accepts", "text")


def table(capad):
    out = subprocess.run([capad, "config", "vars"], check=True, capture_output=True, text=True)
    rows = ["| variable | default | accepts | meaning |", "| --- | --- | --- | --- |"]
    for var in json.loads(out.stdout):
        default = "`%s`" % var["default"] if var["default"] is not None else "unset"
        rows.append("| `%s` | %s | %s | %s |"
                    % (var["name"], default, accepts(var).replace("|", "\\|"), var["doc"]))
    return "\n".join(rows)


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in ("--write", "--check"):
        raise SystemExit(__doc__)
    readme = sys.argv[3] if len(sys.argv) == 4 else ROOT / "README.md"
    return write_or_check(sys.argv[2], readme, "config-vars", table(sys.argv[1]),
                          "tests/spec/readme_config.py build/capad --write")


if __name__ == "__main__":
    sys.exit(main())
