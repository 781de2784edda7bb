#!/usr/bin/env bash
# Installs the Debian packages wick needs, then configures and builds it in
# build/ (Release, Ninja, ccache). Extra arguments go to the build step.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs="${WICK_JOBS:-2}"
# Paths under the checkout are hashed relative to it, so that every clone on
# a machine shares ccache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j"$jobs" "$@"
