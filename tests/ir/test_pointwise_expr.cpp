// The pointwise expression language: every op's expression in the table
// parses and names only its own schema arguments; parse trees as text;
// malformed text is an internal error.
#include <gtest/gtest.h>

#include <set>

#include "ir/op_table.h"
#include "ir/pointwise_expr.h"
#include "support/error.h"

namespace wick::ir {
namespace {

void collect_args(const PointwiseExpr& e, std::vector<const PointwiseExpr*>* out) {
  if (e.kind == PointwiseExpr::Kind::arg) out->push_back(&e);
  for (const auto& o : e.operands) collect_args(*o, out);
}

TEST(PointwiseExpr, EveryPointwiseOpParsesAndNamesItsArguments) {
  int count = 0;
  for (const OpDef* op : all_ops()) {
    if (op->lowering != Lowering::pointwise) continue;
    ++count;
    SCOPED_TRACE(op->name);
    ASSERT_NE(op->pointwise.expr, nullptr);
    const PointwiseExpr& e = pointwise_expr(*op);
    std::vector<const PointwiseExpr*> args;
    collect_args(e, &args);
    for (const PointwiseExpr* a : args) {
      ASSERT_GE(a->arg_index, 0);
      ASSERT_LT(a->arg_index, static_cast<int>(op->schema.args.size()));
      EXPECT_EQ(op->schema.args[a->arg_index].name, a->text);
    }
    // Cached: the same tree on the second call.
    EXPECT_EQ(&pointwise_expr(*op), &e);
    // The printed tree parses back to the same text.
    std::vector<std::string> names;
    for (const SchemaArg& s : op->schema.args) names.push_back(s.name);
    EXPECT_EQ(to_string(*parse_pointwise_expr(to_string(e), names)), to_string(e));
  }
  EXPECT_GT(count, 60);
}

std::string tree(const char* op) { return to_string(pointwise_expr(*find_op(op))); }

TEST(PointwiseExpr, ParseTreesAsText) {
  EXPECT_EQ(tree("aten::add.Tensor"), "(self + (alpha * other))");
  EXPECT_EQ(tree("aten::sigmoid"), "(1 / (1 + exp((-self))))");
  EXPECT_EQ(tree("aten::lt.Scalar"), "(self < other)");
  EXPECT_EQ(tree("aten::logical_not"), "(!self)");
  EXPECT_EQ(tree("aten::where.self"), "(condition ? self : other)");
  EXPECT_EQ(tree("aten::hardswish"), "((self * min(max((self + 3), 0), 6)) / 6)");
  // min and max are clamp's arguments unless called.
  EXPECT_EQ(tree("aten::clamp"),
            "(defined(max) ? min((defined(min) ? max(self, min) : self), max) : "
            "(defined(min) ? max(self, min) : self))");
  EXPECT_EQ(tree("aten::gelu").substr(0, 26), "((approximate == \"tanh\") ?");
}

TEST(PointwiseExpr, PrecedenceAndAssociativity) {
  std::vector<std::string> names = {"a", "b", "c"};
  auto p = [&](const char* s) { return to_string(*parse_pointwise_expr(s, names)); };
  EXPECT_EQ(p("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(p("a || b && c"), "(a || (b && c))");
  EXPECT_EQ(p("a == b < c"), "(a == (b < c))");
  EXPECT_EQ(p("a <= b"), "(a <= b)");
  EXPECT_EQ(p("a ? b : c ? a : b"), "(a ? b : (c ? a : b))");
  EXPECT_EQ(p("-a * !b"), "((-a) * (!b))");
  EXPECT_EQ(p("1e-05 + 2.5 * 3"), "(1e-05 + (2.5 * 3))");
  auto e = parse_pointwise_expr("3 + 0.5", names);
  EXPECT_TRUE(e->operand(0).integer_literal);
  EXPECT_FALSE(e->operand(1).integer_literal);
  EXPECT_DOUBLE_EQ(e->operand(1).number, 0.5);
}

TEST(PointwiseExpr, MalformedTextIsAnInternalError) {
  std::vector<std::string> names = {"self"};
  for (const char* bad : {"self +", "nope", "exp(self, self)", "frob(self)", "(self", "self ? self",
                          "defined(1)", "\"open", "self $ self"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_pointwise_expr(bad, names), InternalError);
  }
  std::string deep(200, '(');
  EXPECT_THROW(parse_pointwise_expr(deep + "self" + std::string(200, ')'), names), InternalError);
}

}  // namespace
}  // namespace wick::ir
