#include "passes/eliminate_common_subexpressions.h"

#include <bit>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace wick::passes {
namespace {

using ir::AttrValue;
using ir::Block;
using ir::Node;
using ir::Value;

bool same_double(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

bool same_attr(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<double>(&a)) return same_double(*x, std::get<double>(b));
  if (auto* x = std::get_if<std::vector<double>>(&a)) {
    const auto& y = std::get<std::vector<double>>(b);
    if (x->size() != y.size()) return false;
    for (size_t i = 0; i < x->size(); ++i)
      if (!same_double((*x)[i], y[i])) return false;
    return true;
  }
  return a == b;
}

bool same_node(const Node* a, const Node* b) {
  if (&a->op() != &b->op() || a->inputs() != b->inputs() || a->num_outputs() != b->num_outputs())
    return false;
  const auto& aa = a->attrs().items();
  const auto& ba = b->attrs().items();
  if (aa.size() != ba.size()) return false;
  for (size_t i = 0; i < aa.size(); ++i)
    if (aa[i].first != ba[i].first || !same_attr(aa[i].second, ba[i].second)) return false;
  for (size_t i = 0; i < a->num_outputs(); ++i)
    if (*a->output(i)->type() != *b->output(i)->type()) return false;
  return true;
}

size_t node_hash(const Node* n) {
  size_t h = std::hash<const void*>()(&n->op());
  for (const Value* v : n->inputs()) h = h * 31 + std::hash<const void*>()(v);
  return h * 31 + n->attrs().items().size();
}

// Side effects are never merged: two stores are two writes. Dropout draws
// a fresh mask per call.
bool candidate(const Node* n) {
  return n->blocks().empty() && n->num_outputs() > 0 && !n->is("aten::dropout") && !n->is("prim::StoreParam");
}

// Nodes seen so far, one scope per open block: a node may be replaced by one
// in its own scope or in any enclosing one, which are exactly the nodes
// that dominate it.
class CommonSubexpressionEliminator {
 public:
  void run(ir::Graph& graph) { visit(graph.block()); }

 private:
  using Scope = std::unordered_multimap<size_t, Node*>;

  Node* find(const Node* n, size_t h) const {
    for (const Scope& s : scopes_) {
      auto [lo, hi] = s.equal_range(h);
      for (auto it = lo; it != hi; ++it)
        if (same_node(it->second, n)) return it->second;
    }
    return nullptr;
  }

  // After a store, a read of the same tensor reads the new value: it must
  // not be merged with a read from before.
  void forget_reads_of(const Node* store) {
    const ir::AttrValue& name = *store->attrs().find("name");
    for (Scope& s : scopes_)
      for (auto it = s.begin(); it != s.end();) {
        const Node* n = it->second;
        it = n->is("prim::Param") && *n->attrs().find("name") == name ? s.erase(it) : std::next(it);
      }
  }

  void visit(const Block* b) {
    scopes_.emplace_back();
    for (Node* n : *b) {
      if (n->is("prim::StoreParam")) forget_reads_of(n);
      if (!candidate(n)) {
        for (const Block* c : n->blocks()) visit(c);
        continue;
      }
      const size_t h = node_hash(n);
      if (Node* earlier = find(n, h)) {
        for (size_t i = 0; i < n->num_outputs(); ++i) n->output(i)->replace_all_uses_with(earlier->output(i));
        n->destroy();
      } else {
        scopes_.back().emplace(h, n);
      }
    }
    scopes_.pop_back();
  }

  std::vector<Scope> scopes_;
};

}  // namespace

void eliminate_common_subexpressions(ir::Graph& graph) { CommonSubexpressionEliminator().run(graph); }

}  // namespace wick::passes
