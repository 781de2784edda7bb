// Type rules of the ops gradients are built from (ir/ops_backward.cpp): the
// scatters take their shape from a sizes list or from self, the backward
// extern ops from the forward operand's sizes.
#include <gtest/gtest.h>

#include "shape_rule_check.h"
#include "support/error.h"

namespace wick {
namespace {

using testing::inferred_types;

std::string c(const char* name, const char* type, const char* value) {
  return std::string("  %") + name + " : " + type + " = prim::Constant[value=" + value + "]()\n";
}

TEST(BackwardRules, SliceBackward) {
  const std::string consts = c("d", "Int", "1") + c("a", "Int", "1") + c("b", "Int", "6") + c("k", "Int", "3");
  EXPECT_EQ(inferred_types(c("s", "List[Int]", "[3, 7]") + consts + "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                           "%g : Tensor(f32, [3, 2])"),
            "Tensor(f32, [3, 7])");
  // Sizes read off another tensor stay symbolic.
  EXPECT_EQ(inferred_types(c("z", "Int", "0") + c("seven", "Int", "7") + consts +
                               "  %n : Int = aten::size.int(%x, %z)\n"
                               "  %s : List[Int] = prim::ListConstruct(%n, %seven)\n"
                               "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                           "%g : Tensor(f64, [B, 2]), %x : Tensor(f32, [B, 7])"),
            "Tensor(f64, [B, 7])");
  EXPECT_THROW(inferred_types(c("s", "List[Int]", "[3, 7, 1]") + consts + "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                              "%g : Tensor(f32, [3, 2])"),
               Error);  // rank
  EXPECT_THROW(inferred_types(c("s", "List[Int]", "[3, 7]") + c("d", "Int", "2") + c("a", "Int", "1") + c("b", "Int", "6") +
                                  c("k", "Int", "3") + "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                              "%g : Tensor(f32, [3, 2])"),
               Error);  // dim
  EXPECT_THROW(inferred_types(c("s", "List[Int]", "[3, 7]") + c("d", "Int", "1") + c("a", "Int", "1") + c("b", "Int", "6") +
                                  c("k", "Int", "0") + "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                              "%g : Tensor(f32, [3, 2])"),
               Error);  // step
  EXPECT_THROW(inferred_types(c("s", "List[Int]", "[3, -7]") + consts + "  %y : Tensor = aten::slice_backward(%g, %s, %d, %a, %b, %k)",
                              "%g : Tensor(f32, [3, 2])"),
               Error);  // negative size
}

TEST(BackwardRules, IndexAddAndIndexPut) {
  const std::string add = c("d", "Int", "0") + c("one", "Int", "1") + "  %y : Tensor = aten::index_add(%x, %d, %i, %s, %one)";
  EXPECT_EQ(inferred_types(add, "%x : Tensor(f32, [B, 3]), %i : Tensor(i64, [4]), %s : Tensor(f32, [4, 3])"),
            "Tensor(f32, [B, 3])");
  EXPECT_THROW(inferred_types(add, "%x : Tensor(f32, [5, 3]), %i : Tensor(f32, [4]), %s : Tensor(f32, [4, 3])"), Error);
  EXPECT_THROW(inferred_types(add, "%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [4, 1]), %s : Tensor(f32, [4, 3])"), Error);
  EXPECT_THROW(inferred_types(add, "%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [4]), %s : Tensor(f64, [4, 3])"), Error);
  EXPECT_THROW(inferred_types(add, "%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [4]), %s : Tensor(f32, [4])"), Error);
  const std::string put = c("t", "Bool", "true") + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%i, %i, %i)\n" +
                          "  %y : Tensor = aten::index_put(%x, %l, %v, %t)";
  EXPECT_EQ(inferred_types(put, "%x : Tensor(f32, [5, 3, 2]), %i : Tensor(i64, [4]), %v : Tensor(f32, [4])"),
            "Tensor(f32, [5, 3, 2])");
  EXPECT_THROW(inferred_types(put, "%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [4]), %v : Tensor(f32, [4])"), Error);
  EXPECT_THROW(inferred_types(put, "%x : Tensor(f32, [5, 3, 2]), %i : Tensor(i64, [4]), %v : Tensor(i64, [4])"), Error);
}

TEST(BackwardRules, ConvolutionAndPooling) {
  const std::string params = c("st", "List[Int]", "[1, 1]") + c("p", "List[Int]", "[0, 0]") + c("dl", "List[Int]", "[1, 1]") +
                             c("g", "Int", "1");
  EXPECT_EQ(inferred_types(params + c("sz", "List[Int]", "[2, 3, 5, 5]") +
                               "  %y : Tensor = wick::conv_input_backward(%go, %w, %sz, %st, %p, %dl, %g)",
                           "%go : Tensor(f32, [2, 4, 3, 3]), %w : Tensor(f32, [4, 3, 3, 3])"),
            "Tensor(f32, [2, 3, 5, 5])");
  EXPECT_EQ(inferred_types(params + c("sz", "List[Int]", "[4, 3, 3, 3]") +
                               "  %y : Tensor = wick::conv_weight_backward(%go, %x, %sz, %st, %p, %dl, %g)",
                           "%go : Tensor(f32, [2, 4, 3, 3]), %x : Tensor(f32, [2, 3, 5, 5])"),
            "Tensor(f32, [4, 3, 3, 3])");
  const std::string pool = c("k", "List[Int]", "[2, 2]") + c("s", "List[Int]", "[2, 2]") + c("p", "List[Int]", "[0, 0]") +
                           c("d", "List[Int]", "[1, 1]") + c("f", "Bool", "false");
  EXPECT_EQ(inferred_types(pool + "  %y : Tensor = wick::max_pool2d_backward(%go, %x, %k, %s, %p, %d, %f)",
                           "%go : Tensor(f32, [B, 3, 2, 2]), %x : Tensor(f32, [B, 3, 4, 4])"),
            "Tensor(f32, [B, 3, 4, 4])");
  EXPECT_EQ(inferred_types(pool + c("sz", "List[Int]", "[1, 3, 4, 4]") + c("n", "None", "none") +
                               "  %y : Tensor = wick::avg_pool2d_backward(%go, %sz, %k, %s, %p, %f, %f, %n)",
                           "%go : Tensor(f32, [1, 3, 2, 2])"),
            "Tensor(f32, [1, 3, 4, 4])");
  EXPECT_EQ(inferred_types(c("sz", "List[Int]", "[3, 7, 5]") + "  %y : Tensor = wick::adaptive_avg_pool2d_backward(%go, %sz)",
                           "%go : Tensor(f32, [3, 2, 2])"),
            "Tensor(f32, [3, 7, 5])");
}

}  // namespace
}  // namespace wick
