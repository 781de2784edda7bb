// `wick run`: outputs written as .npy, timing report, the on-disk kernel
// cache across processes, and clear errors (exit 2) for inputs that do not
// fit the model, before any kernel runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>

#include "cli_runner.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::run_wick;

const std::string kNn5 = std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt";

TEST(Run, WritesOneNpyPerOutputAndReportsTimes) {
  std::string dir = testing::temp_dir("run_out");
  auto r = run_wick("run " + std::string(wick::test_paths::zoo_dir()) + "/nested_tuple.scripted.pt --input 4x8 --input 4x8 --output-dir " +
                    dir + " --verbose");
  ASSERT_EQ(r.status, 0) << r.err;
  // (x, (y, z)) flattens to three outputs.
  EXPECT_EQ(read_npy(dir + "/output0.npy").sizes(), (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(read_npy(dir + "/output1.npy").sizes(), (std::vector<int64_t>{4}));
  EXPECT_EQ(read_npy(dir + "/output2.npy").sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_FALSE(std::ifstream(dir + "/output3.npy").good());
  EXPECT_NE(r.err.find("load: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("compile: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("execute: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  kernel wick_"), std::string::npos) << r.err;
}

TEST(Run, SecondProcessTakesEveryKernelFromTheDiskCache) {
  std::string cache = testing::temp_dir("run_cache");
  std::string out = testing::temp_dir("run_cache_out");
  std::string cmd = "run " + kNn5 + " --input 200x14 --output-dir " + out + " --verbose";
  setenv("WICK_CACHE_DIR", cache.c_str(), 1);
  auto first = run_wick(cmd);
  auto second = run_wick(cmd);
  unsetenv("WICK_CACHE_DIR");
  ASSERT_EQ(first.status, 0) << first.err;
  ASSERT_EQ(second.status, 0) << second.err;
  std::smatch m;
  const std::regex summary(R"((\d+) kernels, (\d+) cache hits, (\d+) compiled)");
  ASSERT_TRUE(std::regex_search(first.err, m, summary)) << first.err;
  const int kernels = std::stoi(m[1]);
  EXPECT_GT(kernels, 0);
  EXPECT_EQ(std::stoi(m[3]), kernels) << "a cold cache compiles every kernel";
  ASSERT_TRUE(std::regex_search(second.err, m, summary)) << second.err;
  EXPECT_EQ(std::stoi(m[1]), kernels);
  EXPECT_EQ(std::stoi(m[2]), kernels) << second.err;
  EXPECT_EQ(std::stoi(m[3]), 0) << "the second process compiled something:\n" << second.err;
}

TEST(Run, ShapeInputsAreSeededAndReproducible) {
  std::string a = testing::temp_dir("run_seed_a"), b = testing::temp_dir("run_seed_b");
  ASSERT_EQ(run_wick("run " + kNn5 + " --input 5x14 --seed 3 --output-dir " + a).status, 0);
  ASSERT_EQ(run_wick("run " + kNn5 + " --input 5x14 --seed 3 --output-dir " + b).status, 0);
  Tensor x = read_npy(a + "/output0.npy"), y = read_npy(b + "/output0.npy");
  ASSERT_EQ(x.numel(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(x.data_as<float>()[i], y.data_as<float>()[i]);
}

struct BadInput {
  const char* name;
  const char* inputs;
  const char* message;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class RunBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(RunBadInput, ExitsTwoWithAClearMessage) {
  const BadInput& c = GetParam();
  std::string out = testing::temp_dir("run_bad");
  auto r = run_wick("run " + kNn5 + " " + c.inputs + " --output-dir " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nn5.scripted.pt"), std::string::npos) << "the model is named: " << r.err;
  EXPECT_FALSE(std::ifstream(out + "/output0.npy").good()) << "nothing may be written";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunBadInput,
    ::testing::Values(BadInput{"too_many", "--input 200x14 --input 3x3", "takes 1 input, got 2"},
                      BadInput{"none", "", "takes 1 input, got 0"},
                      BadInput{"wrong_features", "--input 200x13", "linear input has 13 features but the weight expects 14"},
                      BadInput{"wrong_rank", "--input 200", "linear input has 200 features but the weight expects 14"}),
    [](const ::testing::TestParamInfo<BadInput>& i) { return std::string(i.param.name); });

TEST(Run, WrongDtypeIsAnErrorBeforeAnyKernelRuns) {
  std::string dir = testing::temp_dir("run_dtype");
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import numpy as np; np.save('" + dir +
                         "/x.npy', np.ones((200, 14), dtype=np.int64))\"")
                            .c_str()),
            0);
  auto r = run_wick("run " + kNn5 + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("in aten::linear: the input is i64 but the weight is f32"), std::string::npos) << r.err;
}

TEST(Run, OutOfRangeEmbeddingIndexIsAnError) {
  std::string dir = testing::temp_dir("run_index");
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import numpy as np; a = np.zeros((2, 16), dtype=np.int64); a[1, 3] = 5000; "
                         "np.save('" + dir + "/ids.npy', a)\"")
                            .c_str()),
            0);
  auto r = run_wick("run " + std::string(wick::test_paths::zoo_dir()) + "/embedding_classifier.scripted.pt --input " + dir +
                    "/ids.npy --output-dir " + dir + "/out");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("in aten::embedding: index out of range"), std::string::npos) << r.err;
}

TEST(Run, BadArgumentsExitTwo) {
  auto r = run_wick("run " + kNn5 + " --input 20xx4 --output-dir /tmp/unused");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("20xx4"), std::string::npos) << r.err;
  r = run_wick("run " + kNn5 + " --input i64:200x14 --output-dir /tmp/unused");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("i64:200x14: error: only float32 inputs are made from a shape; for i64 data give a .npy file"),
            std::string::npos)
      << r.err;
  r = run_wick("run " + kNn5 + " --input 200x14");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--output-dir is required"), std::string::npos) << r.err;
  r = run_wick("run " + kNn5 + " --input 200x14 --output-dir /tmp/unused --threads 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad value for --threads"), std::string::npos) << r.err;
}

