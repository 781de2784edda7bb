// `wick compile --device cuda` on a machine without a GPU: zoo models compile
// into directories whose gpu_kernels.bin holds the plan's kernels as PTX for
// sm_80 and (where ptxas is present) cubins for sm_80 and sm_90, under a
// format version 3 manifest naming the device. Opening such a directory with
// no NVIDIA driver fails with the directory and the reason, in process and
// through wick-deploy-run (a message and exit status 1, never a crash);
// damaged GPU files and manifests are refused naming the file before the
// driver is asked for anything; bad --device and --gpu-arch requests exit 2.
//
// The driver is a missing file for the whole process (WICK_CUDA_DRIVER, set
// before anything loads it, and inherited by the tools run here), so these
// cases behave the same on a machine with a GPU. test_deploy_cuda_gpu runs
// the directories on a GPU.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "cli_runner.h"
#include "deploy_fixture.h"
#include "runtime/artifact.h"
#include "runtime/checksum.h"
#include "runtime/gpu_kernels_file.h"
#include "runtime/manifest.h"
#include "runtime/plan_io.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoDriver = "/nonexistent/wick/libcuda.so.1";

const bool kEnvironment = [] {
  setenv("WICK_CUDA_DRIVER", kNoDriver, 1);
  unsetenv("WICK_CUDA_DEVICE");
  return true;
}();

// Whether `wick compile` finds ptxas (codegen/ptxas.h, find_ptxas).
bool ptxas_present() {
  if (const char* env = std::getenv("WICK_PTXAS")) {
    const std::string v = env;
    return !v.empty() && v != "off" && ::access(v.c_str(), X_OK) == 0;
  }
  if (::access("/usr/local/cuda/bin/ptxas", X_OK) == 0) return true;
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  std::string dir;
  while (std::getline(path, dir, ':'))
    if (!dir.empty() && ::access((dir + "/ptxas").c_str(), X_OK) == 0) return true;
  return false;
}

