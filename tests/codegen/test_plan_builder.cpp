// Plan building: static view layouts, and the error that lists every op the
// CPU backend cannot lower yet.
#include "codegen/plan_builder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "codegen/view_layout.h"
#include "passes/pipeline.h"
#include "runtime/post_op.h"
#include "ir/parser.h"
#include "ir/verifier.h"

namespace wick::codegen {
namespace {

TEST(ViewLayout, RestrideFollowsTorchView) {
  // Contiguous data views as anything with the same numel.
  EXPECT_EQ(restride({4, 6}, {6, 1}, {2, 12}), (std::vector<int64_t>{12, 1}));
  // A transposed [6, 4] (strides 1, 6) can split its first dim but not merge.
  EXPECT_EQ(restride({6, 4}, {1, 6}, {2, 3, 4}), (std::vector<int64_t>{3, 1, 6}));
  EXPECT_FALSE(restride({6, 4}, {1, 6}, {24}).has_value());
  // Size-1 dims take any stride.
  EXPECT_EQ(restride({3, 1, 5}, {5, 99, 1}, {15}), (std::vector<int64_t>{1}));
}

TEST(ViewLayout, ContiguityIgnoresSizeOneAndEmptyDims) {
  EXPECT_TRUE(is_contiguous({2, 1, 3}, {3, 7, 1}));
  EXPECT_FALSE(is_contiguous({2, 3}, {1, 2}));
  EXPECT_TRUE(is_contiguous({0, 3}, {5, 9}));
}

std::unique_ptr<ir::Module> parse(const std::string& text) {
  auto m = ir::parse_module(text, "plan.wir");
  ir::verify(*m);
  return m;
}

TEST(PlanBuilder, ViewsBecomeRestridesOfOneBuffer) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [4, 6])) -> (Tensor(f32, [6, 4])) {\n"
      "  %y : Tensor(f32, [4, 6]) = aten::relu(%x)\n"
      "  %z : Tensor(f32, [6, 4]) = aten::t(%y)\n"
      "  return(%z)\n"
      "}\n");
  BuiltPlan p = build_plan(*m->methods()[0]);
  ASSERT_EQ(p.plan.body.instrs.size(), 3u);  // alloc, kernel, view
  EXPECT_EQ(p.plan.body.instrs[0].op, rt::Op::alloc);
  EXPECT_EQ(p.plan.body.instrs[1].op, rt::Op::kernel);
  const rt::Instr& view = p.plan.body.instrs[2];
  EXPECT_EQ(view.op, rt::Op::view);
  // rank 2, sizes [6, 4], strides [1, 6], no offset
  EXPECT_EQ(view.ints, (std::vector<int64_t>{2, 6, 4, 1, 6, 0}));
  ASSERT_EQ(p.kernels.size(), 1u);
  EXPECT_EQ(p.kernels[0].name.rfind("wick_relu_", 0), 0u);
}

