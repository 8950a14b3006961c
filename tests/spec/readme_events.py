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
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
EVENTS = ROOT / "api" / "events"
BEGIN, END = "<!-- event-types -->", "<!-- /event-types -->"
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
    readme = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else ROOT / "README.md"
    text = readme.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"readme_events: {readme} has no {BEGIN} ... {END} block")
    want = f"{BEGIN}\n{table()}\n{END}"
    have = text[start : end + len(END)]
    if sys.argv[1] == "--write":
        readme.write_text(text[:start] + want + text[end + len(END) :])
        return 0
    if have != want:
        print(f"readme_events: the event types in {readme} are not the schemas' of api/events/;"
              " run tests/spec/readme_events.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
