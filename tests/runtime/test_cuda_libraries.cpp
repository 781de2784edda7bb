// Finding cuBLASLt and cuDNN: the search order (WICK_CUBLASLT / WICK_CUDNN,
// then WICK_CUDA_LIBRARY_PATH, then the loader's own search), the message
// when nothing is found, and, where the libraries are installed, that the
// names wick asks for really open (no GPU needed for that). This binary sets
// WICK_CUBLASLT and WICK_CUDNN to missing files before anything loads them,
// so the process-wide libraries are "missing" here.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/cublaslt_gemm.h"
#include "runtime/cuda_driver.h"
#include "runtime/cuda_library.h"
#include "runtime/cuda_tensor.h"
#include "runtime/cudnn_conv.h"
#include "support/error.h"
#include "test_paths.h"

namespace wick::rt {
namespace {

const bool kEnvironment = [] {
  setenv("WICK_CUBLASLT", "/nonexistent/wick/libcublasLt.so.13", 1);
  setenv("WICK_CUDNN", "/nonexistent/wick/libcudnn.so.9", 1);
  return true;
}();

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  std::string old;
  bool had;
  ScopedEnv(const char* n, const char* value) : name(n) {
    const char* o = std::getenv(n);
    had = o != nullptr;
    if (o) old = o;
    if (value)
      setenv(n, value, 1);
    else
      unsetenv(n);
  }
  ~ScopedEnv() {
    if (had)
      setenv(name.c_str(), old.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

TEST(CudaLibraries, SearchOrder) {
  ScopedEnv path("WICK_CUDA_LIBRARY_PATH", "/a/lib:/b/lib/::/c");
  ScopedEnv file("WICK_TEST_LIBRARY_FILE", nullptr);
  std::vector<std::string> expected = {"/a/lib/libx.so.2", "/a/lib/libx.so.1", "/b/lib/libx.so.2",
                                       "/b/lib/libx.so.1", "/c/libx.so.2",     "/c/libx.so.1",
                                       "libx.so.2",        "libx.so.1"};
  EXPECT_EQ(cuda_library_candidates("WICK_TEST_LIBRARY_FILE", {"libx.so.2", "libx.so.1"}), expected);
  ScopedEnv file2("WICK_TEST_LIBRARY_FILE", "/exact/libx.so");
  EXPECT_EQ(cuda_library_candidates("WICK_TEST_LIBRARY_FILE", {"libx.so.2"}),
            std::vector<std::string>{"/exact/libx.so"});
}

TEST(CudaLibraries, MissingLibraryListsWhereItLooked) {
  char dir[] = "/tmp/wick-empty-libXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  {
    ScopedEnv path("WICK_CUDA_LIBRARY_PATH", dir);
    std::string msg = error_of([] {
      open_cuda_library("cuBLASLt", nullptr, {"libwick-absent-cublasLt.so.13"});
    });
    EXPECT_EQ(msg.rfind("cuBLASLt not found (searched: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(std::string(dir) + "/libwick-absent-cublasLt.so.13"), std::string::npos) << msg;
    EXPECT_NE(msg.find("; libwick-absent-cublasLt.so.13"), std::string::npos) << msg;
    EXPECT_NE(msg.find("WICK_CUDA_LIBRARY_PATH"), std::string::npos) << msg;
  }
  rmdir(dir);
}

TEST(CudaLibraries, ProcessWideLibrariesReportMissing) {
  std::string msg = error_of([] { cublaslt_version(); });
  EXPECT_EQ(msg.rfind("cuBLASLt not found (searched: /nonexistent/wick/libcublasLt.so.13", 0), 0u)
      << msg;
  msg = error_of([] { cudnn_version(); });
  EXPECT_EQ(msg.rfind("cuDNN not found (searched: /nonexistent/wick/libcudnn.so.9", 0), 0u) << msg;
  // The same answer again, without a second search.
  EXPECT_EQ(error_of([] { cudnn_version(); }), msg);
}

TEST(CudaLibraries, GpuCallsNameTheMissingLibrary) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  Tensor x = cuda_zeros(DType::f32, {8, 16}), w = cuda_zeros(DType::f32, {4, 16});
  Tensor out = cuda_empty(DType::f32, {8, 4});
  std::string msg = error_of([&] { cuda_linear(x, w, Tensor(), out); });
  EXPECT_NE(msg.find("cuBLASLt not found"), std::string::npos) << msg;
  Tensor img = cuda_zeros(DType::f32, {1, 2, 6, 6}), filt = cuda_zeros(DType::f32, {3, 2, 3, 3});
  Tensor conv_out = cuda_empty(DType::f32, {1, 3, 4, 4});
  msg = error_of([&] { cuda_conv2d(img, filt, Tensor(), Conv2dParams{}, conv_out); });
  EXPECT_NE(msg.find("cuDNN not found"), std::string::npos) << msg;
}

// Where the toolkit or PyTorch's wheels are installed, the names wick asks for
// open and answer without a GPU.
TEST(CudaLibraries, InstalledCublasLtOpens) {
  ScopedEnv none("WICK_CUBLASLT", nullptr);
  CudaLibrary lib;
  try {
    lib = open_cuda_library("cuBLASLt", "WICK_CUBLASLT", {"libcublasLt.so.13", "libcublasLt.so.12"});
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  auto version = reinterpret_cast<size_t (*)()>(lib.symbol("cublasLtGetVersion"));
  ASSERT_NE(version, nullptr) << lib.path;
  EXPECT_GE(version(), 120000u) << lib.path;
  for (const char* name : {"cublasLtCreate", "cublasLtMatmul", "cublasLtMatmulAlgoGetHeuristic",
                           "cublasLtMatmulDescSetAttribute", "cublasLtMatrixLayoutSetAttribute",
                           "cublasLtMatmulPreferenceSetAttribute", "cublasLtGetStatusName"})
    EXPECT_NE(lib.symbol(name), nullptr) << name;
}

TEST(CudaLibraries, InstalledCudnnOpensWithItsParts) {
  ScopedEnv none("WICK_CUDNN", nullptr);
  CudaLibrary lib;
  try {
    lib = open_cuda_library("cuDNN", "WICK_CUDNN", {"libcudnn.so.9"});
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  auto version = reinterpret_cast<size_t (*)()>(lib.symbol("cudnnGetVersion"));
  ASSERT_NE(version, nullptr) << lib.path;
  EXPECT_GE(version(), 90000u);
  for (const char* name :
       {"cudnnCreate", "cudnnConvolutionForward", "cudnnGetConvolutionForwardAlgorithm_v7",
        "cudnnAddTensor", "cudnnActivationForward", "cudnnPoolingForward",
        "cudnnSetActivationDescriptorSwishBeta", "cudnnGetLastErrorString"})
    EXPECT_NE(lib.symbol(name), nullptr) << name;
  // Creating a descriptor goes through the front library into libcudnn_graph /
  // libcudnn_ops, which it loads from its own directory: proof that they are
  // found. (cudnnCreate itself needs a GPU.)
  using Create = int (*)(void**);
  using Destroy = int (*)(void*);
  auto create = reinterpret_cast<Create>(lib.symbol("cudnnCreateTensorDescriptor"));
  auto destroy = reinterpret_cast<Destroy>(lib.symbol("cudnnDestroyTensorDescriptor"));
  ASSERT_NE(create, nullptr);
  void* desc = nullptr;
  EXPECT_EQ(create(&desc), 0) << "cuDNN could not load its parts next to " << lib.path;
  if (desc) destroy(desc);
}

// The runtime declares the CUDA, cuBLASLt and cuDNN types it uses itself
// (cuda_abi.h, cublaslt_abi.h, cudnn_abi.h): it builds without the toolkit.
TEST(CudaLibraries, RuntimeIncludesNoCudaHeaders) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator((wick::test_paths::source_dir() + "/runtime"))) {
    const std::string ext = entry.path().extension();
    if (ext != ".h" && ext != ".cpp") continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include", 0) != 0) continue;
      const std::string target = line.substr(line.find_first_of("<\"") == std::string::npos
                                                 ? line.size()
                                                 : line.find_first_of("<\""));
      // wick's own headers are fine (runtime/cublaslt_abi.h); anything else
      // that names CUDA is not.
      if (target.rfind("\"runtime/", 0) == 0 || target.rfind("\"support/", 0) == 0) continue;
      for (const char* banned : {"cuda", "cublas", "cudnn", "nvrtc", "library_types", "driver_types"})
        EXPECT_EQ(target.find(banned), std::string::npos) << entry.path() << ": " << line;
    }
  }
  EXPECT_GT(files, 20);
}

}  // namespace
}  // namespace wick::rt
