// GPU kernels for hand-made groups: each compiles to PTX that ptxas
// assembles for sm_80 and sm_90, and the PTX has the shape the issue asks
// for: no per-element integer division in pointwise and row kernels,
// 128-bit loads and stores for contiguous f32 pointwise work, warp shuffles
// in row reductions, the launch geometry a runtime needs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "gpu_test_util.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

using gpu_test::assembles;
using gpu_test::count_instructions;
using gpu_test::integer_divisions;

GpuKernel generate(const std::string& text, const std::vector<TensorLayout>& layouts = {}, int sm = 90) {
  auto m = gpu_test::parse_graph(text);
  KernelGroup group = gpu_test::whole_graph_group(gpu_test::graph_of(*m), layouts);
  return generate_gpu_kernel(group, "k", gpu_test::target(sm));
}

// Generated for sm_80 and sm_90, both assemble; returns the sm_90 kernel.
GpuKernel generate_both(const std::string& text, const std::vector<TensorLayout>& layouts = {}) {
  GpuKernel k80 = generate(text, layouts, 80);
  EXPECT_TRUE(assembles(k80, 80));
  GpuKernel k90 = generate(text, layouts, 90);
  EXPECT_TRUE(assembles(k90, 90));
  return k90;
}

TEST(GpuKernelGen, PointwiseContiguousF32UsesVectorLoads) {
  WICK_REQUIRE_PTXAS();
  GpuKernel k = generate_both(R"(
graph @g(%x : Tensor(f32, [64, 256]), %y : Tensor(f32, [64, 256])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %b : Tensor = aten::tanh(%a)
  return(%b)
})");
  EXPECT_GE(count_instructions(k.ptx, "ld.global.nc.v4.f32") + count_instructions(k.ptx, "ld.global.v4.f32"), 2)
      << k.ptx;
  EXPECT_GE(count_instructions(k.ptx, "st.global.v4.f32"), 1) << k.ptx;
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
  EXPECT_EQ(k.ptx.find(".extern"), std::string::npos) << k.ptx;
  EXPECT_EQ(k.block[0] * k.grid[0] * 4, 256u);
  EXPECT_EQ(k.block[1] * k.grid[1], 64u);
  EXPECT_EQ(k.args.size(), 3u);
  EXPECT_EQ(k.status_arg, -1);
  if (std::getenv("WICK_GPU_PRINT")) std::cout << k.mlir << k.ptx;
}

// A reduction of x (given as `call`, naming %x and the constants below).
std::string reduction_graph(const std::string& x_type, const std::string& call, const std::string& dims,
                            int outputs = 1) {
  const std::string results = outputs == 1 ? "%r" : "%r, %i";
  const std::string types = outputs == 1 ? "Tensor" : "Tensor, Tensor";
  const std::string defs = outputs == 1 ? "%r : Tensor" : "%r : Tensor, %i : Tensor";
  return "graph @g(%x : Tensor(" + x_type + ")) -> (" + types + ") {\n" +
         "  %dims : List[Int] = prim::Constant[value=" + dims + "]()\n" +
         "  %dim : Int = prim::Constant[value=-1]()\n  %zero : Int = prim::Constant[value=0]()\n" +
         "  %t : Bool = prim::Constant[value=true]()\n  %f : Bool = prim::Constant[value=false]()\n" +
         "  %none : None = prim::Constant[value=none]()\n" +
         "  %e : Tensor = aten::exp(%x)\n" +
         "  " + defs + " = " + call + "\n  return(" + results + ")\n}\n";
}

