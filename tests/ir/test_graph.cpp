#include "ir/graph.h"

#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/module.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace wick::ir {
namespace {

TEST(Builder, BuildsAVerifiedGraphWithInferredTypes) {
  Graph g;
  g.set_name("f");
  Value* x = g.add_input(Type::tensor(DType::f32, std::vector<Dim>{Dim::symbol("B"), Dim::constant(4)}), "x");
  Builder b(g);
  Value* one = b.constant_int(1);
  Value* y = b.op("aten::sigmoid", {x});
  Value* z = b.op("aten::add.Tensor", {y, x, one});
  g.add_output(z);
  verify(g);
  EXPECT_EQ(print(g),
            "graph @f(%x : Tensor(f32, [B, 4])) -> (Tensor(f32, [B, 4])) {\n"
            "  %0 : Int = prim::Constant[value=1]()\n"
            "  %1 : Tensor(f32, [B, 4]) = aten::sigmoid(%x)\n"
            "  %2 : Tensor(f32, [B, 4]) = aten::add.Tensor(%1, %x, %0)\n"
            "  return(%2)\n"
            "}\n");
}

TEST(Graph, ReplaceUsesAndDestroy) {
  auto m = parse_module(
      "graph @f(%x : Tensor(f32, [2])) -> (Tensor(f32, [2])) {\n"
      "  %a : Tensor(f32, [2]) = aten::relu(%x)\n"
      "  %b : Tensor(f32, [2]) = aten::neg(%a)\n"
      "  %c : Tensor(f32, [2]) = aten::exp(%a)\n"
      "  return(%c)\n"
      "}\n",
      "t.wir");
  Graph& g = *m->methods()[0];
  Value* a = g.find_value("a");
  Value* b = g.find_value("b");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->uses().size(), 2u);
  EXPECT_THROW(a->node()->destroy(), InternalError);  // still used
  b->node()->destroy();
  EXPECT_EQ(a->uses().size(), 1u);
  a->replace_all_uses_with(g.inputs()[0]);
  a->node()->destroy();
  EXPECT_EQ(g.find_value("a"), nullptr);
  verify(g);
  EXPECT_EQ(print(g),
            "graph @f(%x : Tensor(f32, [2])) -> (Tensor(f32, [2])) {\n"
            "  %c : Tensor(f32, [2]) = aten::exp(%x)\n"
            "  return(%c)\n"
            "}\n");
}

TEST(Graph, NamesStayUnique) {
  Graph g;
  Value* a = g.add_input(Type::int_(), "x");
  Value* b = g.add_input(Type::int_(), "x");
  Value* c = g.add_input(Type::int_(), "x.1");
  EXPECT_EQ(a->name(), "x");
  EXPECT_EQ(b->name(), "x.1");
  EXPECT_EQ(c->name(), "x.2");
}

TEST(Graph, DestroyingAControlNodeFreesItsBlocks) {
  auto m = parse_module(
      "graph @f(%x : Tensor(f32, [2]), %c : Bool) -> (Tensor(f32, [2])) {\n"
      "  %r : Tensor(f32, [2]) = prim::If(%c) {\n"
      "    block0() {\n"
      "      %a : Tensor(f32, [2]) = aten::relu(%x)\n"
      "      yield(%a)\n"
      "    }\n"
      "    block1() {\n"
      "      yield(%x)\n"
      "    }\n"
      "  }\n"
      "  return(%x)\n"
      "}\n",
      "t.wir");
  Graph& g = *m->methods()[0];
  Value* x = g.inputs()[0];
  EXPECT_EQ(x->uses().size(), 3u);  // relu, else-yield, return
  g.find_value("r")->node()->destroy();
  EXPECT_EQ(x->uses().size(), 1u);
  EXPECT_EQ(g.find_value("a"), nullptr);
}

TEST(Graph, CloneIsDeepAndPrintsTheSame) {
  auto m = parse_module(
      "graph @f(%x : Tensor(f32, [2]), %n : Int, %t : Bool) -> (Tensor(f32, [2])) {\n"
      "  %l : Tensor(f32, [2]) = prim::Loop(%n, %t, %x) {\n"
      "    block0(%i : Int, %acc : Tensor(f32, [2])) {\n"
      "      %y : Tensor(f32, [2]) = aten::tanh(%acc) loc(\"code/m.py\":3:7)\n"
      "      yield(%t, %y)\n"
      "    }\n"
      "  }\n"
      "  return(%l)\n"
      "}\n",
      "t.wir");
  Graph& g = *m->methods()[0];
  auto copy = g.clone();
  EXPECT_EQ(print(*copy), print(g));
  // Changing the copy leaves the original alone.
  copy->find_value("y")->set_name("z");
  EXPECT_NE(print(*copy), print(g));
  EXPECT_NE(g.find_value("y"), nullptr);
}

TEST(Graph, NodeErrorsNameOpAndSourceLine) {
  Graph g;
  Value* x = g.add_input(Type::tensor(), "x");
  Builder b(g);
  b.set_source({"code/__torch__.py", 7, 5}, "y = torch.relu(x)");
  Node* n = b.create("aten::relu", {x});
  Error e = n->error("something is wrong");
  EXPECT_EQ(std::string(e.what()),
            "code/__torch__.py:7:5: error: in aten::relu: something is wrong\n    y = torch.relu(x)");
}

TEST(Module, TensorsAndMethods) {
  Module m;
  m.add_tensor("w", TensorRole::parameter, Tensor::zeros(DType::f32, {2, 3}));
  EXPECT_THROW(m.add_tensor("w", TensorRole::buffer, Type::tensor()), Error);
  EXPECT_EQ(m.find_tensor("w")->type->str(), "Tensor(f32, [2, 3])");
  auto g = std::make_unique<Graph>();
  g->set_name("forward");
  m.add_method(std::move(g));
  auto dup = std::make_unique<Graph>();
  dup->set_name("forward");
  EXPECT_THROW(m.add_method(std::move(dup)), Error);
  EXPECT_NE(m.method("forward"), nullptr);
  EXPECT_EQ(m.method("backward"), nullptr);
}

}  // namespace
}  // namespace wick::ir
