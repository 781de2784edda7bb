#!/usr/bin/env bash
# Sets up, builds and runs wick's main job on the bundled example: loads the
# NN5 tabular MLP (14 inputs, hidden 20/10/5 with sigmoid, 1 output) from its
# TorchScript file, compiles and runs it on 200 rows, and prints the output
# beside LibTorch's for the same rows.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
out=build/example
rm -rf "$out"
build/bin/wick run examples/nn5.pt --input examples/nn5_input.npy --output-dir "$out" --verbose
/usr/bin/python3 examples/compare_outputs.py examples/nn5.pt "$out" --input examples/nn5_input.npy
