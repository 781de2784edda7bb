// Mixed-radix Stockham FFTs over lanes of transforms (see fft.h).
//
// Data of a group of transforms is held split: real parts [n][L] and
// imaginary parts [n][L], element j of lane l at j * L + l, so each step of
// a butterfly is one loop over the L lanes, which the compiler vectorizes.
// A Stockham pass with radix p over sub-transforms of length `span` reads
// element j + r n / p (r < p), twiddles it by w^(r k) (w = e^(s 2 pi i /
// (span p)), k = j mod span), takes the p-point DFT and writes point q to
// (j - k) p + k + q span: after the last pass the result is in natural order.
#include "runtime/fft.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/thread_pool.h"
#include "support/error.h"

// The 64-byte vectors never cross a call boundary (every helper is inlined),
// so GCC's note that their calling convention differs between CPU widths
// does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace wick::rt {
namespace {

constexpr int64_t kMaxDirectRadix = 64;  // a larger prime factor: Bluestein
constexpr double kPi = 3.14159265358979323846;

// cos and sin of sign * pi * num / den, num reduced mod 2 den and folded
// into [-den, den] first, so that the angle is exact before its cosine.
void unit(int64_t num, int64_t den, int sign, double* c, double* s) {
  const int64_t period = 2 * den;
  int64_t r = num % period;
  if (r < 0) r += period;
  if (r > den) r -= period;
  const double angle = sign * kPi * static_cast<double>(r) / static_cast<double>(den);
  *c = std::cos(angle);
  *s = std::sin(angle);
}

struct Stage {
  int64_t radix;
  int64_t span;     // length of the sub-transforms this pass combines
  size_t twiddles;  // offset of [span][radix - 1] twiddles w^(r k)
  size_t roots;     // a direct radix: offset of its radix roots e^(s 2 pi i q / p)
};

template <typename T>
struct Plan {
  int64_t n = 0;
  int sign = -1;
  std::vector<Stage> stages;
  std::vector<T> tw_re, tw_im;
  std::vector<T> root_re, root_im;
  // Bluestein's (m > 0): X_k = c_k sum_j (x_j c_j) b_(k - j), c_j = e^(s pi
  // i j^2 / n), b_t = conj(c_t), as a cyclic convolution of length m.
  int64_t m = 0;
  std::shared_ptr<const Plan<T>> forward, inverse;  // of length m
  std::vector<T> chirp_re, chirp_im;                // n
  std::vector<T> kernel_re, kernel_im;              // m: the transform of b, divided by m
};

std::vector<int64_t> radices_of(int64_t n) {
  std::vector<int64_t> r;
  while (n % 4 == 0) r.push_back(4), n /= 4;
  if (n % 2 == 0) r.push_back(2), n /= 2;
  for (int64_t p : {3, 5})
    while (n % p == 0) r.push_back(p), n /= p;
  for (int64_t p = 7; p * p <= n; p += 2)
    while (n % p == 0) r.push_back(p), n /= p;
  if (n > 1) r.push_back(n);
  return r;
}

template <typename T>
std::shared_ptr<const Plan<T>> plan_for(int64_t n, int sign);

// ---- The passes, over the lanes of one 64-byte vector (GCC's vector
// extensions: explicit vector code, split into two or four registers where
// the CPU's are narrower). Helpers are inlined into the per-width clones of
// stockham_* and transform_groups_*, so that each is compiled for that width.

#define WICK_INLINE [[gnu::always_inline]] inline

template <typename T>
struct VectorOf;
template <>
struct VectorOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VectorOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <typename T>
using Vec = typename VectorOf<T>::type;

template <typename T>
constexpr int kLanes = static_cast<int>(64 / sizeof(T));

// One complex value in every lane.
template <typename T>
struct Lanes {
  Vec<T> re, im;
};

template <typename T>
WICK_INLINE Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
WICK_INLINE void store(T* p, const Vec<T>& v) {
  std::memcpy(p, &v, sizeof v);
}

template <typename T>
WICK_INLINE Lanes<T> load(const T* re, const T* im, int64_t at) {
  return {load(re + at * kLanes<T>), load(im + at * kLanes<T>)};
}

template <typename T>
WICK_INLINE void store(T* re, T* im, int64_t at, const Lanes<T>& v) {
  store(re + at * kLanes<T>, v.re);
  store(im + at * kLanes<T>, v.im);
}

template <typename T>
WICK_INLINE Lanes<T> operator+(const Lanes<T>& a, const Lanes<T>& b) { return {a.re + b.re, a.im + b.im}; }
template <typename T>
WICK_INLINE Lanes<T> operator-(const Lanes<T>& a, const Lanes<T>& b) { return {a.re - b.re, a.im - b.im}; }
template <typename T>
WICK_INLINE Lanes<T> scale(const Lanes<T>& a, T s) { return {a.re * s, a.im * s}; }
// a times the scalar complex (wr, wi).
template <typename T>
WICK_INLINE Lanes<T> times(const Lanes<T>& a, T wr, T wi) { return {a.re * wr - a.im * wi, a.re * wi + a.im * wr}; }
// a times s i: (x + iy) s i = -s y + i s x.
template <typename T>
WICK_INLINE Lanes<T> times_i(const Lanes<T>& a, T s) { return {a.im * -s, a.re * s}; }

template <typename T>
WICK_INLINE void butterfly2(Lanes<T>* a) {
  const Lanes<T> d = a[0] - a[1];
  a[0] = a[0] + a[1];
  a[1] = d;
}

template <typename T>
WICK_INLINE void butterfly4(Lanes<T>* a, T s) {
  const Lanes<T> t0 = a[0] + a[2], t1 = a[0] - a[2], t2 = a[1] + a[3], t3 = times_i(a[1] - a[3], s);
  a[0] = t0 + t2;
  a[2] = t0 - t2;
  a[1] = t1 + t3;
  a[3] = t1 - t3;
}

template <typename T>
WICK_INLINE void butterfly3(Lanes<T>* a, T s) {
  const T h = static_cast<T>(0.86602540378443864676);  // sin(2 pi / 3)
  const Lanes<T> sum = a[1] + a[2];
  const Lanes<T> m = a[0] - scale(sum, T(0.5));
  const Lanes<T> n = times_i(scale(a[1] - a[2], h), s);
  a[0] = a[0] + sum;
  a[1] = m + n;
  a[2] = m - n;
}

template <typename T>
WICK_INLINE void butterfly5(Lanes<T>* a, T s) {
  const T c1 = static_cast<T>(0.30901699437494742410), c2 = static_cast<T>(-0.80901699437494742410);
  const T s1 = static_cast<T>(0.95105651629515357212), s2 = static_cast<T>(0.58778525229247312917);
  const Lanes<T> t1 = a[1] + a[4], t2 = a[2] + a[3], t3 = a[1] - a[4], t4 = a[2] - a[3];
  const Lanes<T> m1 = a[0] + scale(t1, c1) + scale(t2, c2);
  const Lanes<T> m2 = a[0] + scale(t1, c2) + scale(t2, c1);
  const Lanes<T> n1 = times_i(scale(t3, s1) + scale(t4, s2), s);
  const Lanes<T> n2 = times_i(scale(t3, s2) - scale(t4, s1), s);
  a[0] = a[0] + t1 + t2;
  a[1] = m1 + n1;
  a[4] = m1 - n1;
  a[2] = m2 + n2;
  a[3] = m2 - n2;
}

// b_q = sum_r a_r root^(r q mod p), for a prime p > 5; the result in a.
template <typename T>
WICK_INLINE void butterfly_direct(Lanes<T>* a, Lanes<T>* b, int64_t p, const T* root_re, const T* root_im) {
  for (int64_t q = 0; q < p; ++q) {
    Lanes<T> o = a[0];
    int64_t e = 0;
    for (int64_t r = 1; r < p; ++r) {
      e += q;
      if (e >= p) e -= p;
      o = o + times(a[r], root_re[e], root_im[e]);
    }
    b[q] = o;
  }
  for (int64_t q = 0; q < p; ++q) a[q] = b[q];
}

template <typename T, int P>
WICK_INLINE void pass(const Plan<T>& plan, const Stage& st, const T* sre, const T* sim, T* dre, T* dim) {
  const int64_t p = P > 0 ? P : st.radix;
  const int64_t stride = plan.n / p, span = st.span;
  const T* twr = plan.tw_re.data() + st.twiddles;
  const T* twi = plan.tw_im.data() + st.twiddles;
  const T s = static_cast<T>(plan.sign);
  Lanes<T> a[P > 0 ? P : kMaxDirectRadix];
  Lanes<T> b[P > 0 ? 1 : kMaxDirectRadix];
  for (int64_t base = 0; base < stride; base += span) {
    for (int64_t k = 0; k < span; ++k) {
      const int64_t j = base + k;
      a[0] = load(sre, sim, j);
      for (int64_t r = 1; r < p; ++r) {
        a[r] = load(sre, sim, j + r * stride);
        if (k != 0) a[r] = times(a[r], twr[k * (p - 1) + r - 1], twi[k * (p - 1) + r - 1]);
      }
      if constexpr (P == 2) butterfly2(a);
      else if constexpr (P == 3) butterfly3(a, s);
      else if constexpr (P == 4) butterfly4(a, s);
      else if constexpr (P == 5) butterfly5(a, s);
      else butterfly_direct(a, b, p, plan.root_re.data() + st.roots, plan.root_im.data() + st.roots);
      const int64_t out = base * p + k;
      for (int64_t q = 0; q < p; ++q) store(dre, dim, out + q * span, a[q]);
    }
  }
}

// Runs the plan's passes from (re, im), using (wre, wim) as the other
// buffer of each pass; true when the result ends in the work buffers.
template <typename T>
WICK_INLINE bool stockham(const Plan<T>& plan, T* re, T* im, T* wre, T* wim) {
  bool in_work = false;
  for (const Stage& st : plan.stages) {
    const T* sr = in_work ? wre : re;
    const T* si = in_work ? wim : im;
    T* dr = in_work ? re : wre;
    T* di = in_work ? im : wim;
    switch (st.radix) {
      case 2: pass<T, 2>(plan, st, sr, si, dr, di); break;
      case 3: pass<T, 3>(plan, st, sr, si, dr, di); break;
      case 4: pass<T, 4>(plan, st, sr, si, dr, di); break;
      case 5: pass<T, 5>(plan, st, sr, si, dr, di); break;
      default: pass<T, 0>(plan, st, sr, si, dr, di); break;
    }
    in_work = !in_work;
  }
  return in_work;
}

// The passes compiled once per vector width, called from the gathers and
// scatters (compiled per width too) once per group of transforms.
__attribute__((target_clones("avx512f", "avx2", "default"))) bool stockham_f32(const Plan<float>& plan, float* re,
                                                                              float* im, float* wre, float* wim) {
  return stockham<float>(plan, re, im, wre, wim);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) bool stockham_f64(const Plan<double>& plan, double* re,
                                                                              double* im, double* wre, double* wim) {
  return stockham<double>(plan, re, im, wre, wim);
}

inline bool passes(const Plan<float>& plan, float* re, float* im, float* wre, float* wim) {
  return stockham_f32(plan, re, im, wre, wim);
}

inline bool passes(const Plan<double>& plan, double* re, double* im, double* wre, double* wim) {
  return stockham_f64(plan, re, im, wre, wim);
}

// (re, im)[k] *= (cr, ci)[k] for k < count, in every lane.
template <typename T>
WICK_INLINE void multiply(T* re, T* im, const T* cr, const T* ci, int64_t count) {
  for (int64_t k = 0; k < count; ++k) store(re, im, k, times(load(re, im, k), cr[k], ci[k]));
}

// The transform of the n points of each lane of (re, im), in place.
// `scratch` holds 2 n L elements, or 4 m L for Bluestein's.
template <typename T>
WICK_INLINE void transform_lanes(const Plan<T>& plan, T* re, T* im, T* scratch) {
  constexpr int L = kLanes<T>;
  const int64_t n = plan.n;
  if (plan.m == 0) {
    T* wre = scratch;
    T* wim = scratch + n * L;
    if (passes(plan, re, im, wre, wim)) {
      std::copy(wre, wre + n * L, re);
      std::copy(wim, wim + n * L, im);
    }
    return;
  }
  const int64_t m = plan.m;
  T* ar = scratch;
  T* ai = scratch + m * L;
  T* br = scratch + 2 * m * L;
  T* bi = scratch + 3 * m * L;
  std::copy(re, re + n * L, ar);
  std::copy(im, im + n * L, ai);
  std::fill(ar + n * L, ar + m * L, T(0));
  std::fill(ai + n * L, ai + m * L, T(0));
  multiply<T>(ar, ai, plan.chirp_re.data(), plan.chirp_im.data(), n);
  if (passes(*plan.forward, ar, ai, br, bi)) std::swap(ar, br), std::swap(ai, bi);
  multiply<T>(ar, ai, plan.kernel_re.data(), plan.kernel_im.data(), m);
  if (passes(*plan.inverse, ar, ai, br, bi)) std::swap(ar, br), std::swap(ai, bi);
  std::copy(ar, ar + n * L, re);
  std::copy(ai, ai + n * L, im);
  multiply<T>(re, im, plan.chirp_re.data(), plan.chirp_im.data(), n);
}


template <typename T>
struct Job;

// A transform for a plan's own tables, run once per plan: compiled for the
// baseline CPU only.
[[gnu::noinline]] void transform_once(const Plan<double>& plan, double* re, double* im, double* scratch) {
  transform_lanes<double>(plan, re, im, scratch);
}

// ---- Plans.

template <typename T>
std::shared_ptr<const Plan<T>> build_plan(int64_t n, int sign) {
  auto plan = std::make_shared<Plan<T>>();
  plan->n = n;
  plan->sign = sign;
  const std::vector<int64_t> radices = radices_of(n);
  if (!radices.empty() && radices.back() > kMaxDirectRadix) {
    int64_t m = 1;
    while (m < 2 * n - 1) m *= 2;
    plan->m = m;
    plan->forward = plan_for<T>(m, -1);
    plan->inverse = plan_for<T>(m, 1);
    plan->chirp_re.resize(static_cast<size_t>(n));
    plan->chirp_im.resize(static_cast<size_t>(n));
    // b, transformed in f64 (lane 0 of a group) and divided by m.
    constexpr int L = kLanes<double>;
    std::vector<double> br(static_cast<size_t>(m * L), 0.0), bi(br.size(), 0.0), scratch(4 * br.size());
    for (int64_t j = 0; j < n; ++j) {
      const auto square = static_cast<int64_t>((static_cast<unsigned __int128>(j) * static_cast<unsigned __int128>(j)) %
                                               static_cast<unsigned __int128>(2 * n));
      double c, s;
      unit(square, n, sign, &c, &s);
      plan->chirp_re[static_cast<size_t>(j)] = static_cast<T>(c);
      plan->chirp_im[static_cast<size_t>(j)] = static_cast<T>(s);
      br[static_cast<size_t>(j * L)] = c;
      bi[static_cast<size_t>(j * L)] = -s;
      if (j > 0) {
        br[static_cast<size_t>((m - j) * L)] = c;
        bi[static_cast<size_t>((m - j) * L)] = -s;
      }
    }
    transform_once(*plan_for<double>(m, -1), br.data(), bi.data(), scratch.data());
    plan->kernel_re.resize(static_cast<size_t>(m));
    plan->kernel_im.resize(static_cast<size_t>(m));
    for (int64_t k = 0; k < m; ++k) {
      plan->kernel_re[static_cast<size_t>(k)] = static_cast<T>(br[static_cast<size_t>(k * L)] / static_cast<double>(m));
      plan->kernel_im[static_cast<size_t>(k)] = static_cast<T>(bi[static_cast<size_t>(k * L)] / static_cast<double>(m));
    }
    return plan;
  }
  int64_t span = 1;
  for (int64_t p : radices) {
    Stage st{p, span, plan->tw_re.size(), plan->root_re.size()};
    const int64_t len = span * p;
    for (int64_t k = 0; k < span; ++k) {
      for (int64_t r = 1; r < p; ++r) {
        double c, s;
        unit(2 * ((r * k) % len), len, sign, &c, &s);  // e^(s 2 pi i r k / len)
        plan->tw_re.push_back(static_cast<T>(c));
        plan->tw_im.push_back(static_cast<T>(s));
      }
    }
    if (p > 5) {
      for (int64_t q = 0; q < p; ++q) {
        double c, s;
        unit(2 * q, p, sign, &c, &s);
        plan->root_re.push_back(static_cast<T>(c));
        plan->root_im.push_back(static_cast<T>(s));
      }
    }
    plan->stages.push_back(st);
    span = len;
  }
  return plan;
}

// Plans are kept per length and direction; a cache that grows past
// kMaxPlans is emptied (plans in use stay alive through their owners).
template <typename T>
std::shared_ptr<const Plan<T>> plan_for(int64_t n, int sign) {
  constexpr size_t kMaxPlans = 64;
  static std::mutex mutex;
  static std::map<std::pair<int64_t, int>, std::shared_ptr<const Plan<T>>> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find({n, sign});
    if (it != cache.end()) return it->second;
  }
  auto plan = build_plan<T>(n, sign);  // may need plans of its own: outside the lock
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxPlans) cache.clear();
  return cache.emplace(std::make_pair(n, sign), plan).first->second;
}

