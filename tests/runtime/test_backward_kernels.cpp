// The backward extern kernels against LibTorch's own backward functions on
// the same random data: convolution input and weight gradients (1-D, 2-D,
// unbatched, grouped, strided, dilated, padded; strided operands), and the
// pooling input gradients (ties in max windows, ceil mode, padding rules,
// divisor override, adaptive windows). Relative error within 1e-4. Bad
// shapes and parameters are wick::Errors naming the op.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/backward_kernels.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// A wick view of a torch tensor's memory (any strides).
Tensor wrap(const torch::Tensor& t) {
  auto storage = std::make_shared<Storage>(t.storage().data(), t.storage().nbytes(), Device{}, nullptr);
  return Tensor::view_of(storage, DType::f32, t.sizes().vec(), t.strides().vec(), t.storage_offset());
}

double relative_error(const torch::Tensor& out, const torch::Tensor& ref) {
  const double scale = ref.abs().max().item<double>();
  const double err = (out - ref).abs().max().item<double>();
  return scale == 0 ? err : err / scale;
}

struct Conv {
  std::vector<int64_t> x, w;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
  bool transposed_input = false;  // pass the input as a non-contiguous view
};

void check_conv(const Conv& c) {
  SCOPED_TRACE("input " + shape_str(c.x) + " weight " + shape_str(c.w));
  torch::Tensor x = torch::randn(c.x), w = torch::randn(c.w);
  if (c.transposed_input) x = x.transpose(-1, -2).contiguous().transpose(-1, -2);
  const bool batched = x.dim() == w.dim();
  torch::Tensor xb = batched ? x : x.unsqueeze(0);
  torch::Tensor y = c.w.size() == 3 ? torch::conv1d(xb, w, {}, c.stride, c.padding, c.dilation, c.groups)
                                    : torch::conv2d(xb, w, {}, c.stride, c.padding, c.dilation, c.groups);
  torch::Tensor g = torch::randn(y.sizes());
  auto ref = at::convolution_backward(g, xb, w, c10::nullopt, c.stride, c.padding, c.dilation, false, {0}, c.groups,
                                      {true, true, false});
  torch::Tensor gx = std::get<0>(ref), gw = std::get<1>(ref);
  if (!batched) {
    gx = gx.squeeze(0);
    g = g.squeeze(0);
  }
  ConvBackwardParams p{c.stride, c.padding, c.dilation, c.groups};
  torch::Tensor out_x = torch::full(x.sizes(), NAN), out_w = torch::full(w.sizes(), NAN);
  Tensor ox = wrap(out_x), ow = wrap(out_w);
  conv_input_backward(wrap(g), wrap(w), p, ox);
  conv_weight_backward(wrap(g), wrap(x), p, ow);
  EXPECT_LE(relative_error(out_x, gx), 1e-4);
  EXPECT_LE(relative_error(out_w, gw), 1e-4);
}

TEST(BackwardKernels, Convolution) {
  torch::manual_seed(11);
  check_conv({{2, 3, 7, 6}, {4, 3, 3, 3}, {2, 1}, {1, 1}, {1, 1}});
  check_conv({{1, 4, 9, 9}, {6, 2, 3, 3}, {1, 1}, {2, 2}, {2, 2}, 2});
  check_conv({{2, 4, 8, 8}, {4, 1, 3, 3}, {2, 2}, {1, 1}, {1, 1}, 4});  // depthwise
  check_conv({{3, 6, 6}, {2, 3, 3, 3}, {1, 1}, {0, 0}, {1, 1}});       // unbatched
  check_conv({{2, 3, 8, 7}, {5, 3, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true});
  check_conv({{2, 3, 10}, {4, 3, 3}, {2}, {1}, {1}});  // conv1d
  check_conv({{3, 11}, {2, 3, 2}, {3}, {2}, {2}});     // unbatched conv1d
}

TEST(BackwardKernels, ConvolutionErrors) {
  Tensor g = Tensor::zeros(DType::f32, {1, 2, 3, 3}), w = Tensor::zeros(DType::f32, {2, 3, 3, 3});
  Tensor x = Tensor::zeros(DType::f32, {1, 3, 5, 5});
  ConvBackwardParams p{{1, 1}, {0, 0}, {1, 1}, 1};
  Tensor wrong = Tensor::zeros(DType::f32, {1, 3, 6, 5});  // gives a 4x3 output, not 3x3
  EXPECT_THROW(conv_input_backward(g, w, p, wrong), Error);
  ConvBackwardParams bad{{1, 1, 1}, {0, 0}, {1, 1}, 1};
  EXPECT_THROW(conv_input_backward(g, w, bad, x), Error);
  Tensor gw = Tensor::zeros(DType::f32, {2, 3, 3, 3});
  Tensor ints = Tensor::zeros(DType::i64, {1, 3, 5, 5});
  EXPECT_THROW(conv_weight_backward(g, ints, p, gw), Error);
  try {
    conv_input_backward(g, w, p, wrong);
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "conv_input_backward");
  }
  EXPECT_NO_THROW(conv_input_backward(g, w, p, x));
}

