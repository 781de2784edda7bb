#include "ir/nested_tensor.h"

namespace wick::ir {
namespace {

// Follows encoder layers back to what their nested input came from.
const Value* through_layers(const Value* v) {
  while (v->node()->is("aten::_transformer_encoder_layer_fwd")) v = v->node()->input(0);
  return v;
}

}  // namespace

std::optional<bool> is_nested(const Value* v) {
  if (!v->type()->is_tensor()) return false;
  const Value* origin = through_layers(v);
  const Node* n = origin->node();
  if (n->is("aten::_nested_tensor_from_mask")) return true;
  const bool graph_input = n == n->graph()->block()->param_node();
  if (n->is("prim::If") || n->is("prim::Loop") || (n->is("prim::Params") && !graph_input)) return std::nullopt;
  return false;
}

Node* nested_source(const Value* v) {
  Node* n = through_layers(v)->node();
  return n->is("aten::_nested_tensor_from_mask") ? n : nullptr;
}

}  // namespace wick::ir
