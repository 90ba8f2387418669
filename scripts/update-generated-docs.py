#!/usr/bin/env python3
"""Regenerates the tables in docs/ that come from the code (the op table and
the pass registry) by running alibi-opt, or with --check fails if a document
is out of date. Each table sits between BEGIN/END GENERATED markers."""
import argparse
import pathlib
import subprocess
import sys

# (document, alibi-opt flag, marker name)
GENERATED = [
    ("docs/ir-reference.md", "--op-reference", "OP REFERENCE"),
    ("docs/passes.md", "--pass-reference", "PASS REFERENCE"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alibi-opt", default="build/bin/alibi-opt")
    parser.add_argument("--root", default=".")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    stale = []
    for doc_path, flag, marker in GENERATED:
        begin = f"<!-- BEGIN GENERATED {marker}: scripts/update-generated-docs.py -->"
        end = f"<!-- END GENERATED {marker} -->"
        generated = subprocess.run([args.alibi_opt, flag], check=True,
                                   capture_output=True, text=True).stdout
        doc = pathlib.Path(args.root) / doc_path
        text = doc.read_text()
        start, stop = text.index(begin) + len(begin), text.index(end)
        updated = text[:start] + "\n" + generated + "\n" + text[stop:]
        if updated == text:
            continue
        if args.check:
            stale.append(doc_path)
        else:
            doc.write_text(updated)
    if stale:
        print("out of date with the code: " + ", ".join(stale) +
              "; run scripts/update-generated-docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
