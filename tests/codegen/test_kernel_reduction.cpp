// Reduction kernels against LibTorch: every reduction over several dim
// sets, keepdim, all dims, dtype arguments, integer inputs, strided inputs
// (both loop orders), NaN, ties, and a pointwise prologue fused in; row
// groups (several reductions over the same trailing dims, with pointwise
// work between them) as softmax, log_softmax and layer_norm decompose.
#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

using test::matches;

class ReductionKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(11);
  }
};

std::string dtype_text(const torch::Tensor& t) { return std::string(dtype_name(test::wick_dtype(t.scalar_type()))); }

std::string shape_text(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

// A graph applying `call` (which names %x and the constants below) to x.
void check_reduction(const std::string& call, const torch::Tensor& x, const std::string& dims = "[1]",
                     int outputs = 1) {
  std::string results = outputs == 1 ? "%r" : "%r, %i";
  std::string types = outputs == 1 ? "Tensor" : "Tensor, Tensor";
  std::string defs = outputs == 1 ? "%r : Tensor" : "%r : Tensor, %i : Tensor";
  std::string text = "graph @g(%x : Tensor(" + dtype_text(x) + ", " + shape_text(x) + ")) -> (" + types + ") {\n" +
                     "  %dims : List[Int] = prim::Constant[value=" + dims + "]()\n" +
                     "  %dim : Int = prim::Constant[value=" + (dims.size() > 2 ? dims.substr(1, dims.find_first_of(",]") - 1) : "0") + "]()\n" +
                     "  %t : Bool = prim::Constant[value=true]()\n  %f : Bool = prim::Constant[value=false]()\n" +
                     "  %none : None = prim::Constant[value=none]()\n  %f64 : Int = prim::Constant[value=7]()\n" +
                     "  " + defs + " = " + call + "\n  return(" + results + ")\n}\n";
  SCOPED_TRACE(text);
  auto m = test::parse_graph(text);
  const ir::Graph& g = test::graph_of(*m);
  auto ref = test::torch_graph(g, {x});
  auto got = test::run_group(test::whole_graph_group(g, {x}), {x});
  ASSERT_EQ(got.outputs.size(), ref.size());
  // Half-precision results round once at the end, to an ulp that an
  // accumulation order can tip either way.
  const double tol = x.scalar_type() == torch::kBFloat16 ? 1e-2 : x.scalar_type() == torch::kHalf ? 2e-3 : 1e-5;
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(matches(got.outputs[i], ref[i], tol)) << "output " << i;
}

const std::vector<std::string> kDimSets = {"[1]", "[0]", "[2]", "[-1]", "[0, 2]", "[2, 0]", "[0, 1, 2]", "[]"};

TEST_F(ReductionKernels, SumAndMeanOverDimSets) {
  torch::Tensor x = torch::randn({5, 7, 33});
  for (const std::string& dims : kDimSets) {
    for (const char* keep : {"%t", "%f"}) {
      check_reduction(std::string("aten::sum.dim_IntList(%x, %dims, ") + keep + ", %none)", x, dims);
      check_reduction(std::string("aten::mean.dim(%x, %dims, ") + keep + ", %none)", x, dims);
    }
  }
  check_reduction("aten::sum.dim_IntList(%x, %none, %f, %none)", x);
  check_reduction("aten::sum(%x, %none)", x);
  check_reduction("aten::mean(%x, %none)", x);
  check_reduction("aten::sum(%x, %f64)", x);
  check_reduction("aten::mean.dim(%x, %dims, %t, %f64)", x, "[0, 2]");
}

TEST_F(ReductionKernels, SumOfIntegersAndBools) {
  torch::Tensor i = torch::randint(-1000, 1000, {4, 6, 9}, torch::kInt);
  torch::Tensor b = torch::rand({4, 6, 9}) > 0.5;
  for (const char* dims : {"[1]", "[2]", "[0, 2]"}) {
    check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", i, dims);
    check_reduction("aten::sum.dim_IntList(%x, %dims, %t, %none)", b, dims);
  }
  check_reduction("aten::sum(%x, %none)", i);
  check_reduction("aten::sum(%x, %none)", b);
  check_reduction("aten::sum(%x, %f64)", i);
}

TEST_F(ReductionKernels, AmaxAminMaxMin) {
  torch::Tensor x = torch::randn({6, 5, 17});
  torch::Tensor i = torch::randint(-100, 100, {6, 5, 17}, torch::kLong);
  for (const std::string& dims : kDimSets) {
    for (const char* keep : {"%t", "%f"}) {
      check_reduction(std::string("aten::amax(%x, %dims, ") + keep + ")", x, dims);
      check_reduction(std::string("aten::amin(%x, %dims, ") + keep + ")", x, dims);
    }
    check_reduction("aten::amax(%x, %dims, %f)", i, dims);
  }
  for (const torch::Tensor& t : {x, i}) {
    check_reduction("aten::max(%x)", t);
    check_reduction("aten::min(%x)", t);
  }
}

TEST_F(ReductionKernels, MaxMinWithIndices) {
  torch::Tensor x = torch::randn({6, 5, 17});
  torch::Tensor ties = torch::randint(0, 3, {6, 5, 17}).to(torch::kFloat);  // many ties: first index wins
  torch::Tensor i = torch::randint(-3, 3, {6, 5, 17}, torch::kLong);
  for (const torch::Tensor& t : {x, ties, i}) {
    for (const char* dims : {"[0]", "[1]", "[2]", "[-1]"}) {
      for (const char* keep : {"%t", "%f"}) {
        check_reduction(std::string("aten::max.dim(%x, %dim, ") + keep + ")", t, dims, 2);
        check_reduction(std::string("aten::min.dim(%x, %dim, ") + keep + ")", t, dims, 2);
        check_reduction(std::string("aten::argmax(%x, %dim, ") + keep + ")", t, dims);
        check_reduction(std::string("aten::argmin(%x, %dim, ") + keep + ")", t, dims);
      }
    }
    check_reduction("aten::argmax(%x, %none, %f)", t);
    check_reduction("aten::argmin(%x, %none, %f)", t);
  }
}

// Products: every dim, keepdim, all dims; integers and bools multiply in
// i64, zeros and a dtype argument.
TEST_F(ReductionKernels, Products) {
  torch::Tensor x = torch::rand({5, 7, 9}) + 0.5;
  torch::Tensor zeros = torch::randint(-2, 3, {5, 7, 9}).to(torch::kFloat);
  torch::Tensor i = torch::randint(-3, 4, {4, 6, 5}, torch::kInt);
  torch::Tensor b = torch::rand({4, 6, 5}) > 0.2;
  for (const torch::Tensor& t : {x, zeros, i, b}) {
    for (const char* dims : {"[0]", "[1]", "[2]", "[-1]"}) {
      for (const char* keep : {"%t", "%f"}) check_reduction(std::string("aten::prod.dim_int(%x, %dim, ") + keep + ", %none)", t, dims);
    }
    check_reduction("aten::prod(%x, %none)", t.slice(0, 0, 2).slice(1, 0, 3));
  }
  check_reduction("aten::prod.dim_int(%x, %dim, %f, %f64)", x, "[1]");
}

TEST_F(ReductionKernels, NanPropagates) {
  torch::Tensor x = torch::randn({4, 9});
  x.index_put_({1, 3}, NAN);
  x.index_put_({1, 6}, NAN);
  x.index_put_({2, 0}, INFINITY);
  x.index_put_({3, 8}, -INFINITY);
  for (const char* dims : {"[0]", "[1]"}) {
    check_reduction("aten::amax(%x, %dims, %f)", x, dims);
    check_reduction("aten::amin(%x, %dims, %t)", x, dims);
    check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", x, dims);
    check_reduction("aten::max.dim(%x, %dim, %f)", x, dims, 2);
    check_reduction("aten::min.dim(%x, %dim, %f)", x, dims, 2);
    check_reduction("aten::argmax(%x, %dim, %f)", x, dims);
    check_reduction("aten::argmin(%x, %dim, %f)", x, dims);
    check_reduction("aten::prod.dim_int(%x, %dim, %f, %none)", x, dims);
  }
  check_reduction("aten::max(%x)", x);
  check_reduction("aten::argmax(%x, %none, %f)", x);
}

TEST_F(ReductionKernels, StridedInputsUseBothLoopOrders) {
  // Transposed: dim 0 is innermost in memory, so reducing dim 1 accumulates
  // in place and reducing dim 0 carries the sum in registers.
  torch::Tensor x = torch::randn({40, 24}).t();
  for (const char* dims : {"[0]", "[1]", "[0, 1]"}) {
    check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", x, dims);
    check_reduction("aten::mean.dim(%x, %dims, %t, %none)", x, dims);
    check_reduction("aten::amax(%x, %dims, %f)", x, dims);
    check_reduction("aten::max.dim(%x, %dim, %t)", x, dims, 2);
  }
  torch::Tensor p = torch::randn({3, 4, 5}).permute({1, 2, 0});
  for (const std::string& dims : kDimSets) check_reduction("aten::sum.dim_IntList(%x, %dims, %t, %none)", p, dims);
}

// The reduced dims as one range before a block of kept dims: up to 16 KB of
// accumulators, the block accumulates on the stack (in f32 for f16 and bf16
// inputs); above, in the output itself.
TEST_F(ReductionKernels, TrailingKeptDimsAccumulateOnTheStackOrInPlace) {
  for (torch::ScalarType t : {torch::kFloat, torch::kDouble, torch::kHalf, torch::kBFloat16}) {
    torch::Tensor x = torch::randn({4, 6, 40}).to(t);
    for (const char* dims : {"[1]", "[0]", "[0, 1]"}) {
      check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", x, dims);
      check_reduction("aten::mean.dim(%x, %dims, %t, %none)", x, dims);
      check_reduction("aten::amax(%x, %dims, %f)", x, dims);
    }
    torch::Tensor y = torch::randn({2, 3, 4, 5}).to(t);
    for (const char* dims : {"[1, 2]", "[0, 1]", "[1]"}) check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", y, dims);
  }
  check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", torch::randn({3, 5, 5000}), "[1]");
  check_reduction("aten::mean.dim(%x, %dims, %f, %none)", torch::randn({3, 5, 5000}, torch::kDouble), "[1]");
}

TEST_F(ReductionKernels, EdgeShapes) {
  check_reduction("aten::sum(%x, %none)", torch::randn({}));
  check_reduction("aten::max(%x)", torch::randn({}));
  check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", torch::randn({1, 5, 1}), "[0, 2]");
  check_reduction("aten::sum.dim_IntList(%x, %dims, %f, %none)", torch::randn({3, 0, 4}), "[1]");
  check_reduction("aten::mean.dim(%x, %dims, %f, %none)", torch::randn({3, 0, 4}), "[1]");
  check_reduction("aten::argmax(%x, %none, %f)", torch::randn({1}));
}

TEST_F(ReductionKernels, LargeSumStaysAccurate) {
  check_reduction("aten::sum(%x, %none)", torch::rand({1 << 20}));
  check_reduction("aten::mean.dim(%x, %dims, %f, %none)", torch::rand({4, 100000}), "[1]");
}

TEST_F(ReductionKernels, MaxOfEmptyIsAUserError) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [3, 0])) -> (Tensor) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %f : Bool = prim::Constant[value=false]()
  %r : Tensor = aten::amax(%x, %dims, %f)
  return(%r)
})");
  EXPECT_THROW(generate_kernel(test::whole_graph_group(test::graph_of(*m)), "k"), Error);
}