// A pooling of a channels-last tensor viewed NCHW, read only through
// permutes back to NHWC (and by another pooling), writes its result
// channels-last: an alloc of the NHWC sizes, viewed NCHW. The second
// pooling, also read by an NCHW kernel, writes NCHW.
TEST(PlanBuilder, PoolingReadChannelsLastWritesChannelsLast) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [1, 4, 4, 8])) -> (Tensor(f32, [1, 2, 2, 8]), Tensor(f32, [1, 8, 2, 2])) {\n"
      "  %first : List[Int] = prim::Constant[value=[0, 3, 1, 2]]()\n"
      "  %last : List[Int] = prim::Constant[value=[0, 2, 3, 1]]()\n"
      "  %window : List[Int] = prim::Constant[value=[2, 2]]()\n"
      "  %same : List[Int] = prim::Constant[value=[1, 1]]()\n"
      "  %zero : List[Int] = prim::Constant[value=[0, 0]]()\n"
      "  %false : Bool = prim::Constant[value=false]()\n"
      "  %view : Tensor(f32, [1, 8, 4, 4]) = aten::permute(%x, %first)\n"
      "  %pool : Tensor(f32, [1, 8, 2, 2]) = aten::max_pool2d(%view, %window, %window, %zero, %same, %false)\n"
      "  %nhwc : Tensor(f32, [1, 2, 2, 8]) = aten::permute(%pool, %last)\n"
      "  %again : Tensor(f32, [1, 8, 2, 2]) = aten::max_pool2d(%pool, %same, %same, %zero, %same, %false)\n"
      "  %r : Tensor(f32, [1, 8, 2, 2]) = aten::relu(%again)\n"
      "  return(%nhwc, %r)\n"
      "}\n");
  BuiltPlan p = build_plan(*m->methods()[0]);
  std::vector<const rt::Instr*> pools, views_after_alloc;
  const auto& instrs = p.plan.body.instrs;
  for (size_t i = 0; i < instrs.size(); ++i) {
    if (instrs[i].op == rt::Op::extern_call) pools.push_back(&instrs[i]);
    if (instrs[i].op == rt::Op::view && i > 0 && instrs[i - 1].op == rt::Op::alloc &&
        instrs[i].inputs[0] == instrs[i - 1].outputs[0])
      views_after_alloc.push_back(&instrs[i]);
  }
  ASSERT_EQ(pools.size(), 2u);
  // One channels-last result: alloc [1, 2, 2, 8], viewed [1, 8, 2, 2] with
  // strides [32, 1, 16, 8]; it is the first pooling's.
  ASSERT_EQ(views_after_alloc.size(), 1u);
  EXPECT_EQ(views_after_alloc[0]->ints, (std::vector<int64_t>{4, 1, 8, 2, 2, 32, 1, 16, 8, 0}));
  EXPECT_EQ(views_after_alloc[0]->outputs[0], pools[0]->outputs[0]);
  bool second_is_nchw = false;
  for (const rt::Instr& in : instrs)
    if (in.op == rt::Op::alloc && in.outputs[0] == pools[1]->outputs[0])
      second_is_nchw = in.ints == std::vector<int64_t>{1, 8, 2, 2};
  EXPECT_TRUE(second_is_nchw);
}

// A library may keep what it derives from a module tensor (a convolution's
// weights in its own layout, a quantized weight's column sums) only where
// the plan never writes module tensors: inference, not training.
TEST(PlanBuilder, ModuleWeightsAreConstantOnlyInInferencePlans) {
  auto m = parse(
      "module @M {\n"
      "  buffer \"w\" : Tensor(i8, [3, 8])\n"
      "  buffer \"s\" : Tensor(f32, [])\n"
      "  buffer \"z\" : Tensor(f32, [])\n"
      "  param \"k\" : Tensor(f32, [2, 1, 3, 3])\n"
      "\n"
      "  graph @forward(%x : Tensor(f32, [4, 8]), %v : Tensor(i8, [3, 8]), %i : Tensor(f32, [1, 1, 5, 5])) -> (Tensor(f32, [4, 3]), Tensor(f32, [4, 3]), Tensor(f32, [1, 2, 3, 3])) {\n"
      "    %w : Tensor(i8, [3, 8]) = prim::Param[name=\"w\"]()\n"
      "    %s : Tensor(f32, []) = prim::Param[name=\"s\"]()\n"
      "    %z : Tensor(f32, []) = prim::Param[name=\"z\"]()\n"
      "    %k : Tensor(f32, [2, 1, 3, 3]) = prim::Param[name=\"k\"]()\n"
      "    %none : None = prim::Constant[value=none]()\n"
      "    %levels : Int = prim::Constant[value=255]()\n"
      "    %one : Int = prim::Constant[value=1]()\n"
      "    %zero : Int = prim::Constant[value=0]()\n"
      "    %ones : List[Int] = prim::ListConstruct(%one, %one)\n"
      "    %zeros : List[Int] = prim::ListConstruct(%zero, %zero)\n"
      "    %a : Tensor(f32, [4, 3]) = wick::quantized_linear_dynamic(%x, %w, %s, %z, %none, %levels)\n"
      "    %b : Tensor(f32, [4, 3]) = wick::quantized_linear_dynamic(%x, %v, %s, %z, %none, %levels)\n"
      "    %c : Tensor(f32, [1, 2, 3, 3]) = aten::conv2d(%i, %k, %none, %ones, %zeros, %ones, %one)\n"
      "    return(%a, %b, %c)\n"
      "  }\n"
      "}\n");
  for (bool training : {false, true}) {
    SCOPED_TRACE(training ? "training" : "inference");
    PlanOptions options;
    options.mutable_tensors = training;
    BuiltPlan p = build_plan(*m->methods()[0], options);
    std::vector<std::vector<int64_t>> calls;
    for (const rt::Instr& in : p.plan.body.instrs)
      if (in.op == rt::Op::extern_call) calls.push_back(in.ints);
    ASSERT_EQ(calls.size(), 3u);
    // qmax, then whether the weight is constant: the module's, not an input.
    EXPECT_EQ(calls[0], (std::vector<int64_t>{255, training ? 0 : 1}));
    EXPECT_EQ(calls[1], (std::vector<int64_t>{255, 0}));
    // stride, padding, dilation, groups, then the same flag.
    EXPECT_EQ(calls[2], (std::vector<int64_t>{1, 1, 0, 0, 1, 1, 1, training ? 0 : 1}));
  }
}

