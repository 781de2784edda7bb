#include "tools/train_batches.h"

#include "support/error.h"

namespace wick::tools {

namespace {

// Uniform in [0, bound] by rejection, so no value is favoured.
uint64_t uniform_upto(std::mt19937_64& rng, uint64_t bound) {
  if (bound == UINT64_MAX) return rng();
  const uint64_t range = bound + 1;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;  // largest multiple of range, minus 1
  uint64_t x;
  do x = rng();
  while (x > limit);
  return x % range;
}

}  // namespace

std::vector<int64_t> shuffled_rows(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(uniform_upto(rng, static_cast<uint64_t>(i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

Batch gather_batch(const CsvTable& table, const std::vector<int64_t>& feature_cols, const int64_t* rows,
                   int64_t count, bool class_targets) {
  const auto nf = static_cast<int64_t>(feature_cols.size());
  const auto nt = static_cast<int64_t>(table.targets.size());
  WICK_ASSERT(!class_targets || nt == 1, "class targets come from one column");
  Batch b;
  b.features = Tensor::empty(DType::f32, {count, nf});
  b.targets = class_targets ? Tensor::empty(DType::i64, {count}) : Tensor::empty(DType::f32, {count, nt});
  float* x = b.features.data_as<float>();
  for (int64_t i = 0; i < count; ++i) {
    const float* row = table.values.data() + rows[i] * table.cols();
    for (int64_t j = 0; j < nf; ++j) x[i * nf + j] = row[feature_cols[static_cast<size_t>(j)]];
    if (class_targets) {
      // The reader checked these are integers below 2^24.
      b.targets.data_as<int64_t>()[i] = static_cast<int64_t>(row[table.targets[0]]);
    } else {
      float* y = b.targets.data_as<float>() + i * nt;
      for (int64_t j = 0; j < nt; ++j) y[j] = row[table.targets[static_cast<size_t>(j)]];
    }
  }
  return b;
}

}  // namespace wick::tools
