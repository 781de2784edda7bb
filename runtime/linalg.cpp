// Batched dense linear algebra (linalg.h): each matrix is gathered into an
// f64 scratch, factored with the textbook algorithms (Doolittle LU with
// partial pivoting, Cholesky–Banachiewicz, forward and back substitution),
// and scattered into `out`. Failures (a singular or indefinite matrix) are
// recorded per batch entry and raised once the parallel loop is done, since
// an exception may not leave a thread-pool chunk.
#include "runtime/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// A [*, r, c] operand viewed as `batch` matrices of r x c.
struct Matrices {
  const Tensor* t = nullptr;
  int64_t batch = 1, rows = 0, cols = 0;

  // Matrix b as row-major doubles.
  void load(int64_t b, std::vector<double>& m) const {
    m.resize(static_cast<size_t>(rows * cols));
    if (t->dtype() == DType::f64)
      gather(static_cast<const double*>(base(b)), m.data());
    else
      gather(static_cast<const float*>(base(b)), m.data());
  }

 private:
  template <typename T>
  void gather(const T* p, double* m) const {
    const int64_t r = rs(), c = cs();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) m[i * cols + j] = static_cast<double>(p[i * r + j * c]);
  }

  int64_t rs() const { return t->strides()[t->dim() - 2]; }
  int64_t cs() const { return t->strides()[t->dim() - 1]; }
  // The first element of matrix b: the batch index unraveled over the leading dims.
  const void* base(int64_t b) const {
    int64_t offset = 0;
    for (int d = t->dim() - 3; d >= 0; --d) {
      offset += (b % t->sizes()[d]) * t->strides()[d];
      b /= t->sizes()[d];
    }
    const size_t element = t->dtype() == DType::f64 ? sizeof(double) : sizeof(float);
    return static_cast<const char*>(t->data()) + offset * static_cast<int64_t>(element);
  }
};

Matrices matrices(const char* op, const Tensor& t, const char* what) {
  if (t.dtype() != DType::f32 && t.dtype() != DType::f64)
    throw Error(std::string(op) + ": " + what + " must be float32 or float64, got " + t.describe());
  if (t.dim() < 2) throw Error(std::string(op) + ": " + what + " must have at least 2 dims, got " + t.describe());
  Matrices m;
  m.t = &t;
  m.rows = t.size(-2);
  m.cols = t.size(-1);
  for (int d = 0; d + 2 < t.dim(); ++d) m.batch *= t.sizes()[d];
  return m;
}

Matrices square(const char* op, const Tensor& a) {
  Matrices m = matrices(op, a, "A");
  if (m.rows != m.cols) throw Error(std::string(op) + ": A must be square, got " + a.describe());
  return m;
}

void check_out(const char* op, const Tensor& out, const Tensor& like, int64_t elements) {
  if (!out.is_contiguous() || out.dtype() != like.dtype() || out.numel() != elements)
    throw Error(std::string(op) + ": the result " + out.describe() + " does not fit " + like.describe());
}

void check_rhs(const char* op, const Matrices& a, const Matrices& b) {
  if (b.rows != a.rows || b.batch != a.batch || b.t->dtype() != a.t->dtype())
    throw Error(std::string(op) + ": B " + b.t->describe() + " does not match A " + a.t->describe());
}

// Writes matrix b of a contiguous `out` from row-major doubles.
void store(Tensor& out, int64_t b, const std::vector<double>& m) {
  const auto n = static_cast<int64_t>(m.size());
  if (out.dtype() == DType::f64) {
    std::copy(m.begin(), m.end(), out.data_as<double>() + b * n);
  } else {
    float* o = out.data_as<float>() + b * n;
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(m[static_cast<size_t>(i)]);
  }
}

// Runs fn(b) for every batch entry on the thread pool. fn returns 0, or a
// code for a failure; the code of the lowest failing entry is returned (so
// that the error does not depend on the thread count).
template <typename F>
int64_t for_each_matrix(int64_t batch, int64_t n, F&& fn) {
  std::vector<int64_t> codes(static_cast<size_t>(batch), 0);
  auto chunk = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) codes[static_cast<size_t>(b)] = fn(b);
  };
  // Hand off only work worth it: about 2^16 multiply-adds per chunk.
  const int64_t work = std::max<int64_t>(1, n * n * n);
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / work);
  ThreadPool& pool = default_thread_pool();
  if (batch >= 2 * grain && pool.num_threads() > 1 && !ThreadPool::in_parallel_region())
    pool.parallel_for(0, batch, grain, chunk);
  else
    chunk(0, batch);
  for (int64_t c : codes)
    if (c != 0) return c;
  return 0;
}

