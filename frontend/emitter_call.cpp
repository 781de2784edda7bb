// Calls: aten/prim ops matched against the op table, TorchScript functions
// and methods inlined, and the Python builtins TorchScript code uses.
#include <algorithm>
#include <cmath>
#include <limits>

#include "frontend/emitter_impl.h"
#include "frontend/op_matcher.h"
#include "frontend/string_methods.h"
#include "frontend/type_expr.h"
#include "ir/constant_value.h"
#include "ir/nested_tensor.h"

namespace wick {

namespace {
constexpr int kMaxInlineDepth = 64;

// "torch.add" -> "aten::add"; "ops.prim.NumToTensor" -> "prim::NumToTensor".
std::string op_name_of(const std::string& path) {
  if (path.rfind("torch.", 0) == 0 && path.find('.', 6) == std::string::npos) return "aten::" + path.substr(6);
  if (path.rfind("ops.", 0) == 0) {
    size_t dot = path.find('.', 4);
    if (dot != std::string::npos && path.find('.', dot + 1) == std::string::npos)
      return path.substr(4, dot - 4) + "::" + path.substr(dot + 1);
  }
  return {};
}
}  // namespace

CallArgs Emitter::emit_args(const ts::CallExpr& e, Frame& f) {
  CallArgs a;
  for (const auto& x : e.args) a.positional.push_back(emit_expr(*x, f));
  for (const auto& k : e.keywords) a.keywords.emplace_back(k.name, emit_expr(*k.value, f));
  return a;
}

SugaredValue Emitter::emit_call(const ts::CallExpr& e, Frame& f) {
  SugaredValue callee = emit_expr(*e.func, f);
  switch (callee.kind) {
    case SugaredValue::Kind::builtin: return call_builtin(callee.path, e, f);
    case SugaredValue::Kind::function: {
      CallArgs a = emit_args(e, f);
      SugaredValue self = SugaredValue::module_object(callee.object, callee.path);
      return call_function(*callee.function, callee.object ? &self : nullptr, a, f, e.loc, callee.closure.get());
    }
    case SugaredValue::Kind::name_path: {
      if (callee.path.rfind("__torch__.", 0) == 0) {
        // A context object (torch.no_grad(), record_function(...)), as
        // scripts save it: the object, then its __init__.
        const std::string new_suffix = ".__new__";
        if (callee.path.size() > new_suffix.size() &&
            callee.path.compare(callee.path.size() - new_suffix.size(), new_suffix.size(), new_suffix) == 0) {
          const std::string cls = callee.path.substr(0, callee.path.size() - new_suffix.size());
          if (is_context_class(cls)) return SugaredValue::names(cls, SugaredValue::Kind::builtin);
          if (const CodeIndex::Class* c = code_.find_class(cls)) return make_object(*c, f, e.loc);
        }
        const CodeIndex::Function* fn = code_.find_function(callee.path);
        if (!fn)
          if (const CodeIndex::Class* c = code_.find_class(callee.path)) return named_tuple(*c, emit_args(e, f), f, e.loc);
        if (!fn) fail(f, e.loc, "no TorchScript function named " + callee.path);
        CallArgs a = emit_args(e, f);
        return call_function(*fn, nullptr, a, f, e.loc);
      }
      std::string op = op_name_of(callee.path);
      CallArgs a = emit_args(e, f);
      if (op == "aten::wait" && a.positional.size() == 1 && a.keywords.empty()) return a.positional[0];
      if (auto d = dict_call(op, e, a, f)) return *d;
      if (auto l = list_call(op, a, f, e.loc)) return *l;
      if (op.empty()) return unsupported(f, e.loc, callee.path);
      return call_op(op, a, f, e.loc);
    }
    case SugaredValue::Kind::poison: return callee;
    default: fail(f, e.loc, "'" + dotted_name(*e.func) + "' is not callable");
  }
}

std::optional<SugaredValue> Emitter::dict_call(const std::string& name, const ts::CallExpr& e, const CallArgs& args,
                                               Frame& f) {
  if (name == "aten::dict" && args.positional.empty() && args.keywords.empty())
    return SugaredValue::dict_of({}, {});
  if (args.positional.empty() || args.positional[0].kind != SugaredValue::Kind::dict) return std::nullopt;
  const SugaredValue& d = args.positional[0];
  if (name == "aten::len" && args.positional.size() == 1)
    return SugaredValue::of(constant(static_cast<int64_t>(d.keys.size()), ir::Type::int_()));
  if (name == "aten::__contains__" && args.positional.size() == 2) {
    const std::string key = dict_key(*e.args[1], f);
    return SugaredValue::of(constant(std::find(d.keys.begin(), d.keys.end(), key) != d.keys.end(), ir::Type::bool_()));
  }
  if (name == "aten::_set_item" && args.positional.size() == 3) {
    // The dict a variable names, updated: the variable is rebound.
    const auto* target = e.args[0]->get_if<ts::NameExpr>();
    if (!target) fail(f, e.loc, "_set_item needs a dict variable");
    SugaredValue updated = d;
    const std::string key = dict_key(*e.args[1], f);
    auto it = std::find(updated.keys.begin(), updated.keys.end(), key);
    if (it == updated.keys.end()) {
      updated.keys.push_back(key);
      updated.parts.push_back(args.positional[2]);
    } else {
      updated.parts[static_cast<size_t>(it - updated.keys.begin())] = args.positional[2];
    }
    f.env[target->id] = updated;
    return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  }
  fail(f, e.loc, name + " on a dict is not supported");
}

std::optional<SugaredValue> Emitter::list_call(const std::string& name, const CallArgs& args, Frame& f,
                                               const SourceLocation& loc) {
  const bool copy = name == "aten::copy" && args.positional.size() == 1;
  const bool set_item = name == "aten::_set_item" && args.positional.size() == 3;
  if ((!copy && !set_item) || !args.positional[0].is_value()) return std::nullopt;
  ir::Value* list = args.positional[0].value;
  const ir::TypePtr& type = list->type();
  if (type->kind() != ir::TypeKind::List) return std::nullopt;
  auto elements = list_items(list);
  set_source(f, loc);
  ir::Value* result = nullptr;
  if (!elements) {
    // A list only the compiled graph will know (`list(x.size())`): an op
    // that canonicalize folds once the list is built there, and a copy
    // that is another value, which the op's rebinding below leaves alone.
    if (copy) return SugaredValue::of(builder_->op("aten::list.t", {list}));
    result = builder_->op("aten::_set_item.t", {list, as_value(args.positional[1], f, loc), as_value(args.positional[2], f, loc)});
  }
  std::vector<ir::Value*> items = elements ? std::move(*elements) : std::vector<ir::Value*>{};
  if (set_item && elements) {
    auto index = ir::constant_int(as_value(args.positional[1], f, loc));
    if (!index) fail(f, loc, "list item assignment needs an index known when compiling", name);
    const int64_t n = static_cast<int64_t>(items.size());
    if (*index < -n || *index >= n)
      fail(f, loc, "list assignment index " + std::to_string(*index) + " out of range for a list of " +
                       std::to_string(n), name);
    items[static_cast<size_t>(*index < 0 ? *index + n : *index)] = as_value(args.positional[2], f, loc);
  }
  // A new list value: a copy is another object, which _set_item rebinds.
  if (!result) result = builder_->create("prim::ListConstruct", items, {type})->output();
  if (set_item) {
    std::set<Frame*> frames(frames_.begin(), frames_.end());
    frames.insert(&f);
    for (Frame* frame : frames)
      for (auto& [var, binding] : frame->env)
        if (binding.is_value() && binding.value == list) binding = SugaredValue::of(result);
  }
  return SugaredValue::of(result);
}

std::optional<std::vector<ir::Value*>> Emitter::list_items(ir::Value* list) {
  if (list->type()->kind() != ir::TypeKind::List) return std::nullopt;
  if (list->node()->is("prim::ListConstruct")) return list->node()->inputs();
  const ir::AttrValue* a = ir::constant_attr(list);
  if (!a) return std::nullopt;
  const ir::TypePtr& element = list->type()->element();
  return std::visit(
      [&](const auto& xs) -> std::optional<std::vector<ir::Value*>> {
        using T = std::decay_t<decltype(xs)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<double>> ||
                      std::is_same_v<T, std::vector<bool>> || std::is_same_v<T, std::vector<std::string>>) {
          std::vector<ir::Value*> items;
          for (const auto& x : xs) items.push_back(constant(static_cast<typename T::value_type>(x), element));
          return items;
        } else {
          return std::nullopt;
        }
      },
      *a);
}