TEST(GpuKernelGen, RowReductionsUseShuffles) {
  WICK_REQUIRE_PTXAS();
  struct Case {
    std::string type, call, dims;
    int outputs;
  };
  const std::vector<Case> cases = {
      {"f32, [64, 1000]", "aten::sum.dim_IntList(%e, %dims, %t, %none)", "[-1]", 1},
      {"f32, [64, 1000]", "aten::mean.dim(%e, %dims, %f, %none)", "[1]", 1},
      {"f32, [8, 16, 10]", "aten::amax(%x, %dims, %t)", "[-1]", 1},
      {"f32, [8, 4, 100]", "aten::amin(%x, %dims, %f)", "[0, 2]", 1},
      {"f32, [300, 5000]", "aten::max.dim(%x, %dim, %f)", "[-1]", 2},
      {"f32, [12, 37]", "aten::argmax(%x, %dim, %t)", "[-1]", 1},
      {"f32, [12, 37]", "aten::argmin(%x, %dim, %f)", "[-1]", 1},
      {"f32, [64, 1000]", "aten::prod.dim_int(%x, %dim, %t, %none)", "[-1]", 1},
      {"i64, [64, 100]", "aten::prod(%x, %none)", "[-1]", 1},
      {"f64, [16, 256]", "aten::sum.dim_IntList(%e, %dims, %f, %none)", "[-1]", 1},
      {"f32, [3, 70000]", "aten::sum(%e, %none)", "[-1]", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type + ": " + c.call + " over " + c.dims);
    GpuKernel k = generate_both(reduction_graph(c.type, c.call, c.dims, c.outputs));
    EXPECT_GE(count_instructions(k.ptx, "shfl.sync.bfly"), 5) << k.ptx;
    EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
    EXPECT_GE(k.block[0], 32u);
  }
}

TEST(GpuKernelGen, ColumnReductionsLoopPerThread) {
  WICK_REQUIRE_PTXAS();
  for (const std::string call : {"aten::sum.dim_IntList(%e, %dims, %f, %none)", "aten::amax(%x, %dims, %t)",
                                 "aten::argmax(%x, %zero, %f)", "aten::argmin(%x, %zero, %t)",
                                 "aten::prod.dim_int(%x, %zero, %f, %none)"}) {
    SCOPED_TRACE(call);
    GpuKernel k = generate_both(reduction_graph("f32, [512, 96]", call, "[0]"));
    EXPECT_EQ(count_instructions(k.ptx, "shfl.sync"), 0) << k.ptx;
    EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
    EXPECT_EQ(k.grid[0] * k.block[0], 128u);  // one thread per column, 96 rounded up to a power of two
  }
}

const char* const kSoftmax = R"(
graph @g(%x : Tensor(f32, [64, 1000])) -> (Tensor) {
  %dims : List[Int] = prim::Constant[value=[-1]]()
  %t : Bool = prim::Constant[value=true]()
  %one : Int = prim::Constant[value=1]()
  %none : None = prim::Constant[value=none]()
  %m : Tensor = aten::amax(%x, %dims, %t)
  %s : Tensor = aten::sub.Tensor(%x, %m, %one)
  %e : Tensor = aten::exp(%s)
  %z : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %y : Tensor = aten::div.Tensor(%e, %z)
  return(%y)
})";

// Global loads of f32 values (not of shared memory or parameters).
int global_loads(const std::string& ptx) {
  return count_instructions(ptx, "ld.global.f32") + count_instructions(ptx, "ld.global.nc.f32") +
         4 * (count_instructions(ptx, "ld.global.v4.f32") + count_instructions(ptx, "ld.global.nc.v4.f32"));
}

TEST(GpuKernelGen, SoftmaxRowGroupReadsEachRowOnce) {
  WICK_REQUIRE_PTXAS();
  GpuKernel k = generate_both(kSoftmax);
  if (std::getenv("WICK_GPU_PRINT")) std::cout << k.mlir << k.ptx;
  EXPECT_EQ(k.block[0], 256u);
  EXPECT_EQ(k.grid[0], 64u);
  // 1000 elements over 256 threads: 4 loads per thread, unrolled, no loop back.
  EXPECT_EQ(global_loads(k.ptx), 4) << k.ptx;
  EXPECT_GE(count_instructions(k.ptx, "shfl.sync.bfly"), 10) << k.ptx;
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
  EXPECT_GE(count_instructions(k.ptx, "bar.sync"), 2) << k.ptx;
}

