// The f64 side of runtime/extern_kernels.h (matmul, linear, addmm, conv1d,
// conv2d, conv3d on gemm_f64) and of the convolutions' gradients
// (runtime/backward_kernels.h) against direct sums on fresh random tensors:
// broadcast batches, vector operands, transposed views, bias, alpha and
// beta, epilogues, strides, padding, dilation and groups, and the errors for
// operands of mixed dtypes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "runtime/backward_kernels.h"
#include "runtime/extern_kernels.h"
#include "support/error.h"

namespace wick::rt {
namespace {

std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}

Tensor random(const std::vector<int64_t>& sizes) {
  Tensor t = Tensor::empty(DType::f64, sizes);
  std::normal_distribution<double> d;
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<double>()[i] = d(rng());
  return t;
}

// Element `index` of a strided tensor.
double at(const Tensor& t, const std::vector<int64_t>& index) {
  int64_t off = 0;
  for (size_t i = 0; i < index.size(); ++i) off += index[i] * t.strides()[i];
  return t.data_as<double>()[off];
}

double max_error(const Tensor& got, const std::vector<double>& want) {
  EXPECT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  Tensor g = got.contiguous();
  double worst = 0, scale = 1e-300;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, std::fabs(g.data_as<double>()[i] - want[i]));
    scale = std::max(scale, std::fabs(want[i]));
  }
  return worst / scale;
}

TEST(ProductsF64, BatchedMatmulBroadcastsAndReadsTransposedViews) {
  Tensor a = random({3, 1, 5, 7});
  Tensor bt = random({4, 6, 7});  // b = bt^T per batch: a transposed view
  Tensor b = bt.as_strided({4, 7, 6}, {42, 1, 7}, 0);
  Tensor out = Tensor::empty(DType::f64, {3, 4, 5, 6});
  matmul(a, b, out);
  std::vector<double> want;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t r = 0; r < 5; ++r)
        for (int64_t c = 0; c < 6; ++c) {
          double s = 0;
          for (int64_t k = 0; k < 7; ++k) s += at(a, {i, 0, r, k}) * at(b, {j, k, c});
          want.push_back(s);
        }
  EXPECT_LT(max_error(out, want), 1e-14);
}

TEST(ProductsF64, VectorOperandsArePromoted) {
  Tensor v = random({7}), m = random({7, 3});
  Tensor out = Tensor::empty(DType::f64, {3});
  matmul(v, m, out);
  std::vector<double> want(3, 0.0);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t k = 0; k < 7; ++k) want[c] += at(v, {k}) * at(m, {k, c});
  EXPECT_LT(max_error(out, want), 1e-14);
}

TEST(ProductsF64, LinearAddsItsBiasAndEpilogue) {
  Tensor x = random({2, 9, 40}), w = random({33, 40}), bias = random({33});
  Tensor out = Tensor::empty(DType::f64, {2, 9, 33});
  linear(x, w, bias, out, Epilogue{PostOp::gelu_tanh, 0.f, 0.f});
  std::vector<double> want;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t r = 0; r < 9; ++r)
      for (int64_t c = 0; c < 33; ++c) {
        double s = at(bias, {c});
        for (int64_t k = 0; k < 40; ++k) s += at(x, {i, r, k}) * at(w, {c, k});
        const double kappa = std::sqrt(2.0 / 3.14159265358979323846);
        want.push_back(0.5 * s * (1 + std::tanh(kappa * (s + 0.044715 * s * s * s))));
      }
  EXPECT_LT(max_error(out, want), 1e-14);
}

TEST(ProductsF64, AddmmScalesBothTerms) {
  for (auto [beta, alpha] : {std::pair{0.5, 2.0}, std::pair{1.0, 1.0}, std::pair{0.0, -1.5}}) {
    Tensor bias = random({1, 6}), a = random({5, 8}), b = random({8, 6});
    if (beta == 0.0) bias.data_as<double>()[0] = NAN;  // not read
    Tensor out = Tensor::empty(DType::f64, {5, 6});
    addmm(bias, a, b, static_cast<float>(beta), static_cast<float>(alpha), out);
    std::vector<double> want;
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t c = 0; c < 6; ++c) {
        double s = 0;
        for (int64_t k = 0; k < 8; ++k) s += at(a, {r, k}) * at(b, {k, c});
        want.push_back(alpha * s + (beta == 0.0 ? 0.0 : beta * at(bias, {0, c})));
      }
    EXPECT_LT(max_error(out, want), 1e-14) << "beta " << beta << " alpha " << alpha;
  }
}

struct ConvCase {
  std::vector<int64_t> out, stride, padding, dilation;
  int64_t groups = 1;
};

