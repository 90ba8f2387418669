#!/usr/bin/env bash
# Installs, builds, and runs the main job on the built-in ALiBi attention
# example: build it with the C++ API, print it, verify it, run it on the
# reference backend and compare with a direct loop implementation; then the
# same graph through alibi-opt from its text form.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
BIN="$BUILD_DIR/bin"

echo "== The ALiBi attention example, built with the C++ API"
"$BIN/alibi-attention-example"

echo
echo "== The same graph as text: examples/alibi_attention.eg, verified and printed"
"$BIN/alibi-opt" examples/alibi_attention.eg

echo
echo "== Run on the reference backend with seeded random inputs"
mkdir -p "$BUILD_DIR/demo"
"$BIN/alibi-opt" examples/alibi_attention.eg --run --backend=reference \
  --random-inputs --seed=1 --output-dir "$BUILD_DIR/demo"
echo "outputs written to $BUILD_DIR/demo/"
