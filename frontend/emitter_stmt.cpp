// Statements: assignments and unpacking, structured if/for/while, raise,
// assert and return.
#include <limits>
#include <set>

#include "frontend/emitter_impl.h"
#include "frontend/type_expr.h"
#include "ir/constant_value.h"

namespace wick {

namespace {

void collect_target_names(const ts::Expr& t, std::set<std::string>& out) {
  if (const auto* n = t.get_if<ts::NameExpr>()) out.insert(n->id);
  if (const auto* tu = t.get_if<ts::TupleExpr>())
    for (const auto& e : tu->elts) collect_target_names(*e, out);
  if (const auto* l = t.get_if<ts::ListExpr>())
    for (const auto& e : l->elts) collect_target_names(*e, out);
}

struct BlockEffects {
  std::set<std::string> assigned;
  std::set<std::string> mutated;
  std::map<std::string, std::string> views;  // name -> the name it views
  std::set<std::string> computed_keys;       // names subscripted, written or searched by a key that is no literal
};

// Names an expression mutates in place, which the emitter rebinds to the
// result: `x.append(v)`, `torch.append(x, v)`, `torch._set_item(l, i, v)`,
// `x.add_(y)`, `torch.relu_(x)`.
// Over-approximates: naming a module (`torch`) or an unchanged value only
// carries it through a loop unchanged.
void collect_mutated(const ts::Expr& e, BlockEffects& effects) {
  std::set<std::string>& out = effects.mutated;
  if (const auto* c = e.get_if<ts::CallExpr>()) {
    if (const auto* f = c->func->get_if<ts::AttributeExpr>()) {
      const std::string& a = f->attr;
      const bool in_place =
          a == "append" || a == "_set_item" || (a.size() > 1 && a.back() == '_' && a[a.size() - 2] != '_');
      if (in_place) {
        if (const auto* receiver = f->value->get_if<ts::NameExpr>()) out.insert(receiver->id);
        if (!c->args.empty())
          if (const auto* first = c->args.front()->get_if<ts::NameExpr>()) out.insert(first->id);
      }
      if ((a == "_set_item" || a == "__contains__") && c->args.size() >= 2 && !c->args[1]->is<ts::StringExpr>())
        if (const auto* first = c->args.front()->get_if<ts::NameExpr>()) effects.computed_keys.insert(first->id);
      collect_mutated(*f->value, effects);
    }
    for (const auto& arg : c->args) collect_mutated(*arg, effects);
  } else if (const auto* b = e.get_if<ts::BinaryExpr>()) {
    collect_mutated(*b->lhs, effects);
    collect_mutated(*b->rhs, effects);
  } else if (const auto* u = e.get_if<ts::UnaryExpr>()) {
    collect_mutated(*u->operand, effects);
  } else if (const auto* t = e.get_if<ts::TupleExpr>()) {
    for (const auto& x : t->elts) collect_mutated(*x, effects);
  } else if (const auto* sub = e.get_if<ts::SubscriptExpr>()) {
    if (const auto* base = sub->value->get_if<ts::NameExpr>())
      if (sub->indices.size() == 1 && !sub->indices[0]->is<ts::StringExpr>()) effects.computed_keys.insert(base->id);
    collect_mutated(*sub->value, effects);
    for (const auto& x : sub->indices) collect_mutated(*x, effects);
  }
}

// The variable an expression is a view of, as the source reads: `y` for
// `torch.select(torch.slice(y), 1, 0)`, `y.view(...)` or `y` itself.
std::optional<std::string> viewed_name(const ts::Expr& e, int depth = 0) {
  if (const auto* n = e.get_if<ts::NameExpr>()) return n->id;
  const auto* c = e.get_if<ts::CallExpr>();
  const auto* f = c ? c->func->get_if<ts::AttributeExpr>() : nullptr;
  if (!f || depth > 64) return std::nullopt;
  static const std::set<std::string> views = {"slice",   "select",  "narrow", "view",      "reshape",
                                              "flatten", "unflatten", "unsqueeze", "squeeze", "transpose",
                                              "t",       "permute", "expand", "expand_as"};
  if (!views.count(f->attr)) return std::nullopt;
  const auto* module = f->value->get_if<ts::NameExpr>();
  if (module && module->id == "torch") {
    if (c->args.empty()) return std::nullopt;
    return viewed_name(*c->args.front(), depth + 1);
  }
  return viewed_name(*f->value, depth + 1);
}

// What a block may change: the names it assigns, the names it mutates in
// place, and which names it binds to views of which (nested blocks included).

void collect_effects(const ts::Block& body, BlockEffects& out) {
  for (const ts::StmtPtr& s : body) {
    if (const auto* x = s->get_if<ts::ExprStmt>()) collect_mutated(*x->expr, out);
    if (const auto* a = s->get_if<ts::AssignStmt>(); a && a->value) {
      collect_mutated(*a->value, out);
      if (const auto* n = a->target->get_if<ts::NameExpr>())
        if (auto base = viewed_name(*a->value); base && *base != n->id) out.views[n->id] = *base;
    }
    if (const auto* a = s->get_if<ts::AssignStmt>()) collect_target_names(*a->target, out.assigned);
    else if (const auto* g = s->get_if<ts::AugAssignStmt>()) collect_target_names(*g->target, out.assigned);
    else if (const auto* i = s->get_if<ts::IfStmt>()) {
      collect_effects(i->then_body, out);
      collect_effects(i->else_body, out);
    } else if (const auto* fo = s->get_if<ts::ForStmt>()) {
      collect_target_names(*fo->target, out.assigned);
      collect_effects(fo->body, out);
    } else if (const auto* w = s->get_if<ts::WhileStmt>()) {
      collect_effects(w->body, out);
    }
  }
}

// The names a loop body may rebind: those it assigns, those it mutates, and
// the names those view (a write into `_7 = torch.slice(m)` changes m).
std::set<std::string> loop_rebinds(const BlockEffects& effects) {
  std::set<std::string> out = effects.assigned;
  for (std::string name : effects.mutated) {
    out.insert(name);
    for (size_t hops = 0; hops < effects.views.size(); ++hops) {
      auto it = effects.views.find(name);
      if (it == effects.views.end()) break;
      name = it->second;
      out.insert(name);
    }
  }
  return out;
}

bool same_binding(const SugaredValue& a, const SugaredValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case SugaredValue::Kind::value: return a.value == b.value;
    case SugaredValue::Kind::object: return a.object == b.object && a.path == b.path;
    case SugaredValue::Kind::name_path:
    case SugaredValue::Kind::builtin: return a.path == b.path;
    case SugaredValue::Kind::function:
      return a.function->name == b.function->name && a.object == b.object && a.closure == b.closure;
    case SugaredValue::Kind::poison: return true;
    case SugaredValue::Kind::object_list: return a.items == b.items;
    case SugaredValue::Kind::dict:
      if (a.keys != b.keys) return false;
      [[fallthrough]];
    case SugaredValue::Kind::tuple:
      if (a.parts.size() != b.parts.size()) return false;
      for (size_t i = 0; i < a.parts.size(); ++i)
        if (!same_binding(a.parts[i], b.parts[i])) return false;
      return true;
  }
  return false;
}

}  // namespace