TEST(PlanBuilder, EqualKernelsAreGeneratedOnce) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [8])) -> (Tensor(f32, [8])) {\n"
      "  %a : Tensor(f32, [8]) = aten::sigmoid(%x)\n"
      "  %b : Tensor(f32, [8]) = aten::sigmoid(%a)\n"
      "  return(%b)\n"
      "}\n");
  BuiltPlan p = build_plan(*m->methods()[0]);
  EXPECT_EQ(p.kernels.size(), 1u);
  EXPECT_EQ(p.plan.kernels.size(), 1u);
}

TEST(PlanBuilder, EveryOpWithoutALoweringIsListed) {
  auto m = parse(
      "graph @f(%x : Tensor(i64, [4]), %y : Tensor(f64, [1, 1, 4, 4]), %mask : Tensor(bool, [4])) -> (Tensor(i64, [?]), Tensor(f64, [1, 1, 2, 2])) {\n"
      "  %l : List[Optional[Tensor]] = prim::ListConstruct(%mask)\n"
      "  %a : Tensor(i64, [?]) = aten::index.Tensor(%x, %l)\n"
      "  %k : List[Int] = prim::Constant[value=[2, 2]]()\n"
      "  %p : List[Int] = prim::Constant[value=[0, 0]]()\n"
      "  %d : List[Int] = prim::Constant[value=[1, 1]]()\n"
      "  %c : Bool = prim::Constant[value=false]()\n"
      "  %b : Tensor(f64, [1, 1, 2, 2]) = aten::max_pool2d(%y, %k, %k, %p, %d, %c)\n"
      "  return(%a, %b)\n"
      "}\n");
  try {
    build_plan(*m->methods()[0]);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("2 ops have no CPU lowering yet"), std::string::npos) << what;
    EXPECT_NE(what.find("aten::index.Tensor"), std::string::npos) << what;
    EXPECT_NE(what.find("aten::max_pool2d (only float32 is supported, got f64)"), std::string::npos) << what;
  }
}

// A cast of None to a tensor (code that tests one value for None and casts
// another) and what reads it: an error naming the cast, not a crash on the
// unknown shape downstream.
TEST(PlanBuilder, CastOfNoneToATensorIsReported) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [2, 3])) -> (Tensor(f32, [6])) {\n"
      "  %none : None = prim::Constant[value=none]()\n"
      "  %sizes : List[Int] = prim::Constant[value=[6]]()\n"
      "  %t : Tensor = prim::unchecked_cast(%none)\n"
      "  %v : Tensor(f32, [6]) = aten::view(%t, %sizes)\n"
      "  return(%v)\n"
      "}\n");
  try {
    build_plan(*m->methods()[0]);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a cast of None to Tensor"), std::string::npos) << e.what();
  }
}

