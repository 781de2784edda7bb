// The extern kernels against LibTorch on the same random data: matmul in all
// its ranks and broadcasts, linear, addmm, conv1d/conv2d (groups, depthwise,
// dilation, padding, strided inputs), max/avg/adaptive pooling (ceil mode,
// padding rules, non-divisible windows), every epilogue, strided and
// transposed operands and outputs, and the output-size helpers against the
// sizes LibTorch produces over a grid of parameters. Relative error
// max|out - ref| / max|ref| must stay within 1e-4.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "runtime/extern_kernels.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using Sizes = std::vector<int64_t>;
constexpr double kTolerance = 1e-4;

Tensor random_tensor(const Sizes& sizes, uint32_t seed) {
  Tensor t = Tensor::zeros(DType::f32, sizes);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// Fresh output memory filled with NaN, so unwritten elements show up.
Tensor nan_tensor(const Sizes& sizes) {
  Tensor t = Tensor::zeros(DType::f32, sizes);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std::numeric_limits<float>::quiet_NaN();
  return t;
}

// A view of random data with `sizes` whose dimensions are laid out in memory
// in the order `order` (outermost first): {1, 0} on a matrix is a transpose.
Tensor permuted_view(const Sizes& sizes, const std::vector<int>& order, uint32_t seed) {
  Sizes stored;
  for (int d : order) stored.push_back(sizes[d]);
  Tensor base = random_tensor(stored, seed);
  Sizes strides(sizes.size());
  for (size_t i = 0; i < order.size(); ++i) strides[order[i]] = base.strides()[i];
  return base.as_strided(sizes, strides, 0);
}

torch::Tensor to_torch(const Tensor& t) {
  return torch::from_blob(t.data(), t.sizes(), t.strides(), torch::kFloat).clone();
}

// The reference, computed by LibTorch on one thread.
template <typename F>
torch::Tensor ref(F f) {
  torch::set_num_threads(1);
  return f();
}

double rel_error(const Tensor& out, const torch::Tensor& expected) {
  EXPECT_EQ(out.sizes(), expected.sizes().vec());
  if (out.sizes() != expected.sizes().vec()) return INFINITY;
  if (out.numel() == 0) return 0;
  torch::Tensor got = to_torch(out);
  if (got.isnan().any().item<bool>() != expected.isnan().any().item<bool>()) return INFINITY;
  double scale = expected.abs().max().item<double>();
  double diff = (got - expected).abs().max().item<double>();
  return scale > 0 ? diff / scale : diff;
}

torch::Tensor apply_ref(const Epilogue& e, const torch::Tensor& x) {
  switch (e.op) {
    case PostOp::none: return x;
    case PostOp::relu: return e.alpha == 0.f ? torch::relu(x) : torch::leaky_relu(x, e.alpha);
    case PostOp::clip: return torch::hardtanh(x, e.alpha, e.beta);
    case PostOp::gelu_erf: return torch::gelu(x, "none");
    case PostOp::gelu_tanh: return torch::gelu(x, "tanh");
    case PostOp::sigmoid: return torch::sigmoid(x);
    case PostOp::tanh: return torch::tanh(x);
    case PostOp::silu: return torch::silu(x);
    case PostOp::hardswish: return torch::hardswish(x);
  }
  return x;
}

const std::vector<Epilogue> kEpilogues = {{PostOp::relu},           {PostOp::relu, 0.1f},
                                          {PostOp::clip, 0.f, 6.f}, {PostOp::clip, -0.5f, 0.25f},
                                          {PostOp::gelu_erf},       {PostOp::gelu_tanh},
                                          {PostOp::sigmoid},        {PostOp::tanh},
                                          {PostOp::silu},           {PostOp::hardswish}};

std::string describe(const Tensor& t) {
  return shape_str(t.sizes()) + " strides " + shape_str(t.strides());
}

void check_matmul(const Tensor& a, const Tensor& b, const Epilogue& e = {}) {
  SCOPED_TRACE("matmul " + describe(a) + " x " + describe(b));
  Tensor out = nan_tensor(matmul_output_sizes(a.sizes(), b.sizes()));
  matmul(a, b, out, e);
  auto expected = ref([&] { return apply_ref(e, torch::matmul(to_torch(a), to_torch(b))); });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, MatmulShapes) {
  const std::vector<std::pair<Sizes, Sizes>> cases = {{{3, 4}, {4, 5}},
                                                      {{1, 1}, {1, 1}},
                                                      {{64, 128}, {128, 32}},
                                                      {{5}, {5}},
                                                      {{3, 4}, {4}},
                                                      {{4}, {4, 6}},
                                                      {{2, 3, 4}, {2, 4, 5}},
                                                      {{2, 3, 4}, {4, 5}},
                                                      {{4}, {2, 4, 5}},
                                                      {{2, 3, 4}, {4}},
                                                      {{2, 1, 3, 4}, {5, 4, 6}},
                                                      {{1, 3, 4}, {7, 4, 2}},
                                                      {{2, 2, 3, 4}, {2, 2, 4, 5}},
                                                      {{3, 4}, {2, 4, 5}},
                                                      {{6, 1, 7}, {7, 9}},
                                                      {{3, 0}, {0, 4}},
                                                      {{0, 4}, {4, 5}},
                                                      {{2, 0, 4}, {4, 3}},
                                                      {{33, 70}, {70, 1}},
                                                      {{1, 70}, {70, 33}}};
  uint32_t seed = 1;
  for (auto& [sa, sb] : cases) {
    check_matmul(random_tensor(sa, seed), random_tensor(sb, seed + 1));
    seed += 2;
  }
}

TEST(ExternKernels, MatmulStridedOperands) {
  // Transposed operands (read in place through their strides).
  check_matmul(permuted_view({8, 5}, {1, 0}, 1), random_tensor({5, 6}, 2));
  check_matmul(random_tensor({8, 5}, 3), permuted_view({5, 6}, {1, 0}, 4));
  check_matmul(permuted_view({8, 5}, {1, 0}, 5), permuted_view({5, 6}, {1, 0}, 6));
  check_matmul(permuted_view({3, 8, 5}, {0, 2, 1}, 7), permuted_view({3, 5, 6}, {0, 2, 1}, 8));
  // Batch dimension not outermost.
  check_matmul(permuted_view({3, 8, 5}, {1, 0, 2}, 9), random_tensor({3, 5, 6}, 10));
  check_matmul(permuted_view({3, 8, 5}, {1, 0, 2}, 11), random_tensor({5, 6}, 12));
  // Every other column: no unit stride in the matrix.
  Tensor wide = random_tensor({8, 10}, 13);
  check_matmul(wide.as_strided({8, 5}, {10, 2}, 0), random_tensor({5, 4}, 14));
  check_matmul(random_tensor({4, 8}, 15), wide.as_strided({8, 5}, {10, 2}, 1));
  // An expanded (stride-0) batch, on either side.
  Tensor one = random_tensor({1, 5, 6}, 16);
  check_matmul(random_tensor({3, 8, 5}, 17), one.as_strided({3, 5, 6}, {0, 6, 1}, 0));
  Tensor lhs = random_tensor({1, 8, 5}, 18);
  check_matmul(lhs.as_strided({3, 8, 5}, {0, 5, 1}, 0), random_tensor({3, 5, 6}, 19));
  check_matmul(lhs.as_strided({3, 8, 5}, {0, 5, 1}, 0), one.as_strided({3, 5, 6}, {0, 6, 1}, 0));
  // A strided 1-D operand.
  Tensor v = random_tensor({10}, 20);
  check_matmul(random_tensor({4, 5}, 21), v.as_strided({5}, {2}, 0));
  // Diagonals of [2, 4, 4] blocks (strides 16, 5): rows oneDNN cannot
  // describe in place, since they overlap the next batch's span; copied.
  Tensor blocks = random_tensor({2, 4, 4}, 22);
  check_matmul(blocks.as_strided({2, 4, 1}, {16, 5, 1}, 0), random_tensor({2, 1, 3}, 23));
  check_matmul(random_tensor({2, 3, 4}, 24), blocks.as_strided({2, 4, 1}, {16, 5, 1}, 0));
}

TEST(ExternKernels, MatmulIntoStridedOutput) {
  Tensor a = random_tensor({6, 5}, 1), b = random_tensor({5, 7}, 2);
  Tensor base = nan_tensor({7, 6});
  Tensor out = base.as_strided({6, 7}, {1, 6}, 0);  // a transposed output
  matmul(a, b, out);
  auto expected = ref([&] { return torch::matmul(to_torch(a), to_torch(b)); });
  EXPECT_LE(rel_error(out, expected), kTolerance);

  Tensor padded = nan_tensor({6, 9});
  Tensor rows = padded.as_strided({6, 7}, {9, 1}, 1);  // rows with a gap
  matmul(a, b, rows);
  EXPECT_LE(rel_error(rows, expected), kTolerance);
  EXPECT_TRUE(std::isnan(padded.data_as<float>()[0]));  // outside the view: untouched
}

TEST(ExternKernels, MatmulEpilogues) {
  for (const Epilogue& e : kEpilogues) {
    SCOPED_TRACE("post-op " + std::to_string(static_cast<int>(e.op)));
    check_matmul(random_tensor({7, 9}, 1), random_tensor({9, 5}, 2), e);
    check_matmul(random_tensor({2, 7, 9}, 3), random_tensor({9, 5}, 4), e);
    Tensor out = nan_tensor({3, 4});
    matmul(random_tensor({3, 0}, 5), random_tensor({0, 4}, 6), out, e);  // empty product
    EXPECT_LE(rel_error(out, ref([&] { return apply_ref(e, torch::zeros({3, 4})); })), kTolerance);
  }
}

void check_linear(const Tensor& x, const Tensor& w, const Tensor& bias, const Epilogue& e = {}) {
  SCOPED_TRACE("linear " + describe(x) + " weight " + describe(w));
  Tensor out = nan_tensor(
      linear_output_sizes(x.sizes(), w.sizes(), bias.defined() ? bias.sizes() : Sizes{}));
  linear(x, w, bias, out, e);
  auto expected = ref([&] {
    return apply_ref(e, torch::linear(to_torch(x), to_torch(w),
                                      bias.defined() ? to_torch(bias) : torch::Tensor()));
  });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, Linear) {
  check_linear(random_tensor({8, 16}, 1), random_tensor({32, 16}, 2), random_tensor({32}, 3));
  check_linear(random_tensor({8, 16}, 4), random_tensor({32, 16}, 5), Tensor());
  check_linear(random_tensor({2, 5, 16}, 6), random_tensor({12, 16}, 7), random_tensor({12}, 8));
  check_linear(random_tensor({2, 3, 5, 16}, 9), random_tensor({4, 16}, 10), random_tensor({4}, 11));
  check_linear(random_tensor({16}, 12), random_tensor({4, 16}, 13), random_tensor({4}, 14));
  check_linear(random_tensor({1, 300}, 15), random_tensor({200, 300}, 16),
               random_tensor({200}, 17));
  // Batch rows that do not fold into one matrix, a weight stored transposed,
  // a strided bias.
  check_linear(permuted_view({2, 5, 16}, {1, 0, 2}, 18), random_tensor({12, 16}, 19),
               random_tensor({12}, 20));
  check_linear(random_tensor({8, 16}, 21), permuted_view({12, 16}, {1, 0}, 22),
               random_tensor({24}, 23).as_strided({12}, {2}, 0));
  check_linear(random_tensor({8, 0}, 24), random_tensor({3, 0}, 25), random_tensor({3}, 26));
  for (const Epilogue& e : kEpilogues)
    check_linear(random_tensor({6, 16}, 27), random_tensor({10, 16}, 28), random_tensor({10}, 29),
                 e);
}

void check_addmm(const Tensor& bias, const Tensor& a, const Tensor& b, float beta, float alpha) {
  SCOPED_TRACE("addmm bias " + describe(bias) + " beta " + std::to_string(beta) + " alpha " +
               std::to_string(alpha));
  Tensor out = nan_tensor(addmm_output_sizes(bias.sizes(), a.sizes(), b.sizes()));
  addmm(bias, a, b, beta, alpha, out);
  auto expected =
      ref([&] { return torch::addmm(to_torch(bias), to_torch(a), to_torch(b), beta, alpha); });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, Addmm) {
  Tensor a = random_tensor({6, 9}, 1), b = random_tensor({9, 5}, 2);
  for (const Sizes& bs : std::vector<Sizes>{{5}, {1, 5}, {6, 1}, {6, 5}, {}, {1, 1}})
    for (auto [beta, alpha] :
         std::vector<std::pair<float, float>>{{1, 1}, {0.5f, 2}, {0, 1}, {1, -1}})
      check_addmm(random_tensor(bs, 3), a, b, beta, alpha);
  check_addmm(random_tensor({5}, 4), permuted_view({6, 9}, {1, 0}, 5),
              permuted_view({9, 5}, {1, 0}, 6), 0.25f, 1.5f);
  check_addmm(random_tensor({6, 5}, 7), random_tensor({6, 0}, 8), random_tensor({0, 5}, 9), 2.f,
              1.f);

  // beta == 0 ignores the input, NaNs included.
  Tensor out = nan_tensor({6, 5});
  addmm(nan_tensor({6, 5}), a, b, 0.f, 1.f, out);
  EXPECT_LE(rel_error(out, ref([&] { return torch::matmul(to_torch(a), to_torch(b)); })),
            kTolerance);

  // In place: out is the input.
  Tensor acc = random_tensor({6, 5}, 10);
  auto expected =
      ref([&] { return torch::addmm(to_torch(acc), to_torch(a), to_torch(b), 0.5, 2.0); });
  addmm(acc, a, b, 0.5f, 2.f, acc);
  EXPECT_LE(rel_error(acc, expected), kTolerance);

  Tensor fused = nan_tensor({6, 5});
  Tensor row = random_tensor({5}, 11);
  addmm(row, a, b, 1.f, 1.f, fused, {PostOp::relu});
  EXPECT_LE(rel_error(fused, ref([&] {
                        return torch::relu(torch::addmm(to_torch(row), to_torch(a), to_torch(b)));
                      })),
            kTolerance);
}

struct ConvCase {
  Sizes input;
  Sizes weight;
  Conv2dParams p;
  bool bias = true;
};

void check_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p,
                  const Epilogue& e = {}) {
  SCOPED_TRACE("conv2d " + describe(x) + " weight " + shape_str(w.sizes()) + " stride " +
               std::to_string(p.stride[0]) + " pad " + std::to_string(p.padding[0]) + " dil " +
               std::to_string(p.dilation[0]) + " groups " + std::to_string(p.groups));
  Tensor out = nan_tensor(conv2d_output_sizes(x.sizes(), w.sizes(), p));
  conv2d(x, w, bias, p, out, e);
  auto expected = ref([&] {
    return apply_ref(e, torch::conv2d(to_torch(x), to_torch(w),
                                      bias.defined() ? to_torch(bias) : torch::Tensor(),
                                      {p.stride[0], p.stride[1]}, {p.padding[0], p.padding[1]},
                                      {p.dilation[0], p.dilation[1]}, p.groups));
  });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, Conv2d) {
  const std::vector<ConvCase> cases = {
      {{2, 3, 8, 8}, {4, 3, 3, 3}, {.padding = {1, 1}}},
      {{1, 3, 9, 7}, {5, 3, 3, 3}, {.stride = {2, 2}}},
      {{1, 4, 10, 10}, {6, 4, 3, 3}, {.padding = {2, 2}, .dilation = {2, 2}}},
      {{2, 8, 6, 6}, {8, 4, 3, 3}, {.padding = {1, 1}, .groups = 2}},
      {{1, 32, 14, 14}, {32, 1, 3, 3}, {.padding = {1, 1}, .groups = 32}},  // depthwise
      {{2, 16, 15, 15}, {16, 1, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 16}},
      {{1, 24, 7, 7}, {48, 1, 3, 3}, {.padding = {1, 1}, .groups = 24}},  // depth multiplier 2
      {{2, 16, 7, 7}, {32, 16, 1, 1}, {}, false},                         // pointwise
      {{1, 3, 32, 32}, {8, 3, 7, 7}, {.stride = {2, 2}, .padding = {3, 3}}},
      {{1, 3, 10, 12}, {4, 3, 3, 5}, {.stride = {1, 2}, .padding = {0, 2}, .dilation = {2, 1}}},
      {{3, 8, 8}, {4, 3, 3, 3}, {.padding = {1, 1}}},  // unbatched
      {{5, 6, 6}, {2, 5, 3, 3}, {}},                   // unbatched
      {{0, 3, 5, 5}, {2, 3, 3, 3}, {}},                // empty batch
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    Tensor bias = c.bias ? random_tensor({c.weight[0]}, seed++) : Tensor();
    check_conv2d(random_tensor(c.input, seed), random_tensor(c.weight, seed + 1), bias, c.p);
    seed += 2;
  }
}

