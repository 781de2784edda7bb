// Decomposition rules for dense linear algebra, written with the four
// kernels of runtime/linalg.h (lu_solve, slogdet, cholesky and
// triangular_solve, which take equal batch dims, so operands are expanded to
// their broadcast batch first) and with transposes:
//   linalg_inv(A), inverse(A)  = lu_solve(A, I)
//   linalg_solve(A, B, left)   = lu_solve(A, B); a vector B (1-D, or A's
//       shape without the last dim) as one column; left=False solves
//       X A = B as A^T X^T = B^T
//   slogdet(A)                 = (sign, log|det|) = wick::slogdet(A) [..., 0|1]
//   det(A)                     = sign * exp(log|det|)
//   logdet(A)                  = log(sign) + log|det| (NaN for det < 0)
//   cholesky(A, upper)         = L = wick::cholesky(A), or L^T when upper
//   cholesky_ex, inv_ex, solve_ex = the same on wick::cholesky_ex and
//       wick::lu_solve_ex, whose results carry LAPACK's info in one more
//       row (with check_errors: the plain kernels, which raise, and info 0)
//   cholesky_solve(B, L, upper)= L^-T (L^-1 B), or U^-1 (U^-T B)
//   cholesky_inverse(L, upper) = cholesky_solve(I, L, upper)
//   linalg_solve_triangular(A, B, upper, left, unit), triangular_solve(B, A,
//       upper, transpose, unit) = triangular_solve kernels, a transposed A
//       being the other triangle
//   matrix_power(A, n)         = products of repeated squares of A (of A^-1
//       for n < 0), I for n = 0
//   multi_dot(ts), chain_matmul = matmul left to right
//   vecdot(x, y, dim)          = sum(x y, dim);  vdot(a, b) = dot(a, b)
//   addr(s, u, v, beta, alpha) = beta s + alpha outer(u, v) (s unread when beta = 0)
//   inner(a, b)                = tensordot over the last dims (a b when 0-d)
//   tensordot(a, b, da, db)    = a's free dims by da, times da by b's free
//       dims, as one matrix product of the permuted, flattened operands
//   linalg_diagonal(A, o, d1, d2) = diagonal(A, o, d1, d2)
// and with the two decompositions, wick::eigh(A) = [w; V] and wick::svd(A) =
// [U; s; V] (packed one under the other, read back as views) or
// wick::svdvals(A) = s:
//   eigh(A, UPLO), eigvalsh    = w and V of A (of A^T for UPLO='U')
//   svdvals(A)                 = s;  svd(A) = (U, s, V^T), torch.svd: (U, s, V)
//   pinv(A, atol, rtol)        = V diag(1/s where s > max(atol, rtol s_max)) U^T
//       (rtol = eps max(m, n) when neither is given; pinverse and rcond: rtol)
//   cond(A, p)                 = s_max / s_min (p None, 2), s_min / s_max (-2),
//       else norm(A, p) norm(A^-1, p)
//   nuclear_norm(A, dims)      = the nuclear matrix norm
//   matrix_rank(A, atol, rtol) = the number of s above max(atol, rtol s_max)
//   lstsq(A, B, rcond)         = (pinv(A) B, [], rank, []), as the gelsy driver
//   qr(A, mode)                = (wick::qr(A, Q), wick::qr(A, R)); mode 'r': Q empty
//   matrix_exp(A)              = wick::matrix_exp(A)
//   linalg_matmul(a, b)        = matmul(a, b)
//   bilinear(x1, x2, W, b)     = sum(reshape(x1 @ W as [i, k j], [.., k, j])
//                                x2[.., None, :], -1) + b
#include <algorithm>
#include <cmath>
#include <string>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {

using ir::Dim;
using ir::Value;