void Emitter::emit_block(const ts::Block& body, Frame& f) {
  // Writes rebind the variables of the frame a block emits into (a branch's
  // or a loop body's copy while that runs).
  Frame* saved = frames_.back();
  frames_.back() = &f;
  for (const ts::StmtPtr& s : body) {
    if (f.terminated) break;  // code after a raise never runs
    emit_stmt(*s, f);
  }
  frames_.back() = saved;
}

void Emitter::emit_stmt(const ts::Stmt& s, Frame& f) {
  set_source(f, s.loc);
  switch (s.kind) {
    case ts::StmtKind::Expr: emit_expr(*s.as<ts::ExprStmt>().expr, f); return;
    case ts::StmtKind::Assign: emit_assign(s.as<ts::AssignStmt>(), f); return;
    case ts::StmtKind::AugAssign: {
      const auto& a = s.as<ts::AugAssignStmt>();
      static const char* names[] = {"aten::add", "aten::sub", "aten::mul", "aten::div", "aten::floordiv",
                                    "aten::remainder", "aten::pow", "aten::matmul"};
      if (static_cast<size_t>(a.op) >= sizeof(names) / sizeof(names[0]))
        fail(f, s.loc, std::string("augmented assignment with ") + ts::op_spelling(a.op) + " is not supported");
      CallArgs args;
      args.positional = {emit_expr(*a.target, f), emit_expr(*a.value, f)};
      assign_target(*a.target, call_op(names[static_cast<size_t>(a.op)], args, f, s.loc), f);
      return;
    }
    case ts::StmtKind::If: emit_if(s.as<ts::IfStmt>(), f); return;
    case ts::StmtKind::With: emit_with(s.as<ts::WithStmt>(), f); return;
    case ts::StmtKind::For: emit_for(s.as<ts::ForStmt>(), f); return;
    case ts::StmtKind::While: emit_while(s.as<ts::WhileStmt>(), f); return;
    case ts::StmtKind::Return: {
      if (f.nesting > 0)
        fail(f, s.loc, "a return inside if/for/while is not supported; torch.jit.save writes one final return");
      const auto& r = s.as<ts::ReturnStmt>();
      f.returned = r.value ? emit_expr(*r.value, f) : SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
      f.terminated = true;
      return;
    }
    case ts::StmtKind::Raise: {
      const auto& r = s.as<ts::RaiseStmt>();
      std::string message = "exception raised by the model";
      if (r.exc)
        if (const auto* c = r.exc->get_if<ts::CallExpr>(); c && !c->args.empty())
          if (const auto* str = c->args[0]->get_if<ts::StringExpr>()) message = str->value;
      emit_raise(s.loc, constant(message, ir::Type::string_()), f);
      return;
    }
    case ts::StmtKind::Assert: {
      const auto& a = s.as<ts::AssertStmt>();
      ir::Value* cond = as_condition(emit_expr(*a.test, f), f, a.test->loc);
      if (auto c = ir::constant_bool(cond); c && *c) return;
      ir::Node* node = builder_->create("prim::If", {cond}, {});
      ir::Node* saved = builder_->insertion_point();
      node->add_block();
      ir::Block* failed = node->add_block();
      builder_->set_insertion_point_to_end(failed);
      Frame ff = f;
      ir::Value* msg = a.msg ? as_value(emit_expr(*a.msg, ff), ff, a.msg->loc)
                             : constant(std::string("AssertionError"), ir::Type::string_());
      emit_raise(s.loc, msg, ff);
      builder_->set_insertion_point(saved);
      return;
    }
    case ts::StmtKind::Pass:
    case ts::StmtKind::Import:
    case ts::StmtKind::ImportFrom: return;
    case ts::StmtKind::FunctionDef: {
      // A nested def, as torch.jit.fork saves its call: a closure over the
      // variables bound now (saved code forks it right after the def).
      const auto& def = s.as<ts::FunctionDef>();
      SugaredValue fn;
      fn.kind = SugaredValue::Kind::function;
      fn.function = CodeIndex::Function{def.name, &def, f.file};
      fn.closure = std::make_shared<const std::map<std::string, SugaredValue>>(f.env);
      f.env[def.name] = std::move(fn);
      return;
    }
    case ts::StmtKind::Break:
    case ts::StmtKind::Continue:
      fail(f, s.loc, std::string(ts::stmt_kind_name(s.kind)) + " is not supported");
    default:
      fail(f, s.loc, std::string(ts::stmt_kind_name(s.kind)) + " is not supported in a method body");
  }
}

