// integer_quantized_ops: a quantized convolution whose input's scale, weight
// and bias are known becomes wick::quantized_conv2d on the module constants
// it computes (the weight's levels less their zero points, the bias in the
// sums' units and each channel's multiplier), checked here against values
// worked out by hand; without the module's data it is left alone.
#include "passes/integer_quantized_ops.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace wick {
namespace {

const char* kModel = R"(module @M {
  buffer "conv.w" : Tensor(i8, [2, 2, 1, 1])
  buffer "conv.w.scale" : Tensor(f32, [2, 1, 1, 1])
  buffer "conv.w.zero_point" : Tensor(f32, [2, 1, 1, 1])
  buffer "conv.b" : Tensor(f32, [2])

  graph @forward(%x : Tensor(f32, [1, 2, 3, 3])) -> (Tensor(f32, [1, 2, 3, 3])) {
    %w : Tensor(i8, [2, 2, 1, 1]) = prim::Param[name="conv.w"]()
    %ws : Tensor(f32, [2, 1, 1, 1]) = prim::Param[name="conv.w.scale"]()
    %wz : Tensor(f32, [2, 1, 1, 1]) = prim::Param[name="conv.w.zero_point"]()
    %b : Tensor(f32, [2]) = prim::Param[name="conv.b"]()
    %dtype : Int = prim::Constant[value=13]()
    %sx : Float = prim::Constant[value=0.5]()
    %zx : Int = prim::Constant[value=10]()
    %qx : Tensor(f32, [1, 2, 3, 3]) = aten::quantize_per_tensor(%x, %sx, %zx, %dtype)
    %one : List[Int] = prim::Constant[value=[1, 1]]()
    %zero : List[Int] = prim::Constant[value=[0, 0]]()
    %groups : Int = prim::Constant[value=1]()
    %sy : Float = prim::Constant[value=2.0]()
    %zy : Int = prim::Constant[value=5]()
    %y : Tensor(f32, [1, 2, 3, 3]) = quantized::conv2d_relu.new(%qx, %w, %ws, %wz, %b, %one, %zero, %one, %groups, %sy, %zy)
    return(%y)
  }
}
)";

template <typename T>
Tensor values(DType dtype, std::vector<int64_t> sizes, std::vector<T> data) {
  Tensor t = Tensor::zeros(dtype, std::move(sizes));
  for (size_t i = 0; i < data.size(); ++i) t.data_as<T>()[i] = data[i];
  return t;
}

