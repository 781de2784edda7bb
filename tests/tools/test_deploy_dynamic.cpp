// `wick compile --dynamic-dim`: zoo models compiled once with a dynamic batch
// dim run at batch sizes 1, 3 and 17 through the C API (runtime-allocated
// outputs and caller buffers) and through wick-deploy-run, matching LibTorch
// on fresh inputs (relative error at most 1e-4); manifest and C API describe
// the dynamic dims; inputs that disagree on a dim, output buffers of the wrong
// size, manifests that disagree with the plan and bad --dynamic-dim values
// are refused with clear messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "runtime/wick_runtime.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

namespace fs = std::filesystem;

struct Tensor {
  wick_tensor* t = nullptr;
  Tensor() = default;
  explicit Tensor(wick_tensor* p) : t(p) {}
  Tensor(Tensor&& o) noexcept : t(o.t) { o.t = nullptr; }
  Tensor& operator=(Tensor&& o) noexcept {
    std::swap(t, o.t);
    return *this;
  }
  ~Tensor() { wick_tensor_free(t); }
  std::vector<int64_t> sizes() const {
    return std::vector<int64_t>(wick_tensor_sizes(t), wick_tensor_sizes(t) + wick_tensor_rank(t));
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes()) n *= s;
    return n;
  }
};

Tensor npy(const std::string& path) {
  wick_tensor* t = nullptr;
  EXPECT_EQ(wick_npy_read(path.c_str(), &t), WICK_OK) << wick_last_error();
  return Tensor(t);
}

// max|out - ref| / max|ref| for float32 data, 0 or infinity for exact
// comparisons of other dtypes; `out` has dtype `dtype` and sizes `sizes`.
double relative_error(const void* out, wick_dtype dtype, const std::vector<int64_t>& sizes, const Tensor& ref) {
  if (dtype != wick_tensor_dtype(ref.t) || sizes != ref.sizes()) {
    ADD_FAILURE() << "output of dtype " << wick_dtype_name(dtype) << " and rank " << sizes.size()
                  << " does not match LibTorch's";
    return INFINITY;
  }
  if (dtype != WICK_FLOAT32)
    return std::memcmp(out, wick_tensor_data(ref.t), wick_tensor_nbytes(ref.t)) == 0 ? 0 : INFINITY;
  const auto* a = static_cast<const float*>(out);
  const auto* b = static_cast<const float*>(wick_tensor_data(ref.t));
  double diff = 0, max_ref = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    max_ref = std::max(max_ref, std::fabs(double(b[i])));
  }
  return max_ref > 0 ? diff / max_ref : diff;
}

double relative_error(const Tensor& out, const Tensor& ref) {
  return relative_error(wick_tensor_data(out.t), wick_tensor_dtype(out.t), out.sizes(), ref);
}

struct Model {
  wick_model* m = nullptr;
  ~Model() { wick_model_close(m); }
};

struct Case {
  std::string model;
  int batch = 0;
  std::vector<std::string> inputs, refs;
};

// fresh_cases.py's dynamic_cases.txt: model variant batch pt n inputs... n refs...
std::vector<Case> read_cases(const std::string& model, const std::string& wanted_variant, std::string* seed) {
  std::ifstream in((wick::test_paths::binary_dir() + "/fresh_cases/dynamic_cases.txt"));
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("seed ", 0) == 0) {
      *seed = line.substr(5);
      continue;
    }
    std::istringstream s(line);
    Case c;
    std::string variant, pt;
    size_t n = 0;
    s >> c.model >> variant >> c.batch >> pt >> n;
    c.inputs.resize(n);
    for (auto& x : c.inputs) s >> x;
    s >> n;
    c.refs.resize(n);
    for (auto& x : c.refs) s >> x;
    if (c.model == model && variant == wanted_variant) cases.push_back(c);
  }
  return cases;
}

