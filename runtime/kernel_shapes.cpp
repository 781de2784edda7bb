// Result shapes and parameter checks of the extern kernels, following
// PyTorch's own formulas (aten/src/ATen/native/Pool.h, ConvUtils.h).
#include "runtime/kernel_shapes.h"

#include <string>

#include "support/error.h"
#include "support/tensor.h"

namespace wick::rt {
namespace {

[[noreturn]] void fail(const std::string& op, const std::string& message) {
  throw Error(message, {}, op);
}

std::string list_str(const int64_t* v, int n) { return shape_str(std::vector<int64_t>(v, v + n)); }

void check_positive(const std::string& op, const char* what, const int64_t* v, int n) {
  for (int i = 0; i < n; ++i)
    if (v[i] < 1) fail(op, std::string(what) + " must be positive, got " + list_str(v, n));
}

void check_non_negative(const std::string& op, const char* what, const int64_t* v, int n) {
  for (int i = 0; i < n; ++i)
    if (v[i] < 0) fail(op, std::string(what) + " must be non-negative, got " + list_str(v, n));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Convolution over `spatial` trailing dimensions, batched or not.
std::vector<int64_t> conv_sizes(const std::string& op, int spatial,
                                const std::vector<int64_t>& input,
                                const std::vector<int64_t>& weight, const int64_t* stride,
                                const int64_t* padding, const int64_t* dilation, int64_t groups) {
  const int rank = static_cast<int>(input.size());
  if (rank != spatial + 1 && rank != spatial + 2)
    fail(op, "expected a " + std::to_string(spatial + 1) + "-D or " + std::to_string(spatial + 2) +
                 "-D input, got " + shape_str(input));
  if (static_cast<int>(weight.size()) != spatial + 2)
    fail(op, "expected a " + std::to_string(spatial + 2) + "-D weight, got " + shape_str(weight));
  if (groups < 1) fail(op, "groups must be positive, got " + std::to_string(groups));
  check_positive(op, "stride", stride, spatial);
  check_non_negative(op, "padding", padding, spatial);
  check_positive(op, "dilation", dilation, spatial);
  check_positive(op, "kernel size", weight.data() + 2, spatial);

  const bool batched = rank == spatial + 2;
  const int64_t channels = input[batched ? 1 : 0];
  if (channels != weight[1] * groups)
    fail(op, "input has " + std::to_string(channels) + " channels but weight expects " +
                 std::to_string(weight[1] * groups) + " (weight " + shape_str(weight) +
                 ", groups " + std::to_string(groups) + ")");
  if (weight[0] % groups != 0)
    fail(op, std::to_string(weight[0]) + " output channels are not divisible by " +
                 std::to_string(groups) + " groups");

  std::vector<int64_t> out;
  if (batched) out.push_back(input[0]);
  out.push_back(weight[0]);
  std::vector<int64_t> padded, dilated;
  bool fits = true;
  for (int i = 0; i < spatial; ++i) {
    int64_t in = input[rank - spatial + i];
    padded.push_back(in + 2 * padding[i]);
    dilated.push_back(dilation[i] * (weight[2 + i] - 1) + 1);
    fits = fits && padded.back() >= dilated.back();
    out.push_back(conv_output_size(in, weight[2 + i], stride[i], padding[i], dilation[i]));
  }
  if (!fits)
    fail(op, "padded input size " + shape_str(padded) +
                 " is smaller than the dilated kernel size " + shape_str(dilated));
  return out;
}

// The checks that max and average pooling share; returns the output sizes.
std::vector<int64_t> pool_sizes(const std::string& op, const std::vector<int64_t>& input,
                                const Int2& kernel, const Int2& stride, const Int2& padding,
                                const Int2& dilation, bool ceil_mode) {
  const int rank = static_cast<int>(input.size());
  if (rank != 3 && rank != 4) fail(op, "expected a 3-D or 4-D input, got " + shape_str(input));
  for (int i = rank - 3; i < rank; ++i)
    if (input[i] == 0)
      fail(op, "expected an input with non-empty channel and spatial dimensions, got " +
                   shape_str(input));
  check_positive(op, "kernel size", kernel.data(), 2);
  check_positive(op, "stride", stride.data(), 2);
  check_non_negative(op, "padding", padding.data(), 2);
  check_positive(op, "dilation", dilation.data(), 2);
  for (int i = 0; i < 2; ++i) {
    int64_t effective = (kernel[i] - 1) * dilation[i] + 1;
    if (padding[i] > effective / 2)
      fail(op, "padding " + list_str(padding.data(), 2) +
                   " must be at most half of the effective kernel size " +
                   list_str(kernel.data(), 2));
  }
  std::vector<int64_t> out(input.begin(), input.end() - 2);
  for (int i = 0; i < 2; ++i)
    out.push_back(pool_output_size(input[rank - 2 + i], kernel[i], stride[i], padding[i],
                                   dilation[i], ceil_mode));
  if (out[rank - 2] < 1 || out[rank - 1] < 1)
    fail(op, "output size " + shape_str({out[rank - 2], out[rank - 1]}) +
                 " is too small for input " + shape_str(input) + " and kernel " +
                 list_str(kernel.data(), 2));
  return out;
}

}  // namespace

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation) {
  return floor_div(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
}

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, bool ceil_mode) {
  int64_t out =
      floor_div(in + 2 * padding - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0),
                stride) +
      1;
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}

