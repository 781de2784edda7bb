#!/usr/bin/env bash
# Sets up, builds and runs every test: the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build -j"${WICK_JOBS:-2}" --output-on-failure "$@"
