"""Writes the test model zoo: TorchScript files, inputs and LibTorch outputs.

    make_zoo.py --out DIR [--only NAME ...] [--force]

For each model of zoo.MODELS and each of its variants (scripted, traced):
    DIR/<name>.<variant>.pt          the TorchScript module
    DIR/<name>.input<i>.npy          example inputs at the spec's batch size
    DIR/<name>.<variant>.ref<j>.npy  LibTorch's outputs of the reloaded .pt,
                                     flattened depth first
    DIR/<name>.meta.json             the model's manifest entry
and DIR/manifest.json gathering every model's entry. A model whose files are
newer than the zoo's scripts is skipped unless --force is given. Every saved
module is reloaded and checked against the eager model before it counts.
"""

import argparse
import copy
import io
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import zoo  # noqa: E402
from reference import flatten_outputs, runnable_on_cpu, save_npy, to_numpy  # noqa: E402

INPUT_SEED = 0
SOURCES = ("zoo.py", "make_zoo.py", "reference.py")
# Saved modules must match the eager model this closely (max|a-b| / max|b|).
SELF_CHECK_TOLERANCE = 1e-5


class ZooError(Exception):
    pass


def sources_mtime() -> float:
    return max(os.path.getmtime(os.path.join(HERE, f)) for f in SOURCES)


def meta_path(out_dir: str, name: str) -> str:
    return os.path.join(out_dir, f"{name}.meta.json")


def up_to_date(out_dir: str, name: str) -> bool:
    """The meta file is written last, so it marks a complete model."""
    path = meta_path(out_dir, name)
    try:
        if os.path.getmtime(path) <= sources_mtime():
            return False
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    files = [i["file"] for i in meta["inputs"]]
    for variant in meta["variants"]:
        files.append(meta["files"][variant])
        files.extend(meta["refs"][variant])
    return all(os.path.exists(os.path.join(out_dir, f)) for f in files)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    if got.shape != want.shape or got.dtype != want.dtype:
        return float("inf")
    if want.size == 0:
        return 0.0
    if want.dtype.kind in "iub":
        return 0.0 if np.array_equal(got, want) else float("inf")
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(got.astype(np.float64) - want).max()) / scale


def to_torchscript(model, variant: str, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if variant == "scripted":
            return torch.jit.script(model)
        return torch.jit.trace(model, inputs, check_trace=False)


def save_and_reload(module, path: str):
    """Saves `module` to `path` (atomically) and loads it back from the bytes."""
    buf = io.BytesIO()
    torch.jit.save(module, buf)
    data = buf.getvalue()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return torch.jit.load(io.BytesIO(data), map_location="cpu")


def write_model(out_dir: str, name: str) -> dict:
    spec = zoo.MODELS[name]
    model = zoo.build_model(name)
    inputs = zoo.example_inputs(name, spec.batch, INPUT_SEED)
    with torch.no_grad():
        eager = [to_numpy(v) for v in flatten_outputs(runnable_on_cpu(copy.deepcopy(model))(*inputs))]

    meta = {
        "name": name,
        "variants": list(spec.variants),
        "batch": spec.batch,
        "input_seed": INPUT_SEED,
        "inputs": [],
        "outputs": [{"dtype": str(a.dtype), "shape": list(a.shape)} for a in eager],
        "num_outputs": len(eager),
        "files": {},
        "refs": {},
        "note": spec.note,
    }
    for i, t in enumerate(inputs):
        file = f"{name}.input{i}.npy"
        save_npy(os.path.join(out_dir, file), to_numpy(t))
        meta["inputs"].append({"file": file, "dtype": str(t.numpy().dtype),
                               "shape": list(t.shape)})

    for variant in spec.variants:
        with torch.no_grad():
            module = to_torchscript(model, variant, inputs)
            file = f"{name}.{variant}.pt"
            loaded = runnable_on_cpu(save_and_reload(module, os.path.join(out_dir, file)))
            loaded.eval()
            refs = [to_numpy(v) for v in flatten_outputs(loaded(*inputs))]
        if len(refs) != len(eager):
            raise ZooError(f"{name}.{variant}: {len(refs)} outputs, eager gave {len(eager)}")
        for j, (got, want) in enumerate(zip(refs, eager)):
            err = relative_error(got, want)
            if err > SELF_CHECK_TOLERANCE:
                raise ZooError(f"{name}.{variant}: output {j} differs from eager "
                               f"(relative error {err:.3g})")
        meta["files"][variant] = file
        meta["refs"][variant] = []
        for j, array in enumerate(refs):
            ref = f"{name}.{variant}.ref{j}.npy"
            save_npy(os.path.join(out_dir, ref), array)
            meta["refs"][variant].append(ref)

    write_json(meta_path(out_dir, name), meta)
    return meta


def write_json(path: str, value) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def write_manifest(out_dir: str) -> None:
    """Gathers the meta files of every model written so far, in zoo order."""
    models = {}
    for name in zoo.MODELS:
        try:
            with open(meta_path(out_dir, name)) as f:
                models[name] = json.load(f)
        except (OSError, ValueError):
            continue
    write_json(os.path.join(out_dir, "manifest.json"),
               {"torch_version": torch.__version__, "models": models})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME")
    parser.add_argument("--force", action="store_true", help="rewrite even if up to date")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    unknown = [n for n in args.only if n not in zoo.MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; "
                     f"known: {', '.join(zoo.MODELS)}")
    names = args.only or list(zoo.MODELS)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    for name in names:
        if not args.force and up_to_date(args.out, name):
            print(f"{name}: up to date")
            continue
        start = time.perf_counter()
        try:
            meta = write_model(args.out, name)
        except ZooError as e:
            print(f"make_zoo: {e}", file=sys.stderr)
            return 1
        print(f"{name}: {' '.join(meta['variants'])} "
              f"({time.perf_counter() - start:.2f}s)")
    write_manifest(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
