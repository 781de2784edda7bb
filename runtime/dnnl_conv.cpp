// conv1d, conv2d and conv3d on oneDNN's convolution primitive, bias and epilogue
// fused. Operands are first described in place, in their plain layouts with
// their own strides (grouped weights viewed as [G, O/G, C/G, k...] without a
// copy). When that reaches only oneDNN's GEMM-based (im2col) or reference
// kernel and the kernel is larger than 1x1, the primitive runs instead on
// blocked layouts, with the operands converted on the way in and out: a
// direct kernel plus the conversions beats im2col, and it is what PyTorch
// does too. A 1x1 convolution is a GEMM and stays plain. f64 convolutions,
// which oneDNN does not take, run on gemm_f64 (products_f64.h); bf16 ones on
// oneDNN's bf16 kernels where the CPU multiplies bf16, else widened to f32
// here.
#include <string>

#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/primitive_cache.h"
#include "runtime/products_f64.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

struct ConvProblem {
  Tensor x, w, bias, out;  // batched; w grouped when groups > 1; bias dense
  dnnl::memory::dims strides, dilates, pads;
  Epilogue epilogue;
};

// The layout asked for activations on the blocked path: channel blocks of
// the vector width (nChw16c / nCdhw16c on AVX-512, 8c below). Inputs with fewer
// channels than a block are left to oneDNN, which keeps them plain rather
// than padding the channels.
dnnl::memory::format_tag activation_tag(int spatial, int64_t channels) {
  using tag = dnnl::memory::format_tag;
  const int avx512 = static_cast<int>(dnnl::cpu_isa::avx512_core);
  const bool wide = (static_cast<int>(dnnl::get_effective_cpu_isa()) & avx512) == avx512;
  if (channels < (wide ? 16 : 8)) return tag::any;
  if (spatial == 3) return wide ? tag::nCdhw16c : tag::nCdhw8c;
  if (spatial == 2) return wide ? tag::nChw16c : tag::nChw8c;
  return wide ? tag::nCw16c : tag::nCw8c;
}

bool im2col_or_reference(const CachedPrimitive& p) {
  return p.reference || p.impl.find("gemm") != std::string::npos;
}

// The primitive on plain layouts (in place, or for contiguous copies), or on
// blocked layouts with the conversions it needs.
CachedPrimitive make_conv(const ConvProblem& c, bool contiguous, bool blocked) {
  const int spatial = c.x.dim() - 2;
  auto md = [&](const Tensor& t) {
    if (blocked) {
      auto tag = &t == &c.w ? dnnl::memory::format_tag::any : activation_tag(spatial, c.x.size(1));
      return dnnl::memory::desc(t.sizes(), data_type_of(t.dtype()), tag);
    }
    return contiguous ? contiguous_md(t.sizes(), t.dtype()) : plain_md(t);
  };
  dnnl::memory::desc bias_md = c.bias.defined() ? plain_md(c.bias) : dnnl::memory::desc();
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, md(c.x), md(c.w),
                                       bias_md, md(c.out), c.strides, c.dilates, c.pads, c.pads);
  dnnl::convolution_forward::primitive_desc pd(desc, make_attr(c.epilogue), engine());
  CachedPrimitive p = CachedPrimitive::of(dnnl::convolution_forward(pd), pd, contiguous,
                                          {{DNNL_ARG_SRC, pd.src_desc()},
                                           {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                                           {DNNL_ARG_BIAS, bias_md},
                                           {DNNL_ARG_DST, pd.dst_desc()}});
  if (blocked) {
    const std::pair<int, const Tensor*> operands[] = {
        {DNNL_ARG_SRC, &c.x}, {DNNL_ARG_WEIGHTS, &c.w}, {DNNL_ARG_DST, &c.out}};
    for (auto [arg, t] : operands) {
      dnnl::memory::desc inner = pd.query_md(dnnl::query::exec_arg_md, arg);
      if (inner != plain_md(*t)) p.reorders.push_back(make_reorder(arg, plain_md(*t), inner));
    }
  }
  return p;
}

CachedPrimitive create_conv(const ConvProblem& c) {
  CachedPrimitive plain = create_in_place_or_contiguous(
      [&](bool contiguous) { return make_conv(c, contiguous, false); });
  bool pointwise = true;
  for (int i = 2; i < c.w.dim(); ++i) pointwise = pointwise && c.w.size(i) == 1;
  if (!im2col_or_reference(plain)) return plain;
  (void)pointwise;
  try {
    CachedPrimitive blocked = make_conv(c, false, true);
    if (!im2col_or_reference(blocked)) return blocked;
  } catch (const dnnl::error&) {
    // No blocked implementation: the plain one it is.
  }
  return plain;
}

// Output of a convolution over zero input channels: the bias alone.
void bias_only(const Tensor& bias, const Tensor& o, const Epilogue& e) {
  std::vector<int64_t> strides(o.dim(), 0);
  if (bias.defined()) strides[1] = bias.strides()[0];
  Tensor acc = Tensor::zeros(DType::f32, o.sizes());
  if (bias.defined()) copy_into(restride(bias, o.sizes(), strides), acc);
  for_each_element(acc, [&](float v) { return apply_epilogue(e, v); });
  copy_into(acc, o);
}