// x [.., r, c] expanded to the batch dims `batch` (those of the node's
// result), reading a size that x lacks from `other`.
Value* with_batch(Emitter& e, Value* x, const std::vector<Dim>& batch, Value* other, size_t other_matrix_dims) {
  const auto& s = e.shape(x, "operand");
  const std::vector<Dim> own(s.begin(), s.end() - 2);
  if (own == batch) return x;
  const auto& os = e.shape(other, "operand");
  std::vector<Value*> sizes;
  for (size_t j = 0; j < batch.size(); ++j) {
    const size_t from_end = batch.size() - j;  // position counted from the batch's end
    const bool have = own.size() >= from_end && own[own.size() - from_end] == batch[j];
    if (batch[j].is_static()) {
      sizes.push_back(e.int_(batch[j].value()));
    } else if (have) {
      sizes.push_back(e.int_(-1));
    } else {
      const int64_t at = static_cast<int64_t>(os.size() - other_matrix_dims - from_end);
      sizes.push_back(e.op("aten::size.int", {other, e.int_(at)}));
    }
  }
  sizes.push_back(e.int_(-1));
  sizes.push_back(e.int_(-1));
  return e.op("aten::expand", {x, e.list(sizes), e.bool_(false)});
}

// The batch dims of the node's first result, which has `matrix_dims` more.
std::vector<Dim> result_batch(Emitter& e, size_t matrix_dims) {
  const auto& s = e.shape(e.node().output(0), "result");
  return {s.begin(), s.end() - static_cast<std::ptrdiff_t>(matrix_dims)};
}

Value* triangular(Emitter& e, Value* a, Value* b, bool upper, bool unit, const std::vector<Dim>& batch) {
  return e.op("wick::triangular_solve",
              {with_batch(e, a, batch, b, 2), with_batch(e, b, batch, a, 2), e.bool_(upper), e.bool_(unit)});
}

