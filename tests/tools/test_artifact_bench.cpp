// wick-artifact-bench, the runner carried to a GPU machine: on CPU artifacts
// of the zoo it must report each output's relative error against LibTorch's
// reference (small for the real one, large for a perturbed one, none for a
// reference of another shape), time the calls, and refuse inputs that do not
// fit, a CUDA artifact without a driver and bad options with the right exit
// status; inputs are files or shapes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <string>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

const bool kEnvironment = [] {
  setenv("WICK_CUDA_DRIVER", "/nonexistent/wick/libcuda.so.1", 1);
  return true;
}();

std::string zoo(const std::string& file) { return std::string(wick::test_paths::zoo_dir()) + "/" + file; }

// The JSON object on the last line of the runner's output.
std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::string field(const std::string& json, const std::string& key) {
  std::smatch m;
  const std::regex re("\"" + key + "\": (\\[[^\\]]*\\]|\"[^\"]*\"|[^,}]+)");
  return std::regex_search(json, m, re) ? m[1].str() : std::string("<missing>");
}

TEST(ArtifactBench, ReportsErrorsAgainstReferencesAndTimes) {
  ArtifactDir artifact("nn5", "artifact_bench");
  ASSERT_FALSE(artifact.path().empty());
  const std::string dir = temp_dir("artifact_bench_refs");
  // The reference scaled by 1.5: the relative error must come out as 1/3.
  Tensor ref = read_npy(zoo("nn5.scripted.ref0.npy"));
  Tensor off = ref.clone();
  for (int64_t i = 0; i < off.numel(); ++i) off.data_as<float>()[i] *= 1.5f;
  write_npy(dir + "/off.npy", off);

  const std::string args = " " + artifact.path() + " --input " + zoo("nn5.input0.npy") + " --iters 20 --warmup 2";
  CliResult good = run_tool("wick-artifact-bench", args + " --ref " + zoo("nn5.scripted.ref0.npy"));
  ASSERT_EQ(good.status, 0) << good.err;
  const std::string json = last_line(good.out);
  EXPECT_EQ(field(json, "device"), "\"cpu\"");
  EXPECT_EQ(field(json, "iters"), "20");
  EXPECT_GT(std::stod(field(json, "median_us")), 0.0) << json;
  const std::string errors = field(json, "relative_errors");
  ASSERT_EQ(errors.front(), '[') << json;
  EXPECT_LE(std::stod(errors.substr(1)), 1e-4) << json;

  CliResult bad = run_tool("wick-artifact-bench", args + " --ref " + dir + "/off.npy");
  ASSERT_EQ(bad.status, 0) << bad.err;
  const std::string bad_errors = field(last_line(bad.out), "relative_errors");
  EXPECT_NEAR(std::stod(bad_errors.substr(1)), 1.0 / 3.0, 1e-3) << bad.out;

  CliResult shape = run_tool("wick-artifact-bench", args + " --ref " + zoo("nn5.input0.npy"));
  ASSERT_EQ(shape.status, 0) << shape.err;
  EXPECT_EQ(field(last_line(shape.out), "relative_errors"), "[null]");

  CliResult count = run_tool("wick-artifact-bench", args + " --ref " + zoo("nn5.input0.npy") + " --ref " +
                                                       zoo("nn5.input0.npy"));
  EXPECT_EQ(count.status, 2);
  EXPECT_NE(count.err.find("2 references given for 1 outputs"), std::string::npos) << count.err;
}

TEST(ArtifactBench, MakesInputsFromShapes) {
  ArtifactDir artifact("nn5", "artifact_bench_shape");
  ASSERT_FALSE(artifact.path().empty());
  CliResult ok = run_tool("wick-artifact-bench", " " + artifact.path() + " --input 200x14 --iters 2");
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(field(last_line(ok.out), "relative_errors"), "[]");
  CliResult wrong = run_tool("wick-artifact-bench", " " + artifact.path() + " --input 200x15");
  EXPECT_EQ(wrong.status, 2);
  EXPECT_NE(wrong.err.find("input 0"), std::string::npos) << wrong.err;
}

TEST(ArtifactBench, RefusesInputsThatDoNotFit) {
  ArtifactDir artifact("nn5", "artifact_bench_inputs");
  ASSERT_FALSE(artifact.path().empty());
  CliResult r = run_tool("wick-artifact-bench", " " + artifact.path() + " --input " + zoo("mlp_relu.input0.npy"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(artifact.path() + ": error: input 0"), std::string::npos) << r.err;
}

TEST(ArtifactBench, SaysWhyWithoutADriver) {
  ArtifactDir artifact("nn5", "artifact_bench_cuda", "--device cuda");
  ASSERT_FALSE(artifact.path().empty());
  CliResult r = run_tool("wick-artifact-bench", " " + artifact.path() + " --input " + zoo("nn5.input0.npy"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no NVIDIA driver found"), std::string::npos) << r.err;
}

TEST(ArtifactBench, RefusesBadOptions) {
  for (const char* args : {"", " DIR --iters 0", " DIR --threads x", " DIR --bogus", " A B"}) {
    CliResult r = run_tool("wick-artifact-bench", args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find("usage: wick-artifact-bench"), std::string::npos) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace wick::testing
