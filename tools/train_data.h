// The examples `wick train` learns from, as one interface over its two input
// formats: a CSV table (features are the non-target columns, f32 [B, F]) or a
// pair of .npy arrays (features of any dtype and shape, and targets, one
// example per index of their first dim). Either gathers examples into the
// batches wick::Trainer takes and checks class-index targets against the
// model's class count, naming the file and the example.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tools/csv_table.h"
#include "tools/train_batches.h"

namespace wick::tools {

class TrainData {
 public:
  virtual ~TrainData() = default;
  virtual int64_t rows() const = 0;
  // Examples rows[0..count) as one batch.
  virtual Batch gather(const int64_t* rows, int64_t count) const = 0;
  // Whether the targets are class indices (an i64 vector per batch).
  virtual bool class_targets() const = 0;
  // Every class index must be below `classes`; a wick::Error names the file
  // and the example otherwise.
  virtual void check_classes(int64_t classes) const = 0;
  // Where a batch's input and target come from, for messages:
  // "input f32[200, 14] from the non-target columns, target ... from column 'y' (14)".
  virtual std::string describe(const Batch& b) const = 0;
  // The file that holds the features, for messages.
  virtual const std::string& file() const = 0;
  // A validation set (read as `training` was) must hold examples of the same
  // kind: the same CSV header, or arrays alike beyond their first dim.
  virtual void check_matches(const TrainData& training) const = 0;
};

// A CSV table read with the targets `targets` names; `class_targets` as in
// CsvOptions.
std::unique_ptr<TrainData> read_csv_data(const std::string& path, const std::vector<std::string>& targets,
                                         bool class_targets);

// Features from `features` (.npy, any dtype wick reads, rank >= 1) and
// targets from `targets` (.npy, the same first dim): f32 values, or, when
// `class_indices_allowed` (cross_entropy), an integer vector of class
// indices (i64 or i32, made i64). Float targets must be finite, indices
// non-negative.
std::unique_ptr<TrainData> read_npy_data(const std::string& features, const std::string& targets,
                                         bool class_indices_allowed);

}  // namespace wick::tools
