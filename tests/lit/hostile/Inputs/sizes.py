"""Writes graphs with huge sizes known only at run time:
    sizes.py terms N   - one argument whose dimension sums N unbound symbols
    sizes.py symbols N - N arguments of one symbol each, joined by a concat
                         whose size sums them all (printed canonically)"""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
if kind == "terms":
    size = "+".join(f"?a{i}" for i in range(n))
    print(f"graph @g(%x: f32[{size}]) {{\n  return %x\n}}")
elif kind == "symbols":
    args = ", ".join(f"%x{i}: f32[?s{i}]" for i in range(n))
    ins = ", ".join(f"%x{i}" for i in range(n))
    # Terms print in the order of their symbols' names.
    size = "+".join(f"?s{i}" for i in sorted(range(n), key=str))
    print(f"graph @g({args}) {{\n  %c = concat {ins} {{axis = 0}} : "
          f"f32[{size}]\n  return %c\n}}")
else:
    sys.exit(__doc__)
