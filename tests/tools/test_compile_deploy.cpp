// `wick compile` and `wick-deploy-run`: every zoo model, scripted and traced,
// compiled ahead of time and run by the C program on fresh inputs, matches
// LibTorch (relative error at most 1e-4, looser for the bf16 and f16 models, integers exact, non-finite values in
// the same places); the deployed binaries link nothing of the compiler or of
// LibTorch; every damaged directory and bad input makes wick-deploy-run fail
// with the runtime's message; bad compile requests exit 2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "fresh_cases.h"
#include "runtime/manifest.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

namespace fs = std::filesystem;

std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

class ZooDeploy : public ::testing::TestWithParam<std::string> {};

// Each (variant, batch) is compiled once; the cases with non-finite inputs
// run through the same directory.
TEST_P(ZooDeploy, MatchesLibTorch) {
  std::string seed;
  const auto cases = read_fresh_cases(&seed);
  ASSERT_FALSE(cases.empty()) << "no fresh cases: run the zoo_fresh_cases test first";
  SCOPED_TRACE("input seed " + seed);
  const std::string root = temp_dir("zoo_deploy_" + GetParam());
  std::map<std::string, std::string> compiled;
  int ran = 0;
  for (const FreshCase& c : cases) {
    if (c.model != GetParam()) continue;
    const std::string key = c.variant + "_b" + std::to_string(c.batch);
    SCOPED_TRACE(c.model + "." + c.variant + " at batch " + std::to_string(c.batch));
    std::string inputs;
    for (const std::string& i : c.inputs) inputs += " --input " + i;
    if (!compiled.count(key)) {
      const std::string dir = root + "/" + key;
      auto r = run_wick("compile " + c.pt + inputs + " -o " + dir);
      ASSERT_EQ(r.status, 0) << r.err;
      compiled[key] = dir;
    }
    const std::string out = root + "/out" + std::to_string(ran);
    auto r = run_tool("wick-deploy-run", compiled[key] + inputs + " --output-dir " + out);
    ASSERT_EQ(r.status, 0) << r.err;
    for (size_t j = 0; j < c.refs.size(); ++j) {
      const Tensor ref = read_npy(c.refs[j]);
      const Tensor got = read_npy(out + "/output" + std::to_string(j) + ".npy");
      std::string problem;
      const double err = relative_error(got, ref, &problem);
      EXPECT_LE(err, is_floating(ref.dtype()) ? zoo_tolerance(c.model) : 0.0) << "output " << j << " " << problem;
    }
    EXPECT_FALSE(fs::exists(out + "/output" + std::to_string(c.refs.size()) + ".npy"))
        << "more outputs than LibTorch returns";
    ++ran;
  }
  EXPECT_GE(ran, 2) << "no cases for model " << GetParam();
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Models, ZooDeploy,
                         ::testing::Values("mlp_relu", "nn5", "cnn_bn", "resnet18", "mobilenet_v2", "transformer_block",
                                           "control_flow", "two_inputs_tuple", "nested_tuple", "embedding_classifier",
                                           "ops_pointwise", "ops_shape", "ops_reduce", "ops_linalg", "losses", "ctc",
                                           "attention_layers", "attention_masks", "transformer",
                                           "multihead_attention", "recurrent", "ops_extra", "dense_block",
                                           "dict_model", "writes", "writes_loops", "ops_math", "cells_distances", "volumes", "ops_sort", "ops_scans_bits", "embedding_bags", "resampling", "scatter_reduce", "pool_indices", "masks", "sampling_grids", "ops_more", "ops_conveniences", "quantized_dynamic", "quantized_recurrent", "embedding_max_norm", "ops_special", "ops_select", "spectral", "bfloat16", "float16", "float64"));

// Runs wick-deploy-run on DIR with the zoo inputs of `model`.
CliResult deploy_run(const std::string& dir, const std::string& model, const std::string& extra = "") {
  return run_tool("wick-deploy-run", dir + input_args(zoo_inputs(model)) + " --output-dir " + dir + "_out " + extra);
}

