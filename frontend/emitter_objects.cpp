// Objects of TorchScript classes (`@torch.jit.script class Pair`) that the
// code makes. Saved code makes one in two steps:
//   p = __torch__.Pair.__new__(__torch__.Pair)
//   _0 = (p).__init__(a, b, )
// The object exists only while the emitter works. Its attributes are slots
// of the frames, as the module attributes a method assigns are, so ifs join
// them, loops carry them, inlined calls see and hand back their changes, and
// every name bound to the object (`q = p`, an argument, a tuple's part)
// shares them, as Python's references do. Only the attributes' values reach
// the graph.
#include <algorithm>

#include "frontend/emitter_impl.h"

namespace wick {

namespace {
// The attributes a class declares (`a : Tensor` in its body), in order.
std::vector<std::string> declared_fields(const CodeIndex::Class& cls) {
  std::vector<std::string> fields;
  for (const ts::StmtPtr& st : cls.def->body)
    if (const auto* a = st->get_if<ts::AssignStmt>(); a && !a->value)
      if (const auto* n = a->target->get_if<ts::NameExpr>()) fields.push_back(n->id);
  return fields;
}

bool declares(const CodeIndex::Class& cls, const std::string& name) {
  const std::vector<std::string> fields = declared_fields(cls);
  return std::find(fields.begin(), fields.end(), name) != fields.end();
}
}  // namespace

SugaredValue Emitter::make_object(const CodeIndex::Class& cls, Frame& f, const SourceLocation& loc) {
  if (made_objects_.size() >= 100000) fail(f, loc, "more than 100000 objects of TorchScript classes made");
  made_objects_.push_back(PickleValue::object(cls.name));
  made_objects_.back().set_state(PickleValue::dict());
  const PickleValue* o = &made_objects_.back();
  made_.emplace(o, made_.size());
  // Its slots are "@obj<N>_<Class>.<attribute>": names the IR text takes
  // for the values a loop carries, and never a module path ("@self.").
  const std::string short_name = cls.name.substr(cls.name.rfind('.') + 1);
  const std::string path = "obj" + std::to_string(made_objects_.size()) + "_" + short_name;
  object_paths_.emplace(o, path);
  return SugaredValue::module_object(o, path);
}

SugaredValue Emitter::made_object_attribute(const SugaredValue& obj, const std::string& name, Frame& f,
                                            const SourceLocation& loc) {
  if (auto it = f.env.find(attribute_slot(obj, name)); it != f.env.end()) return it->second;
  const CodeIndex::Class& cls = class_of(*obj.object, f, loc);
  if (auto member = class_member(obj, cls, name)) return *member;
  if (declares(cls, name)) fail(f, loc, "attribute '" + name + "' of " + describe_object(obj) + " is read before it is assigned");
  fail(f, loc, "class " + cls.name + " has no attribute '" + name + "'");
}

void Emitter::assign_made_object_attribute(const SugaredValue& obj, const std::string& name, SugaredValue v,
                                           Frame& f, const SourceLocation& loc) {
  const CodeIndex::Class& cls = class_of(*obj.object, f, loc);
  if (!declares(cls, name)) fail(f, loc, "class " + cls.name + " declares no attribute '" + name + "'");
  switch (v.kind) {
    case SugaredValue::Kind::value:
    case SugaredValue::Kind::object:
    case SugaredValue::Kind::tuple:
    case SugaredValue::Kind::dict:
    case SugaredValue::Kind::poison: break;
    default: fail(f, loc, "assigning a function or namespace to attribute '" + name + "' of " + describe_object(obj) + " is not supported");
  }
  f.env[attribute_slot(obj, name)] = std::move(v);
}

bool Emitter::join_made_objects(Frame (&branch)[2], std::set<std::string>& names, size_t made_before, Frame& f,
                                const SourceLocation& loc) {
  if (branch[0].terminated || branch[1].terminated) return false;  // the live branch's bindings stand
  auto made_here = [&](const SugaredValue* v) {
    return v && v->kind == SugaredValue::Kind::object && is_made_object(v->object) &&
           made_.at(v->object) >= made_before;
  };
  // Names bound to one pair of objects (aliases) share one joined object.
  std::map<std::pair<const PickleValue*, const PickleValue*>, SugaredValue> joined;
  std::vector<std::string> work(names.begin(), names.end());
  for (size_t w = 0; w < work.size(); ++w) {
    const std::string name = work[w];
    const SugaredValue* side[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; ++i)
      if (auto it = branch[i].env.find(name); it != branch[i].env.end()) side[i] = &it->second;
    if (!made_here(side[0]) || !made_here(side[1]) || side[0]->object == side[1]->object ||
        side[0]->object->class_name() != side[1]->object->class_name())
      continue;
    const SugaredValue sides[2] = {*side[0], *side[1]};
    auto key = std::make_pair(sides[0].object, sides[1].object);
    auto it = joined.find(key);
    if (it == joined.end()) {
      const CodeIndex::Class& cls = class_of(*sides[0].object, f, loc);
      it = joined.emplace(key, make_object(cls, f, loc)).first;
      for (const std::string& field : declared_fields(cls)) {
        const std::string slot = attribute_slot(it->second, field);
        bool both = true;
        for (int i = 0; i < 2; ++i) both = both && branch[i].env.count(attribute_slot(sides[i], field)) > 0;
        if (!both) continue;  // unassigned on a branch: unusable after the if
        for (int i = 0; i < 2; ++i) branch[i].env[slot] = branch[i].env.at(attribute_slot(sides[i], field));
        if (names.insert(slot).second) work.push_back(slot);
      }
    }
    for (int i = 0; i < 2; ++i) branch[i].env[name] = it->second;
  }
  return !joined.empty();
}

bool Emitter::is_bound_class_object(const SugaredValue& v) {
  return v.kind == SugaredValue::Kind::object && v.object->is(PickleValue::Kind::object) &&
         v.object->class_name().rfind("__torch__.torch.classes.", 0) == 0;
}

namespace {

std::string state_path(const std::string& object_path, size_t i) {
  return (object_path.empty() ? std::string() : object_path + ".") + std::to_string(i);
}

}  // namespace

void Emitter::push_state_tensor(const PickleValue& t, const std::string& path, std::vector<ir::Value*>& values) {
  auto buffer = [&](const std::string& name, const Tensor& v) {
    if (!module_.find_tensor(name)) module_.add_tensor(name, ir::TensorRole::buffer, v);
    values.push_back(param(name));
  };
  if (const QuantizedParts* q = t.quantized()) {
    buffer(path, q->values);
    buffer(path + ".scale", q->scale);
    buffer(path + ".zero_point", q->zero_point);
  } else {
    buffer(path, t.tensor());
  }
}

std::vector<ir::Value*> Emitter::bound_class_state(const SugaredValue& obj, Frame& f, const SourceLocation& loc) {
  const PickleValue& state = obj.object->state();
  if (!state.is(PickleValue::Kind::tuple))
    fail(f, loc, describe_object(obj) + " has no saved state to pass to an op, got " + state.repr(60));
  std::vector<ir::Value*> values;
  for (size_t i = 0; i < state.elements().size(); ++i) {
    const PickleValue& e = state.elements()[i];
    if (e.is(PickleValue::Kind::tensor)) {
      push_state_tensor(e, state_path(obj.path, i), values);
    } else if (e.is(PickleValue::Kind::object)) {
      fail(f, loc, describe_object(obj) + " holds an object in its state, which wick cannot pass to an op");
    } else {
      values.push_back(as_value(constant_from_pickle(e, f, loc), f, loc));
    }
  }
  return values;
}

SugaredValue Emitter::object_list(std::vector<SugaredValue> items, Frame& f, const SourceLocation& loc) {
  for (const SugaredValue& item : items)
    if (!is_bound_class_object(item))
      fail(f, loc, "a list of torch class objects may hold only such objects, got " +
                       (item.kind == SugaredValue::Kind::object ? describe_object(item) : std::string("a value")));
  return SugaredValue::object_list_of(std::move(items));
}

bool Emitter::is_object_list_annotation(const ts::Expr& annotation) {
  const auto* s = annotation.get_if<ts::SubscriptExpr>();
  return s && dotted_name(*s->value) == "List" && s->indices.size() == 1 &&
         dotted_name(*s->indices[0]).rfind("__torch__.torch.classes.", 0) == 0;
}

SugaredValue Emitter::append_object(const CallArgs& args, Frame& f, const SourceLocation& loc) {
  if (args.positional.size() != 2 || !args.keywords.empty()) fail(f, loc, "append() takes a list and one item");
  const SugaredValue& item = args.positional[1];
  if (!is_bound_class_object(item))
    fail(f, loc, "a list of torch class objects may hold only such objects, got " +
                     (item.kind == SugaredValue::Kind::object ? describe_object(item) : std::string("a value")));
  // The list exists only while emitting, so it cannot change at run time.
  if (builder_->insertion_point()->owning_block() != builder_->graph().block())
    fail(f, loc, "appending to a list of torch class objects inside a branch or loop decided at run time is not "
                 "supported");
  args.positional[0].items->push_back(item);
  return SugaredValue::of(constant(ir::NoneValue{}, ir::Type::none()));
}

Emitter::RecurrentCellParameters Emitter::recurrent_cell_parameters(const SugaredValue& list, Frame& f,
                                                                    const SourceLocation& loc) {
  std::vector<ir::Value*> tensors;
  std::vector<int64_t> reduce_range;
  for (const SugaredValue& cell : *list.items) {
    const std::string what = describe_object(cell);
    if (cell.object->class_name() != "__torch__.torch.classes.rnn.CellParamsBase")
      fail(f, loc, "a list holding " + what + " cannot be passed to an op");
    // __getstate__: (kind, tensors, doubles, ints, packed objects).
    const PickleValue& state = cell.object->state();
    const std::vector<PickleValue>* parts = state.is(PickleValue::Kind::tuple) ? &state.elements() : nullptr;
    if (!parts || parts->size() != 5 || !(*parts)[0].is(PickleValue::Kind::string))
      fail(f, loc, what + " has no saved state of 5 parts beginning with its kind, got " + state.repr(60));
    const std::string& kind = (*parts)[0].to_str();
    if (kind == "quantized")
      fail(f, loc, "statically quantized recurrent layers (cell parameters of kind 'quantized') are not supported");
    if (kind == "quantized_fp16")
      fail(f, loc, "float16 dynamically quantized recurrent layers (cell parameters of kind 'quantized_fp16') are not "
                   "supported");
    if (kind != "quantized_dynamic") fail(f, loc, "cell parameters of kind '" + kind + "' are not supported");
    const PickleValue& ints = (*parts)[3];
    const PickleValue& packed = (*parts)[4];
    if (!ints.is(PickleValue::Kind::list) || ints.elements().size() != 1 ||
        !ints.elements()[0].is(PickleValue::Kind::integer))
      fail(f, loc, what + " of kind 'quantized_dynamic' must hold one int (reduce_range), got " + ints.repr(60));
    if (!packed.is(PickleValue::Kind::list) || packed.elements().size() != 2)
      fail(f, loc, what + " of kind 'quantized_dynamic' must hold two packed weights, got " + packed.repr(60));
    reduce_range.push_back(ints.elements()[0].to_int() != 0 ? 1 : 0);
    // Each packed weight's state is (quantized weight, bias): the bias is
    // the one its product adds, as ATen's cells add it.
    for (size_t j = 0; j < 2; ++j) {
      const PickleValue& p = packed.elements()[j];
      const PickleValue* ps = p.is(PickleValue::Kind::object) ? &p.state() : nullptr;
      if (!ps || !ps->is(PickleValue::Kind::tuple) || ps->elements().size() != 2 ||
          !ps->elements()[0].is(PickleValue::Kind::tensor) || !ps->elements()[0].quantized())
        fail(f, loc, what + ": its packed weight " + std::to_string(j) + " must hold a quantized weight and a bias");
      const PickleValue& bias = ps->elements()[1];
      if (!bias.is(PickleValue::Kind::tensor))
        fail(f, loc, what + ": its packed weight " + std::to_string(j) + " has no bias, which quantized recurrent "
                     "layers always have");
      const std::string path = state_path(state_path(cell.path, 4), j);
      push_state_tensor(ps->elements()[0], state_path(path, 0), tensors);
      push_state_tensor(bias, state_path(path, 1), tensors);
    }
  }
  set_source(f, loc);
  ir::Value* list_value = builder_->create("prim::ListConstruct", tensors, {ir::Type::list(ir::Type::tensor())})->output();
  return {list_value, constant(reduce_range, ir::Type::list(ir::Type::int_()))};
}

std::string Emitter::describe_object(const SugaredValue& obj) const {
  return "an object of class " + obj.object->class_name();
}

}  // namespace wick