TEST(GpuKernelGen, LayerNormAndLogSoftmaxRowGroups) {
  WICK_REQUIRE_PTXAS();
  // layer_norm over the last two dims as decompose writes it, then * w + b.
  GpuKernel ln = generate_both(R"(
graph @g(%x : Tensor(f32, [32, 16, 4, 96]), %w : Tensor(f32, [4, 96]), %b : Tensor(f32, [4, 96])) -> (Tensor, Tensor) {
  %dims : List[Int] = prim::Constant[value=[-2, -1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %one : Int = prim::Constant[value=1]()
  %eps : Float = prim::Constant[value=1e-05]()
  %mean : Tensor = aten::mean.dim(%x, %dims, %t, %none)
  %c : Tensor = aten::sub.Tensor(%x, %mean, %one)
  %sq : Tensor = aten::mul.Tensor(%c, %c)
  %var : Tensor = aten::mean.dim(%sq, %dims, %t, %none)
  %ve : Tensor = aten::add.Scalar(%var, %eps, %one)
  %r : Tensor = aten::rsqrt(%ve)
  %n : Tensor = aten::mul.Tensor(%c, %r)
  %nw : Tensor = aten::mul.Tensor(%n, %w)
  %y : Tensor = aten::add.Tensor(%nw, %b, %one)
  return(%y, %r)
})");
  EXPECT_EQ(ln.grid[0] * ln.block[1], 512u);  // a row per 32 * 16 position
  EXPECT_EQ(ln.block[0], 32u);                // a warp per row of 96 (4 rows per block)
  // x is read 4 * 96 / 32 = 12 times per thread, w and b as often: once each.
  EXPECT_EQ(global_loads(ln.ptx), 36) << ln.ptx;
  EXPECT_GE(count_instructions(ln.ptx, "shfl.sync.bfly"), 10);
  EXPECT_EQ(integer_divisions(ln.ptx), 0) << ln.ptx;

  GpuKernel ls = generate_both(R"(
graph @g(%x : Tensor(f64, [10, 3000])) -> (Tensor) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %one : Int = prim::Constant[value=1]()
  %m : Tensor = aten::amax(%x, %dims, %t)
  %s : Tensor = aten::sub.Tensor(%x, %m, %one)
  %e : Tensor = aten::exp(%s)
  %z : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %l : Tensor = aten::log(%z)
  %y : Tensor = aten::sub.Tensor(%s, %l, %one)
  return(%y)
})");
  EXPECT_EQ(ls.block[0], 1024u);
  EXPECT_EQ(integer_divisions(ls.ptx), 0) << ls.ptx;
  EXPECT_GE(count_instructions(ls.ptx, "shfl.sync.bfly"), 20);
}

TEST(GpuKernelGen, LongRowsAreReadAgainPerPass) {
  WICK_REQUIRE_PTXAS();
  // 100000 elements over 1024 threads: 98 per thread, beyond the registers'
  // 32; each pass loops over the row.
  std::string text = kSoftmax;
  text.replace(text.find("[64, 1000]"), 10, "[4, 100000]");
  GpuKernel k = generate_both(text);
  EXPECT_EQ(k.block[0], 1024u);
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
}

TEST(GpuKernelGen, BroadcastAndStridedInputs) {
  WICK_REQUIRE_PTXAS();
  const char* text = R"(
graph @g(%x : Tensor(f32, [8, 64, 128]), %y : Tensor(f32, [128]), %z : Tensor(f32, [8, 64, 1]), %s : Float) -> (Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %b : Tensor = aten::mul.Tensor(%a, %z)
  %c : Tensor = aten::mul.Scalar(%b, %s)
  %d : Tensor = aten::sigmoid(%c)
  return(%c, %d)
})";
  // Contiguous: everything vectorized.
  GpuKernel k = generate_both(text);
  EXPECT_GE(count_instructions(k.ptx, "ld.global.v4.f32") + count_instructions(k.ptx, "ld.global.nc.v4.f32"), 2)
      << k.ptx;
  EXPECT_EQ(count_instructions(k.ptx, "st.global.v4.f32"), 2) << k.ptx;
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
  EXPECT_EQ(k.grid[2], 8u);  // the outer dim along z
  EXPECT_EQ(k.args[3].kind, KernelArgKind::float_scalar);
  // x transposed in its last two dims: its loads stay scalar, the rest vectorize.
  TensorLayout xt{DType::f32, {8, 64, 128}, {8192, 1, 64}};
  GpuKernel t = generate_both(text, {xt});
  EXPECT_EQ(count_instructions(t.ptx, "st.global.v4.f32"), 2) << t.ptx;
  EXPECT_EQ(integer_divisions(t.ptx), 0) << t.ptx;
  // A rank-5 domain folds three outer dims into z: recovered by constant
  // division once per thread, no div instruction.
  GpuKernel r5 = generate_both(R"(
graph @g(%x : Tensor(f32, [3, 5, 7, 9, 20])) -> (Tensor) {
  %r : Tensor = aten::relu(%x)
  return(%r)
})");
  EXPECT_EQ(r5.grid[2], 105u);
  EXPECT_EQ(integer_divisions(r5.ptx), 0) << r5.ptx;
}

