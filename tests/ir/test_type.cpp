#include "ir/type.h"

#include <gtest/gtest.h>

namespace wick::ir {
namespace {

TEST(Dim, SymbolicArithmeticStaysExact) {
  Dim b = Dim::symbol("B");
  Dim twelve_b = b * Dim::constant(12);
  EXPECT_EQ(twelve_b.str(), "12*B");
  EXPECT_EQ(twelve_b.divide_exactly(b)->str(), "12");
  EXPECT_EQ(twelve_b.divide_exactly(Dim::constant(4))->str(), "3*B");
  EXPECT_FALSE(twelve_b.divide_exactly(Dim::constant(5)).has_value());
  EXPECT_FALSE(twelve_b.divide_exactly(Dim::symbol("T")).has_value());
  EXPECT_EQ((b + b).str(), "2*B");
  EXPECT_TRUE((b + Dim::symbol("T")).is_unknown());
  EXPECT_EQ((Dim::symbol("T") * b).str(), "B*T");  // symbols sorted
  EXPECT_TRUE((Dim::unknown() * b).is_unknown());
  EXPECT_EQ((Dim::constant(3) + Dim::constant(4)).value(), 7);
}

TEST(Dim, AddingStaticZeroKeepsTheOtherSide) {
  Dim b = Dim::symbol("B");
  EXPECT_EQ((Dim::constant(0) + b).str(), "B");
  EXPECT_EQ((b + Dim::constant(0)).str(), "B");
  EXPECT_TRUE((Dim::constant(1) + b).is_unknown());
}

TEST(Dim, OverflowBecomesUnknown) {
  Dim big = Dim::constant(int64_t{1} << 62);
  EXPECT_TRUE((big * Dim::constant(4)).is_unknown());
}

TEST(Type, PrintsAsInIrText) {
  EXPECT_EQ(Type::tensor()->str(), "Tensor");
  EXPECT_EQ(Type::tensor(DType::f32)->str(), "Tensor(f32)");
  EXPECT_EQ(Type::tensor(std::nullopt, std::vector<Dim>{Dim::unknown(), Dim::constant(3)})->str(),
            "Tensor(?, [?, 3])");
  EXPECT_EQ(Type::tensor_static(DType::b8, {2})->str(), "Tensor(bool, [2])");
  EXPECT_EQ(Type::tuple({Type::int_(), Type::optional(Type::float_())})->str(), "Tuple[Int, Optional[Float]]");
  EXPECT_EQ(Type::list(Type::tensor())->str(), "List[Tensor]");
}

TEST(Type, AcceptsFollowsSchemaRules) {
  EXPECT_TRUE(Type::number()->accepts(*Type::int_()));
  EXPECT_TRUE(Type::number()->accepts(*Type::float_()));
  EXPECT_FALSE(Type::number()->accepts(*Type::tensor()));
  EXPECT_TRUE(Type::optional(Type::tensor())->accepts(*Type::none()));
  EXPECT_TRUE(Type::optional(Type::tensor())->accepts(*Type::tensor_static(DType::f32, {2})));
  EXPECT_FALSE(Type::float_()->accepts(*Type::int_()));
  EXPECT_TRUE(Type::tensor()->accepts(*Type::tensor_static(DType::f32, {2, 3})));
  EXPECT_FALSE(Type::tensor(DType::f64)->accepts(*Type::tensor_static(DType::f32, {2})));
  EXPECT_FALSE(Type::tensor_static(DType::f32, {3})->accepts(*Type::tensor_static(DType::f32, {2})));
  EXPECT_TRUE(Type::list(Type::int_())->accepts(*Type::list(Type::int_())));
  EXPECT_FALSE(Type::list(Type::int_())->accepts(*Type::list(Type::float_())));
  EXPECT_TRUE(Type::any()->accepts(*Type::tuple({})));
}

TEST(Type, EqualityIsStructural) {
  EXPECT_EQ(*Type::tensor_static(DType::f32, {2}), *Type::tensor_static(DType::f32, {2}));
  EXPECT_NE(*Type::tensor_static(DType::f32, {2}), *Type::tensor(DType::f32));
  EXPECT_NE(*Type::tuple({Type::int_()}), *Type::tuple({Type::float_()}));
}

}  // namespace
}  // namespace wick::ir