// The --dynamic-dim flags making dim 0 of every input of `model` the batch B.
std::string batch_dims(const std::string& model) {
  std::string flags;
  for (size_t i = 0; i < zoo_inputs(model).size(); ++i) flags += " --dynamic-dim " + std::to_string(i) + ":0";
  return flags;
}

// A parameter is a model name, scripted, or "NAME_traced".
class DynamicBatch : public ::testing::TestWithParam<std::string> {};

// One artifact, every batch size: the C API with runtime-allocated outputs and
// with caller buffers sized by wick_model_output_sizes, and wick-deploy-run.
TEST_P(DynamicBatch, OneArtifactMatchesLibTorchAtEveryBatch) {
  const std::string param = GetParam();
  const bool traced = param.size() > 7 && param.compare(param.size() - 7, 7, "_traced") == 0;
  const std::string model = traced ? param.substr(0, param.size() - 7) : param;
  const std::string variant = traced ? "traced" : "scripted";
  std::string seed;
  const std::vector<Case> cases = read_cases(model, variant, &seed);
  ASSERT_EQ(cases.size(), 3u) << "no dynamic-batch cases for " << param << ": run the zoo_fresh_cases test first";
  SCOPED_TRACE("input seed " + seed);
  ArtifactDir artifact(model, "dynamic_" + param, batch_dims(model), variant);
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  Model m;
  ASSERT_EQ(wick_model_open(dir.c_str(), &m.m), WICK_OK) << wick_last_error();
  const int64_t num_inputs = wick_model_num_inputs(m.m), num_outputs = wick_model_num_outputs(m.m);
  for (int64_t i = 0; i < num_inputs; ++i) {
    int32_t rank = 0;
    int64_t sizes[WICK_MAX_RANK];
    ASSERT_EQ(wick_model_input_info(m.m, i, nullptr, &rank, sizes), WICK_OK);
    EXPECT_EQ(sizes[0], -1);
    const std::string shape = wick_model_input_shape(m.m, i);
    EXPECT_TRUE(shape == "[B]" || shape.rfind("[B, ", 0) == 0) << shape;
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(model + " at batch " + std::to_string(c.batch));
    std::vector<Tensor> inputs;
    std::vector<wick_buffer> buffers;
    for (const std::string& path : c.inputs) inputs.push_back(npy(path));
    for (const Tensor& t : inputs) buffers.push_back(wick_tensor_buffer(t.t));
    std::vector<Tensor> refs;
    for (const std::string& path : c.refs) refs.push_back(npy(path));
    ASSERT_EQ(refs.size(), static_cast<size_t>(num_outputs));

    // Runtime-allocated outputs.
    std::vector<wick_tensor*> out(refs.size(), nullptr);
    ASSERT_EQ(wick_model_run_alloc(m.m, buffers.data(), buffers.size(), out.data(), out.size()), WICK_OK)
        << wick_last_error();
    for (size_t j = 0; j < refs.size(); ++j) {
      Tensor o(out[j]);
      EXPECT_LE(relative_error(o, refs[j]), 1e-4) << "output " << j;
    }

    // Caller buffers of the sizes these inputs give.
    std::vector<std::vector<unsigned char>> data(refs.size());
    std::vector<std::vector<int64_t>> sizes(refs.size());
    std::vector<wick_buffer> out_buffers;
    for (size_t j = 0; j < refs.size(); ++j) {
      wick_dtype dtype = WICK_BOOL;
      int32_t rank = 0;
      int64_t s[WICK_MAX_RANK];
      ASSERT_EQ(wick_model_output_info(m.m, static_cast<int64_t>(j), &dtype, nullptr, nullptr), WICK_OK);
      ASSERT_EQ(wick_model_output_sizes(m.m, buffers.data(), buffers.size(), static_cast<int64_t>(j), &rank, s), WICK_OK)
          << wick_last_error();
      sizes[j].assign(s, s + rank);
      EXPECT_EQ(sizes[j], refs[j].sizes());
      data[j].assign(static_cast<size_t>(refs[j].numel()) * wick_dtype_size(dtype), 0xff);
      out_buffers.push_back({data[j].data(), data[j].size(), dtype, rank, sizes[j].data()});
    }
    ASSERT_EQ(wick_model_run(m.m, buffers.data(), buffers.size(), out_buffers.data(), out_buffers.size()), WICK_OK)
        << wick_last_error();
    for (size_t j = 0; j < refs.size(); ++j)
      EXPECT_LE(relative_error(data[j].data(), out_buffers[j].dtype, sizes[j], refs[j]), 1e-4) << "output " << j;

    // wick-deploy-run, unchanged.
    const std::string out_dir = dir + "_out" + std::to_string(c.batch);
    const CliResult r = run_tool("wick-deploy-run", dir + input_args(c.inputs) + " --output-dir " + out_dir);
    ASSERT_EQ(r.status, 0) << r.err;
    for (size_t j = 0; j < refs.size(); ++j) {
      const Tensor o = npy(out_dir + "/output" + std::to_string(j) + ".npy");
      EXPECT_LE(relative_error(o, refs[j]), 1e-4) << "wick-deploy-run output " << j;
    }
    fs::remove_all(out_dir);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, DynamicBatch,
                         ::testing::Values("mlp_relu", "nn5", "cnn_bn", "two_inputs_tuple", "embedding_classifier",
                                           "ops_reduce", "losses", "transformer_block", "transformer_block_traced",
                                           "ops_shape_traced"),
                         [](const auto& info) { return info.param; });

std::string manifest_of(const std::string& dir) { return read_bytes(dir + "/manifest.json"); }

// A model with two inputs x [B, 8] and y [B, 8] and outputs [B, 4] and [B].
class DynamicTwoInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = artifact_.path();
    ASSERT_FALSE(dir_.empty());
    ASSERT_EQ(wick_model_open(dir_.c_str(), &model_.m), WICK_OK) << wick_last_error();
  }
  wick_buffer buffer(std::vector<float>& data, const int64_t* sizes) {
    return {data.data(), data.size() * sizeof(float), WICK_FLOAT32, 2, sizes};
  }
  void expect_message(const std::string& text) {
    EXPECT_NE(std::string(wick_last_error()).find(text), std::string::npos) << wick_last_error();
  }
  ArtifactDir artifact_{"two_inputs_tuple", "dynamic_two", "--dynamic-dim 0:0 --dynamic-dim 1:0"};
  std::string dir_;
  Model model_;
  std::vector<float> x_ = std::vector<float>(5 * 8, 0.25f), y_ = std::vector<float>(5 * 8, -0.5f);
};