TEST(GpuKernelGen, AllDtypes) {
  WICK_REQUIRE_PTXAS();
  for (const char* dtype : {"f32", "f64", "f16", "i64", "i32", "i16", "i8", "u8"}) {
    SCOPED_TRACE(dtype);
    const std::string t = dtype;
    GpuKernel k = generate_both("graph @g(%x : Tensor(" + t + ", [6, 50]), %y : Tensor(" + t + R"(, [6, 50])) -> (Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %m : Tensor = aten::maximum(%a, %y)
  %c : Tensor = aten::gt.Tensor(%a, %x)
  %w : Tensor = aten::where.self(%c, %m, %x)
  %none : None = prim::Constant[value=none]()
  %dims : List[Int] = prim::Constant[value=[1]]()
  %f : Bool = prim::Constant[value=false]()
  return(%w, %c, %m)
})");
    EXPECT_EQ(k.ptx.find(".extern"), std::string::npos);
  }
  // Bools in and out, a bool scalar argument.
  GpuKernel b = generate_both(R"(
graph @g(%x : Tensor(bool, [4, 33]), %y : Tensor(bool, [4, 33]), %k : Bool) -> (Tensor) {
  %n : Tensor = aten::logical_not(%x)
  %a : Tensor = aten::__and__.Tensor(%n, %y)
  %b : Tensor = aten::eq.Scalar(%a, %k)
  return(%b)
})");
  EXPECT_EQ(b.args[2].kind, KernelArgKind::bool_scalar);
  EXPECT_NE(b.ptx.find(".param .u32"), std::string::npos) << b.ptx;  // bools travel as 32-bit ints
  // Integer floor division and remainder (the op's own division, allowed).
  generate_both(R"(
graph @g(%x : Tensor(i64, [4, 33]), %y : Tensor(i64, [4, 33])) -> (Tensor, Tensor) {
  %a : Tensor = aten::floor_divide(%x, %y)
  %b : Tensor = aten::remainder.Tensor(%x, %y)
  return(%a, %b)
})");
}

// The math of ops_math.cpp: the functions the GPU lowering has (libdevice
// calls) and those built from others (trunc, round, atan2, isinf).
TEST(GpuKernelGen, MoreMathFunctions) {
  WICK_REQUIRE_PTXAS();
  for (const char* dtype : {"f32", "f64"}) {
    SCOPED_TRACE(dtype);
    const std::string t = std::string("Tensor(") + dtype + ", [6, 50])";
    generate_both("graph @g(%x : " + t + ", %y : " + t + R"() -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
  %none : None = prim::Constant[value=none]()
  %two : Int = prim::Constant[value=2]()
  %half : Float = prim::Constant[value=0.5]()
  %e1 : Tensor = aten::expm1(%x)
  %e2 : Tensor = aten::exp2(%e1)
  %l2 : Tensor = aten::log2(%e2)
  %l10 : Tensor = aten::log10(%l2)
  %lp : Tensor = aten::log1p(%l10)
  %tn : Tensor = aten::tan(%lp)
  %at : Tensor = aten::atan(%tn)
  %a2 : Tensor = aten::atan2(%at, %y)
  %tr : Tensor = aten::trunc(%a2)
  %rd : Tensor = aten::round.decimals(%x, %two)
  %fr : Tensor = aten::frac(%rd)
  %fm : Tensor = aten::fmod.Tensor(%fr, %y)
  %sg : Tensor = aten::sign(%fm)
  %nn : Tensor = aten::nan_to_num(%x, %none, %none, %none)
  %sh : Tensor = aten::softshrink(%nn, %half)
  %lg : Tensor = aten::logit(%sh, %half)
  %ac : Tensor = aten::addcdiv(%lg, %x, %y, %half)
  %fin : Tensor = aten::isfinite(%ac)
  return(%tr, %sg, %ac, %fin, %fm)
})");
  }
}

