#!/usr/bin/env python3
"""Checks print(parse(x)) == x for the canonical form of each given graph:
prints each file with alibi-opt, prints that output again, and compares the
two byte for byte. Files that alibi-opt rejects are skipped unless --strict
(test inputs that exist to be rejected live next to valid ones)."""
import argparse
import subprocess
import sys


def emit(tool, text, extra):
    return subprocess.run([tool, "-"] + extra, input=text, capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alibi-opt", default="alibi-opt")
    parser.add_argument("--strict", action="store_true",
                        help="fail on files alibi-opt rejects")
    parser.add_argument("--canonical", action="store_true",
                        help="also require each file, less its comment lines, "
                        "to be printed form already")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    checked = failed = 0
    for path in args.files:
        with open(path, "rb") as f:
            source = f.read()
        first = emit(args.alibi_opt, source, [])
        if first.returncode != 0:
            if args.strict:
                print(f"{path}: rejected:\n{first.stderr.decode()}")
                failed += 1
            continue
        second = emit(args.alibi_opt, first.stdout, [])
        checked += 1
        if args.canonical:
            body = b"".join(line for line in source.splitlines(keepends=True)
                            if not line.lstrip().startswith(b"//"))
            if body != first.stdout:
                print(f"{path}: not in printed form; alibi-opt prints:\n"
                      f"{first.stdout.decode()}")
                failed += 1
                continue
        if second.returncode != 0 or second.stdout != first.stdout:
            print(f"{path}: printing the printed form changes it")
            failed += 1
    print(f"round trip: {checked} graphs checked, {failed} failed")
    return 1 if failed or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