// A NamedTuple class (`class GoogLeNetOutputs(NamedTuple)` with annotated
// fields) called as a constructor: a tuple of the fields in order.
SugaredValue Emitter::named_tuple(const CodeIndex::Class& cls, const CallArgs& args, Frame& f,
                                  const SourceLocation& loc) {
  bool is_named_tuple = false;
  for (const ts::ExprPtr& b : cls.def->bases)
    if (const auto* n = b->get_if<ts::NameExpr>(); n && n->id == "NamedTuple") is_named_tuple = true;
  if (!is_named_tuple) fail(f, loc, "constructing objects of class " + cls.name + " is not supported");
  std::vector<std::string> fields;
  for (const ts::StmtPtr& st : cls.def->body)
    if (const auto* a = st->get_if<ts::AssignStmt>(); a && !a->value)
      if (const auto* n = a->target->get_if<ts::NameExpr>()) fields.push_back(n->id);
  if (args.positional.size() > fields.size())
    fail(f, loc, cls.name + " takes " + std::to_string(fields.size()) + " fields, got " +
                     std::to_string(args.positional.size()));
  std::vector<SugaredValue> parts(args.positional.begin(), args.positional.end());
  parts.resize(fields.size(), SugaredValue::poisoned());
  std::vector<bool> given(fields.size(), false);
  for (size_t i = 0; i < args.positional.size(); ++i) given[i] = true;
  for (const auto& [name, value] : args.keywords) {
    auto it = std::find(fields.begin(), fields.end(), name);
    if (it == fields.end()) fail(f, loc, cls.name + " has no field '" + name + "'");
    parts[static_cast<size_t>(it - fields.begin())] = value;
    given[static_cast<size_t>(it - fields.begin())] = true;
  }
  for (size_t i = 0; i < fields.size(); ++i)
    if (!given[i]) fail(f, loc, cls.name + ": field '" + fields[i] + "' is not given");
  return SugaredValue::tuple_of(std::move(parts));
}

