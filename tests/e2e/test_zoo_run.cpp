// Every zoo model, scripted and traced, through `wick run` on fresh random
// inputs at two batch sizes, against LibTorch's outputs for the same inputs:
// relative error max|out - ref| / max|ref| at most 1e-4 for every output of
// every tuple, exact for integer outputs. The same on an NVIDIA GPU with
// `wick run --device cuda` (plain fp32, no TF32), skipped without one.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "runtime/cuda_driver.h"
#include "runtime/npy.h"

namespace wick {
namespace {

struct Case {
  std::string model, variant, pt;
  int batch = 0;
  std::vector<std::string> inputs, refs;
};

std::vector<Case> read_cases(std::string* seed) {
  std::ifstream in(WICK_BINARY_DIR "/fresh_cases/cases.txt");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    if (line.rfind("seed ", 0) == 0) {
      *seed = line.substr(5);
      continue;
    }
    Case c;
    size_t n = 0;
    s >> c.model >> c.variant >> c.batch >> c.pt >> n;
    c.inputs.resize(n);
    for (auto& x : c.inputs) s >> x;
    s >> n;
    c.refs.resize(n);
    for (auto& x : c.refs) s >> x;
    cases.push_back(c);
  }
  return cases;
}

double to_double(const Tensor& t, int64_t i) {
  const void* p = t.data();
  switch (t.dtype()) {
    case DType::f32: return static_cast<const float*>(p)[i];
    case DType::f64: return static_cast<const double*>(p)[i];
    case DType::i64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::i32: return static_cast<const int32_t*>(p)[i];
    case DType::b8: return static_cast<const uint8_t*>(p)[i];
    default: ADD_FAILURE() << "unexpected dtype"; return 0;
  }
}

// max|out - ref| / max|ref|; NaN and inf must sit in the same places.
double relative_error(const Tensor& out, const Tensor& ref, std::string* problem) {
  if (out.dtype() != ref.dtype()) {
    *problem = "dtype " + std::string(dtype_name(out.dtype())) + " vs " + std::string(dtype_name(ref.dtype()));
    return INFINITY;
  }
  if (out.sizes() != ref.sizes()) {
    *problem = "shape " + shape_str(out.sizes()) + " vs " + shape_str(ref.sizes());
    return INFINITY;
  }
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < out.numel(); ++i) {
    double a = to_double(out, i), b = to_double(ref, i);
    if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) {
      if (!(std::isnan(a) && std::isnan(b)) && a != b) {
        *problem = "non-finite mismatch at " + std::to_string(i) + ": " + std::to_string(a) + " vs " + std::to_string(b);
        return INFINITY;
      }
      continue;
    }
    max_diff = std::max(max_diff, std::fabs(a - b));
    max_ref = std::max(max_ref, std::fabs(b));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

// Runs every fresh case of `model` with `wick run --device <device>`.
void check_model(const std::string& model, const std::string& device) {
  std::string seed;
  auto cases = read_cases(&seed);
  ASSERT_FALSE(cases.empty()) << "no fresh cases: run the zoo_fresh_cases test first";
  SCOPED_TRACE("input seed " + seed);
  int ran = 0;
  std::set<int> batches;
  for (const Case& c : cases) {
    if (c.model != model) continue;
    SCOPED_TRACE(c.model + "." + c.variant + " at batch " + std::to_string(c.batch));
    std::string out = testing::temp_dir("zoo_" + device + "_" + c.model + "_" + c.variant + "_" + std::to_string(c.batch));
    std::string cmd = "run " + c.pt + " --device " + device + " --output-dir " + out;
    for (const std::string& i : c.inputs) cmd += " --input " + i;
    auto r = testing::run_wick(cmd);
    ASSERT_EQ(r.status, 0) << r.err;
    for (size_t j = 0; j < c.refs.size(); ++j) {
      Tensor ref = read_npy(c.refs[j]);
      Tensor got = read_npy(out + "/output" + std::to_string(j) + ".npy");
      std::string problem;
      double err = relative_error(got, ref, &problem);
      const double tolerance = is_floating(ref.dtype()) ? 1e-4 : 0.0;
      EXPECT_LE(err, tolerance) << "output " << j << " " << problem;
    }
    std::ifstream extra(out + "/output" + std::to_string(c.refs.size()) + ".npy");
    EXPECT_FALSE(extra.good()) << "wick wrote more outputs than LibTorch returns";
    batches.insert(c.batch);
    ++ran;
  }
  EXPECT_GE(ran, 2) << "no cases for model " << model;
  EXPECT_EQ(batches.size(), 2u);
}

class ZooCpu : public ::testing::TestWithParam<std::string> {};
class ZooCuda : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooCpu, MatchesLibTorchAtTwoBatchSizes) { check_model(GetParam(), "cpu"); }

TEST_P(ZooCuda, MatchesLibTorchAtTwoBatchSizes) {
  if (!rt::cuda_available()) GTEST_SKIP() << "no NVIDIA GPU here";
  check_model(GetParam(), "cuda");
}

const std::vector<std::string> kModels = {"mlp_relu",      "nn5",          "cnn_bn",     "resnet18",  "mobilenet_v2",
                                          "transformer_block", "control_flow", "two_inputs_tuple",
                                          "nested_tuple",  "embedding_classifier", "ops_pointwise", "ops_shape",
                                          "ops_reduce",    "ops_linalg",   "losses"};
INSTANTIATE_TEST_SUITE_P(Models, ZooCpu, ::testing::ValuesIn(kModels));
INSTANTIATE_TEST_SUITE_P(Models, ZooCuda, ::testing::ValuesIn(kModels));

}  // namespace
}  // namespace wick