std::vector<int64_t> matmul_output_sizes(const std::vector<int64_t>& a,
                                         const std::vector<int64_t>& b) {
  if (a.empty() || b.empty())
    fail("matmul", "both arguments need at least one dimension, got " + shape_str(a) + " and " +
                       shape_str(b));
  const int64_t ka = a.back();
  const int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (ka != kb)
    fail("matmul", "shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be multiplied (" +
                       std::to_string(ka) + " != " + std::to_string(kb) + ")");
  std::vector<int64_t> ba(a.begin(), a.end() - std::min<size_t>(a.size(), 2));
  std::vector<int64_t> bb(b.begin(), b.end() - std::min<size_t>(b.size(), 2));
  std::vector<int64_t> out(std::max(ba.size(), bb.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    // Right-aligned: missing leading dimensions count as 1.
    size_t from_end = out.size() - i;
    int64_t x = from_end <= ba.size() ? ba[ba.size() - from_end] : 1;
    int64_t y = from_end <= bb.size() ? bb[bb.size() - from_end] : 1;
    if (x != y && x != 1 && y != 1)
      fail("matmul",
           "batch dimensions of " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast");
    out[i] = x == 1 ? y : x;
  }
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);
  if (b.size() >= 2) out.push_back(b.back());
  return out;
}

std::vector<int64_t> linear_output_sizes(const std::vector<int64_t>& x,
                                         const std::vector<int64_t>& weight,
                                         const std::vector<int64_t>& bias) {
  if (x.empty()) fail("linear", "input needs at least one dimension");
  if (weight.size() != 2) fail("linear", "expected a 2-D weight, got " + shape_str(weight));
  if (x.back() != weight[1])
    fail("linear", "input has " + std::to_string(x.back()) + " features but weight " +
                       shape_str(weight) + " expects " + std::to_string(weight[1]));
  if (!bias.empty() && (bias.size() != 1 || bias[0] != weight[0]))
    fail("linear",
         "expected a bias of shape [" + std::to_string(weight[0]) + "], got " + shape_str(bias));
  std::vector<int64_t> out(x.begin(), x.end() - 1);
  out.push_back(weight[0]);
  return out;
}

std::vector<int64_t> addmm_output_sizes(const std::vector<int64_t>& bias,
                                        const std::vector<int64_t>& a,
                                        const std::vector<int64_t>& b) {
  if (a.size() != 2 || b.size() != 2)
    fail("addmm", "expected 2-D matrices, got " + shape_str(a) + " and " + shape_str(b));
  if (a[1] != b[0])
    fail("addmm", "shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be multiplied (" +
                      std::to_string(a[1]) + " != " + std::to_string(b[0]) + ")");
  std::vector<int64_t> out = {a[0], b[1]};
  bool ok = bias.size() <= 2;
  for (size_t i = 0; ok && i < bias.size(); ++i) {
    int64_t want = out[2 - bias.size() + i];
    ok = bias[i] == want || bias[i] == 1;
  }
  if (!ok) fail("addmm", "input " + shape_str(bias) + " cannot be broadcast to " + shape_str(out));
  return out;
}

std::vector<int64_t> conv2d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight,
                                         const Conv2dParams& p) {
  return conv_sizes("conv2d", 2, input, weight, p.stride.data(), p.padding.data(),
                    p.dilation.data(), p.groups);
}

std::vector<int64_t> conv1d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight,
                                         const Conv1dParams& p) {
  return conv_sizes("conv1d", 1, input, weight, &p.stride, &p.padding, &p.dilation, p.groups);
}

std::vector<int64_t> conv3d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight,
                                         const Conv3dParams& p) {
  return conv_sizes("conv3d", 3, input, weight, p.stride.data(), p.padding.data(),
                    p.dilation.data(), p.groups);
}

void check_conv_grad_output(const char* op, const std::vector<int64_t>& grad_output,
                            const std::vector<int64_t>& input, const std::vector<int64_t>& weight,
                            const ConvBackwardParams& p) {
  const size_t spatial = p.stride.size();
  if (spatial < 1 || spatial > 3 || p.padding.size() != spatial || p.dilation.size() != spatial)
    fail(op, "stride, padding and dilation need 1, 2 or 3 values each");
  const std::vector<int64_t> expected =
      conv_sizes(op, static_cast<int>(spatial), input, weight, p.stride.data(), p.padding.data(),
                 p.dilation.data(), p.groups);
  if (grad_output != expected)
    fail(op, "the output gradient has shape " + shape_str(grad_output) + " but the convolution's output has " +
                 shape_str(expected));
}

std::vector<int64_t> max_pool2d_output_sizes(const std::vector<int64_t>& input,
                                             const MaxPool2dParams& p) {
  return pool_sizes("max_pool2d", input, p.kernel, p.stride, p.padding, p.dilation, p.ceil_mode);
}

std::vector<int64_t> avg_pool2d_output_sizes(const std::vector<int64_t>& input,
                                             const AvgPool2dParams& p) {
  return pool_sizes("avg_pool2d", input, p.kernel, p.stride, p.padding, {1, 1}, p.ceil_mode);
}

std::vector<int64_t> adaptive_avg_pool2d_output_sizes(const std::vector<int64_t>& input,
                                                      Int2 output_size) {
  const std::string op = "adaptive_avg_pool2d";
  const int rank = static_cast<int>(input.size());
  if (rank != 3 && rank != 4) fail(op, "expected a 3-D or 4-D input, got " + shape_str(input));
  for (int i = rank - 3; i < rank; ++i)
    if (input[i] == 0)
      fail(op, "expected an input with non-empty channel and spatial dimensions, got " +
                   shape_str(input));
  check_non_negative(op, "output size", output_size.data(), 2);
  std::vector<int64_t> out(input.begin(), input.end() - 2);
  out.push_back(output_size[0]);
  out.push_back(output_size[1]);
  return out;
}

}  // namespace wick::rt
