// Test helpers of the trainer's tests: train_reference.py (training with
// torch.optim, run in a test's folder), comparisons of its results with
// wick's, and a check of the message an error gives.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "../frontend/python_helpers.h"
#include "api/trainer.h"
#include "test_paths.h"

namespace wick::test {

inline std::string train_reference_script() { return std::string(wick::test_paths::source_dir()) + "/tests/api/train_reference.py"; }

inline int train_reference(const TempDir& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir.path().string() + "' && PYTHONDONTWRITEBYTECODE=1 " + test::python_command() +
                          " '" + train_reference_script() + "' " + args + " >>log.txt 2>&1";
  return std::system(cmd.c_str());
}

inline std::string optimizer_args(const OptimizerConfig& o) {
  char buf[256];
  const char* name = optimizer_name(o.kind);
  std::snprintf(buf, sizeof buf, "--optimizer %s --lr %.17g --momentum %.17g --dampening %.17g --weight-decay %.17g%s",
                name, o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov ? " --nesterov" : "");
  return buf;
}

inline std::vector<float> floats(const Tensor& t) {
  Tensor c = t.contiguous();
  std::vector<float> v(static_cast<size_t>(c.numel()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = c.dtype() == DType::f32 ? c.data_as<float>()[i] : static_cast<float>(c.data_as<int64_t>()[i]);
  return v;
}

// max |a - b| / max |b|, the project's relative error.
inline double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  const std::vector<float> x = floats(a), y = floats(b);
  double diff = 0, scale = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(x[i]) - y[i]));
    scale = std::max(scale, std::abs(static_cast<double>(y[i])));
  }
  return diff / (scale == 0 ? 1 : scale);
}

// f() must throw a wick::Error whose message contains `text`.
inline void expect_error(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace wick::test