// Calls f(x index, w index, y element) for every product of a direct
// convolution of x [N, C, in...] and w [O, C / groups, k...] (y row-major).
template <typename F>
void for_each_product(const std::vector<int64_t>& xs, const std::vector<int64_t>& ws, const ConvCase& c, F&& f) {
  const int spatial = static_cast<int>(xs.size()) - 2;
  auto dim3 = [&](const std::vector<int64_t>& v, int64_t fill) {
    std::vector<int64_t> r(3 - spatial, fill);
    r.insert(r.end(), v.begin(), v.end());
    return r;
  };
  const std::vector<int64_t> o3 = dim3(c.out, 1), s3 = dim3(c.stride, 1), p3 = dim3(c.padding, 0),
                             d3 = dim3(c.dilation, 1);
  const std::vector<int64_t> in3 = dim3({xs.begin() + 2, xs.end()}, 1), k3 = dim3({ws.begin() + 2, ws.end()}, 1);
  const int64_t per_group = ws[0] / c.groups, cg = ws[1];
  auto tail = [&](std::vector<int64_t> lead, int64_t a, int64_t b, int64_t d) {
    const int64_t v[3] = {a, b, d};
    for (int i = 3 - spatial; i < 3; ++i) lead.push_back(v[i]);
    return lead;
  };
  int64_t y = 0;
  for (int64_t n = 0; n < xs[0]; ++n)
    for (int64_t o = 0; o < ws[0]; ++o)
      for (int64_t od = 0; od < o3[0]; ++od)
        for (int64_t oh = 0; oh < o3[1]; ++oh)
          for (int64_t ow = 0; ow < o3[2]; ++ow, ++y)
            for (int64_t ch = 0; ch < cg; ++ch)
              for (int64_t kd = 0; kd < k3[0]; ++kd)
                for (int64_t kh = 0; kh < k3[1]; ++kh)
                  for (int64_t kw = 0; kw < k3[2]; ++kw) {
                    const int64_t id = od * s3[0] - p3[0] + kd * d3[0], ih = oh * s3[1] - p3[1] + kh * d3[1],
                                  iw = ow * s3[2] - p3[2] + kw * d3[2];
                    if (id < 0 || id >= in3[0] || ih < 0 || ih >= in3[1] || iw < 0 || iw >= in3[2]) continue;
                    f(tail({n, o / per_group * cg + ch}, id, ih, iw), tail({o, ch}, kd, kh, kw), y);
                  }
}

// A direct convolution (x [N, C, in...] padded to 3).
std::vector<double> direct_conv(const Tensor& x, const Tensor& w, const Tensor& bias, const std::vector<int64_t>& out,
                                const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                                const std::vector<int64_t>& dilation, int64_t groups) {
  int64_t count = x.size(0) * w.size(0);
  for (int64_t o : out) count *= o;
  std::vector<double> want(static_cast<size_t>(count), 0.0);
  const int64_t per_image = count / x.size(0), positions = per_image / w.size(0);
  if (bias.defined())
    for (int64_t i = 0; i < count; ++i) want[i] = at(bias, {i % per_image / positions});
  for_each_product(x.sizes(), w.sizes(), {out, stride, padding, dilation, groups},
                   [&](const std::vector<int64_t>& xi, const std::vector<int64_t>& wi, int64_t y) {
                     want[y] += at(x, xi) * at(w, wi);
                   });
  return want;
}

// Row-major position of `index` in a tensor of `sizes`.
int64_t flat(const std::vector<int64_t>& sizes, const std::vector<int64_t>& index) {
  int64_t r = 0;
  for (size_t i = 0; i < sizes.size(); ++i) r = r * sizes[i] + index[i];
  return r;
}

TEST(ProductsF64, ConvolutionGradientsMatchDirectSums) {
  for (int spatial : {1, 2, 3}) {
    SCOPED_TRACE("spatial " + std::to_string(spatial));
    std::vector<int64_t> xs = {2, 4}, ws = {6, 2}, out;
    ConvBackwardParams p;
    p.groups = 2;
    const int64_t in[3] = {9, 7, 8}, k[3] = {3, 2, 3};
    for (int i = 0; i < spatial; ++i) {
      xs.push_back(in[3 - spatial + i]);
      ws.push_back(k[3 - spatial + i]);
      p.stride.push_back(i == 0 ? 2 : 1);
      p.padding.push_back(1);
      p.dilation.push_back(i == spatial - 1 ? 2 : 1);
      out.push_back((xs.back() + 2 - p.dilation.back() * (ws.back() - 1) - 1) / p.stride.back() + 1);
    }
    std::vector<int64_t> ys = {2, 6};
    ys.insert(ys.end(), out.begin(), out.end());
    Tensor x = random(xs), w = random(ws), gy = random(ys);
    std::vector<double> dx(static_cast<size_t>(x.numel()), 0.0), dw(static_cast<size_t>(w.numel()), 0.0);
    for_each_product(xs, ws, {out, p.stride, p.padding, p.dilation, p.groups},
                     [&](const std::vector<int64_t>& xi, const std::vector<int64_t>& wi, int64_t y) {
                       const double g = gy.data_as<double>()[y];
                       dx[flat(xs, xi)] += g * at(w, wi);
                       dw[flat(ws, wi)] += g * at(x, xi);
                     });
    Tensor gx = Tensor::empty(DType::f64, xs), gw = Tensor::empty(DType::f64, ws);
    conv_input_backward(gy, w, p, gx);
    conv_weight_backward(gy, x, p, gw);
    EXPECT_LT(max_error(gx, dx), 1e-14);
    EXPECT_LT(max_error(gw, dw), 1e-14);
  }
}

