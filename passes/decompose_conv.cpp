// Decomposition rules for convolutions written as others:
//   _convolution (what traces record): conv1d, conv2d or conv3d by the
//     weight's rank, or a transposed convolution;
//   conv_transpose1d / 2d / 3d(x, w [Cin, Cout/g, k...], b, stride,
//     padding, output_padding, groups, dilation): the input gradient of the
//     plain convolution with weight w (which maps Cout channels to Cin),
//     wick::conv_input_backward, whose output size output_padding settles,
//     plus the bias. A library call does it directly, with none of the
//     zeros a plain convolution over the spread input would multiply.
//   On the GPU, whose library call takes 1-D and 2-D convolutions only, a
//   3-D wick::conv_input_backward becomes that plain convolution: stride 1
//   over x with stride - 1 zeros between its elements, padded by
//   dilation * (k - 1) - padding on each side (and by what the output size
//   adds after), with w's spatial dims flipped and its channel dims swapped
//   per group; conv3d then becomes 2-D convolutions. On f64 tensors,
//   which no library call takes, the same holds in every rank.
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

std::vector<int64_t> static_sizes(Emitter& e, Value* v, const char* what) {
  std::vector<int64_t> sizes;
  for (const Dim& d : e.shape(v, what)) {
    if (!d.is_static()) throw e.node().error(std::string("needs a ") + what + " of known shape, got a dim " + d.str());
    sizes.push_back(d.value());
  }
  return sizes;
}

void check_transposed(Emitter& e, size_t n, const std::vector<int64_t>& ws, const std::vector<int64_t>& stride,
                      const std::vector<int64_t>& padding, const std::vector<int64_t>& output_padding, int64_t groups,
                      const std::vector<int64_t>& dilation) {
  if (ws.size() != n + 2) throw e.node().error("needs a weight of rank " + std::to_string(n + 2));
  if (groups <= 0 || ws[0] % groups != 0) throw e.node().error("the weight's input channels do not divide into groups");
  for (size_t i = 0; i < n; ++i) {
    if (stride[i] <= 0 || dilation[i] <= 0 || padding[i] < 0 || output_padding[i] < 0)
      throw e.node().error("stride and dilation must be positive, padding and output_padding non-negative");
    if (output_padding[i] >= std::max(stride[i], dilation[i]))
      throw e.node().error("output_padding must be smaller than stride or dilation");
  }
}

Value* transposed(Emitter& e, size_t n, Value* x, Value* w, Value* bias, const std::vector<int64_t>& stride,
                  const std::vector<int64_t>& padding, const std::vector<int64_t>& output_padding, int64_t groups,
                  const std::vector<int64_t>& dilation) {
  const std::vector<Dim>& xs = e.shape(x, "input");
  const size_t rank = xs.size();
  if (rank != n + 1 && rank != n + 2)
    throw e.node().error("needs a " + std::to_string(n + 2) + "-D input, got rank " + std::to_string(rank));
  const size_t first = rank - n;  // the first spatial dim
  const std::vector<int64_t> ws = static_sizes(e, w, "weight");
  check_transposed(e, n, ws, stride, padding, output_padding, groups, dilation);
  const Dim& channels = xs[first - 1];
  if (channels.is_static() && channels.value() != ws[0])
    throw e.node().error("the input has " + std::to_string(channels.value()) + " channels but the weight takes " +
                         std::to_string(ws[0]));
  const int64_t cout = ws[1] * groups;
  std::vector<Size> out_sizes;
  if (rank == n + 2) out_sizes.push_back(Size::dim_of(0));
  out_sizes.push_back(Size::fixed(cout));
  // The convolution that maps the output back must see x's length, or a
  // longer one (output_padding >= stride, allowed when dilated): x is then
  // padded with the zeros the adjoint would read there.
  std::vector<int64_t> tail_pads;
  for (size_t i = 0; i < n; ++i) {
    const Dim& d = xs[first + i];
    if (!d.is_static()) throw e.node().error("needs spatial dims of known size, got " + d.str());
    const int64_t out =
        (d.value() - 1) * stride[i] - 2 * padding[i] + dilation[i] * (ws[2 + i] - 1) + output_padding[i] + 1;
    if (out <= 0) throw e.node().error("the output would have size " + std::to_string(out) + " in a spatial dim");
    out_sizes.push_back(Size::fixed(out));
    tail_pads.push_back(output_padding[i] / stride[i]);
  }
  if (std::any_of(tail_pads.begin(), tail_pads.end(), [](int64_t p) { return p > 0; })) {
    std::vector<int64_t> pads;
    for (size_t i = n; i-- > 0;) {
      pads.push_back(0);
      pads.push_back(tail_pads[i]);
    }
    x = e.op("aten::constant_pad_nd", {x, e.ints(pads), e.int_(0)});
  }
  Value* y = e.op("wick::conv_input_backward", {x, w, e.sizes(x, out_sizes), e.ints(stride), e.ints(padding),
                                                e.ints(dilation), e.int_(groups)});
  if (ir::is_none(bias)) return y;
  std::vector<int64_t> bias_view(n + 1, 1);
  bias_view[0] = cout;
  return e.add(y, e.op("aten::reshape", {bias, e.ints(bias_view)}));
}

