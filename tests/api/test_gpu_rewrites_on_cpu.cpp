// What decompose writes for the GPU in place of library calls it lacks
// (conv3d as conv2d over frames, a 3-D transposed convolution as a plain
// one over its spread input, adaptive average pooling as means over
// windows, a quantized linear as the product of the floats its integers
// stand for), run on the CPU against the CPU's library calls on the same
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

// Runs `text` as is and as rewritten for the GPU on `inputs`; the outputs
// must agree.
void expect_same(const char* text, const std::vector<Tensor>& inputs) {
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
                        n->is("wick::conv_input_backward") || n->is("wick::quantized_linear");
  });
  EXPECT_FALSE(library_call_left);
}

// The same on standard normal inputs of the given sizes.
void expect_same(const char* text, const std::vector<std::vector<int64_t>>& input_sizes) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  SCOPED_TRACE("input seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<Tensor> inputs;
  for (const auto& sizes : input_sizes) inputs.push_back(random_tensor(sizes, rng));
  expect_same(text, inputs);
}

// A dynamically quantized linear's inputs: x standard normal [rows..., 16],
// the weight's int8 values [6, 16] with f32 scales in [0.01, 0.03] and
// integer zero points in [-zero, zero] (`scales` of them: 1 or 6), a bias.
std::vector<Tensor> quantized_linear_inputs(std::vector<int64_t> rows, int64_t scales, int zero, unsigned seed) {
  std::mt19937 rng(seed);
  rows.push_back(16);
  std::vector<int64_t> param_sizes;
  if (scales > 1) param_sizes = {scales, 1};
  Tensor w = Tensor::zeros(DType::i8, {6, 16}), s = Tensor::zeros(DType::f32, param_sizes),
         z = Tensor::zeros(DType::f32, param_sizes);
  std::uniform_int_distribution<int> level(-128, 127), shift(-zero, zero);
  std::uniform_real_distribution<float> scale(0.01f, 0.03f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data_as<int8_t>()[i] = static_cast<int8_t>(level(rng));
  for (int64_t i = 0; i < s.numel(); ++i) {
    s.data_as<float>()[i] = scale(rng);
    z.data_as<float>()[i] = static_cast<float>(shift(rng));
  }
  return {random_tensor(rows, rng), w, s, z, random_tensor({6}, rng)};
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

// The integer product against the float one, with a weight zero point per
// row (subtracted after oneDNN's product) and the levels 0..255.
TEST(GpuRewritesOnCpu, QuantizedLinearAsProductOfFloats) {
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("input seed " + std::to_string(seed));
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [5, 16]), %w : Tensor(i8, [6, 16]), %s : Tensor(f32, [6, 1]), %z : Tensor(f32, [6, 1]), %b : Tensor(f32, [6])) -> (Tensor(f32, [5, 6])) {
    %false : Bool = prim::Constant[value=false]()
    %y : Tensor(f32, [5, 6]) = quantized::linear_dynamic(%x, %w, %s, %z, %b, %false)
    return(%y)
  }
}
)",
              quantized_linear_inputs({5}, 6, 5, seed));
}

// One scale and zero point 0 for the weight (oneDNN's post-ops add the bias
// and the relu), a rank-3 input, the levels 0..127.
TEST(GpuRewritesOnCpu, QuantizedLinearReluPerTensor) {
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("input seed " + std::to_string(seed));
  expect_same(R"(module @M {
  graph @forward(%x : Tensor(f32, [2, 3, 16]), %w : Tensor(i8, [6, 16]), %s : Tensor(f32, []), %z : Tensor(f32, []), %b : Tensor(f32, [6])) -> (Tensor(f32, [2, 3, 6])) {
    %true : Bool = prim::Constant[value=true]()
    %y : Tensor(f32, [2, 3, 6]) = quantized::linear_relu_dynamic(%x, %w, %s, %z, %b, %true)
    return(%y)
  }
}
)",
              quantized_linear_inputs({2, 3}, 1, 0, seed));
}

}  // namespace
}  // namespace wick
