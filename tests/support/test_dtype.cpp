#include "support/dtype.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wick