TEST(ExternKernels, Conv2dStridedAndFused) {
  // Channels-last input memory viewed as NCHW, and a transposed weight.
  Tensor x = permuted_view({2, 8, 9, 9}, {0, 2, 3, 1}, 1);
  check_conv2d(x, random_tensor({6, 8, 3, 3}, 2), random_tensor({6}, 3), {.padding = {1, 1}});
  check_conv2d(x, permuted_view({6, 8, 3, 3}, {1, 0, 2, 3}, 4), Tensor(), {.stride = {2, 2}});
  check_conv2d(x, random_tensor({8, 1, 3, 3}, 5), random_tensor({8}, 6),
               {.padding = {1, 1}, .groups = 8});
  // A channel slice of a wider tensor.
  Tensor wide = random_tensor({2, 12, 9, 9}, 7);
  Tensor slice = wide.as_strided({2, 6, 9, 9}, wide.strides(), 3 * 81);
  check_conv2d(slice, random_tensor({4, 6, 3, 3}, 8), random_tensor({4}, 9), {});
  check_conv2d(slice, random_tensor({4, 6, 3, 3}, 8), random_tensor({8}, 9).as_strided({4}, {2}, 1),
               {});
  for (const Epilogue& e : kEpilogues)
    check_conv2d(random_tensor({1, 8, 6, 6}, 10), random_tensor({8, 8, 3, 3}, 11),
                 random_tensor({8}, 12), {.padding = {1, 1}}, e);
  // Depthwise with relu6, as in MobileNetV2.
  check_conv2d(random_tensor({1, 32, 12, 12}, 13), random_tensor({32, 1, 3, 3}, 14),
               random_tensor({32}, 15), {.stride = {2, 2}, .padding = {1, 1}, .groups = 32},
               {PostOp::clip, 0.f, 6.f});
  // Output into a channel slice of a wider tensor (a concatenation).
  Tensor cat = nan_tensor({1, 10, 6, 6});
  Tensor part = cat.as_strided({1, 4, 6, 6}, cat.strides(), 2 * 36);
  Tensor in = random_tensor({1, 3, 6, 6}, 16), w = random_tensor({4, 3, 3, 3}, 17);
  conv2d(in, w, Tensor(), {.padding = {1, 1}}, part);
  EXPECT_LE(
      rel_error(part, ref([&] { return torch::conv2d(to_torch(in), to_torch(w), {}, 1, 1); })),
      kTolerance);
  EXPECT_TRUE(std::isnan(cat.data_as<float>()[0]));

  // Enough channels for oneDNN's blocked layouts: the operands are converted
  // from and to the callers' strided layouts on the way.
  Tensor nhwc = permuted_view({2, 32, 10, 10}, {0, 2, 3, 1}, 18);
  check_conv2d(nhwc, random_tensor({24, 32, 3, 3}, 19), random_tensor({24}, 20),
               {.padding = {1, 1}});
  check_conv2d(nhwc, random_tensor({32, 1, 3, 3}, 21), random_tensor({32}, 22),
               {.stride = {2, 2}, .padding = {1, 1}, .groups = 32}, {PostOp::clip, 0.f, 6.f});
  Tensor wide_out = nan_tensor({2, 40, 10, 10});
  Tensor slot = wide_out.as_strided({2, 20, 10, 10}, wide_out.strides(), 10 * 100);
  Tensor w2 = random_tensor({20, 32, 3, 3}, 23);
  conv2d(nhwc, w2, Tensor(), {.padding = {1, 1}}, slot);
  EXPECT_LE(
      rel_error(slot, ref([&] { return torch::conv2d(to_torch(nhwc), to_torch(w2), {}, 1, 1); })),
      kTolerance);
  EXPECT_TRUE(std::isnan(wide_out.data_as<float>()[0]));
  EXPECT_TRUE(std::isnan(wide_out.data_as<float>()[wide_out.numel() - 1]));
}

