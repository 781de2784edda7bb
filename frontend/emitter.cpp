// The emitter's entry point and its view of the pickled module tree:
// registering tensors, resolving attributes of module objects, turning
// pickled attribute values into constants.
#include "frontend/emitter.h"

#include "frontend/module_setstate.h"

#include <algorithm>

#include "frontend/emitter_impl.h"
#include "frontend/module_setstate.h"
#include "frontend/type_expr.h"
#include "ir/constant_value.h"

namespace wick {

namespace {
constexpr int kMaxModuleDepth = 200;

// A tuple whose leaves are all tensors.
bool tuple_of_tensors(const ir::Type& t) {
  if (t.is_tensor()) return true;
  if (t.kind() != ir::TypeKind::Tuple || t.elements().empty()) return false;
  for (const ir::TypePtr& e : t.elements())
    if (!tuple_of_tensors(*e)) return false;
  return true;
}
}  // namespace

std::string dotted_name(const ts::Expr& e) {
  if (const auto* n = e.get_if<ts::NameExpr>()) return n->id;
  if (const auto* a = e.get_if<ts::AttributeExpr>()) return dotted_name(*a->value) + "." + a->attr;
  if (e.is<ts::CallExpr>()) return dotted_name(*e.as<ts::CallExpr>().func) + "(...)";
  return std::string("<") + ts::expr_kind_name(e.kind) + ">";
}

std::unique_ptr<ir::Module> emit_module(const PtArchive& archive, const CodeIndex& code,
                                        const std::string& display_name, const std::string& method,
                                        const EmitOptions& options) {
  auto module = std::make_unique<ir::Module>();
  Emitter emitter(archive, code, *module, display_name, options);
  module->add_method(emitter.emit_method(method));
  return module;
}

std::unique_ptr<ir::Graph> emit_graph(const PtArchive& archive, const CodeIndex& code, ir::Module& module,
                                      const std::string& display_name, const std::string& method,
                                      const EmitOptions& options) {
  Emitter emitter(archive, code, module, display_name, options);
  auto graph = emitter.emit_method(method);
  graph->set_module(&module);
  return graph;
}

Emitter::Emitter(const PtArchive& archive, const CodeIndex& code, ir::Module& module, std::string display_name,
                 EmitOptions options)
    : archive_(archive), code_(code), module_(module), display_name_(std::move(display_name)),
      options_(options) {}

std::unique_ptr<ir::Graph> Emitter::emit_method(const std::string& method) {
  const PickleValue& root = archive_.data;
  if (!root.is(PickleValue::Kind::object))
    throw Error("data.pkl does not hold a module object (found " + std::string(root.kind_name()) + ")",
                {display_name_});
  const CodeIndex::Class* cls = code_.find_class(root.class_name());
  if (!cls) throw Error("no code for the module class " + root.class_name(), {display_name_});
  {
    PickleValue tree = root;  // a handle: objects saved as tuples get their attributes
    read_setstate_tuples(tree, code_, {display_name_});
  }
  std::string name = cls->name.substr(cls->name.rfind('.') + 1);
  module_.set_name(name);
  register_tensors(root, "", 0);

  auto fn = code_.method(*cls, method);
  if (!fn && method == "forward") {
    // R torch traces a module once per mode and saves no forward: the
    // mode's own method stands in for it, under the name asked for.
    fn = code_.method(*cls, options_.training ? "trainforward" : "evalforward");
  }
  if (!fn) throw Error("module " + name + " has no method '" + method + "'", {display_name_});

  auto graph = std::make_unique<ir::Graph>();
  graph->set_name(method);
  graph->set_module(&module_);
  graph_ = graph.get();
  builder_.emplace(*graph_);
  params_.clear();
  last_param_ = nullptr;
  unsupported_.clear();
  method_ = method;
  views_.clear();
  object_paths_.clear();
  attributes_read_.clear();

  Frame f;
  frames_ = {&f};
  f.file = fn->file;
  const ts::FunctionDef& def = *fn->def;
  if (def.params.empty()) fail(f, def.loc, "method '" + method + "' has no self parameter");
  f.env["__self__"] = SugaredValue::module_object(&root, "");
  f.env[def.params[0].name] = f.env["__self__"];
  for (size_t i = 1; i < def.params.size(); ++i) {
    const ts::Param& p = def.params[i];
    if (!p.annotation) fail(f, p.loc, "parameter '" + p.name + "' has no type annotation");
    if (is_class_annotation(*p.annotation))
      fail(f, p.loc, "parameter '" + p.name + "' of a class type is not supported");
    ir::TypePtr t = type_from_annotation(*p.annotation, *f.file);
    if (p.default_value && !t->accepts(*ir::Type::tensor())) {
      // A method's inputs are tensors: a parameter of another type
      // (`need_weights: bool=True`) that has a default takes it.
      f.env[p.name] = emit_expr(*p.default_value, f);
      continue;
    }
    f.env[p.name] = tensor_inputs(t, p.name, 0);
  }
  emit_block(def.body, f);
  if (!unsupported_.empty()) throw_unsupported();
  if (!f.returned) fail(f, def.loc, "method '" + method + "' does not return a value");
  SourceLocation end = def.loc;
  graph_->add_output(as_value(*f.returned, f, end));
  graph_->set_module(nullptr);  // Module::add_method sets it
  return graph;
}

// A parameter of a method: a graph input, or for a tuple of tensors
// (`state: Tuple[Tensor, Tensor]`, nested too) one input per tensor, named
// after the parameter and the position (`state.0`), as LibTorch's outputs
// are flattened.
SugaredValue Emitter::tensor_inputs(const ir::TypePtr& type, const std::string& name, int depth) {
  if (type->kind() != ir::TypeKind::Tuple || !tuple_of_tensors(*type))
    return SugaredValue::of(graph_->add_input(type, name));
  if (depth > kMaxModuleDepth) throw Error("the tuple type of input '" + name + "' is nested too deeply", {display_name_});
  std::vector<SugaredValue> parts;
  for (size_t i = 0; i < type->elements().size(); ++i)
    parts.push_back(tensor_inputs(type->elements()[i], name + "." + std::to_string(i), depth + 1));
  return SugaredValue::tuple_of(std::move(parts));
}

const CodeIndex::Class& Emitter::class_of(const PickleValue& object, const Frame& f, const SourceLocation& loc) {
  const CodeIndex::Class* c = code_.find_class(object.class_name());
  if (!c) fail(f, loc, "no code for class " + object.class_name());
  return *c;
}

void Emitter::register_tensors(const PickleValue& object, const std::string& path, int depth) {
  if (depth > kMaxModuleDepth) throw Error("module tree nested too deeply", {display_name_});
  // Torch's C++ classes have no code; an op that takes one registers its
  // tensors (bound_class_state).
  if (object.class_name().rfind("__torch__.torch.classes.", 0) == 0) return;
  const CodeIndex::Class* cls = code_.find_class(object.class_name());
  if (!cls) throw Error("no code for class " + object.class_name(), {display_name_});
  const auto params = code_.string_list(*cls, "__parameters__");
  const PickleValue& state = object.state();
  if (!state.is(PickleValue::Kind::dict)) return;
  for (const auto& [key, value] : state.dict_items()) {
    if (!key.is(PickleValue::Kind::string)) continue;
    const std::string name = path.empty() ? key.to_str() : path + "." + key.to_str();
    if (value.is(PickleValue::Kind::tensor)) {
      bool is_param = std::find(params.begin(), params.end(), key.to_str()) != params.end();
      ir::TensorRole role = !is_param                ? ir::TensorRole::buffer
                            : value.requires_grad() ? ir::TensorRole::parameter
                                                    : ir::TensorRole::frozen;
      if (!module_.find_tensor(name)) module_.add_tensor(name, role, value.tensor());
    } else if (value.is(PickleValue::Kind::object)) {
      register_tensors(value, name, depth + 1);
    }
  }
}

ir::Value* Emitter::param(const std::string& name) {
  auto it = params_.find(name);
  if (it != params_.end()) return it->second;
  const ir::NamedTensor* t = module_.find_tensor(name);
  WICK_ASSERT(t != nullptr, "param of unregistered tensor " + name);
  // Parameters are read once, at the top of the graph, so every block sees them.
  ir::Node* n = graph_->create("prim::Param", {}, {t->type});
  n->attrs().set("name", name);
  n->insert_after(last_param_ ? last_param_ : graph_->block()->param_node());
  last_param_ = n;
  n->output()->set_name(name);
  ir::Value* value = n->output();
  if (t->complex_pairs) {
    // Right after the reads of the module's tensors, where every block sees it.
    std::vector<int64_t> sizes = t->data.sizes();
    sizes.pop_back();
    ir::Node* c = graph_->create("aten::view_as_complex", {value},
                                 {ir::Type::tensor_static(complex_dtype_of(t->data.dtype()), sizes)});
    c->set_source(n->source_location(), n->source_line());
    c->insert_after(n);
    last_param_ = c;
    value = c->output();
  }
  params_[name] = value;
  return value;
}

void Emitter::store_in_place(ir::Value* old, ir::Value* result, Frame& f, const SourceLocation& loc) {
  if (!old->node()->is("prim::Param") || !result->type()->is_tensor()) return;
  const std::string name = std::get<std::string>(*old->node()->attrs().find("name"));
  auto it = params_.find(name);
  if (it == params_.end() || it->second != old) return;  // an older read: already overwritten
  if (builder_->insertion_point()->owning_block() != graph_->block())
    fail(f, loc, "an in-place update of module tensor \"" + name + "\" inside control flow is not supported in training mode");
  set_source(f, loc);
  ir::Node* n = builder_->create("prim::StoreParam", {result}, {});
  n->attrs().set("name", name);
  params_[name] = result;
}

SugaredValue Emitter::object_attribute(const SugaredValue& obj, const std::string& name, Frame& f,
                                       const SourceLocation& loc) {
  if (is_made_object(obj.object)) return made_object_attribute(obj, name, f, loc);
  const PickleValue& o = *obj.object;
  const std::string path = obj.path.empty() ? name : obj.path + "." + name;
  if (const PickleValue* v = o.find(name)) {
    const std::string slot = attribute_slot(obj, name);
    if (auto it = f.env.find(slot); it != f.env.end()) return it->second;
    attributes_read_.insert(slot);
    if (name == "training" && options_.training && v->is(PickleValue::Kind::boolean))
      return SugaredValue::of(constant(*options_.training, ir::Type::bool_()));
    if (v->is(PickleValue::Kind::object)) return SugaredValue::module_object(v, path);
    if (v->is(PickleValue::Kind::tensor)) {
      if (!module_.find_tensor(path)) module_.add_tensor(path, ir::TensorRole::buffer, v->tensor());
      return SugaredValue::of(param(path));
    }
    return constant_from_pickle(*v, f, loc);
  }
  const CodeIndex::Class& cls = class_of(o, f, loc);
  if (auto member = class_member(obj, cls, name)) return *member;
  fail(f, loc, "module " + cls.name + " has no attribute '" + name + "'");
}

std::optional<SugaredValue> Emitter::class_member(const SugaredValue& obj, const CodeIndex::Class& cls,
                                                  const std::string& name) {
  if (auto m = code_.method(cls, name)) {
    SugaredValue s;
    s.kind = SugaredValue::Kind::function;
    s.function = m;
    s.object = obj.object;
    s.path = obj.path;
    return s;
  }
  if (const ts::Expr* c = code_.class_constant(cls, name)) {
    Frame cf;
    cf.file = cls.file;
    return emit_expr(*c, cf);
  }
  return std::nullopt;
}

std::string Emitter::attribute_slot(const SugaredValue& obj, const std::string& name) {
  // One object reached by two paths (a shared submodule) keeps one slot.
  const std::string& path = object_paths_.emplace(obj.object, obj.path).first->second;
  if (is_made_object(obj.object)) return "@" + path + "." + name;
  return "@self." + (path.empty() ? name : path + "." + name);
}

void Emitter::assign_attribute(const ts::AttributeExpr& target, SugaredValue v, Frame& f) {
  SugaredValue obj = emit_expr(*target.value, f);
  if (obj.kind != SugaredValue::Kind::object)
    fail(f, target.loc, "assigning to attribute '" + target.attr + "' of something that is not a module is not supported");
  if (is_made_object(obj.object)) return assign_made_object_attribute(obj, target.attr, std::move(v), f, target.loc);
  const PickleValue* current = obj.object->find(target.attr);
  if (!current) fail(f, target.loc, "module " + obj.object->class_name() + " has no attribute '" + target.attr + "'");
  const std::string slot = attribute_slot(obj, target.attr);
  const std::string shown = slot_display(slot);
  if (current->is(PickleValue::Kind::object))
    fail(f, target.loc, "assigning to submodule " + shown + " is not supported");
  if (current->is(PickleValue::Kind::tensor) && options_.training.value_or(false))
    fail(f, target.loc, "assigning to module tensor " + shown + " in training mode is not supported");
  // What a call assigns, LibTorch keeps for the next call; a compiled plan
  // starts every call from the file's value. The two agree only when the
  // call assigns before it reads.
  if (!f.env.count(slot) && attributes_read_.count(slot))
    fail(f, target.loc, shown + " is read before this assignment: LibTorch would carry the value assigned here into the " +
                            "next call, which a compiled plan does not keep");
  if (!v.is_value() && v.kind != SugaredValue::Kind::tuple && !v.is_poison())
    fail(f, target.loc, "assigning a module or function to " + shown + " is not supported");
  f.env[slot] = std::move(v);
}

SugaredValue Emitter::constant_from_pickle(const PickleValue& v, Frame& f, const SourceLocation& loc, int depth) {
  using ir::Type;
  if (depth > kMaxModuleDepth) fail(f, loc, "attribute value nested too deeply");
  switch (v.kind()) {
    case PickleValue::Kind::none: return SugaredValue::of(constant(ir::NoneValue{}, Type::none()));
    case PickleValue::Kind::boolean: return SugaredValue::of(constant(v.to_bool(), Type::bool_()));
    case PickleValue::Kind::integer: return SugaredValue::of(constant(v.to_int(), Type::int_()));
    case PickleValue::Kind::floating: return SugaredValue::of(constant(v.to_double(), Type::float_()));
    case PickleValue::Kind::string: return SugaredValue::of(constant(v.to_str(), Type::string_()));
    case PickleValue::Kind::device: return SugaredValue::of(constant(v.device_name(), Type::device()));
    case PickleValue::Kind::tuple: {
      std::vector<SugaredValue> parts;
      for (const PickleValue& e : v.elements()) parts.push_back(constant_from_pickle(e, f, loc, depth + 1));
      return SugaredValue::tuple_of(std::move(parts));
    }
    case PickleValue::Kind::list: {
      std::vector<ir::Value*> items;
      ir::TypePtr elem;
      for (const PickleValue& e : v.elements()) {
        SugaredValue s = constant_from_pickle(e, f, loc, depth + 1);
        items.push_back(as_value(s, f, loc));
        elem = elem ? ir::unify(elem, items.back()->type()) : items.back()->type();
      }
      if (!elem) elem = Type::int_();
      ir::Node* n = builder_->create("prim::ListConstruct", items, {Type::list(elem)});
      return SugaredValue::of(n->output());
    }
    case PickleValue::Kind::dict: {
      std::vector<std::string> keys;
      std::vector<SugaredValue> values;
      for (const auto& [k, value] : v.dict_items()) {
        if (k.is(PickleValue::Kind::integer)) keys.push_back(int_dict_key(k.to_int()));
        else if (k.is(PickleValue::Kind::string)) keys.push_back(k.to_str());
        else fail(f, loc, "dict attributes need string or int keys");
        values.push_back(constant_from_pickle(value, f, loc, depth + 1));
      }
      return SugaredValue::dict_of(std::move(keys), std::move(values));
    }
    case PickleValue::Kind::tensor: {
      // A module tensor named again in an attribute (nn.LSTM's _flat_weights
      // lists its parameters): a read of that tensor.
      const Tensor& t = v.tensor();
      for (const ir::NamedTensor& nt : module_.tensors())
        if (nt.data.defined() && nt.data.data() == t.data() && nt.data.dtype() == t.dtype() &&
            nt.data.sizes() == t.sizes() && nt.data.strides() == t.strides())
          return SugaredValue::of(param(nt.name));
      fail(f, loc, "a tensor in a module attribute that is none of the module's parameters or buffers");
    }
    default:
      fail(f, loc, "module attribute of kind " + std::string(v.kind_name()) + " is not supported");
  }
}

void Emitter::throw_unsupported() const {
  std::string msg = std::to_string(unsupported_.size()) + " unsupported op" + (unsupported_.size() == 1 ? "" : "s") +
                    " in method '" + method_ + "':";
  for (const std::string& u : unsupported_) msg += "\n  " + u;
  throw Error(msg, {display_name_});
}

void Emitter::fail(const Frame& f, const SourceLocation& loc, const std::string& msg, const std::string& op) const {
  // What an unsupported op's missing result led to (a None where a tuple
  // was expected): the op is the error to report.
  if (!unsupported_.empty()) throw_unsupported();
  if (f.file) throw f.file->error(loc, msg, op);
  throw Error(msg, loc.known() ? loc : SourceLocation{display_name_}, op);
}

SugaredValue Emitter::unsupported(const Frame& f, const SourceLocation& loc, const std::string& what) {
  std::string line = f.file ? std::string(f.file->source.line(loc.line)) : std::string();
  size_t start = line.find_first_not_of(' ');
  line = start == std::string::npos ? std::string() : line.substr(start);
  std::string entry = loc.str() + ": " + what + (line.empty() ? "" : "    (" + line + ")");
  if (builder_ && builder_->insertion_point()->owning_block() != graph_->block()) {
    // Under a condition the inputs may decide (`if mask is not None:`), or in
    // a loop that may not run: a placeholder that fails the compile only if
    // it is still there once the graph is specialized and folded.
    ir::Node* n = builder_->create("prim::Unsupported", {}, {ir::Type::any()});
    n->attrs().set("what", entry);
    SugaredValue s = SugaredValue::poisoned();
    s.value = n->output();
    poisoned_.insert(s.value);
    return s;
  }
  // A function inlined several times reports each of its sites once.
  if (std::find(unsupported_.begin(), unsupported_.end(), entry) == unsupported_.end())
    unsupported_.push_back(std::move(entry));
  return SugaredValue::poisoned();
}

ir::Value* Emitter::placeholder_as(ir::Value* v, const ir::TypePtr& type) {
  ir::Value* p = builder_->create("prim::Unsupported", {v}, {type})->output();
  poisoned_.insert(p);
  return p;
}

void Emitter::set_source(const Frame& f, const SourceLocation& loc) {
  std::string line = f.file ? std::string(f.file->source.line(loc.line)) : std::string();
  size_t start = line.find_first_not_of(' ');
  builder_->set_source(loc, start == std::string::npos ? std::string() : line.substr(start));
}

ir::Value* Emitter::constant(ir::AttrValue v, ir::TypePtr t) { return builder_->constant(std::move(v), std::move(t)); }

}  // namespace wick