TEST_F(DynamicTwoInputs, ManifestAndCApiDescribeTheDynamicDims) {
  const std::string m = manifest_of(dir_);
  EXPECT_NE(m.find("\"format_version\": 2"), std::string::npos) << m;
  EXPECT_NE(m.find("\"symbols\": [\"B\"]"), std::string::npos) << m;
  EXPECT_NE(m.find("{\"name\": \"x\", \"dtype\": \"f32\", \"shape\": [\"B\", 8]}"), std::string::npos) << m;
  EXPECT_NE(m.find("{\"name\": \"output1\", \"dtype\": \"f32\", \"shape\": [\"B\"]}"), std::string::npos) << m;
  EXPECT_STREQ(wick_model_input_shape(model_.m, 1), "[B, 8]");
  EXPECT_STREQ(wick_model_output_shape(model_.m, 0), "[B, 4]");
  EXPECT_STREQ(wick_model_output_shape(model_.m, 1), "[B]");
  EXPECT_EQ(wick_model_output_shape(model_.m, 2), nullptr);
  expect_message("output index 2 is out of range");
  int32_t rank = 0;
  int64_t sizes[WICK_MAX_RANK] = {0};
  wick_dtype dtype = WICK_BOOL;
  ASSERT_EQ(wick_model_output_info(model_.m, 0, &dtype, &rank, sizes), WICK_OK);
  EXPECT_EQ(dtype, WICK_FLOAT32);
  EXPECT_EQ(rank, 2);
  EXPECT_EQ(sizes[0], -1);
  EXPECT_EQ(sizes[1], 4);
  const int64_t five[] = {5, 8};
  const wick_buffer in[2] = {buffer(x_, five), buffer(y_, five)};
  ASSERT_EQ(wick_model_output_sizes(model_.m, in, 2, 1, &rank, sizes), WICK_OK) << wick_last_error();
  EXPECT_EQ(rank, 1);
  EXPECT_EQ(sizes[0], 5);
  EXPECT_EQ(wick_model_output_sizes(model_.m, in, 1, 1, &rank, sizes), WICK_ERROR_INPUT);
  expect_message("the model takes 2 inputs, got 1");
  EXPECT_EQ(wick_model_output_sizes(model_.m, in, 2, 7, &rank, sizes), WICK_ERROR_ARGUMENT);
  EXPECT_EQ(wick_model_output_sizes(nullptr, in, 2, 0, &rank, sizes), WICK_ERROR_ARGUMENT);
  // A batch of 0 runs too.
  const int64_t zero[] = {0, 8};
  const wick_buffer none[2] = {buffer(x_, zero), buffer(y_, zero)};
  wick_tensor* out[2] = {nullptr, nullptr};
  ASSERT_EQ(wick_model_run_alloc(model_.m, none, 2, out, 2), WICK_OK) << wick_last_error();
  EXPECT_EQ(wick_tensor_sizes(out[0])[0], 0);
  EXPECT_EQ(wick_tensor_rank(out[1]), 1);
  wick_tensor_free(out[0]);
  wick_tensor_free(out[1]);
}