TEST(ProductsF64, Conv2dWithStridePaddingDilationGroupsAndRelu) {
  Tensor x = random({2, 6, 11, 10}), w = random({9, 2, 3, 2}), bias = random({9});
  Conv2dParams p;
  p.stride = {2, 1};
  p.padding = {1, 2};
  p.dilation = {2, 3};
  p.groups = 3;
  const std::vector<int64_t> sizes = conv2d_output_sizes(x.sizes(), w.sizes(), p);
  Tensor out = Tensor::empty(DType::f64, sizes);
  conv2d(x, w, bias, p, out, Epilogue{PostOp::relu, 0.f, 0.f});
  std::vector<double> want = direct_conv(x, w, bias, {sizes[2], sizes[3]}, {2, 1}, {1, 2}, {2, 3}, 3);
  for (double& v : want) v = std::max(v, 0.0);
  EXPECT_LT(max_error(out, want), 1e-14);
}

TEST(ProductsF64, Conv2dReadsAStridedInput) {
  Tensor base = random({3, 4, 12, 9});
  Tensor x = base.as_strided({3, 4, 6, 9}, {432, 108, 18, 1}, 0);  // every other row
  Tensor w = random({5, 4, 3, 3});
  Conv2dParams p;
  p.padding = {1, 1};
  const std::vector<int64_t> sizes = conv2d_output_sizes(x.sizes(), w.sizes(), p);
  Tensor out = Tensor::empty(DType::f64, sizes);
  conv2d(x, w, Tensor(), p, out);
  EXPECT_LT(max_error(out, direct_conv(x, w, Tensor(), {sizes[2], sizes[3]}, {1, 1}, {1, 1}, {1, 1}, 1)), 1e-14);
}

TEST(ProductsF64, WideImagesTakeTheirColumnsInChunksOfRows) {
  // Each output row's columns are 288 x 8000 doubles, more than one chunk
  // holds: the rows go one at a time.
  Tensor x = random({1, 32, 4, 8002}), w = random({1, 32, 3, 3}), bias = random({1});
  const std::vector<int64_t> sizes = conv2d_output_sizes(x.sizes(), w.sizes(), Conv2dParams{});
  Tensor out = Tensor::empty(DType::f64, sizes);
  conv2d(x, w, bias, Conv2dParams{}, out);
  EXPECT_LT(max_error(out, direct_conv(x, w, bias, {sizes[2], sizes[3]}, {1, 1}, {0, 0}, {1, 1}, 1)), 1e-14);
}

TEST(ProductsF64, Conv1dAndConv3d) {
  {
    Tensor x = random({2, 4, 17}), w = random({6, 4, 3}), bias = random({6});
    Conv1dParams p;
    p.stride = 2;
    p.padding = 1;
    const std::vector<int64_t> sizes = conv1d_output_sizes(x.sizes(), w.sizes(), p);
    Tensor out = Tensor::empty(DType::f64, sizes);
    conv1d(x, w, bias, p, out);
    EXPECT_LT(max_error(out, direct_conv(x, w, bias, {sizes[2]}, {2}, {1}, {1}, 1)), 1e-14);
  }
  {
    Tensor x = random({1, 2, 4, 5, 6}), w = random({3, 2, 2, 3, 3}), bias = random({3});
    Conv3dParams p;
    p.padding = {0, 1, 1};
    const std::vector<int64_t> sizes = conv3d_output_sizes(x.sizes(), w.sizes(), p);
    Tensor out = Tensor::empty(DType::f64, sizes);
    conv3d(x, w, bias, p, out);
    EXPECT_LT(max_error(out, direct_conv(x, w, bias, {sizes[2], sizes[3], sizes[4]}, {1, 1, 1}, {0, 1, 1},
                                         {1, 1, 1}, 1)),
              1e-14);
  }
}

TEST(ProductsF64, MixedDtypesAreErrorsNamingTheOperand) {
  Tensor a = random({2, 3});
  Tensor b = Tensor::zeros(DType::f32, {3, 4});
  Tensor out = Tensor::empty(DType::f64, {2, 4});
  try {
    matmul(a, b, out);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("second argument must be f64"), std::string::npos) << e.what();
  }
  Tensor w = Tensor::zeros(DType::f32, {2, 3, 1, 1});
  Tensor y = Tensor::empty(DType::f64, {1, 2, 1, 1});
  EXPECT_THROW(conv2d(random({1, 3, 1, 1}), w, Tensor(), Conv2dParams{}, y), Error);
}

}  // namespace
}  // namespace wick::rt