// `with torch.no_grad():` the body runs as written; inference is gradient
// free already. In a training graph nothing computed in the body passes a
// gradient back: a variable first bound there is detached, and one that
// existed before and is rebound there (an in-place write, such as
// `var.clamp_(min=eps)`) keeps the old value's gradient path with the new
// value, old + detach(new - old), as autograd sees a tensor changed in place
// under no_grad. The body of `with record_function(...)` (a profiler's
// label) or `with torch.jit.strict_fusion()` runs as written.
void Emitter::emit_with(const ts::WithStmt& s, Frame& f) {
  bool no_grad = false;
  for (const ts::WithItem& item : s.items) {
    SugaredValue context = emit_expr(*item.context, f);
    if (context.kind == SugaredValue::Kind::object && is_made_object(context.object))
      fail(f, item.context->loc, "a `with` over " + describe_object(context) + " is not supported: only "
           "`with torch.no_grad()`, `with record_function(...)` and `with torch.jit.strict_fusion()`");
    if (context.kind != SugaredValue::Kind::builtin || !is_context_class(context.path))
      fail(f, item.context->loc,
           "a `with` statement other than `with torch.no_grad()`, `with record_function(...)` or "
           "`with torch.jit.strict_fusion()` is not supported");
    if (item.target) fail(f, item.target->loc, "`with ... as name` is not supported");
    no_grad = no_grad || context.path == kNoGradClass;
  }
  if (!no_grad) return emit_block(s.body, f);
  const std::map<std::string, SugaredValue> before = f.env;
  ++no_grad_depth_;
  emit_block(s.body, f);
  --no_grad_depth_;
  if (!options_.training.value_or(false) || no_grad_depth_ > 0) return;
  for (auto& [name, binding] : f.env) {
    if (!binding.is_value() || !binding.value->type()->is_tensor()) continue;
    auto old = before.find(name);
    if (old != before.end() && old->second.is_value() && old->second.value == binding.value) continue;
    if (old == before.end() || !old->second.is_value() || !old->second.value->type()->is_tensor()) {
      binding = SugaredValue::of(builder_->op("aten::detach", {binding.value}));
      continue;
    }
    ir::Value* prior = old->second.value;
    ir::Value* one = constant(int64_t{1}, ir::Type::int_());
    ir::Value* change = builder_->op("aten::detach", {builder_->op("aten::sub.Tensor", {binding.value, prior, one})});
    binding = SugaredValue::of(builder_->op("aten::add.Tensor", {prior, change, one}));
  }
}

void Emitter::emit_raise(const SourceLocation& loc, ir::Value* message, Frame& f) {
  ir::Value* cls = constant(ir::NoneValue{}, ir::Type::none());
  builder_->create("prim::RaiseException", {message, cls}, {});
  f.terminated = true;
}

void Emitter::emit_assign(const ts::AssignStmt& s, Frame& f) {
  if (!s.value) return;  // a bare annotation declares nothing we need
  SugaredValue v;
  if (s.annotation && s.value->is<ts::ListExpr>()) {
    v = emit_list(s.value->as<ts::ListExpr>().elts, f, s.value->loc, type_from_annotation(*s.annotation, *f.file));
  } else {
    v = emit_expr(*s.value, f);
  }
  assign_target(*s.target, std::move(v), f);
}

