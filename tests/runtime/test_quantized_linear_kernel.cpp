// rt::quantized_linear (runtime/dnnl_quantized.cpp) against direct sums in
// double on fresh random integers: weight scales and zero points per tensor
// and per row (zero points other than 0 are subtracted after oneDNN's
// product), with and without a bias, an epilogue, a batched input, an empty
// inner dimension, and the errors for operands it cannot read. The dynamic
// quantization before it (runtime/dynamic_quantization.h): parameters worked
// out by hand for each branch, levels against the scalar formula, and
// quantized_linear_dynamic as that quantization followed by the product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "runtime/dnnl_context.h"
#include "runtime/dynamic_quantization.h"
#include "runtime/extern_kernels.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}

struct Operands {
  Tensor xq, x_scale, x_zero, w, w_scale, w_zero, bias;
};

Tensor scalar(float v) {
  Tensor t = Tensor::empty(DType::f32, {});
  *t.data_as<float>() = v;
  return t;
}

// x [rows..., k] uint8, w [n, k] int8; `per_row` scales and zero points
// (else one each), zero points within +-`zero` (0: all zero).
Operands random_operands(std::vector<int64_t> rows, int64_t k, int64_t n, bool per_row, int zero, bool bias) {
  std::uniform_int_distribution<int> u8(0, 255), i8(-128, 127), shift(-zero, zero), x_zero(0, 255);
  std::uniform_real_distribution<float> scale(0.005f, 0.05f);
  rows.push_back(k);
  Operands o;
  o.xq = Tensor::empty(DType::u8, rows);
  for (int64_t i = 0; i < o.xq.numel(); ++i) o.xq.data_as<uint8_t>()[i] = static_cast<uint8_t>(u8(rng()));
  o.x_scale = scalar(scale(rng()));
  o.x_zero = scalar(static_cast<float>(x_zero(rng())));
  o.w = Tensor::empty(DType::i8, {n, k});
  for (int64_t i = 0; i < o.w.numel(); ++i) o.w.data_as<int8_t>()[i] = static_cast<int8_t>(i8(rng()));
  const std::vector<int64_t> param_sizes = per_row ? std::vector<int64_t>{n, 1} : std::vector<int64_t>{};
  o.w_scale = Tensor::empty(DType::f32, param_sizes);
  o.w_zero = Tensor::empty(DType::f32, param_sizes);
  for (int64_t i = 0; i < o.w_scale.numel(); ++i) {
    o.w_scale.data_as<float>()[i] = scale(rng());
    o.w_zero.data_as<float>()[i] = static_cast<float>(shift(rng()));
  }
  if (bias) {
    o.bias = Tensor::empty(DType::f32, {n});
    std::normal_distribution<float> normal;
    for (int64_t i = 0; i < n; ++i) o.bias.data_as<float>()[i] = normal(rng());
  }
  return o;
}

Tensor run(const Operands& o, const Epilogue& e = {}, bool constant_weights = false) {
  std::vector<int64_t> sizes = o.xq.sizes();
  sizes.back() = o.w.size(0);
  Tensor out = Tensor::empty(DType::f32, sizes);
  quantized_linear(o.xq, o.x_scale, o.x_zero, o.w, o.w_scale, o.w_zero, o.bias, out, e, constant_weights);
  return out;
}

void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.numel(), want.numel());
  for (int64_t i = 0; i < got.numel(); ++i) ASSERT_EQ(got.data_as<float>()[i], want.data_as<float>()[i]) << i;
}

// max |got - sum| / max |sum| over the direct sums in double.
double relative_error(const Operands& o, const Tensor& got, bool relu) {
  const int64_t n = o.w.size(0), k = o.w.size(1), m = got.numel() / n;
  auto param = [](const Tensor& t, int64_t row) { return t.data_as<float>()[t.numel() == 1 ? 0 : row]; };
  double worst = 0, largest = 1e-30;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < n; ++c) {
      double sum = 0;
      for (int64_t j = 0; j < k; ++j)
        sum += (o.xq.data_as<uint8_t>()[i * k + j] - double{*o.x_zero.data_as<float>()}) *
               (o.w.data_as<int8_t>()[c * k + j] - double{param(o.w_zero, c)});
      double want = sum * *o.x_scale.data_as<float>() * param(o.w_scale, c);
      if (o.bias.defined()) want += o.bias.data_as<float>()[c];
      if (relu) want = std::max(want, 0.0);
      worst = std::max(worst, std::fabs(got.data_as<float>()[i * n + c] - want));
      largest = std::max(largest, std::fabs(want));
    }
  return worst / largest;
}

