// Checks with ldd that a program linking only wick_runtime pulls in none of
// LLVM, MLIR, LibTorch or Python, nor any CUDA library: a deployed model must
// run without them.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

TEST(RuntimeDeps, RuntimeLinksNoCompilerOrLibTorch) {
  const std::string probe = WICK_LDD_PROBE;
  const std::string deps = run("ldd '" + probe + "' 2>&1");
  // The probe is a dynamic executable that really uses the runtime.
  ASSERT_NE(deps.find("libc.so"), std::string::npos) << deps;
  EXPECT_NE(deps.find("libdnnl"), std::string::npos) << deps;
  // CUDA, cuBLASLt and cuDNN are opened with dlopen, never linked.
  for (const char* banned : {"libLLVM", "libMLIR", "libtorch", "libc10", "libpython", "libcuda",
                             "libcublas", "libcudnn", "libcudart", "libnvrtc"})
    EXPECT_EQ(deps.find(banned), std::string::npos) << banned << " in\n" << deps;
  EXPECT_NE(run("'" + probe + "'").find("ok 0"), std::string::npos);
}

}  // namespace