namespace {

Value* mt(Emitter& e, Value* x) { return e.op("aten::transpose.int", {x, e.int_(-2), e.int_(-1)}); }

// The n x n identity in x's dtype, n = x's last size, over x's batch dims.
Value* identity_like(Emitter& e, Value* x) {
  const auto& s = e.shape(x, "A");
  const Dim& n = s.back();
  Value* size = n.is_static() ? e.int_(n.value()) : e.op("aten::size.int", {x, e.int_(-1)});
  const DType dtype = e.float_dtype(x, "A");
  Value* eye = e.op("aten::eye", {size, e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()});
  return with_batch(e, eye, {s.begin(), s.end() - 2}, x, 2);
}

Value* lu_solve(Emitter& e, Value* a, Value* b, const std::vector<Dim>& batch) {
  return e.op("wick::lu_solve", {with_batch(e, a, batch, b, 2), with_batch(e, b, batch, a, 2)});
}

Value* inverse(Emitter& e) {
  Value* a = e.input(0);
  return e.op("wick::lu_solve", {a, identity_like(e, a)});
}

// The result rows of a *_ex kernel's [*, r + 1, c], and its info (element
// 0 of the last row) as i32.
Value* without_info(Emitter& e, Value* packed) {
  return e.op("aten::slice.Tensor", {packed, e.int_(-2), e.int_(0), e.int_(-1), e.int_(1)});
}
Value* info_of(Emitter& e, Value* packed) {
  Value* row = e.op("aten::select.int", {packed, e.int_(-2), e.int_(-1)});
  return e.cast(e.op("aten::select.int", {row, e.int_(-1), e.int_(0)}), DType::i32);
}

// An i32 info of 0 per matrix of x, whose last `matrix_dims` dims are not batch.
Value* no_info(Emitter& e, Value* x, int matrix_dims) {
  for (int i = 0; i < matrix_dims; ++i) x = e.op("aten::select.int", {x, e.int_(-1), e.int_(0)});
  return e.op("aten::zeros_like", {x, e.int_(*torch_code_of(DType::i32)), e.none(), e.none(), e.none(), e.none()});
}

// X with A X = B (X A = B when not `left`), B a matrix or a vector (one
// column); with `ex`, also LAPACK's info per matrix (wick::lu_solve_ex),
// else a null info. The second result: whether B was a vector.
std::pair<std::pair<Value*, Value*>, bool> solve(Emitter& e, bool ex) {
  Value *a = e.input(0), *b = e.input(1);
  const bool left = e.constant_bool(2, "left");
  const auto& sa = e.shape(a, "A");
  const auto& sb = e.shape(b, "B");
  const bool vector = sb.size() == 1 || (sb.size() + 1 == sa.size() && std::equal(sb.begin(), sb.end(), sa.begin()));
  auto run = [&](Value* a, Value* b, const std::vector<Dim>& batch) -> std::pair<Value*, Value*> {
    if (!ex) return {lu_solve(e, a, b, batch), nullptr};
    Value* packed = e.op("wick::lu_solve_ex", {with_batch(e, a, batch, b, 2), with_batch(e, b, batch, a, 2)});
    return {without_info(e, packed), info_of(e, packed)};
  };
  if (vector) {
    // One column: the result's batch, then n.
    const std::vector<Dim> batch = result_batch(e, 1);
    Value* column = e.op("aten::unsqueeze", {b, e.int_(-1)});
    auto [x, info] = run(left ? a : mt(e, a), column, batch);
    return {{e.op("aten::squeeze.dim", {x, e.int_(-1)}), info}, true};
  }
  const std::vector<Dim> batch = result_batch(e, 2);
  if (left) return {run(a, b, batch), false};
  auto [x, info] = run(mt(e, a), mt(e, b), batch);
  return {{mt(e, x), info}, false};
}

Value* linalg_solve(Emitter& e) { return solve(e, false).first.first; }

// The *_ex functions: with check_errors, the plain function (which raises)
// and an info of 0; else the kernels' info.
std::vector<Value*> linalg_solve_ex(Emitter& e) {
  const bool check = e.constant_bool(3, "check_errors");
  auto [result, vector] = solve(e, !check);
  auto [x, info] = result;
  return {x, check ? no_info(e, x, vector ? 1 : 2) : info};
}

std::vector<Value*> inverse_ex(Emitter& e) {
  Value* a = e.input(0);
  if (e.constant_bool(1, "check_errors")) return {inverse(e), no_info(e, a, 2)};
  Value* packed = e.op("wick::lu_solve_ex", {a, identity_like(e, a)});
  return {without_info(e, packed), info_of(e, packed)};
}

// sign and log|det| of the node's A.
std::pair<Value*, Value*> sign_and_log(Emitter& e) {
  Value* packed = e.op("wick::slogdet", {e.input(0)});
  return {e.op("aten::select.int", {packed, e.int_(-1), e.int_(0)}),
          e.op("aten::select.int", {packed, e.int_(-1), e.int_(1)})};
}

Value* det(Emitter& e) {
  auto [sign, log_abs] = sign_and_log(e);
  return e.mul(sign, e.op("aten::exp", {log_abs}));
}

Value* logdet(Emitter& e) {
  auto [sign, log_abs] = sign_and_log(e);
  return e.add(e.op("aten::log", {sign}), log_abs);
}

std::vector<Value*> slogdet(Emitter& e) {
  auto [sign, log_abs] = sign_and_log(e);
  return {sign, log_abs};
}

Value* cholesky(Emitter& e) {
  Value* l = e.op("wick::cholesky", {e.input(0)});
  return e.constant_bool(1, "upper") ? mt(e, l) : l;
}

std::vector<Value*> cholesky_ex(Emitter& e) {
  Value* a = e.input(0);
  if (e.constant_bool(2, "check_errors")) return {cholesky(e), no_info(e, a, 2)};
  Value* packed = e.op("wick::cholesky_ex", {a});
  Value* l = without_info(e, packed);
  return {e.constant_bool(1, "upper") ? mt(e, l) : l, info_of(e, packed)};
}

// X with A X = B for A = L L^T (or U^T U when `upper`), f the factor.
Value* cholesky_solve_with(Emitter& e, Value* b, Value* f, bool upper, const std::vector<Dim>& batch) {
  if (upper) return triangular(e, f, triangular(e, mt(e, f), b, false, false, batch), true, false, batch);
  return triangular(e, mt(e, f), triangular(e, f, b, false, false, batch), true, false, batch);
}

Value* cholesky_solve(Emitter& e) {
  return cholesky_solve_with(e, e.input(0), e.input(1), e.constant_bool(2, "upper"), result_batch(e, 2));
}

Value* cholesky_inverse(Emitter& e) {
  Value* f = e.input(0);
  return cholesky_solve_with(e, identity_like(e, f), f, e.constant_bool(1, "upper"), result_batch(e, 2));
}

Value* solve_triangular(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1);
  const bool upper = e.constant_bool(2, "upper"), left = e.constant_bool(3, "left");
  const bool unit = e.constant_bool(4, "unitriangular");
  const std::vector<Dim> batch = result_batch(e, 2);
  if (left) return triangular(e, a, b, upper, unit, batch);
  return mt(e, triangular(e, mt(e, a), mt(e, b), !upper, unit, batch));
}

