#include "passes/infer_shapes.h"

#include "ir/op_table.h"

namespace wick::passes {
namespace {

constexpr int kMaxLoopIterations = 16;

// The rule's answer replaces what was declared: declared types may be stale
// (an earlier specialization, an earlier trip through a loop body). Only a
// rule that knows nothing (Any) leaves the declared type alone.
ir::TypePtr refine(const ir::TypePtr& declared, const ir::TypePtr& inferred) {
  return inferred->kind() == ir::TypeKind::Any ? declared : inferred;
}

// A value that takes the other branch's type: an op the front end could not
// emit (folding may yet remove it), or TorchScript's uninitialized value,
// which its rewrite of an early return yields on the path that never reads it.
bool is_placeholder(const ir::Value* v) {
  return v->node() && (v->node()->is("prim::Unsupported") || v->node()->is("prim::Uninitialized"));
}

class ShapeInference {
 public:
  explicit ShapeInference(BranchErrors branch_errors) : branch_errors_(branch_errors) {}

  void block(ir::Block* b) {
    for (ir::Node* n : *b) node(n);
  }

 private:
  void node(ir::Node* n) {
    if (n->is("prim::If")) return if_node(n);
    if (n->is("prim::Loop")) return loop_node(n);
    const ir::OpDef& op = n->op();
    if (!op.infer) return;
    std::vector<ir::TypePtr> types = op.infer(*n);
    if (types.size() != n->num_outputs()) return;  // variadic unpacking keeps its types
    for (size_t i = 0; i < types.size(); ++i) {
      n->output(i)->set_type(refine(n->output(i)->type(), types[i]));
      check_size(n, *n->output(i)->type());
    }
  }

  // Sizes a file may ask for (an output size of 2^62) whose element count
  // overflows: refused here, before strides and byte counts overflow too.
  static void check_size(const ir::Node* n, const ir::Type& t) {
    if (!t.is_tensor() || !t.shape()) return;
    int64_t elements = 1;
    for (const ir::Dim& d : *t.shape()) {
      if (!d.is_static()) continue;
      if (d.value() < 0) throw n->error("its result would have a negative size: " + t.str());
      if (__builtin_mul_overflow(elements, d.value(), &elements) || elements > (int64_t{1} << 60))
        throw n->error("its result would have more elements than any memory holds: " + t.str());
    }
  }

  void if_node(ir::Node* n) {
    for (ir::Block* b : n->blocks()) {
      try {
        block(b);
      } catch (const Error&) {
        if (branch_errors_ == BranchErrors::raise) throw;
      }
    }
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const ir::Value* a = n->block(0)->results()[i];
      const ir::Value* b = n->block(1)->results()[i];
      ir::TypePtr t = is_placeholder(a) ? b->type() : is_placeholder(b) ? a->type() : ir::unify(a->type(), b->type());
      n->output(i)->set_type(t);
    }
  }

  void loop_node(ir::Node* n) {
    ir::Block* body = n->block(0);
    const size_t carried = n->num_outputs();
    std::vector<ir::TypePtr> types;
    for (size_t i = 0; i < carried; ++i) types.push_back(n->input(i + 2)->type());
    for (int iteration = 0;; ++iteration) {
      for (size_t i = 0; i < carried; ++i) body->params()[i + 1]->set_type(types[i]);
      block(body);
      bool changed = false;
      for (size_t i = 0; i < carried; ++i) {
        ir::TypePtr next = ir::unify(types[i], body->results()[i + 1]->type());
        if (*next != *types[i]) {
          types[i] = next;
          changed = true;
        }
      }
      if (!changed) break;
      if (iteration == kMaxLoopIterations) throw n->error("loop-carried types do not settle");
    }
    for (size_t i = 0; i < carried; ++i) n->output(i)->set_type(types[i]);
  }

  BranchErrors branch_errors_;
};

}  // namespace

void infer_shapes(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types, BranchErrors branch_errors) {
  if (input_types) {
    const auto& inputs = graph.inputs();
    if (input_types->size() != inputs.size())
      throw Error("@" + graph.name() + " takes " + std::to_string(inputs.size()) + " inputs, got " +
                  std::to_string(input_types->size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]->type()->accepts(*(*input_types)[i]))
        throw Error("input " + std::to_string(i) + " (%" + inputs[i]->name() + ") of @" + graph.name() +
                    " must be " + inputs[i]->type()->str() + ", got " + (*input_types)[i]->str());
      inputs[i]->set_type((*input_types)[i]);
    }
  }
  ShapeInference(branch_errors).block(graph.block());
}

}  // namespace wick::passes
