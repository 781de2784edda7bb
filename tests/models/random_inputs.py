"""Writes fresh random inputs for a zoo model at any batch size.

    random_inputs.py --model NAME --batch N --seed S --out DIR

Writes DIR/input0.npy, DIR/input1.npy, ... with the dtypes and value ranges
the model's spec in zoo.py gives (token ids in range, control_flow's
branch-selecting signs, ...).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zoo  # noqa: E402
from reference import save_npy, to_numpy  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(zoo.MODELS))
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, metavar="DIR")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    os.makedirs(args.out, exist_ok=True)
    for i, t in enumerate(zoo.example_inputs(args.model, args.batch, args.seed)):
        save_npy(os.path.join(args.out, f"input{i}.npy"), to_numpy(t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