std::vector<Value*> triangular_solve(Emitter& e) {
  Value *b = e.input(0), *a = e.input(1);
  const bool upper = e.constant_bool(2, "upper"), transpose = e.constant_bool(3, "transpose");
  const bool unit = e.constant_bool(4, "unitriangular");
  const std::vector<Dim> batch = result_batch(e, 2);
  Value* x = transpose ? triangular(e, mt(e, a), b, !upper, unit, batch) : triangular(e, a, b, upper, unit, batch);
  return {x, e.op("aten::contiguous", {with_batch(e, a, batch, b, 2), e.int_(0)})};
}

Value* matrix_power(Emitter& e) {
  Value* a = e.input(0);
  int64_t n = e.constant_int(1, "n");
  if (n == 0) return e.op("aten::contiguous", {identity_like(e, a), e.int_(0)});
  if (n < 0) {
    a = inverse(e);
    n = -n;
  }
  // Binary powering: the product of the squares A^(2^k) for the bits of n.
  Value* result = nullptr;
  for (Value* square = a;; square = e.op("aten::matmul", {square, square})) {
    if (n & 1) result = result ? e.op("aten::matmul", {result, square}) : square;
    n >>= 1;
    if (n == 0) break;
  }
  return result;
}

// A row range [from, to) of the packed result p along dim -2.
Value* rows(Emitter& e, Value* p, int64_t from, int64_t to) {
  return e.op("aten::slice.Tensor", {p, e.int_(-2), e.int_(from), e.int_(to), e.int_(1)});
}

int64_t static_size(Emitter& e, Value* x, int64_t from_end, const char* what) {
  const auto& s = e.shape(x, "A");
  const ir::Dim& d = s[s.size() - static_cast<size_t>(from_end)];
  if (!d.is_static()) throw e.node().error(std::string("needs the ") + what + " of A known when compiling, got " + d.str());
  return d.value();
}

struct Eigen {
  Value *values, *vectors;
};

Eigen eigen(Emitter& e) {
  Value* a = e.input(0);
  const std::string uplo = e.constant_string(1, "UPLO");
  if (uplo != "L" && uplo != "U") throw e.node().error("UPLO must be 'L' or 'U', got '" + uplo + "'");
  if (uplo == "U") a = mt(e, a);  // the upper triangle, as A^T's lower one
  const int64_t n = static_size(e, a, 1, "size");
  Value* p = e.op("wick::eigh", {a});
  return {e.op("aten::select.int", {p, e.int_(-2), e.int_(0)}), rows(e, p, 1, n + 1)};
}

std::vector<Value*> eigh(Emitter& e) {
  const Eigen r = eigen(e);
  return {r.values, r.vectors};
}

Value* eigvalsh(Emitter& e) { return eigen(e).values; }

Value* svdvals(Emitter& e) { return e.op("wick::svdvals", {e.input(0)}); }

struct Svd {
  Value *u, *s, *v;
};

Svd svd_of(Emitter& e, Value* a) {
  const int64_t m = static_size(e, a, 2, "rows"), n = static_size(e, a, 1, "columns");
  Value* p = e.op("wick::svd", {a});
  return {rows(e, p, 0, m), e.op("aten::select.int", {p, e.int_(-2), e.int_(m)}), rows(e, p, m + 1, m + 1 + n)};
}

std::vector<Value*> svd(Emitter& e) {
  const Svd r = svd_of(e, e.input(0));
  if (e.node().op().schema.name == "linalg_svd") return {r.u, r.s, mt(e, r.v)};
  return {r.u, r.s, r.v};
}