TEST(QuantizedLinearKernel, PerRowZeroPointsAreSubtracted) {
  const Operands o = random_operands({9}, 37, 11, true, 7, true);
  EXPECT_LE(relative_error(o, run(o), false), 1e-6);
}

TEST(QuantizedLinearKernel, PerTensorWithReluEpilogueOnABatch) {
  const Operands o = random_operands({2, 3}, 64, 5, false, 0, true);
  EXPECT_LE(relative_error(o, run(o, {PostOp::relu}), true), 1e-6);
}

TEST(QuantizedLinearKernel, ZeroPointsAndReluWithoutBias) {
  const Operands o = random_operands({4}, 300, 17, true, 20, false);
  EXPECT_LE(relative_error(o, run(o, {PostOp::relu}), true), 1e-6);
}

// A layer large enough for oneDNN to split across threads.
TEST(QuantizedLinearKernel, LargeLayer) {
  const Operands o = random_operands({64}, 512, 256, true, 0, true);
  EXPECT_LE(relative_error(o, run(o), false), 1e-6);
}

// The input's zero point times the weight's column sums is subtracted from
// the integer sums before the scale: with levels next to the zero point
// and weights near 127 the sums (near 128 * 127 * k) dwarf the results
// (near 127 * sqrt(k)), and a scale applied first would round the sums
// at 6e-8 of their size, 1e-4 of the results'. Exact below 2^24, the
// results round once.
TEST(QuantizedLinearKernel, ZeroPointIsSubtractedBeforeTheScale) {
  for (bool constant : {false, true}) {
    SCOPED_TRACE(constant ? "constant weights" : "weights read per call");
    for (int64_t rows : {3, 40}) {
      Operands o = random_operands({rows}, 300, 24, true, 0, false);
      std::uniform_int_distribution<int> near_top(100, 127), next_to_zero(127, 129);
      for (int64_t i = 0; i < o.w.numel(); ++i) o.w.data_as<int8_t>()[i] = static_cast<int8_t>(near_top(rng()));
      for (int64_t i = 0; i < o.xq.numel(); ++i)
        o.xq.data_as<uint8_t>()[i] = static_cast<uint8_t>(next_to_zero(rng()));
      *o.x_zero.data_as<float>() = 128;
      EXPECT_LE(relative_error(o, run(o, {}, constant), false), 1e-6) << rows << " rows";
    }
  }
}

// Beyond 2^24 the integers round in f32 before they cancel: sums near
// 1.2e8 (k = 4096, every weight near 127, every level near the zero point
// 255) round to multiples of 8, costing at most 8 of the results' integer
// units, which are near 1.2e6 here: 7e-6.
TEST(QuantizedLinearKernel, LargeSumsNearTheInputZeroPoint) {
  Operands o = random_operands({6}, 4096, 8, false, 0, true);
  std::uniform_int_distribution<int> near_top(100, 127), near_zero(250, 255);
  for (int64_t i = 0; i < o.w.numel(); ++i) o.w.data_as<int8_t>()[i] = static_cast<int8_t>(near_top(rng()));
  for (int64_t i = 0; i < o.xq.numel(); ++i) o.xq.data_as<uint8_t>()[i] = static_cast<uint8_t>(near_zero(rng()));
  *o.x_zero.data_as<float>() = 255;
  EXPECT_LE(relative_error(o, run(o), false), 1e-5);
}

// Module weights in inference keep what the kernel derives from them (the
// column sums, the checked scales and zero points) for as long as their
// storages live; another weight, or another scale, is derived afresh.
TEST(QuantizedLinearKernel, ConstantWeightsAreDerivedOncePerStorage) {
  for (int zero : {0, 5}) {
    SCOPED_TRACE("weight zero points within +-" + std::to_string(zero));
    Operands o = random_operands({5}, 300, 17, true, zero, true);
    const Tensor first = run(o, {PostOp::relu}, true);
    expect_same(first, run(o, {PostOp::relu}));
    expect_same(run(o, {PostOp::relu}, true), first);  // from the kept columns
    EXPECT_LE(relative_error(o, first, true), 1e-6);

    // A new weight, likely where the freed one was.
    const Operands other = random_operands({5}, 300, 17, true, zero, true);
    o.w = Tensor();
    o.w = Tensor::empty(DType::i8, {17, 300});
    for (int64_t i = 0; i < o.w.numel(); ++i) o.w.data_as<int8_t>()[i] = other.w.data_as<int8_t>()[i];
    EXPECT_LE(relative_error(o, run(o, {PostOp::relu}, true), true), 1e-6);

    // A new scale beside the same weight.
    o.w_scale = other.w_scale;
    EXPECT_LE(relative_error(o, run(o, {PostOp::relu}, true), true), 1e-6);
  }
}

