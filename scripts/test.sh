#!/usr/bin/env bash
# Installs, builds and runs the whole test suite:
#   1. the release build: GoogleTest unit tests, lit/FileCheck tests, examples;
#   2. the same tests built with AddressSanitizer + UBSan (build-asan/);
#   3. each libFuzzer target for FUZZ_SECONDS (default 30) from the corpus.
# EG_QUICK=1 runs only step 1, for quick iterations.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-2}
bash scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$JOBS"
if [[ "${EG_QUICK:-0}" == 1 ]]; then
  exit 0
fi

echo "== unit and lit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DEG_ENABLE_SANITIZERS=ON
fi
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS"

echo "== fuzzing"
FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash scripts/fuzz.sh