// V diag(s^+) U^T, s^+ = 1/s where s > tol (else 0), tol = max(atol, rtol s_max).
Value* pinv_with(Emitter& e, double atol, double rtol) {
  const Svd r = svd_of(e, e.input(0));
  Value* s_max = e.op("aten::unsqueeze", {e.op("aten::select.int", {r.s, e.int_(-1), e.int_(0)}), e.int_(-1)});
  Value* tol = e.op("aten::clamp_min", {e.op("aten::mul.Scalar", {s_max, e.float_(rtol)}), e.float_(atol)});
  Value* keep = e.op("aten::gt.Tensor", {r.s, tol});
  // 1/s only where kept, so that a dropped zero gives no infinity, nor a NaN gradient.
  Value* safe = e.op("aten::where.ScalarOther", {keep, r.s, e.float_(1.0)});
  Value* inverse = e.op("aten::where.ScalarOther", {keep, e.op("aten::reciprocal", {safe}), e.float_(0.0)});
  Value* scaled = e.mul(r.v, e.op("aten::unsqueeze", {inverse, e.int_(-2)}));
  return e.op("aten::matmul", {scaled, mt(e, r.u)});
}

double default_rtol(Emitter& e) {
  const double eps = e.float_dtype(e.input(0), "A") == DType::f64 ? 2.220446049250313e-16 : 1.1920928955078125e-07;
  return eps * static_cast<double>(std::max(static_size(e, e.input(0), 2, "rows"), static_size(e, e.input(0), 1, "columns")));
}

Value* pinv_atol_rtol(Emitter& e) {
  // hermitian=True asks for the same pseudo-inverse; the SVD serves a symmetric A as well.
  const bool has_atol = !e.absent(1), has_rtol = !e.absent(2);
  auto value = [&](size_t i) {
    auto v = ir::constant_double(e.input(i));
    if (!v) throw e.node().error(std::string(i == 1 ? "atol" : "rtol") + " must be a constant");
    return *v;
  };
  const double atol = has_atol ? value(1) : 0.0;
  const double rtol = has_rtol ? value(2) : has_atol ? 0.0 : default_rtol(e);
  return pinv_with(e, atol, rtol);
}

// The number of singular values of A above max(atol, rtol s_max), atol and
// rtol each a float, a tensor broadcast over A's batch, or absent (null):
// without either, rtol = eps max(m, n); with atol alone, rtol = 0.
Value* rank_of(Emitter& e, Value* atol, Value* rtol) {
  Value* s = e.op("wick::svdvals", {e.input(0)});
  Value* s_max = e.op("aten::select.int", {s, e.int_(-1), e.int_(0)});
  auto is_tensor = [](const Value* v) { return v->type()->is_tensor(); };
  Value* tol = nullptr;
  if (rtol) tol = e.op(is_tensor(rtol) ? "aten::mul.Tensor" : "aten::mul.Scalar", {s_max, rtol});
  else if (!atol) tol = e.op("aten::mul.Scalar", {s_max, e.float_(default_rtol(e))});
  if (atol) {
    if (!tol) tol = is_tensor(atol) ? atol : e.op("aten::mul.Scalar", {e.op("aten::ones_like", {s_max, e.none(), e.none(), e.none(), e.none(), e.none()}), atol});
    else tol = is_tensor(atol) ? e.op("aten::maximum", {tol, atol}) : e.op("aten::clamp_min", {tol, atol});
  }
  if (is_tensor(tol)) tol = e.op("aten::unsqueeze", {tol, e.int_(-1)});
  Value* above = e.cast(e.op("aten::gt.Tensor", {s, tol}), DType::i64);
  return e.sum(above, {-1}, false);
}

Value* matrix_rank(Emitter& e) {
  const std::string& overload = e.node().op().schema.overload;
  auto given = [&](size_t i) -> Value* { return e.absent(i) ? nullptr : e.input(i); };
  if (overload.empty() || overload == "tol_tensor") return rank_of(e, e.input(1), e.float_(0.0));
  return rank_of(e, given(1), given(2));
}

// lstsq in the form LAPACK's default driver (gelsy) answers: a solution,
// empty residuals and singular values, and the rank. The solution is the
// minimum-norm pinv(A) B with singular values below rcond s_max dropped, and
// the rank counts those kept; gelsy decides the rank from a pivoted QR
// instead, so for a matrix short of full rank the two may disagree.
std::vector<Value*> lstsq(Emitter& e) {
  if (!e.absent(3)) {
    const std::string driver = e.constant_string(3, "driver");
    if (driver != "gelsy") throw e.node().error("driver '" + driver + "' is not supported; only gelsy, the default");
  }
  double rtol = default_rtol(e);
  if (!e.absent(2)) {
    auto rcond = ir::constant_double(e.input(2));
    if (!rcond) throw e.node().error("rcond must be a constant");
    rtol = *rcond;
  }
  Value* x = e.op("aten::matmul", {pinv_with(e, 0.0, rtol), e.input(1)});
  const DType dtype = e.float_dtype(e.input(0), "A");
  auto empty = [&] { return e.op("aten::zeros", {e.ints({0}), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()}); };
  return {x, empty(), rank_of(e, nullptr, e.float_(rtol)), empty()};
}

