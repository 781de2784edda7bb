// PickleValue: the value tree read from a .pt file's data.pkl and constants.pkl.
//
// It holds exactly what TorchScript serializes: None, bool, int, float, str,
// bytes, tuples, lists and dicts (with the type annotation torch attaches,
// e.g. "Dict[str, int]"), objects of TorchScript classes (class name plus the
// state BUILD gave them), tensors, devices, and two values that exist only
// while reading (storages from persistent ids, and references to allowed
// globals). Like Python objects, values have reference semantics: copying a
// PickleValue shares its list, dict or object, which is how the pickle memo
// shares one value between several places.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/dtype.h"
#include "support/tensor.h"

namespace wick {

struct PickleNode;

// What a quantized tensor is made of: its integers (int8, uint8 or int32)
// and the f32 scale and zero point they are read with, shaped to broadcast
// against them (0-d per tensor; per channel of dim d, [C, 1, ...] over
// dims d onward), so that the floats it stands for are
// (values - zero_point) * scale.
struct QuantizedParts {
  Tensor values;
  Tensor scale;
  Tensor zero_point;

  Tensor floats() const;  // (values - zero_point) * scale, in f32
};

class PickleValue {
 public:
  enum class Kind : uint8_t {
    none,
    boolean,
    integer,
    floating,
    string,
    bytes,
    tuple,
    list,
    dict,
    object,   // an instance of a TorchScript class, e.g. __torch__.Net
    tensor,
    device,   // torch.device("cpu"), kept as its text
    storage,  // a tensor storage named by a persistent id
    global,   // an allowed global (a function or class) before it is called
  };

  PickleValue() = default;  // None
  static PickleValue boolean(bool v);
  static PickleValue integer(int64_t v);
  static PickleValue floating(double v);
  static PickleValue string(std::string v);
  static PickleValue bytes(std::string v);
  static PickleValue tuple(std::vector<PickleValue> items);
  static PickleValue list(std::vector<PickleValue> items);
  static PickleValue dict();
  static PickleValue object(std::string class_name);
  static PickleValue tensor(Tensor t, bool requires_grad);
  // A quantized tensor: quantized() gives its parts, tensor() the floats it
  // stands for, computed on first use (a model whose quantized tensors all
  // reach ops that take the integers never holds them as floats).
  static PickleValue quantized_tensor(QuantizedParts parts, bool requires_grad);
  static PickleValue device(std::string name);
  static PickleValue storage(std::shared_ptr<Storage> data, DType dtype, int64_t numel,
                             std::string key);
  // `id` is the reader's own tag for what the global does.
  static PickleValue global(std::string module, std::string name, int id);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_none() const { return kind_ == Kind::none; }
  // Tuples, lists, dicts and objects: the values that hold other values.
  bool is_container() const {
    return kind_ == Kind::tuple || kind_ == Kind::list || kind_ == Kind::dict ||
           kind_ == Kind::object;
  }
  static std::string_view kind_name(Kind k);
  std::string_view kind_name() const { return kind_name(kind_); }

  // Typed access. A mismatch is the file's fault, so it throws wick::Error.
  bool to_bool() const;
  int64_t to_int() const;
  double to_double() const;  // a float, or an int converted
  const std::string& to_str() const;    // string
  const std::string& to_bytes() const;  // bytes
  const std::vector<PickleValue>& elements() const;  // tuple or list
  const std::vector<std::pair<PickleValue, PickleValue>>& dict_items() const;
  // The annotation restore_type_tag/build_*list attached ("List[int]"), or "".
  const std::string& type_tag() const;  // list or dict
  // Object: "__torch__.Net"; global: "torch._utils._rebuild_tensor_v2".
  const std::string& class_name() const;
  const PickleValue& state() const;  // object state (None until BUILD)
  const Tensor& tensor() const;
  bool requires_grad() const;  // tensor
  const QuantizedParts* quantized() const;  // tensor: null unless quantized
  const std::string& device_name() const;
  const std::shared_ptr<Storage>& storage_data() const;
  DType storage_dtype() const;
  int64_t storage_numel() const;
  const std::string& storage_key() const;
  int global_id() const;
  const std::string& global_module() const;

  // Dict lookup by string key (last write wins, as in Python); for an object,
  // looks in its state dict. nullptr when absent or not applicable.
  const PickleValue* find(std::string_view key) const;

  // Mutation, used while reading a pickle. Throw wick::Error on a kind mismatch.
  void append(PickleValue v);                    // list
  void set_item(PickleValue key, PickleValue v);  // dict: replaces an equal str/int/bool key
  void set_state(PickleValue state);             // object
  void set_type_tag(std::string tag);            // list or dict

  // Graph structure, for the reader's cycle and depth checks.
  const void* identity() const { return node_.get(); }
  void children(std::vector<const PickleValue*>* out) const;
  void drop_children();  // empties this container so a cycle can be freed

  // Short Python-like text for messages and tests, e.g. "[1, 2.5, 'a']".
  std::string repr(size_t max_chars = 200) const;

 private:
  Kind kind_ = Kind::none;
  int64_t int_ = 0;  // bool and int
  double float_ = 0;
  std::shared_ptr<PickleNode> node_;

  static PickleValue with_node(Kind k, PickleNode node);
  PickleNode& node(Kind k, const char* what) const;
  void repr_into(std::string* out, size_t max_chars, int depth) const;
};

}  // namespace wick
