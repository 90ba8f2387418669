#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: GoogleTest unit tests and
# the lit/FileCheck tests, through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-2}"
