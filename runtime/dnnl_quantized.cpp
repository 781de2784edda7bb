// The quantized linear on oneDNN's u8 x s8 matmul (the dynamic one quantizes
// its input first, runtime/dynamic_quantization.h), which sums the products
// in int32 (VNNI where the CPU has it); the input's zero point, the scales
// (x_scale * w_scale[n]), the bias and the epilogue are post-ops with their
// rows given per call, so one primitive serves every call whatever the
// input's range. A weight zero point other than 0, which oneDNN's product
// cannot take, is subtracted afterwards:
//   sum_k (xq - zx)(w - zw) = sum_k (xq - zx) w - zw * sum_k (xq - zx).
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
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

// What a weight brings to each output column, checked once: its scale and
// zero point, and the sum of its integers, which turns the input's zero
// point into a term of the bias.
struct Columns {
  std::vector<float> scale, zero;
  std::vector<int32_t> sums;  // sum_k w[c, k]
  bool shifted = false;       // some zero point is not 0
};

Columns columns_of(const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point) {
  const int64_t n = w.size(0), k = w.size(1);
  Columns c;
  c.zero = per_column(w_zero_point, n, "the weight's zero point", true, -128, 127);
  c.scale = per_column(w_scale, n, "the weight's scale", false);
  for (float z : c.zero) c.shifted = c.shifted || z != 0.f;
  const Tensor wc = w.contiguous();
  const int8_t* p = wc.data_as<int8_t>();
  c.sums.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int32_t sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += p[i * k + j];
    c.sums[static_cast<size_t>(i)] = sum;
  }
  return c;
}

// The columns of module weights that never change (inference), kept while
// their storages live: a product of a few rows would otherwise spend more
// on summing the weight than on multiplying by it.
std::shared_ptr<const Columns> constant_columns(const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point) {
  struct Entry {
    std::weak_ptr<Storage> w, scale, zero;
    std::shared_ptr<const Columns> columns;
  };
  using Key = std::array<const void*, 3>;
  static std::mutex mutex;
  static std::map<Key, Entry> entries;
  const Key key = {w.data(), w_scale.data(), w_zero_point.data()};
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = entries.find(key);
    if (found != entries.end() && found->second.w.lock() == w.storage() &&
        found->second.scale.lock() == w_scale.storage() && found->second.zero.lock() == w_zero_point.storage() &&
        found->second.columns->sums.size() == static_cast<size_t>(w.size(0)))
      return found->second.columns;
  }
  auto columns = std::make_shared<const Columns>(columns_of(w, w_scale, w_zero_point));
  std::lock_guard<std::mutex> lock(mutex);
  // Entries of freed storages go when the map grows.
  if (entries.size() > 4096) std::erase_if(entries, [](const auto& e) { return e.second.w.expired(); });
  entries[key] = {w.storage(), w_scale.storage(), w_zero_point.storage(), columns};
  return columns;
}