// A module weight is converted to oneDNN's layout once, and that copy
// serves every batch size: one per primitive would hold a copy per size.
TEST(QuantizedLinearKernel, ConvertedWeightServesEveryBatchSize) {
  const size_t before = dnnl_support::kept_weight_conversions();
  Operands o = random_operands({1}, 96, 40, true, 0, true);
  for (int64_t rows : {1, 2, 7, 16, 17, 64, 130, 300}) {
    Operands batch = random_operands({rows}, 96, 40, true, 0, true);
    batch.w = o.w;
    batch.w_scale = o.w_scale;
    batch.w_zero = o.w_zero;
    batch.bias = o.bias;
    EXPECT_LE(relative_error(batch, run(batch, {}, true), false), 1e-6) << rows << " rows";
  }
  EXPECT_GE(dnnl_support::kept_weight_conversions(), before + 1);
  EXPECT_LE(dnnl_support::kept_weight_conversions(), before + 2);
  o = Operands{};
  EXPECT_LE(dnnl_support::kept_weight_conversions(), before);
}

TEST(QuantizedLinearKernel, EmptyInnerDimensionGivesTheBias) {
  const Operands o = random_operands({3}, 0, 4, false, 0, true);
  const Tensor out = run(o, {PostOp::relu});
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(out.data_as<float>()[i * 4 + c], std::max(o.bias.data_as<float>()[c], 0.f));
}

void expect_error(const Operands& o, const std::string& text) {
  try {
    run(o);
    ADD_FAILURE() << "no error; expected: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_EQ(e.op(), "quantized_linear");
  }
}

TEST(QuantizedLinearKernel, RejectsOperandsItCannotRead) {
  Operands o = random_operands({2}, 8, 3, true, 2, true);
  Operands bad = o;
  bad.x_zero = scalar(256);
  expect_error(bad, "the input's zero point must be an integer in [0, 255], got 256");
  bad = o;
  bad.w_zero = scalar(0.5f);
  expect_error(bad, "the weight's zero point must be an integer in [-128, 127], got 0.5");
  bad = o;
  bad.xq = Tensor::zeros(DType::f32, {2, 8});
  expect_error(bad, "the input's integers must be u8, got f32");
  bad = o;
  bad.w_scale = Tensor::zeros(DType::f32, {2});
  expect_error(bad, "the weight's scale must hold 1 or 3 values");
  bad = o;
  bad.bias = Tensor::zeros(DType::f32, {4});
  expect_error(bad, "expected a bias of shape [3]");
  bad = o;
  bad.xq = Tensor::zeros(DType::u8, {2, 7});
  try {
    Tensor out = Tensor::empty(DType::f32, {2, 3});
    quantized_linear(bad.xq, bad.x_scale, bad.x_zero, bad.w, bad.w_scale, bad.w_zero, bad.bias, out);
    ADD_FAILURE() << "no error for 7 features";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the input has 7 features but the weight expects 8"), std::string::npos)
        << e.what();
  }
}

TEST(DynamicQuantization, ChoosesParametersOnEveryBranch) {
  // [-1, 1] over 0..255: scale 2/255; both ends add 127.5, the maximum's
  // side is taken on the tie and rounds to even.
  QuantizationParams p = choose_quantization_params(-1, 1, 255);
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 255));
  EXPECT_EQ(p.zero_point, 128);
  // Negative only, over 0..127: the zero point at the top.
  p = choose_quantization_params(-2, -0.5f, 127);
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 127));
  EXPECT_EQ(p.zero_point, 127);
  // All zero: the scale falls back to 0.1.
  p = choose_quantization_params(0, 0, 255);
  EXPECT_EQ(p.scale, 0.1f);
  EXPECT_EQ(p.zero_point, 0);
  // A tiny positive range: the scale is raised to 6.1e-5.
  p = choose_quantization_params(0.0001f, 0.001f, 255);
  EXPECT_EQ(p.scale, 6.1e-5f);
  EXPECT_EQ(p.zero_point, 0);
  // A tiny range across zero: raised, the range scaled with it; the zero
  // point stays where the range puts it (-min / scale = 85).
  p = choose_quantization_params(-1e-3f / 3, 2e-3f / 3, 255);
  EXPECT_EQ(p.scale, 6.1e-5f);
  EXPECT_EQ(p.zero_point, 85);
}