TEST(IntegerQuantizedOps, ConvolutionTakesItsConstantsPerChannel) {
  auto m = ir::parse_module(kModel, "conv.wir");
  m->set_tensor_data("conv.w", values<int8_t>(DType::i8, {2, 2, 1, 1}, {1, -2, 3, 4}));
  m->set_tensor_data("conv.w.scale", values<float>(DType::f32, {2, 1, 1, 1}, {0.25f, 0.125f}));
  m->set_tensor_data("conv.w.zero_point", values<float>(DType::f32, {2, 1, 1, 1}, {0.0f, 1.0f}));
  m->set_tensor_data("conv.b", values<float>(DType::f32, {2}, {1.5f, -0.75f}));
  ir::Graph& g = *m->methods()[0];
  EXPECT_TRUE(passes::integer_quantized_ops(g));
  ir::verify(*m);
  const std::string text = ir::print(g);
  EXPECT_EQ(text.find("quantized::conv2d_relu.new"), std::string::npos) << text;
  EXPECT_NE(text.find("%y : Tensor(f32, [1, 2, 3, 3]) = wick::quantized_conv2d(%qx, %0, %1, %2, %3, %4, %one, "
                      "%zero, %one, %groups, %5, %6, %7)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("%0 : Float = prim::Constant[value=0.5]()"), std::string::npos) << text;
  EXPECT_NE(text.find("%1 : Int = prim::Constant[value=10]()"), std::string::npos) << text;
  EXPECT_NE(text.find("%7 : Bool = prim::Constant[value=true]()"), std::string::npos) << text;
  // 1 / x_scale = 2, 1 / output_scale = 0.5; channel 0: 1 / w_scale = 4, the
  // sums' scale 8, multiplier 0.5 / 8, bias 1.5 * 8; channel 1: 8, 16,
  // 0.5 / 16, -0.75 * 16, its levels less the zero point 1.
  const ir::NamedTensor* levels = m->find_tensor("conv.w.levels");
  const ir::NamedTensor* bias = m->find_tensor("conv.w.sum_bias");
  const ir::NamedTensor* multiplier = m->find_tensor("conv.w.multiplier");
  ASSERT_TRUE(levels && bias && multiplier);
  EXPECT_EQ(levels->role, ir::TensorRole::constant);
  EXPECT_EQ(levels->data.sizes(), (std::vector<int64_t>{2, 2, 1, 1}));
  const std::vector<float> want_levels = {1, -2, 2, 3};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(levels->data.data_as<float>()[i], want_levels[i]) << i;
  EXPECT_EQ(bias->data.data_as<float>()[0], 12.0f);
  EXPECT_EQ(bias->data.data_as<float>()[1], -12.0f);
  EXPECT_EQ(multiplier->data.data_as<float>()[0], 0.0625f);
  EXPECT_EQ(multiplier->data.data_as<float>()[1], 0.03125f);
}

// With every zero point 0 the weight's integers are its levels: the
// convolution reads the int8 parameter itself, and no f32 copy is made.
TEST(IntegerQuantizedOps, ConvolutionReadsInt8WeightsWithoutZeroPoints) {
  auto m = ir::parse_module(kModel, "conv.wir");
  m->set_tensor_data("conv.w", values<int8_t>(DType::i8, {2, 2, 1, 1}, {1, -2, 3, 4}));
  m->set_tensor_data("conv.w.scale", values<float>(DType::f32, {2, 1, 1, 1}, {0.25f, 0.125f}));
  m->set_tensor_data("conv.w.zero_point", values<float>(DType::f32, {2, 1, 1, 1}, {0.0f, 0.0f}));
  m->set_tensor_data("conv.b", values<float>(DType::f32, {2}, {1.5f, -0.75f}));
  ir::Graph& g = *m->methods()[0];
  EXPECT_TRUE(passes::integer_quantized_ops(g));
  ir::verify(*m);
  const std::string text = ir::print(g);
  EXPECT_NE(text.find("= wick::quantized_conv2d(%qx, %0, %1, %w, %2, %3, %one, %zero, %one, %groups, %4, %5, %6)"),
            std::string::npos)
      << text;
  EXPECT_EQ(m->find_tensor("conv.w.levels"), nullptr);
  ASSERT_NE(m->find_tensor("conv.w.multiplier"), nullptr);
  EXPECT_EQ(m->find_tensor("conv.w.multiplier")->data.data_as<float>()[1], 0.03125f);
}

TEST(IntegerQuantizedOps, LeavesAConvolutionWithoutDataAlone) {
  auto m = ir::parse_module(kModel, "conv.wir");
  EXPECT_FALSE(passes::integer_quantized_ops(*m->methods()[0]));
  EXPECT_NE(ir::print(*m).find("quantized::conv2d_relu.new"), std::string::npos);
  // Nor with the weight known but not the bias.
  auto partial = ir::parse_module(kModel, "conv.wir");
  partial->set_tensor_data("conv.w", values<int8_t>(DType::i8, {2, 2, 1, 1}, {1, -2, 3, 4}));
  partial->set_tensor_data("conv.w.scale", values<float>(DType::f32, {2, 1, 1, 1}, {0.25f, 0.125f}));
  partial->set_tensor_data("conv.w.zero_point", values<float>(DType::f32, {2, 1, 1, 1}, {0.0f, 1.0f}));
  EXPECT_FALSE(passes::integer_quantized_ops(*partial->methods()[0]));
  EXPECT_NE(ir::print(*partial).find("quantized::conv2d_relu.new"), std::string::npos);
}

}  // namespace
}  // namespace wick