// LU with partial pivoting of the rows x cols row-major `m` in place, as
// LAPACK's getrf: min(rows, cols) steps, each taking the first largest
// element of its column as the pivot. `perm` receives the row order, `*swaps`
// their count, and `pivots` (when given) each step's pivot row. False at a
// zero pivot, unless `info` is given: it then receives the 1-based column of
// the first zero pivot (0 if none) and the factorization goes on past it, as
// getrf does (such a column has nothing to eliminate).
bool lu_decompose(std::vector<double>& m, int64_t rows, int64_t cols, std::vector<int64_t>& perm, int64_t* swaps,
                  int64_t* info = nullptr, std::vector<int64_t>* pivots = nullptr) {
  if (info) *info = 0;
  perm.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) perm[static_cast<size_t>(i)] = i;
  *swaps = 0;
  const int64_t steps = std::min(rows, cols);
  if (pivots) pivots->assign(static_cast<size_t>(steps), 0);
  auto a = [&](int64_t i, int64_t j) -> double& { return m[static_cast<size_t>(i * cols + j)]; };
  for (int64_t k = 0; k < steps; ++k) {
    int64_t p = k;
    for (int64_t i = k + 1; i < rows; ++i)
      if (std::abs(a(i, k)) > std::abs(a(p, k))) p = i;
    if (pivots) (*pivots)[static_cast<size_t>(k)] = p;
    if (info && a(p, k) == 0.0) {
      if (*info == 0) *info = k + 1;
      continue;
    }
    if (a(p, k) == 0.0 || std::isnan(a(p, k))) return false;
    if (p != k) {
      for (int64_t j = 0; j < cols; ++j) std::swap(a(k, j), a(p, j));
      std::swap(perm[static_cast<size_t>(k)], perm[static_cast<size_t>(p)]);
      ++*swaps;
    }
    const double pivot = a(k, k);
    for (int64_t i = k + 1; i < rows; ++i) {
      const double l = a(i, k) / pivot;
      a(i, k) = l;
      if (l == 0.0) continue;
      for (int64_t j = k + 1; j < cols; ++j) a(i, j) -= l * a(k, j);
    }
  }
  return true;
}

// Solves T X = X in place for the n x n triangular `t` and the n x k `x`.
void substitute(const std::vector<double>& t, int64_t n, std::vector<double>& x, int64_t k, bool upper,
                bool unit) {
  auto tt = [&](int64_t i, int64_t j) { return t[static_cast<size_t>(i * n + j)]; };
  auto xx = [&](int64_t i, int64_t j) -> double& { return x[static_cast<size_t>(i * k + j)]; };
  for (int64_t s = 0; s < n; ++s) {
    const int64_t i = upper ? n - 1 - s : s;
    const int64_t from = upper ? i + 1 : 0, to = upper ? n : i;
    for (int64_t r = from; r < to; ++r) {
      const double c = tt(i, r);
      if (c == 0.0) continue;
      for (int64_t j = 0; j < k; ++j) xx(i, j) -= c * xx(r, j);
    }
    if (!unit)
      for (int64_t j = 0; j < k; ++j) xx(i, j) /= tt(i, i);
  }
}

// The order of the first k of `values`, sorted.
std::vector<int64_t> order_of(const std::vector<double>& values, int64_t k, bool ascending) {
  std::vector<int64_t> order(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return ascending ? values[static_cast<size_t>(x)] < values[static_cast<size_t>(y)]
                     : values[static_cast<size_t>(x)] > values[static_cast<size_t>(y)];
  });
  return order;
}

// (x, y) turned by the rotation [c -s; s c].
inline void rotate(double& x, double& y, double c, double s) {
  const double x0 = x, y0 = y;
  x = c * x0 - s * y0;
  y = s * x0 + c * y0;
}

