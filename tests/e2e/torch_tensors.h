// Test helpers for graphs checked against LibTorch: tensors between wick and
// LibTorch, copied (float32, float64, int64 and bool; the dtype stays), a
// LibTorch tensor's type as the IR writes it, and a module written as text
// compiled and run on LibTorch tensors.
#pragma once

#include <torch/torch.h>

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include <vector>

#include "api/compiled_graph.h"
#include "ir/parser.h"
#include "support/tensor.h"

namespace wick::test {

inline Tensor to_wick(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  DType dt;
  switch (c.scalar_type()) {
    case torch::kFloat: dt = DType::f32; break;
    case torch::kDouble: dt = DType::f64; break;
    case torch::kLong: dt = DType::i64; break;
    case torch::kBool: dt = DType::b8; break;
    default: throw std::runtime_error("test: unexpected dtype");
  }
  Tensor w = Tensor::zeros(dt, c.sizes().vec());
  std::memcpy(w.data(), c.data_ptr(), w.nbytes());
  return w;
}

inline torch::Tensor to_torch(const Tensor& t) {
  torch::ScalarType st;
  switch (t.dtype()) {
    case DType::f32: st = torch::kFloat; break;
    case DType::f64: st = torch::kDouble; break;
    case DType::i64: st = torch::kLong; break;
    case DType::b8: st = torch::kBool; break;
    default: throw std::runtime_error("test: unexpected dtype");
  }
  return torch::from_blob(const_cast<void*>(t.contiguous().data()), t.sizes(), st).clone();
}

// Tensor(dtype, [sizes]) for a graph's parameter list.
inline std::string wir_type(const torch::Tensor& t) {
  std::string dims;
  for (int64_t d : t.sizes()) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  const char* dtype;
  switch (t.scalar_type()) {
    case torch::kFloat: dtype = "f32"; break;
    case torch::kDouble: dtype = "f64"; break;
    case torch::kLong: dtype = "i64"; break;
    case torch::kBool: dtype = "bool"; break;
    default: throw std::runtime_error("test: unexpected dtype");
  }
  return std::string("Tensor(") + dtype + ", [" + dims + "])";
}

// Compiles the forward method of the module in `text` (called `file` in
// its errors) for the types its parameters declare and runs it on `inputs`;
// the module's tensors take their values from `tensors` by name.
inline std::vector<torch::Tensor> run_module_text(const std::string& text, const std::string& file,
                                                  const std::vector<torch::Tensor>& inputs,
                                                  const std::map<std::string, torch::Tensor>& tensors = {}) {
  auto m = ir::parse_module(text, file);
  for (const auto& [name, value] : tensors) m->set_tensor_data(name, to_wick(value));
  const ir::Graph& g = *m->method("forward");
  std::vector<ir::TypePtr> types;
  for (const ir::Value* in : g.inputs()) types.push_back(in->type());
  auto compiled = compile_graph(g, *m, types);
  std::vector<Tensor> args;
  for (const torch::Tensor& t : inputs) args.push_back(to_wick(t));
  std::vector<torch::Tensor> out;
  for (const Tensor& t : compiled->executor().run(args)) out.push_back(to_torch(t));
  return out;
}

}  // namespace wick::test
