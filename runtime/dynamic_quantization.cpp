#include "runtime/dynamic_quantization.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <emmintrin.h>

#include "runtime/dnnl_context.h"

namespace wick::rt {
namespace {

// Scales below this are raised to it (fp16's smallest normal number).
constexpr float kSmallScale = 6.1e-5f;

// Below this many elements both passes stay on the calling thread.
constexpr int64_t kParallelElements = int64_t{1} << 16;

struct Range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
};

Range range_of(const float* x, int64_t n) {
  __m128 l = _mm_set1_ps(std::numeric_limits<float>::infinity()), h = _mm_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    l = _mm_min_ps(l, v);
    h = _mm_max_ps(h, v);
  }
  float ls[4], hs[4];
  _mm_storeu_ps(ls, l);
  _mm_storeu_ps(hs, h);
  Range r{std::min({ls[0], ls[1], ls[2], ls[3]}), std::max({hs[0], hs[1], hs[2], hs[3]})};
  for (; i < n; ++i) {
    r.lo = std::min(r.lo, x[i]);
    r.hi = std::max(r.hi, x[i]);
  }
  return r;
}

// x * (1 / scale) rounded to f32, then + zero (no fused multiply-add),
// clamped to the uint8 range whatever qmax is (NaN to 0), rounded to
// nearest even by the conversion.
void levels_of(const float* x, int64_t n, const QuantizationParams& p, uint8_t* q) {
  const __m128 inv = _mm_set1_ps(1.f / p.scale), zero = _mm_set1_ps(p.zero_point), floor = _mm_setzero_ps(),
               ceiling = _mm_set1_ps(255.f);
  auto level = [&](__m128 v) {
    v = _mm_add_ps(_mm_mul_ps(v, inv), zero);
    return _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(v, floor), ceiling));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_packs_epi32(level(_mm_loadu_ps(x + i)), level(_mm_loadu_ps(x + i + 4)));
    const __m128i c = _mm_packs_epi32(level(_mm_loadu_ps(x + i + 8)), level(_mm_loadu_ps(x + i + 12)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm_packus_epi16(a, c));
  }
  for (; i < n; ++i) q[i] = static_cast<uint8_t>(_mm_cvtsi128_si32(level(_mm_set_ss(x[i]))));
}

}  // namespace

QuantizationParams choose_quantization_params(float min, float max, int qmax) {
  min = std::min(min, 0.f);
  max = std::max(max, 0.f);
  double scale = (static_cast<double>(max) - static_cast<double>(min)) / qmax;
  if (std::isinf(1.f / static_cast<float>(scale))) scale = 0.1;
  if (scale < kSmallScale) {
    // The range grows to match the raised scale, in float.
    const float old_scale = static_cast<float>(scale);
    scale = kSmallScale;
    if (min == 0.f) {
      max = kSmallScale * static_cast<float>(qmax);
    } else if (max == 0.f) {
      min = -kSmallScale * static_cast<float>(qmax);
    } else {
      const float amplifier = kSmallScale / old_scale;
      min *= amplifier;
      max *= amplifier;
    }
  }
  // The zero point from whichever end adds the smaller terms.
  const double from_min = min / scale, from_max = max / scale;
  const double zero = -std::fabs(from_min) < qmax - std::fabs(from_max) ? -from_min : qmax - from_max;
  return {static_cast<float>(scale), static_cast<float>(std::clamp(std::nearbyint(zero), 0.0, double(qmax)))};
}

// A large input is split over the OpenMP team that runs oneDNN's products
// rather than over the runtime's own pool: that team is the one spinning
// between the products, and waking the pool's workers beside it leaves two
// sets of threads competing for the cores (measured: 20% slower on two
// threads).
QuantizationParams quantize_dynamically(const float* x, int64_t n, int qmax, uint8_t* q) {
  const int threads = n >= kParallelElements ? dnnl_support::sync_threads() : 1;
  if (threads <= 1) {
    const Range r = range_of(x, n);
    const QuantizationParams p = choose_quantization_params(n > 0 ? r.lo : 0.f, n > 0 ? r.hi : 0.f, qmax);
    levels_of(x, n, p, q);
    return p;
  }
  std::vector<Range> ranges(static_cast<size_t>(threads));
  QuantizationParams p;
#pragma omp parallel num_threads(threads)
  {
    // Chunks of whole 16-element blocks, so each thread's stores stay apart.
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t blocks = (n + 15) / 16, per = (blocks + team - 1) / team;
    const int64_t begin = std::min(n, t * per * 16), end = std::min(n, (t + 1) * per * 16);
    ranges[static_cast<size_t>(t)] = range_of(x + begin, end - begin);
#pragma omp barrier
#pragma omp single
    {
      Range r;
      for (int i = 0; i < team; ++i) {
        r.lo = std::min(r.lo, ranges[static_cast<size_t>(i)].lo);
        r.hi = std::max(r.hi, ranges[static_cast<size_t>(i)].hi);
      }
      p = choose_quantization_params(r.lo, r.hi, qmax);
    }
    levels_of(x + begin, end - begin, p, q + begin);
  }
  return p;
}

}  // namespace wick::rt