constexpr int kMaxSweeps = 100;  // Jacobi converges quadratically: a dozen sweeps is typical

// Cyclic Jacobi on the symmetric n x n `a` (both triangles set), in place:
// afterwards its diagonal holds the eigenvalues and `v` (n x n, row-major)
// the eigenvectors as columns.
void jacobi_eigen(std::vector<double>& a, int64_t n, std::vector<double>& v) {
  auto A = [&](int64_t i, int64_t j) -> double& { return a[static_cast<size_t>(i * n + j)]; };
  auto V = [&](int64_t i, int64_t j) -> double& { return v[static_cast<size_t>(i * n + j)]; };
  v.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) V(i, i) = 1.0;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off = 0, diag = 0;
    for (int64_t i = 0; i < n; ++i) {
      diag += A(i, i) * A(i, i);
      for (int64_t j = i + 1; j < n; ++j) off += A(i, j) * A(i, j);
    }
    if (!(off > 1e-30 * diag) || !std::isfinite(off)) break;  // also a zero matrix, or NaN
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = A(p, q);
        if (apq == 0.0) continue;
        const double theta = (A(q, q) - A(p, p)) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) rotate(A(k, p), A(k, q), c, s);  // columns p and q
        for (int64_t k = 0; k < n; ++k) rotate(A(p, k), A(q, k), c, s);  // rows p and q
        for (int64_t k = 0; k < n; ++k) rotate(V(k, p), V(k, q), c, s);
      }
    }
  }
}

// One-sided Jacobi on the m x n `b` (m >= n), in place: afterwards its
// columns are orthogonal (U diag(s)) and `v` (n x n) holds V.
void jacobi_svd(std::vector<double>& b, int64_t m, int64_t n, std::vector<double>& v) {
  auto B = [&](int64_t i, int64_t j) -> double& { return b[static_cast<size_t>(i * n + j)]; };
  auto V = [&](int64_t i, int64_t j) -> double& { return v[static_cast<size_t>(i * n + j)]; };
  v.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) V(i, i) = 1.0;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        double alpha = 0, beta = 0, gamma = 0;
        for (int64_t i = 0; i < m; ++i) {
          alpha += B(i, p) * B(i, p);
          beta += B(i, q) * B(i, q);
          gamma += B(i, p) * B(i, q);
        }
        if (!(std::abs(gamma) > 1e-15 * std::sqrt(alpha * beta))) continue;  // also NaN
        rotated = true;
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (int64_t i = 0; i < m; ++i) rotate(B(i, p), B(i, q), c, s);
        for (int64_t i = 0; i < n; ++i) rotate(V(i, p), V(i, q), c, s);
      }
    }
    if (!rotated) break;
  }
}

}  // namespace

void lu_solve(const Tensor& a, const Tensor& b, Tensor& out, bool report) {
  const char* op = "linalg.solve";
  const Matrices am = square(op, a), bm = matrices(op, b, "B");
  check_rhs(op, am, bm);
  const int64_t n = am.rows, k = bm.cols;
  check_out(op, out, b, report ? am.batch * (n + 1) * k : b.numel());
  const int64_t failed = for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> m, rhs, x;  // reused: no allocation per matrix
    thread_local std::vector<int64_t> perm;
    x.assign(static_cast<size_t>((report ? n + 1 : n) * k), 0.0);
    int64_t swaps = 0, info = 0;
    am.load(i, m);
    if (!lu_decompose(m, n, n, perm, &swaps, report ? &info : nullptr)) return 1;
    bm.load(i, rhs);
    for (int64_t r = 0; r < n; ++r)
      std::copy_n(rhs.begin() + perm[static_cast<size_t>(r)] * k, k, x.begin() + r * k);
    substitute(m, n, x, k, false, true);
    substitute(m, n, x, k, true, false);
    if (report && k > 0) x[static_cast<size_t>(n * k)] = static_cast<double>(info);
    store(out, i, x);
    return 0;
  });
  if (failed)
    throw Error("linalg.solve: the matrix A " + a.describe() +
                " is singular (an exact zero pivot in its LU factorization), so the system has no unique solution");
}

