#include "passes/guard_endless_loops.h"

#include <cstdint>
#include <optional>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"

namespace wick::passes {
namespace {

using ir::Block;
using ir::Node;
using ir::Value;

bool is_while_loop(const Node* loop) {
  std::optional<int64_t> trips = ir::constant_int(loop->input(0));
  return trips && *trips == std::numeric_limits<int64_t>::max();
}

bool inside(const Node* n, const Block* body) {
  for (const Block* b = n->owning_block(); b; b = b->owning_node() ? b->owning_node()->owning_block() : nullptr)
    if (b == body) return true;
  return false;
}

bool may_raise(const Block* body) {
  bool raises = false;
  ir::walk(const_cast<Block*>(body), [&](Node* n) {
    raises = raises || n->is("prim::RaiseException") || n->is("prim::Unsupported");
  });
  return raises;
}

// Whether the body's condition is the same value in every trip.
bool condition_is_fixed(const Node* loop) {
  const Block* body = loop->block(0);
  std::unordered_set<const Value*> fixed;  // body values equal in every trip
  auto is_fixed = [&](const Value* v) { return fixed.count(v) > 0 || !inside(v->node(), body); };
  const std::vector<Value*>& params = body->params();
  for (size_t j = 1; j < params.size(); ++j) {
    const Value* next = body->results()[j];
    if (next == params[j] || next == loop->input(j + 1)) fixed.insert(params[j]);
  }
  for (const Node* n : *body) {
    if (!n->blocks().empty()) continue;
    bool all = true;
    for (const Value* in : n->inputs()) all = all && is_fixed(in);
    if (all)
      for (const Value* out : n->outputs()) fixed.insert(out);
  }
  return is_fixed(body->results()[0]);
}

void add_guard(Node* loop) {
  Block* body = loop->block(0);
  Value* condition = body->results()[0];
  ir::Builder b(*loop->graph());
  b.set_insertion_point_to_end(body);
  b.set_source(loop->source_location(), loop->source_line());
  b.raise_if(condition, "this while loop never ends: its condition cannot change");
}

}  // namespace

bool guard_endless_loops(ir::Graph& graph) {
  std::vector<Node*> endless;
  ir::walk(graph.block(), [&](Node* n) {
    if (n->is("prim::Loop") && is_while_loop(n) && !may_raise(n->block(0)) && condition_is_fixed(n))
      endless.push_back(n);
  });
  for (Node* loop : endless) add_guard(loop);
  return !endless.empty();
}

}  // namespace wick::passes
