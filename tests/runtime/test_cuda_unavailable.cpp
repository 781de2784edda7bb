// The CUDA layer on a machine where it cannot run: WICK_CUDA_DRIVER points at
// WICK_TEST_CUDA_DRIVER (a missing file, or the toolkit's stub libcuda.so,
// whose every call fails) before anything loads the driver. Every entry point
// must then throw a wick::Error that names the problem, never crash or hang,
// and the CPU path must keep working. Compiled once per driver (CMakeLists).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <unistd.h>

#include "runtime/cublaslt_gemm.h"
#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "runtime/cuda_graph.h"
#include "runtime/cuda_module.h"
#include "runtime/cuda_tensor.h"
#include "runtime/cudnn_conv.h"
#include "runtime/executor.h"
#include "runtime/extern_kernels.h"
#include "support/error.h"
#include "test_paths.h"

namespace wick::rt {
namespace {

const std::string kDriver = WICK_TEST_CUDA_DRIVER;
const bool kIsStub = kDriver.find("stubs") != std::string::npos;

// Before any test (and before gtest lists them): the driver to use.
const bool kEnvironment = [] {
  setenv("WICK_CUDA_DRIVER", WICK_TEST_CUDA_DRIVER, 1);
  return true;
}();

bool driver_file_present() { return access(kDriver.c_str(), R_OK) == 0; }

#define SKIP_IF_NO_STUB()                                                     \
  do {                                                                        \
    if (kIsStub && !driver_file_present())                                    \
      GTEST_SKIP() << "no CUDA toolkit stub driver at " << kDriver;           \
  } while (0)

// What every failure must say.
std::string expected_reason() { return kIsStub ? "stub library" : "no NVIDIA driver found"; }

// A tensor that claims to live on cuda:0 without any memory behind it, to
// reach the GPU kernels' entry points.
Tensor fake_cuda(std::vector<int64_t> sizes) {
  static char bytes[1 << 16];
  auto storage = std::make_shared<Storage>(bytes, sizeof bytes, Device{DeviceKind::cuda, 0},
                                           std::function<void(void*)>());
  auto strides = Tensor::contiguous_strides(sizes);
  return Tensor::view_of(storage, DType::f32, std::move(sizes), std::move(strides), 0);
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

#define EXPECT_CUDA_ERROR(stmt)                                                              \
  do {                                                                                       \
    std::string msg = error_of([&] { stmt; });                                               \
    EXPECT_NE(msg.find(expected_reason()), std::string::npos) << #stmt << " said: " << msg; \
  } while (0)

TEST(CudaUnavailable, SaysWhy) {
  SKIP_IF_NO_STUB();
  std::string why;
  EXPECT_FALSE(cuda_available(&why));
  EXPECT_NE(why.find(expected_reason()), std::string::npos) << why;
  EXPECT_NE(why.find(kDriver), std::string::npos) << why;  // names the file it tried
  EXPECT_EQ(cuda_device_count(), 0);
  // The same answer every time.
  std::string again;
  EXPECT_FALSE(cuda_available(&again));
  EXPECT_EQ(why, again);
}

TEST(CudaUnavailable, EveryEntryPointThrows) {
  SKIP_IF_NO_STUB();
  EXPECT_CUDA_ERROR(cuda_driver());
  EXPECT_CUDA_ERROR(cuda_device(0));
  EXPECT_CUDA_ERROR(cuda_allocate(1024));
  EXPECT_CUDA_ERROR(cuda_empty(DType::f32, {4, 4}));
  EXPECT_CUDA_ERROR(cuda_zeros(DType::f32, {4, 4}));
  EXPECT_CUDA_ERROR(to_device(Tensor::zeros(DType::f32, {3, 5})));
  EXPECT_CUDA_ERROR(to_host(fake_cuda({3, 5})));
  EXPECT_CUDA_ERROR(cuda_copy(Tensor::zeros(DType::f32, {3, 5}), fake_cuda({3, 5})));
  EXPECT_CUDA_ERROR(cuda_memset(fake_cuda({3, 5}), 0));
  EXPECT_CUDA_ERROR(CudaModule::load(".version 7.8\n.target sm_90\n.address_size 64\n"));
  EXPECT_CUDA_ERROR(CudaEvent event(0));
  EXPECT_CUDA_ERROR(CudaGraph(0).capture([] {}));

  Tensor x = fake_cuda({8, 16}), w = fake_cuda({4, 16}), b = fake_cuda({4});
  Tensor out = fake_cuda({8, 4});
  EXPECT_CUDA_ERROR(cuda_linear(x, w, b, out));
  EXPECT_CUDA_ERROR(cuda_matmul(x, fake_cuda({16, 4}), out));
  EXPECT_CUDA_ERROR(cuda_addmm(b, x, fake_cuda({16, 4}), 1.f, 1.f, out));
  Tensor img = fake_cuda({1, 2, 6, 6}), filt = fake_cuda({3, 2, 3, 3});
  Tensor conv_out = fake_cuda({1, 3, 4, 4});
  EXPECT_CUDA_ERROR(cuda_conv2d(img, filt, Tensor(), Conv2dParams{}, conv_out));
  MaxPool2dParams mp;
  mp.kernel = {2, 2};
  mp.stride = {2, 2};
  Tensor pooled = fake_cuda({1, 2, 3, 3});
  EXPECT_CUDA_ERROR(cuda_max_pool2d(img, mp, pooled));
  // The gradients.
  const ConvBackwardParams cp{{1, 1}, {0, 0}, {1, 1}, 1};
  EXPECT_CUDA_ERROR(cuda_conv_input_backward(conv_out, filt, cp, img));
  EXPECT_CUDA_ERROR(cuda_conv_weight_backward(conv_out, img, cp, filt));
  EXPECT_CUDA_ERROR(cuda_max_pool2d_backward(pooled, img, mp, img));
  AvgPool2dParams ap;
  ap.kernel = {2, 2};
  ap.stride = {2, 2};
  EXPECT_CUDA_ERROR(cuda_avg_pool2d_backward(pooled, ap, img));
}

TEST(CudaUnavailable, WrongDeviceArgumentsAreNamed) {
  // Checks that need no driver come first and name the op.
  Tensor cpu = Tensor::zeros(DType::f32, {8, 16});
  Tensor out = fake_cuda({8, 4});
  std::string msg = error_of([&] { cuda_linear(cpu, fake_cuda({4, 16}), Tensor(), out); });
  EXPECT_NE(msg.find("must be on a CUDA device"), std::string::npos) << msg;
  CudaKernelArgs args;
  msg = error_of([&] { args.pointer(cpu); });
  EXPECT_NE(msg.find("must be a CUDA tensor"), std::string::npos) << msg;
  msg = error_of([&] { cuda_linear(fake_cuda({8, 16}), fake_cuda({4, 16}), Tensor(), out,
                                   Epilogue{PostOp::sigmoid}); });
  // Either the post-op or the missing driver is named, never a crash.
  EXPECT_TRUE(msg.find("separate kernel") != std::string::npos ||
              msg.find(expected_reason()) != std::string::npos)
      << msg;
}

TEST(CudaUnavailable, ErrorTextsWithoutADriver) {
  EXPECT_NE(cuda_error_text(2).find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos);
  std::string msg = error_of([] { cuda_check(2, "cuMemAlloc"); });
  EXPECT_EQ(msg.rfind("CUDA driver call cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY", 0), 0u) << msg;
  EXPECT_NE(cuda_error_text(34).find("CUDA_ERROR_STUB_LIBRARY"), std::string::npos);
  EXPECT_NE(cuda_error_text(12345).find("12345"), std::string::npos);
}

TEST(CudaUnavailable, ProbesNeverCrash) {
  CudaProbe missing = probe_cuda_driver("/nonexistent/wick/libcuda.so.1");
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.message.find("no NVIDIA driver found (/nonexistent/wick/libcuda.so.1"),
            std::string::npos)
      << missing.message;
  const std::string stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub.c_str(), R_OK) == 0) {
    CudaProbe p = probe_cuda_driver(stub);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.message.find("stub library"), std::string::npos) << p.message;
    EXPECT_NE(p.message.find("CUDA_ERROR_STUB_LIBRARY"), std::string::npos) << p.message;
  }
  // A file that is not a shared library at all.
  CudaProbe junk = probe_cuda_driver((wick::test_paths::source_dir() + "/README.md"));
  EXPECT_FALSE(junk.ok);
  EXPECT_NE(junk.message.find("no NVIDIA driver found"), std::string::npos) << junk.message;
}

