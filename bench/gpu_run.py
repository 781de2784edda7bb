#!/usr/bin/env python3
"""Runs a bundle written by bench/gpu_bundle.py, on the machine with the GPU.

Copied into the bundle as run.py; run it with the Python that has PyTorch:

    python3 BUNDLE/run.py --out DIR [--budget-s 540]

It needs PyTorch (CUDA build, for a CUDA bundle), the NVIDIA driver, and the
cuBLASLt and cuDNN that PyTorch's wheels carry (found under site-packages and
handed to wick through WICK_CUDA_LIBRARY_PATH). In order:

 1. tests:  test_cuda_gpu (the runtime's CUDA layer on the GPU)
 2. checks: each compiled zoo model on its inputs against LibTorch's outputs
            (relative error max|out - ref| / max|ref|, bound 1e-4); in the
            jit part each zoo model compiled here by `wick run`, the same way,
            and again as this machine's PyTorch writes it (make_zoo.py here:
            torch.jit.save of another version than the build machine's),
            against this PyTorch's outputs
 2b. trainings (jit part): `wick train` against torch.optim's training of
            the same model on the same batches, done where the bundle was
            built: each epoch's mean loss (relative difference 1e-3), the
            trained model's predictions (1e-2, as tests/api/test_trainer.cpp
            bounds them) and buffers (1e-3), and this PyTorch loading the
            trained .pt and predicting what wick predicts (1e-4)
 3. timing: each benchmark with wick (wick-artifact-bench), PyTorch eager and
            TorchScript (torch.jit.load of the same .pt), and for the row
            reductions a device-to-device copy of the same bytes
 4. timing: torch.compile of each benchmark, while the time budget lasts

Every call is timed the same way on both sides: inputs already on the device,
the call, then a device synchronize; the median of the iterations after the
warm-up. TF32 is off. DIR/gpu_results_<part>.json is rewritten after every
step, so a run cut short still reports what it did.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import site
import statistics
import subprocess
import sys
import time

BUNDLE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BUNDLE, "py"))

import torch  # noqa: E402

TOLERANCE = 1e-4
LOSS_TOLERANCE = 1e-3        # per-epoch training loss, wick against torch.optim
TRAINED_TOLERANCE = 1e-2     # predictions of the model trained by wick against torch's trained model
BUFFER_TOLERANCE = 1e-3      # batch norm's running statistics after training
ROW_CHECK_MAX_N = 4096  # row benchmarks up to this width are also checked against PyTorch


def percentiles(samples):
    s = sorted(samples)

    def at(p):
        k = (len(s) - 1) * p / 100.0
        lo = int(k)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (k - lo)
    return {"median_us": statistics.median(s), "p10_us": at(10), "p90_us": at(90), "min_us": s[0]}


class Results:
    def __init__(self, path: str, plan: dict, device: str):
        self.path = path
        self.data = {"part": plan["part"], "device": device, "date": datetime.date.today().isoformat(),
                     "host": platform.node(), "cpu": platform.processor() or platform.machine(),
                     "torch": torch.__version__, "tests": [], "checks": [], "benchmarks": [], "notes": []}
        if device == "cuda":
            self.data["gpu"] = torch.cuda.get_device_name(0)
            self.data["cuda"] = torch.version.cuda
            self.data["sm"] = "sm_%d%d" % torch.cuda.get_device_capability(0)
        self.save()

    def note(self, text: str) -> None:
        print(text, flush=True)
        self.data["notes"].append(text)
        self.save()

    def save(self) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.path)


class Tools:
    """Starts the bundle's binaries: plainly, or, where this machine's C
    library is older than the one they were built against, through the
    bundle's own loader and C library."""

    def __init__(self):
        lib = os.path.join(BUNDLE, "lib")
        self.env = dict(os.environ)
        # The jit part compiles here: its kernels' math comes from the
        # bundle's libdevice, and its kernel cache stays out of $HOME.
        if os.path.exists(os.path.join(lib, "libdevice.10.bc")):
            self.env["WICK_LIBDEVICE"] = os.path.join(lib, "libdevice.10.bc")
        self.env.setdefault("WICK_CACHE_DIR", os.path.join(BUNDLE, "kernel_cache"))
        self.env["LD_LIBRARY_PATH"] = lib + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH")
                                             else "")
        dirs = cuda_library_dirs()
        if dirs:
            self.env["WICK_CUDA_LIBRARY_PATH"] = ":".join(dirs)
        self.prefix = []
        probe = self.run("wick-artifact-bench", [])
        if "usage: wick-artifact-bench" not in probe.stderr:
            glibc = os.path.join(lib, "glibc")
            self.prefix = [os.path.join(glibc, "ld-linux-x86-64.so.2"), "--library-path", glibc + ":" + lib]
            probe2 = self.run("wick-artifact-bench", [])
            if "usage: wick-artifact-bench" not in probe2.stderr:
                raise RuntimeError("the bundle's binaries do not start here:\n" + probe.stderr + probe2.stderr)
            self.how = "through the bundle's C library (" + probe.stderr.strip().splitlines()[-1] + ")"
        else:
            self.how = "directly"

    def run(self, binary: str, args, timeout=None) -> subprocess.CompletedProcess:
        cmd = self.prefix + [os.path.join(BUNDLE, "bin", binary)] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=BUNDLE, timeout=timeout)


