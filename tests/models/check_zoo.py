"""Checks a zoo written by make_zoo.py.

    check_zoo.py --zoo DIR [--only NAME ...]

For every model and variant in DIR/manifest.json: the .pt reloads from disk
and reproduces its stored reference outputs; its outputs are finite; and at a
second batch size, on fresh inputs, it agrees with the eager model (so a
trace did not bake the batch size in). Prints one line per model.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zoo  # noqa: E402
from make_zoo import relative_error  # noqa: E402
from reference import flatten_outputs, load, run, runnable_on_cpu, to_numpy  # noqa: E402

TOLERANCE = 1e-5


def check_model(zoo_dir: str, meta: dict) -> list:
    name = meta["name"]
    problems = []
    inputs = [os.path.join(zoo_dir, i["file"]) for i in meta["inputs"]]
    for i, spec in zip(inputs, meta["inputs"]):
        a = np.load(i)
        if str(a.dtype) != spec["dtype"] or list(a.shape) != spec["shape"]:
            problems.append(f"{i}: {a.dtype}{list(a.shape)} does not match the manifest")

    second = 3 if meta["batch"] != 3 else 2
    fresh = zoo.example_inputs(name, second, seed=123)
    model = runnable_on_cpu(zoo.build_model(name))
    with torch.no_grad():
        eager = [to_numpy(v) for v in flatten_outputs(model(*fresh))]

    for variant in meta["variants"]:
        path = os.path.join(zoo_dir, meta["files"][variant])
        outs = run(path, inputs)
        refs = [np.load(os.path.join(zoo_dir, r)) for r in meta["refs"][variant]]
        if len(outs) != meta["num_outputs"] or len(refs) != meta["num_outputs"]:
            problems.append(f"{variant}: {len(outs)} outputs, {len(refs)} refs, "
                            f"manifest says {meta['num_outputs']}")
            continue
        for j, (got, want) in enumerate(zip(outs, refs)):
            if relative_error(got, want) > 0.0:
                problems.append(f"{variant}: output {j} does not reproduce its ref")
            if got.dtype.kind == "f" and not np.isfinite(got).all():
                problems.append(f"{variant}: output {j} is not finite")

        module = load(path)
        with torch.no_grad():
            got2 = [to_numpy(v) for v in flatten_outputs(module(*fresh))]
        for j, (got, want) in enumerate(zip(got2, eager)):
            err = relative_error(got, want)
            if err > TOLERANCE:
                problems.append(f"{variant}: at batch {second}, output {j} differs "
                                f"from eager (relative error {err:.3g})")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", required=True, metavar="DIR")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with open(os.path.join(args.zoo, "manifest.json")) as f:
        models = json.load(f)["models"]
    names = args.only or list(models)
    failed = 0
    for name in names:
        if name not in models:
            print(f"{name}: missing from the manifest")
            failed += 1
            continue
        problems = check_model(args.zoo, models[name])
        print(f"{name}: {'ok' if not problems else 'FAILED'}")
        for p in problems:
            print(f"  {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
