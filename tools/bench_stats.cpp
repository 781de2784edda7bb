#include "tools/bench_stats.h"

#include <algorithm>
#include <cmath>

#include "support/error.h"

namespace wick::tools {

namespace {

// `sorted` is sorted and non-empty.
double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

}  // namespace

double percentile(std::vector<double> samples, double p) {
  WICK_ASSERT(!samples.empty() && p >= 0 && p <= 100, "percentile of an empty sample or out of range");
  std::sort(samples.begin(), samples.end());
  return percentile_of_sorted(samples, p);
}

Summary summarize(const std::vector<double>& samples) {
  WICK_ASSERT(!samples.empty(), "summary of an empty sample");
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  Summary s;
  s.count = sorted.size();
  s.median = percentile_of_sorted(sorted, 50);
  s.p10 = percentile_of_sorted(sorted, 10);
  s.p90 = percentile_of_sorted(sorted, 90);
  s.min = sorted.front();
  s.max = sorted.back();
  return s;
}

}  // namespace wick::tools