def cuda_library_dirs():
    """Where PyTorch's wheels keep cuBLASLt and cuDNN (site-packages/nvidia/*/lib)."""
    bases = list(site.getsitepackages()) + [site.getusersitepackages()]
    bases.append(os.path.dirname(os.path.dirname(torch.__file__)))
    dirs = []
    for base in bases:
        for pattern in ("nvidia/*/lib", "nvidia/*/*/lib", "torch/lib"):
            for d in sorted(glob.glob(os.path.join(base, pattern))):
                if d not in dirs and (glob.glob(os.path.join(d, "libcublasLt.so*")) or
                                      glob.glob(os.path.join(d, "libcudnn.so*"))):
                    dirs.append(d)
    return dirs


def last_json(text: str):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_tests(plan, tools, results) -> None:
    for t in plan["tests"]:
        r = tools.run(os.path.basename(t["binary"]), [], timeout=240)
        counts = {}
        for key, label in (("passed", "[  PASSED  ]"), ("skipped", "[  SKIPPED ]"), ("failed", "[  FAILED  ]")):
            for line in r.stdout.splitlines():
                if line.startswith(label) and "test" in line:
                    try:
                        counts[key] = int(line[len(label):].split()[0])
                    except ValueError:
                        pass
                    break
        entry = {"name": t["name"], "exit": r.returncode, **counts}
        if r.returncode != 0:
            entry["output_tail"] = (r.stdout + r.stderr)[-4000:]
        results.data["tests"].append(entry)
        results.save()
        print(f"{t['name']}: exit {r.returncode} {counts}", flush=True)


