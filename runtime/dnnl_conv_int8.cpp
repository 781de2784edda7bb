// The convolution of a statically quantized model on oneDNN's int8 kernels
// (u8 levels times s8 weights, summed in int32: VNNI's dot products where the
// CPU has them). oneDNN's direct int8 kernels read and write channels-last
// only, so the operands are [N, H, W, C]; the input's zero point is a
// run-time attribute, which oneDNN subtracts with the padding counted as the
// zero point (it adds nothing). The int32 sums leave as f32.
//
// Without VNNI, oneDNN multiplies u8 by s8 in pairs summed into saturating
// int16 (vpmaddubsw), which loses large sums; there the levels less their
// zero point and the weight are convolved in f32 instead, exact while sums
// stay below 2^24.
//
// One image's convolution is split into bands of output rows, one per
// thread of the thread pool, rather than left to oneDNN's OpenMP split,
// which for the small convolutions of MobileNetV2 was slower on two threads
// than on one (and no faster for ResNet-18's larger ones); the pool also
// runs the generated kernels between the convolutions, and a second team
// spinning on the same cores slowed both. Each thread convolves its band
// from the input rows it reads, the band's edges padded only where the
// image's are, with a primitive made for an OpenMP team of one (a team per
// band would oversubscribe the cores). Every output is the same int32 sum,
// so the result does not depend on the split.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/primitive_cache.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

constexpr const char* kOp = "conv2d_int8";
constexpr int64_t kInt8SerialWork = kSerialWork * 64;
// Below this many multiply-adds a band per thread costs more than it saves.
constexpr int64_t kInt8BandWork = int64_t{1} << 18;

std::atomic<bool> float_path_forced{false};

[[noreturn]] void fail(const std::string& message) { throw Error(message, {}, kOp); }

void require(const Tensor& t, DType dtype, int rank, const char* what) {
  if (!t.defined()) fail(std::string(what) + " is missing");
  if (t.device().kind != DeviceKind::cpu) fail(std::string(what) + " must be on the CPU");
  if (t.dtype() != dtype)
    fail(std::string(what) + " must be " + std::string(dtype_name(dtype)) + ", got " + std::string(dtype_name(t.dtype())));
  if (t.dim() != rank) fail(std::string(what) + " must have rank " + std::to_string(rank) + ", got " + t.describe());
}

// Whether oneDNN's u8 x s8 products are exact here.
bool exact_int8_products() {
  static const bool vnni = [] {
    const int isa = static_cast<int>(dnnl::get_effective_cpu_isa());
    auto has = [&](dnnl::cpu_isa want) { return (isa & static_cast<int>(want)) == static_cast<int>(want); };
    return has(dnnl::cpu_isa::avx512_core_vnni) || has(dnnl::cpu_isa::avx2_vnni);
  }();
  return vnni && !float_path_forced.load(std::memory_order_relaxed);
}

// A [N, H, W, C] tensor's logical NCHW dims for oneDNN, channels-last.
dnnl::memory::desc channels_last(const std::vector<int64_t>& nhwc, dnnl::memory::data_type type) {
  return dnnl::memory::desc({nhwc[0], nhwc[3], nhwc[1], nhwc[2]}, type, dnnl::memory::format_tag::nhwc);
}

// The weight's plain layout, grouped as [G, O/G, C/G, kh, kw] when groups > 1.
dnnl::memory::desc weight_md(const Tensor& w, int64_t groups, dnnl::memory::format_tag tag) {
  using t = dnnl::memory::format_tag;
  if (groups == 1) return dnnl::memory::desc(w.sizes(), dnnl::memory::data_type::s8, tag == t::any ? t::any : t::oihw);
  return dnnl::memory::desc({groups, w.size(0) / groups, w.size(1), w.size(2), w.size(3)},
                            dnnl::memory::data_type::s8, tag == t::any ? t::any : t::goihw);
}

// Padding before and after the rows and the columns: the convolution's
// own, or a band's (see the top of this file).
struct Pads {
  dnnl::memory::dims before, after;
};

