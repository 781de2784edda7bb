"""Writes fresh end-to-end cases for every zoo model: new random inputs at
two batch sizes (the model's own and another), and LibTorch's outputs for
them, so that wick is compared with LibTorch on data it has never seen.

    fresh_cases.py --zoo ZOO_DIR --out DIR [--seed S]

Without --seed a random seed is drawn; it is recorded in DIR/cases.json with
every case: {model, variant, batch, pt, inputs: [npy], refs: [npy]}, and
in DIR/cases.txt one case per line.

DIR/dynamic_cases.txt holds, in the same line format, the cases of a few
models at three more batch sizes (DYNAMIC_BATCHES), for models compiled once
with a dynamic batch dim and run at every size.
"""

import argparse
import json
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo  # noqa: E402
from reference import flatten_outputs, load, save_npy, to_numpy  # noqa: E402


def other_batch(batch: int) -> int:
    return 2 if batch == 3 else 3


# Models also run on inputs holding NaN, inf and -inf, whose outputs must be
# non-finite exactly where LibTorch's are.
NONFINITE_MODELS = ("mlp_relu", "ops_pointwise", "ops_reduce", "two_inputs_tuple", "ops_math")


# Models run at several batch sizes through one artifact compiled with a
# dynamic batch dim (tests/tools/test_deploy_dynamic.cpp): (model, variant).
# Traced models compute view shapes from x.size(0) through 0-dim tensors.
DYNAMIC_BATCH_MODELS = tuple((m, "scripted") for m in (
    "mlp_relu", "nn5", "cnn_bn", "two_inputs_tuple", "embedding_classifier", "ops_reduce", "losses",
    "transformer_block")) + (("transformer_block", "traced"), ("ops_shape", "traced"))
DYNAMIC_BATCHES = (1, 3, 17)


def write_cases_txt(path: str, seed: int, cases) -> None:
    """One case per line: model variant batch pt n_inputs inputs... n_refs refs..."""
    with open(path + ".tmp", "w") as f:
        f.write(f"seed {seed}\n")
        for c in cases:
            fields = [c["model"], c["variant"], str(c["batch"]), c["pt"], str(len(c["inputs"]))] + c["inputs"]
            fields += [str(len(c["refs"]))] + c["refs"]
            f.write(" ".join(fields) + "\n")
    os.replace(path + ".tmp", path)


def dynamic_batch_cases(zoo_dir: str, out: str, seed: int, only) -> list:
    cases = []
    for name, variant in DYNAMIC_BATCH_MODELS:
        if only and name not in only:
            continue
        pt = os.path.join(zoo_dir, f"{name}.{variant}.pt")
        module = load(pt)
        for batch in DYNAMIC_BATCHES:
            # Seeds apart from the main cases', so the inputs differ from theirs.
            inputs = zoo.example_inputs(name, batch, seed + 1000 + batch)
            input_files, refs = [], []
            for i, t in enumerate(inputs):
                path = os.path.join(out, f"{name}.dyn{batch}.input{i}.npy")
                save_npy(path, to_numpy(t))
                input_files.append(path)
            with torch.no_grad():
                outputs = flatten_outputs(module(*inputs))
            for j, o in enumerate(outputs):
                path = os.path.join(out, f"{name}.{variant}.dyn{batch}.ref{j}.npy")
                save_npy(path, to_numpy(o))
                refs.append(path)
            cases.append({"model": name, "variant": variant, "batch": batch, "pt": pt,
                          "inputs": input_files, "refs": refs})
    return cases


def with_nonfinite(t: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    if not t.is_floating_point():
        return t
    t = t.clone()
    flat = t.view(-1)
    picks = torch.randperm(flat.numel(), generator=g)[: max(3, flat.numel() // 20)]
    for k, i in enumerate(picks.tolist()):
        flat[i] = (float("nan"), float("inf"), float("-inf"))[k % 3]
    return t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--zoo", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--only", nargs="*", default=None)
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    cases = []
    nonfinite_rng = torch.Generator().manual_seed(seed)
    for name, spec in zoo.MODELS.items():
        if a.only and name not in a.only:
            continue
        batches = [(spec.batch, False), (other_batch(spec.batch), False)]
        if name in NONFINITE_MODELS:
            batches.append((spec.batch, True))
        for batch, nonfinite in batches:
            inputs = zoo.example_inputs(name, batch, seed + batch)
            if nonfinite:
                inputs = tuple(with_nonfinite(t, nonfinite_rng) for t in inputs)
            tag = f"b{batch}" + ("nf" if nonfinite else "")
            input_files = []
            for i, t in enumerate(inputs):
                path = os.path.join(a.out, f"{name}.{tag}.input{i}.npy")
                save_npy(path, to_numpy(t))
                input_files.append(path)
            for variant in spec.variants:
                pt = os.path.join(a.zoo, f"{name}.{variant}.pt")
                module = load(pt)
                with torch.no_grad():
                    outputs = flatten_outputs(module(*inputs))
                refs = []
                for j, o in enumerate(outputs):
                    path = os.path.join(a.out, f"{name}.{variant}.{tag}.ref{j}.npy")
                    save_npy(path, to_numpy(o))
                    refs.append(path)
                cases.append({"model": name, "variant": variant, "batch": batch, "pt": pt,
                              "inputs": input_files, "refs": refs, "nonfinite": nonfinite})
    with open(os.path.join(a.out, "cases.json.tmp"), "w") as f:
        json.dump({"seed": seed, "torch_version": torch.__version__, "cases": cases}, f, indent=1)
    os.replace(os.path.join(a.out, "cases.json.tmp"), os.path.join(a.out, "cases.json"))
    # The same, one case per line, for readers without a JSON parser.
    write_cases_txt(os.path.join(a.out, "cases.txt"), seed, cases)
    dynamic = dynamic_batch_cases(a.zoo, a.out, seed, a.only)
    write_cases_txt(os.path.join(a.out, "dynamic_cases.txt"), seed, dynamic)
    print(f"{len(cases)} cases, {len(dynamic)} dynamic-batch cases, seed {seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
