// runtime/fft.h against a direct f64 sum of the DFT's definition, on fresh
// random signals: every radix path (4, 2, 3, 5, a direct prime, Bluestein
// for a prime above 64), each kind, f32 and f64, a transformed dim in the
// middle of a strided input, and batches that do not fill a group of lanes.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "runtime/fft.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using C = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

// A tensor of `sizes` in `dtype` holding `values` (row-major).
Tensor make(DType dtype, const std::vector<int64_t>& sizes, const std::vector<double>& values) {
  Tensor t = Tensor::empty(dtype, sizes);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::f32) t.data_as<float>()[i] = static_cast<float>(values[i]);
    else t.data_as<double>()[i] = values[i];
  }
  return t;
}

double at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::f32 ? t.data_as<float>()[i] : t.data_as<double>()[i];
}

std::vector<double> normal(size_t count, std::mt19937& rng) {
  std::normal_distribution<double> d;
  std::vector<double> v(count);
  for (double& x : v) x = d(rng);
  return v;
}

// sum_j x_j e^(sign 2 pi i jk / n), k < bins, jk reduced mod n.
std::vector<C> dft(const std::vector<C>& x, int sign, int64_t bins) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<C> roots(static_cast<size_t>(n));
  for (int64_t m = 0; m < n; ++m) roots[static_cast<size_t>(m)] = std::polar(1.0, sign * 2 * kPi * static_cast<double>(m) / static_cast<double>(n));
  std::vector<C> y(static_cast<size_t>(bins));
  for (int64_t k = 0; k < bins; ++k) {
    int64_t m = 0;
    for (int64_t j = 0; j < n; ++j, m = (m + k) % n) y[static_cast<size_t>(k)] += x[static_cast<size_t>(j)] * roots[static_cast<size_t>(m)];
  }
  return y;
}

// Transforms of `batch` signals along dim 1 of [outer, n, inner(, 2)]
// checked against dft(): the largest error relative to the largest
// reference value.
double transform_error(DType dtype, FftKind kind, int64_t n, int64_t outer, int64_t inner, std::mt19937& rng) {
  const bool pairs_in = kind != FftKind::real_forward, pairs_out = kind != FftKind::real_inverse;
  const int64_t bins = n / 2 + 1;
  const int64_t in_len = kind == FftKind::real_inverse ? bins : n;
  const int64_t out_len = kind == FftKind::real_forward ? bins : n;
  std::vector<int64_t> in_sizes = {outer, in_len, inner}, out_sizes = {outer, out_len, inner};
  if (pairs_in) in_sizes.push_back(2);
  if (pairs_out) out_sizes.push_back(2);
  const int64_t width = pairs_in ? 2 : 1;
  const std::vector<double> values = normal(static_cast<size_t>(outer * in_len * inner * width), rng);
  const Tensor x = make(dtype, in_sizes, values);
  Tensor out = Tensor::empty(dtype, out_sizes);
  fourier_transform(x, 1, kind, n, out, "test");

  double worst = 0, largest = 0;
  const int out_width = pairs_out ? 2 : 1;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto in_at = [&](int64_t j, int part) {
        return values[static_cast<size_t>(((o * in_len + j) * inner + i) * width + part)];
      };
      std::vector<C> signal(static_cast<size_t>(n));
      std::vector<C> ref;
      if (kind == FftKind::real_inverse) {
        // The completed spectrum; the imaginary parts of bins 0 and n / 2 ignored.
        for (int64_t k = 0; k < n; ++k) {
          const int64_t b = k < bins ? k : n - k;
          double im = (b == 0 || 2 * b == n) ? 0 : in_at(b, 1);
          signal[static_cast<size_t>(k)] = C(in_at(b, 0), k < bins ? im : -im);
        }
        ref = dft(signal, 1, n);
      } else {
        for (int64_t j = 0; j < n; ++j) signal[static_cast<size_t>(j)] = C(in_at(j, 0), pairs_in ? in_at(j, 1) : 0.0);
        ref = dft(signal, kind == FftKind::inverse ? 1 : -1, out_len);
      }
      for (int64_t k = 0; k < out_len; ++k) {
        const int64_t base = ((o * out_len + k) * inner + i) * out_width;
        const C got(at(out, base), pairs_out ? at(out, base + 1) : 0.0);
        const C want = pairs_out ? ref[static_cast<size_t>(k)] : C(ref[static_cast<size_t>(k)].real(), 0);
        worst = std::max(worst, std::abs(got - want));
        largest = std::max(largest, std::abs(want));
      }
    }
  }
  return worst / largest;
}

const FftKind kKinds[] = {FftKind::forward, FftKind::inverse, FftKind::real_forward, FftKind::real_inverse};