TEST_F(ReductionKernels, PointwisePrologueFuses) {
  torch::Tensor x = torch::randn({8, 40}), b = torch::randn({40});
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [8, 40]), %b : Tensor(f32, [40])) -> (Tensor(f32, [8])) {
  %one : Int = prim::Constant[value=1]()
  %dims : List[Int] = prim::Constant[value=[1]]()
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %h : Tensor(f32, [8, 40]) = aten::sub.Tensor(%x, %b, %one)
  %e : Tensor(f32, [8, 40]) = aten::exp(%h)
  %s : Tensor(f32, [8]) = aten::sum.dim_IntList(%e, %dims, %f, %none)
  return(%s)
})");
  const ir::Graph& g = test::graph_of(*m);
  auto ref = test::torch_graph(g, {x, b});
  auto got = test::run_group(test::whole_graph_group(g, {x, b}), {x, b});
  EXPECT_TRUE(matches(got.outputs[0], ref[0]));
}

// softmax over the last dim as decomposed: amax, sub, exp, sum, div.
const char* const kSoftmaxRows = R"(graph @g(%x : Tensor(f32, [6, 3, 40])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %dims : List[Int] = prim::Constant[value=[-1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %m : Tensor = aten::amax(%x, %dims, %t)
  %d : Tensor = aten::sub.Tensor(%x, %m, %one)
  %e : Tensor = aten::exp(%d)
  %s : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %r : Tensor = aten::div.Tensor(%e, %s)
  return(%r)
})";