void Emitter::assign_target(const ts::Expr& target, SugaredValue v, Frame& f) {
  if (const auto* n = target.get_if<ts::NameExpr>()) {
    if (v.is_value() && !v.value->has_name() && n->id.rfind("_", 0) != 0) v.value->set_name(n->id);
    f.env[n->id] = std::move(v);
    return;
  }
  if (const auto* a = target.get_if<ts::AttributeExpr>()) return assign_attribute(*a, std::move(v), f);
  const std::vector<ts::ExprPtr>* elts = nullptr;
  if (const auto* t = target.get_if<ts::TupleExpr>()) elts = &t->elts;
  if (const auto* l = target.get_if<ts::ListExpr>()) elts = &l->elts;
  if (!elts) fail(f, target.loc, "assigning to " + std::string(ts::expr_kind_name(target.kind)) + " is not supported");
  const size_t n = elts->size();
  if (v.kind == SugaredValue::Kind::tuple) {
    if (v.parts.size() != n)
      fail(f, target.loc, "cannot unpack " + std::to_string(v.parts.size()) + " values into " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) assign_target(*(*elts)[i], v.parts[i], f);
    return;
  }
  if (v.is_poison()) {
    for (size_t i = 0; i < n; ++i) assign_target(*(*elts)[i], SugaredValue::poisoned(), f);
    return;
  }
  ir::Value* value = as_value(v, f, target.loc);
  const ir::Type& t = *value->type();
  const char* op = nullptr;
  if (t.kind() == ir::TypeKind::Tuple) {
    if (t.elements().size() != n)
      fail(f, target.loc, "cannot unpack a tuple of " + std::to_string(t.elements().size()) + " into " + std::to_string(n));
    op = "prim::TupleUnpack";
  } else if (t.kind() == ir::TypeKind::List) {
    op = "prim::ListUnpack";
  } else {
    fail(f, target.loc, "cannot unpack a value of type " + t.str());
  }
  ir::Node* node = builder_->create(op, {value}, {}, n);
  for (size_t i = 0; i < n; ++i) assign_target(*(*elts)[i], SugaredValue::of(node->output(i)), f);
}

void Emitter::emit_if(const ts::IfStmt& s, Frame& f) {
  ir::Value* cond = as_condition(emit_expr(*s.cond, f), f, s.cond->loc);
  if (auto c = ir::constant_bool(cond)) {
    emit_block(*c ? s.then_body : s.else_body, f);
    return;
  }
  ir::Node* node = builder_->create("prim::If", {cond}, {});
  ir::Node* after = builder_->insertion_point();
  Frame branch[2] = {f, f};
  const size_t made_before = made_objects_.size();
  const ts::Block* bodies[2] = {&s.then_body, &s.else_body};
  for (int i = 0; i < 2; ++i) {
    branch[i].terminated = false;
    branch[i].nesting = f.nesting + 1;
    builder_->set_insertion_point_to_end(node->add_block());
    emit_block(*bodies[i], branch[i]);
  }
  builder_->set_insertion_point(after);
  if (branch[0].terminated && branch[1].terminated) {
    f.terminated = true;
    return;
  }
  // Names whose binding differs after either live branch become outputs.
  const std::map<std::string, SugaredValue> before = f.env;
  std::set<std::string> names;
  for (int i = 0; i < 2; ++i) {
    if (branch[i].terminated) continue;
    for (const auto& [name, v] : branch[i].env) {
      auto old = f.env.find(name);
      if (old == f.env.end() || !same_binding(old->second, v)) names.insert(name);
    }
  }
  // Objects inside tuples and tuples inside objects' attributes: until
  // neither finds more.
  std::vector<std::pair<std::string, size_t>> split;
  for (bool more = true; more;) {
    const auto parts = split_tuples(branch, names);
    split.insert(split.end(), parts.begin(), parts.end());
    more = join_made_objects(branch, names, made_before, f, s.loc) || !parts.empty();
  }
  for (const std::string& name : names) {
    const SugaredValue* side[2] = {nullptr, nullptr};
    bool missing = false;
    for (int i = 0; i < 2; ++i) {
      if (branch[i].terminated) continue;
      auto it = branch[i].env.find(name);
      if (it == branch[i].env.end()) missing = true;
      else side[i] = &it->second;
    }
    if (missing) {
      // An object made in one branch only is not usable after the if.
      if (is_attribute_slot(name) && !is_made_object_slot(name))
        fail(f, s.loc, "this if assigns " + slot_display(name) + " on one branch only: LibTorch would carry the " +
                           "assigned value into the next call, which a compiled plan does not keep");
      f.env.erase(name);  // defined on one path only: not usable after the if
      continue;
    }
    // A branch that could not be emitted takes the other branch's binding:
    // if it folds away later, what follows reads as if it never existed.
    const SugaredValue* any = side[0] && !side[0]->is_poison() ? side[0] : side[1] ? side[1] : side[0];
    if (!any->is_value() && any->kind != SugaredValue::Kind::tuple) {
      bool same = !side[0] || !side[1] || same_binding(*side[0], *side[1]) || side[0]->is_poison() ||
                  side[1]->is_poison();
      if (!same && side[0]->kind == SugaredValue::Kind::object && is_made_object(side[0]->object))
        fail(f, s.loc, "the branches of this if bind '" + (is_attribute_slot(name) ? slot_display(name) : name) +
                           "' to different objects, which is not supported: make one object before the if and assign "
                           "its attributes in the branches");
      if (!same) fail(f, s.loc, "the branches of this if bind '" + name + "' to different modules or functions");
      // A poisoned value defined in a branch is not visible after it.
      f.env[name] = any->is_poison() ? SugaredValue::poisoned() : *any;
      continue;
    }
    ir::Value* vals[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; ++i) {
      if (!side[i]) continue;
      builder_->set_insertion_point(node->block(i)->return_node());
      vals[i] = as_value(*side[i], branch[i], s.loc);
    }
    const bool poisoned[2] = {vals[0] && poisoned_.count(vals[0]) > 0, vals[1] && poisoned_.count(vals[1]) > 0};
    if (ir::Value* joined = join_list_literals(node, vals, after)) {
      f.env[name] = SugaredValue::of(joined);
      continue;
    }
    ir::TypePtr type = vals[0] && vals[1] && !poisoned[0] && !poisoned[1] ? ir::unify(vals[0]->type(), vals[1]->type())
                       : vals[0] && !poisoned[0]                       ? vals[0]->type()
                                                                       : (vals[1] ? vals[1] : vals[0])->type();
    for (int i = 0; i < 2; ++i) {
      builder_->set_insertion_point(node->block(i)->return_node());
      if (!vals[i]) vals[i] = builder_->create("prim::Uninitialized", {}, {type})->output();
      else if (poisoned[i] && *vals[i]->type() != *type) vals[i] = placeholder_as(vals[i], type);
      node->block(i)->add_result(vals[i]);
    }
    ir::Value* out = node->add_output(type);
    f.env[name] = SugaredValue::of(out);
  }
  builder_->set_insertion_point(after);
  join_tuple_parts(split, f);
  // A view taken before the if, which each branch left a view of the same
  // base (writes rebuild it over the base's new value), stays one after it.
  for (const std::string& name : names) {
    auto pre = before.find(name);
    if (pre == before.end() || !pre->second.is_value() || !f.env.count(name)) continue;
    ir::Value* view = pre->second.value;
    ir::Value* root = view_root(view);
    if (root == view) continue;
    for (const auto& [base_name, base] : before) {
      if (!base.is_value() || base.value != root || !names.count(base_name) || !f.env.at(base_name).is_value())
        continue;
      bool follows = true;
      for (int i = 0; i < 2 && follows; ++i) {
        if (branch[i].terminated) continue;
        const SugaredValue& v = branch[i].env.at(name);
        const SugaredValue& b = branch[i].env.at(base_name);
        follows = v.is_value() && b.is_value() && same_view(view, root, v.value, b.value);
      }
      if (!follows) continue;
      std::map<const ir::Value*, ir::Value*> updated = {{root, f.env.at(base_name).value}};
      f.env[name] = SugaredValue::of(rederive(view, updated));
      break;
    }
  }
}

