#include "passes/squeeze_unit_batch.h"

#include <optional>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"
#include "ir/pointwise_expr.h"

namespace wick::passes {
namespace {

using ir::Dim;
using ir::Node;
using ir::Value;

// The rank shared by the group's outputs when the group qualifies.
std::optional<size_t> unit_batch_rank(const Node& group) {
  const auto* kind = group.attrs().find("kind");
  const auto* s = kind ? std::get_if<std::string>(kind) : nullptr;
  if (!s || *s != "kernel" || group.num_outputs() == 0) return std::nullopt;
  std::optional<size_t> rank;
  for (const Value* v : group.outputs()) {
    const ir::Type& t = *v->type();
    if (!t.is_tensor() || !t.has_rank() || t.rank() < 2) return std::nullopt;
    const std::vector<Dim>& d = *t.shape();
    if (!d[0].is_static() || d[0].value() != 1 || (d[1].is_static() && d[1].value() <= 1)) return std::nullopt;
    if (rank && *rank != d.size()) return std::nullopt;
    rank = d.size();
  }
  for (const Node* n : *group.block(0)) {
    if (n->is("prim::Constant")) continue;
    if (n->op().lowering != ir::Lowering::pointwise || ir::gathers(n->op()) || !n->blocks().empty())
      return std::nullopt;
    for (const Value* v : n->outputs())
      if (v->type()->is_tensor() && (!v->type()->has_rank() || v->type()->rank() > *rank)) return std::nullopt;
  }
  return rank;
}

// `v`'s type without its leading unit dim when it has `rank` dims.
void drop_unit_dim(Value* v, size_t rank) {
  const ir::Type& t = *v->type();
  if (!t.is_tensor() || !t.has_rank() || t.rank() != rank) return;
  std::vector<Dim> d(t.shape()->begin() + 1, t.shape()->end());
  v->set_type(ir::Type::tensor(t.dtype(), d, t.tensor_device()));
}

void squeeze_group(ir::Graph& graph, Node* group, size_t rank) {
  ir::Builder b(graph);
  b.set_source(group->source_location(), group->source_line());
  b.set_insertion_point(group);
  Value* zero = b.constant_int(0);
  const std::vector<Value*>& params = group->block(0)->params();
  for (size_t i = 0; i < group->num_inputs(); ++i) {
    Value* in = group->input(i);
    if (!in->type()->is_tensor() || !in->type()->has_rank() || in->type()->rank() != rank) continue;
    Node* squeeze = b.create("aten::squeeze.dim", {in, zero});
    group->set_input(i, squeeze->output());
    drop_unit_dim(params[i], rank);
  }
  for (Node* n : *group->block(0))
    for (Value* v : n->outputs()) drop_unit_dim(v, rank);
  b.set_insertion_point(group->next());
  for (Value* out : group->outputs()) {
    const ir::TypePtr whole = out->type();
    drop_unit_dim(out, rank);
    Node* unsqueeze = b.create("aten::unsqueeze", {out, zero}, {whole});
    std::vector<ir::Use> uses = out->uses();
    for (const ir::Use& u : uses)
      if (u.user != unsqueeze) u.user->set_input(u.index, unsqueeze->output());
  }
}

void squeeze_block(ir::Graph& graph, ir::Block* block, bool& changed) {
  for (Node* n : *block) {
    if (n->is("prim::FusionGroup")) {
      if (auto rank = unit_batch_rank(*n)) {
        squeeze_group(graph, n, *rank);
        changed = true;
      }
      continue;
    }
    for (ir::Block* inner : n->blocks()) squeeze_block(graph, inner, changed);
  }
}

}  // namespace

bool squeeze_unit_batch(ir::Graph& graph) {
  bool changed = false;
  squeeze_block(graph, graph.block(), changed);
  return changed;
}

}  // namespace wick::passes