// conv_transpose1d / conv_transpose2d.input / conv_transpose3d.input(x, w,
// b, stride, padding, output_padding, groups, dilation).
Value* conv_transpose(Emitter& e) {
  const std::string& name = e.node().op().schema.name;
  const size_t n = name == "conv_transpose1d" ? 1 : name == "conv_transpose2d" ? 2 : 3;
  return transposed(e, n, e.input(0), e.input(1), e.input(2), e.constant_ints(3, n, "stride"), e.constant_ints(4, n, "padding"),
                    e.constant_ints(5, n, "output_padding"), e.constant_int(6, "groups"), e.constant_ints(7, n, "dilation"));
}

// _convolution(input, weight, bias, stride, padding, dilation, transposed,
// output_padding, groups, ...): by the weight's rank.
Value* convolution(Emitter& e) {
  const int rank = static_cast<int>(e.shape(e.input(1), "weight").size());
  if (rank < 3 || rank > 5)
    throw e.node().error("only 1-D, 2-D and 3-D convolutions are supported; the weight has rank " +
                         std::to_string(rank));
  const size_t n = static_cast<size_t>(rank - 2);
  const bool is_transposed = e.constant_bool(6, "the transposed flag");
  if (is_transposed)
    return transposed(e, n, e.input(0), e.input(1), e.input(2), e.constant_ints(3, n, "stride"), e.constant_ints(4, n, "padding"),
                      e.constant_ints(7, n, "output_padding"), e.constant_int(8, "groups"), e.constant_ints(5, n, "dilation"));
  return e.op(rank == 3 ? "aten::conv1d" : rank == 4 ? "aten::conv2d" : "aten::conv3d",
              {e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.input(5), e.input(8)});
}

}  // namespace

