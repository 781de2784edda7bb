#include "api/train_loss.h"

#include "support/error.h"

namespace wick {

namespace {
struct LossName {
  const char* name;
  LossKind kind;
};
constexpr LossName kLosses[] = {
    {"mse", LossKind::mse}, {"cross_entropy", LossKind::cross_entropy}, {"bce_with_logits", LossKind::bce_with_logits},
    {"l1", LossKind::l1},   {"smooth_l1", LossKind::smooth_l1},         {"huber", LossKind::huber},
    {"output", LossKind::output},
};
}  // namespace

LossKind loss_from_name(const std::string& name) {
  std::string known;
  for (const LossName& l : kLosses) {
    if (name == l.name) return l.kind;
    known += std::string(known.empty() ? "" : ", ") + l.name;
  }
  throw Error("unknown loss '" + name + "'; the losses are " + known);
}

const char* loss_name(LossKind kind) {
  for (const LossName& l : kLosses)
    if (l.kind == kind) return l.name;
  return "?";
}

namespace train {

namespace {

std::string describe(DType dtype, const std::vector<int64_t>& sizes) {
  return std::string(dtype_name(dtype)) + shape_str(sizes);
}

}  // namespace

void check_target(const LossConfig& loss, const ir::Type& output, DType target_dtype,
                  const std::vector<int64_t>& target_sizes) {
  const std::string name = loss_name(loss.kind);
  if (!output.is_tensor() || !output.fully_static() || !output.dtype())
    throw Error("the model's output is " + output.str() + "; the " + name +
                " loss needs a tensor of known shape");
  const DType dtype = *output.dtype();
  const std::vector<int64_t> sizes = output.static_sizes();
  const std::string out = "the model's output is " + describe(dtype, sizes) + " but the target is " +
                          describe(target_dtype, target_sizes);
  if (!is_floating(dtype))
    throw Error("the model's output is " + describe(dtype, sizes) + "; the " + name +
                " loss needs a floating-point output");
  if (loss.kind != LossKind::cross_entropy) {
    if (target_dtype != dtype || target_sizes != sizes)
      throw Error(out + ": the " + name + " loss needs a target of the output's shape and dtype (" +
                  describe(dtype, sizes) + ")");
    return;
  }
  if (sizes.empty()) throw Error(out + ": the cross_entropy loss needs an output with a class dim");
  std::vector<int64_t> indices = sizes;
  indices.erase(indices.begin() + (sizes.size() >= 2 ? 1 : 0));
  const bool class_indices = target_dtype == DType::i64 && target_sizes == indices;
  const bool probabilities = target_dtype == dtype && target_sizes == sizes;
  if (!class_indices && !probabilities)
    throw Error(out + ": the cross_entropy loss needs class indices (" + describe(DType::i64, indices) +
                ") or class probabilities (" + describe(dtype, sizes) + ")");
}

ir::Value* append_loss(ir::Builder& b, const LossConfig& loss, ir::Value* output, ir::Value* target) {
  ir::Value* mean = b.constant_int(1);
  switch (loss.kind) {
    case LossKind::mse: return b.op("aten::mse_loss", {output, target, mean});
    case LossKind::l1: return b.op("aten::l1_loss", {output, target, mean});
    case LossKind::smooth_l1:
      return b.op("aten::smooth_l1_loss", {output, target, mean, b.constant_float(loss.beta)});
    case LossKind::huber: return b.op("aten::huber_loss", {output, target, mean, b.constant_float(loss.beta)});
    case LossKind::bce_with_logits: {
      ir::Value* none = b.constant_none();
      return b.op("aten::binary_cross_entropy_with_logits", {output, target, none, none, mean});
    }
    case LossKind::cross_entropy:
      return b.op("aten::cross_entropy_loss",
                  {output, target, b.constant_none(), mean, b.constant_int(-100), b.constant_float(0.0)});
    case LossKind::output: break;  // the model's own output (train_graph.cpp)
  }
  WICK_ASSERT(false, "unknown loss kind");
  return nullptr;
}

}  // namespace train
}  // namespace wick