TEST(Fft, EveryLengthPathAndKindMatchesTheDefinition) {
  std::mt19937 rng(std::random_device{}());
  // 1 and 2 (trivial), powers of 2 and 4, 3 and 5, mixed, 7 and 49 (direct
  // primes), 97 and 4099 (Bluestein), 400 (stft's n_fft).
  for (int64_t n : {1, 2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 30, 49, 60, 64, 97, 128, 400, 1000, 4099}) {
    for (FftKind kind : kKinds) {
      for (DType dtype : {DType::f32, DType::f64}) {
        // 3 x 7 transforms with the transformed dim in the middle (fewer
        // for the long ones, whose reference costs n^2).
        const double err = n < 1000 ? transform_error(dtype, kind, n, 3, 7, rng) : transform_error(dtype, kind, n, 1, 3, rng);
        const double bound = dtype == DType::f32 ? 1e-6 : 5e-14;
        EXPECT_LT(err, bound) << "n " << n << " kind " << static_cast<int>(kind) << " " << dtype_name(dtype);
      }
    }
  }
}

TEST(Fft, BatchesFillingSeveralGroupsAndThreads) {
  std::mt19937 rng(std::random_device{}());
  // 37 x 1 and 1 x 70: lanes along the outer dim and along the inner one.
  for (FftKind kind : kKinds) {
    EXPECT_LT(transform_error(DType::f32, kind, 48, 37, 1, rng), 2e-6);
    EXPECT_LT(transform_error(DType::f32, kind, 48, 1, 70, rng), 2e-6);
  }
}

TEST(Fft, StridedInput) {
  std::mt19937 rng(std::random_device{}());
  // Transform along dim 0 of the transpose of a contiguous [5, 12] signal.
  const std::vector<double> values = normal(60, rng);
  Tensor base = make(DType::f64, {5, 12}, values);
  Tensor x = base.as_strided({12, 5}, {1, 12}, 0);
  Tensor out = Tensor::empty(DType::f64, {7, 5, 2});
  fourier_transform(x, 0, FftKind::real_forward, 12, out, "test");
  for (int64_t c = 0; c < 5; ++c) {
    std::vector<C> signal(12);
    for (int64_t j = 0; j < 12; ++j) signal[static_cast<size_t>(j)] = values[static_cast<size_t>(c * 12 + j)];
    const std::vector<C> ref = dft(signal, -1, 7);
    for (int64_t k = 0; k < 7; ++k) {
      EXPECT_NEAR(at(out, (k * 5 + c) * 2), ref[static_cast<size_t>(k)].real(), 1e-12);
      EXPECT_NEAR(at(out, (k * 5 + c) * 2 + 1), ref[static_cast<size_t>(k)].imag(), 1e-12);
    }
  }
}

// Overlapping frames read in place, each multiplied by the window.
TEST(Fft, WindowedFramesOfASignal) {
  std::mt19937 rng(std::random_device{}());
  const int64_t n = 12, hop = 5, length = 40, frames = 1 + (length - n) / hop, bins = n / 2 + 1;
  const std::vector<double> values = normal(static_cast<size_t>(2 * length), rng), w = normal(n, rng);
  Tensor out = Tensor::empty(DType::f64, {2, bins, frames, 2});
  short_time_transform(make(DType::f64, {2, length}, values), make(DType::f64, {n}, w), n, hop, out, "test");
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < frames; ++t) {
      std::vector<C> frame(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j)
        frame[static_cast<size_t>(j)] = values[static_cast<size_t>(b * length + t * hop + j)] * w[static_cast<size_t>(j)];
      const std::vector<C> ref = dft(frame, -1, bins);
      for (int64_t k = 0; k < bins; ++k) {
        EXPECT_NEAR(at(out, ((b * bins + k) * frames + t) * 2), ref[static_cast<size_t>(k)].real(), 1e-12);
        EXPECT_NEAR(at(out, ((b * bins + k) * frames + t) * 2 + 1), ref[static_cast<size_t>(k)].imag(), 1e-12);
      }
    }
  Tensor short_signal = Tensor::zeros(DType::f64, {2, 8});
  EXPECT_THROW(short_time_transform(short_signal, make(DType::f64, {n}, w), n, hop, out, "test"), Error);
}

TEST(Fft, ShapesThatDisagreeAreErrors) {
  Tensor x = Tensor::zeros(DType::f32, {3, 8, 2});
  Tensor out = Tensor::empty(DType::f32, {3, 8, 2});
  EXPECT_THROW(fourier_transform(x, 1, FftKind::forward, 16, out, "test"), Error);  // 8 points, not 16
  EXPECT_THROW(fourier_transform(x, 2, FftKind::forward, 8, out, "test"), Error);   // the pairs' dim
  Tensor wrong = Tensor::empty(DType::f32, {3, 5, 2});
  EXPECT_THROW(fourier_transform(x, 1, FftKind::forward, 8, wrong, "test"), Error);
  Tensor ints = Tensor::zeros(DType::i64, {3, 8, 2});
  EXPECT_THROW(fourier_transform(ints, 1, FftKind::forward, 8, out, "test"), Error);
  // x as a real [3, 8, 2] signal: its half spectrum along dim 1 is [3, 5, 2, 2].
  Tensor half = Tensor::empty(DType::f32, {3, 5, 2});
  EXPECT_THROW(fourier_transform(x, 1, FftKind::real_forward, 8, half, "test"), Error);
  Tensor spectrum = Tensor::empty(DType::f32, {3, 5, 2, 2});
  EXPECT_NO_THROW(fourier_transform(x, 1, FftKind::real_forward, 8, spectrum, "test"));
}

}  // namespace
}  // namespace wick::rt
