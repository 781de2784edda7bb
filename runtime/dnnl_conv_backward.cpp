// The input and weight gradients of conv1d/conv2d/conv3d on oneDNN's
// backward-data and backward-weights primitives. A 1-D convolution runs as a
// 2-D one of height 1 and an unbatched input as a batch of one. Operands are
// handed to oneDNN as contiguous copies in plain layouts (grouped weights as
// [G, O/G, C/G, kh, kw], the same memory), the primitive is created once per
// shape and kept in the primitive cache. f64 gradients run on gemm_f64
// (products_f64.h).
#include <algorithm>
#include <functional>
#include <string>

#include "runtime/backward_kernels.h"
#include "runtime/dnnl_context.h"
#include "runtime/kernel_util.h"
#include "runtime/primitive_cache.h"
#include "runtime/products_f64.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

// `t` as [N, C, H, W] (or [N, C, D, H, W] in 3-D): a batch of one when
// unbatched, height 1 when 1-D.
Tensor as_batched(const Tensor& t, int spatial) {
  Tensor b = with_rank(t, spatial + 2);
  if (spatial != 1) return b;
  std::vector<int64_t> sizes = b.sizes(), strides = b.strides();
  sizes.insert(sizes.begin() + 2, 1);
  strides.insert(strides.begin() + 2, 0);
  return restride(b, sizes, strides);
}

// The weight's dims as oneDNN wants them: [G, O/G, C/G, kh, kw] when grouped.
dnnl::memory::dims weight_dims(const Tensor& w4, int64_t groups) {
  if (groups == 1) return w4.sizes();
  dnnl::memory::dims d = {groups, w4.size(0) / groups};
  d.insert(d.end(), w4.sizes().begin() + 1, w4.sizes().end());
  return d;
}

struct Problem {
  Tensor x, w, y;  // batched views: input (or its gradient), weight (or its gradient), output gradient
  dnnl::memory::dims strides, dilates, pads;
  int64_t groups = 1;
};

// Checks the operands of either gradient and returns the batched problem.
// `input_shape` and `weight_shape` are those of the forward operands.
Problem problem(const char* op, const Tensor& grad_output, const std::vector<int64_t>& input_shape,
                const std::vector<int64_t>& weight_shape, const ConvBackwardParams& p) {
  check_conv_grad_output(op, grad_output.sizes(), input_shape, weight_shape, p);
  const size_t spatial = p.stride.size();
  Problem pr;
  const int s = static_cast<int>(spatial);
  pr.y = as_batched(grad_output, s);
  pr.groups = p.groups;
  for (size_t i = 0; i < std::max<size_t>(spatial, 2); ++i) {
    const bool real = spatial != 1 || i == 1;  // height 1 for a 1-D convolution
    const size_t k = spatial != 1 ? i : 0;
    pr.strides.push_back(real ? p.stride[k] : 1);
    pr.pads.push_back(real ? p.padding[k] : 0);
    pr.dilates.push_back(real ? p.dilation[k] - 1 : 0);  // oneDNN counts gaps
  }
  return pr;
}

using MakeDesc = std::function<CachedPrimitive(const dnnl::memory::desc& x, const dnnl::memory::desc& w,
                                               const dnnl::memory::desc& y,
                                               const dnnl::convolution_forward::primitive_desc& hint)>;

// Runs the primitive `make` creates on contiguous copies; `written` is the
// operand the primitive writes (x or w).
void run(const char* op, Problem& pr, Tensor& written, int x_arg, int w_arg, int y_arg, const MakeDesc& make) {
  Tensor xc = pr.x.is_contiguous() ? pr.x : pr.x.contiguous();
  Tensor wc = pr.w.is_contiguous() ? pr.w : pr.w.contiguous();
  Tensor yc = pr.y.is_contiguous() ? pr.y : pr.y.contiguous();
  Tensor& target = &written == &pr.x ? xc : wc;
  if (!written.is_contiguous()) target = Tensor::zeros(DType::f32, written.sizes());
  PrimitiveKey key(op, sync_threads());
  key.add(xc.sizes()).add(wc.sizes()).add(yc.sizes()).add(pr.strides).add(pr.pads).add(pr.dilates).add(pr.groups);
  try {
    auto prim = cached_primitive(key, [&] {
      auto x_md = f32_contiguous_md(xc.sizes());
      auto w_md = f32_contiguous_md(weight_dims(wc, pr.groups));
      auto y_md = f32_contiguous_md(yc.sizes());
      dnnl::convolution_forward::desc fwd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                          x_md, w_md, y_md, pr.strides, pr.dilates, pr.pads, pr.pads);
      dnnl::convolution_forward::primitive_desc hint(fwd, engine());
      return make(x_md, w_md, y_md, hint);
    });
    execute(*prim, {{x_arg, xc.data()}, {w_arg, wc.data()}, {y_arg, yc.data()}});
    if (target.data() != written.data()) copy_into(target, written);
  } catch (const dnnl::error& err) {
    rethrow_dnnl(op, err);
  }
}