TEST_F(DynamicTwoInputs, InputsThatDisagreeOnTheBatchAreRefused) {
  const int64_t five[] = {5, 8}, three[] = {3, 8}, wide[] = {3, 9};
  wick_buffer in[2] = {buffer(x_, three), buffer(y_, five)};
  wick_tensor* out[2] = {nullptr, nullptr};
  EXPECT_EQ(wick_model_run_alloc(model_.m, in, 2, out, 2), WICK_ERROR_INPUT);
  EXPECT_EQ(out[0], nullptr);
  expect_message(dir_ + ": input 1 (y) is f32[5, 8], which makes B = 5, but input 0 (x) made it 3");
  in[1] = buffer(y_, wide);
  EXPECT_EQ(wick_model_run_alloc(model_.m, in, 2, out, 2), WICK_ERROR_INPUT);
  expect_message("input 1 (y) is f32[3, 9], but the model was compiled for f32[B, 8]");

  // The same through wick-deploy-run.
  const std::string root = temp_dir("dynamic_disagree");
  wick_tensor* t3 = nullptr;
  wick_tensor* t5 = nullptr;
  ASSERT_EQ(wick_tensor_new(WICK_FLOAT32, 2, three, &t3), WICK_OK);
  ASSERT_EQ(wick_tensor_new(WICK_FLOAT32, 2, five, &t5), WICK_OK);
  ASSERT_EQ(wick_npy_write((root + "/x3.npy").c_str(), t3), WICK_OK);
  ASSERT_EQ(wick_npy_write((root + "/y5.npy").c_str(), t5), WICK_OK);
  wick_tensor_free(t3);
  wick_tensor_free(t5);
  const CliResult r = run_tool("wick-deploy-run", dir_ + " --input " + root + "/x3.npy --input " + root +
                                                      "/y5.npy --output-dir " + root + "/out");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("input 1 (y) is f32[5, 8], which makes B = 5, but input 0 (x) made it 3"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(root + "/out/output0.npy"));
  fs::remove_all(root);
}

