#!/usr/bin/env bash
# Installs the Debian bookworm packages the project builds and tests with.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build git python3
  libfmt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  clang-19 libclang-rt-19-dev libfuzzer-19-dev
  libomp-19-dev libopenblas-dev libdnnl-dev
)
# Only scripts/bench-report.py needs these (the plot).
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(python3-matplotlib)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