def run_checks(plan, tools, results) -> None:
    for c in plan["checks"]:
        args = [c["artifact"], "--iters", "3", "--warmup", "0"]
        for i in c["inputs"]:
            args += ["--input", i]
        for ref in c["refs"]:
            args += ["--ref", ref]
        r = tools.run("wick-artifact-bench", args, timeout=120)
        out = last_json(r.stdout) if r.returncode == 0 else None
        entry = {"name": c["name"]}
        if out is None:
            entry["error"] = (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")[-2000:]
        else:
            entry["relative_errors"] = out["relative_errors"]
            entry["ok"] = all(e is not None and e <= TOLERANCE for e in out["relative_errors"])
            entry["cuda_graph"] = out["cuda_graph"]
        results.data["checks"].append(entry)
        results.save()
        print(f"check {c['name']}: {entry.get('relative_errors', entry.get('error'))}", flush=True)


def relative_error(got, ref) -> float:
    import numpy as np

    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise ValueError(f"shape {list(got.shape)}, expected {list(ref.shape)}")
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return float(np.max(np.abs(got - ref))) / (scale or 1.0) if ref.size else 0.0


def wick_run(tools, device: str, model: str, inputs, out_dir: str):
    """`wick run` (compiling here); returns the outputs, or raises with wick's message."""
    import numpy as np

    shutil.rmtree(out_dir, ignore_errors=True)
    args = ["run", model, "--output-dir", out_dir] + (["--device", "cuda"] if device == "cuda" else [])
    for i in inputs:
        args += ["--input", i]
    r = tools.run("wick", args, timeout=300)
    if r.returncode != 0:
        raise RuntimeError((r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")[-2000:])
    outs = []
    while os.path.exists(os.path.join(out_dir, f"output{len(outs)}.npy")):
        outs.append(np.load(os.path.join(out_dir, f"output{len(outs)}.npy")))
    return outs


def jit_check(tools, results, device: str, entry: dict, model: str, inputs, refs, out_dir: str) -> None:
    """`wick run` of `model` against the reference outputs `refs`, into results' checks."""
    import numpy as np

    try:
        start = time.time()
        outs = wick_run(tools, device, model, inputs, out_dir)
        entry["seconds"] = round(time.time() - start, 2)
        if len(outs) != len(refs):
            raise RuntimeError(f"{len(outs)} outputs, LibTorch gave {len(refs)}")
        entry["relative_errors"] = [relative_error(o, np.load(r)) for o, r in zip(outs, refs)]
        entry["ok"] = all(e <= TOLERANCE for e in entry["relative_errors"])
    except Exception as e:
        entry["error"] = f"{type(e).__name__}: {e}"[-2000:]
    results.data["checks"].append(entry)
    results.save()
    print(f"check {entry['name']}: {entry.get('relative_errors', entry.get('error'))}", flush=True)


def run_jit_checks(plan, tools, results, device: str, work: str) -> None:
    for c in plan.get("jit_checks", []):
        jit_check(tools, results, device, {"name": "jit " + c["name"], "kind": "jit"}, c["model"], c["inputs"],
                  [os.path.join(BUNDLE, r) for r in c["refs"]], os.path.join(work, "jit", c["name"]))


def run_local_zoo(plan, tools, results, device: str, work: str) -> None:
    """The zoo as this machine's PyTorch scripts, traces and saves it, run by wick."""
    zoo = os.path.join(work, "zoo_torch_" + torch.__version__.replace("+", "_"))
    for name in plan.get("local_zoo", []):
        r = subprocess.run([sys.executable, os.path.join(BUNDLE, "py", "make_zoo.py"), "--out", zoo, "--only", name,
                            "--force"], capture_output=True, text=True, timeout=300)
        tag = f"torch {torch.__version__} {name}"
        if r.returncode != 0:
            results.data["checks"].append({"name": tag, "kind": "written_here",
                                           "error": "make_zoo.py: " + (r.stderr + r.stdout)[-2000:]})
            results.save()
            print(f"check {tag}: make_zoo.py failed", flush=True)
            continue
        with open(os.path.join(zoo, f"{name}.meta.json")) as f:
            meta = json.load(f)
        for variant in meta["variants"]:
            jit_check(tools, results, device, {"name": f"{tag}.{variant}", "kind": "written_here"},
                      os.path.join(zoo, meta["files"][variant]),
                      [os.path.join(zoo, i["file"]) for i in meta["inputs"]],
                      [os.path.join(zoo, ref) for ref in meta["refs"][variant]],
                      os.path.join(work, "written_here", f"{name}.{variant}"))


def read_history(path: str):
    with open(path) as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    return [float(r[1]) for r in rows[1:]]


def check_training(t, tools, device: str, work: str) -> dict:
    import numpy as np

    out = os.path.join(work, "train", t["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    trained, history = os.path.join(out, "trained.pt"), os.path.join(out, "history.csv")
    args = ["train", t["model"], *t["args"], "--history", history, "-o", trained]
    args += ["--device", "cuda"] if device == "cuda" else []
    start = time.time()
    r = tools.run("wick", args, timeout=480)
    entry = {"seconds": round(time.time() - start, 2)}
    if r.returncode != 0:
        raise RuntimeError((r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")[-2000:])
    losses = read_history(history)
    entry["epoch_losses"] = losses
    entry["loss_differences"] = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(losses, t["epoch_losses"])]
    if len(losses) != len(t["epoch_losses"]):
        raise RuntimeError(f"{len(losses)} epochs in the history, torch trained {len(t['epoch_losses'])}")
    [pred] = wick_run(tools, device, trained, [t["eval_x"]], os.path.join(out, "pred"))
    entry["prediction_vs_torch_trained"] = relative_error(pred, np.load(os.path.join(BUNDLE, t["eval_pred"])))
    # The trained file in this PyTorch: loads, predicts what wick predicts,
    # holds the buffers torch's training ended with.
    try:
        m = torch.jit.load(trained, map_location="cpu").eval()
        with torch.no_grad():
            theirs = m(torch.from_numpy(np.load(os.path.join(BUNDLE, t["eval_x"])))).numpy()
        entry["torch_loads_trained"] = relative_error(theirs, pred)
        named = dict(m.named_buffers())
        entry["buffers"] = {k: relative_error(named[k].numpy(), np.load(os.path.join(BUNDLE, f)))
                            for k, f in t["buffers"].items()}
    except Exception as e:
        entry["torch_error"] = f"{type(e).__name__}: {e}"[-2000:]
    entry["ok"] = (max(entry["loss_differences"]) <= LOSS_TOLERANCE and
                   entry["prediction_vs_torch_trained"] <= TRAINED_TOLERANCE and
                   entry.get("torch_loads_trained", 1.0) <= TOLERANCE and
                   all(v <= BUFFER_TOLERANCE for v in entry.get("buffers", {}).values()))
    return entry


def run_trainings(plan, tools, results, device: str, work: str) -> None:
    results.data.setdefault("trainings", [])
    for t in plan.get("trainings", []):
        try:
            entry = {"name": t["name"], **check_training(t, tools, device, work)}
        except Exception as e:
            entry = {"name": t["name"], "error": f"{type(e).__name__}: {e}"[-2000:]}
        results.data["trainings"].append(entry)
        results.save()
        print(f"train {t['name']}: {entry.get('loss_differences', entry.get('error'))}", flush=True)


def torch_time(fn, inputs, iters: int, warmup: int, device: str) -> dict:
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with torch.no_grad():
        for _ in range(warmup):
            fn(*inputs)
        sync()
        samples = []
        for _ in range(iters):
            t0 = time.perf_counter()
            fn(*inputs)
            sync()
            samples.append((time.perf_counter() - t0) * 1e6)
    return percentiles(samples)


def torch_inputs(bench: dict, device: str):
    import numpy as np
    out = []
    g = torch.Generator().manual_seed(0)
    for spec in bench["inputs"]:
        if spec.endswith(".npy"):
            out.append(torch.from_numpy(np.load(os.path.join(BUNDLE, spec))).to(device))
        else:
            shape = [int(d) for d in spec.split("x")]
            out.append(torch.randn(*shape, generator=g).to(device))
    return out


def torch_models(bench: dict, device: str):
    """The eager module and the TorchScript one for a benchmark."""
    spec = bench["torch"]
    pt = os.path.join(BUNDLE, spec["pt"]) if spec.get("pt") else None
    if "row" in spec:
        import models
        eager = models.row_models(spec["n"])[spec["row"]]
    else:
        import zoo
        torch.manual_seed(0)
        eager = zoo.build_model(spec["zoo"])
    eager = eager.eval()
    if pt:
        scripted = torch.jit.load(pt, map_location="cpu")
        eager.load_state_dict(scripted.state_dict())
    else:
        scripted = torch.jit.script(eager)
    return eager.to(device), scripted.eval().to(device)


def row_check(bench: dict, eager, tools, device: str, work: str):
    """The row benchmark's wick output against PyTorch eager's on one input."""
    import numpy as np
    x = torch.randn(*[int(d) for d in bench["inputs"][0].split("x")], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = eager(x.to(device)).cpu()
    xin, rout = os.path.join(work, "row_in.npy"), os.path.join(work, "row_ref.npy")
    np.save(xin, x.numpy())
    np.save(rout, ref.numpy())
    r = tools.run("wick-artifact-bench", [bench["artifact"], "--input", xin, "--ref", rout, "--iters", "1",
                                          "--warmup", "0"], timeout=300)
    out = last_json(r.stdout) if r.returncode == 0 else None
    return out["relative_errors"][0] if out else None


def wick_time(bench: dict, tools) -> dict:
    args = [bench["artifact"], "--iters", str(bench["iters"]), "--warmup", str(bench["warmup"])]
    for i in bench["inputs"]:
        args += ["--input", i]
    r = tools.run("wick-artifact-bench", args, timeout=300)
    out = last_json(r.stdout) if r.returncode == 0 else None
    if out is None:
        return {"error": (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}")[-2000:]}
    return {k: out[k] for k in ("median_us", "p10_us", "p90_us", "min_us", "cuda_graph")}


def guarded(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # a failing side is reported, the run goes on
        return {"error": f"{type(e).__name__}: {e}"[-2000:]}


def run_benchmarks(plan, tools, results, device: str, work: str) -> None:
    for bench in plan["benchmarks"]:
        entry = {"name": bench["name"], "label": bench["label"]}
        if "bytes" in bench:
            entry["bytes"] = bench["bytes"]
        results.data["benchmarks"].append(entry)
        entry["wick"] = wick_time(bench, tools)
        try:
            inputs = torch_inputs(bench, device)
            eager, scripted = torch_models(bench, device)
        except Exception as e:
            entry["torch_error"] = f"{type(e).__name__}: {e}"[-2000:]
            results.save()
            continue
        entry["eager"] = guarded(torch_time, eager, inputs, bench["iters"], bench["warmup"], device)
        entry["torchscript"] = guarded(torch_time, scripted, inputs, bench["iters"], bench["warmup"], device)
        if "bytes" in bench:
            dst = torch.empty_like(inputs[0])
            entry["copy"] = guarded(torch_time, dst.copy_, inputs, bench["iters"], bench["warmup"], device)
            if bench["row"]["n"] <= ROW_CHECK_MAX_N:
                entry["relative_error"] = guarded(row_check, bench, eager, tools, device, work)
        del inputs, eager, scripted
        if device == "cuda":
            torch.cuda.empty_cache()
        results.save()
        print(f"{bench['name']}: wick {entry['wick'].get('median_us')} eager {entry['eager'].get('median_us')}",
              flush=True)


def run_compiled(plan, results, device: str, deadline: float) -> None:
    if not hasattr(torch, "compile"):
        results.note(f"torch.compile is not in PyTorch {torch.__version__}: no compiled column")
        return
    for bench, entry in zip(plan["benchmarks"], results.data["benchmarks"]):
        if "torch_error" in entry:
            continue
        if time.time() > deadline:
            entry["compile"] = {"error": "skipped: the run's time budget was spent"}
            results.save()
            continue
        try:
            inputs = torch_inputs(bench, device)
            eager, _ = torch_models(bench, device)
            compiled = torch.compile(eager)
            entry["compile"] = torch_time(compiled, inputs, bench["iters"], max(bench["warmup"], 3), device)
        except Exception as e:
            entry["compile"] = {"error": f"{type(e).__name__}: {e}"[-2000:]}
        results.save()
        print(f"{bench['name']}: torch.compile {entry['compile'].get('median_us')}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--budget-s", type=float, default=540, help="stop starting torch.compile runs after this")
    p.add_argument("--skip", nargs="*", default=[],
                   choices=("tests", "checks", "trainings", "benchmarks", "compile"))
    p.add_argument("--max-iters", type=int, default=0, metavar="N",
                   help="at most N timed calls per side (a quick rehearsal)")
    args = p.parse_args(argv)
    start = time.time()
    with open(os.path.join(BUNDLE, "plan.json")) as f:
        plan = json.load(f)
    device = plan["device"]
    if args.max_iters > 0:
        for bench in plan["benchmarks"]:
            bench["iters"] = min(bench["iters"], args.max_iters)
            bench["warmup"] = min(bench["warmup"], 1)
    if device == "cuda" and not torch.cuda.is_available():
        print("run.py: this bundle is for an NVIDIA GPU, but PyTorch sees none", file=sys.stderr)
        return 1
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.out, exist_ok=True)
    results = Results(os.path.join(args.out, f"gpu_results_{plan['part']}.json"), plan, device)
    tools = Tools()
    results.note(f"binaries started {tools.how}; WICK_CUDA_LIBRARY_PATH="
                 f"{tools.env.get('WICK_CUDA_LIBRARY_PATH', '(unset)')}")
    if "tests" not in args.skip:
        run_tests(plan, tools, results)
    if "checks" not in args.skip:
        run_checks(plan, tools, results)
        run_jit_checks(plan, tools, results, device, args.out)
        run_local_zoo(plan, tools, results, device, args.out)
    if "trainings" not in args.skip:
        run_trainings(plan, tools, results, device, args.out)
    if "benchmarks" not in args.skip:
        run_benchmarks(plan, tools, results, device, args.out)
        if "compile" not in args.skip and plan["benchmarks"]:
            run_compiled(plan, results, device, start + args.budget_s - 60)
    results.data["seconds"] = round(time.time() - start, 1)
    results.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
