#include "passes/cast_wrapped_numbers.h"

#include <optional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Type;
using ir::TypeKind;
using ir::Value;

// The scalar kind a trace's number constant stands for, or nullopt for any
// other value.
std::optional<TypeKind> wrapped_kind(const Value* v) {
  const Type& t = *v->type();
  const Node* def = v->node();
  if (!t.is_tensor() || t.rank() != 0 || !t.dtype() || !def || !def->is("prim::Param")) return std::nullopt;
  const ir::AttrValue* name = def->attrs().find("name");
  const std::string* s = name ? std::get_if<std::string>(name) : nullptr;
  if (!s || s->rfind("CONSTANTS.", 0) != 0) return std::nullopt;
  switch (*t.dtype()) {
    case DType::f64: return TypeKind::Float;
    case DType::i64: return TypeKind::Int;
    case DType::b8: return TypeKind::Bool;
    default: return std::nullopt;
  }
}

int kind_rank(TypeKind k) { return k == TypeKind::Float ? 2 : k == TypeKind::Int ? 1 : 0; }

ir::TypePtr scalar_type(TypeKind k) {
  return k == TypeKind::Float ? Type::float_() : k == TypeKind::Int ? Type::int_() : Type::bool_();
}

// ATen's promotion over the operands: dimensioned tensors first, then 0-d
// tensors where their category is higher, then the wrapped numbers where
// theirs is (with `as_scalars`; else they count as 0-d tensors). nullopt
// when a dtype is unknown or no operand is a plain tensor.
std::optional<DType> computation_dtype(const Node& n, bool as_scalars) {
  std::optional<DType> dimensioned, zero_dim;
  std::optional<TypeKind> wrapped;
  for (const Value* v : n.inputs()) {
    const Type& t = *v->type();
    if (!t.is_tensor()) continue;
    if (auto k = wrapped_kind(v); k && as_scalars) {
      if (!wrapped || kind_rank(*k) > kind_rank(*wrapped)) wrapped = k;
      continue;
    }
    if (!t.dtype() || !t.has_rank()) return std::nullopt;
    std::optional<DType>& group = t.rank() == 0 ? zero_dim : dimensioned;
    group = group ? promote(*group, *t.dtype()) : *t.dtype();
  }
  std::optional<DType> tensors = dimensioned ? dimensioned : zero_dim;
  if (!tensors) return std::nullopt;
  if (dimensioned && zero_dim)
    tensors = ir::shape::result_dtype(*Type::tensor(*dimensioned, std::vector<ir::Dim>{ir::Dim::constant(1)}),
                                      *Type::tensor(*zero_dim, std::vector<ir::Dim>{}));
  if (!tensors || !wrapped) return tensors;
  return ir::shape::result_dtype(*Type::tensor(*tensors, std::vector<ir::Dim>{}), *scalar_type(*wrapped));
}

}  // namespace

bool cast_wrapped_numbers(ir::Graph& graph) {
  std::vector<Node*> nodes;
  ir::walk(graph.block(), [&](Node* n) {
    if (n->op().lowering != ir::Lowering::pointwise) return;
    for (const Value* v : n->inputs())
      if (wrapped_kind(v)) return nodes.push_back(n);
  });
  bool changed = false;
  ir::Builder b(graph);
  for (Node* n : nodes) {
    // Only where the number changes the outcome: beside an f16 vector a
    // float number computes in f16 either way, and is left as it is.
    const std::optional<DType> dtype = computation_dtype(*n, true);
    if (!dtype || dtype == computation_dtype(*n, false)) continue;
    b.set_insertion_point(n);
    for (size_t i = 0; i < n->num_inputs(); ++i) {
      Value* v = n->input(i);
      if (!wrapped_kind(v) || *v->type()->dtype() == *dtype) continue;
      Value* dt = b.constant(*torch_code_of(*dtype), Type::int_());
      Value* no = b.constant(false, Type::bool_());
      Value* none = b.constant(ir::NoneValue{}, Type::none());
      n->set_input(i, b.op("aten::to.dtype", {v, dt, no, no, none}));
      changed = true;
    }
  }
  return changed;
}

}  // namespace wick::passes
