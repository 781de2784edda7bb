// Every zoo model, scripted and traced, through `wick run` on fresh random
// inputs at two batch sizes, against LibTorch's outputs for the same inputs:
// relative error max|out - ref| / max|ref| at most 1e-4 (looser for the bf16
// and f16 models: testing::zoo_tolerance) for every output of every tuple,
// exact for integer outputs. The same on an NVIDIA GPU with `wick run
// --device cuda` (plain fp32, no TF32), skipped without one.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "fresh_cases.h"
#include "runtime/cuda_driver.h"
#include "runtime/npy.h"

namespace wick {
namespace {

// Runs every fresh case of `model` with `wick run --device <device>`.
void check_model(const std::string& model, const std::string& device) {
  std::string seed;
  auto cases = testing::read_fresh_cases(&seed);
  ASSERT_FALSE(cases.empty()) << "no fresh cases: run the zoo_fresh_cases test first";
  SCOPED_TRACE("input seed " + seed);
  int ran = 0;
  std::set<int> batches;
  for (const testing::FreshCase& c : cases) {
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
      double err = testing::relative_error(got, ref, &problem);
      const double tolerance = is_floating(ref.dtype()) ? testing::zoo_tolerance(model) : 0.0;
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
                                          "ops_reduce",    "ops_linalg",   "losses", "ctc",       "attention_layers",
                                          "attention_masks", "transformer",  "multihead_attention",
                                          "recurrent", "ops_extra", "dense_block", "dict_model", "writes", "writes_loops", "ops_math", "cells_distances", "volumes", "ops_sort", "ops_scans_bits", "embedding_bags", "resampling", "scatter_reduce", "pool_indices", "masks", "sampling_grids", "ops_more", "ops_conveniences", "quantized_dynamic", "quantized_recurrent", "embedding_max_norm", "ops_special", "ops_select", "spectral", "bfloat16", "float16", "float64"};
INSTANTIATE_TEST_SUITE_P(Models, ZooCpu, ::testing::ValuesIn(kModels));
INSTANTIATE_TEST_SUITE_P(Models, ZooCuda, ::testing::ValuesIn(kModels));

}  // namespace
}  // namespace wick
