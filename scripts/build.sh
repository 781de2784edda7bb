#!/usr/bin/env bash
# Installs the Debian packages wick needs, then configures and builds it in
# build/ (Release, Ninja, ccache). Extra arguments go to the build step.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs="${WICK_JOBS:-2}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j"$jobs" "$@"
