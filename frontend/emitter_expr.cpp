// Expressions: names, attributes, literals, subscripts, operators and the
// conversions of compile-time values into IR values.
#include <algorithm>
#include <cmath>
#include <limits>

#include "frontend/emitter_impl.h"
#include "ir/constant_value.h"

namespace wick {

namespace {

const char* const kBuiltins[] = {"annotate", "unchecked_cast", "uninitialized", "isinstance", "getattr", "int",
                                 "float",    "bool",           "len",           "range",      "str",     "list",
                                 "print",    "max",            "min",           "abs",        "fork",
                                 "sorted"};

bool is_scalar(const ir::Type& t) {
  return t.kind() == ir::TypeKind::Int || t.kind() == ir::TypeKind::Float || t.kind() == ir::TypeKind::Bool ||
         t.kind() == ir::TypeKind::Number;
}

}  // namespace

SugaredValue Emitter::emit_expr(const ts::Expr& e, Frame& f) {
  using ir::Type;
  switch (e.kind) {
    case ts::ExprKind::Name: return emit_name(e.as<ts::NameExpr>(), f);
    case ts::ExprKind::Attribute: return emit_attribute(e.as<ts::AttributeExpr>(), f);
    case ts::ExprKind::Call: return emit_call(e.as<ts::CallExpr>(), f);
    case ts::ExprKind::Subscript: return emit_subscript(e.as<ts::SubscriptExpr>(), f);
    case ts::ExprKind::Int: return SugaredValue::of(constant(e.as<ts::IntExpr>().value, Type::int_()));
    case ts::ExprKind::Float: return SugaredValue::of(constant(e.as<ts::FloatExpr>().value, Type::float_()));
    case ts::ExprKind::Bool: return SugaredValue::of(constant(e.as<ts::BoolExpr>().value, Type::bool_()));
    case ts::ExprKind::None: return SugaredValue::of(constant(ir::NoneValue{}, Type::none()));
    case ts::ExprKind::String: return SugaredValue::of(constant(e.as<ts::StringExpr>().value, Type::string_()));
    case ts::ExprKind::Tuple: {
      std::vector<SugaredValue> parts;
      for (const auto& x : e.as<ts::TupleExpr>().elts) parts.push_back(emit_expr(*x, f));
      return SugaredValue::tuple_of(std::move(parts));
    }
    case ts::ExprKind::List: return emit_list(e.as<ts::ListExpr>().elts, f, e.loc);
    case ts::ExprKind::Dict: {
      // Dicts live while emitting only: their keys must be known strings or ints.
      const auto& d = e.as<ts::DictExpr>();
      std::vector<std::string> keys;
      std::vector<SugaredValue> values;
      for (size_t i = 0; i < d.keys.size(); ++i) {
        keys.push_back(dict_key(*d.keys[i], f));
        values.push_back(emit_expr(*d.values[i], f));
      }
      return SugaredValue::dict_of(std::move(keys), std::move(values));
    }
    case ts::ExprKind::Unary: {
      const auto& u = e.as<ts::UnaryExpr>();
      SugaredValue operand = emit_expr(*u.operand, f);
      if (u.op == ts::UnaryOp::Pos) return operand;
      if (u.op == ts::UnaryOp::Not) {
        ir::Value* v = as_value(operand, f, u.loc);
        CallArgs a;
        a.positional = {operand};
        if (v->type()->is_tensor()) return call_op("aten::logical_not", a, f, e.loc);
        a.positional = {SugaredValue::of(as_condition(operand, f, u.loc))};
        return call_op("aten::__not__", a, f, e.loc);
      }
      if (u.op == ts::UnaryOp::Neg) {
        CallArgs a;
        a.positional = {operand};
        return call_op("aten::neg", a, f, e.loc);
      }
      return unsupported(f, e.loc, std::string("operator ") + ts::op_spelling(u.op));
    }
    case ts::ExprKind::Binary: return emit_binary(e.as<ts::BinaryExpr>(), f);
    case ts::ExprKind::BoolOp: {
      const auto& b = e.as<ts::BoolOpExpr>();
      return emit_short_circuit(*b.lhs, *b.rhs, b.op == ts::BoolOp::And, f, e.loc);
    }
    case ts::ExprKind::Compare: return emit_compare(e.as<ts::CompareExpr>(), f);
    case ts::ExprKind::Conditional: return emit_conditional(e.as<ts::ConditionalExpr>(), f);
    default:
      fail(f, e.loc, std::string(ts::expr_kind_name(e.kind)) + " expressions are not supported");
  }
}

ir::Value* Emitter::emit_value(const ts::Expr& e, Frame& f) { return as_value(emit_expr(e, f), f, e.loc); }

ir::Value* Emitter::as_value(const SugaredValue& v, Frame& f, const SourceLocation& loc) {
  switch (v.kind) {
    case SugaredValue::Kind::value: return v.value;
    // A dict leaves the graph as the tuple of its values, in insertion
    // order: how LibTorch's outputs flatten it.
    case SugaredValue::Kind::tuple:
    case SugaredValue::Kind::dict: {
      std::vector<ir::Value*> items;
      std::vector<ir::TypePtr> types;
      for (const SugaredValue& p : v.parts) {
        items.push_back(as_value(p, f, loc));
        types.push_back(items.back()->type());
      }
      return builder_->create("prim::TupleConstruct", items, {ir::Type::tuple(types)})->output();
    }
    case SugaredValue::Kind::poison: {
      if (v.value) return v.value;  // a placeholder for the unsupported op itself
      // Stands in for what depends on an op wick could not emit: it goes when
      // that op's placeholder goes, and the op alone is reported.
      ir::Value* p = builder_->create("prim::Unsupported", {}, {ir::Type::any()})->output();
      poisoned_.insert(p);
      return p;
    }
    case SugaredValue::Kind::object:
      if (is_made_object(v.object))
        fail(f, loc, describe_object(v) + " cannot be used as a value: such objects may be passed to functions and "
                     "methods and returned by them, but not stored in lists, passed to ops or returned by the method run");
      fail(f, loc, "the module '" + (v.path.empty() ? std::string("self") : v.path) + "' cannot be used as a value");
    case SugaredValue::Kind::object_list:
      fail(f, loc, "a list of torch class objects cannot be used as a value: it may only be passed to an op that "
                   "takes it, such as torch.quantized_lstm");
    default: fail(f, loc, "'" + v.path + "' cannot be used as a value");
  }
}

ir::Value* Emitter::as_condition(const SugaredValue& v, Frame& f, const SourceLocation& loc) {
  ir::Value* x = as_value(v, f, loc);
  switch (x->type()->kind()) {
    case ir::TypeKind::Bool: return x;
    case ir::TypeKind::None: return constant(false, ir::Type::bool_());
    case ir::TypeKind::Any: return poisoned_.count(x) ? constant(true, ir::Type::bool_()) : x;
    default: {
      CallArgs a;
      a.positional = {SugaredValue::of(x)};
      SugaredValue b = call_op("aten::Bool", a, f, loc);
      return b.is_value() ? b.value : constant(true, ir::Type::bool_());
    }
  }
}

SugaredValue Emitter::emit_name(const ts::NameExpr& e, Frame& f) {
  auto it = f.env.find(e.id);
  if (it != f.env.end()) return it->second;
  if (e.id == "torch" || e.id == "ops" || e.id == "CONSTANTS" || e.id == "__torch__" || e.id == "math")
    return SugaredValue::names(e.id);
  for (const char* b : kBuiltins)
    if (e.id == b) return SugaredValue::names(e.id, SugaredValue::Kind::builtin);
  if (e.id == "inf") return SugaredValue::of(constant(std::numeric_limits<double>::infinity(), ir::Type::float_()));
  if (e.id == "nan") return SugaredValue::of(constant(std::nan(""), ir::Type::float_()));
  fail(f, e.loc, "undefined name '" + e.id + "'");
}

SugaredValue Emitter::emit_attribute(const ts::AttributeExpr& e, Frame& f) {
  SugaredValue base = emit_expr(*e.value, f);
  switch (base.kind) {
    case SugaredValue::Kind::object: return object_attribute(base, e.attr, f, e.loc);
    case SugaredValue::Kind::name_path: {
      if (base.path == "CONSTANTS") {
        if (e.attr.size() < 2 || e.attr[0] != 'c' || e.attr.find_first_not_of("0123456789", 1) != std::string::npos)
          fail(f, e.loc, "unknown constant CONSTANTS." + e.attr);
        const auto& table = archive_.constants.is(PickleValue::Kind::tuple) ? archive_.constants.elements()
                                                                              : std::vector<PickleValue>{};
        size_t index = 0;
        try {
          index = std::stoul(e.attr.substr(1));
        } catch (const std::exception&) {
          fail(f, e.loc, "unknown constant CONSTANTS." + e.attr);
        }
        if (index >= table.size())
          fail(f, e.loc, "CONSTANTS." + e.attr + " is out of range: the archive holds " +
                             std::to_string(table.size()) + " constants");
        const PickleValue& c = table[index];
        if (!c.is(PickleValue::Kind::tensor)) return constant_from_pickle(c, f, e.loc);
        const std::string name = "CONSTANTS." + e.attr;
        if (!module_.find_tensor(name)) module_.add_tensor(name, ir::TensorRole::constant, c.tensor());
        return SugaredValue::of(param(name));
      }
      if (base.path == "math") {
        if (e.attr == "inf") return SugaredValue::of(constant(std::numeric_limits<double>::infinity(), ir::Type::float_()));
        if (e.attr == "pi") return SugaredValue::of(constant(M_PI, ir::Type::float_()));
        if (e.attr == "e") return SugaredValue::of(constant(M_E, ir::Type::float_()));
      }
      return SugaredValue::names(base.path + "." + e.attr);
    }
    case SugaredValue::Kind::value: {
      CallArgs a;
      a.positional = {base};
      if (e.attr == "shape") return call_op("aten::size", a, f, e.loc);
      if (e.attr == "dtype") return call_op("prim::dtype", a, f, e.loc);
      if (e.attr == "device") return call_op("prim::device", a, f, e.loc);
      return unsupported(f, e.loc, "attribute '." + e.attr + "' of a " + base.value->type()->str());
    }
    case SugaredValue::Kind::builtin:
      // A context object's __init__ (call_builtin checks its arguments).
      if (is_context_class(base.path) && e.attr == "__init__")
        return SugaredValue::names(base.path + ".__init__", SugaredValue::Kind::builtin);
      fail(f, e.loc, "'" + dotted_name(e) + "' is not supported");
    case SugaredValue::Kind::poison: return base;
    default: fail(f, e.loc, "'" + dotted_name(e) + "' is not supported");
  }
}

std::string Emitter::dict_key(const ts::Expr& key, Frame& f) {
  ir::Value* k = emit_value(key, f);
  const ir::AttrValue* a = ir::constant_attr(k);
  if (const int64_t* i = a ? std::get_if<int64_t>(a) : nullptr) return int_dict_key(*i);
  const std::string* s = a ? std::get_if<std::string>(a) : nullptr;
  if (!s) fail(f, key.loc, "dict keys must be strings or ints known when compiling");
  return *s;
}

SugaredValue Emitter::emit_subscript(const ts::SubscriptExpr& e, Frame& f) {
  SugaredValue base = emit_expr(*e.value, f);
  if (base.is_poison()) return base;
  if (base.kind == SugaredValue::Kind::dict) {
    if (e.indices.size() != 1) fail(f, e.loc, "a dict takes one key");
    const std::string key = dict_key(*e.indices[0], f);
    auto it = std::find(base.keys.begin(), base.keys.end(), key);
    if (it == base.keys.end()) fail(f, e.loc, "the dict has no key " + shown_dict_key(key));
    return base.parts[static_cast<size_t>(it - base.keys.begin())];
  }
  if (base.kind == SugaredValue::Kind::tuple || (base.is_value() && base.value->type()->kind() == ir::TypeKind::Tuple)) {
    if (e.indices.size() != 1) fail(f, e.loc, "a tuple takes one index");
    ir::Value* idx = emit_value(*e.indices[0], f);
    auto i = ir::constant_int(idx);
    if (!i) fail(f, e.loc, "tuple indices must be constant integers");
    if (base.kind == SugaredValue::Kind::tuple) {
      int64_t n = static_cast<int64_t>(base.parts.size());
      int64_t k = *i < 0 ? *i + n : *i;
      if (k < 0 || k >= n) fail(f, e.loc, "tuple index " + std::to_string(*i) + " is out of range");
      return base.parts[static_cast<size_t>(k)];
    }
    ir::Value* t = base.value;
    if (t->node()->is("prim::TupleConstruct")) {
      int64_t n = static_cast<int64_t>(t->node()->num_inputs());
      int64_t k = *i < 0 ? *i + n : *i;
      if (k < 0 || k >= n) fail(f, e.loc, "tuple index " + std::to_string(*i) + " is out of range");
      return SugaredValue::of(t->node()->input(static_cast<size_t>(k)));
    }
    set_source(f, e.loc);
    return SugaredValue::of(builder_->op("prim::TupleIndex", {t, idx}));
  }
  ir::Value* v = as_value(base, f, e.loc);
  if (v->type()->kind() == ir::TypeKind::List) {
    if (e.indices.size() != 1 || e.indices[0]->is<ts::SliceExpr>())
      fail(f, e.loc, "only single-element list indexing is supported");
    CallArgs a;
    a.positional = {SugaredValue::of(v), emit_expr(*e.indices[0], f)};
    return call_op("aten::__getitem__", a, f, e.loc);
  }
  if (v->type()->is_tensor()) return emit_tensor_index(v, e, f);
  fail(f, e.loc, "cannot index a value of type " + v->type()->str());
}

SugaredValue Emitter::emit_tensor_index(ir::Value* tensor, const ts::SubscriptExpr& e, Frame& f) {
  using ir::Type;
  std::vector<const ts::Expr*> idx;
  for (const auto& i : e.indices) {
    if (const auto* t = i->get_if<ts::TupleExpr>())
      for (const auto& x : t->elts) idx.push_back(x.get());
    else
      idx.push_back(i.get());
  }
  // Dims count from the front until an ellipsis, then from the back.
  size_t after_ellipsis = 0;
  bool seen_ellipsis = false;
  for (const ts::Expr* i : idx) {
    if (i->is<ts::EllipsisExpr>()) {
      if (seen_ellipsis) fail(f, e.loc, "an index can have only one ellipsis");
      seen_ellipsis = true;
    } else if (seen_ellipsis && !i->is<ts::NoneExpr>()) {
      ++after_ellipsis;
    }
  }
  SugaredValue cur = SugaredValue::of(tensor);
  int64_t dim = 0;
  bool from_back = false;
  for (const ts::Expr* i : idx) {
    auto dim_value = [&] { return SugaredValue::of(constant(from_back ? dim - static_cast<int64_t>(after_ellipsis) : dim, Type::int_())); };
    CallArgs a;
    if (i->is<ts::EllipsisExpr>()) {
      from_back = true;
      dim = 0;
      continue;
    }
    if (i->is<ts::NoneExpr>()) {
      a.positional = {cur, dim_value()};
      cur = call_op("aten::unsqueeze", a, f, i->loc);
      ++dim;
      continue;
    }
    if (const auto* s = i->get_if<ts::SliceExpr>()) {
      auto part = [&](const ts::ExprPtr& x, ir::AttrValue dflt, ir::TypePtr t) {
        return x ? emit_expr(*x, f) : SugaredValue::of(constant(std::move(dflt), std::move(t)));
      };
      a.positional = {cur, dim_value(), part(s->lower, ir::NoneValue{}, Type::none()),
                      part(s->upper, ir::NoneValue{}, Type::none()), part(s->step, int64_t{1}, Type::int_())};
      cur = call_op("aten::slice", a, f, i->loc);
      ++dim;
      continue;
    }
    SugaredValue index = emit_expr(*i, f);
    ir::Value* iv = as_value(index, f, i->loc);
    if (iv->type()->kind() == ir::TypeKind::Int) {
      a.positional = {cur, dim_value(), index};
      cur = call_op("aten::select", a, f, i->loc);
      continue;  // the dim disappears
    }
    return unsupported(f, e.loc, "indexing a tensor with a " + iv->type()->str());
  }
  return cur;
}

SugaredValue Emitter::emit_binary(const ts::BinaryExpr& e, Frame& f) {
  SugaredValue lhs = emit_expr(*e.lhs, f);
  SugaredValue rhs = emit_expr(*e.rhs, f);
  if (lhs.is_poison() || rhs.is_poison()) return SugaredValue::poisoned();
  ir::Value* a = as_value(lhs, f, e.lhs->loc);
  ir::Value* b = as_value(rhs, f, e.rhs->loc);
  const bool scalar_tensor = is_scalar(*a->type()) && b->type()->is_tensor();
  CallArgs args;
  args.positional = {SugaredValue::of(a), SugaredValue::of(b)};
  const char* op = nullptr;
  switch (e.op) {
    case ts::BinaryOp::Add: op = "aten::add"; break;
    case ts::BinaryOp::Sub: op = "aten::sub"; break;
    case ts::BinaryOp::Mul: op = "aten::mul"; break;
    case ts::BinaryOp::Div: op = "aten::div"; break;
    case ts::BinaryOp::FloorDiv: op = a->type()->is_tensor() ? "aten::floor_divide" : "aten::floordiv"; break;
    case ts::BinaryOp::Mod: op = "aten::remainder"; break;
    case ts::BinaryOp::Pow: op = "aten::pow"; break;
    case ts::BinaryOp::MatMul: op = "aten::matmul"; break;
    case ts::BinaryOp::BitAnd: op = "aten::__and__"; break;
    case ts::BinaryOp::BitOr: op = "aten::__or__"; break;
    case ts::BinaryOp::BitXor: op = "aten::__xor__"; break;
    case ts::BinaryOp::LShift: op = "aten::__lshift__"; break;
    case ts::BinaryOp::RShift: op = "aten::__rshift__"; break;
    default: return unsupported(f, e.loc, std::string("operator ") + ts::op_spelling(e.op));
  }
  if (scalar_tensor) {
    // A scalar on the left: commute, or use the reversed op.
    if (e.op == ts::BinaryOp::Add || e.op == ts::BinaryOp::Mul) {
      std::swap(args.positional[0], args.positional[1]);
    } else if (e.op == ts::BinaryOp::Sub) {
      std::swap(args.positional[0], args.positional[1]);
      op = "aten::rsub";
    } else if (e.op == ts::BinaryOp::Div) {
      CallArgs r;
      r.positional = {args.positional[1]};
      SugaredValue inv = call_op("aten::reciprocal", r, f, e.loc);
      args.positional = {inv, args.positional[0]};
      op = "aten::mul";
    } else if (e.op != ts::BinaryOp::Pow) {
      return unsupported(f, e.loc, std::string("scalar ") + ts::op_spelling(e.op) + " tensor");
    }
  }
  return call_op(op, args, f, e.loc);
}

SugaredValue Emitter::emit_compare(const ts::CompareExpr& e, Frame& f) {
  SugaredValue result;
  SugaredValue left = emit_expr(*e.left, f);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    SugaredValue right = emit_expr(*e.comparators[i], f);
    const char* op = nullptr;
    switch (e.ops[i]) {
      case ts::CompareOp::Eq: op = "aten::eq"; break;
      case ts::CompareOp::NotEq: op = "aten::ne"; break;
      case ts::CompareOp::Lt: op = "aten::lt"; break;
      case ts::CompareOp::LtE: op = "aten::le"; break;
      case ts::CompareOp::Gt: op = "aten::gt"; break;
      case ts::CompareOp::GtE: op = "aten::ge"; break;
      case ts::CompareOp::Is: op = "aten::__is__"; break;
      case ts::CompareOp::IsNot: op = "aten::__isnot__"; break;
      default: return unsupported(f, e.loc, std::string("operator ") + ts::op_spelling(e.ops[i]));
    }
    CallArgs a;
    a.positional = {left, right};
    SugaredValue r = call_op(op, a, f, e.loc);
    if (i == 0) {
      result = r;
    } else {
      CallArgs both;
      both.positional = {result, r};
      result = call_op("aten::__and__", both, f, e.loc);
    }
    left = right;
  }
  return result;
}