// A one-instruction CPU plan: y = linear(x, w), run through the executor.
TEST(CudaUnavailable, CpuPathStillWorks) {
  std::string ignored;
  cuda_available(&ignored);  // the failed load has happened
  Plan p;
  p.num_slots = 3;
  p.inputs = {0};
  p.input_specs = {{DType::f32, {4, 3}, {}}};
  p.tensors = {{1, "w"}};
  Instr alloc;
  alloc.op = Op::alloc;
  alloc.outputs = {2};
  alloc.dtype = DType::f32;
  alloc.ints = {4, 2};
  p.body.instrs.push_back(alloc);
  Instr lin;
  lin.op = Op::extern_call;
  lin.index = static_cast<int32_t>(ExternOp::linear);
  lin.inputs = {0, 1, -1};
  lin.outputs = {2};
  lin.post_op = static_cast<uint8_t>(PostOp::relu);
  p.body.instrs.push_back(lin);
  p.outputs = {2};
  Tensor w = Tensor::zeros(DType::f32, {2, 3});
  float* wd = w.data_as<float>();
  wd[0] = 1, wd[1] = 2, wd[2] = 3, wd[3] = -1, wd[4] = -1, wd[5] = -1;
  Executor e(p, {}, {w});
  Tensor x = Tensor::zeros(DType::f32, {4, 3});
  for (int i = 0; i < 12; ++i) x.data_as<float>()[i] = static_cast<float>(i);
  std::vector<Tensor> out = e.run({x});
  ASSERT_EQ(out.size(), 1u);
  for (int r = 0; r < 4; ++r) {
    const float a = 3.f * r, b = a + 1, c = a + 2;
    EXPECT_FLOAT_EQ(out[0].data_as<float>()[r * 2], a + 2 * b + 3 * c);
    EXPECT_FLOAT_EQ(out[0].data_as<float>()[r * 2 + 1], 0.f);  // relu(-(a+b+c))
  }
}

}  // namespace
}  // namespace wick::rt
