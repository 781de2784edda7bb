#include "passes/hoist_permutes.h"

#include <optional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"
#include "passes/permute_orders.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

// The order every use of `v` permutes it by, when all of its uses do.
std::optional<std::vector<int64_t>> common_use_order(const Value* v, int64_t rank) {
  std::optional<std::vector<int64_t>> order;
  for (const ir::Use& u : v->uses()) {
    if (u.index != 0) return std::nullopt;
    auto o = permute_order(u.user, rank);
    if (!o || (order && *o != *order)) return std::nullopt;
    order = o;
  }
  return order;
}

// Whether hoisting `order` above the node computing `v` cancels a permute:
// v is a permute that `order` undoes, or a pointwise op used once (by the
// op being hoisted) with such an operand, up to 32 ops up.
bool leads_to_undone(const Value* v, const std::vector<int64_t>& order, int64_t rank, int depth = 0) {
  if (auto inner = permute_order(v->node(), rank)) return undoes(*inner, order);
  const Node* n = v->node();
  if (depth >= 32 || n->op().lowering != ir::Lowering::pointwise || v->uses().size() != 1) return false;
  for (const Value* in : n->inputs())
    if (in->type()->is_tensor() && in->type()->has_rank() && in->type()->rank() == rank &&
        leads_to_undone(in, order, rank, depth + 1))
      return true;
  return false;
}

// Whether every permute of `v` is read by pointwise ops alone: hoisted, the
// op computing v joins their kernel, reading its operands permuted where
// they now read v permuted.
bool read_by_pointwise_only(const Value* v) {
  for (const ir::Use& u : v->uses())
    for (const ir::Use& read : u.user->output()->uses())
      if (read.user->op().lowering != ir::Lowering::pointwise) return false;
  return true;
}

bool hoist(Node* n) {
  if (n->op().lowering != ir::Lowering::pointwise || n->num_outputs() != 1) return false;
  const ir::Type& t = *n->output()->type();
  if (!t.is_tensor() || !t.has_rank() || t.rank() < 2) return false;
  const int64_t rank = t.rank();
  const auto order = common_use_order(n->output(), rank);
  if (!order) return false;
  bool full_rank = false, undone = false;
  for (const Value* v : n->inputs()) {
    const ir::Type& in = *v->type();
    if (!in.is_tensor()) continue;
    if (!in.has_rank() || (in.rank() != 0 && in.rank() != rank)) return false;
    if (in.rank() != rank) continue;
    full_rank = true;
    undone = undone || leads_to_undone(v, *order, rank);
  }
  if (!full_rank || !(undone || read_by_pointwise_only(n->output()))) return false;

  ir::Builder b(*n->graph());
  b.set_insertion_point(n);
  b.set_source(n->source_location(), n->source_line());
  Value* order_list = b.constant(*order, ir::Type::list(ir::Type::int_()));
  for (size_t i = 0; i < n->num_inputs(); ++i) {
    Value* v = n->input(i);
    if (!v->type()->is_tensor() || v->type()->rank() != rank) continue;
    n->set_input(i, b.create("aten::permute", {v, order_list}, {permuted(*v->type(), *order)})->output());
  }
  n->output()->set_type(permuted(t, *order));
  const std::vector<ir::Use> uses = n->output()->uses();
  for (const ir::Use& u : uses) {
    Value* old = u.user->output();
    const std::string name = old->has_name() ? old->name() : std::string();
    old->replace_all_uses_with(n->output());
    u.user->destroy();
    if (!name.empty() && !n->output()->has_name()) n->output()->set_name(name);
  }
  return true;
}

bool hoist_in(ir::Block& block) {
  bool changed = false;
  std::vector<Node*> nodes;
  for (Node* n : block) nodes.push_back(n);
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    for (ir::Block* inner : (*it)->blocks()) changed = hoist_in(*inner) || changed;
    changed = hoist(*it) || changed;
  }
  return changed;
}

}  // namespace

bool hoist_permutes(ir::Graph& graph) { return hoist_in(*graph.block()); }

}  // namespace wick::passes