TEST_F(DynamicTwoInputs, OutputBuffersMustHaveTheSizesTheInputsGive) {
  const int64_t five[] = {5, 8};
  const wick_buffer in[2] = {buffer(x_, five), buffer(y_, five)};
  std::vector<float> o0(16 * 4), o1(16);
  const int64_t s0_bad[] = {4, 4}, s0[] = {5, 4}, s1[] = {5};
  wick_buffer out[2] = {{o0.data(), o0.size() * 4, WICK_FLOAT32, 2, s0_bad}, {o1.data(), o1.size() * 4, WICK_FLOAT32, 1, s1}};
  EXPECT_EQ(wick_model_run(model_.m, in, 2, out, 2), WICK_ERROR_INPUT);
  expect_message("output buffer 0 (output0) is f32[4, 4], but the output is f32[5, 4] for these inputs (f32[B, 4])");
  out[0].sizes = s0;
  out[0].nbytes = 19 * 4;
  EXPECT_EQ(wick_model_run(model_.m, in, 2, out, 2), WICK_ERROR_INPUT);
  expect_message("takes 80 bytes, but its buffer holds 76");
  out[0].nbytes = o0.size() * 4;
  ASSERT_EQ(wick_model_run(model_.m, in, 2, out, 2), WICK_OK) << wick_last_error();
}

// The runtime refuses a manifest whose dynamic dims are not the plan's.
TEST(DynamicManifest, MustAgreeWithThePlan) {
  ArtifactDir renamed("mlp_relu", "dynamic_renamed", "--dynamic-dim 0:0");
  ASSERT_FALSE(renamed.path().empty());
  std::string m = manifest_of(renamed.path());
  for (size_t at; (at = m.find("\"B\"")) != std::string::npos;) m.replace(at, 3, "\"N\"");
  write_bytes(renamed.path() + "/manifest.json", m);
  Model model;
  EXPECT_EQ(wick_model_open(renamed.path().c_str(), &model.m), WICK_ERROR_ARTIFACT);
  EXPECT_NE(std::string(wick_last_error()).find("plan.bin: error: the plan's dynamic dims [B] are not the manifest's [N]"),
            std::string::npos)
      << wick_last_error();

  ArtifactDir fixed("mlp_relu", "dynamic_fixed", "--dynamic-dim 0:0");
  ASSERT_FALSE(fixed.path().empty());
  edit_manifest(fixed.path(), "\"shape\": [\"B\", 32]", "\"shape\": [16, 32]");
  edit_manifest(fixed.path(), "\"shape\": [\"B\", 10]", "\"shape\": [16, 10]");
  edit_manifest(fixed.path(), "\"symbols\": [\"B\"]", "\"symbols\": []");
  EXPECT_EQ(wick_model_open(fixed.path().c_str(), &model.m), WICK_ERROR_ARTIFACT);
  EXPECT_NE(std::string(wick_last_error()).find("the plan's dynamic dims [B] are not the manifest's []"),
            std::string::npos)
      << wick_last_error();

  ArtifactDir unknown("mlp_relu", "dynamic_unknown", "--dynamic-dim 0:0");
  ASSERT_FALSE(unknown.path().empty());
  edit_manifest(unknown.path(), "\"shape\": [\"B\", 10]", "\"shape\": [\"T\", 10]");
  EXPECT_EQ(wick_model_open(unknown.path().c_str(), &model.m), WICK_ERROR_ARTIFACT);
  EXPECT_NE(std::string(wick_last_error()).find("manifest.json: error: manifest: outputs[0].shape names an unknown "
                                                "symbol \"T\" (the manifest's symbols are B)"),
            std::string::npos)
      << wick_last_error();
}

// Without --dynamic-dim nothing changes: static shapes, format version 1.
TEST(DynamicManifest, StaticArtifactsStayVersion1) {
  ArtifactDir artifact("mlp_relu", "dynamic_static");
  ASSERT_FALSE(artifact.path().empty());
  const std::string m = manifest_of(artifact.path());
  EXPECT_NE(m.find("\"format_version\": 1"), std::string::npos) << m;
  EXPECT_EQ(m.find("symbols"), std::string::npos) << m;
  EXPECT_NE(m.find("\"shape\": [16, 32]"), std::string::npos) << m;
  Model model;
  ASSERT_EQ(wick_model_open(artifact.path().c_str(), &model.m), WICK_OK) << wick_last_error();
  EXPECT_STREQ(wick_model_input_shape(model.m, 0), "[16, 32]");
}