void fill_zero(Tensor& t) {
  for_each_element(t, [](float) { return 0.f; });
}


// The f64 gradients (products_f64.h) on batched views.
void f64_gradient(const Tensor& grad_output, const Tensor& operand, const ConvBackwardParams& p, Tensor& out,
                  bool input) {
  const int spatial = static_cast<int>(p.stride.size());
  const Tensor gy = with_rank(grad_output, spatial + 2);
  if (input) {
    conv_input_backward_f64(spatial, gy, operand, p.stride.data(), p.padding.data(), p.dilation.data(), p.groups,
                            with_rank(out, spatial + 2));
  } else {
    conv_weight_backward_f64(spatial, gy, with_rank(operand, spatial + 2), p.stride.data(), p.padding.data(),
                             p.dilation.data(), p.groups, out);
  }
}

void check_gradient_args(const char* op, const Tensor& grad_output, const char* what, const Tensor& operand,
                         const char* result, const Tensor& out) {
  const DType t = grad_output.defined() && grad_output.dtype() == DType::f64 ? DType::f64 : DType::f32;
  check_product_input(op, "output gradient", grad_output, t);
  check_product_input(op, what, operand, t);
  check_product_input(op, result, out, t);
}

}  // namespace

void conv_input_backward(const Tensor& grad_output, const Tensor& weight, const ConvBackwardParams& p, Tensor& out) {
  const char* op = "conv_input_backward";
  check_gradient_args(op, grad_output, "weight", weight, "input gradient", out);
  Problem pr = problem(op, grad_output, out.sizes(), weight.sizes(), p);
  if (out.numel() == 0) return;
  if (out.dtype() == DType::f64) return f64_gradient(grad_output, weight, p, out, true);
  if (grad_output.numel() == 0 || weight.numel() == 0) return fill_zero(out);
  const int spatial = static_cast<int>(p.stride.size());
  pr.x = as_batched(out, spatial);
  pr.w = as_batched(weight, spatial);
  run(op, pr, pr.x, DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST,
      [&](const auto& x, const auto& w, const auto& y, const auto& hint) {
        dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, x, w, y, pr.strides, pr.dilates,
                                                pr.pads, pr.pads);
        dnnl::convolution_backward_data::primitive_desc pd(d, make_attr({}), engine(), hint);
        return CachedPrimitive::of(dnnl::convolution_backward_data(pd), pd, true,
                                   {{DNNL_ARG_DIFF_SRC, pd.diff_src_desc()},
                                    {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                                    {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      });
}

void conv_weight_backward(const Tensor& grad_output, const Tensor& input, const ConvBackwardParams& p, Tensor& out) {
  const char* op = "conv_weight_backward";
  check_gradient_args(op, grad_output, "input", input, "weight gradient", out);
  Problem pr = problem(op, grad_output, input.sizes(), out.sizes(), p);
  if (out.numel() == 0) return;
  if (out.dtype() == DType::f64) return f64_gradient(grad_output, input, p, out, false);
  if (grad_output.numel() == 0 || input.numel() == 0) return fill_zero(out);
  const int spatial = static_cast<int>(p.stride.size());
  pr.x = as_batched(input, spatial);
  pr.w = as_batched(out, spatial);
  run(op, pr, pr.w, DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST,
      [&](const auto& x, const auto& w, const auto& y, const auto& hint) {
        dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, x, w, y, pr.strides,
                                                   pr.dilates, pr.pads, pr.pads);
        dnnl::convolution_backward_weights::primitive_desc pd(d, make_attr({}), engine(), hint);
        return CachedPrimitive::of(dnnl::convolution_backward_weights(pd), pd, true,
                                   {{DNNL_ARG_SRC, pd.src_desc()},
                                    {DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc()},
                                    {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      });
}

}  // namespace wick::rt