std::string error_of(const std::string& dir) {
  try {
    rt::Artifact::open(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// What a compiled CUDA directory must hold.
void expect_cuda_artifact(const std::string& dir, const std::vector<int>& cubin_sms) {
  const rt::Manifest m = rt::parse_manifest(read_bytes(dir + "/manifest.json"), "manifest.json");
  EXPECT_EQ(m.format_version, 3);
  EXPECT_EQ(m.device, "cuda");
  EXPECT_EQ(m.ptx_sm, 80);
  const rt::Plan plan = rt::decode_plan(read_bytes(dir + "/plan.bin"), "plan.bin");
  EXPECT_EQ(plan.device, rt::PlanDevice::cuda);
  EXPECT_EQ(m.kernel_count, static_cast<int64_t>(plan.kernels.size()));
  EXPECT_FALSE(plan.kernels.empty());
  const std::string bytes = read_bytes(dir + "/gpu_kernels.bin");
  EXPECT_EQ(m.gpu_kernels_bin.bytes, bytes.size());
  EXPECT_EQ(m.gpu_kernels_bin.checksum, rt::xxh64(bytes));
  const rt::GpuKernels gpu = rt::decode_gpu_kernels(bytes, "gpu_kernels.bin");
  EXPECT_EQ(gpu.ptx_sm, 80);
  ASSERT_EQ(gpu.kernels.size(), plan.kernels.size());
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const rt::GpuKernelImage& k = gpu.kernels[i];
    EXPECT_EQ(k.name, plan.kernels[i]);
    EXPECT_NE(k.ptx.find(".target sm_80"), std::string::npos) << k.name;
    EXPECT_NE(k.ptx.find(".entry " + k.name), std::string::npos) << k.name;
  }
  if (!ptxas_present()) {
    EXPECT_TRUE(m.cubin_sms.empty());
    for (const rt::GpuKernelImage& k : gpu.kernels) EXPECT_TRUE(k.cubins.empty()) << k.name;
    GTEST_SKIP() << "no ptxas: the directory holds PTX only, as it should";
  }
  EXPECT_EQ(m.cubin_sms, cubin_sms);
  for (const rt::GpuKernelImage& k : gpu.kernels) {
    ASSERT_EQ(k.cubins.size(), cubin_sms.size()) << k.name;
    for (size_t c = 0; c < cubin_sms.size(); ++c) {
      EXPECT_EQ(k.cubins[c].sm, cubin_sms[c]);
      EXPECT_EQ(k.cubins[c].image.substr(0, 4), "\x7f" "ELF") << k.name << " sm_" << cubin_sms[c];
    }
  }
}

TEST(DeployCuda, Nn5CompilesToPtxAndCubins) {
  ArtifactDir artifact("nn5", "cuda_nn5", "--device cuda");
  ASSERT_FALSE(artifact.path().empty());
  // model.so is still there, holding the identity only.
  EXPECT_TRUE(fs::exists(artifact.path() + "/model.so"));
  expect_cuda_artifact(artifact.path(), {80, 90});
}

// Models without small MLPs: convolutions with folded batch norms, and
// attention with layer norms.
TEST(DeployCuda, CnnAndTransformerCompile) {
  for (const char* model : {"cnn_bn", "transformer_block"}) {
    SCOPED_TRACE(model);
    ArtifactDir artifact(model, std::string("cuda_") + model, "--device cuda --gpu-arch sm_90,sm_80");
    ASSERT_FALSE(artifact.path().empty());
    expect_cuda_artifact(artifact.path(), {80, 90});
  }
}

TEST(DeployCuda, CpuCompileReplacesACudaDirectory) {
  ArtifactDir artifact("nn5", "cuda_then_cpu", "--device cuda");
  ASSERT_FALSE(artifact.path().empty());
  const CliResult r = run_wick("compile " + std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt" +
                               input_args(zoo_inputs("nn5")) + " -o " + artifact.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(artifact.path() + "/gpu_kernels.bin"));
  const rt::Manifest m = rt::parse_manifest(read_bytes(artifact.path() + "/manifest.json"), "manifest.json");
  EXPECT_EQ(m.format_version, 1);
  EXPECT_EQ(m.device, "cpu");
  EXPECT_STREQ(rt::Artifact::open(artifact.path())->device(), "cpu");
}

TEST(DeployCuda, OpeningWithoutADriverSaysSo) {
  ArtifactDir artifact("nn5", "cuda_no_driver", "--device cuda");
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty());
  try {
    rt::Artifact::open(dir);
    ADD_FAILURE() << "opened without a driver";
  } catch (const rt::UnsupportedDevice& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(dir + ": error: ", 0), 0u) << message;
    EXPECT_NE(message.find("compiled with --device cuda"), std::string::npos) << message;
    EXPECT_NE(message.find("no NVIDIA driver found"), std::string::npos) << message;
    EXPECT_NE(message.find(kNoDriver), std::string::npos) << message;
  }
  // The same through the C API, in wick-deploy-run.
  const CliResult r =
      run_tool("wick-deploy-run", dir + input_args(zoo_inputs("nn5")) + " --output-dir " + dir + "_out");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("wick-deploy-run: cannot open the model: " + dir + ": error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no NVIDIA driver found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "_out/output0.npy"));
  // A device index that is no number is named.
  setenv("WICK_CUDA_DEVICE", "first", 1);
  EXPECT_NE(error_of(dir).find("WICK_CUDA_DEVICE is \"first\", which is no device index"), std::string::npos)
      << error_of(dir);
  unsetenv("WICK_CUDA_DEVICE");
}

// Each damaged CUDA directory is refused naming the file, before the driver
// is asked for anything (so never with the driver's message).
struct CudaDamage {
  const char* name;
  void (*apply)(const std::string& dir, const std::string& other);
  const char* message;
  const char* file;  // the file the message must name ("" = the directory)
};

// For test names and failure messages.
void PrintTo(const CudaDamage& d, std::ostream* os) { *os << d.name; }

void flip_byte(const std::string& path, size_t at) {
  std::string b = read_bytes(path);
  b[at] = static_cast<char>(b[at] ^ 0x5a);
  write_bytes(path, b);
}

const CudaDamage kDamages[] = {
    {"TruncatedGpuKernels",
     [](const std::string& d, const std::string&) {
       const std::string b = read_bytes(d + "/gpu_kernels.bin");
       write_bytes(d + "/gpu_kernels.bin", b.substr(0, b.size() / 2));
     },
     "the manifest says", "gpu_kernels.bin"},
    {"FlippedGpuKernels", [](const std::string& d, const std::string&) { flip_byte(d + "/gpu_kernels.bin", 100); },
     "does not match the manifest's", "gpu_kernels.bin"},
    {"FlippedGpuKernelsWithMatchingManifest",
     [](const std::string& d, const std::string&) {
       const std::string old = read_bytes(d + "/gpu_kernels.bin");
       flip_byte(d + "/gpu_kernels.bin", old.size() - 5);
       reseal(d, "gpu_kernels.bin", old);
     },
     "GPU kernels checksum mismatch", "gpu_kernels.bin"},
    {"TruncatedGpuKernelsWithMatchingManifest",
     [](const std::string& d, const std::string&) {
       const std::string old = read_bytes(d + "/gpu_kernels.bin");
       write_bytes(d + "/gpu_kernels.bin", old.substr(0, 20));
       reseal(d, "gpu_kernels.bin", old);
     },
     "not a wick GPU kernels file: the file is 20 bytes long", "gpu_kernels.bin"},
    {"GpuKernelsFromAnotherModel",
     [](const std::string& d, const std::string& other) {
       const std::string old = read_bytes(d + "/gpu_kernels.bin");
       write_bytes(d + "/gpu_kernels.bin", read_bytes(other + "/gpu_kernels.bin"));
       reseal(d, "gpu_kernels.bin", old);
     },
     "(file from another build)", "gpu_kernels.bin"},
    {"MissingGpuKernels", [](const std::string& d, const std::string&) { fs::remove(d + "/gpu_kernels.bin"); },
     "cannot open: No such file or directory", "gpu_kernels.bin"},
    {"UnknownDevice", [](const std::string& d, const std::string&) { set_manifest_string(d, "device", "tpu"); },
     "device names an unknown device \"tpu\" (this runtime knows cpu and cuda)", "manifest.json"},
    {"DeviceInAnOldManifest",
     [](const std::string& d, const std::string&) { edit_manifest(d, "\"format_version\": 3", "\"format_version\": 2"); },
     "device needs format version 3 (the manifest says 2)", "manifest.json"},
    {"CpuManifestOverACudaPlan",
     [](const std::string& d, const std::string&) {
       set_manifest_string(d, "device", "cpu");
       const std::string m = read_bytes(d + "/manifest.json");
       const size_t gpu = m.find("  \"gpu\": {");
       const size_t file = m.find(",\n    \"gpu_kernels.bin\"");
       ASSERT_TRUE(gpu != std::string::npos && file != std::string::npos);
       std::string edited = m.substr(0, file) + m.substr(m.find('\n', file + 2));
       edited.erase(gpu, edited.find('\n', gpu) + 1 - gpu);
       write_bytes(d + "/manifest.json", edited);
     },
     "the plan runs on cuda, but the manifest says the device is cpu", "plan.bin"},
};

class DeployCudaDamage : public ::testing::TestWithParam<CudaDamage> {};

TEST_P(DeployCudaDamage, OpenFailsNamingTheFile) {
  const CudaDamage& damage = GetParam();
  ArtifactDir artifact("nn5", std::string("cuda_") + damage.name, "--device cuda");
  ArtifactDir other("cnn_bn", std::string("cuda_other_") + damage.name, "--device cuda");
  const std::string& dir = artifact.path();
  ASSERT_FALSE(dir.empty() || other.path().empty());
  damage.apply(dir, other.path());
  const std::string message = error_of(dir);
  EXPECT_NE(message.find(damage.message), std::string::npos) << message;
  const std::string named = *damage.file ? dir + "/" + damage.file : dir;
  EXPECT_EQ(message.rfind(named + ":", 0), 0u) << message;
  EXPECT_EQ(message.find("driver"), std::string::npos) << message;
  const CliResult r =
      run_tool("wick-deploy-run", dir + input_args(zoo_inputs("nn5")) + " --output-dir " + dir + "_out");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(damage.message), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Artifacts, DeployCudaDamage, ::testing::ValuesIn(kDamages),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DeployCuda, BadDeviceRequestsExit2) {
  const std::string root = temp_dir("cuda_usage");
  const std::string compile = "compile " + std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt --input 200x14 -o " + root + "/m ";
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"--device cuda --gpu-arch sm_7", "bad --gpu-arch 'sm_7': expected sm_NN with NN from 50 to 120"},
      {"--device cuda --gpu-arch sm_80,", "bad --gpu-arch '': expected sm_NN"},
      {"--device cuda --gpu-arch 80", "bad --gpu-arch '80'"},
      {"--device cuda --gpu-arch sm_121", "bad --gpu-arch 'sm_121'"},
      {"--device cuda --gpu-arch sm_70", "GPU architecture sm_70 is older than wick generates code for (sm_75 and newer)"},
      {"--device tpu", "unknown device 'tpu' (expected cpu or cuda)"},
      {"--gpu-arch sm_80", "--gpu-arch needs --device cuda"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = run_wick(compile + c.args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(root + "/m/manifest.json"));
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace wick::testing