TEST(GpuKernelGen, CatAndStack) {
  WICK_REQUIRE_PTXAS();
  for (const char* dim : {"0", "1", "-1"}) {
    SCOPED_TRACE(dim);
    GpuKernel k = generate_both(std::string(R"(
graph @g(%a : Tensor(f32, [4, 6, 5]), %b : Tensor(f32, [4, 6, 5]), %c : Tensor(f32, [4, 6, 5])) -> (Tensor) {
  %dim : Int = prim::Constant[value=)") + dim + R"(]()
  %l : List[Tensor] = prim::ListConstruct(%a, %b, %c, %a)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})");
    EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
    EXPECT_EQ(k.status_arg, -1);
  }
  GpuKernel s = generate_both(R"(
graph @g(%x : Tensor(i64, [3, 7]), %y : Tensor(i64, [3, 7])) -> (Tensor) {
  %dim : Int = prim::Constant[value=1]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::stack(%l, %dim)
  return(%r)
})");
  EXPECT_EQ(s.args.size(), 3u);
}

TEST(GpuKernelGen, GathersReportBadIndices) {
  WICK_REQUIRE_PTXAS();
  const std::vector<std::string> graphs = {
      R"(graph @g(%x : Tensor(f32, [10, 7]), %i : Tensor(i64, [5])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})",
      R"(graph @g(%w : Tensor(f32, [1000, 64]), %i : Tensor(i32, [8, 20])) -> (Tensor) {
  %pad : Int = prim::Constant[value=-1]()
  %f : Bool = prim::Constant[value=false]()
  %r : Tensor = aten::embedding(%w, %i, %pad, %f, %f)
  return(%r)
})",
      R"(graph @g(%x : Tensor(i64, [4, 9])) -> (Tensor) {
  %n : Int = prim::Constant[value=6]()
  %r : Tensor = aten::one_hot(%x, %n)
  return(%r)
})",
      R"(graph @g(%x : Tensor(f32, [5, 6, 7, 4]), %a : Tensor(i64, [3]), %b : Tensor(i64, [2, 1])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%a, %n, %b)
  %r : Tensor = aten::index.Tensor(%x, %l)
  return(%r)
})",
  };
  for (const std::string& text : graphs) {
    SCOPED_TRACE(text);
    GpuKernel k = generate_both(text);
    if (std::getenv("WICK_GPU_PRINT")) std::cout << k.ptx;
    ASSERT_EQ(k.status_arg, static_cast<int>(k.args.size()) - 1);
    EXPECT_TRUE(k.args.back().is_output);
    EXPECT_EQ(k.args.back().layout.dtype, DType::i64);
    EXPECT_TRUE(k.args.back().layout.sizes.empty());
    EXPECT_GE(count_instructions(k.ptx, "st.global.u64") + count_instructions(k.ptx, "st.global.b64") +
                count_instructions(k.ptx, "st.global.s64"), 1) << k.ptx;
  }
}

