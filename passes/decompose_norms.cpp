// Decomposition of batch_norm, layer_norm and group_norm into reductions,
// pointwise ops and views, as PyTorch computes them:
//   batch_norm: x * scale + shift, scale = w * rsqrt(var + eps),
//               shift = b - mean * scale, both viewed [1, C, 1, ...];
//               in training mode (x - mean) * rsqrt(biased var + eps) * w + b
//               over the batch, and prim::StoreParam updates of the running
//               statistics (momentum; the unbiased variance);
//   layer_norm: (x - mean) * rsqrt(biased var + eps) over the trailing dims,
//               then * w + b;
//   group_norm: the same over each group of x viewed [N, G, -1], viewed
//               back, then * w + b per channel.
#include <optional>

#include "ir/constant_value.h"
#include "ir/type.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

// The name of the module tensor `v` reads, or "" when it is no such read.
std::string module_tensor_name(const Value* v) {
  if (!v->node()->is("prim::Param")) return {};
  return std::get<std::string>(*v->node()->attrs().find("name"));
}

// The momentum by which the running statistics move: a constant, or a
// value known only while running, BatchNorm's cumulative average
// (momentum=None: 1 / num_batches_tracked), whose 1 - momentum the plan
// computes once.
struct Momentum {
  std::optional<double> constant;
  Value* value = nullptr;
  Value* keep = nullptr;  // 1 - value
};

Momentum momentum_of(Emitter& e, Value* momentum) {
  if (auto m = ir::constant_double(momentum)) return {m, nullptr, nullptr};
  return {std::nullopt, momentum, e.op("aten::sub.float", {e.float_(1.0), momentum})};
}

// running * (1 - momentum) + batch * momentum, stored into the module tensor
// `running` reads.
void update_running(Emitter& e, const std::string& name, Value* running, Value* batch, const Momentum& m) {
  Value* kept = e.op("aten::mul.Scalar", {running, m.constant ? e.float_(1.0 - *m.constant) : m.keep});
  Value* added = e.op("aten::mul.Scalar", {batch, m.constant ? e.float_(*m.constant) : m.value});
  e.store_param(name, e.add(added, kept));
}

// Training mode: normalized with the batch's mean and biased variance over
// every dim but the channels; the running statistics move towards the
// batch's mean and unbiased variance by `momentum`.
Value* batch_norm_training(Emitter& e, int rank) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  int64_t n = 1;
  std::vector<int64_t> dims = {0};
  for (int i = 0; i < rank; ++i) {
    if (i == 1) continue;
    if (!shape[i].is_static()) throw e.node().error("needs static sizes in training mode, got " + ir::shape_str(shape));
    n *= shape[i].value();
    if (i > 1) dims.push_back(i);
  }
  // Statistics that are no module tensors (a functional call on
  // temporaries) would be updated and dropped: nothing to store.
  const std::string mean_name = e.absent(3) ? std::string() : module_tensor_name(e.input(3));
  const std::string var_name = e.absent(4) ? std::string() : module_tensor_name(e.input(4));
  const bool update = !mean_name.empty() || !var_name.empty();
  if (n <= 1)
    throw e.node().error("expected more than 1 value per channel when training, got input of shape " +
                         ir::shape_str(shape));
  Value* mean = e.mean(x, dims, true);
  Value* centered = e.sub(x, mean);
  Value* var = e.mean(e.mul(centered, centered), dims, true);
  Value* y = e.mul(centered, e.op("aten::rsqrt", {e.add_scalar(var, e.input(7))}));
  if (!e.absent(1)) y = e.mul(y, e.channel_view(e.input(1), rank));
  if (!e.absent(2)) y = e.add(y, e.channel_view(e.input(2), rank));
  if (update) {
    const Momentum momentum = momentum_of(e, e.input(6));
    Value* channels = e.ints({-1});
    if (!mean_name.empty()) update_running(e, mean_name, e.input(3), e.op("aten::view", {mean, channels}), momentum);
    if (!var_name.empty()) {
      Value* biased = e.op("aten::view", {var, channels});
      const double correction = static_cast<double>(n) / static_cast<double>(n - 1);
      Value* unbiased = e.op("aten::mul.Scalar", {biased, e.float_(correction)});
      update_running(e, var_name, e.input(4), unbiased, momentum);
    }
  }
  return y;
}

// batch_norm(x, w?, b?, running_mean?, running_var?, training, momentum, eps, cudnn)
Value* batch_norm(Emitter& e) {
  auto training = ir::constant_bool(e.input(5));
  if (!training) throw e.node().error("the training flag must be a constant");
  const int rank = static_cast<int>(e.shape(e.input(0), "input").size());
  if (rank < 2) throw e.node().error("needs an input of rank at least 2, got rank " + std::to_string(rank));
  if (*training) return batch_norm_training(e, rank);
  if (e.absent(3) || e.absent(4)) throw e.node().error("needs running_mean and running_var (eval mode)");
  Value* scale = e.op("aten::rsqrt", {e.add_scalar(e.input(4), e.input(7))});
  if (!e.absent(1)) scale = e.mul(e.input(1), scale);
  Value* mean_scale = e.mul(e.input(3), scale);
  Value* shift = e.absent(2) ? e.op("aten::neg", {mean_scale}) : e.sub(e.input(2), mean_scale);
  Value* scaled = e.mul(e.input(0), e.channel_view(scale, rank));
  return e.add(scaled, e.channel_view(shift, rank));
}

// (x - mean) * rsqrt(var + eps) over `dims`, with the biased variance.
Value* normalize(Emitter& e, Value* x, const std::vector<int64_t>& dims, Value* eps) {
  Value* centered = e.sub(x, e.mean(x, dims, true));
  Value* var = e.mean(e.mul(centered, centered), dims, true);
  return e.mul(centered, e.op("aten::rsqrt", {e.add_scalar(var, eps)}));
}

