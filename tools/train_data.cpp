#include "tools/train_data.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/npy.h"
#include "support/error.h"

namespace wick::tools {

namespace {

class CsvData final : public TrainData {
 public:
  CsvData(CsvTable table, bool class_targets)
      : table_(std::move(table)), features_(table_.feature_columns()), class_targets_(class_targets) {
    if (features_.empty()) throw Error("every column is a target: no feature columns are left", {table_.file});
  }
  int64_t rows() const override { return table_.rows; }
  Batch gather(const int64_t* rows, int64_t count) const override {
    return gather_batch(table_, features_, rows, count, class_targets_);
  }
  bool class_targets() const override { return class_targets_; }
  void check_classes(int64_t classes) const override {
    const int64_t col = table_.targets[0];
    for (int64_t r = 0; r < table_.rows; ++r)
      if (table_.at(r, col) >= static_cast<float>(classes))
        throw Error(table_.column_str(col) + ": the class index " +
                        std::to_string(static_cast<int64_t>(table_.at(r, col))) + " is out of range: " +
                        classes_str(classes),
                    {table_.file, static_cast<int>(std::min<int64_t>(CsvTable::line_of(r), INT32_MAX))});
  }
  std::string describe(const Batch& b) const override {
    std::string targets;
    for (size_t i = 0; i < table_.targets.size(); ++i) targets += (i ? ", " : "") + table_.column_str(table_.targets[i]);
    return "input " + b.features.describe() + " from the non-target columns, target " + b.targets.describe() +
           " from " + targets;
  }
  const std::string& file() const override { return table_.file; }
  void check_matches(const TrainData& training) const override {
    auto* other = dynamic_cast<const CsvData*>(&training);
    WICK_ASSERT(other, "a validation set is read as its training set is");
    if (table_.names != other->table_.names)
      throw Error("the header differs from --data's (" + other->file() + "): the same columns are needed", {file()});
  }

  static std::string classes_str(int64_t classes) {
    return "the model's output has " + std::to_string(classes) + " classes (0 to " + std::to_string(classes - 1) +
           ")";
  }

