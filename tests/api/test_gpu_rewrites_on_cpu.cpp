// What decompose writes for the GPU in place of library calls it lacks
// (conv3d as conv2d over frames, a 3-D transposed convolution as a plain
// one over its spread input, adaptive average pooling as means over
// windows), run on the CPU against the CPU's library calls on the same
// random inputs: the CI machine has no GPU, and this is where those
// rewrites are checked numerically. The library calls themselves are
// checked against LibTorch by the zoo tests (model `volumes`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "api/compiled_graph.h"
#include "ir/parser.h"
#include "passes/decompose.h"

namespace wick {
namespace {

Tensor random_tensor(std::vector<int64_t> sizes, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::f32, std::move(sizes));
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = normal(rng);
  return t;
}

std::vector<Tensor> run(const char* text, bool rewritten_for_gpu, const std::vector<Tensor>& inputs) {
  auto m = ir::parse_module(text, "rewrite.wir");
  ir::Graph& g = *m->method("forward");
  if (rewritten_for_gpu) passes::decompose(g, {.for_gpu = true});
  std::vector<ir::TypePtr> types;
  for (const ir::Value* v : g.inputs()) types.push_back(v->type());
  return compile_graph(g, *m, types)->executor().run(inputs);
}

// Runs `text` as is and as rewritten for the GPU; the outputs must agree.
void expect_same(const char* text, const std::vector<std::vector<int64_t>>& input_sizes) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  SCOPED_TRACE("input seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<Tensor> inputs;
  for (const auto& sizes : input_sizes) inputs.push_back(random_tensor(sizes, rng));
  const std::vector<Tensor> library = run(text, false, inputs);
  const std::vector<Tensor> rewritten = run(text, true, inputs);
  ASSERT_EQ(library.size(), rewritten.size());
  for (size_t i = 0; i < library.size(); ++i) {
    ASSERT_EQ(library[i].sizes(), rewritten[i].sizes());
    double largest = 0, worst = 0;
    const float* a = library[i].data_as<float>();
    const float* b = rewritten[i].data_as<float>();
    for (int64_t j = 0; j < library[i].numel(); ++j) {
      largest = std::max(largest, std::abs(static_cast<double>(a[j])));
      worst = std::max(worst, std::abs(static_cast<double>(a[j]) - b[j]));
    }
    EXPECT_GT(largest, 0.0);
    EXPECT_LE(worst, 1e-5 * largest) << "output " << i;
  }
  // The rewrite must have happened: the GPU graph has no library call left.
  auto m = ir::parse_module(text, "rewrite.wir");
  ir::Graph& g = *m->method("forward");
  passes::decompose(g, {.for_gpu = true});
  bool library_call_left = false;
  ir::walk(g.block(), [&](ir::Node* n) {
    library_call_left = library_call_left || n->is("aten::conv3d") || n->is("aten::adaptive_avg_pool2d") ||
                        n->is("wick::conv_input_backward");
  });
  EXPECT_FALSE(library_call_left);
}

// Strides, padding and dilation in every dim, groups, a bias, a batch of 2.
TEST(GpuRewritesOnCpu, Conv3dAsConv2dOverFrames) {
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [2, 4, 7, 9, 8]), %w : Tensor(f32, [6, 2, 3, 3, 2]), %b : Tensor(f32, [6])) -> (Tensor(f32, [2, 6, 3, 5, 4])) {
    %stride : List[Int] = prim::Constant[value=[2, 2, 2]]()
    %padding : List[Int] = prim::Constant[value=[1, 1, 0]]()
    %dilation : List[Int] = prim::Constant[value=[2, 1, 1]]()
    %groups : Int = prim::Constant[value=2]()
    %y : Tensor(f32, [2, 6, 3, 5, 4]) = aten::conv3d(%x, %w, %b, %stride, %padding, %dilation, %groups)
    return(%y)
  }
}
)",
              {{2, 4, 7, 9, 8}, {6, 2, 3, 3, 2}, {6}});
}

