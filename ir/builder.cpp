#include "ir/builder.h"

namespace wick::ir {

void Builder::set_source(SourceLocation loc, std::string line) {
  loc_ = std::move(loc);
  line_ = std::move(line);
}

Node* Builder::create(const OpDef& op, const std::vector<Value*>& inputs,
                      const std::vector<TypePtr>& output_types, size_t num_outputs) {
  Node* n = graph_.create(op, inputs, output_types);
  n->set_source(loc_, line_);
  n->insert_before(before_);
  if (!output_types.empty()) return n;
  try {
    if (op.infer && !op.schema.variadic_returns) {
      for (auto& t : op.infer(*n)) n->add_output(t);
    } else if (op.infer && num_outputs > 0) {
      // Variadic results (tuple/list unpacking): the rule reads the count.
      for (size_t i = 0; i < num_outputs; ++i) n->add_output(Type::any());
      auto types = op.infer(*n);
      for (size_t i = 0; i < num_outputs && i < types.size(); ++i) n->output(i)->set_type(types[i]);
    } else {
      for (const SchemaArg& r : op.schema.returns) n->add_output(r.type);
    }
  } catch (...) {
    n->destroy();  // no half-built node is left behind
    throw;
  }
  return n;
}

Node* Builder::create(const char* op, const std::vector<Value*>& inputs,
                      const std::vector<TypePtr>& output_types, size_t num_outputs) {
  const OpDef* def = find_op(op);
  WICK_ASSERT(def != nullptr, std::string("unknown op ") + op);
  return create(*def, inputs, output_types, num_outputs);
}

Value* Builder::op(const char* name, const std::vector<Value*>& inputs) {
  Node* n = create(name, inputs);
  WICK_ASSERT(n->num_outputs() == 1, std::string(name) + " does not have one result");
  return n->output();
}

void Builder::raise_if(Value* condition, const std::string& message) {
  Node* check = create("prim::If", {condition}, {});
  Block* then = check->add_block();
  check->add_block();
  Node* after = before_;
  before_ = then->return_node();
  create("prim::RaiseException", {constant(message, Type::string_()), constant_none()}, {});
  before_ = after;
}

Value* Builder::constant(AttrValue value, TypePtr type) {
  Node* n = create("prim::Constant", {}, {std::move(type)});
  n->attrs().set("value", std::move(value));
  return n->output();
}

Value* Builder::param(const std::string& name, TypePtr type) {
  Node* n = create("prim::Param", {}, {std::move(type)});
  n->attrs().set("name", name);
  return n->output();
}

}  // namespace wick::ir