SugaredValue Emitter::emit_short_circuit(const ts::Expr& lhs, const ts::Expr& rhs, bool is_and, Frame& f,
                                         const SourceLocation& loc) {
  ir::Value* a = as_condition(emit_expr(lhs, f), f, lhs.loc);
  if (auto c = ir::constant_bool(a)) {
    if (*c != is_and) return SugaredValue::of(a);  // false and ..., true or ...
    return SugaredValue::of(as_condition(emit_expr(rhs, f), f, rhs.loc));
  }
  ir::Node* node = builder_->create("prim::If", {a}, {});
  ir::Node* after = builder_->insertion_point();
  ir::Block* evaluate = node->add_block();
  ir::Block* shortcut = node->add_block();
  if (!is_and) std::swap(evaluate, shortcut);  // for `or`, the then-branch is the shortcut
  builder_->set_insertion_point_to_end(evaluate);
  Frame inner = f;
  evaluate->add_result(as_condition(emit_expr(rhs, inner), inner, rhs.loc));
  builder_->set_insertion_point_to_end(shortcut);
  shortcut->add_result(constant(!is_and, ir::Type::bool_()));
  builder_->set_insertion_point(after);
  (void)loc;
  return SugaredValue::of(node->add_output(ir::Type::bool_()));
}

