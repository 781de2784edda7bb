// matmul, linear, addmm and convolutions on bf16 tensors
// (runtime/extern_kernels.h) against the f32 results for the same values
// rounded once to bf16, on fresh random tensors: on this CPU's path (oneDNN's bf16 kernels where the
// CPU multiplies bf16, f32 accumulation) within one bf16 rounding, and on
// the widened path (as on a CPU without bf16 products) exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "runtime/dnnl_context.h"
#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "support/error.h"

namespace wick::rt {
namespace {

std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}

// A bf16 tensor of normal values, and its exact f32 copy.
std::pair<Tensor, Tensor> random_pair(const std::vector<int64_t>& sizes) {
  Tensor f = Tensor::empty(DType::f32, sizes);
  std::normal_distribution<float> d;
  for (int64_t i = 0; i < f.numel(); ++i) f.data_as<float>()[i] = d(rng());
  Tensor b = Tensor::empty(DType::bf16, sizes);
  round_into_bf16(f, b);
  return {b, widened_to_f32(b)};
}

// The largest difference between `got` (bf16) and `want` (f32) rounded to
// bf16, in units of bf16's relative precision (2^-8) of want's largest.
double bf16_steps(const Tensor& got, const Tensor& want) {
  Tensor rounded = Tensor::empty(DType::bf16, want.sizes());
  round_into_bf16(want, rounded);
  const Tensor g = widened_to_f32(got), w = widened_to_f32(rounded);
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    worst = std::max(worst, static_cast<double>(std::fabs(g.data_as<float>()[i] - w.data_as<float>()[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(w.data_as<float>()[i])));
  }
  return worst / (scale * std::ldexp(1.0, -8));
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.contiguous().data(), b.contiguous().data(), a.nbytes()) == 0;
}

// Runs `call` on bf16 operands (into a bf16 output) and on their f32 copies.
template <typename Call>
void check(const std::vector<std::vector<int64_t>>& operands, const std::vector<int64_t>& out_sizes, Call call) {
  std::vector<Tensor> bf, f32;
  for (const auto& sizes : operands) {
    auto [b, f] = random_pair(sizes);
    bf.push_back(b);
    f32.push_back(f);
  }
  Tensor want = Tensor::empty(DType::f32, out_sizes);
  call(f32, want);
  Tensor got = Tensor::empty(DType::bf16, out_sizes);
  call(bf, got);
  EXPECT_LE(bf16_steps(got, want), 2.0);
  // Widened, the f32 product itself, rounded once.
  dnnl_support::force_widened_bf16(true);
  Tensor widened = Tensor::empty(DType::bf16, out_sizes);
  call(bf, widened);
  dnnl_support::force_widened_bf16(false);
  Tensor rounded = Tensor::empty(DType::bf16, out_sizes);
  round_into_bf16(want, rounded);
  EXPECT_TRUE(same_bits(widened, rounded));
}

TEST(ProductsBf16, BatchedMatmul) {
  check({{4, 33, 70}, {4, 70, 19}}, {4, 33, 19}, [](std::vector<Tensor>& t, Tensor& out) { matmul(t[0], t[1], out); });
  check({{2, 3, 16, 8}, {8, 5}}, {2, 3, 16, 5}, [](std::vector<Tensor>& t, Tensor& out) { matmul(t[0], t[1], out); });
}

TEST(ProductsBf16, LinearWithBiasAndEpilogue) {
  check({{64, 96}, {48, 96}, {48}}, {64, 48}, [](std::vector<Tensor>& t, Tensor& out) {
    linear(t[0], t[1], t[2], out, Epilogue{PostOp::relu, 0.f, 0.f});
  });
}

TEST(ProductsBf16, AddmmScalesBothTerms) {
  check({{1, 12}, {20, 30}, {30, 12}}, {20, 12},
        [](std::vector<Tensor>& t, Tensor& out) { addmm(t[0], t[1], t[2], 0.5f, 2.f, out); });
}

TEST(ProductsBf16, EmptyInnerDimIsTheBias) {
  check({{6, 0}, {5, 0}, {5}}, {6, 5}, [](std::vector<Tensor>& t, Tensor& out) { linear(t[0], t[1], t[2], out); });
}

TEST(ProductsBf16, Convolutions) {
  Conv2dParams p;
  p.stride = {2, 1};
  p.padding = {1, 1};
  check({{2, 16, 9, 8}, {32, 16, 3, 3}, {32}}, {2, 32, 5, 8}, [&](std::vector<Tensor>& t, Tensor& out) {
    conv2d(t[0], t[1], t[2], p, out, Epilogue{PostOp::relu, 0.f, 0.f});
  });
  Conv1dParams q;
  q.groups = 2;
  check({{3, 4, 11}, {6, 2, 3}}, {3, 6, 9},
        [&](std::vector<Tensor>& t, Tensor& out) { conv1d(t[0], t[1], Tensor(), q, out); });
}

TEST(ProductsBf16, MixedDtypesAreErrors) {
  auto [x, xf] = random_pair({1, 2, 5, 5});
  auto [w, wf] = random_pair({3, 2, 3, 3});
  Tensor out = Tensor::empty(DType::bf16, {1, 3, 3, 3});
  EXPECT_THROW(conv2d(x, wf, Tensor(), Conv2dParams{}, out), Error);
  Tensor o = Tensor::empty(DType::bf16, {2, 2});
  EXPECT_THROW(matmul(random_pair({2, 3}).first, random_pair({3, 2}).second, o), Error);
}

}  // namespace
}  // namespace wick::rt
