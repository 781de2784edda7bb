#!/usr/bin/env python3
"""Packs what the GPU checks and benchmarks need into directories that run on
a machine with an NVIDIA GPU, PyTorch and nothing of wick's compiler.

The compiler (LLVM, MLIR) stays here: every model is compiled with
`wick compile --device cuda` on this machine, and a bundle carries the
compiled directories, the runtime's shared-library dependencies, the
runner (wick-artifact-bench), test_cuda_gpu, the zoo's inputs and LibTorch
references, and bench/gpu_run.py, which does the rest there:

    /usr/bin/python3 bench/gpu_bundle.py            # writes build/gpu/{zoo,bench}.tar.xz
    # on the GPU machine, for each part:
    tar -xJf zoo.tar.xz && python3 zoo/run.py --out RESULTS_DIR
    # back here:
    /usr/bin/python3 bench/gpu_report.py RESULTS_DIR/gpu_results_*.json

Two parts, so that each stays small enough to carry (ResNet-18's weights
alone are 45 MiB):
    zoo    test_cuda_gpu, and every zoo model (but ResNet-18) checked
           against LibTorch's outputs
    bench  the benchmarks: softmax and layer_norm over [16384, n], the
           transformer block, NN5 at batch 200, ResNet-18 at batch 32 (and
           checked at batch 1), each beside PyTorch eager, TorchScript and
           torch.compile

`--device cpu` builds the same bundles with CPU artifacts, a rehearsal of the
whole flow that runs on any machine (gpu_run.py then times PyTorch on the
CPU too).
"""

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "models"))

import models  # noqa: E402

# The runtime's dependencies that a GPU machine may lack, and the C library
# set that lets the binaries run where the system's glibc is older than this
# one's (gpu_run.py falls back to it only when a plain start fails).
RUNTIME_LIBS = ("libdnnl.so.2", "libgomp.so.1", "libOpenCL.so.1")
GLIBC_LIBS = ("ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
              "libdl.so.2", "libpthread.so.0", "librt.so.1")

# Zoo models checked in the zoo part; ResNet-18 is checked in the bench part.
ZOO_CHECKS = ("mlp_relu", "nn5", "cnn_bn", "mobilenet_v2", "transformer_block", "control_flow",
              "two_inputs_tuple", "nested_tuple", "embedding_classifier", "ops_pointwise", "ops_shape",
              "ops_reduce", "ops_linalg", "losses", "attention_layers", "attention_masks", "transformer",
              "multihead_attention", "recurrent", "ops_extra", "dense_block", "dict_model", "writes",
              "writes_loops", "ops_math", "cells_distances", "volumes")
# Their traced variants too, but for the large ones (carrying both would not fit).
NO_TRACED = ("mobilenet_v2",)

RESNET_BATCH = 32


class BundleError(Exception):
    pass


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise BundleError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def system_library(name: str) -> str:
    """The file the dynamic loader would pick for `name` (from ldconfig's cache)."""
    out = run(["/sbin/ldconfig", "-p"]).stdout
    for line in out.splitlines():
        parts = line.strip().split(" => ")
        if len(parts) == 2 and parts[0].split(" ")[0] == name and "x86-64" in parts[0]:
            return os.path.realpath(parts[1])
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64"):
        if os.path.exists(os.path.join(d, name)):
            return os.path.realpath(os.path.join(d, name))
    raise BundleError(f"{name} not found on this machine")


