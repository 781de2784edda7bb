#include "ir/constant_value.h"

#include "ir/op_table.h"

namespace wick::ir {

const AttrValue* constant_attr(const Value* v) {
  if (!v->node()->is("prim::Constant")) return nullptr;
  return v->node()->attrs().find("value");
}

bool is_none(const Value* v) {
  if (v->type()->kind() == TypeKind::None) return true;
  const AttrValue* a = constant_attr(v);
  return a && std::holds_alternative<NoneValue>(*a);
}

namespace {

// Whether `v` is a tensor object no other value of the graph can be: a
// graph input (inputs are taken to be distinct objects) or the result of an
// op that always makes a new tensor. Ops that may hand back their input
// (contiguous, to, type_as, flatten of one dim, eval-mode dropout), module
// tensors (tied weights), and values out of lists, tuples and blocks may be
// another value's object.
bool distinct_object(const Value* v) {
  if (!v->type()->is_tensor()) return false;
  const Node* n = v->node();
  if (n == n->graph()->block()->param_node()) return true;
  switch (n->op().lowering) {
    case Lowering::pointwise:
    case Lowering::reduction:
    case Lowering::view:
    case Lowering::movement:
    case Lowering::extern_call:
    case Lowering::composite: break;
    default: return false;
  }
  const std::string& name = n->op().schema.name;
  static const char* may_return_input[] = {"contiguous", "to", "type_as", "flatten", "dropout", "feature_dropout",
                                           "alpha_dropout"};
  for (const char* m : may_return_input)
    if (name == m) return false;
  return true;
}

}  // namespace

std::optional<bool> known_identity(const Value* a, const Value* b) {
  if (a == b) return true;
  auto may_be_none = [](const Type& t) { return t.kind() == TypeKind::Optional || t.kind() == TypeKind::Any; };
  const Type& ta = *a->type();
  const Type& tb = *b->type();
  const bool a_none = is_none(a), b_none = is_none(b);
  if (a_none && b_none) return true;
  if ((a_none && !may_be_none(tb)) || (b_none && !may_be_none(ta))) return false;
  if (distinct_object(a) && distinct_object(b)) return false;
  return std::nullopt;
}

std::optional<int64_t> constant_int(const Value* v) {
  const AttrValue* a = constant_attr(v);
  if (!a) return std::nullopt;
  if (auto* i = std::get_if<int64_t>(a)) return *i;
  return std::nullopt;
}

std::optional<double> constant_double(const Value* v) {
  const AttrValue* a = constant_attr(v);
  if (!a) return std::nullopt;
  if (auto* d = std::get_if<double>(a)) return *d;
  if (auto* i = std::get_if<int64_t>(a)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> constant_bool(const Value* v) {
  const AttrValue* a = constant_attr(v);
  if (!a) return std::nullopt;
  if (auto* b = std::get_if<bool>(a)) return *b;
  return std::nullopt;
}

std::optional<std::vector<int64_t>> constant_int_list(const Value* v) {
  if (const AttrValue* a = constant_attr(v)) {
    if (auto* l = std::get_if<std::vector<int64_t>>(a)) return *l;
    return std::nullopt;
  }
  if (!v->node()->is("prim::ListConstruct")) return std::nullopt;
  std::vector<int64_t> out;
  for (const Value* e : v->node()->inputs()) {
    auto i = constant_int(e);
    if (!i) return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

std::optional<std::vector<double>> constant_double_list(const Value* v) {
  if (const AttrValue* a = constant_attr(v)) {
    if (auto* l = std::get_if<std::vector<double>>(a)) return *l;
    if (auto* l = std::get_if<std::vector<int64_t>>(a)) return std::vector<double>(l->begin(), l->end());
    return std::nullopt;
  }
  if (!v->node()->is("prim::ListConstruct")) return std::nullopt;
  std::vector<double> out;
  for (const Value* e : v->node()->inputs()) {
    auto d = constant_double(e);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

namespace {

std::optional<Dim> symbolic_int_at(const Value* v, int depth) {
  if (auto c = constant_int(v)) return Dim::constant(*c);
  if (depth > 32) return std::nullopt;
  const Node* n = v->node();
  if (n->is("aten::size.int")) {
    const Type& t = *n->input(0)->type();
    auto d = constant_int(n->input(1));
    if (!t.has_rank() || !d) return std::nullopt;
    int64_t r = t.rank();
    int64_t k = *d < 0 ? *d + r : *d;
    if (k < 0 || k >= r) return std::nullopt;
    const Dim& dim = (*t.shape())[k];
    if (dim.is_unknown()) return std::nullopt;
    return dim;
  }
  if (n->is("aten::mul.int") || n->is("aten::floordiv.int") || n->is("aten::add.int")) {
    auto a = symbolic_int_at(n->input(0), depth + 1);
    auto b = symbolic_int_at(n->input(1), depth + 1);
    if (!a || !b) return std::nullopt;
    if (n->is("aten::mul.int")) {
      Dim p = *a * *b;
      if (p.is_unknown()) return std::nullopt;
      return p;
    }
    if (n->is("aten::add.int")) {
      Dim s = *a + *b;
      if (s.is_unknown()) return std::nullopt;
      return s;
    }
    if (a->is_static() && b->is_static()) {
      if (b->value() == 0) return std::nullopt;
      int64_t q = a->value() / b->value();
      if ((a->value() % b->value() != 0) && ((a->value() < 0) != (b->value() < 0))) --q;
      return Dim::constant(q);
    }
    return a->divide_exactly(*b);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Dim> symbolic_int(const Value* v) { return symbolic_int_at(v, 0); }

std::optional<std::vector<Dim>> symbolic_int_list(const Value* v) {
  if (auto c = constant_int_list(v)) {
    std::vector<Dim> out;
    for (int64_t i : *c) out.push_back(Dim::constant(i));
    return out;
  }
  if (!v->node()->is("prim::ListConstruct")) return std::nullopt;
  std::vector<Dim> out;
  for (const Value* e : v->node()->inputs()) {
    auto d = symbolic_int(e);
    out.push_back(d ? *d : Dim::unknown());
  }
  return out;
}

}  // namespace wick::ir