SugaredValue Emitter::call_op(const std::string& base_name, const CallArgs& args, Frame& f, const SourceLocation& loc) {
  if (base_name == "aten::append" && !args.positional.empty() &&
      args.positional[0].kind == SugaredValue::Kind::object_list)
    return append_object(args, f, loc);
  OpCall call;
  bool poisoned = false;
  for (const SugaredValue& a : args.positional) {
    if (is_bound_class_object(a)) {
      for (ir::Value* v : bound_class_state(a, f, loc)) call.positional.push_back(v);
      continue;
    }
    if (a.kind == SugaredValue::Kind::object_list) {
      RecurrentCellParameters cells = recurrent_cell_parameters(a, f, loc);
      call.positional.push_back(cells.tensors);
      call.keywords.emplace_back("reduce_range", cells.reduce_range);
      continue;
    }
    call.positional.push_back(as_value(a, f, loc));
    poisoned |= a.is_poison() || poisoned_.count(call.positional.back());
  }
  for (const auto& [name, a] : args.keywords) {
    call.keywords.emplace_back(name, as_value(a, f, loc));
    poisoned |= a.is_poison() || poisoned_.count(call.keywords.back().second);
  }
  if (auto folded = fold_string_call(base_name, call)) return *folded;
  std::string name = base_name;
  std::vector<const ir::OpDef*> overloads = ir::find_overloads(name);
  // In-place ops (relu_, add_) become their functional forms; every variable
  // bound to the old value is rebound to the result below.
  bool in_place = false;
  if (overloads.empty() && name.size() > 1 && name.back() == '_' && name[name.size() - 2] != '_') {
    name.pop_back();
    // normal_(mean, std) fills self; aten::normal's overloads take the mean as a tensor.
    if (name == "aten::normal") name = "aten::normal_functional";
    overloads = ir::find_overloads(name);
    in_place = !overloads.empty() && !call.positional.empty();
  }
  // append mutates its list: later reads of the list's variable see the result.
  if (name == "aten::append" && !call.positional.empty()) in_place = true;
  if (overloads.empty()) return unsupported(f, loc, name);
  if (poisoned) return SugaredValue::poisoned();  // its cause is already reported

  std::vector<ir::Value*> all = call.positional;
  for (const auto& kw : call.keywords) all.push_back(kw.second);
  if (auto folded = fold_scalar_op(name, all, f)) return *folded;

  set_source(f, loc);
  std::string why;
  auto matched = match_op(overloads, call, *builder_, &why);
  if (!matched) return unsupported(f, loc, name + describe_call(call) + ": " + why);
  ir::Node* n = nullptr;
  try {
    n = builder_->create(*matched->op, matched->inputs);
  } catch (const Error&) {
    // A contradiction (sizes that do not fit) under a condition the inputs
    // may rule out, as F.interpolate's branch for another rank: typed by
    // the schema, checked again once folding has removed the dead branches.
    if (builder_->insertion_point()->owning_block() == graph_->block() || matched->op->schema.variadic_returns) throw;
    std::vector<ir::TypePtr> types;
    for (const ir::SchemaArg& r : matched->op->schema.returns) types.push_back(r.type);
    n = builder_->create(*matched->op, matched->inputs, types);
  }
  if (n->is("prim::RaiseException")) f.terminated = true;
  SugaredValue result;
  if (n->num_outputs() == 0) {
    result = SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  } else if (n->num_outputs() == 1) {
    result = SugaredValue::of(n->output());
  } else {
    std::vector<SugaredValue> parts;
    for (ir::Value* v : n->outputs()) parts.push_back(SugaredValue::of(v));
    result = SugaredValue::tuple_of(std::move(parts));
  }
  note_view(n);
  if (in_place && result.is_value()) {
    ir::Value* old = call.positional[0];
    if (old->type()->is_tensor() && result.value->type()->is_tensor()) {
      write_through(old, result.value, f, loc);
    } else {
      for (auto& [var, binding] : f.env)
        if (binding.is_value() && binding.value == old) binding = result;
    }
  }
  return result;
}

