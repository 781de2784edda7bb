#include "ir/op_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "support/error.h"

namespace wick::ir {
namespace {

TEST(OpTable, SeedOpsArePresentWithTheirLowering) {
  struct Expect {
    const char* name;
    Lowering lowering;
  };
  const Expect seeds[] = {
      {"aten::add.Tensor", Lowering::pointwise}, {"aten::sub.Tensor", Lowering::pointwise},
      {"aten::mul.Tensor", Lowering::pointwise}, {"aten::div.Tensor", Lowering::pointwise},
      {"aten::neg", Lowering::pointwise},        {"aten::exp", Lowering::pointwise},
      {"aten::log", Lowering::pointwise},        {"aten::sigmoid", Lowering::pointwise},
      {"aten::tanh", Lowering::pointwise},       {"aten::relu", Lowering::pointwise},
      {"aten::sum", Lowering::reduction},        {"aten::mean.dim", Lowering::reduction},
      {"aten::matmul", Lowering::extern_call},   {"aten::linear", Lowering::extern_call},
      {"prim::Constant", Lowering::data},        {"prim::If", Lowering::control},
      {"prim::Loop", Lowering::control},
  };
  for (const auto& e : seeds) {
    const OpDef* op = find_op(e.name);
    ASSERT_NE(op, nullptr) << e.name;
    EXPECT_EQ(op->lowering, e.lowering) << e.name;
    EXPECT_EQ(op->name, e.name);
  }
  EXPECT_EQ(find_op("aten::add"), nullptr);  // overloads are named explicitly
  std::vector<std::string> names;
  for (const OpDef* op : find_overloads("aten::add")) names.push_back(op->name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"aten::add.Scalar", "aten::add.Tensor", "aten::add.float",
                                             "aten::add.float_int", "aten::add.int", "aten::add.int_float",
                                             "aten::add.str", "aten::add.t"}));
}

TEST(OpTable, EverySchemaPrintsBackToItself) {
  for (const OpDef* op : all_ops()) {
    Schema again = parse_schema(op->schema.str());
    EXPECT_EQ(again.str(), op->schema.str()) << op->name;
  }
}

TEST(OpSchema, ParsesArgumentsDefaultsAndKeywordOnly) {
  Schema s = parse_schema(
      "aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor");
  EXPECT_EQ(s.qualified_name(), "aten::sum.dim_IntList");
  ASSERT_EQ(s.args.size(), 4u);
  EXPECT_EQ(s.args[1].type->str(), "Optional[List[Int]]");
  EXPECT_EQ(s.args[1].fixed_list_size, 1);
  EXPECT_EQ(std::get<bool>(*s.args[2].default_value), false);
  EXPECT_TRUE(s.args[3].keyword_only);
  EXPECT_FALSE(s.args[2].keyword_only);
  EXPECT_TRUE(std::holds_alternative<NoneValue>(*s.args[3].default_value));

  Schema pool = parse_schema("aten::max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0) -> Tensor");
  EXPECT_EQ(std::get<std::vector<int64_t>>(*pool.args[3].default_value), (std::vector<int64_t>{0, 0}));

  Schema multi = parse_schema("aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)");
  EXPECT_EQ(multi.returns.size(), 2u);
  EXPECT_EQ(multi.returns[1].name, "indices");

  Schema alias = parse_schema("aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]");
  EXPECT_EQ(alias.returns[0].type->str(), "List[Tensor]");
  Schema loss = parse_schema("aten::mse_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor");
  EXPECT_EQ(std::get<int64_t>(*loss.args[2].default_value), 1);
}

TEST(OpSchema, MalformedSchemaIsAnInternalError) {
  EXPECT_THROW(parse_schema("aten::foo(Tensor self"), InternalError);
  EXPECT_THROW(parse_schema("foo(Tensor self) -> Tensor"), InternalError);
  EXPECT_THROW(parse_schema("aten::foo(Tensr self) -> Tensor"), InternalError);
}

