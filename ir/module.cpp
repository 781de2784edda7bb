#include "ir/module.h"

namespace wick::ir {

std::string_view role_name(TensorRole r) {
  switch (r) {
    case TensorRole::parameter: return "param";
    case TensorRole::frozen: return "frozen";
    case TensorRole::buffer: return "buffer";
    case TensorRole::constant: return "constant";
  }
  return "?";
}

const NamedTensor& Module::add_tensor(const std::string& name, TensorRole role, Tensor data) {
  WICK_ASSERT(data.defined(), "add_tensor without data");
  const bool complex = is_complex(data.dtype());
  if (complex) data = as_real_pairs(data);
  const NamedTensor& t = add_tensor(name, role, Type::tensor_static(data.dtype(), data.sizes()));
  tensors_.back().data = std::move(data);
  tensors_.back().complex_pairs = complex;
  return t;
}

const NamedTensor& Module::add_tensor(const std::string& name, TensorRole role, TypePtr type) {
  if (index_.count(name)) throw Error("duplicate tensor name \"" + name + "\" in module");
  index_[name] = tensors_.size();
  tensors_.push_back({name, role, std::move(type), Tensor()});
  return tensors_.back();
}

const NamedTensor* Module::find_tensor(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void Module::set_tensor_data(const std::string& name, Tensor data) {
  auto it = index_.find(name);
  WICK_ASSERT(it != index_.end(), "set_tensor_data of unknown tensor " + name);
  tensors_[it->second].data = std::move(data);
}

Graph* Module::add_method(std::unique_ptr<Graph> graph) {
  if (method(graph->name())) throw Error("duplicate method @" + graph->name() + " in module");
  graph->set_module(this);
  methods_.push_back(std::move(graph));
  return methods_.back().get();
}

Graph* Module::method(const std::string& name) const {
  for (const auto& g : methods_)
    if (g->name() == name) return g.get();
  return nullptr;
}

}  // namespace wick::ir
