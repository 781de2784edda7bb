// Kernel generation as a whole: the shape of the generated MLIR, which nodes
// it accepts, argument lists, the copy kernel, and how long a cold compile
// of typical kernels takes (printed, not asserted).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "codegen/jit_engine.h"
#include "codegen/mlir_compiler.h"
#include "kernel_test_util.h"

namespace wick::codegen {
namespace {

using test::matches;

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(KernelGen, SigmoidIsALoopWithExp) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [4, 16])) -> (Tensor(f32, [4, 16])) {
  %y : Tensor(f32, [4, 16]) = aten::sigmoid(%x)
  return(%y)
})");
  GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "sigmoid_k");
  SCOPED_TRACE(k.mlir);
  EXPECT_EQ(k.name, "sigmoid_k");
  EXPECT_TRUE(contains(k.mlir, "func.func @sigmoid_k(%a0: memref<4x16xf32, strided<[16, 1], offset: ?>>, "
                               "%a1: memref<4x16xf32, strided<[16, 1], offset: ?>> {llvm.noalias}) attributes "
                               "{llvm.emit_c_interface}"));
  // One loop over the 64 contiguous elements (the dims collapsed), the
  // load, exp, the division, the store.
  EXPECT_TRUE(contains(k.mlir, "memref.collapse_shape %a0 [[0, 1]] : memref<4x16xf32, strided<[16, 1], offset: ?>> "
                               "into memref<64xf32, strided<[1], offset: ?>>"));
  size_t first = k.mlir.find("scf.for");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(k.mlir.find("scf.for", first + 1), std::string::npos);
  EXPECT_TRUE(contains(k.mlir, "memref.load %buf"));
  EXPECT_TRUE(contains(k.mlir, "arith.negf"));
  EXPECT_TRUE(contains(k.mlir, "math.exp"));
  EXPECT_TRUE(contains(k.mlir, "arith.divf"));
  EXPECT_TRUE(contains(k.mlir, "memref.store"));
  ASSERT_EQ(k.args.size(), 2u);
  EXPECT_FALSE(k.args[0].is_output);
  EXPECT_TRUE(k.args[1].is_output);
  EXPECT_EQ(k.status_arg, -1);
}

TEST(KernelGen, FloatSumsAreReassociable) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [8, 64])) -> (Tensor(f32, [8])) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %keep : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %s : Tensor(f32, [8]) = aten::sum.dim_IntList(%x, %dims, %keep, %none)
  return(%s)
})");
  GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "row_sum");
  EXPECT_TRUE(contains(k.mlir, "iter_args(")) << k.mlir;
  EXPECT_TRUE(contains(k.mlir, "fastmath<reassoc>")) << k.mlir;
}

TEST(KernelGen, CanGenerate) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [4, 3]), %w : Tensor(f32, [5, 3]), %i : Tensor(i64, [4, 3]), %mask : Tensor(bool, [4])) -> () {
  %none : None = prim::Constant[value=none]()
  %one : Int = prim::Constant[value=1]()
  %l : Tensor(f32, [4, 5]) = aten::linear(%x, %w, %none)
  %r : Tensor(f32, [4, 3]) = aten::relu(%x)
  %v : Tensor(f32, [3, 4]) = aten::t(%x)
  %s : Tensor(f32, [4, 3]) = aten::softmax.int(%x, %one, %none)
  %a : Tensor(i64, [4, 3]) = aten::__and__.Tensor(%i, %i)
  %c : Tensor(f32, [4, 3]) = aten::contiguous(%x, %one)
  %masks : List[Optional[Tensor]] = prim::ListConstruct(%mask)
  %m : Tensor(f32, [?, 3]) = aten::index.Tensor(%x, %masks)
  return()
})");
  // Indexing by a boolean mask has a shape the data decides: no kernel.
  std::map<std::string, bool> expected = {{"aten::linear", false},      {"aten::relu", true},
                                          {"aten::t", false},           {"aten::softmax.int", false},
                                          {"aten::__and__.Tensor", true}, {"aten::contiguous", true},
                                          {"aten::index.Tensor", false}, {"prim::ListConstruct", false},
                                          {"prim::Constant", false}};
  for (ir::Node* n : *test::graph_of(*m).block()) EXPECT_EQ(can_generate(*n), expected.at(n->kind())) << n->kind();
}

