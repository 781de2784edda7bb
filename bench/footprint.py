"""Measures what deploying a model with wick costs and writes docs/footprint.md.

    /usr/bin/python3 bench/footprint.py [--build build] [--out docs/footprint.md]
        [--runs 7] [--only MODEL ...]

Needs a build with the `wick`, `wick-deploy-run` and `torch_cold_start`
targets and the test zoo (ctest -R zoo_make writes BUILD/zoo).

Reports
  * the size of libwick_runtime.so (as built and stripped), of the shared
    libraries it needs beyond libc and libstdc++, and of LibTorch's;
  * for every zoo model (scripted), the directory `wick compile` writes: the
    size of each file and the total, beside the .pt file;
  * cold start: wall time from process start to exit after the first output
    of `wick-deploy-run DIR` and of a LibTorch program doing torch::jit::load
    and the first forward of the same model on inputs of the same shapes
    (bench/torch_cold_start.cpp), median of several runs each, interleaved,
    at one thread and at the default thread count. The files are in the page
    cache (warm disk), as for any process started a second time.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def rel(path):
    return os.path.relpath(path, REPO)


def kib(n):
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.2f} MiB"


def ldd(path):
    """Shared library name -> resolved path, as the loader would find them."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and "/" in parts[1]:
            libs[parts[0].strip()] = os.path.realpath(parts[1].split("(")[0].strip())
    return libs


def stripped_size(path):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.so")
        r = subprocess.run(["strip", "--strip-unneeded", "-o", out, path], capture_output=True)
        return os.path.getsize(out) if r.returncode == 0 else None


def zoo_models(zoo, only):
    names = sorted({os.path.basename(p).split(".")[0] for p in glob.glob(os.path.join(zoo, "*.scripted.pt"))})
    return [n for n in names if not only or n in only]


def zoo_inputs(zoo, model):
    inputs = []
    while os.path.exists(os.path.join(zoo, f"{model}.input{len(inputs)}.npy")):
        inputs.append(os.path.join(zoo, f"{model}.input{len(inputs)}.npy"))
    return inputs


def torch_spec(manifest_input):
    dtype = manifest_input["dtype"]
    shape = "x".join(str(d) for d in manifest_input["shape"])
    return shape if dtype == "f32" else f"{dtype}:{shape}"


