// The quantized linear on oneDNN's u8 x s8 matmul (the dynamic one quantizes
// its input first, runtime/dynamic_quantization.h), which sums the products
// in int32 (VNNI where the CPU has it) and takes the input's zero point and
// one output scale per column (x_scale * w_scale[n]) at run time, so one
// primitive serves every call whatever the input's range. The bias and the
// epilogue are post-ops. A weight zero point other than 0, which oneDNN's
// product cannot take, is subtracted afterwards:
//   sum_k (xq - zx)(w - zw) = sum_k (xq - zx) w - zw * sum_k (xq - zx).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/dynamic_quantization.h"
#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/primitive_cache.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

constexpr const char* kOp = "quantized_linear";

[[noreturn]] void fail(const std::string& message) { throw Error(message, {}, kOp); }

void require(const Tensor& t, DType dtype, const char* what) {
  if (!t.defined()) fail(std::string(what) + " is missing");
  if (t.device().kind != DeviceKind::cpu) fail(std::string(what) + " must be on the CPU");
  if (t.dtype() != dtype)
    fail(std::string(what) + " must be " + std::string(dtype_name(dtype)) + ", got " +
         std::string(dtype_name(t.dtype())));
}

std::string shortest(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
  return text;
}

// The values of a scale or zero point tensor of 1 or `n` elements, one per
// output column; zero points must be integers within [lo, hi].
std::vector<float> per_column(const Tensor& t, int64_t n, const char* what, bool zero_point, float lo = 0,
                              float hi = 0) {
  if (t.numel() != 1 && t.numel() != n)
    fail(std::string(what) + " must hold 1 or " + std::to_string(n) + " values, got " + t.describe());
  const Tensor c = t.contiguous();
  const float* p = c.data_as<float>();
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float x = p[t.numel() == 1 ? 0 : i];
    if (zero_point && !(x >= lo && x <= hi && std::nearbyint(x) == x))
      fail(std::string(what) + " must be an integer in [" + std::to_string(static_cast<int>(lo)) + ", " +
           std::to_string(static_cast<int>(hi)) + "], got " + shortest(x));
    v[static_cast<size_t>(i)] = x;
  }
  return v;
}

// The weight's checks, for an input of `features` features.
void check_weight(const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point, const Tensor& bias,
                  int64_t features) {
  require(w, DType::i8, "the weight's integers");
  require(w_scale, DType::f32, "the weight's scale");
  require(w_zero_point, DType::f32, "the weight's zero point");
  if (w.dim() != 2) fail("the weight must have rank 2, got " + w.describe());
  const int64_t n = w.size(0), k = w.size(1);
  if (features != k)
    fail("the input has " + std::to_string(features) + " features but the weight expects " + std::to_string(k));
  if (bias.defined()) {
    require(bias, DType::f32, "the bias");
    if (bias.dim() != 1 || bias.size(0) != n)
      fail("expected a bias of shape [" + std::to_string(n) + "], got " + shape_str(bias.sizes()));
  }
}

// The output's sizes: the input's with its features replaced by w's rows.
void check_output(const Tensor& x, const Tensor& w, const Tensor& out) {
  if (x.dim() < 1) fail("the input must have rank 1 or more");
  std::vector<int64_t> out_sizes = x.sizes();
  out_sizes.back() = w.size(0);
  check_product_output(kOp, out, out_sizes, DType::f32);
}