class Bundle:
    def __init__(self, root: str, part: str, build: str, device: str, gpu_arch: str):
        self.dir = os.path.join(root, part)
        self.part, self.build, self.device, self.gpu_arch = part, build, device, gpu_arch
        self.plan = {"part": part, "device": device, "checks": [], "benchmarks": [], "tests": []}
        shutil.rmtree(self.dir, ignore_errors=True)
        for sub in ("bin", "lib", "lib/glibc", "artifacts", "data", "py"):
            os.makedirs(os.path.join(self.dir, sub))
        self.binary("wick-artifact-bench")
        for name in RUNTIME_LIBS:
            shutil.copy(system_library(name), os.path.join(self.dir, "lib", name))
        for name in GLIBC_LIBS:
            shutil.copy(system_library(name), os.path.join(self.dir, "lib", "glibc", name))
        shutil.copy(os.path.join(HERE, "gpu_run.py"), os.path.join(self.dir, "run.py"))
        shutil.copy(os.path.join(HERE, "models.py"), os.path.join(self.dir, "py", "models.py"))
        shutil.copy(os.path.join(REPO, "tests", "models", "zoo.py"), os.path.join(self.dir, "py", "zoo.py"))

    def binary(self, name: str) -> None:
        src = os.path.join(self.build, "bin", name)
        if not os.path.exists(src):
            raise BundleError(f"{src} is missing: build it first (cmake --build build)")
        shutil.copy(src, os.path.join(self.dir, "bin", name))

    def data(self, path: str) -> str:
        """Copies `path` into data/ once; returns its path inside the bundle."""
        dst = os.path.join("data", os.path.basename(path))
        if not os.path.exists(os.path.join(self.dir, dst)):
            shutil.copy(path, os.path.join(self.dir, dst))
        return dst

    def compile(self, name: str, model: str, inputs) -> str:
        """Compiles `model` for `inputs` (files or shapes) into artifacts/NAME."""
        rel = os.path.join("artifacts", name)
        cmd = [os.path.join(self.build, "bin", "wick"), "compile", model, "-o", os.path.join(self.dir, rel)]
        for i in inputs:
            cmd += ["--input", i]
        if self.device == "cuda":
            cmd += ["--device", "cuda", "--gpu-arch", self.gpu_arch]
        run(cmd)
        return rel

    def share_identical(self, a: str, b: str, file: str) -> None:
        """Hard-links b's copy of `file` to a's when equal, so the archive holds it once."""
        fa, fb = os.path.join(self.dir, a, file), os.path.join(self.dir, b, file)
        if filecmp.cmp(fa, fb, shallow=False):
            os.remove(fb)
            os.link(fa, fb)

    def write(self, archive: bool) -> str:
        with open(os.path.join(self.dir, "plan.json"), "w") as f:
            json.dump(self.plan, f, indent=1)
        if not archive:
            return self.dir
        archive = self.dir + ".tar.xz"
        with tarfile.open(archive, "w:xz", preset=6) as tar:
            tar.add(self.dir, arcname=self.part)
        return archive


def zoo_meta(zoo: str, name: str) -> dict:
    with open(os.path.join(zoo, f"{name}.meta.json")) as f:
        return json.load(f)


def add_zoo_check(b: Bundle, zoo: str, name: str, variant: str, model_file=None, inputs=None, tag=None) -> None:
    meta = zoo_meta(zoo, name)
    ins = [os.path.join(zoo, i["file"]) for i in meta["inputs"]] if inputs is None else inputs
    model = os.path.join(zoo, meta["files"][variant]) if model_file is None else model_file
    tag = tag or f"{name}.{variant}"
    b.plan["checks"].append({
        "name": tag,
        "artifact": b.compile(tag, model, ins),
        "inputs": [b.data(i) for i in ins],
        "refs": [b.data(os.path.join(zoo, r)) for r in meta["refs"][variant]],
    })


def zoo_part(root: str, build: str, zoo: str, device: str, gpu_arch: str, only, archive: bool) -> str:
    b = Bundle(root, "zoo", build, device, gpu_arch)
    b.binary("test_cuda_gpu")
    b.plan["tests"].append({"name": "test_cuda_gpu", "binary": "bin/test_cuda_gpu"})
    for name in ZOO_CHECKS:
        if only and name not in only:
            continue
        for variant in zoo_meta(zoo, name)["variants"]:
            if variant == "traced" and name in NO_TRACED:
                continue
            add_zoo_check(b, zoo, name, variant)
    return b.write(archive)


