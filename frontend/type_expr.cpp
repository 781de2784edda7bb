#include "frontend/type_expr.h"

namespace wick {

namespace {

std::string dotted(const ts::Expr& e) {
  if (const auto* n = e.get_if<ts::NameExpr>()) return n->id;
  if (const auto* a = e.get_if<ts::AttributeExpr>()) {
    std::string base = dotted(*a->value);
    return base.empty() ? std::string() : base + "." + a->attr;
  }
  return {};
}

}  // namespace

bool is_class_annotation(const ts::Expr& e) { return dotted(e).rfind("__torch__.", 0) == 0; }

ir::TypePtr type_from_annotation(const ts::Expr& e, const ts::SourceFile& file) {
  using ir::Type;
  if (e.is<ts::NoneExpr>()) return Type::none();
  if (const auto* s = e.get_if<ts::SubscriptExpr>()) {
    const std::string head = dotted(*s->value);
    std::vector<const ts::Expr*> args;
    for (const auto& i : s->indices) {
      if (const auto* t = i->get_if<ts::TupleExpr>())
        for (const auto& x : t->elts) args.push_back(x.get());
      else
        args.push_back(i.get());
    }
    auto one = [&]() -> const ts::Expr& {
      if (args.size() != 1) throw file.error(e.loc, head + "[...] takes one type");
      return *args[0];
    };
    if (head == "Optional") return Type::optional(type_from_annotation(one(), file));
    if (head == "List") return Type::list(type_from_annotation(one(), file));
    if (head == "Final") return type_from_annotation(one(), file);
    // A fork's call runs where the fork is: its future is its result.
    if (head == "Future") return type_from_annotation(one(), file);
    if (head == "Tuple") {
      std::vector<ir::TypePtr> elems;
      for (const ts::Expr* a : args) {
        // Tuple[()] is the empty tuple.
        if (const auto* t = a->get_if<ts::TupleExpr>(); t && t->elts.empty()) continue;
        elems.push_back(type_from_annotation(*a, file));
      }
      return Type::tuple(std::move(elems));
    }
    throw file.error(e.loc, "unsupported type " + head + "[...]");
  }
  const std::string name = dotted(e);
  if (name == "Tensor" || name == "torch.Tensor") return Type::tensor();
  if (name == "int") return Type::int_();
  if (name == "float") return Type::float_();
  if (name == "bool") return Type::bool_();
  if (name == "str") return Type::string_();
  if (name == "NoneType") return Type::none();
  if (name == "Device" || name == "torch.device") return Type::device();
  if (name == "number" || name == "Scalar") return Type::number();
  if (name == "Any") return Type::any();
  if (name.empty()) throw file.error(e.loc, "malformed type annotation");
  throw file.error(e.loc, "unsupported type " + name);
}

}  // namespace wick