// dst[m, n] = epilogue(sx * w_scale * sum_k (a - zx)(w - w_zero) + bias),
// a [m, k] uint8 rows.
void integer_product(const uint8_t* a, int64_t m, float sx, float zx, const Tensor& w, const Tensor& w_scale,
                     const Tensor& w_zero_point, const Tensor& bias, float* dst, const Epilogue& e) {
  const int64_t n = w.size(0), k = w.size(1);
  const std::vector<float> zw = per_column(w_zero_point, n, "the weight's zero point", true, -128, 127);
  std::vector<float> scales = per_column(w_scale, n, "the weight's scale", false);
  for (float& s : scales) s *= sx;
  bool shifted = false;
  for (float z : zw) shifted = shifted || z != 0.f;

  const Tensor b = w.contiguous();
  const Tensor bias_c = bias.defined() ? bias.contiguous() : Tensor();
  // What oneDNN adds after scaling; the rest is done below.
  const bool post_ops = !shifted && k > 0;
  if (k == 0) {
    for (int64_t i = 0; i < m * n; ++i) dst[i] = 0.f;
  } else {
    const int threads = sync_threads(m * n * k);
    PrimitiveKey key(kOp, threads);
    key.add(std::vector<int64_t>{m, k, n}).add(static_cast<int64_t>(post_ops && bias.defined()));
    if (post_ops) key.add(static_cast<int64_t>(e.op)).add(e.alpha).add(e.beta);
    try {
      auto prim = cached_primitive(key, [&] {
        using dt = dnnl::memory::data_type;
        using tag = dnnl::memory::format_tag;
        const dnnl::memory::desc src({m, k}, dt::u8, tag::ab), weights({k, n}, dt::s8, tag::ba),
            out_md({m, n}, dt::f32, tag::ab), scale_md({n}, dt::f32, tag::x), zero_md({1}, dt::s32, tag::x);
        const dnnl::memory::desc bias_md =
            post_ops && bias.defined() ? dnnl::memory::desc({1, n}, dt::f32, tag::ab) : dnnl::memory::desc();
        dnnl::primitive_attr attr = make_attr(Epilogue{});
        attr.set_output_scales(1 << 1, {DNNL_RUNTIME_F32_VAL});
        attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
        dnnl::post_ops ops;
        if (bias_md.get_size() > 0) ops.append_binary(dnnl::algorithm::binary_add, bias_md);
        if (post_ops) append_epilogue(ops, e);
        attr.set_post_ops(ops);
        dnnl::matmul::desc desc(src, weights, dnnl::memory::desc(), out_md);
        dnnl::matmul::primitive_desc pd(desc, attr, engine());
        return CachedPrimitive::of(dnnl::matmul(pd), pd, false,
                                   {{DNNL_ARG_SRC, src},
                                    {DNNL_ARG_WEIGHTS, weights},
                                    {DNNL_ARG_DST, out_md},
                                    {DNNL_ARG_ATTR_OUTPUT_SCALES, scale_md},
                                    {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_md},
                                    {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, bias_md}});
      });
      int32_t zero = static_cast<int32_t>(zx);
      execute(*prim, {{DNNL_ARG_SRC, const_cast<uint8_t*>(a)},
                      {DNNL_ARG_WEIGHTS, b.data()},
                      {DNNL_ARG_DST, dst},
                      {DNNL_ARG_ATTR_OUTPUT_SCALES, scales.data()},
                      {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, &zero},
                      {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                       post_ops && bias.defined() ? bias_c.data() : nullptr}});
    } catch (const dnnl::error& err) {
      rethrow_dnnl(kOp, err);
    }
  }
  if (!post_ops) {
    const float* bi = bias.defined() ? bias_c.data_as<float>() : nullptr;
    for (int64_t i = 0; i < m; ++i) {
      int64_t sum = 0;  // sum_k (xq - zx)
      for (int64_t j = 0; j < k; ++j) sum += a[i * k + j];
      const float row = static_cast<float>(sum - static_cast<int64_t>(zx) * k);
      for (int64_t c = 0; c < n; ++c) {
        float v = dst[i * n + c] - scales[static_cast<size_t>(c)] * zw[static_cast<size_t>(c)] * row;
        if (bi) v += bi[c];
        dst[i * n + c] = apply_epilogue(e, v);
      }
    }
  }
}

}  // namespace

void quantized_linear(const Tensor& xq, const Tensor& x_scale, const Tensor& x_zero_point, const Tensor& w,
                      const Tensor& w_scale, const Tensor& w_zero_point, const Tensor& bias, Tensor& out,
                      const Epilogue& e) {
  require(xq, DType::u8, "the input's integers");
  require(x_scale, DType::f32, "the input's scale");
  require(x_zero_point, DType::f32, "the input's zero point");
  check_output(xq, w, out);
  check_weight(w, w_scale, w_zero_point, bias, xq.size(-1));
  if (out.numel() == 0) return;
  const float zx = per_column(x_zero_point, 1, "the input's zero point", true, 0, 255)[0];
  const float sx = per_column(x_scale, 1, "the input's scale", false)[0];
  const Tensor a = xq.contiguous();
  Tensor o = out.is_contiguous() ? out : Tensor::empty(DType::f32, out.sizes());
  integer_product(a.data_as<uint8_t>(), out.numel() / w.size(0), sx, zx, w, w_scale, w_zero_point, bias,
                  o.data_as<float>(), e);
  if (o.data() != out.data()) copy_into(o, out);
}

void quantized_linear_dynamic(const Tensor& x, const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point,
                              const Tensor& bias, int qmax, Tensor& out, const Epilogue& e) {
  require(x, DType::f32, "the input");
  if (qmax != 127 && qmax != 255) fail("the input's levels must be 0..127 or 0..255, got 0.." + std::to_string(qmax));
  check_output(x, w, out);
  check_weight(w, w_scale, w_zero_point, bias, x.size(-1));
  if (out.numel() == 0) return;
  // The levels, in a buffer of this thread's that only grows.
  thread_local std::vector<uint8_t> levels;
  const Tensor xc = x.contiguous();
  levels.resize(static_cast<size_t>(xc.numel()));
  const QuantizationParams p = quantize_dynamically(xc.data_as<float>(), xc.numel(), qmax, levels.data());
  Tensor o = out.is_contiguous() ? out : Tensor::empty(DType::f32, out.sizes());
  integer_product(levels.data(), out.numel() / w.size(0), p.scale, p.zero_point, w, w_scale, w_zero_point, bias,
                  o.data_as<float>(), e);
  if (o.data() != out.data()) copy_into(o, out);
}

}  // namespace wick::rt
