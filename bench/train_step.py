"""Times one training step of wick against LibTorch and writes docs/training.md.

    /usr/bin/python3 bench/train_step.py [--bench build/bin/train_step_bench]
        [--out docs] [--runs 5] [--blocks 20] [--steps 20] [--threads 1 2]
        [--work DIR]

Two models: the zoo's NN5 tabular MLP (14-20-10-5-1, sigmoids) at batch 200
with SGD (momentum 0.9, weight decay 1e-4), and a 512-256-256-1 ReLU MLP at
batch 256 with Adam, both with the mean squared error. Each run is one
process of train_step_bench (bench/train_step.cpp), which trains the same
.pt file with wick::Trainer and with LibTorch (torch::jit::load, autograd,
torch::optim) on the same batch and thread count, alternating blocks of
steps between the two. The time per step reported is the median over every
block of every run, with the 10th-90th percentile spread; the ratio is
LibTorch's median over wick's (above 1: wick is faster).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from run_benchmarks import git_commit, machine  # noqa: E402

CONFIGS = [
    {"name": "nn5", "model": "nn5", "input": "200x14", "target": "200x1", "optimizer": "sgd",
     "args": ["--lr", "0.01", "--momentum", "0.9", "--weight-decay", "1e-4"],
     "note": "NN5 14-20-10-5-1 sigmoid MLP, batch 200, SGD (momentum 0.9, weight decay 1e-4), MSE"},
    {"name": "mlp512", "model": "mlp512", "input": "256x512", "target": "256x1", "optimizer": "adam",
     "args": ["--lr", "0.001", "--weight-decay", "0"],
     "note": "512-256-256-1 ReLU MLP, batch 256, Adam (lr 1e-3), MSE"},
]


def write_models(work):
    import torch
    sys.path.insert(0, os.path.join(REPO, "tests", "models"))
    import zoo  # noqa: E402
    torch.manual_seed(0)
    nn5 = torch.jit.script(zoo.nn5())
    mlp = torch.jit.script(torch.nn.Sequential(
        torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 1)))
    paths = {"nn5": os.path.join(work, "nn5.pt"), "mlp512": os.path.join(work, "mlp512.pt")}
    torch.jit.save(nn5, paths["nn5"])
    torch.jit.save(mlp, paths["mlp512"])
    return paths


def percentile(values, q):
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", default=os.path.join(REPO, "build", "bin", "train_step_bench"))
    p.add_argument("--out", default=os.path.join(REPO, "docs"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--blocks", type=int, default=20)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--work")
    a = p.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="wick_train_bench_")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("WICK_CACHE_DIR", os.path.join(work, "kernel_cache"))
    paths = write_models(work)

    rows = []
    for c in CONFIGS:
        for threads in a.threads:
            wick_ms, torch_ms, compile_ms, first = [], [], [], None
            for run in range(a.runs):
                cmd = [a.bench, paths[c["model"]], "--input", c["input"], "--target", c["target"],
                       "--optimizer", c["optimizer"], *c["args"], "--threads", str(threads),
                       "--blocks", str(a.blocks), "--steps", str(a.steps)]
                r = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if r.returncode != 0:
                    sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
                result = json.loads(r.stdout.strip().splitlines()[-1])
                wick_ms += result["wick_ms"]
                torch_ms += result["torch_ms"]
                compile_ms.append(result["compile_ms"])
                first = (result["first_loss_wick"], result["first_loss_torch"])
                print(f"{c['name']} threads {threads} run {run + 1}: wick "
                      f"{statistics.median(result['wick_ms']):.4f} ms, LibTorch "
                      f"{statistics.median(result['torch_ms']):.4f} ms", flush=True)
            w, t = statistics.median(wick_ms), statistics.median(torch_ms)
            rows.append({"config": c, "threads": threads, "wick": w, "torch": t,
                         "wick_p10": percentile(wick_ms, 0.1), "wick_p90": percentile(wick_ms, 0.9),
                         "torch_p10": percentile(torch_ms, 0.1), "torch_p90": percentile(torch_ms, 0.9),
                         "ratio": t / w, "blocks": len(wick_ms), "compile_ms": statistics.median(compile_ms),
                         "first": first})

    info = machine()
    shown = []  # the command line without --work (a path of this machine)
    skip = False
    for x in sys.argv[1:]:
        if skip or x == "--work":
            skip = not skip
            continue
        shown.append(x.replace(REPO + os.sep, ""))
    command = "/usr/bin/python3 bench/train_step.py " + " ".join(shown)
    lines = [
        "<!-- Generated by bench/train_step.py. Do not edit by hand: rerun the script. -->",
        "# Training: one step of wick vs LibTorch",
        "",
        "_This file is generated by `bench/train_step.py` and must not be edited by hand._",
        "",
        "`wick::Trainer` compiles a training step (forward in training mode, loss, backward from",
        "autodiff, optimizer update, every parameter and optimizer state updated in place) into",
        "one plan of fused kernels and library calls. Each row times that step beside LibTorch",
        "training the same `.pt` with autograd and `torch::optim`, in one process",
        "(`bench/train_step.cpp`), on the same batch, loss, optimizer and thread count; steps",
        "alternate in blocks of " + f"{a.steps}" + " between the two so that both see the same machine load.",
        "Times are per step in milliseconds: the median over every block of " + f"{a.runs}" + " runs,",
        "and the 10th–90th percentile spread. The ratio is LibTorch's median over wick's",
        "(above 1: wick is faster). The machine is shared and was loaded while measuring, so",
        "the spreads are wide; the medians are what was seen, not a promise.",
        "The thread count is LibTorch's intra-op count and its OpenBLAS pool's, which LibTorch",
        "itself leaves at one thread per core (tables made before that was set had LibTorch",
        "multiplying on both cores in its one-thread rows).",
        "",
        f"- Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- Machine: {info['cpu']}, {info['cores']} logical cores, {info['os']}",
        f"- wick commit: {git_commit()}",
        f"- LibTorch: {info['torch']}",
        f"- Command: `{command.strip()}`",
        "",
        "| model | threads | blocks | wick ms/step | wick p10–p90 | LibTorch ms/step | LibTorch p10–p90 "
        "| LibTorch / wick | first compile ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['config']['name']} | {r['threads']} | {r['blocks']} | {r['wick']:.4f} | "
            f"{r['wick_p10']:.4f} – {r['wick_p90']:.4f} | {r['torch']:.4f} | "
            f"{r['torch_p10']:.4f} – {r['torch_p90']:.4f} | {r['ratio']:.2f}× | {r['compile_ms']:.0f} |")
    lines += ["", "Models:", ""]
    for c in CONFIGS:
        lines.append(f"- `{c['name']}`: {c['note']}.")
    lines += [
        "",
        "\"first compile ms\" is wick's first step, which compiles the step graph: the",
        "median over the runs, whose kernels came from the on-disk cache after the first.",
        f"The machine has {info['cores']} logical cores: with as many threads as cores, any other",
        "load on it stalls a step's threads at their next synchronization, which the spreads show.",
        "Both sides start from the same weights; the first step's losses agree: " + ", ".join(
            f"{r['config']['name']} wick {r['first'][0]:.6g} / LibTorch {r['first'][1]:.6g}"
            for r in rows if r["threads"] == a.threads[0]) + ".",
        "",
        "Correctness is tested elsewhere: `tests/api/test_trainer.cpp` trains both models of the",
        "test zoo with every loss and optimizer against torch.optim step by step.",
        "",
    ]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "training.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {os.path.join(a.out, 'training.md')}")


if __name__ == "__main__":
    main()
