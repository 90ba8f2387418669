#!/usr/bin/env python3
"""Compiles each graph twice through every -O level and checks that the two
outputs are byte-identical, and that every optimized output is itself valid
text that prints back unchanged. Exits 1 on any difference."""
import argparse
import subprocess
import sys

LEVELS = ["-O0", "-O1", "-O2", "-O3"]


def compile_once(tool, source, level):
    result = subprocess.run(source + [level], capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(source)} {level} failed:\n"
                           f"{result.stderr.decode()}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alibi-opt", default="alibi-opt")
    parser.add_argument("--build", action="append", default=[],
                        help="alibi-opt --build arguments, as one string")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()

    sources = [[args.alibi_opt, f] for f in args.files]
    sources += [[args.alibi_opt] + b.split() for b in args.build]
    compiled = 0
    for source in sources:
        for level in LEVELS:
            first = compile_once(args.alibi_opt, source, level)
            second = compile_once(args.alibi_opt, source, level)
            if first != second:
                print(f"{' '.join(source)} {level}: two runs differ")
                return 1
            again = subprocess.run([args.alibi_opt, "-"], input=first,
                                   capture_output=True)
            if again.returncode != 0 or again.stdout != first:
                print(f"{' '.join(source)} {level}: the output does not "
                      f"print back unchanged\n{again.stderr.decode()}")
                return 1
            compiled += 1
    print(f"determinism: {compiled} compilations repeated identically")
    return 0 if compiled else 1


if __name__ == "__main__":
    sys.exit(main())
