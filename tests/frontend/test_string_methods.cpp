// str methods folded while compiling, in cases LibTorch cannot be asked
// (its replace of an empty string never ends) or where it departs from
// Python (a whitespace split ignores its maximum); the rest is compared
// with LibTorch in tests/api/test_string_methods.cpp.
#include "frontend/string_methods.h"

#include <gtest/gtest.h>

namespace wick {
namespace {

std::optional<ir::AttrValue> fold(const std::string& op, std::vector<ir::AttrValue> args) {
  std::vector<const ir::AttrValue*> ptrs;
  for (const ir::AttrValue& a : args) ptrs.push_back(&a);
  return fold_string_method(op, ptrs);
}

TEST(StringMethodFolds, ReplacingTheEmptyStringInsertsBetweenCharacters) {
  // Python: "ab".replace("", "-") == "-a-b-", "ab".replace("", "-", 2) == "-a-b"
  EXPECT_EQ(fold("aten::replace", {std::string("ab"), std::string(""), std::string("-")}),
            ir::AttrValue(std::string("-a-b-")));
  EXPECT_EQ(fold("aten::replace", {std::string("ab"), std::string(""), std::string("-"), int64_t{2}}),
            ir::AttrValue(std::string("-a-b")));
}

TEST(StringMethodFolds, WhitespaceSplitIgnoresItsMaximumAsLibTorchDoes) {
  EXPECT_EQ(fold("aten::split", {std::string(" one  two "), ir::NoneValue{}, int64_t{1}}),
            ir::AttrValue(std::vector<std::string>{"one", "two"}));
}

TEST(StringMethodFolds, UnfoldableCallsAreLeftAlone) {
  EXPECT_FALSE(fold("aten::startswith", {std::string("abc"), std::string("b"), int64_t{1}}));  // a start index
  EXPECT_FALSE(fold("aten::split", {std::string("abc"), std::string("")}));  // Python raises
  EXPECT_FALSE(fold("aten::frobnicate", {std::string("abc")}));
  EXPECT_FALSE(fold("aten::upper", {int64_t{1}}));
}

}  // namespace
}  // namespace wick
