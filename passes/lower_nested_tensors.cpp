#include "passes/lower_nested_tensors.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/constant_value.h"
#include "ir/nested_tensor.h"

namespace wick::passes {
namespace {

using ir::Builder;
using ir::Node;
using ir::Value;

Value* none(Builder& b) { return b.constant_none(); }

Value* as_bool(Builder& b, Value* mask) {
  const auto& dt = mask->type()->dtype();
  if (!dt) throw mask->node()->error("the dtype of a nested tensor's mask must be known");
  if (*dt == DType::b8) return mask;
  return b.op("aten::ne.Scalar", {mask, b.constant_int(0)});
}

Value* last_dim_unsqueezed(Builder& b, Value* present) { return b.op("aten::unsqueeze", {present, b.constant_int(-1)}); }

// x where a position is present, 0 elsewhere.
Value* zero_absent(Builder& b, Value* present, Value* x) {
  return b.op("aten::where.ScalarOther", {last_dim_unsqueezed(b, present), x, b.constant_float(0.0)});
}

struct Padded {
  Value* dense;    // the tensor, absent positions zeroed
  Value* present;  // [batch, seq] bool
};

class NestedLowering {
 public:
  explicit NestedLowering(ir::Graph& g) : graph_(g), b_(g) {}

  void run() {
    ir::walk(graph_.block(), [&](Node* n) { node(n); });
    for (const auto& [nested, padded] : padded_)
      for (const ir::Use& use : nested->uses())
        if (!own_.count(use.user))
          throw use.user->error("a nested tensor (nn.TransformerEncoder's path for a key padding mask) reaches " +
                                use.user->kind() +
                                "; wick runs nested tensors only through encoder layers and to_padded_tensor");
    for (Node* n : made_) n->output()->replace_all_uses_with(padded_.at(n->output()).dense);
    for (Node* n : made_) n->destroy();
  }

 private:
  void at(Node* n, Node* before) {
    b_.set_insertion_point(before);
    b_.set_source(n->source_location(), n->source_line());
  }

  const Padded* padded(const Value* v) const {
    auto it = padded_.find(v);
    return it == padded_.end() ? nullptr : &it->second;
  }

  void node(Node* n) {
    if (n->is("aten::_nested_tensor_from_mask")) return make(n);
    if (n->num_inputs() == 0) return;
    const Padded* p = padded(n->input(0));
    if (!p) return;
    if (n->is("aten::_transformer_encoder_layer_fwd")) return layer(n, *p);
    if (n->is("aten::to_padded_tensor")) return to_padded(n, *p);
    if (n->is("prim::is_nested")) {
      at(n, n);
      ir::replace_node(n, {b_.constant_bool(true)});
      return;
    }
    static const std::set<std::string> queries = {"aten::dim", "prim::dtype", "prim::device", "prim::is_cuda",
                                                  "prim::requires_grad", "aten::is_floating_point"};
    if (queries.count(n->kind())) n->set_input(0, p->dense);
  }

  void make(Node* n) {
    at(n, n);
    Value* mask = as_bool(b_, n->input(1));
    if (ir::constant_bool(n->input(2)).value_or(true)) require_left_aligned(b_, mask);
    Value* present = leading_positions(b_, mask);
    Value* dense = zero_absent(b_, present, n->input(0));
    own_.insert(dense->node());
    padded_[n->output()] = {dense, present};
    made_.push_back(n);
  }

  // The same layer over the padded tensor, the absent positions its key
  // padding mask; its result, absent positions zeroed, stands for the
  // nested result.
  void layer(Node* n, const Padded& p) {
    if (!ir::is_none(n->input(18)))
      throw n->error("an encoder layer given both a nested tensor and a mask is not supported (PyTorch refuses it too)");
    own_.insert(n);
    at(n, n);
    n->set_input(0, p.dense);
    n->set_input(18, b_.op("aten::logical_not", {p.present}));
    n->set_input(19, b_.constant_int(1));
    at(n, n->next());
    Value* dense = zero_absent(b_, p.present, n->output());
    own_.insert(dense->node());
    padded_[n->output()] = {dense, p.present};
  }

  void to_padded(Node* n, const Padded& p) {
    at(n, n);
    const std::vector<ir::Dim>* dims = p.dense->type()->shape() ? &*p.dense->type()->shape() : nullptr;
    if (!ir::is_none(n->input(2))) {
      auto size = ir::constant_int_list(n->input(2));
      bool same = size && dims && size->size() == dims->size();
      for (size_t i = 0; same && i < dims->size(); ++i) same = (*dims)[i].is_static() && (*dims)[i].value() == (*size)[i];
      if (!same) throw n->error("to_padded_tensor to a size other than the padded input's is not supported");
    } else {
      // ATen pads to the longest row: as long as the input when some row
      // keeps its last position.
      Value* last = b_.op("aten::select.int", {p.present, b_.constant_int(-1), b_.constant_int(-1)});
      Value* some = b_.op("aten::Bool.Tensor", {b_.op("aten::any", {last})});
      b_.raise_if(b_.op("aten::__not__", {some}),
               "to_padded_tensor: every row of the nested tensor is shorter than the padded input (its key padding "
               "mask hides the last position of every row), so PyTorch's result would be shorter too; wick computes "
               "it only when some row is unpadded (pad a batch to its longest sequence)");
    }
    Value* out = b_.op("aten::where.ScalarOther", {last_dim_unsqueezed(b_, p.present), p.dense, n->input(1)});
    ir::replace_node(n, {out});
  }

  ir::Graph& graph_;
  Builder b_;
  std::map<const Value*, Padded> padded_;
  std::set<const Node*> own_;
  std::vector<Node*> made_;
};

}  // namespace

Value* leading_positions(Builder& b, Value* mask) {
  Value* count = b.op("aten::sum.dim_IntList", {mask, b.constant_int_list({-1}), b.constant_bool(true), none(b)});
  Value* length = b.op("aten::size.int", {mask, b.constant_int(-1)});
  Value* positions = b.op("aten::arange", {length, none(b), none(b), none(b), none(b)});
  return b.op("aten::lt.Tensor", {positions, count});
}

void require_left_aligned(Builder& b, Value* mask) {
  Value* differs = b.op("aten::ne.Tensor", {mask, leading_positions(b, mask)});
  b.raise_if(b.op("aten::Bool.Tensor", {b.op("aten::any", {differs})}),
           "the key padding mask is not left-aligned (each row's padding must come after its tokens), which "
           "nn.TransformerEncoder's path for nested tensors requires; wick does not run the other path");
}

void lower_nested_tensors(ir::Graph& graph) { NestedLowering(graph).run(); }

}  // namespace wick::passes
