// The builder gradient rules are written in: ops with schema defaults filled
// in, shared constants, and the shape helpers (sizes that may be symbolic,
// sum_to_shape for broadcasts).
#include "ir/gradient_rule.h"

#include "ir/constant_value.h"

namespace wick::ir {

namespace {

TypePtr type_of_attr(const AttrValue& v) {
  if (std::holds_alternative<NoneValue>(v)) return Type::none();
  if (std::holds_alternative<bool>(v)) return Type::bool_();
  if (std::holds_alternative<int64_t>(v)) return Type::int_();
  if (std::holds_alternative<double>(v)) return Type::float_();
  if (std::holds_alternative<std::string>(v)) return Type::string_();
  if (std::holds_alternative<std::vector<int64_t>>(v)) return Type::list(Type::int_());
  if (std::holds_alternative<std::vector<double>>(v)) return Type::list(Type::float_());
  if (std::holds_alternative<std::vector<bool>>(v)) return Type::list(Type::bool_());
  return Type::list(Type::string_());
}

}  // namespace

Error GradBuilder::error(const std::string& message) const {
  if (at_) return at_->error(message);
  return Error(message);
}

Value* GradBuilder::constant(const AttrValue& v, const TypePtr& type) {
  const std::string key = type->str() + "=" + attr_str(v);
  auto it = constants_.find(key);
  if (it != constants_.end()) return it->second;
  Value* c = b_.constant(v, type);
  constants_[key] = c;
  return c;
}

Node* GradBuilder::node(const char* name, std::vector<Value*> inputs) {
  const OpDef* def = find_op(name);
  WICK_ASSERT(def != nullptr, std::string("unknown op ") + name);
  const auto& args = def->schema.args;
  WICK_ASSERT(inputs.size() <= args.size() || def->schema.variadic_args,
              std::string(name) + ": too many operands");
  for (size_t i = inputs.size(); i < args.size(); ++i) {
    WICK_ASSERT(args[i].default_value.has_value(), std::string(name) + ": operand " + args[i].name + " has no default");
    inputs.push_back(constant(*args[i].default_value, type_of_attr(*args[i].default_value)));
  }
  return b_.create(*def, inputs);
}

Value* GradBuilder::op(const char* name, std::vector<Value*> inputs) {
  Node* n = node(name, std::move(inputs));
  WICK_ASSERT(n->num_outputs() == 1, std::string(name) + " does not have one result");
  return n->output();
}

Value* GradBuilder::int_(int64_t v) { return constant(v, Type::int_()); }
Value* GradBuilder::float_(double v) { return constant(v, Type::float_()); }
Value* GradBuilder::bool_(bool v) { return constant(v, Type::bool_()); }
Value* GradBuilder::none() { return constant(NoneValue{}, Type::none()); }
Value* GradBuilder::ints(const std::vector<int64_t>& v) { return constant(v, Type::list(Type::int_())); }
Value* GradBuilder::str(const std::string& v) { return constant(v, Type::string_()); }

Value* GradBuilder::add(Value* a, Value* b) { return op("aten::add.Tensor", {a, b}); }
Value* GradBuilder::sub(Value* a, Value* b) { return op("aten::sub.Tensor", {a, b}); }
Value* GradBuilder::mul(Value* a, Value* b) { return op("aten::mul.Tensor", {a, b}); }
Value* GradBuilder::div(Value* a, Value* b) { return op("aten::div.Tensor", {a, b}); }
Value* GradBuilder::neg(Value* a) { return op("aten::neg", {a}); }
Value* GradBuilder::scale(Value* a, Value* s) { return op("aten::mul.Scalar", {a, s}); }
Value* GradBuilder::scale(Value* a, double s) { return scale(a, float_(s)); }
Value* GradBuilder::add_scalar(Value* a, double s) { return op("aten::add.Scalar", {a, float_(s)}); }
Value* GradBuilder::rsub_scalar(double s, Value* a) { return op("aten::rsub.Scalar", {a, float_(s)}); }
Value* GradBuilder::where(Value* cond, Value* a, Value* b) { return op("aten::where.self", {cond, a, b}); }
Value* GradBuilder::where_zero(Value* cond, Value* a) {
  return op("aten::where.ScalarOther", {cond, a, float_(0.0)});
}

Value* GradBuilder::cast(Value* x, DType dtype) {
  if (x->type()->dtype() == dtype) return x;
  auto code = torch_code_of(dtype);
  WICK_ASSERT(code.has_value(), "no torch code for a dtype");
  return op("aten::to.dtype", {x, int_(*code), bool_(false), bool_(false), none()});
}

Value* GradBuilder::to_float_like(Value* mask, const Value* like) { return cast(mask, dtype(like)); }

const std::vector<Dim>& GradBuilder::shape(const Value* v) const {
  const Type& t = *v->type();
  if (!t.is_tensor() || !t.has_rank())
    throw error("differentiating needs the rank of %" + v->name() + " to be known, got " + t.str());
  return *t.shape();
}

DType GradBuilder::dtype(const Value* v) const {
  const auto& dt = v->type()->dtype();
  if (!dt) throw error("differentiating needs the dtype of %" + v->name() + " to be known");
  return *dt;
}

Value* GradBuilder::size(const Value* v, int64_t dim) {
  const Dim& d = shape(v)[static_cast<size_t>(dim)];
  if (d.is_static()) return int_(d.value());
  // A symbolic size is read off a graph input that has it, when one does:
  // the backward then does not keep an intermediate alive for its shape.
  const Value* from = v;
  int64_t at = dim;
  for (const Value* in : b_.graph().inputs()) {
    if (d.is_unknown()) break;
    const Type& t = *in->type();
    if (!t.is_tensor() || !t.has_rank()) continue;
    for (size_t j = 0; j < t.shape()->size() && from == v; ++j)
      if ((*t.shape())[j] == d) {
        from = in;
        at = static_cast<int64_t>(j);
      }
    if (from != v) break;
  }
  const std::string key = "size " + std::to_string(reinterpret_cast<uintptr_t>(from)) + " " + std::to_string(at);
  auto it = constants_.find(key);
  if (it != constants_.end()) return it->second;
  return constants_[key] = op("aten::size.int", {const_cast<Value*>(from), int_(at)});
}

Value* GradBuilder::sizes(const Value* v) {
  const auto& dims = shape(v);
  std::vector<int64_t> fixed;
  for (const Dim& d : dims)
    if (d.is_static()) fixed.push_back(d.value());
  if (fixed.size() == dims.size()) return ints(fixed);
  std::vector<Value*> elems;
  for (size_t i = 0; i < dims.size(); ++i) elems.push_back(size(v, static_cast<int64_t>(i)));
  return b_.create("prim::ListConstruct", elems, {Type::list(Type::int_())})->output();
}

Value* GradBuilder::zeros_like(const Value* v) {
  auto code = torch_code_of(dtype(v));
  WICK_ASSERT(code.has_value(), "no torch code for a dtype");
  return op("aten::zeros", {sizes(v), int_(*code)});
}

Value* GradBuilder::reshape(Value* x, const Value* like) {
  if (shape(x) == shape(like)) return x;
  return op("aten::reshape", {x, sizes(like)});
}

Value* GradBuilder::expand(Value* x, const Value* like) {
  if (shape(x) == shape(like)) return x;
  return op("aten::expand", {x, sizes(like), bool_(false)});
}

Value* GradBuilder::unsqueeze(Value* x, int64_t dim) { return op("aten::unsqueeze", {x, int_(dim)}); }
Value* GradBuilder::squeeze(Value* x, int64_t dim) { return op("aten::squeeze.dim", {x, int_(dim)}); }
Value* GradBuilder::transpose(Value* x, int64_t d0, int64_t d1) {
  return op("aten::transpose.int", {x, int_(d0), int_(d1)});
}
Value* GradBuilder::permute(Value* x, const std::vector<int64_t>& dims) { return op("aten::permute", {x, ints(dims)}); }

Value* GradBuilder::sum(Value* x, const std::vector<int64_t>& dims, bool keepdim) {
  // An empty list would mean every dim.
  WICK_ASSERT(!dims.empty(), "a sum over no dims");
  return op("aten::sum.dim_IntList", {x, ints(dims), bool_(keepdim)});
}

Value* GradBuilder::sum_to_shape(Value* g, const Value* like) {
  const std::vector<Dim> gs = shape(g);
  const std::vector<Dim>& ls = shape(like);
  WICK_ASSERT(gs.size() >= ls.size(), "sum_to_shape to a shape of higher rank");
  const size_t lead = gs.size() - ls.size();
  std::vector<int64_t> lead_dims, ones;
  for (size_t i = 0; i < lead; ++i) lead_dims.push_back(static_cast<int64_t>(i));
  for (size_t i = 0; i < ls.size(); ++i) {
    const Dim& l = ls[i];
    const Dim& d = gs[lead + i];
    const bool one = l.is_static() && l.value() == 1;
    if (one && !(d.is_static() && d.value() == 1)) {
      ones.push_back(static_cast<int64_t>(i));
    } else if (!one && l != d && !d.is_unknown() && !(l.is_static() && !d.is_static())) {
      throw error("cannot tell how %" + like->name() + " of shape " + shape_str(ls) + " was broadcast to " +
                  shape_str(gs));
    }
  }
  Value* r = g;
  if (!lead_dims.empty()) r = sum(r, lead_dims, false);
  if (!ones.empty()) r = sum(r, ones, true);
  return r;
}

Value* GradBuilder::count(const Value* v, const std::vector<int64_t>& dims) {
  const auto& s = shape(v);
  int64_t fixed = 1;
  Value* symbolic = nullptr;
  for (int64_t d : dims) {
    const Dim& dim = s[static_cast<size_t>(d)];
    if (dim.is_static()) {
      fixed *= dim.value();
      continue;
    }
    Value* n = size(v, d);
    symbolic = symbolic ? op("aten::mul.int", {symbolic, n}) : n;
  }
  if (!symbolic) return float_(static_cast<double>(fixed));
  return fixed == 1 ? symbolic : op("aten::mul.int", {symbolic, int_(fixed)});
}

int64_t GradContext::constant_int(size_t i, const char* what) const {
  auto v = ir::constant_int(node_.input(i));
  if (!v) throw error(std::string("differentiating needs ") + what + " to be a constant");
  return *v;
}

double GradContext::constant_double(size_t i, const char* what) const {
  auto v = ir::constant_double(node_.input(i));
  if (!v) throw error(std::string("differentiating needs ") + what + " to be a constant");
  return *v;
}

bool GradContext::constant_bool(size_t i, const char* what) const {
  auto v = ir::constant_bool(node_.input(i));
  if (!v) throw error(std::string("differentiating needs ") + what + " to be a constant");
  return *v;
}

std::vector<int64_t> GradContext::constant_ints(size_t i, const char* what) const {
  if (auto one = ir::constant_int(node_.input(i))) return {*one};
  auto v = constant_int_list(node_.input(i));
  if (!v) throw error(std::string("differentiating needs ") + what + " to be a constant");
  return *v;
}

std::vector<Value*> GradContext::elements(size_t i) const {
  const Node* list = node_.input(i)->node();
  if (!list->is("prim::ListConstruct"))
    throw error("differentiating needs the list operand to be built in the graph (prim::ListConstruct)");
  return list->inputs();
}

bool GradContext::is_none(size_t i) const { return ir::is_none(node_.input(i)); }

int64_t GradContext::dim(size_t i, size_t of) const {
  const int64_t d = constant_int(i, "the dim");
  const int64_t r = rank(node_.input(of));
  return d < 0 ? d + std::max<int64_t>(r, 1) : d;
}

}  // namespace wick::ir