TEST(ExternKernels, ConcurrentCallers) {
  // Several threads run the same cached primitives at once.
  Tensor x = random_tensor({1, 32, 12, 12}, 1), w = random_tensor({32, 32, 3, 3}, 2);
  Tensor a = random_tensor({20, 30}, 3), b = random_tensor({30, 10}, 4);
  auto conv_ref = ref([&] { return torch::conv2d(to_torch(x), to_torch(w), {}, 1, 1); });
  auto mm_ref = ref([&] { return torch::matmul(to_torch(a), to_torch(b)); });
  std::atomic<int> bad{0};
  auto work = [&] {
    for (int i = 0; i < 20; ++i) {
      Tensor out = nan_tensor({1, 32, 12, 12}), c = nan_tensor({20, 10});
      conv2d(x, w, Tensor(), {.padding = {1, 1}}, out);
      matmul(a, b, c);
      if (!(rel_error(out, conv_ref) <= kTolerance) || !(rel_error(c, mm_ref) <= kTolerance)) ++bad;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(ExternKernels, Conv1d) {
  struct Case {
    Sizes input, weight;
    Conv1dParams p;
  };
  const std::vector<Case> cases = {
      {{2, 4, 20}, {6, 4, 3}, {.padding = 1}},
      {{1, 6, 31}, {8, 3, 5}, {.stride = 2, .padding = 2, .dilation = 2, .groups = 2}},
      {{3, 8, 16}, {8, 1, 3}, {.padding = 1, .groups = 8}},
      {{4, 25}, {3, 4, 4}, {.stride = 3}},         // unbatched
      {{2, 32, 40}, {16, 32, 5}, {.padding = 2}},  // blocked layouts
      {{1, 48, 30}, {48, 1, 3}, {.padding = 1, .groups = 48}},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    Tensor x = random_tensor(c.input, seed++), w = random_tensor(c.weight, seed++);
    Tensor bias = random_tensor({c.weight[0]}, seed++);
    Tensor out = nan_tensor(conv1d_output_sizes(x.sizes(), w.sizes(), c.p));
    conv1d(x, w, bias, c.p, out, {PostOp::tanh});
    auto expected = ref([&] {
      return torch::tanh(torch::conv1d(to_torch(x), to_torch(w), to_torch(bias), c.p.stride,
                                       c.p.padding, c.p.dilation, c.p.groups));
    });
    EXPECT_LE(rel_error(out, expected), kTolerance) << shape_str(c.input);
  }
}

TEST(ExternKernels, Conv3d) {
  struct Case {
    Sizes input, weight;
    Conv3dParams p;
  };
  const std::vector<Case> cases = {
      {{2, 3, 6, 10, 9}, {8, 3, 3, 3, 3}, {.padding = {1, 1, 1}}},
      {{1, 4, 7, 9, 8}, {6, 2, 3, 2, 3}, {.stride = {2, 1, 2}, .padding = {1, 0, 1}, .dilation = {2, 1, 1}, .groups = 2}},
      {{3, 5, 8, 8}, {4, 3, 1, 3, 3}, {.padding = {0, 1, 1}}},           // unbatched
      {{1, 32, 4, 10, 10}, {16, 32, 3, 1, 1}, {.stride = {2, 1, 1}}},  // blocked layouts
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    Tensor x = random_tensor(c.input, seed++), w = random_tensor(c.weight, seed++);
    Tensor bias = random_tensor({c.weight[0]}, seed++);
    Tensor out = nan_tensor(conv3d_output_sizes(x.sizes(), w.sizes(), c.p));
    conv3d(x, w, bias, c.p, out, {PostOp::relu});
    auto expected = ref([&] {
      const auto& p = c.p;
      return torch::relu(torch::conv3d(to_torch(x), to_torch(w), to_torch(bias), {p.stride[0], p.stride[1], p.stride[2]},
                                       {p.padding[0], p.padding[1], p.padding[2]},
                                       {p.dilation[0], p.dilation[1], p.dilation[2]}, p.groups));
    });
    EXPECT_LE(rel_error(out, expected), kTolerance) << shape_str(c.input);
  }
}

// NaNs in an NCHW view of NHWC memory, as the plan lays out a pooling
// whose readers take it channels-last.
Tensor nan_channels_last(const Sizes& nchw) {
  Tensor t = nan_tensor({nchw[0], nchw[2], nchw[3], nchw[1]});
  return t.as_strided(nchw, {nchw[1] * nchw[2] * nchw[3], 1, nchw[3] * nchw[1], nchw[1]}, 0);
}

void check_max_pool(const Tensor& x, const MaxPool2dParams& p, bool channels_last_out = false) {
  SCOPED_TRACE("max_pool2d " + describe(x) + " kernel " + std::to_string(p.kernel[0]) + "x" +
               std::to_string(p.kernel[1]) + " stride " + std::to_string(p.stride[0]) + " pad " +
               std::to_string(p.padding[0]) + " dil " + std::to_string(p.dilation[0]) +
               (p.ceil_mode ? " ceil" : "") + (channels_last_out ? " into channels-last" : ""));
  const Sizes sizes = max_pool2d_output_sizes(x.sizes(), p);
  Tensor out = channels_last_out ? nan_channels_last(sizes) : nan_tensor(sizes);
  max_pool2d(x, p, out);
  auto expected = ref([&] {
    return torch::max_pool2d(to_torch(x), {p.kernel[0], p.kernel[1]}, {p.stride[0], p.stride[1]},
                             {p.padding[0], p.padding[1]}, {p.dilation[0], p.dilation[1]},
                             p.ceil_mode);
  });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, MaxPool2d) {
  check_max_pool(random_tensor({2, 3, 8, 8}, 1), {.kernel = {2, 2}, .stride = {2, 2}});
  check_max_pool(random_tensor({1, 4, 112, 112}, 2),
                 {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}});
  check_max_pool(random_tensor({1, 2, 7, 9}, 3),
                 {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true});
  check_max_pool(random_tensor({1, 2, 5, 5}, 4),
                 {.kernel = {2, 2}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true});
  check_max_pool(random_tensor({1, 2, 11, 10}, 5),
                 {.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .dilation = {2, 3}});
  check_max_pool(random_tensor({1, 2, 13, 13}, 6), {.kernel = {3, 3},
                                                    .stride = {3, 3},
                                                    .padding = {1, 1},
                                                    .dilation = {2, 2},
                                                    .ceil_mode = true});
  check_max_pool(random_tensor({3, 6, 6}, 7), {.kernel = {3, 3}, .stride = {1, 1}});  // unbatched
  check_max_pool(permuted_view({2, 5, 9, 9}, {0, 2, 3, 1}, 8),
                 {.kernel = {3, 3}, .stride = {2, 2}});
  // Channels-last with padding and ceil mode: pooled channels-last, then converted.
  check_max_pool(permuted_view({1, 16, 11, 11}, {0, 2, 3, 1}, 10),
                 {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true});
  // Channels-last into channels-last, as the plan lays out a pooling whose
  // readers take its result so; and NCHW into channels-last.
  check_max_pool(permuted_view({3, 16, 11, 11}, {0, 2, 3, 1}, 11),
                 {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}, true);
  check_max_pool(random_tensor({2, 8, 9, 9}, 12), {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}}, true);
  Tensor neg = random_tensor({1, 1, 3, 3}, 9);  // all-negative: padding must not win
  for (int64_t i = 0; i < 9; ++i) neg.data_as<float>()[i] = -1.f - static_cast<float>(i);
  check_max_pool(neg, {.kernel = {2, 2}, .stride = {1, 1}, .padding = {1, 1}});
}

void check_avg_pool(const Tensor& x, const AvgPool2dParams& p) {
  SCOPED_TRACE("avg_pool2d " + describe(x) + " kernel " + std::to_string(p.kernel[0]) + "x" +
               std::to_string(p.kernel[1]) + " stride " + std::to_string(p.stride[0]) + " pad " +
               std::to_string(p.padding[0]) + (p.ceil_mode ? " ceil" : "") +
               (p.count_include_pad ? " include" : " exclude") + " divisor " +
               std::to_string(p.divisor_override));
  Tensor out = nan_tensor(avg_pool2d_output_sizes(x.sizes(), p));
  avg_pool2d(x, p, out);
  auto expected = ref([&] {
    return torch::avg_pool2d(
        to_torch(x), {p.kernel[0], p.kernel[1]}, {p.stride[0], p.stride[1]},
        {p.padding[0], p.padding[1]}, p.ceil_mode, p.count_include_pad,
        p.divisor_override ? c10::optional<int64_t>(p.divisor_override) : c10::nullopt);
  });
  EXPECT_LE(rel_error(out, expected), kTolerance);
}

TEST(ExternKernels, AvgPool2d) {
  for (bool include : {true, false}) {
    for (bool ceil : {false, true}) {
      check_avg_pool(
          random_tensor({2, 3, 8, 8}, 1),
          {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = ceil, .count_include_pad = include});
      check_avg_pool(random_tensor({1, 3, 7, 7}, 2), {.kernel = {3, 3},
                                                      .stride = {1, 1},
                                                      .padding = {1, 1},
                                                      .ceil_mode = ceil,
                                                      .count_include_pad = include});
      // Windows that overhang the padded input in ceil mode.
      check_avg_pool(random_tensor({1, 2, 6, 7}, 3), {.kernel = {3, 3},
                                                      .stride = {2, 2},
                                                      .padding = {1, 1},
                                                      .ceil_mode = ceil,
                                                      .count_include_pad = include});
      check_avg_pool(random_tensor({1, 2, 5, 8}, 4), {.kernel = {2, 3},
                                                      .stride = {2, 3},
                                                      .padding = {1, 0},
                                                      .ceil_mode = ceil,
                                                      .count_include_pad = include});
      check_avg_pool(random_tensor({1, 2, 9, 9}, 5), {.kernel = {3, 3},
                                                      .stride = {2, 2},
                                                      .padding = {1, 1},
                                                      .ceil_mode = ceil,
                                                      .count_include_pad = include,
                                                      .divisor_override = 5});
    }
  }
  check_avg_pool(random_tensor({4, 10, 10}, 6), {.kernel = {2, 2}, .stride = {2, 2}});  // unbatched
  check_avg_pool(permuted_view({2, 5, 9, 9}, {0, 2, 3, 1}, 7),
                 {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true});
}

TEST(ExternKernels, AdaptiveAvgPool2d) {
  struct Case {
    Sizes input;
    Int2 out;
  };
  const std::vector<Case> cases = {{{2, 8, 7, 7}, {1, 1}},   {{1, 3, 7, 7}, {3, 3}},
                                   {{1, 2, 10, 13}, {4, 5}}, {{1, 2, 8, 8}, {2, 4}},
                                   {{1, 2, 5, 5}, {7, 7}},   {{3, 6, 9}, {2, 3}},
                                   {{1, 2, 6, 6}, {0, 3}},   {{2, 1280, 7, 7}, {1, 1}}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    Tensor x = random_tensor(c.input, seed++);
    Tensor out = nan_tensor(adaptive_avg_pool2d_output_sizes(x.sizes(), c.out));
    adaptive_avg_pool2d(x, c.out, out);
    auto expected = ref([&] {
      return torch::adaptive_avg_pool2d(to_torch(x), {c.out[0], c.out[1]});
    });
    EXPECT_LE(rel_error(out, expected), kTolerance) << shape_str(c.input);
  }
  Tensor x = permuted_view({2, 5, 9, 11}, {0, 2, 3, 1}, 99);
  Tensor out = nan_tensor({2, 5, 4, 3});
  adaptive_avg_pool2d(x, {4, 3}, out);
  EXPECT_LE(rel_error(out, ref([&] {
                        return torch::adaptive_avg_pool2d(to_torch(x), {4, 3});
                      })),
            kTolerance);
}

// A channels-last input (channels innermost in memory) is averaged a run of
// channels at a time; each channel's window still sums row by row, as a
// plane is read elsewhere: exactly the sums of that order.
TEST(ExternKernels, ChannelsLastAveragesSumRowByRow) {
  auto in_order = [](const Tensor& x, int64_t n, int64_t c, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    float sum = 0.f;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w)
        sum += x.data_as<float>()[n * x.strides()[0] + c * x.strides()[1] + h * x.strides()[2] + w * x.strides()[3]];
    return sum;
  };
  for (const Sizes& sizes : std::vector<Sizes>{{1, 1280, 7, 7}, {2, 70, 9, 11}}) {
    const Tensor x = permuted_view(sizes, {0, 2, 3, 1}, 5);
    for (const Int2 o : {Int2{1, 1}, Int2{4, 3}}) {
      Tensor out = nan_tensor({sizes[0], sizes[1], o[0], o[1]});
      adaptive_avg_pool2d(x, o, out);
      int64_t wrong = 0;
      for (int64_t n = 0; n < sizes[0]; ++n)
        for (int64_t c = 0; c < sizes[1]; ++c)
          for (int64_t i = 0; i < o[0]; ++i)
            for (int64_t j = 0; j < o[1]; ++j) {
              const int64_t h0 = i * sizes[2] / o[0], h1 = ((i + 1) * sizes[2] + o[0] - 1) / o[0];
              const int64_t w0 = j * sizes[3] / o[1], w1 = ((j + 1) * sizes[3] + o[1] - 1) / o[1];
              const float want = in_order(x, n, c, h0, h1, w0, w1) / static_cast<float>((h1 - h0) * (w1 - w0));
              if (out.data_as<float>()[((n * sizes[1] + c) * o[0] + i) * o[1] + j] != want) ++wrong;
            }
      EXPECT_EQ(wrong, 0) << shape_str(sizes) << " to " << o[0] << "x" << o[1];
    }
  }
}