TEST(KernelGen, ScalarArgumentsAndOrder) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [3]), %k : Int, %f : Float, %b : Bool) -> (Tensor(f32, [3]), Tensor(bool, [3])) {
  %a : Tensor(f32, [3]) = aten::add.Scalar(%x, %f, %k)
  %c : Tensor(bool, [3]) = aten::gt.Scalar(%x, %b)
  return(%a, %c)
})");
  GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "scalars");
  ASSERT_EQ(k.args.size(), 6u);
  EXPECT_EQ(k.args[1].kind, KernelArgKind::int_scalar);
  EXPECT_EQ(k.args[2].kind, KernelArgKind::float_scalar);
  EXPECT_EQ(k.args[3].kind, KernelArgKind::bool_scalar);
  EXPECT_TRUE(k.args[5].is_output);
  EXPECT_TRUE(contains(k.mlir, "%a1: i64, %a2: f64, %a3: i1")) << k.mlir;
  torch::Tensor x = torch::randn({3});
  auto out = test::run_kernel(k, {x, int64_t{2}, 0.5, true});
  EXPECT_TRUE(matches(out[0], x + 2 * 0.5));
  EXPECT_TRUE(matches(out[1], x > 1.0));
}

TEST(KernelGen, CopyFromPermutedLayout) {
  torch::set_num_threads(1);
  for (auto dtype : {torch::kFloat, torch::kLong, torch::kBool, torch::kHalf}) {
    torch::Tensor base = (torch::randn({3, 4, 5}) * 10).to(dtype);
    torch::Tensor p = base.permute({2, 0, 1});  // [5, 3, 4], strides [1, 20, 5]
    TensorLayout src{test::wick_dtype(dtype), p.sizes().vec(), p.strides().vec()};
    GeneratedKernel k = generate_copy(src, "copy");
    auto out = test::run_kernel(k, {p});
    EXPECT_TRUE(out[0].is_contiguous());
    EXPECT_TRUE(matches(out[0], p.contiguous())) << dtype;
  }
  // A view with an offset and a broadcast dim.
  torch::Tensor v = torch::randn({6, 1}).expand({6, 4});
  torch::Tensor s = torch::randn({10, 8}).slice(0, 2, 8).slice(1, 1, 5);
  for (const torch::Tensor& t : {v, s}) {
    GeneratedKernel k = generate_copy({DType::f32, t.sizes().vec(), t.strides().vec()}, "copy");
    EXPECT_TRUE(matches(test::run_kernel(k, {t})[0], t.contiguous()));
  }
}

TEST(KernelGen, ContiguousNodeCopies) {
  torch::Tensor x = torch::randn({7, 9}).t();
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [9, 7])) -> (Tensor(f32, [9, 7])) {
  %zero : Int = prim::Constant[value=0]()
  %c : Tensor(f32, [9, 7]) = aten::contiguous(%x, %zero)
  return(%c)
})");
  const ir::Graph& g = test::graph_of(*m);
  auto r = test::run_group(test::whole_graph_group(g, {x}), {x});
  EXPECT_TRUE(matches(r.outputs[0], x.contiguous()));
}

// The innermost loops of a pointwise chain, a row sum (carried
// accumulator) and a column max (in place) all become vector code.
TEST(KernelGen, InnermostLoopsVectorize) {
  const char* texts[] = {R"(graph @g(%x : Tensor(f32, [64, 256]), %b : Tensor(f32, [256])) -> (Tensor(f32, [64, 256])) {
  %one : Int = prim::Constant[value=1]()
  %h : Tensor(f32, [64, 256]) = aten::add.Tensor(%x, %b, %one)
  %y : Tensor(f32, [64, 256]) = aten::sigmoid(%h)
  return(%y)
})", R"(graph @g(%x : Tensor(f32, [64, 256])) -> (Tensor(f32, [64])) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %keep : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %s : Tensor(f32, [64]) = aten::sum.dim_IntList(%x, %dims, %keep, %none)
  return(%s)
})", R"(graph @g(%x : Tensor(f32, [64, 256])) -> (Tensor(f32, [256])) {
  %dims : List[Int] = prim::Constant[value=[0]]()
  %keep : Bool = prim::Constant[value=false]()
  %s : Tensor(f32, [256]) = aten::amax(%x, %dims, %keep)
  return(%s)
})"};
  for (const char* text : texts) {
    auto m = test::parse_graph(text);
    GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "k");
    CompileOptions options;
    options.cache_dir = "off";
    const std::string ir = compile_to_llvm_ir(k.mlir, options);
    EXPECT_TRUE(contains(ir, " x float>")) << text;
  }
}