class DeployRunDamage : public ::testing::TestWithParam<Damage> {};

TEST_P(DeployRunDamage, FailsWithTheRuntimeMessage) {
  const Damage& damage = GetParam();
  ArtifactDir artifact("two_inputs_tuple", std::string("run_") + damage.name);
  ArtifactDir other("mlp_relu", std::string("run_other_") + damage.name);
  ASSERT_FALSE(artifact.path().empty() || other.path().empty());
  damage.apply(artifact.path(), other.path());
  const CliResult r = deploy_run(artifact.path(), "two_inputs_tuple");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("wick-deploy-run: cannot open the model: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(damage.message), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(artifact.path() + "_out/output0.npy"));
}

INSTANTIATE_TEST_SUITE_P(Artifacts, DeployRunDamage, ::testing::ValuesIn(artifact_damages()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DeployRun, WrongInputShape) {
  ArtifactDir artifact("mlp_relu", "run_shape");
  ASSERT_FALSE(artifact.path().empty());
  const std::string bad = artifact.path() + "_x.npy";
  write_npy(bad, Tensor::zeros(DType::f32, {3, 32}));
  const CliResult r = run_tool("wick-deploy-run", artifact.path() + " --input " + bad + " --output-dir " + artifact.path() + "_out");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("input 0 (input) is f32[3, 32], but the model was compiled for f32[16, 32]"), std::string::npos)
      << r.err;
}

TEST(DeployRun, WrongInputDtype) {
  ArtifactDir artifact("embedding_classifier", "run_dtype");
  ASSERT_FALSE(artifact.path().empty());
  const Tensor ids = read_npy(zoo_inputs("embedding_classifier")[0]);
  const std::string bad = artifact.path() + "_ids.npy";
  write_npy(bad, Tensor::zeros(DType::f32, ids.sizes()));
  const CliResult r = run_tool("wick-deploy-run", artifact.path() + " --input " + bad + " --output-dir " + artifact.path() + "_out");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("is f32" + shape_str(ids.sizes()) + ", but the model was compiled for i64"), std::string::npos)
      << r.err;
}

TEST(DeployRun, WrongInputCountAndUnreadableInput) {
  ArtifactDir artifact("two_inputs_tuple", "run_count");
  ASSERT_FALSE(artifact.path().empty());
  const std::string x = zoo_inputs("two_inputs_tuple")[0];
  CliResult r = run_tool("wick-deploy-run", artifact.path() + " --input " + x + " --output-dir " + artifact.path() + "_out");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("the model takes 2 inputs, 1 given"), std::string::npos) << r.err;
  const std::string junk = artifact.path() + "_junk.npy";
  write_text(junk, "not an npy file");
  r = run_tool("wick-deploy-run", artifact.path() + " --input " + x + " --input " + junk + " --output-dir " + artifact.path() + "_out");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot read an input: " + junk), std::string::npos) << r.err;
}

TEST(DeployRun, UsageErrorsExit2) {
  for (const char* args : {"", "--output-dir x", "dir", "dir --threads 0 --output-dir x", "dir --bogus --output-dir x",
                           "dir --input"}) {
    SCOPED_TRACE(args);
    const CliResult r = run_tool("wick-deploy-run", args);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("wick-deploy-run: "), std::string::npos) << r.err;
  }
}

TEST(CompileCli, BadRequestsExit2) {
  const std::string pt = std::string(wick::test_paths::zoo_dir()) + "/mlp_relu.scripted.pt";
  const std::string out = temp_dir("compile_bad") + "/out";
  const std::string file = temp_dir("compile_file") + "/plain";
  write_text(file, "x");
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {pt + " --input 16xx32 -o " + out, "bad input spec '16xx32'"},
      {pt + " --input q8:16x32 -o " + out, "unknown dtype 'q8' in input spec 'q8:16x32'"},
      {pt + " --input 16x32:f32 -o " + out, "bad input spec '16x32:f32'"},
      {pt + " --input missing.npy -o " + out, "bad input spec 'missing.npy'"},
      {pt + " --input 16x32 -o " + out + " --target pentium", "unknown target 'pentium'"},
      {pt + " --input 16x32", "-o DIR is required"},
      {pt + " --input 16x32 -o " + file + "/sub", "cannot create the output directory"},
      {pt + " --input 16x32 -o " + file, "cannot create the output directory: Not a directory"},
      {pt + " --input 16x32 --input 3 -o " + out, "@forward takes 1 input, got 2"},
      {pt + " --input 16x33 -o " + out, "linear input has 33 features"},
      {"nothere.pt --input 16x32 -o " + out, "nothere.pt"},
      {pt + " --input 99999999999999x99999999 -o " + out, "dimension too large"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = run_wick("compile " + c.args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));
  fs::remove_all(fs::path(out).parent_path());
  fs::remove_all(fs::path(file).parent_path());
}

