// The CUDA layer on a real GPU: devices, the caching allocator, copies, PTX
// modules and launches, events, graphs, cuBLASLt GEMMs and cuDNN convolutions
// and pools, and their gradients, against the CPU extern kernels. Every test is skipped, saying
// why, where cuda_available() is false. Links only the runtime, so the binary
// can be carried to a GPU machine that has nothing but the NVIDIA driver and
// the libraries (see docs/gpu.md for WICK_CUDA_LIBRARY_PATH, which says
// where cuBLASLt and cuDNN are when the loader does not find them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "runtime/backward_kernels.h"
#include "runtime/cublaslt_gemm.h"
#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "runtime/cuda_graph.h"
#include "runtime/cuda_module.h"
#include "runtime/cuda_tensor.h"
#include "runtime/cudnn_conv.h"
#include "runtime/extern_kernels.h"
#include "support/error.h"

namespace wick::rt {
namespace {

#define REQUIRE_GPU()                                         \
  do {                                                        \
    std::string why_;                                         \
    if (!cuda_available(&why_)) GTEST_SKIP() << "no CUDA device: " << why_; \
  } while (0)

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

Tensor random_cpu(std::vector<int64_t> sizes, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t = Tensor::empty(DType::f32, std::move(sizes));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = dist(gen);
  return t;
}

// max |a - b| / max |b| over two CPU tensors of equal sizes (any strides).
double rel_error(const Tensor& a, const Tensor& b) {
  Tensor ac = a.contiguous(), bc = b.contiguous();
  EXPECT_EQ(ac.sizes(), bc.sizes());
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < bc.numel(); ++i) {
    diff = std::max(diff, std::fabs(double(ac.data_as<float>()[i]) - bc.data_as<float>()[i]));
    ref = std::max(ref, std::fabs(double(bc.data_as<float>()[i])));
  }
  return ref == 0 ? diff : diff / ref;
}

void expect_equal(const Tensor& a, const Tensor& b) {
  Tensor ac = a.contiguous(), bc = b.contiguous();
  ASSERT_EQ(ac.sizes(), bc.sizes());
  EXPECT_EQ(std::memcmp(ac.data(), bc.data(), bc.nbytes()), 0);
}

// A view of `t` with its last two dims swapped.
Tensor transposed(const Tensor& t) {
  std::vector<int64_t> sizes = t.sizes(), strides = t.strides();
  std::swap(sizes[sizes.size() - 1], sizes[sizes.size() - 2]);
  std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
  return t.as_strided(sizes, strides, t.offset());
}

// ---- hand-written PTX -------------------------------------------------------

// PTX for the device: its own target where the ISA version for it is known,
// else sm_75 (PTX ISA 6.4), which the driver compiles up for newer devices.
std::string ptx_header() {
  const int sm = cuda_device(0).sm();
  std::string version = "6.4", target = "sm_75";
  if (sm == 80) version = "7.0", target = "sm_80";
  if (sm == 86) version = "7.1", target = "sm_86";
  if (sm == 89) version = "7.8", target = "sm_89";
  if (sm == 90) version = "7.8", target = "sm_90";
  return ".version " + version + "\n.target " + target + "\n.address_size 64\n";
}

// c[i] = a[i] + b[i] for i < n, one thread per element.
const char* kVectorAdd = R"(
.visible .entry wick_test_vadd(
    .param .u64 param_a,
    .param .u64 param_b,
    .param .u64 param_c,
    .param .u64 param_n
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<5>;
    .reg .f32 %f<4>;
    .reg .b64 %rd<12>;

    ld.param.u64 %rd1, [param_a];
    ld.param.u64 %rd2, [param_b];
    ld.param.u64 %rd3, [param_c];
    ld.param.u64 %rd4, [param_n];
    mov.u32 %r1, %ctaid.x;
    mov.u32 %r2, %ntid.x;
    mov.u32 %r3, %tid.x;
    mad.lo.s32 %r4, %r1, %r2, %r3;
    cvt.u64.u32 %rd5, %r4;
    setp.ge.u64 %p1, %rd5, %rd4;
    @%p1 bra DONE;
    cvta.to.global.u64 %rd6, %rd1;
    cvta.to.global.u64 %rd7, %rd2;
    cvta.to.global.u64 %rd8, %rd3;
    shl.b64 %rd9, %rd5, 2;
    add.s64 %rd10, %rd6, %rd9;
    ld.global.f32 %f1, [%rd10];
    add.s64 %rd10, %rd7, %rd9;
    ld.global.f32 %f2, [%rd10];
    add.rn.f32 %f3, %f1, %f2;
    add.s64 %rd11, %rd8, %rd9;
    st.global.f32 [%rd11], %f3;
DONE:
    ret;
}
)";

