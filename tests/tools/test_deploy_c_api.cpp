// The runtime's C API (wick_runtime.h) on directories written by `wick
// compile`: models open, describe their inputs and outputs and run with
// caller buffers or runtime-allocated outputs, matching LibTorch's outputs;
// every damaged directory and every bad argument gives its status code and a
// message naming the problem, never a crash; a CUDA model on a machine whose
// driver cannot be loaded (a missing file here, for the whole process) is
// WICK_ERROR_DEVICE. Links libwick_runtime.so only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "runtime/wick_runtime.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

// No model here runs on a GPU except the one that must fail to: the driver
// is a missing file, set before anything could load it.
const bool kEnvironment = [] {
  setenv("WICK_CUDA_DRIVER", "/nonexistent/wick/libcuda.so.1", 1);
  return true;
}();

struct Tensor {
  wick_tensor* t = nullptr;
  Tensor() = default;
  explicit Tensor(wick_tensor* p) : t(p) {}
  Tensor(Tensor&& o) noexcept : t(o.t) { o.t = nullptr; }
  ~Tensor() { wick_tensor_free(t); }
  const float* f32() const { return static_cast<const float*>(wick_tensor_data(t)); }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < wick_tensor_rank(t); ++d) n *= wick_tensor_sizes(t)[d];
    return n;
  }
};

Tensor npy(const std::string& path) {
  wick_tensor* t = nullptr;
  EXPECT_EQ(wick_npy_read(path.c_str(), &t), WICK_OK) << wick_last_error();
  return Tensor(t);
}

// max|a - b| / max|b| for float32 tensors of the same shape.
double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(wick_tensor_rank(a.t), wick_tensor_rank(b.t));
  EXPECT_EQ(a.numel(), b.numel());
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < std::min(a.numel(), b.numel()); ++i) {
    diff = std::max(diff, std::fabs(double(a.f32()[i]) - b.f32()[i]));
    ref = std::max(ref, std::fabs(double(b.f32()[i])));
  }
  return ref > 0 ? diff / ref : diff;
}

struct Model {
  wick_model* m = nullptr;
  ~Model() { wick_model_close(m); }
};

std::string ref_path(const std::string& model, int i) {
  return std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.ref" + std::to_string(i) + ".npy";
}

TEST(DeployCApi, OpenDescribeAndRunBothWays) {
  ArtifactDir artifact("two_inputs_tuple", "c_api_run");
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  Model model;
  ASSERT_EQ(wick_model_open(dir.c_str(), &model.m), WICK_OK) << wick_last_error();
  ASSERT_EQ(wick_model_num_inputs(model.m), 2);
  ASSERT_EQ(wick_model_num_outputs(model.m), 2);
  EXPECT_STREQ(wick_model_input_name(model.m, 0), "x");
  EXPECT_STREQ(wick_model_input_name(model.m, 1), "y");
  EXPECT_STREQ(wick_model_output_name(model.m, 1), "output1");
  EXPECT_STREQ(wick_model_device(model.m), "cpu");
  wick_dtype dtype = WICK_BOOL;
  int32_t rank = -1;
  int64_t sizes[WICK_MAX_RANK] = {0};
  ASSERT_EQ(wick_model_input_info(model.m, 0, &dtype, &rank, sizes), WICK_OK);
  EXPECT_EQ(dtype, WICK_FLOAT32);
  EXPECT_EQ(rank, 2);
  EXPECT_EQ(sizes[0], 4);
  EXPECT_EQ(sizes[1], 8);
  ASSERT_EQ(wick_model_output_info(model.m, 1, &dtype, &rank, sizes), WICK_OK);
  EXPECT_EQ(rank, 1);
  EXPECT_EQ(sizes[0], 4);

  const auto inputs = zoo_inputs("two_inputs_tuple");
  Tensor x = npy(inputs[0]), y = npy(inputs[1]);
  wick_buffer in[2] = {wick_tensor_buffer(x.t), wick_tensor_buffer(y.t)};
  wick_tensor* out[2] = {nullptr, nullptr};
  ASSERT_EQ(wick_model_run_alloc(model.m, in, 2, out, 2), WICK_OK) << wick_last_error();
  Tensor o0(out[0]), o1(out[1]);
  EXPECT_LE(relative_error(o0, npy(ref_path("two_inputs_tuple", 0))), 1e-4);
  EXPECT_LE(relative_error(o1, npy(ref_path("two_inputs_tuple", 1))), 1e-4);

  // Into caller buffers: the same numbers.
  float b0[16], b1[4];
  const int64_t s0[] = {4, 4}, s1[] = {4};
  wick_buffer bufs[2] = {{b0, sizeof b0, WICK_FLOAT32, 2, s0}, {b1, sizeof b1, WICK_FLOAT32, 1, s1}};
  ASSERT_EQ(wick_model_run(model.m, in, 2, bufs, 2), WICK_OK) << wick_last_error();
  EXPECT_EQ(std::memcmp(b0, o0.f32(), sizeof b0), 0);
  EXPECT_EQ(std::memcmp(b1, o1.f32(), sizeof b1), 0);
}