// Our size helpers and LibTorch accept the same parameters and agree on the
// result sizes.
TEST(ExternKernels, PoolSizesAgreeWithLibTorch) {
  int compared = 0;
  for (int64_t in = 1; in <= 9; ++in)
    for (int64_t k = 1; k <= 4; ++k)
      for (int64_t s = 1; s <= 3; ++s)
        for (int64_t pad = 0; pad <= 2; ++pad)
          for (int64_t d = 1; d <= 2; ++d)
            for (bool ceil : {false, true}) {
              MaxPool2dParams p{{k, 2}, {s, 1}, {pad, 0}, {d, 1}, ceil};
              Sizes x = {1, 2, in, 3};
              bool ours_ok = true, torch_ok = true;
              Sizes ours, theirs;
              try {
                ours = max_pool2d_output_sizes(x, p);
              } catch (const wick::Error&) {
                ours_ok = false;
              }
              try {
                theirs = torch::max_pool2d(torch::zeros(x), {k, 2}, {s, 1}, {pad, 0}, {d, 1}, ceil)
                             .sizes()
                             .vec();
              } catch (const c10::Error&) {
                torch_ok = false;
              }
              // LibTorch 1.13 bounds the padding by half the undilated
              // kernel; newer PyTorch, and wick, by half the dilated one.
              if (ours_ok && !torch_ok && d > 1 && pad > k / 2) continue;
              ASSERT_EQ(ours_ok, torch_ok) << "in " << in << " k " << k << " s " << s << " p "
                                           << pad << " d " << d << " ceil " << ceil;
              if (ours_ok) {
                ASSERT_EQ(ours, theirs) << "in " << in << " k " << k << " s " << s << " p " << pad
                                        << " d " << d << " ceil " << ceil;
                ++compared;
              }
            }
  EXPECT_GT(compared, 300);
}