TEST(GpuKernelGen, Scatters) {
  WICK_REQUIRE_PTXAS();
  GpuKernel sb = generate_both(R"(
graph @g(%x : Tensor(f32, [4, 3, 6])) -> (Tensor) {
  %s : List[Int] = prim::Constant[value=[4, 7, 6]]()
  %d : Int = prim::Constant[value=1]()
  %a : Int = prim::Constant[value=1]()
  %b : Int = prim::Constant[value=7]()
  %k : Int = prim::Constant[value=2]()
  %r : Tensor = aten::slice_backward(%x, %s, %d, %a, %b, %k)
  return(%r)
})");
  EXPECT_EQ(sb.status_arg, -1);
  GpuKernel ia = generate_both(R"(
graph @g(%x : Tensor(f32, [50, 16]), %i : Tensor(i64, [30]), %s : Tensor(f32, [30, 16]), %a : Float) -> (Tensor) {
  %d : Int = prim::Constant[value=0]()
  %r : Tensor = aten::index_add(%x, %d, %i, %s, %a)
  return(%r)
})");
  EXPECT_EQ(ia.status_arg, 5);  // x, i, s, alpha, the output, the status
  EXPECT_EQ(ia.grid[0] * ia.block[0], 16u);  // a thread per column
  GpuKernel ip = generate_both(R"(
graph @g(%x : Tensor(f32, [5, 6, 7]), %a : Tensor(i64, [4]), %b : Tensor(i64, [4]), %v : Tensor(f32, [4, 6])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %t : Bool = prim::Constant[value=true]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%a, %n, %b)
  %r : Tensor = aten::index_put(%x, %l, %v, %t)
  return(%r)
})");
  EXPECT_EQ(ip.status_arg, 5);
  EXPECT_EQ(ip.grid[0] * ip.block[0], 8u);  // columns: dim 1 (6), rounded up to a power of two
}

TEST(GpuKernelGen, Copies) {
  WICK_REQUIRE_PTXAS();
  // Transposed: scalar loads, vector stores.
  TensorLayout t{DType::f32, {64, 32}, {1, 64}};
  GpuKernel k = generate_gpu_copy(t, "copy_t", gpu_test::target());
  EXPECT_TRUE(assembles(k, 90));
  if (std::getenv("WICK_GPU_PRINT")) std::cout << k.mlir << k.ptx;
  EXPECT_EQ(count_instructions(k.ptx, "st.global.v4.f32"), 1) << k.ptx;
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
  ASSERT_EQ(k.args.size(), 2u);
  EXPECT_EQ(k.args[0].layout.strides, t.strides);
  EXPECT_TRUE(k.args[1].is_output);
  // A slice of rows (stride 2 * 40): vector loads and stores.
  TensorLayout rows{DType::f32, {10, 40}, {80, 1}};
  GpuKernel r = generate_gpu_copy(rows, "copy_rows", gpu_test::target(80));
  EXPECT_TRUE(assembles(r, 80));
  EXPECT_EQ(count_instructions(r.ptx, "ld.global.v4.f32") + count_instructions(r.ptx, "ld.global.nc.v4.f32"), 1)
      << r.ptx;
  // Broadcast (stride 0) and a rank-4 permutation, i64.
  GpuKernel b = generate_gpu_copy(TensorLayout{DType::i64, {3, 4, 5, 6}, {0, 1, 24, 4}}, "copy_b", gpu_test::target());
  EXPECT_TRUE(assembles(b, 90));
  EXPECT_EQ(integer_divisions(b.ptx), 0) << b.ptx;
}

TEST(GpuKernelGen, ContiguousNode) {
  WICK_REQUIRE_PTXAS();
  TensorLayout xt{DType::f32, {16, 12}, {1, 16}};
  GpuKernel k = generate_both(R"(
graph @g(%x : Tensor(f32, [16, 12])) -> (Tensor) {
  %m : Int = prim::Constant[value=0]()
  %r : Tensor = aten::contiguous(%x, %m)
  return(%r)
})", {xt});
  EXPECT_EQ(k.args[0].layout.strides, xt.strides);
}

TEST(GpuKernelGen, RefusesDynamicDims) {
  auto m = gpu_test::parse_graph(R"(
graph @g(%x : Tensor(f32, [B, 8])) -> (Tensor) {
  %r : Tensor = aten::relu(%x)
  return(%r)
})");
  KernelGroup g = gpu_test::whole_graph_group(gpu_test::graph_of(*m), {TensorLayout{DType::f32, {kDynamic, 8}, {8, 1}}});
  try {
    generate_gpu_kernel(g, "k", gpu_test::target());
    FAIL() << "a dynamic dim was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dynamic dims are not supported on the GPU yet"), std::string::npos)
        << e.what();
  }
}

