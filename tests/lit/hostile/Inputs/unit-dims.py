"""Writes a graph over tensors of RANK dimensions, all 1 but the last (8).

unit-dims.py args RANK: the arguments have that rank; exp, a broadcast add,
  softmax, reduce and transpose over them.
unit-dims.py inner RANK: the same ops between reshapes, so that only the
  intermediates have that rank and the graph takes and returns f32[8].
"""
import sys

kind, rank = sys.argv[1], int(sys.argv[2])
dims = ["1"] * (rank - 1) + ["8"]
wide = "f32[" + ",".join(dims) + "]"
ones = "f32[" + ",".join(["1"] * rank) + "]"
front = "f32[" + ",".join(["8"] + ["1"] * (rank - 1)) + "]"
perm = ",".join(str(d) for d in [rank - 1] + list(range(rank - 1)))
last = rank - 1
ops = f"""  %e = exp %x : {wide}
  %a = add %e, %b : {wide}
  %p = softmax %a {{axis = {last}}} : {wide}
  %s = reduce %a {{kind = sum, axes = [{last}], keepdims = true}} : {ones}
  %t = transpose %p {{perm = [{perm}]}} : {front}
"""
if kind == "args":
    print(f"graph @g(%x: {wide}, %b: f32[8]) {{")
    print(ops, end="")
    print("  return %p, %s, %t\n}")
elif kind == "inner":
    print("graph @g(%x8: f32[8], %b: f32[8]) {")
    print(f"  %x = reshape %x8 {{shape = [{','.join(dims)}]}} : {wide}")
    print(ops, end="")
    print("  %y = reshape %t {shape = [8]} : f32[8]")
    print("  %z = reshape %s {shape = [1]} : f32[1]")
    print("  return %y, %z\n}")
else:
    sys.exit(f"unknown kind {kind}")
