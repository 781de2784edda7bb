#include "frontend/pickle_value.h"

#include <charconv>
#include <cstdio>
#include <unordered_map>
#include <variant>

#include "support/error.h"

namespace wick {

// The heap part of a value; scalars live inline in PickleValue.
struct PickleNode {
  struct Seq {  // tuple or list
    std::vector<PickleValue> items;
    std::string tag;
  };
  struct Dict {
    std::vector<std::pair<PickleValue, PickleValue>> items;
    std::string tag;
    std::unordered_map<std::string, size_t> index;  // hashable keys -> position
  };
  struct Object {
    std::string class_name;
    PickleValue state;
  };
  struct TensorData {
    Tensor tensor;
    bool requires_grad = false;
    std::shared_ptr<const QuantizedParts> quantized;
  };
  struct StorageData {
    std::shared_ptr<Storage> data;
    DType dtype = DType::u8;
    int64_t numel = 0;
    std::string key;
  };
  struct Global {
    std::string module;
    std::string qualified;
    int id = 0;
  };
  // std::string holds str, bytes and device text.
  std::variant<std::string, Seq, Dict, Object, TensorData, StorageData, Global> v;
};

namespace {

// Python treats equal str, int and bool keys as the same dict key.
bool hash_key(const PickleValue& key, std::string* out) {
  switch (key.kind()) {
    case PickleValue::Kind::string: *out = "s" + key.to_str(); return true;
    case PickleValue::Kind::integer: *out = "i" + std::to_string(key.to_int()); return true;
    case PickleValue::Kind::boolean: *out = key.to_bool() ? "i1" : "i0"; return true;
    default: return false;
  }
}

}  // namespace

std::string_view PickleValue::kind_name(Kind k) {
  switch (k) {
    case Kind::none: return "None";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return "str";
    case Kind::bytes: return "bytes";
    case Kind::tuple: return "tuple";
    case Kind::list: return "list";
    case Kind::dict: return "dict";
    case Kind::object: return "object";
    case Kind::tensor: return "tensor";
    case Kind::device: return "device";
    case Kind::storage: return "storage";
    case Kind::global: return "global";
  }
  return "?";
}

// Construction ---------------------------------------------------------------

PickleValue PickleValue::with_node(Kind k, PickleNode node) {
  PickleValue p;
  p.kind_ = k;
  p.node_ = std::make_shared<PickleNode>(std::move(node));
  return p;
}

PickleValue PickleValue::boolean(bool v) {
  PickleValue p;
  p.kind_ = Kind::boolean;
  p.int_ = v;
  return p;
}
PickleValue PickleValue::integer(int64_t v) {
  PickleValue p;
  p.kind_ = Kind::integer;
  p.int_ = v;
  return p;
}
PickleValue PickleValue::floating(double v) {
  PickleValue p;
  p.kind_ = Kind::floating;
  p.float_ = v;
  return p;
}
PickleValue PickleValue::string(std::string v) { return with_node(Kind::string, {std::move(v)}); }
PickleValue PickleValue::bytes(std::string v) { return with_node(Kind::bytes, {std::move(v)}); }
PickleValue PickleValue::device(std::string v) { return with_node(Kind::device, {std::move(v)}); }
PickleValue PickleValue::tuple(std::vector<PickleValue> items) {
  return with_node(Kind::tuple, {PickleNode::Seq{std::move(items), {}}});
}
PickleValue PickleValue::list(std::vector<PickleValue> items) {
  return with_node(Kind::list, {PickleNode::Seq{std::move(items), {}}});
}
PickleValue PickleValue::dict() { return with_node(Kind::dict, {PickleNode::Dict{}}); }
PickleValue PickleValue::object(std::string class_name) {
  return with_node(Kind::object, {PickleNode::Object{std::move(class_name), {}}});
}
PickleValue PickleValue::tensor(Tensor t, bool requires_grad) {
  return with_node(Kind::tensor, {PickleNode::TensorData{std::move(t), requires_grad, nullptr}});
}
PickleValue PickleValue::quantized_tensor(QuantizedParts parts, bool requires_grad) {
  auto q = std::make_shared<const QuantizedParts>(std::move(parts));
  return with_node(Kind::tensor, {PickleNode::TensorData{Tensor(), requires_grad, std::move(q)}});
}

Tensor QuantizedParts::floats() const {
  // The scale's dims are the values' from the channel dim on (none per tensor).
  const int64_t channels = scale.numel();
  int64_t inner = 1;
  for (int d = values.dim() - scale.dim() + 1; d < values.dim(); ++d) inner *= values.size(d);
  const Tensor q = values.contiguous();
  Tensor out = Tensor::empty(DType::f32, q.sizes());
  float* o = out.data_as<float>();
  const float* s = scale.data_as<float>();
  const float* z = zero_point.data_as<float>();
  const char* src = static_cast<const char*>(q.data());
  const size_t size = dtype_size(q.dtype());
  for (int64_t i = 0, n = q.numel(); i < n; ++i) {
    const size_t c = static_cast<size_t>(scale.dim() == 0 ? 0 : (i / inner) % channels);
    const float v = static_cast<float>(element_as_double(q.dtype(), src + i * size));
    o[i] = (v - z[c]) * s[c];
  }
  return out;
}
PickleValue PickleValue::storage(std::shared_ptr<Storage> data, DType dtype, int64_t numel,
                                 std::string key) {
  return with_node(Kind::storage,
                   {PickleNode::StorageData{std::move(data), dtype, numel, std::move(key)}});
}
PickleValue PickleValue::global(std::string module, std::string name, int id) {
  std::string qualified = module + "." + name;
  return with_node(Kind::global,
                   {PickleNode::Global{std::move(module), std::move(qualified), id}});
}

// Access ---------------------------------------------------------------------

PickleNode& PickleValue::node(Kind k, const char* what) const {
  if (kind_ != k) throw Error(std::string("expected ") + what + ", got " + repr(60));
  return *node_;
}

bool PickleValue::to_bool() const {
  if (kind_ != Kind::boolean) throw Error("expected a bool, got " + repr(60));
  return int_ != 0;
}
int64_t PickleValue::to_int() const {
  if (kind_ != Kind::integer) throw Error("expected an int, got " + repr(60));
  return int_;
}
double PickleValue::to_double() const {
  if (kind_ == Kind::integer) return static_cast<double>(int_);
  if (kind_ != Kind::floating) throw Error("expected a float, got " + repr(60));
  return float_;
}
const std::string& PickleValue::to_str() const {
  return std::get<std::string>(node(Kind::string, "a str").v);
}
const std::string& PickleValue::to_bytes() const {
  return std::get<std::string>(node(Kind::bytes, "bytes").v);
}
const std::vector<PickleValue>& PickleValue::elements() const {
  if (kind_ != Kind::tuple && kind_ != Kind::list)
    throw Error("expected a tuple or list, got " + repr(60));
  return std::get<PickleNode::Seq>(node_->v).items;
}
const std::vector<std::pair<PickleValue, PickleValue>>& PickleValue::dict_items() const {
  return std::get<PickleNode::Dict>(node(Kind::dict, "a dict").v).items;
}
const std::string& PickleValue::type_tag() const {
  if (kind_ == Kind::list) return std::get<PickleNode::Seq>(node_->v).tag;
  return std::get<PickleNode::Dict>(node(Kind::dict, "a list or dict").v).tag;
}
const std::string& PickleValue::class_name() const {
  if (kind_ == Kind::global) return std::get<PickleNode::Global>(node_->v).qualified;
  return std::get<PickleNode::Object>(node(Kind::object, "an object").v).class_name;
}
const PickleValue& PickleValue::state() const {
  return std::get<PickleNode::Object>(node(Kind::object, "an object").v).state;
}
const Tensor& PickleValue::tensor() const {
  auto& data = std::get<PickleNode::TensorData>(node(Kind::tensor, "a tensor").v);
  if (!data.tensor.defined() && data.quantized) data.tensor = data.quantized->floats();
  return data.tensor;
}
bool PickleValue::requires_grad() const {
  return std::get<PickleNode::TensorData>(node(Kind::tensor, "a tensor").v).requires_grad;
}
const QuantizedParts* PickleValue::quantized() const {
  return std::get<PickleNode::TensorData>(node(Kind::tensor, "a tensor").v).quantized.get();
}
const std::string& PickleValue::device_name() const {
  return std::get<std::string>(node(Kind::device, "a device").v);
}
const std::shared_ptr<Storage>& PickleValue::storage_data() const {
  return std::get<PickleNode::StorageData>(node(Kind::storage, "a storage").v).data;
}
DType PickleValue::storage_dtype() const {
  return std::get<PickleNode::StorageData>(node(Kind::storage, "a storage").v).dtype;
}
int64_t PickleValue::storage_numel() const {
  return std::get<PickleNode::StorageData>(node(Kind::storage, "a storage").v).numel;
}
const std::string& PickleValue::storage_key() const {
  return std::get<PickleNode::StorageData>(node(Kind::storage, "a storage").v).key;
}
int PickleValue::global_id() const {
  return std::get<PickleNode::Global>(node(Kind::global, "a global").v).id;
}
const std::string& PickleValue::global_module() const {
  return std::get<PickleNode::Global>(node(Kind::global, "a global").v).module;
}

const PickleValue* PickleValue::find(std::string_view key) const {
  if (kind_ == Kind::object) return state().find(key);
  if (kind_ != Kind::dict) return nullptr;
  const auto& d = std::get<PickleNode::Dict>(node_->v);
  auto it = d.index.find("s" + std::string(key));
  return it == d.index.end() ? nullptr : &d.items[it->second].second;
}

// Mutation -------------------------------------------------------------------

void PickleValue::append(PickleValue v) {
  std::get<PickleNode::Seq>(node(Kind::list, "a list").v).items.push_back(std::move(v));
}

void PickleValue::set_item(PickleValue key, PickleValue v) {
  auto& d = std::get<PickleNode::Dict>(node(Kind::dict, "a dict").v);
  std::string h;
  if (hash_key(key, &h)) {
    auto [it, inserted] = d.index.emplace(std::move(h), d.items.size());
    if (!inserted) {
      d.items[it->second].second = std::move(v);
      return;
    }
  }
  d.items.emplace_back(std::move(key), std::move(v));
}

void PickleValue::set_state(PickleValue state) {
  std::get<PickleNode::Object>(node(Kind::object, "an object").v).state = std::move(state);
}

void PickleValue::set_type_tag(std::string tag) {
  if (kind_ == Kind::list)
    std::get<PickleNode::Seq>(node_->v).tag = std::move(tag);
  else
    std::get<PickleNode::Dict>(node(Kind::dict, "a list or dict").v).tag = std::move(tag);
}

// Graph structure ------------------------------------------------------------

void PickleValue::children(std::vector<const PickleValue*>* out) const {
  if (!node_) return;
  if (auto* s = std::get_if<PickleNode::Seq>(&node_->v)) {
    for (const PickleValue& v : s->items) out->push_back(&v);
  } else if (auto* d = std::get_if<PickleNode::Dict>(&node_->v)) {
    for (const auto& [k, v] : d->items) {
      out->push_back(&k);
      out->push_back(&v);
    }
  } else if (auto* o = std::get_if<PickleNode::Object>(&node_->v)) {
    out->push_back(&o->state);
  }
}

void PickleValue::drop_children() {
  if (!node_) return;
  if (auto* s = std::get_if<PickleNode::Seq>(&node_->v)) {
    s->items.clear();
  } else if (auto* d = std::get_if<PickleNode::Dict>(&node_->v)) {
    d->items.clear();
    d->index.clear();
  } else if (auto* o = std::get_if<PickleNode::Object>(&node_->v)) {
    o->state = PickleValue();
  }
}

// Text -----------------------------------------------------------------------

std::string PickleValue::repr(size_t max_chars) const {
  std::string out;
  repr_into(&out, max_chars, 0);
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

void PickleValue::repr_into(std::string* out, size_t max_chars, int depth) const {
  if (out->size() > max_chars) return;
  if (depth > 16) {
    *out += "...";
    return;
  }
  auto quoted = [&](const std::string& s) {
    *out += "'";
    for (char c : s.substr(0, max_chars)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '\'' || c == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        *out += buf;
      } else {
        *out += c;
      }
    }
    *out += "'";
  };
  auto seq = [&](const std::vector<PickleValue>& items, const char* open, const char* close) {
    *out += open;
    for (size_t i = 0; i < items.size() && out->size() <= max_chars; ++i) {
      if (i) *out += ", ";
      items[i].repr_into(out, max_chars, depth + 1);
    }
    if (kind_ == Kind::tuple && items.size() == 1) *out += ",";
    *out += close;
  };
  switch (kind_) {
    case Kind::none: *out += "None"; break;
    case Kind::boolean: *out += int_ ? "True" : "False"; break;
    case Kind::integer: *out += std::to_string(int_); break;
    case Kind::floating: {
      // Shortest text that reads back exactly, spelled as Python spells floats.
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, float_);
      std::string text(buf, res.ptr);
      if (text.find_first_of(".en") == std::string::npos) text += ".0";
      *out += text;
      break;
    }
    case Kind::string: quoted(to_str()); break;
    case Kind::bytes: *out += "b"; quoted(to_bytes()); break;
    case Kind::tuple: seq(elements(), "(", ")"); break;
    case Kind::list: seq(elements(), "[", "]"); break;
    case Kind::dict: {
      *out += "{";
      const auto& items = dict_items();
      for (size_t i = 0; i < items.size() && out->size() <= max_chars; ++i) {
        if (i) *out += ", ";
        items[i].first.repr_into(out, max_chars, depth + 1);
        *out += ": ";
        items[i].second.repr_into(out, max_chars, depth + 1);
      }
      *out += "}";
      break;
    }
    case Kind::object:
      *out += class_name() + "(";
      state().repr_into(out, max_chars, depth + 1);
      *out += ")";
      break;
    case Kind::tensor: *out += "tensor " + tensor().describe(); break;
    case Kind::device: *out += "device('" + device_name() + "')"; break;
    case Kind::storage:
      *out += "storage '" + storage_key() + "' " + std::string(dtype_name(storage_dtype())) + "[" +
              std::to_string(storage_numel()) + "]";
      break;
    case Kind::global: *out += "global " + class_name(); break;
  }
}

}  // namespace wick
