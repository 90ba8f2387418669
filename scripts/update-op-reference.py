#!/usr/bin/env python3
"""Regenerates the op table in docs/ir-reference.md from `alibi-opt
--op-reference`, or with --check fails if the document is out of date."""
import argparse
import pathlib
import subprocess
import sys

BEGIN = "<!-- BEGIN GENERATED OP REFERENCE: scripts/update-op-reference.py -->"
END = "<!-- END GENERATED OP REFERENCE -->"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alibi-opt", default="build/bin/alibi-opt")
    parser.add_argument("--doc", default="docs/ir-reference.md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    generated = subprocess.run([args.alibi_opt, "--op-reference"], check=True,
                               capture_output=True, text=True).stdout
    doc = pathlib.Path(args.doc)
    text = doc.read_text()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    updated = text[:start] + "\n" + generated + "\n" + text[stop:]
    if args.check:
        if updated != text:
            print(f"{doc} is out of date with the op table: run "
                  "scripts/update-op-reference.py", file=sys.stderr)
            return 1
        return 0
    doc.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