TEST(ExternKernels, ConvSizesAgreeWithLibTorch) {
  int compared = 0;
  for (int64_t in = 1; in <= 8; ++in)
    for (int64_t k = 1; k <= 4; ++k)
      for (int64_t s = 1; s <= 3; ++s)
        for (int64_t pad = 0; pad <= 2; ++pad)
          for (int64_t d = 1; d <= 2; ++d) {
            Conv2dParams p{{s, 1}, {pad, 0}, {d, 1}, 1};
            Sizes x = {1, 2, in, 3}, w = {3, 2, k, 1};
            bool ours_ok = true, torch_ok = true;
            Sizes ours, theirs;
            try {
              ours = conv2d_output_sizes(x, w, p);
            } catch (const wick::Error&) {
              ours_ok = false;
            }
            try {
              theirs = torch::conv2d(torch::zeros(x), torch::zeros(w), {}, {s, 1}, {pad, 0}, {d, 1})
                           .sizes()
                           .vec();
            } catch (const c10::Error&) {
              torch_ok = false;
            }
            ASSERT_EQ(ours_ok, torch_ok)
                << "in " << in << " k " << k << " s " << s << " p " << pad << " d " << d;
            if (ours_ok) {
              ASSERT_EQ(ours, theirs);
              ++compared;
            }
          }
  EXPECT_GT(compared, 300);
}