// A model whose forward takes an Optional input `scale` and calls an op wick
// does not know only when it is given (make_bad_models.py: gated_unknown.pt).
class OptionalInputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::bad_models_dir();
    ASSERT_FALSE(dir_.empty()) << "make_bad_models.py failed";
    std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.save('" + dir_ +
                      "/x.npy', np.random.randn(4, 3).astype(np.float32))\"";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  // Runs gated_unknown.pt on x.npy and `more`; its output must be relu(x).
  static void expect_relu(const std::string& more, const std::string& out) {
    auto r = run_wick("run " + dir_ + "/gated_unknown.pt --input " + dir_ + "/x.npy" + more + " --output-dir " + out);
    ASSERT_EQ(r.status, 0) << r.err;
    Tensor x = read_npy(dir_ + "/x.npy");
    Tensor y = read_npy(out + "/output0.npy");
    ASSERT_EQ(y.sizes(), x.sizes());
    for (int64_t i = 0; i < x.numel(); ++i)
      EXPECT_EQ(y.data_as<float>()[i], std::max(x.data_as<float>()[i], 0.0f)) << "element " << i;
  }
  static std::string dir_;
};
std::string OptionalInputs::dir_;

TEST_F(OptionalInputs, LeftOutReadsAsNoneAndItsBranchFoldsAway) {
  expect_relu("", testing::temp_dir("optional_left_out"));
}

TEST_F(OptionalInputs, NoneOnTheCommandLineIsLeftOut) {
  std::string out = testing::temp_dir("optional_none");
  expect_relu(" --input none", out);
  // `none` for an input that is not Optional.
  auto r = run_wick("run " + dir_ + "/gated_unknown.pt --input none --output-dir " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("input 0 (%x) of @forward is undefined"), std::string::npos) << r.err;
}

TEST_F(OptionalInputs, GivenItsBranchRunsAndTheUnknownOpIsAnError) {
  std::string out = testing::temp_dir("optional_given");
  auto r = run_wick("run " + dir_ + "/gated_unknown.pt --input " + dir_ + "/x.npy --input 4x3 --output-dir " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("1 unsupported op in method 'forward'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gated_unknown.pt:code/"), std::string::npos) << "file and line: " << r.err;
  EXPECT_NE(r.err.find("aten::frobnicate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("torch.frobnicate(x)"), std::string::npos) << "the source line is quoted: " << r.err;
  EXPECT_FALSE(std::ifstream(out + "/output0.npy").good()) << "nothing may be written";
}

TEST_F(OptionalInputs, TooManyOrTooFewInputsSayHowManyItTakes) {
  std::string out = testing::temp_dir("optional_count");
  auto r = run_wick("run " + dir_ + "/gated_unknown.pt --input 4x3 --input 4x3 --input 4x3 --output-dir " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("takes 1 to 2 inputs, got 3"), std::string::npos) << r.err;
  r = run_wick("run " + dir_ + "/gated_unknown.pt --output-dir " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("takes 1 to 2 inputs, got 0"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wick
