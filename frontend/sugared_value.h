// What a TorchScript expression evaluates to while the emitter works: an IR
// value, or something that exists only at compile time: a module object of
// the pickled tree, a function or method to inline, a namespace such as
// `torch` or `ops.aten`, a Python builtin, or a tuple of such things. Only IR
// values reach the graph; the rest is resolved away during emission.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/code_index.h"
#include "frontend/pickle_value.h"
#include "ir/graph.h"

namespace wick {

struct SugaredValue {
  enum class Kind {
    value,      // an IR value
    object,     // a module object: `self`, `self.fc1`
    function,   // a free function, a method bound to `object`, or a closure
    name_path,  // a dotted namespace: torch, ops.aten, __torch__.x, CONSTANTS
    builtin,    // a Python builtin such as annotate, getattr, int
    tuple,      // a tuple whose parts may not be values (objects, functions)
    dict,       // a dict with string keys known while emitting: keys and parts
    object_list,  // a list of objects (torch's C++ class objects), shared by its aliases
    poison,     // the result of an op wick could not emit; errors were noted
  };

  Kind kind = Kind::poison;
  ir::Value* value = nullptr;
  const PickleValue* object = nullptr;  // object, and the self of a bound method
  std::string path;                     // object: "layer1.0"; name_path / builtin: the name
  std::optional<CodeIndex::Function> function;
  // function: for a `def` inside a method (what torch.jit.fork saves), the
  // variables of the enclosing function when the def ran.
  std::shared_ptr<const std::map<std::string, SugaredValue>> closure;
  std::vector<SugaredValue> parts;  // tuple; dict: the values
  std::vector<std::string> keys;    // dict, in insertion order
  // object_list: its items; every name bound to the list sees an append.
  std::shared_ptr<std::vector<SugaredValue>> items;

  static SugaredValue of(ir::Value* v) {
    SugaredValue s;
    s.kind = Kind::value;
    s.value = v;
    return s;
  }
  static SugaredValue module_object(const PickleValue* o, std::string path) {
    SugaredValue s;
    s.kind = Kind::object;
    s.object = o;
    s.path = std::move(path);
    return s;
  }
  static SugaredValue names(std::string path, Kind kind = Kind::name_path) {
    SugaredValue s;
    s.kind = kind;
    s.path = std::move(path);
    return s;
  }
  static SugaredValue poisoned() { return SugaredValue(); }
  static SugaredValue tuple_of(std::vector<SugaredValue> parts) {
    SugaredValue s;
    s.kind = Kind::tuple;
    s.parts = std::move(parts);
    return s;
  }

  static SugaredValue dict_of(std::vector<std::string> keys, std::vector<SugaredValue> values) {
    SugaredValue s;
    s.kind = Kind::dict;
    s.keys = std::move(keys);
    s.parts = std::move(values);
    return s;
  }

  static SugaredValue object_list_of(std::vector<SugaredValue> items) {
    SugaredValue s;
    s.kind = Kind::object_list;
    s.items = std::make_shared<std::vector<SugaredValue>>(std::move(items));
    return s;
  }

  bool is_value() const { return kind == Kind::value; }
  bool is_poison() const { return kind == Kind::poison; }
};

}  // namespace wick
