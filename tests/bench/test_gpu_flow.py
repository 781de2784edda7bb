#!/usr/bin/env python3
"""The GPU benchmark flow rehearsed with CPU artifacts: bench/gpu_bundle.py
builds its three parts for a few models (the jit part with the build's own
wick rather than one linked statically), each part's run.py checks and
times them beside LibTorch, compiles and trains with `wick run` and
`wick train`, and bench/gpu_report.py writes a section from the results
without touching the rest of the file. The report's arithmetic is checked on
made-up results whose figures are worked out here by hand."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench"))

import doc_sections  # noqa: E402
import gpu_report  # noqa: E402

BUILD = os.path.join(REPO, "build")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


class Rehearsal(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wick_gpu_flow_")
        run([sys.executable, os.path.join(REPO, "bench", "gpu_bundle.py"), "--device", "cpu", "--build", BUILD,
             "--out", cls.tmp, "--only", "nn5", "cnn_bn_ce_sgd", "softmax_rows", "--row-sizes", "256", "--no-archive",
             "--wick", os.path.join(BUILD, "bin", "wick")])
        res = os.path.join(cls.tmp, "results")
        run([sys.executable, os.path.join(cls.tmp, "zoo", "run.py"), "--out", res])
        run([sys.executable, os.path.join(cls.tmp, "bench", "run.py"), "--out", res, "--max-iters", "3",
             "--skip", "compile"])
        run([sys.executable, os.path.join(cls.tmp, "jit", "run.py"), "--out", res])
        cls.zoo = json.load(open(os.path.join(res, "gpu_results_zoo.json")))
        cls.bench = json.load(open(os.path.join(res, "gpu_results_bench.json")))
        cls.jit = json.load(open(os.path.join(res, "gpu_results_jit.json")))
        cls.results = [os.path.join(res, f"gpu_results_{part}.json") for part in ("zoo", "bench", "jit")]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_zoo_part_checks_against_libtorch(self):
        names = sorted(c["name"] for c in self.zoo["checks"])
        self.assertEqual(names, ["nn5.scripted", "nn5.traced"])
        for c in self.zoo["checks"]:
            self.assertTrue(c.get("ok"), c)
            self.assertLessEqual(max(c["relative_errors"]), 1e-4)
        [t] = self.zoo["tests"]
        self.assertEqual((t["name"], t["exit"], t.get("failed", 0)), ("test_cuda_gpu", 0, 0))

    def test_jit_part_compiles_and_trains_there(self):
        names = sorted(c["name"] for c in self.jit["checks"])
        version = self.jit["torch"]
        self.assertEqual(names, ["jit nn5.scripted", f"torch {version} nn5.scripted", f"torch {version} nn5.traced"])
        for c in self.jit["checks"]:
            self.assertTrue(c.get("ok"), c)
        by_name = {t["name"]: t for t in self.jit["trainings"]}
        self.assertEqual(sorted(by_name), ["cnn_bn_ce_sgd", "nn5_mse_adam", "nn5_mse_sgd"])
        for t in by_name.values():
            self.assertTrue(t.get("ok"), t)
            self.assertEqual(len(t["epoch_losses"]), 3)
            self.assertLessEqual(max(t["loss_differences"]), 1e-3)
            self.assertLessEqual(t["torch_loads_trained"], 1e-4)
        # Batch norm's running statistics came back from the trained file.
        self.assertEqual(len(by_name["cnn_bn_ce_sgd"]["buffers"]), 6)

    def test_bench_part_times_both_sides(self):
        by_name = {b["name"]: b for b in self.bench["benchmarks"]}
        self.assertEqual(sorted(by_name), ["nn5", "softmax_rows_256"])
        for b in by_name.values():
            for side in ("wick", "eager", "torchscript"):
                self.assertGreater(b[side].get("median_us", 0), 0, (b["name"], side, b[side]))
        rows = by_name["softmax_rows_256"]
        self.assertEqual(rows["bytes"], 2 * 4 * 16384 * 256)
        self.assertGreater(rows["copy"]["median_us"], 0)
        self.assertLessEqual(rows["relative_error"], 1e-4)

    def test_report_rewrites_only_its_section(self):
        doc = os.path.join(self.tmp, "doc.md")
        with open(doc, "w") as f:
            f.write("# CPU figures\n\nkept as they are\n")
        for _ in range(2):
            run([sys.executable, os.path.join(REPO, "bench", "gpu_report.py"), *self.results, "--doc", doc])
        with open(doc) as f:
            text = f.read()
        self.assertTrue(text.startswith("# CPU figures\n\nkept as they are\n"))
        self.assertEqual(text.count(doc_sections.GPU_BEGIN), 1)
        self.assertIn("3 of 3 within", text)  # nn5 scripted and traced, and nn5 again in the bench part
        self.assertIn("(`wick run`) against LibTorch's outputs: 1 of 1 within", text)
        self.assertIn("on the GPU machine writes them (scripted and traced), compiled there, against its outputs: "
                      "2 of 2 within", text)
        self.assertIn("| cnn_bn_ce_sgd | yes |", text)
        self.assertIn("| softmax_rows | [16384, 256] |", text)

    def test_report_refuses_a_rehearsal_for_the_real_document(self):
        r = subprocess.run([sys.executable, os.path.join(REPO, "bench", "gpu_report.py"), *self.results],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("CPU rehearsal", r.stderr)


class ReportArithmetic(unittest.TestCase):
    def test_bandwidth_and_ratios(self):
        # 8e9 bytes: a copy in 4000 µs is 2000 GB/s; wick in 5000 µs is 1600
        # GB/s, 80% of the copy; eager in 10000 µs is 800 GB/s, 2.00x wick.
        results = [{"device": "cuda", "gpu": "G", "sm": "sm_90", "cuda": "13.0", "torch": "2.11", "date": "d",
                    "benchmarks": [
                        {"name": "r", "label": "softmax_rows [16384, 65536]", "bytes": 8e9,
                         "wick": {"median_us": 5000.0}, "eager": {"median_us": 10000.0},
                         "copy": {"median_us": 4000.0}, "relative_error": 1e-7},
                        {"name": "m", "label": "M", "wick": {"median_us": 10.0, "cuda_graph": True},
                         "eager": {"median_us": 30.0}, "torchscript": {"median_us": 25.0},
                         "compile": {"median_us": 15.0}}]}]
        text = gpu_report.section(results, "cmd")
        self.assertIn("| softmax_rows | [16384, 65536] | 1600 | 80% | 800 | – | 2000 | 2.00× | 1e-07 |", text)
        self.assertIn("| M | 10.0 | yes | 30.0 | 25.0 | 15.0 | 3.00× | 1.50× |", text)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=BUILD)
    args, rest = p.parse_known_args()
    BUILD = args.build
    unittest.main(argv=[sys.argv[0]] + rest)