void slogdet(const Tensor& a, Tensor& out) {
  const char* op = "linalg.slogdet";
  const Matrices am = square(op, a);
  check_out(op, out, a, 2 * am.batch);
  const int64_t n = am.rows;
  for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> m;
    thread_local std::vector<int64_t> perm;
    int64_t swaps = 0;
    am.load(i, m);
    std::vector<double> r = {0.0, -std::numeric_limits<double>::infinity()};  // singular
    if (std::any_of(m.begin(), m.end(), [](double v) { return std::isnan(v); })) {
      r = {std::nan(""), std::nan("")};
    } else if (lu_decompose(m, n, n, perm, &swaps)) {
      double sign = swaps % 2 ? -1.0 : 1.0, log_abs = 0.0;
      for (int64_t k = 0; k < n; ++k) {
        const double u = m[static_cast<size_t>(k * n + k)];
        if (u < 0) sign = -sign;
        log_abs += std::log(std::abs(u));
      }
      r = {sign, log_abs};
    }
    store(out, i, r);
    return 0;
  });
}

void cholesky(const Tensor& a, Tensor& out, bool report) {
  const char* op = "linalg.cholesky";
  const Matrices am = square(op, a);
  const int64_t n = am.rows;
  check_out(op, out, a, report ? am.batch * (n + 1) * n : a.numel());
  const int64_t failed = for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> m, l;
    l.assign(static_cast<size_t>((report ? n + 1 : n) * n), 0.0);
    am.load(i, m);
    auto L = [&](int64_t r, int64_t c) -> double& { return l[static_cast<size_t>(r * n + c)]; };
    for (int64_t j = 0; j < n; ++j) {
      double d = m[static_cast<size_t>(j * n + j)];
      for (int64_t k = 0; k < j; ++k) d -= L(j, k) * L(j, k);
      if (!(d > 0.0) && report) {  // also NaN
        // What LAPACK's potf2 leaves: d on the diagonal, A below and after.
        for (int64_t c = j; c < n; ++c)
          for (int64_t r = c; r < n; ++r) L(r, c) = m[static_cast<size_t>(r * n + c)];
        L(j, j) = d;
        L(n, 0) = static_cast<double>(j + 1);
        break;
      }
      if (!(d > 0.0)) return j + 1;
      L(j, j) = std::sqrt(d);
      for (int64_t r = j + 1; r < n; ++r) {
        double s = m[static_cast<size_t>(r * n + j)];
        for (int64_t k = 0; k < j; ++k) s -= L(r, k) * L(j, k);
        L(r, j) = s / L(j, j);
      }
    }
    store(out, i, l);
    return 0;
  });
  if (failed)
    throw Error("linalg.cholesky: the matrix " + a.describe() +
                " is not positive-definite (the leading minor of order " + std::to_string(failed) +
                " is not positive-definite)");
}

void triangular_solve(const Tensor& a, const Tensor& b, bool upper, bool unitriangular, Tensor& out) {
  const char* op = "linalg.solve_triangular";
  const Matrices am = square(op, a), bm = matrices(op, b, "B");
  check_rhs(op, am, bm);
  check_out(op, out, b, b.numel());
  const int64_t n = am.rows, k = bm.cols;
  for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> t, x;
    am.load(i, t);
    bm.load(i, x);
    substitute(t, n, x, k, upper, unitriangular);
    store(out, i, x);
    return 0;
  });
}

}  // namespace wick::rt

namespace wick::rt {

void symmetric_eigen(const Tensor& a, Tensor& out) {
  const char* op = "linalg.eigh";
  const Matrices am = square(op, a);
  const int64_t n = am.rows;
  check_out(op, out, a, am.batch * (n + 1) * n);
  for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> m, v, r;
    am.load(i, m);
    for (int64_t p = 0; p < n; ++p)  // the lower triangle, mirrored
      for (int64_t q = p + 1; q < n; ++q) m[static_cast<size_t>(p * n + q)] = m[static_cast<size_t>(q * n + p)];
    jacobi_eigen(m, n, v);
    std::vector<double> w(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) w[static_cast<size_t>(k)] = m[static_cast<size_t>(k * n + k)];
    const std::vector<int64_t> order = order_of(w, n, true);
    r.assign(static_cast<size_t>((n + 1) * n), 0.0);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t from = order[static_cast<size_t>(j)];
      r[static_cast<size_t>(j)] = w[static_cast<size_t>(from)];
      for (int64_t k = 0; k < n; ++k) r[static_cast<size_t>((k + 1) * n + j)] = v[static_cast<size_t>(k * n + from)];
    }
    store(out, i, r);
    return 0;
  });
}

