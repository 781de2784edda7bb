// fold_batch_norm: a batch norm after a convolution becomes the
// convolution's own weight and bias, with values computed here independently.
#include "passes/fold_batch_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace wick {
namespace {

const char* kModel = R"(module @M {
  param "conv.weight" : Tensor(f32, [2, 1, 1, 1])
  param "bn.weight" : Tensor(f32, [2])
  param "bn.bias" : Tensor(f32, [2])
  buffer "bn.running_mean" : Tensor(f32, [2])
  buffer "bn.running_var" : Tensor(f32, [2])

  graph @forward(%x : Tensor(f32, [1, 1, 3, 3])) -> (Tensor(f32, [1, 2, 3, 3])) {
    %w : Tensor(f32, [2, 1, 1, 1]) = prim::Param[name="conv.weight"]()
    %g : Tensor(f32, [2]) = prim::Param[name="bn.weight"]()
    %b : Tensor(f32, [2]) = prim::Param[name="bn.bias"]()
    %m : Tensor(f32, [2]) = prim::Param[name="bn.running_mean"]()
    %v : Tensor(f32, [2]) = prim::Param[name="bn.running_var"]()
    %none : None = prim::Constant[value=none]()
    %one : List[Int] = prim::Constant[value=[1, 1]]()
    %zero : List[Int] = prim::Constant[value=[0, 0]]()
    %groups : Int = prim::Constant[value=1]()
    %false : Bool = prim::Constant[value=false]()
    %momentum : Float = prim::Constant[value=0.1]()
    %eps : Float = prim::Constant[value=0.001]()
    %c : Tensor(f32, [1, 2, 3, 3]) = aten::conv2d(%x, %w, %none, %one, %zero, %one, %groups)
    %y : Tensor(f32, [1, 2, 3, 3]) = aten::batch_norm(%c, %g, %b, %m, %v, %false, %momentum, %eps, %false)
    return(%y)
  }
}
)";

Tensor values(std::vector<int64_t> sizes, std::vector<float> data) {
  Tensor t = Tensor::zeros(DType::f32, std::move(sizes));
  for (size_t i = 0; i < data.size(); ++i) t.data_as<float>()[i] = data[i];
  return t;
}

TEST(FoldBatchNorm, ConvolutionTakesTheNormalization) {
  auto m = ir::parse_module(kModel, "fold.wir");
  m->set_tensor_data("conv.weight", values({2, 1, 1, 1}, {2.0f, -3.0f}));
  m->set_tensor_data("bn.weight", values({2}, {0.5f, 4.0f}));
  m->set_tensor_data("bn.bias", values({2}, {1.0f, -1.0f}));
  m->set_tensor_data("bn.running_mean", values({2}, {0.25f, 2.0f}));
  m->set_tensor_data("bn.running_var", values({2}, {4.0f, 0.09f}));
  ir::Graph& g = *m->methods()[0];
  passes::fold_batch_norm(g);
  ir::verify(*m);
  const std::string text = ir::print(g);
  EXPECT_EQ(text.find("aten::batch_norm"), std::string::npos) << text;
  // The convolution reads the folded tensors, which the module now holds.
  EXPECT_NE(text.find("%0 : Tensor(f32, [2, 1, 1, 1]) = prim::Param[name=\"conv.weight.bn_folded.bn.running_mean.weight\"]()"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("%1 : Tensor(f32, [2]) = prim::Param[name=\"conv.weight.bn_folded.bn.running_mean.bias\"]()"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("%y : Tensor(f32, [1, 2, 3, 3]) = aten::conv2d(%x, %0, %1, %one, %zero, %one, %groups)"),
            std::string::npos)
      << text;
  // w' = w * g / sqrt(var + eps); b' = (0 - mean) * g / sqrt(var + eps) + beta
  const double s0 = 0.5 / std::sqrt(4.0 + 0.001), s1 = 4.0 / std::sqrt(0.09 + 0.001);
  const ir::NamedTensor* fw = m->find_tensor("conv.weight.bn_folded.bn.running_mean.weight");
  const ir::NamedTensor* fb = m->find_tensor("conv.weight.bn_folded.bn.running_mean.bias");
  ASSERT_TRUE(fw && fb);
  EXPECT_EQ(fw->role, ir::TensorRole::constant);
  EXPECT_NEAR(fw->data.data_as<float>()[0], 2.0 * s0, 1e-6);
  EXPECT_NEAR(fw->data.data_as<float>()[1], -3.0 * s1, 1e-5);
  EXPECT_NEAR(fb->data.data_as<float>()[0], -0.25 * s0 + 1.0, 1e-6);
  EXPECT_NEAR(fb->data.data_as<float>()[1], -2.0 * s1 - 1.0, 1e-5);
}

TEST(FoldBatchNorm, LeavesTrainingModeAndUnknownDataAlone) {
  // Without tensor data there is nothing to fold.
  auto m = ir::parse_module(kModel, "fold.wir");
  passes::fold_batch_norm(*m->methods()[0]);
  EXPECT_NE(ir::print(*m).find("aten::batch_norm"), std::string::npos);
  // In training mode the statistics come from the batch: no folding either.
  std::string text = kModel;
  const std::string eval_flag = "%false, %momentum";
  text.replace(text.find(eval_flag), eval_flag.size(), "%true, %momentum");
  text.replace(text.find("    %momentum"), 0, "    %true : Bool = prim::Constant[value=true]()\n");
  auto t = ir::parse_module(text, "fold.wir");
  t->set_tensor_data("conv.weight", values({2, 1, 1, 1}, {2.0f, -3.0f}));
  for (const char* name : {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"})
    t->set_tensor_data(name, values({2}, {1.0f, 1.0f}));
  passes::fold_batch_norm(*t->methods()[0]);
  EXPECT_NE(ir::print(*t).find("aten::batch_norm"), std::string::npos);
}

}  // namespace
}  // namespace wick
