#!/usr/bin/env python3
"""Packs what the GPU checks and benchmarks need into directories that run on
a machine with an NVIDIA GPU, PyTorch and nothing of wick's compiler.

The compiler (LLVM, MLIR) stays here: every model is compiled with
`wick compile --device cuda` on this machine, and a bundle carries the
compiled directories, the runtime's shared-library dependencies, the
runner (wick-artifact-bench), test_cuda_gpu, the zoo's inputs and LibTorch
references, and bench/gpu_run.py, which does the rest there:

    /usr/bin/python3 bench/gpu_bundle.py            # writes build/gpu/{zoo,bench,jit}.tar.xz
    # on the GPU machine, for each part:
    tar -xJf zoo.tar.xz && python3 zoo/run.py --out RESULTS_DIR
    # back here:
    /usr/bin/python3 bench/gpu_report.py RESULTS_DIR/gpu_results_*.json

Three parts, so that each stays small enough to carry (ResNet-18's weights
alone are 45 MiB):
    zoo    test_cuda_gpu, and every zoo model (but ResNet-18) checked
           against LibTorch's outputs
    bench  the benchmarks: softmax and layer_norm over [16384, n], the
           transformer block, NN5 at batch 200, ResNet-18 at batch 32 (and
           checked at batch 1), each beside PyTorch eager, TorchScript and
           torch.compile
    jit    the compiler itself: a `wick` linked with LLVM and MLIR
           statically (built here in BUILD/static-llvm, or --wick), which
           compiles on the GPU machine for the GPU it finds: the zoo's
           scripted models through `wick run --device cuda` against
           LibTorch's outputs; the same models written there by that
           machine's PyTorch (tests/models/make_zoo.py, scripted and traced:
           files of another PyTorch version than this one's) against its
           outputs; and `wick train --device cuda` on the zoo's
           NN5 and CNN and on attention and recurrent classifiers, against
           torch.optim's training here (tests/api/train_reference.py): the
           per-epoch losses, the trained model's predictions and buffers,
           and PyTorch loading the trained .pt there

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
              "writes_loops", "ops_math", "cells_distances", "volumes", "ops_sort", "ops_scans_bits", "embedding_bags", "resampling", "scatter_reduce", "pool_indices")
# Their traced variants too, but for the large ones (carrying both would not fit).
NO_TRACED = ("mobilenet_v2",)
# The jit part compiles these on the GPU machine (the small scripted ones).
JIT_CHECKS = tuple(n for n in ZOO_CHECKS if n != "mobilenet_v2")
# The compiler's own dependencies beyond the runtime's.
COMPILER_LIBS = ("libz.so.1", "libzstd.so.1")
LIBDEVICE = "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"

# Trainings in the jit part: name, model (a zoo model, or a model kind of
# tests/api/train_reference.py), input shape per example, batch, loss,
# cross_entropy's target kind, optimizer (name, lr, momentum, weight decay).
# Five batches, three epochs, as tests/api/test_trainer.cpp trains them.
TRAININGS = (
    ("nn5_mse_sgd", "nn5", "14", 200, "mse", "indices", ("sgd", 0.01, 0.9, 1e-4)),
    ("nn5_mse_adam", "nn5", "14", 200, "mse", "indices", ("adam", 1e-3, 0.0, 0.0)),
    ("cnn_bn_ce_sgd", "cnn_bn", "3,32,32", 8, "cross_entropy", "indices", ("sgd", 0.01, 0.9, 1e-4)),
    ("cnn_bn_ce_probabilities_adamw", "cnn_bn", "3,32,32", 8, "cross_entropy", "probabilities",
     ("adamw", 1e-3, 0.0, 1e-2)),
    ("attention_ce_adam", "attention_classifier", "48", 16, "cross_entropy", "indices", ("adam", 1e-2, 0.0, 0.0)),
    ("recurrent_ce_adam", "recurrent_classifier", "48", 16, "cross_entropy", "indices", ("adam", 1e-2, 0.0, 0.0)),
)
TRAIN_BATCHES, TRAIN_EPOCHS = 5, 3

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
        self.plan = {"part": part, "device": device, "checks": [], "benchmarks": [], "tests": [], "jit_checks": [],
                     "trainings": [], "local_zoo": []}
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

    def data(self, path: str, name=None) -> str:
        """Copies `path` into data/ (as `name`, else its own name) once;
        returns its path inside the bundle."""
        dst = os.path.join("data", name or os.path.basename(path))
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


def static_wick(build: str) -> str:
    """Builds `wick` with LLVM and MLIR linked statically, in BUILD/static-llvm
    (compiling is mostly ccache hits after the main build); returns it."""
    tree = os.path.join(build, "static-llvm")
    cmd = ["cmake", "-S", REPO, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DWICK_STATIC_LLVM=ON"]
    if shutil.which("ld.lld"):
        cmd.append("-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld")  # a link of seconds, not minutes
    run(cmd)
    run(["cmake", "--build", tree, "--target", "wick", "-j2"])
    return os.path.join(tree, "bin", "wick")


def add_training(b: Bundle, zoo: str, work: str, case) -> None:
    """Trains the case with torch.optim here and plans the same with `wick train` there."""
    import numpy as np

    name, model, shape, batch, loss, target, (optim, lr, momentum, decay) = case
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    reference = os.path.join(REPO, "tests", "api", "train_reference.py")
    pt = os.path.join(zoo, f"{model}.scripted.pt")
    if not os.path.exists(pt):
        pt = os.path.join(out, "model.pt")
        run([sys.executable, reference, "model", "--kind", model, "--out", pt])
    run([sys.executable, reference, "train", "--model", pt, "--out", out, "--input-shape", shape, "--batch",
         str(batch), "--batches", str(TRAIN_BATCHES), "--epochs", str(TRAIN_EPOCHS), "--loss", loss, "--target",
         target, "--optimizer", optim, "--lr", repr(lr), "--momentum", repr(momentum), "--weight-decay",
         repr(decay), "--seed", "7"])
    # The batches in order as one array each: `wick train` without --shuffle
    # cuts them again in the same order.
    for part in ("x", "y"):
        np.save(os.path.join(out, f"{part}.npy"),
                np.concatenate([np.load(os.path.join(out, f"{part}_{k}.npy")) for k in range(TRAIN_BATCHES)]))
    losses = np.load(os.path.join(out, "losses.npy")).reshape(TRAIN_EPOCHS, TRAIN_BATCHES).mean(axis=1)
    # Under Adam a running mean follows the rounding noise of a bias that
    # batch norm cancels (tests/api/test_trainer.cpp says why): not compared.
    buffers = {}
    for f in sorted(os.listdir(out)):
        if f.startswith("buffer_") and not (optim != "sgd" and "running_mean" in f):
            buffers[f[len("buffer_"):-len(".npy")]] = b.data(os.path.join(out, f), f"{name}.{f}")
    args = ["--data", b.data(os.path.join(out, "x.npy"), f"{name}.x.npy"),
            "--target", b.data(os.path.join(out, "y.npy"), f"{name}.y.npy"),
            "--loss", loss, "--optim", optim, "--lr", repr(lr), "--weight-decay", repr(decay),
            "--batch-size", str(batch), "--epochs", str(TRAIN_EPOCHS)]
    if optim == "sgd":
        args += ["--momentum", repr(momentum)]
    b.plan["trainings"].append({
        "name": name, "model": b.data(pt, f"{name}.pt"), "args": args, "epoch_losses": [float(v) for v in losses],
        "eval_x": b.data(os.path.join(out, "eval_x.npy"), f"{name}.eval_x.npy"),
        "eval_pred": b.data(os.path.join(out, "eval_pred.npy"), f"{name}.eval_pred.npy"), "buffers": buffers})


def jit_part(root: str, build: str, zoo: str, device: str, gpu_arch: str, wick: str, only, archive: bool) -> str:
    b = Bundle(root, "jit", build, device, gpu_arch)
    wick = wick or static_wick(build)
    dst = os.path.join(b.dir, "bin", "wick")
    if shutil.which("strip"):
        run(["strip", "-o", dst, wick])
    else:
        shutil.copy(wick, dst)
    for lib in COMPILER_LIBS:
        shutil.copy(system_library(lib), os.path.join(b.dir, "lib", lib))
    if os.path.exists(LIBDEVICE):
        shutil.copy(LIBDEVICE, os.path.join(b.dir, "lib", "libdevice.10.bc"))
    elif device == "cuda":
        raise BundleError(f"{LIBDEVICE} is missing: the GPU kernels' math functions come from it")
    for script in ("make_zoo.py", "reference.py"):
        shutil.copy(os.path.join(REPO, "tests", "models", script), os.path.join(b.dir, "py", script))
    for name in JIT_CHECKS:
        if only and name not in only:
            continue
        b.plan["local_zoo"].append(name)
        meta = zoo_meta(zoo, name)
        b.plan["jit_checks"].append({
            "name": f"{name}.scripted",
            "model": b.data(os.path.join(zoo, meta["files"]["scripted"])),
            "inputs": [b.data(os.path.join(zoo, i["file"])) for i in meta["inputs"]],
            "refs": [b.data(os.path.join(zoo, r)) for r in meta["refs"]["scripted"]]})
    work = os.path.join(root, "trainings")
    for case in TRAININGS:
        if not only or case[0] in only or case[1] in only:
            add_training(b, zoo, work, case)
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
    p.add_argument("--parts", nargs="+", choices=("zoo", "bench", "jit"), default=["zoo", "bench", "jit"])
    p.add_argument("--wick", metavar="PATH", help="the jit part's wick (default: built with LLVM and MLIR static)")
    p.add_argument("--row-sizes", type=int, nargs="+", default=list(models.ROW_SIZES), metavar="N")
    p.add_argument("--only", nargs="+", default=[], metavar="NAME",
                   help="only these zoo models, benchmarks and trainings (resnet18, nn5, softmax_rows, "
                        "nn5_mse_sgd, ...)")
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
            elif part == "jit":
                archive = jit_part(args.out, args.build, zoo, args.device, args.gpu_arch, args.wick, args.only,
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