Value* spread_input_backward(Emitter& e, bool volumes_only) {
  const auto stride_list = ir::constant_int_list(e.input(3));
  if (volumes_only && (!stride_list || stride_list->size() != 3)) return nullptr;
  if (!stride_list) throw e.node().error("stride must be a constant");
  const size_t n = stride_list->size();
  if (n < 1 || n > 3) throw e.node().error("needs a 1-D, 2-D or 3-D convolution's stride");
  Value* x = e.input(0);
  const std::vector<int64_t> ws = static_sizes(e, e.input(1), "weight");
  const std::vector<int64_t> stride = e.constant_ints(3, n, "stride"), padding = e.constant_ints(4, n, "padding"),
                             dilation = e.constant_ints(5, n, "dilation");
  const int64_t groups = e.constant_int(6, "groups");
  const std::vector<int64_t> out = static_sizes(e, e.node().output(0), "result");
  const size_t rank = e.shape(x, "gradient").size();
  if (ws.size() != n + 2 || (rank != n + 1 && rank != n + 2) || out.size() != rank)
    throw e.node().error("needs a 3-D convolution's operands");
  if (groups <= 0 || ws[0] % groups != 0) throw e.node().error("the weight's channels do not divide into groups");
  const bool batched = rank == n + 2;
  if (!batched) x = e.op("aten::unsqueeze", {x, e.int_(0)});
  // Zeros between the elements of each spatial dim.
  for (size_t i = 0; i < n; ++i) {
    const int64_t s = stride[i];
    if (s == 1) continue;
    const int64_t d = static_cast<int64_t>(2 + i);
    std::vector<int64_t> sizes = static_sizes(e, x, "gradient");
    const int64_t length = sizes[static_cast<size_t>(d)];
    Value* column = e.op("aten::unsqueeze", {x, e.int_(d + 1)});
    std::vector<int64_t> zero_sizes = sizes;
    zero_sizes.insert(zero_sizes.begin() + d + 1, s - 1);
    Value* zeros = e.op("aten::full", {e.ints(zero_sizes), e.int_(0), e.int_(*torch_code_of(e.float_dtype(x, "gradient"))), e.none(),
                                       e.none(), e.none()});
    Value* spread = e.op("aten::cat", {e.list({column, zeros}), e.int_(d + 1)});
    sizes[static_cast<size_t>(d)] = length * s;
    spread = e.op("aten::reshape", {spread, e.ints(sizes)});
    x = e.op("aten::slice.Tensor", {spread, e.int_(d), e.int_(0), e.int_((length - 1) * s + 1), e.int_(1)});
  }
  // The border a full convolution needs, less the padding; whatever the
  // output size adds beyond that goes after.
  const std::vector<int64_t> spread_sizes = static_sizes(e, x, "gradient");
  std::vector<int64_t> pads;
  for (size_t i = n; i-- > 0;) {
    const int64_t border = dilation[i] * (ws[2 + i] - 1) - padding[i];
    const int64_t full = spread_sizes[2 + i] + 2 * border - dilation[i] * (ws[2 + i] - 1);
    pads.push_back(border);
    pads.push_back(border + out[out.size() - n + i] - full);
  }
  x = e.op("aten::constant_pad_nd", {x, e.ints(pads), e.int_(0)});
  // [Cin, Cout/g, k...] -> [Cout, Cin/g, k...] per group, spatially flipped.
  const int64_t cin = ws[0], cout_g = ws[1];
  std::vector<int64_t> grouped = {groups, cin / groups, cout_g};
  std::vector<int64_t> merged = {groups * cout_g, cin / groups};
  std::vector<int64_t> spatial;
  for (size_t i = 0; i < n; ++i) {
    grouped.push_back(ws[2 + i]);
    merged.push_back(ws[2 + i]);
    spatial.push_back(static_cast<int64_t>(2 + i));
  }
  Value* kernel = e.op("aten::reshape", {e.input(1), e.ints(grouped)});
  kernel = e.op("aten::transpose.int", {kernel, e.int_(1), e.int_(2)});
  kernel = e.op("aten::flip", {e.op("aten::reshape", {kernel, e.ints(merged)}), e.ints(spatial)});
  std::vector<int64_t> ones(n, 1), zeros(n, 0);
  const char* plain = n == 1 ? "aten::conv1d" : n == 2 ? "aten::conv2d" : "aten::conv3d";
  Value* y = e.op(plain, {x, kernel, e.none(), e.ints(ones), e.ints(zeros), e.ints(dilation), e.int_(groups)});
  return batched ? y : e.op("aten::squeeze.dim", {y, e.int_(0)});
}

namespace {

Value* spread_volume_input_backward(Emitter& e) { return spread_input_backward(e, /*volumes_only=*/true); }

}  // namespace

std::vector<NamedRule> gpu_conv_transpose_rules() { return {{"wick::conv_input_backward", spread_volume_input_backward}}; }

std::vector<NamedRule> conv_rules() {
  return {{"aten::_convolution", convolution},
          {"aten::conv_transpose1d", conv_transpose},
          {"aten::conv_transpose2d.input", conv_transpose},
          {"aten::conv_transpose3d.input", conv_transpose}};
}

}  // namespace wick::passes::decompose_detail