// A deployed model sizes its outputs from its inputs: an output as long as
// a mask selects is refused (intermediates of that kind deploy: "masks").
TEST(CompileCli, OutputSizedByTheDataIsRefused) {
  const std::string pt = std::string(wick::test_paths::zoo_dir()) + "/masks.scripted.pt";
  const std::string out = temp_dir("compile_selected") + "/out";
  const CliResult r = run_wick("compile " + pt + " --method selected --input 2x5x6 --input 2x5x6 -o " + out);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("output 0 has a size only the data decides (nnz_"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));
  fs::remove_all(fs::path(out).parent_path());
}

TEST(CompileCli, DtypePrefixedShapesAndNpyFiles) {
  const std::string pt = std::string(wick::test_paths::zoo_dir()) + "/embedding_classifier.scripted.pt";
  const Tensor ids = read_npy(zoo_inputs("embedding_classifier")[0]);
  std::string spec = "i64:";
  for (size_t d = 0; d < ids.sizes().size(); ++d) spec += (d ? "x" : "") + std::to_string(ids.sizes()[d]);
  const std::string root = temp_dir("compile_specs");
  for (const std::string& s : {spec, zoo_inputs("embedding_classifier")[0]}) {
    SCOPED_TRACE(s);
    const CliResult r = run_wick("compile " + pt + " --input " + s + " -o " + root + "/m");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("wrote " + root + "/m: target native"), std::string::npos) << r.out;
    const rt::Manifest m = rt::parse_manifest(read_bytes(root + "/m/manifest.json"), "manifest.json");
    ASSERT_EQ(m.inputs.size(), 1u);
    EXPECT_EQ(m.inputs[0].spec.dtype, DType::i64);
    EXPECT_EQ(m.inputs[0].spec.sizes, ids.sizes());
    EXPECT_EQ(m.model, "embedding_classifier.scripted.pt");
  }
  fs::remove_all(root);
}

// x86-64-v3 code runs anywhere with AVX2 and uses no AVX-512 register.
TEST(CompileTargets, X86_64_V3) {
  ArtifactDir artifact("transformer_block", "target_v3", "--target x86-64-v3");
  ASSERT_FALSE(artifact.path().empty());
  const rt::Manifest m = rt::parse_manifest(read_bytes(artifact.path() + "/manifest.json"), "manifest.json");
  EXPECT_EQ(m.target, "x86-64-v3");
  EXPECT_EQ(m.cpu, "x86-64-v3");
  EXPECT_NE(std::find(m.required_features.begin(), m.required_features.end(), "avx2"), m.required_features.end());
  const std::string disassembly = shell("objdump -d '" + artifact.path() + "/model.so' 2>/dev/null");
  if (!disassembly.empty()) {
    EXPECT_NE(disassembly.find("ymm"), std::string::npos);
    EXPECT_EQ(disassembly.find("zmm"), std::string::npos);
  }
  const CliResult r = deploy_run(artifact.path(), "transformer_block");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string problem;
  const Tensor ref = read_npy(std::string(wick::test_paths::zoo_dir()) + "/transformer_block.scripted.ref0.npy");
  EXPECT_LE(relative_error(read_npy(artifact.path() + "_out/output0.npy"), ref, &problem), 1e-4) << problem;
}

