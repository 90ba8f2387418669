#!/usr/bin/env bash
# Installs, builds, and runs the main job on the built-in ALiBi attention
# example: build it with the C++ API, print, verify and run it on the
# reference backend against a direct loop implementation; then compile its
# text form at -O0..-O3, showing the graph before and after fusion, and run
# every level on the reference and the cpu backend against the unoptimized
# result, timing both side by side; then a causal ALiBi attention at 1024
# positions on the cpu backend at -O0, -O2 and -O3; last, a small ALiBi
# language model generating token by token with a key/value cache, its two
# graphs over lengths known only at run time compiled once each.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
BIN="$BUILD_DIR/bin"
OUT="$BUILD_DIR/demo"
EXAMPLE=examples/alibi_attention.eg

echo "== 1. ALiBi attention built with the C++ API, verified, run on the reference backend"
"$BIN/alibi-attention-example"

echo
echo "== 2. The same graph as text ($EXAMPLE), verified and printed"
"$BIN/alibi-opt" "$EXAMPLE"

echo
echo "== 3. -O2: scale and ALiBi bias fused into the contraction (no distance matrix, no bias tensor)"
"$BIN/alibi-opt" "$EXAMPLE" -O2 --debug-fusion

echo
echo "== 4. -O3: scores, softmax and values fused into one attention node"
"$BIN/alibi-opt" "$EXAMPLE" -O3

echo
echo "== 5. Every -O level run on the reference backend, checked against -O0"
rm -rf "$OUT" && mkdir -p "$OUT/O0"
"$BIN/alibi-opt" "$EXAMPLE" -O0 --run --backend=reference --random-inputs --seed=1 --output-dir "$OUT/O0"
for level in O1 O2 O3; do
  echo "-$level:"
  "$BIN/alibi-opt" "$EXAMPLE" "-$level" --run --backend=reference --random-inputs --seed=1 \
    --expected-dir "$OUT/O0"
done

echo
# Runs alibi-opt with --bench and prints "<median ms> <GFLOP/s>"; if the
# output check (--expected-dir) or anything else fails, shows why and stops.
median_ms() {
  local line
  if ! line=$("$BIN/alibi-opt" "$@" 2>"$OUT/bench.log"); then
    cat "$OUT/bench.log" >&2
    exit 1
  fi
  sed -n 's/^median_ms=\([0-9.]*\) .*gflops=\([0-9.]*\) .*$/\1 \2/p' <<<"$line"
}
row() {
  printf '%-4s %14s %12s %12s %10s\n' "$@"
}

echo "== 6. Every -O level compiled by the cpu backend (MLIR -> LLVM JIT), checked against the reference, timed"
echo "(medians of 20 runs after a warm-up, compilation excluded; outputs checked against -O0 on the reference)"
row level reference_ms cpu_ms cpu_GFLOP/s speedup
for level in O0 O1 O2 O3; do
  result=$(median_ms "$EXAMPLE" "-$level" --run --backend=reference --random-inputs --seed=1 \
    --bench=20 --expected-dir "$OUT/O0")
  read -r ref _ <<<"$result"
  result=$(median_ms "$EXAMPLE" "-$level" --run --backend=cpu --random-inputs \
    --seed=1 --bench=20 --expected-dir "$OUT/O0")
  read -r cpu gflops <<<"$result"
  row "-$level" "$ref" "$cpu" "$gflops" "$(awk -v r="$ref" -v c="$cpu" 'BEGIN{printf "%.1fx", r/c}')"
done

echo
SHAPE=(--build=attention --position=alibi --causal --heads=16 --seq=1024 --head-dim=64)
echo "== 7. Causal ALiBi attention at 16 heads, 1024 positions, head dimension 64, on the cpu backend"
echo "(-O3 checked against the unfused graph on the reference backend; GFLOP/s count 4*h*S*S*d, halved for causal)"
mkdir -p "$OUT/long"
"$BIN/alibi-opt" "${SHAPE[@]}" -O0 --run --backend=reference --random-inputs --seed=2 --output-dir "$OUT/long" >/dev/null
row level "" cpu_ms GFLOP/s vs_-O0
base=
for level in O0 O2 O3; do
  result=$(median_ms "${SHAPE[@]}" "-$level" --run --backend=cpu \
    --random-inputs --seed=2 --bench=10 --expected-dir "$OUT/long")
  read -r cpu gflops <<<"$result"
  base=${base:-$cpu}
  row "-$level" "" "$cpu" "$(awk -v g="$gflops" 'BEGIN{printf "%.1f", g/2}')" \
    "$(awk -v b="$base" -v c="$cpu" 'BEGIN{printf "%.1fx", b/c}')"
done

echo
echo "== 8. A model, token by token: 4 decoder blocks (8 heads over 2 kv heads), a prompt of 16 tokens, 32 decode steps"
echo "(prefill and decode graphs with lengths known only at run time, -O3, compiled once each; the first steps checked against the model written as loops)"
"$BIN/generate"
echo "outputs written to $OUT/"