std::vector<Value*> qr(Emitter& e) {
  std::string mode = "reduced";
  if (e.node().op().schema.name == "qr") mode = e.constant_bool(1, "some") ? "reduced" : "complete";
  else mode = e.constant_string(1, "mode");
  Value* complete = e.bool_(mode == "complete");
  Value* r = e.op("wick::qr", {e.input(0), e.bool_(true), complete});
  if (mode == "r") {
    const DType dtype = e.float_dtype(e.input(0), "A");
    return {e.op("aten::zeros", {e.ints({0}), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()}), r};
  }
  return {e.op("wick::qr", {e.input(0), e.bool_(false), complete}), r};
}

Value* pinv_rcond(Emitter& e) {
  auto rcond = ir::constant_double(e.input(1));
  if (!rcond) throw e.node().error("rcond must be a constant");
  return pinv_with(e, 0.0, *rcond);
}

Value* cond(Emitter& e) {
  Value* a = e.input(0);
  std::string p = "2";
  if (e.node().op().schema.name == "linalg_cond" && e.node().inputs().size() > 1) {
    if (e.input(1)->type()->kind() == ir::TypeKind::Str) {
      p = e.constant_string(1, "p");
    } else if (!e.absent(1)) {
      auto v = ir::constant_double(e.input(1));
      if (!v) throw e.node().error("p must be a constant");
      p = std::isinf(*v) ? (*v > 0 ? "inf" : "-inf") : std::to_string(static_cast<int64_t>(*v));
      if (static_cast<double>(static_cast<int64_t>(*v)) != *v) throw e.node().error("p must be an integer, inf or -inf");
    }
  }
  if (p == "2" || p == "-2") {
    Value* s = e.op("wick::svdvals", {a});
    const int64_t k = std::min(static_size(e, a, 2, "rows"), static_size(e, a, 1, "columns"));
    Value* largest = e.op("aten::select.int", {s, e.int_(-1), e.int_(0)});
    Value* smallest = e.op("aten::select.int", {s, e.int_(-1), e.int_(k - 1)});
    return p == "2" ? e.div(largest, smallest) : e.div(smallest, largest);
  }
  auto norm = [&](Value* x) {
    if (p == "fro" || p == "nuc")
      return e.op("aten::linalg_matrix_norm.str_ord", {x, e.str_(p), e.ints({-2, -1}), e.bool_(false), e.none()});
    const double ord = p == "inf" ? INFINITY : p == "-inf" ? -INFINITY : std::stod(p);
    return e.op("aten::linalg_matrix_norm", {x, e.float_(ord), e.ints({-2, -1}), e.bool_(false), e.none()});
  };
  return e.mul(norm(a), norm(e.op("wick::lu_solve", {a, identity_like(e, a)})));
}

Value* nuclear_norm(Emitter& e) {
  const bool with_dims = e.node().op().schema.overload == "dim";
  Value* dims = with_dims ? e.input(1) : e.ints({0, 1});
  Value* keepdim = e.input(with_dims ? 2 : 1);
  return e.op("aten::linalg_matrix_norm.str_ord", {e.input(0), e.str_("nuc"), dims, keepdim, e.none()});
}

Value* chain(Emitter& e) {
  const ir::Node* list = e.input(0)->node();
  if (!list->is("prim::ListConstruct")) throw e.node().error("needs a list built in the graph");
  Value* r = list->input(0);
  for (size_t k = 1; k < list->inputs().size(); ++k) r = e.op("aten::matmul", {r, list->input(k)});
  return r;
}

Value* vecdot(Emitter& e) {
  const auto rank = static_cast<int64_t>(e.shape(e.node().output(0), "result").size()) + 1;
  int64_t d = e.constant_int(2, "dim");
  if (d < 0) d += rank;
  return e.sum(e.mul(e.input(0), e.input(1)), {d}, false);
}

