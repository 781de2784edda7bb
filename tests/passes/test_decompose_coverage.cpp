// Every composite op in the table must have a decomposition: each one is
// put in a small generated graph, its complex values lowered (the ops on
// complex tensors are rewritten there) and the rest decomposed. The
// generated operands may well be rejected (a float target, a mismatched
// shape), but never with "no decomposition".
#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/op_table.h"
#include "passes/decompose.h"
#include "passes/lower_complex.h"

namespace wick {
namespace {

ir::Value* operand(ir::Graph& g, ir::Builder& b, const ir::SchemaArg& arg) {
  using ir::TypeKind;
  const ir::Type& t = *arg.type;
  if (t.kind() == TypeKind::Tensor) return g.add_input(ir::Type::tensor_static(DType::f32, {2, 4, 6, 6}));
  if (arg.default_value) {
    if (std::holds_alternative<ir::NoneValue>(*arg.default_value)) return b.constant_none();
    return b.constant(*arg.default_value, arg.type);
  }
  switch (t.kind()) {
    case TypeKind::Int: return b.constant_int(1);
    case TypeKind::Float: return b.constant_float(0.0);
    case TypeKind::Bool: return b.constant_bool(false);
    case TypeKind::List: return b.constant_int_list({1});
    default: return b.constant_none();  // Optional[...] and the rest
  }
}

TEST(DecomposeCoverage, EveryCompositeOpHasARule) {
  int composites = 0;
  for (const ir::OpDef* op : ir::all_ops()) {
    if (op->lowering != ir::Lowering::composite) continue;
    ++composites;
    ir::Graph g;
    ir::Builder b(g);
    std::vector<ir::Value*> inputs;
    for (const ir::SchemaArg& arg : op->schema.args) inputs.push_back(operand(g, b, arg));
    ir::Node* n = b.create(*op, inputs, {ir::Type::tensor()});
    g.add_output(n->output());
    try {
      passes::lower_complex(g);
      passes::decompose(g);
    } catch (const std::exception& e) {
      EXPECT_EQ(std::string(e.what()).find("no decomposition"), std::string::npos) << op->name << ": " << e.what();
    }
  }
  EXPECT_GE(composites, 11);
}

}  // namespace
}  // namespace wick