namespace {
std::string tuple_part(const std::string& name, size_t k) { return name + '\x01' + std::to_string(k); }
}  // namespace

std::vector<std::pair<std::string, size_t>> Emitter::split_tuples(Frame (&branch)[2], std::set<std::string>& names) {
  std::vector<std::pair<std::string, size_t>> split;
  std::vector<std::string> work(names.begin(), names.end());
  for (size_t w = 0; w < work.size(); ++w) {
    const std::string name = work[w];
    std::optional<size_t> length;
    bool tuples = true;
    for (int i = 0; i < 2 && tuples; ++i) {
      if (branch[i].terminated) continue;
      auto it = branch[i].env.find(name);
      tuples = it != branch[i].env.end() && it->second.kind == SugaredValue::Kind::tuple &&
               (!length || *length == it->second.parts.size());
      if (tuples) length = it->second.parts.size();
    }
    if (!tuples || !length) continue;
    for (size_t k = 0; k < *length; ++k) {
      const std::string part = tuple_part(name, k);
      for (int i = 0; i < 2; ++i)
        if (!branch[i].terminated) branch[i].env[part] = branch[i].env.at(name).parts[k];
      names.insert(part);
      work.push_back(part);
    }
    names.erase(name);
    split.emplace_back(name, *length);
  }
  return split;
}

void Emitter::join_tuple_parts(const std::vector<std::pair<std::string, size_t>>& split, Frame& f) {
  for (auto it = split.rbegin(); it != split.rend(); ++it) {
    std::vector<SugaredValue> parts;
    for (size_t k = 0; k < it->second; ++k) {
      auto part = f.env.find(tuple_part(it->first, k));
      WICK_ASSERT(part != f.env.end(), "a joined tuple part is bound");
      parts.push_back(std::move(part->second));
      f.env.erase(part);
    }
    f.env[it->first] = SugaredValue::tuple_of(std::move(parts));
  }
}

