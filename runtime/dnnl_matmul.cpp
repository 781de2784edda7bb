// matmul, linear and addmm on oneDNN's matmul primitive. All three become one
// batched product O[..., M, N] = A[..., M, K] @ B[..., K, N] (+ bias), with
// vector operands promoted to matrices, linear's weight read transposed
// through its strides, and batch dimensions of size 1 or stride 0 broadcast by
// oneDNN. When only A has batch dimensions and they fold into its rows, the
// product is issued as one 2-D GEMM instead of a batch of small ones. f64
// products, which oneDNN does not take, run on gemm_f64 (products_f64.h);
// bf16 ones run on oneDNN's bf16 kernels (f32 accumulation, one rounding)
// where the CPU multiplies bf16, else widened to f32 here.
#include <algorithm>
#include <string>

#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/products_f64.h"
#include "runtime/primitive_cache.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace dnnl_support;

// Folds dimensions [first, last] of `t` into one when their strides allow it.
bool fold(const Tensor& t, int first, int last, int64_t* size, int64_t* stride) {
  int64_t n = 1, st = 0;
  for (int i = last; i >= first; --i) {
    int64_t s = t.size(i);
    if (s == 1) continue;
    if (n == 1) {
      n = s;
      st = t.strides()[i];
    } else if (t.strides()[i] != st * n) {
      return false;
    } else {
      n *= s;
    }
  }
  *size = n;
  *stride = n == 1 ? 1 : st;
  return true;
}

// O = epilogue(sum_scale * O + bias) for an empty inner dimension (K == 0),
// where oneDNN has nothing to multiply.
void empty_product(const Tensor& bias, const Tensor& o, float sum_scale, const Epilogue& e) {
  Tensor acc = Tensor::zeros(DType::f32, o.sizes());
  if (bias.defined()) broadcast_into(bias, acc);
  Tensor old = o.clone();
  float* a = acc.data_as<float>();
  const float* p = old.data_as<float>();
  for (int64_t i = 0; i < acc.numel(); ++i)
    a[i] = apply_epilogue(e, a[i] + (sum_scale != 0.f ? sum_scale * p[i] : 0.f));
  copy_into(acc, o);
}