TEST(DeployCApi, IntegerInputsAndThreads) {
  ArtifactDir artifact("embedding_classifier", "c_api_int");
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  Model model;
  ASSERT_EQ(wick_model_open(dir.c_str(), &model.m), WICK_OK) << wick_last_error();
  wick_dtype dtype = WICK_FLOAT32;
  ASSERT_EQ(wick_model_input_info(model.m, 0, &dtype, nullptr, nullptr), WICK_OK);
  EXPECT_EQ(dtype, WICK_INT64);
  Tensor ids = npy(zoo_inputs("embedding_classifier")[0]);
  const Tensor ref = npy(ref_path("embedding_classifier", 0));
  wick_buffer in = wick_tensor_buffer(ids.t);
  // Concurrent runs on one model give the same answer.
  for (int threads : {1, 3}) {
    ASSERT_EQ(wick_set_num_threads(threads), WICK_OK);
    EXPECT_EQ(wick_get_num_threads(), threads);
    std::vector<std::thread> pool;
    std::vector<double> errors(4, 1.0);
    for (int t = 0; t < 4; ++t)
      pool.emplace_back([&, t] {
        wick_tensor* out = nullptr;
        if (wick_model_run_alloc(model.m, &in, 1, &out, 1) != WICK_OK) return;
        Tensor o(out);
        errors[t] = relative_error(o, ref);
      });
    for (auto& th : pool) th.join();
    for (double e : errors) EXPECT_LE(e, 1e-4);
  }
}

// Each damaged directory is refused by wick_model_open with its status and
// a message naming the file.
class DeployCApiDamage : public ::testing::TestWithParam<Damage> {};

TEST_P(DeployCApiDamage, OpenFailsWithAClearMessage) {
  const Damage& damage = GetParam();
  ArtifactDir artifact("two_inputs_tuple", std::string("c_api_") + damage.name);
  ArtifactDir other_artifact("mlp_relu", std::string("c_api_other_") + damage.name);
  const std::string &dir = artifact.path(), &other = other_artifact.path();
  ASSERT_FALSE(dir.empty() || other.empty());
  damage.apply(dir, other);
  Model model;
  model.m = reinterpret_cast<wick_model*>(0x1);  // must be reset to NULL
  const wick_status status = wick_model_open(dir.c_str(), &model.m);
  EXPECT_EQ(status, damage.status) << wick_last_error();
  EXPECT_EQ(model.m, nullptr);
  const std::string message = wick_last_error();
  EXPECT_NE(message.find(damage.message), std::string::npos) << message;
  const std::string named = *damage.file ? dir + "/" + damage.file : dir;
  EXPECT_EQ(message.rfind(named + ":", 0), 0u) << message;
  EXPECT_NE(message.find("error: "), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Artifacts, DeployCApiDamage, ::testing::ValuesIn(artifact_damages()),
                         [](const auto& info) { return std::string(info.param.name); });

// A model with one float input [16, 32] and one output [16, 10].
class DeployCApiInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = artifact_.path();
    ASSERT_FALSE(dir_.empty());
    ASSERT_EQ(wick_model_open(dir_.c_str(), &model_.m), WICK_OK) << wick_last_error();
  }
  wick_status run(const wick_buffer* in, size_t n) {
    wick_tensor* out[1] = {nullptr};
    const wick_status s = wick_model_run_alloc(model_.m, in, n, out, 1);
    EXPECT_EQ(out[0], nullptr);
    wick_tensor_free(out[0]);
    return s;
  }
  void expect_message(const std::string& text) {
    EXPECT_NE(std::string(wick_last_error()).find(text), std::string::npos) << wick_last_error();
  }
  ArtifactDir artifact_{"mlp_relu", "c_api_inputs"};
  std::string dir_;
  Model model_;
  std::vector<float> data_ = std::vector<float>(16 * 32, 0.5f);
  int64_t sizes_[2] = {16, 32};
};