// out[i] = alpha * x[i] for i < n; thread 0 also stores n into *flag (an
// int64 status flag, passed last as generated kernels do).
const char* kScaleWithFlag = R"(
.visible .entry wick_test_scale(
    .param .u64 param_x,
    .param .u64 param_out,
    .param .f32 param_alpha,
    .param .u64 param_n,
    .param .u64 param_flag
)
{
    .reg .pred %p<3>;
    .reg .b32 %r<5>;
    .reg .f32 %f<3>;
    .reg .b64 %rd<12>;

    ld.param.u64 %rd1, [param_x];
    ld.param.u64 %rd2, [param_out];
    ld.param.f32 %f1, [param_alpha];
    ld.param.u64 %rd3, [param_n];
    ld.param.u64 %rd4, [param_flag];
    mov.u32 %r1, %ctaid.x;
    mov.u32 %r2, %ntid.x;
    mov.u32 %r3, %tid.x;
    mad.lo.s32 %r4, %r1, %r2, %r3;
    cvt.u64.u32 %rd5, %r4;
    setp.ne.u64 %p2, %rd5, 0;
    @%p2 bra SKIP_FLAG;
    cvta.to.global.u64 %rd6, %rd4;
    st.global.u64 [%rd6], %rd3;
SKIP_FLAG:
    setp.ge.u64 %p1, %rd5, %rd3;
    @%p1 bra DONE;
    cvta.to.global.u64 %rd7, %rd1;
    cvta.to.global.u64 %rd8, %rd2;
    shl.b64 %rd9, %rd5, 2;
    add.s64 %rd10, %rd7, %rd9;
    ld.global.f32 %f2, [%rd10];
    mul.rn.f32 %f2, %f2, %f1;
    add.s64 %rd11, %rd8, %rd9;
    st.global.f32 [%rd11], %f2;
DONE:
    ret;
}
)";

std::shared_ptr<CudaModule> test_module() {
  static std::shared_ptr<CudaModule> m =
      CudaModule::load(ptx_header() + kVectorAdd + kScaleWithFlag, 0, "wick_test");
  return m;
}

CudaLaunchDims dims_for(int64_t n) {
  CudaLaunchDims d;
  d.block = {256, 1, 1};
  d.grid = {static_cast<unsigned>((n + 255) / 256), 1, 1};
  return d;
}

void vadd(const Tensor& a, const Tensor& b, const Tensor& c) {
  static CudaFunction fn = test_module()->function("wick_test_vadd");
  CudaKernelArgs args;
  args.pointer(a).pointer(b).pointer(c).i64(c.numel());
  cuda_launch(fn, dims_for(c.numel()), args);
}

// ---- device, allocator, copies ---------------------------------------------------

TEST(CudaGpu, DeviceDescribesItself) {
  REQUIRE_GPU();
  const CudaDevice& dev = cuda_device(0);
  std::printf("%s; driver %d at %s\n", dev.describe().c_str(), cuda_driver().version,
              cuda_driver().path.c_str());
  EXPECT_FALSE(dev.name().empty());
  EXPECT_GE(dev.sm(), 50);
  EXPECT_GT(dev.multiprocessors(), 0);
  EXPECT_GE(dev.max_threads_per_block(), 1024);
  EXPECT_GT(dev.total_memory(), size_t{1} << 30);
  EXPECT_EQ(&cuda_device(0), &dev);
  std::string msg = error_of([] { cuda_device(cuda_device_count()); });
  EXPECT_NE(msg.find("requested but the NVIDIA driver reports"), std::string::npos) << msg;
}

TEST(CudaGpu, AllocatorReusesBlocks) {
  REQUIRE_GPU();
  CudaAllocator& alloc = cuda_device(0).allocator();
  void* first = nullptr;
  {
    auto s = alloc.allocate(1000);
    first = s->data();
    EXPECT_EQ(s->nbytes(), 1000u);
    EXPECT_EQ(s->device(), (Device{DeviceKind::cuda, 0}));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 256, 0u);
  }
  const CudaAllocatorStats before = alloc.stats();
  {
    auto s = alloc.allocate(900);  // same size class (1024)
    EXPECT_EQ(s->data(), first);
  }
  CudaAllocatorStats after = alloc.stats();
  EXPECT_EQ(after.driver_allocs, before.driver_allocs);
  EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
  // Large blocks: a slightly smaller request reuses a cached block.
  void* big = nullptr;
  {
    auto s = alloc.allocate(size_t{6} << 20);
    big = s->data();
  }
  {
    auto s = alloc.allocate((size_t{6} << 20) - 4096);
    EXPECT_EQ(s->data(), big);
  }
  EXPECT_EQ(CudaAllocator::round_size(1), 512u);
  EXPECT_EQ(CudaAllocator::round_size(1025), 2048u);
  EXPECT_EQ(CudaAllocator::round_size((size_t{1} << 20) + 1), size_t{2} << 20);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().cached_bytes, 0u);  // no graph holds a pool here
  EXPECT_GT(alloc.stats().driver_frees, 0u);
}

