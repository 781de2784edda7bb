// Mini-batches for `wick train`: the order rows are visited in (file order, or
// a seeded shuffle per epoch) and the gathering of a batch's rows from a CSV
// table into the feature and target tensors wick::Trainer takes.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "support/tensor.h"
#include "tools/csv_table.h"

namespace wick::tools {

// 0, 1, ..., n-1 in a random order drawn from `rng` (Fisher-Yates with
// unbiased draws of our own, so a seed gives the same order with every
// standard library).
std::vector<int64_t> shuffled_rows(int64_t n, std::mt19937_64& rng);

struct Batch {
  Tensor features;  // f32 [B, features]
  Tensor targets;   // f32 [B, targets], or i64 [B] for class indices
};

// Rows rows[0..count) of `table`. `class_targets` makes the (single) target
// column an i64 vector of class indices.
Batch gather_batch(const CsvTable& table, const std::vector<int64_t>& feature_cols, const int64_t* rows,
                   int64_t count, bool class_targets);

}  // namespace wick::tools