TEST_F(DeployCApiInputs, WrongShape) {
  const int64_t sizes[] = {8, 32};
  wick_buffer in = {data_.data(), data_.size() * 4, WICK_FLOAT32, 2, sizes};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("input 0 (input) is f32[8, 32], but the model was compiled for f32[16, 32]");
  expect_message(dir_);
}

TEST_F(DeployCApiInputs, WrongDtype) {
  wick_buffer in = {data_.data(), data_.size() * 4, WICK_INT32, 2, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("is i32[16, 32], but the model was compiled for f32[16, 32]");
}

TEST_F(DeployCApiInputs, WrongRankAndCount) {
  wick_buffer in = {data_.data(), data_.size() * 4, WICK_FLOAT32, 1, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("is f32[16], but the model was compiled for f32[16, 32]");
  wick_buffer two[2] = {{data_.data(), data_.size() * 4, WICK_FLOAT32, 2, sizes_},
                        {data_.data(), data_.size() * 4, WICK_FLOAT32, 2, sizes_}};
  EXPECT_EQ(run(two, 2), WICK_ERROR_INPUT);
  expect_message("the model takes 1 input, got 2");
  EXPECT_EQ(run(nullptr, 1), WICK_ERROR_INPUT);
  expect_message("inputs is NULL");
}

TEST_F(DeployCApiInputs, BufferTooSmallOrMalformed) {
  wick_buffer in = {data_.data(), 100, WICK_FLOAT32, 2, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("takes 2048 bytes, but its buffer holds 100");
  in = {data_.data(), data_.size() * 4, static_cast<wick_dtype>(42), 2, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("unknown dtype 42");
  in = {data_.data(), data_.size() * 4, WICK_FLOAT32, 99, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("has rank 99");
  const int64_t huge[] = {int64_t{1} << 40, int64_t{1} << 40};
  in = {data_.data(), data_.size() * 4, WICK_FLOAT32, 2, huge};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("bad shape");
  in = {nullptr, data_.size() * 4, WICK_FLOAT32, 2, sizes_};
  EXPECT_EQ(run(&in, 1), WICK_ERROR_INPUT);
  expect_message("has no data");
}

TEST_F(DeployCApiInputs, OutputBuffersMustMatch) {
  wick_buffer in = {data_.data(), data_.size() * 4, WICK_FLOAT32, 2, sizes_};
  std::vector<float> out(16 * 10);
  const int64_t good[] = {16, 10}, bad[] = {10, 16};
  wick_buffer o = {out.data(), out.size() * 4, WICK_FLOAT32, 2, bad};
  EXPECT_EQ(wick_model_run(model_.m, &in, 1, &o, 1), WICK_ERROR_INPUT);
  expect_message("output buffer 0 (output0) is f32[10, 16], but the output is f32[16, 10]");
  o = {out.data(), 12, WICK_FLOAT32, 2, good};
  EXPECT_EQ(wick_model_run(model_.m, &in, 1, &o, 1), WICK_ERROR_INPUT);
  expect_message("its buffer holds 12");
  EXPECT_EQ(wick_model_run(model_.m, &in, 1, &o, 2), WICK_ERROR_INPUT);
  expect_message("the model has 1 outputs, got 2 buffers");
  o = {out.data(), out.size() * 4, WICK_FLOAT32, 2, good};
  EXPECT_EQ(wick_model_run(model_.m, &in, 1, &o, 1), WICK_OK) << wick_last_error();
}

// A manifest edited to list other outputs than the plan gives: the run
// fails with a message blaming the artifact, not an internal error.
TEST(DeployCApi, ManifestDisagreeingWithThePlanIsAnError) {
  ArtifactDir artifact("mlp_relu", "c_api_edited_manifest");
  const std::string dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  std::string text;
  {
    std::ifstream in(dir + "/manifest.json");
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  const std::string shape = "\"outputs\": [\n    {\"name\": \"output0\", \"dtype\": \"f32\", \"shape\": [16, 10]}";
  const size_t at = text.find(shape);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, shape.size(), "\"outputs\": [\n    {\"name\": \"output0\", \"dtype\": \"f32\", \"shape\": [16, 11]}");
  std::ofstream(dir + "/manifest.json") << text;
  Model model;
  ASSERT_EQ(wick_model_open(dir.c_str(), &model.m), WICK_OK) << wick_last_error();
  std::vector<float> data(16 * 32, 0.5f);
  const int64_t sizes[] = {16, 32};
  wick_buffer in = {data.data(), data.size() * 4, WICK_FLOAT32, 2, sizes};
  wick_tensor* out[1] = {nullptr};
  EXPECT_NE(wick_model_run_alloc(model.m, &in, 1, out, 1), WICK_OK);
  wick_tensor_free(out[0]);
  const std::string message = wick_last_error();
  EXPECT_NE(message.find("the manifest does not belong to this model"), std::string::npos) << message;
  EXPECT_EQ(message.find("internal error"), std::string::npos) << message;
}

TEST(DeployCApi, BadArguments) {
  wick_model* m = nullptr;
  EXPECT_EQ(wick_model_open(nullptr, &m), WICK_ERROR_ARGUMENT);
  EXPECT_EQ(wick_model_open("x", nullptr), WICK_ERROR_ARGUMENT);
  EXPECT_EQ(wick_model_num_inputs(nullptr), -1);
  EXPECT_NE(std::string(wick_last_error()).find("model is NULL"), std::string::npos);
  EXPECT_EQ(wick_model_input_name(nullptr, 0), nullptr);
  EXPECT_EQ(wick_model_device(nullptr), nullptr);
  EXPECT_NE(std::string(wick_last_error()).find("model is NULL"), std::string::npos);
  EXPECT_EQ(wick_model_run(nullptr, nullptr, 0, nullptr, 0), WICK_ERROR_ARGUMENT);
  EXPECT_EQ(wick_set_num_threads(0), WICK_ERROR_ARGUMENT);
  EXPECT_NE(std::string(wick_last_error()).find("thread count"), std::string::npos);
  wick_tensor* t = nullptr;
  EXPECT_EQ(wick_tensor_new(static_cast<wick_dtype>(-1), 0, nullptr, &t), WICK_ERROR_ARGUMENT);
  const int64_t neg[] = {-3};
  EXPECT_EQ(wick_tensor_new(WICK_FLOAT32, 1, neg, &t), WICK_ERROR_ARGUMENT);
  EXPECT_EQ(t, nullptr);
  EXPECT_EQ(wick_npy_read("/nonexistent/x.npy", &t), WICK_ERROR_FILE);
  EXPECT_NE(std::string(wick_last_error()).find("/nonexistent/x.npy"), std::string::npos);
  EXPECT_EQ(wick_dtype_name(static_cast<wick_dtype>(10)), nullptr);
  EXPECT_STREQ(wick_dtype_name(WICK_BFLOAT16), "bfloat16");
  wick_model_close(nullptr);
  wick_tensor_free(nullptr);
}

TEST(DeployCApi, CudaModelWithoutADriver) {
  ArtifactDir artifact("nn5", "c_api_cuda", "--device cuda");
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  wick_model* m = reinterpret_cast<wick_model*>(0x1);  // must be reset to NULL
  EXPECT_EQ(wick_model_open(dir.c_str(), &m), WICK_ERROR_DEVICE);
  EXPECT_EQ(m, nullptr);
  const std::string message = wick_last_error();
  EXPECT_EQ(message.rfind(dir + ": error: ", 0), 0u) << message;
  EXPECT_NE(message.find("no NVIDIA driver found (/nonexistent/wick/libcuda.so.1: "), std::string::npos) << message;
}

TEST_F(DeployCApiInputs, IndexOutOfRange) {
  EXPECT_EQ(wick_model_input_name(model_.m, 1), nullptr);
  EXPECT_NE(std::string(wick_last_error()).find("input index 1 is out of range (the model has 1)"), std::string::npos);
  EXPECT_EQ(wick_model_output_info(model_.m, -1, nullptr, nullptr, nullptr), WICK_ERROR_ARGUMENT);
}

}  // namespace
}  // namespace wick::testing