TEST_F(ReductionKernels, RowGroupSoftmax) {
  torch::Tensor x = torch::randn({6, 3, 40}) * 4;
  auto m = test::parse_graph(kSoftmaxRows);
  const ir::Graph& g = test::graph_of(*m);
  auto got = test::run_group(test::whole_graph_group(g, {x}), {x});
  EXPECT_TRUE(matches(got.outputs[0], torch::softmax(x, -1)));
  // The exponentials the sum pass computes wait in a row buffer for the
  // division's pass.
  EXPECT_NE(got.kernel.mlir.find("memref.alloca() : memref<40xf32>"), std::string::npos) << got.kernel.mlir;
  // A strided input (a transposed view) reads the same.
  torch::Tensor xt = torch::randn({40, 3, 6}).permute({2, 1, 0});
  got = test::run_group(test::whole_graph_group(g, {xt}), {xt});
  EXPECT_TRUE(matches(got.outputs[0], torch::softmax(xt, -1)));
}

// layer_norm over the last two dims: the row's mean and reciprocal standard
// deviation are outputs too (row-shaped, as a training graph saves them),
// and the affine part reads per-element weights.
TEST_F(ReductionKernels, RowGroupLayerNormWithRowOutputs) {
  torch::Tensor x = torch::randn({5, 4, 9}) + 3, w = torch::randn({4, 9}), b = torch::randn({4, 9});
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [5, 4, 9]), %w : Tensor(f32, [4, 9]), %b : Tensor(f32, [4, 9])) -> (Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %eps : Float = prim::Constant[value=1e-05]()
  %dims : List[Int] = prim::Constant[value=[-2, -1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %mean : Tensor = aten::mean.dim(%x, %dims, %t, %none)
  %c : Tensor = aten::sub.Tensor(%x, %mean, %one)
  %sq : Tensor = aten::mul.Tensor(%c, %c)
  %var : Tensor = aten::mean.dim(%sq, %dims, %t, %none)
  %ve : Tensor = aten::add.Scalar(%var, %eps, %one)
  %rstd : Tensor = aten::rsqrt(%ve)
  %n : Tensor = aten::mul.Tensor(%c, %rstd)
  %nw : Tensor = aten::mul.Tensor(%n, %w)
  %y : Tensor = aten::add.Tensor(%nw, %b, %one)
  return(%y, %mean, %rstd)
})");
  const ir::Graph& g = test::graph_of(*m);
  auto got = test::run_group(test::whole_graph_group(g, {x, w, b}), {x, w, b});
  ASSERT_EQ(got.outputs.size(), 3u);
  EXPECT_TRUE(matches(got.outputs[0], torch::layer_norm(x, {4, 9}, w, b, 1e-5), 1e-4));
  torch::Tensor mean = x.mean({-2, -1}, true);
  EXPECT_TRUE(matches(got.outputs[1], mean));
  EXPECT_TRUE(matches(got.outputs[2], torch::rsqrt(x.var({-2, -1}, false, true) + 1e-5), 1e-4));
}

