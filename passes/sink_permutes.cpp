#include "passes/sink_permutes.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"
#include "passes/permute_orders.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

using Order = std::vector<int64_t>;

int64_t rank_of(const Value* v) {
  const ir::Type& t = *v->type();
  return t.is_tensor() && t.has_rank() ? t.rank() : -1;
}

bool is_candidate(const Node* n) {
  return n->op().lowering == ir::Lowering::pointwise && n->num_outputs() == 1 && rank_of(n->output()) >= 2;
}

// The order that every full-rank tensor operand of `n` is permuted by: a
// permute's own, or that of an op in `sinking`. Nothing if they differ, if
// an operand has another rank above 0 or none has the full rank.
std::optional<Order> operand_order(const Node* n, const std::map<const Node*, Order>& sinking) {
  const int64_t rank = rank_of(n->output());
  std::optional<Order> order;
  for (const Value* v : n->inputs()) {
    if (!v->type()->is_tensor()) continue;
    const int64_t r = rank_of(v);
    if (r == 0) continue;
    if (r != rank) return std::nullopt;
    std::optional<Order> o = permute_order(v->node(), rank);
    if (!o) {
      auto s = sinking.find(v->node());
      if (s == sinking.end()) return std::nullopt;
      o = s->second;
    }
    if (order && *o != *order) return std::nullopt;
    order = o;
  }
  return order;
}

bool is_pooling_2d(const Node* n) {
  return n->is("aten::max_pool2d") || n->is("aten::avg_pool2d") || n->is("aten::adaptive_avg_pool2d");
}

// Whether every reader of `v` (permuted by `order` once its op sinks) is
// content: it undoes the order, pools the NCHW view of an NHWC tensor, or
// sinks too.
bool readers_accept(const Value* v, const Order& order, const std::map<const Node*, Order>& sinking) {
  const int64_t rank = rank_of(v);
  for (const ir::Use& u : v->uses()) {
    if (u.index == 0) {
      auto o = permute_order(u.user, rank);
      if (o && undoes(order, *o)) continue;
      if (is_pooling_2d(u.user) && order == Order{0, 3, 1, 2}) continue;
    }
    auto s = sinking.find(u.user);
    if (s != sinking.end() && s->second == order) continue;
    return false;
  }
  return true;
}

void collect(ir::Block& block, std::vector<Node*>& nodes) {
  for (Node* n : block) {
    for (ir::Block* inner : n->blocks()) collect(*inner, nodes);
    nodes.push_back(n);
  }
}

// y = f(permute(a, p), ...)  ->  f'(a, ...) permuted by p after it.
void sink(Node* n, const Order& order) {
  const int64_t rank = rank_of(n->output());
  for (size_t i = 0; i < n->num_inputs(); ++i) {
    Value* v = n->input(i);
    if (rank_of(v) != rank) continue;
    n->set_input(i, v->node()->input(0));  // a permute by `order`, its own or a sunk op's
  }
  Value* out = n->output();
  const ir::TypePtr type = out->type();
  const std::string name = out->has_name() ? out->name() : std::string();
  out->set_type(unpermuted(*type, order));
  ir::Builder b(*n->graph());
  b.set_insertion_point(n->next());
  b.set_source(n->source_location(), n->source_line());
  Value* order_list = b.constant(order, ir::Type::list(ir::Type::int_()));
  Node* p = b.create("aten::permute", {out, order_list}, {type});
  out->replace_all_uses_with(p->output());
  p->set_input(0, out);
  if (!name.empty()) {
    out->set_name("");
    p->output()->set_name(name);
  }
}

}  // namespace

bool sink_permutes(ir::Graph& graph) {
  std::vector<Node*> nodes;
  collect(*graph.block(), nodes);
  // Optimistically every pointwise op whose operands are permuted one way
  // (in the order of definition, so that a chain joins), then those whose
  // readers are not content drop out until none does.
  std::map<const Node*, Order> sinking;
  for (Node* n : nodes)
    if (is_candidate(n))
      if (auto order = operand_order(n, sinking)) sinking[n] = *order;
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto it = sinking.begin(); it != sinking.end();) {
      if (operand_order(it->first, sinking) == it->second && readers_accept(it->first->output(), it->second, sinking)) {
        ++it;
      } else {
        it = sinking.erase(it);
        dropped = true;
      }
    }
  }
  for (Node* n : nodes) {
    auto s = sinking.find(n);
    if (s != sinking.end()) sink(n, s->second);
  }
  return !sinking.empty();
}

}  // namespace wick::passes