ir::Value* Emitter::join_list_literals(ir::Node* node, ir::Value* const vals[2], ir::Node* after) {
  if (!vals[0] || !vals[1] || *vals[0]->type() != *vals[1]->type() || vals[0]->type()->kind() != ir::TypeKind::List)
    return nullptr;
  std::optional<std::vector<ir::Value*>> items[2];
  for (int i = 0; i < 2; ++i) {
    builder_->set_insertion_point(node->block(i)->return_node());
    items[i] = list_items(vals[i]);
  }
  if (!items[0] || !items[1] || items[0]->size() != items[1]->size()) return nullptr;
  // Lists stay literals, which later item assignments and folding need:
  // the if yields each element.
  std::vector<ir::Value*> joined;
  for (size_t k = 0; k < items[0]->size(); ++k) {
    for (int i = 0; i < 2; ++i) node->block(i)->add_result((*items[i])[k]);
    joined.push_back(node->add_output(ir::unify((*items[0])[k]->type(), (*items[1])[k]->type())));
  }
  builder_->set_insertion_point(after);
  return builder_->create("prim::ListConstruct", joined, {vals[0]->type()})->output();
}

void Emitter::emit_for(const ts::ForStmt& s, Frame& f) {
  // range(n), range(lo, hi), range(lo, hi, step): a counted loop.
  if (const auto* call = s.iter->get_if<ts::CallExpr>()) {
    const auto* fn = call->func->get_if<ts::NameExpr>();
    if (fn && fn->id == "range" && f.env.find("range") == f.env.end()) {
      if (call->args.empty() || call->args.size() > 3 || !call->keywords.empty())
        fail(f, call->loc, "range() takes 1 to 3 positional arguments");
      std::vector<ir::Value*> a;
      for (const auto& arg : call->args) a.push_back(emit_value(*arg, f));
      for (ir::Value*& v : a) {
        if (poisoned_.count(v)) v = constant(int64_t{0}, ir::Type::int_());  // already reported
        if (v->type()->kind() != ir::TypeKind::Int)
          fail(f, call->loc, "range() arguments must be ints, got " + v->type()->str());
      }
      ir::Value* trip = a[0];
      ir::Value* step = a.size() == 3 ? a[2] : constant(int64_t{1}, ir::Type::int_());
      if (a.size() > 1) trip = builder_->op("aten::__range_length", {a[0], a[1], step});
      // A loop that reads or writes a dict by a computed key unrolls when
      // its trips are known: a dict's keys must be known while emitting,
      // and the loop may pick them (`for k in ["a", "b"]: d[k] = ...`,
      // saved as a counted loop).
      auto trips = ir::constant_int(trip);
      auto lo = a.size() > 1 ? ir::constant_int(a[0]) : std::optional<int64_t>(0);
      auto by = ir::constant_int(step);
      if (trips && lo && by && *trips <= kMaxDictLoopTrips && uses_dict_by_computed_key(s.body, f)) {
        std::vector<SugaredValue> items;
        for (int64_t i = 0; i < *trips; ++i) items.push_back(SugaredValue::of(constant(*lo + i * *by, ir::Type::int_())));
        return unroll(s.body, *s.target, items, f);
      }
      // range(lo, hi, step): the loop variable is lo + i * step. range(n)
      // counts from 0, whatever computed n (saved code writes
      // `range(torch.__range_length(...))` with its own __derive_index).
      emit_loop(s.body, s.target.get(), f, s.loc, trip, constant(true, ir::Type::bool_()), nullptr, nullptr,
                a.size() > 1);
      return;
    }
  }
  SugaredValue iterable = emit_expr(*s.iter, f);
  // Iterating a tuple of modules or values unrolls the loop.
  if (iterable.kind == SugaredValue::Kind::tuple) return unroll(s.body, *s.target, iterable.parts, f);
  ir::Value* list = as_value(iterable, f, s.iter->loc);
  if (list->type()->kind() != ir::TypeKind::List)
    fail(f, s.iter->loc, "for loops over a " + list->type()->str() + " are not supported");
  ir::Value* trip = builder_->op("aten::len.t", {list});
  emit_loop(s.body, s.target.get(), f, s.loc, trip, constant(true, ir::Type::bool_()), nullptr, &iterable);
}

void Emitter::unroll(const ts::Block& body, const ts::Expr& target, const std::vector<SugaredValue>& items, Frame& f) {
  for (const SugaredValue& item : items) {
    if (f.terminated) break;
    assign_target(target, item, f);
    ++f.nesting;
    emit_block(body, f);
    --f.nesting;
  }
}

bool Emitter::uses_dict_by_computed_key(const ts::Block& body, const Frame& f) const {
  BlockEffects effects;
  collect_effects(body, effects);
  for (const std::string& name : effects.computed_keys)
    if (auto it = f.env.find(name); it != f.env.end() && it->second.kind == SugaredValue::Kind::dict) return true;
  return false;
}

void Emitter::emit_while(const ts::WhileStmt& s, Frame& f) {
  ir::Value* cond = as_condition(emit_expr(*s.cond, f), f, s.cond->loc);
  if (auto c = ir::constant_bool(cond); c && !*c) return;
  ir::Value* max_trips = constant(std::numeric_limits<int64_t>::max(), ir::Type::int_());
  emit_loop(s.body, nullptr, f, s.loc, max_trips, cond, s.cond.get(), nullptr);
}