TEST(CudaGpu, OutOfMemoryIsAnError) {
  REQUIRE_GPU();
  std::string msg = error_of([] { cuda_allocate(size_t{1} << 50); });
  EXPECT_NE(msg.find("CUDA driver call cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("on cuda:0"), std::string::npos) << msg;
  // The device is still fine.
  Tensor t = to_device(random_cpu({64}, 1));
  expect_equal(to_host(t), to_host(t));
}

TEST(CudaGpu, CopiesRoundTrip) {
  REQUIRE_GPU();
  Tensor h = random_cpu({37, 53}, 2);
  Tensor d = to_device(h);
  EXPECT_EQ(d.device(), (Device{DeviceKind::cuda, 0}));
  EXPECT_TRUE(d.is_contiguous());
  expect_equal(to_host(d), h);
  // Device to device.
  Tensor d2 = cuda_empty(DType::f32, {37, 53});
  cuda_copy(d, d2);
  expect_equal(to_host(d2), h);
  // A column slice (pitched rows), a transposed view (gathered on the host),
  // and a strided host source.
  Tensor slice = d.as_strided({37, 15}, {53, 1}, 5);
  expect_equal(to_host(slice), h.as_strided({37, 15}, {53, 1}, 5));
  expect_equal(to_host(transposed(d)), transposed(h));
  Tensor from_strided = to_device(transposed(h));
  expect_equal(to_host(from_strided), transposed(h));
  Tensor into_slice = cuda_zeros(DType::f32, {37, 53});
  cuda_copy(h.as_strided({37, 15}, {53, 1}, 5), into_slice.as_strided({37, 15}, {53, 1}, 5));
  Tensor back = to_host(into_slice);
  EXPECT_EQ(back.data_as<float>()[5], h.data_as<float>()[5]);
  EXPECT_EQ(back.data_as<float>()[4], 0.f);
  // Fills, and other dtypes.
  Tensor z = cuda_empty(DType::f32, {1000});
  cuda_memset(z, 0);
  EXPECT_EQ(to_host(z).data_as<float>()[999], 0.f);
  const float v = 2.5f;
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  cuda_fill32(z, bits);
  EXPECT_EQ(to_host(z).data_as<float>()[123], 2.5f);
  Tensor ints = Tensor::zeros(DType::i64, {5});
  for (int i = 0; i < 5; ++i) ints.data_as<int64_t>()[i] = int64_t{1} << (40 + i);
  expect_equal(to_host(to_device(ints)), ints);
  // Empty tensors.
  Tensor empty = to_device(Tensor::zeros(DType::f32, {0, 3}));
  EXPECT_EQ(to_host(empty).sizes(), (std::vector<int64_t>{0, 3}));
}

// ---- modules and launches -----------------------------------------------------

TEST(CudaGpu, PtxVectorAdd) {
  REQUIRE_GPU();
  const int64_t n = 100003;
  Tensor a = random_cpu({n}, 3), b = random_cpu({n}, 4);
  Tensor da = to_device(a), db = to_device(b), dc = cuda_zeros(DType::f32, {n});
  vadd(da, db, dc);
  Tensor c = to_host(dc);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(c.data_as<float>()[i], a.data_as<float>()[i] + b.data_as<float>()[i]) << i;
}

TEST(CudaGpu, PtxScalarsAndStatusFlag) {
  REQUIRE_GPU();
  CudaFunction fn = test_module()->function("wick_test_scale");
  const int64_t n = 777;
  Tensor x = random_cpu({n}, 5);
  Tensor dx = to_device(x), dout = cuda_zeros(DType::f32, {n}), flag = cuda_zeros(DType::i64, {1});
  CudaKernelArgs args;
  args.pointer(dx).pointer(dout).f32(-3.f).i64(n).pointer(flag);
  EXPECT_EQ(args.size(), 5u);
  cuda_launch(fn, dims_for(n), args);
  Tensor out = to_host(dout);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out.data_as<float>()[i], -3.f * x.data_as<float>()[i]);
  EXPECT_EQ(to_host(flag).data_as<int64_t>()[0], n);
}

TEST(CudaGpu, ModuleErrorsSayWhat) {
  REQUIRE_GPU();
  std::string msg = error_of([] { CudaModule::load(ptx_header() + "this is not ptx;", 0, "broken"); });
  EXPECT_NE(msg.find("CUDA driver call cuModuleLoadDataEx failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("module broken"), std::string::npos) << msg;
  std::printf("bad PTX: %s\n", msg.c_str());
  msg = error_of([] { CudaModule::load(std::string("\x7f" "ELF garbage", 11), 0, "elf"); });
  EXPECT_NE(msg.find("cuModuleLoadDataEx"), std::string::npos) << msg;
  msg = error_of([] { test_module()->function("no_such_kernel"); });
  EXPECT_NE(msg.find("has no kernel named no_such_kernel"), std::string::npos) << msg;
}

TEST(CudaGpu, LaunchFailureIsAnErrorAndTheDeviceGoesOn) {
  REQUIRE_GPU();
  Tensor d = cuda_zeros(DType::f32, {16});
  CudaFunction fn = test_module()->function("wick_test_vadd");
  CudaKernelArgs args;
  args.pointer(d).pointer(d).pointer(d).i64(16);
  CudaLaunchDims bad;
  bad.block = {4096, 1, 1};  // over the 1024-thread limit
  std::string msg = error_of([&] { cuda_launch(fn, bad, args); });
  EXPECT_NE(msg.find("CUDA driver call cuLaunchKernel failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wick_test_vadd"), std::string::npos) << msg;
  Tensor a = random_cpu({16}, 6);
  Tensor da = to_device(a), dc = cuda_zeros(DType::f32, {16});
  vadd(da, da, dc);
  cuda_device(0).synchronize();
  EXPECT_EQ(to_host(dc).data_as<float>()[3], 2 * a.data_as<float>()[3]);
}

TEST(CudaGpu, EventsTimeWork) {
  REQUIRE_GPU();
  const int64_t n = 1 << 22;
  Tensor a = cuda_zeros(DType::f32, {n}), c = cuda_empty(DType::f32, {n});
  CudaEvent start, end;
  EXPECT_TRUE(start.done());  // never recorded
  start.record();
  for (int i = 0; i < 10; ++i) vadd(a, a, c);
  end.record();
  end.synchronize();
  EXPECT_TRUE(end.done());
  const float ms = end.elapsed_ms_since(start);
  EXPECT_GT(ms, 0.f);
  EXPECT_LT(ms, 10000.f);
}

// ---- graphs ---------------------------------------------------------------------

TEST(CudaGpu, GraphCapturesAndReplays) {
  REQUIRE_GPU();
  const int64_t n = 4096;
  Tensor a = to_device(random_cpu({n}, 7)), b = to_device(random_cpu({n}, 8));
  Tensor c = cuda_zeros(DType::f32, {n}), d = cuda_zeros(DType::f32, {n});
  vadd(a, b, c);  // warm up outside the capture
  cuda_memset(c, 0);
  cuda_device(0).synchronize();
  CudaGraph graph;
  std::string why;
  ASSERT_TRUE(graph.capture(
      [&] {
        vadd(a, b, c);  // c = a + b
        vadd(c, a, d);  // d = 2a + b
      },
      &why))
      << why;
  EXPECT_TRUE(graph.captured());
  EXPECT_EQ(graph.num_nodes(), 2u);
  graph.keep_alive(a.storage());
  EXPECT_EQ(to_host(c).data_as<float>()[10], 0.f);  // captured, not run
  graph.replay();
  Tensor ha = to_host(a), hb = to_host(b), hd = to_host(d);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hd.data_as<float>()[i], (ha.data_as<float>()[i] + hb.data_as<float>()[i]) + ha.data_as<float>()[i]);
  // New inputs in the same buffers, replayed again.
  Tensor a2 = random_cpu({n}, 9);
  cuda_copy(a2, a);
  graph.replay();
  hd = to_host(d);
  EXPECT_EQ(hd.data_as<float>()[17],
            (a2.data_as<float>()[17] + hb.data_as<float>()[17]) + a2.data_as<float>()[17]);
}

TEST(CudaGpu, GraphKeepsMemoryAllocatedDuringCapture) {
  REQUIRE_GPU();
  const int64_t n = 3000;
  Tensor a = to_device(random_cpu({n}, 10)), c = cuda_zeros(DType::f32, {n});
  vadd(a, a, c);  // warm up: load the kernel outside the capture
  CudaGraph graph;
  void* scratch = nullptr;
  std::string why;
  ASSERT_TRUE(graph.capture(
      [&] {
        Tensor tmp = cuda_empty(DType::f32, {n});  // from the graph's pool
        scratch = tmp.data();
        vadd(a, a, tmp);
        vadd(tmp, a, c);  // c = 3a
      },
      &why))
      << why;
  // The scratch block stays with the graph: a new allocation of that size
  // gets other memory.
  Tensor other = cuda_empty(DType::f32, {n});
  EXPECT_NE(other.data(), scratch);
  cuda_fill32(other, 0x7fc00000u);  // NaN, if it aliased the scratch it would show
  graph.replay();
  Tensor ha = to_host(a), hc = to_host(c);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hc.data_as<float>()[i], (ha.data_as<float>()[i] + ha.data_as<float>()[i]) + ha.data_as<float>()[i]);
  graph.reset();
  EXPECT_FALSE(graph.captured());
  EXPECT_THROW(graph.replay(), Error);
}

TEST(CudaGpu, FailedCaptureFallsBack) {
  REQUIRE_GPU();
  Tensor a = to_device(random_cpu({256}, 11)), c = cuda_zeros(DType::f32, {256});
  vadd(a, a, c);  // warm up
  CudaGraph graph;
  std::string why;
  // A copy to pageable host memory synchronizes: not capturable.
  EXPECT_FALSE(graph.capture([&] { vadd(a, a, c); to_host(c); }, &why));
  EXPECT_NE(why.find("CUDA graph capture on cuda:0 failed"), std::string::npos) << why;
  std::printf("expected capture failure: %s\n", why.c_str());
  EXPECT_FALSE(graph.captured());
  EXPECT_FALSE(graph.capture([&] { throw Error("planned failure"); }, &why));
  EXPECT_NE(why.find("planned failure"), std::string::npos) << why;
  // The stream is usable: run the work directly.
  vadd(a, a, c);
  Tensor ha = to_host(a);
  EXPECT_EQ(to_host(c).data_as<float>()[5], 2 * ha.data_as<float>()[5]);
  // And a later capture works.
  EXPECT_TRUE(graph.capture([&] { vadd(a, a, c); }, &why)) << why;
}

// ---- cuBLASLt -----------------------------------------------------------------------

const double kTol = 1e-4;

struct LinearCase {
  PostOp op;
  bool bias;
};

TEST(CudaGpu, LinearEpiloguesMatchCpu) {
  REQUIRE_GPU();
  std::printf("cuBLASLt %zu from %s\n", cublaslt_version(), cublaslt_path().c_str());
  Tensor x = random_cpu({64, 96}, 20), w = random_cpu({48, 96}, 21), b = random_cpu({48}, 22);
  Tensor dx = to_device(x), dw = to_device(w), db = to_device(b);
  for (PostOp op : {PostOp::none, PostOp::relu, PostOp::gelu_tanh})
    for (bool with_bias : {false, true}) {
      Epilogue e{op};
      Tensor ref = Tensor::empty(DType::f32, {64, 48});
      linear(x, w, with_bias ? b : Tensor(), ref, e);
      Tensor out = cuda_empty(DType::f32, {64, 48});
      cuda_linear(dx, dw, with_bias ? db : Tensor(), out, e);
      const double err = rel_error(to_host(out), ref);
      std::printf("linear post-op %d%s: relative error %.3g\n", static_cast<int>(op),
                  with_bias ? " with bias" : "", err);
      EXPECT_LE(err, kTol) << "post-op " << static_cast<int>(op) << (with_bias ? " with bias" : "");
    }
}

TEST(CudaGpu, LinearShapesAndLayouts) {
  REQUIRE_GPU();
  Tensor w = random_cpu({24, 40}, 23), b = random_cpu({24}, 24);
  Tensor dw = to_device(w), db = to_device(b);
  // 3-d input (folded into one GEMM), a 1-d input, a transposed input.
  for (std::vector<int64_t> xs : {std::vector<int64_t>{4, 16, 40}, std::vector<int64_t>{40}}) {
    Tensor x = random_cpu(xs, 25);
    std::vector<int64_t> os = xs;
    os.back() = 24;
    Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
    linear(x, w, b, ref, Epilogue{PostOp::relu});
    cuda_linear(to_device(x), dw, db, out, Epilogue{PostOp::relu});
    EXPECT_LE(rel_error(to_host(out), ref), kTol) << shape_str(xs);
  }
  Tensor xt = random_cpu({40, 33}, 26);  // x = xt^T, [33, 40] with unit row stride
  Tensor ref = Tensor::empty(DType::f32, {33, 24}), out = cuda_empty(DType::f32, {33, 24});
  linear(transposed(xt), w, b, ref);
  cuda_linear(transposed(to_device(xt)), dw, db, out);
  EXPECT_LE(rel_error(to_host(out), ref), kTol);
  // A column-major output (bias added as C).
  Tensor out_t = cuda_empty(DType::f32, {24, 33});
  Tensor out_view = transposed(out_t);
  cuda_linear(transposed(to_device(xt)), dw, db, out_view);
  EXPECT_LE(rel_error(transposed(to_host(out_t)), ref), kTol);
  // Post-ops cuBLASLt cannot apply are refused.
  std::string msg = error_of([&] { cuda_linear(transposed(to_device(xt)), dw, db, out, Epilogue{PostOp::sigmoid}); });
  EXPECT_NE(msg.find("separate kernel"), std::string::npos) << msg;
  EXPECT_FALSE(cublaslt_fuses(Epilogue{PostOp::relu, 0.1f}));
  EXPECT_FALSE(cublaslt_fuses(Epilogue{PostOp::gelu_erf}));
}

TEST(CudaGpu, MatmulBatchesAndBroadcasts) {
  REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> a, b;
  };
  const Case cases[] = {
      {{8, 33, 17}, {8, 17, 29}},        // bmm
      {{33, 17}, {5, 17, 29}},           // only b batched
      {{5, 33, 17}, {17, 29}},           // only a batched (folded)
      {{2, 3, 33, 17}, {3, 17, 29}},     // broadcast outer batch
      {{2, 1, 33, 17}, {1, 4, 17, 29}},  // broadcast both ways
      {{17}, {17, 29}},                  // vector @ matrix
      {{33, 17}, {17}},                  // matrix @ vector
      {{6, 33, 17}, {17}},               // batched matrix @ vector
      {{1, 1}, {1, 1}},
  };
  uint32_t seed = 30;
  for (const Case& c : cases) {
    Tensor a = random_cpu(c.a, seed++), b = random_cpu(c.b, seed++);
    std::vector<int64_t> os = matmul_output_sizes(c.a, c.b);
    Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
    matmul(a, b, ref);
    cuda_matmul(to_device(a), to_device(b), out);
    EXPECT_LE(rel_error(to_host(out), ref), kTol) << shape_str(c.a) << " @ " << shape_str(c.b);
  }
  // Transposed batched operands and a gelu epilogue.
  Tensor a = random_cpu({4, 17, 33}, 50), b = random_cpu({4, 29, 17}, 51);
  Tensor ref = Tensor::empty(DType::f32, {4, 33, 29}), out = cuda_empty(DType::f32, {4, 33, 29});
  matmul(transposed(a), transposed(b), ref, Epilogue{PostOp::gelu_tanh});
  cuda_matmul(transposed(to_device(a)), transposed(to_device(b)), out, Epilogue{PostOp::gelu_tanh});
  EXPECT_LE(rel_error(to_host(out), ref), kTol);
  // An empty inner dimension gives zeros.
  Tensor z = cuda_empty(DType::f32, {3, 4});
  cuda_matmul(cuda_empty(DType::f32, {3, 0}), cuda_empty(DType::f32, {0, 4}), z);
  EXPECT_EQ(to_host(z).data_as<float>()[11], 0.f);
}

