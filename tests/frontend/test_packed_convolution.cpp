// The packed convolution weights torch saves through Conv2dPackedParamsBase's
// own __getstate__ (ATen's conv_serialization.h versions 1 to 3), read into
// the state quantized::conv2d takes in wick, and the states refused by name.
#include "frontend/packed_convolution.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wick {
namespace {

const char* const kClass = "__torch__.torch.classes.quantized.Conv2dPackedParamsBase";
const SourceLocation kFile{"model.pt"};

Tensor ints(DType dtype, const std::vector<int64_t>& xs) {
  Tensor t = Tensor::empty(dtype, {static_cast<int64_t>(xs.size())});
  for (size_t i = 0; i < xs.size(); ++i) {
    if (dtype == DType::i16) t.data_as<int16_t>()[i] = static_cast<int16_t>(xs[i]);
    if (dtype == DType::i64) t.data_as<int64_t>()[i] = xs[i];
  }
  return t;
}

// A weight [4, 2, sizes...] of int8 levels, per output channel.
PickleValue weight(std::vector<int64_t> sizes) {
  Tensor values = Tensor::zeros(DType::i8, sizes);
  for (int64_t i = 0; i < values.numel(); ++i) values.data_as<int8_t>()[i] = static_cast<int8_t>(i % 7 - 3);
  std::vector<int64_t> param_sizes(sizes.size(), 1);
  param_sizes[0] = sizes[0];
  QuantizedParts parts{values, Tensor::zeros(DType::f32, param_sizes), Tensor::zeros(DType::f32, param_sizes)};
  for (int64_t c = 0; c < sizes[0]; ++c) parts.scale.data_as<float>()[c] = 0.01f * static_cast<float>(c + 1);
  return PickleValue::quantized_tensor(std::move(parts), false);
}

PickleValue bias() { return PickleValue::tensor(Tensor::zeros(DType::f32, {4}), true); }

PickleValue int_list(const std::vector<int64_t>& xs) {
  std::vector<PickleValue> items;
  for (int64_t x : xs) items.push_back(PickleValue::integer(x));
  return PickleValue::list(std::move(items));
}

PickleValue object_with(PickleValue state) {
  PickleValue o = PickleValue::object(kClass);
  o.set_state(std::move(state));
  return o;
}

std::vector<int64_t> list_ints(const PickleValue& v) {
  std::vector<int64_t> out;
  for (const PickleValue& e : v.elements()) out.push_back(e.to_int());
  return out;
}

// Checks wick's state: (weight, bias, stride, padding, dilation, groups).
void expect_state(const PickleValue& o, std::vector<int64_t> weight_sizes, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups, bool has_bias) {
  const auto& e = o.state().elements();
  ASSERT_EQ(e.size(), 6u);
  ASSERT_NE(e[0].quantized(), nullptr);
  EXPECT_EQ(e[0].quantized()->values.sizes(), weight_sizes);
  EXPECT_EQ(e[0].quantized()->scale.dim(), static_cast<int>(weight_sizes.size()));
  EXPECT_EQ(e[1].is_none(), !has_bias);
  EXPECT_EQ(list_ints(e[2]), stride);
  EXPECT_EQ(list_ints(e[3]), padding);
  EXPECT_EQ(list_ints(e[4]), dilation);
  EXPECT_EQ(e[5].to_int(), groups);
}

// Version 2, as PyTorch 1.13 writes it: ("2", [int16 config, weight], [bias]).
TEST(PackedConvolution, ReadsVersion2) {
  PickleValue o = object_with(PickleValue::tuple(
      {PickleValue::string("2"),
       PickleValue::list({PickleValue::tensor(ints(DType::i16, {2, 2, 1, 1, 0, 1, 3, 0, 0, 2, 0}), false),
                          weight({4, 1, 3, 3})}),
       PickleValue::list({bias()})}));
  read_saved_packed_convolution(o, kFile);
  expect_state(o, {4, 1, 3, 3}, {2, 1}, {1, 0}, {1, 3}, 2, true);
}

// Version 3, as PyTorch 2.x writes it: (3, [config], [None, weight, bias]).
TEST(PackedConvolution, ReadsVersion3) {
  PickleValue o = object_with(PickleValue::tuple(
      {PickleValue::integer(3), int_list({2, 1, 1, 2, 2, 1, 1, 0, 0, 1, 0}),
       PickleValue::list({PickleValue(), weight({4, 2, 3, 3}), PickleValue()})}));
  read_saved_packed_convolution(o, kFile);
  expect_state(o, {4, 2, 3, 3}, {1, 1}, {2, 2}, {1, 1}, 1, false);
}

// Version 1: (weight, bias, stride, padding, dilation, groups), ints as tensors.
TEST(PackedConvolution, ReadsVersion1) {
  auto one = [](int64_t x) { return PickleValue::tensor(ints(DType::i64, {x}), false); };
  PickleValue o = object_with(PickleValue::tuple({weight({4, 2, 3, 3}), bias(), PickleValue::list({one(2), one(2)}),
                                                  PickleValue::list({one(1), one(1)}),
                                                  PickleValue::list({one(1), one(1)}), one(1)}));
  read_saved_packed_convolution(o, kFile);
  expect_state(o, {4, 2, 3, 3}, {2, 2}, {1, 1}, {1, 1}, 1, true);
}

// What an eager Conv1d's set_weight_bias makes: a 2-d weight over a height of 1.
TEST(PackedConvolution, Conv1dBecomesTwoDimensional) {
  const PickleValue o =
      packed_convolution_state(weight({4, 2, 5}), bias(), {{3}, {2}, {2}, 1}, "a Conv1d", kFile);
  expect_state(o, {4, 2, 1, 5}, {1, 3}, {0, 2}, {1, 2}, 1, true);
  // The levels keep their order.
  const Tensor w = o.state().elements()[0].quantized()->values.contiguous();
  for (int64_t i = 0; i < w.numel(); ++i) EXPECT_EQ(w.data_as<int8_t>()[i], i % 7 - 3) << i;
}

void expect_refused(PickleValue state, const std::string& message) {
  PickleValue o = object_with(std::move(state));
  try {
    read_saved_packed_convolution(o, kFile);
    FAIL() << "no error for " << message;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(message), std::string::npos) << m;
    EXPECT_NE(m.find("model.pt"), std::string::npos) << m;
    EXPECT_NE(m.find("Conv2dPackedParamsBase"), std::string::npos) << m;
  }
}

