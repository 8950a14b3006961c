#!/usr/bin/env python3
"""readme_events.py - the README's list of event types, made from the event schemas.

The list between the markers <!-- event-types --> and <!-- /event-types --> in
README.md is generated, never typed: one row per data schema of api/events/
(<type>.json, the type's name after the prefix, e.g. case.created.json for
capa.case.created), with what happened, as the schema's description says it
(the text after "): ", up to the first full stop).

  readme_events.py --write [README.md]   regenerate the list in place
  readme_events.py --check [README.md]   exit 1 when the list is not what the schemas say

Run from any directory; paths are of the repository.
"""
import json
import re
import sys

from readme_block import ROOT, write_or_check

EVENTS = ROOT / "api" / "events"
NOT_TYPES = {"actor.schema.json", "case.schema.json", "cloudevent.schema.json", "record.schema.json"}


def what_happened(description):
    """'... (default type `capa.x.y`): a case was created. ...' -> 'a case was created'"""
    m = re.search(r"\): (.*?)(?:\.\s|\.$| \(|; )", description)
    if not m:
        raise SystemExit(f"readme_events: cannot read what happened from: {description[:80]}")
    return m.group(1)


def table():
    rows = ["| `ce_type` | what happened |", "| --- | --- |"]
    for f in sorted(EVENTS.glob("*.json")):
        if f.name in NOT_TYPES:
            continue
        schema = json.loads(f.read_text())
        rows.append(f"| `capa.{f.name[:-5]}` | {what_happened(schema['description'])} |")
    return "\n".join(rows)


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("--write", "--check"):
        raise SystemExit(__doc__)
    readme = sys.argv[2] if len(sys.argv) == 3 else ROOT / "README.md"
    return write_or_check(sys.argv[1], readme, "event-types", table(),
                          "tests/spec/readme_events.py --write")


if __name__ == "__main__":
    sys.exit(main())