TEST(CudaGpu, AddmmBiasesAndScales) {
  REQUIRE_GPU();
  Tensor a = random_cpu({40, 24}, 60), b = random_cpu({24, 36}, 61);
  Tensor da = to_device(a), db = to_device(b);
  struct Case {
    std::vector<int64_t> bias;
    float beta, alpha;
    PostOp op;
  };
  const Case cases[] = {
      {{36}, 1.f, 0.5f, PostOp::relu},   // the epilogue's row bias
      {{1, 36}, 1.f, 1.f, PostOp::gelu_tanh},
      {{36}, 0.25f, 2.f, PostOp::none},  // broadcast rows into out, beta as C's scale
      {{40, 36}, 0.5f, 2.f, PostOp::none},
      {{40, 1}, 1.f, 1.f, PostOp::relu},  // a column bias
      {{}, 0.3f, 1.f, PostOp::none},      // a scalar
      {{36}, 0.f, 1.f, PostOp::none},     // bias ignored
  };
  uint32_t seed = 62;
  for (const Case& c : cases) {
    Tensor bias = random_cpu(c.bias, seed++);
    Tensor ref = Tensor::empty(DType::f32, {40, 36}), out = cuda_empty(DType::f32, {40, 36});
    addmm(bias, a, b, c.beta, c.alpha, ref, Epilogue{c.op});
    cuda_addmm(to_device(bias), da, db, c.beta, c.alpha, out, Epilogue{c.op});
    EXPECT_LE(rel_error(to_host(out), ref), kTol)
        << "bias " << shape_str(c.bias) << " beta " << c.beta << " alpha " << c.alpha;
  }
  // In place: out is the bias.
  Tensor bias = random_cpu({40, 36}, 70);
  Tensor ref = bias.clone();
  addmm(ref, a, b, 0.5f, 1.f, ref);
  Tensor dbias = to_device(bias);
  cuda_addmm(dbias, da, db, 0.5f, 1.f, dbias);
  EXPECT_LE(rel_error(to_host(dbias), ref), kTol);
}

