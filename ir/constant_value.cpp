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

}  // namespace wick::ir
