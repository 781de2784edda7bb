"""Prints wick's outputs beside LibTorch's for the same model and inputs, and
their difference: the README's example.

    compare_outputs.py MODEL.pt WICK_OUTPUT_DIR --input A.npy [--input ...]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models"))
from reference import run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("wick_dir")
    p.add_argument("--input", action="append", default=[])
    a = p.parse_args()
    refs = run(a.model, a.input)
    worst = 0.0
    for i, ref in enumerate(refs):
        out = np.load(os.path.join(a.wick_dir, f"output{i}.npy"))
        flat_out, flat_ref = out.reshape(-1), ref.reshape(-1)
        print(f"output {i}: shape {tuple(out.shape)}")
        print(f"  {'row':>4} {'wick':>14} {'LibTorch':>14} {'difference':>12}")
        for r in range(min(8, flat_out.size)):
            print(f"  {r:>4} {flat_out[r]:>14.8f} {flat_ref[r]:>14.8f} {flat_out[r] - flat_ref[r]:>12.3e}")
        diff = np.abs(out.astype(np.float64) - ref.astype(np.float64)).max()
        scale = np.abs(ref.astype(np.float64)).max()
        rel = diff / scale if scale > 0 else diff
        worst = max(worst, rel)
        print(f"  max |wick - LibTorch| = {diff:.3e}, relative to max |LibTorch| = {rel:.3e}")
    print("agree (relative error <= 1e-4)" if worst <= 1e-4 else "DISAGREE")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
