"""Runs a TorchScript model with LibTorch and writes its outputs as .npy files.

    reference.py MODEL.pt --input A.npy [--input B.npy ...] --output-dir DIR

Loads with torch.jit.load, runs forward in eval mode without gradients, and
writes DIR/output0.npy, DIR/output1.npy, ...: tuple, list and dict outputs
are flattened depth first in order; Python numbers become 0-d arrays.
"""

import argparse
import os
import sys

import numpy as np
import torch


def flatten_outputs(out):
    """Tensors (and numbers) of a possibly nested output, depth first; None
    is left out, as LibTorch's flattening and wick's outputs leave it out."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in flatten_outputs(item)]
    if isinstance(out, dict):
        return [leaf for item in out.values() for leaf in flatten_outputs(item)]
    return [out]


def to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy(order="C")
    if isinstance(value, (bool, int, float)):
        return np.array(value)
    raise TypeError(f"cannot write an output of type {type(value).__name__}")


def save_npy(path: str, array: np.ndarray) -> None:
    """Writes through a temporary file, so a reader never sees half a file."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        np.save(f, np.asarray(array).copy(order="C"))
    os.replace(tmp, path)


def runnable_on_cpu(module):
    """LibTorch's CPU kernels lack float16 (matrix products, convolutions):
    a module holding float16 tensors is converted to float32 in place, so
    its outputs are the f32 computation on the f16-rounded weights."""
    tensors = list(module.parameters()) + list(module.buffers())
    if any(t.dtype == torch.float16 for t in tensors):
        module.float()
    return module


def load(model_path: str):
    """The TorchScript module at `model_path`, in eval mode, runnable here."""
    module = torch.jit.load(model_path, map_location="cpu")
    module.eval()
    return runnable_on_cpu(module)


def run(model_path: str, input_paths) -> list:
    module = load(model_path)
    inputs = [torch.from_numpy(np.load(p)) for p in input_paths]
    with torch.no_grad():
        out = module(*inputs)
    return [to_numpy(v) for v in flatten_outputs(out)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[], metavar="NPY")
    parser.add_argument("--output-dir", required=True, metavar="DIR")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.output_dir, exist_ok=True)
    for j, array in enumerate(run(args.model, args.input)):
        save_npy(os.path.join(args.output_dir, f"output{j}.npy"), array)
    return 0


if __name__ == "__main__":
    sys.exit(main())