TEST(CudaGpu, GemmInAGraph) {
  REQUIRE_GPU();
  Tensor x = random_cpu({32, 64}, 80), w = random_cpu({16, 64}, 81), b = random_cpu({16}, 82);
  Tensor dx = to_device(x), dw = to_device(w), db = to_device(b);
  Tensor eager = cuda_empty(DType::f32, {32, 16}), replayed = cuda_zeros(DType::f32, {32, 16});
  cuda_linear(dx, dw, db, eager, Epilogue{PostOp::relu});  // warm up
  CudaGraph graph;
  std::string why;
  ASSERT_TRUE(graph.capture([&] { cuda_linear(dx, dw, db, replayed, Epilogue{PostOp::relu}); }, &why))
      << why;
  graph.replay();
  expect_equal(to_host(replayed), to_host(eager));
}

// ---- cuDNN ----------------------------------------------------------------------------

TEST(CudaGpu, Conv2dMatchesCpu) {
  REQUIRE_GPU();
  std::printf("cuDNN %zu from %s\n", cudnn_version(), cudnn_path().c_str());
  struct Case {
    std::vector<int64_t> x, w;
    Conv2dParams p;
    bool bias;
    Epilogue e;
  };
  Conv2dParams plain;
  Conv2dParams odd;
  odd.stride = {2, 1};
  odd.padding = {1, 2};
  odd.dilation = {1, 2};
  odd.groups = 2;
  Conv2dParams depthwise;
  depthwise.padding = {1, 1};
  depthwise.groups = 6;
  const Case cases[] = {
      {{2, 6, 17, 19}, {8, 6, 3, 3}, plain, true, {PostOp::none}},
      {{2, 6, 17, 19}, {8, 3, 3, 3}, odd, true, {PostOp::relu}},
      {{2, 6, 17, 19}, {8, 3, 3, 3}, odd, false, {PostOp::none}},
      {{1, 6, 16, 16}, {6, 1, 3, 3}, depthwise, true, {PostOp::clip, 0.f, 6.f}},
      {{6, 16, 16}, {4, 6, 1, 1}, plain, true, {PostOp::sigmoid}},  // unbatched
      {{3, 6, 9, 9}, {5, 6, 5, 5}, plain, true, {PostOp::tanh}},
      {{3, 6, 9, 9}, {5, 6, 2, 2}, plain, true, {PostOp::silu}},
  };
  uint32_t seed = 90;
  for (const Case& c : cases) {
    Tensor x = random_cpu(c.x, seed++), w = random_cpu(c.w, seed++), b = random_cpu({c.w[0]}, seed++);
    std::vector<int64_t> os = conv2d_output_sizes(c.x, c.w, c.p);
    Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
    conv2d(x, w, c.bias ? b : Tensor(), c.p, ref, c.e);
    cuda_conv2d(to_device(x), to_device(w), c.bias ? to_device(b) : Tensor(), c.p, out, c.e);
    const double err = rel_error(to_host(out), ref);
    std::printf("conv2d %s * %s post-op %d: relative error %.3g\n", shape_str(c.x).c_str(),
                shape_str(c.w).c_str(), static_cast<int>(c.e.op), err);
    EXPECT_LE(err, kTol)
        << shape_str(c.x) << " * " << shape_str(c.w) << " post-op " << static_cast<int>(c.e.op);
  }
  Tensor x = random_cpu({2, 6, 8, 8}, 99), w = random_cpu({4, 6, 3, 3}, 100);
  Tensor out = cuda_empty(DType::f32, {2, 4, 6, 6});
  std::string msg = error_of([&] {
    cuda_conv2d(to_device(x), to_device(w), Tensor(), Conv2dParams{}, out, Epilogue{PostOp::gelu_erf});
  });
  EXPECT_NE(msg.find("separate kernel"), std::string::npos) << msg;
}