// x86-64-v4 code runs where the CPU has AVX-512 and is refused elsewhere.
TEST(CompileTargets, X86_64_V4) {
  ArtifactDir artifact("transformer_block", "target_v4", "--target x86-64-v4");
  ASSERT_FALSE(artifact.path().empty());
  const CliResult r = deploy_run(artifact.path(), "transformer_block");
  const bool avx512 = shell("grep -m1 -o ' avx512f ' /proc/cpuinfo").find("avx512f") != std::string::npos &&
                      shell("grep -m1 -o ' avx512vl ' /proc/cpuinfo").find("avx512vl") != std::string::npos &&
                      shell("grep -m1 -o ' avx512bw ' /proc/cpuinfo").find("avx512bw") != std::string::npos;
  if (avx512) {
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(shell("objdump -d '" + artifact.path() + "/model.so' 2>/dev/null | grep -c zmm"), "0\n");
  } else {
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("needs CPU features this CPU lacks: avx512"), std::string::npos) << r.err;
  }
}

std::string ldd(const std::string& path) { return shell("ldd '" + path + "' 2>&1"); }

TEST(DeployDeps, RuntimeAndDeployRunLinkNoCompilerOrLibTorch) {
  const std::string bin = std::string(wick::test_paths::binary_dir()) + "/bin/wick-deploy-run";
  const std::string lib = std::string(wick::test_paths::binary_dir()) + "/lib/libwick_runtime.so";
  for (const std::string& path : {bin, lib}) {
    SCOPED_TRACE(path);
    const std::string deps = ldd(path);
    ASSERT_NE(deps.find("libc.so"), std::string::npos) << deps;
    for (const char* banned : {"libLLVM", "libMLIR", "libtorch", "libc10", "libpython"})
      EXPECT_EQ(deps.find(banned), std::string::npos) << banned << " in\n" << deps;
  }
  EXPECT_NE(ldd(bin).find("libwick_runtime.so"), std::string::npos);
  // The library exports the C API and nothing of C++.
  const std::string symbols = shell("nm -D --defined-only '" + lib + "' 2>/dev/null");
  if (!symbols.empty()) {
    EXPECT_NE(symbols.find(" wick_model_open"), std::string::npos);
    std::istringstream lines(symbols);
    std::string line;
    while (std::getline(lines, line)) {
      const std::string name = line.substr(line.rfind(' ') + 1);
      EXPECT_EQ(name.rfind("wick_", 0), 0u) << "exported: " << name;
    }
  }
}

TEST(DeployDeps, ModelLibraryNeedsOnlyLibcAndLibm) {
  ArtifactDir artifact("ops_pointwise", "deps_model");
  ASSERT_FALSE(artifact.path().empty());
  const std::string deps = shell("readelf -d '" + artifact.path() + "/model.so' 2>/dev/null | grep NEEDED");
  std::istringstream lines(deps);
  std::string line;
  while (std::getline(lines, line))
    EXPECT_TRUE(line.find("libc.so") != std::string::npos || line.find("libm.so") != std::string::npos) << line;
  const std::string symbols = shell("nm -D --defined-only '" + artifact.path() + "/model.so' 2>/dev/null");
  std::istringstream exported(symbols);
  int kernels = 0;
  while (std::getline(exported, line)) {
    const std::string name = line.substr(line.rfind(' ') + 1);
    if (name.rfind("_wick_packed_", 0) == 0) ++kernels;
    else EXPECT_EQ(name, rt::kIdentitySymbol);
  }
  const rt::Manifest m = rt::parse_manifest(read_bytes(artifact.path() + "/manifest.json"), "manifest.json");
  if (!symbols.empty()) {
    EXPECT_EQ(kernels, m.kernel_count);
  }
  EXPECT_GT(m.kernel_count, 1);  // several kernels, each exported once
}

TEST(DeployDeps, WickAndRuntimeVersionsAgree) {
  const CliResult r = run_wick("--version");
  EXPECT_EQ(r.out, std::string("wick ") + rt::runtime_version() + "\n");
}

}  // namespace
}  // namespace wick::testing
