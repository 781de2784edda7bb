// Test helpers for files run through jit_load: the module compiled without
// the on-disk kernel cache, and an output compared with LibTorch's.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "test_paths.h"
#include "tests/frontend/python_helpers.h"

namespace wick::test {

inline JitModule load_uncached(const std::string& path) {
  JitOptions o;
  o.cache_dir = "off";
  return JitModule(load_torchscript(path), o, path);
}

// `got` has `want`'s sizes and each f32 element within tol * max(1, max|want|).
inline void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what = "output") {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  double scale = 1;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(double(want.data_as<float>()[i])));
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(got.data_as<float>()[i], want.data_as<float>()[i], tol * scale) << what << ", element " << i;
}

inline double element_value(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::i64) return static_cast<double>(t.data_as<int64_t>()[i]);
  if (t.dtype() == DType::i32) return static_cast<double>(t.data_as<int32_t>()[i]);
  return t.dtype() == DType::f64 ? t.data_as<double>()[i] : static_cast<double>(t.data_as<float>()[i]);
}

// max|got - want| / max|want| over f32, f64, i64 or i32 tensors of one dtype and
// shape; NaN and infinities must sit where they do in `want`.
inline double relative_error(const Tensor& got, const Tensor& want, const std::string& what) {
  EXPECT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_EQ(got.dtype(), want.dtype()) << what;
  if (got.sizes() != want.sizes() || got.dtype() != want.dtype()) return INFINITY;
  const Tensor g = got.contiguous();
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double x = element_value(g, i), y = element_value(want, i);
    if (!std::isfinite(y)) {
      EXPECT_TRUE(std::isnan(y) ? std::isnan(x) : x == y) << what << ", element " << i << ": " << x << " for " << y;
      continue;
    }
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return diff / std::max(scale, 1e-30);
}

// A Python function for the scripts of PythonFiles suites:
// save_run(model, inputs, tag) saves the inputs, LibTorch's outputs of the
// saved `model` on them and their count, as TAG_in<i>.npy, TAG_out<i>.npy
// and TAG_count.txt; expect_saved_run checks wick's outputs against them.
inline constexpr const char* kSaveRunPython = R"py(
def save_run(model, inputs, tag):
    for i, t in enumerate(inputs):
        np.save(f"{tag}_in{i}.npy", t.numpy())
    with torch.no_grad():
        outs = torch.jit.load(model)(*inputs)
    for i, t in enumerate(outs):
        np.save(f"{tag}_out{i}.npy", t.contiguous().numpy())
    with open(f"{tag}_count.txt", "w") as f:
        f.write(str(len(outs)))
)py";

// wick's outputs of `dir`/`model` on the `num_inputs` inputs save_run saved
// under `tag`: as many as LibTorch's, each of its shape and dtype, floating
// ones within `tolerance` (relative to the largest), integer ones exact.
inline void expect_saved_run(const std::string& dir, const std::string& model, const std::string& tag, int num_inputs,
                             double tolerance) {
  std::vector<Tensor> inputs;
  for (int i = 0; i < num_inputs; ++i) inputs.push_back(read_npy(dir + "/" + tag + "_in" + std::to_string(i) + ".npy"));
  const auto outs = load_uncached(dir + "/" + model).forward(inputs);
  ASSERT_EQ(std::to_string(outs.size()), slurp(dir + "/" + tag + "_count.txt"));
  for (size_t i = 0; i < outs.size(); ++i) {
    const Tensor want = read_npy(dir + "/" + tag + "_out" + std::to_string(i) + ".npy");
    const std::string what = tag + " output " + std::to_string(i);
    ASSERT_EQ(outs[i].sizes(), want.sizes()) << what;
    ASSERT_EQ(outs[i].dtype(), want.dtype()) << what;
    EXPECT_LE(relative_error(outs[i], want, what), is_floating(want.dtype()) ? tolerance : 0.0) << what;
  }
}

// Compiles `model` ahead of time into `dir` (`compile_args`: its --input and
// --dynamic-dim options), runs the deployed directory with `run_args` (its
// --input options), and checks its `count` outputs against
// `want_prefix`<i>.npy within `tolerance`. Logs go beside `dir`.
inline void expect_deployed_match(const std::string& model, const std::string& compile_args, const std::string& dir,
                                  const std::string& run_args, const std::string& want_prefix, int count,
                                  double tolerance) {
  const std::string bin = test_paths::binary_dir() + "/bin/";
  const std::string compile = bin + "wick compile '" + model + "'" + compile_args + " -o '" + dir + "' > '" + dir +
                              ".compile.log' 2>&1";
  ASSERT_EQ(std::system(compile.c_str()), 0) << slurp(dir + ".compile.log");
  const std::string out = dir + "_out";
  const std::string run = bin + "wick-deploy-run '" + dir + "'" + run_args + " --output-dir '" + out + "' > '" + dir +
                          ".run.log' 2>&1";
  ASSERT_EQ(std::system(run.c_str()), 0) << slurp(dir + ".run.log");
  for (int i = 0; i < count; ++i) {
    const Tensor got = read_npy(out + "/output" + std::to_string(i) + ".npy");
    const Tensor want = read_npy(want_prefix + std::to_string(i) + ".npy");
    EXPECT_LE(relative_error(got, want, "output " + std::to_string(i)), tolerance) << "output " << i;
  }
}

}  // namespace wick::test