// Type rules, checked through IR text: the result type printed after parsing
// a node with an unknown result is what the rule infers.
std::string inferred(const std::string& op_line, const std::string& params) {
  std::string text = "graph @g(" + params + ") -> () {\n" + op_line + "\n  return()\n}\n";
  auto m = parse_module(text, "rule.wir");
  Graph* g = m->methods()[0].get();
  Node* last = nullptr;
  for (Node* n : *g->block()) last = n;
  auto types = last->op().infer(*last);
  return types.at(0)->str();
}

TEST(ShapeRules, BroadcastingAndPromotion) {
  EXPECT_EQ(inferred("  %o : Int = prim::Constant[value=1]()\n  %y : Tensor = aten::add.Tensor(%a, %b, %o)",
                     "%a : Tensor(i64, [B, 1, 3]), %b : Tensor(f32, [4, 1])"),
            "Tensor(f32, [B, 4, 3])");
  EXPECT_EQ(inferred("  %s : Float = prim::Constant[value=0.5]()\n  %y : Tensor = aten::mul.Scalar(%a, %s)",
                     "%a : Tensor(i32, [2])"),
            "Tensor(f32, [2])");
  EXPECT_EQ(inferred("  %s : Int = prim::Constant[value=2]()\n  %y : Tensor = aten::mul.Scalar(%a, %s)",
                     "%a : Tensor(f16, [2])"),
            "Tensor(f16, [2])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::div.Tensor(%a, %b)", "%a : Tensor(i64, [2]), %b : Tensor(i64, [])"),
            "Tensor(f32, [2])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::mul.Tensor(%a, %b)", "%a : Tensor(f32, [2]), %b : Tensor(f64, [])"),
            "Tensor(f32, [2])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::mul.Tensor(%a, %b)", "%a : Tensor(i64, [2]), %b : Tensor(f64, [])"),
            "Tensor(f64, [2])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::exp(%a)", "%a : Tensor(i64, [B])"), "Tensor(f32, [B])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::relu(%a)", "%a : Tensor"), "Tensor");
}

TEST(ShapeRules, ReductionsAndMatmul) {
  const std::string dims =
      "  %d : List[Int] = prim::Constant[value=[-1, 0]]()\n  %k : Bool = prim::Constant[value=false]()\n"
      "  %n : None = prim::Constant[value=none]()\n";
  EXPECT_EQ(inferred(dims + "  %y : Tensor = aten::sum.dim_IntList(%a, %d, %k, %n)", "%a : Tensor(i32, [B, 3, 5])"),
            "Tensor(i64, [3])");
  EXPECT_EQ(inferred("  %n : None = prim::Constant[value=none]()\n  %y : Tensor = aten::mean(%a, %n)",
                     "%a : Tensor(f32, [B, 3])"),
            "Tensor(f32, [])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::matmul(%a, %b)", "%a : Tensor(f32, [7, 1, B, 4]), %b : Tensor(f32, [3, 4, 5])"),
            "Tensor(f32, [7, 3, B, 5])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::matmul(%a, %b)", "%a : Tensor(f32, [4]), %b : Tensor(f32, [4, 5])"),
            "Tensor(f32, [5])");
  EXPECT_EQ(inferred("  %y : Tensor = aten::matmul(%a, %b)", "%a : Tensor(f32, [2, 4]), %b : Tensor(f32, [4])"),
            "Tensor(f32, [2])");
  EXPECT_EQ(inferred("  %n : None = prim::Constant[value=none]()\n  %y : Tensor = aten::linear(%a, %w, %n)",
                     "%a : Tensor(f32, [B, T, 4]), %w : Tensor(f32, [6, 4])"),
            "Tensor(f32, [B, T, 6])");
}

TEST(ShapeRules, MeanOfIntegersIsAnError) {
  EXPECT_THROW(inferred("  %n : None = prim::Constant[value=none]()\n  %y : Tensor = aten::mean(%a, %n)",
                        "%a : Tensor(i64, [3])"),
               Error);
}

}  // namespace
}  // namespace wick::ir