// `shifted`: the input has a zero point other than 0, an attribute of the
// primitive; without one oneDNN picks faster kernels for most shapes.
CachedPrimitive make_primitive(const Tensor& x, const Tensor& w, const Tensor& out, const Conv2dParams& p,
                               const Pads& pads, bool shifted) {
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc src = channels_last(x.sizes(), dt::u8), dst = channels_last(out.sizes(), dt::f32);
  const dnnl::memory::desc plain_weights = weight_md(w, p.groups, dnnl::memory::format_tag::oihw);
  const dnnl::memory::desc zero_md({1}, dt::s32, dnnl::memory::format_tag::x);
  dnnl::primitive_attr attr = make_attr(Epilogue{});
  if (shifted) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  const dnnl::memory::dims strides = {p.stride[0], p.stride[1]},
                           gaps = {p.dilation[0] - 1, p.dilation[1] - 1};  // oneDNN counts gaps
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                       weight_md(w, p.groups, dnnl::memory::format_tag::any), dnnl::memory::desc(), dst,
                                       strides, gaps, pads.before, pads.after);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());
  CachedPrimitive c = CachedPrimitive::of(dnnl::convolution_forward(pd), pd, false,
                                          {{DNNL_ARG_SRC, src},
                                           {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                                           {DNNL_ARG_DST, dst},
                                           {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC,
                                            shifted ? zero_md : dnnl::memory::desc()}});
  if (pd.weights_desc() != plain_weights) c.reorders.push_back(make_reorder(DNNL_ARG_WEIGHTS, plain_weights, pd.weights_desc()));
  return c;
}

// The f32 weight of a constant int8 one, made once while its storage lives.
Tensor float_weight(const Tensor& w, bool constant) {
  auto widen = [&] {
    Tensor f = Tensor::empty(DType::f32, w.sizes());
    const Tensor c = w.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) f.data_as<float>()[i] = c.data_as<int8_t>()[i];
    return f;
  };
  if (!constant) return widen();
  struct Entry {
    std::weak_ptr<Storage> source;
    Tensor widened;
  };
  static std::mutex mutex;
  static std::map<const void*, Entry> entries;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = entries.find(w.data());
  if (found != entries.end() && found->second.source.lock() == w.storage() &&
      found->second.widened.sizes() == w.sizes())
    return found->second.widened;
  if (entries.size() > 4096) std::erase_if(entries, [](const auto& e) { return e.second.source.expired(); });
  Tensor f = widen();
  entries[w.data()] = {w.storage(), f};
  return f;
}

// The levels less their zero point, convolved in f32 ([N, H, W, C] viewed
// as NCHW with channels-last strides).
void float_convolution(const Tensor& x, int64_t zero_point, const Tensor& w, const Conv2dParams& p, Tensor& out) {
  Tensor shifted = Tensor::empty(DType::f32, x.sizes());
  const uint8_t* q = x.data_as<uint8_t>();
  float* f = shifted.data_as<float>();
  default_thread_pool().parallel_for(0, x.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) f[i] = static_cast<float>(static_cast<int64_t>(q[i]) - zero_point);
  });
  auto as_nchw = [](const Tensor& t) {
    const std::vector<int64_t>& s = t.sizes();
    return t.as_strided({s[0], s[3], s[1], s[2]}, {s[1] * s[2] * s[3], 1, s[2] * s[3], s[3]}, t.offset());
  };
  Tensor result = as_nchw(out);
  conv2d(as_nchw(shifted), float_weight(w, p.constant_weights), Tensor(), p, result);
}

// The int8 convolution of `x` into `out` with `pads`, on `threads` OpenMP
// threads. `w` is the caller's weight, `wc` its contiguous form.
void convolve(const Tensor& x, int64_t zero_point, const Tensor& w, const Tensor& wc, const Conv2dParams& p,
              const Pads& pads, int threads, Tensor& out) {
  PrimitiveKey key(kOp, threads);
  key.add(x).add(wc).add(out).add(std::vector<int64_t>{p.stride[0], p.stride[1], pads.before[0], pads.before[1],
                                                       pads.after[0], pads.after[1], p.dilation[0], p.dilation[1],
                                                       p.groups, zero_point != 0});
  int32_t zero = static_cast<int32_t>(zero_point);
  try {
    auto prim = cached_primitive(key, [&] { return make_primitive(x, wc, out, p, pads, zero_point != 0); });
    execute(*prim,
            {{DNNL_ARG_SRC, const_cast<void*>(x.data())},
             {DNNL_ARG_WEIGHTS, const_cast<void*>(wc.data())},
             {DNNL_ARG_DST, out.data()},
             {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_point != 0 ? &zero : nullptr}},
            p.constant_weights && wc.data() == w.data() ? w.storage() : nullptr);
  } catch (const dnnl::error& err) {
    rethrow_dnnl(kOp, err);
  }
}