namespace {

// Tuples and dicts exist only while emitting: a loop carries their leaves.
bool composite(const SugaredValue& v) {
  return v.kind == SugaredValue::Kind::tuple || v.kind == SugaredValue::Kind::dict;
}

// `shape` with its leaves taken, in order, from `leaves` at `next`.
SugaredValue with_leaves(const SugaredValue& shape, const std::vector<ir::Value*>& leaves, size_t& next) {
  if (!composite(shape)) return SugaredValue::of(leaves.at(next++));
  SugaredValue out = shape;  // kind and dict keys
  for (SugaredValue& part : out.parts) part = with_leaves(part, leaves, next);
  return out;
}

}  // namespace

// Appends the IR values at the leaves of `v`, a binding shaped as `shape`
// (a tuple may have become a tuple value); false when they do not match.
bool Emitter::leaves_like(const SugaredValue& shape, const SugaredValue& v, std::vector<ir::Value*>& out) {
  if (!composite(shape)) {
    if (!v.is_value()) return false;
    out.push_back(v.value);
    return true;
  }
  if (shape.kind == SugaredValue::Kind::tuple && v.is_value()) {
    const ir::Type& t = *v.value->type();
    if (t.kind() != ir::TypeKind::Tuple || t.elements().size() != shape.parts.size()) return false;
    ir::Node* unpack = builder_->create("prim::TupleUnpack", {v.value}, {}, shape.parts.size());
    for (size_t i = 0; i < shape.parts.size(); ++i)
      if (!leaves_like(shape.parts[i], SugaredValue::of(unpack->output(i)), out)) return false;
    return true;
  }
  if (v.kind != shape.kind || v.parts.size() != shape.parts.size() || v.keys != shape.keys) return false;
  for (size_t i = 0; i < shape.parts.size(); ++i)
    if (!leaves_like(shape.parts[i], v.parts[i], out)) return false;
  return true;
}