// Dynamic dims the compiler cannot keep dynamic are user errors (exit 2)
// naming the model, and the op where there is one; nothing is written.
TEST(DynamicDimCli, UnsupportedDynamicDimsAreClearErrors) {
  const std::string zoo = wick::test_paths::zoo_dir();
  const std::string out = temp_dir("dynamic_unsupported") + "/out";
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      // An inner dim: the strides of every outer dim would change with it.
      {zoo + "/mlp_relu.scripted.pt --input 16x32 --dynamic-dim 0:1",
       "Tensor(f32, [16, B]) would need strides that change with a dynamic dim; only the outermost dim of a tensor "
       "may be dynamic"},
      {zoo + "/cnn_bn.scripted.pt --input 4x3x32x32 --dynamic-dim 0:2", "only the outermost dim of a tensor may be dynamic"},
      // Two separate batch symbols multiplied elementwise: no shape to compile for.
      {zoo + "/two_inputs_tuple.scripted.pt --input 4x8 --input 4x8 --dynamic-dim 0:0:N --dynamic-dim 1:0:M",
       "error: in aten::mul.Tensor: the shape of its result is not known at compile time"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = run_wick("compile " + c.args + " -o " + out);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(".scripted.pt"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out + "/manifest.json"));
  }
  fs::remove_all(fs::path(out).parent_path());
}

TEST(DynamicDimCli, BadValuesExit2) {
  const std::string pt = std::string(wick::test_paths::zoo_dir()) + "/two_inputs_tuple.scripted.pt";
  const std::string out = temp_dir("dynamic_bad") + "/out";
  const std::string in = " --input 4x8 --input 4x8 -o " + out;
  struct Case {
    std::string flags, message;
  };
  const Case cases[] = {
      {"--dynamic-dim 0", "bad --dynamic-dim '0': expected INPUT:DIM or INPUT:DIM:NAME"},
      {"--dynamic-dim x:0", "bad --dynamic-dim 'x:0': expected INPUT:DIM"},
      {"--dynamic-dim 0:-1", "bad --dynamic-dim '0:-1': expected INPUT:DIM"},
      {"--dynamic-dim 0:", "bad --dynamic-dim '0:': expected INPUT:DIM"},
      {"--dynamic-dim :0", "bad --dynamic-dim ':0': expected INPUT:DIM"},
      {"--dynamic-dim 0:99999", "bad --dynamic-dim '0:99999': expected INPUT:DIM"},
      {"--dynamic-dim 2:0", "bad --dynamic-dim '2:0': there are 2 --input specs (inputs are numbered from 0)"},
      {"--dynamic-dim 0:2", "bad --dynamic-dim '0:2': input 0 has rank 2 (dims are numbered from 0)"},
      {"--dynamic-dim 0:0:", "bad --dynamic-dim '0:0:': the name must be a letter or '_'"},
      {"--dynamic-dim 0:0:2B", "bad --dynamic-dim '0:0:2B': the name must be"},
      {"--dynamic-dim 0:0:B:C", "bad --dynamic-dim '0:0:B:C': the name must be"},
      {"--dynamic-dim 0:0:" + std::string(65, 'N'), "the name must be"},
      {"--dynamic-dim 0:0 --dynamic-dim 0:0:N", "bad --dynamic-dim '0:0:N': dim 0 of input 0 is already dynamic"},
      {"--dynamic-dim", "--dynamic-dim needs a value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flags);
    const CliResult r = run_wick("compile " + pt + in + " " + c.flags);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("usage: wick compile"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));
  fs::remove_all(fs::path(out).parent_path());
  const CliResult help = run_wick("compile --help");
  EXPECT_NE(help.out.find("[--dynamic-dim INPUT:DIM[:NAME] ...]"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace wick::testing