TEST(PackedConvolution, RefusesWhatItCannotRead) {
  auto v2 = [](std::vector<int64_t> config, PickleValue w) {
    return PickleValue::tuple({PickleValue::string("2"),
                               PickleValue::list({PickleValue::tensor(ints(DType::i16, config), false), w}),
                               PickleValue::list({})});
  };
  expect_refused(PickleValue::tuple({PickleValue::string("9"), PickleValue::list({})}), "unknown format");
  expect_refused(v2({2, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1}, weight({4, 2, 3, 3})),
                 "transposed quantized convolutions are not supported");
  expect_refused(v2({2, 1, 1, 0}, weight({4, 2, 3, 3})), "do not have the layout of a convolution's");
  expect_refused(v2({3, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0}, weight({4, 2, 3, 3, 3})),
                 "only 1-d and 2-d quantized convolutions are supported, got a weight of rank 5");
  expect_refused(v2({2, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0}, weight({4, 2, 3, 3})), "'groups' must be positive");
  expect_refused(v2({2, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0}, bias()), "its weight must be a quantized tensor");
  expect_refused(PickleValue::tuple({PickleValue::string("2"), PickleValue::list({})}), "has no element 0");
  expect_refused(PickleValue::tuple({PickleValue::integer(3), PickleValue::string("x"), PickleValue::list({})}),
                 "expected ints");
}

}  // namespace
}  // namespace wick