void Emitter::emit_loop(const ts::Block& body, const ts::Expr* target, Frame& f, const SourceLocation& loc,
                        ir::Value* trip_count, ir::Value* start_condition, const ts::Expr* while_cond,
                        const SugaredValue* iterable, bool ranged) {
  BlockEffects effects;
  collect_effects(body, effects);
  // The body may change any assigned attribute, also through a call or a
  // list that aliases it: each travels through the loop (one the body
  // leaves alone folds away in canonicalize).
  for (const auto& [name, binding] : f.env)
    if (is_attribute_slot(name)) effects.assigned.insert(name);
  std::set<std::string> assigned = loop_rebinds(effects);
  std::set<std::string> target_names;
  if (target) collect_target_names(*target, target_names);
  // A write in the body changes every variable bound to the same base.
  std::set<const ir::Value*> roots;
  for (const std::string& name : assigned)
    if (auto it = f.env.find(name); it != f.env.end() && it->second.is_value()) roots.insert(view_root(it->second.value));
  for (const auto& [name, binding] : f.env)
    if (binding.is_value() && roots.count(view_root(binding.value))) assigned.insert(name);
  std::vector<std::string> carried;
  std::vector<ir::Value*> initial;
  struct Composite {
    std::string name;
    SugaredValue shape;
    std::vector<ir::Value*> leaves;
  };
  std::vector<Composite> composites;
  // Views only written through (never assigned) whose base is carried too
  // stay views of it, in the body and after the loop.
  std::vector<std::pair<std::string, ir::Value*>> derived;
  std::map<const ir::Value*, size_t> carried_root;  // a carried base -> its index in `carried`
  // Names the body only writes through come first, so that a base is
  // carried under a name the body does not rebind.
  std::vector<std::string> order;
  for (int pass = 0; pass < 2; ++pass)
    for (const std::string& name : assigned)
      if ((effects.assigned.count(name) > 0) == (pass == 1)) order.push_back(name);
  for (const std::string& name : order) {
    if (target_names.count(name)) continue;
    auto it = f.env.find(name);
    if (it == f.env.end()) continue;
    if (composite(it->second)) {
      // A tuple or dict the body rebinds (`state = (h, c)`, `d[k] = v`)
      // travels as its leaves, after the plain values.
      std::vector<ir::Value*> leaves;
      if (effects.assigned.count(name) || effects.mutated.count(name)) {
        if (!leaves_like(it->second, it->second, leaves))
          fail(f, loc, "'" + name + "' holds modules or functions and is rebound in this loop, which is not supported");
        composites.push_back({name, it->second, leaves});
      }
      continue;
    }
    if (!it->second.is_value()) continue;
    ir::Value* v = it->second.value;
    const bool rebound = effects.assigned.count(name) > 0;
    if (!rebound && (view_root(v) != v || carried_root.count(v))) {
      derived.emplace_back(name, v);
      continue;
    }
    if (!rebound) carried_root.emplace(v, carried.size());
    carried.push_back(name);
    initial.push_back(v);
  }
  for (size_t i = 0; i < derived.size();) {
    if (carried_root.count(view_root(derived[i].second))) {
      ++i;
      continue;
    }
    const std::string name = derived[i].first;  // its base has no name: carry the view itself
    carried_root.emplace(derived[i].second, carried.size());
    carried.push_back(name);
    initial.push_back(derived[i].second);
    derived.erase(derived.begin() + static_cast<std::ptrdiff_t>(i));
  }
  // The derived views over the carried values `now` (block params or results).
  auto rederive_all = [&](Frame& frame, const std::vector<ir::Value*>& now) {
    std::map<const ir::Value*, ir::Value*> updated;
    for (const auto& [root, i] : carried_root) updated[root] = now[i];
    for (const auto& [name, v] : derived) {
      ir::Value* nv = rederive(v, updated);
      WICK_ASSERT(nv != nullptr, "a derived view has a carried base");
      frame.env[name] = SugaredValue::of(nv);
    }
  };
  const size_t plain = carried.size();
  for (const Composite& c : composites)
    for (size_t i = 0; i < c.leaves.size(); ++i) {
      carried.push_back(c.name + "." + std::to_string(i));
      initial.push_back(c.leaves[i]);
    }
  // The composites over the carried values `now` (block params or results).
  auto rebuild_composites = [&](Frame& frame, const std::vector<ir::Value*>& now) {
    size_t next = plain;
    for (const Composite& c : composites) frame.env[c.name] = with_leaves(c.shape, now, next);
  };
  std::vector<ir::Value*> inputs = {trip_count, start_condition};
  inputs.insert(inputs.end(), initial.begin(), initial.end());
  ir::Node* node = builder_->create("prim::Loop", inputs, {});
  ir::Node* after = builder_->insertion_point();
  ir::Block* block = node->add_block();
  ir::Value* iter = block->add_param(ir::Type::int_());
  Frame bf = f;
  bf.nesting = f.nesting + 1;
  bf.terminated = false;
  std::vector<ir::Value*> params;
  for (size_t i = 0; i < carried.size(); ++i) {
    // An attribute's slot names its param after the attribute ("self.x").
    const std::string& name = carried[i];
    params.push_back(block->add_param(initial[i]->type(), is_attribute_slot(name) ? name.substr(1) : name));
    if (i < plain) bf.env[carried[i]] = SugaredValue::of(params.back());
  }
  builder_->set_insertion_point_to_end(block);
  rederive_all(bf, params);
  rebuild_composites(bf, params);
  if (target) {
    SugaredValue item = SugaredValue::of(iter);
    if (iterable) {
      item = SugaredValue::of(builder_->op("aten::__getitem__.t", {iterable->value, iter}));
    } else if (ranged) {
      ir::Node* range = trip_count->node();
      item = SugaredValue::of(builder_->op("aten::__derive_index", {iter, range->input(0), range->input(2)}));
    }
    assign_target(*target, item, bf);
  }
  emit_block(body, bf);
  // A compile-time binding (an object, a function) must stay what it was:
  // only IR values travel from one trip to the next.
  for (const auto& [name, binding] : f.env) {
    if (bf.terminated || binding.kind != SugaredValue::Kind::object) continue;
    auto it = bf.env.find(name);
    if (it != bf.env.end() && !same_binding(binding, it->second))
      fail(f, loc, "this loop binds '" + (is_attribute_slot(name) ? slot_display(name) : name) +
                       "' to another object, which is not supported: assign the object's attributes instead");
  }
  for (const auto& [name, binding] : bf.env)
    if (is_attribute_slot(name) && !is_made_object_slot(name) && !f.env.count(name))
      fail(f, loc, "this loop assigns " + slot_display(name) + " first: LibTorch would carry the assigned value " +
                       "into the next call, which a compiled plan does not keep (assign it before the loop)");
  ir::Value* next = bf.terminated ? constant(false, ir::Type::bool_()) : start_condition;
  if (while_cond && !bf.terminated) next = as_condition(emit_expr(*while_cond, bf), bf, while_cond->loc);
  block->add_result(next);
  std::vector<ir::Value*> yielded;  // the composites' leaves at the end of the body
  for (const Composite& c : composites) {
    if (bf.terminated) break;
    auto it = bf.env.find(c.name);
    if (it == bf.env.end() || !leaves_like(c.shape, it->second, yielded))
      fail(f, loc, "'" + c.name + "' is rebound in this loop to a tuple or dict of another shape");
  }
  std::vector<ir::Value*> outs;
  for (size_t i = 0; i < carried.size(); ++i) {
    ir::Value* v = bf.terminated ? block->params()[i + 1]
                   : i < plain   ? as_value(bf.env.at(carried[i]), bf, loc)
                                 : yielded[i - plain];
    if (poisoned_.count(v) && *v->type() != *initial[i]->type()) v = placeholder_as(v, initial[i]->type());
    block->add_result(v);
    ir::TypePtr t = ir::unify(initial[i]->type(), v->type());
    block->params()[i + 1]->set_type(t);
    outs.push_back(node->add_output(t));
    if (i < plain) f.env[carried[i]] = SugaredValue::of(outs.back());
  }
  builder_->set_insertion_point(after);
  rederive_all(f, outs);
  rebuild_composites(f, outs);
}

}  // namespace wick
