// Hand-written MLIR kernels compiled by the JIT and checked against plain
// C++ loops; failure reporting; concurrency; the target vector width.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "codegen/jit_engine.h"
#include "codegen/mlir_compiler.h"
#include "kernels.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

using test::vector_memref;

CompileOptions no_disk_cache() {
  CompileOptions options;
  options.cache_dir = "off";
  return options;
}

TEST(MlirJit, StridedAddOfTransposedView) {
  const int64_t rows = 5, cols = 19;
  // `a` is the transpose of a cols x rows buffer, starting 3 elements in.
  std::vector<float> a_base(3 + cols * rows), b(rows * cols), out(rows * cols, -1.f);
  for (size_t i = 0; i < a_base.size(); ++i) a_base[i] = 0.5f * static_cast<float>(i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 100.f + static_cast<float>(i);
  int64_t sizes[] = {rows, cols};
  int64_t a_strides[] = {1, rows}, row_major[] = {cols, 1};
  MemRefDescriptorBuffer a_desc(a_base.data(), 3, sizes, a_strides);
  MemRefDescriptorBuffer b_desc(b.data(), 0, sizes, row_major);
  MemRefDescriptorBuffer out_desc(out.data(), 0, sizes, row_major);

  CompiledModule module = JitEngine::global().compile(test::kStridedAdd, {packed_entry_name("add")},
                                                      no_disk_cache());
  void* args[] = {a_desc.data(), b_desc.data(), out_desc.data()};
  reinterpret_cast<PackedKernelFn>(module.address(0))(args);

  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      ASSERT_EQ(out[i * cols + j], a_base[3 + i + j * rows] + b[i * cols + j]) << i << "," << j;
}

TEST(MlirJit, SigmoidWithMathExp) {
  std::vector<float> x(1003), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = -12.f + 24.f * static_cast<float>(i) / x.size();
  auto xd = vector_memref(x), yd = vector_memref(y);
  CompiledModule module = JitEngine::global().compile(test::kSigmoid, {}, no_disk_cache());
  void* args[] = {xd.data(), yd.data()};
  module.packed("sigmoid")(args);
  for (size_t i = 0; i < x.size(); ++i) {
    double expect = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    ASSERT_NEAR(y[i], expect, 1e-6 * expect) << "x = " << x[i];
  }
}

TEST(MlirJit, RowSumReduction) {
  std::vector<float> x(32), y(4, 42.f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 2.5f;
  int64_t xs[] = {4, 8}, xst[] = {8, 1};
  MemRefDescriptorBuffer xd(x.data(), 0, xs, xst);
  auto yd = vector_memref(y);
  CompiledModule module = JitEngine::global().compile(test::kRowSum, {}, no_disk_cache());
  void* args[] = {xd.data(), yd.data()};
  module.packed("row_sum")(args);
  for (int i = 0; i < 4; ++i) {
    float expect = 0;
    for (int j = 0; j < 8; ++j) expect += x[i * 8 + j];
    EXPECT_FLOAT_EQ(y[i], expect) << "row " << i;
  }
}

TEST(MlirJit, VectorTransfersWithMaskedTail) {
  const size_t n = 37;  // two full vectors of 16 and a tail of 5
  std::vector<float> x(n), y(n + 16, -7.f);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) + 0.25f;
  auto xd = vector_memref(x);
  int64_t size = n, stride = 1;
  MemRefDescriptorBuffer yd(y.data(), 0, {&size, 1}, {&stride, 1});
  CompiledModule module = JitEngine::global().compile(test::kVectorScale, {}, no_disk_cache());
  void* args[] = {xd.data(), yd.data()};
  module.packed("scale2")(args);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 2.f * x[i]) << i;
  for (size_t i = n; i < y.size(); ++i) ASSERT_EQ(y[i], -7.f) << "written past the end at " << i;
}

// n-D transfers and vector.multi_reduction lower through vector-to-scf and
// the multi-reduction lowering.
TEST(MlirJit, VectorMultiReductionOfA2DTile) {
  const std::string text = R"mlir(
func.func @tile_row_sum(%x: memref<4x8xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %tile = vector.transfer_read %x[%c0, %c0], %pad {in_bounds = [true, true]}
      : memref<4x8xf32>, vector<4x8xf32>
  %zero = arith.constant dense<0.0> : vector<4xf32>
  %sum = vector.multi_reduction <add>, %tile, %zero [1] : vector<4x8xf32> to vector<4xf32>
  %total = vector.reduction <add>, %sum : vector<4xf32> into f32
  vector.transfer_write %sum, %y[%c0] {in_bounds = [true]} : vector<4xf32>, memref<4xf32>
  return
}
)mlir";
  std::vector<float> x(32), y(4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i * i % 11);
  int64_t xs[] = {4, 8}, xst[] = {8, 1};
  MemRefDescriptorBuffer xd(x.data(), 0, xs, xst);
  auto yd = vector_memref(y);
  CompiledModule module = JitEngine::global().compile(text, {}, no_disk_cache());
  void* args[] = {xd.data(), yd.data()};
  module.packed("tile_row_sum")(args);
  for (int i = 0; i < 4; ++i) {
    float expect = 0;
    for (int j = 0; j < 8; ++j) expect += x[i * 8 + j];
    EXPECT_EQ(y[i], expect) << "row " << i;
  }
}

