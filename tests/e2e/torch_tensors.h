// Test helper: tensors between wick and LibTorch, copied (float32, int64 and
// bool; a float32 LibTorch tensor stays float32).
#pragma once

#include <torch/torch.h>

#include <cstring>
#include <stdexcept>

#include "support/tensor.h"

namespace wick::test {

inline Tensor to_wick(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  const DType dt = c.scalar_type() == torch::kBool ? DType::b8 : c.scalar_type() == torch::kLong ? DType::i64 : DType::f32;
  if (dt == DType::f32 && c.scalar_type() != torch::kFloat) throw std::runtime_error("test: unexpected dtype");
  Tensor w = Tensor::zeros(dt, c.sizes().vec());
  std::memcpy(w.data(), c.data_ptr(), w.nbytes());
  return w;
}

inline torch::Tensor to_torch(const Tensor& t) {
  const torch::ScalarType st = t.dtype() == DType::i64 ? torch::kLong : t.dtype() == DType::b8 ? torch::kBool : torch::kFloat;
  if (st == torch::kFloat && t.dtype() != DType::f32) throw std::runtime_error("test: unexpected dtype");
  return torch::from_blob(const_cast<void*>(t.contiguous().data()), t.sizes(), st).clone();
}

}  // namespace wick::test
