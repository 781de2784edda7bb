// Gradient rules: how reverse-mode autodiff (passes/autodiff.h) differentiates
// one op. A rule sees the forward node, the gradients flowing into its
// outputs, and a builder placed where the backward code goes; it returns one
// gradient per input of the node, null where the input gets none (ints,
// bools, integer tensors, indices, a scalar operand, or a zero gradient).
// A returned gradient has the input's shape (rules sum broadcast dims back
// with sum_to_shape); autodiff casts it to the input's dtype.
//
// Rules attach to ops by qualified name in grad_rules_<category>.cpp, one
// `t.set_gradient("aten::relu", {relu})` line per op, so the rule of an op is
// found by its name. Every op that remains after passes::decompose and can
// carry a gradient has one. Composite ops (batch_norm, layer_norm, softmax,
// log_softmax, dropout, the losses, _convolution) have none on purpose: they
// are differentiated through their decomposition, so autodiff expects a
// decomposed graph.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"

namespace wick::ir {

// Builds backward code: an ir::Builder plus shared constants and the helpers
// rules are written in. Shapes may be symbolic; sizes that are not static
// are read with aten::size.int. Errors (a rank that is not known, say) are
// wick::Errors on the forward node being differentiated.
class GradBuilder {
 public:
  GradBuilder(Builder& builder, std::map<std::string, Value*>& constants, const Node* at = nullptr)
      : b_(builder), constants_(constants), at_(at) {}

  Builder& builder() { return b_; }
  Error error(const std::string& message) const;

  // Any op of the table; trailing schema arguments left out take their
  // defaults. `node` gives all results, `op` the single one.
  Node* node(const char* name, std::vector<Value*> inputs);
  Value* op(const char* name, std::vector<Value*> inputs);

  // Constants, made once per backward and shared.
  Value* int_(int64_t v);
  Value* float_(double v);
  Value* bool_(bool v);
  Value* none();
  Value* ints(const std::vector<int64_t>& v);
  Value* str(const std::string& v);

  // Elementwise arithmetic (aten::add.Tensor, ... with alpha 1).
  Value* add(Value* a, Value* b);
  Value* sub(Value* a, Value* b);
  Value* mul(Value* a, Value* b);
  Value* div(Value* a, Value* b);
  Value* neg(Value* a);
  Value* scale(Value* a, Value* s);  // aten::mul.Scalar
  Value* scale(Value* a, double s);
  Value* add_scalar(Value* a, double s);
  Value* rsub_scalar(double s, Value* a);  // s - a
  Value* where(Value* cond, Value* a, Value* b);
  Value* where_zero(Value* cond, Value* a);  // a where cond, else 0
  Value* cast(Value* x, DType dtype);        // aten::to.dtype
  Value* to_float_like(Value* mask, const Value* like);  // a bool/int tensor in like's dtype

  // Shapes.
  const std::vector<Dim>& shape(const Value* v) const;  // a tensor of known rank
  int rank(const Value* v) const { return static_cast<int>(shape(v).size()); }
  DType dtype(const Value* v) const;
  // v's sizes as a List[Int]: a constant when all are static.
  Value* sizes(const Value* v);
  Value* size(const Value* v, int64_t dim);  // one size as an Int
  Value* zeros_like(const Value* v);          // aten::zeros of v's sizes and dtype
  Value* reshape(Value* x, const Value* like);
  Value* expand(Value* x, const Value* like);
  Value* unsqueeze(Value* x, int64_t dim);
  Value* squeeze(Value* x, int64_t dim);
  Value* transpose(Value* x, int64_t d0, int64_t d1);
  Value* permute(Value* x, const std::vector<int64_t>& dims);
  Value* sum(Value* x, const std::vector<int64_t>& dims, bool keepdim);  // dims must not be empty
  // The gradient of a broadcast: sums `g` over the dims in which `like` was
  // broadcast to g's shape (leading dims, and dims where like has size 1).
  Value* sum_to_shape(Value* g, const Value* like);
  // The number of elements of `dims` of v, as a Float when not static.
  Value* count(const Value* v, const std::vector<int64_t>& dims);

 protected:
  Value* constant(const AttrValue& v, const TypePtr& type);

  Builder& b_;
  std::map<std::string, Value*>& constants_;
  const Node* at_;
};

// What a rule sees of one forward node.
class GradContext : public GradBuilder {
 public:
  // `active` says which values want a gradient.
  GradContext(Builder& builder, std::map<std::string, Value*>& constants, const Node& node,
              std::vector<Value*> output_grads, std::function<bool(const Value*)> active)
      : GradBuilder(builder, constants, &node), node_(node), grads_(std::move(output_grads)),
        active_(std::move(active)) {}

  const Node& node() const { return node_; }
  Value* input(size_t i) const { return node_.input(i); }
  Value* output(size_t i = 0) const { return node_.output(i); }
  // The gradient flowing into output i; null when nothing needs it.
  Value* grad(size_t i = 0) const { return grads_.at(i); }
  // Results of a rule: no gradient for any input; `g` for input 0 alone.
  std::vector<Value*> no_grads() const { return std::vector<Value*>(node_.num_inputs(), nullptr); }
  std::vector<Value*> only_first(Value* g) const {
    std::vector<Value*> r = no_grads();
    r[0] = g;
    return r;
  }
  // Whether input i wants a gradient (a rule may skip the work otherwise).
  bool needs_grad(size_t i) const { return active_(node_.input(i)); }

  // List operands (cat, stack): the elements of input i, which must be built
  // by a prim::ListConstruct; whether element k wants a gradient; and the
  // elements' gradients, which a rule sets (null where none) and returns
  // null for the list itself.
  std::vector<Value*> elements(size_t i) const;
  bool needs_element_grad(size_t i, size_t k) const { return active_(elements(i).at(k)); }
  void set_element_grads(size_t i, std::vector<Value*> grads) { element_grads_[i] = std::move(grads); }
  const std::map<size_t, std::vector<Value*>>& element_grads() const { return element_grads_; }

  // Compile-time operands, or a user error naming `what`.
  int64_t constant_int(size_t i, const char* what) const;
  double constant_double(size_t i, const char* what) const;
  bool constant_bool(size_t i, const char* what) const;
  std::vector<int64_t> constant_ints(size_t i, const char* what) const;
  bool is_none(size_t i) const;
  // A dim operand normalized against the rank of input `of`.
  int64_t dim(size_t i, size_t of) const;

 private:
  const Node& node_;
  std::vector<Value*> grads_;
  std::function<bool(const Value*)> active_;
  std::map<size_t, std::vector<Value*>> element_grads_;
};

using GradFn = std::vector<Value*> (*)(GradContext& ctx);

struct GradientRule {
  GradFn fn = nullptr;
};

// Registration, one per grad_rules_<category>.cpp, called while the op table
// is built (after every op has been added).
void add_pointwise_gradients(OpTableBuilder& t);
void add_math_gradients(OpTableBuilder& t);
void add_reduction_gradients(OpTableBuilder& t);
void add_layout_gradients(OpTableBuilder& t);
void add_linalg_gradients(OpTableBuilder& t);
void add_complex_gradients(OpTableBuilder& t);
void add_nn_gradients(OpTableBuilder& t);

}  // namespace wick::ir
