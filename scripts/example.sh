#!/usr/bin/env bash
# Sets up, builds and runs wick's main job on the bundled example: prints the
# IR of the NN5 tabular MLP.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
build/bin/wick ir
