// Summary statistics of per-call timings for `wick bench`: the median and
// the 10th and 90th percentiles (the spread the benchmarks report), plus the
// extremes. Percentiles interpolate linearly between order statistics, as
// numpy.percentile does by default.
#pragma once

#include <cstddef>
#include <vector>

namespace wick::tools {

struct Summary {
  size_t count = 0;
  double median = 0;
  double p10 = 0;
  double p90 = 0;
  double min = 0;
  double max = 0;
};

// The p-th percentile (0 <= p <= 100) of a non-empty sample.
double percentile(std::vector<double> samples, double p);
// The summary of a non-empty sample.
Summary summarize(const std::vector<double>& samples);

}  // namespace wick::tools
