// passes::fuse keeps each kernel group within kMaxKernelArguments: a sum of
// many tensors (what the gradient of a parameter used in every trip of an
// unrolled loop is) splits into several groups instead of one kernel with
// more arguments than the runtime passes.
#include <gtest/gtest.h>

#include <string>

#include "ir/parser.h"
#include "ir/verifier.h"
#include "passes/fuse.h"

namespace wick {
namespace {

TEST(FuseLimits, GroupsStayWithinTheArgumentLimit) {
  constexpr int kTerms = 130;
  std::string text = "graph @sum(";
  for (int i = 0; i < kTerms; ++i) text += (i ? ", %x" : "%x") + std::to_string(i) + " : Tensor(f32, [4])";
  text += ") -> (Tensor(f32, [4])) {\n  %one : Int = prim::Constant[value=1]()\n  %s0 : Tensor(f32, [4]) = aten::exp(%x0)\n";
  for (int i = 1; i < kTerms; ++i)
    text += "  %s" + std::to_string(i) + " : Tensor(f32, [4]) = aten::add.Tensor(%s" + std::to_string(i - 1) + ", %x" +
            std::to_string(i) + ", %one)\n";
  text += "  return(%s" + std::to_string(kTerms - 1) + ")\n}\n";
  auto m = ir::parse_module(text, "sum.wir");
  ir::Graph& g = *m->methods().at(0);
  passes::fuse(g);
  ir::verify(*m);
  int groups = 0, fused = 0;
  for (const ir::Node* n : *g.block()) {
    if (!n->is("prim::FusionGroup")) continue;
    ++groups;
    for (const ir::Node* member : *n->block(0)) fused += member->is("prim::Constant") ? 0 : 1;
    EXPECT_LE(n->num_inputs() + n->num_outputs(), passes::kMaxKernelArguments);
  }
  EXPECT_GE(groups, 3) << "130 inputs need at least three groups of at most 48 arguments";
  EXPECT_EQ(fused, kTerms) << "every add and the exp are in some group";
}

}  // namespace
}  // namespace wick
