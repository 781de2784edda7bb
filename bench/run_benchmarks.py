"""Benchmarks wick against LibTorch and writes docs/benchmarks.md and .png.

    /usr/bin/python3 bench/run_benchmarks.py [--wick build/bin/wick] [--out docs]
        [--iters N] [--quick] [--threads 1 2] [--only NAME ...] [--work DIR]

Each benchmark is one `wick bench MODEL --json` process, which runs the model
with wick and with LibTorch's TorchScript in the same process, on the same
inputs and thread count, checks that their outputs agree, and times calls
alternating between the two. The models: the zoo's (tests/models/zoo.py,
written with make_zoo.py at the zoo's batch sizes) and two memory-bandwidth
benchmarks from bench/models.py, a six-op pointwise chain and a plain copy of
a 16M-float tensor, reported in GB/s (bytes read + written per second), the
chain also as a percentage of the copy's bandwidth in the same run.

Timings are per call: the median, and the 10th-90th percentile spread. The
speedup is LibTorch's median over wick's (above 1: wick is faster).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import doc_sections  # noqa: E402
import models  # noqa: E402


@dataclass(frozen=True)
class Benchmark:
    name: str
    iters: int          # timed calls per side at full length
    warmup: int
    zoo: bool = True    # a test-zoo model (else from bench/models.py)
    note: str = ""
    tolerance: float = 1e-4  # the outputs' largest relative error (wick bench --tolerance)


BENCHMARKS = [
    Benchmark("nn5", 5000, 100, note="batch 200"),
    Benchmark("mlp_relu", 5000, 100, note="batch 16"),
    Benchmark("cnn_bn", 1000, 20, note="batch 4, 3x32x32"),
    Benchmark("resnet18", 50, 5, note="batch 1, 3x224x224"),
    Benchmark("mobilenet_v2", 100, 10, note="batch 1, 3x224x224"),
    Benchmark("transformer_block", 100, 10, note="batch 8, seq 64, d 256, 4 heads"),
    Benchmark("embedding_classifier", 5000, 100, note="batch 8, 16 ids"),
    Benchmark("recurrent", 1000, 20, note="nn.LSTM (2 layers), bidirectional nn.GRU, 2 nn.RNNs; 7 steps, batch 3"),
    Benchmark("transformer", 1000, 20, note="nn.Transformer as saved: 2 + 2 layers, d 32, batch 3, src_mask given"),
    Benchmark("packed_lstm", 200, 10, zoo=False,
              note="packed sequences: bidirectional nn.LSTM of 128 on 16 token rows of 10 to 40 steps"),
    Benchmark("r3d_18", 10, 2, zoo=False, note="torchvision video ResNet, 3x16x112x112 clip"),
    Benchmark("r2plus1d_18", 10, 2, zoo=False, note="torchvision video ResNet (2+1)-D, 3x16x112x112 clip"),
    Benchmark("dcgan_generator", 50, 5, zoo=False, note="DCGAN generator, latent 8x100 to 8x3x64x64"),
    Benchmark("grid_sample", 200, 10, zoo=False, note="F.grid_sample, bilinear, [16, 3, 64, 64] on a 64x64 grid"),
    Benchmark("raft_small", 20, 2, zoo=False, note="torchvision RAFT-small optical flow, two 3x128x128 images, 12 refinements"),
    # Quantization rounds: an input a few ulp from LibTorch's may land on the
    # next level, which moves the outputs by that level's share.
    Benchmark("quantized_ffn", 100, 10, zoo=False, tolerance=1e-3,
              note="quantize_dynamic's int8 feed-forward block, 768 -> 3072 -> GELU -> 768, batch 128"),
    # A level moved early in the sequence feeds every later step: 4e-3 seen.
    Benchmark("quantized_lstm", 100, 10, zoo=False, tolerance=1e-2,
              note="quantize_dynamic's int8 nn.LSTM: 2 layers of 256, 32 steps, batch 16, 128 features"),
    # Static quantization: wick's levels equal LibTorch's (onednn), and the
    # tolerance is for the f32 values they stand for.
    Benchmark("resnet18_int8", 50, 5, zoo=False, tolerance=1e-5,
              note="torchvision's quantizable ResNet-18, statically quantized (onednn), batch 1, 224x224"),
    Benchmark("mobilenet_v2_int8", 100, 10, zoo=False, tolerance=1e-5,
              note="torchvision's quantizable MobileNetV2, statically quantized (onednn), batch 1, 224x224"),
    Benchmark("transformer_block_bf16", 100, 10, zoo=False, tolerance=2e-2,
              note="the transformer block in bfloat16: batch 8, seq 64, d 256, 4 heads"),
    Benchmark("resnet18_bf16", 20, 3, zoo=False, tolerance=5e-2, note="ResNet-18 in bfloat16, batch 1, 224x224"),
    Benchmark("nn5_f64", 5000, 100, zoo=False, note="NN5 in float64, batch 200"),
    Benchmark("cnn_bn_f64", 1000, 20, zoo=False, note="the CNN with batch norm in float64, batch 4, 3x32x32"),
    Benchmark("transformer_block_f64", 100, 10, zoo=False,
              note="the transformer block in float64: batch 8, seq 64, d 256, 4 heads"),
    Benchmark("gaussian_loglik", 1000, 20, zoo=False,
              note=f"Cholesky and triangular solve of {models.LINALG_BATCH} covariances "
                   f"{models.LINALG_SIZE}x{models.LINALG_SIZE}, log-likelihoods"),
    Benchmark("log_mel", 100, 5, zoo=False,
              note=f"stft (n_fft {models.N_FFT}, hop {models.HOP}), power, {models.MELS} mel filters, log; "
                   f"{models.AUDIO_CLIPS} clips of {models.AUDIO_SAMPLES} samples"),
    Benchmark("fourier_layer", 50, 5, zoo=False,
              note="Fourier neural operator layer: rfft2, complex einsum on 12x12 modes, irfft2; [8, 32, 64, 64]"),
    Benchmark("softmax_rows", 100, 5, zoo=False, note=f"[{models.ROWS}, 256], softmax over the last dim"),
    Benchmark("layer_norm_rows", 100, 5, zoo=False, note=f"[{models.ROWS}, 256], layer_norm over the last dim"),
    Benchmark("pointwise_chain", 30, 3, zoo=False, note="16M floats, 6 ops"),
    Benchmark("copy", 50, 3, zoo=False, note="16M floats"),
]

# The row reductions of bench/models.py, timed at one row length on the CPU
# (the GPU benchmark sweeps the lengths).
ROW_BENCHMARKS = ("softmax_rows", "layer_norm_rows")
ROW_SIZE = 256

MISSING_PEER = "wick bench needs the LibTorch peer plugin"
BENCH_TIMEOUT_S = 1800


class BenchError(Exception):
    pass


def relative(text: str) -> str:
    """Paths inside the repository, written relative to it."""
    return text.replace(REPO + os.sep, "")


def run(cmd: List[str], env=None, timeout=None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def prepare_models(work: str, names: List[str]) -> dict:
    """Writes the models and inputs; returns name -> (model path, input specs)."""
    zoo_dir = os.path.join(work, "zoo")
    zoo_names = [b.name for b in BENCHMARKS if b.zoo and b.name in names]
    out = {}
    if zoo_names:
        r = run([sys.executable, os.path.join(REPO, "tests", "models", "make_zoo.py"), "--out", zoo_dir,
                 "--only", *zoo_names])
        if r.returncode != 0:
            raise BenchError(f"make_zoo.py failed:\n{r.stdout}{r.stderr}")
        for name in zoo_names:
            with open(os.path.join(zoo_dir, f"{name}.meta.json")) as f:
                meta = json.load(f)
            inputs = [os.path.join(zoo_dir, i["file"]) for i in meta["inputs"]]
            out[name] = (os.path.join(zoo_dir, meta["files"]["scripted"]), inputs)
    if any(name in models.BANDWIDTH_MODELS for name in names):
        paths = models.write_models(os.path.join(work, "models"))
        for name, path in paths.items():
            if name in names:
                out[name] = (path, [str(models.BANDWIDTH_ELEMENTS)])
    videos = [name for name in names if name in ("r3d_18", "r2plus1d_18")]
    if videos:
        paths = models.write_video_models(os.path.join(work, "models"), videos)
        for name in videos:
            out[name] = (paths[name], ["x".join(str(d) for d in models.VIDEO_CLIP)])
    if "dcgan_generator" in names:
        out.update((name, (path, ["x".join(str(d) for d in models.GENERATOR_LATENT)]))
                   for name, path in models.write_generator_models(os.path.join(work, "models")).items())
    if "packed_lstm" in names:
        out.update(models.write_packed_models(os.path.join(work, "models")))
    quantized = [name for name in names if name in models.QUANTIZED_MODELS]
    if quantized:
        out.update(models.write_quantized_models(os.path.join(work, "models"), quantized))
    static = [name for name in names if name in models.STATIC_QUANTIZED_MODELS]
    if static:
        out.update(models.write_static_quantized_models(os.path.join(work, "models"), static))
    sampling = [name for name in names if name in ("grid_sample", "raft_small")]
    if sampling:
        out.update(models.write_sampling_models(os.path.join(work, "models"), sampling))
    bfloat16 = [name for name in names if name in models.BFLOAT16_MODELS]
    if bfloat16:
        out.update(models.write_bfloat16_models(os.path.join(work, "models"), bfloat16))
    if "gaussian_loglik" in names:
        out.update(models.write_linalg_models(os.path.join(work, "models")))
    spectral = [name for name in names if name in ("log_mel", "fourier_layer")]
    if spectral:
        out.update(models.write_spectral_models(os.path.join(work, "models"), spectral))
    doubles = [name for name in names if name in models.DOUBLE_MODELS]
    if doubles:
        out.update(models.write_double_models(os.path.join(work, "models"), doubles))
    rows = [name for name in names if name in ROW_BENCHMARKS]
    if rows:
        paths = models.write_row_models(os.path.join(work, "models"), sizes=[ROW_SIZE])
        for name in rows:
            out[name] = (paths[(name, ROW_SIZE)], [f"{models.ROWS}x{ROW_SIZE}"])
    return out


def bench_one(wick: str, model: str, inputs: List[str], threads: int, iters: int, warmup: int,
              tolerance: float, env: dict) -> dict:
    cmd = [wick, "bench", model, "--threads", str(threads), "--iters", str(iters),
           "--warmup", str(warmup), "--tolerance", str(tolerance), "--json"]
    for i in inputs:
        cmd += ["--input", i]
    try:
        r = run(cmd, env, timeout=BENCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"wick bench took more than {BENCH_TIMEOUT_S} s"}
    if r.returncode != 0:
        message = (r.stderr.strip() or r.stdout.strip() or f"exit status {r.returncode}")
        if MISSING_PEER in message:
            raise BenchError(message)
        return {"error": relative(message.splitlines()[0])}
    lines = r.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"error": "no JSON line in the output of wick bench"}
    return result


def git_commit() -> str:
    r = run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"])
    if r.returncode != 0:
        return "unknown"
    commit = r.stdout.strip()
    dirty = run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"])
    if dirty.returncode == 0 and dirty.stdout.strip():
        commit += " (with uncommitted changes)"
    return commit


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    os_name = platform.system()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "os": f"{os_name}, kernel {platform.release()}",
            "torch": torch_version}


def gbps(name: str, median_us: float) -> float:
    return models.bandwidth_bytes(name) / (median_us * 1e-6) / 1e9


def write_chart(results: list, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    ok = [r for r in results if "speedup" in r]
    names = list(dict.fromkeys(r["benchmark"] for r in ok))
    threads = sorted({r["threads"] for r in ok})
    width = 0.8 / max(len(threads), 1)
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for k, t in enumerate(threads):
        xs, ys = [], []
        for i, n in enumerate(names):
            for r in ok:
                if r["benchmark"] == n and r["threads"] == t:
                    xs.append(i + (k - (len(threads) - 1) / 2) * width)
                    ys.append(r["speedup"])
        bars = ax.bar(xs, ys, width, label=f"{t} thread{'s' if t > 1 else ''}")
        for b, y in zip(bars, ys):
            ax.annotate(f"{y:.2f}", (b.get_x() + b.get_width() / 2, y), ha="center", va="bottom", fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, ha="right")
    ax.set_ylabel("speedup (LibTorch median / wick median)")
    ax.set_title("wick vs LibTorch TorchScript, CPU (above 1: wick faster)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt_us(r: dict, side: str) -> str:
    return f"{r[side + '_median_us']:,.1f}"


def fmt_spread(r: dict, side: str) -> str:
    return f"{r[side + '_p10_us']:,.1f} – {r[side + '_p90_us']:,.1f}"


def write_markdown(results: list, info: dict, command: str, path: str, chart_name: str) -> None:
    notes = {b.name: b.note for b in BENCHMARKS}
    lines = [
        "<!-- Generated by bench/run_benchmarks.py. Do not edit by hand: rerun the script. -->",
        "# Benchmarks: wick vs LibTorch",
        "",
        "_This file is generated by `bench/run_benchmarks.py` and must not be edited by hand._",
        "",
        "Each row is one `wick bench` run: wick and LibTorch's TorchScript (through the",
        "`libwick_torch_peer` plugin) run the same `.pt` file in one process, on the same",
        "inputs and thread count; their outputs are checked to agree (relative error at most",
        "1e-4), then, after a warm-up, blocks of up to 10 calls alternate between the two and",
        "each call is timed. With more than one thread each of wick's blocks starts once",
        "LibTorch's threads have stopped running: its OpenMP workers spin for milliseconds after",
        "each call, on the cores wick's threads then need, and would otherwise be charged to wick.",
        "Times are per call, in microseconds: the median and the 10th–90th percentile spread.",
        "The speedup is LibTorch's median over wick's: above 1, wick is faster. These are the",
        "numbers of a single run, as measured; on a busy machine they are noisy.",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']['cpu']}, {info['machine']['cores']} logical cores, "
        f"{info['machine']['os']}",
        f"- wick commit: {info['commit']}",
        f"- LibTorch: {info['machine']['torch']}",
        f"- Command: `{command}`",
        "",
        "| benchmark | inputs | threads | iters | wick median µs | wick p10–p90 µs | "
        "LibTorch median µs | LibTorch p10–p90 µs | speedup |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = r["benchmark"]
        if "error" in r:
            lines.append(f"| {name} | {notes[name]} | {r['threads']} | – | failed: {r['error']} | | | | |")
            continue
        lines.append(
            f"| {name} | {notes[name]} | {r['threads']} | {r['iters']} | {fmt_us(r, 'wick')} | "
            f"{fmt_spread(r, 'wick')} | {fmt_us(r, 'torch')} | {fmt_spread(r, 'torch')} | "
            f"{r['speedup']:.2f}× |")
    lines += ["", f"![speedups]({chart_name})", ""]

    bw = {(r["benchmark"], r["threads"]): r for r in results
          if r["benchmark"] in models.BANDWIDTH_MODELS and "error" not in r}
    if bw:
        lines += [
            "## Memory bandwidth",
            "",
            f"One float32 tensor of {models.BANDWIDTH_ELEMENTS // (1024 * 1024)}M elements: `copy` is "
            "`x.clone()`, `pointwise_chain`",
            "is `((x * 1.5 + 0.5).relu() * x - 0.25).sigmoid()` (six pointwise ops). GB/s counts",
            "the bytes a call must move at least (the input read once, the result written once)",
            "over the median time; \"% of copy\" is the chain's bandwidth as a share of the copy's,",
            "for the same engine and thread count in this run. Each call returns a new output;",
            "wick takes its memory from the block the previous call's output freed (the CPU",
            "storage keeps large freed blocks), while LibTorch allocates every output and",
            "intermediate afresh, so its times include faulting in their pages. That, more than",
            "the kernels, is what the LibTorch columns of this table measure.",
            "",
            "| benchmark | threads | wick GB/s | LibTorch GB/s | wick % of copy | LibTorch % of copy |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for (name, t), r in sorted(bw.items(), key=lambda kv: (kv[0][0] != "pointwise_chain", kv[0][1])):
            w, tt = gbps(name, r["wick_median_us"]), gbps(name, r["torch_median_us"])
            copy = bw.get(("copy", t))
            if copy:
                wp = f"{100 * w / gbps('copy', copy['wick_median_us']):.0f}%"
                tp = f"{100 * tt / gbps('copy', copy['torch_median_us']):.0f}%"
            else:
                wp = tp = "–"
            lines.append(f"| {name} | {t} | {w:.2f} | {tt:.2f} | {wp} | {tp} |")
        lines.append("")
    text = "\n".join(lines)
    gpu = doc_sections.read_section(path)  # the GPU figures, measured elsewhere, are kept
    if gpu:
        text = doc_sections.replace_section(text, gpu)
    with open(path, "w") as f:
        f.write(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wick", default=os.path.join(REPO, "build", "bin", "wick"),
                        help="the wick binary (its ../lib holds the LibTorch peer plugin)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs"), metavar="DIR",
                        help="where benchmarks.md and benchmarks.png go (default docs/)")
    parser.add_argument("--work", metavar="DIR",
                        help="models, inputs and kernel cache (default: bench_work next to the wick build)")
    parser.add_argument("--iters", type=int, help="timed calls per side for every benchmark")
    parser.add_argument("--quick", action="store_true", help="a few iterations only, for smoke runs")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME")
    args = parser.parse_args(argv)

    known = [b.name for b in BENCHMARKS]
    unknown = [n for n in args.only if n not in known]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.iters is not None and args.iters < 1:
        parser.error("--iters must be at least 1")
    if any(t < 1 for t in args.threads):
        parser.error("--threads must be at least 1")
    wick = os.path.abspath(args.wick)
    if not os.access(wick, os.X_OK):
        parser.error(f"no wick binary at {wick} (build it, or pass --wick)")
    names = args.only or known
    work = os.path.abspath(args.work or os.path.join(os.path.dirname(os.path.dirname(wick)), "bench_work"))
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, WICK_CACHE_DIR=os.path.join(work, "kernel_cache"))

    try:
        prepared = prepare_models(work, names)
        results = []
        for b in BENCHMARKS:
            if b.name not in names:
                continue
            iters = args.iters or (3 if args.quick else b.iters)
            warmup = 1 if args.quick else min(b.warmup, iters)
            model, inputs = prepared[b.name]
            for t in args.threads:
                r = bench_one(wick, model, inputs, t, iters, warmup, b.tolerance, env)
                r.update(benchmark=b.name, threads=t)
                results.append(r)
                if "error" in r:
                    print(f"{b.name:22s} {t} thread(s): FAILED: {r['error']}", flush=True)
                else:
                    print(f"{b.name:22s} {t} thread(s): wick {r['wick_median_us']:12.1f} us  "
                          f"LibTorch {r['torch_median_us']:12.1f} us  speedup {r['speedup']:.2f}x", flush=True)
    except BenchError as e:
        print(f"run_benchmarks: {e}", file=sys.stderr)
        return 2

    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "commit": git_commit()}
    command = relative("/usr/bin/python3 bench/run_benchmarks.py" +
                       "".join(f" {a}" for a in (argv or sys.argv[1:])))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    write_chart(results, os.path.join(args.out, "benchmarks.png"))
    write_markdown(results, info, command, os.path.join(args.out, "benchmarks.md"), "benchmarks.png")
    print(f"wrote {os.path.join(args.out, 'benchmarks.md')} and benchmarks.png")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