// An unbatched input and a time kernel of 1 (no stacking).
TEST(GpuRewritesOnCpu, UnbatchedConv3dWithOneFrameKernel) {
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [3, 5, 6, 6]), %w : Tensor(f32, [4, 3, 1, 3, 3])) -> (Tensor(f32, [4, 5, 6, 6])) {
    %none : None = prim::Constant[value=none]()
    %one : List[Int] = prim::Constant[value=[1, 1, 1]]()
    %padding : List[Int] = prim::Constant[value=[0, 1, 1]]()
    %groups : Int = prim::Constant[value=1]()
    %y : Tensor(f32, [4, 5, 6, 6]) = aten::conv3d(%x, %w, %none, %one, %padding, %one, %groups)
    return(%y)
  }
}
)",
              {{3, 5, 6, 6}, {4, 3, 1, 3, 3}});
}

// Strides, padding, output_padding and dilation that differ by dim, groups
// and a bias.
TEST(GpuRewritesOnCpu, TransposedConv3dAsPlainConvolution) {
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [2, 4, 3, 5, 4]), %w : Tensor(f32, [4, 3, 3, 2, 3]), %b : Tensor(f32, [6])) -> (Tensor(f32, [2, 6, 6, 7, 7])) {
    %stride : List[Int] = prim::Constant[value=[2, 1, 2]]()
    %padding : List[Int] = prim::Constant[value=[1, 0, 1]]()
    %output_padding : List[Int] = prim::Constant[value=[1, 0, 0]]()
    %dilation : List[Int] = prim::Constant[value=[1, 2, 1]]()
    %groups : Int = prim::Constant[value=2]()
    %y : Tensor(f32, [2, 6, 6, 7, 7]) = aten::conv_transpose3d.input(%x, %w, %b, %stride, %padding, %output_padding, %groups, %dilation)
    return(%y)
  }
}
)",
              {{2, 4, 3, 5, 4}, {4, 3, 3, 2, 3}, {6}});
}

// Unbatched, with an output_padding as large as the stride (allowed when
// dilated): the output reaches past what x's last element touches.
TEST(GpuRewritesOnCpu, UnbatchedTransposedConv3dWithWideOutputPadding) {
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [3, 4, 4, 5]), %w : Tensor(f32, [3, 2, 2, 2, 2])) -> (Tensor(f32, [2, 7, 5, 12])) {
    %none : None = prim::Constant[value=none]()
    %stride : List[Int] = prim::Constant[value=[1, 1, 2]]()
    %padding : List[Int] = prim::Constant[value=[0, 0, 0]]()
    %output_padding : List[Int] = prim::Constant[value=[1, 0, 1]]()
    %dilation : List[Int] = prim::Constant[value=[2, 1, 2]]()
    %groups : Int = prim::Constant[value=1]()
    %y : Tensor(f32, [2, 7, 5, 12]) = aten::conv_transpose3d.input(%x, %w, %none, %stride, %padding, %output_padding, %groups, %dilation)
    return(%y)
  }
}
)",
              {{3, 4, 4, 5}, {3, 2, 2, 2, 2}});
}

// Windows that overlap (7 to 3), that divide (8 to 4), and a global pool.
TEST(GpuRewritesOnCpu, AdaptiveAveragePoolAsMeans) {
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [2, 5, 7, 8])) -> (Tensor(f32, [2, 5, 3, 4]), Tensor(f32, [2, 5, 1, 1])) {
    %s : List[Int] = prim::Constant[value=[3, 4]]()
    %one : List[Int] = prim::Constant[value=[1, 1]]()
    %y : Tensor(f32, [2, 5, 3, 4]) = aten::adaptive_avg_pool2d(%x, %s)
    %g : Tensor(f32, [2, 5, 1, 1]) = aten::adaptive_avg_pool2d(%x, %one)
    return(%y, %g)
  }
}
)",
              {{2, 5, 7, 8}});
}

}  // namespace
}  // namespace wick
