// batched_product_f64: one gemm_f64 per batch element, which read the
// operands through their strides (a broadcast batch dim has stride 0), then
// one pass for what oneDNN would apply in the call (bias, epilogue). Many
// small products split across the thread pool by batch element, larger
// ones inside gemm_f64.
#include "runtime/products_f64.h"

#include <vector>

#include "runtime/gemm_f64.h"
#include "runtime/kernel_util.h"
#include "runtime/thread_pool.h"

namespace wick::rt {
namespace {

// The offset, in elements, of batch element `i` (row-major over O's batch
// dims) of `t`, whose batch dims are O's sizes or 1.
int64_t batch_offset(const Tensor& t, const Tensor& o, int64_t i) {
  int64_t off = 0;
  for (int d = o.dim() - 3; d >= 0; --d) {
    const int64_t at = i % o.size(d);
    i /= o.size(d);
    if (t.size(d) != 1) off += at * t.strides()[d];
  }
  return off;
}

int64_t batch_count(const Tensor& o) {
  int64_t count = 1;
  for (int d = 0; d < o.dim() - 2; ++d) count *= o.size(d);
  return count;
}

}  // namespace

void finish_row_f64(const Epilogue& e, double* p, int64_t n, const double* bias, int64_t bias_stride) {
  const double zero = 0.0;
  if (!bias) {
    bias = &zero;
    bias_stride = 0;
  }
  switch (e.op) {
    case PostOp::none:
      for (int64_t j = 0; j < n; ++j) p[j] += bias[j * bias_stride];
      return;
    case PostOp::relu: {
      const double slope = e.alpha;
      for (int64_t j = 0; j < n; ++j) {
        const double x = p[j] + bias[j * bias_stride];
        p[j] = x > 0 ? x : x * slope;
      }
      return;
    }
    default:
      for (int64_t j = 0; j < n; ++j) p[j] = apply_epilogue(e, p[j] + bias[j * bias_stride]);
  }
}

void batched_product_f64(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& o, double alpha,
                         double sum_scale, const Epilogue& e) {
  const int rank = o.dim();
  const int64_t m = o.size(-2), n = o.size(-1), k = a.size(-1);
  if (o.numel() == 0) return;
  double* c = o.data_as<double>();
  // sum_scale * O, then the products added to it (scaled by alpha through a
  // temporary when alpha is not 1).
  if (sum_scale != 0.0 && sum_scale != 1.0)
    for_each_offset(o.sizes(), o.strides(), [&](int64_t off) { c[off] *= sum_scale; });
  const bool scaled = alpha != 1.0;
  Tensor product = scaled ? Tensor::empty(DType::f64, o.sizes()) : o;
  auto run = [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      GemmF64 g;
      g.m = m, g.n = n, g.k = k;
      g.a = a.data_as<double>() + batch_offset(a, o, i), g.a_row = a.strides()[rank - 2], g.a_col = a.strides()[rank - 1];
      g.b = b.data_as<double>() + batch_offset(b, o, i), g.b_row = b.strides()[rank - 2], g.b_col = b.strides()[rank - 1];
      g.c = product.data_as<double>() + batch_offset(product, o, i);
      g.c_row = product.strides()[rank - 2], g.c_col = product.strides()[rank - 1];
      g.accumulate = !scaled && sum_scale != 0.0;
      gemm_f64(g);
    }
  };
  const int64_t batches = batch_count(o);
  ThreadPool& pool = default_thread_pool();
  if (batches > 1 && m * n * k < (1 << 18) && pool.num_threads() > 1 && !ThreadPool::in_parallel_region()) {
    pool.parallel_for(0, batches, 1, run);
  } else {
    run(0, batches);
  }
  if (scaled) {
    const bool add = sum_scale != 0.0;
    for_each_offset_pair(o.sizes(), o.strides(), product.strides(), [&](int64_t off, int64_t p) {
      c[off] = alpha * product.data_as<double>()[p] + (add ? c[off] : 0.0);
    });
  }
  if (!bias.defined() && e.op == PostOp::none) return;
  // Row by row over O's last dim (unit stride when O is the plan's).
  std::vector<int64_t> bias_strides(rank, 0);
  for (int i = 0; bias.defined() && i < rank; ++i) bias_strides[i] = bias.size(i) == 1 ? 0 : bias.strides()[i];
  const double* bp = bias.defined() ? bias.data_as<double>() : nullptr;
  if (o.strides()[rank - 1] == 1) {
    std::vector<int64_t> rows(o.sizes().begin(), o.sizes().end() - 1);
    std::vector<int64_t> o_rows(o.strides().begin(), o.strides().end() - 1);
    std::vector<int64_t> b_rows(bias_strides.begin(), bias_strides.end() - 1);
    for_each_offset_pair(rows, o_rows, b_rows, [&](int64_t off, int64_t b) {
      finish_row_f64(e, c + off, n, bp ? bp + b : nullptr, bias_strides[rank - 1]);
    });
    return;
  }
  for_each_offset_pair(o.sizes(), o.strides(), bias_strides,
                       [&](int64_t off, int64_t b) { c[off] = apply_epilogue(e, bp ? c[off] + bp[b] : c[off]); });
}

}  // namespace wick::rt