std::optional<SugaredValue> Emitter::fold_string_call(const std::string& name, const OpCall& call) {
  if (!call.keywords.empty()) return std::nullopt;
  std::vector<const ir::AttrValue*> args;
  for (ir::Value* v : call.positional) {
    const ir::AttrValue* a = ir::constant_attr(v);
    if (!a) return std::nullopt;
    args.push_back(a);
  }
  std::optional<ir::AttrValue> r = fold_string_method(name, args);
  if (!r) return std::nullopt;
  ir::TypePtr type = std::holds_alternative<std::string>(*r) ? ir::Type::string_()
                     : std::holds_alternative<bool>(*r)      ? ir::Type::bool_()
                     : std::holds_alternative<int64_t>(*r)   ? ir::Type::int_()
                                                             : ir::Type::list(ir::Type::string_());
  return SugaredValue::of(constant(std::move(*r), type));
}

std::optional<SugaredValue> Emitter::fold_scalar_op(const std::string& base, const std::vector<ir::Value*>& in,
                                                    Frame& f) {
  auto boolean = [&](bool b) { return SugaredValue::of(constant(b, ir::Type::bool_())); };
  if ((base == "aten::__is__" || base == "aten::__isnot__") && in.size() == 2) {
    std::optional<bool> same = ir::known_identity(in[0], in[1]);
    if (same) return boolean(base == "aten::__is__" ? *same : !*same);
    return std::nullopt;
  }
  // The autograd state: a training step records gradients; inference runs
  // as under torch.no_grad(). wick has no autocast; nested tensors only as
  // nn.TransformerEncoder makes them (ir/nested_tensor.h).
  const bool training = options_.training.value_or(false) && no_grad_depth_ == 0;
  if (base == "aten::is_grad_enabled" || base == "prim::requires_grad") return boolean(training);
  if (base == "aten::is_autocast_enabled") return boolean(false);
  if (base == "prim::is_nested" && in.size() == 1)
    if (auto nested = ir::is_nested(in[0])) return boolean(*nested);
  // An item of a list literal or constant list at a known index, and the
  // length of a list literal or of a known string (in bytes, as LibTorch
  // counts it).
  if (base == "aten::__getitem__" && in.size() == 2 && in[0]->type()->kind() == ir::TypeKind::List)
    if (auto index = ir::constant_int(in[1]))
      if (auto items = list_items(in[0])) {
        const auto n = static_cast<int64_t>(items->size());
        if (*index >= -n && *index < n) return SugaredValue::of((*items)[static_cast<size_t>(*index < 0 ? *index + n : *index)]);
      }
  if (base == "aten::len" && in.size() == 1) {
    if (const ir::AttrValue* a = ir::constant_attr(in[0]))
      if (const auto* str = std::get_if<std::string>(a))
        return SugaredValue::of(constant(static_cast<int64_t>(str->size()), ir::Type::int_()));
    if (in[0]->type()->kind() == ir::TypeKind::List && in[0]->node()->is("prim::ListConstruct"))
      return SugaredValue::of(constant(static_cast<int64_t>(in[0]->node()->num_inputs()), ir::Type::int_()));
  }
  // Arithmetic on known ints (int64, wrapping as LibTorch's), so that a key
  // an unrolled loop computes (`d[i * 2] = v`) is known too.
  if (in.size() == 2 && in[0]->type()->kind() == ir::TypeKind::Int && in[1]->type()->kind() == ir::TypeKind::Int)
    if (auto a = ir::constant_int(in[0]))
      if (auto b = ir::constant_int(in[1])) {
        const auto ua = static_cast<uint64_t>(*a), ub = static_cast<uint64_t>(*b);
        std::optional<int64_t> r;
        if (base == "aten::add") r = static_cast<int64_t>(ua + ub);
        if (base == "aten::sub") r = static_cast<int64_t>(ua - ub);
        if (base == "aten::mul") r = static_cast<int64_t>(ua * ub);
        if ((base == "aten::floordiv" || base == "aten::remainder") && *b != 0 &&
            !(*a == std::numeric_limits<int64_t>::min() && *b == -1)) {
          int64_t q = *a / *b;
          if ((*a % *b != 0) && ((*a < 0) != (*b < 0))) --q;  // rounds down, as Python
          r = base == "aten::floordiv" ? q : *a - q * *b;
        }
        if (r) return SugaredValue::of(constant(*r, ir::Type::int_()));
      }
  if (base == "aten::__not__" && in.size() == 1)
    if (auto c = ir::constant_bool(in[0])) return boolean(!*c);
  if ((base == "aten::eq" || base == "aten::ne") && in.size() == 2) {
    const ir::AttrValue* a = ir::constant_attr(in[0]);
    const ir::AttrValue* b = ir::constant_attr(in[1]);
    if (a && b && a->index() == b->index() && !std::holds_alternative<double>(*a))
      return boolean((*a == *b) == (base == "aten::eq"));
  }
  (void)f;
  return std::nullopt;
}