// The NN5 model's shape (14 -> 20 -> 10 -> 5 -> 1, sigmoids between), with
// a per-feature scale among the activations and a tanh after the last
// layer: one kernel, a thread per row, a multiply-add per weight, the
// features in registers (no local memory).
const char* kSmallMlp = R"(
graph @g(%x : Tensor(f32, [200, 14]), %w1 : Tensor(f32, [20, 14]), %b1 : Tensor(f32, [20]),
         %w2 : Tensor(f32, [10, 20]), %b2 : Tensor(f32, [10]), %s2 : Tensor(f32, [10]),
         %w3 : Tensor(f32, [5, 10]), %w4 : Tensor(f32, [1, 5]), %b4 : Tensor(f32, [1])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %h1 : Tensor = aten::linear(%x, %w1, %b1)
  %a1 : Tensor = aten::sigmoid(%h1)
  %h2 : Tensor = aten::linear(%a1, %w2, %b2)
  %m2 : Tensor = aten::mul.Tensor(%h2, %s2)
  %a2 : Tensor = aten::sigmoid(%m2)
  %h3 : Tensor = aten::linear(%a2, %w3, %n)
  %a3 : Tensor = aten::relu(%h3)
  %h4 : Tensor = aten::linear(%a3, %w4, %b4)
  %y : Tensor = aten::tanh(%h4)
  return(%y)
})";

TEST(GpuKernelGen, SmallMlpKeepsRowsInRegisters) {
  WICK_REQUIRE_PTXAS();
  GpuKernel k = generate_both(kSmallMlp);
  const int weights = 20 * 14 + 10 * 20 + 5 * 10 + 1 * 5;
  EXPECT_GE(count_instructions(k.ptx, "fma.rn.f32"), weights) << k.ptx;
  EXPECT_EQ(count_instructions(k.ptx, "ld.local"), 0) << k.ptx;
  EXPECT_EQ(count_instructions(k.ptx, "st.local"), 0) << k.ptx;
  EXPECT_EQ(integer_divisions(k.ptx), 0) << k.ptx;
  EXPECT_EQ(count_instructions(k.ptx, "st.global"), 1) << k.ptx;
  EXPECT_EQ(k.block[0], 32u);
  EXPECT_EQ(k.grid[0], 7u);  // 200 rows
  EXPECT_EQ(k.args.size(), 10u);
  EXPECT_EQ(k.status_arg, -1);
  if (std::getenv("WICK_GPU_PRINT")) std::cout << k.ptx;
  // A strided (transposed) input reads the same way.
  GpuKernel t = generate(kSmallMlp, {TensorLayout{DType::f32, {200, 14}, {1, 200}}});
  EXPECT_TRUE(assembles(t, 90));
  EXPECT_NE(t.ptx, k.ptx);
}

TEST(GpuKernelGen, TargetsAndCache) {
  WICK_REQUIRE_PTXAS();
  EXPECT_EQ(gpu_target_for_device(9, 0).sm, 90);
  EXPECT_EQ(gpu_target_for_device(8, 9).sm, 89);
  EXPECT_EQ(gpu_target_for_device(12, 0).sm, 90);  // newer devices JIT sm_90 PTX
  EXPECT_EQ(gpu_target_for_device(8, 6).sm, 86);
  EXPECT_THROW(gpu_target_for_device(6, 1), Error);
  GpuTarget bad = gpu_test::target(61);
  EXPECT_THROW(generate(kSoftmax, {}, 61), Error);
  // PTX ISA 8.0 for sm_90 (ptxas 12+ reads it); the cache returns what it stored.
  GpuTarget t = gpu_test::target();
  t.ptx_version = 80;
  t.cache_dir = ::testing::TempDir() + "/wick_gpu_cache";
  auto m = gpu_test::parse_graph(kSoftmax);
  KernelGroup g = gpu_test::whole_graph_group(gpu_test::graph_of(*m));
  GpuKernel first = generate_gpu_kernel(g, "softmax", t);
  EXPECT_NE(first.ptx.find(".version 8.0"), std::string::npos);
  EXPECT_TRUE(assembles(first, 90));
  GpuKernel second = generate_gpu_kernel(g, "softmax", t);
  EXPECT_TRUE(second.compile.cache_hit());
  EXPECT_EQ(first.ptx, second.ptx);
}

}  // namespace
}  // namespace wick::codegen