TEST(MlirJit, OptLevelZeroRuns) {
  CompileOptions options = no_disk_cache();
  options.opt_level = 0;
  CompiledModule module = JitEngine::global().compile(test::kVectorScale, {}, options);
  std::vector<float> x = {1, 2, 3}, y(3);
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  module.packed("scale2")(args);
  EXPECT_EQ(y, (std::vector<float>{2, 4, 6}));
}

// Scalars are passed by address in the packed entry, and a scalar result
// comes back through args[n]; the C interface takes descriptors directly.
TEST(MlirJit, ScalarArgumentsResultAndCInterface) {
  const std::string text = R"mlir(
func.func @axpy(%a: f32, %x: memref<?xf32>, %y: memref<?xf32>, %k: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %k step %c1 {
    %xv = memref.load %x[%i] : memref<?xf32>
    %yv = memref.load %y[%i] : memref<?xf32>
    %p = arith.mulf %a, %xv : f32
    %s = arith.addf %p, %yv : f32
    memref.store %s, %y[%i] : memref<?xf32>
  }
  %r = arith.mulf %a, %a : f32
  return %r : f32
}
)mlir";
  CompiledModule module = JitEngine::global().compile(
      text, {packed_entry_name("axpy"), "_mlir_ciface_axpy"}, no_disk_cache());

  std::vector<float> x = {1, 2, 3, 4}, y = {10, 20, 30, 40};
  auto xd = vector_memref(x), yd = vector_memref(y);
  float a = 3.f, result = 0.f;
  int64_t k = 3;  // only the first three
  void* args[] = {&a, xd.data(), yd.data(), &k, &result};
  reinterpret_cast<PackedKernelFn>(module.address(0))(args);
  EXPECT_EQ(y, (std::vector<float>{13, 26, 39, 40}));
  EXPECT_EQ(result, 9.f);

  using CInterface = float (*)(float, MemRefDescriptor<1>*, MemRefDescriptor<1>*, int64_t);
  MemRefDescriptor<1> xm{x.data(), x.data(), 0, {4}, {1}}, ym{y.data(), y.data(), 0, {4}, {1}};
  float r = reinterpret_cast<CInterface>(module.address(1))(2.f, &xm, &ym, 4);
  EXPECT_EQ(y, (std::vector<float>{15, 30, 45, 48}));
  EXPECT_EQ(r, 4.f);
}

TEST(MlirJit, ParseErrorIsInternalErrorWithTheLine) {
  const std::string text =
      "func.func @bad(%x: memref<?xf32>) {\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %v = memref.load %x[%c0] : memref<?xf32\n"
      "  return\n"
      "}\n";
  try {
    JitEngine::global().compile(text, {}, no_disk_cache());
    FAIL() << "expected an InternalError";
  } catch (const InternalError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("parse"), std::string::npos) << what;
    EXPECT_NE(what.find("kernel.mlir:3:"), std::string::npos) << what;
    EXPECT_NE(what.find("%v = memref.load %x[%c0] : memref<?xf32"), std::string::npos) << what;
  }
}

TEST(MlirJit, LoweringFailureIsInternalErrorWithDiagnostic) {
  // Parses and verifies, but tensors were never bufferized: nothing lowers them.
  const std::string text = R"mlir(
func.func @on_tensors(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = arith.addf %a, %a : tensor<4xf32>
  return %r : tensor<4xf32>
}
)mlir";
  try {
    compile_to_object(text, no_disk_cache());
    FAIL() << "expected an InternalError";
  } catch (const InternalError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("lowering"), std::string::npos) << what;
    EXPECT_NE(what.find("kernel.mlir:3:"), std::string::npos) << what;
  }
}

TEST(MlirJit, MissingSymbolIsInternalError) {
  EXPECT_THROW(JitEngine::global().compile(test::kSigmoid, {"no_such_kernel"}, no_disk_cache()),
               InternalError);
}