SugaredValue Emitter::call_function(const CodeIndex::Function& fn, const SugaredValue* self, const CallArgs& args,
                                    Frame& caller, const SourceLocation& loc,
                                    const std::map<std::string, SugaredValue>* closure) {
  if (inline_depth_ >= kMaxInlineDepth)
    fail(caller, loc, "calls nested deeper than " + std::to_string(kMaxInlineDepth) + " (recursion?)");
  const ts::FunctionDef& def = *fn.def;
  Frame callee;
  callee.file = fn.file;
  if (closure)
    for (const auto& [name, binding] : *closure)
      if (!is_attribute_slot(name)) callee.env[name] = binding;
  size_t first = 0;
  if (self) {
    if (def.params.empty()) fail(caller, loc, fn.name + " takes no self argument");
    callee.env[def.params[0].name] = *self;
    first = 1;
  }
  const size_t n = def.params.size() - first;
  if (args.positional.size() > n)
    fail(caller, loc, fn.name + " takes " + std::to_string(n) + " arguments but got " +
                          std::to_string(args.positional.size()));
  std::vector<std::optional<SugaredValue>> bound(n);
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [name, v] : args.keywords) {
    size_t k = 0;
    while (k < n && def.params[first + k].name != name) ++k;
    if (k == n) fail(caller, loc, fn.name + " has no parameter named '" + name + "'");
    if (bound[k]) fail(caller, loc, fn.name + " got parameter '" + name + "' twice");
    bound[k] = v;
  }
  for (size_t k = 0; k < n; ++k) {
    const ts::Param& p = def.params[first + k];
    if (!bound[k]) {
      if (!p.default_value) fail(caller, loc, fn.name + " is missing argument '" + p.name + "'");
      bound[k] = emit_expr(*p.default_value, callee);
    }
    callee.env[p.name] = *bound[k];
  }
  // Assigned attributes are the object's state: the callee sees them and
  // hands back what it assigned.
  for (const auto& [name, binding] : caller.env)
    if (is_attribute_slot(name)) callee.env[name] = binding;
  ++inline_depth_;
  frames_.push_back(&callee);
  emit_block(def.body, callee);
  frames_.pop_back();
  --inline_depth_;
  for (const auto& [name, binding] : callee.env)
    if (is_attribute_slot(name)) caller.env[name] = binding;
  if (callee.returned) return *callee.returned;
  if (callee.terminated) return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
}

