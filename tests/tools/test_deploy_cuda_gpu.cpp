// CUDA artifacts on a GPU: zoo models compiled with `wick compile --device
// cuda` and run through the C API (libwick_runtime.so alone) and through
// wick-deploy-run match LibTorch's outputs (the zoo's references), both from
// the cubins built for the GPU's architecture and from PTX the driver
// compiles for it (a directory built for sm_75 only). Every case is skipped,
// saying why, where the driver reports no GPU.
#include <gtest/gtest.h>


#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "runtime/wick_runtime.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

namespace fs = std::filesystem;

// Whether this machine runs CUDA artifacts, asked the way a deployed program
// would: open one. Compiled once per process.
std::string no_gpu_reason() {
  static const std::string reason = [] {
    ArtifactDir probe("mlp_relu", "cuda_gpu_probe", "--device cuda");
    if (probe.path().empty()) return std::string("the probe model did not compile");
    wick_model* m = nullptr;
    const wick_status status = wick_model_open(probe.path().c_str(), &m);
    wick_model_close(m);
    if (status == WICK_ERROR_DEVICE) return std::string(wick_last_error());
    return std::string();  // opened, or failed for another reason that the tests will report
  }();
  return reason;
}

#define REQUIRE_GPU()                                                            \
  do {                                                                           \
    const std::string why_ = no_gpu_reason();                                    \
    if (!why_.empty()) GTEST_SKIP() << "no usable CUDA GPU: " << why_;           \
  } while (0)

struct Owned {
  wick_tensor* t = nullptr;
  ~Owned() { wick_tensor_free(t); }
};

// max|a - b| / max|b| over float32 tensors; infinity on a shape mismatch.
double relative_error(const wick_tensor* a, const wick_tensor* b) {
  if (wick_tensor_dtype(a) != WICK_FLOAT32 || wick_tensor_dtype(b) != WICK_FLOAT32 ||
      wick_tensor_nbytes(a) != wick_tensor_nbytes(b))
    return INFINITY;
  const float* x = static_cast<const float*>(wick_tensor_data(a));
  const float* y = static_cast<const float*>(wick_tensor_data(b));
  double diff = 0, ref = 0;
  for (size_t i = 0; i < wick_tensor_nbytes(a) / sizeof(float); ++i) {
    diff = std::max(diff, std::fabs(double(x[i]) - y[i]));
    ref = std::max(ref, std::fabs(double(y[i])));
  }
  return ref > 0 ? diff / ref : diff;
}

std::string ref_path(const std::string& model, size_t i) {
  return std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.ref" + std::to_string(i) + ".npy";
}

// Opens `dir`, runs it on the zoo inputs of `model` and compares with
// LibTorch; then the same through wick-deploy-run.
void expect_matches_libtorch(const std::string& dir, const std::string& model) {
  wick_model* m = nullptr;
  ASSERT_EQ(wick_model_open(dir.c_str(), &m), WICK_OK) << wick_last_error();
  EXPECT_STREQ(wick_model_device(m), "cuda");
  const std::vector<std::string> inputs = zoo_inputs(model);
  std::vector<Owned> in(inputs.size());
  std::vector<wick_buffer> buffers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(wick_npy_read(inputs[i].c_str(), &in[i].t), WICK_OK) << wick_last_error();
    buffers.push_back(wick_tensor_buffer(in[i].t));
  }
  const size_t n = static_cast<size_t>(wick_model_num_outputs(m));
  std::vector<wick_tensor*> out(n, nullptr);
  // Twice: the second run replays the CUDA graph captured after the first.
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    ASSERT_EQ(wick_model_run_alloc(m, buffers.data(), buffers.size(), out.data(), n), WICK_OK) << wick_last_error();
    for (size_t i = 0; i < n; ++i) {
      Owned got{out[i]}, ref;
      ASSERT_EQ(wick_npy_read(ref_path(model, i).c_str(), &ref.t), WICK_OK) << wick_last_error();
      EXPECT_LE(relative_error(got.t, ref.t), 1e-4) << "output " << i;
    }
  }
  wick_model_close(m);

  const std::string out_dir = dir + "_out";
  const CliResult r = run_tool("wick-deploy-run", dir + input_args(inputs) + " --output-dir " + out_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  for (size_t i = 0; i < n; ++i) {
    Owned got, ref;
    ASSERT_EQ(wick_npy_read((out_dir + "/output" + std::to_string(i) + ".npy").c_str(), &got.t), WICK_OK);
    ASSERT_EQ(wick_npy_read(ref_path(model, i).c_str(), &ref.t), WICK_OK);
    EXPECT_LE(relative_error(got.t, ref.t), 1e-4) << "wick-deploy-run output " << i;
  }
  fs::remove_all(out_dir);
}

class DeployCudaGpu : public ::testing::TestWithParam<std::string> {};

// The default architectures (sm_80, sm_90): an A100 or H100/H200 loads the
// cubins, other GPUs of sm_80 or newer the PTX.
TEST_P(DeployCudaGpu, MatchesLibTorch) {
  REQUIRE_GPU();
  ArtifactDir artifact(GetParam(), "cuda_gpu_" + GetParam(), "--device cuda");
  ASSERT_FALSE(artifact.path().empty());
  expect_matches_libtorch(artifact.path(), GetParam());
}

// PTX for sm_75 and a cubin for it only: on any newer GPU every kernel is
// compiled by the driver from the PTX.
TEST_P(DeployCudaGpu, MatchesLibTorchFromPtx) {
  REQUIRE_GPU();
  ArtifactDir artifact(GetParam(), "cuda_gpu_ptx_" + GetParam(), "--device cuda --gpu-arch sm_75");
  ASSERT_FALSE(artifact.path().empty());
  expect_matches_libtorch(artifact.path(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Models, DeployCudaGpu,
                         ::testing::Values("nn5", "mlp_relu", "cnn_bn", "transformer_block", "two_inputs_tuple"),
                         [](const auto& info) { return info.param; });

TEST(DeployCudaGpuDevice, ADeviceIndexTooHighIsNamed) {
  REQUIRE_GPU();
  ArtifactDir artifact("nn5", "cuda_gpu_index", "--device cuda");
  ASSERT_FALSE(artifact.path().empty());
  setenv("WICK_CUDA_DEVICE", "999", 1);
  wick_model* m = nullptr;
  EXPECT_EQ(wick_model_open(artifact.path().c_str(), &m), WICK_ERROR_DEVICE);
  EXPECT_NE(std::string(wick_last_error()).find("CUDA device 999 requested"), std::string::npos) << wick_last_error();
  unsetenv("WICK_CUDA_DEVICE");
  wick_model_close(m);
}

}  // namespace
}  // namespace wick::testing
