"""Prints a graph: an einsum followed by a chain of N neg nodes (argv[1])."""
import sys

n = int(sys.argv[1])
lines = ["graph @g(%a: f32[4,8], %b: f32[4,8]) {",
         '  %s0 = einsum %a, %b {spec = "id,jd->ij"} : f32[4,4]']
lines += [f"  %s{i + 1} = neg %s{i} : f32[4,4]" for i in range(n)]
lines += [f"  return %s{n}", "}"]
print("\n".join(lines))
