"""readme_block.py - a generated block of README.md, between two markers.

The README's generated lists (event types, configuration variables) sit
between "<!-- NAME -->" and "<!-- /NAME -->"; the scripts that make them call
write_or_check, which puts the block in place (--write) or tells whether it is
what it should be (--check).
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write_or_check(mode, readme, name, block, fix):
    """Exit status: 0 when readme's block NAME is block (after --write, always)."""
    readme = pathlib.Path(readme)
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = readme.read_text()
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{readme} has no {begin} ... {end} block")
    want = f"{begin}\n{block}\n{end}"
    if mode == "--write":
        readme.write_text(text[:start] + want + text[stop + len(end):])
        return 0
    if text[start:stop + len(end)] != want:
        print(f"the {name} block of {readme} is out of date; run {fix}", flush=True)
        return 1
    return 0
