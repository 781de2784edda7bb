#include "frontend/op_matcher.h"

#include "ir/constant_value.h"

namespace wick {

namespace {

enum class Fit { exact, convertible, none };

// How a value fits a schema argument.
Fit fit(const ir::Value* v, const ir::SchemaArg& arg) {
  const ir::Type& want = *arg.type;
  const ir::Type& got = *v->type();
  if (want.accepts(got)) return Fit::exact;
  const ir::Type& base = want.kind() == ir::TypeKind::Optional ? *want.element() : want;
  if (base.kind() == ir::TypeKind::Float && got.kind() == ir::TypeKind::Int && ir::constant_int(v))
    return Fit::convertible;
  if (base.kind() == ir::TypeKind::List) {
    if (arg.fixed_list_size > 0 && base.element()->accepts(got)) return Fit::convertible;
    if (got.kind() == ir::TypeKind::List && v->node()->is("prim::ListConstruct")) {
      // A list literal whose elements fit (e.g. an empty list, or ints for floats).
      for (const ir::Value* e : v->node()->inputs())
        if (!base.element()->accepts(*e->type())) return Fit::none;
      return Fit::convertible;
    }
  }
  return Fit::none;
}

ir::Value* convert(ir::Value* v, const ir::SchemaArg& arg, ir::Builder& b) {
  const ir::Type& want = *arg.type;
  if (want.accepts(*v->type())) return v;
  const ir::TypePtr base = want.kind() == ir::TypeKind::Optional ? want.element() : arg.type;
  if (base->kind() == ir::TypeKind::Float) return b.constant_float(static_cast<double>(*ir::constant_int(v)));
  if (v->type()->kind() != ir::TypeKind::List) {
    std::vector<ir::Value*> copies(static_cast<size_t>(arg.fixed_list_size), v);
    return b.create("prim::ListConstruct", copies, {base})->output();
  }
  return b.create("prim::ListConstruct", v->node()->inputs(), {base})->output();
}

ir::TypePtr default_type(const ir::AttrValue& v, const ir::TypePtr& declared) {
  using ir::Type;
  if (std::holds_alternative<ir::NoneValue>(v)) return Type::none();
  if (std::holds_alternative<bool>(v)) return Type::bool_();
  if (std::holds_alternative<int64_t>(v)) {
    const ir::Type& base = declared->kind() == ir::TypeKind::Optional ? *declared->element() : *declared;
    return base.kind() == ir::TypeKind::Float ? Type::float_() : Type::int_();
  }
  if (std::holds_alternative<double>(v)) return Type::float_();
  if (std::holds_alternative<std::string>(v)) return Type::string_();
  if (std::holds_alternative<std::vector<double>>(v)) return Type::list(Type::float_());
  return Type::list(Type::int_());
}

ir::Value* default_value(const ir::SchemaArg& arg, ir::Builder& b) {
  ir::AttrValue v = *arg.default_value;
  ir::TypePtr t = default_type(v, arg.type);
  if (t->kind() == ir::TypeKind::Float)
    if (auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
  return b.constant(std::move(v), t);
}

// Binds the call to one schema; returns the argument for each schema slot
// (null where the default applies) or nullopt with a reason.
std::optional<std::vector<ir::Value*>> bind(const ir::Schema& s, const OpCall& call, std::string* why,
                                            std::vector<ir::Value*>* extra) {
  std::vector<ir::Value*> slots(s.args.size(), nullptr);
  size_t positional_slots = 0;
  while (positional_slots < s.args.size() && !s.args[positional_slots].keyword_only) ++positional_slots;
  if (call.positional.size() > positional_slots && !s.variadic_args) {
    *why = "takes " + std::to_string(positional_slots) + " positional arguments, got " +
           std::to_string(call.positional.size());
    return std::nullopt;
  }
  for (size_t i = 0; i < call.positional.size(); ++i) {
    if (i < positional_slots) slots[i] = call.positional[i];
    else extra->push_back(call.positional[i]);
  }
  for (const auto& [name, v] : call.keywords) {
    size_t k = 0;
    while (k < s.args.size() && s.args[k].name != name) ++k;
    if (k == s.args.size()) {
      *why = "has no argument named '" + name + "'";
      return std::nullopt;
    }
    if (slots[k]) {
      *why = "got argument '" + name + "' twice";
      return std::nullopt;
    }
    slots[k] = v;
  }
  for (size_t k = 0; k < s.args.size(); ++k) {
    if (!slots[k] && !s.args[k].default_value) {
      *why = "is missing argument '" + s.args[k].name + "'";
      return std::nullopt;
    }
  }
  return slots;
}

}  // namespace

std::string describe_call(const OpCall& call) {
  std::string s = "(";
  for (size_t i = 0; i < call.positional.size(); ++i) s += (i ? ", " : "") + call.positional[i]->type()->str();
  for (size_t i = 0; i < call.keywords.size(); ++i)
    s += (i || !call.positional.empty() ? ", " : "") + call.keywords[i].first + "=" + call.keywords[i].second->type()->str();
  return s + ")";
}

std::optional<MatchedOp> match_op(const std::vector<const ir::OpDef*>& overloads, const OpCall& call,
                                  ir::Builder& b, std::string* why) {
  for (Fit allowed : {Fit::exact, Fit::convertible}) {
    for (const ir::OpDef* op : overloads) {
      std::string reason;
      std::vector<ir::Value*> extra;
      auto slots = bind(op->schema, call, &reason, &extra);
      if (!slots) {
        if (why->empty()) *why = op->name + " " + reason;
        continue;
      }
      bool ok = true;
      for (size_t k = 0; k < slots->size() && ok; ++k) {
        if (!(*slots)[k]) continue;
        Fit got = fit((*slots)[k], op->schema.args[k]);
        if (got == Fit::none || (got == Fit::convertible && allowed == Fit::exact)) {
          ok = false;
          if (got == Fit::none && why->empty())
            *why = op->name + " wants " + op->schema.args[k].type->str() + " for '" + op->schema.args[k].name +
                   "', got " + (*slots)[k]->type()->str();
        }
      }
      if (!ok) continue;
      MatchedOp m;
      m.op = op;
      for (size_t k = 0; k < slots->size(); ++k) {
        const ir::SchemaArg& arg = op->schema.args[k];
        m.inputs.push_back((*slots)[k] ? convert((*slots)[k], arg, b) : default_value(arg, b));
      }
      m.inputs.insert(m.inputs.end(), extra.begin(), extra.end());
      return m;
    }
  }
  return std::nullopt;
}

}  // namespace wick