TEST(ExternKernels, PrimitivesAreCachedPerShape) {
  clear_primitive_cache();
  EXPECT_EQ(primitive_cache_size(), 0u);
  Tensor x = random_tensor({1, 4, 8, 8}, 1), w = random_tensor({4, 4, 3, 3}, 2);
  Tensor out = nan_tensor({1, 4, 8, 8});
  for (int i = 0; i < 3; ++i) conv2d(x, w, Tensor(), {.padding = {1, 1}}, out);
  EXPECT_EQ(primitive_cache_size(), 1u);
  Tensor out2 = nan_tensor({1, 4, 6, 6});
  conv2d(x, w, Tensor(), {}, out2);  // other padding
  EXPECT_EQ(primitive_cache_size(), 2u);
  conv2d(x, w, Tensor(), {.padding = {1, 1}}, out, {PostOp::relu});  // other epilogue
  EXPECT_EQ(primitive_cache_size(), 3u);
  Tensor c = nan_tensor({3, 5});
  for (int i = 0; i < 3; ++i) matmul(random_tensor({3, 4}, 3), random_tensor({4, 5}, 4), c);
  EXPECT_EQ(primitive_cache_size(), 4u);
  // A cached primitive computes the same as a fresh one.
  conv2d(x, w, Tensor(), {.padding = {1, 1}}, out);
  EXPECT_LE(rel_error(out, ref([&] { return torch::conv2d(to_torch(x), to_torch(w), {}, 1, 1); })),
            kTolerance);
  clear_primitive_cache();
  EXPECT_EQ(primitive_cache_size(), 0u);
}