SugaredValue Emitter::call_fork(const ts::CallExpr& e, Frame& f) {
  if (e.args.empty()) fail(f, e.loc, "fork() needs a function to call");
  SugaredValue fn = emit_expr(*e.args[0], f);
  if (fn.kind != SugaredValue::Kind::function) fail(f, e.loc, "fork() of something that is not a function");
  CallArgs a = emit_args(e, f);
  a.positional.erase(a.positional.begin());
  SugaredValue self = SugaredValue::module_object(fn.object, fn.path);
  return call_function(*fn.function, fn.object ? &self : nullptr, a, f, e.loc, fn.closure.get());
}

// sorted(l) of a list whose items are constants: a new list of them in
// order (ints, floats, bools or strings; TorchScript's sorted takes no key
// or reverse).
SugaredValue Emitter::call_sorted(const ts::CallExpr& e, Frame& f) {
  CallArgs a = emit_args(e, f);
  if (a.positional.size() != 1 || !a.keywords.empty()) fail(f, e.loc, "sorted() takes one list");
  ir::Value* list = as_value(a.positional[0], f, e.loc);
  auto items = list_items(list);
  std::vector<const ir::AttrValue*> keys;
  for (ir::Value* v : items ? *items : std::vector<ir::Value*>{}) {
    const ir::AttrValue* c = ir::constant_attr(v);
    if (!c || std::holds_alternative<ir::NoneValue>(*c) || c->index() != ir::constant_attr((*items)[0])->index() ||
        (std::holds_alternative<double>(*c) && std::isnan(std::get<double>(*c))))
      return unsupported(f, e.loc, "sorted() of a list whose items are not all numbers or strings known when compiling");
    keys.push_back(c);
  }
  if (!items) return unsupported(f, e.loc, "sorted() of a list known only at run time");
  std::vector<size_t> order(items->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Stable, as Python's: equal items keep their order.
  auto less = [&](size_t x, size_t y) {  // items of one kind, none of them None
    return std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, ir::NoneValue>) return false;
          else return a < std::get<T>(*keys[y]);
        },
        *keys[x]);
  };
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<ir::Value*> sorted;
  for (size_t i : order) sorted.push_back((*items)[i]);
  set_source(f, e.loc);
  return SugaredValue::of(builder_->create("prim::ListConstruct", sorted, {list->type()})->output());
}