TEST(BackwardKernels, MaxPool) {
  torch::manual_seed(12);
  struct Case {
    std::vector<int64_t> x;
    MaxPool2dParams p;
    bool ties;
  };
  const Case cases[] = {
      {{2, 3, 7, 7}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}, false}, true},
      {{1, 2, 8, 9}, {{2, 2}, {2, 2}, {0, 0}, {2, 2}, true}, false},
      {{3, 5, 6}, {{3, 2}, {1, 2}, {1, 1}, {1, 1}, true}, true},
  };
  for (const Case& c : cases) {
    torch::Tensor x = c.ties ? torch::randint(-2, 3, c.x).to(torch::kFloat) : torch::randn(c.x);
    auto [y, idx] = torch::max_pool2d_with_indices(x, {c.p.kernel[0], c.p.kernel[1]}, {c.p.stride[0], c.p.stride[1]},
                                                   {c.p.padding[0], c.p.padding[1]},
                                                   {c.p.dilation[0], c.p.dilation[1]}, c.p.ceil_mode);
    torch::Tensor g = torch::randn(y.sizes());
    torch::Tensor ref = at::max_pool2d_with_indices_backward(
        g, x, {c.p.kernel[0], c.p.kernel[1]}, {c.p.stride[0], c.p.stride[1]}, {c.p.padding[0], c.p.padding[1]},
        {c.p.dilation[0], c.p.dilation[1]}, c.p.ceil_mode, idx);
    torch::Tensor out = torch::full(x.sizes(), NAN);
    Tensor o = wrap(out);
    max_pool2d_backward(wrap(g), wrap(x), c.p, o);
    EXPECT_LE(relative_error(out, ref), 1e-4) << shape_str(c.x);
  }
}

TEST(BackwardKernels, AveragePools) {
  torch::manual_seed(13);
  struct Case {
    std::vector<int64_t> x;
    AvgPool2dParams p;
  };
  const Case cases[] = {
      {{2, 3, 7, 7}, {{3, 3}, {2, 2}, {1, 1}, false, true, 0}},
      {{1, 2, 8, 8}, {{3, 3}, {2, 2}, {1, 1}, true, false, 0}},
      {{1, 2, 8, 8}, {{3, 3}, {2, 2}, {1, 1}, true, true, 0}},
      {{3, 6, 6}, {{2, 2}, {2, 2}, {0, 0}, false, true, 5}},
  };
  for (const Case& c : cases) {
    torch::Tensor x = torch::randn(c.x);
    c10::optional<int64_t> divisor;
    if (c.p.divisor_override) divisor = c.p.divisor_override;
    torch::Tensor y = torch::avg_pool2d(x, {c.p.kernel[0], c.p.kernel[1]}, {c.p.stride[0], c.p.stride[1]},
                                        {c.p.padding[0], c.p.padding[1]}, c.p.ceil_mode, c.p.count_include_pad, divisor);
    torch::Tensor g = torch::randn(y.sizes());
    torch::Tensor ref = at::avg_pool2d_backward(g, x, {c.p.kernel[0], c.p.kernel[1]}, {c.p.stride[0], c.p.stride[1]},
                                                {c.p.padding[0], c.p.padding[1]}, c.p.ceil_mode, c.p.count_include_pad,
                                                divisor);
    torch::Tensor out = torch::full(x.sizes(), NAN);
    Tensor o = wrap(out);
    avg_pool2d_backward(wrap(g), c.p, o);
    EXPECT_LE(relative_error(out, ref), 1e-4) << shape_str(c.x);
  }
  for (const std::vector<int64_t>& s : {std::vector<int64_t>{2, 3, 7, 5}, {3, 9, 4}}) {
    torch::Tensor x = torch::randn(s);
    torch::Tensor g = torch::randn(torch::adaptive_avg_pool2d(x, {3, 2}).sizes());
    torch::Tensor ref = at::_adaptive_avg_pool2d_backward(g, x);
    torch::Tensor out = torch::full(x.sizes(), NAN);
    Tensor o = wrap(out);
    adaptive_avg_pool2d_backward(wrap(g), o);
    EXPECT_LE(relative_error(out, ref), 1e-4) << shape_str(s);
  }
}

TEST(BackwardKernels, PoolingErrors) {
  Tensor x = Tensor::zeros(DType::f32, {1, 1, 4, 4}), gi = Tensor::zeros(DType::f32, {1, 1, 4, 4});
  MaxPool2dParams m{{2, 2}, {2, 2}, {0, 0}, {1, 1}, false};
  Tensor g_wrong = Tensor::zeros(DType::f32, {1, 1, 3, 3});
  EXPECT_THROW(max_pool2d_backward(g_wrong, x, m, gi), Error);
  Tensor gi_wrong = Tensor::zeros(DType::f32, {1, 1, 5, 4});
  EXPECT_THROW(max_pool2d_backward(Tensor::zeros(DType::f32, {1, 1, 2, 2}), x, m, gi_wrong), Error);
  AvgPool2dParams a{{2, 2}, {2, 2}, {0, 0}, false, true, 0};
  EXPECT_THROW(avg_pool2d_backward(g_wrong, a, gi), Error);
  Tensor flat = Tensor::zeros(DType::f32, {16});
  EXPECT_THROW(adaptive_avg_pool2d_backward(Tensor::zeros(DType::f32, {2}), flat), Error);
  EXPECT_THROW(adaptive_avg_pool2d_backward(Tensor::zeros(DType::f32, {1}), gi), Error);
  EXPECT_NO_THROW(max_pool2d_backward(Tensor::zeros(DType::f32, {1, 1, 2, 2}), x, m, gi));
}

}  // namespace
}  // namespace wick::rt
