// max_pool2d and avg_pool2d on oneDNN's pooling primitive. PyTorch's ceil
// mode becomes extra right padding that yields exactly PyTorch's output size.
// Average pooling goes to the direct kernel when PyTorch's divisor differs
// from oneDNN's: with a divisor override, or when count_include_pad meets a
// ceil-mode window that overhangs the padded input (PyTorch does not count
// the overhang, oneDNN would).
#include <algorithm>
#include <optional>
#include <string>

#include "runtime/direct_pool.h"
#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/primitive_cache.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

// Right padding for which oneDNN's floor formula gives `out` windows.
int64_t right_padding(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                      int64_t dilation) {
  int64_t reach = (out - 1) * stride + (kernel - 1) * dilation + 1;
  return std::max(pad, reach - in - pad);
}

// Whether an NCHW tensor lies in memory as NHWC (a view of a channels-last
// result).
bool channels_last(const Tensor& t) {
  const std::vector<int64_t>& s = t.sizes();
  return s[1] > 1 && t.strides() == std::vector<int64_t>{s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]};
}

// A pooling whose source is channels-last but whose destination is not:
// oneDNN pools fast only when both share an order (else it runs its
// reference kernel, or copies the whole input), so the result is made
// channels-last and then converted, a pass over the output only. Null when
// only the reference kernel would run.
std::optional<CachedPrimitive> channels_last_pool(const dnnl::pooling_v2_forward::desc& desc) {
  dnnl::pooling_v2_forward::primitive_desc pd(desc, make_attr({}), engine());
  CachedPrimitive c = CachedPrimitive::of(dnnl::pooling_v2_forward(pd), pd, false,
                                          {{DNNL_ARG_SRC, pd.src_desc()}, {DNNL_ARG_DST, pd.dst_desc()}});
  if (c.reference) return std::nullopt;
  return c;
}

void pool(const char* op, dnnl::algorithm alg, const Tensor& x4, const Tensor& o4,
          const Int2& kernel, const Int2& stride, const Int2& padding, const Int2& dilation) {
  dnnl::memory::dims ker(kernel.begin(), kernel.end()), st(stride.begin(), stride.end());
  dnnl::memory::dims pad_l(padding.begin(), padding.end()), pad_r(2), dil(2);
  for (int i = 0; i < 2; ++i) {
    pad_r[i] = right_padding(x4.size(2 + i), o4.size(2 + i), kernel[i], stride[i], padding[i],
                             dilation[i]);
    dil[i] = dilation[i] - 1;  // oneDNN counts gaps
  }
  // One image's pooling runs on this thread: the kernels and the int8
  // convolutions around it split on the thread pool, and an OpenMP team
  // left spinning beside the pool's workers made ResNet-18's int8 forward
  // 1.8x slower on two threads.
  PrimitiveKey key(op, sync_threads(x4.size(0) == 1 ? 0 : -1));
  key.add(static_cast<int64_t>(alg)).add(x4).add(o4).add(ker).add(st);
  key.add(pad_l).add(pad_r).add(dil);
  try {
    auto prim = cached_primitive(key, [&] {
      if (channels_last(x4) && !channels_last(o4)) {
        const dnnl::memory::desc inner(o4.sizes(), dnnl::memory::data_type::f32, dnnl::memory::format_tag::nhwc);
        auto c = channels_last_pool(dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_inference, alg,
                                                                   f32_md(x4), inner, st, ker, dil, pad_l, pad_r));
        if (c) {
          c->reorders.push_back(make_reorder(DNNL_ARG_DST, f32_md(o4), inner));
          return std::move(*c);
        }
      }
      return create_in_place_or_contiguous([&](bool contiguous) {
        auto md = [&](const Tensor& t) {
          return contiguous ? f32_contiguous_md(t.sizes()) : f32_md(t);
        };
        dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, md(x4), md(o4),
                                            st, ker, dil, pad_l, pad_r);
        dnnl::pooling_v2_forward::primitive_desc pd(desc, make_attr({}), engine());
        return CachedPrimitive::of(dnnl::pooling_v2_forward(pd), pd, contiguous,
                                   {{DNNL_ARG_SRC, pd.src_desc()}, {DNNL_ARG_DST, pd.dst_desc()}});
      });
    });
    Tensor xc = x4, oc = o4;
    if (prim->contiguous) {
      xc = x4.contiguous();
      if (!o4.is_contiguous()) oc = Tensor::zeros(DType::f32, o4.sizes());
    }
    execute(*prim, {{DNNL_ARG_SRC, xc.data()}, {DNNL_ARG_DST, oc.data()}});
    if (oc.data() != o4.data()) copy_into(oc, o4);
  } catch (const dnnl::error& err) {
    rethrow_dnnl(op, err);
  }
}

}  // namespace

void max_pool2d(const Tensor& x, const MaxPool2dParams& p, Tensor& out) {
  check_f32_input("max_pool2d", "input", x);
  check_output("max_pool2d", out, max_pool2d_output_sizes(x.sizes(), p));
  if (out.numel() == 0) return;
  pool("max_pool2d", dnnl::algorithm::pooling_max, with_rank(x, 4), with_rank(out, 4), p.kernel,
       p.stride, p.padding, p.dilation);
}

void avg_pool2d(const Tensor& x, const AvgPool2dParams& p, Tensor& out) {
  check_f32_input("avg_pool2d", "input", x);
  check_output("avg_pool2d", out, avg_pool2d_output_sizes(x.sizes(), p));
  if (out.numel() == 0) return;
  Tensor x4 = with_rank(x, 4), o4 = with_rank(out, 4);
  bool overhang = false;
  for (int i = 0; i < 2; ++i)
    overhang = overhang || (o4.size(2 + i) - 1) * p.stride[i] - p.padding[i] + p.kernel[i] >
                               x4.size(2 + i) + p.padding[i];
  if (p.divisor_override != 0 || (p.count_include_pad && overhang))
    return avg_pool2d_direct(x4, p, o4);
  auto alg = p.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                 : dnnl::algorithm::pooling_avg_exclude_padding;
  pool("avg_pool2d", alg, x4, o4, p.kernel, p.stride, p.padding, {1, 1});
}

}  // namespace wick::rt