// Operands whose dtype or kind the graph leaves open (an `if` joining
// tensors of two dtypes, `annotate(number, ...)` of a tensor): user errors.
TEST(PlanBuilder, OperandsOfUnknownDtypeOrKindAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"graph @f(%s : Tensor(f32, []), %x : Tensor(f32, [4]), %y : Tensor(f16, [4])) -> (Tensor(?, [4])) {\n"
       "  %c : Bool = aten::Bool.Tensor(%s)\n"
       "  %j : Tensor(?, [4]) = prim::If(%c) {\n"
       "    block0() {\n"
       "      yield(%x)\n"
       "    }\n"
       "    block1() {\n"
       "      yield(%y)\n"
       "    }\n"
       "  }\n"
       "  %r : Tensor(?, [4]) = aten::relu(%j)\n"
       "  return(%r)\n"
       "}\n",
       "the dtype of an operand is not known"},
      {"graph @f(%x : Tensor(f32, [4]), %s : Tensor(f32, [])) -> (Tensor(f32, [4])) {\n"
       "  %n : Number = aten::item(%s)\n"
       "  %r : Tensor(f32, [4]) = aten::mul.Scalar(%x, %n)\n"
       "  return(%r)\n"
       "}\n",
       "a number whose kind"},
  };
  for (const auto& [text, message] : cases) {
    auto m = parse(text);
    try {
      build_plan(*m->methods()[0]);
      ADD_FAILURE() << "no error for\n" << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(PlanBuilder, InputsOfUnknownShapeAreRejected) {
  for (const char* type : {"Tensor(f32, [?, 4])", "Tensor(f32)", "Tensor(f32, [B*T, 4])"}) {
    auto m = parse(std::string("graph @f(%x : ") + type + ") -> (" + type + ") {\n  return(%x)\n}\n");
    try {
      build_plan(*m->methods()[0]);
      FAIL() << "expected an error for " << type;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("must be a tensor of known dtype and shape"), std::string::npos) << e.what();
    }
  }
}

// A dynamic batch: input specs, allocs and views carry the symbol B as a
// coefficient and its index; the plan names it.
TEST(PlanBuilder, DynamicDimsAreCarriedAsSymbolCoefficients) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [B, 6])) -> (Tensor(f32, [3*B, 2])) {\n"
      "  %y : Tensor(f32, [B, 6]) = aten::relu(%x)\n"
      "  %s : List[Int] = prim::Constant[value=[-1, 2]]()\n"
      "  %z : Tensor(f32, [3*B, 2]) = aten::reshape(%y, %s)\n"
      "  return(%z)\n"
      "}\n");
  BuiltPlan p = build_plan(*m->methods()[0]);
  EXPECT_EQ(p.plan.symbols, (std::vector<std::string>{"B"}));
  ASSERT_EQ(p.plan.input_specs.size(), 1u);
  EXPECT_EQ(p.plan.input_specs[0].sizes, (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(p.plan.input_specs[0].size_symbols, (std::vector<int32_t>{0, -1}));
  ASSERT_EQ(p.plan.body.instrs.size(), 3u);  // alloc, kernel, view
  const rt::Instr& alloc = p.plan.body.instrs[0];
  EXPECT_EQ(alloc.ints, (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(alloc.int_symbols, (std::vector<int32_t>{0, -1}));
  EXPECT_EQ(alloc.arena_offset, -1);  // sized at run time: not in the arena
  const rt::Instr& view = p.plan.body.instrs[2];
  // rank 2, sizes [3*B, 2], strides [2, 1], no offset
  EXPECT_EQ(view.ints, (std::vector<int64_t>{2, 3, 2, 2, 1, 0}));
  EXPECT_EQ(view.int_symbols, (std::vector<int32_t>{-1, 0, -1, -1, -1, -1}));
  // The kernel is generated with a dynamic dim 0 and may run in slices.
  ASSERT_EQ(p.kernels.size(), 1u);
  EXPECT_NE(p.kernels[0].mlir.find("memref<?x6xf32"), std::string::npos) << p.kernels[0].mlir;
  EXPECT_EQ(p.plan.body.instrs[1].sliced, (std::vector<uint8_t>{1, 1}));
}

TEST(PlanBuilder, DynamicDimThatWouldChangeStridesIsRejected) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [4, B])) -> (Tensor(f32, [4, B])) {\n"
      "  %y : Tensor(f32, [4, B]) = aten::relu(%x)\n"
      "  return(%y)\n"
      "}\n");
  try {
    build_plan(*m->methods()[0]);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("only the outermost dim of a tensor may be dynamic"), std::string::npos)
        << e.what();
  }
}

TEST(PlanBuilder, ViewWhoseOffsetDependsOnADynamicDimIsRejected) {
  // x[-1]: the last row's offset is (B - 1) * 4.
  auto m = parse(
      "graph @f(%x : Tensor(f32, [B, 4])) -> (Tensor(f32, [4])) {\n"
      "  %d : Int = prim::Constant[value=0]()\n"
      "  %i : Int = prim::Constant[value=-1]()\n"
      "  %y : Tensor(f32, [4]) = aten::select.int(%x, %d, %i)\n"
      "  return(%y)\n"
      "}\n");
  try {
    build_plan(*m->methods()[0]);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "aten::select.int");
    EXPECT_NE(std::string(e.what()).find("change with a dynamic dim"), std::string::npos) << e.what();
  }
}