Value* vdot(Emitter& e) { return e.op("aten::dot", {e.input(0), e.input(1)}); }

Value* addr(Emitter& e) {
  Value* product = e.op("aten::mul.Scalar", {e.op("aten::outer", {e.input(1), e.input(2)}), e.input(4)});
  auto beta = ir::constant_double(e.input(3));
  // With beta = 0 self is not read (NaN or infinity in it must not reach the
  // result, as in torch): only its shape broadcasts.
  if (beta && *beta == 0.0)
    return e.add(product, e.op("aten::zeros_like", {e.input(0), e.none(), e.none(), e.none(), e.none(), e.none()}));
  return e.add(e.op("aten::mul.Scalar", {e.input(0), e.input(3)}), product);
}

Value* size_list(Emitter& e, const std::vector<std::pair<Value*, int64_t>>& dims) {
  std::vector<Value*> items;
  bool all_static = true;
  std::vector<int64_t> fixed;
  for (auto [v, d] : dims) {
    const ir::Dim& dim = e.shape(v, "operand")[static_cast<size_t>(d)];
    all_static = all_static && dim.is_static();
    if (dim.is_static()) fixed.push_back(dim.value());
    items.push_back(dim.is_static() ? e.int_(dim.value()) : e.op("aten::size.int", {v, e.int_(d)}));
  }
  if (all_static) return e.ints(fixed);
  return items.empty() ? e.ints({}) : e.list(items);
}

Value* tensordot_of(Emitter& e, Value* a, Value* b, std::vector<int64_t> da, std::vector<int64_t> db) {
  const auto ra = static_cast<int64_t>(e.shape(a, "self").size()), rb = static_cast<int64_t>(e.shape(b, "other").size());
  for (int64_t& d : da) d = d < 0 ? d + ra : d;
  for (int64_t& d : db) d = d < 0 ? d + rb : d;
  std::vector<int64_t> free_a, free_b;
  for (int64_t d = 0; d < ra; ++d)
    if (std::find(da.begin(), da.end(), d) == da.end()) free_a.push_back(d);
  for (int64_t d = 0; d < rb; ++d)
    if (std::find(db.begin(), db.end(), d) == db.end()) free_b.push_back(d);
  std::vector<int64_t> order_a = free_a, order_b = db;
  order_a.insert(order_a.end(), da.begin(), da.end());
  order_b.insert(order_b.end(), free_b.begin(), free_b.end());
  // [free_a..., K] and [K, free_b...] as matrices: K is the product of the contracted sizes.
  std::vector<std::pair<Value*, int64_t>> k_dims, out_dims;
  for (int64_t d : db) k_dims.push_back({b, d});
  for (int64_t d : free_a) out_dims.push_back({a, d});
  for (int64_t d : free_b) out_dims.push_back({b, d});
  int64_t k = 1;
  for (auto [v, d] : k_dims) {
    const ir::Dim& dim = e.shape(v, "other")[static_cast<size_t>(d)];
    if (!dim.is_static()) throw e.node().error("the contracted dims must have sizes known when compiling");
    k *= dim.value();
  }
  Value* ma = e.op("aten::reshape", {e.op("aten::permute", {a, e.ints(order_a)}), e.ints({-1, k})});
  Value* mb = e.op("aten::reshape", {e.op("aten::permute", {b, e.ints(order_b)}), e.ints({k, -1})});
  return e.op("aten::reshape", {e.op("aten::mm", {ma, mb}), size_list(e, out_dims)});
}

Value* tensordot(Emitter& e) {
  auto da = ir::constant_int_list(e.input(2)), db = ir::constant_int_list(e.input(3));
  if (!da || !db) throw e.node().error("the contracted dims must be constants");
  return tensordot_of(e, e.input(0), e.input(1), *da, *db);
}

Value* inner(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1);
  if (e.shape(a, "self").empty() || e.shape(b, "other").empty()) return e.mul(a, b);
  return tensordot_of(e, a, b, {-1}, {-1});
}

Value* matrix_exp(Emitter& e) { return e.op("wick::matrix_exp", {e.input(0)}); }

Value* linalg_matmul(Emitter& e) { return e.op("aten::matmul", {e.input(0), e.input(1)}); }