// O = epilogue(alpha * A @ B + bias + sum_scale * O). A, B, O have equal rank
// >= 2 (O's batch sizes are the broadcast of A's and B's); bias is undefined
// or of O's rank with sizes 1 or equal to O's.
void product(const char* op, Tensor a, Tensor b, Tensor bias, Tensor o, float alpha,
             float sum_scale, const Epilogue& e) {
  if (o.numel() == 0) return;
  const int rank = o.dim();
  const bool f64 = o.dtype() == DType::f64;
  if (o.dtype() == DType::bf16 && (!native_bf16() || a.size(-1) == 0)) {
    // In f32, rounded once at the end, as a CPU without bf16 products must.
    Tensor widened = sum_scale != 0.f ? widened_to_f32(o) : Tensor::empty(DType::f32, o.sizes());
    product(op, widened_to_f32(a), widened_to_f32(b), bias.defined() ? widened_to_f32(bias) : bias, widened, alpha,
            sum_scale, e);
    return round_into_bf16(widened, o);
  }
  if (a.size(-1) == 0 && !f64) return empty_product(bias, o, sum_scale, e);

  // Stride-0 batch dimensions (expanded views) become size-1 broadcasts.
  auto squeeze_expanded = [&](Tensor& t, const Tensor& other) {
    std::vector<int64_t> sizes = t.sizes();
    bool changed = false;
    for (int i = 0; i < rank - 2; ++i)
      if (sizes[i] > 1 && t.strides()[i] == 0 && other.size(i) == sizes[i]) {
        sizes[i] = 1;
        changed = true;
      }
    if (changed) t = restride(t, sizes, t.strides());
  };
  squeeze_expanded(a, b);
  squeeze_expanded(b, a);

  // Only A (and O) batched: fold the batch into A's rows, one GEMM.
  bool b_unbatched = true, bias_row = true;
  for (int i = 0; i < rank - 2; ++i) b_unbatched = b_unbatched && b.size(i) == 1;
  for (int i = 0; bias.defined() && i < rank - 1; ++i) bias_row = bias_row && bias.size(i) == 1;
  int64_t rows_a, stride_a, rows_o, stride_o;
  if (rank > 2 && b_unbatched && bias_row && fold(a, 0, rank - 2, &rows_a, &stride_a) &&
      fold(o, 0, rank - 2, &rows_o, &stride_o) && rows_a == rows_o) {
    a = restride(a, {rows_a, a.size(-1)}, {stride_a, a.strides()[rank - 1]});
    o = restride(o, {rows_o, o.size(-1)}, {stride_o, o.strides()[rank - 1]});
    b = restride(b, {b.size(-2), b.size(-1)}, {b.strides()[rank - 2], b.strides()[rank - 1]});
    if (bias.defined()) bias = restride(bias, {1, bias.size(-1)}, {0, bias.strides()[rank - 1]});
  }

  if (f64) return batched_product_f64(a, b, bias, o, alpha, sum_scale, e);

  // oneDNN reads a bias as dense whatever its strides say; it is small.
  if (bias.defined()) bias = bias.contiguous();

  const int threads = sync_threads(o.numel() * a.size(-1));
  PrimitiveKey key("matmul", threads);
  key.add(a).add(b).add(bias).add(o).add(alpha).add(sum_scale);
  key.add(static_cast<int64_t>(e.op)).add(e.alpha).add(e.beta);

  std::shared_ptr<const CachedPrimitive> prim;
  try {
    prim = cached_primitive(key, [&] {
      return create_in_place_or_contiguous([&](bool contiguous) {
        auto md = [&](const Tensor& t) { return contiguous ? contiguous_md(t.sizes(), t.dtype()) : plain_md(t); };
        dnnl::memory::desc bias_md = bias.defined() ? md(bias) : dnnl::memory::desc();
        dnnl::matmul::desc desc(md(a), md(b), bias_md, md(o));
        dnnl::matmul::primitive_desc pd(desc, make_attr(e, alpha, sum_scale), engine());
        return CachedPrimitive::of(dnnl::matmul(pd), pd, contiguous,
                                   {{DNNL_ARG_SRC, pd.src_desc()},
                                    {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                                    {DNNL_ARG_BIAS, bias_md},
                                    {DNNL_ARG_DST, pd.dst_desc()}});
      });
    });
    if (!prim->contiguous) {
      execute(*prim, {{DNNL_ARG_SRC, a.data()},
                      {DNNL_ARG_WEIGHTS, b.data()},
                      {DNNL_ARG_BIAS, bias.defined() ? bias.data() : nullptr},
                      {DNNL_ARG_DST, o.data()}});
      return;
    }
    Tensor ac = a.contiguous(), bc = b.contiguous();
    Tensor oc = o.is_contiguous()  ? o
                : sum_scale != 0.f ? o.clone()
                                   : Tensor::zeros(o.dtype(), o.sizes());
    execute(*prim, {{DNNL_ARG_SRC, ac.data()},
                    {DNNL_ARG_WEIGHTS, bc.data()},
                    {DNNL_ARG_BIAS, bias.defined() ? bias.data() : nullptr},
                    {DNNL_ARG_DST, oc.data()}});
    if (oc.data() != o.data()) copy_into(oc, o);
  } catch (const dnnl::error& err) {
    rethrow_dnnl(op, err);
  }
}

// A view of `t` with a size-1 dimension inserted at `dim`.
Tensor unsqueeze(const Tensor& t, int dim) {
  std::vector<int64_t> sizes = t.sizes(), strides = t.strides();
  sizes.insert(sizes.begin() + dim, 1);
  strides.insert(strides.begin() + dim, 0);
  return restride(t, sizes, strides);
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& out, const Epilogue& epilogue) {
  const DType t = a.dtype();
  check_product_input("matmul", "first argument", a, t);
  check_product_input("matmul", "second argument", b, t);
  check_product_output("matmul", out, matmul_output_sizes(a.sizes(), b.sizes()), t);
  Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  Tensor o = out;
  if (a.dim() == 1) o = unsqueeze(o, o.dim() - (b.dim() == 1 ? 0 : 1));
  if (b.dim() == 1) o = unsqueeze(o, o.dim());
  const int rank = std::max({a2.dim(), b2.dim(), o.dim()});
  product("matmul", with_rank(a2, rank), with_rank(b2, rank), Tensor(), o, 1.f, 0.f, epilogue);
}

void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out,
            const Epilogue& epilogue) {
  const DType t = x.dtype();
  check_product_input("linear", "input", x, t);
  check_product_input("linear", "weight", weight, t);
  if (bias.defined()) check_product_input("linear", "bias", bias, t);
  if (bias.defined() && bias.dim() == 0)
    throw Error("expected a bias of shape [" + std::to_string(weight.size(0)) + "], got []", {},
                "linear");
  check_product_output(
      "linear", out,
      linear_output_sizes(x.sizes(), weight.sizes(), bias.defined() ? bias.sizes() : std::vector<int64_t>{}), t);
  Tensor wt = restride(weight, {weight.size(1), weight.size(0)},
                       {weight.strides()[1], weight.strides()[0]});
  Tensor a = x.dim() == 1 ? unsqueeze(x, 0) : x;
  Tensor o = x.dim() == 1 ? unsqueeze(out, 0) : out;
  const int rank = a.dim();
  Tensor b = bias.defined() ? with_rank(bias, rank) : Tensor();
  product("linear", a, with_rank(wt, rank), b, o, 1.f, 0.f, epilogue);
}

void addmm(const Tensor& bias, const Tensor& a, const Tensor& b, float beta, float alpha,
           Tensor& out, const Epilogue& epilogue) {
  const DType t = a.dtype();
  check_product_input("addmm", "input", bias, t);
  check_product_input("addmm", "first matrix", a, t);
  check_product_input("addmm", "second matrix", b, t);
  check_product_output("addmm", out, addmm_output_sizes(bias.sizes(), a.sizes(), b.sizes()), t);
  Tensor bias2 = with_rank(bias, 2);
  if (beta == 0.f) {
    product("addmm", a, b, Tensor(), out, alpha, 0.f, epilogue);
  } else if (beta == 1.f && alpha == 1.f && bias2.size(0) == 1 && bias2.size(1) == b.size(1)) {
    product("addmm", a, b, bias2, out, 1.f, 0.f, epilogue);  // a fused row bias
  } else {
    bool same =
        bias.data() == out.data() && bias.sizes() == out.sizes() && bias.strides() == out.strides();
    if (!same) broadcast_into(bias, out);
    product("addmm", a, b, Tensor(), out, alpha, beta, epilogue);
  }
}

}  // namespace wick::rt