TEST_F(ReductionKernels, RowGroupLogSoftmax) {
  torch::Tensor x = torch::randn({7, 33}) * 3;
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [7, 33])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %dims : List[Int] = prim::Constant[value=[1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %m : Tensor = aten::amax(%x, %dims, %t)
  %d : Tensor = aten::sub.Tensor(%x, %m, %one)
  %e : Tensor = aten::exp(%d)
  %s : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %l : Tensor = aten::log(%s)
  %r : Tensor = aten::sub.Tensor(%d, %l, %one)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  auto got = test::run_group(test::whole_graph_group(g, {x}), {x});
  EXPECT_TRUE(matches(got.outputs[0], torch::log_softmax(x, 1)));
}

// wick::sum_in_order adds each row's elements in index order, as a plain
// loop over floats does, where aten::sum may add them in any order: on
// rows of magnitudes from 1e-4 to 1e4 the orders round differently.
TEST_F(ReductionKernels, SumInOrderAddsInIndexOrder) {
  torch::Tensor x = torch::randn({2, 16, 61}) * torch::pow(10.0, torch::rand({2, 16, 61}) * 8 - 4);
  x = x.permute({0, 2, 1}).contiguous().permute({0, 2, 1});  // rows strided: the kept dims innermost
  for (const torch::Tensor& input : {x.contiguous(), x}) {
    auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [2, 16, 61])) -> (Tensor(f32, [2, 16])) {
  %dims : List[Int] = prim::Constant[value=[-1]]()
  %false : Bool = prim::Constant[value=false]()
  %r : Tensor(f32, [2, 16]) = wick::sum_in_order(%x, %dims, %false)
  return(%r)
})");
    const ir::Graph& g = test::graph_of(*m);
    auto got = test::run_group(test::whole_graph_group(g, {input}), {input});
    torch::Tensor r = got.outputs[0].contiguous();
    torch::Tensor rows = input.contiguous();
    int other_orders_differ = 0;
    for (int64_t row = 0; row < 32; ++row) {
      const float* v = rows.data_ptr<float>() + row * 61;
      float sum = 0, lanes[8] = {};
      for (int64_t k = 0; k < 61; ++k) sum += v[k], lanes[k % 8] += v[k];
      ASSERT_EQ(r.data_ptr<float>()[row], sum) << "row " << row << "\n" << got.kernel.mlir;
      float vectorized = 0;
      for (float lane : lanes) vectorized += lane;
      other_orders_differ += vectorized != sum;
    }
    EXPECT_GT(other_orders_differ, 0);  // the rows tell the orders apart
  }
}

}  // namespace
}  // namespace wick::codegen