Value* bilinear(Emitter& e) {
  Value *x1 = e.input(0), *x2 = e.input(1), *w = e.input(2);
  const auto& sw = e.shape(w, "weight");
  for (const Dim& d : sw)
    if (!d.is_static()) throw e.node().error("needs the weight's sizes known when compiling");
  const int64_t k = sw[0].value(), i = sw[1].value(), j = sw[2].value();
  // W [k, i, j] as [i, k j]: one product gives every x1^T W_k, then a dot with x2 each.
  Value* wide = e.op("aten::reshape", {e.op("aten::permute", {w, e.ints({1, 0, 2})}), e.ints({i, k * j})});
  Value* left = e.op("aten::matmul", {x1, wide});
  const size_t lead = e.shape(x1, "input1").size() - 1;
  std::vector<Size> sizes;
  for (size_t d = 0; d < lead; ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
  sizes.push_back(Size::fixed(k));
  sizes.push_back(Size::fixed(j));
  Value* per_output = e.op("aten::reshape", {left, e.sizes(x1, sizes)});
  Value* y = e.sum(e.mul(per_output, e.op("aten::unsqueeze", {x2, e.int_(-2)})), {-1}, false);
  return e.absent(3) ? y : e.add(y, e.input(3));
}

Value* linalg_diagonal(Emitter& e) {
  return e.op("aten::diagonal", {e.input(0), e.input(1), e.input(2), e.input(3)});
}

}  // namespace

std::vector<NamedRule> linalg_rules() {
  return {{"aten::linalg_matmul", linalg_matmul},
          {"aten::bilinear", bilinear},
          {"aten::linalg_multi_dot", chain},
          {"aten::chain_matmul", chain},
          {"aten::linalg_vecdot", vecdot},
          {"aten::vdot", vdot},
          {"aten::addr", addr},
          {"aten::inner", inner},
          {"aten::tensordot", tensordot},
          {"aten::linalg_diagonal", linalg_diagonal},
          {"aten::linalg_matrix_exp", matrix_exp},
          {"aten::matrix_exp", matrix_exp},
          {"aten::linalg_inv", inverse},
          {"aten::inverse", inverse},
          {"aten::linalg_solve", linalg_solve},
          {"aten::linalg_det", det},
          {"aten::det", det},
          {"aten::logdet", logdet},
          {"aten::linalg_cholesky", cholesky},
          {"aten::cholesky", cholesky},
          {"aten::cholesky_solve", cholesky_solve},
          {"aten::cholesky_inverse", cholesky_inverse},
          {"aten::linalg_solve_triangular", solve_triangular},
          {"aten::linalg_matrix_power", matrix_power},
          {"aten::matrix_power", matrix_power},
          {"aten::linalg_eigvalsh", eigvalsh},
          {"aten::linalg_svdvals", svdvals},
          {"aten::linalg_pinv.atol_rtol_float", pinv_atol_rtol},
          {"aten::linalg_pinv", pinv_rcond},
          {"aten::pinverse", pinv_rcond},
          {"aten::linalg_cond", cond},
          {"aten::linalg_cond.p_str", cond},
          {"aten::nuclear_norm", nuclear_norm},
          {"aten::nuclear_norm.dim", nuclear_norm},
          {"aten::linalg_matrix_rank", matrix_rank},
          {"aten::linalg_matrix_rank.tol_tensor", matrix_rank},
          {"aten::linalg_matrix_rank.atol_rtol_tensor", matrix_rank},
          {"aten::linalg_matrix_rank.atol_rtol_float", matrix_rank}};
}

std::vector<NamedMultiRule> linalg_multi_rules() {
  return {{"aten::linalg_slogdet", slogdet},   {"aten::slogdet", slogdet}, {"aten::triangular_solve", triangular_solve},
          {"aten::linalg_eigh", eigh},         {"aten::linalg_svd", svd},  {"aten::svd", svd},
          {"aten::linalg_lstsq", lstsq},      {"aten::linalg_qr", qr},    {"aten::qr", qr},
          {"aten::linalg_cholesky_ex", cholesky_ex}, {"aten::linalg_inv_ex", inverse_ex},
          {"aten::linalg_solve_ex", linalg_solve_ex}};
}

}  // namespace wick::passes::decompose_detail