SugaredValue Emitter::emit_conditional(const ts::ConditionalExpr& e, Frame& f) {
  ir::Value* c = as_condition(emit_expr(*e.cond, f), f, e.cond->loc);
  if (auto k = ir::constant_bool(c)) return emit_expr(*k ? *e.then_value : *e.else_value, f);
  ir::Node* node = builder_->create("prim::If", {c}, {});
  ir::Node* after = builder_->insertion_point();
  ir::Value* vals[2];
  const ts::Expr* exprs[2] = {e.then_value.get(), e.else_value.get()};
  for (int i = 0; i < 2; ++i) {
    builder_->set_insertion_point_to_end(node->add_block());
    Frame inner = f;
    vals[i] = emit_value(*exprs[i], inner);
  }
  ir::TypePtr t = ir::unify(vals[0]->type(), vals[1]->type());
  for (int i = 0; i < 2; ++i) node->block(i)->add_result(vals[i]);
  builder_->set_insertion_point(after);
  return SugaredValue::of(node->add_output(t));
}

SugaredValue Emitter::emit_list(const std::vector<ts::ExprPtr>& elts, Frame& f, const SourceLocation& loc,
                                ir::TypePtr declared) {
  std::vector<SugaredValue> parts;
  for (const auto& x : elts) {
    parts.push_back(emit_expr(*x, f));
    if (parts.back().is_poison()) return parts.back();
  }
  // A list of torch's C++ class objects (a recurrent layer's cell
  // parameters) exists only while emitting.
  if (!parts.empty() && is_bound_class_object(parts[0])) return object_list(std::move(parts), f, loc);
  std::vector<ir::Value*> items;
  ir::TypePtr elem;
  for (size_t i = 0; i < parts.size(); ++i) {
    items.push_back(as_value(parts[i], f, elts[i]->loc));
    elem = elem ? ir::unify(elem, items.back()->type()) : items.back()->type();
  }
  if (declared) {
    if (declared->kind() != ir::TypeKind::List) fail(f, loc, "a list annotated as " + declared->str());
    for (ir::Value* v : items)
      if (!declared->element()->accepts(*v->type()))
        fail(f, loc, "list element of type " + v->type()->str() + " in a " + declared->str());
  }
  // Tensor element types are kept general: shapes of list elements are
  // tracked on the elements themselves.
  if (elem && elem->is_tensor()) elem = ir::Type::tensor();
  if (elem && elem->kind() == ir::TypeKind::Optional && elem->element()->is_tensor())
    elem = ir::Type::optional(ir::Type::tensor());
  ir::TypePtr type = declared ? declared : ir::Type::list(elem ? elem : ir::Type::any());
  set_source(f, loc);
  return SugaredValue::of(builder_->create("prim::ListConstruct", items, {type})->output());
}

}  // namespace wick