TEST(PlanBuilder, DynamicDimBroadcastAgainstAStaticSizeIsRejected) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [B, 8]), %y : Tensor(f32, [4, 8])) -> (Tensor(f32, [4, 8])) {\n"
      "  %z : Tensor(f32, [4, 8]) = aten::mul.Tensor(%x, %y)\n"
      "  return(%z)\n"
      "}\n");
  try {
    build_plan(*m->methods()[0]);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "aten::mul.Tensor");
    EXPECT_NE(std::string(e.what()).find("the dynamic dim B of an input meets size 4"), std::string::npos) << e.what();
  }
}

// Big kernels may be split across threads; small ones stay one static call.
TEST(PlanBuilder, OnlyKernelsWorthThreadingAreSplittable) {
  auto m = parse(
      "graph @f(%x : Tensor(f32, [256, 512]), %y : Tensor(f32, [4, 6])) -> (Tensor(f32, [256, 512]), Tensor(f32, [4, 6])) {\n"
      "  %a : Tensor(f32, [256, 512]) = aten::relu(%x)\n"
      "  %b : Tensor(f32, [4, 6]) = aten::relu(%y)\n"
      "  return(%a, %b)\n"
      "}\n");
  BuiltPlan p = build_plan(*m->methods()[0]);
  std::vector<const rt::Instr*> kernels;
  for (const rt::Instr& in : p.plan.body.instrs)
    if (in.op == rt::Op::kernel) kernels.push_back(&in);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0]->sliced, (std::vector<uint8_t>{1, 1}));
  EXPECT_TRUE(kernels[1]->sliced.empty());
  ASSERT_EQ(p.kernels.size(), 2u);
  EXPECT_NE(p.kernels[0].mlir.find("memref<?x512xf32"), std::string::npos);
  EXPECT_EQ(p.kernels[1].mlir.find("?x"), std::string::npos);
}

// CUDA plans: PTX kernels with their launch dims; an activation cuBLASLt
// cannot apply (sigmoid) becomes a kernel after the GEMM, one it can (relu)
// stays an epilogue.
TEST(PlanBuilder, CudaPlansCarryPtxKernelsAndLaunchDims) {
  if (!std::ifstream(default_libdevice_path()).good()) GTEST_SKIP() << "no libdevice: the CUDA toolkit is not installed";
  auto m = parse(
      "graph @f(%x : Tensor(f32, [8, 16]), %w : Tensor(f32, [4, 16]), %v : Tensor(f32, [4, 16]), %b : Tensor(f32, [4])) -> (Tensor(f32, [8, 4]), Tensor(f32, [8, 4])) {\n"
      "  %y : Tensor(f32, [8, 4]) = aten::linear(%x, %w, %b)\n"
      "  %r : Tensor(f32, [8, 4]) = aten::relu(%y)\n"
      "  %z : Tensor(f32, [8, 4]) = aten::linear(%x, %v, %b)\n"
      "  %s : Tensor(f32, [8, 4]) = aten::sigmoid(%z)\n"
      "  return(%r, %s)\n"
      "}\n");
  ir::Graph& g = *m->methods()[0];
  passes::PipelineOptions pipeline;
  pipeline.device = passes::TargetDevice::cuda;
  passes::finish_stage(g, pipeline);
  PlanOptions options;
  options.device = rt::PlanDevice::cuda;
  options.gpu.sm = 90;
  options.gpu.cache_dir = "off";
  BuiltPlan p = build_plan(g, options);
  EXPECT_EQ(p.plan.device, rt::PlanDevice::cuda);
  EXPECT_TRUE(p.kernels.empty());
  ASSERT_EQ(p.gpu_kernels.size(), 1u);  // the sigmoid; relu is cuBLASLt's epilogue
  EXPECT_EQ(p.plan.kernels, (std::vector<std::string>{p.gpu_kernels[0].name}));
  EXPECT_NE(p.gpu_kernels[0].ptx.find(".entry " + p.gpu_kernels[0].name), std::string::npos);
  ASSERT_EQ(p.plan.launch_dims.size(), 6u);
  for (int64_t d : p.plan.launch_dims) EXPECT_GE(d, 1);
  int relu_epilogues = 0, kernels = 0;
  for (const rt::Instr& in : p.plan.body.instrs) {
    if (in.op == rt::Op::extern_call && in.post_op == static_cast<uint8_t>(rt::PostOp::relu)) ++relu_epilogues;
    if (in.op == rt::Op::kernel) ++kernels;
  }
  EXPECT_EQ(relu_epilogues, 1);
  EXPECT_EQ(kernels, 1);
}

}  // namespace
}  // namespace wick::codegen
