#include "frontend/module_setstate.h"

#include <map>
#include <set>
#include <vector>

#include "frontend/packed_convolution.h"
#include "support/error.h"

namespace wick {
namespace {

constexpr int kMaxDepth = 200;

[[noreturn]] void fail(const std::string& cls, const SourceLocation& loc, const std::string& what) {
  throw Error("cannot read the saved state of " + cls + ": " + what, loc);
}

// `(state)[i]` with `state` the method's parameter: i, else -1.
int64_t state_index(const ts::Expr& e, const std::string& state) {
  const auto* s = e.get_if<ts::SubscriptExpr>();
  if (!s || s->indices.size() != 1) return -1;
  const auto* name = s->value->get_if<ts::NameExpr>();
  const auto* index = s->indices[0]->get_if<ts::IntExpr>();
  return name && index && name->id == state ? index->value : -1;
}

const PickleValue& element(const PickleValue& tuple, int64_t i, const std::string& cls, const SourceLocation& loc) {
  if (i < 0 || static_cast<size_t>(i) >= tuple.elements().size())
    fail(cls, loc, "its __setstate__ reads element " + std::to_string(i) + " of a state of " +
                       std::to_string(tuple.elements().size()));
  return tuple.elements()[static_cast<size_t>(i)];
}

// An int, or a tuple/list of ints, as `n` ints.
std::vector<int64_t> ints(const PickleValue* v, size_t n, const char* field, const std::string& cls,
                          const SourceLocation& loc) {
  if (!v) fail(cls, loc, std::string("its packed weight needs '") + field + "', which its state does not set");
  std::vector<int64_t> items;
  if (v->is(PickleValue::Kind::integer)) {
    items.assign(n, v->to_int());
  } else if (v->is(PickleValue::Kind::tuple) || v->is(PickleValue::Kind::list)) {
    for (const PickleValue& e : v->elements()) {
      if (!e.is(PickleValue::Kind::integer)) fail(cls, loc, std::string("'") + field + "' must hold ints");
      items.push_back(e.to_int());
    }
  } else {
    fail(cls, loc, std::string("'") + field + "' must be ints, got " + v->repr(60));
  }
  if (items.size() != n)
    fail(cls, loc, std::string("'") + field + "' must hold " + std::to_string(n) + " ints, got " + v->repr(60));
  return items;
}

// The packed weight set_weight_bias(w, b) makes from the attributes read so far.
PickleValue packed_convolution(const PickleValue& attrs, const PickleValue& w, const PickleValue& b,
                               const std::string& cls, const SourceLocation& loc) {
  if (!w.is(PickleValue::Kind::tensor) || !w.quantized())
    fail(cls, loc, "its weight must be a quantized tensor, got " + w.repr(60));
  const int64_t rank = w.quantized()->values.dim();
  if (rank != 3 && rank != 4)
    fail(cls, loc, "only 1-d and 2-d quantized convolutions are supported, got a weight of rank " +
                       std::to_string(rank));
  const PickleValue* transposed = attrs.find("transposed");
  if (transposed && transposed->is(PickleValue::Kind::boolean) && transposed->to_bool())
    fail(cls, loc, "transposed quantized convolutions are not supported");
  const size_t n = static_cast<size_t>(rank - 2);
  const PickleValue* mode = attrs.find("padding_mode");
  const bool zeros = !mode || (mode->is(PickleValue::Kind::string) && mode->to_str() == "zeros");
  const PickleValue* groups = attrs.find("groups");
  if (!groups || !groups->is(PickleValue::Kind::integer)) fail(cls, loc, "its packed weight needs an int 'groups'");
  ConvolutionSettings settings{ints(attrs.find("stride"), n, "stride", cls, loc),
                               zeros ? ints(attrs.find("padding"), n, "padding", cls, loc)
                                     : std::vector<int64_t>(n, 0),
                               ints(attrs.find("dilation"), n, "dilation", cls, loc), groups->to_int()};
  return packed_convolution_state(w, b, settings, cls, loc);
}

void read_one(PickleValue& object, const CodeIndex::Class& c, const ts::FunctionDef& setstate) {
  const std::string& cls = c.name;
  if (setstate.params.size() != 2) fail(cls, setstate.loc, "its __setstate__ must take (self, state)");
  const std::string self = setstate.params[0].name, state_name = setstate.params[1].name;
  const PickleValue state = object.state();
  PickleValue attrs = PickleValue::dict();
  for (const ts::StmtPtr& stmt : setstate.body) {
    if (const auto* r = stmt->get_if<ts::ReturnStmt>()) {
      if (r->value && !r->value->get_if<ts::NoneExpr>()) fail(cls, stmt->loc, "its __setstate__ returns a value");
      break;
    }
    const auto* assign = stmt->get_if<ts::AssignStmt>();
    if (!assign || !assign->value) fail(cls, stmt->loc, "its __setstate__ does more than assign attributes");
    const auto* target = assign->target->get_if<ts::AttributeExpr>();
    const auto* target_self = target ? target->value->get_if<ts::NameExpr>() : nullptr;
    if (target_self && target_self->id == self) {
      const int64_t i = state_index(*assign->value, state_name);
      if (i < 0) fail(cls, stmt->loc, "its __setstate__ assigns self." + target->attr + " from other than the state");
      attrs.set_item(PickleValue::string(target->attr), element(state, i, cls, stmt->loc));
      continue;
    }
    // `_0 = (self).set_weight_bias((state)[i], (state)[j], )`
    const auto* call = assign->value->get_if<ts::CallExpr>();
    const auto* method = call ? call->func->get_if<ts::AttributeExpr>() : nullptr;
    const auto* on = method ? method->value->get_if<ts::NameExpr>() : nullptr;
    if (!on || on->id != self || method->attr != "set_weight_bias" || call->args.size() != 2 ||
        !call->keywords.empty())
      fail(cls, stmt->loc, "its __setstate__ does more than assign attributes and call set_weight_bias");
    const PickleValue& w = element(state, state_index(*call->args[0], state_name), cls, stmt->loc);
    const PickleValue& b = element(state, state_index(*call->args[1], state_name), cls, stmt->loc);
    attrs.set_item(PickleValue::string("_packed_params"), packed_convolution(attrs, w, b, cls, stmt->loc));
  }
  object.set_state(std::move(attrs));
}

void visit(PickleValue& object, const CodeIndex& code, const SourceLocation& file, std::set<const void*>& seen,
           int depth) {
  if (depth > kMaxDepth || !object.is(PickleValue::Kind::object) || !seen.insert(object.identity()).second) return;
  read_saved_packed_convolution(object, file);
  if (object.state().is(PickleValue::Kind::tuple)) {
    const CodeIndex::Class* c = code.find_class(object.class_name());
    if (!c) return;
    const auto setstate = code.method(*c, "__setstate__");
    if (!setstate) return;
    read_one(object, *c, *setstate->def);
  }
  if (!object.state().is(PickleValue::Kind::dict)) return;
  for (const auto& [key, value] : object.state().dict_items()) {
    PickleValue child = value;  // a handle on the same object
    visit(child, code, file, seen, depth + 1);
  }
}

}  // namespace

void read_setstate_tuples(PickleValue& root, const CodeIndex& code, const SourceLocation& file) {
  std::set<const void*> seen;
  visit(root, code, file, seen, 0);
}

}  // namespace wick