def bench_part(root: str, build: str, zoo: str, device: str, gpu_arch: str, row_sizes, only, archive: bool) -> str:
    b = Bundle(root, "bench", build, device, gpu_arch)
    work = os.path.join(root, "models")
    wanted = lambda name: not only or name in only  # noqa: E731
    # ResNet-18 checked at batch 1 against LibTorch, timed at batch 32 (one
    # weights file serves both).
    if wanted("resnet18"):
        add_resnet(b, zoo)
    # The transformer block and NN5 at the zoo's batch sizes, checked and timed.
    for name, label, iters in (("transformer_block", "transformer block (d 256, 4 heads, seq 64, batch 8)", 200),
                               ("nn5", "NN5 MLP, batch 200 (latency)", 2000)):
        if not wanted(name):
            continue
        add_zoo_check(b, zoo, name, "scripted")
        check = b.plan["checks"][-1]
        pt = b.data(os.path.join(zoo, zoo_meta(zoo, name)["files"]["scripted"]))
        b.plan["benchmarks"].append({
            "name": name, "label": label, "artifact": check["artifact"], "inputs": check["inputs"],
            "torch": {"zoo": name, "pt": pt}, "iters": iters, "warmup": iters // 10})
    # Row reductions: the inputs are made on the GPU machine (gigabytes).
    paths = models.write_row_models(work, row_sizes)
    for (name, n), path in sorted(paths.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if not wanted(name):
            continue
        shape = f"{models.ROWS}x{n}"
        b.plan["benchmarks"].append({
            "name": f"{name}_{n}", "label": f"{name} [{models.ROWS}, {n}]", "row": {"op": name, "n": n},
            "artifact": b.compile(f"{name}_{n}", path, [shape]), "inputs": [shape],
            "torch": {"row": name, "n": n, "pt": b.data(path)}, "bytes": models.row_bytes(n),
            "iters": 50, "warmup": 5})
    return b.write(archive)


def add_resnet(b: Bundle, zoo: str) -> None:
    add_zoo_check(b, zoo, "resnet18", "scripted")
    resnet = os.path.join(zoo, zoo_meta(zoo, "resnet18")["files"]["scripted"])
    shape = f"{RESNET_BATCH}x3x224x224"
    b32 = b.compile(f"resnet18_b{RESNET_BATCH}", resnet, [shape])
    b.share_identical(b.plan["checks"][-1]["artifact"], b32, "weights.bin")
    b.plan["benchmarks"].append({
        "name": "resnet18", "label": f"ResNet-18, batch {RESNET_BATCH}, 3x224x224", "artifact": b32,
        "inputs": [shape], "torch": {"zoo": "resnet18", "pt": None}, "iters": 50, "warmup": 5})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(REPO, "build", "gpu"), metavar="DIR")
    p.add_argument("--build", default=os.path.join(REPO, "build"), metavar="DIR")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--gpu-arch", default="sm_80,sm_90")
    p.add_argument("--parts", nargs="+", choices=("zoo", "bench"), default=["zoo", "bench"])
    p.add_argument("--row-sizes", type=int, nargs="+", default=list(models.ROW_SIZES), metavar="N")
    p.add_argument("--only", nargs="+", default=[], metavar="NAME",
                   help="only these zoo models and benchmarks (resnet18, nn5, softmax_rows, ...)")
    p.add_argument("--no-archive", action="store_true", help="leave the directories, write no .tar.xz")
    args = p.parse_args(argv)
    zoo = os.path.join(args.build, "zoo")  # the tests' zoo: made once, reused
    r = subprocess.run([sys.executable, os.path.join(REPO, "tests", "models", "make_zoo.py"), "--out", zoo],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"make_zoo.py failed:\n{r.stdout}{r.stderr}", file=sys.stderr)
        return 1
    try:
        for part in args.parts:
            if part == "zoo":
                archive = zoo_part(args.out, args.build, zoo, args.device, args.gpu_arch, args.only,
                                   not args.no_archive)
            else:
                archive = bench_part(args.out, args.build, zoo, args.device, args.gpu_arch, args.row_sizes,
                                     args.only, not args.no_archive)
            size = f" ({os.path.getsize(archive) / 2**20:.1f} MiB)" if os.path.isfile(archive) else ""
            print(f"wrote {archive}{size}")
    except BundleError as e:
        print(f"gpu_bundle.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
