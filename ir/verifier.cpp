#include "ir/verifier.h"

#include <unordered_set>

#include "ir/op_table.h"

namespace wick::ir {
namespace {

class Verifier {
 public:
  void run(const Graph& g) {
    visible_.clear();
    block(g.block());
  }

 private:
  void block(const Block* b) {
    std::vector<const Value*> scope;  // defined here; hidden again on exit
    for (const Value* p : b->params()) define(p, scope);
    for (const Node* n : *b) {
      for (size_t i = 0; i < n->num_inputs(); ++i) {
        if (!visible_.count(n->input(i)))
          throw n->error("operand " + std::to_string(i) + " (" + name(n->input(i)) +
                         ") is used before its definition or outside the block that defines it");
      }
      check_node(*n);
      const bool branches = n->is("prim::If");
      in_branch_ += branches;
      for (const Block* c : n->blocks()) block(c);
      in_branch_ -= branches;
      for (const Value* v : n->outputs()) define(v, scope);
    }
    for (const Value* r : b->results()) {
      if (!visible_.count(r)) {
        const Node* owner = b->owning_node();
        std::string msg = "block result " + name(r) + " is not defined in the block or above it";
        if (owner) throw owner->error(msg);
        throw Error(msg);
      }
    }
    for (const Value* v : scope) visible_.erase(v);
  }

  void define(const Value* v, std::vector<const Value*>& scope) {
    visible_.insert(v);
    scope.push_back(v);
  }

  static std::string name(const Value* v) {
    return v->has_name() ? "%" + v->name() : std::string("an unnamed value");
  }

  void check_node(const Node& n) {
    const OpDef& op = n.op();
    const Schema& s = op.schema;
    if (!s.variadic_args && n.num_inputs() != s.args.size())
      throw n.error("takes " + std::to_string(s.args.size()) + " operands but has " +
                    std::to_string(n.num_inputs()) + "; schema: " + s.str());
    if (s.variadic_args && n.num_inputs() < s.args.size())
      throw n.error("takes at least " + std::to_string(s.args.size()) + " operands but has " +
                    std::to_string(n.num_inputs()));
    for (size_t i = 0; i < s.args.size(); ++i) {
      const Type& want = *s.args[i].type;
      const Type& got = *n.input(i)->type();
      if (!want.accepts(got))
        throw n.error("operand " + std::to_string(i) + " (" + s.args[i].name + ") must be " +
                      want.str() + " but " + name(n.input(i)) + " is " + got.str());
    }
    if (!s.variadic_returns) {
      if (n.num_outputs() != s.returns.size())
        throw n.error("has " + std::to_string(s.returns.size()) + " results but the node defines " +
                      std::to_string(n.num_outputs()));
      for (size_t i = 0; i < s.returns.size(); ++i)
        if (!s.returns[i].type->accepts(*n.output(i)->type()))
          throw n.error("result " + std::to_string(i) + " must be " + s.returns[i].type->str() +
                        " but is declared " + n.output(i)->type()->str());
    }
    if (op.lowering != Lowering::control && op.lowering != Lowering::fusion && !n.blocks().empty())
      throw n.error("only control-flow and fusion ops own blocks");
    if (op.verify) op.verify(n);
    else if (!n.attrs().empty())
      throw n.error("takes no attributes, found " + n.attrs().items().front().first);
    if (op.infer) {
      std::vector<TypePtr> inferred;
      try {
        inferred = op.infer(n);
      } catch (const Error&) {
        // A branch may be dead (a dtype check folds it away later): what
        // its ops would contradict is an error only once it may run.
        if (in_branch_ > 0) return;
        throw;
      }
      check_inferred(n, inferred);
    }
  }

  // The declared output types may know less than the rule infers, never
  // something that contradicts it.
  static void check_inferred(const Node& n, const std::vector<TypePtr>& inferred) {
    if (inferred.size() != n.num_outputs())
      throw n.error("its type rule gives " + std::to_string(inferred.size()) + " results but the node has " +
                    std::to_string(n.num_outputs()));
    for (size_t i = 0; i < inferred.size(); ++i) {
      const Type& declared = *n.output(i)->type();
      if (!compatible(declared, *inferred[i]))
        throw n.error("result " + std::to_string(i) + " is declared " + declared.str() +
                      " but the op gives " + inferred[i]->str());
    }
  }

  static bool compatible(const Type& declared, const Type& inferred) {
    if (declared.kind() == TypeKind::Any || inferred.kind() == TypeKind::Any) return true;
    if (declared.is_tensor() && inferred.is_tensor()) {
      if (declared.dtype() && inferred.dtype() && *declared.dtype() != *inferred.dtype()) return false;
      if (declared.has_rank() && inferred.has_rank()) {
        if (declared.rank() != inferred.rank()) return false;
        for (int d = 0; d < declared.rank(); ++d) {
          const Dim& a = (*declared.shape())[d];
          const Dim& b = (*inferred.shape())[d];
          if (!a.is_unknown() && !b.is_unknown() && a != b) return false;
        }
      }
      return true;
    }
    if (declared.kind() == TypeKind::Tuple && inferred.kind() == TypeKind::Tuple) {
      if (declared.elements().size() != inferred.elements().size()) return false;
      for (size_t i = 0; i < declared.elements().size(); ++i)
        if (!compatible(*declared.elements()[i], *inferred.elements()[i])) return false;
      return true;
    }
    return declared.accepts(inferred) || inferred.accepts(declared);
  }

  std::unordered_set<const Value*> visible_;
  int in_branch_ = 0;  // how many If blocks enclose the node being checked
};

}  // namespace

void verify(const Graph& graph) { Verifier().run(graph); }

void verify(const Module& module) {
  for (const auto& g : module.methods()) verify(*g);
}

}  // namespace wick::ir
