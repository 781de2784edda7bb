// --device on the command line: a name that is no device is a usage error
// (exit 2) for every command that takes it, and asking for a GPU where there
// is no NVIDIA driver (WICK_CUDA_DRIVER pointing at nothing stands in for a
// machine without one) is a clear error with exit 2, never a crash.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli_runner.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::run_wick;

const std::string kNn5 = std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt";

std::string train_csv() {
  const std::string dir = testing::temp_dir("device_cli_train");
  std::string text = "y";
  for (int c = 0; c < 14; ++c) text += ",x" + std::to_string(c);
  text += "\n";
  for (int r = 0; r < 4; ++r) {
    text += std::to_string(r);
    for (int c = 0; c < 14; ++c) text += "," + std::to_string(0.1 * (r + c));
    text += "\n";
  }
  testing::write_text(dir + "/train.csv", text);
  return dir + "/train.csv";
}

// One command line per command that takes --device, with DEVICE to fill in.
std::vector<std::string> commands_with_device(const std::string& device) {
  const std::string out = testing::temp_dir("device_cli_out");
  return {
      "run " + kNn5 + " --input 200x14 --output-dir " + out + " --device " + device,
      "bench " + kNn5 + " --input 200x14 --iters 1 --warmup 0 --device " + device,
      "train " + kNn5 + " --data " + train_csv() + " --target-cols y --epochs 1 -o " + out + "/t.pt --device " + device,
  };
}

TEST(DeviceCli, UnknownDevicesAreUsageErrors) {
  for (const std::string& device : {"tpu", "cuda:", "cuda:x", "cuda:-1", "gpu"}) {
    for (const std::string& cmd : commands_with_device(device)) {
      SCOPED_TRACE(cmd);
      auto r = run_wick(cmd);
      EXPECT_EQ(r.status, 2) << r.err;
      EXPECT_NE(r.err.find("unknown device '" + device + "'"), std::string::npos) << r.err;
    }
  }
}

TEST(DeviceCli, NoDriverIsAClearError) {
  setenv("WICK_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  for (const std::string& cmd : commands_with_device("cuda")) {
    SCOPED_TRACE(cmd);
    auto r = run_wick(cmd);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("no NVIDIA driver found"), std::string::npos) << r.err;
  }
  unsetenv("WICK_CUDA_DRIVER");
}

}  // namespace
}  // namespace wick