// The product u8 [m, k] x s8 [k, n] -> f32 [m, n], shifted by a row of
// integers, scaled per column, plus a bias row, then the epilogue, all as
// post-ops. `packed`: weights in the layout oneDNN prefers (converted from
// [n, k] rows by execute() once per module weight, which pays off from one
// row to hundreds: its brgemm kernel on plain rows packs them on every
// call); else read in place.
CachedPrimitive product_primitive(int64_t m, int64_t k, int64_t n, bool packed, const Epilogue& e) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const dnnl::memory::desc src({m, k}, dt::u8, tag::ab), plain_weights({k, n}, dt::s8, tag::ba),
      weights({k, n}, dt::s8, packed ? tag::any : tag::ba), out_md({m, n}, dt::f32, tag::ab),
      row_md({1, n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr = make_attr(Epilogue{});
  dnnl::post_ops ops;
  ops.append_binary(dnnl::algorithm::binary_add, row_md);
  ops.append_binary(dnnl::algorithm::binary_mul, row_md);
  ops.append_binary(dnnl::algorithm::binary_add, row_md);
  append_epilogue(ops, e);
  attr.set_post_ops(ops);
  dnnl::matmul::desc desc(src, weights, dnnl::memory::desc(), out_md);
  dnnl::matmul::primitive_desc pd(desc, attr, engine());
  CachedPrimitive p = CachedPrimitive::of(dnnl::matmul(pd), pd, false,
                                          {{DNNL_ARG_SRC, src},
                                           {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                                           {DNNL_ARG_DST, out_md},
                                           {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, row_md},
                                           {DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, row_md},
                                           {DNNL_ARG_ATTR_MULTIPLE_POST_OP(2) | DNNL_ARG_SRC_1, row_md}});
  if (pd.weights_desc() != plain_weights)
    p.reorders.push_back(make_reorder(DNNL_ARG_WEIGHTS, plain_weights, pd.weights_desc()));
  return p;
}

// dst[m, n] = epilogue(sx * w_scale * sum_k (a - zx)(w - w_zero) + bias),
// a [m, k] uint8 rows. oneDNN multiplies the integers as they are, then
// adds -zx * sum_k w from the kept column sums (oneDNN's own input zero
// point would sum the whole weight again on every call), scales and adds
// the bias. Both integers are exact in f32 below 2^24 (always for k up to
// 518, where 255 * 127 * k stays below), so the scale rounds once, as
// LibTorch's integer correction does; scaling first and subtracting
// sx * w_scale * zx * sum_k w after would round away a part of the large
// terms that cancel.
void integer_product(const uint8_t* a, int64_t m, float sx, float zx, const Tensor& w, const Tensor& w_scale,
                     const Tensor& w_zero_point, const Tensor& bias, bool constant_weights, float* dst,
                     const Epilogue& e) {
  const int64_t n = w.size(0), k = w.size(1);
  const std::shared_ptr<const Columns> kept =
      constant_weights && w.is_contiguous() ? constant_columns(w, w_scale, w_zero_point) : nullptr;
  const Columns fresh = kept ? Columns{} : columns_of(w, w_scale, w_zero_point);
  const Columns& c = kept ? *kept : fresh;

  thread_local std::vector<float> shift, scales, bias_row;
  shift.resize(static_cast<size_t>(n));
  scales.resize(static_cast<size_t>(n));
  bias_row.resize(static_cast<size_t>(n));
  const Tensor bias_c = bias.defined() ? bias.contiguous() : Tensor();
  const float* bi = bias.defined() ? bias_c.data_as<float>() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const size_t col = static_cast<size_t>(i);
    shift[col] = static_cast<float>(-static_cast<double>(zx) * c.sums[col]);
    scales[col] = sx * c.scale[col];
    bias_row[col] = bi ? bi[i] : 0.f;
  }
  if (k == 0) {
    // The bias alone; the epilogue below or here.
    for (int64_t i = 0; i < m * n; ++i) {
      const float v = bias_row[static_cast<size_t>(i % n)];
      dst[i] = c.shifted ? v : apply_epilogue(e, v);
    }
  } else {
    const Tensor b = w.contiguous();
    const int threads = sync_threads(m * n * k);
    const bool packed = kept != nullptr;
    // The epilogue comes after a weight zero point's term, so outside oneDNN.
    const bool epilogue = !c.shifted;
    PrimitiveKey key(kOp, threads);
    key.add(std::vector<int64_t>{m, k, n}).add(static_cast<int64_t>(packed));
    if (epilogue) key.add(static_cast<int64_t>(e.op)).add(e.alpha).add(e.beta);
    try {
      auto prim = cached_primitive(key, [&] { return product_primitive(m, k, n, packed, epilogue ? e : Epilogue{}); });
      execute(*prim,
              {{DNNL_ARG_SRC, const_cast<uint8_t*>(a)},
               {DNNL_ARG_WEIGHTS, b.data()},
               {DNNL_ARG_DST, dst},
               {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, shift.data()},
               {DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, scales.data()},
               {DNNL_ARG_ATTR_MULTIPLE_POST_OP(2) | DNNL_ARG_SRC_1, bias_row.data()}},
              packed ? w.storage() : std::shared_ptr<Storage>());
    } catch (const dnnl::error& err) {
      rethrow_dnnl(kOp, err);
    }
  }
  if (c.shifted) {
    // sum_k (a - zx)(w - zw) = sum_k (a - zx) w - zw * sum_k (a - zx)
    for (int64_t i = 0; i < m; ++i) {
      int64_t sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += a[i * k + j];
      const float row = static_cast<float>(sum - static_cast<int64_t>(zx) * k);
      for (int64_t col = 0; col < n; ++col) {
        const size_t ci = static_cast<size_t>(col);
        dst[i * n + col] = apply_epilogue(e, dst[i * n + col] - scales[ci] * c.zero[ci] * row);
      }
    }
  }
}

}  // namespace

void quantized_linear(const Tensor& xq, const Tensor& x_scale, const Tensor& x_zero_point, const Tensor& w,
                      const Tensor& w_scale, const Tensor& w_zero_point, const Tensor& bias, Tensor& out,
                      const Epilogue& e, bool constant_weights) {
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
                  constant_weights, o.data_as<float>(), e);
  if (o.data() != out.data()) copy_into(o, out);
}

void quantized_linear_dynamic(const Tensor& x, const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point,
                              const Tensor& bias, int qmax, Tensor& out, const Epilogue& e, bool constant_weights) {
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
                  constant_weights, o.data_as<float>(), e);
  if (o.data() != out.data()) copy_into(o, out);
}

}  // namespace wick::rt
