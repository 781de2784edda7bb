// Test helper: tensors between wick and LibTorch, copied (float32, float64,
// int64 and bool; the dtype stays), and a LibTorch tensor's type as the IR
// writes it, for graphs written as text.
#pragma once

#include <torch/torch.h>

#include <cstring>
#include <stdexcept>
#include <string>

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

}  // namespace wick::test
