#include "support/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace wick {
namespace {

TEST(DType, NamesRoundTrip) {
  for (DType t : kAllDTypes) EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
  EXPECT_FALSE(dtype_from_name("f31").has_value());
}

TEST(DType, TorchCodesMatchScalarType) {
  EXPECT_EQ(dtype_from_torch_code(6), DType::f32);
  EXPECT_EQ(dtype_from_torch_code(4), DType::i64);
  EXPECT_EQ(dtype_from_torch_code(11), DType::b8);
  EXPECT_FALSE(dtype_from_torch_code(8).has_value());  // complex32 is not supported
  for (DType t : kAllDTypes) EXPECT_EQ(dtype_from_torch_code(*torch_code_of(t)), t);
}

TEST(DType, PromotionFollowsTorch) {
  EXPECT_EQ(promote(DType::f32, DType::i64), DType::f32);
  EXPECT_EQ(promote(DType::i32, DType::i64), DType::i64);
  EXPECT_EQ(promote(DType::b8, DType::i32), DType::i32);
  EXPECT_EQ(promote(DType::f32, DType::f64), DType::f64);
  EXPECT_EQ(promote(DType::u8, DType::i8), DType::i16);
  EXPECT_EQ(promote(DType::f16, DType::bf16), DType::f32);
}

// Bit patterns from the IEEE 754 half and bfloat16 layouts.
TEST(DType, ElementsReadAsDouble) {
  auto half = [](uint16_t bits) { return element_as_double(DType::f16, &bits); };
  auto brain = [](uint16_t bits) { return element_as_double(DType::bf16, &bits); };
  EXPECT_EQ(half(0x3C00), 1.0);
  EXPECT_EQ(half(0xC000), -2.0);
  EXPECT_EQ(half(0x3555), 0.333251953125);
  EXPECT_EQ(half(0x7BFF), 65504.0);  // the largest half
  EXPECT_EQ(half(0x0001), std::ldexp(1.0, -24));  // the smallest subnormal
  EXPECT_EQ(half(0x8000), 0.0);
  EXPECT_TRUE(std::signbit(half(0x8000)));
  EXPECT_EQ(half(0xFC00), -INFINITY);
  EXPECT_TRUE(std::isnan(half(0x7E00)));
  EXPECT_EQ(brain(0x3F80), 1.0);
  EXPECT_EQ(brain(0xC049), -3.140625);
  EXPECT_EQ(brain(0x7F80), INFINITY);
  const int64_t big = -(int64_t{1} << 40);
  EXPECT_EQ(element_as_double(DType::i64, &big), -1099511627776.0);
  const int8_t small = -7;
  EXPECT_EQ(element_as_double(DType::i8, &small), -7.0);
  const uint8_t yes = 3;
  EXPECT_EQ(element_as_double(DType::b8, &yes), 1.0);
  const double d = 0.1;
  EXPECT_EQ(element_as_double(DType::f64, &d), 0.1);
}

}  // namespace
}  // namespace wick