// layer_norm(x, normalized_shape, w?, b?, eps, cudnn)
Value* layer_norm(Emitter& e) {
  auto normalized = ir::constant_int_list(e.input(1));
  if (!normalized) throw e.node().error("normalized_shape must be a constant");
  if (normalized->empty()) throw e.node().error("normalized_shape must not be empty");
  const auto& shape = e.shape(e.input(0), "input");
  const size_t k = normalized->size();
  bool matches = shape.size() >= k;
  for (size_t i = 0; matches && i < k; ++i) {
    const Dim& d = shape[shape.size() - k + i];
    matches = !d.is_static() || d.value() == (*normalized)[i];
  }
  if (!matches)
    throw e.node().error("normalized_shape " + shape_str(*normalized) + " does not match the input's shape " +
                         ir::shape_str(shape));
  std::vector<int64_t> dims;
  for (size_t i = k; i > 0; --i) dims.push_back(-static_cast<int64_t>(i));
  Value* y = normalize(e, e.input(0), dims, e.input(4));
  if (!e.absent(2)) y = e.mul(y, e.input(2));
  if (!e.absent(3)) y = e.add(y, e.input(3));
  return y;
}

// group_norm(x, num_groups, w?, b?, eps, cudnn)
Value* group_norm(Emitter& e) {
  const int64_t groups = e.constant_int(1, "num_groups");
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const int rank = static_cast<int>(shape.size());
  if (rank < 2) throw e.node().error("needs an input of rank at least 2, got rank " + std::to_string(rank));
  const Dim& channels = shape[1];
  if (!channels.is_static()) throw e.node().error("needs a static channel count, got " + channels.str());
  if (groups <= 0 || channels.value() % groups != 0)
    throw e.node().error(channels.str() + " channels do not divide into " + std::to_string(groups) + " groups");
  Value* grouped = e.op("aten::view", {x, e.sizes(x, {Size::dim_of(0), Size::fixed(groups), Size::fixed(-1)})});
  Value* normalized = normalize(e, grouped, {-1}, e.input(4));
  std::vector<Size> back;
  for (int i = 0; i < rank; ++i) back.push_back(Size::dim_of(i));
  Value* y = e.op("aten::view", {normalized, e.sizes(x, back)});
  if (!e.absent(2)) y = e.mul(y, e.channel_view(e.input(2), rank));
  if (!e.absent(3)) y = e.add(y, e.channel_view(e.input(3), rank));
  return y;
}

// The running statistics of an instance norm that tracks them
// (track_running_stats, in training): ATen normalizes x as one batch of
// B * C channels, moving running statistics repeated B times, and keeps
// their mean over the instances. So each moves by `momentum` towards the
// mean over the batch of the instances' means and unbiased variances.
void update_instance_statistics(Emitter& e, Value* x, const std::vector<Dim>& shape) {
  const std::string mean_name = e.absent(3) ? std::string() : module_tensor_name(e.input(3));
  const std::string var_name = e.absent(4) ? std::string() : module_tensor_name(e.input(4));
  if (mean_name.empty() && var_name.empty()) return;
  int64_t n = 1;
  std::vector<int64_t> spatial;
  for (size_t i = 2; i < shape.size(); ++i) {
    if (!shape[i].is_static()) throw e.node().error("needs static sizes in training mode, got " + ir::shape_str(shape));
    n *= shape[i].value();
    spatial.push_back(static_cast<int64_t>(i));
  }
  if (n <= 1)
    throw e.node().error("expected more than 1 spatial element when training, got input of shape " +
                         ir::shape_str(shape));
  Value* mean = e.mean(x, spatial, false);  // [B, C]
  const Momentum momentum = momentum_of(e, e.input(6));
  if (!mean_name.empty()) update_running(e, mean_name, e.input(3), e.mean(mean, {0}, false), momentum);
  if (!var_name.empty()) {
    Value* centered = e.sub(x, e.mean(x, spatial, true));
    Value* biased = e.mean(e.mul(centered, centered), spatial, false);
    Value* unbiased = e.op("aten::mul.Scalar", {biased, e.float_(static_cast<double>(n) / static_cast<double>(n - 1))});
    update_running(e, var_name, e.input(4), e.mean(unbiased, {0}, false), momentum);
  }
}

// instance_norm(x, w, b, running_mean, running_var, use_input_stats,
// momentum, eps, cudnn): with the input's statistics, group_norm with a
// group per channel (and the running statistics updated, when given);
// otherwise batch_norm with the running statistics.
Value* instance_norm(Emitter& e) {
  Value* x = e.input(0);
  const bool input_stats = e.constant_bool(5, "use_input_stats");
  if (!input_stats)
    return e.op("aten::batch_norm", {x, e.input(1), e.input(2), e.input(3), e.input(4), e.bool_(false), e.input(6),
                                     e.input(7), e.input(8)});
  const auto& shape = e.shape(x, "input");
  if (shape.size() < 2 || !shape[1].is_static())
    throw e.node().error("needs a batched input with a known channel count");
  update_instance_statistics(e, x, shape);
  return e.op("aten::group_norm", {x, e.int_(shape[1].value()), e.input(1), e.input(2), e.input(7), e.input(8)});
}

}  // namespace

std::vector<NamedRule> norm_rules() {
  return {
      {"aten::batch_norm", batch_norm},
      {"aten::layer_norm", layer_norm},
      {"aten::group_norm", group_norm},
      {"aten::instance_norm", instance_norm},
  };
}

}  // namespace wick::passes::decompose_detail
