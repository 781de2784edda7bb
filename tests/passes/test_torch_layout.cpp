// torch_layout (passes/quantized_levels.h): the memory order wick infers for
// each value of a graph of quantized ops, against the strides LibTorch's
// quantized ops give. A quantized convolution's result is channels-last in
// LibTorch; here a quantized tensor made channels-last stands for it.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/parser.h"
#include "ir/verifier.h"
#include "passes/quantized_levels.h"

namespace wick {
namespace {

const char* kGraph = R"(graph @layouts(%x : Tensor(f32, [2, 8, 6, 6]), %w : Tensor(f32, [8, 8, 1, 1]), %k : Tensor(f32, [8])) -> (Tensor(f32, [2, 8, 6, 6])) {
  %none : None = prim::Constant[value=none]()
  %one : List[Int] = prim::Constant[value=[1, 1]]()
  %zero : List[Int] = prim::Constant[value=[0, 0]]()
  %two : List[Int] = prim::Constant[value=[2, 2]]()
  %groups : Int = prim::Constant[value=1]()
  %s : Float = prim::Constant[value=0.5]()
  %z : Int = prim::Constant[value=3]()
  %dtype : Int = prim::Constant[value=13]()
  %false : Bool = prim::Constant[value=false]()
  %i0 : Int = prim::Constant[value=0]()
  %i1 : Int = prim::Constant[value=1]()
  %i2 : Int = prim::Constant[value=2]()
  %i3 : Int = prim::Constant[value=3]()
  %i4 : Int = prim::Constant[value=4]()
  %q : Tensor(f32, [2, 8, 6, 6]) = aten::quantize_per_tensor(%x, %s, %z, %dtype)
  %conv : Tensor(f32, [2, 8, 6, 6]) = wick::quantized_conv2d(%q, %s, %z, %w, %none, %k, %one, %zero, %one, %groups, %s, %z, %false)
  %channels : Tensor(f32, [2, 4, 6, 6]) = aten::slice.Tensor(%conv, %i1, %i0, %i4, %i1)
  %batch : Tensor(f32, [1, 8, 6, 6]) = aten::slice.Tensor(%conv, %i0, %i0, %i1, %i1)
  %relu_of_channels : Tensor(f32, [2, 4, 6, 6]) = aten::relu(%channels)
  %flat : Tensor(f32, [2, 288]) = aten::flatten.using_ints(%conv, %i1, %i3)
  %groups5 : List[Int] = prim::Constant[value=[2, 2, 4, 6, 6]]()
  %split : Tensor(f32, [2, 2, 4, 6, 6]) = aten::view(%conv, %groups5)
  %swapped : Tensor(f32, [2, 4, 2, 6, 6]) = aten::transpose.int(%split, %i1, %i2)
  %dense : Tensor(f32, [2, 4, 2, 6, 6]) = aten::contiguous(%swapped, %i0)
  %shape4 : List[Int] = prim::Constant[value=[2, 8, 6, 6]]()
  %shuffled : Tensor(f32, [2, 8, 6, 6]) = aten::view(%dense, %shape4)
  %nhwc_order : List[Int] = prim::Constant[value=[0, 2, 3, 1]]()
  %permuted : Tensor(f32, [2, 6, 6, 8]) = aten::permute(%conv, %nhwc_order)
  %transposed : Tensor(f32, [2, 8, 6, 6]) = aten::transpose.int(%q, %i2, %i3)
  %pooled : Tensor(f32, [2, 8, 3, 3]) = aten::max_pool2d(%conv, %two, %two, %zero, %one, %false)
  %pooled_channels : Tensor(f32, [2, 4, 3, 3]) = aten::max_pool2d(%channels, %two, %two, %zero, %one, %false)
  %both : List[Tensor] = prim::ListConstruct(%conv, %conv)
  %cat : Tensor(f32, [2, 16, 6, 6]) = quantized::cat(%both, %i1, %s, %z)
  %mixed : List[Tensor] = prim::ListConstruct(%conv, %q)
  %cat_mixed : Tensor(f32, [2, 16, 6, 6]) = quantized::cat(%mixed, %i1, %s, %z)
  %first : Tensor(f32, [8, 6, 6]) = aten::select.int(%conv, %i0, %i0)
  %cloned_channels : Tensor(f32, [2, 4, 6, 6]) = aten::clone(%channels, %none)
  return(%conv)
}
)";

struct Expected {
  bool contiguous, channels_last, suggests_nhwc;
};

Expected of(const torch::Tensor& t) {
  return {t.is_contiguous(), t.dim() == 4 && t.is_contiguous(torch::MemoryFormat::ChannelsLast),
          t.dim() == 4 && t.suggest_memory_format() == torch::MemoryFormat::ChannelsLast};
}

TEST(TorchLayout, FollowsLibTorchsStrides) {
  auto m = ir::parse_module(kGraph, "layouts.wir");
  ir::verify(*m);
  std::map<std::string, ir::Value*> named;
  for (ir::Node* n : *m->methods().at(0)->block())
    for (ir::Value* v : n->outputs()) named[v->name()] = v;

  namespace F = torch::nn::functional;
  const torch::Tensor x = torch::quantize_per_tensor(torch::randn({2, 8, 6, 6}), 0.5, 3, torch::kQUInt8);
  const torch::Tensor conv = x.contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor channels = conv.slice(1, 0, 4);
  const std::map<std::string, torch::Tensor> torch_values = {
      {"q", x},
      {"conv", conv},
      {"channels", channels},
      {"batch", conv.slice(0, 0, 1)},
      {"relu_of_channels", torch::relu(channels)},
      {"flat", conv.flatten(1, 3)},
      {"shuffled", conv.view({2, 2, 4, 6, 6}).transpose(1, 2).contiguous().view({2, 8, 6, 6})},
      {"permuted", conv.permute({0, 2, 3, 1})},
      {"transposed", x.transpose(2, 3)},
      {"pooled", F::max_pool2d(conv, F::MaxPool2dFuncOptions(2))},
      {"pooled_channels", F::max_pool2d(channels, F::MaxPool2dFuncOptions(2))},
      {"cat", torch::cat({conv, conv}, 1)},
      {"cat_mixed", torch::cat({conv, x}, 1)},
      {"first", conv.select(0, 0)},
      {"cloned_channels", channels.clone()},
  };
  int differently_laid_out = 0;
  for (const auto& [name, t] : torch_values) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(named.count(name));
    const passes::TorchLayout got = passes::torch_layout(named.at(name));
    const Expected want = of(t);
    EXPECT_EQ(got.contiguous, want.contiguous);
    EXPECT_EQ(got.channels_last, want.channels_last);
    EXPECT_EQ(got.suggests_nhwc, want.suggests_nhwc);
    differently_laid_out += !want.contiguous;
  }
  EXPECT_GE(differently_laid_out, 6);  // the cases are not all the default order
}

}  // namespace
}  // namespace wick
