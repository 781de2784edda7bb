#include "passes/eliminate_dead_code.h"

#include <unordered_set>

namespace wick::passes {
namespace {

using ir::Block;
using ir::Node;
using ir::Value;

// Mark and sweep. Marking walks each block backwards from what is needed
// (graph outputs, side effects) to the values that compute it; a loop body
// is marked again until the set of carried values it needs stops growing,
// since a carried value read by the body is needed in every iteration.
// Sweeping then deletes what was not marked.
class DeadCodeEliminator {
 public:
  void run(ir::Graph& graph) {
    find_side_effects(graph.block());
    for (Value* v : graph.outputs()) live_values_.insert(v);
    mark(graph.block());
    sweep(graph.block());
  }

 private:
  // Records the nodes with side effects, directly or inside their blocks.
  bool find_side_effects(const Block* b) {
    bool any = false;
    for (Node* n : *b) {
      // Raising, writing a module tensor (a training step's update), and an
      // op the front end could not emit (an error if it is reached).
      bool effect = n->is("prim::RaiseException") || n->is("prim::StoreParam") ||
                    (n->is("prim::Unsupported") && n->attrs().find("what"));
      for (const Block* c : n->blocks())
        if (find_side_effects(c)) effect = true;
      if (effect) effectful_.insert(n);
      any = any || effect;
    }
    return any;
  }

  bool live(const Value* v) const { return live_values_.count(v) > 0; }

  bool carried_live(const Node* loop, size_t j) const {
    return live(loop->output(j)) || live(loop->block(0)->params()[j + 1]);
  }

  void mark(const Block* b) {
    for (Node* n = b->return_node()->prev(); n != b->param_node(); n = n->prev()) mark_node(n);
  }

  void mark_node(Node* n) {
    bool needed = effectful_.count(n) > 0;
    for (const Value* v : n->outputs()) needed = needed || live(v);
    if (!needed) return;
    live_nodes_.insert(n);
    if (n->is("prim::If")) {
      live_values_.insert(n->input(0));
      for (const Block* b : n->blocks()) {
        for (size_t i = 0; i < n->num_outputs(); ++i)
          if (live(n->output(i))) live_values_.insert(b->results()[i]);
        mark(b);
      }
    } else if (n->is("prim::Loop")) {
      mark_loop(n);
    } else {
      for (Value* v : n->inputs()) live_values_.insert(v);
      // No other op owns blocks; if one did, keep all it computes.
      for (const Block* b : n->blocks()) {
        for (Value* r : b->results()) live_values_.insert(r);
        mark(b);
      }
    }
  }

  void mark_loop(Node* loop) {
    const Block* body = loop->block(0);
    const size_t carried = loop->num_outputs();
    live_values_.insert(loop->input(0));
    live_values_.insert(loop->input(1));
    live_values_.insert(body->results()[0]);
    size_t previous = static_cast<size_t>(-1);
    for (;;) {
      size_t count = 0;
      for (size_t j = 0; j < carried; ++j) {
        if (!carried_live(loop, j)) continue;
        ++count;
        live_values_.insert(body->results()[j + 1]);
      }
      if (count == previous) break;
      previous = count;
      mark(body);
    }
    for (size_t j = 0; j < carried; ++j)
      if (carried_live(loop, j)) live_values_.insert(loop->input(j + 2));
  }

  void sweep(Block* b) {
    for (Node* n = b->return_node()->prev(); n != b->param_node();) {
      Node* prev = n->prev();
      if (!live_nodes_.count(n)) n->destroy();
      else if (n->is("prim::If")) sweep_if(n);
      else if (n->is("prim::Loop")) sweep_loop(n);
      else
        for (Block* c : n->blocks()) sweep(c);
      n = prev;
    }
  }

  // Results go first so that the nodes computing them become unused.
  void sweep_if(Node* n) {
    for (size_t i = n->num_outputs(); i-- > 0;)
      if (!live(n->output(i)))
        for (Block* b : n->blocks()) b->return_node()->remove_input(i);
    for (Block* b : n->blocks()) sweep(b);
    for (size_t i = n->num_outputs(); i-- > 0;)
      if (!live(n->output(i))) n->erase_output(i);
  }

  void sweep_loop(Node* loop) {
    Block* body = loop->block(0);
    std::vector<size_t> dead;  // descending, so removal keeps earlier indices valid
    for (size_t j = loop->num_outputs(); j-- > 0;)
      if (!carried_live(loop, j)) dead.push_back(j);
    for (size_t j : dead) {
      body->return_node()->remove_input(j + 1);
      loop->remove_input(j + 2);
    }
    sweep(body);
    for (size_t j : dead) {
      body->param_node()->erase_output(j + 1);
      loop->erase_output(j);
    }
  }

  std::unordered_set<const Node*> effectful_;
  std::unordered_set<const Node*> live_nodes_;
  std::unordered_set<const Value*> live_values_;
};

}  // namespace

void eliminate_dead_code(ir::Graph& graph) { DeadCodeEliminator().run(graph); }

}  // namespace wick::passes