void convolution(const char* op, int spatial, const Tensor& x, const Tensor& w, const Tensor& bias,
                 const std::vector<int64_t>& out_sizes, const int64_t* stride,
                 const int64_t* padding, const int64_t* dilation, int64_t groups, bool constant_weights,
                 Tensor& out, const Epilogue& e) {
  check_product_output(op, out, out_sizes, x.dtype());
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != w.size(0)))
    throw Error("expected a bias of shape [" + std::to_string(w.size(0)) + "], got " +
                    shape_str(bias.sizes()),
                {}, op);
  if (out.numel() == 0) return;
  const int rank = spatial + 2;
  ConvProblem c;
  c.x = with_rank(x, rank);
  c.out = with_rank(out, rank);
  if (x.dtype() == DType::f64)
    return convolution_f64(spatial, c.x, w, bias, stride, padding, dilation, groups, c.out, e);
  if (x.dtype() == DType::bf16 && (!native_bf16() || w.size(1) == 0)) {
    // In f32, rounded once at the end, as a CPU without bf16 products must.
    Tensor widened = Tensor::empty(DType::f32, c.out.sizes());
    convolution(op, spatial, widened_to_f32(c.x), widened_to_f32(w), bias.defined() ? widened_to_f32(bias) : bias,
                c.out.sizes(), stride, padding, dilation, groups, false, widened, e);
    return round_into_bf16(widened, c.out);
  }
  if (w.size(1) == 0) return bias_only(bias, c.out, e);
  c.w = w;
  if (groups > 1) {
    std::vector<int64_t> sizes = {groups, w.size(0) / groups};
    std::vector<int64_t> strides = {w.strides()[0] * (w.size(0) / groups), w.strides()[0]};
    for (int i = 1; i < rank; ++i) {
      sizes.push_back(w.size(i));
      strides.push_back(w.strides()[i]);
    }
    c.w = restride(w, sizes, strides);
  }
  // oneDNN reads a bias as dense whatever its strides say; it is small.
  if (bias.defined()) c.bias = bias.contiguous();
  c.strides.assign(stride, stride + spatial);
  c.pads.assign(padding, padding + spatial);
  for (int i = 0; i < spatial; ++i) c.dilates.push_back(dilation[i] - 1);  // oneDNN counts gaps
  c.epilogue = e;

  PrimitiveKey key(op, sync_threads());
  key.add(c.x).add(c.w).add(c.bias).add(c.out).add(c.strides).add(c.pads).add(c.dilates);
  key.add(static_cast<int64_t>(e.op)).add(e.alpha).add(e.beta);
  try {
    auto prim = cached_primitive(key, [&] { return create_conv(c); });
    Tensor xc = c.x, wc = c.w, oc = c.out;
    if (prim->contiguous) {
      xc = xc.contiguous();
      wc = wc.contiguous();
      if (!oc.is_contiguous()) oc = Tensor::zeros(oc.dtype(), oc.sizes());
    }
    execute(*prim, {{DNNL_ARG_SRC, xc.data()},
                    {DNNL_ARG_WEIGHTS, wc.data()},
                    {DNNL_ARG_BIAS, c.bias.defined() ? c.bias.data() : nullptr},
                    {DNNL_ARG_DST, oc.data()}},
            constant_weights && wc.data() == c.w.data() ? w.storage() : nullptr);
    if (oc.data() != c.out.data()) copy_into(oc, c.out);
  } catch (const dnnl::error& err) {
    rethrow_dnnl(op, err);
  }
}

void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias) {
  const DType t = x.defined() ? x.dtype() : DType::f32;
  check_product_input(op, "input", x, t);
  check_product_input(op, "weight", w, t);
  if (bias.defined()) check_product_input(op, "bias", bias, t);
}

}  // namespace

void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
            Tensor& out, const Epilogue& epilogue) {
  check_conv_args("conv2d", x, weight, bias);
  auto sizes = conv2d_output_sizes(x.sizes(), weight.sizes(), p);
  convolution("conv2d", 2, x, weight, bias, sizes, p.stride.data(), p.padding.data(),
              p.dilation.data(), p.groups, p.constant_weights, out, epilogue);
}

void conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p,
            Tensor& out, const Epilogue& epilogue) {
  check_conv_args("conv1d", x, weight, bias);
  auto sizes = conv1d_output_sizes(x.sizes(), weight.sizes(), p);
  convolution("conv1d", 1, x, weight, bias, sizes, &p.stride, &p.padding, &p.dilation, p.groups,
              p.constant_weights, out, epilogue);
}

void conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv3dParams& p,
            Tensor& out, const Epilogue& epilogue) {
  check_conv_args("conv3d", x, weight, bias);
  auto sizes = conv3d_output_sizes(x.sizes(), weight.sizes(), p);
  convolution("conv3d", 3, x, weight, bias, sizes, p.stride.data(), p.padding.data(),
              p.dilation.data(), p.groups, p.constant_weights, out, epilogue);
}

}  // namespace wick::rt