 private:
  CsvTable table_;
  std::vector<int64_t> features_;
  bool class_targets_;
};

class NpyData final : public TrainData {
 public:
  NpyData(std::string features_file, std::string targets_file, bool class_indices_allowed)
      : features_file_(std::move(features_file)), targets_file_(std::move(targets_file)) {
    features_ = read_npy(features_file_);
    targets_ = read_npy(targets_file_);
    if (features_.dim() == 0)
      throw Error("the features are a 0-d array: one example per index of the first dim is needed", {features_file_});
    if (targets_.dim() == 0)
      throw Error("the targets are a 0-d array: one target per example is needed", {targets_file_});
    if (features_.size(0) == 0) throw Error("the features hold no examples (the first dim is 0)", {features_file_});
    if (targets_.size(0) != features_.size(0))
      throw Error("the targets " + targets_.describe() + " hold " + std::to_string(targets_.size(0)) +
                      " examples but the features " + features_.describe() + " in " + features_file_ + " hold " +
                      std::to_string(features_.size(0)),
                  {targets_file_});
    const DType t = targets_.dtype();
    if (t == DType::i64 || t == DType::i32) {
      if (!class_indices_allowed)
        throw Error("integer targets " + targets_.describe() +
                        " are class indices, which only the cross_entropy loss takes; other losses take f32 targets",
                    {targets_file_});
      if (targets_.dim() != 1)
        throw Error("class indices must be a vector, one per example, not " + targets_.describe(), {targets_file_});
      if (t == DType::i32) targets_ = widen(targets_);
      const int64_t* idx = targets_.data_as<int64_t>();
      for (int64_t i = 0; i < targets_.numel(); ++i)
        if (idx[i] < 0)
          throw Error("example " + std::to_string(i) + ": the class index " + std::to_string(idx[i]) +
                          " is negative",
                      {targets_file_});
      class_targets_ = true;
    } else if (t == DType::f32) {
      const float* v = targets_.data_as<float>();
      for (int64_t i = 0; i < targets_.numel(); ++i)
        if (!std::isfinite(v[i]))
          throw Error("example " + std::to_string(i / row_elements(targets_)) + ": a target is " +
                          std::to_string(v[i]) + "; targets must be finite",
                      {targets_file_});
    } else {
      throw Error("the targets are " + targets_.describe() +
                      ": f32 values are needed (or, for cross_entropy, i64 class indices)",
                  {targets_file_});
    }
  }
  int64_t rows() const override { return features_.size(0); }
  Batch gather(const int64_t* rows, int64_t count) const override {
    return {gather_rows(features_, rows, count), gather_rows(targets_, rows, count)};
  }
  bool class_targets() const override { return class_targets_; }
  void check_classes(int64_t classes) const override {
    const int64_t* idx = targets_.data_as<int64_t>();
    for (int64_t i = 0; i < targets_.numel(); ++i)
      if (idx[i] >= classes)
        throw Error("example " + std::to_string(i) + ": the class index " + std::to_string(idx[i]) +
                        " is out of range: " + CsvData::classes_str(classes),
                    {targets_file_});
  }
  std::string describe(const Batch& b) const override {
    return "input " + b.features.describe() + " from " + features_file_ + ", target " + b.targets.describe() +
           " from " + targets_file_;
  }
  const std::string& file() const override { return features_file_; }
  void check_matches(const TrainData& training) const override {
    auto* other = dynamic_cast<const NpyData*>(&training);
    WICK_ASSERT(other, "a validation set is read as its training set is");
    auto same_kind = [](const Tensor& a, const Tensor& b) {
      return a.dtype() == b.dtype() && std::vector<int64_t>(a.sizes().begin() + 1, a.sizes().end()) ==
                                           std::vector<int64_t>(b.sizes().begin() + 1, b.sizes().end());
    };
    if (!same_kind(features_, other->features_))
      throw Error("the validation features " + features_.describe() + " do not match the training features " +
                      other->features_.describe() + " (" + other->features_file_ +
                      ") beyond the first dim",
                  {features_file_});
    if (!same_kind(targets_, other->targets_))
      throw Error("the validation targets " + targets_.describe() + " do not match the training targets " +
                      other->targets_.describe() + " (" + other->targets_file_ + ") beyond the first dim",
                  {targets_file_});
  }

 private:
  static int64_t row_elements(const Tensor& t) { return t.size(0) == 0 ? 0 : t.numel() / t.size(0); }

  static Tensor widen(const Tensor& t) {
    Tensor out = Tensor::empty(DType::i64, t.sizes());
    for (int64_t i = 0; i < t.numel(); ++i) out.data_as<int64_t>()[i] = t.data_as<int32_t>()[i];
    return out;
  }

  // Examples rows[0..count) of `t` (contiguous, as read_npy gives it).
  static Tensor gather_rows(const Tensor& t, const int64_t* rows, int64_t count) {
    std::vector<int64_t> sizes = t.sizes();
    sizes[0] = count;
    Tensor out = Tensor::empty(t.dtype(), sizes);
    const size_t row_bytes = static_cast<size_t>(row_elements(t)) * dtype_size(t.dtype());
    const auto* src = static_cast<const char*>(t.data());
    auto* dst = static_cast<char*>(out.data());
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(dst + static_cast<size_t>(i) * row_bytes, src + static_cast<size_t>(rows[i]) * row_bytes,
                  row_bytes);
    return out;
  }

  std::string features_file_, targets_file_;
  Tensor features_, targets_;
  bool class_targets_ = false;
};

}  // namespace

std::unique_ptr<TrainData> read_csv_data(const std::string& path, const std::vector<std::string>& targets,
                                         bool class_targets) {
  CsvOptions csv;
  csv.targets = targets;
  csv.class_targets = class_targets;
  return std::make_unique<CsvData>(read_csv(path, csv), class_targets);
}

std::unique_ptr<TrainData> read_npy_data(const std::string& features, const std::string& targets,
                                         bool class_indices_allowed) {
  return std::make_unique<NpyData>(features, targets, class_indices_allowed);
}

}  // namespace wick::tools
