#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 (ASan + UBSan) into build-fuzz/
# and runs each for FUZZ_SECONDS (default 60) from the seed corpus: every
# .eg file in examples/ and tests/. A crash, leak or round-trip mismatch
# fails the run and leaves the input in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DEG_ENABLE_FUZZERS=ON -DEG_ENABLE_TESTS=OFF -DEG_ENABLE_CPU_BACKEND=OFF
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target parser-fuzzer pass-fuzzer run-fuzzer

seeds="$BUILD_DIR/seeds"
rm -rf "$seeds" && mkdir -p "$seeds" "$BUILD_DIR/findings"
find examples tests -name '*.eg' -exec cp {} "$seeds/" \;

for target in parser-fuzzer pass-fuzzer run-fuzzer; do
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$corpus"
  echo "== $target for ${SECONDS_PER_TARGET}s"
  "$BUILD_DIR/bin/$target" "$corpus" "$seeds" \
    -dict=tests/fuzz/eg.dict -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/findings/$target-" 2>&1 | tail -n 12
done
echo "fuzzing: no crashes"