void singular_values(const Tensor& a, bool vectors, Tensor& out) {
  const char* op = "linalg.svd";
  const Matrices am = matrices(op, a, "A");
  const int64_t m = am.rows, n = am.cols, k = std::min(m, n);
  check_out(op, out, a, am.batch * (vectors ? (m + n + 1) * k : k));
  for_each_matrix(am.batch, std::max(m, n), [&](int64_t i) -> int64_t {
    thread_local std::vector<double> x, b, v, r;
    am.load(i, x);
    // Jacobi on the taller of A and A^T: B [rows, k], A = B V^T or its transpose.
    const bool tall = m >= n;
    const int64_t rows = tall ? m : n;
    if (tall) {
      b = x;
    } else {
      b.resize(static_cast<size_t>(n * m));
      for (int64_t p = 0; p < m; ++p)
        for (int64_t q = 0; q < n; ++q) b[static_cast<size_t>(q * m + p)] = x[static_cast<size_t>(p * n + q)];
    }
    jacobi_svd(b, rows, k, v);
    std::vector<double> s(static_cast<size_t>(k), 0.0);
    for (int64_t j = 0; j < k; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < rows; ++p) sum += b[static_cast<size_t>(p * k + j)] * b[static_cast<size_t>(p * k + j)];
      s[static_cast<size_t>(j)] = std::sqrt(sum);
    }
    const std::vector<int64_t> order = order_of(s, k, false);
    r.assign(static_cast<size_t>(vectors ? (m + n + 1) * k : k), 0.0);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t from = order[static_cast<size_t>(j)];
      const double sj = s[static_cast<size_t>(from)];
      if (!vectors) {
        r[static_cast<size_t>(j)] = sj;
        continue;
      }
      r[static_cast<size_t>(m * k + j)] = sj;
      // The normalized columns of B are U (tall) or V; the rotations' are the other.
      const int64_t b_at = tall ? 0 : m + 1, v_at = tall ? m + 1 : 0;
      for (int64_t p = 0; p < rows; ++p) {
        const double e = b[static_cast<size_t>(p * k + from)];
        r[static_cast<size_t>((b_at + p) * k + j)] = sj > 0 ? e / sj : 0.0;
      }
      for (int64_t p = 0; p < k; ++p) r[static_cast<size_t>((v_at + p) * k + j)] = v[static_cast<size_t>(p * k + from)];
    }
    store(out, i, r);
    return 0;
  });
}

}  // namespace wick::rt

namespace wick::rt {

void qr_factor(const Tensor& a, bool r_part, bool complete, Tensor& out) {
  const char* op = "linalg.qr";
  const Matrices am = matrices(op, a, "A");
  const int64_t m = am.rows, n = am.cols, k = std::min(m, n), q = complete ? m : k;
  check_out(op, out, a, am.batch * (r_part ? q * n : m * q));
  for_each_matrix(am.batch, std::max(m, n), [&](int64_t i) -> int64_t {
    thread_local std::vector<double> x, tau, r;
    am.load(i, x);
    auto A = [&](int64_t row, int64_t col) -> double& { return x[static_cast<size_t>(row * n + col)]; };
    tau.assign(static_cast<size_t>(k), 0.0);
    // geqrf: column j's reflector H = I - tau v v^T, v = [1; below the diagonal].
    for (int64_t j = 0; j < k; ++j) {
      const double alpha = A(j, j);
      double xnorm = 0;
      for (int64_t row = j + 1; row < m; ++row) xnorm = std::hypot(xnorm, A(row, j));
      if (xnorm == 0.0) continue;  // H = I, as LAPACK's dlarfg leaves it
      const double beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
      tau[static_cast<size_t>(j)] = (beta - alpha) / beta;
      const double scale = 1 / (alpha - beta);
      for (int64_t row = j + 1; row < m; ++row) A(row, j) *= scale;
      A(j, j) = beta;
      for (int64_t c = j + 1; c < n; ++c) {
        double w = A(j, c);
        for (int64_t row = j + 1; row < m; ++row) w += A(row, j) * A(row, c);
        w *= tau[static_cast<size_t>(j)];
        A(j, c) -= w;
        for (int64_t row = j + 1; row < m; ++row) A(row, c) -= w * A(row, j);
      }
    }
    if (r_part) {
      r.assign(static_cast<size_t>(q * n), 0.0);
      for (int64_t row = 0; row < std::min(q, k); ++row)
        for (int64_t c = row; c < n; ++c) r[static_cast<size_t>(row * n + c)] = A(row, c);
      store(out, i, r);
      return 0;
    }
    // orgqr: Q = H_0 H_1 ... H_{k-1} applied to the first q columns of I.
    r.assign(static_cast<size_t>(m * q), 0.0);
    auto Q = [&](int64_t row, int64_t col) -> double& { return r[static_cast<size_t>(row * q + col)]; };
    for (int64_t d = 0; d < q; ++d) Q(d, d) = 1.0;
    for (int64_t j = k - 1; j >= 0; --j) {
      const double t = tau[static_cast<size_t>(j)];
      if (t == 0.0) continue;
      for (int64_t c = 0; c < q; ++c) {
        double w = Q(j, c);
        for (int64_t row = j + 1; row < m; ++row) w += A(row, j) * Q(row, c);
        w *= t;
        Q(j, c) -= w;
        for (int64_t row = j + 1; row < m; ++row) Q(row, c) -= w * A(row, j);
      }
    }
    store(out, i, r);
    return 0;
  });
}

}  // namespace wick::rt