TEST(CudaGpu, Conv1dMatchesCpu) {
  REQUIRE_GPU();
  Conv1dParams p;
  p.stride = 2;
  p.padding = 3;
  p.dilation = 2;
  p.groups = 2;
  Tensor x = random_cpu({3, 4, 50}, 110), w = random_cpu({6, 2, 5}, 111), b = random_cpu({6}, 112);
  std::vector<int64_t> os = conv1d_output_sizes(x.sizes(), w.sizes(), p);
  Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
  conv1d(x, w, b, p, ref, Epilogue{PostOp::relu});
  cuda_conv1d(to_device(x), to_device(w), to_device(b), p, out, Epilogue{PostOp::relu});
  EXPECT_LE(rel_error(to_host(out), ref), kTol);
}

TEST(CudaGpu, PoolsMatchCpu) {
  REQUIRE_GPU();
  Tensor x = random_cpu({2, 3, 15, 16}, 120);
  Tensor dx = to_device(x);
  MaxPool2dParams mp;
  mp.kernel = {3, 3};
  mp.stride = {2, 2};
  mp.padding = {1, 1};
  for (bool ceil : {false, true}) {
    mp.ceil_mode = ceil;
    std::vector<int64_t> os = max_pool2d_output_sizes(x.sizes(), mp);
    Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
    max_pool2d(x, mp, ref);
    if (!cudnn_pools(x.sizes(), mp)) {
      EXPECT_THROW(cuda_max_pool2d(dx, mp, out), Error);
      continue;
    }
    cuda_max_pool2d(dx, mp, out);
    EXPECT_LE(rel_error(to_host(out), ref), 0.0) << "ceil " << ceil;
  }
  for (bool include : {true, false}) {
    AvgPool2dParams ap;
    ap.kernel = {3, 2};
    ap.stride = {2, 2};
    ap.padding = {1, 1};
    ap.count_include_pad = include;
    std::vector<int64_t> os = avg_pool2d_output_sizes(x.sizes(), ap);
    Tensor ref = Tensor::empty(DType::f32, os), out = cuda_empty(DType::f32, os);
    avg_pool2d(x, ap, ref);
    cuda_avg_pool2d(dx, ap, out);
    EXPECT_LE(rel_error(to_host(out), ref), kTol) << "count_include_pad " << include;
  }
  MaxPool2dParams dilated = mp;
  dilated.ceil_mode = false;
  dilated.dilation = {2, 2};
  Tensor out = cuda_empty(DType::f32, max_pool2d_output_sizes(x.sizes(), dilated));
  std::string msg = error_of([&] { cuda_max_pool2d(dx, dilated, out); });
  EXPECT_NE(msg.find("generated kernel"), std::string::npos) << msg;
}