// Small inputs are quantized on the calling thread, large ones split over
// a team of two whose chunks must meet without a gap or an overlap.
TEST(DynamicQuantization, LevelsFollowTheScalarFormula) {
  ThreadPool& pool = default_thread_pool();
  const int saved = pool.num_threads();
  pool.set_num_threads(2);
  for (auto [qmax, size] : {std::pair{255, 1000 + 7}, {127, 1000 + 7}, {255, 200000 + 13}, {127, 200000 + 13}}) {
    SCOPED_TRACE("0.." + std::to_string(qmax) + ", " + std::to_string(size) + " elements");
    std::vector<float> x(static_cast<size_t>(size));  // a tail shorter than one vector step
    std::normal_distribution<float> normal(0.5f, 3.f);
    for (float& v : x) v = normal(rng());
    x[5] = std::nanf("");
    // The extremes near the end, in the second thread's chunk.
    x[x.size() - 3] = 40.f;
    x[x.size() - 2] = -30.f;
    std::vector<uint8_t> q(x.size());
    const QuantizationParams p = quantize_dynamically(x.data(), static_cast<int64_t>(x.size()), qmax, q.data());
    float lo = 0, hi = 0;
    for (size_t i = 0; i < x.size(); ++i)
      if (i != 5) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
      }
    const QuantizationParams want = choose_quantization_params(lo, hi, qmax);
    EXPECT_EQ(p.scale, want.scale);
    EXPECT_EQ(p.zero_point, want.zero_point);
    const float inverse = 1.f / p.scale;
    for (size_t i = 0; i < x.size(); ++i) {
      if (i == 5) {
        EXPECT_EQ(q[i], 0) << "NaN";
        continue;
      }
      const float scaled = x[i] * inverse;
      const float level = std::clamp(std::nearbyint(scaled + p.zero_point), 0.f, 255.f);
      ASSERT_EQ(q[i], static_cast<uint8_t>(level)) << "element " << i << " = " << x[i];
    }
  }
  pool.set_num_threads(saved);
}

TEST(DynamicQuantization, TopOfAReducedRangeMayRoundToLevel128) {
  // [-1, 1] over 0..127 (a saturated hidden state): scale 2/127, zero point
  // 64 (63.5 to even); 1 lands on 127.5 and rounds to 128, past qmax, as
  // LibTorch's quantization (clamped to uint8's range only) gives; -1 lands
  // on 0.5 and rounds to 0.
  const std::vector<float> x = {1, -1, 0, 1, 0.5f};
  std::vector<uint8_t> q(x.size());
  const QuantizationParams p = quantize_dynamically(x.data(), static_cast<int64_t>(x.size()), 127, q.data());
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 127));
  EXPECT_EQ(p.zero_point, 64);
  EXPECT_EQ(q, (std::vector<uint8_t>{128, 0, 64, 128, 96}));
}

TEST(QuantizedLinearKernel, DynamicIsQuantizingThenTheProduct) {
  Operands o = random_operands({3, 5}, 40, 6, true, 3, true);
  Tensor x = Tensor::empty(DType::f32, {3, 5, 40});
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = normal(rng());
  Tensor got = Tensor::empty(DType::f32, {3, 5, 6});
  quantized_linear_dynamic(x, o.w, o.w_scale, o.w_zero, o.bias, 127, got, {PostOp::relu});
  const QuantizationParams p = quantize_dynamically(x.data_as<float>(), x.numel(), 127, o.xq.data_as<uint8_t>());
  *o.x_scale.data_as<float>() = p.scale;
  *o.x_zero.data_as<float>() = p.zero_point;
  const Tensor want = run(o, {PostOp::relu});
  for (int64_t i = 0; i < got.numel(); ++i) ASSERT_EQ(got.data_as<float>()[i], want.data_as<float>()[i]) << i;
  EXPECT_LE(relative_error(o, got, true), 1e-6);

  Tensor out = Tensor::empty(DType::f32, {3, 5, 6});
  try {
    quantized_linear_dynamic(x, o.w, o.w_scale, o.w_zero, o.bias, 100, out);
    ADD_FAILURE() << "no error for 0..100";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the input's levels must be 0..127 or 0..255, got 0..100"), std::string::npos);
  }
  try {
    quantized_linear_dynamic(Tensor::zeros(DType::f64, {3, 5, 40}), o.w, o.w_scale, o.w_zero, o.bias, 255, out);
    ADD_FAILURE() << "no error for f64";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the input must be f32, got f64"), std::string::npos);
  }
}

}  // namespace
}  // namespace wick::rt