// Output rows [o0, o1) of one image's convolution: the input rows they
// read, padded where those reach past the image.
void convolve_band(const Tensor& x, int64_t zero_point, const Tensor& w, const Tensor& wc, const Conv2dParams& p,
                   int64_t o0, int64_t o1, Tensor& out) {
  const int64_t h = x.size(1), row = x.size(2) * x.size(3), out_row = out.size(2) * out.size(3);
  const int64_t first = o0 * p.stride[0] - p.padding[0];
  const int64_t end = (o1 - 1) * p.stride[0] - p.padding[0] + (w.size(2) - 1) * p.dilation[0] + 1;
  const int64_t r0 = std::max<int64_t>(first, 0), r1 = std::min(end, h);
  if (r1 <= r0) {  // windows wholly in the padding, which adds nothing
    std::fill_n(out.data_as<float>() + o0 * out_row, (o1 - o0) * out_row, 0.f);
    return;
  }
  const Tensor rows = x.as_strided({1, r1 - r0, x.size(2), x.size(3)}, x.strides(), x.offset() + r0 * row);
  Tensor band = out.as_strided({1, o1 - o0, out.size(2), out.size(3)}, out.strides(), out.offset() + o0 * out_row);
  const Pads pads{{r0 - first, p.padding[1]}, {end - r1, p.padding[1]}};
  convolve(rows, zero_point, w, wc, p, pads, 1, band);
}

}  // namespace

void force_float_conv2d_int8(bool on) { float_path_forced.store(on, std::memory_order_relaxed); }

void conv2d_int8(const Tensor& x, int64_t zero_point, const Tensor& w, const Conv2dParams& p, Tensor& out) {
  require(x, DType::u8, 4, "the input's levels");
  require(w, DType::i8, 4, "the weight");
  if (zero_point < 0 || zero_point > 255) fail("the input's zero point must lie in [0, 255], got " + std::to_string(zero_point));
  if (p.groups < 1 || w.size(0) % p.groups != 0)
    fail("groups must be positive and divide the weight's " + std::to_string(w.size(0)) + " output channels");
  // The shape rules of an NCHW convolution, on the channels-last operands.
  const std::vector<int64_t> nchw = {x.size(0), x.size(3), x.size(1), x.size(2)};
  std::vector<int64_t> sizes;
  try {
    sizes = conv2d_output_sizes(nchw, w.sizes(), p);
  } catch (const Error& e) {
    fail(e.message());
  }
  check_product_output(kOp, out, {sizes[0], sizes[2], sizes[3], sizes[1]}, DType::f32);
  if (!out.is_contiguous()) fail("the output must be contiguous");
  if (out.numel() == 0) return;
  const Tensor xc = x.contiguous();
  if (w.size(1) == 0) {
    std::fill_n(out.data_as<float>(), out.numel(), 0.f);
    return;
  }
  if (!exact_int8_products()) return float_convolution(xc, zero_point, w, p, out);
  const Tensor wc = w.contiguous();
  const int64_t multiply_adds = out.numel() * w.size(1) * w.size(2) * w.size(3);
  // One image with a row or more for each thread: a band per thread (see
  // the top of this file).
  const int64_t bands = default_thread_pool().num_threads();
  if (x.size(0) == 1 && bands > 1 && out.size(1) >= bands && multiply_adds >= kInt8BandWork &&
      !ThreadPool::in_parallel_region()) {
    const int64_t rows = (out.size(1) + bands - 1) / bands;
    default_thread_pool().parallel_for(0, bands, 1, [&](int64_t b, int64_t e) {
      sync_threads(0);  // an OpenMP team of one on this thread
      for (int64_t band = b; band < e; ++band)
        if (band * rows < out.size(1))
          convolve_band(xc, zero_point, w, wc, p, band * rows, std::min((band + 1) * rows, out.size(1)), out);
    });
    return;
  }
  // int8 multiply-adds are cheap next to what waking the OpenMP team for
  // oneDNN's own split costs: below kInt8SerialWork of them one thread is
  // faster (MobileNetV2's 1 x 1 and depthwise convolutions on two threads
  // lost 18% to it).
  const int threads = sync_threads(multiply_adds < kInt8SerialWork ? 0 : -1);
  const Pads pads{{p.padding[0], p.padding[1]}, {p.padding[0], p.padding[1]}};
  convolve(xc, zero_point, w, wc, p, pads, threads, out);
}

}  // namespace wick::rt
