// A Module: named tensors (parameters, buffers, constants) and methods.
// Methods read a named tensor through a prim::Param node. Tensors keep their
// data when the module comes from a .pt file; a module parsed from IR text
// knows only their types.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/tensor.h"

namespace wick::ir {

enum class TensorRole : uint8_t {
  parameter,  // trainable
  frozen,     // a parameter saved with requires_grad=False: read, never trained
  buffer,     // state such as batch-norm running statistics
  constant,   // tensors from CONSTANTS.cN in TorchScript code
};

std::string_view role_name(TensorRole r);  // "param", "frozen", "buffer", "constant"

struct NamedTensor {
  std::string name;  // dotted path, e.g. "layer1.0.conv1.weight"
  TensorRole role;
  TypePtr type;
  Tensor data;  // undefined when only the type is known
  // Complex in the file: `data` and `type` are its (real, imaginary) pairs,
  // a trailing dim of 2, and methods read it through aten::view_as_complex.
  bool complex_pairs = false;
};

class Module {
 public:
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Adds a named tensor; its type comes from the data (a complex tensor is
  // kept as its real pairs). Names are unique.
  const NamedTensor& add_tensor(const std::string& name, TensorRole role, Tensor data);
  const NamedTensor& add_tensor(const std::string& name, TensorRole role, TypePtr type);
  const NamedTensor* find_tensor(const std::string& name) const;
  const std::vector<NamedTensor>& tensors() const { return tensors_; }
  void set_tensor_data(const std::string& name, Tensor data);

  Graph* add_method(std::unique_ptr<Graph> graph);
  Graph* method(const std::string& name) const;  // null when absent
  const std::vector<std::unique_ptr<Graph>>& methods() const { return methods_; }

 private:
  std::string name_;
  std::vector<NamedTensor> tensors_;
  std::map<std::string, size_t> index_;
  std::vector<std::unique_ptr<Graph>> methods_;
};

}  // namespace wick::ir