namespace wick::rt {
namespace {

// c = a b for n x n row-major matrices.
void multiply(const std::vector<double>& a, const std::vector<double>& b, int64_t n, std::vector<double>& c) {
  c.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      const double x = a[static_cast<size_t>(i * n + k)];
      if (x == 0.0) continue;
      for (int64_t j = 0; j < n; ++j) c[static_cast<size_t>(i * n + j)] += x * b[static_cast<size_t>(k * n + j)];
    }
}

}  // namespace

void matrix_exponential(const Tensor& a, Tensor& out) {
  const char* op = "linalg.matrix_exp";
  const Matrices am = square(op, a);
  const int64_t n = am.rows;
  check_out(op, out, a, a.numel());
  static constexpr double b[14] = {64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
                                   1187353796428800.0,  129060195264000.0,   10559470521600.0,
                                   670442572800.0,      33522128640.0,       1323241920.0,
                                   40840800.0,          960960.0,            16380.0,
                                   182.0,               1.0};
  const int64_t failed = for_each_matrix(am.batch, n, [&](int64_t i) -> int64_t {
    thread_local std::vector<double> x, a2, a4, a6, t, u, v, lhs, rhs;
    am.load(i, x);
    const size_t nn = static_cast<size_t>(n * n);
    double norm = 0;
    for (int64_t c = 0; c < n; ++c) {
      double column = 0;
      for (int64_t r = 0; r < n; ++r) column += std::abs(x[static_cast<size_t>(r * n + c)]);
      norm = std::max(norm, column);
    }
    if (!std::isfinite(norm)) {
      std::fill(x.begin(), x.end(), std::nan(""));
      store(out, i, x);
      return 0;
    }
    const int squarings = norm > 5.371920351148152 ? static_cast<int>(std::ceil(std::log2(norm / 5.371920351148152))) : 0;
    const double scale = std::ldexp(1.0, -squarings);
    for (double& e : x) e *= scale;
    multiply(x, x, n, a2);
    multiply(a2, a2, n, a4);
    multiply(a4, a2, n, a6);
    // U = A [A6 (b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I],
    // V = A6 (b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I.
    auto combine = [&](double c6, double c4, double c2, std::vector<double>& into) {
      into.resize(nn);
      for (size_t k = 0; k < nn; ++k) into[k] = c6 * a6[k] + c4 * a4[k] + c2 * a2[k];
    };
    combine(b[13], b[11], b[9], t);
    multiply(a6, t, n, u);
    combine(b[7], b[5], b[3], t);
    for (size_t k = 0; k < nn; ++k) u[k] += t[k];
    for (int64_t d = 0; d < n; ++d) u[static_cast<size_t>(d * n + d)] += b[1];
    t = u;
    multiply(x, t, n, u);
    combine(b[12], b[10], b[8], t);
    multiply(a6, t, n, v);
    combine(b[6], b[4], b[2], t);
    for (size_t k = 0; k < nn; ++k) v[k] += t[k];
    for (int64_t d = 0; d < n; ++d) v[static_cast<size_t>(d * n + d)] += b[0];
    // (V - U) X = V + U.
    lhs.resize(nn);
    rhs.resize(nn);
    for (size_t k = 0; k < nn; ++k) {
      lhs[k] = v[k] - u[k];
      rhs[k] = v[k] + u[k];
    }
    std::vector<int64_t> perm;
    int64_t swaps = 0;
    if (!lu_decompose(lhs, n, n, perm, &swaps)) return 1;
    x.resize(nn);
    for (int64_t r = 0; r < n; ++r) std::copy_n(rhs.begin() + perm[static_cast<size_t>(r)] * n, n, x.begin() + r * n);
    substitute(lhs, n, x, n, false, true);
    substitute(lhs, n, x, n, true, false);
    for (int s = 0; s < squarings; ++s) {
      multiply(x, x, n, t);
      x.swap(t);
    }
    store(out, i, x);
    return 0;
  });
  if (failed) throw Error(std::string(op) + ": the Pade approximant of " + a.describe() + " is singular");
}