TEST(MlirJit, UnresolvedExternalFunctionIsInternalError) {
  const std::string text = R"mlir(
func.func private @wick_test_no_such_function(f32) -> f32
func.func @calls_missing(%x: memref<f32>) {
  %v = memref.load %x[] : memref<f32>
  %r = func.call @wick_test_no_such_function(%v) : (f32) -> f32
  memref.store %r, %x[] : memref<f32>
  return
}
)mlir";
  try {
    JitEngine::global().compile(text, {packed_entry_name("calls_missing")}, no_disk_cache());
    FAIL() << "expected an InternalError";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("wick_test_no_such_function"), std::string::npos)
        << e.what();
  }
}

TEST(MlirJit, DumpIrPrintsBothStages) {
  CompileOptions options = no_disk_cache();
  options.dump_ir = true;
  testing::internal::CaptureStderr();
  compile_to_object(test::kSigmoid, options);
  std::string dumped = testing::internal::GetCapturedStderr();
  EXPECT_NE(dumped.find("llvm.func @sigmoid"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("define void @_wick_packed_sigmoid"), std::string::npos) << dumped;
}

TEST(MlirJit, BadOptionsAreUserErrors) {
  CompileOptions options = no_disk_cache();
  options.cpu = "no-such-cpu";
  EXPECT_THROW(compile_to_object(test::kSigmoid, options), Error);
  options = no_disk_cache();
  options.features = "avx2";
  EXPECT_THROW(compile_to_object(test::kSigmoid, options), Error);
  options = no_disk_cache();
  options.opt_level = 4;
  EXPECT_THROW(compile_to_object(test::kSigmoid, options), Error);
}

TEST(MlirJit, ConcurrentCompilesOnOneEngine) {
  JitEngine engine;
  std::vector<float> x(300), y_sig(300), y_exp(300);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 30.f - 5.f;
  auto run = [&](const std::string& text, const std::string& name, std::vector<float>& y) {
    CompiledModule module = engine.compile(text, {packed_entry_name(name)}, no_disk_cache());
    auto xd = vector_memref(x), yd = vector_memref(y);
    void* args[] = {xd.data(), yd.data()};
    reinterpret_cast<PackedKernelFn>(module.address(0))(args);
  };
  std::thread t1([&] { run(test::kSigmoid, "sigmoid", y_sig); });
  std::thread t2([&] { run(test::kExp, "exp", y_exp); });
  t1.join();
  t2.join();
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_NEAR(y_sig[i], 1.0 / (1.0 + std::exp(-x[i])), 1e-6) << i;
    ASSERT_NEAR(y_exp[i], std::exp(x[i]), 1e-6 * std::exp(x[i])) << i;
  }
}

TEST(MlirJit, SameModuleTwiceSharesLoadedCode) {
  JitEngine engine;
  CompiledModule first = engine.compile(test::kSigmoid, {packed_entry_name("sigmoid")},
                                        no_disk_cache());
  EXPECT_EQ(first.stats().source, CodeSource::compiled);
  CompiledModule second = engine.compile(test::kSigmoid, {packed_entry_name("sigmoid")},
                                         no_disk_cache());
  EXPECT_EQ(second.stats().source, CodeSource::memory_cache);
  EXPECT_EQ(first.address(0), second.address(0));

  // Once every handle is gone the code is unloaded; the next compile reloads.
  first = CompiledModule();
  second = CompiledModule();
  CompiledModule third = engine.compile(test::kSigmoid, {packed_entry_name("sigmoid")},
                                        no_disk_cache());
  EXPECT_EQ(third.stats().source, CodeSource::compiled);
  std::vector<float> x = {0.f}, y = {5.f};
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  reinterpret_cast<PackedKernelFn>(third.address(0))(args);
  EXPECT_FLOAT_EQ(y[0], 0.5f);
}

TEST(MlirJit, VectorizesToTheFullHostWidth) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "host has no AVX-512";
  std::string wide = compile_to_assembly(test::kSigmoid, no_disk_cache());
  EXPECT_NE(wide.find("zmm"), std::string::npos) << wide;

  CompileOptions narrow_options = no_disk_cache();
  narrow_options.prefer_vector_width = 256;
  std::string narrow = compile_to_assembly(test::kSigmoid, narrow_options);
  EXPECT_EQ(narrow.find("zmm"), std::string::npos);
  EXPECT_NE(narrow.find("ymm"), std::string::npos) << narrow;
}

TEST(MlirJit, LlvmIrHasPackedEntryAndCInterface) {
  std::string ir = compile_to_llvm_ir(test::kSigmoid, no_disk_cache(), /*optimized=*/false);
  EXPECT_NE(ir.find("define void @_wick_packed_sigmoid(ptr"), std::string::npos) << ir;
  EXPECT_NE(ir.find("@_mlir_ciface_sigmoid("), std::string::npos) << ir;
}

}  // namespace
}  // namespace wick::codegen
