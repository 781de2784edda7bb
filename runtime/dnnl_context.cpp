// Engine, OpenMP thread count, descriptor and attribute translation for the
// oneDNN-backed kernels.
#include "runtime/dnnl_context.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {

namespace {

template <typename T>
T epilogue_of(const Epilogue& e, T x) {
  const T alpha = e.alpha, beta = e.beta;
  switch (e.op) {
    case PostOp::none: return x;
    case PostOp::relu: return x > 0 ? x : x * alpha;
    case PostOp::clip: return std::min(std::max(x, alpha), beta);
    case PostOp::gelu_erf: return T(0.5) * x * (1 + std::erf(x * T(0.70710678118654752440)));
    case PostOp::gelu_tanh: {
      const T k = T(0.79788456080286535588);  // sqrt(2 / pi)
      return T(0.5) * x * (1 + std::tanh(k * (x + T(0.044715) * x * x * x)));
    }
    case PostOp::sigmoid: return 1 / (1 + std::exp(-x));
    case PostOp::tanh: return std::tanh(x);
    case PostOp::silu: return x / (1 + std::exp(-x));
    case PostOp::hardswish: return x * std::min(std::max(x + 3, T(0)), T(6)) / 6;
  }
  return x;
}

}  // namespace

float apply_epilogue(const Epilogue& e, float x) { return epilogue_of(e, x); }
double apply_epilogue(const Epilogue& e, double x) { return epilogue_of(e, x); }

namespace dnnl_support {
namespace {

dnnl::algorithm eltwise_of(PostOp op) {
  switch (op) {
    case PostOp::relu: return dnnl::algorithm::eltwise_relu;
    case PostOp::clip: return dnnl::algorithm::eltwise_clip;
    case PostOp::gelu_erf: return dnnl::algorithm::eltwise_gelu_erf;
    case PostOp::gelu_tanh: return dnnl::algorithm::eltwise_gelu_tanh;
    case PostOp::sigmoid: return dnnl::algorithm::eltwise_logistic;
    case PostOp::tanh: return dnnl::algorithm::eltwise_tanh;
    case PostOp::silu: return dnnl::algorithm::eltwise_swish;
    case PostOp::hardswish: return dnnl::algorithm::eltwise_hardswish;
    case PostOp::none: break;
  }
  WICK_ASSERT(false, "no oneDNN eltwise for this post-op");
  return dnnl::algorithm::undef;
}

}  // namespace

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

int sync_threads(int64_t multiply_adds) {
  const bool small = multiply_adds >= 0 && multiply_adds < kSerialWork;
  int want = ThreadPool::in_parallel_region() || small ? 1 : default_thread_pool().num_threads();
  // The OpenMP count is per calling thread and anyone may have changed it.
  if (omp_get_max_threads() != want) omp_set_num_threads(want);
  return want;
}

dnnl::memory::data_type data_type_of(DType t) {
  if (t == DType::bf16) return dnnl::memory::data_type::bf16;
  WICK_ASSERT(t == DType::f32, "oneDNN operands are f32 or bf16");
  return dnnl::memory::data_type::f32;
}

namespace {

dnnl::memory::desc strided_md(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides, DType t) {
  // A size-1 dimension gets the stride it would have if it were stored
  // outside all dimensions after it, so that dense views match oneDNN's
  // plain formats (a [1, K, N] transposed matrix reads as "acb").
  dnnl::memory::dims st(strides.begin(), strides.end());
  int64_t extent = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) st[i] = extent;
    extent = std::max(extent, st[i] * sizes[i]);
  }
  return dnnl::memory::desc(dnnl::memory::dims(sizes.begin(), sizes.end()), data_type_of(t), st);
}

std::atomic<bool> widened_bf16_forced{false};

}  // namespace

dnnl::memory::desc f32_md(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  return strided_md(sizes, strides, DType::f32);
}

dnnl::memory::desc f32_md(const Tensor& t) { return f32_md(t.sizes(), t.strides()); }

dnnl::memory::desc f32_contiguous_md(const std::vector<int64_t>& sizes) {
  return f32_md(sizes, Tensor::contiguous_strides(sizes));
}

dnnl::memory::desc plain_md(const Tensor& t) { return strided_md(t.sizes(), t.strides(), t.dtype()); }

dnnl::memory::desc contiguous_md(const std::vector<int64_t>& sizes, DType dtype) {
  return strided_md(sizes, Tensor::contiguous_strides(sizes), dtype);
}

bool native_bf16() {
  static const bool native = [] {
    const int isa = static_cast<int>(dnnl::get_effective_cpu_isa());
    const int bf16 = static_cast<int>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;
  }();
  return native && !widened_bf16_forced.load(std::memory_order_relaxed);
}

void force_widened_bf16(bool on) { widened_bf16_forced.store(on, std::memory_order_relaxed); }

dnnl::primitive_attr make_attr(const Epilogue& e, float output_scale, float sum_scale) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (output_scale != 1.f) attr.set_output_scales(0, {output_scale});
  dnnl::post_ops ops;
  if (sum_scale != 0.f) ops.append_sum(sum_scale);
  append_epilogue(ops, e);
  attr.set_post_ops(ops);
  return attr;
}

void append_epilogue(dnnl::post_ops& ops, const Epilogue& e) {
  if (e.op == PostOp::none) return;
  float alpha = e.alpha, beta = e.beta;
  if (e.op == PostOp::silu) alpha = 1.f;
  ops.append_eltwise(1.f, eltwise_of(e.op), alpha, beta);
}

bool is_reference(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

Reorder make_reorder(int arg, const dnnl::memory::desc& user, const dnnl::memory::desc& inner) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const bool in = arg != DNNL_ARG_DST;
  dnnl::reorder::primitive_desc pd(engine(), in ? user : inner, engine(), in ? inner : user, attr);
  return Reorder{arg, dnnl::reorder(pd), user, inner, pd.scratchpad_desc()};
}

void rethrow_dnnl(const char* op, const dnnl::error& e) {
  throw Error(std::string("oneDNN failed: ") + e.what(), {}, op);
}

}  // namespace dnnl_support
}  // namespace wick::rt
