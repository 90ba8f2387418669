#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 (ASan + UBSan) into build-fuzz/
# and runs each for FUZZ_SECONDS (default 60) from a seed corpus: every .eg
# file in examples/ and tests/, and for npy-fuzzer a few .npy files written
# here. A crash, leak or round-trip mismatch fails the run and leaves the
# input in build-fuzz/findings/.
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
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target parser-fuzzer pass-fuzzer run-fuzzer \
  npy-fuzzer split-input-fuzzer

seeds="$BUILD_DIR/seeds"
rm -rf "$seeds" && mkdir -p "$seeds" "$BUILD_DIR/findings"
find examples tests -name '*.eg' -exec cp {} "$seeds/" \;
# .npy seeds: each supported dtype, a scalar, version 2.0, and headers that
# lie about the data or about their own length.
npy_seeds="$BUILD_DIR/npy-seeds"
rm -rf "$npy_seeds" && mkdir -p "$npy_seeds"
npy() { python3 tests/lit/hostile/Inputs/npy.py "$npy_seeds/$1" "$2" "${@:3}"; }
npy f4.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" 24
npy f8.npy "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }" 32
npy i8.npy "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1, 2), }" 32
npy f2.npy "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }" 6
npy u2.npy "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }" 8
npy scalar.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" 4
npy short.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" 20
npy huge.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (140737488355328,), }" 8
npy beyond.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" 8 65535
python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(b"\x93NUMPY\x02\x00" + b[8:10] + b"\0\0" + b[10:])' \
  "$npy_seeds/f4.npy" "$npy_seeds/v2.npy"

for target in parser-fuzzer pass-fuzzer run-fuzzer npy-fuzzer split-input-fuzzer; do
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$corpus"
  target_seeds=$seeds dict=tests/fuzz/eg.dict
  if [[ $target == npy-fuzzer ]]; then
    target_seeds=$npy_seeds dict=tests/fuzz/npy.dict
  fi
  echo "== $target for ${SECONDS_PER_TARGET}s"
  "$BUILD_DIR/bin/$target" "$corpus" "$target_seeds" \
    -dict="$dict" -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/findings/$target-" 2>&1 | tail -n 12
done
echo "fuzzing: no crashes"
