#!/usr/bin/env python3
"""Writes the GPU section of docs/benchmarks.md from the results that
bench/gpu_run.py brought back from the GPU machine (see bench/gpu_bundle.py):

    /usr/bin/python3 bench/gpu_report.py RESULTS/gpu_results_zoo.json RESULTS/gpu_results_bench.json \
        RESULTS/gpu_results_jit.json

Only the section between the GPU markers is rewritten; the CPU figures of
bench/run_benchmarks.py stay. Results of a CPU rehearsal (a bundle built with
--device cpu) are refused unless --doc names another file.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import doc_sections  # noqa: E402

TOLERANCE = 1e-4
DOC = os.path.join(REPO, "docs", "benchmarks.md")


def median(side: dict):
    return side.get("median_us") if isinstance(side, dict) else None


def us(side: dict) -> str:
    m = median(side)
    if m is None:
        err = side.get("error", "not run") if isinstance(side, dict) else "not run"
        return f"– ({err.splitlines()[0][:80]})" if err else "–"
    return f"{m:.1f}" if m < 1000 else f"{m:,.0f}"


def ratio(num: dict, den: dict) -> str:
    a, b = median(num), median(den)
    return f"{a / b:.2f}×" if a and b else "–"


def gbps(nbytes: int, side: dict):
    m = median(side)
    return nbytes / (m * 1e3) if m else None  # bytes / (µs * 1e3) = GB/s


def fmt_gbps(v) -> str:
    return f"{v:.0f}" if v is not None else "–"


def pct(v, copy) -> str:
    return f"{100 * v / copy:.0f}%" if v is not None and copy else "–"


def section(results: list, command: str) -> str:
    info = next((r for r in results if r.get("device")), results[0])
    where = (f"{info.get('gpu', 'CPU rehearsal')} ({info.get('sm', info['device'])}), CUDA {info.get('cuda', '–')}, "
             f"PyTorch {info['torch']}")
    lines = [doc_sections.GPU_BEGIN, "## NVIDIA GPU", "",
             f"- Date: {info['date']}", f"- Device: {where}", f"- Command: `{command}`", "",
             "Measured by `bench/gpu_run.py` on the GPU machine from a bundle of directories",
             "compiled here with `wick compile --device cuda` (`bench/gpu_bundle.py`). Every call",
             "is timed alike on each side: inputs already on the GPU, the call, a device",
             "synchronize; the median over the timed calls after a warm-up. TF32 is off. wick's",
             "calls go through the runtime alone (`wick-artifact-bench`); PyTorch runs the same",
             "models eager, as TorchScript (`torch.jit.load` of the same `.pt`) and through",
             "`torch.compile` (default mode).", ""]
    tests = [t for r in results for t in r.get("tests", [])]
    for t in tests:
        lines.append(f"- `{t['name']}`: {t.get('passed', 0)} passed, {t.get('skipped', 0)} skipped, "
                     f"{t.get('failed', 0)} failed (exit {t['exit']})")
    torch_there = next((r["torch"] for r in results if r.get("part") == "jit"), "there")
    for kind, label in (("artifact", "Zoo models against LibTorch's outputs"),
                        ("jit", "Zoo models compiled on the GPU machine (`wick run`) against LibTorch's outputs"),
                        ("written_here", f"Zoo models as PyTorch {torch_there} on the GPU machine writes them "
                                         "(scripted and traced), compiled there, against its outputs")):
        checks = [c for r in results for c in r.get("checks", []) if c.get("kind", "artifact") == kind]
        if not checks:
            continue
        worst = max((max(e for e in c["relative_errors"] if e is not None) for c in checks
                     if c.get("relative_errors") and any(e is not None for e in c["relative_errors"])), default=None)
        bad = [c["name"] for c in checks if not c.get("ok")]
        lines.append(f"- {label}: {len(checks) - len(bad)} of {len(checks)} within "
                     f"{TOLERANCE:g}" + (f" (largest relative error {worst:.2g})" if worst is not None else "") +
                     (f"; failing: {', '.join(bad)}" if bad else ""))
    lines.append("")

    trainings = [t for r in results for t in r.get("trainings", [])]
    if trainings:
        lines += ["### Training", "",
                  "`wick train` on the GPU machine against torch.optim's training of the same model on the",
                  "same batches from the same weights: the largest per-epoch loss difference, the",
                  "trained model's predictions against torch's trained model, and that PyTorch there",
                  "loads the trained `.pt` and predicts what wick predicts (relative errors).", "",
                  "| training | ok | epoch losses | vs torch-trained | PyTorch on the .pt | buffers | s |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for t in trainings:
            if "error" in t:
                lines.append(f"| {t['name']} | error: {t['error'].splitlines()[-1][:120]} | | | | | |")
                continue
            buffers = max(t.get("buffers", {}).values(), default=None)
            torch_side = t.get("torch_loads_trained")
            lines.append(f"| {t['name']} | {'yes' if t.get('ok') else 'no'} | {max(t['loss_differences']):.2g} | "
                         f"{t['prediction_vs_torch_trained']:.2g} | "
                         f"{f'{torch_side:.2g}' if torch_side is not None else t.get('torch_error', '–')[:80]} | "
                         f"{f'{buffers:.2g}' if buffers is not None else '–'} | {t['seconds']} |")
        lines.append("")

    benches = [b for r in results for b in r.get("benchmarks", [])]
    rows = [b for b in benches if "bytes" in b]
    if rows:
        lines += ["### Row reductions", "",
                  "GB/s counts the bytes a call must move (the input read once, the output written",
                  "once) over the median time; \"% of copy\" is against a device-to-device copy of",
                  "the same bytes (`dst.copy_(x)`) in the same run.", "",
                  "| op | shape | wick GB/s | wick % of copy | eager GB/s | torch.compile GB/s | copy GB/s | "
                  "wick vs eager | rel. error |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for b in rows:
            copy = gbps(b["bytes"], b.get("copy"))
            w = gbps(b["bytes"], b.get("wick"))
            err = b.get("relative_error")
            lines.append(
                f"| {b['label'].split(' ')[0]} | {b['label'].split(' ', 1)[1]} | {fmt_gbps(w)} | {pct(w, copy)} | "
                f"{fmt_gbps(gbps(b['bytes'], b.get('eager')))} | {fmt_gbps(gbps(b['bytes'], b.get('compile')))} | "
                f"{fmt_gbps(copy)} | {ratio(b.get('eager'), b.get('wick'))} | "
                f"{f'{err:.2g}' if isinstance(err, float) else '–'} |")
        lines.append("")
    others = [b for b in benches if "bytes" not in b]
    if others:
        lines += ["### Models", "",
                  "Per call, µs (median). The ratios are PyTorch's time over wick's: above 1, wick is",
                  "faster. \"graph\": wick replays the whole plan as one CUDA graph.", "",
                  "| benchmark | wick | graph | eager | TorchScript | torch.compile | vs eager | vs torch.compile |",
                  "|---|---:|---|---:|---:|---:|---:|---:|"]
        for b in others:
            w = b.get("wick", {})
            graph = "yes" if w.get("cuda_graph") else "no"
            lines.append(f"| {b['label']} | {us(w)} | {graph} | {us(b.get('eager'))} | {us(b.get('torchscript'))} | "
                         f"{us(b.get('compile'))} | {ratio(b.get('eager'), w)} | {ratio(b.get('compile'), w)} |")
        lines.append("")
    notes = [n for r in results for n in r.get("notes", []) if not n.startswith("binaries started")]
    for n in notes:
        lines.append(f"- {n}")
    lines.append(doc_sections.GPU_END)
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="+", metavar="gpu_results_PART.json")
    p.add_argument("--doc", default=None, metavar="FILE", help="the markdown file to update (docs/benchmarks.md)")
    p.add_argument("--command", default="python3 BUNDLE/run.py --out DIR (zoo and bench bundles)")
    args = p.parse_args(argv)
    results = []
    for path in args.results:
        with open(path) as f:
            results.append(json.load(f))
    if args.doc is None and any(r["device"] != "cuda" for r in results):
        print("gpu_report.py: these are results of a CPU rehearsal; give --doc to write them elsewhere",
              file=sys.stderr)
        return 1
    doc = args.doc or DOC
    text = open(doc).read() if os.path.exists(doc) else ""
    with open(doc, "w") as f:
        f.write(doc_sections.replace_section(text, section(results, args.command)))
    print(f"wrote the GPU section of {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