def timed(cmd, env):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr.decode()}")
    return elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--out", default=os.path.join(REPO, "docs", "footprint.md"))
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--only", nargs="*", default=None)
    a = p.parse_args()

    build = os.path.abspath(a.build)
    wick = os.path.join(build, "bin", "wick")
    deploy_run = os.path.join(build, "bin", "wick-deploy-run")
    torch_cold = os.path.join(build, "bin", "torch_cold_start")
    runtime = os.path.join(build, "lib", "libwick_runtime.so")
    zoo = os.path.join(build, "zoo")
    for path in (wick, deploy_run, runtime, zoo):
        if not os.path.exists(path):
            sys.exit(f"footprint.py: {path} is missing (build the targets, and run ctest -R zoo_make for the zoo)")
    have_torch = os.path.exists(torch_cold)
    env = dict(os.environ)
    env.setdefault("WICK_CACHE_DIR", os.path.join(build, "kernel_cache"))
    load_before = os.getloadavg()[0]

    # The runtime and what it loads.
    lines = ["## Runtime library", ""]
    lines += ["| file | size | stripped |", "|---|---:|---:|"]
    stripped = stripped_size(runtime)
    lines.append(f"| libwick_runtime.so | {kib(os.path.getsize(runtime))} | "
                 f"{kib(stripped) if stripped else 'n/a'} |")
    lines.append(f"| wick-deploy-run | {kib(os.path.getsize(deploy_run))} | |")
    system_libs = ("libc.so", "libm.so", "libstdc++", "libgcc_s", "ld-linux", "linux-vdso")
    deps = {k: v for k, v in ldd(runtime).items() if not k.startswith(system_libs)}
    dep_total = 0
    for name, path in sorted(deps.items()):
        size = os.path.getsize(path)
        dep_total += size
        lines.append(f"| {name} (needed by the runtime) | {kib(size)} | |")
    runtime_total = os.path.getsize(runtime) + dep_total
    lines.append(f"| **runtime total** (libwick_runtime.so and the libraries above) | **{kib(runtime_total)}** | |")
    if have_torch:
        torch_libs = {k: v for k, v in ldd(torch_cold).items()
                      if k.startswith(("libtorch", "libc10", "libgomp", "libshm"))}
        torch_total = sum(os.path.getsize(v) for v in set(torch_libs.values()))
        lines.append(f"| LibTorch ({', '.join(sorted(torch_libs))}) | {kib(torch_total)} | |")
    lines += ["", "libc, libm, libstdc++ and libgcc_s are left out: every C++ program loads them.", ""]

    # Artifacts.
    work = tempfile.mkdtemp(prefix="wick-footprint-")
    models = zoo_models(zoo, a.only)
    artifacts = {}
    table = ["## Compiled model directories", "",
             "`wick compile MODEL.scripted.pt --input ... -o DIR` (target native) for the zoo's inputs.", "",
             "| model | .pt | model.so | weights.bin | plan.bin | manifest.json | directory total | kernels |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in models:
        pt = os.path.join(zoo, f"{m}.scripted.pt")
        inputs = zoo_inputs(zoo, m)
        out = os.path.join(work, m)
        cmd = [wick, "compile", pt, "-o", out] + sum((["--input", i] for i in inputs), [])
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print(f"skipping {m}: {r.stderr.strip()}", file=sys.stderr)
            continue
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        sizes = {name: os.path.getsize(os.path.join(out, name))
                 for name in ("model.so", "weights.bin", "plan.bin", "manifest.json")}
        artifacts[m] = (out, inputs, manifest)
        table.append(f"| {m} | {kib(os.path.getsize(pt))} | {kib(sizes['model.so'])} | {kib(sizes['weights.bin'])} | "
                     f"{kib(sizes['plan.bin'])} | {kib(sizes['manifest.json'])} | {kib(sum(sizes.values()))} | "
                     f"{manifest['kernel_count']} |")
    lines += table + [""]

    # Cold start.
    def cold_start(threads):
        rows = []
        for m, (out, inputs, manifest) in artifacts.items():
            wick_cmd = [deploy_run, out, "--output-dir", os.path.join(work, m + "_out")]
            wick_cmd += sum((["--input", i] for i in inputs), [])
            torch_cmd = [torch_cold, os.path.join(zoo, f"{m}.scripted.pt")]
            torch_cmd += sum((["--input", torch_spec(i)] for i in manifest["inputs"]), [])
            run_env = dict(env)
            if threads:
                wick_cmd += ["--threads", str(threads)]
                torch_cmd += ["--threads", str(threads)]
                run_env["OMP_NUM_THREADS"] = str(threads)
            timed(wick_cmd, run_env)  # page the files in once
            # LibTorch gets random floats and zero indices, which not every
            # model accepts (zero offsets crash its embedding_bag): such a
            # model gets no LibTorch column.
            with_torch = have_torch
            if with_torch:
                try:
                    timed(torch_cmd, run_env)
                except RuntimeError as e:
                    print(f"no LibTorch cold start for {m}: {str(e).splitlines()[-1]}", file=sys.stderr)
                    with_torch = False
            w, t = [], []
            for _ in range(a.runs):
                w.append(timed(wick_cmd, run_env))
                if with_torch:
                    t.append(timed(torch_cmd, run_env))
            rows.append((m, w, t))
        return rows

    cores = os.cpu_count()
    sections = [(1, "one thread"), (None, f"default threads ({cores} hardware threads)")]
    for threads, label in sections:
        rows = cold_start(threads)
        lines += [f"## Cold start, {label}", "",
                  "Process start to exit after the first output, in ms: median (min to max) of "
                  f"{a.runs} runs each.", "",
                  "| model | wick-deploy-run | LibTorch jit::load + forward | LibTorch / wick |",
                  "|---|---:|---:|---:|"]
        for m, w, t in rows:
            wm = statistics.median(w)
            ws = f"{wm:.1f} ({min(w):.1f} to {max(w):.1f})"
            if t:
                tm = statistics.median(t)
                lines.append(f"| {m} | {ws} | {tm:.1f} ({min(t):.1f} to {max(t):.1f}) | {tm / wm:.1f}x |")
            else:
                lines.append(f"| {m} | {ws} | n/a | |")
        lines.append("")

    shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()[0]
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    header = [
        "# Footprint and start-up",
        "",
        f"Generated by `bench/footprint.py --build {rel(build)}` on {datetime.date.today().isoformat()}; "
        "do not edit by hand.",
        "",
        f"Machine: {cpu}, {cores} hardware threads, {platform.system()} {platform.release()}; "
        f"load average {load_before:.1f} before and {load_after:.1f} after the runs (other work on the machine "
        "adds noise to the timings).",
        "",
        "A deployed model is a directory written by `wick compile` (model.so with every kernel, weights.bin, "
        "plan.bin, manifest.json) plus libwick_runtime.so; the program that runs it needs no Python, LibTorch, "
        "LLVM or MLIR. Cold start is measured from outside: the wall time of a fresh process that loads the "
        "model, runs it once on the zoo's inputs and exits.",
        "",
    ]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(header + lines))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