// ---- Tensors in and out.

// The position of transform t in a tensor: its index over the batch dims
// (every dim but the transformed one and the pairs' one), row-major.
struct BatchIndex {
  std::vector<int64_t> sizes, in_strides, out_strides;
  void offsets(int64_t t, int64_t* in, int64_t* out) const {
    *in = 0, *out = 0;
    for (size_t d = sizes.size(); d-- > 0;) {
      const int64_t i = t % sizes[d];
      t /= sizes[d];
      *in += i * in_strides[d];
      *out += i * out_strides[d];
    }
  }
};

template <typename T>
struct Job {
  const Plan<T>* plan;
  FftKind kind;
  int64_t n, bins;
  const T* src;
  T* dst;
  int64_t es, os, cs;  // element strides: along the dim in and out, to an imaginary part in
  const BatchIndex* batch;
  const T* weights;  // null: none
  int64_t count;  // transforms
  int per_group;  // transforms per group: the lanes, twice that for real signals
};

// Groups [begin, end) of the job: each group's signals gathered into the
// lanes of (re, im), transformed, and scattered. Gathers and scatters run
// point by point across the lanes, as vector gathers where the CPU has
// them; a last group with lanes to spare fills them with copies of its
// first signal and writes back only its own.
template <typename T>
WICK_INLINE void transform_groups(const Job<T>& job, int64_t begin, int64_t end, T* re, T* im, T* scratch) {
  constexpr int L = kLanes<T>;
  const int64_t n = job.n, bins = job.bins, es = job.es, os = job.os, cs = job.cs;
  const T* src = job.src;
  T* dst = job.dst;
  int64_t in_off[2 * L], out_off[2 * L];
  for (int64_t g = begin; g < end; ++g) {
    const int64_t first = g * job.per_group;
    const int used = static_cast<int>(std::min<int64_t>(job.per_group, job.count - first));
    for (int i = 0; i < job.per_group; ++i) job.batch->offsets(first + (i < used ? i : 0), &in_off[i], &out_off[i]);
    switch (job.kind) {
      case FftKind::forward:
      case FftKind::inverse:
        for (int64_t j = 0; j < n; ++j) {
          const T w = job.weights ? job.weights[j] : T(1);
          for (int l = 0; l < L; ++l) {
            re[j * L + l] = src[in_off[l] + j * es] * w;
            im[j * L + l] = src[in_off[l] + j * es + cs] * w;
          }
        }
        break;
      case FftKind::real_forward: {
        // Signals 2l and 2l + 1 as the real and imaginary parts of lane l.
        int64_t a[L], b[L];
        for (int l = 0; l < L; ++l) a[l] = in_off[2 * l], b[l] = in_off[2 * l + 1];
        for (int64_t j = 0; j < n; ++j) {
          const T w = job.weights ? job.weights[j] : T(1);
          for (int l = 0; l < L; ++l) {
            re[j * L + l] = src[a[l] + j * es] * w;
            im[j * L + l] = src[b[l] + j * es] * w;
          }
        }
        break;
      }
      case FftKind::real_inverse: {
        // Half spectra A (signal 2l) and B (2l + 1), completed by symmetry,
        // as Z = A + i B: the inverse's real part is a, its imaginary b.
        int64_t a[L], b[L];
        for (int l = 0; l < L; ++l) a[l] = in_off[2 * l], b[l] = in_off[2 * l + 1];
        for (int64_t k = 0; k < n; ++k) {
          const int64_t bin = k < bins ? k : n - k, at = bin * es;
          const bool edge = bin == 0 || 2 * bin == n;
          const T sign = k < bins ? T(1) : T(-1);
          for (int l = 0; l < L; ++l) {
            const T qa = edge ? T(0) : sign * src[a[l] + at + cs];
            const T qb = edge ? T(0) : sign * src[b[l] + at + cs];
            re[k * L + l] = src[a[l] + at] - qb;
            im[k * L + l] = qa + src[b[l] + at];
          }
        }
        break;
      }
    }
    transform_lanes<T>(*job.plan, re, im, scratch);
    switch (job.kind) {
      case FftKind::forward:
      case FftKind::inverse:
        for (int64_t j = 0; j < n; ++j)
          for (int l = 0; l < used; ++l) {
            dst[out_off[l] + j * os] = re[j * L + l];
            dst[out_off[l] + j * os + 1] = im[j * L + l];
          }
        break;
      case FftKind::real_forward:
        // X_a = (Z_k + conj(Z_(n-k))) / 2, X_b = (Z_k - conj(Z_(n-k))) / 2i.
        for (int64_t k = 0; k < bins; ++k) {
          const int64_t r = k == 0 ? 0 : n - k;
          for (int i = 0; i < used; ++i) {
            const int l = i / 2;
            const T zr = re[k * L + l], zi = im[k * L + l], wr = re[r * L + l], wi = im[r * L + l];
            T* o = dst + out_off[i] + k * os;
            if (i % 2 == 0) o[0] = (zr + wr) / 2, o[1] = (zi - wi) / 2;
            else o[0] = (zi + wi) / 2, o[1] = (wr - zr) / 2;
          }
        }
        break;
      case FftKind::real_inverse:
        for (int64_t j = 0; j < n; ++j)
          for (int i = 0; i < used; ++i) dst[out_off[i] + j * os] = (i % 2 == 0 ? re : im)[j * L + i / 2];
        break;
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void transform_groups_f32(const Job<float>& job,
                                                                                      int64_t begin, int64_t end,
                                                                                      float* re, float* im,
                                                                                      float* scratch) {
  transform_groups<float>(job, begin, end, re, im, scratch);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void transform_groups_f64(const Job<double>& job,
                                                                                      int64_t begin, int64_t end,
                                                                                      double* re, double* im,
                                                                                      double* scratch) {
  transform_groups<double>(job, begin, end, re, im, scratch);
}

template <typename T>
struct Width;
template <>
struct Width<float> {
  static constexpr int lanes = kLanes<float>;
  static void groups(const Job<float>& j, int64_t b, int64_t e, float* re, float* im, float* s) {
    transform_groups_f32(j, b, e, re, im, s);
  }
};
template <>
struct Width<double> {
  static constexpr int lanes = kLanes<double>;
  static void groups(const Job<double>& j, int64_t b, int64_t e, double* re, double* im, double* s) {
    transform_groups_f64(j, b, e, re, im, s);
  }
};


template <typename T>
void run(const Tensor& x, int64_t dim, FftKind kind, int64_t n, Tensor& out, const Tensor* weights) {
  constexpr int L = kLanes<T>;
  const bool pairs_in = kind != FftKind::real_forward;
  const bool real = kind == FftKind::real_forward || kind == FftKind::real_inverse;
  const int sign = kind == FftKind::forward || kind == FftKind::real_forward ? -1 : 1;
  auto plan = plan_for<T>(n, sign);

  BatchIndex batch;
  const int64_t rank = x.dim() - (pairs_in ? 1 : 0);
  for (int64_t d = 0; d < rank; ++d) {
    if (d == dim) continue;
    batch.sizes.push_back(x.size(static_cast<int>(d)));
    batch.in_strides.push_back(x.strides()[static_cast<size_t>(d)]);
    batch.out_strides.push_back(out.strides()[static_cast<size_t>(d)]);
  }
  Job<T> job;
  job.plan = plan.get();
  job.kind = kind;
  job.n = n;
  job.bins = n / 2 + 1;
  job.src = x.data_as<T>();
  job.dst = out.data_as<T>();
  job.es = x.strides()[static_cast<size_t>(dim)];
  job.os = out.strides()[static_cast<size_t>(dim)];
  job.cs = pairs_in ? x.strides().back() : 0;
  job.batch = &batch;
  job.weights = weights ? weights->data_as<T>() : nullptr;
  job.count = 1;
  for (int64_t s : batch.sizes) job.count *= s;
  job.per_group = real ? 2 * L : L;
  const int64_t groups = (job.count + job.per_group - 1) / job.per_group;
  const int64_t size = plan->m ? plan->m : n;

  auto chunk = [&](int64_t begin, int64_t end) {
    thread_local std::vector<T> buffer;
    buffer.resize(static_cast<size_t>((2 + (plan->m ? 4 : 2)) * size * L));
    T* re = buffer.data();
    Width<T>::groups(job, begin, end, re, re + size * L, re + 2 * size * L);
  };
  ThreadPool& pool = default_thread_pool();
  // Hand off about 2^16 butterfly operations or more per chunk.
  const int64_t work = std::max<int64_t>(1, size * L * 8);
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / work);
  if (groups >= 2 * grain && pool.num_threads() > 1 && !ThreadPool::in_parallel_region())
    pool.parallel_for(0, groups, grain, chunk);
  else
    chunk(0, groups);
}

}  // namespace

void fourier_transform(const Tensor& x, int64_t dim, FftKind kind, int64_t n, Tensor& out, const char* op,
                       const Tensor* weights) {
  const bool pairs_in = kind != FftKind::real_forward, pairs_out = kind != FftKind::real_inverse;
  auto fail = [&](const std::string& why) {
    throw Error(std::string(op) + ": " + why + " (input " + x.describe() + ", result " + out.describe() + ")");
  };
  if (x.dtype() != DType::f32 && x.dtype() != DType::f64) fail("only float32 and float64 are supported");
  if (out.dtype() != x.dtype() || !out.is_contiguous()) fail("the result does not fit");
  const int64_t rank = x.dim() - (pairs_in ? 1 : 0);
  if (rank < 1 || dim < 0 || dim >= rank) fail("no dim " + std::to_string(dim) + " to transform");
  if (pairs_in && x.size(-1) != 2) fail("complex values must be pairs, a last dim of 2");
  if (n < 1) fail("the signal length must be positive, got " + std::to_string(n));
  const int64_t bins = n / 2 + 1;
  const int64_t in_len = kind == FftKind::real_inverse ? bins : n;
  const int64_t out_len = kind == FftKind::real_forward ? bins : n;
  if (x.size(static_cast<int>(dim)) != in_len) fail("the transformed dim must be " + std::to_string(in_len) + " long");
  if (out.dim() != rank + (pairs_out ? 1 : 0)) fail("the result's rank is wrong");
  for (int64_t d = 0; d < rank; ++d)
    if (out.size(static_cast<int>(d)) != (d == dim ? out_len : x.size(static_cast<int>(d)))) fail("the result's shape is wrong");
  if (pairs_out && out.size(-1) != 2) fail("the result's shape is wrong");
  if (weights && (kind == FftKind::real_inverse || weights->dtype() != x.dtype() || !weights->is_contiguous() ||
                  weights->numel() != n))
    fail("the weights must be " + std::to_string(n) + " contiguous values of the input's dtype, got " +
         weights->describe());
  if (x.numel() == 0) return;
  if (x.dtype() == DType::f32) run<float>(x, dim, kind, n, out, weights);
  else run<double>(x, dim, kind, n, out, weights);
}

void short_time_transform(const Tensor& signal, const Tensor& window, int64_t n_fft, int64_t hop, Tensor& out,
                          const char* op) {
  if (signal.dim() != 2 || n_fft < 1 || hop < 1 || signal.size(1) < n_fft)
    throw Error(std::string(op) + ": frames of " + std::to_string(n_fft) + " samples every " + std::to_string(hop) +
                " of a signal " + signal.describe());
  const int64_t frames = 1 + (signal.size(1) - n_fft) / hop;
  // The frames as an overlapping view [B, n_fft, frames].
  const Tensor view = signal.as_strided({signal.size(0), n_fft, frames},
                                        {signal.strides()[0], signal.strides()[1], hop * signal.strides()[1]},
                                        signal.offset());
  fourier_transform(view, 1, FftKind::real_forward, n_fft, out, op, &window);
}

}  // namespace wick::rt
