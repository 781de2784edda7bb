// The unroll_loops pass; see unroll_loops.h.
#include "passes/unroll_loops.h"

#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

size_t count_nodes(const ir::Block* b) {
  size_t n = 0;
  for (const Node* x : *b) {
    ++n;
    for (const ir::Block* inner : x->blocks()) n += count_nodes(inner);
  }
  return n;
}

// Inner loops first, so that an outer loop's copies hold them unrolled.
bool unroll_block(ir::Block* b, const UnrollLimits& limits) {
  bool changed = false;
  for (Node* n : *b) {
    for (ir::Block* inner : n->blocks()) changed = unroll_block(inner, limits) || changed;
    if (n->is("prim::Loop")) changed = unroll_loop(n, limits) || changed;
  }
  return changed;
}

}  // namespace

bool unroll_loop(Node* n, const UnrollLimits& limits) {
  auto trips = ir::constant_int(n->input(0));
  auto start = ir::constant_bool(n->input(1));
  std::vector<Value*> carried(n->inputs().begin() + 2, n->inputs().end());
  if ((trips && *trips <= 0) || (start && !*start)) {
    ir::replace_node(n, carried);
    return true;
  }
  const ir::Block* body = n->block(0);
  auto always = ir::constant_bool(body->results()[0]);
  if (!trips || !start || !always || !*always) return false;
  if (*trips > limits.max_trips || static_cast<size_t>(*trips) * count_nodes(body) > limits.max_nodes) return false;
  ir::Builder builder(*n->graph());
  builder.set_source(n->source_location(), n->source_line());
  for (int64_t it = 0; it < *trips; ++it) {
    ir::ValueMap map;
    builder.set_insertion_point(n);
    map[body->params()[0]] = builder.constant_int(it);
    for (size_t i = 0; i < carried.size(); ++i) map[body->params()[i + 1]] = carried[i];
    for (const Node* inner : *body) ir::clone_before(*inner, n, map);
    for (size_t i = 0; i < carried.size(); ++i) {
      auto m = map.find(body->results()[i + 1]);
      carried[i] = m == map.end() ? body->results()[i + 1] : m->second;
    }
  }
  ir::replace_node(n, carried);
  return true;
}

bool unroll_loops(ir::Graph& graph, const UnrollLimits& limits) { return unroll_block(graph.block(), limits); }

}  // namespace wick::passes
