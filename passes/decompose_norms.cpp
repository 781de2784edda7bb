// Decomposition of batch_norm (eval mode), layer_norm and group_norm into
// reductions, pointwise ops and views, as PyTorch computes them:
//   batch_norm: x * scale + shift, scale = w * rsqrt(var + eps),
//               shift = b - mean * scale, both viewed [1, C, 1, ...];
//   layer_norm: (x - mean) * rsqrt(biased var + eps) over the trailing dims,
//               then * w + b;
//   group_norm: the same over each group of x viewed [N, G, -1], viewed
//               back, then * w + b per channel.
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

// batch_norm(x, w?, b?, running_mean?, running_var?, training, momentum, eps, cudnn)
Value* batch_norm(Emitter& e) {
  auto training = ir::constant_bool(e.input(5));
  if (!training || *training) throw e.node().error("training-mode batch_norm is not supported yet");
  if (e.absent(3) || e.absent(4)) throw e.node().error("needs running_mean and running_var (eval mode)");
  const int rank = static_cast<int>(e.shape(e.input(0), "input").size());
  if (rank < 2) throw e.node().error("needs an input of rank at least 2, got rank " + std::to_string(rank));
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

}  // namespace

std::vector<NamedRule> norm_rules() {
  return {
      {"aten::batch_norm", batch_norm},
      {"aten::layer_norm", layer_norm},
      {"aten::group_norm", group_norm},
  };
}

}  // namespace wick::passes::decompose_detail
