"""Checks that a file holds exactly one --bench line whose gflops is the
given flop count over the median time, up to the printed precision."""
import re
import sys

path, flops = sys.argv[1], int(sys.argv[2])
text = open(path).read()
match = re.fullmatch(r"median_ms=(\d+\.\d{6}) min_ms=(\d+\.\d{6}) "
                     r"gflops=(\d+\.\d{3}) compile_ms=\d+\.\d{3} backend=[a-z0-9_-]+\n", text)
if not match:
    sys.exit(f"not one bench line: {text!r}")
median, minimum, gflops = map(float, match.groups())
if not 0 < minimum <= median:
    sys.exit(f"min_ms {minimum} and median_ms {median} are not 0 < min <= median")
# gflops has 3 decimals; median_ms 6, which moves the quotient far less.
want = flops / (median * 1e6)
if abs(gflops - want) > 0.0005 + 1e-3 * want:
    sys.exit(f"gflops {gflops}, but {flops} flops in {median} ms is {want}")