std::vector<int64_t> conv_output_sizes(const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                                       const ConvBackwardParams& p) {
  if (p.stride.size() == 1)
    return conv1d_output_sizes(x, w, Conv1dParams{p.stride[0], p.padding[0], p.dilation[0], p.groups});
  return conv2d_output_sizes(
      x, w, Conv2dParams{{p.stride[0], p.stride[1]}, {p.padding[0], p.padding[1]}, {p.dilation[0], p.dilation[1]}, p.groups});
}

TEST(CudaGpu, ConvGradientsMatchCpu) {
  REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> x, w;
    ConvBackwardParams p;
  };
  const Case cases[] = {
      {{2, 6, 17, 19}, {8, 6, 3, 3}, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {{2, 6, 17, 19}, {8, 3, 3, 3}, {{2, 1}, {1, 2}, {1, 2}, 2}},
      {{1, 6, 16, 16}, {6, 1, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 6}},  // depthwise
      {{6, 16, 16}, {4, 6, 1, 1}, {{1, 1}, {0, 0}, {1, 1}, 1}},     // unbatched
      {{3, 4, 50}, {6, 2, 5}, {{2}, {3}, {2}, 2}},                  // 1-D
  };
  uint32_t seed = 130;
  for (const Case& c : cases) {
    Tensor x = random_cpu(c.x, seed++), w = random_cpu(c.w, seed++);
    Tensor dy = random_cpu(conv_output_sizes(c.x, c.w, c.p), seed++);
    Tensor dx_ref = Tensor::empty(DType::f32, c.x), dw_ref = Tensor::empty(DType::f32, c.w);
    conv_input_backward(dy, w, c.p, dx_ref);
    conv_weight_backward(dy, x, c.p, dw_ref);
    Tensor dx = cuda_empty(DType::f32, c.x), dw = cuda_empty(DType::f32, c.w);
    cuda_conv_input_backward(to_device(dy), to_device(w), c.p, dx);
    cuda_conv_weight_backward(to_device(dy), to_device(x), c.p, dw);
    const double ex = rel_error(to_host(dx), dx_ref), ew = rel_error(to_host(dw), dw_ref);
    std::printf("conv %s * %s gradients: input %.3g, weight %.3g\n", shape_str(c.x).c_str(), shape_str(c.w).c_str(),
                ex, ew);
    EXPECT_LE(ex, kTol) << "input gradient of " << shape_str(c.x) << " * " << shape_str(c.w);
    EXPECT_LE(ew, kTol) << "weight gradient of " << shape_str(c.x) << " * " << shape_str(c.w);
  }
  // An output gradient of the wrong shape names the op.
  Tensor dx = cuda_empty(DType::f32, {2, 6, 8, 8});
  std::string msg = error_of([&] {
    cuda_conv_input_backward(cuda_zeros(DType::f32, {2, 4, 5, 5}), cuda_zeros(DType::f32, {4, 6, 3, 3}),
                             {{1, 1}, {0, 0}, {1, 1}, 1}, dx);
  });
  EXPECT_NE(msg.find("the output gradient has shape [2, 4, 5, 5]"), std::string::npos) << msg;
}