void lu_factor(const Tensor& a, bool check, Tensor& out) {
  const char* op = "linalg.lu_factor";
  const Matrices am = matrices(op, a, "A");
  const int64_t m = am.rows, n = am.cols, k = std::min(m, n);
  check_out(op, out, a, am.batch * (m + 2) * n);
  const int64_t failed = for_each_matrix(am.batch, std::max(m, n), [&](int64_t i) -> int64_t {
    thread_local std::vector<double> lu;
    thread_local std::vector<int64_t> perm, pivots;
    int64_t swaps = 0, info = 0;
    am.load(i, lu);
    lu_decompose(lu, m, n, perm, &swaps, &info, &pivots);
    lu.resize(static_cast<size_t>((m + 2) * n), 0.0);
    for (int64_t j = 0; j < k; ++j) lu[static_cast<size_t>(m * n + j)] = static_cast<double>(pivots[static_cast<size_t>(j)] + 1);
    if (n > 0) lu[static_cast<size_t>((m + 1) * n)] = static_cast<double>(info);
    store(out, i, lu);
    return check ? info : 0;
  });
  if (failed)
    throw Error(std::string(op) + ": U[" + std::to_string(failed) + "," + std::to_string(failed) + "] of " +
                a.describe() + " is zero, so the matrix is singular (linalg.lu_factor_ex and linalg.lu factor it without this check)");
}

void lu_permutation(const Tensor& pivots, Tensor& out) {
  const char* op = "lu_unpack";
  if (pivots.dtype() != DType::i32 && pivots.dtype() != DType::i64)
    throw Error(std::string(op) + ": the pivots must be int32 or int64, got " + pivots.describe());
  if (pivots.dim() < 1 || out.dim() != pivots.dim() || out.dtype() != DType::i64 || !out.is_contiguous())
    throw Error(std::string(op) + ": the permutation " + out.describe() + " does not fit the pivots " + pivots.describe());
  const int64_t k = pivots.size(-1), m = out.size(-1);
  const int64_t batch = k > 0 ? pivots.numel() / k : out.numel() / std::max<int64_t>(m, 1);
  if (k > m) throw Error(std::string(op) + ": " + std::to_string(k) + " pivots for " + std::to_string(m) + " rows");
  const Tensor p = pivots.contiguous();
  int64_t* o = out.data_as<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    int64_t* perm = o + b * m;
    for (int64_t i = 0; i < m; ++i) perm[i] = i;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t q = p.dtype() == DType::i32 ? p.data_as<int32_t>()[b * k + i] : p.data_as<int64_t>()[b * k + i];
      if (q < 1 || q > m)
        throw Error(std::string(op) + ": pivot " + std::to_string(q) + " at position " + std::to_string(i) +
                    " is outside [1, " + std::to_string(m) + "]");
      std::swap(perm[i], perm[q - 1]);
    }
  }
}

}  // namespace wick::rt
