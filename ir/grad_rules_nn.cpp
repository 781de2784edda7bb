// Gradient rules of convolution, pooling and the CTC loss, built from the
// backward ops of ops_backward.cpp (extern calls): the input and weight
// gradients of a convolution, the input gradients of the pools, and
// log_probs' gradient of wick::ctc_loss. A bias gradient is the
// output gradient summed over everything but the channel dim. The input
// gradient of a convolution is itself differentiable: transposed
// convolutions are made of it.
#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

// An int[n] operand as n values (one int means n copies).
std::vector<int64_t> ints_n(GradContext& c, size_t i, size_t n, const char* what) {
  std::vector<int64_t> v = c.constant_ints(i, what);
  if (v.size() == 1 && n > 1) v.assign(n, v[0]);
  if (v.size() != n) throw c.error(std::string(what) + " needs " + std::to_string(n) + " values");
  return v;
}

// conv1d/conv2d/conv3d(input, weight, bias, stride, padding, dilation, groups).
Grads conv(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *w = c.input(1), *g = c.grad();
  const std::string& name = c.node().op().schema.name;
  const size_t spatial = name == "conv1d" ? 1 : name == "conv2d" ? 2 : 3;
  Value* stride = c.ints(ints_n(c, 3, spatial, "stride"));
  Value* padding = c.ints(ints_n(c, 4, spatial, "padding"));
  Value* dilation = c.ints(ints_n(c, 5, spatial, "dilation"));
  Value* groups = c.int_(c.constant_int(6, "groups"));
  if (c.needs_grad(0))
    r[0] = c.op("wick::conv_input_backward", {g, w, c.sizes(x), stride, padding, dilation, groups});
  if (c.needs_grad(1))
    r[1] = c.op("wick::conv_weight_backward", {g, x, c.sizes(w), stride, padding, dilation, groups});
  if (!c.is_none(2) && c.needs_grad(2)) {
    // Every dim but the channels: [N, C, ...] or unbatched [C, ...].
    const int64_t channel = c.rank(x) == static_cast<int>(spatial) + 2 ? 1 : 0;
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < c.rank(g); ++d)
      if (d != channel) dims.push_back(d);
    r[2] = c.sum(g, dims, false);
  }
  return r;
}

// wick::conv_input_backward(g, w, input_size, stride, padding, dilation,
// groups), what a transposed convolution is: y = A(w)^T g for the
// convolution A(w). So dg = A(w) dy, a convolution of dy, and dw is the
// weight gradient of the convolution of dy whose output gradient is g.
Grads conv_input_backward(GradContext& c) {
  Grads r = c.no_grads();
  Value *g = c.input(0), *w = c.input(1), *dy = c.grad();
  const std::vector<int64_t> stride_list = c.constant_ints(3, "stride");
  const size_t spatial = stride_list.size();
  if (spatial < 1 || spatial > 3) throw c.error("needs a 1-D, 2-D or 3-D convolution");
  Value* stride = c.ints(stride_list);
  Value* padding = c.ints(ints_n(c, 4, spatial, "padding"));
  Value* dilation = c.ints(ints_n(c, 5, spatial, "dilation"));
  Value* groups = c.int_(c.constant_int(6, "groups"));
  if (c.needs_grad(0))
    r[0] = c.op(spatial == 1 ? "aten::conv1d" : spatial == 2 ? "aten::conv2d" : "aten::conv3d",
                {dy, w, c.none(), stride, padding, dilation, groups});
  if (c.needs_grad(1))
    r[1] = c.op("wick::conv_weight_backward", {g, dy, c.sizes(w), stride, padding, dilation, groups});
  return r;
}

// max_pool2d(x, kernel, stride, padding, dilation, ceil_mode).
Grads max_pool2d(GradContext& c) {
  Grads r = c.no_grads();
  std::vector<int64_t> kernel = ints_n(c, 1, 2, "kernel_size");
  std::vector<int64_t> stride = c.constant_ints(2, "stride");
  stride = stride.empty() ? kernel : ints_n(c, 2, 2, "stride");
  r[0] = c.op("wick::max_pool2d_backward",
              {c.grad(), c.input(0), c.ints(kernel), c.ints(stride), c.ints(ints_n(c, 3, 2, "padding")),
               c.ints(ints_n(c, 4, 2, "dilation")), c.bool_(c.constant_bool(5, "ceil_mode"))});
  return r;
}

// avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override).
Grads avg_pool2d(GradContext& c) {
  Grads r = c.no_grads();
  std::vector<int64_t> kernel = ints_n(c, 1, 2, "kernel_size");
  std::vector<int64_t> stride = c.constant_ints(2, "stride");
  stride = stride.empty() ? kernel : ints_n(c, 2, 2, "stride");
  Value* divisor = c.is_none(6) ? c.none() : c.int_(c.constant_int(6, "divisor_override"));
  r[0] = c.op("wick::avg_pool2d_backward",
              {c.grad(), c.sizes(c.input(0)), c.ints(kernel), c.ints(stride), c.ints(ints_n(c, 3, 2, "padding")),
               c.bool_(c.constant_bool(4, "ceil_mode")), c.bool_(c.constant_bool(5, "count_include_pad")), divisor});
  return r;
}

Grads adaptive_avg_pool2d(GradContext& c) {
  Grads r = c.no_grads();
  r[0] = c.op("wick::adaptive_avg_pool2d_backward", {c.grad(), c.sizes(c.input(0))});
  return r;
}

// wick::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity)
Grads ctc_loss(GradContext& c) {
  std::vector<Value*> operands = {c.grad()};
  for (size_t i = 0; i < 6; ++i) operands.push_back(c.input(i));
  return c.only_first(c.op("wick::ctc_loss_backward", operands));
}

}  // namespace

void add_nn_gradients(OpTableBuilder& t) {
  t.set_gradient("aten::conv1d", {conv});
  t.set_gradient("aten::conv3d", {conv});
  t.set_gradient("aten::conv2d", {conv});
  t.set_gradient("wick::conv_input_backward", {conv_input_backward});
  t.set_gradient("aten::max_pool2d", {max_pool2d});
  t.set_gradient("aten::avg_pool2d", {avg_pool2d});
  t.set_gradient("aten::adaptive_avg_pool2d", {adaptive_avg_pool2d});
  t.set_gradient("wick::ctc_loss", {ctc_loss});
  // LibTorch's quantized layers have no gradient: what comes before them
  // receives none (and its parameters no update) when a model trains.
  t.set_gradient("wick::quantized_linear_dynamic", {[](GradContext& c) { return c.no_grads(); }});
  t.set_gradient("wick::conv2d_int8", {[](GradContext& c) { return c.no_grads(); }});
}

}  // namespace wick::ir