TEST(CudaGpu, PoolGradientsMatchCpu) {
  REQUIRE_GPU();
  Tensor x = random_cpu({2, 3, 15, 16}, 140);
  MaxPool2dParams mp;
  mp.kernel = {3, 3};
  mp.stride = {2, 2};
  mp.padding = {1, 1};
  {
    std::vector<int64_t> os = max_pool2d_output_sizes(x.sizes(), mp);
    Tensor dy = random_cpu(os, 141);
    Tensor ref = Tensor::empty(DType::f32, x.sizes()), dx = cuda_empty(DType::f32, x.sizes());
    max_pool2d_backward(dy, x, mp, ref);
    cuda_max_pool2d_backward(to_device(dy), to_device(x), mp, dx);
    EXPECT_LE(rel_error(to_host(dx), ref), kTol) << "max_pool2d";
  }
  for (bool include : {true, false}) {
    AvgPool2dParams ap;
    ap.kernel = {3, 2};
    ap.stride = {2, 2};
    ap.padding = {1, 1};
    ap.count_include_pad = include;
    Tensor dy = random_cpu(avg_pool2d_output_sizes(x.sizes(), ap), 142);
    Tensor ref = Tensor::empty(DType::f32, x.sizes()), dx = cuda_empty(DType::f32, x.sizes());
    avg_pool2d_backward(dy, ap, ref);
    cuda_avg_pool2d_backward(to_device(dy), ap, dx);
    EXPECT_LE(rel_error(to_host(dx), ref), kTol) << "avg_pool2d, count_include_pad " << include;
  }
  MaxPool2dParams dilated = mp;
  dilated.dilation = {2, 2};
  Tensor dy = cuda_zeros(DType::f32, max_pool2d_output_sizes(x.sizes(), dilated));
  Tensor dx = cuda_empty(DType::f32, x.sizes());
  std::string msg = error_of([&] { cuda_max_pool2d_backward(dy, to_device(x), dilated, dx); });
  EXPECT_NE(msg.find("takes neither dilation"), std::string::npos) << msg;
}

}  // namespace
}  // namespace wick::rt