TEST(ExternKernels, ThreadCountsAndNestedCalls) {
  ThreadPool& pool = default_thread_pool();
  const int saved = pool.num_threads();
  Tensor x = random_tensor({2, 16, 20, 20}, 1), w = random_tensor({16, 16, 3, 3}, 2);
  Tensor a = random_tensor({64, 96}, 3), b = random_tensor({96, 48}, 4);
  auto conv_ref = ref([&] { return torch::conv2d(to_torch(x), to_torch(w), {}, 1, 1); });
  auto mm_ref = ref([&] { return torch::matmul(to_torch(a), to_torch(b)); });
  for (int threads : {1, 2, 3}) {
    pool.set_num_threads(threads);
    Tensor out = nan_tensor({2, 16, 20, 20}), c = nan_tensor({64, 48});
    conv2d(x, w, Tensor(), {.padding = {1, 1}}, out);
    matmul(a, b, c);
    EXPECT_LE(rel_error(out, conv_ref), kTolerance) << threads << " threads";
    EXPECT_LE(rel_error(c, mm_ref), kTolerance) << threads << " threads";
    Tensor pooled = nan_tensor({2, 16, 3, 3});
    adaptive_avg_pool2d(x, {3, 3}, pooled);
    EXPECT_LE(rel_error(pooled, ref([&] {
                          return torch::adaptive_avg_pool2d(to_torch(x), {3, 3});
                        })),
              kTolerance);
  }
  // Kernels called from inside parallel_for chunks run on their own thread.
  pool.set_num_threads(2);
  std::vector<Tensor> outs(4);
  for (auto& o : outs) o = nan_tensor({64, 48});
  pool.parallel_for(0, 4, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) matmul(a, b, outs[i]);
  });
  for (auto& o : outs) EXPECT_LE(rel_error(o, mm_ref), kTolerance);
  pool.set_num_threads(saved);
}

}  // namespace
}  // namespace wick::rt