SugaredValue Emitter::call_builtin(const std::string& name, const ts::CallExpr& e, Frame& f) {
  auto arity = [&](size_t n) {
    if (e.args.size() != n || !e.keywords.empty())
      fail(f, e.loc, name + "() takes " + std::to_string(n) + " positional arguments");
  };
  if (name == std::string(kNoGradClass) + ".__init__" || name == std::string(kStrictFusionClass) + ".__init__") {
    arity(0);
    return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  }
  // record_function(name, args=None): a label for the profiler, which a
  // plan has no use for.
  if (name == std::string(kRecordFunctionClass) + ".__init__") {
    if (e.args.empty() || e.args.size() + e.keywords.size() > 2)
      fail(f, e.loc, "record_function() takes a name and an optional args string");
    return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  }
  if (name == "annotate" || name == "unchecked_cast") {
    arity(2);
    if (name == "annotate" && e.args[1]->is<ts::DictExpr>()) return emit_expr(*e.args[1], f);
    if (name == "annotate" && e.args[1]->is<ts::ListExpr>() && is_object_list_annotation(*e.args[0])) {
      std::vector<SugaredValue> items;
      for (const auto& x : e.args[1]->as<ts::ListExpr>().elts) items.push_back(emit_expr(*x, f));
      return object_list(std::move(items), f, e.loc);
    }
    ir::TypePtr t = type_from_annotation(*e.args[0], *f.file);
    if (name == "annotate" && e.args[1]->is<ts::ListExpr>())
      return emit_list(e.args[1]->as<ts::ListExpr>().elts, f, e.args[1]->loc, t);
    SugaredValue v = emit_expr(*e.args[1], f);
    if (!v.is_value()) return v;
    if (*v.value->type() == *t || v.value->type()->kind() == ir::TypeKind::None) return v;
    set_source(f, e.loc);
    return SugaredValue::of(builder_->create("prim::unchecked_cast", {v.value}, {t})->output());
  }
  if (name == "uninitialized") {
    arity(1);
    return SugaredValue::of(builder_->create("prim::Uninitialized", {}, {type_from_annotation(*e.args[0], *f.file)})->output());
  }
  if (name == "isinstance") {
    arity(2);
    ir::Value* v = emit_value(*e.args[0], f);
    std::vector<const ts::Expr*> types;
    if (const auto* t = e.args[1]->get_if<ts::TupleExpr>())
      for (const auto& x : t->elts) types.push_back(x.get());
    else
      types.push_back(e.args[1].get());
    bool result = false;
    for (const ts::Expr* t : types) {
      ir::TypePtr want = type_from_annotation(*t, *f.file);
      if (v->type()->kind() == ir::TypeKind::Any || v->type()->kind() == ir::TypeKind::Optional)
        fail(f, e.loc, "isinstance of a value whose type is only known at run time");
      result |= want->accepts(*v->type());
    }
    return SugaredValue::of(constant(result, ir::Type::bool_()));
  }
  if (name == "getattr") {
    if (e.args.size() != 2 || !e.args[1]->is<ts::StringExpr>())
      fail(f, e.loc, "getattr() needs an object and a constant attribute name");
    SugaredValue obj = emit_expr(*e.args[0], f);
    if (obj.kind != SugaredValue::Kind::object) fail(f, e.loc, "getattr() of something that is not a module");
    return object_attribute(obj, e.args[1]->as<ts::StringExpr>().value, f, e.loc);
  }
  if (name == "fork") return call_fork(e, f);
  if (name == "sorted") return call_sorted(e, f);
  if (name == "print") return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
  if (name == "range") fail(f, e.loc, "range() is supported only as the iterable of a for loop");
  static const std::map<std::string, std::string> ops = {
      {"int", "aten::Int"}, {"float", "aten::Float"}, {"bool", "aten::Bool"}, {"len", "aten::len"},
      {"list", "aten::list"}, {"str", "aten::str"}, {"max", "prim::max"}, {"min", "prim::min"}, {"abs", "prim::abs"}};
  auto it = ops.find(name);
  if (it == ops.end()) return unsupported(f, e.loc, name + "()");
  CallArgs a = emit_args(e, f);
  // int(x) of an int is x itself, and so on.
  if (a.positional.size() == 1 && a.positional[0].is_value()) {
    const ir::Type& t = *a.positional[0].value->type();
    if ((name == "int" && t.kind() == ir::TypeKind::Int) || (name == "float" && t.kind() == ir::TypeKind::Float) ||
        (name == "bool" && t.kind() == ir::TypeKind::Bool))
      return a.positional[0];
  }
  return call_op(it->second, a, f, e.loc);
}

}  // namespace wick