// A kernel's outputs are fresh allocations: declared noalias, so that LLVM
// may vectorize a loop whose reads it cannot bound (a gather) around the
// writes. Both pointers of the output's descriptor (allocated, aligned) in
// the kernel's LLVM parameters carry it, no input's do.
TEST(KernelGen, OutputPointersAreNoalias) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [4096]), %i : Tensor(i64, [3, 512])) -> (Tensor(f32, [3, 512])) {
  %y : Tensor(f32, [3, 512]) = wick::gather_flat(%x, %i)
  %z : Tensor(f32, [3, 512]) = aten::relu(%y)
  return(%z)
})");
  GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "gather_k");
  CompileOptions options;
  options.cache_dir = "off";
  // Before the optimizer, which drops the parameters the kernel never reads.
  const std::string ir = compile_to_llvm_ir(k.mlir, options, false);
  const size_t define = ir.find("@gather_k(");
  ASSERT_NE(define, std::string::npos) << ir;
  const std::string params = ir.substr(define, ir.find(')', define) - define);
  SCOPED_TRACE(params);
  // x (rank 1: 5 parameters), i (rank 2: 7), then the output's pointers.
  std::vector<std::string> list;
  for (size_t at = params.find('(') + 1, next; at < params.size(); at = next + 2) {
    next = params.find(", ", at);
    if (next == std::string::npos) next = params.size();
    list.push_back(params.substr(at, next - at));
  }
  ASSERT_GE(list.size(), 14u);
  for (size_t p = 0; p < list.size(); ++p)
    EXPECT_EQ(contains(list[p], "noalias"), p == 12 || p == 13) << "parameter " << p << ": " << list[p];
}

// Cold compile times (no cache) of a typical pointwise kernel and a reduction.
TEST(KernelGen, CompileTimes) {
  const std::pair<const char*, const char*> cases[] = {
      {"pointwise (add + gelu)", R"(graph @g(%x : Tensor(f32, [64, 256]), %b : Tensor(f32, [256])) -> (Tensor(f32, [64, 256])) {
  %one : Int = prim::Constant[value=1]()
  %none : Str = prim::Constant[value="none"]()
  %h : Tensor(f32, [64, 256]) = aten::add.Tensor(%x, %b, %one)
  %y : Tensor(f32, [64, 256]) = aten::gelu(%h, %none)
  return(%y)
})"},
      {"reduction (mean over dim 1)", R"(graph @g(%x : Tensor(f32, [64, 256])) -> (Tensor(f32, [64, 1])) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %keep : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %s : Tensor(f32, [64, 1]) = aten::mean.dim(%x, %dims, %keep, %none)
  return(%s)
})"},
  };
  CompileOptions options;
  options.cache_dir = "off";
  for (const auto& [what, text] : cases) {
    auto m = test::parse_graph(text);
    auto t0 = std::chrono::steady_clock::now();
    GeneratedKernel k = generate_kernel(test::whole_graph_group(test::graph_of(*m)), "timed");
    auto t1 = std::chrono::steady_clock::now();
    CompiledModule c = JitEngine::global().compile(k.mlir, {packed_entry_name(k.name)}, options);
    ASSERT_TRUE(c.loaded());
    const double gen_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    std::printf("[ timing ] %s: generate %.2f ms, compile %.1f ms (parse %.1f, mlir %.1f, translate %.1f, "
                "llvm opt %.1f, codegen %.1f, load %.1f)\n",
                what, gen_ms, c.stats().total_ms, c.stats().parse_ms, c.stats().mlir_passes_ms,
                c.stats().translate_ms, c.stats().llvm_opt_ms, c.stats().codegen_ms, c.stats().load_ms);
  }
}

}  // namespace
}  // namespace wick::codegen
